"""Semi-automatic QROC correction, barèmes with dry runs, and standard setting for ECOS."""

from __future__ import annotations

import numpy as np
import pytest

from services.grading.bareme import Bareme, BaremeError, ItemRule, QuestionRule, dry_run, grade
from services.grading.qroc import correct_qroc, normalise
from services.grading.standard_setting import (
    StandardSettingError, angoff, borderline_group, borderline_regression, pass_fail, rating_positions,
)


@pytest.mark.parametrize("raw, folded", [
    ("Pneumopathies  aiguës!", "pneumopathie aigue"), ("  INSUFFISANCE-cardiaque. ", "insuffisance cardiaque"),
    ("Œdème aigu du poumon", "oedeme aigu du poumon"), ("os", "os"), ("Hypoxies", "hypoxie"), ("", "")])
def test_normalise_folds_case_accents_spaces_punctuation_and_plural(raw, folded):
    assert normalise(raw) == folded


def test_qroc_groups_unexpected_answers_with_their_distance():
    answers = ["Pneumonie", "pneumopathies", "pneumonite", "Pneumonite ", "asthme", None, "", "PNEUMONITE",
               "pneumonies", "bronchite"]
    result = correct_qroc(answers, ["pneumopathie", "pneumonie"])
    assert result.status[:3] == ["expected", "expected", "unexpected"]
    assert result.status[5:7] == ["empty", "empty"]
    assert result.expected_counts == {"pneumopathie": 1, "pneumonie": 2}
    groups = [(g.text, g.count, g.nearest, g.distance) for g in result.unexpected]
    assert groups[0] == ("pneumonite", 3, "pneumonie", 1)
    assert [g[3] for g in groups] == sorted(g[3] for g in groups)
    assert result.unexpected[0].spellings == {"pneumonite": 1, "Pneumonite": 1, "PNEUMONITE": 1}
    assert result.unexpected[0].candidates == [2, 3, 7]
    assert np.isnan(result.scores[2]) and result.scores[0] == 1.0 and result.scores[5] == 0.0


def test_a_grader_decision_scores_the_whole_group():
    result = correct_qroc(["pneumonite", "Pneumonites", "asthme"], ["pneumonie"], {"Pneumonite": 0.5})
    assert result.scores[:2].tolist() == [0.5, 0.5] and np.isnan(result.scores[2])
    assert result.status == ["decided", "decided", "unexpected"]
    assert result.as_dict()["scores"] == [0.5, 0.5, None]


QUESTIONS = ["q1", "q2", "q3", "q4"]
FRACTIONS = np.array([[1, 1, 0, 1], [0, 0.5, 1, 1], [1, 0, 0, 0.2]])
BAREME = Bareme({"dp1": ItemRule(("q1", "q2", "q3"), max_points=20, coefficient=2),
                 "qi": ItemRule(("q4",), max_points=10, coefficient=1)})


def test_item_grade_weights_and_coefficients():
    grades = grade(FRACTIONS, QUESTIONS, BAREME)
    assert grades.item_grades[:, 0] == pytest.approx(20 * FRACTIONS[:, :3].mean(axis=1))
    assert grades.totals == pytest.approx(2 * 20 * FRACTIONS[:, :3].mean(axis=1) + 10 * FRACTIONS[:, 3])
    assert grades.max_total == 50
    weighted = Bareme(BAREME.items, {"q1": QuestionRule(weight=2)})
    assert grade(FRACTIONS, QUESTIONS, weighted).item_grades[1, 0] == pytest.approx(20 * (0 + 0.5 + 1) / 4)


def test_neutralised_question_removed_rescales_or_gives_full_marks():
    removed = Bareme(BAREME.items, {"q3": QuestionRule(neutralised="remove")})
    assert grade(FRACTIONS, QUESTIONS, removed).item_grades[:, 0] == pytest.approx([20, 5, 10])
    full = Bareme(BAREME.items, {"q3": QuestionRule(neutralised="full")})
    assert grade(FRACTIONS, QUESTIONS, full).item_grades[:, 0] == pytest.approx([20, 10, 40 / 3])
    every = Bareme(BAREME.items, {"q4": QuestionRule(neutralised="remove")})
    assert grade(FRACTIONS, QUESTIONS, every).max_total == 40  # the item lost its only question


def test_dry_run_says_who_moves_and_the_distributions():
    after = Bareme(BAREME.items, {"q3": QuestionRule(neutralised="full")})
    report = dry_run(FRACTIONS, QUESTIONS, ["ana", "ben", "chloé"], BAREME, after)
    assert {m["candidate"] for m in report["moved"]} == {"ana", "chloé"}  # ben had q3 right: unchanged
    assert [m["delta"] for m in report["moved"]] == pytest.approx([2 * 20 / 3] * 2)
    assert report["summary"]["moved"] == 2 and report["summary"]["up"] == 2 and report["summary"]["down"] == 0
    assert report["before"]["mean"] < report["after"]["mean"]
    assert sum(b["count"] for b in report["after"]["histogram"]) == 3


def test_bareme_from_json_names_the_faulty_field():
    bareme = Bareme.from_dict({"items": {"dp1": {"questions": ["q1", "q2"], "max_points": 20, "coefficient": 3}},
                               "questions": {"q2": {"weight": 2, "neutralised": "remove"}}})
    assert bareme.items["dp1"].coefficient == 3 and bareme.rule("q2").neutralised == "remove"
    for data, field in [({"items": {}}, "items"),
                        ({"items": {"a": {"questions": ["q1"], "max_points": -1}}}, "items.a.max_points"),
                        ({"items": {"a": {"questions": ["q1"]}, "b": {"questions": ["q1"]}}}, "items.b.questions"),
                        ({"items": {"a": {"questions": ["q1"]}}, "questions": {"q9": {}}}, "questions.q9"),
                        ({"items": {"a": {"questions": ["q1"]}}, "questions": {"q1": {"neutralised": "x"}}},
                         "questions.q1.neutralised")]:
        with pytest.raises(BaremeError, match=f"^{field}"):
            Bareme.from_dict(data)
    with pytest.raises(BaremeError, match="without scores: q9"):
        grade(FRACTIONS, QUESTIONS, Bareme({"a": ItemRule(("q9",))}))


def test_borderline_regression_and_group():
    ratings = np.array([0, 1, 1, 2, 2, 3, 4, 4])
    scores = 10 + 5 * ratings + np.array([0.5, -0.5, 0.5, 0, 0, -0.5, 0.5, -0.5])
    fit = borderline_regression(scores, ratings, borderline=1)
    slope, intercept = np.polyfit(ratings, scores, 1)
    assert fit["pass_mark"] == pytest.approx(intercept + slope) and fit["slope"] == pytest.approx(slope)
    group = borderline_group(scores, ratings, borderline=1)
    assert group["pass_mark"] == pytest.approx(15) and group["n_borderline"] == 2
    with pytest.raises(StandardSettingError, match="2 different ratings"):
        borderline_regression(scores, np.ones(8), 1)
    with pytest.raises(StandardSettingError, match="no candidate"):
        borderline_group(scores, ratings, borderline=5)
    scale = ["insuffisant", "limite", "satisfaisant"]
    assert rating_positions(["limite", "insuffisant"], scale).tolist() == [1, 0]


def test_angoff_and_the_pass_fail_list():
    estimates = np.array([[0.6, 0.8, 0.5], [0.7, 0.9, 0.4]])
    result = angoff(estimates, np.array([1, 1, 2]))
    assert result["per_judge"] == pytest.approx([2.4, 2.4]) and result["pass_mark"] == pytest.approx(2.4)
    assert result["per_item"] == pytest.approx([0.65, 0.85, 0.9])
    with pytest.raises(StandardSettingError, match="probability"):
        angoff(np.array([[1.2]]))
    decided = pass_fail(["a", "b", "c"], np.array([2.4, 2.39, 3]), 2.4)
    assert [d["passed"] for d in decided] == [True, False, True]
