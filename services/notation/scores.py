"""Every candidate scored on every question of an épreuve, one vectorised rule call per question.

The result is a fractions matrix (candidates × questions, in [0, 1]) with NaN where a grader still has to decide
(an unexpected QROC answer, an uncorrected QROL), and who graded by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from services.grading import scoring
from services.grading.cases import unit_key
from services.grading.qroc import QrocCorrection, correct_qroc, normalise
from services.grading.scoring import EDN_2023, TCS_AGGREGATE, RuleError
from services.notation.answers import Copies
from services.notation.corrections import Corrections
from services.notation.errors import NotationError
from services.notation.sheet import Question, Sheet


@dataclass
class Scored:
    """The épreuve's fractions and what grading still waits for."""

    keys: list[str]
    fractions: np.ndarray
    graders: dict[str, list[str | None]] = field(default_factory=dict)
    qroc: dict[str, QrocCorrection] = field(default_factory=dict)

    @property
    def pending(self) -> dict[str, int]:
        """Per question, how many answers wait for a grader."""
        waiting = np.isnan(self.fractions).sum(axis=0)
        return {k: int(waiting[j]) for j, k in enumerate(self.keys)}

    def column(self, key: str) -> int:
        """The column of a question."""
        return self.keys.index(key)


def score_copies(sheet: Sheet, copies: Copies, corrections: Corrections) -> Scored:
    """Score every copy with the épreuve's method, the QROC decisions and the QROL grades."""
    questions = sheet.questions
    scored = Scored([q.key for q in questions], np.zeros((copies.size, len(questions))))
    for j, q in enumerate(questions):
        try:
            scored.fractions[:, j] = _score(sheet, q, copies, corrections, scored)
        except RuleError as exc:
            raise NotationError(f"question {q.key} ({q.type}) cannot be scored: {exc}") from None
    return scored


def _score(sheet: Sheet, q: Question, copies: Copies, corrections: Corrections, scored: Scored) -> np.ndarray:
    n = copies.size
    if q.is_choice:
        method = EDN_2023 if sheet.method == TCS_AGGREGATE else sheet.method
        flags = lambda test: np.array([test(o) for o in q.options], dtype=bool)  # noqa: E731
        announced = q.expected_count if q.type in scoring.PARTIAL else None
        return scoring.choice_scores(method, q.type, copies.ticks[q.key], flags(lambda o: o.correct),
                                     flags(lambda o: o.criticality == "indispensable"),
                                     flags(lambda o: o.criticality == "unacceptable"), announced).score
    if q.type == "TCS":
        values = [v for v, _ in q.panel]
        counts = np.array([c for _, c in q.panel] + [0])
        index = np.array([-1 if v is None else values.index(v) if v in values else len(values)
                          for v in copies.chosen[q.key]], dtype=int)
        return scoring.tcs_scores(counts, index) if n else np.zeros(0)
    if q.type == "NUMERIQUE":
        if q.value is None:
            raise RuleError("it has no right value")
        units = copies.units[q.key]
        ok = np.array([q.unit is None or (u is not None and unit_key(u) == unit_key(q.unit)) for u in units], bool)
        return scoring.numeric_scores(copies.numbers[q.key], q.value, q.tolerance or 0.0, ok)
    if q.type == "ZONE":
        return scoring.zone_scores(copies.points[q.key], list(q.areas))
    if q.type == "ASSOCIATION":
        lefts = [left for left, _ in q.pairs]
        rights = list(dict.fromkeys(right for _, right in q.pairs))
        chosen = np.array([[rights.index(a[left]) if a.get(left) in rights else -1 for left in lefts]
                           for a in copies.pairs[q.key]], dtype=int).reshape(n, len(lefts))
        return scoring.association_scores(chosen, np.array([rights.index(r) for _, r in q.pairs]))
    if q.type == "ECOS":
        points = np.array([p for _, _, p in q.checklist], dtype=float)
        if not points.size or points.sum() <= 0:
            raise RuleError("its checklist has no points")
        return scoring.checklist_scores(copies.checks[q.key] * points, points)
    if q.type == "QROC":
        accepted = list(q.accepted) + corrections.synonyms(q.iri)
        if not accepted:
            raise RuleError("it has no accepted answer")
        result = correct_qroc(copies.texts[q.key], accepted, corrections.fractions(q.iri))
        scored.qroc[q.key] = result
        decided = corrections.qroc.get(q.iri, {})
        scored.graders[q.key] = [decided[normalise(t)].grader if s == "decided" else None
                                 for t, s in zip(copies.texts[q.key], result.status)]
        return result.scores
    if q.type == "QROL":
        if not q.max_points:
            raise RuleError("it has no maximum points")
        marks = corrections.qrol.get(q.iri, {})
        out = np.full(n, np.nan)
        graders: list[str | None] = [None] * n
        for i, (person, text) in enumerate(zip(copies.candidates, copies.texts[q.key])):
            if person in marks:
                out[i] = marks[person].points / q.max_points
                graders[i] = marks[person].grader
            elif not (text or "").strip():
                out[i] = 0.0  # nothing written: nothing to correct
        scored.graders[q.key] = graders
        return out
    raise RuleError(f"the type {q.type} is not known to NOTATION")
