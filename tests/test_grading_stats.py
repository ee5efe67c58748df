"""CTT statistics against numbers computed by Moodle's own calculators (tests/data/moodle_stats/README.md)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats as scipy_stats

from services.grading.matrix import MatrixError, apply_maxima, read_scores_csv
from services.grading.stats import analyse, histogram, option_analysis, question_statistics

DATA = Path(__file__).parent / "data" / "moodle_stats"
SETS = sorted(p.name.removesuffix(".moodle.json") for p in DATA.glob("*.moodle.json"))
EXE = str(Path(sys.executable).parent / "ontosides")
TOLERANCE = 1e-9


def load(name: str):
    matrix = read_scores_csv((DATA / f"{name}.csv").read_text())
    matrix = apply_maxima(matrix, json.loads((DATA / f"{name}.max.json").read_text()))
    return matrix, json.loads((DATA / f"{name}.moodle.json").read_text())


def moodle_expectations(moodle: dict) -> dict:
    """Moodle's raw fields in our names: cic is α × 100; the report shows a question's sd as sd / maxmark."""
    t = moodle["test"]
    test = {"n": t["allattemptscount"], "mean": t["allattemptsavg"], "median": t["median"],
            "sd": t["standarddeviation"], "skewness": t["skewness"], "kurtosis": t["kurtosis"],
            "alpha": None if t["cic"] is None else t["cic"] / 100, "sem": t["standarderror"]}
    questions = {}
    for name, q in moodle["questions"].items():
        questions[name] = {"facility": q["facility"],
                           "sd": None if q["sd"] is None or q["maxmark"] == 0 else q["sd"] / q["maxmark"],
                           "discrimination_index": q["discriminationindex"],
                           "discriminative_efficiency": q["discriminativeefficiency"]}
    return {"test": test, "questions": questions}


def same(ours, theirs) -> bool:
    if theirs is None or ours is None:
        return ours is None and theirs is None
    return abs(ours - theirs) <= TOLERANCE


def test_the_fixtures_are_there():
    assert len(SETS) >= 10, "tests/data/moodle_stats lost its data sets"


@pytest.mark.parametrize("name", SETS)
def test_agrees_with_moodle_to_1e9(name):
    matrix, moodle = load(name)
    ours = analyse(matrix.marks, matrix.questions, matrix.maxima)
    expected = moodle_expectations(moodle)
    for key, value in expected["test"].items():
        assert same(ours["test"][key], value), f"{name} test.{key}: {ours['test'][key]} vs Moodle {value}"
    for question, row in expected["questions"].items():
        for key, value in row.items():
            got = ours["questions"][question][key]
            assert same(got, value), f"{name} {question}.{key}: {got} vs Moodle {value}"


@pytest.mark.parametrize("name", SETS)
def test_effective_weight_agrees_with_moodle(name):
    matrix, moodle = load(name)
    ours = question_statistics(matrix.marks, matrix.maxima)["effective_weight"]
    covariances = [q["covariancewithoverallmark"] for q in moodle["questions"].values()]
    if any(c is not None and 0 < abs(c) < 1e-12 for c in covariances):
        # Moodle's covariance with the total is rounding noise here (it centres the totals on 0, not on their
        # mean); exactly, every covariance is 0, so no question has an effective weight
        assert ours == [None] * len(ours)
        return
    for got, q in zip(ours, moodle["questions"].values()):
        assert same(got, q["effectiveweight"])


@pytest.mark.parametrize("name", ["rasch_dichotomous", "polytomous_maxima", "large_mixed"])
def test_point_biserial_is_pearson_with_the_total(name):
    matrix, _ = load(name)
    ours = question_statistics(matrix.marks, matrix.maxima)["point_biserial"]
    totals = matrix.marks.sum(axis=1)
    for j, got in enumerate(ours):
        column = matrix.marks[:, j]
        if column.min() == column.max():
            assert got is None
        else:
            assert got == pytest.approx(scipy_stats.pearsonr(column, totals).statistic, abs=1e-12)


def test_alpha_on_dichotomous_items_is_kr20():
    matrix, _ = load("rasch_dichotomous")
    x = matrix.marks
    p = x.mean(axis=0)
    k = x.shape[1]
    kr20 = k / (k - 1) * (1 - (p * (1 - p)).sum() / x.sum(axis=1).var())
    assert analyse(x, matrix.questions)["test"]["alpha"] == pytest.approx(kr20, abs=1e-12)


def test_skewness_and_kurtosis_are_the_unbiased_estimators():
    matrix, _ = load("large_mixed")
    totals = matrix.marks.sum(axis=1)
    test = analyse(matrix.marks, matrix.questions)["test"]
    assert test["skewness"] == pytest.approx(scipy_stats.skew(totals, bias=False), abs=1e-12)
    assert test["kurtosis"] == pytest.approx(scipy_stats.kurtosis(totals, bias=False), abs=1e-12)


def test_the_command_prints_the_documented_json_with_null_not_nan():
    done = subprocess.run([EXE, "stats", "--scores", str(DATA / "edge_n4.csv"), "--max", str(DATA / "edge_n4.max.json")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "NaN" not in done.stdout
    printed = json.loads(done.stdout)
    assert set(printed["test"]) == {"n", "mean", "median", "sd", "skewness", "kurtosis", "alpha", "sem"}
    assert set(printed["questions"]["q01"]) == {"facility", "sd", "discrimination_index", "point_biserial",
                                                "discriminative_efficiency"}
    assert printed["questions"]["q02"]["facility"] is None  # a question out of 0 points
    matrix, moodle = load("edge_n4")
    assert printed == json.loads(json.dumps(analyse(matrix.marks, matrix.questions, matrix.maxima)))


def test_the_command_names_the_bad_line_and_column(tmp_path):
    bad = tmp_path / "scores.csv"
    bad.write_text("candidate,q1,q2\nc1,1,0\nc2,1,abc\n")
    done = subprocess.run([EXE, "stats", "--scores", str(bad)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "line 3, column 'q2': 'abc' is not a number" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("text, message", [
    ("", "line 1"),
    ("candidate\nc1\n", "no question column"),
    ("candidate,q1,q1\nc1,1,1\n", "question 'q1' appears twice"),
    ("candidate,q1\nc1,1\nc1,0\n", "line 3: candidate 'c1' already on line 2"),
    ("candidate,q1,q2\nc1,1\n", "line 2: 2 fields where the header has 3"),
    ("candidate,q1\nc1,nan\n", "line 2, column 'q1'"),
])
def test_a_bad_scores_file_is_refused_with_its_line(text, message):
    with pytest.raises(MatrixError, match=message):
        read_scores_csv(text)


def test_semicolons_and_decimal_commas_as_spreadsheets_write_them():
    matrix = read_scores_csv("candidat;q1;q2\nc1;0,5;1\n\nc2;1;0,25\n")
    assert matrix.questions == ["q1", "q2"] and matrix.marks.tolist() == [[0.5, 1.0], [1.0, 0.25]]


def test_maxima_must_name_known_questions():
    matrix = read_scores_csv("candidate,q1,q2\nc1,1,2\n")
    assert apply_maxima(matrix, {"q2": 4}).maxima.tolist() == [1.0, 4.0]
    assert apply_maxima(matrix, [2, 3]).maxima.tolist() == [2.0, 3.0]
    with pytest.raises(MatrixError, match="'q9' is not a question"):
        apply_maxima(matrix, {"q9": 1})
    with pytest.raises(MatrixError, match="not a number"):
        apply_maxima(matrix, {"q1": -1})


def test_no_candidate_gives_nulls():
    result = analyse(np.zeros((0, 3)), ["a", "b", "c"])
    assert result["test"]["n"] == 0 and result["test"]["mean"] is None
    assert result["questions"]["a"]["facility"] is None


def test_histogram_and_distractor_analysis():
    totals = np.array([0, 1, 1, 2, 3, 4, 4, 4])
    bands = histogram(totals, bins=4, upper=4)
    assert [b["count"] for b in bands] == [1, 2, 1, 4] and bands[-1]["to"] == 4
    chosen = np.array([[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 1, 0]], bool)
    rows = option_analysis(chosen, np.array([10, 8, 4, 2]), ["A", "B", "C"])
    assert rows[0] == {"option": "A", "count": 2, "share": 0.5, "mean_total": 9.0}
    assert rows[1]["mean_total"] == 3.0 and rows[2]["count"] == 0 and rows[2]["mean_total"] is None
    assert not any(isinstance(r["mean_total"], float) and math.isnan(r["mean_total"]) for r in rows)
