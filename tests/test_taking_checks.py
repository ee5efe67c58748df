"""Property-based proof that the hot path's check of a save and the shapes agree.

An épreuve snapshot is built in memory (every question type: QRU, QRM, QRP, long lists, TCS, QROC, QROL,
NUMERIQUE, ZONE, ASSOCIATION, a progressive dossier, an ECOS station, a question of a type the platform does not
know). Hypothesis generates saves of its questions — well-formed ones, then broken ones: options of another
question, of another épreuve or unknown IRIs, two options on a QRU, values on the wrong type (a text on a QRM, a
number on a ZONE …), scale values off the scale, non-finite numbers, coordinates below 0, texts, notepads and units
one character too long, a unit without a number, pairs with unknown members or a left member twice, checklist items
off the checklist, checklists by a non-examiner and answers by an examiner, sequence numbers out of range, questions
not in the épreuve.

Each save is checked by `services.taking.checks.answer_problem`, and its triples — the record
`Taking._record` makes, rendered by `services.taking.render.answer_triples` — are validated by pyshacl against
the core shapes of answers (`shapes/core/exams.ttl`) and the épreuve's derived shapes
(`services.taking.snapshot_shapes`), with the neighbours' types. The check accepts the save if and only if the
shapes accept its triples; the compiled engine running every shape of the project plus the derived ones must give
pyshacl's violations; and for a kept save, the text the journal's applier writes (`render.answer_text`) holds
exactly those triples. Saves whose request form is wrong although their triples cannot show it (a tick twice, a TCS
value sent as an option, half a point: `checks.form_problem`) must be refused by the check.

`make test` runs 16 derandomised saves per question (240 in all); TAKING_CHECKS_EXAMPLES=200 runs 200 random ones
per question.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
import os
import shutil
from types import SimpleNamespace

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib.namespace import RDF, SH

from services.exams.model import Epreuve
from services.exams.naming import ExamNames
from services.notation.sheet import Option, Question, Sheet, Slot
from services.taking.checks import MAX_SEQUENCE, MAX_UNIT, AnswerIn, answer_problem, form_problem
from services.taking.render import answer_text, answer_triples
from services.taking.service import Taking
from services.taking.snapshot import MAX_TEXT, QuestionRules, Snapshot
from services.taking.snapshot_shapes import snapshot_shapes
from store.embedded import OxigraphStore
from store.paths import SHAPES_DIR
from store.terms import OS, from_ox
from store.validation import ShapeValidator

BASE = "https://data.ontosides.fr/"
NAMES = ExamNames(BASE)
EXAM, NUMBER = "CHECKS", 1
EPREUVE = NAMES.epreuve(EXAM, NUMBER)
CANDIDATES = (f"{BASE}person/s-1", f"{BASE}person/s-2")
EXAMINER = f"{BASE}person/examiner"
NOW = dt.datetime(2031, 3, 10, 9, 30, tzinfo=dt.timezone.utc)
EXAMPLES = int(os.environ.get("TAKING_CHECKS_EXAMPLES", "0"))
SCALE = tuple(f"{BASE}list/tcs-scale/{v}" for v in ("-2", "-1", "0", "+1", "+2"))
OTHER_SCALE = (f"{BASE}list/other-scale/yes", f"{BASE}list/other-scale/no")
FOREIGN_QUESTION = f"{BASE}item/elsewhere/v/1/q"
FOREIGN_OPTIONS = tuple(f"{BASE}item/elsewhere/v/1/option/{n}" for n in range(2))
FOREIGN_ITEMS = (f"{BASE}item/other-station/v/1/checklist/1",)
UNKNOWN = (f"{BASE}unknown/thing", "urn:x:nothing", EPREUVE)
TYPE_CLASS = {"QRU": OS.QRU, "QRM": OS.QRM, "QRP": OS.QRP, "QRM_LONG": OS.LongListQRM, "QRP_LONG": OS.LongListQRP,
              "TCS": OS.TCS, "QROC": OS.QROC, "QROL": OS.QROL, "NUMERIQUE": OS.Numeric, "ZONE": OS.Zone,
              "ASSOCIATION": OS.Association, "ECOS": OS.EcosStation, "UNKNOWN": OS.Question}


def _question(position: int, qtype: str, step: int | None = None, options: int = 0, **more) -> Question:
    key = str(position) if step is None else f"{position}.{step}"
    iri = f"{BASE}item/i{position}/v/1/q{step or 1}"
    opts = tuple(Option(f"{iri}/option/{n}", chr(65 + n), f"option {n}", n == 0) for n in range(options))
    return Question(key, iri, position, qtype, f"question {key}", opts, **more)


def _slot(position: int, kind: str, *questions: Question, element: str | None = None) -> Slot:
    return Slot(position, NAMES.slot(EXAM, NUMBER, position), element or f"{BASE}item/i{position}/v/1",
                f"{BASE}item/i{position}", kind, f"item {position}", 1.0, (), questions)


STATION = f"{BASE}item/i11/v/1"
SHEET = Sheet(
    f"{EXAM}-{NUMBER}", EPREUVE, NAMES.exam(EXAM), NUMBER, "Épreuve de contrôle", "Examen", None, "edn-2023", None,
    "ready", (),
    (_slot(1, "QI", _question(1, "QRU", options=4)),
     _slot(2, "QI", _question(2, "QRM", options=5)),
     _slot(3, "QI", _question(3, "QRP", options=4, expected_count=2)),
     _slot(4, "QI", _question(4, "QRM_LONG", options=8)),
     _slot(5, "QI", _question(5, "TCS", panel=((SCALE[3], 6), (SCALE[4], 3)))),
     _slot(6, "QI", _question(6, "QROC", accepted=("streptocoque",))),
     _slot(7, "QI", _question(7, "NUMERIQUE", value=4.5, tolerance=0.5, unit="mmol/L")),
     _slot(8, "QI", _question(8, "ZONE")),
     _slot(9, "QI", _question(9, "ASSOCIATION", pairs=(("Cœur", "Cardiologie"), ("Rein", "Néphrologie"),
                                                      ("Poumon", "Pneumologie"), ("Plèvre", "Pneumologie")))),
     _slot(10, "DP", _question(10, "QRU", 1, options=4), _question(10, "QROL", 2),
           _question(10, "QRP_LONG", 3, options=6)),
     _slot(11, "ECOS", Question("11", STATION, 11, "ECOS", "scénario",
                                checklist=tuple((f"{STATION}/checklist/{n}", f"geste {n}", 1.0) for n in range(4)))),
     _slot(12, "QI", _question(12, "UNKNOWN"))))
SNAPSHOT = Snapshot.build(Epreuve(EXAM, NUMBER, EPREUVE, "Épreuve de contrôle", 60, status="ready"), None,
                          frozenset(CANDIDATES), SHEET, {}, {SHEET.question("5").iri: frozenset(SCALE)}, {}, 120)
OWN_OPTIONS = tuple(sorted({o for r in SNAPSHOT.questions.values() for o in r.options}))
CHECKLIST = tuple(sorted(SNAPSHOT.questions["11"].checklist))
LEFTS = tuple(sorted(SNAPSHOT.questions["9"].lefts))
RIGHTS = tuple(sorted(SNAPSHOT.questions["9"].rights))
IRIS = OWN_OPTIONS + SCALE + OTHER_SCALE + FOREIGN_OPTIONS + CHECKLIST + FOREIGN_ITEMS + UNKNOWN + CANDIDATES
Q2_OPTION = sorted(SNAPSHOT.questions["2"].options)[1]
EVERY_TYPE = tuple(sorted({r.type for r in SNAPSHOT.questions.values()}))


@pytest.fixture(scope="module")
def validator(tmp_path_factory) -> ShapeValidator:
    """Every shape of the project plus the épreuve's derived ones (run compiled)."""
    folder = tmp_path_factory.mktemp("shapes") / "shapes"
    shutil.copytree(SHAPES_DIR, folder)
    snapshot_shapes(SNAPSHOT).serialize(folder / "epreuve.ttl", format="turtle")
    return ShapeValidator(folder)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> ShapeValidator:
    """The core shapes of answers (shapes/core/exams.ttl) plus the épreuve's derived ones, run by pyshacl: the
    other shapes target nothing an answer's triples describe (the compiled run of all of them must agree)."""
    folder = tmp_path_factory.mktemp("answer-shapes")
    shutil.copy(SHAPES_DIR / "core" / "exams.ttl", folder / "exams.ttl")
    snapshot_shapes(SNAPSHOT).serialize(folder / "epreuve.ttl", format="turtle")
    return ShapeValidator(folder, engine="pyshacl")


@pytest.fixture(scope="module")
def neighbours() -> OxigraphStore:
    """A store typing what answers point to, as the real store does."""
    typed = [(EPREUVE, OS.Epreuve), (EXAMINER, OS.Person), (FOREIGN_QUESTION, OS.QRU),
             *[(c, OS.Person) for c in CANDIDATES],
             *[(r.iri, TYPE_CLASS[r.type]) for r in SNAPSHOT.questions.values()],
             *[(o, OS.AnswerOption) for o in OWN_OPTIONS + FOREIGN_OPTIONS],
             *[(v, OS.ListEntry) for v in SCALE + OTHER_SCALE],
             *[(c, OS.ChecklistItem) for c in CHECKLIST + FOREIGN_ITEMS]]
    store = OxigraphStore()
    body = "\n".join(f"<{s}> <{RDF.type}> <{t}> ." for s, t in typed)
    store.update(f"INSERT DATA {{ GRAPH <{BASE}graph/neighbours> {{ {body} }} }}")
    return store


# --- generating saves ---------------------------------------------------------------------------------------
numbers = st.one_of(st.floats(-1e6, 1e6), st.floats(), st.sampled_from([math.nan, math.inf, -math.inf, 0.0, -0.0]))
coordinates = st.one_of(st.floats(0, 4000), st.sampled_from([-1.0, -5e-324, -0.0, math.nan, math.inf]), st.floats())
strings = st.text(max_size=8)
members = st.one_of(st.sampled_from(LEFTS + RIGHTS), strings)


@st.composite
def proper(draw, rules: QuestionRules) -> dict:
    """Fields a well-formed save of the question carries."""
    t = rules.type
    if t in ("QRU", "QRM", "QRP", "QRM_LONG", "QRP_LONG"):
        own = sorted(rules.options)
        return {"options": tuple(draw(st.lists(st.sampled_from(own), unique=True, max_size=1 if t == "QRU" else 4)))}
    if t == "TCS":
        return {"value": draw(st.one_of(st.none(), st.sampled_from(sorted(rules.scale))))}
    if t in ("QROC", "QROL"):
        return {"text": draw(st.one_of(st.none(), st.text(max_size=40)))}
    if t == "NUMERIQUE":
        number = draw(st.one_of(st.none(), st.floats(-1e9, 1e9)))
        unit = draw(st.one_of(st.none(), st.text(max_size=6))) if number is not None else None
        return {"number": number, "unit": unit}
    if t == "ZONE":
        point = draw(st.one_of(st.none(), st.tuples(st.floats(0, 4000), st.floats(0, 4000))))
        return {"x": point[0], "y": point[1]} if point else {}
    if t == "ASSOCIATION":
        lefts = draw(st.lists(st.sampled_from(sorted(rules.lefts)), unique=True))
        return {"pairs": tuple((left, draw(st.sampled_from(sorted(rules.rights)))) for left in lefts)}
    if t == "ECOS":
        return {"checks": tuple(draw(st.lists(st.sampled_from(sorted(rules.checklist)), unique=True)))}
    return {}


def _others(rules: QuestionRules | None, attribute: str) -> list[str]:
    """What other questions of the épreuve have (their options, scale values, checklist items …)."""
    return sorted({v for r in SNAPSHOT.questions.values() if r is not rules for v in getattr(r, attribute)})


def _break(draw, name: str, rules: QuestionRules | None, fields: dict) -> None:
    """Apply one targeted way of breaking a save (some of which leave it valid for some question types)."""
    own = sorted(rules.options) if rules else []
    if name == "foreign option":  # an option of another question, of another épreuve, an unknown IRI, a person
        wrong = draw(st.sampled_from(_others(rules, "options") + list(FOREIGN_OPTIONS + UNKNOWN + CANDIDATES)))
        fields["options"] = tuple(draw(st.permutations(list(fields.get("options", ())) + [wrong])))
    elif name == "two options":
        fields["options"] = tuple(draw(st.lists(st.sampled_from(own or list(OWN_OPTIONS)), min_size=2, max_size=3,
                                                unique=True)))
    elif name == "duplicate tick":
        if fields.get("options"):
            fields["options"] = fields["options"] + fields["options"][:1]
        else:
            item = draw(st.sampled_from(CHECKLIST))
            fields["checks"] = (item, item)
    elif name == "options":
        fields["options"] = tuple(draw(st.lists(st.sampled_from(IRIS), min_size=1, max_size=4)))
    elif name == "value":
        fields["value"] = draw(st.sampled_from(("",) + SCALE + OTHER_SCALE + tuple(own) + UNKNOWN))
    elif name == "text":
        fields["text"] = draw(st.one_of(st.text(max_size=12),
                                        st.sampled_from(["", "é" * MAX_TEXT, "é" * (MAX_TEXT + 1)])))
    elif name == "number":
        fields["number"] = draw(numbers)
    elif name == "unit":
        fields["unit"] = draw(st.sampled_from(["", "mg", "m" * MAX_UNIT, "m" * (MAX_UNIT + 1)]))
    elif name == "point":
        fields["x"], fields["y"] = draw(st.tuples(coordinates, coordinates))
    elif name == "half point":
        fields.pop("x", None), fields.pop("y", None)
        fields[draw(st.sampled_from(["x", "y"]))] = draw(coordinates)
    elif name == "pairs":
        fields["pairs"] = tuple(draw(st.lists(st.tuples(members, members), min_size=1, max_size=5)))
    elif name == "left twice":
        left = draw(st.sampled_from(LEFTS))
        fields["pairs"] = tuple(fields.get("pairs", ())) + ((left, draw(st.sampled_from(RIGHTS))),
                                                           (left, draw(st.sampled_from(RIGHTS))))
    elif name == "checks":
        fields["checks"] = tuple(draw(st.lists(st.sampled_from(CHECKLIST + FOREIGN_ITEMS + UNKNOWN + OWN_OPTIONS[:2]),
                                               min_size=1, max_size=5, unique=True)))
    elif name == "notepad":
        fields["notepad"] = draw(st.sampled_from(["", "note", "é" * MAX_TEXT, "é" * (MAX_TEXT + 1)]))
    elif name == "seq":
        fields["seq"] = draw(st.sampled_from([-1, 0, MAX_SEQUENCE - 1, MAX_SEQUENCE, 2**63]))
    elif name == "examiner":
        fields["examiner"] = not fields["examiner"]


BREAKS = ("foreign option", "two options", "duplicate tick", "options", "value", "text", "number", "unit", "point",
          "half point", "pairs", "left twice", "checks", "notepad", "seq", "examiner")
CHOICE_BREAKS = ("foreign option", "two options", "duplicate tick", "value")
RELEVANT = {**{t: CHOICE_BREAKS for t in ("QRU", "QRM", "QRP", "QRM_LONG", "QRP_LONG")}, "TCS": ("value", "options"),
            "QROC": ("text",), "QROL": ("text",), "NUMERIQUE": ("number", "unit"), "ZONE": ("point", "half point"),
            "ASSOCIATION": ("pairs", "left twice"), "ECOS": ("checks", "duplicate tick", "examiner")}
KEYS = sorted(SNAPSHOT.questions)
NOT_IN_EPREUVE = ("99", "10.4", "1.1", "")


@st.composite
def saves(draw, key: str | None = None) -> tuple[AnswerIn, bool, str]:
    """(save, examiner, candidate): a well-formed save of a question (of any of the épreuve's, or of one it does
    not have, unless the key is given), broken in none, one or two ways."""
    if key is None:
        key = draw(st.sampled_from(KEYS * 2 + list(NOT_IN_EPREUVE)))
    elif key not in SNAPSHOT.questions:
        key = draw(st.sampled_from(NOT_IN_EPREUVE))
    rules = SNAPSHOT.questions.get(key)
    fields = draw(proper(rules)) if rules else {}
    fields["seq"] = draw(st.integers(0, 10**6))
    fields["marker"] = draw(st.booleans())
    fields["notepad"] = draw(st.one_of(st.none(), st.text(max_size=20)))
    fields["examiner"] = rules is not None and rules.type == "ECOS"
    relevant = RELEVANT.get(rules.type, ()) if rules else ()
    first = draw(st.sampled_from(("none",) * 3 + relevant * (6 // max(len(relevant), 1)) + BREAKS))
    for name in (first, draw(st.sampled_from(("none",) * 24 + BREAKS))):
        _break(draw, name, rules, fields)
    examiner = fields.pop("examiner")
    return AnswerIn(key, **fields), examiner, draw(st.sampled_from(CANDIDATES))


# --- the two judges ------------------------------------------------------------------------------------------
def record_of(answer: AnswerIn, examiner: bool, candidate: str) -> dict:
    """The journal record the service would make of this save (a question not in the épreuve taken as one of
    another épreuve)."""
    snapshot = SNAPSHOT
    if answer.question not in snapshot.questions:
        elsewhere = QuestionRules(answer.question, FOREIGN_QUESTION, "QRU", 1, None, frozenset(FOREIGN_OPTIONS))
        snapshot = dataclasses.replace(SNAPSHOT, questions={**SNAPSHOT.questions, answer.question: elsewhere})
    key = candidate.rsplit("/", 1)[-1]
    state = SimpleNamespace(graph=NAMES.copy_graph(EXAM, NUMBER, key))
    return Taking._record(SimpleNamespace(names=NAMES), snapshot, candidate, key, state, answer, NOW,
                          EXAMINER if examiner else None)


def triples_of(answer: AnswerIn, examiner: bool, candidate: str) -> list[tuple]:
    """The triples the service would keep for this save, as rdflib terms."""
    return [(from_ox(t.subject), from_ox(t.predicate), from_ox(t.object))
            for t in answer_triples(record_of(answer, examiner, candidate))]


def written(record: dict) -> set:
    """The triples the journal's applier writes for a record (`answer_text`, its fast twin of `answer_triples`)."""
    return {ox.Triple(q.subject, q.predicate, q.object)
            for q in ox.parse(answer_text(record).encode(), format=ox.RdfFormat.TURTLE)}


def _rules_for_form(answer: AnswerIn) -> QuestionRules:
    return SNAPSHOT.questions.get(answer.question) or QuestionRules(answer.question, FOREIGN_QUESTION, "QRU", 1, None)


@pytest.mark.parametrize("key", KEYS + ["not in the épreuve"])
@settings(max_examples=EXAMPLES or 16, deadline=None, derandomize=not EXAMPLES, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_check_accepts_exactly_what_the_shapes_accept(validator, reference, neighbours, key, data):
    answer, examiner, candidate = data.draw(saves(key), label="save, examiner, candidate")
    problem = answer_problem(SNAPSHOT, answer, examiner=examiner)
    form = form_problem(_rules_for_form(answer), answer)
    if form is not None:
        assert problem is not None, f"a save of a wrong form is kept: {form}"
        return
    triples = triples_of(answer, examiner, candidate)
    violations = reference.validate(triples, neighbours)
    assert (problem is None) == (violations == []), (
        f"check: {problem!r}\nshapes: {[v.describe() for v in violations]}\nsave: {answer!r} examiner={examiner}")
    assert validator.validate(triples, neighbours, engine="compiled") == violations
    if problem is None:  # what the store receives is what was checked
        record = record_of(answer, examiner, candidate)
        assert written(record) == set(answer_triples(record))


# --- what the property test leans on -------------------------------------------------------------------------
@pytest.fixture(autouse=True, scope="module")
def _quiet_rdflib():
    """rdflib logs each ill-typed literal (NaN as xsd:decimal) it meets; the shapes report them."""
    logger = logging.getLogger("rdflib.term")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)


def test_the_snapshot_covers_every_type_and_its_shapes_compile(validator):
    assert set(EVERY_TYPE) == {"QRU", "QRM", "QRP", "QRM_LONG", "QRP_LONG", "TCS", "QROC", "QROL", "NUMERIQUE",
                               "ZONE", "ASSOCIATION", "ECOS", "UNKNOWN"}
    shapes = snapshot_shapes(SNAPSHOT)
    assert len(set(shapes.subjects(SH.targetClass, OS.Answer))) == len(SNAPSHOT.questions) + 1
    assert validator.compiled.refused == {}


def test_well_formed_saves_of_every_type_are_kept_by_both(reference, neighbours):
    q = SNAPSHOT.questions
    good = [AnswerIn("1", 1, options=(sorted(q["1"].options)[0],)),
            AnswerIn("2", 2, options=tuple(sorted(q["2"].options)[:3])),
            AnswerIn("5", 3, value=SCALE[0]), AnswerIn("6", 4, text="streptocoque", marker=True, notepad="à revoir"),
            AnswerIn("7", 5, number=4.5, unit="mmol/L"), AnswerIn("8", 6, x=10.5, y=0.0),
            AnswerIn("9", 7, pairs=(("Cœur", "Cardiologie"), ("Plèvre", "Pneumologie"), ("Poumon", "Pneumologie"))),
            AnswerIn("10.2", 8, text="é" * MAX_TEXT), AnswerIn("12", 9), AnswerIn("6", 10, text=""),
            AnswerIn("7", MAX_SEQUENCE - 1, number=-0.0, unit="m" * MAX_UNIT, notepad="n" * MAX_TEXT),
            AnswerIn("5", 11, value=""), AnswerIn("2", 12, text="", unit="", value="")]
    for answer in good:
        assert answer_problem(SNAPSHOT, answer) is None, answer
        assert reference.validate(triples_of(answer, False, CANDIDATES[0]), neighbours) == [], answer
    checklist = AnswerIn("11", 1, checks=CHECKLIST[:2])
    assert answer_problem(SNAPSHOT, checklist, examiner=True) is None
    assert reference.validate(triples_of(checklist, True, CANDIDATES[1]), neighbours) == []


@pytest.mark.parametrize("answer, examiner, reason", [
    (AnswerIn("1", 1, options=(sorted(SNAPSHOT.questions["2"].options)[0],)), False, "is not an option"),
    (AnswerIn("1", 1, options=tuple(sorted(SNAPSHOT.questions["1"].options)[:2])), False, "one option at most"),
    (AnswerIn("2", 1, text="texte"), False, "carries no text"),
    (AnswerIn("5", 1, value=OTHER_SCALE[0]), False, "not a value of the scale"),
    (AnswerIn("7", 1, number=math.nan), False, "finite"),
    (AnswerIn("7", 1, unit="mmol/L"), False, "unit goes with a number"),
    (AnswerIn("8", 1, x=-1.0, y=3.0), False, "≥ 0"),
    (AnswerIn("9", 1, pairs=(("Cœur", "Néphrologie"), ("Cœur", "Cardiologie"))), False, "once at most"),
    (AnswerIn("9", 1, pairs=(("Foie", "Cardiologie"),)), False, "not a pair of members"),
    (AnswerIn("11", 1, checks=FOREIGN_ITEMS), True, "not an item of the checklist"),
    (AnswerIn("11", 1, checks=CHECKLIST[:1]), False, "filled in by the examiner"),
    (AnswerIn("1", 1), True, "examiner fills in ECOS checklists only"),
    (AnswerIn("99", 1), False, "not in this épreuve"),
    (AnswerIn("6", MAX_SEQUENCE, text="a"), False, "seq must be"),
    (AnswerIn("6", 1, notepad="n" * (MAX_TEXT + 1)), False, "notepad"),
    (AnswerIn("6", 1, text="t" * (MAX_TEXT + 1)), False, "at most"),
    (AnswerIn("7", 1, number=1.0, unit="m" * (MAX_UNIT + 1)), False, "at most"),
])
def test_broken_saves_are_refused_by_both(reference, neighbours, answer, examiner, reason):
    problem = answer_problem(SNAPSHOT, answer, examiner=examiner)
    assert problem is not None and reason in problem
    assert reference.validate(triples_of(answer, examiner, CANDIDATES[0]), neighbours) != []


@pytest.mark.parametrize("answer, same_triples_as", [
    (AnswerIn("2", 1, options=(Q2_OPTION, Q2_OPTION)), AnswerIn("2", 1, options=(Q2_OPTION,))),
    (AnswerIn("5", 1, options=(SCALE[1],)), AnswerIn("5", 1, value=SCALE[1])),
    (AnswerIn("1", 1, value=sorted(SNAPSHOT.questions["1"].options)[0]),
     AnswerIn("1", 1, options=(sorted(SNAPSHOT.questions["1"].options)[0],))),
])
def test_a_wrong_form_is_refused_although_its_triples_are_those_of_a_kept_save(answer, same_triples_as):
    """What no shape can see (the triples are those of a well-formed save) the check refuses as a wrong form."""
    assert form_problem(SNAPSHOT.questions[answer.question], answer) is not None
    assert answer_problem(SNAPSHOT, answer) is not None
    assert answer_problem(SNAPSHOT, same_triples_as) is None
    assert set(triples_of(answer, False, CANDIDATES[0])) == set(triples_of(same_triples_as, False, CANDIDATES[0]))
