"""The Officiel list library every store starts with (library/officiel.trig)."""

from __future__ import annotations

import uuid

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef

from services.lists.repository import graph_revisions
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
    list_graphs = [g for g in platform.store.named_graphs() if g.value.startswith(f"{base}graph/list/")]
    tokens = graph_revisions(platform.store, [g.value for g in list_graphs])
    for graph in list_graphs:
        graph_iri = graph.value
        if graph_iri not in stamped and graph_iri not in tokens:
            data = Graph()
            data.add((URIRef(graph_iri), OS.revision, Literal(uuid.uuid4().hex)))
            changes.append(GraphChange(graph_iri, data))
    if changes:
        platform.writer.apply(changes)
    return [c.graph for c in changes]
