"""What the store says about people and organisations, for the policy: the organisation tree, who holds what.

Read with the access queries (queries/access/) and cached, so a request pays a dictionary lookup, not a query,
to know who its caller is. The cockpit's writes (and raw writes) call `forget`; a time limit covers writers
in other processes.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterable

import pyoxigraph as ox

from services.access.model import Holding, OrgTree, Principal
from services.platform import Platform
from store.sparql_text import inject_values_list

CACHE_SECONDS = 60.0


def _date(term) -> dt.date | None:
    if term is None:
        return None
    try:
        return dt.date.fromisoformat(term.value[:10])
    except ValueError:
        return None


class Directory:
    """People, their functions and the organisation tree, as the store holds them."""

    def __init__(self, platform: Platform):
        self.platform = platform
        self.queries = platform.queries_for("access")
        self._lock = threading.Lock()
        self._since = 0.0
        self._tree: OrgTree | None = None
        self._people: dict[str, tuple[bool, tuple[Holding, ...]]] = {}

    def _rows(self, name: str, **params):
        query = self.queries.get(name)
        return self.platform.store.select(query.text, query.bind(params)).rows

    def rows_for(self, name: str, var: str, terms: Iterable[str], library=None) -> list:
        """Rows of a query (of the access library, or the one given) whose variable is bound to several IRIs."""
        terms = [ox.NamedNode(t) for t in terms]
        if not terms:
            return []
        text = (library or self.queries).get(name).text
        return self.platform.store.select(inject_values_list(text, var, terms)).rows

    def _fresh(self) -> None:
        if time.monotonic() - self._since > CACHE_SECONDS:
            self._tree, self._people, self._since = None, {}, time.monotonic()

    def forget(self) -> None:
        """Drop what is cached (after a write to people, functions or organisations)."""
        with self._lock:
            self._since = 0.0

    def tree(self) -> OrgTree:
        """The organisation tree."""
        with self._lock:
            self._fresh()
            if self._tree is None:
                tree = OrgTree()
                for row in self._rows("org_tree"):
                    iri = row["organisation"].value
                    kind = row["kind"].value.rsplit("#", 1)[-1]
                    if tree.kinds.get(iri) in (None, "Organisation"):
                        tree.kinds[iri] = kind
                    if "label" in row:
                        tree.labels.setdefault(iri, row["label"].value)
                    if "parent" in row:
                        tree.parent[iri] = row["parent"].value
                self._tree = tree
            return self._tree

    def principal(self, person: str, via: str, today: dt.date | None = None) -> Principal:
        """The principal of a person: whether they administer the platform, and the functions they hold today."""
        today = today or dt.date.today()
        with self._lock:
            self._fresh()
            known = self._people.get(person)
        if known is None:
            is_admin = self.platform.store.ask(self.queries.get("is_admin").text, {"person": ox.NamedNode(person)})
            holdings = tuple(
                Holding(r["function"].value, r["organisation"].value, r["assignment"].value,
                        _date(r.get("start")), _date(r.get("end")))
                for r in self._rows("holdings", person=person))
            known = (is_admin, holdings)
            with self._lock:
                self._people[person] = known
        is_admin, holdings = known
        return Principal(person, is_admin, tuple(h for h in holdings if h.active(today)), via)

    def warm(self, people: Iterable[str]) -> int:
        """Read the functions of many people in one query into the cache (the candidates of an épreuve that
        opens); returns how many people."""
        people = list(people)
        if not people:
            return 0
        admins = {r["person"].value for r in self._rows("administrators")}
        found: dict[str, list[Holding]] = {p: [] for p in people}
        for r in self.rows_for("holdings_of_people", "person", people):
            found[r["person"].value].append(Holding(r["function"].value, r["organisation"].value,
                                                    r["assignment"].value, _date(r.get("start")), _date(r.get("end"))))
        with self._lock:
            self._fresh()
            for person, holdings in found.items():
                self._people[person] = (person in admins, tuple(holdings))
        return len(found)

    def all_holdings(self, person: str) -> tuple[Holding, ...]:
        """Every function a person holds or held, with dates (for the cockpit)."""
        return tuple(Holding(r["function"].value, r["organisation"].value, r["assignment"].value,
                             _date(r.get("start")), _date(r.get("end")))
                     for r in self._rows("holdings", person=person))
