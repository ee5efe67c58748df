"""SHACL-gated writes: a whole graph is validated in memory, then committed in one update."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import Graph

from store.errors import ValidationFailed, Violation
from store.port import Store
from store.terms import to_ox
from store.validation import ShapeValidator


def graph_update(graph: str, data: Graph, replace: bool) -> str:
    """One SPARQL update that replaces (or extends) a named graph with the data."""
    target = str(ox.NamedNode(graph))
    body = data.serialize(format="nt")
    drop = f"DROP SILENT GRAPH {target} ;\n" if replace else ""
    return f"{drop}INSERT DATA {{ GRAPH {target} {{\n{body}}} }}"


@dataclass
class GraphChange:
    """Part of one atomic write: in a graph, drop what some subjects said, then add the data."""

    graph: str
    data: Graph
    drop_subjects: list[str] = field(default_factory=list)
    replace: bool = False


def change_update(change: GraphChange) -> str:
    """The SPARQL update operations of one graph change."""
    target = str(ox.NamedNode(change.graph))
    ops = [f"DROP SILENT GRAPH {target}"] if change.replace else []
    ops += [f"DELETE WHERE {{ GRAPH {target} {{ {ox.NamedNode(s)} ?p ?o }} }}" for s in change.drop_subjects]
    if len(change.data):
        ops.append(f"INSERT DATA {{ GRAPH {target} {{\n{change.data.serialize(format='nt')}}} }}")
    return " ;\n".join(ops)


def unstorable_terms(data: Graph) -> list[Violation]:
    """The terms of the data the store would refuse (an IRI that is not absolute, a malformed language tag),
    each named by the subject and property that carry it."""
    found = {}
    for triple in data:
        for term in triple:
            try:
                to_ox(term)
            except ValueError as exc:
                subject, predicate, _ = triple
                found[(str(subject), str(predicate), str(term))] = Violation(
                    str(subject), str(predicate), f"{str(term)!r} cannot be stored: {exc}", value=str(term))
    return sorted(found.values(), key=lambda v: (v.focus, v.path or "", v.value or ""))


class GraphWriter:
    """Writes whole named graphs after validating them; a rejected write changes nothing."""

    def __init__(self, store: Store, validator: ShapeValidator):
        self.store = store
        self.validator = validator

    def check(self, data: Graph | list[Graph]) -> None:
        """Raise ValidationFailed if the data (one graph or several written together) holds a term the store
        cannot keep, or (with its neighbours) breaks a shape."""
        graphs = data if isinstance(data, list) else [data]
        violations = [v for g in graphs for v in unstorable_terms(g)] or [
            v for v in self.validator.validate(data, self.store) if v.severity == "Violation"]
        if violations:
            raise ValidationFailed(violations)

    def replace_graph(self, graph: str, data: Graph) -> None:
        """Validate, then replace the graph's content in one transaction."""
        self.check(data)
        self.store.update(graph_update(graph, data, replace=True))

    def extend_graph(self, graph: str, data: Graph) -> None:
        """Validate the new triples, then add them to the graph in one transaction."""
        self.check(data)
        self.store.update(graph_update(graph, data, replace=False))

    def apply(self, changes: list[GraphChange], touches_derived: bool = True) -> None:
        """Validate the data of every change, then commit them all in one update (`touches_derived=False`: no
        cache of who reads what depends on these graphs, see `Store.update`)."""
        self.check([change.data for change in changes])
        text = " ;\n".join(u for u in (change_update(c) for c in changes) if u)
        if text:
            self.store.update(text, touches_derived=touches_derived)

    def drop_graph(self, graph: str) -> None:
        """Remove a named graph."""
        self.store.update(f"DROP SILENT GRAPH {ox.NamedNode(graph)}")
