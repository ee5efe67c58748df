"""The demo's open épreuve: a training épreuve of the first faculty's cohort, open from the demo's creation for
24 hours (the planner's longest épreuve), where a few candidates already started, answered, handed in or reported an incident and a supervisor
signed them in — all through the taking and supervision services' own code — while the demo student (s0-0-0)
has not started, so a newcomer signed in as them takes it. Beside it, an ECOS circuit of one station the
examiner (sup0-0) already rated for a few candidates, so NOTATION's standard setting has ratings to read."""

from __future__ import annotations

import datetime as dt

import pyoxigraph as ox

from services.exams.model import Exam
from services.planner.demo import demo_services
from services.planner.inputs import EpreuveInput, ExamInput, Registrations, SlotInput
from services.platform import Platform
from services.studio.items import Caller
from services.studio.model import Item
from services.taking.checks import AnswerIn
from services.taking.service import Taking
from services.taking.supervision import Supervision

OPEN_MINUTES = 24 * 60


def open_demo_epreuve(platform: Platform, now: dt.datetime | None = None) -> Exam | None:
    """Plan and open the demo's training épreuve (None when the data has no first faculty, cohort or items)."""
    ufr, cohort, offer = (platform.iri(*p) for p in (("org", "univ-0", "ufr-0"), ("group", "univ-0-ufr-0-dfasm1-2025"),
                                                      ("offer", "univ-0-ufr-0-dfasm1-2025")))
    items = [f"u0f0q{n}" for n in range(8, 14)
             if platform.store.has_graph(ox.NamedNode(platform.iri("graph", "item", f"u0f0q{n}")))]
    people = [platform.iri("person", key) for key in ("rs0-0", "sup0-0", "s0-0-1", "s0-0-2", "s0-0-3")]
    if len(items) < 2 or not all(platform.store.has_graph(ox.NamedNode(platform.iri("graph", "person", p.rsplit("/", 1)[-1])))
                                 for p in people):
        return None
    now = (now or dt.datetime.now(dt.timezone.utc)).replace(microsecond=0)
    start = now + dt.timedelta(minutes=1)
    with demo_services(platform) as (access, _lists, _studio, planner):
        office = access.directory.principal(people[0], "demo")
        exam = planner.create(office, ExamInput(
            title="Entraînement en ligne DFASM1", short_name="ENTR-DFASM1", owner=ufr, offers=[offer],
            epreuves=[EpreuveInput(title="Questions isolées — entraînement", type="Entraînement",
                                   start=start, duration_minutes=OPEN_MINUTES,
                                   slots=[SlotInput(item=i) for i in items],
                                   registrations=Registrations(groups=[cohort]))]))
        exam.epreuves[0].display.shuffle_options = True
        planner.set_status(office, exam.key, 1, "ready")
        taking = Taking(platform, planner, clock=lambda: start + dt.timedelta(minutes=5))
        try:
            _take(platform, access, taking, exam.key, people)
        finally:
            taking.close()
    return exam


def _take(platform: Platform, access, taking: Taking, key: str, people: list[str]) -> None:
    supervisor = access.directory.principal(people[1], "demo")
    supervision = Supervision(taking)
    for seat, person in enumerate(people[2:], 1):
        supervision.sign(supervisor, key, 1, person, "in", room="Amphi A", seat=str(seat))
    supervision.hand_device(supervisor, key, 1, people[2], "TAB-0042")
    for n, person in enumerate(people[2:]):
        candidate = access.directory.principal(person, "demo")
        view = taking.open_session(candidate, key, 1)
        questions = [q for slot in view["content"] for q in slot["questions"] if q.get("options")]
        saves = [AnswerIn(q["key"], 1, (q["options"][(i + n) % len(q["options"])]["iri"],), marker=(i == 0))
                 for i, q in enumerate(questions[:len(questions) - n])]
        taking.save_now(candidate, key, 1, saves)
        if n == 0:
            taking.submit(candidate, key, 1)
            supervision.sign(supervisor, key, 1, person, "out")
        if n == 1:
            taking.report_incident(candidate, key, 1, "Ma tablette s'est éteinte, je l'ai rallumée.")


RATING_SCALE = ("list", "grille-globale-ecos")
STATION = {"kind": "ECOS", "title": "Station ECOS — annonce d'un diabète de type 1", "station": {
    "scenario": "Un patient de 19 ans revient pour les résultats de sa glycémie à jeun (2,1 g/L à deux reprises).",
    "candidate_instructions": "Annoncez le diagnostic et répondez à ses questions. Durée : 7 minutes.",
    "patient_instructions": "Vous êtes inquiet ; vous demandez si vous pourrez continuer le sport.",
    "duration_minutes": 7,
    "checklist": [{"text": "Se présente et vérifie l'identité du patient", "points": 1},
                  {"text": "Annonce le diagnostic en termes simples", "points": 2},
                  {"text": "Vérifie la compréhension du patient", "points": 1},
                  {"text": "Propose un suivi et une éducation thérapeutique", "points": 1}]}}
# candidate → (checklist items ticked, by position; the examiner's global rating, by position on the scale)
RATED = {"s0-0-1": ((0, 1, 2, 3), 3), "s0-0-2": ((0, 1, 2), 2), "s0-0-3": ((0, 1), 1), "s0-0-4": ((1,), 1),
         "s0-0-5": ((0,), 0)}


def open_demo_ecos(platform: Platform, now: dt.datetime | None = None) -> Exam | None:
    """Write an ECOS station in STUDIO, plan a circuit of it for the first faculty's cohort (this morning, two
    hours) and let the examiner tick checklists and give global ratings (None when the demo lacks its people)."""
    ufr, cohort, offer = (platform.iri(*p) for p in (("org", "univ-0", "ufr-0"), ("group", "univ-0-ufr-0-dfasm1-2025"),
                                                      ("offer", "univ-0-ufr-0-dfasm1-2025")))
    keys = ("rs0-0", "sup0-0", "t0-0-0", *RATED)
    if not all(platform.store.has_graph(ox.NamedNode(platform.iri("graph", "person", k))) for k in keys):
        return None
    people = {k: platform.iri("person", k) for k in keys}
    now = (now or dt.datetime.now(dt.timezone.utc)).replace(microsecond=0)
    start = now - dt.timedelta(hours=3)  # this morning's circuit: over before the training épreuve opens
    with demo_services(platform) as (access, _lists, studio, planner):
        station = {**STATION, "owner": ufr, "station": {**STATION["station"], "rating_scale": platform.iri(*RATING_SCALE)}}
        created = studio.create(Item.model_validate(station), Caller(people["t0-0-0"]))
        office = access.directory.principal(people["rs0-0"], "demo")
        planner.clock = lambda: start - dt.timedelta(days=7)  # planned a week before, as the office did
        exam = planner.create(office, ExamInput(
            title="ECOS formatives DFASM1", short_name="ECOS-DFASM1", owner=ufr, offers=[offer],
            epreuves=[EpreuveInput(title="Circuit ECOS — annonce", type="ECOS", start=start,
                                   duration_minutes=120, slots=[SlotInput(item=created["id"])],
                                   registrations=Registrations(groups=[cohort]))]))
        planner.set_status(office, exam.key, 1, "ready")
        taking = Taking(platform, planner, clock=lambda: start + dt.timedelta(minutes=20))
        try:
            examiner = access.directory.principal(people["sup0-0"], "demo")
            sheet = Supervision(taking).station_sheet(examiner, exam.key, 1)
            checks = [c["iri"] for c in sheet["station"]["checklist"]]
            scale = [v["iri"] for v in sheet["station"]["scale"]]
            for key, (ticked, rating) in RATED.items():
                answer = AnswerIn(sheet["station"]["key"], 1, value=scale[min(rating, len(scale) - 1)],
                                  checks=tuple(checks[i] for i in ticked))
                taking.save_now(examiner, exam.key, 1, [answer], examiner_for=people[key])
        finally:
            taking.close()
    return exam
