"""Functions held on organisations: assigned and removed by those who hold the right to grant them."""

from __future__ import annotations

import datetime as dt
import uuid

from services.access import Access
from services.access.audit import AuditEvent
from services.access.model import FUNCTIONS, GRANTED_BY, Holding, Principal
from services.cockpit.model import CockpitError, Forbidden, NotFound, Person
from services.cockpit.people import People


def function_iri(name: str) -> str:
    """A function's IRI from its IRI or its local name (Enseignant, GestionnaireEpreuves …)."""
    iri = name if name.startswith("http") else f"https://w3id.org/ontosides#{name}"
    if iri not in FUNCTIONS:
        raise CockpitError(f"function: unknown function {name!r}; known: "
                           + ", ".join(f.rsplit("#", 1)[-1] for f in FUNCTIONS))
    return iri


class Functions:
    """Assign, change and remove functions, under the grant rules and with an audit record."""

    def __init__(self, people: People, access: Access):
        self.people = people
        self.access = access

    def catalogue(self, principal: Principal) -> list[dict]:
        """Every function, who may grant it, and where the caller may grant it."""
        tree = self.access.directory.tree()
        grantable_on = {}
        for function in FUNCTIONS:
            places = [o for o in tree.kinds if self.access.policy.may_grant(principal, function, o)]
            grantable_on[function] = sorted(places)
        return [{"function": f, "name": f.rsplit("#", 1)[-1],
                 "granted_by": sorted(g.rsplit("#", 1)[-1] for g in GRANTED_BY.get(f, ())) + ["administrator"],
                 "you_may_grant_on": grantable_on[f]} for f in FUNCTIONS]

    def assign(self, principal: Principal, person_key: str, function: str, organisation: str,
               start: dt.date | None = None, end: dt.date | None = None) -> Person:
        """Give a person a function on an organisation, if the caller may grant it there."""
        function = function_iri(function)
        if organisation not in self.access.directory.tree().kinds:
            raise NotFound(f"no organisation {organisation}")
        self._check(principal, "grant", function, organisation)
        if start and end and end < start:
            raise CockpitError("end: a function cannot end before it starts")
        person = self.people.get(person_key)
        if any(h.function == function and h.organisation == organisation and h.start == start and h.end == end
               for h in person.holdings):
            return person
        assignment = f"{person.iri}/function/{uuid.uuid4().hex[:10]}"
        person.holdings.append(Holding(function, organisation, assignment, start, end))
        self.people.write(person, granted={assignment: principal.person} if principal.person else None)
        self.access.audit.record(AuditEvent("grant", "cockpit:grant", principal.person, person.iri,
                                            f"{function.rsplit('#', 1)[-1]} on {organisation}"))
        return person

    def remove(self, principal: Principal, person_key: str, assignment_id: str) -> Person:
        """Take a function away, if the caller may grant it there."""
        person = self.people.get(person_key)
        holding = next((h for h in person.holdings if h.assignment.rsplit("/", 1)[-1] == assignment_id
                        or h.assignment == assignment_id), None)
        if holding is None:
            raise NotFound(f"{person.display()} holds no function {assignment_id}")
        self._check(principal, "remove", holding.function, holding.organisation)
        person.holdings.remove(holding)
        self.people.write(person)
        self.access.audit.record(AuditEvent("removal", "cockpit:grant", principal.person, person.iri,
                                            f"{holding.function.rsplit('#', 1)[-1]} on {holding.organisation}"))
        return person

    def _check(self, principal: Principal, verb: str, function: str, organisation: str) -> None:
        if not self.access.policy.may_grant(principal, function, organisation):
            self.access.audit.record(AuditEvent("refusal", "cockpit:grant", principal.person, organisation,
                                                f"{verb} {function.rsplit('#', 1)[-1]}"))
            raise Forbidden(f"you may not {verb} the function {function.rsplit('#', 1)[-1]} on {organisation}: "
                            "it is granted by "
                            + (", ".join(g.rsplit('#', 1)[-1] for g in GRANTED_BY.get(function, ()))
                               or "the administrator only") + " of that organisation or one above it")
