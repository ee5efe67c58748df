"""Barèmes: item maxima ("noté sur x"), coefficients, question weights, neutralised questions; grades and dry runs.

Scores come in as fractions (candidates × questions, each in [0, 1]); an item's grade is
x · Σ w·s / Σ w over its questions, the épreuve's total Σ coefficient · item grade.
A neutralised question is either removed (its weight leaves the item: everyone's item grade is rescaled to
the same x) or given to everyone (its fraction becomes 1 for all).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from services.grading.stats import histogram

REMOVE = "remove"
FULL = "full"
NEUTRALISATIONS = (REMOVE, FULL)


class BaremeError(ValueError):
    """A barème that cannot be applied; the message names the field."""


@dataclass(frozen=True)
class QuestionRule:
    """A question's weight in its item, and whether (and how) it is neutralised."""

    weight: float = 1.0
    neutralised: str | None = None


@dataclass(frozen=True)
class ItemRule:
    """An item (élément d'épreuve): its questions in order, its maximum and its coefficient in the épreuve."""

    questions: tuple[str, ...]
    max_points: float = 20.0
    coefficient: float = 1.0


@dataclass(frozen=True)
class Bareme:
    """The barème of an épreuve."""

    items: dict[str, ItemRule]
    questions: dict[str, QuestionRule] = field(default_factory=dict)

    def rule(self, question: str) -> QuestionRule:
        """The rule of a question (weight 1, not neutralised, unless said otherwise)."""
        return self.questions.get(question, QuestionRule())

    @property
    def max_total(self) -> float:
        """The épreuve's maximum: Σ coefficient · max points over items that keep a question."""
        return sum(item.coefficient * item.max_points for item in self.items.values() if self._counts(item))

    def _counts(self, item: ItemRule) -> bool:
        return any(self.rule(q).neutralised != REMOVE and self.rule(q).weight > 0 for q in item.questions)

    @classmethod
    def from_dict(cls, data: object) -> "Bareme":
        """`{"items": {id: {questions, max_points, coefficient}}, "questions": {id: {weight, neutralised}}}`."""
        if not isinstance(data, dict) or not isinstance(data.get("items"), dict) or not data["items"]:
            raise BaremeError("items: an object {item: {questions, max_points, coefficient}}")
        items, seen = {}, {}
        for name, raw in data["items"].items():
            where = f"items.{name}"
            if not isinstance(raw, dict) or not isinstance(raw.get("questions"), list) or not raw["questions"]:
                raise BaremeError(f"{where}.questions: a non-empty list of question ids")
            for q in raw["questions"]:
                if not isinstance(q, str):
                    raise BaremeError(f"{where}.questions: {q!r} is not a question id")
                if q in seen:
                    raise BaremeError(f"{where}.questions: {q!r} already belongs to item {seen[q]!r}")
                seen[q] = name
            items[name] = ItemRule(tuple(raw["questions"]), _positive(raw, "max_points", 20.0, where),
                                   _positive(raw, "coefficient", 1.0, where, zero=True))
        questions = {}
        raw_questions = data.get("questions", {})
        if not isinstance(raw_questions, dict):
            raise BaremeError("questions: an object {question: {weight, neutralised}}")
        for name, raw in raw_questions.items():
            where = f"questions.{name}"
            if name not in seen:
                raise BaremeError(f"{where}: not a question of any item")
            if not isinstance(raw, dict):
                raise BaremeError(f"{where}: an object {{weight, neutralised}}")
            mode = raw.get("neutralised")
            if mode is not None and mode not in NEUTRALISATIONS:
                raise BaremeError(f"{where}.neutralised: {mode!r} is not remove, full or null")
            questions[name] = QuestionRule(_positive(raw, "weight", 1.0, where, zero=True), mode)
        return cls(items, questions)


def _positive(raw: dict, key: str, default: float, where: str, zero: bool = False) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or \
            value < 0 or (value == 0 and not zero):
        raise BaremeError(f"{where}.{key}: {value!r} is not a number {'≥' if zero else '>'} 0")
    return float(value)


@dataclass
class Grades:
    """Item grades (candidates × items) and épreuve totals under one barème."""

    items: list[str]
    item_grades: np.ndarray
    totals: np.ndarray
    max_total: float


def effective(fractions: np.ndarray, questions: list[str], bareme: Bareme) -> np.ndarray:
    """The fractions the barème counts: a question given to everyone (`full`) scores 1 for all."""
    fractions = np.asarray(fractions, dtype=float)
    full = [j for j, q in enumerate(questions) if bareme.rule(q).neutralised == FULL]
    if full:
        fractions = fractions.copy()
        fractions[:, full] = 1.0
    return fractions


def item_weights(questions: list[str], bareme: Bareme) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Item names, the points each question is worth in its item (questions × items: x · w / Σ w, 0 when
    removed) and the items' coefficients (0 for an item whose questions were all removed)."""
    column = {q: j for j, q in enumerate(questions)}
    missing = [q for item in bareme.items.values() for q in item.questions if q not in column]
    if missing:
        raise BaremeError(f"questions without scores: {', '.join(missing[:5])}{' …' if len(missing) > 5 else ''}")
    names = list(bareme.items)
    weights = np.zeros((len(questions), len(names)))
    coefficients = np.zeros(len(names))
    for i, name in enumerate(names):
        item = bareme.items[name]
        kept = [(column[q], bareme.rule(q).weight) for q in item.questions if bareme.rule(q).neutralised != REMOVE]
        total_weight = sum(w for _, w in kept)
        if total_weight == 0:
            continue  # every question removed: the item leaves the épreuve
        for j, w in kept:
            weights[j, i] = item.max_points * w / total_weight
        coefficients[i] = item.coefficient
    return names, weights, coefficients


def grade(fractions: np.ndarray, questions: list[str], bareme: Bareme) -> Grades:
    """Apply a barème to a matrix of fractions (candidates × questions, columns named by `questions`)."""
    names, weights, coefficients = item_weights(questions, bareme)
    # one matrix product grades every candidate on every item: weights[q, i] = x_i · w_q / Σ w of item i
    item_grades = effective(fractions, questions, bareme) @ weights
    return Grades(names, item_grades, item_grades @ coefficients, bareme.max_total)


def distribution(totals: np.ndarray, maximum: float, bins: int = 10) -> dict:
    """n, mean, median, sample sd, min, max and a histogram over [0, maximum]."""
    n = int(totals.size)
    return {"n": n, "max_total": maximum,
            "mean": float(totals.mean()) if n else None, "median": float(np.median(totals)) if n else None,
            "sd": float(totals.std(ddof=1)) if n > 1 else None,
            "min": float(totals.min()) if n else None, "max": float(totals.max()) if n else None,
            "histogram": histogram(totals, bins, maximum)}


def dry_run(fractions: np.ndarray, questions: list[str], candidates: list[str], before: Bareme, after: Bareme,
            bins: int = 10) -> dict:
    """What a barème change would do, written nowhere: who moves and by how much, distributions before and after."""
    old, new = grade(fractions, questions, before), grade(fractions, questions, after)
    delta = new.totals - old.totals
    moved = np.flatnonzero(np.abs(delta) > 1e-9 * max(1.0, old.max_total, new.max_total))
    order = moved[np.lexsort((moved, -np.abs(delta[moved])))]
    return {
        "moved": [{"candidate": candidates[k], "before": float(old.totals[k]), "after": float(new.totals[k]),
                   "delta": float(delta[k])} for k in order],
        "summary": {"candidates": len(candidates), "moved": int(moved.size),
                    "up": int((delta[moved] > 0).sum()), "down": int((delta[moved] < 0).sum()),
                    "largest_rise": max(float(delta.max()), 0.0) if moved.size else 0.0,
                    "largest_fall": min(float(delta.min()), 0.0) if moved.size else 0.0,
                    "mean_change": float(delta.mean()) if delta.size else 0.0},
        "before": distribution(old.totals, old.max_total, bins),
        "after": distribution(new.totals, new.max_total, bins),
    }
