"""Legacy SIDES import: list by e-mail, preview, prefill then save, and a whole legacy épreuve."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph

from api.app import create_app
from services.synthetic import Scale
from services import dataset
from services.platform import Platform
from store.embedded import OxigraphStore
from tests.conftest import make_settings

BASE = "https://data.ontosides.fr/"
LEGACY = Path(__file__).parent / "data" / "legacy_sides.ttl"
ALICE, BOB = f"{BASE}person/t0-0-0", f"{BASE}person/t0-0-1"
AS_ALICE, AS_BOB = {"Authorization": "Bearer alice"}, {"Authorization": "Bearer bob"}


@pytest.fixture
def client(tmp_path):
    settings = make_settings(user_tokens={"alice": ALICE, "bob": BOB}, media_dir=str(tmp_path / "media"))
    platform = Platform.build(settings, OxigraphStore())
    dataset.load_demo(platform, Scale(universities=1, students_per_faculty=3, questions_per_faculty=3,
                                      referentiel_items=3, objectives_per_item=2, questions_per_epreuve=3))
    # Alice's account carries her legacy address among others; Bob has none matching.
    people = Graph().parse(data=f"""@prefix os: <https://w3id.org/ontosides#> .
        <{ALICE}> os:email "alice.martin@univ-grenoble.fr" .""", format="turtle")
    platform.writer.extend_graph(f"{BASE}graph/people/univ-0", people)
    dataset.load_file(platform, LEGACY, graph="urn:ontosides:legacy:extract-2021-07", validate=False)
    return TestClient(create_app(settings, platform.store))


def test_list_matches_any_of_the_users_emails(client):
    mine = client.get("/legacy/items", headers=AS_ALICE).json()
    assert [i["id"] for i in mine] == ["eval201", "q101", "q102", "q104"]
    zone = next(i for i in mine if i["id"] == "q104")
    assert not zone["importable"] and "replace them by a QRU" in zone["reason"]
    assert client.get("/legacy/items", headers=AS_BOB).json() == []
    assert client.post("/legacy/items/q101/prefill", headers=AS_BOB).status_code == 404


def test_preview_prefill_then_save(client):
    teacher = client.get("/legacy/items/q102/preview", params={"view": "teacher"}, headers=AS_ALICE).json()
    assert [o["criticality"] for o in teacher["question"]["options"]] == ["indispensable", None, None, "unacceptable"]
    assert any("image" in p for p in teacher["problems"])
    student = client.get("/legacy/items/q102/preview", params={"view": "student", "format": "html"}, headers=AS_ALICE)
    assert "Vue étudiant" in student.text and "✔" not in student.text
    prefilled = client.post("/legacy/items/eval201/prefill", headers=AS_ALICE).json()
    item = prefilled["item"]
    assert item["kind"] == "DP" and item["legacy_id"] == "eval201" and len(item["questions"]) == 2
    assert item["questions"][1]["accepted_answers"] == ["SCA", "Syndrome coronarien aigu"]
    saved = client.post("/items", json=item, headers=AS_ALICE)
    assert saved.status_code == 201, saved.text
    assert saved.json()["legacy_id"] == "eval201"
    refused = client.post("/legacy/items/q104/prefill", headers=AS_ALICE).json()
    assert refused["item"] is None and "ZONE" in refused["problems"][0]


def test_whole_legacy_epreuve_imports_as_items_and_an_evaluation(client):
    report = client.post("/legacy/epreuves/ep301/import", headers=AS_ALICE).json()
    assert report["written"] is True
    by_id = {r["legacy_id"]: r for r in report["items"]}
    assert by_id["q104"]["saved"] is None and "ZONE" in by_id["q104"]["problems"][0]
    assert all(by_id[i]["saved"] for i in ("q101", "q102", "eval201"))
    platform = client.app.state.platform
    rows = platform.store.select(f"""PREFIX os: <https://w3id.org/ontosides#>
        SELECT ?element WHERE {{ <{report['evaluation']}> os:hasEpreuve/os:hasSlot/os:element ?element }}""")
    assert len(rows) == 3
    strict = client.post("/legacy/epreuves/ep301/import", params={"strict": "true"}, headers=AS_ALICE).json()
    assert strict["written"] is False and all(r["saved"] is None for r in strict["items"])
    assert client.post("/legacy/epreuves/q101/import", headers=AS_ALICE).status_code == 404
