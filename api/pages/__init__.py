"""The web pages under /ui/: server-rendered from the services the API calls, enhanced by htmx.

One module per area (home, login, lists, the SPARQL console, the cockpit, taking an épreuve, supervising it).
Every page route declares its permission like an API route (the access-matrix test reads them), and every unsafe
page request must carry the anti-forgery token (a router dependency). Assets are vendored under web/static and
served here: no CDN.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from api.pages import audit, cockpit, exam, home, lists, login, notation, planner, sparql_console, studio, supervision
from api.pages import dashboards
from api.pages.i18n import N_, LocaleMiddleware, _, load
from api.pages.render import fragment, is_htmx, render, templates
from api.security import SESSION_COOKIE, principal_for_token
from services.access.model import ANONYMOUS, Principal
from services.access.oidc_login import OidcLogin
from store.paths import WEB_DIR

STATIC = "/ui/static"
TITLES = {401: N_("Sign in"), 403: N_("Not allowed"), 404: N_("Not found"), 409: N_("Conflict"),
          413: N_("Too large"), 422: N_("Cannot be done"), 503: N_("Unavailable")}
ERROR_TITLE = N_("Error")


def install(app: FastAPI) -> None:
    """Add the pages, their assets, their language and their way of answering errors to the app."""
    settings = app.state.platform.settings
    app.state.templates = templates(WEB_DIR / "templates")
    app.state.page_names = {}
    app.state.function_labels = {}
    app.state.oidc_login = OidcLogin(settings) if settings.oidc_issuer and settings.oidc_client_id else None
    app.add_middleware(LocaleMiddleware, catalogues=load(WEB_DIR / "i18n"))
    app.mount(STATIC, StaticFiles(directory=WEB_DIR / "static"), name="static")
    for module in (home, login, lists, sparql_console, cockpit, exam, supervision, planner, studio, notation, audit,
                   dashboards):
        app.include_router(module.router)


def caller_of(request: Request) -> Principal:
    """The caller of a failed request, for the menu of its error page (anonymous when their token is bad)."""
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else request.cookies.get(SESSION_COOKIE)
    if not token:
        return ANONYMOUS
    try:
        return principal_for_token(request, token)
    except HTTPException:
        return ANONYMOUS


def error_page(request: Request, status: int, text: str, headers: dict | None) -> Response:
    """A refusal or an error as a page: sign in (401), the reason in words otherwise; for htmx, the message."""
    principal = caller_of(request)
    if is_htmx(request):
        if status == 401:
            return Response(status_code=204, headers={"HX-Redirect": login.login_url(request)})
        # Answered 200 so htmx shows the message in the page's status region and swaps nothing else.
        response = fragment(request, principal, "_empty.html", text, "error")
        response.headers["HX-Reswap"] = "none"
        return response
    if status == 401:
        return login.login_page(request, principal, status=401, reason=text)
    page = render(request, principal, "error.html", status=status, status_code=status,
                  title=_(TITLES.get(status, ERROR_TITLE)), reason=text)
    for key, value in (headers or {}).items():
        page.headers.setdefault(key, value)
    return page

