"""The 34 tests of the W3C SPARQL 1.1 Protocol test suite, as data.

Encoded by hand from `sparql/sparql11/protocol/manifest.ttl` (w3c/rdf-tests): each test is a list of HTTP
requests (method, query string, body, content type, charset) and what each response must be (a status class,
and for successes a result format and, for ASK, the boolean). The manifest's `/sparql/` path is our `/sparql`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

KASEI = "http://kasei.us/2009/09/sparql/data/"
DATA = {n: f"{KASEI}data{n}.rdf" for n in range(4)}
FORM, QUERY, UPDATE = "application/x-www-form-urlencoded", "application/sparql-query", "application/sparql-update"
PREFIXES = "PREFIX dc: <http://purl.org/dc/terms/>\nPREFIX foaf: <http://xmlns.com/foaf/0.1/>\n"
THREE_DOCUMENTS = ("DROP ALL ;\nINSERT DATA {\n"
                   + "".join(f"    GRAPH <{DATA[n]}> {{ <{DATA[n]}> a foaf:Document }}\n" for n in (1, 2, 3))
                   + "} ;\n")


def qs(*pairs: tuple[str, str]) -> str:
    """A query string encoded the way the manifest writes it (%20 for spaces)."""
    return "&".join(f"{k}={quote(v, safe='')}" for k, v in pairs)


@dataclass(frozen=True)
class Request:
    """One request of a test and the response it must get."""

    method: str
    query_string: str = ""
    body: str | None = None
    content_type: str | None = None
    charset: str = "utf-8"
    status: str = "2xx"          # "2xx" (2xx or 3xx, as the manifest says) or "4xx"
    format: str | None = None    # "boolean", "tabular" or "RDF"
    boolean: bool | None = None


@dataclass(frozen=True)
class ProtocolTest:
    """A manifest entry: its id, its requests in order, and the graphs it needs loaded first."""

    id: str
    requests: tuple[Request, ...]
    graphs: tuple[int, ...] = field(default_factory=tuple)


def ask(method: str, query_string: str = "", body: str | None = None, content_type: str | None = None) -> Request:
    """A request whose answer must be the boolean true."""
    return Request(method, query_string, body, content_type, format="boolean", boolean=True)


D0 = ("default-graph-uri", DATA[0])
ASK_DEFAULT = f"ASK {{ <{DATA[1]}> a ?type . <{DATA[2]}> a ?type . }}"
ASK_NAMED = f"ASK {{ GRAPH ?g1 {{ <{DATA[1]}> a ?type }} GRAPH ?g2 {{ <{DATA[2]}> a ?type }} }}"
ASK_FULL = f"ASK {{\n  <{DATA[3]}> a ?type\n  GRAPH ?g1 {{ <{DATA[1]}> a ?type }}\n  GRAPH ?g2 {{ <{DATA[2]}> a ?type }}\n}}"
ASK_MULTIPLE = f"ASK FROM <{DATA[3]}> {{ GRAPH ?g1 {{ <{DATA[1]}> a ?type }} GRAPH ?g2 {{ <{DATA[2]}> a ?type }} }}"


def copied_one_and_two(graph: str) -> str:
    """ASK that documents 1 and 2, and not 3, were copied as bibliographic resources into a graph."""
    bib = "<http://purl.org/dc/terms/BibliographicResource>"
    return (f"ASK {{ GRAPH <{graph}> {{ <{DATA[1]}> a {bib} . <{DATA[2]}> a {bib} . }}\n"
            f"  FILTER NOT EXISTS {{ GRAPH <{graph}> {{ <{DATA[3]}> a {bib} . }} }} }}")


def copy_documents(graph: str, where: str, prelude: str) -> str:
    """An update that copies the foaf:Documents its WHERE finds into a graph as bibliographic resources."""
    return (f"{PREFIXES}{prelude}INSERT {{\n    GRAPH <{graph}> {{\n        ?s a dc:BibliographicResource\n"
            f"    }}\n}}\nWHERE {{\n{where}\n}}")


DATASET_TEST = "http://example.org/protocol-update-dataset-test/"
GRAPHS_TEST = "http://example.org/protocol-update-dataset-graphs-test/"
NAMED_TEST = "http://example.org/protocol-update-dataset-named-graphs-test/"
FULL_TEST = "http://example.org/protocol-update-dataset-full-test/"
BASE_TEST = "http://example.org/protocol-base-test/"
UPDATE_FULL = (f"{PREFIXES}{THREE_DOCUMENTS}INSERT {{\n    GRAPH <{FULL_TEST}> {{ ?s <http://example.org/in> ?in }}\n}}\n"
               "WHERE {\n    { GRAPH ?g { ?s a foaf:Document } BIND(?g AS ?in) }\n    UNION\n"
               "    { ?s a foaf:Document . BIND(\"default\" AS ?in) }\n}")
ASK_FULL_UPDATE = (f"ASK {{ GRAPH <{FULL_TEST}> {{ <{DATA[1]}> <http://example.org/in> \"default\" .\n"
                   f"  <{DATA[2]}> <http://example.org/in> <{DATA[2]}> . }}\n"
                   f"  FILTER NOT EXISTS {{ GRAPH <{FULL_TEST}> {{ <{DATA[3]}> ?p ?o }} }} }}")
UPDATE_CONFLICT = ("PREFIX foaf:  <http://xmlns.com/foaf/0.1/>\nWITH <http://example/addresses>\n"
                   "DELETE { ?person foaf:givenName 'Bill' }\nINSERT { ?person foaf:givenName 'William' }\n"
                   "WHERE {\n    ?person foaf:givenName 'Bill'\n}")

TESTS = [
    ProtocolTest("query_post_form", (ask("POST", qs(D0), "query=" + quote("ASK {}", safe=""), FORM),)),
    ProtocolTest("query_dataset_default_graphs_get", (
        ask("GET", qs(("query", ASK_DEFAULT), ("default-graph-uri", DATA[1]), ("default-graph-uri", DATA[2]))),),
        (1, 2)),
    ProtocolTest("query_dataset_default_graphs_post", (
        ask("POST", qs(("default-graph-uri", DATA[1]), ("default-graph-uri", DATA[2])), ASK_DEFAULT, QUERY),),
        (1, 2)),
    ProtocolTest("query_dataset_named_graphs_post", (
        ask("POST", qs(("named-graph-uri", DATA[1]), ("named-graph-uri", DATA[2])), ASK_NAMED, QUERY),), (1, 2)),
    ProtocolTest("query_dataset_named_graphs_get", (
        ask("GET", qs(("query", ASK_NAMED), ("named-graph-uri", DATA[1]), ("named-graph-uri", DATA[2]))),), (1, 2)),
    ProtocolTest("query_dataset_full", (
        ask("POST", qs(("default-graph-uri", DATA[3]), ("named-graph-uri", DATA[1]), ("named-graph-uri", DATA[2])),
            ASK_FULL, QUERY),), (1, 2, 3)),
    ProtocolTest("query_multiple_dataset", (
        ask("POST", qs(("named-graph-uri", DATA[1]), ("named-graph-uri", DATA[2])), ASK_MULTIPLE, QUERY),),
        (1, 2, 3)),
    ProtocolTest("query_get", (ask("GET", qs(("query", "ASK {}"), D0)),)),
    ProtocolTest("query_content_type_select", (Request("POST", qs(D0), "SELECT (1 AS ?value) {}", QUERY,
                                                       format="tabular"),)),
    ProtocolTest("query_content_type_ask", (Request("POST", qs(D0), "ASK {}", QUERY, format="boolean"),)),
    ProtocolTest("query_content_type_describe", (Request("POST", qs(D0), "DESCRIBE <http://example.org/>", QUERY,
                                                         format="RDF"),)),
    ProtocolTest("query_content_type_construct", (Request("POST", qs(D0), "CONSTRUCT { <s> <p> 1 } WHERE {}", QUERY,
                                                          format="RDF"),)),
    ProtocolTest("update_dataset_default_graph", (
        Request("POST", qs(("using-graph-uri", DATA[1])), copy_documents(
            DATASET_TEST, "    ?s a foaf:Document",
            f"CLEAR ALL ;\nINSERT DATA {{\n    GRAPH <{DATA[1]}> {{\n        <{DATA[1]}> a foaf:Document\n    }}\n}} ;\n"),
            UPDATE),
        ask("POST", "", f"ASK {{ GRAPH <{DATASET_TEST}> {{ <{DATA[1]}> a "
                        "<http://purl.org/dc/terms/BibliographicResource> } }", QUERY))),
    ProtocolTest("update_dataset_default_graphs", (
        Request("POST", qs(("using-graph-uri", DATA[1]), ("using-graph-uri", DATA[2])),
                copy_documents(GRAPHS_TEST, "    ?s a foaf:Document", THREE_DOCUMENTS), UPDATE),
        ask("POST", "", copied_one_and_two(GRAPHS_TEST), QUERY))),
    ProtocolTest("update_dataset_named_graphs", (
        Request("POST", qs(("using-named-graph-uri", DATA[1]), ("using-named-graph-uri", DATA[2])),
                copy_documents(NAMED_TEST, "    GRAPH ?g { ?s a foaf:Document }", THREE_DOCUMENTS), UPDATE),
        ask("POST", "", copied_one_and_two(NAMED_TEST), QUERY))),
    ProtocolTest("update_dataset_full", (
        Request("POST", qs(("using-graph-uri", DATA[1]), ("using-named-graph-uri", DATA[2])), UPDATE_FULL, UPDATE),
        ask("POST", "", ASK_FULL_UPDATE, QUERY))),
    ProtocolTest("update_post_form", (Request("POST", "", "update=CLEAR+ALL", FORM),)),
    ProtocolTest("update_post_direct", (Request("POST", "", "CLEAR ALL", UPDATE),)),
    ProtocolTest("update_base_uri", (
        Request("POST", "", f"CLEAR SILENT GRAPH <{BASE_TEST}> ;\nINSERT DATA {{ GRAPH <{BASE_TEST}> "
                            "{ <http://example.org/s> <http://example.org/p> <test> } }", UPDATE),
        ask("POST", "", f"ASK {{ GRAPH <{BASE_TEST}> {{ <http://example.org/s> <http://example.org/p> ?o\n"
                        "  FILTER (isIRI(?o) && STR(?o) != \"test\") } }", QUERY))),
    ProtocolTest("query_post_direct", (ask("POST", "", "ASK {}", QUERY),)),
    ProtocolTest("bad_query_method", (Request("PUT", qs(("query", "ASK {}"), D0), None, FORM, status="4xx"),)),
    ProtocolTest("bad_multiple_queries", (Request("GET", qs(("query", "ASK {}"), ("query", "SELECT * {}")),
                                                  status="4xx"),)),
    ProtocolTest("bad_query_wrong_media_type", (Request("POST", "", "ASK {}", "text/plain", status="4xx"),)),
    ProtocolTest("bad_query_missing_form_type", (Request("POST", "", "query=" + quote("ASK {}", safe=""), None,
                                                         status="4xx"),)),
    ProtocolTest("bad_query_missing_direct_type", (Request("POST", "", "ASK {}", None, status="4xx"),)),
    ProtocolTest("bad_query_non_utf8", (Request("POST", "", "ASK {}", f"{QUERY}; charset=UTF-16", "utf-16",
                                                status="4xx"),)),
    ProtocolTest("bad_query_syntax", (Request("GET", qs(("query", "ASK {")), status="4xx"),)),
    ProtocolTest("bad_update_get", (Request("GET", qs(("update", "CLEAR ALL")), status="4xx"),)),
    ProtocolTest("bad_multiple_updates", (Request("POST", "", qs(("update", "CLEAR NAMED"), ("update", "CLEAR DEFAULT")),
                                                  FORM, status="4xx"),)),
    ProtocolTest("bad_update_wrong_media_type", (Request("POST", "", "CLEAR NAMED", "text/plain", status="4xx"),)),
    ProtocolTest("bad_update_missing_form_type", (Request("POST", "", "update=" + quote("CLEAR NAMED", safe=""), None,
                                                          status="4xx"),)),
    ProtocolTest("bad_update_non_utf8", (Request("POST", "", "CLEAR NAMED", f"{UPDATE}; charset=UTF-16", "utf-16",
                                                 status="4xx"),)),
    ProtocolTest("bad_update_syntax", (Request("POST", "", "update=" + quote("CLEAR XYZ", safe=""), FORM,
                                               status="4xx"),)),
    ProtocolTest("bad_update_dataset_conflict", (Request("POST", qs(("using-named-graph-uri", "http://example/people")),
                                                         UPDATE_CONFLICT, UPDATE, status="4xx"),)),
]
