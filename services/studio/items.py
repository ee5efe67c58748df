"""STUDIO use cases: create, read, update (with revisions), delete and search items, with visibility rules."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import PROV, XSD

from services.exams.naming import ExamNames
from services.lists.library import ListLibrary
from services.lists.repository import OFFICIEL, ListError
from services.platform import Platform
from services.studio.model import ITEM_KINDS, QUESTION_TYPES, Item
from services.studio.rdf import item_graph, read_item
from services.studio.search import open_item_index
from services.studio.suggest import Suggester, Suggestion, TaggedItem
from store.errors import ValidationFailed
from store.terms import OS, to_rdflib_graph, triple_graph
from store.writes import GraphChange

TAG_LISTS = {"tags": "referentiel", "specialties": "specialites", "transversal": "familles-connaissance"}


class ItemError(ValueError):
    """An item request that cannot be done; the message says which field or item."""


class ItemNotFound(ItemError):
    """No such item (or not visible to the caller)."""


class ItemForbidden(ItemError):
    """The caller may not change this item."""


class ItemInUse(ItemError):
    """The item is linked to an épreuve and cannot be deleted."""


@dataclass(frozen=True)
class Prepared:
    """A checked new item, ready to be written."""

    item_id: str
    iri: str
    change: GraphChange


@dataclass(frozen=True)
class Caller:
    """Who asks: a person IRI and whether they are the administrator."""

    person: str | None
    is_admin: bool = False


class Studio:
    """Items of one platform."""

    def __init__(self, platform: Platform, lists: ListLibrary):
        self.platform = platform
        self.lists = lists
        self.base = platform.settings.base_iri.rstrip("/") + "/"
        self._suggesters: dict[tuple, Suggester] = {}
        # An index that does not mirror the store is rebuilt before the first search (or at server start-up).
        self.search_index = open_item_index(platform)

    def close(self) -> None:
        """Commit the search index and record that it mirrors the store."""
        self.search_index.index.close()

    # --- naming --------------------------------------------------------------
    def item_iri(self, item_id: str) -> str:
        """The IRI of an item id."""
        return f"{self.base}item/{item_id}"

    def graph_iri(self, item_id: str) -> str:
        """The graph holding an item."""
        return f"{self.base}graph/item/{item_id}"

    def _rows(self, name: str, **params) -> list:
        query = self.platform.queries.get(name)
        return self.platform.store.select(query.text, query.bind(params)).rows

    # --- rules ---------------------------------------------------------------
    def home_level(self, caller: Caller, item: Item) -> str:
        """The level whose lists tag the item: its owner, else the author's faculty, else Officiel."""
        if item.owner:
            return item.owner
        if caller.person:
            faculties = self._rows("person_faculties", person=caller.person)
            if faculties:
                return faculties[0]["faculty"].value
        return OFFICIEL

    def check_tags(self, item: Item, level: str) -> None:
        """Every tag must be visible in the effective list of the item's level."""
        problems = []
        for field, key in TAG_LISTS.items():
            wanted = getattr(item, field)
            if not wanted:
                continue
            visible = self.lists.effective(key, level).by_iri()
            problems += [f"{field}: {iri} is not in the effective list '{key}' at {level}"
                         for iri in wanted if iri not in visible]
        for n, question in enumerate([item.question] if item.question else item.questions, 1):
            if question.scale and question.expert_answers:
                key = self.lists.repo.list_key(question.scale)
                try:
                    values = self.lists.effective(key, level).by_iri()
                except ListError as exc:
                    problems.append(f"question {n}: scale {question.scale}: {exc}")
                    continue
                problems += [f"question {n}: expert answer {a.value} is not a value of the scale {question.scale}"
                             for a in question.expert_answers if a.value not in values]
        if problems:
            raise ItemError("; ".join(problems))

    def managed(self, caller: Caller) -> set[str]:
        """Organisations whose items the caller manages (Gestionnaire d'épreuves)."""
        if not caller.person:
            return set()
        return {r["organisation"].value for r in self._rows("managed_organisations", person=caller.person)}

    def may_access(self, caller: Caller, summary: dict, managed: set[str] | None = None) -> bool:
        """Authors and co-authors see their items; exam managers every item of their faculty."""
        if caller.is_admin:
            return True
        if caller.person is None:
            return False
        if caller.person == summary.get("creator") or caller.person in summary.get("coauthors", ()):
            return True
        managed = self.managed(caller) if managed is None else managed
        return summary.get("owner") in managed

    # --- use cases -----------------------------------------------------------
    def _graph(self, item_id: str) -> Graph:
        if not ITEM_ID.fullmatch(item_id):
            raise ItemNotFound(f"no item {item_id!r}: item ids are letters, digits, '.', '_' and '-'")
        triples = self.platform.store.graph_triples(ox.NamedNode(self.graph_iri(item_id)))
        if not triples:
            raise ItemNotFound(f"no item {item_id}")
        return to_rdflib_graph(triples)

    def get(self, item_id: str, caller: Caller) -> dict:
        """An item, if the caller may see it."""
        return self._visible(item_id, self._graph(item_id), caller)

    def _visible(self, item_id: str, graph: Graph, caller: Caller) -> dict:
        """The JSON form of an item's graph, if the caller may see it."""
        item = read_item(graph, self.item_iri(item_id))
        if not self.may_access(caller, item):
            raise ItemNotFound(f"no item {item_id} visible to you")
        item["id"] = item_id
        return item

    def prepare(self, item: Item, caller: Caller, revision_of: str | None = None) -> Prepared:
        """Check a new item and build its graph, without writing (so several can be written at once)."""
        if caller.person is None:
            raise ItemForbidden("creating an item needs an identified author")
        self._check_shape_of_input(item)
        level = self.home_level(caller, item)
        if item.owner is None and level != OFFICIEL:
            item = item.model_copy(update={"owner": level})
        self.check_tags(item, level)
        item_id = "i" + uuid.uuid4().hex[:12]
        data = item_graph(item, self.item_iri(item_id), caller.person)
        if revision_of:
            data.add((URIRef(self.item_iri(item_id)), PROV.wasRevisionOf, URIRef(revision_of)))
        return Prepared(item_id, self.item_iri(item_id), GraphChange(self.graph_iri(item_id), data, replace=True))

    def commit(self, changes: list[GraphChange], items: list[Prepared]) -> None:
        """Write graph changes in one validated transaction, then index the items they hold."""
        self.platform.writer.apply(changes)
        self.search_index.written({p.item_id: (p.iri, p.change.data) for p in items})

    def create(self, item: Item, caller: Caller, revision_of: str | None = None) -> dict:
        """Validate and store a new item; the caller is its author."""
        prepared = self.prepare(item, caller, revision_of)
        self.commit([prepared.change], [prepared])
        # What was written is what a read would return: no need to read it back.
        return self._visible(prepared.item_id, prepared.change.data, caller)

    def universities_of(self, caller: Caller) -> list[str]:
        """The universities the caller works for."""
        if caller.person is None:
            return []
        return [r["university"].value for r in self._rows("person_universities", person=caller.person)]

    def update(self, item_id: str, item: Item, caller: Caller) -> dict:
        """Save a new version: the previous one becomes a linked revision; a published item is never changed."""
        old = self._graph(item_id)
        current = self._visible(item_id, old, caller)
        self._check_shape_of_input(item)
        usage = self._rows("item_usage", item=self.item_iri(item_id))
        # A boolean computed by a query comes back as 1/0 from Virtuoso 7, as true/false elsewhere.
        if any(row["published"].value in ("true", "1") for row in usage):
            # Published grades refer to this version: the change becomes a new item that revises it.
            return self.create(item.model_copy(update={"owner": item.owner or current["owner"]}), caller,
                               revision_of=self.item_iri(item_id))
        level = item.owner or current["owner"] or OFFICIEL
        self.check_tags(item, level)
        iri = self.item_iri(item_id)
        previous = str(old.value(URIRef(iri), PROV.wasRevisionOf) or "")
        number = int(previous.rsplit("/", 1)[-1]) + 1 if previous.startswith(f"{iri}/rev/") else 1
        snapshot_iri = f"{iri}/rev/{number}"
        snapshot = triple_graph()
        for s, p, o in old:
            snapshot.add((_moved(s, iri, snapshot_iri), p, _moved(o, iri, snapshot_iri)))
        snapshot.add((URIRef(snapshot_iri), PROV.invalidatedAtTime, Literal(_now(), datatype=XSD.dateTime)))
        data = item_graph(item.model_copy(update={"owner": level if level != OFFICIEL else None}), iri,
                          current["creator"])
        data.add((URIRef(iri), PROV.wasRevisionOf, URIRef(snapshot_iri)))
        change = GraphChange(self.graph_iri(item_id), data, replace=True)
        self.commit([GraphChange(f"{self.graph_iri(item_id)}/rev/{number}", snapshot, replace=True), change],
                    [Prepared(item_id, iri, change)])
        return self._visible(item_id, data, caller)

    def publish(self, item_id: str) -> str:
        """The published version of an item as it is now: a frozen copy an épreuve links, so later edits never
        change a planned épreuve; reused while the item is unchanged."""
        current = self._graph(item_id)
        iri = self.item_iri(item_id)
        digest = hashlib.sha256("".join(sorted(
            f"{_moved(s, iri, '#')} {p} {_moved(o, iri, '#')}\n" for s, p, o in current
            if p != PROV.wasRevisionOf)).encode()).hexdigest()
        versions = self._rows("item_versions", item=iri)
        for row in versions:
            if "digest" in row and row["digest"].value == digest:
                return row["version"].value
        number = (int(versions[0]["number"].value) + 1) if versions else 1
        names = ExamNames(self.base)
        version = names.version(item_id, number)
        frozen = triple_graph()
        for s, p, o in current:
            if p != PROV.wasRevisionOf:
                frozen.add((_moved(s, iri, version), p, _moved(o, iri, version)))
        node = URIRef(version)
        frozen.add((node, PROV.specializationOf, URIRef(iri)))
        frozen.add((node, OS.version, Literal(number)))
        frozen.add((node, OS.contentDigest, Literal(digest)))
        frozen.add((node, PROV.generatedAtTime, Literal(_now(), datatype=XSD.dateTime)))
        self.platform.writer.apply([GraphChange(names.version_graph(item_id, number), frozen, replace=True)])
        return version

    def revisions(self, item_id: str, caller: Caller) -> list[dict]:
        """Earlier versions of an item, newest first."""
        self.get(item_id, caller)
        iri = self.item_iri(item_id)
        found = []
        for graph in self.platform.store.named_graphs():
            if graph.value.startswith(f"{self.graph_iri(item_id)}/rev/"):
                number = graph.value.rsplit("/", 1)[-1]
                snapshot = read_item(to_rdflib_graph(self.platform.store.graph_triples(graph)), f"{iri}/rev/{number}")
                found.append({"revision": int(number), "iri": f"{iri}/rev/{number}", "title": snapshot["title"]})
        return sorted(found, key=lambda r: -r["revision"])

    def delete(self, item_id: str, caller: Caller) -> None:
        """Remove an item no épreuve links to."""
        self.get(item_id, caller)
        if self._rows("item_usage", item=self.item_iri(item_id)):
            raise ItemInUse(f"item {item_id} is linked to an épreuve: unlink it first (it is never deleted in use)")
        self.platform.writer.drop_graph(self.graph_iri(item_id))
        self.search_index.deleted([item_id])

    def search(self, caller: Caller, type: str | None = None, tag: str | None = None,
               specialty: str | None = None, author: str | None = None, status: str | None = None,
               text: str | None = None, limit: int = 100, offset: int = 0) -> list[dict]:
        """Items the caller may see, filtered (a tag matches its subtree; every word of the text must appear, in
        French or English, accents aside), by title."""
        return self.search_index.search(caller.person, caller.is_admin, self.managed(caller) if not caller.is_admin
                                        else set(), _type_names(type) if type else None, tag, specialty, author,
                                        status, text, limit, offset)

    def invalidate(self) -> None:
        """Forget the cached suggestion index."""
        self._suggesters = {}

    def suggest(self, text: str, level: str = OFFICIEL, limit: int = 10,
                caller: Caller | None = None) -> list[Suggestion]:
        """Référentiel entries of the level's effective list that best match a text, with their reasons."""
        info, layers = self.lists.layers("referentiel", level)
        tagged = self._rows("tagged_items_revision")[0]
        key = (level, tuple(layer.revision for layer in layers),
               tuple(str(tagged[name].value) for name in ("tags", "items") if name in tagged))
        suggester = self._suggesters.get(key)
        if suggester is None or None in key[1]:
            # After an item write only the tagged items are read again; the référentiel index is kept.
            same_list = [s for k, s in self._suggesters.items() if k[:2] == key[:2] and None not in k[1]]
            tagged_items = self.tagged_items()
            suggester = (same_list[0].with_tagged(tagged_items) if same_list
                         else Suggester(self.lists.effective("referentiel", level).entries, tagged_items))
            self._suggesters = {key: suggester}
        caller = caller or Caller(None)
        managed = self.managed(caller)
        return suggester.suggest(text, limit, lambda item: self.may_access(caller, vars(item), managed))

    def tagged_items(self) -> list[TaggedItem]:
        """Every current item with tags, its title and texts (the suggester's labelled neighbours)."""
        found: dict[str, dict] = {}
        for row in self._rows("tagged_items"):
            item = found.setdefault(row["item"].value, {"title": row["title"].value, "creator": row["creator"].value,
                                                        "texts": [], "tags": set(), "coauthors": set(), "owner": None})
            item["tags"].add(row["tag"].value)
            if "text" in row and row["text"].value not in item["texts"]:
                item["texts"].append(row["text"].value)
            if "contributor" in row:
                item["coauthors"].add(row["contributor"].value)
            if "owner" in row:
                item["owner"] = row["owner"].value
        return [TaggedItem(iri, v["title"], " ".join(v["texts"]), frozenset(v["tags"]), v["creator"],
                           frozenset(v["coauthors"]), v["owner"]) for iri, v in found.items()]

    @staticmethod
    def _check_shape_of_input(item: Item) -> None:
        """Errors the shapes cannot word well: a question where the kind wants questions, and so on."""
        if item.kind == "QI" and item.question is None:
            raise ItemError("an isolated question (kind QI) needs its 'question'")
        if item.kind in ("SQI", "DP", "MDCP", "DL", "LCA", "KFP") and not item.questions:
            raise ItemError(f"a {item.kind} needs its ordered 'questions'")
        if item.kind == "ECOS" and item.station is None:
            raise ItemError("an ECOS station needs its 'station' (scenario, instructions, checklist …)")
        bad = [f"{name}: {value!r}" for name, value in _iri_fields(item) if not ABSOLUTE_IRI.match(value)]
        if bad:
            raise ItemError(f"these fields need absolute IRIs: {'; '.join(bad)}")


ITEM_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|^`\\]+$")


def _iri_fields(item: Item):
    """Every (field, value) of an item that names a resource."""
    for name in ("owner", "article"):
        if getattr(item, name):
            yield name, getattr(item, name)
    for name in ("coauthors", "tags", "specialties", "transversal", "attachments"):
        for value in getattr(item, name):
            yield name, value
    for n, question in enumerate([item.question] if item.question else item.questions, 1):
        for name in ("image", "scale"):
            if getattr(question, name):
                yield f"question {n} {name}", getattr(question, name)
        for value in question.attachments:
            yield f"question {n} attachments", value
        for m, option in enumerate(question.options, 1):
            if option.image:
                yield f"question {n} option {m} image", option.image
        for answer in question.expert_answers:
            yield f"question {n} expert answer", answer.value
    if item.station and item.station.rating_scale:
        yield "station rating_scale", item.station.rating_scale


def _moved(term, old: str, new: str):
    if isinstance(term, URIRef) and (str(term) == old or str(term).startswith(old + "/")):
        return URIRef(new + str(term)[len(old):])
    return term


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _type_names(name: str) -> set[str]:
    """Class local names for a type filter: a question type (QRU …) or an item kind (DP …)."""
    iri = QUESTION_TYPES.get(name.upper()) or ITEM_KINDS.get(name.upper())
    return {str(iri).rsplit("#", 1)[-1]} if iri else {name}


def check_only(studio: Studio, item: Item, caller: Caller) -> list[dict]:
    """What saving the item would refuse (input, tags, shapes), without saving it."""
    try:
        studio._check_shape_of_input(item)
        level = studio.home_level(caller, item)
        studio.check_tags(item, level)
        data = item_graph(item, f"{studio.base}item/preview", caller.person or f"{studio.base}person/unknown")
        studio.platform.writer.check(data)
    except ValidationFailed as exc:
        # Without a caller the author is unknown; saving would set it, so that rule is not a problem here.
        return [v.as_dict() for v in exc.violations if caller.person or v.path != "dcterms:creator"]
    except ItemError as exc:
        return [{"message": str(exc)}]
    return []
