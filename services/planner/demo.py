"""The demo's planned exam: beside the generator's finished exams, an upcoming one built through the planner's
own use cases (two épreuves, the cohort and an ad-hoc group registered, extra time for one student), so a new
user sees the planner filled with past and upcoming exams."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import pyoxigraph as ox

from services.access import Access
from services.cockpit import Cockpit
from services.exams.model import Exam
from services.lists.library import ListLibrary
from services.planner.exams import Planner
from services.planner.inputs import EpreuveInput, ExamInput, ExtraTimeInput, Registrations, SlotInput
from services.platform import Platform
from services.studio.items import Studio

ITEMS_PER_EPREUVE = 4


def plan_demo_exam(platform: Platform, today: dt.date | None = None) -> Exam | None:
    """Plan the demo exam of the first faculty, as its school office would (None when the data has no such
    faculty, cohort or items)."""
    ufr, cohort, offer = (platform.iri(*p) for p in (("org", "univ-0", "ufr-0"), ("group", "univ-0-ufr-0-dfasm1-2025"),
                                                      ("offer", "univ-0-ufr-0-dfasm1-2025")))
    office = platform.iri("person", "rs0-0")
    items = [f"u0f0q{n}" for n in range(2 * ITEMS_PER_EPREUVE)
             if platform.store.has_graph(ox.NamedNode(platform.iri("graph", "item", f"u0f0q{n}")))]
    if len(items) < 2 or not platform.store.has_graph(ox.NamedNode(platform.iri("graph", "person", "rs0-0"))):
        return None
    with demo_services(platform) as (access, lists, _studio, planner):
        return _plan(platform, planner, access, lists, ufr, cohort, offer, office, items, today)


@contextmanager
def demo_services(platform: Platform):
    """The services a demo step plans with: (access, lists, studio, planner)."""
    access = Access.build(platform)
    lists = ListLibrary(platform)
    studio = Studio(platform, lists)
    try:
        yield access, lists, studio, Planner(platform, studio, access)
    finally:
        # The planner only publishes items; its search index is closed now (still marked for a rebuild after the
        # bulk load), so the index the platform opens next is the one whose clean close counts.
        close = studio.search_index.index.close
        platform.closing.remove(close)
        close()


def _plan(platform: Platform, planner: Planner, access: Access, lists: ListLibrary, ufr: str, cohort: str,
          offer: str, office: str, items: list[str], today: dt.date | None) -> Exam:
    principal = access.directory.principal(office, "demo")
    students = [platform.iri("person", f"s0-0-{n}") for n in range(2)]
    retake = Cockpit.build(access, lists).groups.create(principal, "Rattrapage DFASM1 (tiers-temps)", [ufr],
                                                        students, [])
    day = (today or dt.date.today()) + dt.timedelta(days=30)
    day += dt.timedelta(days=(7 - day.weekday()) % 7)  # a Monday
    half = max(1, len(items) // 2)
    epreuves = [EpreuveInput(title=title, start=dt.datetime.combine(day, dt.time(hour)), duration_minutes=minutes,
                             slots=[SlotInput(item=i, coefficient=1 + (n == 0)) for n, i in enumerate(chosen)],
                             registrations=Registrations(groups=[cohort, retake.iri]))
                for title, hour, minutes, chosen in (("Dossiers progressifs", 9, 120, items[:half]),
                                                     ("Questions isolées", 14, 90, items[half:]))]
    epreuves[0].extra_time = [ExtraTimeInput(candidate=students[1], minutes=40)]
    epreuves[1].display.shuffle_items = epreuves[1].display.shuffle_options = True
    exam = planner.create(principal, ExamInput(title="Examen de fin de semestre DFASM1", short_name="FSEM-DFASM1",
                                               owner=ufr, offers=[offer], epreuves=epreuves))
    planner.set_status(principal, exam.key, 1, "ready")
    return exam
