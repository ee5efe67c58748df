"""The app's route table, with the permission each route declares (for the access matrix and the docs)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from fastapi.routing import APIRoute

from api.security import Requires


@dataclass(frozen=True)
class RouteEntry:
    """One operation: its path, method, name and the actions its dependencies require."""

    path: str
    method: str
    name: str
    actions: tuple[str, ...]


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


def route_table(app) -> list[RouteEntry]:
    """Every documented API operation of the app with the permission it declares."""
    entries = []
    for route in _routes(app.routes):
        if not getattr(route, "include_in_schema", False):
            continue
        actions = tuple(dict.fromkeys(_requirements(route.dependant)))
        for method in sorted(route.methods - {"HEAD"}) or ["HEAD"]:
            entries.append(RouteEntry(route.path, method, route.name, actions))
    return sorted(entries, key=lambda e: (e.path, e.method))


def permission_dependencies(app) -> list[Requires]:
    """Every permission dependency of the app's routes (a benchmark overrides them to measure their cost)."""
    return [sub.call for route in _routes(app.routes) for sub in route.dependant.dependencies
            if isinstance(sub.call, Requires)]
