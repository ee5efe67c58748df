"""A list as a tree for the people who administer it: every entry a level sees or hides, each marked with
where its values come from (inherited, added here, hidden, relabelled, reordered, and by which level); moves
among siblings planned as reorder changes. Pure rules over the layers, free of RDF."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from services.lists.inheritance import resolve
from services.lists.model import HIDE, SHOW, Entry, Layer, Problem


@dataclass
class Node:
    """An entry of the tree with the origin of each of its values."""

    iri: str
    entry: Entry
    origin: str
    parent: str | None
    depth: int
    hidden_by: str | None = None
    under_hidden: bool = False
    relabelled_by: str | None = None
    reordered_by: str | None = None
    local_changes: tuple[str, ...] = ()
    children: list[str] = field(default_factory=list)
    level: str = ""

    @property
    def own(self) -> bool:
        """Whether the asking level defined the entry itself."""
        return self.origin == self.level


@dataclass
class TreeView:
    """Every entry of a list at a level, hidden ones included, in tree order."""

    level: str
    nodes: dict[str, Node]
    roots: list[str]
    problems: list[Problem]
    _folded: dict[str, str] = field(default_factory=dict, repr=False)

    def children(self, parent: str | None) -> list[Node]:
        """The entries right under an entry (or at the root)."""
        keys = self.roots if parent is None else self.nodes[parent].children
        return [self.nodes[k] for k in keys]

    def ancestors(self, iri: str) -> list[Node]:
        """The entries above an entry, from the root down."""
        chain = []
        node = self.nodes.get(iri)
        while node is not None and node.parent is not None:
            node = self.nodes.get(node.parent)
            if node is not None:
                chain.append(node)
        return chain[::-1]

    def search(self, text: str, limit: int = 50) -> tuple[list[Node], int]:
        """Entries whose notation or labels hold every word of the text (accents and case ignored), in tree
        order, at most `limit` of them, with the number found."""
        words = fold(text).split()
        if not words:
            return [], 0
        if not self._folded:
            self._folded = {iri: fold(" ".join([n.entry.notation or "", *n.entry.labels.values()]))
                            for iri, n in self.nodes.items()}
        found = [self.nodes[iri] for iri, haystack in self._folded.items() if all(w in haystack for w in words)]
        return found[:limit], len(found)


def fold(text: str) -> str:
    """Lower case without accents, for searching."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()


def tree_view(layers: list[Layer]) -> TreeView:
    """The tree of a list at the last level of the chain, hidden entries kept and marked."""
    level = layers[-1].level
    unhidden = resolve([Layer(layer.level, layer.entries, [c for c in layer.changes if c.kind != HIDE])
                        for layer in layers])
    hidden_by: dict[str, str] = {}
    for layer in layers:
        for change in layer.changes:
            if change.kind == HIDE:
                hidden_by[change.target] = layer.level
            elif change.kind == SHOW:
                hidden_by.pop(change.target, None)
    local: dict[str, list[str]] = {}
    for change in layers[-1].changes:
        local.setdefault(change.target, []).append(change.kind)
    nodes: dict[str, Node] = {}
    roots: list[str] = []
    for resolved in unhidden.entries:
        parent = resolved.entry.parent if resolved.entry.parent in nodes else None
        node = Node(resolved.iri, resolved.entry, resolved.origin, parent, resolved.depth,
                    hidden_by=hidden_by.get(resolved.iri),
                    relabelled_by=resolved.overridden_by.get("labels"),
                    reordered_by=resolved.overridden_by.get("order"),
                    local_changes=tuple(sorted(local.get(resolved.iri, ()))), level=level)
        if parent is None:
            roots.append(node.iri)
        else:
            above = nodes[parent]
            above.children.append(node.iri)
            node.under_hidden = above.under_hidden or above.hidden_by is not None
        nodes[node.iri] = node
    return TreeView(level, nodes, roots, unhidden.problems)


def plan_move(siblings: list[Node], target: str, position: int) -> list[tuple[str, float]]:
    """The reorder changes that put one entry at a position among its siblings: one change when the
    neighbours' orders leave room, else the siblings numbered 1, 2, 3 … (only those whose order differs)."""
    current = [n for n in siblings if n.iri != target]
    moving = next(n for n in siblings if n.iri == target)
    position = max(0, min(position, len(current)))
    if siblings.index(moving) == position:
        return []
    before = current[position - 1] if position > 0 else None
    after = current[position] if position < len(current) else None
    orders = [n.entry.order for n in current]
    if None not in orders and all(a < b for a, b in zip(orders, orders[1:])):
        if before is None and after is not None:
            return [(target, after.entry.order - 1)]
        if after is None and before is not None:
            return [(target, before.entry.order + 1)]
        if before is not None and after is not None:
            return [(target, (before.entry.order + after.entry.order) / 2)]
        return []
    sequence = [*current[:position], moving, *current[position:]]
    return [(n.iri, float(i)) for i, n in enumerate(sequence, 1) if n.entry.order != float(i)]

