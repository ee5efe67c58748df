"""Dependency aliases shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.security import CurrentPrincipal
from services.platform import Platform


async def get_platform(request: Request) -> Platform:
    """The platform the app was built with (async: a plain attribute read needs no worker thread)."""
    return request.app.state.platform


PlatformDep = Annotated[Platform, Depends(get_platform)]


def read_scope(request: Request, principal: CurrentPrincipal) -> frozenset[str] | None:
    """The graphs the caller may read (None: every graph): the dataset of their requests."""
    request.state.reader = principal  # the query path applies the caller's limits and logs personal-data reads
    return request.app.state.access.policy.readable_graphs(principal)


ReadScopeDep = Annotated[frozenset[str] | None, Depends(read_scope)]


def forget_cached_lists(request: Request) -> None:
    """After a write that bypassed the services (raw SPARQL update, Graph Store), drop what the app cached."""
    request.app.state.lists.invalidate()
    request.app.state.studio.invalidate()
    request.app.state.access.directory.forget()
    # Items may have changed too: the search index is read again from the store (searches meanwhile use it as is).
    request.app.state.studio.search_index.rebuild_in_background()
