"""Semi-automatic QROC correction: normalised matching, then the unexpected answers grouped for a grader."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import cdist

_NOT_WORD = re.compile(r"[^\w]+")
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})  # NFKD keeps them whole


def _singular(word: str) -> str:
    # French and English plurals: a final s or x (not on short words such as "os", "pus", "flux")
    return word[:-1] if len(word) > 3 and word[-1] in "sx" else word


def normalise(text: str) -> str:
    """Case, accents, punctuation, spaces and plural folded away: «Pneumopathies  aiguës!» → «pneumopathie aigue»."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("_", " ")
    return " ".join(_singular(word) for word in _NOT_WORD.sub(" ", bare).split())


@dataclass
class Group:
    """One unexpected answer (normalised) and the candidates who gave it."""

    text: str
    count: int
    spellings: dict[str, int]
    nearest: str | None
    distance: int | None
    candidates: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        """JSON form."""
        return {"text": self.text, "count": self.count, "spellings": self.spellings, "nearest": self.nearest,
                "distance": self.distance, "candidates": self.candidates}


@dataclass
class QrocCorrection:
    """Where each answer stands: expected answers counted, unexpected ones grouped and sorted by distance."""

    status: list[str]
    scores: np.ndarray
    expected_counts: dict[str, int]
    unexpected: list[Group]

    def as_dict(self) -> dict:
        """JSON form (scores as a list; None where a grader still has to decide)."""
        return {"status": self.status,
                "scores": [None if np.isnan(s) else float(s) for s in self.scores],
                "expected": self.expected_counts, "unexpected": [g.as_dict() for g in self.unexpected]}


def correct_qroc(answers: list[str | None], accepted: list[str],
                 decisions: dict[str, float] | None = None) -> QrocCorrection:
    """Score each candidate's answer: 1 for an accepted answer or synonym, the grader's decision for an unexpected
    one (keyed by its normalised text, a fraction in [0, 1]), 0 for no answer, NaN while undecided."""
    keys = {normalise(a): a for a in accepted if normalise(a)}
    decided = {normalise(k): v for k, v in (decisions or {}).items()}
    status, scores = [], np.zeros(len(answers))
    expected_counts: Counter[str] = Counter({original: 0 for original in keys.values()})
    groups: dict[str, list[int]] = defaultdict(list)
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for i, answer in enumerate(answers):
        norm = normalise(answer or "")
        if not norm:
            status.append("empty")
        elif norm in keys:
            status.append("expected")
            scores[i] = 1.0
            expected_counts[keys[norm]] += 1
        else:
            groups[norm].append(i)
            spellings[norm][answer.strip()] += 1
            status.append("decided" if norm in decided else "unexpected")
            scores[i] = decided.get(norm, np.nan)
    texts = list(groups)
    nearest, distance = _nearest(texts, list(keys))
    unexpected = [Group(t, len(groups[t]), dict(spellings[t].most_common()), keys.get(nearest[i]),
                        distance[i], groups[t]) for i, t in enumerate(texts)]
    unexpected.sort(key=lambda g: (g.distance if g.distance is not None else 1 << 30, -g.count, g.text))
    return QrocCorrection(status, scores, dict(expected_counts), unexpected)


def _nearest(texts: list[str], expected: list[str]) -> tuple[list[str | None], list[int | None]]:
    """The expected answer nearest to each text and its Levenshtein distance (one rapidfuzz matrix)."""
    if not texts or not expected:
        return [None] * len(texts), [None] * len(texts)
    matrix = cdist(texts, expected, scorer=Levenshtein.distance, dtype=np.int32)
    best = matrix.argmin(axis=1)
    return [expected[j] for j in best], [int(matrix[i, j]) for i, j in enumerate(best)]
