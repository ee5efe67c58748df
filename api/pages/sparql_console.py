"""The SPARQL console for researchers and administrators: the named queries as forms, their results as a
table and a CSV download, and YASGUI (served from web/static) for one's own queries on /sparql.

Queries run exactly as on the API: over the caller's dataset (the graphs they may read), within the same
limits, parameters bound as typed RDF terms.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request

from api.csrf import check_page_request
from api.deps import ReadScopeDep
from api.pages.i18n import _
from api.pages.render import is_htmx, render
from api.routes.sparql import execute_query
from api.security import SparqlQuery
from store.errors import QueryError, StoreError
from store.port import GraphResult
from store.queries import ParamError

router = APIRouter(prefix="/ui/sparql", dependencies=[Depends(check_page_request)], include_in_schema=False)
SHOWN_ROWS = 500
INPUT_TYPES = {"integer": "number", "decimal": "text", "date": "date", "dateTime": "text", "iri": "text",
               "string": "text", "boolean": "text"}


def catalogue(request: Request) -> list[dict]:
    """The named queries with their parameters, ready for a form."""
    queries = []
    for query in request.app.state.platform.queries.all():
        params = [{**p.as_dict(), "input": INPUT_TYPES.get(p.type, "text")} for p in query.params]
        queries.append({"name": query.name, "summary": query.summary, "params": params})
    return queries


def cell(term) -> str:
    """A result value as text."""
    return "" if term is None else getattr(term, "value", str(term))


def named_query_form(request: Request, name: str):
    """A named query (404 when unknown) and the values of its parameters the page's form sent ("" when not)."""
    try:
        query = request.app.state.platform.queries.get(name)
    except KeyError:
        raise HTTPException(404, f"no named query {name}") from None
    return query, {p.name: request.query_params.get(p.name, "") for p in query.params}


@router.get("")
def console(request: Request, principal: SparqlQuery, query: str | None = None):
    """The named queries (one of them opened), and the SPARQL editor."""
    return render(request, principal, "sparql/console.html", title=_("SPARQL console"), queries=catalogue(request),
                  chosen=None, opened=query, table=None, values={})


@router.get("/run/{name}")
async def run(name: str, request: Request, principal: SparqlQuery, readable: ReadScopeDep):
    """Run a named query with the form's parameters: the first rows as a table, all of them as CSV."""
    platform = request.app.state.platform
    query, values = named_query_form(request, name)
    table, error = None, None
    try:
        result = await execute_query(request, platform, query.text, readable,
                                     bindings=query.bind({k: v for k, v in values.items() if v != ""}),
                                     interrupt=False)
        if isinstance(result, bool):
            table = {"variables": ["answer"], "rows": [[str(result).lower()]], "total": 1}
        elif isinstance(result, GraphResult):
            table = {"variables": ["subject", "predicate", "object"], "total": len(result.triples),
                     "rows": [[cell(t.subject), cell(t.predicate), cell(t.object)]
                              for t in result.triples[:SHOWN_ROWS]]}
        else:
            table = {"variables": result.variables, "total": len(result.rows),
                     "rows": [[cell(row.get(v)) for v in result.variables] for row in result.rows[:SHOWN_ROWS]]}
    except (ParamError, QueryError, StoreError) as exc:
        error = str(exc)
    download = f"/queries/{name}/run?{urlencode({**{k: v for k, v in values.items() if v}, 'format': 'csv'})}"
    context = dict(chosen=name, opened=name, values=values, table=table, error=error, download=download, shown=SHOWN_ROWS)
    if is_htmx(request):
        return render(request, principal, "sparql/_results.html", **context)
    return render(request, principal, "sparql/console.html", title=_("SPARQL console"), queries=catalogue(request),
                  **context)
