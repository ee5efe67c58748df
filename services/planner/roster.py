"""Who sits an épreuve: group members and people read from the store, the union until the start, the frozen list
after it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from services.exams.model import Epreuve
from services.exams.naming import ExamNames
from services.exams.rdf import candidates_graph, read_frozen_candidates
from services.planner.rules import candidate_union
from services.platform import Platform
from store.sparql_text import inject_values_list
from store.writes import GraphChange


@dataclass(frozen=True)
class Person:
    """A candidate as a list shows them."""

    iri: str
    family_name: str = ""
    given_name: str = ""
    unique_id: str = ""

    def display(self) -> str:
        """Given name, family name and key, e.g. « Léa Martin (s0-0-1) »."""
        name = f"{self.given_name} {self.family_name}".strip()
        key = self.iri.rstrip("/").rsplit("/", 1)[-1]
        return f"{name} ({key})" if name else key


@dataclass
class CandidateList:
    """The candidates of an épreuve, where each comes from, and whether the list is frozen."""

    people: dict[str, Person]
    groups_of: dict[str, list[str]] = field(default_factory=dict)
    frozen_at: dt.datetime | None = None

    @property
    def iris(self) -> frozenset[str]:
        """The candidates' IRIs."""
        return frozenset(self.people)


class Roster:
    """Reads members, people and frozen lists; freezes lists."""

    def __init__(self, platform: Platform, names: ExamNames):
        self.platform = platform
        self.names = names
        self.queries = platform.queries_for("planner")

    def rows_for(self, name: str, var: str, iris: Iterable[str]) -> list:
        terms = [ox.NamedNode(i) for i in iris]
        if not terms:
            return []
        return self.platform.store.select(inject_values_list(self.queries.get(name).text, var, terms)).rows

    @staticmethod
    def _person(row) -> Person:
        return Person(row["person"].value, *(row[k].value if k in row else "" for k in ("family", "given", "uid")))

    def members(self, groups: Iterable[str]) -> tuple[dict[str, set[str]], dict[str, Person]]:
        """Each group's members, and those people with their names."""
        by_group: dict[str, set[str]] = {}
        people: dict[str, Person] = {}
        for row in self.rows_for("group_members", "group", groups):
            by_group.setdefault(row["group"].value, set()).add(row["person"].value)
            if row["person"].value not in people:
                people[row["person"].value] = self._person(row)
        return by_group, people

    def people(self, iris: Iterable[str]) -> dict[str, Person]:
        """The people among these IRIs the store knows (os:Person), with their names."""
        return {row["person"].value: self._person(row) for row in self.rows_for("people", "person", set(iris))}

    def frozen(self, epreuve: Epreuve) -> CandidateList | None:
        """The frozen list of a started épreuve (None while it follows its groups)."""
        frozen = read_frozen_candidates(self.platform.store, self.names, epreuve.exam, epreuve.number)
        if frozen is None:
            return None
        query = self.queries.get("frozen_candidates")
        rows = self.platform.store.select(query.text, query.bind({"epreuve": epreuve.iri})).rows
        people = {r["person"].value: self._person(r) for r in rows}
        return CandidateList(people, {}, frozen.frozen_at)

    def current(self, epreuve: Epreuve) -> CandidateList:
        """The frozen list if the épreuve started, else the union of its groups' members and additions, less
        its exclusions."""
        return self.frozen(epreuve) or self.union(epreuve)

    def union(self, epreuve: Epreuve) -> CandidateList:
        """The candidates from the épreuve's groups, additions and exclusions, as they are now."""
        members, people = self.members(epreuve.groups)
        chosen = candidate_union(members, epreuve.groups, epreuve.added, epreuve.excluded)
        missing = [p for p in epreuve.added if p not in people]
        people.update(self.people(missing))
        groups_of: dict[str, list[str]] = {}
        for group in epreuve.groups:
            for person in members.get(group, ()):
                if person in chosen:
                    groups_of.setdefault(person, []).append(group)
        return CandidateList({p: people.get(p, Person(p)) for p in chosen}, groups_of)

    def freeze_change(self, epreuve: Epreuve, candidates: CandidateList, now: dt.datetime) -> GraphChange:
        """The write that freezes a candidate list into the épreuve's candidates graph."""
        data = candidates_graph(epreuve.iri, sorted(candidates.people), now)
        return GraphChange(self.names.candidates_graph(epreuve.exam, epreuve.number), data, replace=True)
