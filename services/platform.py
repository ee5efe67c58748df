"""The one place that wires settings, store, shapes, writer and named queries together."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from services.settings import Settings
from store.embedded import OxigraphStore
from store.paths import ONTOLOGY_DIR, QUERIES_DIR
from store.port import Store
from store.queries import QueryLibrary
from store.validation import ShapeValidator
from store.writes import GraphWriter

ONTOLOGY_GRAPH = "https://w3id.org/ontosides"
SOURCE_DIGEST = ox.NamedNode("https://w3id.org/ontosides#sourceDigest")


@dataclass
class Platform:
    """What a request or a command needs: the store and the services around it."""

    settings: Settings
    store: Store
    validator: ShapeValidator
    writer: GraphWriter
    queries: QueryLibrary
    _module_queries: dict[str, QueryLibrary] = field(default_factory=dict)
    closing: list[Callable[[], None]] = field(default_factory=list)

    @classmethod
    def build(cls, settings: Settings, store: Store | None = None) -> Platform:
        """Open (or take) the store and load shapes and queries."""
        store = store if store is not None else settings.open_store()
        validator = ShapeValidator(engine=settings.validation)
        return cls(settings, store, validator, GraphWriter(store, validator), QueryLibrary())

    def queries_for(self, module: str) -> QueryLibrary:
        """A module's own queries (queries/<module>/), loaded once; the top folder is the public library."""
        if module not in self._module_queries:
            self._module_queries[module] = QueryLibrary(QUERIES_DIR / module)
        return self._module_queries[module]
    @property
    def sole_writer(self) -> bool:
        """Whether every write to the store goes through this process (an embedded store holds its lock)."""
        return isinstance(self.store, OxigraphStore)

    def search_folder(self) -> Path | None:
        """Where the full-text index lives: the setting, else beside an on-disk store; None: in memory."""
        if self.settings.search_dir:
            return Path(self.settings.search_dir)
        if self.sole_writer and self.store.location != ":memory:":
            location = Path(self.store.location)
            return location.parent / f"{location.name}-search"
        return None

    def close(self) -> None:
        """Close what the services opened (the search index), then the store."""
        for close in reversed(self.closing):
            close()
        self.closing.clear()
        self.store.close()

    def iri(self, *parts: str) -> str:
        """A resource IRI under the configured base, e.g. iri('item', 'q12')."""
        return self.settings.base_iri.rstrip("/") + "/" + "/".join(parts)

    def ensure_ontology(self) -> bool:
        """Put the ontology in its own graph (so SPARQL users and the shapes see class labels and types)."""
        graph = ox.NamedNode(ONTOLOGY_GRAPH)
        text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(ONTOLOGY_DIR.glob("*.ttl")))
        # Compared by the source's digest: the ontology's blank nodes (owl:unionOf lists) get new ids at each parse.
        digest = ox.Triple(graph, SOURCE_DIGEST, ox.Literal(hashlib.sha256(text.encode()).hexdigest()))
        if digest in set(self.store.graph_triples(graph)):
            return False
        triples = [q.triple for q in ox.parse(text, ox.RdfFormat.TURTLE)] + [digest]
        body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode()
        self.store.update(f"DROP SILENT GRAPH {graph} ;\nINSERT DATA {{ GRAPH {graph} {{\n{body}}} }}")
        return True
