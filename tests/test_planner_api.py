"""PLANIFICATEUR through the API, on the demo data: an exam with two épreuves is built, its groups registered,
its bon à tirer printed as PDF and read back, downloaded, and refused deletion once started; every rule answers
with a clear message and a refused change writes nothing."""

from __future__ import annotations

import io
import json
import shutil
import subprocess

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from services import dataset
from services.platform import Platform
from services.synthetic import Scale
from store.embedded import OxigraphStore
from tests.conftest import ADMIN_TOKEN, make_settings

BASE = "https://data.ontosides.fr/"
UNIV0, UFR0, UFR1 = f"{BASE}org/univ-0", f"{BASE}org/univ-0/ufr-0", f"{BASE}org/univ-1/ufr-0"
COHORT0 = f"{BASE}group/univ-0-ufr-0-dfasm1-2025"
COHORT1 = f"{BASE}group/univ-1-ufr-0-dfasm1-2025"
OFFER0 = f"{BASE}offer/univ-0-ufr-0-dfasm1-2025"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def person(key: str) -> str:
    return f"{BASE}person/{key}"


@pytest.fixture(scope="module")
def planner():
    """An app over a small demo (two universities), with a platform token for each role's demo person."""
    settings = make_settings(user_tokens={})
    platform = Platform.build(settings, OxigraphStore(base_iri=settings.base_iri))
    dataset.load_demo(platform, Scale(universities=2, students_per_faculty=6, questions_per_faculty=8,
                                      referentiel_items=4, objectives_per_item=2, questions_per_epreuve=3))
    app = create_app(settings, platform.store)
    client = TestClient(app)
    client.tokens = {}
    for key in ("rs0-0", "ge0-0", "cor0-0", "rs1-0", "t0-0-0", "s0-0-0"):
        token, _ = app.state.access.tokens.issue(person(key), "test", 1, None)
        client.tokens[key] = {"Authorization": f"Bearer {token}"}
    client.platform = platform
    client.app_state = app.state
    return client


def dump(platform) -> bytes:
    buffer = io.BytesIO()
    platform.store.dump(buffer, ox.RdfFormat.N_QUADS)
    return b"\n".join(sorted(buffer.getvalue().splitlines()))


def new_exam(client, headers, **extra) -> dict:
    body = {"title": "Examen de cardiologie DFASM1", "short_name": "CARDIO1", "offers": [OFFER0],
            "epreuves": [{"title": "Cas cliniques", "start": "2031-03-10T09:00:00", "duration_minutes": 120,
                          "slots": [{"item": "u0f0q0", "coefficient": 2}, {"item": "u0f0q1"}],
                          "registrations": {"groups": [COHORT0]}},
                         {"title": "Questions isolées", "type": "Épreuve facultaire", "start": "2031-03-10T14:00:00",
                          "duration_minutes": 90, "slots": [{"item": "u0f0q2"}, {"item": "u0f0q3"}],
                          "registrations": {"groups": [COHORT0]}, "display": {"shuffle_options": True}}]}
    body.update(extra)
    response = client.post("/planner/exams", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_an_exam_with_two_epreuves_is_built_printed_downloaded_and_kept_once_started(planner):
    rs = planner.tokens["rs0-0"]
    exam = new_exam(planner, rs)
    key = exam["key"]
    assert exam["owner"] == UFR0 and exam["universities"] == [UNIV0] and exam["status"] == "draft"
    assert [e["number"] for e in exam["epreuves"]] == [1, 2]
    first = exam["epreuves"][0]
    assert first["start"].startswith("2031-03-10T09:00:00+01:00") and first["end"].startswith("2031-03-10T11:00")
    assert [s["coefficient"] for s in first["slots"]] == [2.0, 1.0]
    assert all("/v/" in s["version"] and s["item"].endswith(s["item_id"]) for s in first["slots"])
    assert first["candidates"] == 6, "the cohort's six students"

    # An ad-hoc group registered too, one student excluded, another granted a third more time.
    group = planner.post("/cockpit/groups", headers=rs, json={"name": "Rattrapage", "institutions": [UFR0],
                                                               "members": [person("s0-0-0"), person("t0-0-1")]})
    assert group.status_code == 201, group.text
    offered = planner.get(f"/planner/exams/{key}/groups", headers=rs).json()
    assert {g["iri"] for g in offered} >= {COHORT0, group.json()["iri"]} and COHORT1 not in {g["iri"] for g in offered}
    registered = planner.put(f"/planner/exams/{key}/epreuves/1/registrations", headers=rs,
                             json={"groups": [COHORT0, group.json()["iri"]], "excluded": [person("s0-0-5")]})
    assert registered.status_code == 200, registered.text
    extra = planner.put(f"/planner/exams/{key}/epreuves/1/extra-time", headers=rs,
                        json=[{"candidate": person("s0-0-1"), "minutes": 40}])
    assert extra.json()["extra_time"] == [{"candidate": person("s0-0-1"), "minutes": 40}]
    listed = planner.get(f"/planner/exams/{key}/epreuves/1/candidates", headers=rs).json()
    ids = {c["id"] for c in listed["candidates"]}
    assert not listed["frozen"] and listed["count"] == 6 and "t0-0-1" in ids and "s0-0-5" not in ids
    assert next(c for c in listed["candidates"] if c["id"] == "s0-0-1")["extra_minutes"] == 40

    for number in (1, 2):
        ready = planner.post(f"/planner/exams/{key}/epreuves/{number}/status", headers=rs, json={"status": "ready"})
        assert ready.status_code == 200, ready.text
    assert planner.get(f"/planner/exams/{key}", headers=rs).json()["status"] == "ready"

    # The bon à tirer: numbered questions, the shuffle options stated, the key in its own part.
    html = planner.get(f"/planner/exams/{key}/epreuves/2/bat", headers=rs)
    assert html.status_code == 200 and "Question 2" in html.text and "Mélanger les propositions" in html.text
    pdf = planner.get(f"/planner/exams/{key}/epreuves/2/bat?format=pdf", headers=rs)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    text = pdftotext(pdf.content)
    assert "Bon à tirer" in text and "Question 1" in text and "Question 2" in text
    subject, key_part = text.split("Corrigé", 1)
    assert "Mélanger les propositions de réponses" in subject and "oui" in subject
    assert "Réponse(s) juste(s)" in key_part and "Réponse(s) juste(s)" not in subject
    versions = [s["version"] for s in planner.get(f"/planner/exams/{key}", headers=rs).json()["epreuves"][1]["slots"]]
    right = right_letters(planner.platform, versions[0])
    assert f"Réponse(s) juste(s) : {right}" in " ".join(key_part.split())

    # Downloads: the graphs as TriG (exam, versions), the same as JSON.
    trig = planner.get(f"/planner/exams/{key}/download?format=trig", headers=rs)
    dataset_ = {q.graph_name.value for q in ox.parse(trig.content, ox.RdfFormat.TRIG)}
    assert f"{BASE}graph/exam/{key}" in dataset_ and any("/v/" in g for g in dataset_)
    as_json = planner.get(f"/planner/exams/{key}/download?format=json", headers=rs).json()
    assert as_json["key"] == key and len(as_json["epreuves"]) == 2 and set(as_json["items"]) >= set(versions)

    # Started (explicitly, as EXAMEN does at the start): the candidates are frozen, the exam cannot go.
    running = planner.post(f"/planner/exams/{key}/epreuves/1/status", headers=rs, json={"status": "running"})
    assert running.status_code == 200 and running.json()["status"] == "running"
    frozen = planner.get(f"/planner/exams/{key}/epreuves/1/candidates", headers=rs).json()
    assert frozen["frozen"] and frozen["count"] == 6
    before = dump(planner.platform)
    refused = planner.delete(f"/planner/exams/{key}", headers=rs)
    assert refused.status_code == 409 and "started" in refused.json()["detail"]
    moved = planner.patch(f"/planner/exams/{key}/epreuves/1", headers=rs, json={"duration_minutes": 30})
    assert moved.status_code == 409
    assert dump(planner.platform) == before


def pdftotext(content: bytes) -> str:
    exe = shutil.which("pdftotext")
    assert exe, "pdftotext is missing: `make test` installs poppler-utils"
    return subprocess.run([exe, "-layout", "-", "-"], input=content, capture_output=True, check=True).stdout.decode()


def right_letters(platform, version: str) -> str:
    rows = platform.store.select(
        "PREFIX os: <https://w3id.org/ontosides#> SELECT ?p WHERE { ?v os:hasOption ?o . ?o os:isCorrect true ; "
        "os:position ?p } ORDER BY ?p", {"v": ox.NamedNode(version)}).rows
    return ", ".join(chr(64 + int(r["p"].value)) for r in rows)
