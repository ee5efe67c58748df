"""Transitive closure over a mapping of edges (superclasses, parent entries)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def reachable(start: Iterable, edges: Mapping[object, Iterable]) -> set:
    """The start nodes and every node reachable from them by following the edges."""
    seen, todo = set(start), list(start)
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen
