"""The HTTP API: SPARQL protocol, named queries, Graph Store, health, offline docs, limits, auth."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from services.platform import Platform
from store.embedded import OxigraphStore
from services.synthetic import STAFF, Scale
from tests.conftest import ADMIN_TOKEN, USER_TOKEN, make_settings

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
USER = {"Authorization": f"Bearer {USER_TOKEN}"}
COUNT_PEOPLE = "SELECT (COUNT(?p) AS ?n) WHERE { ?p a <https://w3id.org/ontosides#Person> }"


@pytest.fixture(scope="module")
def client(demo_platform):
    return TestClient(create_app(demo_platform.settings, demo_platform.store))


@pytest.fixture
def fresh_client():
    settings = make_settings()
    store = OxigraphStore()
    Platform.build(settings, store).ensure_ontology()
    return TestClient(create_app(settings, store))


def test_health(client):
    body = client.get("/health", params={"counts": True}).json()
    assert body["status"] == "ok" and body["quads"] > 10_000


# The demo's people: per faculty, its teachers, staff and students; and the platform administrator.
PEOPLE = 2 * (Scale.demo().teachers_per_faculty + len(STAFF) + Scale.demo().students_per_faculty) + 1


def test_sparql_get_json(client):
    response = client.get("/sparql", params={"query": COUNT_PEOPLE}, headers=ADMIN)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/sparql-results+json")
    assert int(response.json()["results"]["bindings"][0]["n"]["value"]) == PEOPLE
    anonymous = client.get("/sparql", params={"query": COUNT_PEOPLE})
    assert int(anonymous.json()["results"]["bindings"][0]["n"]["value"]) == 0


@pytest.mark.parametrize("accept,marker", [
    ("application/sparql-results+xml", b"<sparql"),
    ("text/csv", f"n\r\n{PEOPLE}".encode()),
    ("text/tab-separated-values", f"?n\n{PEOPLE}".encode()),
])
def test_sparql_result_formats(client, accept, marker):
    response = client.get("/sparql", params={"query": COUNT_PEOPLE}, headers={"Accept": accept, **ADMIN})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(accept)
    assert marker in response.content


def test_sparql_post_forms(client):
    form = client.post("/sparql", data={"query": COUNT_PEOPLE})
    direct = client.post("/sparql", content=COUNT_PEOPLE, headers={"Content-Type": "application/sparql-query"})
    assert form.json() == direct.json()


@pytest.mark.parametrize("accept,marker", [
    ("text/turtle", b"<https://data.ontosides.fr/org/univ-0>"),
    ("application/n-triples", b"<https://data.ontosides.fr/org/univ-0> <"),
    ("application/ld+json", b'"@id"'),
    ("application/rdf+xml", b"rdf:RDF"),
])
def test_construct_formats(client, accept, marker):
    query = "CONSTRUCT { ?u ?p ?o } WHERE { ?u a <https://w3id.org/ontosides#University> ; ?p ?o }"
    response = client.get("/sparql", params={"query": query}, headers={"Accept": accept})
    assert response.status_code == 200, response.text
    assert marker in response.content


def test_bad_query_is_a_400_with_the_parser_message(client):
    response = client.get("/sparql", params={"query": "SELECT ?x WHERE { ?x ?y }"})
    assert response.status_code == 400
    assert "error at 1:" in response.text


def test_unacceptable_format_is_406(client):
    response = client.get("/sparql", params={"query": COUNT_PEOPLE}, headers={"Accept": "image/png"})
    assert response.status_code == 406


def test_result_size_limit(demo_platform):
    settings = make_settings(max_results=10)
    client = TestClient(create_app(settings, demo_platform.store))
    response = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert response.status_code == 422
    assert "more than 10 results" in response.text


def test_time_limit(demo_platform):
    settings = make_settings(query_timeout_s=0.05)
    client = TestClient(create_app(settings, demo_platform.store))
    heavy = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    response = client.get("/sparql", params={"query": heavy})
    assert response.status_code == 503
    assert "longer than" in response.text


def test_update_needs_the_admin_token(fresh_client):
    update = 'INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/s> <http://example.org/p> "o" } }'
    assert fresh_client.post("/sparql", data={"update": update}).status_code == 401
    assert fresh_client.post("/sparql", data={"update": update}, headers=USER).status_code == 403
    assert fresh_client.post("/sparql", content=update, headers={"Content-Type": "application/sparql-update"}).status_code == 401
    assert fresh_client.post("/sparql", data={"update": update}, headers=ADMIN).status_code == 204
    ask = fresh_client.get("/sparql", params={"query": "ASK { <http://example.org/s> ?p ?o }"}, headers=ADMIN)
    assert ask.json()["boolean"] is True
    # The graph is nobody's public graph: an anonymous caller's dataset does not hold it.
    anonymous = fresh_client.get("/sparql", params={"query": "ASK { <http://example.org/s> ?p ?o }"})
    assert anonymous.json()["boolean"] is False


def test_unknown_token_is_401(client):
    # A forged credential is refused even on a public route (RFC 6750 invalid_token), and logged.
    assert client.get("/health").status_code == 200
    assert client.get("/health", headers={"Authorization": "Bearer nope"}).status_code == 401
    response = client.post("/sparql", data={"update": "CLEAR ALL"}, headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401


def test_named_queries_list_and_run(client):
    listed = client.get("/queries").json()
    names = {q["name"] for q in listed}
    assert {"epreuve_grades", "students_in_difficulty"} <= names
    grades = next(q for q in listed if q["name"] == "epreuve_grades")
    assert grades["parameters"][0]["name"] == "epreuve" and grades["parameters"][0]["required"]
    run = client.get("/queries/epreuve_grades/run",
                     params={"epreuve": "https://data.ontosides.fr/exam/u0f0e0/epreuve/1"}, headers=ADMIN)
    assert run.status_code == 200 and len(run.json()["results"]["bindings"]) == 40
    as_csv = client.get("/queries/students_in_difficulty/run", params={"threshold": "12", "format": "csv"},
                        headers=ADMIN)
    rows = list(csv.reader(io.StringIO(as_csv.text)))
    assert rows[0] == ["student", "epreuves", "meanScore", "trend", "missed"] and len(rows) > 1
    posted = client.post("/queries/students_in_difficulty/run", json={"threshold": 12}, headers=ADMIN)
    assert len(posted.json()["results"]["bindings"]) == len(rows) - 1
    hidden = client.get("/queries/epreuve_grades/run",
                        params={"epreuve": "https://data.ontosides.fr/exam/u0f0e0/epreuve/1"})
    assert hidden.status_code == 200 and hidden.json()["results"]["bindings"] == []


def test_named_query_errors(client):
    assert client.get("/queries/nope").status_code == 404
    missing = client.get("/queries/epreuve_grades/run")
    assert missing.status_code == 422 and "needs parameter 'epreuve'" in missing.json()["detail"]
    bad = client.get("/queries/students_in_difficulty/run", params={"threshold": "lots"})
    assert bad.status_code == 422


def test_graph_store_put_validates(fresh_client):
    graph = "https://data.ontosides.fr/graph/people/test"
    good = """@prefix os: <https://w3id.org/ontosides#> . @prefix foaf: <http://xmlns.com/foaf/0.1/> .
        <https://data.ontosides.fr/person/x> a os:Person ; os:uniqueId "x" ; foaf:familyName "X" ."""
    bad = """@prefix os: <https://w3id.org/ontosides#> .
        <https://data.ontosides.fr/person/y> a os:Person ; os:email "nope" ."""
    headers = {**ADMIN, "Content-Type": "text/turtle"}
    assert fresh_client.put("/graphs", params={"graph": graph}, content=good,
                            headers={"Content-Type": "text/turtle"}).status_code == 401
    assert fresh_client.put("/graphs", params={"graph": graph}, content=good, headers=headers).status_code == 201
    rejected = fresh_client.put("/graphs", params={"graph": graph}, content=bad, headers=headers)
    assert rejected.status_code == 422
    paths = {v["path"] for v in rejected.json()["violations"]}
    assert {"os:uniqueId", "foaf:familyName", "os:email"} <= paths
    kept = fresh_client.get("/graphs", params={"graph": graph}, headers={"Accept": "application/n-triples", **ADMIN})
    assert b"person/x" in kept.content and b"person/y" not in kept.content
    broken = fresh_client.put("/graphs", params={"graph": graph}, content="<a> <b", headers=headers)
    assert broken.status_code == 400 and "does not parse" in broken.json()["detail"]
    assert fresh_client.delete("/graphs", params={"graph": graph}, headers=ADMIN).status_code == 204
    assert fresh_client.get("/graphs", params={"graph": graph}, headers=ADMIN).status_code == 404


def test_graph_store_post_validates_the_merged_graph(fresh_client):
    graph = "https://data.ontosides.fr/graph/people/merge"
    headers = {**ADMIN, "Content-Type": "text/turtle"}
    first = """@prefix os: <https://w3id.org/ontosides#> . @prefix foaf: <http://xmlns.com/foaf/0.1/> .
        <https://data.ontosides.fr/person/m> a os:Person ; os:uniqueId "m" ; foaf:familyName "M" ."""
    second_id = """@prefix os: <https://w3id.org/ontosides#> .
        <https://data.ontosides.fr/person/m> os:uniqueId "m2" ."""
    assert fresh_client.put("/graphs", params={"graph": graph}, content=first, headers=headers).status_code == 201
    assert fresh_client.post("/graphs", params={"graph": graph}, content=second_id, headers=headers).status_code == 422


def test_oversized_request_is_413(demo_platform):
    client = TestClient(create_app(make_settings(max_body_bytes=1000), demo_platform.store))
    response = client.post("/sparql", content="#" * 5000 + "\nASK {}",
                           headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 413


def test_streamed_oversized_request_is_413(demo_platform):
    client = TestClient(create_app(make_settings(max_body_bytes=1000), demo_platform.store))

    def chunks():
        for _ in range(10):
            yield b"#" * 500

    response = client.post("/sparql", content=chunks(), headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 413


def test_docs_work_offline(client):
    html = client.get("/docs").text
    assert "cdn.jsdelivr" not in html and "unpkg" not in html
    asset = next(part.split('"')[0] for part in html.split('src="')[1:] if part.split('"')[0].endswith(".js"))
    assert client.get(asset).status_code == 200
    spec = client.get("/openapi.json").json()
    assert "/sparql" in spec["paths"] and "/queries/{name}/run" in spec["paths"]
