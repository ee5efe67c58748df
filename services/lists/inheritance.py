"""Resolving a list through the chain of levels: the pure rules of inheritance."""

from __future__ import annotations

from services.lists.model import (
    HIDE, RELABEL, REORDER, SHOW, EffectiveList, Layer, Problem, Resolved, with_values,
)


def _sort_key(resolved: Resolved):
    entry = resolved.entry
    order = entry.order if entry.order is not None else float("inf")
    return (order, entry.notation or "", entry.label())


def resolve(chain: list[Layer]) -> EffectiveList:
    """Apply each level's entries and changes, from the list's owner down to the asking level.

    Hiding an entry hides its subtree; a change whose target is gone upstream, or an added entry whose
    parent is gone, is reported as a problem and never dropped silently.
    """
    current: dict[str, Resolved] = {}
    hidden: set[str] = set()
    problems: list[Problem] = []
    for layer in chain:
        for entry in layer.entries:
            if entry.deprecated:
                current.pop(entry.iri, None)
                continue
            current[entry.iri] = Resolved(entry, origin=layer.level)
        for change in layer.changes:
            target = current.get(change.target)
            if target is None:
                problems.append(Problem(layer.level, change.kind, change.target,
                                        f"the {change.kind} of {change.target} has no target: "
                                        "the entry was removed upstream"))
                continue
            if change.kind == HIDE:
                hidden.add(change.target)
                target.overridden_by["hidden"] = layer.level
            elif change.kind == SHOW:
                hidden.discard(change.target)
                target.overridden_by.pop("hidden", None)
            elif change.kind == RELABEL:
                target.entry = with_values(target.entry, labels={**target.entry.labels, **change.labels})
                target.overridden_by["labels"] = layer.level
            elif change.kind == REORDER:
                target.entry = with_values(target.entry, order=change.order)
                target.overridden_by["order"] = layer.level
    level = chain[-1].level if chain else ""
    for iri, resolved in current.items():
        parent = resolved.entry.parent
        if parent is not None and parent not in current:
            problems.append(Problem(resolved.origin, "add", iri,
                                    f"the parent {parent} of {iri} was removed upstream: shown at the root"))
    return EffectiveList(level, _tree_order(current, hidden), problems, sorted(hidden))


def _tree_order(current: dict[str, Resolved], hidden: set[str]) -> list[Resolved]:
    children: dict[str | None, list[Resolved]] = {}
    for resolved in current.values():
        parent = resolved.entry.parent if resolved.entry.parent in current else None
        children.setdefault(parent, []).append(resolved)
    ordered: list[Resolved] = []
    stack = [(r, 0) for r in sorted(children.get(None, []), key=_sort_key, reverse=True)]
    while stack:
        resolved, depth = stack.pop()
        if resolved.iri in hidden:
            continue  # hiding an entry hides its whole subtree
        resolved.depth = depth
        ordered.append(resolved)
        kids = sorted(children.get(resolved.iri, []), key=_sort_key, reverse=True)
        stack.extend((k, depth + 1) for k in kids)
    return ordered


def hidden_descendants(chain: list[Layer], iri: str) -> int:
    """How many entries hiding one entry hides with it (at the end of the chain)."""
    full = resolve([*chain[:-1], Layer(chain[-1].level, chain[-1].entries,
                                       [c for c in chain[-1].changes if not (c.kind == HIDE and c.target == iri)])])
    inside, count = False, 0
    for resolved in full.entries:
        if resolved.iri == iri:
            inside, depth = True, resolved.depth
            continue
        if inside:
            if resolved.depth <= depth:
                break
            count += 1
    return count
