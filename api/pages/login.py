"""Signing in and out: with a platform token, through the university (OpenID Connect), or as a demo person.

Each way ends the same: a short-lived platform token labelled "web session" is issued to the person and kept
in an HttpOnly, SameSite=Lax cookie (Secure over https), which the API and the pages read like a bearer token.
Signing out revokes it.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.csrf import CSRF_COOKIE, check_page_request, new_token
from api.pages.i18n import LANG_COOKIE, LOCALES, N_, _
from api.pages.render import redirect, render, safe_next
from api.security import SESSION_COOKIE, Public, principal_for_claims, principal_for_token
from services.access.audit import AuditEvent
from services.access.model import Principal
from services.access.oidc import OidcRefused
from services.access.tokens import TokenRefused
from services.cockpit.model import CockpitError

router = APIRouter(prefix="/ui", dependencies=[Depends(check_page_request)], include_in_schema=False)
OIDC_STATE_COOKIE = "ontosides_oidc_state"
SESSION_LABEL = "web session"
# The demo people a newcomer may sign in as (ONTOSIDES_DEMO_LOGIN=1): one of each role, at the first faculty.
DEMO_PEOPLE = (
    ("admin", N_("Platform administrator")), ("la0-0", N_("List administrator (faculty)")),
    ("rs0-0", N_("Head of the school office")), ("sco0-0", N_("School office")), ("ge0-0", N_("Exam manager")),
    ("t0-0-0", N_("Teacher")), ("ch0-0", N_("Researcher")), ("de0-0", N_("Director of studies")),
    ("cor0-0", N_("Grader")),
    ("sup0-0", N_("Supervisor")), ("s0-0-0", N_("Student")),
)


def login_url(request: Request) -> str:
    """The sign-in page, coming back here afterwards."""
    here = request.headers.get("hx-current-url") or str(request.url)
    path = here.split("://", 1)[-1]
    path = "/" + path.split("/", 1)[1] if "/" in path else "/ui/"
    return f"/ui/login?next={quote(safe_next(path), safe='')}"


def demo_people(request: Request) -> list[dict]:
    """The demo people that exist on this platform, with their role in words."""
    people = request.app.state.cockpit.people
    found = []
    for key, role in DEMO_PEOPLE:
        try:
            person = people.get(key)
        except CockpitError:
            continue
        found.append({"key": key, "name": person.display(), "role": _(role)})
    return found


def login_page(request: Request, principal: Principal, status: int = 200, reason: str | None = None,
               next_url: str | None = None):
    """The sign-in page (also the answer to a page that needs an identified caller)."""
    settings = request.app.state.platform.settings
    if next_url is None:
        next_url = request.query_params.get("next") or (request.url.path if status == 401 else "/ui/")
    return render(request, principal, "login.html", status=status, reason=reason, next=safe_next(next_url),
                  oidc=request.app.state.oidc_login is not None,
                  demo=demo_people(request) if settings.demo_login else [], title=_("Sign in"))


def start_session(request: Request, person: str, next_url: str, how: str) -> RedirectResponse:
    """Issue the session token of a person and go on, with a fresh anti-forgery token."""
    settings = request.app.state.platform.settings
    access = request.app.state.access
    token, _iri = access.tokens.issue(person, SESSION_LABEL, 1, person, hours=settings.session_hours)
    access.audit.record(AuditEvent("login", "session", person, request.url.path, how))
    response = redirect(request, next_url)
    secure = request.url.scheme == "https"
    response.set_cookie(SESSION_COOKIE, token, max_age=settings.session_hours * 3600, httponly=True,
                        samesite="lax", secure=secure, path="/")
    response.set_cookie(CSRF_COOKIE, new_token(), httponly=True, samesite="lax", secure=secure, path="/")
    return response


@router.get("/login")
def login_form(request: Request, principal: Public):
    """The sign-in page."""
    return login_page(request, principal)


@router.post("/login/token")
def login_with_token(request: Request, principal: Public, token: Annotated[str, Form()],
                     next: Annotated[str, Form()] = "/ui/"):
    """Sign in with a platform token (or another credential the API accepts)."""
    try:
        caller = principal_for_token(request, token.strip())
    except HTTPException:
        return login_page(request, principal, status=401, next_url=next,
                          reason=_("This token is unknown, expired or revoked."))
    if caller.person is None:
        return login_page(request, principal, status=401, next_url=next, reason=_("This token names nobody."))
    return start_session(request, caller.person, next, "token")


@router.post("/login/demo")
def login_as_demo(request: Request, principal: Public, person: Annotated[str, Form()],
                  next: Annotated[str, Form()] = "/ui/"):
    """Sign in as a demo person (only when the platform runs with ONTOSIDES_DEMO_LOGIN=1)."""
    if not request.app.state.platform.settings.demo_login:
        raise HTTPException(404, "demo sign-in is off on this platform")
    if person not in {key for key, _role in DEMO_PEOPLE}:
        raise HTTPException(422, f"{person} is not a demo person")
    try:
        iri = request.app.state.cockpit.people.get(person).iri
    except CockpitError as exc:
        raise HTTPException(404, str(exc)) from None
    return start_session(request, iri, next, "demo")


@router.get("/login/oidc")
def login_with_oidc(request: Request, principal: Public, next: str = "/ui/"):
    """Off to the university's identity provider."""
    client = request.app.state.oidc_login
    if client is None:
        raise HTTPException(404, "sign-in through a university is not configured on this platform")
    settings = request.app.state.platform.settings
    callback = settings.oidc_redirect_url or str(request.url_for("oidc_callback"))
    try:
        url, state = client.begin(callback, safe_next(next))
    except OidcRefused as exc:
        return login_page(request, principal, status=503, reason=str(exc), next_url=next)
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(OIDC_STATE_COOKIE, state, max_age=600, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/ui/login/oidc")
    return response


@router.get("/login/oidc/callback", name="oidc_callback")
async def oidc_callback(request: Request, principal: Public, state: str = "", code: str = "",
                        error: str | None = None):
    """Back from the identity provider: the code becomes a verified identity, then a session."""
    client = request.app.state.oidc_login
    if client is None:
        raise HTTPException(404, "sign-in through a university is not configured on this platform")
    if error:
        return login_page(request, principal, status=401, reason=_("The identity provider refused: ") + error)
    if not state or state != request.cookies.get(OIDC_STATE_COOKIE):
        return login_page(request, principal, status=401,
                          reason=_("This sign-in did not start in this browser: start again."))
    try:
        claims, next_url = await run_in_threadpool(client.finish, state, code)
        caller = await run_in_threadpool(principal_for_claims, request, claims)
    except (OidcRefused, HTTPException) as exc:
        return login_page(request, principal, status=401, reason=getattr(exc, "detail", None) or str(exc))
    response = await run_in_threadpool(start_session, request, caller.person, next_url, "oidc")
    response.delete_cookie(OIDC_STATE_COOKIE, path="/ui/login/oidc")
    return response


@router.post("/logout")
def logout(request: Request, principal: Public):
    """Sign out: the session's token is revoked, the cookie dropped."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        access = request.app.state.access
        try:
            access.tokens.revoke(access.tokens.verify(token).iri)
        except TokenRefused:
            pass  # already expired or revoked: nothing left to end
    response = redirect(request, "/ui/", _("You are signed out."))
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/lang")
def switch_language(request: Request, principal: Public, to: str = "fr", next: str = "/ui/") -> Response:
    """Show the pages in another language (kept in a cookie for a year)."""
    response = RedirectResponse(safe_next(next), status_code=303)
    if to in LOCALES:
        response.set_cookie(LANG_COOKIE, to, max_age=365 * 86400, samesite="lax", path="/",
                            secure=request.url.scheme == "https")
    return response
