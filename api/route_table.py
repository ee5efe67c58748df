"""The app's route table, with the permission each route declares (for the access matrix and the docs).

It holds the documented API operations and the web pages (under /ui/, left out of the OpenAPI schema): a page
route answers to the same policy as the API, so the same test covers both."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from fastapi.routing import APIRoute

from api.security import PAGES_PREFIX, Requires


@dataclass(frozen=True)
class RouteEntry:
    """One operation: its path, method, name and the actions its dependencies require."""

    path: str
    method: str
    name: str
    actions: tuple[str, ...]
    page: bool = False


def _requirements(dependant) -> list[str]:
    found = []
    for sub in dependant.dependencies:
        if isinstance(sub.call, Requires):
            found.append(sub.call.action)
        found += _requirements(sub)
    return found


def _routes(routes) -> Iterator:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "effective_route_contexts"):
            contexts = route.effective_route_contexts
            yield from (contexts() if callable(contexts) else contexts)
        elif hasattr(route, "routes"):
            yield from _routes(route.routes)


def is_page(path: str) -> bool:
    """Whether a path is one of the web pages (the home redirect included)."""
    return path in ("/", "/ui") or path.startswith(PAGES_PREFIX)


def route_table(app) -> list[RouteEntry]:
    """Every documented API operation and every page of the app, with the permission each declares."""
    entries = []
    for route in _routes(app.routes):
        page = is_page(route.path)
        if not (getattr(route, "include_in_schema", False) or page):
            continue
        actions = tuple(dict.fromkeys(_requirements(route.dependant)))
        for method in sorted(route.methods - {"HEAD"}) or ["HEAD"]:
            entries.append(RouteEntry(route.path, method, route.name, actions, page))
    return sorted(entries, key=lambda e: (e.path, e.method))


def permission_dependencies(app) -> list[Requires]:
    """Every permission dependency of the app's routes (a benchmark overrides them to measure their cost)."""
    return [sub.call for route in _routes(app.routes) for sub in route.dependant.dependencies
            if isinstance(sub.call, Requires)]
