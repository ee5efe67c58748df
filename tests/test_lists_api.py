"""The list library through the HTTP API: levels, inheritance end to end, diff, history, exports, auth."""

from __future__ import annotations

import csv
import io
import json

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph
from rdflib.namespace import SKOS

from api.app import create_app
from services.synthetic import Scale
from services import dataset
from services.platform import Platform
from store.embedded import OxigraphStore
from tests.conftest import ADMIN_TOKEN, USER_TOKEN, make_settings

OFF = "https://w3id.org/ontosides#Officiel"
BASE = "https://data.ontosides.fr/"
UNIV, UFR, OTHER_UNIV = f"{BASE}org/univ-0", f"{BASE}org/univ-0/ufr-0", f"{BASE}org/univ-1"
DEPT = f"{BASE}org/univ-0/ufr-0/dept-cardio"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
LIST_ADMIN_TOKEN = "list-admin-of-univ-0"
LIST_ADMIN = {"Authorization": f"Bearer {LIST_ADMIN_TOKEN}"}
USER = {"Authorization": f"Bearer {USER_TOKEN}"}
SPEC = f"{BASE}list/specialites"
CARDIO, ORL, PNEUMO = f"{SPEC}/cardiologie", f"{SPEC}/orl", f"{SPEC}/pneumologie"


@pytest.fixture
def client():
    """A fresh demo store with a department under UFR 0 (a fourth level) and a list administrator of univ-0."""
    settings = make_settings(user_tokens={USER_TOKEN: f"{BASE}person/t0-0-0",
                                          LIST_ADMIN_TOKEN: f"{BASE}person/t0-0-1"})
    platform = Platform.build(settings, OxigraphStore())
    dataset.load_demo(platform, Scale(universities=2, students_per_faculty=5, questions_per_faculty=5,
                                      referentiel_items=5, objectives_per_item=3, questions_per_epreuve=5))
    extra = Graph().parse(data=f"""
        @prefix os: <https://w3id.org/ontosides#> . @prefix org: <http://www.w3.org/ns/org#> .
        @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
        <{DEPT}> a os:Faculty ; skos:prefLabel "Département de cardiologie"@fr ; org:unitOf <{UFR}> .
        <{BASE}person/t0-0-1/function/lists> a os:FunctionAssignment ; org:member <{BASE}person/t0-0-1> ;
            org:role os:AdministrateurListes ; org:organization <{UNIV}> .""", format="turtle")
    platform.writer.replace_graph(f"{BASE}graph/test-extra", extra)
    return TestClient(create_app(settings, platform.store))


def effective(client, key, level, **params):
    response = client.get(f"/lists/{key}", params={"level": level, **params})
    assert response.status_code == 200, response.text
    return response.json()


def label_of(doc, iri):
    return next(e["labels"].get("fr") for e in doc["entries"] if e["iri"] == iri)


def iris(doc):
    return [e["iri"] for e in doc["entries"]]


def test_levels_categories_and_catalogue(client):
    levels = {level["iri"]: level for level in client.get("/lists/levels").json()}
    assert levels[UFR]["parent"] == UNIV and levels[UNIV]["parent"] == OFF and levels[DEPT]["parent"] == UFR
    categories = {c["labels"]["fr"] for c in client.get("/lists/categories").json()}
    assert categories == {"Connaissances", "ECOS", "Académiques", "Echelles d'évaluation",
                          "Compétences et attendus", "Facultaire"}
    keys = {entry["key"] for entry in client.get("/lists", params={"level": UFR}).json()}
    assert {"referentiel", "familles-connaissance", "echelle-tcs", "echelle-competences",
            "echelle-activite-apprentissage", "regions-ars", "universites", "specialites", "institutions",
            "formations"} <= keys


def test_inheritance_end_to_end_at_three_levels_and_deeper(client):
    assert client.post("/lists/specialites/changes", headers=ADMIN, json={
        "level": UNIV, "kind": "relabel", "target": CARDIO, "labels": {"fr": "Cardiologie et vasculaire"}}).status_code == 204
    added = client.post("/lists/specialites/entries", headers=ADMIN, json={
        "level": UFR, "labels": {"fr": "Cardiologie pédiatrique"}, "parent": CARDIO, "notation": "CARDIO-PED"})
    assert added.status_code == 201, added.text
    child = added.json()["iri"]
    assert client.post("/lists/specialites/changes", headers=ADMIN, json={
        "level": UFR, "kind": "hide", "target": ORL}).status_code == 204
    assert client.post("/lists/specialites/changes", headers=ADMIN, json={
        "level": DEPT, "kind": "reorder", "target": PNEUMO, "order": 0}).status_code == 204

    officiel, univ, ufr, dept = (effective(client, "specialites", lvl) for lvl in (OFF, UNIV, UFR, DEPT))
    assert label_of(officiel, CARDIO) == "Cardiologie" and label_of(univ, CARDIO) == "Cardiologie et vasculaire"
    assert label_of(ufr, CARDIO) == label_of(dept, CARDIO) == "Cardiologie et vasculaire"
    assert child in iris(ufr) and child in iris(dept) and child not in iris(univ)
    assert ORL in iris(univ) and ORL not in iris(ufr) and ORL not in iris(dept)
    assert iris(dept)[0] == PNEUMO and iris(ufr)[0] != PNEUMO
    ufr_child = next(e for e in ufr["entries"] if e["iri"] == child)
    assert ufr_child["parent"] == CARDIO and ufr_child["depth"] == 1 and ufr_child["origin"] == UFR
    # the same entry IRIs at every level
    assert set(iris(officiel)) - {ORL} <= set(iris(ufr))

    # upstream change flows down; an upstream change under an override keeps the override
    assert client.post("/lists/specialites/changes", headers=ADMIN, json={
        "level": OFF, "kind": "relabel", "target": PNEUMO, "labels": {"fr": "Pneumologie adulte"}}).status_code == 204
    assert client.post("/lists/specialites/changes", headers=ADMIN, json={
        "level": OFF, "kind": "relabel", "target": CARDIO, "labels": {"fr": "Cardio officielle"}}).status_code == 204
    ufr = effective(client, "specialites", UFR)
    assert label_of(ufr, PNEUMO) == "Pneumologie adulte"
    assert label_of(ufr, CARDIO) == "Cardiologie et vasculaire"

    # a hidden parent hides its subtree
    assert client.post("/lists/specialites/changes", headers=ADMIN, json={
        "level": DEPT, "kind": "hide", "target": CARDIO}).status_code == 204
    dept = effective(client, "specialites", DEPT)
    assert CARDIO not in iris(dept) and child not in iris(dept)
    diff = client.get("/lists/specialites/diff", params={"level": DEPT}).json()
    assert any(c["text"] == "hid 'Cardiologie et vasculaire' and its 1 descendant(s)" for c in diff["changes"])

    # revert a local change: the inherited value shows again
    assert client.delete("/lists/specialites/changes", headers=ADMIN,
                         params={"level": DEPT, "target": CARDIO, "kind": "hide"}).status_code == 204
    assert CARDIO in iris(effective(client, "specialites", DEPT))


def test_override_of_an_entry_removed_upstream_is_reported(client):
    assert client.post("/lists/specialites/changes", headers=ADMIN, json={
        "level": UFR, "kind": "relabel", "target": ORL, "labels": {"fr": "ORL et CCF"}}).status_code == 204
    removed = client.delete("/lists/specialites/entries", headers=ADMIN, params={"level": OFF, "entry": ORL})
    assert removed.status_code == 200 and removed.json()["removed"] == [ORL]
    ufr = effective(client, "specialites", UFR)
    assert ORL not in iris(ufr)
    assert [(p["kind"], p["target"], p["level"]) for p in ufr["problems"]] == [("relabel", ORL, UFR)]
    diff = client.get("/lists/specialites/diff", params={"level": UFR}).json()
    assert diff["problems"] and "removed upstream" in diff["problems"][0]["message"]
    # an inherited entry cannot be removed below its owner, only hidden
    refused = client.delete("/lists/specialites/entries", headers=ADMIN, params={"level": UFR, "entry": CARDIO})
    assert refused.status_code == 422 and "hide it" in refused.json()["detail"]


def test_local_list_is_inherited_below_only(client):
    created = client.post("/lists", headers=ADMIN, json={
        "level": UFR, "name": "Examens blancs", "labels": {"fr": "Examens blancs"},
        "category": f"{BASE}list-category/Facultaire"})
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    added = client.post(f"/lists/{key}/entries", headers=ADMIN, json={
        "level": UFR, "labels": {"fr": "Blanc n°1"}, "notation": "B1", "order": 1})
    assert added.status_code == 201, added.text
    assert [e["labels"]["fr"] for e in effective(client, key, DEPT)["entries"]] == ["Blanc n°1"]
    assert client.get(f"/lists/{key}", params={"level": UNIV}).status_code == 422
    assert key not in {entry["key"] for entry in client.get("/lists", params={"level": UNIV}).json()}


def test_history_says_who_changed_what_and_when(client):
    client.post("/lists/specialites/changes", headers=LIST_ADMIN, json={
        "level": UFR, "kind": "hide", "target": ORL})
    assert client.get("/lists/specialites/history", params={"level": UFR}).status_code == 401
    history = client.get("/lists/specialites/history", params={"level": UFR}, headers=LIST_ADMIN).json()
    assert history[0]["who"] == f"{BASE}person/t0-0-1"
    assert history[0]["summary"] == "hid 'ORL'" and history[0]["at"].startswith("20")
    diff = client.get("/lists/specialites/diff", params={"level": UFR}).json()
    assert diff["changes"][0]["by"] == f"{BASE}person/t0-0-1"


def test_list_admin_rights_follow_the_levels(client):
    change = {"level": UFR, "kind": "hide", "target": ORL}
    assert client.post("/lists/specialites/changes", json=change).status_code == 401
    assert client.post("/lists/specialites/changes", headers=USER, json=change).status_code == 403
    assert client.post("/lists/specialites/changes", headers=LIST_ADMIN, json=change).status_code == 204
    assert client.post("/lists/specialites/changes", headers=LIST_ADMIN,
                       json={**change, "level": OTHER_UNIV}).status_code == 403
    assert client.post("/lists/specialites/changes", headers=LIST_ADMIN,
                       json={**change, "level": OFF}).status_code == 403


def test_errors_name_the_list_entry_or_level(client):
    missing = client.get("/lists/nope", params={"level": UFR})
    assert missing.status_code == 404 and "no list 'nope'" in missing.json()["detail"]
    level = client.get("/lists/specialites", params={"level": f"{BASE}org/nowhere"})
    assert level.status_code == 404 and "unknown level" in level.json()["detail"]
    entry = client.post("/lists/specialites/changes", headers=ADMIN,
                        json={"level": UFR, "kind": "hide", "target": f"{SPEC}/nope"})
    assert entry.status_code == 404 and f"{SPEC}/nope" in entry.json()["detail"]
    parent = client.post("/lists/specialites/entries", headers=ADMIN,
                         json={"level": UFR, "labels": {"fr": "X"}, "parent": f"{SPEC}/nope"})
    assert parent.status_code == 422 and "parent" in parent.json()["detail"]
    relabel = client.post("/lists/specialites/changes", headers=ADMIN,
                          json={"level": UFR, "kind": "relabel", "target": ORL})
    assert relabel.status_code == 422 and "relabel needs" in relabel.json()["detail"]


def test_exports_skos_turtle_jsonld_and_csv(client):
    client.post("/lists/specialites/entries", headers=ADMIN, json={
        "level": UFR, "labels": {"fr": "Cardiologie pédiatrique"}, "parent": CARDIO, "notation": "CARDIO-PED"})
    client.post("/lists/specialites/changes", headers=ADMIN, json={"level": UFR, "kind": "hide", "target": ORL})
    doc = effective(client, "specialites", UFR)
    turtle = client.get("/lists/specialites", params={"level": UFR, "format": "turtle"})
    assert turtle.headers["content-type"].startswith("text/turtle")
    graph = Graph().parse(data=turtle.text, format="turtle")
    concepts = set(graph.subjects(SKOS.inScheme, None))
    assert len(concepts) == doc["count"] == 24
    assert (None, SKOS.broader, None) in graph
    jsonld = client.get("/lists/specialites", params={"level": UFR}, headers={"Accept": "application/ld+json"})
    assert len(set(Graph().parse(data=jsonld.text, format="json-ld").subjects(SKOS.inScheme, None))) == 24
    rows = list(csv.DictReader(io.StringIO(client.get("/lists/specialites",
                                                      params={"level": UFR, "format": "csv"}).text)))
    assert len(rows) == 24
    ped = next(r for r in rows if r["notation"] == "CARDIO-PED")
    assert ped["parent"] == "CARDIOLOGIE" and ped["depth"] == "1" and ped["origin"] == UFR
    assert json.loads(json.dumps(doc))["hidden"] == [ORL]


def test_csv_import_for_the_school_office(client):
    sheet = ("notation;label_fr;label_en;parent;order\n"
             "SALLE-A;Amphithéâtre A;Lecture hall A;;1\n"
             "SALLE-A1;Salle A1;Room A1;SALLE-A;2\n")
    created = client.post("/lists", headers=ADMIN, json={
        "level": UFR, "name": "salles", "labels": {"fr": "Salles"}, "category": f"{BASE}list-category/Facultaire"})
    key = created.json()["key"]
    imported = client.post(f"/lists/{key}/import-csv", params={"level": UFR}, headers=ADMIN, content=sheet)
    assert imported.status_code == 200, imported.text
    assert len(imported.json()["added"]) == 2
    again = client.post(f"/lists/{key}/import-csv", params={"level": UFR}, headers=ADMIN,
                        content=sheet.replace("Salle A1", "Salle A1 (rénovée)"))
    assert len(again.json()["updated"]) == 2 and not again.json()["added"]
    doc = effective(client, key, UFR)
    assert [e["labels"]["fr"] for e in doc["entries"]] == ["Amphithéâtre A", "Salle A1 (rénovée)"]
    bad = client.post(f"/lists/{key}/import-csv", params={"level": UFR}, headers=ADMIN,
                      content="notation,label_fr,order\nX,,abc\n")
    assert bad.status_code == 422 and "line 2" in bad.json()["detail"]
    inherited = client.post("/lists/specialites/import-csv", params={"level": UFR}, headers=ADMIN,
                            content="notation,label_fr\nCARDIOLOGIE,Cardio\n")
    assert inherited.status_code == 422 and "inherited" in inherited.json()["detail"]
    assert len(effective(client, key, UFR)["entries"]) == 2


def test_the_write_through_cache_matches_a_fresh_read(client):
    library = client.app.state.lists
    client.post("/lists/specialites/changes", headers=ADMIN, json={"level": UNIV, "kind": "hide", "target": ORL})
    client.post("/lists/specialites/changes", headers=ADMIN, json={
        "level": UFR, "kind": "relabel", "target": CARDIO, "labels": {"fr": "Cardio UFR"}})
    client.post("/lists/specialites/entries", headers=ADMIN, json={"level": UFR, "labels": {"fr": "Ajout"}})
    client.delete("/lists/specialites/changes", headers=ADMIN, params={"level": UNIV, "target": ORL, "kind": "hide"})
    client.post("/lists/specialites/changes", headers=ADMIN, json={
        "level": OFF, "kind": "reorder", "target": PNEUMO, "order": 0})
    from services.lists.library import ListLibrary

    fresh = ListLibrary(library.platform)
    for level in (OFF, UNIV, UFR, DEPT):
        assert library.document("specialites", level, "json") == fresh.document("specialites", level, "json")


def test_list_graphs_loaded_from_files_are_stamped_once(memory_platform, tmp_path):
    from services.lists.library import ListLibrary
    from services.lists.seed import ensure_library

    ensure_library(memory_platform)
    path = tmp_path / "local.ttl"
    path.write_text(f"""@prefix os: <https://w3id.org/ontosides#> . @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
        <{BASE}list/imported> a os:List ; skos:prefLabel "Importée"@fr ; os:level os:Officiel ;
            os:category <{BASE}list-category/Facultaire> .
        <{BASE}list/imported/a> a os:ListEntry ; skos:inScheme <{BASE}list/imported> ; skos:prefLabel "A"@fr .""")
    from services import dataset

    graph = f"{BASE}graph/list/officiel/imported"
    dataset.load_file(memory_platform, path, graph=graph)
    library = ListLibrary(memory_platform)
    assert library.repo.revisions([graph]) == {}
    assert graph in ensure_library(memory_platform)
    token = library.repo.revisions([graph])[graph]
    assert [r.entry.label() for r in library.effective("imported", OFF).entries] == ["A"]
    assert ensure_library(memory_platform) == [] and library.repo.revisions([graph])[graph] == token


def test_a_raw_sparql_update_is_seen_by_the_list_library(client):
    before = effective(client, "specialites", UFR)
    assert label_of(before, CARDIO) == "Cardiologie"
    update = f"""DELETE {{ GRAPH ?g {{ <{CARDIO}> <http://www.w3.org/2004/02/skos/core#prefLabel> ?l }} }}
        INSERT {{ GRAPH ?g {{ <{CARDIO}> <http://www.w3.org/2004/02/skos/core#prefLabel> "Cardio (SPARQL)"@fr }} }}
        WHERE {{ GRAPH ?g {{ <{CARDIO}> <http://www.w3.org/2004/02/skos/core#prefLabel> ?l }} }}"""
    assert client.post("/sparql", data={"update": update}, headers=ADMIN).status_code == 204
    assert label_of(effective(client, "specialites", UFR), CARDIO) == "Cardio (SPARQL)"


def test_a_new_level_is_seen_at_once_and_a_moved_one_after_a_graph_write(client):
    library = client.app.state.lists
    client.post("/lists/specialites/changes", headers=ADMIN, json={"level": UNIV, "kind": "hide", "target": ORL})
    assert ORL not in library.effective("specialites", DEPT).by_iri()
    new = f"{BASE}org/univ-1/ufr-9"
    library.platform.writer.replace_graph(f"{BASE}graph/test-new-level", Graph().parse(data=f"""
        @prefix os: <https://w3id.org/ontosides#> . @prefix org: <http://www.w3.org/ns/org#> .
        @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
        <{new}> a os:Faculty ; skos:prefLabel "UFR 9"@fr ; org:unitOf <{OTHER_UNIV}> .""", format="turtle"))
    assert ORL in library.effective("specialites", new).by_iri()
    moved = f"""@prefix os: <https://w3id.org/ontosides#> . @prefix org: <http://www.w3.org/ns/org#> .
        @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
        <{DEPT}> a os:Faculty ; skos:prefLabel "Département de cardiologie"@fr ; org:unitOf <{new}> ."""
    response = client.put("/graphs", params={"graph": f"{BASE}graph/test-extra"}, content=moved,
                          headers={**ADMIN, "Content-Type": "text/turtle"})
    assert response.status_code in (200, 201, 204), response.text
    assert ORL in library.effective("specialites", DEPT).by_iri()


class CountingStore(OxigraphStore):
    """An in-memory store that counts the queries it runs."""

    queries = 0

    def execute(self, query, bindings=None, limits=None, dataset=None):
        self.queries += 1
        return super().execute(query, bindings, limits, dataset)


def test_a_tag_check_reads_only_the_revisions_once_warm():
    from services.lists.library import ListLibrary

    platform = Platform.build(make_settings(), CountingStore())
    dataset.load_demo(platform, Scale(universities=1, students_per_faculty=2, questions_per_faculty=2,
                                      referentiel_items=5, objectives_per_item=3, questions_per_epreuve=2))
    library = ListLibrary(platform)
    first = library.effective("referentiel", UFR).by_iri()
    platform.store.queries = 0
    again = library.effective("referentiel", UFR).by_iri()
    assert again is first and platform.store.queries == 1
    target = next(iter(first))
    library.change("referentiel", UFR, "hide", target, f"{BASE}person/t0-0-0")
    assert target not in library.effective("referentiel", UFR).by_iri()
