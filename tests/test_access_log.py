"""The access log of personal-data reads (issue 15, GDPR) and the researchers' limits: a school officer's page
and route reads, a SPARQL query over a dataset holding other people's data, the data protection officer's page
and CSV; a researcher's query past their result limit or their share of concurrent queries is refused."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.query_gate import CallerBusy, CallerSlots
from services import dataset
from services.platform import Platform
from services.synthetic import Scale
from store.embedded import OxigraphStore
from tests.conftest import ADMIN_TOKEN, bearer_tokens, make_dpo, make_settings

BASE = "https://data.ontosides.fr/"
OS = "https://w3id.org/ontosides#"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
PEOPLE = "SELECT ?s ?name WHERE { ?s <http://xmlns.com/foaf/0.1/familyName> ?name }"


def person(key: str) -> str:
    return f"{BASE}person/{key}"


@pytest.fixture(scope="module")
def logged():
    settings = make_settings(user_tokens={}, research_max_results=3, research_secret="log-secret")
    platform = Platform.build(settings, OxigraphStore(base_iri=settings.base_iri))
    dataset.load_demo(platform, Scale(universities=1, students_per_faculty=6, questions_per_faculty=6,
                                      referentiel_items=3, objectives_per_item=2, questions_per_epreuve=3))
    make_dpo(platform, "de0-0")  # the demo has no data protection officer: de0-0 becomes one
    app = create_app(settings, platform.store)
    client = TestClient(app)
    tokens = bearer_tokens(app, ("rs0-0", "s0-0-1", "de0-0", "ch0-0"), "log test")
    body = {"key": "logstudy", "title": "Étude", "ethics_approval": "CER-2", "organisations": [f"{BASE}org/univ-0"],
            "period_start": "2025-09-01", "period_end": "2026-08-31", "researchers": [person("ch0-0")], "k": 1}
    assert client.post("/research/projects", json=body, headers=ADMIN).status_code == 201
    assert client.post("/research/projects/logstudy/build", headers=ADMIN).status_code == 200
    return client, app, tokens


def reads(app, actor: str) -> list[dict]:
    return [e for e in app.state.access.audit.read(kind="read", limit=5000) if e["actor"] == person(actor)]


def test_a_school_officer_reading_people_is_logged_once_per_window(logged):
    client, app, tokens = logged
    before = len(reads(app, "rs0-0"))
    for _ in range(3):
        assert client.get("/cockpit/accounts", headers=tokens["rs0-0"]).status_code == 200
    after = reads(app, "rs0-0")
    people = [e for e in after if e["target"] == "GET /cockpit/accounts" and e["action"] == "cockpit:manage"]
    assert len(after) == before + 1 and len(people) == 1
    # Another query string is another read.
    assert client.get("/cockpit/accounts", params={"q": "zz"}, headers=tokens["rs0-0"]).status_code == 200
    assert [e["detail"] for e in reads(app, "rs0-0") if e["target"] == "GET /cockpit/accounts"].count("q=zz") == 1


def test_sparql_over_other_peoples_data_is_logged_with_its_text_and_a_students_own_is_not(logged):
    client, app, tokens = logged
    assert client.get("/sparql", params={"query": PEOPLE}, headers=tokens["rs0-0"]).status_code == 200
    logged_queries = [e for e in reads(app, "rs0-0") if e["action"] == "sparql:query"]
    assert [e["detail"] for e in logged_queries] == [PEOPLE]
    assert client.get("/sparql", params={"query": PEOPLE}, headers=tokens["s0-0-1"]).status_code == 200
    assert reads(app, "s0-0-1") == []
    # A named query is logged with the values bound to it.
    run = client.get("/queries/person_by_email/run", params={"email": "nobody@example.org"}, headers=tokens["rs0-0"])
    assert run.status_code == 200
    named = [e for e in reads(app, "rs0-0") if e["target"] == "GET /queries/person_by_email/run"]
    assert len(named) == 1 and "nobody@example.org" in named[0]["detail"]


def test_the_data_protection_officer_reads_the_log_as_a_page_and_as_csv(logged):
    client, app, tokens = logged
    client.get("/cockpit/accounts", params={"q": "page-test"}, headers=tokens["rs0-0"])
    assert client.get("/ui/audit", headers=tokens["rs0-0"]).status_code == 403
    page = client.get("/ui/audit", params={"kind": "read"}, headers=tokens["de0-0"])
    assert page.status_code == 200
    assert "q=page-test" in page.text and "cockpit:manage" in page.text
    assert "Journal des accès" in page.text  # French first
    rows = list(csv.DictReader(io.StringIO(client.get("/ui/audit.csv", params={"kind": "read", "who": "rs0-0"},
                                                      headers=tokens["de0-0"]).text)))
    assert rows and {r["actor"] for r in rows} == {person("rs0-0")}
    assert any(r["detail"] == "q=page-test" for r in rows)
    # Reading the log is itself a read of personal data, and logged.
    assert any(e["target"] == "GET /ui/audit" for e in reads(app, "de0-0"))


def test_a_researcher_past_their_result_limit_is_refused_and_the_administrator_is_not(logged):
    client, app, tokens = logged
    everything = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 10"
    refused = client.get("/sparql", params={"query": everything}, headers=tokens["ch0-0"])
    assert refused.status_code == 422 and "3" in refused.text
    assert client.get("/sparql", params={"query": everything}, headers=ADMIN).status_code == 200
    small = client.get("/sparql", params={"query": "SELECT ?s WHERE { ?s ?p ?o } LIMIT 2"}, headers=tokens["ch0-0"])
    assert small.status_code == 200 and len(small.json()["results"]["bindings"]) == 2
    assert any(e["action"] == "sparql:query" for e in reads(app, "ch0-0"))


def test_a_caller_holds_at_most_their_share_of_query_slots():
    slots = CallerSlots(2)
    with slots.hold("a"), slots.hold("a"):
        with pytest.raises(CallerBusy):
            with slots.hold("a"):
                pass
        with slots.hold("b"):  # another caller is not held back
            pass
    with slots.hold("a"), slots.hold("a"):  # released
        pass
