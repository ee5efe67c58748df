"""Who may change the lists of a level: the administrator, or a list administrator of that level or above."""

from __future__ import annotations

from services.access.model import LIST_ADMIN, Principal
from services.access.policy import Policy
from services.lists.repository import ListError, ListRepository


class ListForbidden(ListError):
    """The caller does not administer the lists of this level."""


def ensure_administers(policy: Policy, repo: ListRepository, principal: Principal, level: str) -> None:
    """Raise ListForbidden unless the caller holds the list administrator function on the level or above it
    (levels follow the organisation tree: a university's administrator covers its faculties)."""
    chain = repo.chain_to(level)  # NotFound for an unknown level
    if principal.is_admin:
        return
    held = principal.organisations(frozenset({LIST_ADMIN}))
    if not held & set(chain):
        raise ListForbidden(f"you are not a list administrator of level {level} or of a level above it")
