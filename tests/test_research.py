"""Research (issue 15) on a small generated demo with known answers: the administrator records a project and
builds its pseudonymised dataset; its researcher reads pseudonyms only — every way to reach a name, an e-mail or
an EPPN (plain SPARQL, GRAPH ?g, FROM/FROM NAMED, the protocol's dataset parameters, SERVICE, the Graph Store,
every named query) finds none — and the expected numbers of pseudonymised answers and grades; the export zips
N-Quads, TriG, CSV files and a manifest."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import re
import zipfile

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from services import dataset
from services.platform import Platform
from services.research.pseudonymise import coarsen
from services.synthetic import Scale
from store.embedded import OxigraphStore
from tests.conftest import ADMIN_TOKEN, make_settings

BASE = "https://data.ontosides.fr/"
SECRET = "research-secret-for-tests"
RESEARCHER = f"{BASE}person/ch0-0"
STUDENTS = [f"{BASE}person/s0-0-{i}" for i in range(4)]
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
PERSONAL = """PREFIX os: <https://w3id.org/ontosides#>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
SELECT ?person ?value WHERE { GRAPH ?g {
  { ?person os:email|os:primaryEmail|os:uniqueId ?value } UNION { ?person os:hasAccount/os:eppn ?value }
  UNION { ?person foaf:givenName|foaf:familyName ?value } } }"""
NAMES = ("PREFIX foaf: <http://xmlns.com/foaf/0.1/> "
         "SELECT ?person ?value WHERE { ?person foaf:givenName|foaf:familyName ?value }")


@pytest.fixture(scope="module")
def research():
    settings = make_settings(user_tokens={}, research_secret=SECRET)
    platform = Platform.build(settings, OxigraphStore(base_iri=settings.base_iri))
    dataset.load_demo(platform, Scale(universities=1, students_per_faculty=4, questions_per_faculty=6,
                                      referentiel_items=3, objectives_per_item=2, questions_per_epreuve=3))
    app = create_app(settings, platform.store)
    client = TestClient(app)
    token, _ = app.state.access.tokens.issue(RESEARCHER, "research test", 1, None)
    student, _ = app.state.access.tokens.issue(STUDENTS[0], "research test", 1, None)
    body = {"key": "cardio", "title": "Progression en cardiologie", "ethics_approval": "CER-2026-014",
            "organisations": [f"{BASE}org/univ-0"], "period_start": "2025-09-01", "period_end": "2026-08-31",
            "researchers": [RESEARCHER], "coarsening": "week", "k": 3}
    created = client.post("/research/projects", json=body, headers=ADMIN)
    assert created.status_code == 201, created.text
    built = client.post("/research/projects/cardio/build", headers=ADMIN)
    assert built.status_code == 200, built.text
    return {"client": client, "app": app, "platform": platform, "build": built.json(),
            "researcher": {"Authorization": f"Bearer {token}"}, "student": {"Authorization": f"Bearer {student}"}}


def forbidden(platform) -> list[str]:
    """Every e-mail, EPPN, identifier and full name of everyone but the researcher, and the students' IRIs."""
    own = {r["value"].value for r in platform.store.select(NAMES) if r["person"].value == RESEARCHER}
    values = {r["value"].value for r in platform.store.select(PERSONAL) if r["person"].value != RESEARCHER}
    return sorted((values - own) | set(STUDENTS))


def leaks(text: str, secrets_: list[str]) -> list[str]:
    """The secrets found in a text: IRIs, e-mails, EPPNs and identifiers anywhere; names as whole values."""
    cells = set(re.split(r'[,\t\r\n"<>]| \.|\^\^', text))
    return [s for s in secrets_ if s in cells or ("@" in s or "/" in s or s.startswith("UN-"))
            and re.search(re.escape(s) + r"(?![A-Za-z0-9._-])", text)]


def sparql(client, headers, query, **params):
    graph = query.startswith(("CONSTRUCT", "DESCRIBE"))
    accept = "application/n-triples" if graph else "text/csv"
    return client.get("/sparql", params={"query": query, **params}, headers={**headers, "Accept": accept})


def test_the_build_covers_the_epreuves_of_the_period_with_known_counts(research):
    built, platform = research["build"], research["platform"]
    store = platform.store
    # Known answers, counted by the administrator in the source graphs of the covered épreuves.
    keys = [e.split("/exam/")[1].replace("/epreuve/", "-") for e in built["epreuves"]]
    assert len(keys) == 3  # the demo's three past épreuves of univ-0; the planned exam of 2031 is out of period
    answers = sum(int(r["n"].value) for k in keys for r in store.select(
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?a a <https://w3id.org/ontosides#Answer> } "
        f"FILTER(STRSTARTS(STR(?g), \"{BASE}graph/copy/{k}/\")) }}"))
    assert built["counts"]["Answer"] == answers > 0
    assert built["counts"]["Grade"] == 12 and built["pseudonyms"] == 4
    assert built["dropped"].get("textAnswer", 0) >= 0 and built["suppressed"] == []


def test_pseudonyms_are_keyed_stable_and_per_project(research):
    client, platform = research["client"], research["platform"]
    rows = sparql(client, research["researcher"], "PREFIX os: <https://w3id.org/ontosides#> "
                  "SELECT DISTINCT ?s WHERE { ?a a os:Answer ; os:student ?s } ORDER BY ?s").text.split()[1:]
    expected = sorted(f"{BASE}research/cardio/pseudonym/"
                      + hmac.new(SECRET.encode(), ("cardio" + p).encode(), hashlib.sha256).hexdigest()
                      for p in STUDENTS)
    assert sorted(rows) == expected
    # A rebuild gives the same pseudonyms; another project different ones.
    assert client.post("/research/projects/cardio/build", headers=ADMIN).status_code == 200
    again = sparql(client, research["researcher"], "PREFIX os: <https://w3id.org/ontosides#> "
                   "SELECT DISTINCT ?s WHERE { ?a os:student ?s } ORDER BY ?s").text.split()[1:]
    assert sorted(again) == expected
    body = {"key": "other", "title": "Autre", "ethics_approval": "CER-2", "organisations": [f"{BASE}org/univ-0"],
            "period_start": "2025-09-01", "period_end": "2026-08-31", "researchers": [], "k": 1}
    assert client.post("/research/projects", json=body, headers=ADMIN).status_code == 201
    other = client.post("/research/projects/other/build", headers=ADMIN).json()
    assert other["pseudonyms"] == 4
    theirs = {r["s"].value for r in platform.store.select(
        "SELECT DISTINCT ?s WHERE { GRAPH ?g { ?a <https://w3id.org/ontosides#student> ?s } "
        f"FILTER(STRSTARTS(STR(?g), \"{BASE}graph/research/other/\")) }}")}
    assert len(theirs) == 4 and not theirs & set(expected)


def test_the_researcher_reads_pseudonymised_answers_and_grades(research):
    client, headers, built = research["client"], research["researcher"], research["build"]
    answers = sparql(client, headers, "PREFIX os: <https://w3id.org/ontosides#> "
                     "SELECT (COUNT(?a) AS ?n) WHERE { ?a a os:Answer }").text.split()[1]
    assert int(answers) == built["counts"]["Answer"]
    grades = sparql(client, headers, "PREFIX os: <https://w3id.org/ontosides#> "
                    "SELECT ?g ?score WHERE { ?g a os:Grade ; os:score ?score }").text.strip().splitlines()[1:]
    assert len(grades) == 12
    # Dates coarsened to the Monday of their week, at midnight UTC.
    dates = sparql(client, headers, "PREFIX os: <https://w3id.org/ontosides#> "
                   "SELECT DISTINCT ?d WHERE { ?a a os:Answer ; os:answeredAt ?d }").text.split()[1:]
    assert dates and all(d.endswith("T00:00:00Z") for d in dates)
    assert all(__import__("datetime").date.fromisoformat(d[:10]).weekday() == 0 for d in dates)
    # The researcher's dataset is the public graphs, their own account and the project's graphs: no copy, grade
    # or person graph of anyone else.
    graphs = client.get("/graphs/list", headers=headers).json()
    names = [g if isinstance(g, str) else g.get("graph", g.get("iri", "")) for g in graphs]
    text = json.dumps(graphs)
    assert f"{BASE}graph/research/cardio/" in text and f"{BASE}graph/research/other" not in text
    assert f"{BASE}graph/copy/" not in text and f"{BASE}graph/grades/" not in text
    assert not any(f"{BASE}graph/person/" in str(n) and "ch0-0" not in str(n) for n in names)


def test_no_route_or_query_reaches_a_name_an_email_or_an_eppn(research):
    client, headers, platform = research["client"], research["researcher"], research["platform"]
    secret = forbidden(platform)
    assert len(secret) > 20 and any("@" in s for s in secret)
    person_graph = f"{BASE}graph/person/s0-0-0"
    copy_graph = next(g.value for g in platform.store.named_graphs() if g.value.startswith(f"{BASE}graph/copy/"))
    texts = []
    for query, params in [
        ("SELECT * WHERE { ?s ?p ?o }", {}),
        ("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }", {}),
        (f"SELECT * FROM <{person_graph}> WHERE {{ ?s ?p ?o }}", {}),
        (f"SELECT * FROM NAMED <{person_graph}> FROM NAMED <{copy_graph}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}", {}),
        (f"SELECT * WHERE {{ GRAPH <{person_graph}> {{ ?s ?p ?o }} }}", {}),
        ("SELECT * WHERE { ?s ?p ?o }", {"default-graph-uri": person_graph}),
        ("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }", {"named-graph-uri": [person_graph, copy_graph]}),
        ("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }", {}),
        (f"DESCRIBE <{STUDENTS[0]}>", {}),
        ("SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }", {}),
    ]:
        response = sparql(client, headers, query, **params)
        assert response.status_code in (200, 400), (query, response.status_code, response.text[:200])
        texts.append(response.text)
    store_get = client.get("/graphs", params={"graph": person_graph}, headers=headers)
    assert store_get.status_code == 404
    nquads = {**headers, "Accept": "application/n-quads"}
    texts.append(client.get("/graphs", params={"default": ""}, headers=nquads).text)
    texts.append(client.get("/graphs", params={"graph": copy_graph}, headers=headers).text)
    texts.append(client.get("/graphs/list", headers=headers).text)
    # Every named query, with a student's IRI (or e-mail) for its parameters.
    email = next(s for s in secret if "@" in s)
    for query in client.get("/queries").json():
        params = {}
        for p in query["parameters"]:
            params[p["name"]] = {"iri": STUDENTS[0], "decimal": "10", "integer": "10", "boolean": "true",
                                "date": "2026-01-01", "dateTime": "2026-01-01T00:00:00Z"}.get(p["type"], email)
        response = client.get(f"/queries/{query['name']}/run", params={**params, "format": "csv"}, headers=headers)
        assert response.status_code < 500, (query["name"], response.text[:200])
        texts.append(response.text)
    texts.append(client.get("/research/projects/cardio", headers=headers).text)
    found = leaks("\n".join(texts), secret)
    assert found == [], found[:5]
    # The search itself works: the administrator's plain query finds every one of them.
    assert len(leaks(sparql(client, ADMIN, "SELECT * WHERE { ?s ?p ?o }").text, secret)) == len(secret)
    # Nor a student's key inside another IRI (answers, sessions, grades are named after the pseudonym).
    assert not re.search(r"/s0-0-\d+(?![\w-])", texts[0] + texts[1])
    # And the pseudonymised answers are there to be found.
    assert "/research/cardio/pseudonym/" in texts[0]


def test_projects_are_the_administrators_and_their_researchers(research):
    client = research["client"]
    assert client.post("/research/projects", json={}, headers=research["researcher"]).status_code == 403
    assert client.get("/research/projects", headers=research["student"]).status_code == 403
    mine = client.get("/research/projects", headers=research["researcher"]).json()
    assert [p["key"] for p in mine] == ["cardio"]
    assert client.get("/research/projects/other", headers=research["researcher"]).status_code == 404
    assert client.get("/research/projects/other/export", headers=research["researcher"]).status_code == 404
    bad = {"key": "Bad Key", "title": "x", "ethics_approval": "y", "organisations": [f"{BASE}org/univ-0"],
           "period_start": "2025-09-01", "period_end": "2026-08-31"}
    assert client.post("/research/projects", json=bad, headers=ADMIN).status_code == 422
    assert client.post("/research/projects", json={**bad, "key": "ok", "period_end": "2020-01-01"},
                       headers=ADMIN).status_code == 422


def test_the_export_zips_the_dataset_csv_files_and_a_manifest(research):
    client, built = research["client"], research["build"]
    response = client.get("/research/projects/cardio/export", headers=research["researcher"])
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    zf = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(zf.namelist()) == ["answers.csv", "dataset.nq", "dataset.trig", "grades.csv", "manifest.json"]
    manifest = json.loads(zf.read("manifest.json"))
    assert manifest["coarsened"]["dates"] == "week" and manifest["suppressed"]["k"] == 3
    assert manifest["ontology"]["version"] and manifest["generated_at"].endswith("Z")
    assert manifest["counts"]["Answer"] == built["counts"]["Answer"]
    assert "textAnswer" in manifest["pseudonymised"]["left_out"]
    quads = list(ox.parse(zf.read("dataset.nq"), ox.RdfFormat.N_QUADS))
    assert len(quads) == manifest["counts"]["quads"] == len(list(ox.parse(zf.read("dataset.trig"), ox.RdfFormat.TRIG)))
    answers = list(csv.DictReader(io.StringIO(zf.read("answers.csv").decode())))
    assert len(answers) == built["counts"]["Answer"]
    assert all("/research/cardio/pseudonym/" in a["student"] for a in answers)
    grades = list(csv.DictReader(io.StringIO(zf.read("grades.csv").decode())))
    assert len({g["grade"] for g in grades}) == 12
    everything = b"".join(zf.read(n) for n in zf.namelist()).decode()
    assert leaks(everything, forbidden(research["platform"])) == []


def test_small_groups_are_suppressed_and_dates_coarsened():
    assert coarsen("2026-01-16T10:00:00Z", "http://www.w3.org/2001/XMLSchema#dateTime", "week") == \
        "2026-01-12T00:00:00Z"
    assert coarsen("2026-01-16T10:00:00Z", "http://www.w3.org/2001/XMLSchema#dateTime", "day") == \
        "2026-01-16T00:00:00Z"
    assert coarsen("2026-01-16", "http://www.w3.org/2001/XMLSchema#date", "week") == "2026-01-12"
    assert coarsen("2026-01-16T10:00:00Z", "http://www.w3.org/2001/XMLSchema#dateTime", "none") == \
        "2026-01-16T10:00:00Z"


def test_k_suppresses_the_statistics_of_small_epreuves(research):
    client, platform = research["client"], research["platform"]
    body = {"key": "bigk", "title": "k grand", "ethics_approval": "CER-3", "organisations": [f"{BASE}org/univ-0"],
            "period_start": "2025-09-01", "period_end": "2026-08-31", "researchers": [], "k": 1}
    assert client.post("/research/projects", json=body, headers=ADMIN).status_code == 201
    first = client.post("/research/projects/bigk/build", headers=ADMIN).json()
    assert first["suppressed"] == [] and first["counts"]["EpreuveStatistics"] == 3
    # k raised above the épreuves' sizes: a rebuild suppresses their statistics and drops the graphs it held.
    projects = research["app"].state.research.projects
    project = projects.get("bigk")
    project.k = 50
    projects._write(project)
    built = client.post("/research/projects/bigk/build", headers=ADMIN).json()
    assert len(built["suppressed"]) == 3 and "EpreuveStatistics" not in built["counts"]
    stats = [g.value for g in platform.store.named_graphs() if g.value.startswith(f"{BASE}graph/research/bigk/stats/")]
    assert stats == [] and built["counts"]["Answer"] == first["counts"]["Answer"]
    assert research["build"]["counts"].get("EpreuveStatistics") == 3


def test_the_command_line_creates_builds_and_exports_a_project(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from cli.main import app as cli

    folder = str(tmp_path / "store")
    settings = make_settings(user_tokens={}, store=folder)
    platform = Platform.build(settings, OxigraphStore(folder, base_iri=settings.base_iri))
    dataset.load_demo(platform, Scale(universities=1, students_per_faculty=3, questions_per_faculty=4,
                                      referentiel_items=3, objectives_per_item=2, questions_per_epreuve=3))
    platform.close()
    monkeypatch.setenv("ONTOSIDES_RESEARCH_SECRET", SECRET)
    runner = CliRunner()
    created = runner.invoke(cli, ["research", "create", "--store", folder, "--key", "cli", "--title", "Étude",
                                  "--ethics", "CER-7", "--organisation", f"{BASE}org/univ-0", "--start", "2025-09-01",
                                  "--end", "2026-08-31", "--researcher", RESEARCHER, "--coarsening", "day",
                                  "--k", "2", "--build"])
    assert created.exit_code == 0, created.output
    assert '"pseudonyms": 3' in created.output
    target = tmp_path / "cli.zip"
    exported = runner.invoke(cli, ["research", "export", "cli", "-o", str(target), "--store", folder])
    assert exported.exit_code == 0, exported.output
    manifest = json.loads(zipfile.ZipFile(target).read("manifest.json"))
    assert manifest["coarsened"]["dates"] == "day" and manifest["counts"]["Pseudonym"] == 3
