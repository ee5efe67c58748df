"""List-library use cases: effective lists, local changes, diffs, history, new lists."""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import threading
import unicodedata
import uuid

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF, SKOS, XSD

from services.lists.inheritance import hidden_descendants, resolve
from services.lists.model import (
    CHANGE_KINDS, HIDE, RELABEL, REORDER, SHOW, Change, EffectiveList, Entry, Layer, with_values,
)
from services.lists.rdf import KIND_IRIS, change_triples, entry_triples
from services.lists.export import as_csv, as_json, as_rdf
from services.lists.tree import TreeView, plan_move, tree_view
from services.lists.repository import OFFICIEL, ListError, ListInfo, ListRepository, NotFound
from services.platform import Platform
from store.terms import OS
from store.writes import GraphChange

EDIT_KINDS = {"add": OS.AddEntry, "edit": OS.EditEntry, "remove": OS.RemoveEntry, "revert": OS.RevertChange,
              "create": OS.CreateList, "import": OS.ImportList, **KIND_IRIS}


def slugify(text: str) -> str:
    """A lower-case ASCII key for IRIs."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug or uuid.uuid4().hex[:8]


LANGUAGE_TAG = re.compile(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*")


def check_labels(labels: dict[str, str] | None) -> None:
    """ListError naming each label key that is not a language tag (BCP 47: fr, en, fr-CA; '' for none)."""
    bad = [lang for lang in labels or {} if lang and not LANGUAGE_TAG.fullmatch(lang)]
    if bad:
        raise ListError(f"labels: {', '.join(map(repr, bad))} is not a language tag (fr, en, fr-CA …)")


def now() -> str:
    """The current UTC time as xsd:dateTime text."""
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def serialized(method):
    """Run a read-modify-write of the library under its write lock (so the cache stays exact)."""

    @functools.wraps(method)
    def locked(self, *args, **kwargs):
        with self._write_lock:
            return method(self, *args, **kwargs)

    return locked


class ListLibrary:
    """The list library of one platform."""

    def __init__(self, platform: Platform):
        self.platform = platform
        self.repo = ListRepository(platform)
        self._effective: dict[tuple[str, str], tuple[tuple, EffectiveList]] = {}
        self._documents: dict[tuple[str, str, str], tuple[tuple, bytes]] = {}
        self._chains: dict[tuple[str, str], tuple[ListInfo, list[str]]] = {}
        self._trees: dict[tuple[str, str], tuple[tuple, TreeView]] = {}
        self._lock = threading.Lock()
        self._write_lock = threading.RLock()

    def invalidate(self) -> None:
        """Forget every cached layer and serialisation (after writes that bypass the library)."""
        with self._lock:
            self._effective.clear()
            self._documents.clear()
            self._trees.clear()
            self._chains.clear()
        self.repo.forget_all()

    # --- reading -------------------------------------------------------------
    def levels(self) -> list[dict]:
        """The level tree, as a flat list with parents."""
        return [vars(level) for level in self.repo.levels().values()]

    def categories(self) -> list[dict]:
        """The categories of the library with their labels."""
        found: dict[str, dict] = {}
        for row in self.platform.store.select(self.platform.queries.get("list_categories").text):
            entry = found.setdefault(row["category"].value, {"iri": row["category"].value, "labels": {}})
            if "label" in row:
                entry["labels"][row["label"].language or ""] = row["label"].value
        return list(found.values())

    def lists_at(self, level: str) -> list[dict]:
        """The lists a level sees: its own and those of the levels above."""
        chain = self.repo.chain_to(level)
        return [{"key": info.key, "iri": info.iri, "owner": info.owner, "category": info.category,
                 "labels": info.labels, "inherited": info.owner != level}
                for info in sorted(self.repo.catalogue().values(), key=lambda i: (i.category or "", i.key))
                if info.owner in chain]

    def chain_for(self, info: ListInfo, level: str) -> list[str]:
        """The levels from the list's owner down to a level."""
        chain = self.repo.chain_to(level)
        if info.owner not in chain:
            raise ListError(f"list '{info.key}' belongs to {info.owner}, which is not {level} or above it")
        return chain[chain.index(info.owner):]

    def layers(self, key: str, level: str) -> tuple[ListInfo, list[Layer]]:
        """The list and its layers from its owner down to a level (the layers checked against their revisions)."""
        info, chain = self._chain(key, level)
        return info, self.repo.layers(info, chain)

    def _chain(self, key: str, level: str) -> tuple[ListInfo, list[str]]:
        """The list and the levels from its owner down to a level, read once per (list, level).

        Lists never move and levels change only by raw writes, after which the API calls `invalidate`; an
        unknown list or level is looked up again every time, so new ones are seen at once. On a store that
        other processes may write, both are read again on every call.
        """
        with self._lock:
            found = self._chains.get((key, level))
        if found is None:
            info = self.repo.get_list(key)
            found = (info, self.chain_for(info, level))
            if self.repo.sole_writer:
                with self._lock:
                    self._chains[(key, level)] = found
        return found

    def effective(self, key: str, level: str) -> EffectiveList:
        """The list as a level sees it (cached until one of its graphs changes)."""
        return self._resolved(key, level, self.layers(key, level)[1])

    def _resolved(self, key: str, level: str, layers: list[Layer]) -> EffectiveList:
        def compute() -> EffectiveList:
            result = resolve(layers)
            result.by_iri()  # built here, once: concurrent tag checks would otherwise each build it
            return result

        return self._cached(self._effective, (key, level), layers, compute)

    def _cached(self, cache: dict, key: tuple, layers: list[Layer], compute, limit: int | None = None):
        """A value derived from layers, computed again only when one of their revisions changed."""
        revisions = tuple(layer.revision for layer in layers)
        with self._lock:
            cached = cache.get(key)
        if cached and cached[0] == revisions and None not in revisions:
            return cached[1]
        value = compute()
        with self._lock:
            if limit is not None and len(cache) > limit:
                cache.clear()
            cache[key] = (revisions, value)
        return value

    def tree(self, key: str, level: str) -> TreeView:
        """Every entry a level sees or hides, marked with where its values come from (cached like the list)."""
        layers = self.layers(key, level)[1]
        return self._cached(self._trees, (key, level), layers, lambda: tree_view(layers), limit=64)

    def warm(self) -> int:
        """Read every list at its owner level once (the référentiel's 5,000 entries take seconds to read), so
        the first person to open a list does not wait for it; returns how many lists were read."""
        lists = self.repo.catalogue().values()
        for info in lists:
            self.tree(info.key, info.owner)
        return len(lists)

    def document(self, key: str, level: str, fmt: str) -> bytes:
        """The effective list serialised as json, turtle, jsonld or csv (cached until a graph changes)."""
        info, layers = self.layers(key, level)

        def serialise() -> bytes:
            effective = self._resolved(key, level, layers)
            if fmt == "json":
                return json.dumps(as_json(effective, info), ensure_ascii=False).encode()
            if fmt == "csv":
                return as_csv(effective).encode()
            if fmt in ("turtle", "jsonld"):
                rdf_format = ox.RdfFormat.TURTLE if fmt == "turtle" else ox.RdfFormat.JSON_LD
                return as_rdf(effective, info, self.repo.scheme_triples(info), rdf_format)
            raise ListError(f"unknown format {fmt!r}: json, turtle, jsonld or csv")

        return self._cached(self._documents, (key, level, fmt), layers, serialise, limit=256)

    def diff(self, key: str, level: str) -> dict:
        """The level's local changes against its parent's effective list, in words."""
        info, layers = self.layers(key, level)
        own = layers[-1]
        if len(layers) == 1:
            return {"list": key, "level": level, "owner": True, "changes": [],
                    "summary": f"{level} owns this list ({len(own.entries)} entries): nothing is inherited"}
        parent = resolve(layers[:-1]).by_iri()
        mine = resolve(layers)
        problems = [vars(p) for p in mine.problems if p.level == level]

        def name(iri: str) -> str:
            found = parent.get(iri)
            return f"'{found.entry.label()}'" if found else iri

        changes = []
        for entry in own.entries:
            where = f"under {name(entry.parent)}" if entry.parent else "at the root"
            changes.append({"kind": "add", "target": entry.iri, "text": f"added '{entry.label()}' {where}"})
        for change in own.changes:
            target = parent.get(change.target)
            if target is None:
                continue  # reported among the problems
            if change.kind == HIDE:
                n = hidden_descendants(layers, change.target)
                text = f"hid {name(change.target)}" + (f" and its {n} descendant(s)" if n else "")
            elif change.kind == SHOW:
                text = f"showed {name(change.target)} again (hidden above)"
            elif change.kind == RELABEL:
                text = "; ".join(f"relabelled {name(change.target)} → '{label}' ({lang or 'no language'})"
                                 for lang, label in change.labels.items())
            else:
                text = f"moved {name(change.target)} from order {target.entry.order} to {change.order}"
            changes.append({"kind": change.kind, "target": change.target, "text": text,
                            "by": change.author, "at": change.at})
        return {"list": key, "level": level, "owner": False, "changes": changes, "problems": problems}

    def history(self, key: str, level: str) -> list[dict]:
        """Who changed the list at this level, what and when, newest first."""
        info = self.repo.get_list(key)
        query = self.platform.queries.get("list_history")
        rows = self.platform.store.select(query.text, query.bind({"list": info.iri, "level": level}))
        return [{k: row[k].value for k in ("edit", "at", "who", "kind", "target", "summary") if k in row}
                for row in rows]

    # --- changing ------------------------------------------------------------
    def _edit(self, info: ListInfo, level: str, kind: str, who: str, summary: str, target: str | None) -> GraphChange:
        graph = Graph()
        edit = URIRef(f"{self.repo.base}list-edit/{uuid.uuid4().hex}")
        graph.add((edit, RDF.type, OS.ListEdit))
        graph.add((edit, OS.changeKind, EDIT_KINDS[kind]))
        graph.add((edit, OS.inList, URIRef(info.iri)))
        graph.add((edit, OS.level, URIRef(level)))
        graph.add((edit, PROV.endedAtTime, Literal(now(), datatype=XSD.dateTime)))
        graph.add((edit, PROV.wasAssociatedWith, URIRef(who)))
        graph.add((edit, OS.summary, Literal(summary)))
        if target:
            graph.add((edit, OS.changeTarget, URIRef(target)))
        return GraphChange(self.repo.history_graph(info.key, level), graph)

    def _commit(self, info: ListInfo, level: str, data: Graph, drop: list[str], edit: GraphChange) -> None:
        graph = self.repo.graph_iri(info.key, level)
        self.repo.revision_triple(data, graph)
        self.platform.writer.apply([GraphChange(graph, data, [*drop, graph]), edit])
        self.repo.written(info, level, graph, drop, data)

    def _find(self, key: str, level: str, target: str):
        info, layers = self.layers(key, level)
        # Hidden entries can still be targeted (to show them again, relabel them before showing…).
        everything = {r.iri: r for r in resolve(
            [Layer(layer.level, layer.entries, [c for c in layer.changes if c.kind != HIDE]) for layer in layers]
        ).entries}
        found = everything.get(target)
        if found is None:
            raise NotFound(f"no entry {target} in list '{key}' at level {level}")
        return info, layers, found

    @serialized
    def add_entry(self, key: str, level: str, labels: dict[str, str], who: str, parent: str | None = None,
                  notation: str | None = None, order: float | None = None, types: tuple[str, ...] = ()) -> Entry:
        """Add an entry at a level (at the root or under any entry it sees)."""
        if not any(labels.values()):
            raise ListError("an entry needs a label (labels: {'fr': …})")
        check_labels(labels)
        info, layers = self.layers(key, level)
        visible = resolve(layers).by_iri()
        if parent is not None and parent not in visible:
            raise ListError(f"parent {parent} is not an entry of list '{key}' visible at level {level}")
        slug = slugify(notation or labels.get("fr") or next(iter(labels.values())))
        iri = f"{self.repo.base}list/{key}/{self.repo.level_key(level)}/{slug}"
        if iri in visible or any(e.iri == iri for e in layers[-1].entries):
            iri = f"{iri}-{uuid.uuid4().hex[:6]}"
        entry = Entry(iri, labels, level, notation, order, parent, types or (str(OS.ListEntry),))
        data = Graph()
        entry_triples(data, entry, info.iri)
        where = f"under '{visible[parent].entry.label()}'" if parent else "at the root"
        self._commit(info, level, data, [], self._edit(info, level, "add", who,
                                                        f"added '{entry.label()}' {where}", iri))
        return entry

    @serialized
    def change(self, key: str, level: str, kind: str, target: str, who: str,
               labels: dict[str, str] | None = None, order: float | None = None) -> None:
        """Hide, show, relabel or reorder an entry at a level (editing it in place if the level defined it)."""
        if kind not in CHANGE_KINDS:
            raise ListError(f"unknown change '{kind}': use one of {', '.join(CHANGE_KINDS)}")
        if kind == RELABEL and not labels:
            raise ListError("a relabel needs the new labels ({'fr': …})")
        if kind == REORDER and order is None:
            raise ListError("a reorder needs the new order")
        check_labels(labels)
        info, layers, found = self._find(key, level, target)
        label = found.entry.label()
        if found.entry.level == level:
            self._edit_own(info, level, layers, found.entry, kind, labels, order, who)
            return
        if kind == SHOW and target not in self._resolved(key, level, layers).hidden:
            raise ListError(f"entry '{label}' is not hidden at level {level}")
        own = [c for c in layers[-1].changes if not (c.target == target and c.kind in _replaced_by(kind))]
        dropped = [c for c in layers[-1].changes if c not in own]
        new = Change(kind, target, level, labels or {}, order, who, now())
        data = Graph()
        change_triples(data, new, self._change_iri(info, level, new), info.iri)
        drop = [self._change_iri(info, level, c) for c in dropped]
        words = {HIDE: f"hid '{label}'", SHOW: f"showed '{label}' again",
                 RELABEL: f"relabelled '{label}' → {labels}", REORDER: f"moved '{label}' to order {order}"}[kind]
        self._commit(info, level, data, drop, self._edit(info, level, kind, who, words, target))

    def _edit_own(self, info, level, layers, entry: Entry, kind, labels, order, who) -> None:
        if kind == HIDE:
            self.remove_entry(info.key, level, entry.iri, who)
            return
        if kind == SHOW:
            raise ListError(f"entry '{entry.label()}' belongs to level {level}: there is nothing to show again")
        updated = with_values(entry, labels={**entry.labels, **(labels or {})}) if kind == RELABEL \
            else with_values(entry, order=order)
        data = Graph()
        entry_triples(data, updated, info.iri)
        self._commit(info, level, data, [entry.iri],
                     self._edit(info, level, "edit", who, f"{kind} of '{entry.label()}' (its own entry)", entry.iri))

    @serialized
    def move(self, key: str, level: str, target: str, position: int, who: str) -> int:
        """Put an entry at a position among its siblings (0 first) with as few reorder changes as the orders
        allow; returns how many were made."""
        view = self.tree(key, level)
        node = view.nodes.get(target)
        if node is None:
            raise NotFound(f"no entry {target} in list '{key}' at level {level}")
        planned = plan_move(view.children(node.parent), target, position)
        for iri, order in planned:
            self.change(key, level, REORDER, iri, who, order=order)
        return len(planned)

    @serialized
    def remove_entry(self, key: str, level: str, target: str, who: str) -> list[str]:
        """Remove an entry the level itself defined, with the entries of that level under it."""
        info, layers, found = self._find(key, level, target)
        if found.entry.level != level:
            raise ListError(f"entry '{found.entry.label()}' is inherited from {found.entry.level}: "
                            f"level {level} can hide it, not remove it")
        own = {e.iri: e for e in layers[-1].entries}
        removed, todo = [], [target]
        while todo:
            current = todo.pop()
            removed.append(current)
            todo.extend(e.iri for e in own.values() if e.parent == current)
        self._commit(info, level, Graph(), removed,
                     self._edit(info, level, "remove", who,
                                f"removed '{found.entry.label()}'" + (f" and {len(removed) - 1} entries under it"
                                                                       if len(removed) > 1 else ""), target))
        return removed

    @serialized
    def revert(self, key: str, level: str, target: str, kind: str, who: str) -> None:
        """Drop a level's local change, so the inherited value shows again."""
        info, layers = self.layers(key, level)
        matching = [c for c in layers[-1].changes if c.target == target and c.kind == kind]
        if not matching:
            raise ListError(f"level {level} has no {kind} change on {target} in list '{key}'")
        self._commit(info, level, Graph(), [self._change_iri(info, level, c) for c in matching],
                     self._edit(info, level, "revert", who, f"reverted the {kind} of {target}", target))

    @serialized
    def create_list(self, level: str, name: str, labels: dict[str, str], category: str, who: str,
                    key: str | None = None) -> ListInfo:
        """Create a list owned by a level (lower levels inherit it)."""
        self.repo.chain_to(level)
        check_labels(labels)
        key = key or (slugify(name) if level == OFFICIEL else f"{self.repo.level_key(level)}--{slugify(name)}")
        if key in self.repo.catalogue():
            raise ListError(f"a list '{key}' already exists")
        info = ListInfo(self.repo.list_iri(key), key, level, category, labels)
        data = Graph()
        s = URIRef(info.iri)
        data.add((s, RDF.type, OS.List))
        data.add((s, OS.category, URIRef(category)))
        data.add((s, OS.level, URIRef(level)))
        for lang, text in labels.items():
            data.add((s, SKOS.prefLabel, Literal(text, lang=lang or None)))
        self._commit(info, level, data, [], self._edit(info, level, "create", who, f"created list '{key}'", None))
        return info

    @serialized
    def import_rows(self, key: str, level: str, rows: list[dict], who: str) -> dict[str, list[str]]:
        """Add or update the level's own entries from spreadsheet rows, all or nothing."""
        info, layers = self.layers(key, level)
        visible = {r.entry.notation: r.iri for r in resolve(layers).entries if r.entry.notation}
        own = {e.notation: e for e in layers[-1].entries if e.notation}
        prefix = f"{self.repo.base}list/{key}/{self.repo.level_key(level)}/"
        planned = {row["notation"]: own[row["notation"]].iri if row["notation"] in own
                   else prefix + slugify(row["notation"]) for row in rows}
        errors, entries = [], []
        for row in rows:
            notation = row["notation"]
            if notation not in own and notation in visible:
                errors.append(f"line {row['line']}: {notation} is inherited from above; relabel or hide it instead")
                continue
            parent = row.get("parent") or None
            parent_iri = planned.get(parent) or visible.get(parent) if parent else None
            if parent and parent_iri is None:
                errors.append(f"line {row['line']}: parent {parent} is not an entry of list '{key}'")
                continue
            labels = {lang: row[f"label_{lang}"] for lang in ("fr", "en") if row.get(f"label_{lang}")}
            kept = own.get(notation)
            entries.append(Entry(planned[notation], labels, level, notation, row.get("order"), parent_iri,
                                 kept.types if kept else (str(OS.ListEntry),), kept.extra if kept else {}))
        if errors:
            raise ListError("; ".join(errors))
        data = Graph()
        for entry in entries:
            entry_triples(data, entry, info.iri)
        updated = [e.iri for e in entries if e.notation in own]
        added = [e.iri for e in entries if e.notation not in own]
        self._commit(info, level, data, updated,
                     self._edit(info, level, "import", who, f"imported {len(added)} new and updated "
                                                            f"{len(updated)} entries from a spreadsheet", None))
        return {"added": added, "updated": updated}

    def _change_iri(self, info: ListInfo, level: str, change: Change) -> str:
        return self.repo.change_iri(info, level, change.kind, change.target)


def _replaced_by(kind: str) -> set[str]:
    """The earlier changes a new change of this kind replaces on the same target."""
    return {HIDE, SHOW} if kind in (HIDE, SHOW) else {kind}
