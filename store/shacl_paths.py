"""The data a compiled shape reads (an index of the extract) and SHACL property paths over it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS, SH

from store.closure import reachable
from store.terms import to_ox

PathValues = Callable[["DataIndex", object], list]


class UnsupportedShape(ValueError):
    """A shape uses a feature the compiled checker does not implement; the message names it."""


class DataIndex:
    """The extract of one validation (the data, its neighbours' types, types entailed) indexed by subject."""

    def __init__(self, data: Iterable[tuple], neighbour_types: Mapping[object, Iterable],
                 superclasses: Mapping[object, set]):
        out: dict[object, dict[object, list]] = {}
        data_subclasses: dict[object, set] = {}
        for s, p, o in data:
            out.setdefault(s, {}).setdefault(p, []).append(o)
            if p == RDFS.subClassOf:
                data_subclasses.setdefault(s, set()).add(o)
        for node, types in neighbour_types.items():
            out.setdefault(node, {})[RDF.type] = list(types)
        self._types: dict[object, frozenset] = {}
        for node, predicates in out.items():
            asserted = predicates.get(RDF.type)
            if not asserted:
                continue
            entailed = dict.fromkeys(asserted)
            for cls in asserted:
                entailed.update(dict.fromkeys(superclasses.get(cls, ())))
            # The triples hold the ontology's entailments, as the extract pyshacl reads does.
            predicates[RDF.type] = list(entailed)
            self._types[node] = frozenset(reachable(entailed, data_subclasses)) if data_subclasses \
                else frozenset(entailed)
        self.out = out
        self._incoming: dict[object, dict[object, list]] | None = None
        self._sparql: ox.Store | None = None

    def objects(self, node, predicate) -> list:
        """The values of a predicate on a node."""
        predicates = self.out.get(node)
        return predicates.get(predicate, []) if predicates else []

    def subjects(self, node, predicate) -> list:
        """The nodes pointing to a node by a predicate."""
        return self.incoming().get(node, {}).get(predicate, [])

    def predicates(self, node) -> Iterable:
        """The predicates a node is the subject of."""
        return self.out.get(node, {}).keys()

    def incoming_predicates(self, node) -> Iterable:
        """The predicates a node is the object of."""
        return self.incoming().get(node, {}).keys()

    def incoming(self) -> dict[object, dict[object, list]]:
        """object → predicate → subjects, built on first use (only inverse paths and targets need it)."""
        if self._incoming is None:
            incoming: dict[object, dict[object, list]] = {}
            for s, predicates in self.out.items():
                for p, objects in predicates.items():
                    for o in objects:
                        incoming.setdefault(o, {}).setdefault(p, []).append(s)
            self._incoming = incoming
        return self._incoming

    def types(self, node) -> frozenset:
        """The classes a node is a SHACL instance of."""
        return self._types.get(node, frozenset())

    def sparql_store(self) -> ox.Store:
        """The extract in an in-memory pyoxigraph store (default graph), built on first use."""
        if self._sparql is None:
            store = ox.Store()
            store.extend([ox.Quad(to_ox(s), to_ox(p), to_ox(o))
                          for s, predicates in self.out.items() for p, objects in predicates.items() for o in objects])
            self._sparql = store
        return self._sparql


def _unique(nodes: Iterable) -> list:
    return list(dict.fromkeys(nodes))


def compile_path(g: Graph, path) -> PathValues:
    """A function giving the value nodes of a SHACL path from a focus node."""
    if isinstance(path, URIRef):
        return lambda data, node: data.objects(node, path)
    if (path, RDF.first, None) in g:
        steps = [compile_path(g, step) for step in g.items(path)]

        def sequence(data, node):
            current = [node]
            for step in steps:
                current = _unique(v for n in current for v in step(data, n))
            return current
        return sequence
    inverse = g.value(path, SH.inversePath)
    if inverse is not None:
        if isinstance(inverse, URIRef):
            return lambda data, node: data.subjects(node, inverse)
        raise UnsupportedShape(f"an inverse of a complex path ({inverse}) is not compiled")
    alternatives = g.value(path, SH.alternativePath)
    if alternatives is not None:
        options = [compile_path(g, option) for option in g.items(alternatives)]
        return lambda data, node: _unique(v for option in options for v in option(data, node))
    for predicate, include_self, repeat in ((SH.zeroOrMorePath, True, True), (SH.oneOrMorePath, False, True),
                                            (SH.zeroOrOnePath, True, False)):
        inner = g.value(path, predicate)
        if inner is not None:
            return _repeated(compile_path(g, inner), include_self, repeat)
    raise UnsupportedShape(f"unknown path {path}")


def _repeated(step: PathValues, include_self: bool, repeat: bool) -> PathValues:
    def values(data, node):
        found = dict.fromkeys([node]) if include_self else {}
        frontier = [node]
        while frontier:
            nxt = []
            for n in frontier:
                for v in step(data, n):
                    if v not in found:
                        found[v] = None
                        nxt.append(v)
            frontier = nxt if repeat else []
        return list(found)
    return values


def qname(node, graph: Graph) -> str:
    """prefix:name by the graph's prefixes (the way reports name shapes and paths), else the IRI."""
    for prefix, ns in graph.namespace_manager.namespaces():
        if prefix and str(node).startswith(str(ns)):
            return f"{prefix}:{str(node)[len(str(ns)):]}"
    return str(node)


def path_label(g: Graph, path) -> str:
    """A SHACL path in SPARQL property-path words: os:a, os:a/os:b, ^os:a, (os:a|os:b), os:a*."""
    if isinstance(path, URIRef):
        return qname(path, g)
    if (path, RDF.first, None) in g:
        return "/".join(path_label(g, step) for step in g.items(path))
    inverse = g.value(path, SH.inversePath)
    if inverse is not None:
        return "^" + _grouped(g, inverse)
    alternatives = g.value(path, SH.alternativePath)
    if alternatives is not None:
        return "(" + "|".join(path_label(g, option) for option in g.items(alternatives)) + ")"
    for predicate, mark in ((SH.zeroOrMorePath, "*"), (SH.oneOrMorePath, "+"), (SH.zeroOrOnePath, "?")):
        inner = g.value(path, predicate)
        if inner is not None:
            return _grouped(g, inner) + mark
    return str(path)


def _grouped(g: Graph, path) -> str:
    text = path_label(g, path)
    return text if isinstance(path, URIRef) or text.startswith("(") else f"({text})"
