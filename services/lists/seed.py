"""The Officiel list library every store starts with (library/officiel.trig)."""

from __future__ import annotations

import uuid

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef

from services.platform import Platform
from store.paths import ROOT
from store.terms import OS, from_ox
from store.writes import GraphChange

SEED = ROOT / "library" / "officiel.trig"


def ensure_library(platform: Platform) -> list[str]:
    """Add the Officiel categories and lists that the store lacks (never overwrites a level's work)."""
    base = platform.settings.base_iri.rstrip("/") + "/"
    graphs: dict[str, list] = {}
    for quad in ox.parse(SEED.read_text(encoding="utf-8").replace("{base}", base), ox.RdfFormat.TRIG):
        graphs.setdefault(quad.graph_name.value, []).append(quad.triple)
    changes = []
    for graph_iri, triples in graphs.items():
        existing = platform.store.graph_triples(ox.NamedNode(graph_iri))
        described = {t.subject.value for t in existing}
        data = Graph()
        for t in triples:
            if t.subject.value not in described:
                data.add((from_ox(t.subject), from_ox(t.predicate), from_ox(t.object)))
        if len(data):
            data.add((URIRef(graph_iri), OS.revision, Literal(uuid.uuid4().hex)))
            changes.append(GraphChange(graph_iri, data, [graph_iri]))
    stamped = {c.graph for c in changes}
    # List graphs loaded from files carry no revision token: give them one, or every read would parse them again.
    query = platform.queries.get("unstamped_list_graphs")
    for row in platform.store.select(query.text, query.bind({"prefix": f"{base}graph/list/"})):
        graph_iri = row["graph"].value
        if graph_iri not in stamped:
            data = Graph()
            data.add((URIRef(graph_iri), OS.revision, Literal(uuid.uuid4().hex)))
            changes.append(GraphChange(graph_iri, data))
    if changes:
        platform.writer.apply(changes)
    return [c.graph for c in changes]
