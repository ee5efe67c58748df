"""RDF formats by file extension or name."""

from __future__ import annotations

import io
from pathlib import Path
from typing import IO

import pyoxigraph as ox
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, iterparse

from store.errors import ImportFailed

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


def screen_xml(source: IO[bytes], name: str) -> None:
    """ImportFailed for XML that declares entities (they can expand without bound, or read other files and
    addresses); only the prolog is read, up to the first element."""
    try:
        for _ in iterparse(source, events=("start",), forbid_dtd=False, forbid_entities=True, forbid_external=True):
            return
    except DefusedXmlException as exc:
        raise ImportFailed(f"{name}: {entity_refusal(exc)}") from None
    except ParseError as exc:
        raise ImportFailed(f"{name}: not well-formed XML: {exc}") from None
    except LookupError as exc:  # the XML declaration names an encoding Python does not know
        raise ImportFailed(f"{name}: line 1: the XML declaration names an {exc}") from None


def entity_refusal(exc: DefusedXmlException) -> str:
    """Why an XML document was refused, in words."""
    entity = getattr(exc, "name", None) or getattr(exc, "sysid", None) or ""
    return (f"declares the XML entity {entity!r}: entity declarations are refused (they can expand without bound "
            "or read other files); write the text out in full")


def parse_error(exc: Exception) -> str:
    """A parser's error in words (pyoxigraph's already name the line and column)."""
    text = str(exc)
    if "LoadDocumentCallback" in text:
        return "a remote JSON-LD @context is never fetched (the platform calls no address on a file's behalf): " \
               "put the context in the file"
    return text


def parse_triples(data: bytes, fmt: ox.RdfFormat, name: str, base_iri: str | None = None) -> list:
    """The triples of an RDF document, read by the store's own parsers (JSON-LD never fetches a remote context;
    RDF/XML is screened for entities); ImportFailed names the line and column."""
    if fmt == ox.RdfFormat.RDF_XML:
        screen_xml(io.BytesIO(data), name)
    try:
        return [quad.triple for quad in ox.parse(data, fmt, base_iri=base_iri, without_named_graphs=True)]
    except SyntaxError as exc:
        raise ImportFailed(f"{name} does not parse: {parse_error(exc)}") from None
