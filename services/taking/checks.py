"""The check of one save on the hot path: pure, against the épreuve's snapshot, no store, no shapes.

What a save is checked for falls in three parts:

- **Content** (`content_problem`): what the answer would store. It accepts exactly the answers whose triples
  (`services.taking.render.answer_triples`, built from the record `Taking._record` makes) conform to the core
  shapes (`shapes/core/exams.ttl`, osh:AnswerShape) and to the épreuve's derived shapes
  (`services.taking.snapshot_shapes`: its questions, their options, scales, pairs and checklists, what each type
  of question takes, who fills in an ECOS checklist), given the neighbours' types. `tests/test_taking_checks.py`
  proves it: hypothesis feeds both the same generated valid and broken answers and they must agree.
- **Form** (`form_problem`): what is wrong with the request although its triples could not show it, because a
  set of triples has no duplicates and no field names: an option or checklist item ticked twice, a TCS value sent
  as an option or an option sent as a TCS value (both become os:selectedOption), half a point, a number that is not
  a number. The triples of such a request are those of another, well-formed one; the request is refused all the
  same, since it says the client is confused.
- **State** (in `services.taking.service`, not here and not in shapes): whether the caller is a registered
  candidate (or an examiner of the épreuve), whether the window is open (extra time and grace included) or the
  copy handed in, whether the sequence number is newer than the stored one (superseded otherwise), and whether the
  question belongs to a dossier step not yet revealed or already moved past. These depend on the session and the
  clock, not on the answer's triples.
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
        """The kinds of value this save carries (an empty string is no value: the record drops it)."""
        found = set()
        if self.options:
            found.add("options")
        if self.value not in (None, ""):
            found.add("value")
        if self.text not in (None, ""):
            found.add("text")
        if self.number is not None or self.unit not in (None, ""):
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
           "NUMERIQUE": {"number"}, "ZONE": {"point"}, "ASSOCIATION": {"pairs"}, "ECOS": {"checks", "value"}}


def answer_problem(snapshot: Snapshot, answer: AnswerIn, examiner: bool = False) -> str | None:
    """Why this save cannot be kept (None when it can): the question, the request's form, the values.

    `examiner` says the save is an ECOS examiner's (who fills in checklists, and nothing else)."""
    rules = snapshot.questions.get(answer.question)
    if rules is None:
        return f"question {answer.question!r} is not in this épreuve"
    return form_problem(rules, answer) or content_problem(rules, answer, examiner)


def form_problem(rules: QuestionRules, answer: AnswerIn) -> str | None:
    """What is wrong with the request although the answer's triples could not show it (None when nothing)."""
    if len(set(answer.options)) != len(answer.options):
        return "an option is ticked twice"
    if len(set(answer.checks)) != len(answer.checks):
        return "a checklist item is ticked twice"
    if rules.type == "TCS" and answer.options:
        return "a TCS answer gives its scale value in `value`, not in `options`"
    if rules.type in CHOICE and answer.value not in (None, ""):
        return f"a {rules.type} answer gives its options in `options`, not in `value` (a TCS scale value)"
    if (answer.x is None) != (answer.y is None):
        return "a point needs both coordinates x and y"
    for name in ("number", "x", "y"):
        value = getattr(answer, name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            return f"{name} must be a number"
    return None


def content_problem(rules: QuestionRules, answer: AnswerIn, examiner: bool = False) -> str | None:
    """Why the answer's triples would not conform to the core and the épreuve's shapes (None when they would)."""
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
        unknown = [o for o in answer.options if o not in rules.options]
        if unknown:
            return f"{unknown[0]} is not an option of question {rules.key}"
        if rules.type == "QRU" and len(answer.options) > 1:
            return "a QRU takes one option at most"
    if answer.value not in (None, "") and answer.value not in rules.scale:
        if rules.type == "ECOS":
            return f"{answer.value} is not a value of the global rating scale of station {rules.key}"
        return f"{answer.value} is not a value of the scale of question {rules.key}"
    if answer.text is not None and len(answer.text) > MAX_TEXT:
        return f"an answer holds at most {MAX_TEXT} characters"
    if answer.number is not None and not _finite(answer.number):
        return "the number must be finite"
    if answer.unit not in (None, "") and (answer.number is None or len(answer.unit) > MAX_UNIT):
        return f"a unit goes with a number and holds at most {MAX_UNIT} characters"
    if answer.x is not None or answer.y is not None:
        if not (_finite(answer.x) and _finite(answer.y)):
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
        unknown = [c for c in answer.checks if c not in rules.checklist]
        if unknown:
            return f"{unknown[0]} is not an item of the checklist of station {rules.key}"
    return None


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
