"""The current principal: every route gets its caller from here, so roles arrive without touching routes."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

ADMIN = "admin"
_bearer = HTTPBearer(auto_error=False, description="a bearer token from the platform configuration")


@dataclass(frozen=True)
class Principal:
    """Who is calling: a person IRI (or none) and the roles they hold."""

    id: str | None = None
    roles: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_anonymous(self) -> bool:
        """No credentials were given."""
        return self.id is None and not self.roles

    @property
    def is_admin(self) -> bool:
        """The platform administrator."""
        return ADMIN in self.roles


ANONYMOUS = Principal()


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


async def current_principal(request: Request,
                      credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Principal:
    """The caller, from the bearer token; anonymous without one; 401 for an unknown token.

    Async because it never blocks: a plain function dependency would cost every request a worker-thread hop.
    """
    if credentials is None:
        return ANONYMOUS
    settings = request.app.state.platform.settings
    token = credentials.credentials
    if settings.admin_token and _same(token, settings.admin_token):
        return Principal(id="urn:ontosides:admin", roles=frozenset({ADMIN}))
    for known, person in settings.user_tokens.items():
        if _same(token, known):
            return Principal(id=person, roles=frozenset())
    raise HTTPException(401, "unknown bearer token", headers={"WWW-Authenticate": "Bearer"})


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_admin(principal: CurrentPrincipal) -> Principal:
    """401 without credentials, 403 for a caller who is not the administrator."""
    if principal.is_anonymous:
        raise HTTPException(401, "this operation needs the administrator's bearer token",
                            headers={"WWW-Authenticate": "Bearer"})
    if not principal.is_admin:
        raise HTTPException(403, "this operation is reserved to the administrator")
    return principal


AdminPrincipal = Annotated[Principal, Depends(require_admin)]
