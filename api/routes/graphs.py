"""SPARQL 1.1 Graph Store Protocol on named graphs; writes are the administrator's and are validated."""

from __future__ import annotations

from typing import Annotated

import pyoxigraph as ox
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from rdflib import Graph
from starlette.concurrency import run_in_threadpool

from api.deps import PlatformDep, forget_cached_lists
from api.results import GRAPH_TYPES, choose
from api.security import AdminPrincipal
from store.errors import StoreError, ValidationFailed
from store.terms import to_rdflib_graph

router = APIRouter(prefix="/graphs", tags=["Graph Store"])
GraphParam = Annotated[str, Query(description="the named graph's IRI")]
RDFLIB_FORMATS = {"text/turtle": "turtle", "application/n-triples": "nt", "application/ld+json": "json-ld",
                  "application/rdf+xml": "xml", "text/plain": "nt"}


def _graph_iri(graph: str) -> ox.NamedNode:
    try:
        return ox.NamedNode(graph)
    except ValueError:
        raise HTTPException(400, f"not a valid IRI: {graph!r}") from None


@router.get("", summary="Read a named graph (or list graphs when none is given)")
def read_graph(request: Request, platform: PlatformDep, graph: GraphParam | None = None):
    """The triples of a graph in a negotiated RDF format; without `graph`, the list of named graphs."""
    if graph is None:
        return {"graphs": sorted(g.value for g in platform.store.named_graphs())}
    iri = _graph_iri(graph)
    triples = platform.store.graph_triples(iri)
    if not triples:
        raise HTTPException(404, f"no graph {graph}")
    media = choose(request.headers.get("accept"), request.query_params.get("format"), GRAPH_TYPES, "text/turtle")
    if media is None or media in ("application/n-quads", "application/trig"):
        raise HTTPException(406, f"offered: {', '.join(RDFLIB_FORMATS)}")
    return Response(ox.serialize(triples, format=GRAPH_TYPES[media]), media_type=media)


async def _parse_body(request: Request, graph: str) -> Graph:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in RDFLIB_FORMATS:
        raise HTTPException(415, f"send one of {', '.join(RDFLIB_FORMATS)}")
    body = await request.body()
    data = Graph()
    try:
        data.parse(data=body, format=RDFLIB_FORMATS[ctype], publicID=graph)
    except Exception as exc:  # rdflib raises many parser-specific types
        raise HTTPException(400, f"the {ctype} body does not parse: {exc}") from None
    return data


def _rejected(exc: ValidationFailed) -> JSONResponse:
    return JSONResponse({"detail": "the graph does not conform to the shapes; nothing was written",
                         "violations": [v.as_dict() for v in exc.violations]}, status_code=422)


@router.put("", summary="Replace a named graph (validated)")
async def put_graph(request: Request, platform: PlatformDep, admin: AdminPrincipal, graph: GraphParam):
    """Replace the graph's content in one transaction, after SHACL validation."""
    iri = _graph_iri(graph)
    data = await _parse_body(request, graph)
    existed = platform.store.has_graph(iri)
    try:
        await run_in_threadpool(platform.writer.replace_graph, graph, data)
    except ValidationFailed as exc:
        return _rejected(exc)
    except StoreError as exc:
        raise HTTPException(500, str(exc)) from None
    forget_cached_lists(request)
    return Response(status_code=204 if existed else 201)


@router.post("", summary="Add triples to a named graph (validated)")
async def post_graph(request: Request, platform: PlatformDep, admin: AdminPrincipal, graph: GraphParam):
    """Add the body's triples to the graph in one transaction, after SHACL validation of the result."""
    iri = _graph_iri(graph)
    data = await _parse_body(request, graph)
    merged = to_rdflib_graph(platform.store.graph_triples(iri))
    merged += data
    try:
        await run_in_threadpool(platform.writer.replace_graph, graph, merged)
    except ValidationFailed as exc:
        return _rejected(exc)
    forget_cached_lists(request)
    return Response(status_code=204)


@router.delete("", summary="Drop a named graph")
def delete_graph(request: Request, platform: PlatformDep, admin: AdminPrincipal, graph: GraphParam):
    """Remove a graph and its triples."""
    iri = _graph_iri(graph)
    if not platform.store.has_graph(iri):
        raise HTTPException(404, f"no graph {graph}")
    platform.writer.drop_graph(graph)
    forget_cached_lists(request)
    return Response(status_code=204)
