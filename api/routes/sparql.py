"""SPARQL 1.1 Protocol: queries over the caller's dataset, updates for the administrator."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from api.deps import PlatformDep, ReadScopeDep, forget_cached_lists
from api.results import GRAPH_TYPES, RESULT_TYPES, choose, serialize_result
from api.security import SparqlQuery, demand
from services.platform import Platform
from store.dataset import dataset_for, protocol_dataset
from store.port import GraphResult, Limits

router = APIRouter(tags=["SPARQL"])
FORM = "application/x-www-form-urlencoded"
QUERY_BODY = "application/sparql-query"
UPDATE_BODY = "application/sparql-update"
SINGLE = ("query", "update")


class ProtocolError(Exception):
    """A request the SPARQL protocol does not allow; the message says why."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass
class ProtocolRequest:
    """What a protocol request carries: its operation, the dataset parameters and the output format."""

    query: str | None = None
    update: str | None = None
    params: dict[str, list[str]] = field(default_factory=dict)

    def values(self, name: str) -> list[str]:
        """Every value of a (repeatable) parameter."""
        return self.params.get(name, [])


def _collect(pairs: list[tuple[str, str]], into: dict[str, list[str]]) -> None:
    for key, value in pairs:
        into.setdefault(key, []).append(value)


def _utf8(body: bytes, ctype_params: dict[str, str]) -> str:
    charset = ctype_params.get("charset", "utf-8").strip('"').lower()
    if charset not in ("utf-8", "utf8"):
        raise ProtocolError(415, f"the body must be UTF-8 (charset={charset} was given)")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError(400, f"the body is not valid UTF-8 (byte {exc.start})") from None


def _content_type(request: Request) -> tuple[str, dict[str, str]]:
    raw = request.headers.get("content-type", "")
    media, *rest = [p.strip() for p in raw.split(";")]
    params = {}
    for part in rest:
        key, _, value = part.partition("=")
        params[key.strip().lower()] = value.strip()
    return media.lower(), params


def _query_string(request: Request) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    try:
        _collect(parse_qsl(request.url.query, keep_blank_values=True, errors="strict"), found)
    except UnicodeDecodeError:
        raise ProtocolError(400, "the query string is not valid UTF-8") from None
    return found


async def parse_protocol(request: Request) -> ProtocolRequest:
    """Read a GET or POST protocol request; 4xx for what SPARQL 1.1 Protocol § 2 does not allow."""
    params = _query_string(request)
    if request.method == "POST":
        media, ctype_params = _content_type(request)
        body = await request.body()
        if media == FORM:
            try:
                _collect(parse_qsl(_utf8(body, ctype_params), keep_blank_values=True, errors="strict"), params)
            except UnicodeDecodeError:
                raise ProtocolError(400, "the form body is not valid UTF-8") from None
        elif media in (QUERY_BODY, UPDATE_BODY):
            if any(params.get(k) for k in SINGLE):
                raise ProtocolError(400, f"a {media} body carries the operation: do not also send "
                                         "'query' or 'update' parameters")
            params["query" if media == QUERY_BODY else "update"] = [_utf8(body, ctype_params)]
        elif not media:
            raise ProtocolError(400, "a POST needs a Content-Type: application/x-www-form-urlencoded, "
                                     "application/sparql-query or application/sparql-update")
        else:
            raise ProtocolError(415, f"{media} is not a SPARQL request: send application/x-www-form-urlencoded, "
                                     "application/sparql-query or application/sparql-update")
    for key in SINGLE:
        if len(params.get(key, [])) > 1:
            raise ProtocolError(400, f"{len(params[key])} '{key}' parameters were sent: exactly one is allowed")
    query, update = (params.get(k, [None])[0] for k in SINGLE)
    if query is not None and update is not None:
        raise ProtocolError(400, "a request carries one operation: a 'query' or an 'update', not both")
    if update is not None and request.method != "POST":
        raise ProtocolError(405, "updates are sent with POST (SPARQL 1.1 Protocol § 2.2)")
    if query is None and update is None:
        raise ProtocolError(400, "missing 'query' (or, with POST, 'update')")
    if query is not None and (params.get("using-graph-uri") or params.get("using-named-graph-uri")):
        raise ProtocolError(400, "using-graph-uri / using-named-graph-uri belong to updates; "
                                 "queries take default-graph-uri / named-graph-uri")
    if update is not None and (params.get("default-graph-uri") or params.get("named-graph-uri")):
        raise ProtocolError(400, "default-graph-uri / named-graph-uri belong to queries; "
                                 "updates take using-graph-uri / using-named-graph-uri")
    return ProtocolRequest(query, update, params)


async def execute_query(request: Request, platform: Platform, query: str, readable: frozenset[str] | None,
                        requested=None, bindings: dict | None = None, interrupt: bool = True):
    """Run a read-only query over the caller's dataset within the limits, through the query gate."""
    settings = platform.settings
    principal = getattr(request.state, "reader", None)
    access = request.app.state.access
    researcher = principal is not None and access.policy.is_researcher(principal)
    if researcher:
        limits = Limits(timeout_s=min(settings.query_timeout_s, settings.research_timeout_s),
                        max_results=min(settings.max_results, settings.research_max_results), interrupt=interrupt)
    else:
        limits = Limits(timeout_s=settings.query_timeout_s, max_results=settings.max_results, interrupt=interrupt)
    dataset = dataset_for(query, requested, readable, settings.base_iri)
    note_read(request, query, bindings)

    def execute():
        return platform.store.execute(query, bindings, limits, dataset)

    if not researcher:
        return await request.app.state.query_gate.run(execute)
    with request.app.state.researcher_slots.hold(principal.person):
        return await request.app.state.query_gate.run(execute)


def note_read(request: Request, query: str, bindings: dict | None) -> None:
    """Log the query in the access log when the caller's dataset holds other people's personal data."""
    principal = getattr(request.state, "reader", None)
    access = request.app.state.access
    if principal is not None and access.policy.reads_personal_data(principal):
        access.audit.record_read(principal.person, "sparql:query", f"{request.method} {request.url.path}",
                                 _described(query, bindings))


def _described(query: str, bindings: dict | None) -> str:
    """What the access log keeps of a query: its text and the values bound to it."""
    if not bindings:
        return query
    bound = "; ".join(f"{k}={v}" for k, v in sorted(bindings.items(), key=lambda kv: str(kv[0])))
    return f"{query}\n# bound: {bound}"


async def run_query(request: Request, platform: Platform, query: str, readable: frozenset[str] | None,
                    requested=None, bindings: dict | None = None, fmt: str | None = None,
                    interrupt: bool = True, cached: bool = False) -> Response:
    """Run a read-only query over the caller's dataset, within the limits, in a negotiated format.

    Text a caller wrote is interruptible (the engine checks the clock in each group), the administrator's too: a
    runaway query would otherwise hold its engine slot until it ends. The platform's named queries are not
    (`interrupt=False`): they are known, and spared the few microseconds a row the check costs; their results
    are kept a few seconds (`cached`), for dashboards many people open at once."""
    key = generation = None
    if cached:
        principal = getattr(request.state, "reader", None)
        researcher = principal is not None and request.app.state.access.policy.is_researcher(principal)
        key = (query, tuple(sorted((k, str(v)) for k, v in (bindings or {}).items())), readable, researcher,
               request.headers.get("accept"), fmt)
        generation = platform.store.generation
        hit = request.app.state.results.get(key, generation)
        if hit is not None:
            note_read(request, query, bindings)
            return Response(hit[0], media_type=hit[1])
    result = await execute_query(request, platform, query, readable, requested, bindings, interrupt)
    offered = GRAPH_TYPES if isinstance(result, GraphResult) else RESULT_TYPES
    default = "text/turtle" if isinstance(result, GraphResult) else "application/sparql-results+json"
    media = choose(request.headers.get("accept"), fmt, offered, default)
    if media is None:
        return PlainTextResponse(f"cannot answer in {request.headers.get('accept')}; offered: {', '.join(offered)}",
                                 status_code=406)
    body = await run_in_threadpool(serialize_result, result, media)
    charset = "" if "json" in media or "xml" in media else "; charset=utf-8"
    if key is not None:
        request.app.state.results.put(key, generation, body, media + charset)
    return Response(body, media_type=media + charset)


async def _serve(request: Request, platform: Platform, principal, readable) -> Response:
    try:
        call = await parse_protocol(request)
    except ProtocolError as exc:
        return PlainTextResponse(str(exc), status_code=exc.status)
    fmt = (call.values("format") or [None])[0]
    if call.update is not None:
        try:
            demand(request, principal, "store:write")
        except HTTPException as exc:
            return PlainTextResponse(exc.detail, status_code=exc.status_code, headers=exc.headers)
        using = protocol_dataset(call.values("using-graph-uri"), call.values("using-named-graph-uri"),
                                 ("using-graph-uri", "using-named-graph-uri"))
        await run_in_threadpool(platform.store.update, call.update, using)
        # A raw update may touch list graphs without a new revision token: drop what the app cached.
        forget_cached_lists(request)
        return Response(status_code=204)
    requested = protocol_dataset(call.values("default-graph-uri"), call.values("named-graph-uri"))
    return await run_query(request, platform, call.query, readable, requested, fmt=fmt)


RESULTS = {200: {"content": {m: {} for m in list(RESULT_TYPES) + list(GRAPH_TYPES)}}}
POST_BODY = {"requestBody": {"content": {
    FORM: {"schema": {"type": "object", "properties": {
        "query": {"type": "string"}, "update": {"type": "string"},
        "default-graph-uri": {"type": "array", "items": {"type": "string"}},
        "named-graph-uri": {"type": "array", "items": {"type": "string"}},
        "using-graph-uri": {"type": "array", "items": {"type": "string"}},
        "using-named-graph-uri": {"type": "array", "items": {"type": "string"}}}}},
    QUERY_BODY: {"schema": {"type": "string"}},
    UPDATE_BODY: {"schema": {"type": "string"}}}}}


@router.get("/sparql", summary="SPARQL query (GET)", responses=RESULTS)
async def sparql_get(request: Request, platform: PlatformDep, principal: SparqlQuery, readable: ReadScopeDep,
                     query: Annotated[str | None, Query(description="the SPARQL query")] = None,
                     default_graph_uri: Annotated[list[str] | None, Query(alias="default-graph-uri")] = None,
                     named_graph_uri: Annotated[list[str] | None, Query(alias="named-graph-uri")] = None,
                     format: Annotated[str | None, Query(description="json, xml, csv, tsv, turtle, nt, jsonld")] = None):
    """Run a read-only query: `query`, repeatable `default-graph-uri` and `named-graph-uri`, optional `format`.

    Without dataset parameters or FROM clauses the default graph is the union of the named graphs you may
    read; GRAPH reaches only those graphs."""
    return await _serve(request, platform, principal, readable)


@router.post("/sparql", summary="SPARQL query or update (POST)", responses=RESULTS, openapi_extra=POST_BODY)
async def sparql_post(request: Request, platform: PlatformDep, principal: SparqlQuery, readable: ReadScopeDep):
    """Queries as a form or `application/sparql-query`; updates (administrator) as a form or
    `application/sparql-update`, with `using-graph-uri` / `using-named-graph-uri`."""
    return await _serve(request, platform, principal, readable)
