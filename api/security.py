"""Who is calling, and may they: every route declares the action it performs, and asks the policy through it.

A caller proves who they are with a bearer token (a platform token, an OpenID Connect token of the configured
issuer, or in development a configured user token) or the web pages' session cookie, which carries a
platform token. A route's signature names its permission (`ItemsAuthor`, `StoreWrite` …): the test of the
route table reads it, so a route without one fails the suite.
"""

from __future__ import annotations

import dataclasses
import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.csrf import check_header
from services.access.audit import AuditEvent
from services.access.model import ANONYMOUS, Principal
from services.access.oidc import Claims, OidcRefused, looks_like_jwt
from services.access.policy import ACTIONS
from services.access.tokens import TokenRefused
from services.cockpit.people import Identity

SESSION_COOKIE = "ontosides_session"
PAGES_PREFIX = "/ui/"
_bearer = HTTPBearer(auto_error=False, description="a platform token, an OpenID Connect token, or a session")

__all__ = ["Principal", "ANONYMOUS", "authenticate", "CurrentPrincipal", "Requires"]


def _refuse(request: Request, reason: str, actor: str | None = None) -> HTTPException:
    request.app.state.access.audit.record(AuditEvent("refusal", "authenticate", actor,
                                                     f"{request.method} {request.url.path}", reason))
    return HTTPException(401, f"{reason}: the request was not authenticated",
                         headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


def principal_for_token(request: Request, token: str) -> Principal:
    """The principal a token proves, or 401 (logged) when it proves nothing."""
    state = request.app.state
    settings = state.platform.settings
    access = state.access
    if settings.admin_token and hmac.compare_digest(token.encode(), settings.admin_token.encode()):
        # Checked against the configuration, not the store: the administrator keeps access after a DROP ALL.
        return Principal(state.cockpit.people.iri("admin"), True, (), "configured-token")
    for known, person in settings.user_tokens.items():
        if hmac.compare_digest(token.encode(), known.encode()):
            return access.directory.principal(person, "dev-token")
    if looks_like_jwt(token):
        if access.oidc is None:
            raise _refuse(request, "OpenID Connect is not configured on this platform")
        try:
            claims = access.oidc.verify(token)
        except OidcRefused as exc:
            raise _refuse(request, str(exc)) from None
        return principal_for_claims(request, claims)
    try:
        record = access.tokens.verify(token)
    except TokenRefused as exc:
        raise _refuse(request, str(exc)) from None
    return access.directory.principal(record.person, "token")


def principal_for_claims(request: Request, claims: Claims) -> Principal:
    """The principal of verified OpenID Connect claims: the account of the EPPN, created at its first login."""
    state = request.app.state
    university = state.cockpit.people.university_of_scope(claims.scope)
    if university is None:
        raise _refuse(request, f"no university of this platform issues EPPNs @{claims.scope}")
    person = state.cockpit.people.provision(Identity(claims.eppn, university, claims.family_name or "",
                                                     claims.given_name, claims.email, claims.email_verified))
    return state.access.directory.principal(person.iri, "oidc")


def authenticate(request: Request,
                 credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Principal:
    """The caller: from the bearer token, else the session cookie; anonymous without either.

    The browser sends the cookie to whatever asks for it, so an unsafe API request authenticated by the cookie
    must carry the anti-forgery header too (the pages check their forms' token themselves)."""
    if credentials is not None:
        return principal_for_token(request, credentials.credentials)
    session = request.cookies.get(SESSION_COOKIE)
    if session:
        if not request.url.path.startswith(PAGES_PREFIX):
            check_header(request)
        return dataclasses.replace(principal_for_token(request, session), via="session")
    return ANONYMOUS


CurrentPrincipal = Annotated[Principal, Depends(authenticate)]


class Requires:
    """A route's permission: the action it performs, checked against the policy before the route runs."""

    def __init__(self, action: str):
        if action not in ACTIONS:
            raise KeyError(f"no action {action!r} in the policy")
        self.action = action
        self.personal = ACTIONS[action].personal

    async def __call__(self, request: Request, principal: CurrentPrincipal) -> Principal:
        # On the event loop: a table lookup, not worth a thread hop.
        if request.app.state.access.policy.allows(principal, self.action):
            if self.personal and request.method in ("GET", "HEAD"):
                request.app.state.access.audit.record_read(principal.person, self.action,
                                                           f"{request.method} {request.url.path}",
                                                           request.url.query)
            return principal
        demand_failed(request, principal, self.action)
        raise AssertionError("unreachable")

    def __repr__(self) -> str:
        return f"Requires({self.action!r})"


def demand(request: Request, principal: Principal, action: str) -> None:
    """Ask the policy for an action the route decides on its input (a SPARQL update on the query endpoint)."""
    if not request.app.state.access.policy.allows(principal, action):
        demand_failed(request, principal, action)


def demand_failed(request: Request, principal: Principal, action: str) -> None:
    """Log the refusal and answer 401 (no credentials) or 403 (credentials that do not allow it)."""
    request.app.state.access.audit.record(AuditEvent("refusal", action, principal.person,
                                                     f"{request.method} {request.url.path}"))
    summary = ACTIONS[action].summary
    if principal.is_anonymous:
        raise HTTPException(401, f"this needs an identified caller ({summary}): send a bearer token",
                            headers={"WWW-Authenticate": "Bearer"})
    raise HTTPException(403, f"you may not {summary} ({action})")


def permission(action: str):
    """The annotated type of a route parameter that carries the caller once the action is allowed."""
    return Annotated[Principal, Depends(Requires(action))]


Public = permission("public")
SparqlQuery = permission("sparql:query")
StoreWrite = permission("store:write")
ListsRead = permission("lists:read")
ListsAdminister = permission("lists:administer")
AccountSelf = permission("account:self")
ItemsRead = permission("items:read")
ItemsAuthor = permission("items:author")
CockpitManage = permission("cockpit:manage")
CockpitGrant = permission("cockpit:grant")
GroupsAdminister = permission("groups:administer")
AuditRead = permission("audit:read")
PlannerRead = permission("planner:read")
PlannerManage = permission("planner:manage")
ExamTake = permission("exam:take")
ExamSupervise = permission("exam:supervise")
GradingGrade = permission("grading:grade")
GradingPublish = permission("grading:publish")
GradingAnnals = permission("grading:annals")
GradingOwn = permission("grading:own")
ResearchRead = permission("research:read")
GdprRead = permission("gdpr:read")
