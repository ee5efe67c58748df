"""Errors to HTTP answers, in one place: every route raises, the app answers with a status and a sentence."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

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


def answer(request: Request, exc: Exception, table: list[tuple[type[Exception], int]]) -> Response:
    """The response for an error: plain text on the SPARQL endpoint (what its clients expect), JSON elsewhere."""
    status = status_of(exc, table)
    if status >= 500 and not isinstance(exc, StoreError):
        log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        text = "internal error: the platform failed on this request; it has been logged"
    else:
        text = message_of(exc)
    if request.url.path.startswith("/sparql"):
        return PlainTextResponse(text, status_code=status)
    body: dict = {"detail": text}
    if isinstance(exc, ValidationFailed):
        body = {"detail": "the data breaks the shapes; nothing was written",
                "violations": [v.as_dict() for v in exc.violations]}
    return JSONResponse(body, status_code=status)


def install(app: FastAPI, domain: list[tuple[type[Exception], int]] | None = None) -> None:
    """Register the handlers; `domain` lists the services' own error classes with their statuses."""
    table = [*(domain or []), *STORE_STATUS]

    async def handle(request: Request, exc: Exception) -> Response:
        return answer(request, exc, table)

    for cls, _ in table:
        app.add_exception_handler(cls, handle)
    app.add_exception_handler(Exception, handle)
