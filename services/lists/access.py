"""Who may change the lists of a level: the administrator, or a list administrator of that level or above."""

from __future__ import annotations

from services.lists.repository import OFFICIEL, ListRepository


def administers(repo: ListRepository, person: str | None, is_admin: bool, level: str) -> bool:
    """Whether a caller may change the lists of a level."""
    if is_admin:
        return True
    if person is None or level == OFFICIEL:
        return False
    query = repo.platform.queries.get("list_admin_levels")
    rows = repo.platform.store.select(query.text, query.bind({"person": person}))
    held = {row["organisation"].value for row in rows}
    return bool(held & set(repo.chain_to(level)))
