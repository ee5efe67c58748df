"""Double-submit CSRF protection for callers authenticated by the session cookie.

A random token lives in its own cookie; every unsafe request must send it back, in the `X-CSRF-Token` header
(htmx, scripts, the SPARQL console) or the `csrf_token` form field (plain forms). Another site can make the
browser send the cookies, but it cannot read them to write the header or the field.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import HTTPException, Request

CSRF_COOKIE = "ontosides_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
REFUSAL = "the request lacks its anti-forgery token (CSRF): reload the page and try again"


def new_token() -> str:
    """A fresh anti-forgery token."""
    return secrets.token_urlsafe(32)


def matches(request: Request, sent: str | None) -> bool:
    """Whether a sent token equals the one of the caller's cookie."""
    kept = request.cookies.get(CSRF_COOKIE)
    return bool(kept and sent and hmac.compare_digest(kept.encode(), sent.encode()))


def check_header(request: Request) -> None:
    """403 for an unsafe request whose header does not carry the cookie's token."""
    if request.method not in SAFE_METHODS and not matches(request, request.headers.get(CSRF_HEADER)):
        raise HTTPException(403, REFUSAL)


async def check_page_request(request: Request) -> None:
    """403 for an unsafe page request without the token in its header or its form (a router dependency)."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER)
    if not sent and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        sent = (await request.form()).get(CSRF_FIELD)
    if not matches(request, sent if isinstance(sent, str) else None):
        raise HTTPException(403, REFUSAL)
