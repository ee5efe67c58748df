"""One policy decides who may do what: `may(principal, action, resource)`, and which graphs a caller may read.

Every route names an action of ACTIONS (a test reads the app's route table and fails on a route without one);
the action's rule says who may use the route at all. Services then ask `may` with the resource in hand
(this item, this organisation), where ownership and the organisation tree decide. A function held on a
university covers its UFRs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from services.access.directory import Directory
from services.access.model import (
    ANNALS, AUTHORING, CHERCHEUR, CORRECTEUR, DPO, EXAM_STAFF, FOLLOW_UP, GESTIONNAIRE, GRADING, GRANTED_BY, HEADS,
    LIST_ADMIN, PLANNING, PUBLISHING, SCHOOL_OFFICE, Principal, may_grant,
)
from services.platform import ONTOLOGY_GRAPH, Platform

Rule = Callable[[Principal], bool]
GRANTERS = frozenset(f for granters in GRANTED_BY.values() for f in granters)
SCOPE_SECONDS = 30.0
# What a person reads as theirs, one query each (a single UNION did not start from the person: 1.4 s vs ms).
OWN = ("own_account", "own_items", "own_contributions", "own_copies", "own_grades")


def anyone(_: Principal) -> bool:
    return True


def identified(p: Principal) -> bool:
    return not p.is_anonymous


def admin(p: Principal) -> bool:
    return p.is_admin


def holding(*functions: frozenset[str] | str) -> Rule:
    """A rule: the administrator, or someone holding one of the functions somewhere."""
    wanted = frozenset(f for group in functions for f in ((group,) if isinstance(group, str) else group))

    def rule(p: Principal) -> bool:
        return p.is_admin or p.holds(wanted)

    rule.__doc__ = f"holds one of {sorted(f.rsplit('#', 1)[-1] for f in wanted)}"
    return rule


@dataclass(frozen=True)
class Action:
    """What a route does, who may do it, and in words."""

    name: str
    rule: Rule
    summary: str
    personal: bool = False  # its reads show other people's personal data: each is written in the access log


ACTIONS: dict[str, Action] = {a.name: a for a in [
    Action("public", anyone, "anyone, anonymous included (public graphs only)"),
    Action("sparql:query", anyone, "query the graphs the caller may read"),
    Action("store:write", admin, "SPARQL updates, Graph Store writes, bulk operations"),
    Action("lists:read", anyone, "read the list library"),
    Action("lists:administer", holding(LIST_ADMIN), "change the lists of one's level and below"),
    Action("account:self", identified, "read and change one's own account"),
    Action("items:read", identified, "read the items one may see"),
    Action("items:author", holding(AUTHORING), "write items in the STUDIO"),
    Action("cockpit:manage", holding(SCHOOL_OFFICE, HEADS), "manage people, offers and groups of one's organisation",
           personal=True),
    Action("cockpit:grant", holding(GRANTERS), "assign and remove functions one has the right to grant"),
    Action("groups:administer", identified, "change the groups one administers"),
    Action("audit:read", holding(DPO), "read the access log", personal=True),
    Action("research:read", holding(CHERCHEUR), "read a research project's pseudonymised view", personal=True),
    Action("gdpr:read", holding(DPO), "export everything the platform holds about a person (data protection)",
           personal=True),
    Action("followup:read", holding(FOLLOW_UP), "follow the results of one's formation", personal=True),
    Action("planner:read", holding(EXAM_STAFF), "read the exams, calendar, bons à tirer and usage statistics of "
                                                 "one's organisation", personal=True),
    Action("planner:manage", holding(PLANNING), "plan the exams of one's organisation: épreuves, linked items, "
                                                "registrations, extra time, statuses"),
    Action("exam:take", identified, "take the épreuves one is a candidate of (EXAMEN)"),
    Action("exam:supervise", holding(EXAM_STAFF), "follow and supervise the épreuves of one's organisation: "
                                                  "attendance, devices, incidents, ECOS checklists (SUPERVISEUR)",
           personal=True),
    Action("grading:grade", holding(GRADING), "grade the épreuves of one's organisation (NOTATION)", personal=True),
    Action("grading:publish", holding(PUBLISHING), "publish or revoke the grades of one's organisation's épreuves",
           personal=True),
    Action("grading:annals", holding(ANNALS), "release past épreuves' items to one's faculty's question bank"),
    Action("grading:own", identified, "read one's published grades and copies, and the banks of one's formations"),
]}


# Functions whose holders' datasets reach other people's accounts, copies, grades or pseudonymised traces.
PERSONAL_READERS = SCHOOL_OFFICE | HEADS | GRADING | FOLLOW_UP | frozenset({GESTIONNAIRE, CORRECTEUR, CHERCHEUR, DPO})


class Policy:
    """The platform's access rules, over the directory of who holds what."""

    def __init__(self, platform: Platform, directory: Directory):
        self.platform = platform
        self.directory = directory
        self._scopes: dict[tuple, tuple[float, int, frozenset[str] | None]] = {}
        self._lock = threading.Lock()

    # --- routes ---------------------------------------------------------------
    def allows(self, principal: Principal, action: str) -> bool:
        """Whether the principal may use routes of this action at all."""
        return ACTIONS[action].rule(principal)

    def reads_personal_data(self, principal: Principal) -> bool:
        """Whether the caller's queries may read other people's personal data (their reads are logged)."""
        return principal.is_admin or principal.holds(PERSONAL_READERS)

    def is_researcher(self, principal: Principal) -> bool:
        """Whether the caller's queries run within the researchers' limits."""
        return not principal.is_admin and principal.holds(frozenset({CHERCHEUR}))

    # --- resources --------------------------------------------------------------
    def covers(self, principal: Principal, functions: frozenset[str], organisation: str | None) -> bool:
        """Whether the principal holds one of the functions on the organisation or a unit above it."""
        if principal.is_admin:
            return True
        if organisation is None:
            return False
        tree = self.directory.tree()
        return any(h.function in functions and tree.covers(h.organisation, organisation) for h in principal.holdings)

    def organisations(self, principal: Principal, functions: frozenset[str]) -> frozenset[str]:
        """The organisations (and their units) on which the principal holds one of the functions."""
        return self.directory.tree().subtree(principal.organisations(functions))

    def may_grant(self, principal: Principal, function: str, organisation: str) -> bool:
        """Whether the principal may assign or remove this function on this organisation."""
        return may_grant(principal, function, organisation, self.directory.tree())

    def may_read_item(self, principal: Principal, creator: str | None, coauthors, owner: str | None) -> bool:
        """Authors and co-authors see their items; exam managers every item of their faculty (and below)."""
        if principal.is_admin:
            return True
        if principal.person is None:
            return False
        if principal.person == creator or principal.person in set(coauthors or ()):
            return True
        return self.covers(principal, frozenset({GESTIONNAIRE}), owner)

    # --- what a caller may read ---------------------------------------------------
    def public_graphs(self) -> frozenset[str]:
        """The graphs everyone may read: the ontology, the organisations and the list library."""
        return self._scope(("public",), self._public)

    def _public(self) -> frozenset[str]:
        query = self.directory.queries.get("public_graphs")
        rows = self.platform.store.select(query.text, query.bind({"prefix": self.platform.iri("graph", "list", "")}))
        return frozenset({ONTOLOGY_GRAPH, self.platform.iri("graph", "organisations"), *(r["g"].value for r in rows)})

    def readable_graphs(self, principal: Principal) -> frozenset[str] | None:
        """The named graphs a caller's queries read (None: every graph, for administrators)."""
        if principal.is_admin:
            return None
        if principal.person is None:
            return self.public_graphs()
        key = (principal.person, principal.holdings)
        return self._scope(key, lambda: self.public_graphs() | self._personal(principal))

    def _personal(self, principal: Principal) -> frozenset[str]:
        graphs = {r["g"].value for name in OWN for r in self.directory._rows(name, person=principal.person)}
        managed = self.organisations(principal, frozenset({GESTIONNAIRE}))
        graphs |= {r["g"].value for r in self.directory.rows_for("organisation_item_graphs", "organisation", managed)}
        offices = self.organisations(principal, SCHOOL_OFFICE | HEADS)
        graphs |= {r["g"].value for r in self.directory.rows_for("organisation_people_graphs", "organisation", offices)}
        planners = self.organisations(principal, SCHOOL_OFFICE | HEADS | frozenset({GESTIONNAIRE, CORRECTEUR}))
        graphs |= {r["g"].value for r in self.directory.rows_for("organisation_exam_graphs", "organisation", planners)}
        graders = self.organisations(principal, GRADING)
        graphs |= {r["g"].value for r in self.directory.rows_for("organisation_grading_graphs", "organisation", graders)}
        graphs |= {r["g"].value for r in self.directory._rows("annals_graphs", person=principal.person)}
        if principal.holds(frozenset({CHERCHEUR})):  # their projects' pseudonymised datasets (issue 15)
            graphs |= {r["g"].value for r in self.directory._rows("research_graphs", person=principal.person)}
        if principal.holds(frozenset({LIST_ADMIN})):
            prefix = self.platform.iri("graph", "list-history", "")
            graphs |= {g.value for g in self.platform.store.named_graphs() if g.value.startswith(prefix)}
        return frozenset(graphs)

    def _scope(self, key: tuple, compute: Callable[[], frozenset[str]]) -> frozenset[str]:
        generation = self.platform.store.generation
        with self._lock:
            cached = self._scopes.get(key)
        if cached and cached[1] == generation and time.monotonic() - cached[0] < SCOPE_SECONDS:
            return cached[2]
        value = compute()
        with self._lock:
            if len(self._scopes) > 5_000:
                self._scopes.clear()
            self._scopes[key] = (time.monotonic(), generation, value)
        return value
