"""Scoring rules: the docimology tables, vetoes, every case type, and malformed cases named by field."""

from __future__ import annotations

import numpy as np
import pytest

from services.grading import scoring
from services.grading.cases import score_case, score_cases

FIVE = ["A", "B", "C", "D", "E"]


def qrm(method: str, options: list[str], correct: list[str], ticked: list[str], **extra) -> dict:
    return {"method": method, "type": "QRM", "options": options, "correct": correct, "ticked": ticked, **extra}


def with_discordances(options: list[str], correct: list[str], d: int) -> list[str]:
    """A ticking with exactly d discordances: flip the last d options (never an empty ticking here: that is no
    answer, scored 0 whatever the table)."""
    flipped = set(options[len(options) - d:]) if d else set()
    return [o for o in options if (o in correct) != (o in flipped)]


@pytest.mark.parametrize("d, expected", [(0, 1.0), (1, 0.5), (2, 0.2), (3, 0.0), (4, 0.0), (5, 0.0)])
def test_edn_qrm_scores_by_discordances(d, expected):
    correct = ["A", "C", "D"]
    result = score_case(qrm("edn-2023", FIVE, correct, with_discordances(FIVE, correct, d)))
    assert result["score"] == pytest.approx(expected)
    assert f"{d} discordance" in result["explanation"]


def test_edn_long_list_qrm_uses_the_same_table():
    options = [f"O{i}" for i in range(12)]
    correct = options[:4]
    scores = [score_case({**qrm("edn-2023", options, correct, with_discordances(options, correct, d)),
                          "type": "QRM_LONG"})["score"] for d in range(5)]
    assert scores == pytest.approx([1, 0.5, 0.2, 0, 0])


@pytest.mark.parametrize("options, table", [(5, [1, 0.5, 0.2, 0, 0]), (4, [1, 0.425, 0.1, 0, 0]), (3, [1, 0.3, 0, 0])])
def test_sides_legacy_table_depends_on_the_number_of_options(options, table):
    names = FIVE[:options]
    correct = names[:2]
    scores = [score_case(qrm("sides-legacy", names, correct, with_discordances(names, correct, d)))["score"]
              for d in range(len(table))]
    assert scores == pytest.approx(table)


def test_sides_legacy_refuses_a_qrm_it_has_no_table_for():
    result = score_case(qrm("sides-legacy", FIVE + ["F"], ["A"], ["A"]))
    assert result["score"] is None and result["field"] == "options" and "3, 4 or 5" in result["explanation"]


def test_unacceptable_ticked_or_indispensable_missed_gives_zero_whatever_else():
    one_discordance = qrm("edn-2023", FIVE, ["A", "B"], ["A", "B", "E"])
    assert score_case(one_discordance)["score"] == 0.5
    vetoed = score_case({**one_discordance, "unacceptable": ["E"]})
    assert vetoed["score"] == 0.0 and "unacceptable option E" in vetoed["explanation"]
    missed = score_case(qrm("edn-2023", FIVE, ["A", "B"], ["B"], indispensable=["A"]))
    assert missed["score"] == 0.0 and "indispensable option A" in missed["explanation"]
    kept = score_case(qrm("edn-2023", FIVE, ["A", "B"], ["A"], indispensable=["A"]))
    assert kept["score"] == 0.5


@pytest.mark.parametrize("method", ["edn-2023", "sides-legacy"])
def test_qru_is_all_or_nothing(method):
    case = {"method": method, "type": "QRU", "options": FIVE, "correct": ["C"]}
    assert score_case({**case, "ticked": ["C"]})["score"] == 1.0
    assert score_case({**case, "ticked": ["B"]})["score"] == 0.0
    assert score_case({**case, "ticked": ["C", "D"]})["score"] == 0.0
    assert score_case({**case, "ticked": []})["score"] == 0.0


def test_nothing_ticked_is_no_answer_not_a_partial_score():
    blank = score_case(qrm("edn-2023", FIVE, ["A", "B"], []))
    assert blank["score"] == 0.0 and "no answer" in blank["explanation"]
    assert score_case(qrm("edn-2023", FIVE, ["A", "B"], ["A"]))["score"] == 0.5


def test_qrp_share_of_expected_answers_and_zero_when_over_ticked():
    case = {"method": "edn-2023", "type": "QRP", "options": FIVE, "correct": ["A", "B", "C"]}
    assert score_case({**case, "ticked": ["A", "C"]})["score"] == pytest.approx(2 / 3)
    assert score_case({**case, "ticked": ["A", "C", "E"]})["score"] == pytest.approx(2 / 3)
    over = score_case({**case, "ticked": ["A", "B", "C", "D"]})
    assert over["score"] == 0.0 and "4 options ticked, 3 announced" in over["explanation"]
    assert score_case({**case, "type": "QRP_LONG", "ticked": ["A", "B", "C"]})["score"] == 1.0


TCS = {"method": "tcs-aggregate", "type": "TCS", "scale": ["-2", "-1", "0", "+1", "+2"],
       "panel": {"-2": 0, "-1": 2, "0": 8, "+1": 4, "+2": 0}}


@pytest.mark.parametrize("answer, expected", [("0", 1.0), ("+1", 0.5), ("-1", 0.25), ("+2", 0.0), (None, 0.0)])
def test_tcs_aggregate_scoring(answer, expected):
    assert score_case({**TCS, "answer": answer})["score"] == pytest.approx(expected)


def test_tcs_two_modes_both_score_one():
    case = {**TCS, "panel": {"-1": 5, "0": 5, "+1": 2}}
    assert [score_case({**case, "answer": a})["score"] for a in ("-1", "0", "+1")] == pytest.approx([1, 1, 0.4])


def test_choice_rule_vectorised_equals_one_case_at_a_time():
    rng = np.random.default_rng(7)
    for method, qtype in [("edn-2023", "QRM"), ("sides-legacy", "QRM"), ("edn-2023", "QRP"), ("edn-2023", "QRU")]:
        for _ in range(20):
            k = int(rng.integers(3, 6)) if method == "sides-legacy" else int(rng.integers(3, 9))
            options = [chr(65 + i) for i in range(k)]
            correct = rng.random(k) < 0.4
            correct[0] = True
            if qtype == "QRU":
                correct[:] = False
                correct[int(rng.integers(k))] = True
            wrong = np.flatnonzero(~correct)
            unacceptable = np.zeros(k, bool)
            if wrong.size:
                unacceptable[wrong[0]] = rng.random() < 0.5
            indispensable = correct & (rng.random(k) < 0.3)
            ticked = rng.random((50, k)) < 0.5
            batch = scoring.choice_scores(method, qtype, ticked, correct, indispensable, unacceptable).score
            names = lambda flags: [o for o, f in zip(options, flags) if f]  # noqa: E731
            one_by_one = [score_case({"method": method, "type": qtype, "options": options, "correct": names(correct),
                                      "ticked": names(row), "indispensable": names(indispensable),
                                      "unacceptable": names(unacceptable)})["score"] for row in ticked]
            assert batch.tolist() == one_by_one
            assert ((batch >= 0) & (batch <= 1)).all()


NUMERIC = {"method": "edn-2023", "type": "NUMERIQUE", "value": 7.4, "tolerance": 0.1, "unit": "mmol/L"}


@pytest.mark.parametrize("answer, unit, expected", [
    (7.4, "mmol/L", 1.0), (7.5, "mmol/L", 1.0), (7.3, "mmol/l", 1.0), (7.51, "mmol/L", 0.0),
    ("7,45 mmol/L", None, 1.0), ("7.45", "mg/L", 0.0), (7.45, None, 0.0), (None, None, 0.0)])
def test_numeric_within_tolerance_and_unit_checked(answer, unit, expected):
    case = {**NUMERIC, "answer": answer, **({"answer_unit": unit} if unit else {})}
    assert score_case(case)["score"] == expected


def test_numeric_accepts_unit_spellings_and_micro_sign():
    case = {**NUMERIC, "value": 50, "tolerance": 5, "unit": ["µmol/L", "umol/l"], "answer": "52 μmol/L"}
    assert score_case(case)["score"] == 1.0


ZONE = {"method": "edn-2023", "type": "ZONE",
        "areas": [{"shape": "rect", "coords": "10,10,20,30"}, {"shape": "circle", "coords": [100, 100, 5]},
                  {"shape": "poly", "coords": "200,200,240,200,220,240"}]}


@pytest.mark.parametrize("point, expected", [
    ([15, 20], 1.0), ([20, 30], 1.0), ([21, 20], 0.0), ([103, 104], 1.0), ([104, 104], 0.0),
    ([220, 210], 1.0), ([220, 200], 1.0), ([239, 238], 0.0), (None, 0.0), ({"x": 15, "y": 11}, 1.0)])
def test_zone_point_inside_an_area(point, expected):
    assert score_case({**ZONE, "answer": point})["score"] == expected


def test_association_share_or_all_or_nothing():
    case = {"method": "edn-2023", "type": "ASSOCIATION", "pairs": [["a", "1"], ["b", "2"], ["c", "3"], ["d", "4"]],
            "answer": {"a": "1", "b": "2", "c": "4", "d": "3"}}
    assert score_case(case)["score"] == 0.5
    assert score_case({**case, "scoring": "all-or-nothing"})["score"] == 0.0
    right = {**case, "answer": [["a", "1"], ["b", "2"], ["c", "3"], ["d", "4"]], "scoring": "all-or-nothing"}
    assert score_case(right)["score"] == 1.0
    assert score_case({**case, "answer": {"a": "1"}})["score"] == 0.25


def test_kfp_scores_each_key_feature_then_averages():
    features = [{"type": "QRU", "options": FIVE, "correct": ["A"], "ticked": ["A"]},
                qrm("edn-2023", FIVE[:4], ["A", "B"], ["A"]),
                {"type": "NUMERIQUE", "value": 3, "answer": 4}]
    features[1].pop("method")
    case = {"method": "edn-2023", "type": "KFP", "key_features": features}
    assert score_case(case)["score"] == pytest.approx(0.5)
    assert score_case({**case, "weights": [2, 1, 1]})["score"] == pytest.approx(2.5 / 4)
    assert score_case({**case, "dichotomous": True})["score"] == pytest.approx(1 / 3)
    legacy = score_case({**case, "method": "sides-legacy"})  # the key features inherit the case's method
    assert legacy["score"] == pytest.approx((1 + 0.425) / 3)


def test_ecos_checklist_points_and_global_rating():
    case = {"method": "edn-2023", "type": "ECOS",
            "checklist": [{"item": "se présente", "points": 1}, {"item": "lavage des mains", "points": 1},
                          {"item": "examen", "points": 2}],
            "checked": ["se présente", 2], "global_rating": "satisfaisant",
            "rating_scale": ["insuffisant", "limite", "satisfaisant", "très bien", "excellent"]}
    result = score_case(case)
    assert result["score"] == 0.75 and "'satisfaisant' (not in the score)" in result["explanation"]
    assert score_case({**case, "rating_weight": 0.2})["score"] == pytest.approx(0.8 * 0.75 + 0.2 * 0.5)
    assert score_case({**case, "obtained": {"examen": 1}})["score"] == 0.5


def test_qroc_case_accepts_synonyms_and_waits_for_a_grader():
    case = {"method": "edn-2023", "type": "QROC", "accepted": ["pneumopathie", "pneumonie"]}
    assert score_case({**case, "answer": "  PNEUMONIES. "})["score"] == 1.0
    pending = score_case({**case, "answer": "pneumonite"})
    assert pending["score"] is None and "field" not in pending and "Levenshtein 1" in pending["explanation"]
    decided = score_case({**case, "answer": "Pneumonite", "decisions": {"pneumonite": 0.5}})
    assert decided["score"] == 0.5


@pytest.mark.parametrize("case, field", [
    ({"type": "QRU", "options": FIVE, "correct": ["A"], "ticked": []}, "method"),
    ({"method": "edn-2024", "type": "QRU"}, "method"),
    ({"method": "edn-2023", "type": "QCM"}, "type"),
    ({"method": "edn-2023", "type": "QRM", "options": FIVE, "ticked": []}, "correct"),
    ({"method": "edn-2023", "type": "QRM", "options": FIVE, "correct": ["A"]}, "ticked"),
    ({"method": "edn-2023", "type": "QRM", "options": FIVE, "correct": ["Z"], "ticked": []}, "correct"),
    ({"method": "edn-2023", "type": "QRM", "options": "ABCDE", "correct": [], "ticked": []}, "options"),
    ({"method": "edn-2023", "type": "QRM", "options": FIVE, "correct": ["A"], "ticked": ["A", "A"]}, "ticked"),
    ({"method": "edn-2023", "type": "QRU", "options": FIVE, "correct": ["A", "B"], "ticked": []}, "correct"),
    ({"method": "edn-2023", "type": "QRM", "options": FIVE, "correct": ["A"], "ticked": [],
      "unacceptable": ["A"]}, "unacceptable"),
    ({"method": "edn-2023", "type": "QRM", "options": FIVE, "correct": ["A"], "ticked": [],
      "indispensable": ["B"]}, "indispensable"),
    ({"method": "tcs-aggregate", "type": "QRM", "options": FIVE, "correct": ["A"], "ticked": []}, "method"),
    ({**TCS, "panel": {"0": 0}, "answer": "0"}, "panel"),
    ({**TCS, "panel": {"+3": 1}, "answer": "0"}, "panel"),
    ({**TCS, "panel": {"0": -1}, "answer": "0"}, "panel"),
    ({**TCS, "answer": "+3"}, "answer"),
    ({**NUMERIC, "answer": "beaucoup"}, "answer"),
    ({**NUMERIC, "tolerance": -1, "answer": 7}, "tolerance"),
    ({**NUMERIC, "value": True, "answer": 7}, "value"),
    ({**ZONE, "areas": [{"shape": "rect", "coords": "1,2,3"}], "answer": [1, 1]}, "areas[0]"),
    ({**ZONE, "answer": [1]}, "answer"),
    ({"method": "edn-2023", "type": "ASSOCIATION", "pairs": [["a", "1"]], "answer": {"z": "1"}}, "answer"),
    ({"method": "edn-2023", "type": "ASSOCIATION", "pairs": [["a", "1"], ["a", "2"]], "answer": {}}, "pairs"),
    ({"method": "edn-2023", "type": "KFP", "key_features": []}, "key_features"),
    ({"method": "edn-2023", "type": "KFP", "key_features": [{"type": "QRU"}], "weights": [1]},
     "key_features[0].options"),
    ({"method": "edn-2023", "type": "ECOS", "checklist": [{"item": "x", "points": 0}]}, "checklist[0]"),
    ({"method": "edn-2023", "type": "ECOS", "checklist": [{"item": "x", "points": 1}], "checked": ["y"]}, "checked"),
    ({"method": "edn-2023", "type": "QROC", "accepted": [], "answer": "x"}, "accepted"),
    ({"method": "edn-2023", "type": "QROL", "max_points": 4, "points": 5}, "points"),
    (["not", "an", "object"], "case"),
])
def test_a_malformed_case_names_its_field(case, field):
    result = score_case(case)
    assert result["score"] is None
    assert result["field"] == field
    assert result["explanation"].startswith(field + ":")


def test_cases_are_answered_in_order_and_errors_do_not_stop_the_others():
    cases = [qrm("edn-2023", FIVE, ["A"], ["A"]), {"method": "edn-2023"}, {**TCS, "answer": "+1"}]
    results = score_cases(cases)
    assert [r["score"] for r in results] == [1.0, None, 0.5]
