"""STUDIO search: one full-text document per current item, kept in step with the store, and the searches
that apply the visibility rules inside the index query."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from services.platform import Platform
from services.studio.rdf import Facts, facts, read_item
from store.closure import reachable
from store.search_index import Document, Layout, TextIndex
from store.terms import OS, to_rdflib_graph

log = logging.getLogger(__name__)

LAYOUT = Layout("studio-items", 1, text=("title", "body"),
                keywords=("type", "tag", "specialty", "creator", "contributor", "owner", "status"), sort="title")
QUESTION_TEXTS = ("statement", "model_answer", "hypothesis", "new_information", "teaching_comment", "comment", "hint")
ITEM_TEXTS = ("statement", "vignette", "teaching_comment", "comment", "hint")


def local_name(iri) -> str:
    """The part of an IRI after its namespace (os:QRU → QRU)."""
    return str(iri).rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def body_text(item: dict) -> str:
    """Every text of an item a search should find: statements, options, comments, station texts."""
    parts = [item.get(key) for key in ITEM_TEXTS]
    for question in [item["question"]] if item.get("question") else item.get("questions", []):
        parts += [question.get(key) for key in QUESTION_TEXTS]
        parts += [o["text"] for o in question["options"]] + question["accepted_answers"]
        parts += [p[side] for p in question["pairs"] for side in ("left", "right")]
    if item.get("station"):
        station = item["station"]
        parts += [station["scenario"], station["candidate_instructions"], station["patient_instructions"]]
        parts += [c["text"] for c in station["checklist"]]
    return "\n".join(p for p in parts if p)


def status_key(status: str | None) -> str:
    """A status as the index holds it: to_review, ToReview and os:ToReview all read 'toreview'."""
    return local_name(status or "").replace("_", "").lower()


def item_document(item_id: str, iri: str, graph: Graph | Facts, ancestors) -> Document:
    """The search document of an item graph; `ancestors(tags)` gives the tags with every entry above them."""
    g = facts(graph)
    item = read_item(g, iri)
    s = URIRef(iri)
    types = sorted({local_name(t) for t in g.objects(s, RDF.type)})
    status = g.value(s, OS.status)
    summary = {"iri": iri, "id": item_id, "title": item["title"] or "", "types": types,
               "creator": item["creator"], "coauthors": item["coauthors"], "tags": item["tags"],
               "specialties": item["specialties"], "status": local_name(status) if status else None,
               "owner": item["owner"], "statement": str(g.value(s, OS.statement) or "")}
    keywords = {"type": types, "tag": sorted(ancestors(item["tags"])), "specialty": item["specialties"],
                "creator": [item["creator"]] if item["creator"] else [], "contributor": item["coauthors"],
                "owner": [item["owner"]] if item["owner"] else [], "status": [status_key(summary["status"])]}
    return Document(item_id, {"title": summary["title"], "body": body_text(item)}, keywords, summary["title"],
                    summary)


def query_groups(person: str | None, is_admin: bool, managed: set[str], type_names: set[str] | None = None,
                 tag: str | None = None, specialty: str | None = None, author: str | None = None,
                 status: str | None = None) -> list[dict[str, list[str]]] | None:
    """The keyword groups a search must meet: who may see the item (authors, co-authors, exam managers of its
    owner; the administrator everything), then each filter given. None: the caller may see nothing."""
    groups: list[dict[str, list[str]]] = []
    if not is_admin:
        if person is None:
            return None
        groups.append({"creator": [person], "contributor": [person], "owner": sorted(managed)})
    if type_names:
        groups.append({"type": sorted(type_names)})
    if tag:
        groups.append({"tag": [tag]})
    if specialty:
        groups.append({"specialty": [specialty]})
    if author:
        groups.append({"creator": [author], "contributor": [author]})
    if status:
        groups.append({"status": [status_key(status)]})
    return groups


class ItemIndex:
    """The search index of a platform's items: written after each store write, rebuilt from the store."""

    def __init__(self, platform: Platform, index: TextIndex):
        self.platform = platform
        self.index = index
        self.base = platform.settings.base_iri.rstrip("/") + "/"
        self._rebuild_lock = threading.Lock()
        self._one_rebuild = threading.Lock()
        self._rebuilding = False
        self._written_meanwhile: set[str] = set()
        self._again = False

    def _ancestors_from_store(self, tags: Iterable[str]) -> set[str]:
        query = self.platform.queries.get("entry_ancestors")
        found = set()
        for tag in tags:
            found.add(tag)
            found |= {r["ancestor"].value for r in self.platform.store.select(query.text, query.bind({"entry": tag}))}
        return found

    # --- keeping in step -----------------------------------------------------
    def written(self, items: dict[str, tuple[str, Graph]]) -> None:
        """Index items just written to the store (id → (IRI, graph)); a failure is logged and repaired by a
        rebuild from the store, never undoing the store write."""
        try:
            self.index.put([item_document(item_id, iri, graph, self._ancestors_from_store)
                            for item_id, (iri, graph) in items.items()])
        except Exception:  # the store holds the truth: rebuild the index from it rather than fail the write
            log.exception("search index update failed for %s; rebuilding it from the store", sorted(items))
            self.rebuild_in_background()
        self._note(items)

    def deleted(self, item_ids: Iterable[str]) -> None:
        """Forget deleted items."""
        ids = list(item_ids)
        try:
            self.index.remove(ids)
        except Exception:
            log.exception("search index delete failed for %s; rebuilding it from the store", ids)
            self.rebuild_in_background()
        self._note(ids)

    def _note(self, ids: Iterable[str]) -> None:
        with self._rebuild_lock:
            if self._rebuilding:
                self._written_meanwhile.update(ids)

    def rebuild(self) -> int:
        """Empty the index and index every current item of the store again; returns how many."""
        with self._one_rebuild:
            return self._rebuild()

    def current(self) -> None:
        """Rebuild first if the index does not mirror the store (new, left by a crash or a bulk load)."""
        if self.index.needs_rebuild:
            with self._one_rebuild:
                if self.index.needs_rebuild:
                    self._rebuild()

    def _rebuild(self) -> int:
        with self._rebuild_lock:
            self._rebuilding = True
            self._written_meanwhile = set()
        try:
            count = self.index.replace_all(self._all_documents())
        finally:
            with self._rebuild_lock:
                self._rebuilding = False
                meanwhile, self._written_meanwhile = self._written_meanwhile, set()
        self._refresh(meanwhile)  # written while the rebuild read the store: read them again
        return count

    def _refresh(self, item_ids: Iterable[str]) -> None:
        present, gone = {}, []
        for item_id in item_ids:
            graph = self.platform.store.graph_triples(ox.NamedNode(f"{self.base}graph/item/{item_id}"))
            if graph:
                present[item_id] = (f"{self.base}item/{item_id}", to_rdflib_graph(graph))
            else:
                gone.append(item_id)
        if present:
            self.index.put([item_document(i, iri, g, self._ancestors_from_store) for i, (iri, g) in present.items()])
        if gone:
            self.index.remove(gone)

    def rebuild_in_background(self) -> None:
        """Rebuild in a thread (searches use the current index meanwhile); one rebuild at a time."""
        with self._rebuild_lock:
            if self._rebuilding:
                self._again = True
                return

        def run() -> None:
            while True:
                try:
                    self.rebuild()
                except Exception:
                    log.exception("search index rebuild failed")
                with self._rebuild_lock:
                    if not self._again:
                        return
                    self._again = False

        threading.Thread(target=run, name="search-rebuild", daemon=True).start()

    def _all_documents(self):
        parents: dict[str, set[str]] = {}
        for row in self.platform.store.select(self.platform.queries.get("entry_parents").text):
            parents.setdefault(row["entry"].value, set()).add(row["parent"].value)

        def ancestors(tags: Iterable[str]) -> set[str]:
            return reachable(tags, parents)

        rows = self.platform.store.select(self.platform.queries.get("current_items").text)
        for row in rows:
            iri = row["item"].value
            triples = self.platform.store.graph_triples(row["graph"])
            yield item_document(iri.rsplit("/", 1)[-1], iri, Facts(to_rdflib_graph(triples)), ancestors)

    # --- searching -----------------------------------------------------------
    def search(self, person: str | None, is_admin: bool, managed: set[str], type_names: set[str] | None = None,
               tag: str | None = None, specialty: str | None = None, author: str | None = None,
               status: str | None = None, text: str | None = None, limit: int = 100, offset: int = 0) -> list[dict]:
        """Items visible to a caller that match every filter given, by title."""
        groups = query_groups(person, is_admin, managed, type_names, tag, specialty, author, status)
        if groups is None:
            return []
        self.current()
        return self.index.search(text, groups, limit, offset)


def open_item_index(platform: Platform) -> ItemIndex:
    """The platform's item index, opened where the settings say and closed with the platform."""
    index = ItemIndex(platform, TextIndex(LAYOUT, platform.search_folder()))
    if not platform.sole_writer:
        index.index.needs_rebuild = True  # others may have written the store since
    platform.closing.append(index.index.close)
    return index
