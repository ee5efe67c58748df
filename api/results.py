"""Content negotiation and serialisation of SPARQL results and graphs."""

from __future__ import annotations

import json

import pyoxigraph as ox

from store.port import GraphResult, Rows

RESULT_TYPES = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "application/xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
GRAPH_TYPES = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/trig": ox.RdfFormat.TRIG,
    "text/plain": ox.RdfFormat.N_TRIPLES,
}
FORMAT_ALIASES = {
    "json": "application/sparql-results+json", "xml": "application/sparql-results+xml",
    "csv": "text/csv", "tsv": "text/tab-separated-values", "turtle": "text/turtle", "ttl": "text/turtle",
    "nt": "application/n-triples", "ntriples": "application/n-triples", "json-ld": "application/ld+json",
    "jsonld": "application/ld+json", "rdfxml": "application/rdf+xml", "rdf+xml": "application/rdf+xml",
}


def _accepted(accept: str | None) -> list[str]:
    """Media types of an Accept header, best first."""
    if not accept:
        return []
    ranked = []
    for index, part in enumerate(accept.split(",")):
        media, *params = [p.strip() for p in part.split(";")]
        q = 1.0
        for p in params:
            if p.startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        if media and q > 0:
            ranked.append((-q, index, media.lower()))
    return [m for _, _, m in sorted(ranked)]


def choose(accept: str | None, fmt: str | None, offered: dict, default: str) -> str | None:
    """The media type to answer with, or None when nothing acceptable is offered."""
    if fmt:
        media = FORMAT_ALIASES.get(fmt.lower(), fmt.lower())
        if media in offered:
            return media
    wanted = _accepted(accept)
    if not wanted:
        return default
    for media in wanted:
        if media in offered:
            return media
        if media in ("*/*", "application/*", "text/*"):
            return default
    return None


def term_json(term) -> dict:
    """SPARQL JSON form of a pyoxigraph term."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
        out["datatype"] = term.datatype.value
    return out


def results_json(result: Rows | bool) -> dict:
    """SPARQL 1.1 JSON results document."""
    if isinstance(result, bool):
        return {"head": {}, "boolean": result}
    return {
        "head": {"vars": result.variables},
        "results": {"bindings": [{k: term_json(v) for k, v in row.items()} for row in result.rows]},
    }


def serialize_result(result: Rows | bool | GraphResult, media: str) -> bytes:
    """Bytes of a result in a negotiated media type."""
    if isinstance(result, GraphResult):
        return ox.serialize(result.triples, format=GRAPH_TYPES[media])
    body = json.dumps(results_json(result), ensure_ascii=False).encode()
    fmt = RESULT_TYPES[media]
    if fmt == ox.QueryResultsFormat.JSON:
        return body
    return ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON).serialize(format=fmt)
