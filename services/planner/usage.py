"""Usage statistics (the seed's « Statistiques d'usage »): find items by specialty, référentiel entry and
transversal knowledge; for each, its type, title, how many students answered it, its success rate and how many
épreuves used it.

Per-question figures come from the statistics graphs NOTATION keeps (`graph/stats/{exam}-{k}`); an épreuve
without one is counted from its question scores instead. Before any answer the counts and the rate are zero.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from services.access.model import EXAM_STAFF, Principal
from services.planner.exams import Planner
from services.planner.usage_rules import QuestionFigures, item_usage

KIND_NAMES = {"IsolatedQuestion": "QI", "SQI": "SQI", "DP": "DP", "MDCP": "MDCP", "DL": "DL", "LCA": "LCA",
              "KFP": "KFP", "EcosStation": "ECOS"}


@dataclass
class _Item:
    iri: str
    title: str
    creator: str
    owner: str | None = None
    types: set[str] = field(default_factory=set)
    subjects: set[str] = field(default_factory=set)
    specialties: set[str] = field(default_factory=set)
    transversal: set[str] = field(default_factory=set)

    def kind(self) -> str:
        """QI, DP … and, for an isolated question, its type (QRU, QRM …)."""
        locals_ = {t.rsplit("#", 1)[-1] for t in self.types}
        kind = next((KIND_NAMES[n] for n in locals_ if n in KIND_NAMES), "?")
        detail = sorted(locals_ - set(KIND_NAMES) - {"ExamElement", "Question", "Dossier"})
        return f"{kind} {'/'.join(detail)}".strip() if kind == "QI" and detail else kind


class UsageStatistics:
    """Usage statistics over the platform's items."""

    def __init__(self, planner: Planner):
        self.planner = planner
        self.platform = planner.platform
        self.roster = planner.roster
        self.queries = planner.queries

    def _visible(self, principal: Principal) -> frozenset[str] | None:
        """The owners whose items the caller's statistics cover (None: all): their organisations, the units
        below and the organisations above them."""
        if principal.is_admin:
            return None
        tree = self.planner.access.directory.tree()
        held = principal.organisations(EXAM_STAFF)
        return tree.subtree(held) | {a for o in held for a in tree.ancestors(o)}

    def items(self, principal: Principal, specialty: str | None, entry: str | None,
              transversal: str | None) -> list[_Item]:
        """The current items the caller may see that match every filter given, by title."""
        found: dict[str, _Item] = {}
        for row in self.platform.store.select(self.queries.get("usage_items").text).rows:
            iri = row["item"].value
            item = found.get(iri) or found.setdefault(iri, _Item(iri, row["title"].value, row["creator"].value))
            item.types.add(row["type"].value)
            for key, bucket in (("subject", item.subjects), ("specialty", item.specialties),
                                ("transversal", item.transversal)):
                if key in row:
                    bucket.add(row[key].value)
            if "owner" in row:
                item.owner = row["owner"].value
        owners = self._visible(principal)
        entries = self._subtree(entry) if entry else None
        return sorted((i for i in found.values()
                       if (owners is None or i.owner in owners or i.creator == principal.person)
                       and (specialty is None or specialty in i.specialties)
                       and (transversal is None or transversal in i.transversal)
                       and (entries is None or i.subjects & entries)), key=lambda i: (i.title.casefold(), i.iri))

    def _subtree(self, entry: str) -> set[str]:
        query = self.platform.queries.get("entry_descendants")
        return {r["descendant"].value for r in self.platform.store.select(query.text, query.bind({"entry": entry}))}

    def search(self, principal: Principal, specialty: str | None = None, entry: str | None = None,
               transversal: str | None = None, limit: int = 200) -> dict:
        """Matching items with their usage, most answered first."""
        items = self.items(principal, specialty, entry, transversal)
        usage = self.usage([i.iri for i in items])
        rows = [{"iri": i.iri, "id": i.iri.rsplit("/", 1)[-1], "type": i.kind(), "title": i.title,
                 **usage[i.iri].as_dict()} for i in items]
        rows.sort(key=lambda r: (-r["students"], r["title"].casefold()))
        return {"filters": {"specialty": specialty, "entry": entry, "transversal": transversal},
                "count": len(rows), "items": rows[:limit]}

    def usage(self, items: Iterable[str]):
        """Each item's usage: épreuves that linked it, students who answered, success rate."""
        items = list(items)
        linked: dict[str, set[tuple[str, str]]] = {i: set() for i in items}
        for row in self.roster.rows_for("usage_slots", "item", items):
            linked[row["item"].value].add((row["epreuve"].value, row["version"].value))
        versions = {v for pairs in linked.values() for _, v in pairs}
        figures: list[QuestionFigures] = []
        covered: set[tuple[str, str]] = set()
        for row in self.roster.rows_for("usage_question_statistics", "version", versions):
            answers = int(row["answers"].value)
            facility = float(row["facility"].value) if "facility" in row else 0.0
            key = (row["epreuve"].value, row["version"].value)
            covered.add(key)
            figures.append(QuestionFigures(*key, row["question"].value, answers, facility * answers))
        uncovered = {v for pairs in linked.values() for e, v in pairs if (e, v) not in covered}
        for row in self.roster.rows_for("usage_question_scores", "version", uncovered):
            key = (row["epreuve"].value, row["version"].value)
            if key not in covered:
                figures.append(QuestionFigures(*key, row["question"].value, int(row["answers"].value),
                                               float(row["sum"].value)))
        return item_usage(linked, figures)
