"""SHACL-gated writes: a whole graph is validated in memory, then committed in one update."""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import Graph

from store.errors import ValidationFailed
from store.port import Store
from store.validation import ShapeValidator


def graph_update(graph: str, data: Graph, replace: bool) -> str:
    """One SPARQL update that replaces (or extends) a named graph with the data."""
    target = str(ox.NamedNode(graph))
    body = data.serialize(format="nt")
    drop = f"DROP SILENT GRAPH {target} ;\n" if replace else ""
    return f"{drop}INSERT DATA {{ GRAPH {target} {{\n{body}}} }}"


class GraphWriter:
    """Writes whole named graphs after validating them; a rejected write changes nothing."""

    def __init__(self, store: Store, validator: ShapeValidator):
        self.store = store
        self.validator = validator

    def check(self, data: Graph) -> None:
        """Raise ValidationFailed if the data (with its neighbours) breaks a shape."""
        violations = [v for v in self.validator.validate(data, self.store) if v.severity == "Violation"]
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

    def drop_graph(self, graph: str) -> None:
        """Remove a named graph."""
        self.store.update(f"DROP SILENT GRAPH {ox.NamedNode(graph)}")
