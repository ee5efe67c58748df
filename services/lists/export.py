"""Effective lists as JSON, SKOS (Turtle, JSON-LD) and CSV."""

from __future__ import annotations

import csv
import io

import pyoxigraph as ox

from services.lists.model import EffectiveList
from services.lists.repository import ListInfo
from store.terms import OS, PREFIXES

SKOS = "http://www.w3.org/2004/02/skos/core#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
CSV_COLUMNS = ["notation", "label_fr", "label_en", "parent", "order", "depth", "iri", "parent_iri", "origin"]


def as_json(effective: EffectiveList, info: ListInfo) -> dict:
    """A JSON document: the list, its entries in tree order, the problems met."""
    return {
        "list": {"key": info.key, "iri": info.iri, "owner": info.owner, "category": info.category,
                 "labels": info.labels},
        "level": effective.level,
        "count": len(effective.entries),
        "entries": [{
            "iri": r.iri, "notation": r.entry.notation, "labels": r.entry.labels, "order": r.entry.order,
            "parent": r.entry.parent, "depth": r.depth, "origin": r.origin,
            "overridden": r.overridden_by or None,
        } for r in effective.entries],
        "hidden": effective.hidden,
        "problems": [vars(p) for p in effective.problems],
    }


def as_triples(effective: EffectiveList, info: ListInfo, scheme_triples) -> list:
    """SKOS triples of the effective list (the scheme, then each visible entry with its values there)."""
    scheme = ox.NamedNode(info.iri)
    triples = [ox.Triple(t.subject, t.predicate, t.object) for t in scheme_triples]
    visible = {r.iri for r in effective.entries}
    for r in effective.entries:
        s = ox.NamedNode(r.iri)
        for t in r.entry.types or (str(OS.ListEntry),):
            triples.append(ox.Triple(s, RDF_TYPE, ox.NamedNode(t)))
        triples.append(ox.Triple(s, ox.NamedNode(SKOS + "inScheme"), scheme))
        for lang, text in r.entry.labels.items():
            triples.append(ox.Triple(s, ox.NamedNode(SKOS + "prefLabel"),
                                     ox.Literal(text, language=lang) if lang else ox.Literal(text)))
        if r.entry.notation:
            triples.append(ox.Triple(s, ox.NamedNode(SKOS + "notation"), ox.Literal(r.entry.notation)))
        if r.entry.order is not None:
            triples.append(ox.Triple(s, ox.NamedNode(str(OS.order)), ox.Literal(r.entry.order)))
        if r.entry.parent in visible:
            triples.append(ox.Triple(s, ox.NamedNode(SKOS + "broader"), ox.NamedNode(r.entry.parent)))
        else:
            triples.append(ox.Triple(s, ox.NamedNode(SKOS + "topConceptOf"), scheme))
        triples.append(ox.Triple(s, ox.NamedNode(str(OS.level)), ox.NamedNode(r.origin)))
        for p, o in r.entry.extra.get("triples", ()):
            triples.append(ox.Triple(s, ox.NamedNode(p), o))
    return triples


def as_rdf(effective: EffectiveList, info: ListInfo, scheme_triples, fmt: ox.RdfFormat) -> bytes:
    """SKOS Turtle or JSON-LD bytes."""
    prefixes = {k: PREFIXES[k] for k in ("os", "skos", "rdf", "xsd", "dcterms")}
    return ox.serialize(as_triples(effective, info, scheme_triples), format=fmt,
                        prefixes=prefixes if fmt == ox.RdfFormat.TURTLE else None)


def as_csv(effective: EffectiveList) -> str:
    """One row per visible entry, in tree order."""
    notation = {r.iri: r.entry.notation or "" for r in effective.entries}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for r in effective.entries:
        e = r.entry
        writer.writerow([e.notation or "", e.labels.get("fr", ""), e.labels.get("en", ""),
                         notation.get(e.parent, "") if e.parent else "", "" if e.order is None else e.order,
                         r.depth, r.iri, e.parent or "", r.origin])
    return out.getvalue()
