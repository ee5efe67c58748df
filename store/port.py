"""The Store port: what every store adapter offers to the layers above."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from store.dataset import DatasetSpec
from store.errors import ImportFailed, QueryTimeout, ResultTooLarge
from store.lexical import Table

Progress = Callable[[int], None]


@dataclass
class Rows:
    """The solutions of a SELECT query, as variable name → pyoxigraph term."""

    variables: list[str]
    rows: list[dict[str, object]]

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


@dataclass
class GraphResult:
    """The triples of a CONSTRUCT or DESCRIBE query."""

    triples: list = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.triples)


Result = Rows | bool | GraphResult


@dataclass
class Limits:
    """How long a query may run and how many results it may return.

    `interrupt` makes the engine check the clock while it evaluates (embedded store: a deadline function
    in every group), so a runaway query stops at the limit instead of running on in its thread. It costs
    about a microsecond per solution of each group's first pattern, so it is for text callers wrote; the
    platform's own named queries are checked between results only.
    """

    timeout_s: float | None = None
    max_results: int | None = None
    interrupt: bool = False

    def deadline(self) -> float | None:
        """The monotonic time past which the query is abandoned."""
        return None if self.timeout_s is None else time.monotonic() + self.timeout_s

    def check(self, count: int, deadline: float | None) -> None:
        """Raise if the count or the clock went past the limits."""
        if self.max_results is not None and count > self.max_results:
            raise ResultTooLarge(
                f"the query returned more than {self.max_results} results; add a LIMIT or narrow it"
            )
        if deadline is not None and time.monotonic() > deadline:
            raise QueryTimeout(f"the query ran longer than {self.timeout_s:g} s and was stopped")


class Store(ABC):
    """An RDF dataset with SPARQL 1.1 query and update; the default graph is the union of named graphs.

    Every read may name its dataset (a DatasetSpec: the graphs merged into the default graph and the graphs
    GRAPH may visit); without one it reads the union of all named graphs. Relative IRIs resolve against the
    store's base IRI; SERVICE and LOAD are refused unless the store's federation allows them.
    """

    location: str = ""
    # How many graphs one replace_graphs call should carry: a remote engine takes each call as one SPARQL update
    # (a thousand grade graphs is 130,000 triples); the embedded bulk path prefers few large loads.
    replace_batch: int = 1_000
    # Bumped by every write through this adapter: caches of derived facts (who may read which graph) key on it.
    generation: int = 0

    def wrote(self) -> None:
        """Record that the dataset changed."""
        self.generation += 1

    # --- reading -------------------------------------------------------------
    @abstractmethod
    def execute(self, query: str, bindings: Mapping[str, object] | None = None,
                limits: Limits | None = None, dataset: DatasetSpec | None = None) -> Result:
        """Run a SPARQL query; bindings map variable names to pyoxigraph terms."""

    def select(self, query: str, bindings: Mapping[str, object] | None = None,
               limits: Limits | None = None, dataset: DatasetSpec | None = None) -> Rows:
        """Run a SELECT query."""
        result = self.execute(query, bindings, limits, dataset)
        if not isinstance(result, Rows):
            raise TypeError("not a SELECT query")
        return result

    def ask(self, query: str, bindings: Mapping[str, object] | None = None,
            dataset: DatasetSpec | None = None) -> bool:
        """Run an ASK query."""
        result = self.execute(query, bindings, dataset=dataset)
        if not isinstance(result, bool):
            raise TypeError("not an ASK query")
        return result

    def construct(self, query: str, bindings: Mapping[str, object] | None = None,
                  dataset: DatasetSpec | None = None) -> list:
        """Run a CONSTRUCT/DESCRIBE query and return its triples."""
        result = self.execute(query, bindings, dataset=dataset)
        if not isinstance(result, GraphResult):
            raise TypeError("not a CONSTRUCT or DESCRIBE query")
        return result.triples

    def select_lexical(self, query: str, bindings: Mapping[str, object] | None = None,
                       dataset: DatasetSpec | None = None) -> Table:
        """Run a SELECT query; rows of plain strings (IRIs, lexical forms, None where unbound), for bulk reads."""
        rows = self.select(query, bindings, dataset=dataset)
        return rows.variables, [[getattr(row.get(v), "value", None) for v in rows.variables] for row in rows]

    @abstractmethod
    def graph_triples(self, graph: ox.NamedNode) -> list:
        """The triples of one named graph."""

    @abstractmethod
    def named_graphs(self) -> list[ox.NamedNode]:
        """Every named graph of the dataset."""

    @abstractmethod
    def has_graph(self, graph: ox.NamedNode) -> bool:
        """Whether a named graph holds at least one triple."""

    @abstractmethod
    def types_of(self, resources: Iterable[ox.NamedNode]) -> dict[ox.NamedNode, set[ox.NamedNode]]:
        """The rdf:type values of each resource, from any graph."""

    @abstractmethod
    def count(self, graph: ox.NamedNode | None = None) -> int:
        """How many quads the dataset (or one graph) holds."""

    @abstractmethod
    def dump(self, output, fmt: ox.RdfFormat, graph: ox.NamedNode | None = None) -> None:
        """Write the dataset (N-Quads/TriG) or one graph (any RDF format) to a binary stream."""

    # --- writing -------------------------------------------------------------
    @abstractmethod
    def update(self, update: str, using: DatasetSpec | None = None, *, touches_derived: bool = True,
               platform_text: bool = False) -> None:
        """Run a SPARQL update atomically; `using` is the protocol's using-graph-uri / using-named-graph-uri.

        `touches_derived=False` keeps the generation (and the caches keyed on it: tokens, who reads which graph)
        for writes nothing derived depends on, such as answers into an existing copy graph. `platform_text=True`
        marks text the platform generated from checked records (the answer journal's batches): the caller-text
        guards (federation, nesting) are skipped, since lexing megabytes of generated data finds nothing."""

    @abstractmethod
    def bulk_load(self, path: Path, fmt: ox.RdfFormat, graph: ox.NamedNode | None,
                  progress: Progress | None = None) -> int:
        """Load a file into one named graph (or, for quad formats, its own graphs) all or nothing."""

    def replace_graphs(self, graphs: list[str], data: bytes, fmt: ox.RdfFormat = ox.RdfFormat.TRIG,
                       lenient: bool = False) -> None:
        """Replace these named graphs by the quads of `data` (TriG or N-Quads, each quad in one of them);
        `lenient`: the caller rendered the data from terms already checked (the embedded bulk path skips IRI
        validation).

        Here one SPARQL update (one transaction); the embedded store bulk-loads instead, for derived graphs
        written by the thousand (a copy's grades).
        """
        wanted = set(graphs)
        by_graph: dict[str, list] = {g: [] for g in graphs}
        for quad in ox.parse(data, fmt):
            name = quad.graph_name.value if isinstance(quad.graph_name, ox.NamedNode) else None
            if name not in wanted:
                raise ImportFailed(f"a quad of graph {name or 'default'} is outside the graphs being replaced")
            by_graph[name].append(quad.triple)
        operations = []
        for graph, triples in by_graph.items():
            target = ox.NamedNode(graph)
            operations.append(f"DROP SILENT GRAPH {target}")
            if triples:
                body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode()
                operations.append(f"INSERT DATA {{ GRAPH {target} {{\n{body}}} }}")
        if operations:
            self.update(" ;\n".join(operations))

    def close(self) -> None:
        """Release the store."""
