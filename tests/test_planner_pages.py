"""PLANIFICATEUR pages without a browser and without JavaScript: plain form posts answered by a redirect, the
rules' refusals shown in words with nothing written, the item search as an htmx fragment, who sees the planner
on their home page; the browser journey is tests/browser/test_browser_planner.py."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from api.app import create_app
from api.csrf import CSRF_COOKIE
from services import dataset
from services.platform import Platform
from services.synthetic import Scale
from store.embedded import OxigraphStore
from tests.conftest import make_settings
from tests.page_forms import dump, fields, post, signed_in

BASE = "https://data.ontosides.fr/"
UFR0 = f"{BASE}org/univ-0/ufr-0"
UNIV0 = f"{BASE}org/univ-0"
OFFER0 = f"{BASE}offer/univ-0-ufr-0-dfasm1-2025"
COHORT0 = f"{BASE}group/univ-0-ufr-0-dfasm1-2025"
SMALL = Scale(universities=2, students_per_faculty=3, questions_per_faculty=4, referentiel_items=5,
              objectives_per_item=2, questions_per_epreuve=3)


@pytest.fixture(scope="module")
def app():
    """The platform over a small demo (two universities), with demo sign-in."""
    settings = make_settings(demo_login=True)
    platform = Platform.build(settings, OxigraphStore(base_iri=settings.base_iri))
    dataset.load_demo(platform, SMALL)
    return create_app(settings, platform.store)


def test_the_planner_is_on_the_home_page_of_the_school_office_and_the_exam_manager(app):
    for person in ("rs0-0", "ge0-0"):
        home = html.unescape(signed_in(app, person).get("/ui/").text)
        for href, label in (("/ui/planner/exams", "Gestion des examens"), ("/ui/planner/calendar", "Calendrier"),
                            ("/ui/planner/usage", "Statistiques d'usage")):
            assert f'<a href="{href}">{label}</a>' in home, (person, href)
    student = signed_in(app, "s0-0-0")
    assert "/ui/planner" not in student.get("/ui/").text
    refused = student.get("/ui/planner/exams")
    assert refused.status_code == 403 and "planner:read" in refused.text


def test_an_exam_is_planned_with_plain_forms_and_refusals_are_said_in_words(app):
    office = signed_in(app, "rs0-0")
    day = (dt.date.today() + dt.timedelta(days=120)).isoformat()
    form = [("title", "Examen de cardiologie DFASM1"), ("short_name", "CARDIO"), ("owner", UFR0),
            ("universities", UNIV0), ("offers", OFFER0), ("epreuve_title", "Cas cliniques"),
            ("type", "Épreuve facultaire"), ("day", day), ("time", "09:30"), ("duration", "90"),
            ("grading_method", "edn-2023"), ("shuffle_options", "on"), ("show_question_count", "on")]
    # A refused creation shows the form again, as typed, with the reason; nothing is written.
    before = dump(app)
    again = office.post("/ui/planner/exams", data=fields(office, [*form[:-4], ("duration", "zéro")]))
    assert again.status_code == 200 and "Rien n'a été enregistré : duration" in html.unescape(again.text)
    assert 'value="Examen de cardiologie DFASM1"' in again.text and dump(app) == before

    where, said = post(office, "/ui/planner/exams", form)
    assert said == "Examen « Examen de cardiologie DFASM1 » créé."
    key = where.rsplit("/", 1)[1]
    exam = app.state.planner.exam_or_none(key)
    epreuve = exam.epreuve(1)
    assert (exam.owner, exam.universities, exam.offers) == (UFR0, [UNIV0], [OFFER0])
    assert epreuve.duration_minutes == 90 and epreuve.display.shuffle_options and not epreuve.display.shuffle_items
    assert epreuve.start.astimezone(app.state.planner.zone).strftime("%Y-%m-%d %H:%M") == f"{day} 09:30"
    base = f"/ui/planner/exams/{key}/epreuves/1"

    # Made ready too soon: the rule says what is missing, and nothing changes.
    before = dump(app)
    _, said = post(office, f"{base}/status", {"status": "ready"})
    assert said.startswith("Rien n'a été enregistré : épreuve 1 cannot be ready")
    assert "no item is linked" in said and "no group is registered" in said
    assert dump(app) == before

    # Items: the search offers what the exam's organisation may link (htmx gets the results alone).
    found = html.unescape(office.get(f"{base}/items/search", params={"q": "QRU"}, headers={"HX-Request": "true"}).text)
    assert "<html" not in found and "u0f0q0" in found and "u1f0q0" not in found
    assert "u1f0q0" not in html.unescape(office.get(f"{base}/items").text)
    picker = office.get(f"/planner/exams/{key}/items", params={"kind": "QRU"}).json()  # the same, through the API
    assert picker and all(i["kind"] == "QI QRU" and i["id"].startswith("u0f0") for i in picker)
    assert [i["title"] for i in picker] == sorted((i["title"] for i in picker), key=str.casefold)
    wrong = office.get(f"/planner/exams/{key}/items", params={"kind": "QCM"})
    assert wrong.status_code == 422 and "not an item kind" in wrong.json()["detail"]
    for item in ("u0f0q0", "u0f0q1"):
        _, said = post(office, f"{base}/items/add", {"item": item})
        assert said == f"Élément {item} lié."
    _, said = post(office, f"{base}/items/add", {"item": "u1f0q0"})
    assert "not visible to the exam's organisation" in said
    _, said = post(office, f"{base}/items", [("item", "u0f0q0"), ("coefficient", "2,5"), ("item", "u0f0q1"),
                                             ("coefficient", "1"), ("action", "down:0")])
    assert said == "L'ordre des éléments est modifié."
    slots = app.state.planner.exam_or_none(key).epreuve(1).slots
    assert [(s.item_id, s.coefficient) for s in slots] == [("u0f0q1", 1.0), ("u0f0q0", 2.5)]

    # Registrations: the cohort, one exclusion; extra time for one candidate.
    _, said = post(office, f"{base}/registrations", {"groups": COHORT0, "added": "", "excluded": "s0-0-2"})
    assert said == "Les inscriptions sont enregistrées."
    _, said = post(office, f"{base}/extra-time", {"new_candidate": "s0-0-1", "new_minutes": "30"})
    assert said == "Le temps supplémentaire est enregistré."
    candidates = html.unescape(office.get(f"{base}/candidates").text)
    assert "2 candidats" in candidates and "s0-0-0" in candidates and "s0-0-2" not in candidates
    assert "30 min" in candidates

    _, said = post(office, f"{base}/status", {"status": "ready"})
    assert said == "L'épreuve est prête."
    page = html.unescape(office.get(base).text)
    assert 'badge plan-ready">Prête<' in page and "Revenir au brouillon" in page
    monday = dt.date.fromisoformat(day) - dt.timedelta(days=dt.date.fromisoformat(day).weekday())
    calendar = html.unescape(office.get("/ui/planner/calendar",
                                        params={"from": monday.isoformat(), "organisation": UFR0}).text)
    assert "Examen de cardiologie DFASM1 — Cas cliniques" in calendar and "09:30 → 11:00" in calendar
    listing = html.unescape(office.get("/ui/planner/exams", params={"status": "ready"}).text)
    assert "Examen de cardiologie DFASM1" in listing and f"/planner/exams/{key}/download?format=trig" in listing
    bat = html.unescape(office.get(f"{base}/bat").text)
    assert "Question 1" in bat and "Corrigé" in bat and "(coefficient 2.5)" in bat
    assert f"/planner/exams/{key}/epreuves/1/bat?format=pdf" in bat

    # Once it started, the exam is kept: its deletion is refused in words.
    _, said = post(office, f"{base}/status", {"status": "running"})
    assert said == "L'épreuve a commencé : ses candidats sont figés."
    before = dump(app)
    where, said = post(office, f"/ui/planner/exams/{key}/delete", {})
    assert where == f"/ui/planner/exams/{key}" and f"exam {key} cannot be deleted" in said
    assert dump(app) == before


def test_an_exam_manager_adds_an_epreuve_and_a_grader_only_reads(app):
    manager = signed_in(app, "ge0-0")
    key = re.search(r'href="/ui/planner/exams/(e[0-9a-f]+)">Examen de fin de semestre',
                    html.unescape(manager.get("/ui/planner/exams").text))[1]
    where, said = post(manager, f"/ui/planner/exams/{key}/epreuves",
                       {"epreuve_title": "Rattrapage", "duration": "60", "day": "", "time": ""})
    number = int(where.rsplit("/", 1)[1])
    assert said.startswith(f"Épreuve {number} ajoutée") and number == 3
    where, said = post(manager, f"/ui/planner/exams/{key}/epreuves/{number}/delete", {})
    assert where == f"/ui/planner/exams/{key}" and said == f"Épreuve {number} retirée."
    grader = signed_in(app, "cor0-0")
    page = grader.get(f"/ui/planner/exams/{key}/epreuves/1")
    assert page.status_code == 200 and "Rendre prête" not in page.text and "Enregistrer l'épreuve" not in page.text
    refused = grader.post(f"/ui/planner/exams/{key}/epreuves/1/status",
                          data={"status": "draft", "csrf_token": grader.cookies[CSRF_COOKIE]})
    assert refused.status_code == 403


def test_usage_statistics_page(app):
    office = signed_in(app, "rs0-0")
    page = html.unescape(office.get("/ui/planner/usage").text)
    assert "Statistiques d'usage" in page and "u0f0q0" in page and "u1f0q0" not in page
    rows = re.findall(r'<td class="plan-number">(\d+)</td>', page)
    assert rows and any(int(r) > 0 for r in rows)
    nothing = html.unescape(office.get("/ui/planner/usage", params={"specialty": f"{BASE}nothing"}).text)
    assert "Aucun élément ne correspond à ces filtres." in nothing
