"""Dashboards (issue 15): the students in difficulty of a formation, with their trend, for its Directeur des études
and school office; a student's progress per référentiel item next to their cohort's distribution.

Both run the research named queries (`students_in_difficulty`, `student_progress`, `referentiel_success_by_student`,
`student_referentiel_progress`) over a dataset the policy allows: the follow-up over the cohorts of the offers of the
organisations on which the caller holds a follow-up function (FOLLOW_UP); the student's page over their own
published grades, and their cohort as an aggregate only (quartiles), suppressed under MIN_GROUP students. Grades
count once officially published (and not revoked): until then they may still change.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

import pyoxigraph as ox

from services.access.model import FOLLOW_UP, Principal
from services.exams.naming import ExamNames
from services.platform import Platform
from store.dataset import DatasetSpec
from store.sparql_text import inject_values_list

MIN_GROUP = 5


class DashboardNotFound(LookupError):
    """No such offer among those the caller follows (404)."""


def quartiles(values: list[float]) -> tuple[float, float, float] | None:
    """Q1, median, Q3 (inclusive method: the quartiles of the values themselves); None without values."""
    if not values:
        return None
    if len(values) == 1:
        return values[0], values[0], values[0]
    q1, q2, q3 = statistics.quantiles(sorted(values), n=4, method="inclusive")
    return q1, q2, q3


def position(value: float, q: tuple[float, float, float]) -> str:
    """Where a value stands against quartiles: below Q1, between Q1 and the median, …, above Q3."""
    if value < q[0]:
        return "below-q1"
    if value < q[1]:
        return "q1-median"
    if value <= q[2]:
        return "median-q3"
    return "above-q3"


def _number(term) -> float | None:
    return None if term is None else float(term.value)


@dataclass
class Offer:
    iri: str
    faculty: str
    label: str
    period: str
    group: str


@dataclass
class FollowedStudent:
    student: str
    epreuves: int
    mean: float | None
    trend: float | None
    missed: int
    grades: list[tuple[str, float]] = field(default_factory=list)  # (start, grade out of 20), in time order
    reasons: list[str] = field(default_factory=list)


@dataclass
class ItemProgress:
    item: str
    number: int
    label: str
    own: float | None
    answers: int
    cohort: tuple[float, float, float] | None
    cohort_size: int
    where: str | None
    over_time: list[tuple[str, float]] = field(default_factory=list)  # (épreuve start, success rate)


class Dashboards:
    """The follow-up and progress dashboards, read through the platform's named queries."""

    def __init__(self, platform: Platform, policy):
        self.platform = platform
        self.policy = policy
        self.internal = platform.queries_for("research")

    # --- helpers ---------------------------------------------------------------------
    def _named(self, name: str, params: dict, graphs) -> list[dict]:
        query = self.platform.queries.get(name)
        spec = DatasetSpec.of(sorted(graphs), sorted(graphs))
        return self.platform.store.select(query.text, query.bind(params), dataset=spec).rows

    def _values(self, name: str, var: str, terms, dataset=None) -> list[dict]:
        terms = sorted(set(terms))
        if not terms:
            return []
        text = inject_values_list(self.internal.get(name).text, var, [ox.NamedNode(t) for t in terms])
        return self.platform.store.select(text, dataset=dataset).rows

    def _cohort(self, groups) -> tuple[set[str], set[str], set[str]]:
        """Members, épreuves and readable graphs of some cohort groups."""
        members, epreuves, graphs = set(), set(), set()
        for row in self._values("cohort_graphs", "group", groups):
            members.add(row["member"].value)
            epreuves.add(row["epreuve"].value)
            graphs.add(row["g"].value)
        return members, epreuves, graphs

    def _members(self, groups) -> set[str]:
        text = inject_values_list("PREFIX os: <https://w3id.org/ontosides#> SELECT DISTINCT ?m WHERE { ?group os:member ?m }",
                                  "group", [ox.NamedNode(g) for g in groups])
        return {r["m"].value for r in self.platform.store.select(text).rows} if groups else set()

    # --- follow-up (Directeur des études, school office) -------------------------------
    def offers(self, principal: Principal) -> list[Offer]:
        """The training offers of the organisations on which the caller holds a follow-up function."""
        covered = None if principal.is_admin else self.policy.organisations(principal, FOLLOW_UP)
        found = {}
        for row in self.platform.store.select(self.internal.get("offers").text).rows:
            faculty = row["faculty"].value
            if covered is not None and faculty not in covered:
                continue
            found.setdefault(row["offer"].value, Offer(
                row["offer"].value, faculty, row["label"].value if row.get("label") else row["offer"].value,
                row["period"].value if row.get("period") else "", row["group"].value))
        return list(found.values())

    def followup(self, principal: Principal, offer: str | None, threshold: float = 8, fall: float = 1,
                 absences: int = 1) -> dict:
        """The students in difficulty of one offer's cohort (the first offer when none is named)."""
        offers = self.offers(principal)
        chosen = next((o for o in offers if o.iri == offer), None) if offer else (offers[0] if offers else None)
        if offer and chosen is None:
            raise DashboardNotFound(f"no training offer {offer} among those you follow")
        result = {"offers": offers, "offer": chosen, "students": [], "members": 0,
                  "params": {"threshold": threshold, "fall": fall, "absences": absences}}
        if chosen is None:
            return result
        members, _, graphs = self._cohort([chosen.group])
        members |= self._members([chosen.group])
        result["members"] = len(members)
        if not graphs:
            return result
        listed = self._named("students_in_difficulty",
                             {"threshold": threshold, "fall": fall, "absences": absences}, graphs)
        students = []
        for row in listed:
            student = row["student"].value
            if student not in members:
                continue
            mean, trend, missed = _number(row.get("meanScore")), _number(row.get("trend")), int(row["missed"].value)
            reasons = []
            if mean is not None and mean < threshold:
                reasons.append("mean")
            if fall > 0 and trend is not None and trend <= -fall:
                reasons.append("trend")
            if absences > 0 and missed >= absences:
                reasons.append("absences")
            students.append(FollowedStudent(student, int(row["epreuves"].value), mean, trend, missed,
                                            reasons=reasons))
        for s in students:
            rows = self._named("student_progress", {"student": s.student}, graphs)
            s.grades = [(r["start"].value if r.get("start") else "", float(r["on20"].value)) for r in rows
                        if r.get("on20")]
        result["students"] = students
        return result

    # --- a student's progress -------------------------------------------------------
    def progress(self, principal: Principal) -> dict:
        """The caller's success per référentiel item (their published grades) next to their cohort's quartiles."""
        person = principal.person
        result = {"items": [], "cohorts": [], "min_group": MIN_GROUP, "epreuves": []}
        if person is None:
            return result
        own_graphs = {r["g"].value for r in self.policy.directory._rows("own_grades", person=person)}
        own_graphs = {g for g in own_graphs if "/graph/research/" not in g}
        # What their grades' question scores say, read here for their own rows only (the person reads these graphs
        # only from 5 graded candidates on).
        names = ExamNames(self.platform.settings.base_iri)
        own_graphs |= {s for s in map(names.question_scores_graph_of, own_graphs) if s}
        cohorts = self.platform.store.select(self.internal.get("cohorts_of").text,
                                             self.internal.get("cohorts_of").bind({"person": person})).rows
        groups = [r["group"].value for r in cohorts]
        result["cohorts"] = [r["label"].value if r.get("label") else r["group"].value for r in cohorts]
        members, _, cohort_graphs = self._cohort(groups)
        cohort_grades = {g for g in cohort_graphs if "/graph/grades/" in g or "/grade" in g}
        scored = own_graphs | cohort_graphs
        questions = [r["question"].value for r in self.platform.store.select(
            self.internal.get("grade_questions").text, dataset=DatasetSpec.of(sorted(scored))).rows] if scored else []
        tags = {r["g"].value for r in self._values("question_graphs", "question", questions)}
        public = set(self.policy.public_graphs())
        exams = {g for g in cohort_graphs if g not in cohort_grades}
        mine = self._named("student_referentiel_progress", {"student": person}, own_graphs | tags | public | exams) \
            if own_graphs else []
        over_time: dict[str, list[tuple[str, float]]] = {}
        for row in mine:
            over_time.setdefault(row["item"].value, []).append(
                (row["start"].value if row.get("start") else "", float(row["successRate"].value)))
        own = {}
        distribution: dict[str, list[float]] = {}
        if own_graphs:
            for row in self._named("referentiel_success_by_student", {"minAnswers": 1}, own_graphs | tags | public):
                if row["student"].value == person:
                    own[row["item"].value] = (int(row["number"].value), float(row["successRate"].value),
                                              int(row["answers"].value))
        if cohort_graphs:
            for row in self._named("referentiel_success_by_student", {"minAnswers": 1},
                                   cohort_graphs | tags | public):
                if row["student"].value in members:
                    distribution.setdefault(row["item"].value, []).append(float(row["successRate"].value))
        labels = {r["entry"].value: r["label"].value for r in self._values("entry_labels", "entry", own)}
        items = []
        for item, (number, rate, answers) in sorted(own.items(), key=lambda kv: kv[1][0]):
            values = distribution.get(item, [])
            q = quartiles(values) if len(values) >= MIN_GROUP else None
            items.append(ItemProgress(item, number, labels.get(item, f"Item {number}"), rate, answers, q,
                                      len(values), position(rate, q) if q else None,
                                      sorted(over_time.get(item, []))))
        result["items"] = items
        return result
