"""The order a candidate sees: items, questions and options shuffled as the display options ask,
deterministic per (épreuve, candidate), so a reconnect, another device or a replay shows the same order.

Pure: a seed and lists of keys in, permutations out (no RDF, no clock).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass


def seed(epreuve: str, candidate: str) -> int:
    """A stable seed from the épreuve and candidate IRIs (the same on every process and machine)."""
    return int.from_bytes(hashlib.sha256(f"{epreuve}\n{candidate}".encode()).digest()[:8], "big")


@dataclass(frozen=True)
class Layout:
    """What to order: the slots' positions, each slot's question keys, each question's option IRIs.

    `progressive` slots (dossiers whose steps are revealed one after another) keep their questions in order."""

    slots: tuple[int, ...]
    questions: dict[int, tuple[str, ...]]
    options: dict[str, tuple[str, ...]]
    progressive: frozenset[int] = frozenset()


def shown_order(layout: Layout, seed_value: int, shuffle_items: bool, shuffle_questions: bool,
                shuffle_options: bool) -> dict:
    """The shown order as JSON-ready data: {"slots": [...], "questions": {slot: [...]}, "options": {q: [...]}}.

    Each list gives the original keys in the order shown, so grading and the copy view map back to the
    original order by reading it."""
    rng = random.Random(seed_value)
    slots = list(layout.slots)
    if shuffle_items:
        rng.shuffle(slots)
    questions = {}
    for position in layout.slots:
        keys = list(layout.questions.get(position, ()))
        if shuffle_questions and position not in layout.progressive:
            rng.shuffle(keys)
        questions[str(position)] = keys
    options = {}
    for key in sorted(layout.options):
        iris = list(layout.options[key])
        if shuffle_options:
            rng.shuffle(iris)
        options[key] = iris
    return {"slots": slots, "questions": questions, "options": options}
