"""RDF formats by file extension or name."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

BY_EXTENSION = {
    ".ttl": ox.RdfFormat.TURTLE, ".turtle": ox.RdfFormat.TURTLE, ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS, ".trig": ox.RdfFormat.TRIG, ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD, ".rdf": ox.RdfFormat.RDF_XML, ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
}
BY_NAME = {
    "turtle": ox.RdfFormat.TURTLE, "ttl": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES,
    "ntriples": ox.RdfFormat.N_TRIPLES, "nquads": ox.RdfFormat.N_QUADS, "nq": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG, "jsonld": ox.RdfFormat.JSON_LD, "json-ld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
}
RDFLIB_NAMES = {
    ox.RdfFormat.TURTLE: "turtle", ox.RdfFormat.N_TRIPLES: "nt", ox.RdfFormat.N_QUADS: "nquads",
    ox.RdfFormat.TRIG: "trig", ox.RdfFormat.JSON_LD: "json-ld", ox.RdfFormat.RDF_XML: "xml",
}
QUAD_FORMATS = {ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG}


def format_of(path: Path) -> ox.RdfFormat:
    """The RDF format of a file, from its extension."""
    suffix = Path(path).suffix.lower()
    if suffix not in BY_EXTENSION:
        raise ValueError(f"{Path(path).name}: unknown RDF extension {suffix!r} "
                         f"(known: {', '.join(sorted(BY_EXTENSION))})")
    return BY_EXTENSION[suffix]


def format_named(name: str) -> ox.RdfFormat:
    """An RDF format by its short name."""
    try:
        return BY_NAME[name.lower()]
    except KeyError:
        raise ValueError(f"unknown format {name!r} (known: {', '.join(sorted(BY_NAME))})") from None
