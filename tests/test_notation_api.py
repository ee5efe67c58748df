"""NOTATION through HTTP and the command line: roles, statuses, bodies, exports."""

from __future__ import annotations

import csv
import io
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from services import dataset
from services.platform import Platform
from services.synthetic import Scale
from store.embedded import OxigraphStore
from tests.conftest import ADMIN_TOKEN, make_settings

B = "https://data.ontosides.fr/"
USERS = {"grader": "cor0-0", "office": "rs0-0", "manager": "ge0-0", "teacher": "t0-0-0", "student": "s0-0-1",
         "other-grader": "cor1-0"}
EXE = str(Path(__file__).resolve().parent.parent / ".venv" / "bin" / "ontosides")


def auth(name: str) -> dict:
    return {"Authorization": f"Bearer {name}"}


@pytest.fixture(scope="module")
def client():
    settings = make_settings(user_tokens={name: f"{B}person/{key}" for name, key in USERS.items()})
    platform = Platform.build(settings, OxigraphStore())
    dataset.load_demo(platform, Scale(universities=2, students_per_faculty=8, questions_per_faculty=6,
                                      referentiel_items=5, objectives_per_item=2, questions_per_epreuve=5))
    return TestClient(create_app(settings, platform.store), raise_server_exceptions=False)


def test_roles_reach_what_their_functions_allow(client):
    assert client.get("/notation/epreuves", headers=auth("teacher")).status_code == 403
    assert client.get("/notation/epreuves").status_code == 401
    listed = client.get("/notation/epreuves", headers=auth("grader")).json()
    planned = client.app.state.planner.exam_or_none  # the demo also plans an upcoming exam at the same faculty
    generated = {e["epreuve"] for e in listed if e["epreuve"].startswith("u")}
    assert generated == {"u0f0e0-1", "u0f0e0-2", "u0f0c0-1"}
    others = {e["epreuve"].rsplit("-", 1)[0] for e in listed} - {"u0f0e0", "u0f0c0"}
    assert [planned(key).title for key in others] == ["Examen de fin de semestre DFASM1"]
    assert client.get("/notation/epreuves/u0f0e0-1/students", headers=auth("other-grader")).status_code == 404
    assert client.post("/notation/epreuves/u0f0c0-1/publication", headers=auth("grader")).status_code == 403


def test_grading_screens_over_http(client):
    grader = auth("grader")
    overview = client.get("/notation/epreuves/u0f0c0-1", headers=grader).json()
    assert [i["status"] for i in overview["items"]][-3:] == ["En cours"] * 3
    computed = client.post("/notation/epreuves/u0f0c0-1/grades?save=false", headers=grader).json()
    assert computed["status"] == "En cours" and "written" not in computed
    groups = client.get("/notation/epreuves/u0f0c0-1/qroc/4", headers=grader).json()["unexpected"]
    bad = client.post("/notation/epreuves/u0f0c0-1/qroc/4", headers=grader, json=[{"fraction": 1}])
    assert bad.status_code == 422
    out_of_range = client.post("/notation/epreuves/u0f0c0-1/qroc/4", headers=grader,
                               json=[{"answer": groups[0]["answer"], "fraction": 3}])
    assert out_of_range.status_code == 422 and "fraction" in out_of_range.json()["detail"]
    decided = client.post("/notation/epreuves/u0f0c0-1/qroc/4", headers=grader,
                          json=[{"answer": g["answer"], "fraction": 0.5} for g in groups])
    assert decided.status_code == 200 and decided.json()["pending"] == 0
    preview = client.post("/notation/epreuves/u0f0c0-1/bareme/dry-run", headers=grader,
                          json={"questions": {"1": {"neutralised": "remove"}}})
    assert preview.status_code == 200 and preview.json()["after"]["max_total"] == 100
    assert client.post("/notation/epreuves/u0f0c0-1/bareme/dry-run", headers=grader,
                       json={"questions": {"1": {"neutralised": "maybe"}}}).status_code == 422
    student = f"{B}person/s0-0-1"
    copy = client.get("/notation/epreuves/u0f0c0-1/copies", params={"candidate": student}, headers=grader)
    assert copy.status_code == 200 and len(copy.json()["questions"]) == 6


def test_publication_freezes_and_exports(client):
    office = auth("office")
    assert client.post("/notation/epreuves/u0f0e0-1/grades", headers=auth("grader")).status_code == 409
    exported = client.get("/notation/epreuves/u0f0e0-1/export?format=csv", headers=auth("grader"))
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0][0] == "eppn" and len(rows) == 9
    assert client.post("/notation/epreuves/u0f0e0-1/publication/revoke", headers=office, json={}).status_code == 422
    revoked = client.post("/notation/epreuves/u0f0e0-1/publication/revoke", headers=office,
                          json={"reason": "jury du 3 février"})
    assert revoked.status_code == 200 and not revoked.json()["published"]
    assert client.post("/notation/epreuves/u0f0e0-1/grades", headers=auth("grader")).status_code == 200
    assert client.post("/notation/epreuves/u0f0e0-1/publication", headers=office).json()["published"]


def test_students_see_their_published_results_and_copy(client):
    student = auth("student")
    results = client.get("/notation/me/results", headers=student).json()
    assert {r["epreuve"] for r in results} >= {"u0f0e0-2"}
    mine = client.get("/notation/epreuves/u0f0e0-2/copies", params={"candidate": f"{B}person/s0-0-1"},
                      headers=student)
    assert mine.status_code == 200
    theirs = client.get("/notation/epreuves/u0f0e0-2/copies", params={"candidate": f"{B}person/s0-0-2"},
                        headers=student)
    assert theirs.status_code == 404
    assert client.get("/notation/epreuves/u0f0e0-2/students", headers=student).status_code == 403


def test_annals_over_http(client):
    released = client.post("/notation/epreuves/u0f0e0-2/annals", headers=auth("manager"), json={"items": [1]})
    assert released.status_code == 200
    assert client.post("/notation/epreuves/u0f0e0-2/annals", headers=auth("grader"), json={"items": [1]}).status_code == 403
    banks = client.get("/notation/banks", headers=auth("student")).json()
    assert [b["bank"] for b in banks] == ["univ-0-ufr-0"]
    sparql = client.get("/sparql", headers=auth("student"), params={
        "query": "ASK { GRAPH ?g { ?bank a <https://w3id.org/ontosides#QuestionBank> } }",
        "format": "json"})
    assert sparql.json()["boolean"] is True


def test_admin_token_grades_everything(client):
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    assert client.get("/notation/epreuves/u1f0e0-1/analysis", headers=admin).status_code == 200


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([EXE, *args], capture_output=True, text=True, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "COLUMNS": "200"})


def test_command_line_grades_exports_and_publishes(tmp_path):
    store = str(tmp_path / "store")
    assert run("demo", "--store", store).returncode == 0
    graded = run("grade", "u0f0c0-1", "--store", store)
    assert graded.returncode == 0 and "En cours" in graded.stdout and "write grades" in graded.stderr
    refused = run("publish", "u0f0c0-1", "--store", store)
    assert refused.returncode == 1 and "corrections remain" in refused.stderr
    frozen = run("grade", "u0f0e0-1", "--store", store)
    assert frozen.returncode == 1 and "officially published" in frozen.stderr
    assert run("publish", "u0f0e0-1", "--revoke", "--store", store).returncode == 1
    revoked = run("publish", "u0f0e0-1", "--revoke", "--reason", "jury", "--store", store)
    assert revoked.returncode == 0 and '"published": false' in revoked.stdout
    exported = run("grades", "export", "u0f0e0-1", "--format", "json", "-o", str(tmp_path / "g.json"), "--store", store)
    assert exported.returncode == 0 and '"students"' in (tmp_path / "g.json").read_text()
    assert run("grade", "nothing", "--store", store).returncode == 1
