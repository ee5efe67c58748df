"""`ontosides exams …` on a demo store: the planned exam the demo step adds is listed, shown, printed as PDF, in
the iCalendar file, and its candidates frozen; an unknown exam ends in one line."""

from __future__ import annotations

import json

import pytest

from tests.conftest import copy_store
from tests.test_cli import run
from tests.test_planner_api import pdftotext


@pytest.fixture(scope="module")
def store(cli_demo_template, tmp_path_factory) -> str:
    """A copy of the `make run` demo store (`ontosides demo`)."""
    return copy_store(cli_demo_template, tmp_path_factory.mktemp("planner-cli") / "store")


def planned_key(store: str) -> str:
    rows = run("exams", "list", "--store", store, "--status", "ready")
    assert rows.returncode == 0, rows.stderr
    # The planner's demo exam (the EXAMEN demo opens a training épreuve, ready too, beside it).
    line = next(line for line in rows.stdout.splitlines() if "Examen de fin de semestre DFASM1" in line)
    return next(word for word in line.split() if word.startswith("e") and len(word.strip("│")) == 11).strip("│")


def test_the_demo_holds_a_planned_exam_with_two_epreuves_and_registered_groups(store):
    key = planned_key(store)
    shown = run("exams", "show", key, "--store", store)
    exam = json.loads(shown.stdout)
    assert len(exam["epreuves"]) == 2 and exam["epreuves"][0]["status"] == "ready"
    assert len(exam["epreuves"][0]["registrations"]["groups"]) == 2, "the cohort and an ad-hoc group"
    assert exam["epreuves"][0]["extra_time"][0]["minutes"] == 40 and exam["epreuves"][0]["candidates"] >= 40
    listed = run("exams", "list", "--store", store)
    assert "Examen de fin de semestre DFASM1" in listed.stdout and "finished" in listed.stdout


def test_bat_ics_and_freeze_from_the_command_line(store, tmp_path):
    key = planned_key(store)
    pdf = tmp_path / "bat.pdf"
    done = run("exams", "bat", key, "1", "-o", str(pdf), "--store", store)
    assert done.returncode == 0, done.stderr
    text = pdftotext(pdf.read_bytes())
    assert "Question 1" in text and "Corrigé" in text
    agenda = run("exams", "ics", "--store", store)
    assert agenda.stdout.startswith("BEGIN:VCALENDAR") and f"/exam/{key}/epreuve/2" in agenda.stdout.replace("\n ", "")
    frozen = run("exams", "freeze", key, "2", "--store", store)
    assert frozen.returncode == 0 and "candidate(s) frozen" in frozen.stdout
    missing = run("exams", "bat", "nothing", "1", "--store", store)
    assert missing.returncode == 1 and "no exam nothing" in missing.stderr and "Traceback" not in missing.stderr
