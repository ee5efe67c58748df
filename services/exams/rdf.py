"""Exams to RDF and back: one graph per exam (its épreuves, slots, display options, registrations, extra time),
one graph per frozen candidate list. Modules read épreuves through `read_exam` / `read_epreuve`.

Reading indexes the exam graph's pyoxigraph triples once (no rdflib on the read path): an exam of 5 épreuves
× 120 slots reads in a few milliseconds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, XSD

from services.exams.model import (
    DISPLAY_FLAGS, GRADING_METHODS, METHOD_BY_IRI, STATUS_BY_IRI, STATUS_IRIS, DisplayOptions, Epreuve, Exam, Slot,
)
from services.exams.naming import EXAM_KEY, ExamNames
from store.port import Store
from store.terms import OS, number_literal, triple_graph

_OS = str(OS)
_DCT = str(DCTERMS)
_TYPE = str(RDF.type)


def timestamp(value: dt.datetime) -> Literal:
    """An aware datetime as an xsd:dateTime in UTC (`…Z`)."""
    utc = value.astimezone(dt.timezone.utc).replace(microsecond=0)
    return Literal(utc.isoformat().replace("+00:00", "Z"), datatype=XSD.dateTime)


def parse_timestamp(text: str) -> dt.datetime:
    """An xsd:dateTime as an aware datetime (UTC when the literal has no offset)."""
    value = dt.datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def person_key(person: str) -> str:
    """The last segment of a person IRI (the key in copy, grade and extra-time names)."""
    return person.rstrip("/").rsplit("/", 1)[-1]


# --- writing -------------------------------------------------------------------------------
def exam_graph(exam: Exam) -> Graph:
    """The content of an exam's graph."""
    g = triple_graph()
    node = URIRef(exam.iri)
    g.add((node, RDF.type, OS.Exam))
    g.add((node, DCTERMS.title, Literal(exam.title)))
    for predicate, value in ((OS.shortName, exam.short_name), (DCTERMS.identifier, exam.identifier)):
        if value:
            g.add((node, predicate, Literal(value)))
    for university in exam.universities:
        g.add((node, OS.concernsUniversity, URIRef(university)))
    for offer in exam.offers:
        g.add((node, OS.concernsOffer, URIRef(offer)))
    if exam.owner:
        g.add((node, OS.owner, URIRef(exam.owner)))
    g.add((node, OS.examStatus, URIRef(STATUS_IRIS[exam.status])))
    if exam.created:
        g.add((node, DCTERMS.created, timestamp(exam.created)))
    if exam.creator:
        g.add((node, DCTERMS.creator, URIRef(exam.creator)))
    for epreuve in exam.epreuves:
        g.add((node, OS.hasEpreuve, URIRef(epreuve.iri)))
        _epreuve_triples(g, epreuve)
    return g


def _epreuve_triples(g: Graph, e: Epreuve) -> None:
    node = URIRef(e.iri)
    g.add((node, RDF.type, OS.Epreuve))
    g.add((node, DCTERMS.title, Literal(e.title)))
    g.add((node, OS.epreuveNumber, Literal(e.number)))
    g.add((node, OS.epreuveType, Literal(e.type)))
    if e.start is not None:
        g.add((node, OS.startTime, timestamp(e.start)))
    g.add((node, OS.durationMinutes, Literal(e.duration_minutes)))
    if e.grading_method:
        g.add((node, OS.gradingMethod, URIRef(GRADING_METHODS[e.grading_method])))
    g.add((node, OS.examStatus, URIRef(STATUS_IRIS[e.status])))
    display = URIRef(f"{e.iri}/display")
    g.add((node, OS.displayOptions, display))
    g.add((display, RDF.type, OS.DisplayOptions))
    for name, local in DISPLAY_FLAGS.items():
        g.add((display, OS[local], Literal(getattr(e.display, name))))
    for slot in e.slots:
        s = URIRef(f"{e.iri}/slot/{slot.position}")
        g.add((node, OS.hasSlot, s))
        g.add((s, RDF.type, OS.ItemSlot))
        g.add((s, OS.position, Literal(slot.position)))
        g.add((s, OS.element, URIRef(slot.version)))
        g.add((s, OS.itemOf, URIRef(slot.item)))
        g.add((s, OS.coefficient, number_literal(slot.coefficient)))
    for n, group in enumerate(e.groups, 1):
        r = URIRef(f"{e.iri}/registration/{n}")
        g.add((r, RDF.type, OS.Registration))
        g.add((r, OS.epreuve, node))
        g.add((r, OS.registeredGroup, URIRef(group)))
        g.add((r, OS.position, Literal(n)))
    for person in e.added:
        g.add((node, OS.addedCandidate, URIRef(person)))
    for person in e.excluded:
        g.add((node, OS.excludedCandidate, URIRef(person)))
    for person, minutes in sorted(e.extra_time.items()):
        x = URIRef(f"{e.iri}/extra/{person_key(person)}")
        g.add((node, OS.hasExtraTime, x))
        g.add((x, RDF.type, OS.ExtraTime))
        g.add((x, OS.candidate, URIRef(person)))
        g.add((x, OS.extraMinutes, Literal(minutes)))


def candidates_graph(epreuve: str, candidates: Iterable[str], frozen_at: dt.datetime) -> Graph:
    """The frozen candidate list of an épreuve."""
    g = triple_graph()
    node = URIRef(epreuve)
    for person in candidates:
        g.add((node, OS.candidate, URIRef(person)))
    g.add((node, OS.frozenAt, timestamp(frozen_at)))
    return g


# --- reading -------------------------------------------------------------------------------
class _Index:
    """Triples by (subject, predicate), values as strings (IRIs and literal lexical forms)."""

    def __init__(self, triples: Iterable):
        self.index: dict[tuple[str, str], list[str]] = {}
        self.registrations: dict[str, list[str]] = {}
        for t in triples:
            self.index.setdefault((t.subject.value, t.predicate.value), []).append(t.object.value)
            if t.predicate.value == _OS + "epreuve":
                self.registrations.setdefault(t.object.value, []).append(t.subject.value)

    def all(self, s: str, p: str) -> list[str]:
        return self.index.get((s, p), [])

    def one(self, s: str, p: str) -> str | None:
        found = self.index.get((s, p))
        return found[0] if found else None


def parse_exam(triples: Iterable, iri: str, key: str) -> Exam | None:
    """The exam an exam graph's triples describe (None when they describe no exam)."""
    g = _Index(triples)
    if _OS + "Exam" not in g.all(iri, _TYPE):
        return None
    created = g.one(iri, _DCT + "created")
    epreuves = sorted((_epreuve(g, e, key) for e in g.all(iri, _OS + "hasEpreuve")), key=lambda e: e.number)
    return Exam(key=key, iri=iri, title=g.one(iri, _DCT + "title") or "",
                universities=sorted(g.all(iri, _OS + "concernsUniversity")), owner=g.one(iri, _OS + "owner"),
                short_name=g.one(iri, _OS + "shortName"), identifier=g.one(iri, _DCT + "identifier"),
                offers=sorted(g.all(iri, _OS + "concernsOffer")),
                status=STATUS_BY_IRI.get(g.one(iri, _OS + "examStatus") or "", "draft"), epreuves=epreuves,
                created=parse_timestamp(created) if created else None, creator=g.one(iri, _DCT + "creator"))


def _epreuve(g: _Index, iri: str, key: str) -> Epreuve:
    number = g.one(iri, _OS + "epreuveNumber")
    start = g.one(iri, _OS + "startTime")
    display = g.one(iri, _OS + "displayOptions")
    options = DisplayOptions()
    if display:
        for name, local in DISPLAY_FLAGS.items():
            value = g.one(display, _OS + local)
            if value is not None:
                setattr(options, name, value in ("true", "1"))
    slots = [Slot(int(g.one(s, _OS + "position") or 0), g.one(s, _OS + "element") or "", g.one(s, _OS + "itemOf") or "",
                  float(g.one(s, _OS + "coefficient") or 1))
             for s in g.all(iri, _OS + "hasSlot")]
    registrations = sorted((int(g.one(r, _OS + "position") or 0), r, g.one(r, _OS + "registeredGroup"))
                           for r in g.registrations.get(iri, ()))
    extra = {}
    for x in g.all(iri, _OS + "hasExtraTime"):
        person, minutes = g.one(x, _OS + "candidate"), g.one(x, _OS + "extraMinutes")
        if person and minutes:
            extra[person] = int(minutes)
    method = g.one(iri, _OS + "gradingMethod")
    return Epreuve(exam=key, number=int(number) if number else int(iri.rsplit("/", 1)[-1]), iri=iri,
                   title=g.one(iri, _DCT + "title") or "", duration_minutes=int(g.one(iri, _OS + "durationMinutes") or 0),
                   type=g.one(iri, _OS + "epreuveType") or "", start=parse_timestamp(start) if start else None,
                   grading_method=METHOD_BY_IRI.get(method) if method else None, display=options,
                   slots=sorted(slots, key=lambda s: s.position),
                   groups=[group for _, _, group in registrations if group],
                   added=sorted(g.all(iri, _OS + "addedCandidate")), excluded=sorted(g.all(iri, _OS + "excludedCandidate")),
                   extra_time=extra, status=STATUS_BY_IRI.get(g.one(iri, _OS + "examStatus") or "", "draft"))


def read_exam(store: Store, names: ExamNames, key: str) -> Exam | None:
    """An exam as its graph holds it (None when there is no such exam, or the key cannot name one)."""
    if not EXAM_KEY.match(key):
        return None
    return parse_exam(store.graph_triples(ox.NamedNode(names.exam_graph(key))), names.exam(key), key)


def read_epreuve(store: Store, names: ExamNames, key: str, number: int) -> Epreuve | None:
    """One épreuve of an exam (None when there is no such exam or épreuve)."""
    exam = read_exam(store, names, key)
    if exam is None:
        return None
    try:
        return exam.epreuve(number)
    except KeyError:
        return None


@dataclass(frozen=True)
class FrozenCandidates:
    """The candidate list of an épreuve as frozen when it started."""

    candidates: frozenset[str]
    frozen_at: dt.datetime


def read_frozen_candidates(store: Store, names: ExamNames, key: str, number: int) -> FrozenCandidates | None:
    """The frozen candidate list (None while the épreuve has not started: it still follows its groups)."""
    triples = store.graph_triples(ox.NamedNode(names.candidates_graph(key, number)))
    if not triples:
        return None
    candidates, frozen = set(), None
    for t in triples:
        if t.predicate.value == _OS + "candidate":
            candidates.add(t.object.value)
        elif t.predicate.value == _OS + "frozenAt":
            frozen = parse_timestamp(t.object.value)
    return FrozenCandidates(frozenset(candidates), frozen or dt.datetime.min.replace(tzinfo=dt.timezone.utc))
