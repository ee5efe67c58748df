"""Virtuoso 7 behind the remote adapter: what its dialect handles, and the whole platform running on it.

The store contract itself runs on Virtuoso in tests/test_store_contract.py (TestVirtuosoStore).
"""

from __future__ import annotations

import httpx
import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from services.settings import Settings
from store.dialects import VIRTUOSO_SYSTEM_GRAPHS
from store.errors import QueryError, QuerySyntaxError, StoreError
from store.remote import RemoteEndpoints, RemoteSparqlStore
from tests.conftest import ADMIN_TOKEN, virtuoso_settings
from tests.test_core_safety import socket_listener

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
EX = "http://example.org/virtuoso/"
PERSON = """@prefix os: <https://w3id.org/ontosides#> . @prefix foaf: <http://xmlns.com/foaf/0.1/> .
<http://example.org/virtuoso/p/{n}> a os:Person ; os:uniqueId "v-{n}" ; foaf:familyName "Martin" ;
    os:email "martin{n}@univ.example.fr" ."""


@pytest.fixture
def store(virtuoso_server):
    store = RemoteSparqlStore(RemoteEndpoints.virtuoso(virtuoso_server.url, virtuoso_server.user,
                                                       virtuoso_server.password))
    yield store
    store.close()


def test_system_graphs_are_neither_named_graphs_nor_in_the_default_graph(store):
    store.update(f'INSERT DATA {{ GRAPH <{EX}g-sys> {{ <{EX}s> <{EX}p> "v" }} }}')
    names = {g.value for g in store.named_graphs()}
    assert f"{EX}g-sys" in names and not names & set(VIRTUOSO_SYSTEM_GRAPHS)
    per_graph = store.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
                             "FILTER(STRSTARTS(STR(?g), 'http://www.openlinksw.com/')) }")
    assert per_graph.rows[0]["n"].value == "0"
    assert not store.ask("ASK { ?s a <http://www.openlinksw.com/schemas/virtrdf#QuadMap> }")
    virtrdf = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <http://www.openlinksw.com/schemas/virtrdf#> { ?s ?p ?o } }"
    assert store.select(virtrdf).rows[0]["n"].value == "0"
    # The server holds them: its dba, to whom they are not private, reads them.
    url = store.endpoints.query_url.removesuffix("/sparql")
    dba = RemoteSparqlStore(RemoteEndpoints.virtuoso(url, "dba", "dba", query_url=f"{url}/sparql-auth",
                                                     query_auth=("dba", "dba")))
    assert int(dba.select(virtrdf).rows[0]["n"].value) > 1000
    dba.close()


def test_builtin_functions_pragmas_and_nested_from_are_refused(store, virtuoso_server):
    with socket_listener() as (port, hits):
        call_out = f'SELECT (bif:http_get("http://127.0.0.1:{port}/") AS ?x) WHERE {{}}'
        with pytest.raises(QuerySyntaxError, match="bif:"):
            store.select(call_out)
        for spelled in (f"PREFIX b: <bif:> SELECT (b:http_get('http://127.0.0.1:{port}/') AS ?x) WHERE {{}}",
                        "SELECT (<sql:sys_stat>('st_dbms_ver') AS ?x) WHERE {}"):
            with pytest.raises(QuerySyntaxError):
                store.select(spelled)
        assert hits == []
        # The danger is real: sent as is, Virtuoso's anonymous endpoint makes the call.
        httpx.post(f"{virtuoso_server.url}/sparql", data={"query": call_out}, timeout=10)
        assert hits, "Virtuoso did not call out: the guard may no longer be needed"
    with pytest.raises(QuerySyntaxError, match="define"):
        store.select(f"define input:default-graph-uri <{EX}g-sys> SELECT * WHERE {{ ?s ?p ?o }}")
    with pytest.raises(QuerySyntaxError, match="FROM inside"):
        store.select(f"SELECT ?s WHERE {{ {{ SELECT ?s FROM <{EX}g-sys> WHERE {{ ?s ?p ?o }} }} }}")
    with pytest.raises(QuerySyntaxError, match="bif:"):
        store.update(f"INSERT {{ GRAPH <{EX}g> {{ <{EX}s> <{EX}p> ?x }} }} WHERE {{ BIND(bif:now() AS ?x) }}")


def test_engine_errors_are_the_callers_or_the_servers(store, virtuoso_server):
    with pytest.raises(QuerySyntaxError, match="syntax error") as bad:
        store.select("SELECT ?x WHERE { ?x ?y }")
    assert "define" not in str(bad.value)  # the engine's echo of the text sent is cut
    with pytest.raises(QueryError, match="has not been explicitly created"):  # Virtuoso answers 500 here
        store.update(f"DROP GRAPH <{EX}never-created>")
    wrong = RemoteSparqlStore(RemoteEndpoints.virtuoso(virtuoso_server.url, virtuoso_server.user, "wrong"))
    with pytest.raises(StoreError, match="check the credentials"):
        wrong.update(f'INSERT DATA {{ GRAPH <{EX}g> {{ <{EX}s> <{EX}p> "v" }} }}')
    wrong.close()


def test_big_writes_and_blank_nodes(store, tmp_path):
    graph = ox.NamedNode(f"{EX}g-big")
    # Past ~5,000 triples in one INSERT DATA Virtuoso's parser runs out of stack: the dialect splits it.
    triples = "".join(f'<{EX}s{i}> <{EX}p> "{i}" .\n' for i in range(12_000))
    store.update(f"DROP SILENT GRAPH {graph} ; INSERT DATA {{ GRAPH {graph} {{ {triples} }} }}")
    assert store.count(graph) == 12_000
    with_blank_nodes = ox.NamedNode(f"{EX}g-bnodes")
    triples = "".join(f'<{EX}s{i}> <{EX}p> [ <{EX}q> "{i}" ] .\n' for i in range(200))
    store.update(f"INSERT DATA {{ GRAPH {with_blank_nodes} {{ {triples} }} }}")
    assert store.count(with_blank_nodes) == 400
    rows = store.select(f"SELECT (COUNT(DISTINCT ?b) AS ?n) WHERE {{ GRAPH {with_blank_nodes} {{ ?s ?p ?b FILTER(isBlank(?b)) }} }}")
    assert rows.rows[0]["n"].value == "200"
    # Bigger data with blank nodes is bulk-loaded through the Graph Store.
    path = tmp_path / "load.ttl"
    path.write_text(f"@prefix ex: <{EX}> .\n" + "".join(f'ex:t{i} ex:p [ ex:q {i} ] .\n' for i in range(3000)))
    loaded = ox.NamedNode(f"{EX}g-loaded")
    assert store.bulk_load(path, ox.RdfFormat.TURTLE, loaded) == 6000
    values = store.select(f"SELECT ?v WHERE {{ GRAPH {loaded} {{ ?t <{EX}p> ?b . ?b <{EX}q> ?v }} }} "
                          "ORDER BY ?v LIMIT 1")
    assert values.rows[0]["v"] == ox.Literal(0)


def test_the_platform_is_pointed_at_virtuoso_by_its_settings(virtuoso_server, monkeypatch):
    monkeypatch.setenv("ONTOSIDES_STORE", virtuoso_server.url)
    monkeypatch.setenv("ONTOSIDES_REMOTE_KIND", "virtuoso")
    monkeypatch.setenv("ONTOSIDES_REMOTE_UPDATE_USER", virtuoso_server.user)
    monkeypatch.setenv("ONTOSIDES_REMOTE_UPDATE_PASSWORD", virtuoso_server.password)
    store = Settings(_env_file=None).open_store()
    assert store.endpoints.gsp_url == f"{virtuoso_server.url}/sparql-graph-crud-auth"
    assert store.dialect.gsp_graph_param == "graph-uri" and store.endpoints.query_auth is None
    store.update(f'INSERT DATA {{ GRAPH <{EX}g-env> {{ <{EX}s> <{EX}p> "from the environment" }} }}')
    assert store.graph_triples(ox.NamedNode(f"{EX}g-env"))[0].object.value == "from the environment"
    store.close()


def test_the_api_serves_sparql_from_virtuoso_with_a_protocol_dataset(virtuoso_server):
    settings = virtuoso_settings(virtuoso_server)
    client = TestClient(create_app(settings, settings.open_store()))
    turtle = {**ADMIN, "Content-Type": "text/turtle"}
    for n in (1, 2):
        reply = client.put("/graphs", params={"graph": f"{EX}api-{n}"}, content=PERSON.format(n=n), headers=turtle)
        assert reply.status_code in (201, 204), reply.text
    ids = "SELECT ?id WHERE { ?p <https://w3id.org/ontosides#uniqueId> ?id } ORDER BY ?id"

    def values(**params):
        reply = client.get("/sparql", params=params, headers=ADMIN)
        assert reply.status_code == 200, reply.text
        return [b["id"]["value"] for b in reply.json()["results"]["bindings"]]

    assert {"v-1", "v-2"} <= set(values(query=ids))
    assert values(query=ids, **{"default-graph-uri": f"{EX}api-1"}) == ["v-1"]
    sneaky = f"SELECT ?id FROM <{EX}api-2> WHERE {{ ?p <https://w3id.org/ontosides#uniqueId> ?id }}"
    assert values(query=sneaky, **{"default-graph-uri": f"{EX}api-1"}) == ["v-1"]
    graph_two = f"ASK {{ GRAPH <{EX}api-2> {{ ?s ?p ?o }} }}"
    asked = client.get("/sparql", params={"query": graph_two, "named-graph-uri": f"{EX}api-1"}, headers=ADMIN)
    assert asked.json()["boolean"] is False
    assert client.get("/sparql", params={"query": "SELEC ?x"}).status_code == 400
    missing = client.post("/sparql", content=f"DROP GRAPH <{EX}missing>",
                          headers={**ADMIN, "Content-Type": "application/sparql-update"})
    assert missing.status_code == 400 and "missing" in missing.text
    health = client.get("/health", params={"counts": True}).json()
    assert health["store"] == f"{virtuoso_server.url}/sparql" and health["quads"] >= 8

