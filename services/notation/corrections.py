"""QROC decisions and QROL grades: read from an épreuve's corrections graph, and the changes that record them."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field

from rdflib import Literal, URIRef
from rdflib.namespace import PROV, RDF, XSD

from services.grading.qroc import normalise
from services.notation.errors import NotationError
from services.notation.sheet import Question
from services.platform import Platform
from store.terms import OS, number_literal, triple_graph
from store.writes import GraphChange


@dataclass(frozen=True)
class Decision:
    """What a grader decided for one unexpected QROC answer."""

    fraction: float
    synonym: bool = False
    grader: str | None = None
    at: str | None = None


@dataclass(frozen=True)
class QrolMark:
    """The points a grader gave one candidate's QROL answer."""

    points: float
    comment: str | None = None
    grader: str | None = None
    at: str | None = None


@dataclass
class Corrections:
    """An épreuve's decisions, by question IRI: QROC by normalised answer, QROL by candidate."""

    qroc: dict[str, dict[str, Decision]] = field(default_factory=dict)
    qrol: dict[str, dict[str, QrolMark]] = field(default_factory=dict)

    @property
    def latest(self) -> str | None:
        """When the last decision was made (ISO time), or None."""
        times = [d.at for q in self.qroc.values() for d in q.values() if d.at] + \
                [m.at for q in self.qrol.values() for m in q.values() if m.at]
        return max(times, default=None)

    def synonyms(self, question: str) -> list[str]:
        """The answers a grader added to a QROC's synonyms (normalised)."""
        return sorted(t for t, d in self.qroc.get(question, {}).items() if d.synonym)

    def fractions(self, question: str) -> dict[str, float]:
        """The grader's share of the points for each decided answer (normalised)."""
        return {t: d.fraction for t, d in self.qroc.get(question, {}).items()}


def read_corrections(platform: Platform, graph: str) -> Corrections:
    """Everything graders decided on an épreuve."""
    queries = platform.queries_for("notation")
    found = Corrections()
    value = lambda row, name: row[name].value if name in row else None  # noqa: E731
    for query, table in (("qroc_decisions", found.qroc), ("qrol_grades", found.qrol)):
        named = queries.get(query)
        for row in platform.store.select(named.text, named.bind({"graph": graph})):
            question = row["question"].value
            if query == "qroc_decisions":
                table.setdefault(question, {})[row["text"].value] = Decision(
                    float(row["fraction"].value), value(row, "synonym") in ("true", "1"), value(row, "grader"),
                    value(row, "at"))
            else:
                table.setdefault(question, {})[row["student"].value] = QrolMark(
                    float(row["points"].value), value(row, "comment"), value(row, "grader"), value(row, "at"))
    return found


def _node(epreuve: str, kind: str, question: Question, part: str) -> URIRef:
    digest = hashlib.sha256(part.encode()).hexdigest()[:16]
    return URIRef(f"{epreuve}/correction/{kind}/{question.key}/{digest}")


def _record(data, node: URIRef, kind: URIRef, epreuve: str, question: Question, grader: str, now: str) -> None:
    """What every correction records: its kind, épreuve and question, the grader and when."""
    data.add((node, RDF.type, kind))
    data.add((node, OS.epreuve, URIRef(epreuve)))
    data.add((node, OS.question, URIRef(question.iri)))
    data.add((node, PROV.wasAttributedTo, URIRef(grader)))
    data.add((node, PROV.generatedAtTime, Literal(now, datatype=XSD.dateTime)))


def _fraction(raw, where: str) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(raw) or not 0 <= raw <= 1:
        raise NotationError(f"{where}: {raw!r} is not a share of the points in [0, 1] (or null to undo)")
    return float(raw)


def qroc_change(graph: str, epreuve: str, question: Question, decisions: list, grader: str, now: str) -> GraphChange:
    """Record decisions `[{answer, fraction, synonym}]` on a QROC's unexpected answers (fraction null: undo)."""
    if question.type != "QROC":
        raise NotationError(f"question {question.key} is a {question.type}, not a QROC")
    if not isinstance(decisions, list) or not decisions:
        raise NotationError("decisions: a non-empty list of {answer, fraction, synonym}")
    data, dropped, seen = triple_graph(), [], set()
    accepted = {normalise(a) for a in question.accepted}
    for n, raw in enumerate(decisions):
        where = f"decisions[{n}]"
        if not isinstance(raw, dict) or not isinstance(raw.get("answer"), str):
            raise NotationError(f"{where}.answer: the answer (as written, or normalised) is missing")
        text = normalise(raw["answer"])
        if not text:
            raise NotationError(f"{where}.answer: {raw['answer']!r} is empty once normalised")
        if text in accepted:
            raise NotationError(f"{where}.answer: {text!r} is already an accepted answer of question {question.key}")
        if text in seen:
            raise NotationError(f"{where}.answer: {text!r} is decided twice")
        seen.add(text)
        synonym = raw.get("synonym", False)
        if not isinstance(synonym, bool):
            raise NotationError(f"{where}.synonym: true or false")
        fraction = 1.0 if synonym and raw.get("fraction") is None else _fraction(raw.get("fraction"), f"{where}.fraction")
        if synonym and fraction != 1.0:
            raise NotationError(f"{where}: a synonym earns all the points (fraction 1), not {fraction:g}")
        node = _node(epreuve, "qroc", question, text)
        dropped.append(str(node))
        if fraction is None:
            continue
        _record(data, node, OS.QrocDecision, epreuve, question, grader, now)
        data.add((node, OS.normalisedAnswer, Literal(text)))
        data.add((node, OS.fraction, number_literal(fraction)))
        data.add((node, OS.acceptedAsSynonym, Literal(synonym)))
    return GraphChange(graph, data, dropped)


def qrol_change(graph: str, epreuve: str, question: Question, marks: list, candidates: set[str], grader: str,
                now: str) -> GraphChange:
    """Record `[{candidate, points, comment}]` for a QROL, points up to its maximum (points null: undo)."""
    if question.type != "QROL":
        raise NotationError(f"question {question.key} is a {question.type}, not a QROL")
    if not isinstance(marks, list) or not marks:
        raise NotationError("marks: a non-empty list of {candidate, points, comment}")
    maximum = question.max_points or 0.0
    data, dropped = triple_graph(), []
    for n, raw in enumerate(marks):
        where = f"marks[{n}]"
        person = raw.get("candidate") if isinstance(raw, dict) else None
        if person not in candidates:
            raise NotationError(f"{where}.candidate: {person!r} has no copy of this épreuve")
        points, comment = raw.get("points"), raw.get("comment")
        if points is not None and (isinstance(points, bool) or not isinstance(points, (int, float)) or
                                   not math.isfinite(points) or not 0 <= points <= maximum):
            raise NotationError(f"{where}.points: {points!r} is not between 0 and {maximum:g} (or null to undo)")
        if comment is not None and not isinstance(comment, str):
            raise NotationError(f"{where}.comment: a string")
        node = _node(epreuve, "qrol", question, person)
        dropped.append(str(node))
        if points is None:
            continue
        _record(data, node, OS.QrolGrade, epreuve, question, grader, now)
        data.add((node, OS.student, URIRef(person)))
        data.add((node, OS.points, number_literal(points)))
        if comment:
            data.add((node, OS.graderComment, Literal(comment)))
    return GraphChange(graph, data, dropped)
