"""STUDIO use cases: create, read, update (with revisions), delete and search items, with visibility rules."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import PROV, XSD

from services.lists.library import ListLibrary
from services.lists.repository import OFFICIEL, ListError
from services.platform import Platform
from services.studio.model import ITEM_KINDS, QUESTION_TYPES, Item
from services.studio.rdf import item_graph, read_item
from services.studio.suggest import Suggester, Suggestion
from store.errors import ValidationFailed
from store.terms import to_rdflib_graph
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
        item = read_item(self._graph(item_id), self.item_iri(item_id))
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

    def create(self, item: Item, caller: Caller, revision_of: str | None = None) -> dict:
        """Validate and store a new item; the caller is its author."""
        prepared = self.prepare(item, caller, revision_of)
        self.platform.writer.apply([prepared.change])
        return self.get(prepared.item_id, caller)

    def universities_of(self, caller: Caller) -> list[str]:
        """The universities the caller works for."""
        if caller.person is None:
            return []
        return [r["university"].value for r in self._rows("person_universities", person=caller.person)]

    def update(self, item_id: str, item: Item, caller: Caller) -> dict:
        """Save a new version: the previous one becomes a linked revision; a published item is never changed."""
        current = self.get(item_id, caller)
        self._check_shape_of_input(item)
        usage = self._rows("item_usage", item=self.item_iri(item_id))
        if any(row["published"].value == "true" for row in usage):
            # Published grades refer to this version: the change becomes a new item that revises it.
            return self.create(item.model_copy(update={"owner": item.owner or current["owner"]}), caller,
                               revision_of=self.item_iri(item_id))
        level = item.owner or current["owner"] or OFFICIEL
        self.check_tags(item, level)
        old = self._graph(item_id)
        iri = self.item_iri(item_id)
        previous = str(old.value(URIRef(iri), PROV.wasRevisionOf) or "")
        number = int(previous.rsplit("/", 1)[-1]) + 1 if previous.startswith(f"{iri}/rev/") else 1
        snapshot_iri = f"{iri}/rev/{number}"
        snapshot = Graph()
        for s, p, o in old:
            snapshot.add((_moved(s, iri, snapshot_iri), p, _moved(o, iri, snapshot_iri)))
        snapshot.add((URIRef(snapshot_iri), PROV.invalidatedAtTime, Literal(_now(), datatype=XSD.dateTime)))
        data = item_graph(item.model_copy(update={"owner": level if level != OFFICIEL else None}), iri,
                          current["creator"])
        data.add((URIRef(iri), PROV.wasRevisionOf, URIRef(snapshot_iri)))
        self.platform.writer.apply([
            GraphChange(f"{self.graph_iri(item_id)}/rev/{number}", snapshot, replace=True),
            GraphChange(self.graph_iri(item_id), data, replace=True),
        ])
        return self.get(item_id, caller)

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

    def search(self, caller: Caller, type: str | None = None, tag: str | None = None,
               specialty: str | None = None, author: str | None = None, status: str | None = None,
               text: str | None = None) -> list[dict]:
        """Items the caller may see, filtered."""
        found: dict[str, dict] = {}
        for row in self._rows("items_index"):
            iri = row["item"].value
            entry = found.setdefault(iri, {"iri": iri, "id": iri.rsplit("/", 1)[-1], "title": row["title"].value,
                                           "types": set(), "creator": row["creator"].value, "coauthors": set(),
                                           "tags": set(), "specialties": set(), "status": None, "owner": None,
                                           "statement": ""})
            entry["types"].add(row["type"].value.rsplit("#", 1)[-1])
            for key, var in (("coauthors", "contributor"), ("tags", "subject"), ("specialties", "specialty")):
                if var in row:
                    entry[key].add(row[var].value)
            if "status" in row:
                entry["status"] = row["status"].value.rsplit("#", 1)[-1]
            if "owner" in row:
                entry["owner"] = row["owner"].value
            if "statement" in row:
                entry["statement"] = row["statement"].value
        managed = self.managed(caller)
        wanted_tags = {r["descendant"].value for r in self._rows("entry_descendants", entry=tag)} if tag else None
        type_names = _type_names(type) if type else None
        results = []
        for entry in found.values():
            if not self.may_access(caller, entry, managed):
                continue
            if type_names and not entry["types"] & type_names:
                continue
            if wanted_tags is not None and not entry["tags"] & wanted_tags:
                continue
            if specialty and specialty not in entry["specialties"]:
                continue
            if author and author != entry["creator"] and author not in entry["coauthors"]:
                continue
            if status and (entry["status"] or "").lower() != status.replace("_", "").lower():
                continue
            if text and text.casefold() not in f"{entry['title']} {entry['statement']}".casefold():
                continue
            results.append({**entry, "types": sorted(entry["types"]), "coauthors": sorted(entry["coauthors"]),
                            "tags": sorted(entry["tags"]), "specialties": sorted(entry["specialties"])})
        return sorted(results, key=lambda e: e["title"])

    def invalidate(self) -> None:
        """Forget the cached suggestion index."""
        self._suggesters = {}

    def suggest(self, text: str, level: str = OFFICIEL, limit: int = 10) -> list[Suggestion]:
        """Référentiel entries of the level's effective list that best match a text."""
        info, layers = self.lists.layers("referentiel", level)
        key = (level, tuple(layer.revision for layer in layers))
        suggester = self._suggesters.get(key)
        if suggester is None or None in key[1]:
            suggester = Suggester(self.lists.effective("referentiel", level).entries)
            self._suggesters = {key: suggester}
        return suggester.suggest(text, limit)

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
