"""Reading and writing list graphs: one graph per (level, list), cached by revision token."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef

from services.lists.model import Layer
from services.lists.rdf import read_layer
from services.platform import Platform
from store.queries import internal_query
from store.port import Store
from store.sparql_text import inject_values_list
from store.terms import OS, to_ox

OFFICIEL = str(OS.Officiel)


def graph_revisions(store: Store, graphs: list[str]) -> dict[str, str]:
    """The revision token of each of these graphs that has one."""
    if not graphs:
        return {}
    text = inject_values_list(internal_query("graph_revisions").text, "g", [ox.NamedNode(g) for g in graphs])
    return {r["g"].value: r["r"].value for r in store.select(text)}


class ListError(ValueError):
    """A list-library request that cannot be done; the message names the list, entry or level."""


class NotFound(ListError):
    """An unknown list, entry or level."""


@dataclass
class Level:
    """A level of the hierarchy."""

    iri: str
    parent: str | None
    label: str
    kind: str


@dataclass
class ListInfo:
    """A list of the library: where it is defined and what it is."""

    iri: str
    key: str
    owner: str
    category: str | None
    labels: dict[str, str] = field(default_factory=dict)


class ListRepository:
    """The list graphs of one store; layers are cached until their graph's revision changes."""

    def __init__(self, platform: Platform):
        self.platform = platform
        self.base = platform.settings.base_iri.rstrip("/") + "/"
        self._layers: dict[str, tuple[str | None, Layer, dict]] = {}
        self._lock = threading.Lock()

    @property
    def sole_writer(self) -> bool:
        """Whether what this process caches can only go stale by writes it sees (see Platform.sole_writer)."""
        return self.platform.sole_writer

    # --- naming --------------------------------------------------------------
    def level_key(self, level: str) -> str:
        """A short, readable, flat key of a level (used in graph and entry IRIs)."""
        if level == OFFICIEL:
            return "officiel"
        prefix = f"{self.base}org/"
        if level.startswith(prefix):
            return level[len(prefix):].replace("/", ".")
        return "x-" + uuid.uuid5(uuid.NAMESPACE_URL, level).hex[:12]

    def list_key(self, list_iri: str) -> str:
        """The key of a list IRI (its last part under <base>list/)."""
        prefix = f"{self.base}list/"
        return list_iri[len(prefix):] if list_iri.startswith(prefix) else list_iri

    def list_iri(self, key: str) -> str:
        """The IRI of a list key."""
        return f"{self.base}list/{key}"

    def graph_iri(self, list_key: str, level: str) -> str:
        """The graph a level keeps for one list (its definition, or its local changes)."""
        return f"{self.base}graph/list/{self.level_key(level)}/{list_key}"

    def history_graph(self, list_key: str, level: str) -> str:
        """The graph of a level's edit history of one list."""
        return f"{self.base}graph/list-history/{self.level_key(level)}/{list_key}"

    # --- levels and lists ----------------------------------------------------
    def levels(self) -> dict[str, Level]:
        """Every level, Officiel first."""
        found = {OFFICIEL: Level(OFFICIEL, None, "Officiel", "officiel")}
        query = self.platform.queries.get("list_levels")
        for row in self.platform.store.select(query.text):
            iri = row["level"].value
            parent = row.get("parent")
            found.setdefault(iri, Level(iri, parent.value if parent is not None else OFFICIEL,
                                        row["label"].value if "label" in row else iri, row["kind"].value))
        return found

    def chain_to(self, level: str, levels: dict[str, Level] | None = None) -> list[str]:
        """The levels from Officiel down to a level."""
        levels = levels if levels is not None else self.levels()
        if level not in levels:
            raise NotFound(f"unknown level {level}: give os:Officiel, a university or a faculty")
        chain, seen = [], set()
        current: str | None = level
        while current is not None:
            if current in seen:
                raise ListError(f"the levels above {level} form a cycle at {current}")
            seen.add(current)
            chain.append(current)
            current = levels[current].parent if current in levels else None
        return list(reversed(chain))

    def catalogue(self) -> dict[str, ListInfo]:
        """Every list, by key."""
        found: dict[str, ListInfo] = {}
        for row in self.platform.store.select(self.platform.queries.get("lists_catalogue").text):
            iri = row["list"].value
            info = found.setdefault(iri, ListInfo(iri, self.list_key(iri), row["owner"].value,
                                                  row["category"].value if "category" in row else None))
            if "label" in row:
                info.labels[row["label"].language or ""] = row["label"].value
        return {info.key: info for info in found.values()}

    def get_list(self, key: str) -> ListInfo:
        """One list by key; ListError naming the known keys if absent."""
        lists = self.catalogue()
        if key not in lists:
            raise NotFound(f"no list '{key}'; known lists: {', '.join(sorted(lists)) or 'none'}")
        return lists[key]

    # --- layers --------------------------------------------------------------
    def revisions(self, graphs: list[str]) -> dict[str, str]:
        """The revision token of each graph that has one."""
        return graph_revisions(self.platform.store, graphs)

    def layers(self, info: ListInfo, chain: list[str]) -> list[Layer]:
        """The layers of a list for a chain of levels (owner first), fresh from the store or the cache.

        A graph's revision token says whether the cached layer is current; an absent graph is the empty
        revision "", and a graph written without a token (None) is read again every time.
        """
        graphs = [self.graph_iri(info.key, level) for level in chain]
        current = self.revisions(graphs)
        layers = []
        for level, graph in zip(chain, graphs):
            token = current.get(graph)
            with self._lock:
                cached = self._layers.get(graph)
            if cached is None or cached[0] != (token or "") or cached[1].revision is None:
                layer, scheme = read_layer(self.platform.store.graph_triples(ox.NamedNode(graph)), level, info.iri)
                if token is None and not (layer.entries or layer.changes or scheme):
                    layer.revision = ""
                cached = (token or "", layer, scheme)
                with self._lock:
                    self._layers[graph] = cached
            layers.append(cached[1])
        return layers

    def scheme_triples(self, info: ListInfo) -> list:
        """The triples describing the list itself, in its owner's graph."""
        self.layers(info, [info.owner])
        return self._layers[self.graph_iri(info.key, info.owner)][2].get("triples", [])

    # --- writing -------------------------------------------------------------
    def revision_triple(self, graph: Graph, graph_iri: str) -> None:
        """Stamp a graph with a new revision token."""
        graph.add((URIRef(graph_iri), OS.revision, Literal(uuid.uuid4().hex)))

    def change_iri(self, info: ListInfo, level: str, kind: str, target: str) -> str:
        """The IRI of a level's change of one kind on one entry (one such change at a time)."""
        digest = uuid.uuid5(uuid.NAMESPACE_URL, f"{kind} {target}").hex[:16]
        return f"{self.base}list-change/{self.level_key(level)}/{info.key}/{kind}-{digest}"

    def written(self, info: ListInfo, level: str, graph_iri: str, dropped: list[str], data: Graph) -> None:
        """Apply a write this process just committed to the cached layer (write-through), else forget it."""
        if not self.sole_writer:
            self.forget(graph_iri)  # another process may write a remote store: read it again next time
            return
        with self._lock:
            cached = self._layers.get(graph_iri)
        if cached is None:
            return
        token = str(data.value(URIRef(graph_iri), OS.revision))
        added, scheme = read_layer([ox.Triple(to_ox(s), to_ox(p), to_ox(o)) for s, p, o in data], level, info.iri)
        gone = set(dropped) | {e.iri for e in added.entries}
        layer = Layer(level, [e for e in cached[1].entries if e.iri not in gone] + added.entries,
                      [c for c in cached[1].changes
                       if self.change_iri(info, level, c.kind, c.target) not in gone] + added.changes,
                      token)
        layer.changes.sort(key=lambda c: (c.at or "", c.target, c.kind))
        with self._lock:
            self._layers[graph_iri] = (token, layer, scheme or cached[2])

    def forget_all(self) -> None:
        """Drop every cached layer."""
        with self._lock:
            self._layers.clear()

    def forget(self, graph_iri: str) -> None:
        """Drop a graph from the cache."""
        with self._lock:
            self._layers.pop(graph_iri, None)
