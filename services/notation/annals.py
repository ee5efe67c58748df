"""Passage aux annales: items of a past épreuve released to its faculty's question bank, for the students of
the épreuve's formations to practise on (the published versions, frozen as the candidates saw them)."""

from __future__ import annotations

from rdflib import Literal, URIRef
from rdflib.namespace import PROV, RDF, SKOS, XSD

from services.notation.errors import NotationError
from services.notation.sheet import Sheet
from store.terms import OS, triple_graph
from store.writes import GraphChange


def bank_key(faculty: str, base: str) -> str:
    """A faculty's bank key: its IRI's path under the base, slashes as hyphens (org/univ-0/ufr-0 → univ-0-ufr-0)."""
    path = faculty[len(base):] if faculty.startswith(base) else faculty.rsplit("/", 1)[-1]
    return path.removeprefix("org/").strip("/").replace("/", "-")


def release_change(sheet: Sheet, positions: object, base: str, bank_exists: bool, faculty_label: str | None,
                   release_number: int, who: str, now: str) -> tuple[str, GraphChange]:
    """(bank key, the change) releasing some items of the épreuve (by slot position) to its faculty's bank."""
    if sheet.owner is None:
        raise NotationError(f"épreuve {sheet.key} has no owning faculty: no bank to release its items to")
    if not isinstance(positions, list) or not positions or not all(isinstance(p, int) for p in positions):
        raise NotationError("items: a non-empty list of item positions in the épreuve")
    slots = [sheet.slot(p) for p in positions]
    missing = [p for p, s in zip(positions, slots) if s is None]
    if missing:
        raise NotationError(f"items: {missing[0]} is not an item position of épreuve {sheet.key}")
    key = bank_key(sheet.owner, base)
    bank = URIRef(f"{base}bank/{key}")
    graph = f"{base}graph/bank/{key}"
    data = triple_graph()
    if not bank_exists:
        data.add((bank, RDF.type, OS.QuestionBank))
        data.add((bank, OS.bankOf, URIRef(sheet.owner)))
        data.add((bank, SKOS.prefLabel, Literal(f"Annales — {faculty_label or key}", lang="fr")))
    release = URIRef(f"{bank}/release/{sheet.key}-{release_number}")
    data.add((release, RDF.type, OS.AnnalsRelease))
    data.add((release, OS.epreuve, URIRef(sheet.iri)))
    data.add((release, OS.bank, bank))
    for slot in slots:
        data.add((release, OS.releasedItem, URIRef(slot.element)))
    for offer in sheet.offers:
        data.add((release, OS.visibleTo, URIRef(offer)))
    data.add((release, PROV.wasAssociatedWith, URIRef(who)))
    data.add((release, PROV.endedAtTime, Literal(now, datatype=XSD.dateTime)))
    return key, GraphChange(graph, data)
