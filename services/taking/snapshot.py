"""An épreuve as the answer path needs it, held in memory while candidates take it.

Everything a save is checked against (who is a candidate, each question's options, pairs, scale values and
checklist, the window with each candidate's extra time) is read once from the store when the épreuve opens;
the check itself (`services.taking.checks`) then touches no store.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from services.exams.model import Epreuve
from services.notation.sheet import Question, Sheet, Slot
from services.taking.shuffle import Layout

# Dossiers whose steps are revealed one after another: a revealed step locks the ones before it.
PROGRESSIVE = frozenset({"DP", "MDCP", "KFP"})
MAX_TEXT = 20_000  # characters of a free-text answer or a notepad


@dataclass(frozen=True)
class QuestionRules:
    """What an answer to one question may contain."""

    key: str
    iri: str
    type: str
    slot: int
    step: int | None
    options: frozenset[str] = frozenset()
    scale: frozenset[str] = frozenset()
    lefts: frozenset[str] = frozenset()
    rights: frozenset[str] = frozenset()
    checklist: frozenset[str] = frozenset()


@dataclass
class Snapshot:
    """One épreuve while it is taken."""

    key: str
    exam: str
    number: int
    iri: str
    title: str
    owner: str | None
    start: dt.datetime | None
    duration_minutes: int
    extra_time: dict[str, int]
    status: str
    display: dict[str, bool]
    candidates: frozenset[str]
    sheet: Sheet
    questions: dict[str, QuestionRules]
    texts: dict[str, dict[str, str]] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    grace_seconds: int = 120
    # Lookups the open and save paths make per question: by position and key, built once (not a scan per call).
    _slots: dict[int, Slot] = field(default_factory=dict, repr=False, compare=False)
    _progressive: frozenset[int] = field(default_factory=frozenset, repr=False, compare=False)
    _views: dict[str, tuple[dict, dict]] = field(default_factory=dict, repr=False, compare=False)
    _layout: Layout | None = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        self._slots = {s.position: s for s in self.sheet.slots}
        self._progressive = frozenset(s.position for s in self.sheet.slots if s.kind in PROGRESSIVE)

    @classmethod
    def build(cls, epreuve: Epreuve, owner: str | None, candidates: frozenset[str], sheet: Sheet,
              texts: dict[str, dict[str, str]], scales: dict[str, frozenset[str]], labels: dict[str, str],
              grace_seconds: int) -> Snapshot:
        """The snapshot of a planned épreuve, its sheet, its candidates and the texts candidates read."""
        rules = {}
        for slot in sheet.slots:
            for q in slot.questions:
                step = int(q.key.split(".", 1)[1]) if "." in q.key else None
                rules[q.key] = QuestionRules(
                    q.key, q.iri, q.type, slot.position, step, frozenset(o.iri for o in q.options),
                    scales.get(q.iri, frozenset()) | frozenset(v for v, _ in q.panel),
                    frozenset(left for left, _ in q.pairs), frozenset(right for _, right in q.pairs),
                    frozenset(c[0] for c in q.checklist))
        return cls(sheet.key, epreuve.exam, epreuve.number, epreuve.iri, epreuve.title, owner, epreuve.start,
                   epreuve.duration_minutes, dict(epreuve.extra_time), epreuve.status, epreuve.display.as_dict(),
                   candidates, sheet, rules, texts, labels, grace_seconds)

    # --- time ---------------------------------------------------------------------------------
    def deadline(self, candidate: str) -> dt.datetime | None:
        """When the candidate's time is up (their extra time included); None while the épreuve has no date."""
        if self.start is None:
            return None
        return self.start + dt.timedelta(minutes=self.duration_minutes + self.extra_time.get(candidate, 0))

    def window_problem(self, candidate: str, now: dt.datetime, grace: bool = False) -> str | None:
        """Why the candidate may not answer now (None when they may)."""
        if self.status not in ("ready", "running"):
            return f"the épreuve is {self.status}: it is not open for answers"
        if self.start is None:
            return "the épreuve has no date"
        if now < self.start:
            return f"the épreuve starts at {self.start.isoformat()}"
        deadline = self.deadline(candidate)
        limit = deadline + dt.timedelta(seconds=self.grace_seconds) if grace else deadline
        if now > limit:
            return f"time is up: the épreuve ended for you at {deadline.isoformat()}"
        return None

    # --- content ---------------------------------------------------------------------------------
    def layout(self) -> Layout:
        """What the shuffles reorder (built once)."""
        if self._layout is None:
            self._layout = self._build_layout()
        return self._layout

    def _build_layout(self) -> Layout:
        return Layout(tuple(s.position for s in self.sheet.slots),
                      {s.position: tuple(q.key for q in s.questions) for s in self.sheet.slots},
                      {q.key: tuple(o.iri for o in q.options) for q in self.sheet.questions if q.options},
                      frozenset(s.position for s in self.sheet.slots if s.kind in PROGRESSIVE))

    def progressive(self, position: int) -> bool:
        """Whether a slot's steps are revealed one after another."""
        return position in self._progressive

    def slot(self, position: int) -> Slot | None:
        """A slot of the sheet by its position (a dict lookup)."""
        return self._slots.get(position)

    def question(self, key: str) -> Question | None:
        """A question of the sheet."""
        return self.sheet.question(key)
