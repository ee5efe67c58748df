"""NOTATION over a store: grading from copies, corrections, barèmes, publication, aggregates, annals, access."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pyoxigraph as ox
import pytest

from services import dataset
from services.access import Access
from services.access.model import Principal
from services.notation.errors import Forbidden, Frozen, NotationError, NotFound, NotPublishable
from services.notation.service import Notation
from services.platform import Platform
from services.synthetic import Scale
from store.embedded import OxigraphStore
from store.errors import ImportFailed
from tests.conftest import make_settings

BASE = "https://data.ontosides.fr/"
OS = "https://w3id.org/ontosides#"
ADMIN = Principal(f"{BASE}person/admin", True)
SCALE = Scale(universities=2, students_per_faculty=12, questions_per_faculty=8, referentiel_items=6,
              objectives_per_item=3, questions_per_epreuve=6, question_mix=("QRU", "QRM", "QRP", "QRM_LONG"))
TO_CORRECT = "u0f0c0-1"   # QROC 4, QROC 5, QROL 6 left to correct
FINISHED = "u0f0e0-1"     # graded and published by the generator


@pytest.fixture(scope="module")
def setup():
    platform = Platform.build(make_settings(), OxigraphStore())
    dataset.load_demo(platform, SCALE)
    access = Access.build(platform)
    return platform, access, Notation(platform, access.policy)


def who(access, key: str) -> Principal:
    return access.directory.principal(f"{BASE}person/{key}", "token")


def ref_totals(platform) -> dict[str, tuple[int, Decimal]]:
    rows = platform.store.select(f"""PREFIX os: <{OS}> SELECT ?e ?n ?s WHERE {{
        GRAPH <{BASE}graph/stats/referentiel> {{ ?x a os:EntryStatistics ; os:entry ?e ; os:answers ?n ;
                                                  os:sumFraction ?s }} }}""")
    return {r["e"].value: (int(r["n"].value), Decimal(r["s"].value)) for r in rows}


def contribution_sums(platform) -> dict[str, tuple[int, Decimal]]:
    rows = platform.store.select(f"""PREFIX os: <{OS}> SELECT ?e ?n ?s WHERE {{
        ?x a os:EntryContribution ; os:entry ?e ; os:answers ?n ; os:sumFraction ?s }}""")
    sums: dict[str, tuple[int, Decimal]] = {}
    for r in rows:
        n, s = sums.get(r["e"].value, (0, Decimal(0)))
        sums[r["e"].value] = (n + int(r["n"].value), s + Decimal(r["s"].value))
    return sums


def test_regrading_generated_grades_changes_nothing(setup):
    platform, access, notation = setup
    notation.revoke(ADMIN, FINISHED, "the test re-grades it")
    before = platform.store.count()
    summary = notation.grade(ADMIN, FINISHED)
    assert summary["candidates"] == 12 and summary["questions"] == 6
    assert summary["written"] == 0 and summary["unchanged"] == 12, "the generator writes what NOTATION writes"
    assert platform.store.count() == before
    assert ref_totals(platform) == contribution_sums(platform)


def test_bulk_scores_agree_with_the_pure_core_copy_by_copy(setup):
    _, _, notation = setup
    table = notation.students(ADMIN, FINISHED)["students"]
    for row in table[:4]:
        detail = notation.copy(ADMIN, FINISHED, row["candidate"])
        assert detail["grade"] == pytest.approx(row["grade"], abs=1e-3)
        for q in detail["questions"]:
            # the explanation comes from services.grading.cases; the fraction from the vectorised scoring
            assert q["explanation"].endswith(("→ 1", "→ 0", "→ 0.5", "→ 0.2")) or "→ 0." in q["explanation"]
            assert q["explanation"].rsplit("→ ", 1)[1] == f"{q['fraction']:.4g}"
        assert sum(q["points"] for q in detail["questions"]) == pytest.approx(detail["grade"])


def test_item_status_follows_the_corrections_left(setup):
    _, _, notation = setup
    items = {i["position"]: i for i in notation.overview(ADMIN, TO_CORRECT)["items"]}
    assert items[1]["status"] == "Complété"
    assert {items[p]["status"] for p in (4, 5, 6)} == {"En cours"}


def test_qroc_groups_decisions_and_synonyms(setup):
    platform, access, notation = setup
    grader = who(access, "cor0-0")
    view = notation.qroc(grader, TO_CORRECT, "4")
    groups = view["unexpected"]
    assert groups and sum(view["expected"].values()) + sum(g["count"] for g in groups) + view["empty"] == 12
    assert [g["distance"] for g in groups] == sorted(g["distance"] for g in groups)
    first, *others = groups
    decided = notation.decide_qroc(grader, TO_CORRECT, "4",
                                   [{"answer": first["answer"], "fraction": 0.5}] +
                                   [{"answer": g["answer"], "synonym": True} for g in others])
    assert decided["pending"] == 0
    assert set(decided["synonyms"]) == {g["answer"] for g in others}
    assert next(g for g in decided["unexpected"] if g["answer"] == first["answer"])["fraction"] == 0.5
    detail = notation.copy(grader, TO_CORRECT, first["candidates"][0])
    q4 = next(q for q in detail["questions"] if q["key"] == "4")
    assert q4["fraction"] == 0.5 and "the grader gave 0.5" in q4["explanation"]
    assert q4["graded_by"] == grader.person
    with pytest.raises(NotationError, match="fraction"):
        notation.decide_qroc(grader, TO_CORRECT, "4", [{"answer": first["answer"], "fraction": 1.5}])
    with pytest.raises(NotationError, match="not a QROC"):
        notation.decide_qroc(grader, TO_CORRECT, "6", [{"answer": "x", "fraction": 1}])


def test_qrol_marks_copy_by_copy(setup):
    _, access, notation = setup
    grader = who(access, "cor0-0")
    view = notation.qrol(grader, TO_CORRECT, "6")
    assert view["max_points"] == 4 and view["pending"] == sum(c["to_correct"] for c in view["copies"])
    to_mark = [c for c in view["copies"] if c["to_correct"]]
    with pytest.raises(NotationError, match="between 0 and 4"):
        notation.grade_qrol(grader, TO_CORRECT, "6", [{"candidate": to_mark[0]["candidate"], "points": 5}])
    with pytest.raises(NotationError, match="has no copy"):
        notation.grade_qrol(grader, TO_CORRECT, "6", [{"candidate": f"{BASE}person/nobody", "points": 1}])
    done = notation.grade_qrol(grader, TO_CORRECT, "6",
                               [{"candidate": c["candidate"], "points": 3, "comment": "incomplet"} for c in to_mark])
    assert done["pending"] == 0
    detail = notation.copy(grader, TO_CORRECT, to_mark[0]["candidate"])
    q6 = next(q for q in detail["questions"] if q["key"] == "6")
    assert q6["fraction"] == 0.75 and q6["key_answer"]["comment"] == "incomplet"


def test_corrected_epreuve_is_complete_and_published_after_saving(setup):
    platform, access, notation = setup
    grader, office = who(access, "cor0-0"), who(access, "rs0-0")
    view = notation.qroc(grader, TO_CORRECT, "5")
    notation.decide_qroc(grader, TO_CORRECT, "5", [{"answer": g["answer"], "fraction": 0} for g in view["unexpected"]])
    assert {i["status"] for i in notation.overview(grader, TO_CORRECT)["items"]} == {"Complété"}
    with pytest.raises(Forbidden):
        notation.publish(grader, TO_CORRECT)  # a grader does not publish
    with pytest.raises(NotPublishable, match="save the grades again"):
        notation.publish(office, TO_CORRECT)
    saved = notation.grade(grader, TO_CORRECT)
    assert saved["status"] == "Complété" and saved["in_progress"] == 0
    assert saved["written"] + saved["unchanged"] == 12 and saved["written"] >= 9  # copies nobody had to correct stay
    assert ref_totals(platform) == contribution_sums(platform)
    published = notation.publish(office, TO_CORRECT)
    assert published["published"]
    with pytest.raises(Frozen):
        notation.grade(grader, TO_CORRECT)
    with pytest.raises(Frozen):
        notation.decide_qroc(grader, TO_CORRECT, "4", [{"answer": "x", "fraction": 1}])
    with pytest.raises(NotationError, match="reason"):
        notation.revoke(office, TO_CORRECT, "  ")
    revoked = notation.revoke(office, TO_CORRECT, "erreur de barème")
    assert not revoked["published"]
    trail = revoked["history"][0]
    assert trail["published_by"] == office.person and trail["revoked_by"] == office.person
    assert trail["reason"] == "erreur de barème"
    notation.grade(grader, TO_CORRECT)  # open again


def test_bareme_dry_run_then_save_with_history(setup):
    platform, access, notation = setup
    grader = who(access, "cor0-0")
    before = notation.students(grader, TO_CORRECT)["students"]
    generation = platform.store.generation
    changes = {"items": {"1": {"max_points": 10, "coefficient": 2}}, "questions": {"2": {"neutralised": "full"}}}
    preview = notation.dry_run(grader, TO_CORRECT, changes)
    assert platform.store.generation == generation, "a dry run writes nothing"
    assert preview["before"]["max_total"] == 120 and preview["after"]["max_total"] == 120
    assert preview["summary"]["moved"] == len(preview["moved"]) > 0
    assert "question 2: neutralised (full)" in preview["change"]
    with pytest.raises(NotationError, match="items.9"):
        notation.dry_run(grader, TO_CORRECT, {"items": {"9": {"max_points": 1}}})
    saved = notation.save_bareme(grader, TO_CORRECT, changes)
    after = {r["candidate"]: r["grade"] for r in notation.students(grader, TO_CORRECT)["students"]}
    for moved in preview["moved"]:
        assert after[moved["candidate"]] == pytest.approx(moved["after"], abs=1e-3)
    assert len(preview["moved"]) < 12 and saved["grades"]["written"] == 12  # item 1 is out of 10 for everyone
    history = notation.bareme(grader, TO_CORRECT)["history"]
    assert history[0]["by"] == grader.person and "coefficient 1.0 → 2" in history[0]["summary"]
    removal = notation.save_bareme(grader, TO_CORRECT, {"questions": {"3": {"neutralised": "remove"}}})
    assert removal["grades"]["max_total"] == 100
    assert len(notation.bareme(grader, TO_CORRECT)["history"]) == 2
    assert len(before) == 12


def test_a_cold_dry_run_reads_the_saved_scores_while_they_are_current(setup, monkeypatch):
    import services.notation.service as service

    platform, access, notation = setup
    grader = who(access, "cor0-0")
    group = notation.qroc(grader, TO_CORRECT, "4")["unexpected"][0]
    notation.decide_qroc(grader, TO_CORRECT, "4", [{"answer": group["answer"], "fraction": 0.5}])
    notation.grade(grader, TO_CORRECT)  # saved with a hand-graded QROC group (and QROL copies, when marked)
    changes = {"items": {"1": {"max_points": 7}}, "questions": {"6": {"neutralised": "remove"}}}
    warm = notation.dry_run(grader, TO_CORRECT, changes)

    def no_reading(*_):
        raise AssertionError("the copies were read")

    monkeypatch.setattr(service, "read_copies", no_reading)
    cold = Notation(platform, access.policy).dry_run(grader, TO_CORRECT, changes)
    monkeypatch.undo()
    assert cold["summary"]["moved"] == warm["summary"]["moved"] > 0
    # The same candidates move by the same amounts (the saved fractions have 4 decimals: near-ties may swap).
    moved = {m["candidate"]: (m["before"], m["after"]) for m in cold["moved"]}
    assert moved.keys() == {m["candidate"] for m in warm["moved"]}
    for m in warm["moved"]:
        assert moved[m["candidate"]] == pytest.approx((m["before"], m["after"]), abs=1e-3)
    assert cold["after"]["mean"] == pytest.approx(warm["after"]["mean"], abs=1e-3)
    # A decision taken since the save: the saved scores are not current, the copies are scored again.
    notation.decide_qroc(grader, TO_CORRECT, "4", [{"answer": group["answer"], "fraction": 0.25}])
    monkeypatch.setattr(service, "read_copies", no_reading)
    with pytest.raises(AssertionError, match="the copies were read"):
        Notation(platform, access.policy).dry_run(grader, TO_CORRECT, changes)
    monkeypatch.undo()
    fresh = Notation(platform, access.policy).dry_run(grader, TO_CORRECT, changes)
    assert fresh["before"]["mean"] < cold["before"]["mean"]
    if group.get("fraction") is not None:
        notation.decide_qroc(grader, TO_CORRECT, "4", [{"answer": group["answer"], "fraction": group["fraction"]}])


def test_analysis_and_exports(setup):
    _, _, notation = setup
    analysis = notation.analysis(ADMIN, FINISHED)
    assert analysis["test"]["n"] == 12 and analysis["test"]["alpha"] is not None
    question = analysis["questions"]["1"]
    assert {"facility", "sd", "discrimination_index", "point_biserial", "discriminative_efficiency"} <= set(question)
    assert sum(o["count"] for o in question["options"]) >= 12  # every candidate ticked at least one option
    assert sum(b["count"] for b in analysis["test"]["histogram"]) == 12
    media, text = notation.export(ADMIN, FINISHED, "csv")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:7] == ["eppn", "given_name", "family_name", "grade", "max_points", "grade_on_20", "status"]
    assert rows[0][7:] == [f"item_{p}" for p in range(1, 7)] and len(rows) == 13
    assert all(float(r[3]) == pytest.approx(sum(float(x) for x in r[7:]), abs=1e-3) for r in rows[1:])
    _, as_json = notation.export(ADMIN, FINISHED, "json")
    assert len(json.loads(as_json)["students"]) == 12
    with pytest.raises(NotationError, match="format"):
        notation.export(ADMIN, FINISHED, "xlsx")


def test_standard_setting(setup):
    _, _, notation = setup
    table = notation.students(ADMIN, FINISHED)["students"]
    scale = ["insuffisant", "limite", "satisfaisant"]
    ratings = {r["candidate"]: scale[min(2, int(r["items"][0] // 7))] for r in table}
    result = notation.standard_setting(ADMIN, FINISHED, {"method": "borderline-group", "item": 1, "scale": scale,
                                                         "ratings": ratings, "borderline": "limite"})
    assert result["item"] == "1" and len(result["outcome"]) == 12
    angoff = notation.standard_setting(ADMIN, FINISHED, {"method": "angoff", "estimates": [[0.5] * 6, [0.7] * 6]})
    assert angoff["pass_mark"] == pytest.approx(0.6 * 120)
    with pytest.raises(NotationError, match="estimates"):
        notation.standard_setting(ADMIN, FINISHED, {"method": "angoff", "estimates": [[2]]})


def test_access_is_scoped_to_the_epreuve_organisation(setup):
    _, access, notation = setup
    with pytest.raises(NotFound):
        notation.students(who(access, "cor1-0"), FINISHED)  # a grader of another university
    assert all(e["owner"].startswith(f"{BASE}org/univ-1") for e in notation.epreuves(who(access, "cor1-0")))
    student = who(access, "s0-0-0")
    with pytest.raises(NotFound):
        notation.students(student, FINISHED)
    with pytest.raises(NotFound):
        notation.copy(student, FINISHED, f"{BASE}person/s0-0-1")  # another student's copy


def test_students_read_their_own_published_copy_only(setup):
    _, access, notation = setup
    student = who(access, "s1-0-0")
    published = "u1f0e0-1"
    mine = notation.copy(student, published, student.person)
    assert mine["candidate"] == student.person and len(mine["questions"]) == 6
    assert published in {r["epreuve"] for r in notation.my_results(student)}
    # 12 graded candidates: the question scores their grades share are theirs to read with their grade graph.
    readable = access.policy.readable_graphs(student)
    assert {f"{BASE}graph/grades/{published}/s1-0-0", f"{BASE}graph/question-scores/{published}"} <= readable
    assert f"{BASE}graph/grades/{published}/s1-0-1" not in readable
    notation.revoke(ADMIN, published, "re-deliberation")
    with pytest.raises(NotFound):
        notation.copy(student, published, student.person)
    assert published not in {r["epreuve"] for r in notation.my_results(student)}


def test_annals_released_after_publication_to_the_formation(setup):
    platform, access, notation = setup
    manager, student = who(access, "ge0-0"), who(access, "s0-0-0")
    with pytest.raises(NotPublishable):
        notation.release_annals(manager, TO_CORRECT, [1])
    bank = notation.release_annals(manager, "u0f0e0-2", [1, 2])
    assert bank["bank"] == "univ-0-ufr-0" and len(bank["items"]) == 2
    assert [b["bank"] for b in notation.banks(student)] == ["univ-0-ufr-0"]
    assert notation.bank(student, "univ-0-ufr-0")["items"][0]["item"].endswith("/v/1")
    readable = access.policy.readable_graphs(student)
    assert f"{BASE}graph/bank/univ-0-ufr-0" in readable
    assert any(g.startswith(f"{BASE}graph/item/") and "/v/" in g for g in readable)
    assert notation.banks(who(access, "s1-0-0")) == []
    with pytest.raises(NotFound):
        notation.bank(who(access, "s1-0-0"), "univ-0-ufr-0")


def test_graders_read_their_organisation_grading_graphs(setup):
    _, access, _ = setup
    readable = access.policy.readable_graphs(who(access, "cor0-0"))
    assert f"{BASE}graph/grades/u0f0e0-1/s0-0-0" in readable
    assert f"{BASE}graph/copy/u0f0e0-1/s0-0-0" in readable
    assert f"{BASE}graph/grades/u1f0e0-1/s1-0-0" not in readable


def test_referentiel_totals_stay_the_sum_of_contributions(setup):
    platform, _, notation = setup
    assert ref_totals(platform) == contribution_sums(platform)
    totals = ref_totals(platform)
    answers = platform.store.select(f"""PREFIX os: <{OS}> PREFIX dcterms: <http://purl.org/dc/terms/>
        SELECT ?e (COUNT(?s) AS ?n) WHERE {{ ?grade os:hasQuestionScore ?s . ?s os:question ?q .
          ?q dcterms:subject ?e }}
        GROUP BY ?e""")
    for row in answers:
        assert totals[row["e"].value][0] == int(row["n"].value)


def test_unknown_epreuves_and_questions(setup):
    _, _, notation = setup
    for bad in ("nothing", "u0f0e0-99", "https://elsewhere.example/exam/x/epreuve/1"):
        with pytest.raises(NotFound):
            notation.overview(ADMIN, bad)
    with pytest.raises(NotFound):
        notation.qroc(ADMIN, TO_CORRECT, "42")


def test_a_failed_bulk_write_leaves_no_graph_behind():
    store = OxigraphStore()
    with pytest.raises(ImportFailed):
        store.replace_graphs(["http://g/1"], b"<http://a> <http://p> broken <http://g/1> .\n", ox.RdfFormat.N_QUADS)
    assert store.count() == 0, "the target graph and the import markers are gone"


def test_the_public_success_query_reads_the_aggregates(setup):
    platform, _, _ = setup
    from store.queries import QueryLibrary
    query = QueryLibrary().get("success_by_referentiel_entry")
    rows = platform.store.select(query.text)
    totals = ref_totals(platform)
    assert len(rows) == len(totals) > 0
    for row in rows:
        count, total = totals[row["entry"].value]
        assert Decimal(row["successRate"].value) == (total / count).quantize(Decimal("0.0001"))


def test_copies_read_by_one_scan_as_through_a_dataset(setup, monkeypatch):
    """Scan mode (many copies) and dataset mode (a few) read the same answers; other épreuves' copies are left out."""
    from services.notation import answers
    from tests.test_notation_types import _same_copies
    platform, _, notation = setup
    for key in (FINISHED, TO_CORRECT):
        sheet = notation.sheet(ADMIN, key)
        graphs = answers.copy_graphs(platform, notation.names, sheet)
        monkeypatch.setattr(answers, "SCAN_FROM", 10_000)
        through_dataset = answers.read_copies(platform, sheet, graphs)
        monkeypatch.setattr(answers, "SCAN_FROM", 1)
        _same_copies(answers.read_copies(platform, sheet, graphs), through_dataset)
        assert through_dataset.size == 12


def test_text_answers_read_by_their_iri_as_by_their_question(setup, monkeypatch):
    """QROC and QROL texts found by the answer's IRI (the fast path) are those the join to os:question finds;
    an answer named otherwise sends the read back to the join."""
    from services.notation import answers
    from tests.test_notation_types import _same_copies
    platform, _, notation = setup
    sheet = notation.sheet(ADMIN, TO_CORRECT)
    graphs = answers.copy_graphs(platform, notation.names, sheet)
    fast = answers.read_copies(platform, sheet, graphs)
    texts = [q.iri for q in sheet.questions if q.type in ("QROC", "QROL")]
    assert len(texts) == 3 and all(any(fast.texts[sheet.question(k).key]) for k in ("4", "5", "6"))
    monkeypatch.setattr(answers, "_texts_by_answer_iri", lambda *_: None)
    _same_copies(fast, answers.read_copies(platform, sheet, graphs))
    monkeypatch.undo()
    odd = ox.Quad(ox.NamedNode(f"{BASE}elsewhere/answer"), ox.NamedNode(OS + "textAnswer"), ox.Literal("x"),
                  ox.NamedNode(graphs[0]))
    platform.store.native.add(odd)
    try:
        assert answers._texts_by_answer_iri(platform, fast, texts, {q.iri: q for q in sheet.questions}, {}) is None
        _same_copies(fast, answers.read_copies(platform, sheet, graphs))
    finally:
        platform.store.native.remove(odd)


def _grade_quads(platform, prefix: str) -> set[str]:
    """The quads of the grade graphs under a prefix, as N-Quads lines without their save time."""
    out = io.BytesIO()
    platform.store.dump(out, ox.RdfFormat.N_QUADS)
    return {line for line in out.getvalue().decode().splitlines()
            if f"<{prefix}" in line and "generatedAtTime" not in line}


def test_a_bareme_change_patches_the_grade_graphs_as_a_full_rewrite_would(setup):
    """Saved grades computed under the barème before a change are rewritten by their changed lines only (their
    digest proves what they hold); the result is quad for quad what writing every graph again gives."""
    platform, _, notation = setup
    sheet = notation.sheet(ADMIN, TO_CORRECT)
    prefix = notation.names.grades_graph(sheet.exam_key, sheet.number, "")
    notation.grade(ADMIN, TO_CORRECT)
    saved = notation.save_bareme(ADMIN, TO_CORRECT, {"questions": {"1": {"weight": 3}, "5": {"neutralised": "full"}},
                                                     "items": {"2": {"max_points": 7}}})
    assert saved["grades"]["patched"] == saved["grades"]["written"] > 0
    patched = _grade_quads(platform, prefix)
    table = {r["candidate"]: r["grade"] for r in notation.students(ADMIN, TO_CORRECT)["students"]}
    for graph in [g.value for g in platform.store.named_graphs() if g.value.startswith(prefix)]:
        platform.writer.drop_graph(graph)
    rewritten = notation.grade(ADMIN, TO_CORRECT)
    assert rewritten["patched"] == 0 and rewritten["written"] == 12
    assert _grade_quads(platform, prefix) == patched
    assert {r["candidate"]: r["grade"] for r in notation.students(ADMIN, TO_CORRECT)["students"]} == table
    notation.save_bareme(ADMIN, TO_CORRECT, {"questions": {"1": {"weight": 1}, "5": {"neutralised": None}},
                                             "items": {"2": {"max_points": 20}}})
