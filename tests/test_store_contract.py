"""One contract, every adapter: in-memory, on-disk, a real remote `oxigraph serve` and a real Virtuoso 7."""

from __future__ import annotations

import uuid

import pyoxigraph as ox
import pytest
from rdflib import Graph

from store.embedded import OxigraphStore
from store.errors import ImportFailed, QuerySyntaxError, ValidationFailed
from store.port import GraphResult, Limits, Rows
from store.remote import RemoteEndpoints, RemoteSparqlStore
from store.validation import ShapeValidator
from store.writes import GraphWriter

EX = "http://example.org/"
PERSON_TTL = """
@prefix os: <https://w3id.org/ontosides#> . @prefix foaf: <http://xmlns.com/foaf/0.1/> .
<http://example.org/p/{n}> a os:Person ; os:uniqueId "u-{n}" ; foaf:familyName "Durand" ;
    os:email "a.durand{n}@univ.example.fr" .
"""


@pytest.fixture(scope="module")
def validator() -> ShapeValidator:
    return ShapeValidator()


def person_graph(n: int) -> Graph:
    return Graph().parse(data=PERSON_TTL.format(n=n), format="turtle")


class StoreContract:
    """What every Store adapter must do; subclasses provide `store`."""

    @pytest.fixture
    def graph(self) -> ox.NamedNode:
        return ox.NamedNode(f"{EX}graph/{uuid.uuid4().hex}")

    def test_write_then_read_a_graph(self, store, validator, graph):
        GraphWriter(store, validator).replace_graph(graph.value, person_graph(1))
        assert store.has_graph(graph)
        assert store.count(graph) == 4
        assert graph in store.named_graphs()

    def test_default_graph_is_the_union_of_named_graphs(self, store, validator, graph):
        GraphWriter(store, validator).replace_graph(graph.value, person_graph(2))
        rows = store.select("SELECT ?id WHERE { <http://example.org/p/2> <https://w3id.org/ontosides#uniqueId> ?id }")
        assert isinstance(rows, Rows)
        assert [r["id"].value for r in rows] == ["u-2"]

    def test_bindings_are_terms_not_text(self, store, validator, graph):
        GraphWriter(store, validator).replace_graph(graph.value, person_graph(3))
        query = "SELECT ?p WHERE { ?p <https://w3id.org/ontosides#uniqueId> ?id }"
        assert len(store.select(query, {"id": ox.Literal("u-3")})) == 1
        hostile = ox.Literal('u-3" } ; DROP ALL ; #')
        assert len(store.select(query, {"id": hostile})) == 0
        assert store.has_graph(graph)

    def test_replace_is_whole_graph(self, store, validator, graph):
        writer = GraphWriter(store, validator)
        writer.replace_graph(graph.value, person_graph(4))
        writer.replace_graph(graph.value, person_graph(5))
        subjects = {t.subject.value for t in store.graph_triples(graph)}
        assert subjects == {f"{EX}p/5"}

    def test_rejected_write_changes_nothing(self, store, validator, graph):
        writer = GraphWriter(store, validator)
        writer.replace_graph(graph.value, person_graph(6))
        bad = Graph().parse(data="""@prefix os: <https://w3id.org/ontosides#> .
            <http://example.org/p/7> a os:Person ; os:email "not-an-address" .""", format="turtle")
        with pytest.raises(ValidationFailed) as caught:
            writer.replace_graph(graph.value, bad)
        paths = {v.path for v in caught.value.violations}
        assert {"os:uniqueId", "foaf:familyName", "os:email"} <= paths
        assert {t.subject.value for t in store.graph_triples(graph)} == {f"{EX}p/6"}

    def test_neighbour_types_come_from_other_graphs(self, store, validator, graph):
        writer = GraphWriter(store, validator)
        writer.replace_graph(graph.value, person_graph(8))
        account = Graph().parse(data="""@prefix os: <https://w3id.org/ontosides#> .
            <http://example.org/acc/8> a os:UniversityAccount ; os:eppn "x@u.fr" ;
                os:issuedBy <http://example.org/p/8> .""", format="turtle")
        with pytest.raises(ValidationFailed) as caught:  # a person is not a university
            writer.extend_graph(f"{graph.value}-acc", account)
        assert [v.path for v in caught.value.violations] == ["os:issuedBy"]

    def test_syntax_error_is_reported(self, store):
        with pytest.raises(QuerySyntaxError):
            store.select("SELEC ?x WHERE { ?x ?y ?z }")

    def test_construct_and_ask(self, store, validator, graph):
        GraphWriter(store, validator).replace_graph(graph.value, person_graph(9))
        assert store.ask("ASK { <http://example.org/p/9> ?p ?o }") is True
        triples = store.construct("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }",
                                  {"g": graph})
        assert len(triples) == 4

    def test_result_limit(self, store, validator, graph):
        GraphWriter(store, validator).replace_graph(graph.value, person_graph(10))
        from store.errors import ResultTooLarge

        with pytest.raises(ResultTooLarge):
            store.execute("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }", {"g": graph}, Limits(max_results=2))

    def test_bulk_load_and_refuse_existing_graph(self, store, tmp_path, graph):
        path = tmp_path / "data.nt"
        path.write_text("".join(f'<{EX}s{i}> <{EX}p> "v{i}" .\n' for i in range(100)))
        assert store.bulk_load(path, ox.RdfFormat.N_TRIPLES, graph) == 100
        with pytest.raises(ImportFailed):
            store.bulk_load(path, ox.RdfFormat.N_TRIPLES, graph)

    def test_failed_bulk_load_leaves_no_graph(self, store, tmp_path, graph):
        path = tmp_path / "broken.nt"
        lines = [f'<{EX}s{i}> <{EX}p> "v{i}" .\n' for i in range(5000)]
        lines.append("<broken line\n")
        path.write_text("".join(lines))
        with pytest.raises(ImportFailed):
            store.bulk_load(path, ox.RdfFormat.N_TRIPLES, graph)
        assert not store.has_graph(graph)

    def test_dump_one_graph(self, store, validator, graph):
        import io

        GraphWriter(store, validator).replace_graph(graph.value, person_graph(11))
        buffer = io.BytesIO()
        store.dump(buffer, ox.RdfFormat.N_TRIPLES, graph)
        assert buffer.getvalue().count(b"\n") == 4

    def test_types_of(self, store, validator, graph):
        GraphWriter(store, validator).replace_graph(graph.value, person_graph(12))
        found = store.types_of([ox.NamedNode(f"{EX}p/12"), ox.NamedNode(f"{EX}nothing")])
        assert found == {ox.NamedNode(f"{EX}p/12"): {ox.NamedNode("https://w3id.org/ontosides#Person")}}


    def test_the_dataset_of_a_request_bounds_every_read(self, store, validator, graph):
        from store.dataset import DatasetSpec, dataset_for

        writer = GraphWriter(store, validator)
        other = f"{graph.value}-other"
        writer.replace_graph(graph.value, person_graph(13))
        writer.replace_graph(other, person_graph(14))
        ids = "SELECT ?id WHERE { ?p <https://w3id.org/ontosides#uniqueId> ?id }"
        mine = DatasetSpec((graph.value,), (graph.value,))
        assert [r["id"].value for r in store.select(ids, dataset=mine)] == ["u-13"]
        graphs = store.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", dataset=mine)
        assert [r["g"].value for r in graphs] == [graph.value]
        assert store.ask(f"ASK {{ GRAPH <{other}> {{ ?s ?p ?o }} }}", dataset=mine) is False
        assert len(store.select(ids, dataset=DatasetSpec((), ()))) == 0
        # FROM in the query is intersected with what the caller may read: it cannot name its way out.
        sneaky = f"SELECT ?id FROM <{other}> WHERE {{ ?p <https://w3id.org/ontosides#uniqueId> ?id }}"
        assert len(store.select(sneaky, dataset=dataset_for(sneaky, None, frozenset({graph.value})))) == 0
        assert [r["id"].value for r in store.select(sneaky, dataset=dataset_for(sneaky, None, None))] == ["u-14"]

    def test_a_graph_outside_the_dataset_matches_nothing_however_it_is_named(self, store, validator, graph):
        from store.dataset import DatasetSpec

        writer = GraphWriter(store, validator)
        other = f"{graph.value}-other"
        writer.replace_graph(graph.value, person_graph(15))
        writer.replace_graph(other, person_graph(16))
        mine = DatasetSpec((graph.value,), (graph.value,))
        count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
        assert store.select(count, {"g": ox.NamedNode(other)}, dataset=mine).rows[0]["n"].value == "0"
        assert store.select(count, {"g": graph}, dataset=mine).rows[0]["n"].value == "4"
        assert store.ask("ASK { GRAPH ?g { ?s ?p ?o } }", {"g": ox.NamedNode(other)}, dataset=mine) is False
        assert store.ask(f"ASK {{ GRAPH <{other}> {{ ?s ?p ?o }} FILTER(?o != 0) }}", dataset=mine) is False
        constant = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{other}> {{ ?s ?p ?o }} }}"
        assert store.select(constant, dataset=mine).rows[0]["n"].value == "0"
        assert store.ask(f"ASK {{ GRAPH <{graph.value}> {{ ?s ?p ?o }} }}", dataset=mine) is True

    def test_terms_come_back_as_they_were_written(self, store, graph):
        terms = [ox.Literal("médecine", language="fr-FR"), ox.Literal(5), ox.Literal(-12), ox.Literal(True),
                 ox.Literal(False), ox.Literal("1.5", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")),
                 ox.Literal("2024-06-01", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")),
                 ox.Literal('a "quoted"\nline'), ox.NamedNode(f"{EX}o")]
        objects = " , ".join(str(t) for t in terms)
        store.update(f"INSERT DATA {{ GRAPH {graph} {{ <{EX}s> <{EX}p> {objects} ; <{EX}q> _:b . "
                     f'_:b <{EX}r> "inside a blank node" }} }}')
        rows = store.select(f"SELECT ?o WHERE {{ GRAPH ?g {{ <{EX}s> <{EX}p> ?o }} }}", {"g": graph})
        assert {r["o"] for r in rows} == set(terms)
        assert {t.object for t in store.graph_triples(graph) if t.predicate.value == f"{EX}p"} == set(terms)
        nested = store.select(f"SELECT ?b ?v WHERE {{ GRAPH ?g {{ <{EX}s> <{EX}q> ?b . ?b <{EX}r> ?v }} }}",
                              {"g": graph})
        assert len(nested) == 1 and isinstance(nested.rows[0]["b"], ox.BlankNode)
        assert nested.rows[0]["v"] == ox.Literal("inside a blank node")
        triples = store.construct(f"CONSTRUCT {{ ?b <{EX}r> ?v }} WHERE {{ GRAPH ?g {{ ?b <{EX}r> ?v }} }}",
                                  {"g": graph})
        assert [t.object for t in triples] == [ox.Literal("inside a blank node")]
        assert isinstance(triples[0].subject, ox.BlankNode)

    def test_empty_results_keep_their_shape(self, store, graph):
        empty = store.select(f"SELECT ?s ?o WHERE {{ GRAPH ?g {{ ?s <{EX}nothing> ?o }} }}", {"g": graph})
        assert isinstance(empty, Rows) and len(empty) == 0 and empty.variables == ["s", "o"]
        assert store.construct(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}", {"g": graph}) == []
        assert store.ask(f"ASK {{ GRAPH ?g {{ ?s ?p ?o }} }}", {"g": graph}) is False
        assert store.graph_triples(graph) == [] and store.count(graph) == 0

    def test_federation_is_refused(self, store):
        from store.errors import FederationRefused

        with pytest.raises(FederationRefused):
            store.select("SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }")
        with pytest.raises(FederationRefused):
            store.update("LOAD <http://127.0.0.1:9/data.ttl>")


class TestMemoryStore(StoreContract):
    @pytest.fixture
    def store(self):
        return OxigraphStore()


class TestDiskStore(StoreContract):
    @pytest.fixture
    def store(self, tmp_path):
        store = OxigraphStore(tmp_path / "store")
        yield store
        store.close()


class TestRemoteStore(StoreContract):
    @pytest.fixture
    def store(self, oxigraph_server):
        store = RemoteSparqlStore(RemoteEndpoints.oxigraph(oxigraph_server))
        yield store
        store.close()


class TestVirtuosoStore(StoreContract):
    @pytest.fixture
    def store(self, virtuoso_server):
        store = RemoteSparqlStore(RemoteEndpoints.virtuoso(virtuoso_server.url, virtuoso_server.user,
                                                           virtuoso_server.password))
        yield store
        store.close()


def test_graph_result_type_for_describe():
    store = OxigraphStore()
    assert isinstance(store.execute("DESCRIBE <http://example.org/x>"), GraphResult)


def test_remote_credentials_are_configured_separately():
    from store.factory import open_store

    store = open_store("http://127.0.0.1:9/ds", query_url="http://127.0.0.1:9/ds/query",
                       update_url="http://127.0.0.1:9/ds/update", gsp_url="http://127.0.0.1:9/ds/data",
                       user="reader", password="r", update_user="writer", update_password="w")
    assert store.endpoints.query_auth == ("reader", "r") and store.endpoints.update_auth == ("writer", "w")
    assert store.endpoints.update_url.endswith("/ds/update") and store.endpoints.gsp_url.endswith("/ds/data")
    from store.errors import StoreError

    with pytest.raises(StoreError, match="cannot reach"):
        store.select("SELECT * WHERE { ?s ?p ?o }")
    store.close()


@pytest.mark.parametrize("server", ["oxigraph", "virtuoso"])
def test_the_list_library_runs_on_a_remote_store(server, request):
    from services.lists.library import ListLibrary
    from services.lists.repository import OFFICIEL
    from services.lists.seed import ensure_library
    from services.platform import Platform
    from tests.conftest import make_settings, virtuoso_settings

    if server == "virtuoso":
        settings = virtuoso_settings(request.getfixturevalue("virtuoso_server"))
    else:
        settings = make_settings(store=request.getfixturevalue("oxigraph_server"))
    platform = Platform.build(settings)
    platform.ensure_ontology()
    ensure_library(platform)
    library = ListLibrary(platform)
    orl = "https://data.ontosides.fr/list/specialites/orl"
    assert orl in library.effective("specialites", OFFICIEL).by_iri()
    library.change("specialites", OFFICIEL, "relabel", orl, "urn:ontosides:admin", labels={"fr": "ORL et CCF"})
    assert library.effective("specialites", OFFICIEL).by_iri()[orl].entry.label() == "ORL et CCF"
    assert ListLibrary(platform).effective("specialites", OFFICIEL).by_iri()[orl].entry.label() == "ORL et CCF"
    platform.store.close()
