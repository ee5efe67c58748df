"""Official publication of an épreuve's grades and its revocation, kept as PROV activities (an audit trail)."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Literal, URIRef
from rdflib.namespace import PROV, RDF, XSD

from services.notation.errors import NotationError
from services.platform import Platform
from store.terms import OS, triple_graph
from store.writes import GraphChange


@dataclass(frozen=True)
class Publication:
    """One publication and, if it was revoked, by whom, when and why."""

    iri: str
    at: str
    by: str | None
    revoked_at: str | None = None
    revoked_by: str | None = None
    reason: str | None = None

    @property
    def in_force(self) -> bool:
        """Not revoked."""
        return self.revoked_at is None

    def as_dict(self) -> dict:
        """JSON form."""
        return {"publication": self.iri, "published_at": self.at, "published_by": self.by,
                "revoked_at": self.revoked_at, "revoked_by": self.revoked_by, "reason": self.reason}


def read_publications(platform: Platform, graph: str) -> list[Publication]:
    """Every publication of an épreuve, oldest first."""
    query = platform.queries_for("notation").get("publications")
    value = lambda row, name: row[name].value if name in row else None  # noqa: E731
    return [Publication(r["publication"].value, r["at"].value, value(r, "who"), value(r, "revokedAt"),
                        value(r, "revoker"), value(r, "reason"))
            for r in platform.store.select(query.text, query.bind({"graph": graph}))]


def publish_change(graph: str, epreuve: str, number: int, who: str, now: str) -> GraphChange:
    """A new publication (number n of the épreuve)."""
    node = URIRef(f"{epreuve}/publication/{number}")
    data = triple_graph()
    data.add((node, RDF.type, OS.Publication))
    data.add((node, OS.epreuve, URIRef(epreuve)))
    data.add((node, OS.publishedAt, Literal(now, datatype=XSD.dateTime)))
    data.add((node, PROV.wasAssociatedWith, URIRef(who)))
    data.add((node, PROV.startedAtTime, Literal(now, datatype=XSD.dateTime)))
    return GraphChange(graph, data)


def revoke_change(graph: str, publication: Publication, reason: object, who: str, now: str) -> GraphChange:
    """The revocation of a publication in force, with its reason."""
    if not isinstance(reason, str) or not reason.strip():
        raise NotationError("reason: say why the publication is revoked (it is kept in the audit trail)")
    node = URIRef(f"{publication.iri}/revocation")
    data = triple_graph()
    data.add((node, RDF.type, OS.PublicationRevocation))
    data.add((node, OS.revokes, URIRef(publication.iri)))
    data.add((node, OS.revocationReason, Literal(reason.strip())))
    data.add((node, PROV.wasAssociatedWith, URIRef(who)))
    data.add((node, PROV.endedAtTime, Literal(now, datatype=XSD.dateTime)))
    return GraphChange(graph, data)
