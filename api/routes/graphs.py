"""SPARQL 1.1 Graph Store Protocol (indirect identification: `?graph=IRI` or `?default`).

Reads see the graphs the caller may read; writes are the administrator's and are validated. The default graph
is the union of the named graphs: a read-only view, so PUT, POST and DELETE on `?default` answer 405.
"""

from __future__ import annotations

from typing import Annotated

import pyoxigraph as ox
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from rdflib import Graph
from starlette.concurrency import run_in_threadpool

from api.openapi import raw_body
from api.deps import PlatformDep, ReadScopeDep, forget_cached_lists
from api.results import GRAPH_TYPES, choose
from api.security import SparqlQuery, StoreWrite
from store.dataset import DatasetSpec
from store.formats import parse_triples
from store.port import GraphResult, Limits
from store.terms import to_rdflib_graph

router = APIRouter(prefix="/graphs", tags=["Graph Store"])
GraphParam = Annotated[str | None, Query(description="the named graph's IRI")]
DefaultParam = Annotated[str | None, Query(description="present (empty): the default graph, the union of the "
                                                       "named graphs you may read")]
RDF_MEDIA = {"text/turtle": ox.RdfFormat.TURTLE, "application/n-triples": ox.RdfFormat.N_TRIPLES,
             "application/ld+json": ox.RdfFormat.JSON_LD, "application/rdf+xml": ox.RdfFormat.RDF_XML,
             "text/plain": ox.RdfFormat.N_TRIPLES}
TRIPLE_TYPES = {m: f for m, f in GRAPH_TYPES.items() if m not in ("application/n-quads", "application/trig")}
ALL_TRIPLES = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
RDF_BODY = raw_body("the graph's triples", *RDF_MEDIA)
READ_ONLY_DEFAULT = ("the default graph is the union of the named graphs, a read-only view: "
                     "write to a named graph with ?graph=IRI")


def _target(graph: str | None, default: str | None) -> ox.NamedNode | None:
    """The named graph a request is about, or None for the default graph."""
    if graph is not None and default is not None:
        raise HTTPException(400, "give either ?graph=IRI or ?default, not both")
    if graph is None and default is None:
        raise HTTPException(400, "name a graph with ?graph=IRI, or ?default for the default graph; "
                                 "list the graphs with GET /graphs/list (or Accept: application/json)")
    if graph is None:
        return None
    try:
        return ox.NamedNode(graph)
    except ValueError as exc:
        raise HTTPException(400, f"not an absolute IRI: {graph!r} ({exc})") from None


def _readable(iri: ox.NamedNode, readable: frozenset[str] | None) -> bool:
    return readable is None or iri.value in readable


def _listing(platform, readable) -> dict:
    return {"graphs": sorted(g.value for g in platform.store.named_graphs() if _readable(g, readable))}


def _triples(request: Request, platform, iri: ox.NamedNode | None, readable) -> list:
    if iri is None:
        settings = platform.settings
        dataset = None if readable is None else DatasetSpec(tuple(sorted(readable)), ())
        result = platform.store.execute(ALL_TRIPLES, None, Limits(settings.query_timeout_s, settings.max_results),
                                        dataset)
        assert isinstance(result, GraphResult)
        return result.triples
    triples = platform.store.graph_triples(iri) if _readable(iri, readable) else []
    if not triples:
        # A graph the caller may not read is answered as absent: its existence is not theirs to learn.
        raise HTTPException(404, f"no graph {iri.value}")
    return triples


def _negotiate(request: Request) -> str:
    media = choose(request.headers.get("accept"), request.query_params.get("format"), TRIPLE_TYPES, "text/turtle")
    if media is None:
        raise HTTPException(406, f"offered: {', '.join(TRIPLE_TYPES)}")
    return media


@router.get("/list", summary="The named graphs you may read")
def list_graphs(platform: PlatformDep, _: SparqlQuery, readable: ReadScopeDep) -> dict:
    """Every named graph the caller may read."""
    return _listing(platform, readable)


@router.get("", summary="Read a graph (?graph=IRI or ?default)")
def read_graph(request: Request, platform: PlatformDep, _: SparqlQuery, readable: ReadScopeDep, graph: GraphParam = None,
               default: DefaultParam = None):
    """The triples of a graph in a negotiated RDF format; with neither parameter and Accept: application/json,
    the list of named graphs."""
    if graph is None and default is None and "application/json" in request.headers.get("accept", ""):
        return _listing(platform, readable)
    iri = _target(graph, default)
    media = _negotiate(request)
    return Response(ox.serialize(_triples(request, platform, iri, readable), format=GRAPH_TYPES[media]),
                    media_type=media)


@router.head("", summary="Whether a graph exists, with the headers a GET would give")
def head_graph(request: Request, platform: PlatformDep, _: SparqlQuery, readable: ReadScopeDep, graph: GraphParam = None,
               default: DefaultParam = None):
    """200 with the GET's headers and no body; 404 for a graph that does not exist (or is not yours to read)."""
    iri = _target(graph, default)
    media = _negotiate(request)
    if iri is not None and not (_readable(iri, readable) and platform.store.has_graph(iri)):
        return Response(status_code=404)
    return Response(status_code=200, media_type=media)


async def _parse_body(request: Request, graph: str) -> Graph:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in RDF_MEDIA:
        raise HTTPException(415, f"send one of {', '.join(RDF_MEDIA)}")
    body = await request.body()
    triples = await run_in_threadpool(parse_triples, body, RDF_MEDIA[ctype], f"the {ctype} body", graph)
    return to_rdflib_graph(triples)


def _write_target(graph: str | None, default: str | None) -> ox.NamedNode:
    iri = _target(graph, default)
    if iri is None:
        raise HTTPException(405, READ_ONLY_DEFAULT, headers={"Allow": "GET, HEAD"})
    return iri


@router.put("", summary="Replace a named graph (validated)", openapi_extra=RDF_BODY)
async def put_graph(request: Request, platform: PlatformDep, admin: StoreWrite, graph: GraphParam = None,
                    default: DefaultParam = None):
    """Replace the graph's content in one transaction, after SHACL validation (201 when it is new)."""
    iri = _write_target(graph, default)
    data = await _parse_body(request, iri.value)
    existed = platform.store.has_graph(iri)
    await run_in_threadpool(platform.writer.replace_graph, iri.value, data)
    forget_cached_lists(request)
    return Response(status_code=204 if existed else 201)


@router.post("", summary="Add triples to a named graph (validated)", openapi_extra=RDF_BODY)
async def post_graph(request: Request, platform: PlatformDep, admin: StoreWrite, graph: GraphParam = None,
                     default: DefaultParam = None):
    """Add the body's triples to the graph in one transaction, after SHACL validation of the result."""
    iri = _write_target(graph, default)
    data = await _parse_body(request, iri.value)
    existed = platform.store.has_graph(iri)
    merged = to_rdflib_graph(platform.store.graph_triples(iri))
    merged += data
    await run_in_threadpool(platform.writer.replace_graph, iri.value, merged)
    forget_cached_lists(request)
    return Response(status_code=204 if existed else 201)


@router.delete("", summary="Drop a named graph")
def delete_graph(request: Request, platform: PlatformDep, admin: StoreWrite, graph: GraphParam = None,
                 default: DefaultParam = None):
    """Remove a graph and its triples."""
    iri = _write_target(graph, default)
    if not platform.store.has_graph(iri):
        raise HTTPException(404, f"no graph {iri.value}")
    platform.writer.drop_graph(iri.value)
    forget_cached_lists(request)
    return Response(status_code=204)

