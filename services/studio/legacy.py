"""The legacy SIDES import: list a teacher's legacy items (matched by any of their e-mails), preview them,
prefill new items from them, and import a whole legacy épreuve as its items plus an evaluation."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from pydantic import ValidationError
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, XSD

from services.studio.items import Caller, ItemError, ItemNotFound, Studio
from services.studio.model import Item
from store.errors import ValidationFailed
from store.paths import ROOT
from store.terms import OS, to_rdflib_graph
from store.writes import GraphChange

MAPPING = ROOT / "importers" / "sides_mapping.json"


class Legacy:
    """Legacy items as the mapping file describes them."""

    def __init__(self, studio: Studio, mapping: Path = MAPPING):
        self.studio = studio
        self.mapping = json.loads(Path(mapping).read_text(encoding="utf-8"))
        self.ns = self.mapping["namespace"]
        self.p = {name: URIRef(self.ns + local) for name, local in self.mapping["predicates"].items()}

    def _rows(self, name: str, **params) -> list:
        query = self.studio.platform.queries.get(name)
        return self.studio.platform.store.select(query.text, query.bind(params)).rows

    def _emails(self, caller: Caller) -> set[str] | None:
        """The e-mails whose legacy items the caller may take (None: all, for the administrator)."""
        if caller.is_admin:
            return None
        if caller.person is None:
            return set()
        mine = {r["email"].value.lower() for r in self._rows("person_emails", person=caller.person)}
        managed = {r["email"].value.lower() for r in self._rows("managed_emails", person=caller.person)}
        return mine | managed

    def _type(self, type_iri: str) -> str:
        return type_iri[len(self.ns):] if type_iri.startswith(self.ns) else type_iri

    def items_for(self, caller: Caller) -> list[dict]:
        """Legacy items whose author e-mail is one of the caller's (exam managers: of their faculty's people)."""
        emails = self._emails(caller)
        found: dict[str, dict] = {}
        for row in self._rows("legacy_items", titlePredicate=str(self.p["title"]),
                              emailPredicate=str(self.p["author_email"]), namespace=self.ns):
            if emails is not None and row["email"].value.lower() not in emails:
                continue
            legacy_type = self._type(row["type"].value)
            if legacy_type == self.mapping["epreuve_class"]:
                continue
            legacy_id = self._type(row["item"].value)
            importable = self.mapping["types"].get(legacy_type) is not None
            found[legacy_id] = {"id": legacy_id, "type": legacy_type, "title": row["title"].value,
                                "importable": importable,
                                "reason": None if importable else self._reason(legacy_type)}
        return sorted(found.values(), key=lambda i: (not i["id"].startswith("eval"), i["id"]))

    def _reason(self, legacy_type: str) -> str:
        return self.mapping["not_importable"].get(legacy_type) or f"legacy type {legacy_type} has no mapping"

    def _graph(self, legacy_id: str) -> Graph:
        query = self.studio.platform.queries.get("legacy_describe")
        triples = self.studio.platform.store.construct(
            query.text, query.bind({"root": self.ns + legacy_id, "namespace": self.ns}))
        if not triples:
            raise ItemNotFound(f"no legacy item {legacy_id}")
        return to_rdflib_graph(triples)

    def _check_access(self, legacy_id: str, graph: Graph, caller: Caller) -> None:
        emails = self._emails(caller)
        author = graph.value(URIRef(self.ns + legacy_id), self.p["author_email"])
        if emails is not None and (author is None or str(author).lower() not in emails):
            raise ItemNotFound(f"no legacy item {legacy_id} matching your e-mail addresses")

    def prefill(self, legacy_id: str, caller: Caller) -> dict:
        """A new item prefilled from a legacy one (not saved), with what could not be carried over."""
        graph = self._graph(legacy_id)
        self._check_access(legacy_id, graph, caller)
        item, problems = self.convert(graph, URIRef(self.ns + legacy_id), legacy_id)
        return {"legacy_id": legacy_id, "item": item, "problems": problems}

    def _order(self, graph: Graph, node) -> tuple:
        value = graph.value(node, self.p["order"])
        return (int(value) if value is not None else 0, str(node))

    def _question(self, graph: Graph, node, qtype: str, problems: list[str], where: str) -> dict:
        p = self.p
        question: dict = {"type": qtype, "statement": str(graph.value(node, p["statement"]) or "")}
        correct = set(self.mapping["correct_values"])
        options = sorted(graph.objects(node, p["option"]), key=lambda o: self._order(graph, o))
        if qtype in ("QRU", "QRM"):
            question["options"] = []
            for option in options:
                entry = {"text": str(graph.value(option, p["option_text"]) or ""),
                         "correct": str(graph.value(option, p["correct"])) in correct}
                weight = graph.value(option, p["weight"])
                if weight is not None:
                    entry["criticality"] = self.mapping["weights"].get(str(weight))
                    if entry["criticality"] is None:
                        problems.append(f"{where}: unknown weight {weight!r} ignored")
                question["options"].append(entry)
        if qtype == "QROC":
            question["accepted_answers"] = sorted(str(a) for a in graph.objects(node, p["accepted_answer"]))
        if qtype == "QROL":
            question["model_answer"] = str(graph.value(node, p["model_answer"]) or "") or None
            question["max_points"] = 1
        comment = graph.value(node, p["teaching_comment"])
        if comment is not None:
            question["teaching_comment"] = str(comment)
        for key in ("image", "video"):
            for media in graph.objects(node, p[key]):
                problems.append(f"{where}: {key} {media} is not imported automatically: upload it "
                                "(videos: link them in the statement)")
        return question

    def convert(self, graph: Graph, root: URIRef, legacy_id: str) -> tuple[dict | None, list[str]]:
        """The item JSON of a legacy resource, or None with the reason."""
        p = self.p
        types = [self._type(str(t)) for t in graph.objects(root, RDF.type)]
        legacy_type = next((t for t in types if t in self.mapping["types"]), types[0] if types else "?")
        target = self.mapping["types"].get(legacy_type)
        if target is None:
            return None, [f"{legacy_id}: {self._reason(legacy_type)}"]
        problems: list[str] = []
        title = str(graph.value(root, p["title"]) or legacy_id)
        item: dict = {"kind": target["kind"], "title": title, "legacy_id": legacy_id}
        if target["kind"] == "QI":
            item["question"] = self._question(graph, root, target["question"], problems, legacy_id)
            return item, problems
        vignette = graph.value(root, p["vignette"])
        if vignette is not None:
            item["vignette" if target["kind"] in ("DP", "MDCP", "KFP") else "statement"] = str(vignette)
        item["questions"] = []
        for n, node in enumerate(sorted(graph.objects(root, p["question"]), key=lambda q: self._order(graph, q)), 1):
            qtype = str(graph.value(node, p["question_type"]) or "")
            mapped = self.mapping["types"].get(qtype)
            if not mapped or mapped["kind"] != "QI":
                return None, [f"{legacy_id}: question {n} is a {qtype or 'question of unknown type'}: "
                              f"{self._reason(qtype) if qtype in self.mapping['not_importable'] else 'not importable'}"]
            item["questions"].append(self._question(graph, node, mapped["question"], problems, f"{legacy_id} q{n}"))
        return item, problems

    def import_epreuve(self, epreuve_id: str, caller: Caller, strict: bool = False) -> dict:
        """A legacy épreuve's items as new items plus an evaluation (exam + épreuve) listing them, in one write."""
        graph = self._graph(epreuve_id)
        root = URIRef(self.ns + epreuve_id)
        if self._type(str(graph.value(root, RDF.type) or "")) != self.mapping["epreuve_class"]:
            raise ItemNotFound(f"{epreuve_id} is not a legacy épreuve")
        emails = self._emails(caller)
        rows, prepared_items = [], []
        for element in sorted(graph.objects(root, self.p["epreuve_element"]), key=str):
            legacy_id = self._type(str(element))
            author = graph.value(element, self.p["author_email"])
            if emails is not None and (author is None or str(author).lower() not in emails):
                rows.append({"legacy_id": legacy_id, "saved": None,
                             "problems": [f"{legacy_id}: its author is not you nor one of your faculty"]})
                continue
            item, problems = self.convert(graph, URIRef(element), legacy_id)
            row = {"legacy_id": legacy_id, "saved": None, "problems": problems}
            rows.append(row)
            if item is None:
                continue
            try:
                prepared = self.studio.prepare(Item(**item), caller)
            except (ValidationError, ItemError, ValidationFailed) as exc:
                row["problems"].append(f"{legacy_id}: {exc}")
                continue
            prepared_items.append(prepared)
            row["saved"] = prepared.item_id
        failed = [r for r in rows if r["saved"] is None]
        if not prepared_items or (strict and failed):
            for r in rows:
                r["saved"] = None
            return {"epreuve": epreuve_id, "items": rows, "evaluation": None,
                    "written": False}
        evaluation = self._evaluation(graph, root, epreuve_id, [p.iri for p in prepared_items], caller)
        self.studio.commit([*(p.change for p in prepared_items), evaluation], prepared_items)
        exam = evaluation.data.value(predicate=RDF.type, object=OS.Exam)
        return {"epreuve": epreuve_id, "items": rows, "evaluation": str(exam), "written": True}

    def _evaluation(self, graph: Graph, root: URIRef, epreuve_id: str, items: list[str], caller: Caller) -> GraphChange:
        base = self.studio.base
        key = f"legacy-{epreuve_id}-{uuid.uuid4().hex[:6]}"
        exam, epreuve = URIRef(f"{base}exam/{key}"), URIRef(f"{base}exam/{key}/epreuve/1")
        title = str(graph.value(root, self.p["title"]) or epreuve_id)
        data = Graph()
        data.add((exam, RDF.type, OS.Exam))
        data.add((exam, DCTERMS.title, Literal(f"{title} (importée de l'ancien SIDES)")))
        data.add((exam, OS.hasEpreuve, epreuve))
        data.add((exam, OS.legacyId, Literal(epreuve_id)))
        for university in self.studio.universities_of(caller):
            data.add((exam, OS.concernsUniversity, URIRef(university)))
        data.add((epreuve, RDF.type, OS.Epreuve))
        data.add((epreuve, DCTERMS.title, Literal(title)))
        start = graph.value(root, self.p["epreuve_date"])
        data.add((epreuve, OS.startTime, Literal(str(start) if start else "2021-09-01T09:00:00", datatype=XSD.dateTime)))
        duration = graph.value(root, self.p["epreuve_duration"])
        data.add((epreuve, OS.durationMinutes, Literal(int(duration) if duration is not None else 60)))
        for n, iri in enumerate(items, 1):
            slot = URIRef(f"{epreuve}/slot/{n}")
            data.add((epreuve, OS.hasSlot, slot))
            data.add((slot, RDF.type, OS.ItemSlot))
            data.add((slot, OS.element, URIRef(iri)))
            data.add((slot, OS.position, Literal(n)))
            data.add((slot, OS.coefficient, Literal("1", datatype=XSD.decimal)))
        return GraphChange(f"{base}graph/exam/{key}", data, replace=True)
