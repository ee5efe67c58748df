"""Every question type graded from copies in the store: a hand-built épreuve of the STUDIO's sample items (ZONE,
NUMERIQUE, ASSOCIATION, TCS, QRM with an indispensable option, long list with an unacceptable one, QRP, a dossier,
an ECOS station), with answers chosen for known scores; the bulk scoring and the pure core's cases agree."""

from __future__ import annotations

import pytest
from rdflib import URIRef
from rdflib.namespace import PROV

from services.access import Access
from services.access.model import Principal
from services.notation.service import Notation
from services.platform import Platform
from services.studio.model import Item
from services.studio.rdf import item_graph
from store.embedded import OxigraphStore
from store.terms import OS
from tests.conftest import make_settings
from tests.studio_samples import SCALE_VALUES, items

B = "https://data.ontosides.fr/"
EP = f"{B}exam/tx/epreuve/1"
ADMIN = Principal(f"{B}person/admin", True)
SLOTS = ["QI-ZONE", "QI-NUMERIQUE", "QI-ASSOCIATION", "QI-TCS", "QI-QRM", "QI-QRM_LONG", "QI-QRP", "DP", "ECOS"]
# candidate → question key → (answer, expected fraction)
ANSWERS = {
    "c1": {"1": ({"x": 50, "y": 50}, 1.0), "2": ({"number": "5.05", "unit": "mmol/l"}, 1.0),
           "3": ({"pairs": [("Streptocoque A", "Amoxicilline"), ("Mycoplasme", "Macrolide")]}, 1.0),
           "4": ({"options": [SCALE_VALUES[0]]}, 1.0), "5": ({"ticks": [0, 2, 3]}, 1.0),
           "6": ({"ticks": [0, 4]}, 1.0), "7": ({"ticks": [1, 3]}, 1.0), "8.1": ({"ticks": [0, 2, 3]}, 1.0),
           "8.2": ({"ticks": [0]}, 1.0), "9": ({"checks": [1, 2]}, 1.0)},
    "c2": {"1": ({"x": 500, "y": 5}, 0.0), "2": ({"number": "5.2", "unit": "mmol/L"}, 0.0),
           "3": ({"pairs": [("Streptocoque A", "Amoxicilline"), ("Mycoplasme", "Amoxicilline")]}, 0.5),
           "4": ({"options": [SCALE_VALUES[1]]}, 3 / 7), "5": ({"ticks": [0, 2]}, 0.0),
           "6": ({"ticks": [0, 4, 11]}, 0.0), "7": ({"ticks": [1]}, 0.5), "8.1": ({"ticks": [0, 3]}, 0.5),
           "8.2": ({"ticks": [1]}, 0.0), "9": ({"checks": [2]}, 2 / 3)},
    "c3": {"2": ({"number": "5.0"}, 0.0), "4": ({"options": [SCALE_VALUES[4]]}, 0.0), "7": ({"ticks": [0, 1, 3]}, 0.0)},
}


@pytest.fixture(scope="module")
def notation():
    platform = Platform.build(make_settings(), OxigraphStore())
    platform.ensure_ontology()
    samples = items(f"{B}media/image", f"{B}media/article")
    exam = [f"<{B}exam/tx> a <{OS}Exam> ; <{OS}owner> <{B}org/ufr> ; <{OS}hasEpreuve> <{EP}> .",
            f"<{EP}> a <{OS}Epreuve> ; <http://purl.org/dc/terms/title> \"Types\" ; "
            f"<{OS}gradingMethod> <{OS}MethodEdn2023> ."]
    updates = []
    for pos, name in enumerate(SLOTS, 1):
        version = f"{B}item/x{pos}/v/1"
        graph = item_graph(Item.model_validate(samples[name]), version, f"{B}person/author")
        graph.add((URIRef(version), PROV.specializationOf, URIRef(f"{B}item/x{pos}")))
        updates.append(f"INSERT DATA {{ GRAPH <{B}graph/item/x{pos}/v/1> {{ {graph.serialize(format='nt')} }} }}")
        exam.append(f"<{EP}> <{OS}hasSlot> <{EP}/slot/{pos}> . <{EP}/slot/{pos}> a <{OS}ItemSlot> ; "
                    f"<{OS}position> {pos} ; <{OS}element> <{version}> .")
    updates.append(f"INSERT DATA {{ GRAPH <{B}graph/exam/tx> {{ {' '.join(exam)} }} }}")
    sheet_questions = {"8.1": f"{B}item/x8/v/1/q/1", "8.2": f"{B}item/x8/v/1/q/2"}
    for person, answers in ANSWERS.items():
        copy = [f"<{B}session/tx-1/{person}> a <{OS}ExamSession> ; <{OS}epreuve> <{EP}> ; "
                f"<{OS}student> <{B}person/{person}> ."]
        for key, (answer, _) in answers.items():
            question = sheet_questions.get(key, f"{B}item/x{key}/v/1")
            a = f"<{B}answer/tx-1/{person}/{key}>"
            copy.append(f"{a} a <{OS}Answer> ; <{OS}question> <{question}> .")
            options = [f"{question}/option/{k + 1}" for k in answer.get("ticks", ())] + answer.get("options", [])
            copy += [f"{a} <{OS}selectedOption> <{o}> ." for o in options]
            if "x" in answer:
                copy.append(f"{a} <{OS}zoneX> {answer['x']} ; <{OS}zoneY> {answer['y']} .")
            if "number" in answer:
                copy.append(f"{a} <{OS}numericAnswer> {answer['number']} .")
            if "unit" in answer:
                copy.append(f'{a} <{OS}unit> "{answer["unit"]}" .')
            for n, (left, right) in enumerate(answer.get("pairs", ())):
                copy.append(f'{a} <{OS}pairAnswer> {a[:-1]}/pair/{n}> . {a[:-1]}/pair/{n}> <{OS}pairLeft> "{left}" ; '
                            f'<{OS}pairRight> "{right}" .')
            copy += [f"{a} <{OS}checkedItem> <{B}item/x9/v/1/check/{k}> ." for k in answer.get("checks", ())]
        updates.append(f"INSERT DATA {{ GRAPH <{B}graph/copy/tx-1/{person}> {{ {' '.join(copy)} }} }}")
        updates.append(f"INSERT DATA {{ GRAPH <{B}graph/person/{person}> {{ <{B}person/{person}> a <{OS}Person> }} }}")
    platform.store.update(" ;\n".join(updates))
    return Notation(platform, Access.build(platform).policy)


def test_every_type_scores_as_expected(notation):
    sheet = notation.sheet(ADMIN, "tx-1")
    assert [q.key for q in sheet.questions] == ["1", "2", "3", "4", "5", "6", "7", "8.1", "8.2", "9"]
    loaded = notation.load(sheet)
    for row, person in enumerate(loaded.copies.candidates):
        expected = ANSWERS[person.rsplit("/", 1)[-1]]
        for j, key in enumerate(loaded.scored.keys):
            wanted = expected.get(key, (None, 0.0))[1]
            assert loaded.scored.fractions[row, j] == pytest.approx(wanted), (person, key)


def test_copy_detail_explains_each_type_with_the_same_score(notation):
    for person in ANSWERS:
        detail = notation.copy(ADMIN, "tx-1", f"{B}person/{person}")
        for q in detail["questions"]:
            assert q["explanation"].rsplit("→ ", 1)[1] == f"{q['fraction']:.4g}", q
    c2 = {q["key"]: q for q in notation.copy(ADMIN, "tx-1", f"{B}person/c2")["questions"]}
    assert "indispensable option D not ticked" in c2["5"]["explanation"]
    assert "unacceptable option L ticked" in c2["6"]["explanation"]
    assert c2["8.1"]["max_points"] == 10  # a dossier's two questions share its 20 points


def test_grades_of_every_type_are_saved_and_valid(notation):
    summary = notation.grade(ADMIN, "tx-1")
    assert summary["written"] == 3 and summary["status"] == "Complété"
    table = {r["candidate"].rsplit("/", 1)[-1]: r for r in notation.students(ADMIN, "tx-1")["students"]}
    assert table["c1"]["grade"] == pytest.approx(20 * 9)  # 9 items out of 20, all right
    stored = notation.platform.store.select(f"""PREFIX os: <{OS}> SELECT (COUNT(?s) AS ?n) WHERE {{
        GRAPH <{B}graph/grades/tx-1/c1> {{ ?grade os:hasQuestionScore ?s }} ?s a os:QuestionScore }}""")
    assert int(stored.rows[0]["n"].value) == 9, "the ECOS station is graded as an item, not a question score"
    analysis = notation.analysis(ADMIN, "tx-1")
    assert analysis["test"]["n"] == 3 and "options" in analysis["questions"]["5"]


def _same_copies(a, b) -> None:
    import numpy as np
    assert (a.candidates, a.graphs, a.submitted) == (b.candidates, b.graphs, b.submitted)
    for name in ("ticks", "numbers", "points", "checks"):
        left, right = getattr(a, name), getattr(b, name)
        assert left.keys() == right.keys(), name
        for key in left:
            assert np.array_equal(left[key], right[key], equal_nan=True), (name, key)
    assert (a.chosen, a.texts, a.units, a.pairs) == (b.chosen, b.texts, b.units, b.pairs)


def test_many_copies_read_by_one_scan_as_through_a_dataset(notation, monkeypatch):
    """Copies of a large épreuve are read over every named graph (rows kept for its copy graphs): the same
    answers, of every type, as through a dataset of the copy graphs."""
    from services.notation import answers
    sheet = notation.sheet(ADMIN, "tx-1")
    graphs = answers.copy_graphs(notation.platform, notation.names, sheet)
    through_dataset = answers.read_copies(notation.platform, sheet, graphs)
    monkeypatch.setattr(answers, "SCAN_FROM", 1)
    scanned = answers.read_copies(notation.platform, sheet, graphs)
    _same_copies(scanned, through_dataset)
    assert any(t.any() for t in scanned.ticks.values())
    one = answers.read_copies(notation.platform, sheet, graphs[:1])  # a subset keeps that subset's copies only
    assert one.graphs == graphs[:1]


def test_a_cold_dry_run_scores_the_copies_of_an_epreuve_with_an_ecos_station(notation, monkeypatch):
    """An ECOS station is graded as an item, with no question score saved: reading the saved scores back would
    count it 0, so a process that has not scored the épreuve scores its copies."""
    import services.notation.service as service
    notation.grade(ADMIN, "tx-1")
    change = {"items": {"9": {"max_points": 5}}}
    warm = notation.dry_run(ADMIN, "tx-1", change)
    read = []
    real = service.read_copies
    monkeypatch.setattr(service, "read_copies", lambda *a: read.append(1) or real(*a))
    cold = Notation(notation.platform, notation.policy).dry_run(ADMIN, "tx-1", change)
    assert read, "the copies were scored again"
    assert cold["summary"] == warm["summary"] and cold["summary"]["moved"] > 0


def test_students_of_a_small_epreuve_read_their_grade_not_the_scores_others_reached(notation):
    """With fewer than 5 graded candidates the shared question scores (which (question, fraction) anyone
    reached) would say too much about the others: a candidate reads their grade graph, not that graph."""
    notation.grade(ADMIN, "tx-1")
    notation.publish(ADMIN, "tx-1")
    try:
        c1 = Principal(f"{B}person/c1", False)
        readable = notation.policy.readable_graphs(c1)
        assert f"{B}graph/grades/tx-1/c1" in readable and f"{B}graph/grades/tx-1/c2" not in readable
        assert f"{B}graph/question-scores/tx-1" not in readable
    finally:
        notation.revoke(ADMIN, "tx-1", "the test publishes it only to read it")
