"""The cockpit's records as RDF: one graph per person (account, e-mails, functions), per offer (with its
cohort group) and per ad-hoc group."""

from __future__ import annotations

import datetime as dt

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import FOAF, ORG, PROV, RDF, SKOS, XSD

from services.access.model import Holding
from services.cockpit.model import Account, Group, Offer, Person
from store.terms import OS


def _date(value) -> dt.date | None:
    return dt.date.fromisoformat(str(value)[:10]) if value is not None else None


def person_graph(person: Person, granted_by: dict[str, str] | None = None) -> Graph:
    """The graph of one person."""
    g = Graph()
    node = URIRef(person.iri)
    g.add((node, RDF.type, OS.Person))
    g.add((node, OS.uniqueId, Literal(person.unique_id)))
    g.add((node, FOAF.familyName, Literal(person.family_name)))
    if person.given_name:
        g.add((node, FOAF.givenName, Literal(person.given_name)))
    for address in person.emails:
        g.add((node, OS.email, Literal(address)))
    for address in person.pending_emails:
        g.add((node, OS.pendingEmail, Literal(address)))
    if person.primary_email:
        g.add((node, OS.primaryEmail, Literal(person.primary_email)))
    for account in person.accounts:
        acc = URIRef(account.iri)
        g.add((node, OS.hasAccount, acc))
        g.add((acc, RDF.type, OS.UniversityAccount))
        g.add((acc, OS.eppn, Literal(account.eppn)))
        g.add((acc, OS.issuedBy, URIRef(account.university)))
    for holding in person.holdings:
        fa = URIRef(holding.assignment)
        g.add((fa, RDF.type, OS.FunctionAssignment))
        g.add((fa, ORG.member, node))
        g.add((fa, ORG.role, URIRef(holding.function)))
        g.add((fa, ORG.organization, URIRef(holding.organisation)))
        if holding.start:
            g.add((fa, OS.validFrom, Literal(holding.start.isoformat(), datatype=XSD.date)))
        if holding.end:
            g.add((fa, OS.validUntil, Literal(holding.end.isoformat(), datatype=XSD.date)))
        if granted_by and holding.assignment in granted_by:
            g.add((fa, PROV.wasAttributedTo, URIRef(granted_by[holding.assignment])))
    return g


def read_person(g: Graph, iri: str) -> Person:
    """A person from their graph."""
    node = URIRef(iri)
    accounts = [Account(str(acc), str(g.value(acc, OS.eppn)), str(g.value(acc, OS.issuedBy)))
                for acc in g.objects(node, OS.hasAccount)]
    holdings = [Holding(str(g.value(fa, ORG.role)), str(g.value(fa, ORG.organization)), str(fa),
                        _date(g.value(fa, OS.validFrom)), _date(g.value(fa, OS.validUntil)))
                for fa in g.subjects(ORG.member, node)]
    primary = g.value(node, OS.primaryEmail)
    return Person(iri=iri, key=iri.rstrip("/").rsplit("/", 1)[-1], unique_id=str(g.value(node, OS.uniqueId)),
                  family_name=str(g.value(node, FOAF.familyName) or ""),
                  given_name=str(g.value(node, FOAF.givenName)) if g.value(node, FOAF.givenName) else None,
                  emails=sorted(str(e) for e in g.objects(node, OS.email)),
                  primary_email=str(primary) if primary else None,
                  pending_emails=sorted(str(e) for e in g.objects(node, OS.pendingEmail)),
                  accounts=sorted(accounts, key=lambda a: (a.university, a.eppn)),
                  holdings=sorted(holdings, key=lambda h: h.assignment))


def attributions(g: Graph) -> dict[str, str]:
    """Who granted each function of a person graph (kept when the graph is rewritten)."""
    return {str(fa): str(who) for fa, who in g.subject_objects(PROV.wasAttributedTo)}


def offer_graph(offer: Offer) -> Graph:
    """The graph of a training offer with its cohort group and the cohort's members."""
    g = Graph()
    node, cohort = URIRef(offer.iri), URIRef(offer.cohort)
    g.add((node, RDF.type, OS.TrainingOffer))
    g.add((node, SKOS.prefLabel, Literal(offer.label, lang="fr")))
    g.add((node, OS.offeredBy, URIRef(offer.component)))
    for prop, value in ((OS.diploma, offer.diploma), (OS.studyYear, offer.study_year)):
        if value:
            g.add((node, prop, URIRef(value)))
    if offer.period:
        g.add((node, OS.period, Literal(offer.period)))
    if offer.mention:
        g.add((node, OS.mention, Literal(offer.mention)))
    g.add((cohort, RDF.type, OS.CohortGroup))
    g.add((cohort, SKOS.prefLabel, Literal(f"Promotion {offer.label}", lang="fr")))
    g.add((cohort, OS.cohortOf, node))
    g.add((cohort, OS.attachedTo, URIRef(offer.component)))
    for member in offer.members:
        g.add((cohort, OS.member, URIRef(member)))
    return g


def read_offer(g: Graph, iri: str) -> Offer:
    """An offer from its graph."""
    node = URIRef(iri)
    cohort = g.value(predicate=OS.cohortOf, object=node)

    def text(prop):
        value = g.value(node, prop)
        return str(value) if value is not None else None

    return Offer(iri=iri, key=iri.rsplit("/", 1)[-1], label=str(g.value(node, SKOS.prefLabel) or ""),
                 component=str(g.value(node, OS.offeredBy)), diploma=text(OS.diploma),
                 study_year=text(OS.studyYear), period=text(OS.period), mention=text(OS.mention),
                 cohort=str(cohort), members=sorted(str(m) for m in g.objects(cohort, OS.member)))


def group_graph(group: Group) -> Graph:
    """The graph of an ad-hoc group."""
    g = Graph()
    node = URIRef(group.iri)
    g.add((node, RDF.type, OS.AdHocGroup))
    g.add((node, SKOS.prefLabel, Literal(group.name, lang="fr")))
    for prop, values in ((OS.attachedTo, group.institutions), (OS.member, group.members),
                         (OS.administrator, group.administrators)):
        for value in values:
            g.add((node, prop, URIRef(value)))
    return g


def read_group(g: Graph, iri: str) -> Group:
    """A group (ad-hoc or cohort) from its graph."""
    node = URIRef(iri)
    kind = "cohort" if (node, RDF.type, OS.CohortGroup) in g else "ad-hoc"
    offer = g.value(node, OS.cohortOf)
    return Group(iri=iri, key=iri.rsplit("/", 1)[-1], name=str(g.value(node, SKOS.prefLabel) or ""), kind=kind,
                 institutions=sorted(str(o) for o in g.objects(node, OS.attachedTo)),
                 members=sorted(str(m) for m in g.objects(node, OS.member)),
                 administrators=sorted(str(a) for a in g.objects(node, OS.administrator)),
                 offer=str(offer) if offer else None)
