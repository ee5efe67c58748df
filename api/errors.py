"""Errors to HTTP answers, in one place: every route raises, the app answers with a status and a sentence."""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.exceptions import HTTPException

from api.query_gate import CallerBusy
from store.errors import (
    FederationRefused,
    ImportFailed,
    QueryError,
    QuerySyntaxError,
    QueryTimeout,
    ResultTooLarge,
    StoreError,
    ValidationFailed,
)
from store.queries import ParamError

log = logging.getLogger("ontosides.api")
PAGES = "/ui/"
# How the web pages answer an error: (request, status, sentence, headers) → an HTML page or fragment.
HtmlAnswer = Callable[[Request, int, str, dict | None], Response]

# Most specific first: the first class an error is an instance of gives its status.
STORE_STATUS: list[tuple[type[Exception], int]] = [
    (ValidationFailed, 422),
    (QuerySyntaxError, 400),
    (FederationRefused, 400),
    (QueryTimeout, 503),
    (ResultTooLarge, 422),
    (QueryError, 400),
    (ImportFailed, 400),
    (ParamError, 422),
    (CallerBusy, 429),
    (StoreError, 503),
]


def status_of(exc: Exception, table: list[tuple[type[Exception], int]]) -> int:
    """The HTTP status of a known error (500 for anything else: a bug)."""
    return next((status for cls, status in table if isinstance(exc, cls)), 500)


def message_of(exc: Exception) -> str:
    """The sentence a caller reads."""
    if isinstance(exc, QuerySyntaxError):
        return f"SPARQL syntax error: {exc}"
    if isinstance(exc, QueryTimeout):
        return f"{exc}; narrow the query or add a LIMIT"
    return str(exc)


def answer(request: Request, exc: Exception, table: list[tuple[type[Exception], int]],
           html: HtmlAnswer | None = None) -> Response:
    """The response for an error: plain text on the SPARQL endpoint (what its clients expect), an HTML page on
    the web pages, JSON elsewhere."""
    status = status_of(exc, table)
    if status >= 500 and not isinstance(exc, StoreError):
        log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        text = "internal error: the platform failed on this request; it has been logged"
    else:
        text = message_of(exc)
    if html is not None and request.url.path.startswith(PAGES):
        return html(request, status, text, None)
    if request.url.path.startswith("/sparql"):
        return PlainTextResponse(text, status_code=status)
    body: dict = {"detail": text}
    if isinstance(exc, ValidationFailed):
        body = {"detail": "the data breaks the shapes; nothing was written",
                "violations": [v.as_dict() for v in exc.violations]}
    return JSONResponse(body, status_code=status)


def install(app: FastAPI, domain: list[tuple[type[Exception], int]] | None = None,
            html: HtmlAnswer | None = None) -> None:
    """Register the handlers; `domain` lists the services' own error classes with their statuses; `html`
    answers the web pages' errors (refusals, unknown resources, incomplete forms) as pages."""
    table = [*(domain or []), *STORE_STATUS]

    async def handle(request: Request, exc: Exception) -> Response:
        return answer(request, exc, table, html)

    async def handle_http(request: Request, exc: HTTPException) -> Response:
        if html is not None and request.url.path.startswith(PAGES):
            return html(request, exc.status_code, str(exc.detail), getattr(exc, "headers", None))
        return await http_exception_handler(request, exc)

    async def handle_invalid(request: Request, exc: RequestValidationError) -> Response:
        if html is not None and request.url.path.startswith(PAGES):
            fields = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in exc.errors())
            return html(request, 422, fields, None)
        return await request_validation_exception_handler(request, exc)

    for cls, _ in table:
        app.add_exception_handler(cls, handle)
    app.add_exception_handler(Exception, handle)
    app.add_exception_handler(HTTPException, handle_http)
    app.add_exception_handler(RequestValidationError, handle_invalid)
