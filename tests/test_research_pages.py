"""The dashboards of issue 15 as pages (no browser): the Directeur des études' students in difficulty, a student's
progress next to their cohort, the researcher's console and charts; who may open which; YASGUI served from the
npm install, and the plain console when it is missing. Figures are checked against the grades read directly."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.csrf import CSRF_COOKIE
from api.pages import dashboards as pages
from services import dataset
from services.platform import Platform
from services.research.dashboards import position, quartiles
from services.synthetic import Scale
from store.embedded import OxigraphStore
from tests.conftest import ADMIN_TOKEN, make_settings
from tests.page_forms import signed_in

B = "https://data.ontosides.fr/"
OS = "https://w3id.org/ontosides#"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
STUDENTS = 6
PUBLISHED = (f"{B}exam/u0f0e0/epreuve/1", f"{B}exam/u0f0e0/epreuve/2")  # the demo publishes these two


@pytest.fixture(scope="module")
def app():
    settings = make_settings(demo_login=True, user_tokens={}, research_secret="pages-secret")
    platform = Platform.build(settings, OxigraphStore(base_iri=settings.base_iri))
    dataset.load_demo(platform, Scale(universities=1, students_per_faculty=STUDENTS, questions_per_faculty=6,
                                      referentiel_items=3, objectives_per_item=2, questions_per_epreuve=3))
    app = create_app(settings, platform.store)
    admin = TestClient(app)
    body = {"key": "pages", "title": "Tableaux de bord", "ethics_approval": "CER-1", "organisations": [f"{B}org/univ-0"],
            "period_start": "2025-09-01", "period_end": "2026-08-31", "researchers": [f"{B}person/ch0-0"], "k": 1}
    assert admin.post("/research/projects", json=body, headers=ADMIN).status_code == 201
    assert admin.post("/research/projects/pages/build", headers=ADMIN).status_code == 200
    return app


def published_means(app) -> dict[str, float]:
    """Each student's mean out of 20 over the published épreuves, read by the administrator."""
    rows = app.state.platform.store.select(
        f"SELECT ?s ?score ?max WHERE {{ ?g a <{OS}Grade> ; <{OS}student> ?s ; <{OS}epreuve> ?e ; <{OS}score> ?score ;"
        f" <{OS}maxPoints> ?max . VALUES ?e {{ {' '.join(f'<{e}>' for e in PUBLISHED)} }} "
        f"FILTER(!CONTAINS(STR(?g), '/research/')) }}").rows
    grades: dict[str, list[float]] = {}
    for r in rows:
        grades.setdefault(r["s"].value, []).append(20 * float(r["score"].value) / float(r["max"].value))
    return {s: sum(v) / len(v) for s, v in grades.items()}


def cells(html: str, row_header: str) -> list[str]:
    row = re.search(r"<tr><th scope=\"row\">" + re.escape(row_header) + r"</th>(.*?)</tr>", html, re.S)
    assert row, row_header
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)]


def test_quartiles_and_positions():
    assert quartiles([]) is None and quartiles([0.5]) == (0.5, 0.5, 0.5)
    assert quartiles([0, 0.25, 0.5, 0.75, 1]) == (0.25, 0.5, 0.75)
    assert quartiles([1, 2, 3, 4]) == (1.75, 2.5, 3.25)
    q = (0.25, 0.5, 0.75)
    assert [position(v, q) for v in (0.1, 0.3, 0.5, 0.75, 0.9)] == ["below-q1", "q1-median", "median-q3",
                                                                      "median-q3", "above-q3"]


def test_the_directeur_des_etudes_sees_the_students_in_difficulty_of_their_formation(app):
    browser = signed_in(app, "de0-0")
    home = browser.get("/ui/").text
    assert "/ui/dashboards/followup" in home and "Étudiants en difficulté" in home
    page = browser.get("/ui/dashboards/followup", params={"threshold": "21", "fall": "0", "absences": "0"})
    assert page.status_code == 200, page.text
    html = page.text
    assert "DFASM1 2025-2026" in html and "<svg class=\"spark\"" in html
    means = published_means(app)
    assert len(means) == STUDENTS
    people = app.state.cockpit.people
    for student, mean in means.items():
        name = people.get(student).display()
        row = cells(html, name)
        assert row[0] == "2" and row[1] == f"{mean:.1f}".replace(".", "."), (name, row, mean)
    # A threshold no one is under: only those the other criteria catch (none asked here).
    empty = browser.get("/ui/dashboards/followup", params={"threshold": "0", "fall": "0", "absences": "0"}).text
    assert "Aucun étudiant de cette formation ne franchit ces seuils." in empty
    # The unpublished épreuve of January 1st does not count, so nobody has three graded épreuves.
    assert "<td class=\"num\">3</td>" not in html


def test_who_may_open_the_follow_up(app):
    assert signed_in(app, "s0-0-0").get("/ui/dashboards/followup").status_code == 403
    assert signed_in(app, "ch0-0").get("/ui/dashboards/followup").status_code == 403
    anonymous = TestClient(app).get("/ui/dashboards/followup", follow_redirects=False)
    assert anonymous.status_code in (303, 307, 401)
    directeur = signed_in(app, "de0-0")
    assert directeur.get("/ui/dashboards/followup", params={"offer": f"{B}offer/elsewhere"}).status_code == 404


def test_a_student_sees_their_progress_next_to_their_cohort(app):
    browser = signed_in(app, "s0-0-0")
    page = browser.get("/ui/dashboards/progress")
    assert page.status_code == 200, page.text
    html = page.text
    assert "Ma progression" in html and "<svg class=\"box-plot\"" in html
    # Independently: the student's success per item over the published épreuves, and the cohort's quartiles.
    store = app.state.platform.store
    rows = store.select(
        f"""PREFIX os: <{OS}> PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT ?s ?item ?score ?f WHERE {{
          ?g a os:Grade ; os:student ?s ; os:epreuve ?e ; os:hasQuestionScore ?score . ?score os:question ?q ; os:fraction ?f .
          {{ SELECT DISTINCT ?q ?item WHERE {{ ?q <http://purl.org/dc/terms/subject> ?o . ?o skos:broader ?item .
             ?item os:itemNumber ?n }} }}
          VALUES ?e {{ {' '.join(f'<{e}>' for e in PUBLISHED)} }} FILTER(!CONTAINS(STR(?score), '/research/')) }}""").rows
    per: dict[tuple[str, str], list[float]] = {}
    for r in rows:
        per.setdefault((r["s"].value, r["item"].value), []).append(float(r["f"].value))
    me = f"{B}person/s0-0-0"
    items = sorted({item for s, item in per if s == me})
    assert items
    for item in items:
        own = sum(per[(me, item)]) / len(per[(me, item)])
        cohort = [sum(v) / len(v) for (s, i), v in per.items() if i == item]
        q = quartiles(cohort)
        assert len(cohort) == STUDENTS
        expected = f"{own * 100:.0f} %"
        assert expected in html
        assert f"{q[0] * 100:.0f} · {q[1] * 100:.0f} · {q[2] * 100:.0f} %" in html
    # Only the published épreuves over time, never the unpublished one.
    def day(epreuve):
        return store.select(f"SELECT ?t WHERE {{ <{epreuve}> <{OS}startTime> ?t }}").rows[0]["t"].value[:10]
    assert all(f'<time datetime="{day(e)}' in html for e in PUBLISHED)
    assert f'<time datetime="{day(B + "exam/u0f0c0/epreuve/1")}' not in html
    # No other student's name on the page.
    people = app.state.cockpit.people
    others = [people.get(f"{B}person/s0-0-{i}").display() for i in range(1, STUDENTS)]
    assert not any(name in html for name in others)


def test_the_cohort_is_hidden_under_the_minimum_group(app, monkeypatch):
    monkeypatch.setattr("services.research.dashboards.MIN_GROUP", STUDENTS + 1)
    html = signed_in(app, "s0-0-0").get("/ui/dashboards/progress").text
    assert "moins de 7 étudiants : non affiché" in html and "<rect class=\"box\"" not in html


def test_the_researcher_page_console_examples_and_chart(app):
    browser = signed_in(app, "ch0-0")
    page = browser.get("/ui/research")
    assert page.status_code == 200, page.text
    html = page.text
    assert "Tableaux de bord" in html and "CER-1" in html
    for name in ("success_by_referentiel_rank", "students_in_difficulty", "cohort_comparison", "answer_patterns"):
        assert f'id="ex-{name}"' in html
    assert pages.yasgui_available()
    assert 'id="research-yasgui"' in html and "/ui/research/assets/yasgui.min.js" in html
    asset = browser.get("/ui/research/assets/yasgui.min.js")
    assert asset.status_code == 200 and len(asset.content) > 100_000
    assert browser.get("/ui/research/assets/other.js").status_code == 404
    chart = browser.get("/ui/research/chart/success_by_referentiel_rank", params={"minAnswers": "1"})
    assert chart.status_code == 200, chart.text
    assert "<svg class=\"bars\"" in chart.text and "successRate" in chart.text
    # The chart reads the researcher's dataset: the project's pseudonymised copies, the same rates as the query.
    answer = browser.get("/queries/success_by_referentiel_rank/run", params={"minAnswers": "1"},
                         headers={"X-CSRF-Token": browser.cookies[CSRF_COOKIE]})
    assert answer.status_code == 200
    for b in answer.json()["results"]["bindings"]:
        assert f"{float(b['successRate']['value']):.4g}" in chart.text
    bad = browser.get("/ui/research/chart/student_progress", params={"student": "not an iri"})
    assert bad.status_code == 200 and "flash error" in bad.text
    assert browser.get("/ui/research/chart/nope").status_code == 404


def test_the_console_falls_back_to_the_plain_one_without_yasgui(app, monkeypatch, tmp_path):
    monkeypatch.setattr(pages, "YASGUI_DIR", tmp_path / "missing")
    html = signed_in(app, "ch0-0").get("/ui/research").text
    assert 'id="research-yasgui"' not in html and 'href="/ui/sparql"' in html
    assert "yasgui.min.js" not in html


def test_who_may_open_the_research_pages(app):
    student = signed_in(app, "s0-0-0")
    assert student.get("/ui/research").status_code == 403
    assert student.get("/ui/research/chart/success_by_referentiel_rank").status_code == 403
    assert signed_in(app, "de0-0").get("/ui/dashboards/progress").status_code == 200  # their own (none)
