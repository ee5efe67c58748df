"""Real SPARQL clients against a running server: SPARQLWrapper and rdflib's SPARQLStore."""

from __future__ import annotations

import httpx
from rdflib import Graph, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import JSON, POST, TURTLE, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from tests.conftest import ADMIN_TOKEN

OS = "https://w3id.org/ontosides#"


def test_sparqlwrapper_select_json(live_api):
    client = SPARQLWrapper(f"{live_api.url}/sparql")
    client.setQuery(f"SELECT ?u ?name WHERE {{ ?u a <{OS}University> ; <http://www.w3.org/2004/02/skos/core#prefLabel> ?name }} ORDER BY ?u")
    client.setReturnFormat(JSON)
    bindings = client.query().convert()["results"]["bindings"]
    assert [b["name"]["value"] for b in bindings] == ["Université de Grenoble", "Université de Lyon"]


def test_sparqlwrapper_post_and_construct(live_api):
    client = SPARQLWrapper(f"{live_api.url}/sparql")
    client.setMethod(POST)
    client.setQuery(f"CONSTRUCT {{ ?f ?p ?o }} WHERE {{ ?f a <{OS}Faculty> ; ?p ?o }}")
    client.setReturnFormat(TURTLE)
    graph = Graph().parse(data=client.query().convert(), format="turtle")
    assert len(set(graph.subjects())) == 2


def test_sparqlwrapper_reports_bad_queries(live_api):
    client = SPARQLWrapper(f"{live_api.url}/sparql")
    client.setQuery("SELECT ?x WHERE { ?x }")
    client.setReturnFormat(JSON)
    try:
        client.query()
    except QueryBadFormed as exc:
        assert "error at" in str(exc)
    else:
        raise AssertionError("a malformed query must be refused")


def test_sparqlwrapper_update_is_refused_without_token(live_api):
    response = httpx.post(f"{live_api.url}/sparql", data={"update": "CLEAR ALL"})
    assert response.status_code == 401
    wrong = httpx.post(f"{live_api.url}/sparql", data={"update": "CLEAR ALL"},
                       headers={"Authorization": f"Bearer not-{ADMIN_TOKEN}"})
    assert wrong.status_code == 401
    assert httpx.get(f"{live_api.url}/health", params={"counts": "true"}).json()["quads"] > 10_000


def test_rdflib_sparqlstore(live_api):
    store = SPARQLStore(f"{live_api.url}/sparql", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    graph = Graph(store=store)
    rows = list(graph.query(f"SELECT (COUNT(?p) AS ?n) WHERE {{ ?p a <{OS}Person> }}"))
    assert int(rows[0][0]) > 100
    anonymous = Graph(store=SPARQLStore(f"{live_api.url}/sparql"))
    assert int(list(anonymous.query(f"SELECT (COUNT(?p) AS ?n) WHERE {{ ?p a <{OS}Person> }}"))[0][0]) == 0
    ask = graph.query(f"ASK {{ <https://data.ontosides.fr/org/univ-0> a <{OS}University> }}")
    assert ask.askAnswer is True
    triples = list(graph.triples((URIRef("https://data.ontosides.fr/org/univ-0"), None, None)))
    assert len(triples) >= 2


def test_rdflib_stores_on_a_named_graph():
    """rdflib's SPARQLStore (which always sends default-graph-uri) and SPARQLUpdateStore on one named graph."""
    from rdflib import Literal
    from rdflib.plugins.stores.sparqlstore import SPARQLUpdateStore

    from api.app import create_app
    from tests.conftest import LiveServer, make_settings

    settings = make_settings()
    graph_iri = URIRef("http://example.org/graph/notes")
    other_iri = URIRef("http://example.org/graph/other")
    with LiveServer(create_app(settings, settings.open_store())) as live:
        endpoint = f"{live.url}/sparql"
        auth = {"headers": {"Authorization": f"Bearer {ADMIN_TOKEN}"}}
        writer = Graph(store=SPARQLUpdateStore(endpoint, endpoint, **auth), identifier=graph_iri)
        writer.add((URIRef("http://example.org/n1"), URIRef("http://example.org/says"), Literal("bonjour")))
        other = Graph(store=SPARQLUpdateStore(endpoint, endpoint, **auth), identifier=other_iri)
        other.add((URIRef("http://example.org/n2"), URIRef("http://example.org/says"), Literal("ailleurs")))
        reader = Graph(store=SPARQLStore(endpoint, **auth), identifier=graph_iri)
        assert set(reader.objects(None, URIRef("http://example.org/says"))) == {Literal("bonjour")}
        assert len(reader) == 1
        writer.remove((None, None, None))
        assert len(Graph(store=SPARQLStore(endpoint, **auth), identifier=graph_iri)) == 0
        assert len(Graph(store=SPARQLStore(endpoint, **auth), identifier=other_iri)) == 1


def test_sparqlwrapper_with_dataset_parameters(live_api):
    client = SPARQLWrapper(f"{live_api.url}/sparql")
    client.addDefaultGraph("https://data.ontosides.fr/graph/organisations")
    client.setQuery(f"SELECT (COUNT(?u) AS ?n) WHERE {{ ?u a <{OS}University> }}")
    client.setReturnFormat(JSON)
    assert client.query().convert()["results"]["bindings"][0]["n"]["value"] == "2"
    empty = SPARQLWrapper(f"{live_api.url}/sparql")
    empty.addDefaultGraph("https://data.ontosides.fr/graph/no-such-graph")
    empty.setQuery(f"SELECT (COUNT(?u) AS ?n) WHERE {{ ?u a <{OS}University> }}")
    empty.setReturnFormat(JSON)
    assert empty.query().convert()["results"]["bindings"][0]["n"]["value"] == "0"
