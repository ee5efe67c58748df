"""An épreuve's barème: the default one (each item out of 20, the slot's coefficient, every question weight 1),
changes merged onto it, and its RDF with the history of changes (PROV activities, who and when)."""

from __future__ import annotations

import json

from rdflib import Literal, URIRef
from rdflib.namespace import PROV, RDF, XSD

from services.grading.bareme import FULL, REMOVE, Bareme, BaremeError
from services.notation.errors import NotationError
from services.notation.sheet import Sheet
from services.platform import Platform
from store.terms import OS, number_literal, triple_graph
from store.writes import GraphChange

DEFAULT_MAX = 20.0
NEUTRALISATION_IRIS = {REMOVE: OS.NeutralisedRemoved, FULL: OS.NeutralisedGiven}


def default_bareme(sheet: Sheet) -> dict:
    """The barème before any change, as JSON."""
    return {"items": {str(s.position): {"questions": [q.key for q in s.questions], "max_points": DEFAULT_MAX,
                                        "coefficient": s.coefficient} for s in sheet.slots if s.questions},
            "questions": {}}


def history(platform: Platform, graph: str) -> list[dict]:
    """The saved changes, newest first."""
    query = platform.queries_for("notation").get("bareme_changes")
    return [{"change": r["change"].value, "at": r["at"].value, "by": r["who"].value,
             "summary": r["summary"].value if "summary" in r else "", "bareme": json.loads(r["snapshot"].value)}
            for r in platform.store.select(query.text, query.bind({"graph": graph}))]


def current(platform: Platform, graph: str, sheet: Sheet) -> dict:
    """The barème in force: the last saved one, else the default."""
    changes = history(platform, graph)
    return changes[0]["bareme"] if changes else default_bareme(sheet)


def merged(sheet: Sheet, base: dict, changes: object) -> dict:
    """A barème with changes applied: `{"items": {position: {max_points, coefficient}}, "questions": {key:
    {weight, neutralised}}}`; an item's questions always come from the épreuve."""
    if not isinstance(changes, dict) or not set(changes) <= {"items", "questions"}:
        raise NotationError("changes: an object {items: {position: {max_points, coefficient}}, "
                            "questions: {key: {weight, neutralised}}}")
    result = json.loads(json.dumps(base))
    for position, raw in (changes.get("items") or {}).items():
        if position not in result["items"]:
            raise NotationError(f"items.{position}: not an item of the épreuve "
                                f"(positions {', '.join(result['items'])})")
        if not isinstance(raw, dict) or not set(raw) <= {"max_points", "coefficient"}:
            raise NotationError(f"items.{position}: an object {{max_points, coefficient}}")
        result["items"][position].update(raw)
    for key, raw in (changes.get("questions") or {}).items():
        if sheet.question(key) is None:
            raise NotationError(f"questions.{key}: not a question of the épreuve")
        if not isinstance(raw, dict) or not set(raw) <= {"weight", "neutralised"}:
            raise NotationError(f"questions.{key}: an object {{weight, neutralised}}")
        result["questions"].setdefault(key, {}).update(raw)
        result["questions"][key] = {k: v for k, v in result["questions"][key].items() if v is not None}
        if not result["questions"][key]:
            del result["questions"][key]
    parse(result)
    return result


def parse(data: dict) -> Bareme:
    """The pure-core barème of a JSON one (NotationError naming the field)."""
    try:
        return Bareme.from_dict(data)
    except BaremeError as exc:
        raise NotationError(str(exc)) from None


def summary(sheet: Sheet, before: dict, after: dict) -> str:
    """What changed, in words."""
    parts = []
    for position, item in after["items"].items():
        old = before["items"].get(position, {})
        for field, label in (("max_points", "out of"), ("coefficient", "coefficient")):
            if old.get(field) != item.get(field):
                parts.append(f"item {position}: {label} {old.get(field)} → {item.get(field)}")
    for key in sorted(set(before["questions"]) | set(after["questions"])):
        old, new = before["questions"].get(key, {}), after["questions"].get(key, {})
        if old.get("weight", 1) != new.get("weight", 1):
            parts.append(f"question {key}: weight {old.get('weight', 1)} → {new.get('weight', 1)}")
        if old.get("neutralised") != new.get("neutralised"):
            parts.append(f"question {key}: " + (f"neutralised ({new['neutralised']})" if new.get("neutralised")
                                                  else "no longer neutralised"))
    return "; ".join(parts) or "no change"


def save_change(sheet: Sheet, graph: str, before: dict, after: dict, who: str, now: str, number: int) -> GraphChange:
    """The barème in RDF (one os:Bareme per item, a weight per question) and one more history record."""
    data = triple_graph()
    ep = sheet.iri
    dropped = []
    for slot in sheet.slots:
        rule = after["items"].get(str(slot.position))
        node = URIRef(f"{ep}/bareme/item/{slot.position}")
        dropped.append(str(node))
        if rule is None:
            continue
        data.add((node, RDF.type, OS.Bareme))
        data.add((node, OS.slot, URIRef(slot.iri)))
        data.add((node, OS.maxPoints, number_literal(rule.get("max_points", DEFAULT_MAX))))
        data.add((node, OS.coefficient, number_literal(rule.get("coefficient", 1.0))))
        for q in slot.questions:
            weight = URIRef(f"{ep}/bareme/question/{q.key}")
            dropped.append(str(weight))
            q_rule = after["questions"].get(q.key, {})
            data.add((node, OS.hasQuestionWeight, weight))
            data.add((weight, RDF.type, OS.QuestionWeight))
            data.add((weight, OS.question, URIRef(q.iri)))
            data.add((weight, OS.weight, number_literal(q_rule.get("weight", 1.0))))
            if q_rule.get("neutralised"):
                data.add((weight, OS.neutralisation, NEUTRALISATION_IRIS[q_rule["neutralised"]]))
    change = URIRef(f"{ep}/bareme/change/{number}")
    data.add((change, RDF.type, OS.BaremeChange))
    data.add((change, OS.epreuve, URIRef(ep)))
    data.add((change, PROV.wasAssociatedWith, URIRef(who)))
    data.add((change, PROV.endedAtTime, Literal(now, datatype=XSD.dateTime)))
    data.add((change, OS.baremeSnapshot, Literal(json.dumps(after, sort_keys=True))))
    data.add((change, OS.changeSummary, Literal(summary(sheet, before, after))))
    return GraphChange(graph, data, dropped)
