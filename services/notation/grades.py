"""Grades of an épreuve under a barème, and their RDF: one graph per copy, written by the thousand.

`compute` is pure NumPy; `grade_lines` renders one candidate's grade graph as N-Quads lines and `score_lines` the
épreuve's shared question scores (the generator writes demo grades with them too, so demo data and NOTATION agree
to the byte); `check_grades` is the fast check,
equivalent to the Grade and QuestionScore shapes for what this code writes (tests/test_notation_check.py
proves it against the compiled checker on generated valid and broken grades).

A grade links each question score it reached automatically to one shared resource per (question, fraction) of the
épreuve (`score/{épreuve}/{question key}/{fraction}`: question, fraction, points), kept in the épreuve's
question-score graph: one triple per question in a copy's graph, where a node of its own would take five. Writing
10,000 copies × 120 questions is then 1.3 million quads instead of 6 (the store's bulk path writes about 150,000
named-graph quads a second here), and a barème change rewrites the few hundred shared scores and each grade's
totals, not every question of every copy. A score given by hand stays the candidate's own node, with its grader.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from services.grading.bareme import Bareme, effective, item_weights
from services.nquads import OS, PROV, RDF_TYPE, XSD, lit
from store.errors import Violation

COMPLETED, IN_PROGRESS = OS + "Completed", OS + "InProgress"
PLACES = 4


@dataclass
class Computed:
    """Grades of every candidate: points per question, item grades, totals; NaN fractions wait for a grader."""

    keys: list[str]
    fractions: np.ndarray
    points: np.ndarray
    question_max: np.ndarray
    question_coefficient: np.ndarray
    items: list[str]
    item_max: np.ndarray
    item_grades: np.ndarray
    coefficients: np.ndarray
    totals: np.ndarray
    max_total: float

    @property
    def complete(self) -> np.ndarray:
        """Per candidate, whether nothing waits for a grader."""
        return ~np.isnan(self.fractions).any(axis=1)


def compute(keys: list[str], fractions: np.ndarray, bareme: Bareme) -> Computed:
    """Apply a barème; a fraction still undecided counts 0 in the provisional totals."""
    names, weights, coefficients = item_weights(keys, bareme)
    counted = effective(np.nan_to_num(fractions, nan=0.0), keys, bareme)
    question_max = weights.sum(axis=1)
    item_grades = counted @ weights
    item_max = np.array([bareme.items[name].max_points for name in names])
    return Computed(keys, fractions, counted * question_max, question_max, (weights > 0) @ coefficients, names,
                    item_max, item_grades, coefficients, item_grades @ coefficients, bareme.max_total)


def decimal_text(value: float) -> str:
    """A number as an N-Triples xsd:decimal lexical form, rounded to 4 places: 0.5, 12.3333, 1.0."""
    text = f"{value:.{PLACES}f}".rstrip("0")
    text = text + "0" if text.endswith(".") else text
    return "0.0" if text in ("-0.0", "-0") else text


def decimal_texts(values: np.ndarray) -> np.ndarray:
    """decimal_text of every value (the few distinct values formatted once)."""
    values = np.asarray(values, dtype=float)
    if not values.size:
        return np.empty(values.shape, dtype=object)
    unique, inverse = np.unique(np.round(values, PLACES), return_inverse=True)
    texts = np.array([decimal_text(u) for u in unique], dtype=object)
    return texts[inverse].reshape(values.shape)


@dataclass(frozen=True)
class GradeContext:
    """What every grade graph of an épreuve shares: names, question IRIs, maximum, time."""

    epreuve: str
    grade_prefix: str
    graph_prefix: str
    keys: list[str]
    questions: list[str]
    max_total: float
    generated: str
    score_prefix: str  # the shared question scores: {score_prefix}{question key}/{fraction}
    scores_graph: str


def score_iri(ctx: GradeContext, j: int, fraction: str) -> str:
    """The shared score of question j reached with this fraction (a decimal text)."""
    return f"{ctx.score_prefix}{ctx.keys[j]}/{fraction}"


def score_lines(ctx: GradeContext, fractions: np.ndarray, points: np.ndarray,
                graders: dict[tuple[int, int], str] | None = None) -> tuple[str, list[str]]:
    """(digest, N-Quads lines) of the épreuve's shared question scores: one per (question, fraction) reached
    without a grader (`fractions`/`points`: candidates × questions decimal texts, None where no score is
    written). The graph records its digest, so an unchanged one is not written again."""
    graders = graders or {}
    g = f" <{ctx.scores_graph}> .\n"
    by_hand: dict[int, set[int]] = {}
    for i, j in graders:
        by_hand.setdefault(j, set()).add(i)
    lines: list[str] = []
    for j, question in enumerate(ctx.questions):
        rows = [i for i in range(fractions.shape[0]) if i not in by_hand[j]] if j in by_hand else slice(None)
        # Points follow from (question, fraction) under one barème: any cell of a fraction gives them.
        seen = dict(zip(fractions[rows, j], points[rows, j]))
        seen.pop(None, None)
        for fraction, point in sorted(seen.items()):
            node = f"<{score_iri(ctx, j, fraction)}>"
            lines += [f"{node} <{RDF_TYPE}> <{OS}QuestionScore>{g}", f"{node} <{OS}epreuve> <{ctx.epreuve}>{g}",
                      f"{node} <{OS}question> <{question}>{g}",
                      f'{node} <{OS}fraction> "{fraction}"^^<{XSD}decimal>{g}',
                      f'{node} <{OS}points> "{point}"^^<{XSD}decimal>{g}']
    # The graph names its épreuve: access rules find it by one index lookup.
    lines.append(f"<{ctx.scores_graph}> <{OS}epreuve> <{ctx.epreuve}>{g}")
    digest = hashlib.sha256("".join(lines).encode()).hexdigest()
    return digest, lines + [f"<{ctx.scores_graph}> <{OS}contentDigest> {lit(digest)}{g}"]


def grade_lines(ctx: GradeContext, person_key: str, student: str, fractions: list, points: list, total: str,
                complete: bool, items: list[str], graders: dict[int, str]) -> tuple[str, list[str]]:
    """(digest, N-Quads lines) of one candidate's grade graph; `fractions`/`points` hold decimal texts, None
    for a question waiting for a grader (no score yet)."""
    grade = f"{ctx.grade_prefix}{person_key}"
    g = f" <{ctx.graph_prefix}{person_key}> .\n"
    body = [f"<{grade}> <{RDF_TYPE}> <{OS}Grade>{g}", f"<{grade}> <{OS}student> <{student}>{g}",
            f"<{grade}> <{OS}epreuve> <{ctx.epreuve}>{g}",
            f'<{grade}> <{OS}score> "{total}"^^<{XSD}decimal>{g}',
            f'<{grade}> <{OS}maxPoints> "{decimal_text(ctx.max_total)}"^^<{XSD}decimal>{g}',
            f"<{grade}> <{OS}gradingStatus> <{COMPLETED if complete else IN_PROGRESS}>{g}",
            f"<{grade}> <{OS}itemScores> {lit('[' + ','.join(items) + ']')}{g}"]
    for j, key in enumerate(ctx.keys):
        if fractions[j] is None:
            continue
        if j not in graders:
            body.append(f"<{grade}> <{OS}hasQuestionScore> <{ctx.score_prefix}{key}/{fractions[j]}>{g}")
            continue
        score = f"<{grade}/{key}>"
        body += [f"<{grade}> <{OS}hasQuestionScore> {score}{g}", f"{score} <{RDF_TYPE}> <{OS}QuestionScore>{g}",
                 f"{score} <{OS}question> <{ctx.questions[j]}>{g}",
                 f'{score} <{OS}fraction> "{fractions[j]}"^^<{XSD}decimal>{g}',
                 f'{score} <{OS}points> "{points[j]}"^^<{XSD}decimal>{g}',
                 f"{score} <{OS}gradedBy> <{graders[j]}>{g}"]
    digest = hashlib.sha256("".join(body).encode()).hexdigest()
    body += [f"<{grade}> <{OS}contentDigest> {lit(digest)}{g}",
             f"<{grade}> <{PROV}generatedAtTime> {lit(ctx.generated, dtype='dateTime')}{g}"]
    return digest, body


def check_grades(epreuve_typed: bool, students: list[str], person_types: dict[str, set[str]],
                 question_typed: list[bool], fractions: np.ndarray, points: np.ndarray, totals: np.ndarray,
                 max_total: float, graders: dict[tuple[int, int], str], ctx: GradeContext,
                 person_keys: list[str]) -> list[Violation]:
    """The violations of the Grade and QuestionScore shapes in the grades about to be written, found on the
    arrays (`person_types`: the entailed types of students and graders; NaN fractions are not written). A score
    written as the épreuve's shared one is reported once, on its shared resource."""
    found: dict[tuple[str, str], Violation] = {}
    person = OS + "Person"

    def add(focus: str, path: str, message: str) -> None:
        found.setdefault((focus, path), Violation(focus, path, message, None, None, "Violation"))

    def focus(i: int, j: int) -> str:
        if (i, j) in graders:
            return f"{ctx.grade_prefix}{person_keys[i]}/{ctx.keys[j]}"
        return score_iri(ctx, j, decimal_text(float(np.round(fractions[i, j], PLACES))))

    shown_fractions = np.round(fractions, PLACES)
    for i, key in enumerate(person_keys):
        grade = f"{ctx.grade_prefix}{key}"
        if person not in person_types.get(students[i], ()):
            add(grade, "os:student", "A grade is of exactly one student (os:student).")
        if not epreuve_typed:
            add(grade, "os:epreuve", "A grade is for exactly one épreuve (os:epreuve).")
        if not np.isfinite(totals[i]):
            add(grade, "os:score", "A grade has exactly one numeric score (os:score).")
    written = ~np.isnan(fractions)
    bad_fraction = written & ((shown_fractions < 0) | (shown_fractions > 1))
    bad_points = written & ~np.isfinite(points)
    for i, j in zip(*np.nonzero(bad_fraction | bad_points)):
        if bad_fraction[i, j]:
            add(focus(i, j), "os:fraction",
                "A question score's fraction of the maximum is a number in [0, 1] (os:fraction).")
        if bad_points[i, j]:
            add(focus(i, j), "os:points", "A question score has exactly one number of points (os:points).")
    for j, typed in enumerate(question_typed):
        if not typed:
            for i in np.flatnonzero(written[:, j]):
                add(focus(i, j), "os:question", "A question score is about exactly one question (os:question).")
    if not epreuve_typed:
        for i, j in zip(*np.nonzero(written)):
            if (i, j) not in graders:
                add(focus(i, j), "os:epreuve", "A shared question score is of at most one épreuve (os:epreuve).")
    for (i, j), grader in graders.items():
        if written[i, j] and person not in person_types.get(grader, ()):
            add(focus(i, j), "os:gradedBy", "A question is graded by hand by at most one grader (os:gradedBy, a person).")
    return list(found.values())
