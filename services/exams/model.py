"""Exams and their épreuves as plain records: what PLANIFICATEUR writes and EXAMEN, SUPERVISEUR and NOTATION read.

No RDF here (`services/exams/rdf.py` maps these records to the exam graph and back).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

OS = "https://w3id.org/ontosides#"

STATUSES = ("draft", "ready", "running", "finished", "archived")
STATUS_IRIS = {"draft": OS + "StatusDraft", "ready": OS + "StatusReady", "running": OS + "StatusRunning",
               "finished": OS + "StatusFinished", "archived": OS + "StatusArchived"}
STATUS_BY_IRI = {iri: name for name, iri in STATUS_IRIS.items()}
# The names the scoring rules already use (services/grading/cases.py).
GRADING_METHODS = {"edn-2023": OS + "MethodEdn2023", "sides-legacy": OS + "MethodSidesLegacy",
                   "tcs-aggregate": OS + "MethodTcsAggregate"}
METHOD_BY_IRI = {iri: name for name, iri in GRADING_METHODS.items()}
# Display option → its ontology property (os:…), in the order the seed's form lists them.
DISPLAY_FLAGS = {"shuffle_items": "shuffleElements", "shuffle_questions": "shuffleQuestions",
                 "shuffle_options": "shuffleOptions", "show_item_coefficient": "showElementCoefficient",
                 "show_question_coefficient": "showQuestionCoefficient", "show_question_count": "showQuestionCount"}
STARTED = frozenset({"running", "finished", "archived"})


@dataclass
class DisplayOptions:
    """How an épreuve shows itself to candidates."""

    shuffle_items: bool = False
    shuffle_questions: bool = False
    shuffle_options: bool = False
    show_item_coefficient: bool = False
    show_question_coefficient: bool = False
    show_question_count: bool = True

    def as_dict(self) -> dict[str, bool]:
        """JSON form."""
        return {name: getattr(self, name) for name in DISPLAY_FLAGS}


@dataclass(frozen=True)
class Slot:
    """An item linked to an épreuve: the frozen version candidates see, the current item, a coefficient."""

    position: int
    version: str
    item: str
    coefficient: float = 1.0

    @property
    def item_id(self) -> str:
        """The key of the current item."""
        return self.item.rsplit("/", 1)[-1]


@dataclass
class Epreuve:
    """One timed part of an exam, with its items, registrations and extra time."""

    exam: str
    number: int
    iri: str
    title: str
    duration_minutes: int
    type: str = "Épreuve facultaire"
    start: dt.datetime | None = None
    grading_method: str | None = "edn-2023"
    display: DisplayOptions = field(default_factory=DisplayOptions)
    slots: list[Slot] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    extra_time: dict[str, int] = field(default_factory=dict)
    status: str = "draft"

    @property
    def end(self) -> dt.datetime | None:
        """When the épreuve ends for a candidate without extra time."""
        return None if self.start is None else self.start + dt.timedelta(minutes=self.duration_minutes)

    def window(self, candidate: str | None = None) -> tuple[dt.datetime, dt.datetime] | None:
        """[start, end] for a candidate, their extra time included (None while the date is unset)."""
        if self.start is None:
            return None
        extra = self.extra_time.get(candidate, 0) if candidate else 0
        return self.start, self.start + dt.timedelta(minutes=self.duration_minutes + extra)

    @property
    def latest_end(self) -> dt.datetime | None:
        """When the last candidate's time is up (the longest extra time included)."""
        if self.start is None:
            return None
        return self.start + dt.timedelta(minutes=self.duration_minutes + max(self.extra_time.values(), default=0))

    @property
    def key(self) -> str:
        """The épreuve's key in graph names: exam key and number."""
        return f"{self.exam}-{self.number}"


@dataclass
class Exam:
    """An exam: who it is for, who plans it, and its épreuves."""

    key: str
    iri: str
    title: str
    universities: list[str]
    owner: str | None = None
    short_name: str | None = None
    identifier: str | None = None
    offers: list[str] = field(default_factory=list)
    status: str = "draft"
    epreuves: list[Epreuve] = field(default_factory=list)
    created: dt.datetime | None = None
    creator: str | None = None

    def epreuve(self, number: int) -> Epreuve:
        """Épreuve `number`; KeyError when the exam has none."""
        for epreuve in self.epreuves:
            if epreuve.number == number:
                return epreuve
        raise KeyError(number)

    def next_number(self) -> int:
        """The number a new épreuve gets (numbers are never reused: graphs are named after them)."""
        return max((e.number for e in self.epreuves), default=0) + 1


def exam_status(epreuves: list[Epreuve]) -> str:
    """An exam's status from its épreuves': the least advanced one leads, a running one shows."""
    statuses = {e.status for e in epreuves}
    if not statuses:
        return "draft"
    if "running" in statuses:
        return "running"
    return min(statuses, key=STATUSES.index)
