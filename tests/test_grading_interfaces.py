"""`ontosides score` and `POST /grading/score`: the same JSON in and out."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from services.grading.cases import score_cases
from store.embedded import OxigraphStore
from tests.conftest import make_settings

EXE = str(Path(sys.executable).parent / "ontosides")
CASES = [
    {"method": "edn-2023", "type": "QRM", "options": ["A", "B", "C", "D", "E"], "correct": ["A", "C"],
     "ticked": ["A"], "indispensable": [], "unacceptable": ["E"]},
    {"method": "sides-legacy", "type": "QRM", "options": ["A", "B", "C", "D"], "correct": ["A", "C"],
     "ticked": ["A", "B", "C"], "indispensable": [], "unacceptable": []},
    {"method": "tcs-aggregate", "type": "TCS", "scale": ["-2", "-1", "0", "+1", "+2"],
     "panel": {"-2": 0, "-1": 1, "0": 6, "+1": 3, "+2": 0}, "answer": "+1"},
    {"method": "edn-2023", "type": "QRU", "options": ["A", "B"], "correct": ["A"], "ticked": ["Z"]},
]


def run_score(stdin: str) -> subprocess.CompletedProcess:
    return subprocess.run([EXE, "score"], input=stdin, capture_output=True, text=True, timeout=60)


def test_score_reads_stdin_and_prints_one_result_per_case_in_order():
    done = run_score(json.dumps(CASES))
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    assert [r["score"] for r in results] == [0.5, 0.425, 0.5, None]
    assert all(isinstance(r["explanation"], str) and r["explanation"] for r in results)
    assert results[3]["field"] == "ticked"


@pytest.mark.parametrize("stdin, message", [('{"method": "edn-2023"}', "not an object"), ("QRM", "not JSON"),
                                            ("", "not JSON")])
def test_score_refuses_input_that_is_not_a_json_list(stdin, message):
    done = run_score(stdin)
    assert done.returncode == 1 and message in done.stderr and "Traceback" not in done.stderr


def test_post_grading_score_answers_like_the_command():
    client = TestClient(create_app(make_settings(), OxigraphStore()))
    answer = client.post("/grading/score", json=CASES)
    assert answer.status_code == 200
    assert answer.json() == json.loads(json.dumps(score_cases(CASES)))
    assert client.post("/grading/score", json={"not": "a list"}).status_code == 422


def test_the_benchmark_scores_like_the_cases_do():
    from bench.grading_core import make_answers, score_all

    questions = make_answers(60, 12, seed=5)
    fractions = score_all(questions)
    assert fractions.shape == (60, 12) and ((fractions >= 0) & (fractions <= 1)).all()
    q = questions[0]  # a QRM with an unacceptable option
    options = [chr(65 + i) for i in range(q["correct"].size)]
    names = lambda flags: [o for o, f in zip(options, flags) if f]  # noqa: E731
    one_by_one = score_cases([{"method": "edn-2023", "type": q["type"], "options": options,
                               "correct": names(q["correct"]), "ticked": names(row),
                               "unacceptable": names(q["unacceptable"])} for row in q["ticked"]])
    assert [r["score"] for r in one_by_one] == fractions[:, 0].tolist()
