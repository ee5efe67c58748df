"""SPARQL 1.1 Protocol: queries for everyone, updates for the administrator."""

from __future__ import annotations

import asyncio
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from api.deps import PlatformDep, forget_cached_lists
from api.results import GRAPH_TYPES, RESULT_TYPES, choose, serialize_result
from api.security import CurrentPrincipal, require_admin
from services.platform import Platform
from store.errors import QueryError, QuerySyntaxError, QueryTimeout, ResultTooLarge, StoreError
from store.port import GraphResult, Limits

router = APIRouter(tags=["SPARQL"])


def error(status: int, message: str) -> PlainTextResponse:
    """A plain-text error, as SPARQL clients expect."""
    return PlainTextResponse(message, status_code=status)


async def run_query(platform: Platform, query: str, accept: str | None, fmt: str | None,
                    bindings: dict | None = None) -> Response:
    """Run a read-only query with the configured limits and answer in a negotiated format."""
    settings = platform.settings
    limits = Limits(timeout_s=settings.query_timeout_s, max_results=settings.max_results)
    try:
        result = await asyncio.wait_for(
            run_in_threadpool(platform.store.execute, query, bindings, limits), settings.query_timeout_s + 1
        )
    except QuerySyntaxError as exc:
        return error(400, f"SPARQL syntax error: {exc}")
    except (QueryTimeout, asyncio.TimeoutError):
        return error(503, f"the query ran longer than {settings.query_timeout_s:g} s and was stopped; "
                          "narrow it or add a LIMIT")
    except ResultTooLarge as exc:
        return error(422, str(exc))
    except QueryError as exc:
        return error(400, str(exc))
    except StoreError as exc:
        return error(502, str(exc))
    offered = GRAPH_TYPES if isinstance(result, GraphResult) else RESULT_TYPES
    default = "text/turtle" if isinstance(result, GraphResult) else "application/sparql-results+json"
    media = choose(accept, fmt, offered, default)
    if media is None:
        return error(406, f"cannot answer in {accept}; offered: {', '.join(offered)}")
    body = await run_in_threadpool(serialize_result, result, media)
    charset = "" if "json" in media or "xml" in media else "; charset=utf-8"
    return Response(body, media_type=media + charset)


async def run_update(request: Request, platform: Platform, update: str) -> Response:
    """Run a SPARQL update (administrator only, checked by the caller)."""
    try:
        await run_in_threadpool(platform.store.update, update)
    except QuerySyntaxError as exc:
        return error(400, f"SPARQL syntax error: {exc}")
    except StoreError as exc:
        return error(500, str(exc))
    # A raw update may touch list graphs without a new revision token: drop what the app cached.
    forget_cached_lists(request)
    return Response(status_code=204)


def _reject_dataset(params: dict) -> Response | None:
    for key in ("default-graph-uri", "named-graph-uri", "using-graph-uri", "using-named-graph-uri"):
        if params.get(key):
            return error(400, f"'{key}' is not supported: the default graph is the union of the named graphs; "
                              "use GRAPH or FROM in the query instead")
    return None


@router.get("/sparql", summary="SPARQL query (GET)",
            responses={200: {"content": {m: {} for m in list(RESULT_TYPES) + list(GRAPH_TYPES)}}})
async def sparql_get(request: Request, platform: PlatformDep,
                     query: Annotated[str | None, Query(description="the SPARQL query")] = None,
                     format: Annotated[str | None, Query(description="json, xml, csv, tsv, turtle, nt, jsonld")] = None):
    """Run a read-only SPARQL query; the default graph is the union of the named graphs."""
    if query is None:
        return error(400, "missing 'query' parameter")
    rejected = _reject_dataset(dict(request.query_params))
    if rejected:
        return rejected
    return await run_query(platform, query, request.headers.get("accept"), format)


@router.post("/sparql", summary="SPARQL query or update (POST)")
async def sparql_post(request: Request, platform: PlatformDep, principal: CurrentPrincipal):
    """Queries as form or application/sparql-query; updates (administrator) as form or application/sparql-update."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = (await request.body()).decode("utf-8", errors="replace")
    params = {k: v[-1] for k, v in parse_qs(request.url.query).items()}
    if ctype == "application/x-www-form-urlencoded":
        params.update({k: v[-1] for k, v in parse_qs(body, keep_blank_values=True).items()})
        query, update = params.get("query"), params.get("update")
    elif ctype == "application/sparql-query":
        query, update = body, None
    elif ctype == "application/sparql-update":
        query, update = None, body
    else:
        return error(415, "send application/x-www-form-urlencoded, application/sparql-query or application/sparql-update")
    rejected = _reject_dataset(params)
    if rejected:
        return rejected
    if update is not None:
        try:
            require_admin(principal)
        except HTTPException as exc:
            return error(exc.status_code, exc.detail)
        return await run_update(request, platform, update)
    if not query:
        return error(400, "missing 'query' (or 'update') parameter")
    return await run_query(platform, query, request.headers.get("accept"), params.get("format"))
