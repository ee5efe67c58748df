"""Groups: ad-hoc groups (a resit, a tutoring group) with members, administrators and institutions; cohort
groups are read here too (their members change through the offer and the student import)."""

from __future__ import annotations

import uuid

import pyoxigraph as ox

from services.access import Access
from services.access.model import HEADS, SCHOOL_OFFICE, Principal
from services.cockpit.model import CockpitError, Forbidden, Group, NotFound
from services.cockpit.people import People
from services.cockpit.rdf import group_graph, read_group
from store.terms import to_rdflib_graph
from store.writes import GraphChange

MANAGERS = SCHOOL_OFFICE | HEADS
PERSON = ox.NamedNode("https://w3id.org/ontosides#Person")


class Groups:
    """Groups of one platform."""

    def __init__(self, people: People, access: Access):
        self.people = people
        self.access = access
        self.platform = people.platform
        self.queries = self.platform.queries_for("cockpit")

    def iri(self, key: str) -> str:
        """A group's IRI."""
        return self.platform.iri("group", key)

    def _graph_of(self, iri: str) -> str | None:
        query = self.queries.get("group_graph")
        rows = self.platform.store.select(query.text, query.bind({"group": iri})).rows
        return rows[0]["g"].value if rows else None

    def get(self, key_or_iri: str) -> Group:
        """A group by key or IRI."""
        iri = key_or_iri if ":" in key_or_iri else self.iri(key_or_iri)
        graph = self._graph_of(iri)
        if graph is None:
            raise NotFound(f"no group {key_or_iri}")
        return read_group(to_rdflib_graph(self.platform.store.graph_triples(ox.NamedNode(graph))), iri)

    def manages(self, principal: Principal, group: Group) -> bool:
        """The group's administrators and the school office of one of its institutions."""
        return (principal.is_admin or principal.person in group.administrators
                or any(self.access.policy.covers(principal, MANAGERS, o) for o in group.institutions))

    def listing(self, principal: Principal, organisation: str | None = None) -> list[dict]:
        """The groups of the organisations the caller manages, and the groups they administer."""
        rows = self.platform.store.select(self.queries.get("groups").text).rows
        scope = None if principal.is_admin else self.access.policy.organisations(principal, MANAGERS)
        wanted = self.access.directory.tree().subtree({organisation}) if organisation else None
        administered = set()
        if principal.person:
            query = self.queries.get("groups_of_person")
            administered = {r["group"].value for r in self.platform.store.select(
                query.text, query.bind({"person": principal.person})).rows if r["role"].value == "administrator"}
        found: dict[str, dict] = {}
        for row in rows:
            iri, org = row["group"].value, row["organisation"].value
            entry = found.setdefault(iri, {"iri": iri, "id": iri.rsplit("/", 1)[-1], "name": row["name"].value,
                                           "kind": "cohort" if row["kind"].value.endswith("CohortGroup") else "ad-hoc",
                                           "institutions": [], "members": int(row["members"].value)})
            entry["institutions"].append(org)
        groups = [g for g in found.values()
                  if (scope is None or set(g["institutions"]) & scope or g["iri"] in administered)
                  and (wanted is None or set(g["institutions"]) & wanted)]
        return sorted(groups, key=lambda g: g["name"].casefold())

    def create(self, principal: Principal, name: str, institutions: list[str], members: list[str],
               administrators: list[str]) -> Group:
        """A new ad-hoc group; its creator is one of its administrators."""
        if not name.strip():
            raise CockpitError("name: a group needs a name")
        if not institutions:
            raise CockpitError("institutions: a group is attached to at least one institution")
        known = self.access.directory.tree().kinds
        for organisation in institutions:
            if organisation not in known:
                raise NotFound(f"no organisation {organisation}")
            if not self.access.policy.covers(principal, MANAGERS, organisation):
                raise Forbidden(f"you do not manage groups of {organisation}")
        key = uuid.uuid4().hex[:12]
        admins = sorted({*administrators, *([principal.person] if principal.person else [])})
        group = Group(self.iri(key), key, name.strip(), "ad-hoc", sorted(set(institutions)), [], admins)
        self._check_people([*members, *admins])
        group.members = sorted(set(members))
        self.platform.writer.apply([GraphChange(self.platform.iri("graph", "group", key), group_graph(group),
                                                replace=True)])
        return group

    def change(self, principal: Principal, key: str, name: str | None = None,
               add_members: list[str] = (), remove_members: list[str] = (),
               add_administrators: list[str] = (), remove_administrators: list[str] = (),
               institutions: list[str] | None = None) -> Group:
        """Change an ad-hoc group's name, members, administrators or institutions."""
        group = self.get(key)
        if group.kind != "ad-hoc":
            raise CockpitError("a cohort group's members change with its training offer (student import)")
        if not self.manages(principal, group):
            raise Forbidden(f"you do not administer the group {group.name}")
        self._check_people([*add_members, *add_administrators])
        if name is not None:
            if not name.strip():
                raise CockpitError("name: a group needs a name")
            group.name = name.strip()
        group.members = sorted((set(group.members) | set(add_members)) - set(remove_members))
        group.administrators = sorted((set(group.administrators) | set(add_administrators)) - set(remove_administrators))
        if institutions is not None:
            if not institutions:
                raise CockpitError("institutions: a group is attached to at least one institution")
            added = set(institutions) - set(group.institutions)
            for organisation in added:
                if not self.access.policy.covers(principal, MANAGERS, organisation):
                    raise Forbidden(f"you do not manage groups of {organisation}")
            group.institutions = sorted(set(institutions))
        self.platform.writer.apply([GraphChange(self._graph_of(group.iri), group_graph(group), replace=True)])
        return group

    def _check_people(self, people: list[str]) -> None:
        if not people:
            return
        try:
            nodes = [ox.NamedNode(p) for p in people]
        except ValueError as exc:
            raise CockpitError(f"members: not an IRI ({exc})") from None
        types = self.platform.store.types_of(nodes)
        unknown = [p.value for p in nodes if PERSON not in types.get(p, set())]
        if unknown:
            raise NotFound(f"no person {', '.join(unknown[:5])}")
