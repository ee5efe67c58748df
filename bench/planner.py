"""PLANIFICATEUR on the generated store (`--triples`, default 1M) plus what a big faculty plans:

- the candidate list of an épreuve with 8,200 registered candidates across 40 groups (target ≤ 2 s), and the
  rules checked when it is made ready (completeness, overlaps);
- the calendar of a faculty with 500 épreuves, JSON and iCalendar (target ≤ 100 ms);
- the bon à tirer of a 120-item épreuve, HTML and PDF;
- usage statistics over every item (from the statistics graphs), and by référentiel entry.

The store is its own (`bench/out/store-planner-N`): the planned data is added once, then reused.
"""

from __future__ import annotations

import datetime as dt
import time

import pyoxigraph as ox

from bench.common import arguments, loaded_platform, percentiles
from services.access import Access
from services.access.model import Principal
from services.lists.library import ListLibrary
from services.planner.documents import Documents
from services.planner.exams import Planner
from services.planner.inputs import EpreuveInput, ExamInput, Registrations, SlotInput
from services.planner.usage import UsageStatistics
from services.platform import Platform
from services.studio.items import Studio

GROUPS, PER_GROUP = 40, 205  # 8,200 candidates
CALENDAR_EXAMS, EPREUVES_PER_EXAM = 100, 5  # 500 épreuves
BAT_ITEMS = 120
OS, FOAF = "https://w3id.org/ontosides#", "http://xmlns.com/foaf/0.1/"
MARK = "urn:ontosides:bench:planner"


def timed(function, repeat: int) -> tuple[list[float], object]:
    """Milliseconds of each call after one warm-up, and the last result."""
    result = function()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        samples.append((time.perf_counter() - started) * 1000)
    return samples, result


def add_cohort(platform: Platform, ufr: str) -> list[str]:
    """8,200 students in 40 ad-hoc groups of the faculty (raw inserts: setting up, not measured)."""
    groups = []
    for g in range(GROUPS):
        group = platform.iri("group", f"bench-{g}")
        lines = [f"<{group}> a <{OS}AdHocGroup> ; <http://www.w3.org/2004/02/skos/core#prefLabel> \"Groupe {g}\"@fr ;"
                 f" <{OS}attachedTo> <{ufr}> ."]
        people = []
        for s in range(PER_GROUP):
            person = platform.iri("person", f"bench-{g}-{s}")
            lines.append(f"<{group}> <{OS}member> <{person}> .")
            people.append(f"GRAPH <{platform.iri('graph', 'person', f'bench-{g}-{s}')}> {{ <{person}> a <{OS}Person> ;"
                          f" <{OS}uniqueId> \"UN-B{g}-{s}\" ; <{FOAF}familyName> \"Nom{s}\" ; <{FOAF}givenName> \"P{g}\" . }}")
        platform.store.update(f"INSERT DATA {{ GRAPH <{platform.iri('graph', 'group', f'bench-{g}')}> "
                              f"{{ {' '.join(lines)} }} {' '.join(people)} }}")
        groups.append(group)
    return groups


def setup(platform: Platform, planner: Planner, admin: Principal, ufr: str, items: list[str]) -> dict:
    """The planned data, added once: the big épreuve, 500 épreuves, the 120-item épreuve."""
    if platform.store.has_graph(ox.NamedNode(MARK)):
        rows = platform.store.select(f"SELECT ?k ?v WHERE {{ GRAPH <{MARK}> {{ ?s ?k ?v }} }}").rows
        return {r["k"].value.rsplit("/", 1)[-1]: r["v"].value for r in rows}
    started = time.perf_counter()
    groups = add_cohort(platform, ufr)
    planner.access.directory.forget()
    big = planner.create(admin, ExamInput(title="Grand examen", owner=ufr, epreuves=[EpreuveInput(
        title="Épreuve nationale", start=dt.datetime(2031, 6, 2, 9), duration_minutes=180,
        slots=[SlotInput(item=items[0])], registrations=Registrations(groups=groups))]))
    for n in range(CALENDAR_EXAMS):
        day = dt.datetime(2031, 1, 6, 9) + dt.timedelta(days=3 * n)
        planner.create(admin, ExamInput(title=f"Examen {n}", owner=ufr, epreuves=[
            EpreuveInput(title=f"Épreuve {k + 1}", start=day + dt.timedelta(hours=2 * k), duration_minutes=90)
            for k in range(EPREUVES_PER_EXAM)]))
    bat = planner.create(admin, ExamInput(title="Examen de 120 éléments", owner=ufr, epreuves=[EpreuveInput(
        title="Épreuve longue", start=dt.datetime(2031, 6, 9, 9), duration_minutes=240,
        slots=[SlotInput(item=i) for i in items[:BAT_ITEMS]])]))
    found = {"big": big.key, "bat": bat.key}
    platform.store.update(f"INSERT DATA {{ GRAPH <{MARK}> {{ " + " ".join(
        f"<{MARK}> <{MARK}/{k}> \"{v}\" ." for k, v in found.items()) + " } }")
    print(f"planned data added in {time.perf_counter() - started:.1f} s")
    return found


def main() -> None:
    """Print p50/p95 of each figure, against its target where there is one."""
    args = arguments(__doc__.splitlines()[0])
    platform = loaded_platform(args.triples, "store-planner")
    access = Access.build(platform)
    planner = Planner(platform, Studio(platform, ListLibrary(platform)), access)
    documents, usage = Documents(planner), UsageStatistics(planner)
    ufr = platform.iri("org", "univ-0", "ufr-0")
    admin = Principal(platform.iri("person", "admin"), True)
    items = [f"u0f0q{n}" for n in range(BAT_ITEMS)]
    keys = setup(platform, planner, admin, ufr, items)
    office = access.directory.principal(platform.iri("person", "rs0-0"), "bench")
    print(f"store: {platform.store.count():,} quads; repeat {args.repeat}; a shared 2-core machine")
    rows = []

    def figure(name, function, target_ms=None, repeat=args.repeat, note=lambda r: ""):
        samples, result = timed(function, repeat)
        p50, p95 = percentiles(samples)
        verdict = "" if target_ms is None else f"  target ≤ {target_ms:,} ms: {'met' if p95 <= target_ms else 'MISSED'}" \
                                               f" (p95/target {p95 / target_ms:.2f})"
        rows.append(name)
        print(f"{name:58} p50 {p50:9.1f} ms  p95 {p95:9.1f} ms  {note(result)}{verdict}")

    def candidate_list():
        epreuve, found = planner.candidates(office, keys["big"], 1)
        return documents.candidates_json(epreuve, found)

    figure("candidate list, 8,200 candidates in 40 groups", candidate_list, 2000,
           note=lambda r: f"[{r['count']:,} candidates]")
    exam = planner.exam(office, keys["big"])
    figure("ready check (completeness + overlaps), same épreuve", lambda: planner.check_ready(exam, exam.epreuve(1)),
           note=lambda r: "")
    start, end = dt.date(2031, 1, 1), dt.date(2031, 12, 31)
    def after_a_write(function):
        def run():
            platform.store.wrote()  # what any write through the platform does: the épreuves are read again
            return function()
        return run

    def calendar():
        return documents.calendar(office, start, end, ufr, "week")

    figure("calendar of the faculty (500+ épreuves), JSON", calendar, 100, note=lambda r: f"[{r['count']} épreuves]")
    figure("  the same, first read after a write", after_a_write(calendar), 100,
           note=lambda r: f"[{r['count']} épreuves]")
    figure("calendar of the faculty, iCalendar", lambda: documents.calendar_ics(office, start, end, ufr), 100,
           note=lambda r: f"[{len(r):,} bytes]")
    figure("exam list of the faculty", lambda: documents.listing(office, ufr), note=lambda r: f"[{len(r)} rows]")
    figure("bon à tirer, 120 items, HTML", lambda: documents.bat_html(office, keys["bat"], 1), repeat=5,
           note=lambda r: f"[{len(r):,} characters]")
    figure("bon à tirer, 120 items, PDF", lambda: documents.bat_pdf(office, keys["bat"], 1), repeat=3,
           note=lambda r: f"[{len(r):,} bytes]")
    figure("usage statistics, every item the office sees", lambda: usage.search(office), repeat=5,
           note=lambda r: f"[{r['count']} items]")
    entry = platform.iri("list", "referentiel", "IC-001")
    figure("usage statistics, one référentiel item (IC-001)", lambda: usage.search(admin, entry=entry), repeat=5,
           note=lambda r: f"[{r['count']} items]")
    platform.close()


if __name__ == "__main__":
    main()
