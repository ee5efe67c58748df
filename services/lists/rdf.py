"""Mapping between list-library RDF (SKOS + os:ListChange) and the plain model."""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, SKOS, XSD

from services.lists.model import CHANGE_KINDS, Change, Entry, Layer
from store.terms import OS, from_ox, number_literal

KIND_IRIS = {"hide": OS.HideEntry, "show": OS.ShowEntry, "relabel": OS.RelabelEntry, "reorder": OS.ReorderEntry}
KIND_NAMES = {str(v): k for k, v in KIND_IRIS.items()}
RDF_TYPE = str(RDF.type)
CORE = {str(p) for p in (RDF.type, SKOS.prefLabel, SKOS.notation, SKOS.broader, SKOS.inScheme, OS.order, OS.level,
                         SKOS.topConceptOf, OWL.deprecated)}
LIST_TYPES = {str(OS.List), str(OS.Referentiel)}
# Plain strings: these are compared hundreds of thousands of times when a big list is read.
REVISION, LIST_CHANGE, IN_SCHEME = str(OS.revision), str(OS.ListChange), str(SKOS.inScheme)
PREF_LABEL, NOTATION, BROADER, ORDER = str(SKOS.prefLabel), str(SKOS.notation), str(SKOS.broader), str(OS.order)
LEVEL, DEPRECATED = str(OS.level), str(OWL.deprecated)


def _number(term) -> float | None:
    try:
        value = float(term.value)
    except (AttributeError, ValueError):
        return None
    return int(value) if value.is_integer() else value


def read_layer(triples, level: str, list_iri: str) -> tuple[Layer, dict]:
    """A level's layer of one list from its graph's triples; also the list's own description if held."""
    by_subject: dict[str, list] = {}
    revision = None
    for t in triples:
        if t.predicate.value == REVISION:
            revision = t.object.value
            continue
        by_subject.setdefault(t.subject.value, []).append(t)
    layer = Layer(level, revision=revision)
    scheme: dict = {}
    for subject, items in by_subject.items():
        types = {t.object.value for t in items if t.predicate.value == RDF_TYPE}
        if types & LIST_TYPES:
            scheme = {"iri": subject, "types": sorted(types), "triples": items}
        elif LIST_CHANGE in types:
            layer.changes.append(_change(items, level))
        elif any(t.predicate.value == IN_SCHEME and t.object.value == list_iri for t in items):
            layer.entries.append(_entry(subject, items, level, types))
    layer.changes.sort(key=lambda c: (c.at or "", c.target, c.kind))
    return layer, scheme


def _entry(subject: str, items, level: str, types: set[str]) -> Entry:
    labels, extra = {}, []
    notation = order = parent = None
    owner = level
    deprecated = False
    for t in items:
        p = t.predicate.value
        if p == PREF_LABEL:
            labels[getattr(t.object, "language", None) or ""] = t.object.value
        elif p == NOTATION:
            notation = t.object.value
        elif p == BROADER:
            parent = t.object.value
        elif p == ORDER:
            order = _number(t.object)
        elif p == LEVEL:
            owner = t.object.value
        elif p == DEPRECATED:
            deprecated = t.object.value == "true"
        elif p not in CORE:
            extra.append((p, t.object))
    return Entry(subject, labels, owner, notation, order, parent, tuple(sorted(types)),
                 {"triples": tuple(sorted(extra, key=lambda e: (e[0], str(e[1]))))}, deprecated)


def _change(items, level: str) -> Change:
    values: dict = {"labels": {}}
    for t in items:
        p = t.predicate.value
        if p == str(OS.changeKind):
            values["kind"] = KIND_NAMES.get(t.object.value, t.object.value)
        elif p == str(OS.changeTarget):
            values["target"] = t.object.value
        elif p == str(SKOS.prefLabel):
            values["labels"][getattr(t.object, "language", None) or ""] = t.object.value
        elif p == str(OS.order):
            values["order"] = _number(t.object)
        elif p == str(PROV.wasAttributedTo):
            values["author"] = t.object.value
        elif p == str(DCTERMS.modified):
            values["at"] = t.object.value
    return Change(values.get("kind", "?"), values.get("target", ""), level, values["labels"],
                  values.get("order"), values.get("author"), values.get("at"))


def _label(graph: Graph, subject: URIRef, labels: dict[str, str]) -> None:
    for lang, text in labels.items():
        graph.add((subject, SKOS.prefLabel, Literal(text, lang=lang or None)))


def entry_triples(graph: Graph, entry: Entry, list_iri: str) -> None:
    """Add an entry's triples to a graph."""
    s = URIRef(entry.iri)
    for t in entry.types or (str(OS.ListEntry),):
        graph.add((s, RDF.type, URIRef(t)))
    graph.add((s, SKOS.inScheme, URIRef(list_iri)))
    graph.add((s, OS.level, URIRef(entry.level)))
    _label(graph, s, entry.labels)
    if entry.notation:
        graph.add((s, SKOS.notation, Literal(entry.notation)))
    if entry.order is not None:
        graph.add((s, OS.order, number_literal(entry.order)))
    if entry.parent:
        graph.add((s, SKOS.broader, URIRef(entry.parent)))
    else:
        graph.add((s, SKOS.topConceptOf, URIRef(list_iri)))
    if entry.deprecated:
        graph.add((s, OWL.deprecated, Literal(True)))
    for p, o in entry.extra.get("triples", ()):
        graph.add((s, URIRef(p), from_ox(o) if isinstance(o, (ox.NamedNode, ox.Literal, ox.BlankNode)) else o))


def change_triples(graph: Graph, change: Change, change_iri: str, list_iri: str) -> None:
    """Add a change's triples to a graph."""
    if change.kind not in CHANGE_KINDS:
        raise ValueError(f"unknown change kind {change.kind!r}")
    s = URIRef(change_iri)
    graph.add((s, RDF.type, OS.ListChange))
    graph.add((s, OS.changeKind, KIND_IRIS[change.kind]))
    graph.add((s, OS.changeTarget, URIRef(change.target)))
    graph.add((s, OS.level, URIRef(change.level)))
    graph.add((s, OS.inList, URIRef(list_iri)))
    _label(graph, s, change.labels)
    if change.order is not None:
        graph.add((s, OS.order, number_literal(change.order)))
    if change.author:
        graph.add((s, PROV.wasAttributedTo, URIRef(change.author)))
    if change.at:
        graph.add((s, DCTERMS.modified, Literal(change.at, datatype=XSD.dateTime)))
