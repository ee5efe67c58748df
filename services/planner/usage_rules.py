"""How per-question figures add up to an item's usage (pure: no store)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class QuestionFigures:
    """One question of a linked version in one épreuve: how many answered it, and the sum of their fractions."""

    epreuve: str
    version: str
    question: str
    answers: int
    sum_fraction: float


@dataclass(frozen=True)
class Usage:
    """An item's usage over every épreuve that linked one of its versions."""

    epreuves: int
    students: int
    answers: int
    success_rate: float

    def as_dict(self) -> dict:
        """JSON form (the rate rounded to 4 places)."""
        return {"epreuves": self.epreuves, "students": self.students, "answers": self.answers,
                "success_rate": round(self.success_rate, 4)}


def item_usage(linked: Mapping[str, Iterable[tuple[str, str]]],
               figures: Iterable[QuestionFigures]) -> dict[str, Usage]:
    """Per item (its (épreuve, version) pairs given): the épreuves that used it; the students who answered it,
    counted in each épreuve as the most answered of its questions (every student of a dossier meets its first
    question); the success rate, the mean fraction over every answer to its questions (0 before any answer)."""
    by_pair: dict[tuple[str, str], list[QuestionFigures]] = {}
    for f in figures:
        by_pair.setdefault((f.epreuve, f.version), []).append(f)
    out = {}
    for item, pairs in linked.items():
        pairs = set(pairs)
        students = answers = 0
        total = 0.0
        for pair in pairs:
            found = by_pair.get(pair, [])
            students += max((f.answers for f in found), default=0)
            answers += sum(f.answers for f in found)
            total += sum(f.sum_fraction for f in found)
        out[item] = Usage(len({e for e, _ in pairs}), students, answers, total / answers if answers else 0.0)
    return out
