"""The Officiel list library every store starts with (library/officiel.trig)."""

from __future__ import annotations

import uuid

import pyoxigraph as ox
from rdflib import Dataset, Graph, Literal, URIRef

from services.platform import Platform
from store.paths import ROOT
from store.terms import OS
from store.writes import GraphChange

SEED = ROOT / "library" / "officiel.trig"


def ensure_library(platform: Platform) -> list[str]:
    """Add the Officiel categories and lists that the store lacks (never overwrites a level's work)."""
    base = platform.settings.base_iri.rstrip("/") + "/"
    dataset = Dataset()
    dataset.parse(data=SEED.read_text(encoding="utf-8").replace("{base}", base), format="trig")
    changes = []
    for context in dataset.contexts():
        graph_iri = str(context.identifier)
        if not graph_iri.startswith(base):
            continue
        existing = platform.store.graph_triples(ox.NamedNode(graph_iri))
        described = {t.subject.value for t in existing}
        data = Graph()
        for s, p, o in context:
            if str(s) not in described:
                data.add((s, p, o))
        if len(data):
            data.add((URIRef(graph_iri), OS.revision, Literal(uuid.uuid4().hex)))
            changes.append(GraphChange(graph_iri, data, [graph_iri]))
    if changes:
        platform.writer.apply(changes)
    return [c.graph for c in changes]
