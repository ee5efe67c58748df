"""GDPR (issue 15) on a small generated demo: a person exports everything the platform holds about them (JSON-LD,
CSV), as does the data protection officer; erasure (pseudonymise or delete) leaves nothing that names them in any
graph — their IRI, e-mails, EPPN, identifier or name — while other candidates' grades and the épreuves'
statistics are unchanged."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from services import dataset
from services.platform import Platform
from services.synthetic import Scale
from store.embedded import OxigraphStore
from tests.conftest import ADMIN_TOKEN, bearer_tokens, make_dpo, make_settings

BASE = "https://data.ontosides.fr/"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
OS = "https://w3id.org/ontosides#"
FOAF = "http://xmlns.com/foaf/0.1/"
ALL = "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }"


def person(key: str) -> str:
    return f"{BASE}person/{key}"


@pytest.fixture(scope="module")
def gdpr():
    settings = make_settings(user_tokens={}, erasure="pseudonymise", research_secret="gdpr-secret")
    platform = Platform.build(settings, OxigraphStore(base_iri=settings.base_iri))
    dataset.load_demo(platform, Scale(universities=1, students_per_faculty=4, questions_per_faculty=6,
                                      referentiel_items=3, objectives_per_item=2, questions_per_epreuve=3))
    make_dpo(platform, "de0-0")  # the demo has no data protection officer: de0-0 becomes one
    app = create_app(settings, platform.store)
    client = TestClient(app)
    tokens = bearer_tokens(app, ("s0-0-1", "s0-0-2", "s0-0-3", "de0-0"), "gdpr test")
    body = {"key": "study", "title": "Étude", "ethics_approval": "CER-1", "organisations": [f"{BASE}org/univ-0"],
            "period_start": "2025-09-01", "period_end": "2026-08-31", "researchers": [], "k": 1}
    assert client.post("/research/projects", json=body, headers=ADMIN).status_code == 201
    assert client.post("/research/projects/study/build", headers=ADMIN).json()["pseudonyms"] == 4
    return client, app, platform, tokens


def pseudonym(key: str) -> str:
    import hashlib
    import hmac

    return hmac.new(b"gdpr-secret", ("study" + person(key)).encode(), hashlib.sha256).hexdigest()


def identity(platform, key: str) -> dict:
    """What names a person: their IRI, e-mails, EPPN, identifier, and their (given, family) name."""
    iri = person(key)
    rows = platform.store.select(f"""PREFIX os: <{OS}> PREFIX foaf: <{FOAF}>
      SELECT ?value WHERE {{ {{ <{iri}> os:email|os:primaryEmail|os:uniqueId ?value }}
                             UNION {{ <{iri}> os:hasAccount/os:eppn ?value }} }}""")
    names = platform.store.select(f"PREFIX foaf: <{FOAF}> SELECT ?g ?f WHERE {{ <{iri}> foaf:givenName ?g ; "
                                  "foaf:familyName ?f }")
    return {"strings": [iri, f"/{key}", *{r["value"].value for r in rows}],
            "name": (names.rows[0]["g"].value, names.rows[0]["f"].value)}


def traces(platform, who: dict) -> list[str]:
    """Every quad of every graph that names the person."""
    found = []
    given, family = who["name"]
    by_subject: dict[str, set] = {}
    for row in platform.store.select(ALL):
        text = " ".join(str(row[v]) for v in ("g", "s", "p", "o"))
        for s in who["strings"]:
            if re.search(re.escape(s) + r"(?![A-Za-z0-9._-])", text):
                found.append(text)
        if row["p"].value in (f"{FOAF}givenName", f"{FOAF}familyName"):
            by_subject.setdefault(row["s"].value, set()).add(row["o"].value)
    found += [s for s, names in by_subject.items() if {given, family} <= names]
    return found


def grades_and_stats(platform) -> tuple[dict, dict]:
    grades = {}
    for row in platform.store.select(f"PREFIX os: <{OS}> SELECT ?g ?student ?score WHERE {{ GRAPH ?g {{ "
                                     "?grade a os:Grade ; os:student ?student ; os:score ?score } "
                                     "FILTER(!CONTAINS(STR(?g), \"/graph/research/\")) }"):
        grades[row["student"].value + " " + row["g"].value.rsplit("/", 2)[-2]] = row["score"].value
    stats = {}
    for row in platform.store.select(ALL):
        if "/graph/stats/" in row["g"].value and "/graph/research/" not in row["g"].value:
            stats[(row["s"].value, row["p"].value)] = row["o"].value
    return grades, stats


def test_a_person_exports_everything_about_them(gdpr):
    client, app, platform, tokens = gdpr
    # An access-log entry about them: a refusal of theirs.
    assert client.get("/cockpit/audit", headers=tokens["s0-0-1"]).status_code == 403
    app.state.access.audit.flush()
    who = identity(platform, "s0-0-1")
    response = client.get("/gdpr/me", headers=tokens["s0-0-1"])
    assert response.status_code == 200 and "json" in response.headers["content-type"]
    document = json.loads(response.content)
    graphs = {g["@id"] for g in document if "@graph" in g}
    assert f"{BASE}graph/person/s0-0-1" in graphs
    assert any("/graph/copy/" in g for g in graphs) and any("/graph/grades/" in g for g in graphs)
    assert any("/graph/audit/" in g for g in graphs)
    text = response.content.decode()
    assert all(s in text for s in who["strings"])
    rows = list(csv.DictReader(io.StringIO(client.get("/gdpr/me", params={"format": "csv"},
                                                      headers=tokens["s0-0-1"]).text)))
    assert {"graph", "subject", "predicate", "object"} == set(rows[0])
    assert any(r["predicate"] == f"{OS}student" and r["object"] == person("s0-0-1") for r in rows)
    assert any(r["predicate"] == f"{OS}selectedOption" for r in rows)
    assert not any("s0-0-2" in r["graph"] for r in rows)  # nobody else's copy
    # The data protection officer reads anyone's; a student nobody else's.
    assert client.get("/gdpr/people/s0-0-1", params={"format": "csv"}, headers=tokens["de0-0"]).text.count("\n") \
        == len(rows) + 1
    assert client.get("/gdpr/people/s0-0-1", headers=tokens["s0-0-2"]).status_code == 403
    app.state.access.audit.flush()  # the officer's read is in the access log
    assert any(e["action"] == "gdpr:read" and e["kind"] == "read" for e in app.state.access.audit.read())
    assert client.get("/gdpr/people/nobody-at-all", headers=tokens["de0-0"]).status_code == 404


def test_erasure_by_pseudonymisation_leaves_no_trace_and_every_statistic(gdpr):
    client, app, platform, tokens = gdpr
    who = identity(platform, "s0-0-1")
    assert traces(platform, who)
    grades, stats = grades_and_stats(platform)
    assert client.delete("/gdpr/people/s0-0-1", headers=tokens["de0-0"]).status_code == 403
    response = client.delete("/gdpr/people/s0-0-1", headers=ADMIN)
    assert response.status_code == 200, response.text
    assert response.json()["policy"] == "pseudonymise"
    assert traces(platform, who) == []
    assert traces(platform, {"strings": [pseudonym("s0-0-1")], "name": ("", "")}) == []  # research datasets too
    assert traces(platform, {"strings": [pseudonym("s0-0-3")], "name": ("", "")})  # not anyone else's rows
    after, stats_after = grades_and_stats(platform)
    assert stats_after == stats
    others = {k: v for k, v in grades.items() if not k.startswith(person("s0-0-1") + " ")}
    assert {k: v for k, v in after.items() if k in others} == others
    # Their grades remain, under a key that leads nowhere: the same scores, as many.
    theirs = sorted(v for k, v in grades.items() if k.startswith(person("s0-0-1") + " "))
    assert sorted(v for k, v in after.items() if k not in others) == theirs and theirs
    assert client.get("/gdpr/me", headers=tokens["s0-0-1"]).status_code == 401  # their tokens went too


def test_erasure_by_deletion_removes_answers_and_grades_only_theirs(gdpr):
    client, app, platform, tokens = gdpr
    who = identity(platform, "s0-0-2")
    grades, stats = grades_and_stats(platform)
    done = app.state.gdpr.erase(person("s0-0-2"), "delete")
    assert done["policy"] == "delete" and done["graphs_dropped"] >= 1
    assert traces(platform, who) == []
    assert traces(platform, {"strings": [pseudonym("s0-0-2")], "name": ("", "")}) == []
    after, stats_after = grades_and_stats(platform)
    assert stats_after == stats
    assert after == {k: v for k, v in grades.items() if not k.startswith(person("s0-0-2") + " ")}
    assert len(after) < len(grades)


def test_erasure_from_the_command_line_needs_yes(gdpr, tmp_path):
    from typer.testing import CliRunner

    from cli.main import app as cli

    result = CliRunner().invoke(cli, ["gdpr", "erase", "s0-0-3", "--store", str(tmp_path / "empty")])
    assert result.exit_code != 0 and "--yes" in result.output
