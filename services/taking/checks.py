"""The check of one save on the hot path: pure, against the épreuve's snapshot, no store, no shapes.

It accepts exactly the answers whose triples (`services.taking.render`) the shapes accept with the épreuve's
neighbours (`shapes/core/exams.ttl`, osh:AnswerShape and osh:AnswerContentShape): a property-based test feeds
both the same generated valid and broken answers (`tests/test_taking_checks.py`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from services.taking.snapshot import MAX_TEXT, QuestionRules, Snapshot

CHOICE = ("QRU", "QRM", "QRP", "QRM_LONG", "QRP_LONG")
MAX_SEQUENCE = 2**53  # what a browser's number counts exactly
MAX_UNIT = 40


@dataclass(frozen=True)
class AnswerIn:
    """One save of one question: its whole state (value, marker, notepad) and the client's sequence number."""

    question: str
    seq: int
    options: tuple[str, ...] = ()
    value: str | None = None
    text: str | None = None
    number: float | None = None
    unit: str | None = None
    x: float | None = None
    y: float | None = None
    pairs: tuple[tuple[str, str], ...] = ()
    checks: tuple[str, ...] = ()
    marker: bool = False
    notepad: str | None = None

    def carries(self) -> set[str]:
        """The kinds of value this save carries."""
        found = set()
        if self.options:
            found.add("options")
        if self.value is not None:
            found.add("value")
        if self.text is not None:
            found.add("text")
        if self.number is not None or self.unit is not None:
            found.add("number")
        if self.x is not None or self.y is not None:
            found.add("point")
        if self.pairs:
            found.add("pairs")
        if self.checks:
            found.add("checks")
        return found


# What each type of question may carry.
ALLOWED = {**{t: {"options"} for t in CHOICE}, "TCS": {"value"}, "QROC": {"text"}, "QROL": {"text"},
           "NUMERIQUE": {"number"}, "ZONE": {"point"}, "ASSOCIATION": {"pairs"}, "ECOS": {"checks"}}


def answer_problem(snapshot: Snapshot, answer: AnswerIn, examiner: bool = False) -> str | None:
    """Why this save cannot be kept (None when it can): the question, the sequence number, the values."""
    rules = snapshot.questions.get(answer.question)
    if rules is None:
        return f"question {answer.question!r} is not in this épreuve"
    if not isinstance(answer.seq, int) or isinstance(answer.seq, bool) or not 0 <= answer.seq < MAX_SEQUENCE:
        return f"seq must be an integer from 0 to {MAX_SEQUENCE - 1}"
    if answer.notepad is not None and len(answer.notepad) > MAX_TEXT:
        return f"the notepad holds at most {MAX_TEXT} characters"
    if (rules.type == "ECOS") != examiner:
        return ("an ECOS checklist is filled in by the examiner" if rules.type == "ECOS"
                else "an examiner fills in ECOS checklists only")
    extra = answer.carries() - ALLOWED.get(rules.type, set())
    if extra:
        return f"a {rules.type} answer carries no {', '.join(sorted(extra))}"
    return _values_problem(rules, answer)


def _values_problem(rules: QuestionRules, answer: AnswerIn) -> str | None:
    if answer.options:
        if len(set(answer.options)) != len(answer.options):
            return "an option is ticked twice"
        unknown = [o for o in answer.options if o not in rules.options]
        if unknown:
            return f"{unknown[0]} is not an option of question {rules.key}"
        if rules.type == "QRU" and len(answer.options) > 1:
            return "a QRU takes one option at most"
    if answer.value is not None and answer.value not in rules.scale:
        return f"{answer.value} is not a value of the scale of question {rules.key}"
    if answer.text is not None and len(answer.text) > MAX_TEXT:
        return f"an answer holds at most {MAX_TEXT} characters"
    if answer.number is not None and not _finite(answer.number):
        return "the number must be finite"
    if answer.unit is not None and (answer.number is None or len(answer.unit) > MAX_UNIT):
        return f"a unit goes with a number and holds at most {MAX_UNIT} characters"
    if answer.x is not None or answer.y is not None:
        if answer.x is None or answer.y is None or not (_finite(answer.x) and _finite(answer.y)):
            return "a point needs two finite coordinates x and y"
        if answer.x < 0 or answer.y < 0:
            return "a point's coordinates are pixels of the picture (≥ 0)"
    if answer.pairs:
        lefts = [left for left, _ in answer.pairs]
        if len(set(lefts)) != len(lefts):
            return "each left member is matched once at most"
        for left, right in answer.pairs:
            if left not in rules.lefts or right not in rules.rights:
                return f"({left!r}, {right!r}) is not a pair of members of question {rules.key}"
    if answer.checks:
        if len(set(answer.checks)) != len(answer.checks):
            return "a checklist item is ticked twice"
        unknown = [c for c in answer.checks if c not in rules.checklist]
        if unknown:
            return f"{unknown[0]} is not an item of the checklist of station {rules.key}"
    return None


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
