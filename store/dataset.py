"""The dataset of a request: which graphs a query reads as its default graph and as named graphs.

Three things decide it, in this order (SPARQL 1.1 Protocol § 2.1.4 and Query § 13.2): the protocol's
`default-graph-uri`/`named-graph-uri`, else the query's own `FROM`/`FROM NAMED`, else the service default (the
union of every named graph, and every named graph). What the caller may read is then intersected with it,
so no clause can name its way into a graph outside the caller's reach.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from store.errors import QueryError, QuerySyntaxError
from store.sparql_lexer import prologue, term_iri, tokenize


@dataclass(frozen=True)
class DatasetSpec:
    """An explicit dataset: the graphs merged into the default graph, and the graphs GRAPH may visit."""

    default: tuple[str, ...] = ()
    named: tuple[str, ...] = ()

    @classmethod
    def of(cls, default: Iterable[str] = (), named: Iterable[str] = ()) -> DatasetSpec:
        """A dataset from two iterables of graph IRIs (order kept, duplicates dropped)."""
        return cls(tuple(dict.fromkeys(default)), tuple(dict.fromkeys(named)))

    def within(self, readable: frozenset[str]) -> DatasetSpec:
        """The same dataset restricted to the graphs a caller may read."""
        return DatasetSpec(tuple(g for g in self.default if g in readable),
                           tuple(g for g in self.named if g in readable))


def dataset_clauses(query: str, base: str | None = None) -> DatasetSpec | None:
    """The query's own FROM / FROM NAMED clauses, or None when it has none."""
    tokens = tokenize(query)
    if not any(t.depth == 0 and t.is_keyword("FROM") for t in tokens):
        return None
    base, prefixes = prologue(tokens, base)
    default: list[str] = []
    named: list[str] = []
    for i, token in enumerate(tokens):
        if token.depth or not token.is_keyword("FROM"):
            continue
        target = named if i + 1 < len(tokens) and tokens[i + 1].is_keyword("NAMED") else default
        at = i + 2 if target is named else i + 1
        iri = term_iri(tokens[at], base, prefixes) if at < len(tokens) else None
        if iri is None:
            raise QuerySyntaxError(f"cannot read the graph named after FROM at offset {token.start}")
        target.append(iri)
    return DatasetSpec.of(default, named)


def dataset_for(query: str, requested: DatasetSpec | None, readable: frozenset[str] | None,
                base: str | None = None) -> DatasetSpec | None:
    """The dataset a query runs on; None means the service default (only for callers who may read everything)."""
    spec = requested if requested is not None else dataset_clauses(query, base)
    if readable is None:
        return spec
    if spec is None:
        ordered = tuple(sorted(readable))
        return DatasetSpec(ordered, ordered)
    return spec.within(readable)


def protocol_dataset(default: list[str], named: list[str], names: tuple[str, str] = ("default-graph-uri",
                                                                                    "named-graph-uri")
                     ) -> DatasetSpec | None:
    """The dataset the protocol's parameters describe (None when neither is given); QueryError names a parameter
    that is not an absolute IRI."""
    if not default and not named:
        return None
    for name, graphs in zip(names, (default, named)):
        for graph in graphs:
            try:
                ox.NamedNode(graph)
            except ValueError as exc:
                raise QueryError(f"{name}: {graph!r} is not an absolute IRI ({exc})") from None
    return DatasetSpec.of(default, named)
