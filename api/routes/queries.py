"""Named queries: list them, read one, run one with typed parameters."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request

from api.deps import PlatformDep, ReadScopeDep
from api.security import Public, SparqlQuery
from api.routes.sparql import run_query

router = APIRouter(prefix="/queries", tags=["Named queries"])
RESERVED = {"format"}


@router.get("", summary="List the named queries")
def list_queries(platform: PlatformDep, _: Public) -> list[dict]:
    """Every named query with its summary and parameters."""
    return [q.as_dict() for q in platform.queries.all()]


@router.get("/{name}", summary="One named query, with its SPARQL text")
def get_query(name: str, platform: PlatformDep, _: Public) -> dict:
    """A named query's summary, parameters and text."""
    query = _find(platform, name)
    return {**query.as_dict(), "sparql": query.text}


@router.get("/{name}/run", summary="Run a named query (parameters in the query string)")
async def run_get(name: str, request: Request, platform: PlatformDep, _: SparqlQuery, readable: ReadScopeDep):
    """Run a named query; parameters are bound as typed RDF terms, never pasted into the text."""
    params = {k: v for k, v in request.query_params.items() if k not in RESERVED}
    return await _run(platform, name, params, request, readable)


@router.post("/{name}/run", summary="Run a named query (parameters as a JSON object)")
async def run_post(name: str, request: Request, platform: PlatformDep, _: SparqlQuery, readable: ReadScopeDep,
                   params: dict[str, str | int | float | bool] | None = None):
    """Run a named query with a JSON object of parameters."""
    return await _run(platform, name, params or {}, request, readable)


def _find(platform, name: str):
    try:
        return platform.queries.get(name)
    except KeyError as exc:
        raise HTTPException(404, str(exc.args[0])) from None


async def _run(platform, name: str, params: dict, request: Request, readable):
    query = _find(platform, name)
    return await run_query(request, platform, query.text, readable, bindings=query.bind(params),
                           fmt=request.query_params.get("format"), interrupt=False, cached=True)
