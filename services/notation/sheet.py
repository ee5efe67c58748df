"""What grading needs to know of an épreuve: its items, their questions and keys, the grading method.

Plain records read from the exam graph and the published item versions (`services.notation.reading`);
nothing here touches the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from services.grading.scoring import Area

METHODS = {"MethodEdn2023": "edn-2023", "MethodSidesLegacy": "sides-legacy", "MethodTcsAggregate": "tcs-aggregate"}
CHOICE = ("QRU", "QRM", "QRP", "QRM_LONG", "QRP_LONG")
MANUAL = ("QROC", "QROL")


@dataclass(frozen=True)
class Option:
    """An answer option of a choice question, labelled A, B, C … by position."""

    iri: str
    label: str
    text: str
    correct: bool
    criticality: str | None = None


@dataclass(frozen=True)
class Question:
    """A question of the épreuve, keyed by its slot position (and step in a dossier): "3", "5.2"."""

    key: str
    iri: str
    slot: int
    type: str
    statement: str = ""
    options: tuple[Option, ...] = ()
    expected_count: int | None = None
    accepted: tuple[str, ...] = ()
    model_answer: str | None = None
    max_points: float | None = None
    value: float | None = None
    tolerance: float | None = None
    unit: str | None = None
    areas: tuple[Area, ...] = ()
    pairs: tuple[tuple[str, str], ...] = ()
    panel: tuple[tuple[str, int], ...] = ()
    checklist: tuple[tuple[str, str, float], ...] = ()

    @property
    def is_choice(self) -> bool:
        """QRU, QRM, QRP and their long lists."""
        return self.type in CHOICE


@dataclass(frozen=True)
class Slot:
    """An item of the épreuve (élément d'épreuve): its published version and its questions in order."""

    position: int
    iri: str
    element: str
    item: str | None
    kind: str
    title: str
    coefficient: float
    tags: tuple[str, ...]
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Sheet:
    """An épreuve as NOTATION sees it."""

    key: str
    iri: str
    exam: str
    number: int
    title: str
    exam_title: str
    owner: str | None
    method: str
    start: str | None
    status: str | None
    offers: tuple[str, ...] = ()
    slots: tuple[Slot, ...] = ()
    _by_key: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        self._by_key.update({q.key: q for q in self.questions})

    @property
    def exam_key(self) -> str:
        """The exam's key (the épreuve key without its number)."""
        return self.key.rsplit("-", 1)[0]

    @property
    def questions(self) -> list[Question]:
        """Every question, slot by slot."""
        return [q for slot in self.slots for q in slot.questions]

    def question(self, key: str) -> Question | None:
        """A question by its key, or None."""
        return self._by_key.get(key)

    def slot(self, position: int) -> Slot | None:
        """A slot by its position, or None."""
        return next((s for s in self.slots if s.position == position), None)
