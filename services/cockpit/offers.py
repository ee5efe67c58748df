"""The training offer (formation, year of study, component, period, mention), each with its cohort group,
and the import of a cohort's students from the template file (Nom, Prénom, Courriel, EPPN)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import pyoxigraph as ox

from importers.students_csv import StudentRow, parse_students
from services.access import Access
from services.access.model import ETUDIANT, HEADS, SCHOOL_OFFICE, Holding, Principal
from services.cockpit.model import CockpitError, Forbidden, NotFound, Offer, Person, check_period, normal_email
from services.cockpit.people import People
from services.cockpit.rdf import attributions, offer_graph, person_graph, read_offer
from services.lists.library import ListLibrary
from services.lists.repository import ListError
from store.terms import to_rdflib_graph
from store.writes import GraphChange

MANAGERS = SCHOOL_OFFICE | HEADS


@dataclass
class ImportReport:
    """What a student import did, or would have done, line by line."""

    created: list[str] = field(default_factory=list)
    linked: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    written: bool = False

    def as_dict(self) -> dict:
        """JSON form."""
        return {"created": len(self.created), "linked": len(self.linked), "unchanged": len(self.unchanged),
                "errors": self.errors, "warnings": self.warnings, "written": self.written}


class Offers:
    """Training offers of one platform."""

    def __init__(self, people: People, access: Access, lists: ListLibrary):
        self.people = people
        self.access = access
        self.lists = lists
        self.platform = people.platform
        self.queries = self.platform.queries_for("cockpit")

    def iri(self, key: str) -> str:
        """An offer's IRI."""
        return self.platform.iri("offer", key)

    def graph(self, key: str) -> str:
        """The graph of an offer and its cohort."""
        return self.platform.iri("graph", "offer", key)

    def _graph_of(self, iri: str) -> str | None:
        query = self.queries.get("offer_graph")
        rows = self.platform.store.select(query.text, query.bind({"offer": iri})).rows
        return rows[0]["g"].value if rows else None

    def get(self, key_or_iri: str) -> Offer:
        """An offer by key or IRI."""
        iri = key_or_iri if ":" in key_or_iri else self.iri(key_or_iri)
        graph = self._graph_of(iri)
        if graph is None:
            raise NotFound(f"no training offer {key_or_iri}")
        return read_offer(to_rdflib_graph(self.platform.store.graph_triples(ox.NamedNode(graph))), iri)

    def read(self, principal: Principal, key_or_iri: str) -> Offer:
        """An offer of an organisation the caller manages (NotFound otherwise)."""
        offer = self.get(key_or_iri)
        if not self.access.policy.covers(principal, MANAGERS, offer.component):
            raise NotFound(f"no training offer {key_or_iri}")
        return offer

    def _manage(self, principal: Principal, organisation: str) -> None:
        if not self.access.policy.covers(principal, MANAGERS, organisation):
            raise Forbidden(f"you do not manage the training offer of {organisation}")

    def listing(self, principal: Principal, organisation: str | None = None) -> list[dict]:
        """The offers of the organisations the caller manages (everyone's for the administrator)."""
        query = self.queries.get("offers")
        rows = self.platform.store.select(query.text).rows
        scope = None if principal.is_admin else self.access.policy.organisations(principal, MANAGERS)
        wanted = self.access.directory.tree().subtree({organisation}) if organisation else None
        offers = []
        for row in rows:
            component = row["component"].value
            if (scope is not None and component not in scope) or (wanted is not None and component not in wanted):
                continue
            offers.append({"iri": row["offer"].value, "id": row["offer"].value.rsplit("/", 1)[-1],
                           "label": row["label"].value, "component": component,
                           "period": row["period"].value if "period" in row else None,
                           "cohort": row["cohort"].value, "students": int(row["members"].value)})
        return sorted(offers, key=lambda o: (o["component"], o["label"]))

    def create(self, principal: Principal, component: str, diploma: str, study_year: str, period: str,
               mention: str | None = None) -> Offer:
        """A new offer of a component, with its cohort group; diploma and year from the component's lists."""
        if component not in self.access.directory.tree().kinds:
            raise NotFound(f"no organisation {component}")
        self._manage(principal, component)
        period = check_period(period)
        labels = {}
        for field_name, key, value in (("diploma", "formations", diploma), ("study_year", "annees-etude", study_year)):
            try:
                entries = self.lists.effective(key, component).by_iri()
            except ListError as exc:
                raise CockpitError(f"{field_name}: {exc}") from None
            if value not in entries:
                raise CockpitError(f"{field_name}: {value} is not in the list '{key}' of {component}")
            labels[field_name] = entries[value].entry.label("fr")
        key = uuid.uuid4().hex[:12]
        offer = Offer(iri=self.iri(key), key=key, label=f"{labels['study_year']} {period}", component=component,
                      diploma=diploma, study_year=study_year, period=period, mention=(mention or "").strip() or None,
                      cohort=self.platform.iri("group", key))
        self.platform.writer.apply([GraphChange(self.graph(key), offer_graph(offer), replace=True)])
        self.access.directory.forget()
        return offer

    def set_members(self, principal: Principal, offer: Offer, add: list[str], remove: list[str]) -> Offer:
        """Add people to (or remove them from) a cohort by hand."""
        self._manage(principal, offer.component)
        for person in add:
            self.people.get(person)
        members = (set(offer.members) | set(add)) - set(remove)
        offer.members = sorted(members)
        self.platform.writer.apply([GraphChange(self._graph_of(offer.iri), offer_graph(offer), replace=True)])
        return offer

    # --- student import -----------------------------------------------------------
    def import_students(self, principal: Principal, offer_key: str, content: bytes, dry_run: bool = False) -> ImportReport:
        """Import a cohort from the template file, all or nothing; a second import of the same file changes nothing."""
        offer = self.get(offer_key)
        self._manage(principal, offer.component)
        university = self._university_of(offer.component)
        rows, errors = parse_students(content)
        report = ImportReport(errors=errors)
        if not rows and not errors:
            report.errors.append({"line": 1, "field": None, "message": "the file has no student line"})
        changes: list[GraphChange] = []
        members = set(offer.members)
        for row in rows:
            person, change = self._student(row, university, offer, report)
            if person is None:
                continue
            members.add(person.iri)
            if change is not None:
                changes.append(change)
        if report.errors or dry_run:
            return report
        if set(offer.members) != members:
            offer.members = sorted(members)
            changes.append(GraphChange(self._graph_of(offer.iri), offer_graph(offer), replace=True))
        if changes:
            self.platform.writer.apply(changes)
            self.access.directory.forget()
            report.written = True
        return report

    def _university_of(self, organisation: str) -> str:
        tree = self.access.directory.tree()
        university = next((o for o in tree.ancestors(organisation) if tree.kinds.get(o) == "University"), None)
        if university is None:
            raise CockpitError(f"{organisation} belongs to no university: EPPNs cannot be placed")
        return university

    def _student(self, row: StudentRow, university: str, offer: Offer,
                 report: ImportReport) -> tuple[Person | None, GraphChange | None]:
        email = normal_email(row.email)
        existing = self.people.by_eppn(row.eppn, university)
        if existing is None:
            others = self.people.by_email(email)
            if others:
                report.warnings.append({"line": row.line, "field": "Courriel",
                                        "message": f"{email} is also the address of another account "
                                                   f"({others[0]}); a new account is created for EPPN {row.eppn}"})
            person = self.people.new_person(row.family_name, row.given_name, email, row.eppn, university)
            report.created.append(person.iri)
        else:
            person = existing
            if email not in person.emails and email not in person.pending_emails:
                report.errors.append({"line": row.line, "field": "EPPN",
                                      "message": f"the EPPN {row.eppn} is already held by another person of this "
                                                 f"university ({person.display()}, {person.primary_email or 'no e-mail'})"
                                                 f" with another e-mail than {email}"})
                return None, None
        needs_function = not any(h.function == ETUDIANT and h.organisation == offer.component
                                 for h in person.holdings)
        if needs_function:
            person.holdings.append(Holding(ETUDIANT, offer.component, f"{person.iri}/function/{uuid.uuid4().hex[:10]}"))
        if existing is not None and not needs_function:
            (report.unchanged if person.iri in offer.members else report.linked).append(person.iri)
            return person, None
        if existing is not None:
            report.linked.append(person.iri)
        graph, stored = self.people._stored(person)
        return person, GraphChange(graph, person_graph(person, attributions(stored)), replace=True)
