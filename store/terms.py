"""Namespaces and conversions between rdflib and pyoxigraph terms."""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, ORG, OWL, PROV, RDF, RDFS, SKOS, XSD

OS = Namespace("https://w3id.org/ontosides#")
OSH = Namespace("https://w3id.org/ontosides/shapes#")
SIDES = Namespace("http://www.side-sante.fr/sides#")
SYSTEM_GRAPH = "urn:ontosides:system"
STAGING_PREFIX = "urn:ontosides:staging:"

PREFIXES = {
    "os": str(OS),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "prov": str(PROV),
    "org": str(ORG),
    "foaf": str(FOAF),
    "sides": str(SIDES),
}

__all__ = ["OS", "OSH", "SIDES", "PREFIXES", "to_ox", "from_ox", "DCTERMS", "FOAF", "ORG", "OWL",
           "PROV", "RDF", "RDFS", "SKOS", "XSD"]


def to_ox(term):
    """Convert an rdflib term to a pyoxigraph term."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"not an RDF term: {term!r}")


def from_ox(term):
    """Convert a pyoxigraph term to an rdflib term."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        dt = term.datatype.value
        if dt == str(XSD.string):
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(dt))
    raise TypeError(f"not an RDF term: {term!r}")


def triple_graph() -> Graph:
    """An empty rdflib graph on rdflib's context-free store, twice as fast to fill as the default one."""
    return Graph(store="SimpleMemory")


def to_rdflib_graph(triples) -> Graph:
    """An rdflib Graph holding pyoxigraph triples."""
    graph = triple_graph()
    for t in triples:
        graph.add((from_ox(t.subject), from_ox(t.predicate), from_ox(t.object)))
    return graph


def number_literal(value: float) -> Literal:
    """A number as xsd:integer when whole, else xsd:decimal (the datatypes the shapes accept)."""
    if float(value).is_integer():
        return Literal(str(int(value)), datatype=XSD.integer)
    return Literal(str(value), datatype=XSD.decimal)
