"""A score matrix from its spreadsheet form: `candidate,<question>,…` then one row of marks per candidate."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

import numpy as np


class MatrixError(ValueError):
    """The file cannot be read as a score matrix; the message names the line and the column."""


@dataclass
class ScoreMatrix:
    """Marks of candidates (rows) on questions (columns), with each question's maximum."""

    candidates: list[str]
    questions: list[str]
    marks: np.ndarray
    maxima: np.ndarray


def _number(text: str, decimal_comma: bool) -> float:
    value = float(text.strip().replace(",", ".") if decimal_comma else text.strip())
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def read_scores_csv(text: str) -> ScoreMatrix:
    """Parse the CSV (comma, or semicolon with decimal commas as spreadsheets write it in French)."""
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or not lines[0].strip():
        raise MatrixError("line 1: the header `candidate,<question>,…` is missing")
    semicolon = ";" in lines[0] and "," not in lines[0]
    rows = csv.reader(io.StringIO("\n".join(lines)), delimiter=";" if semicolon else ",")
    header = [h.strip() for h in next(rows)]
    questions = header[1:]
    if not questions:
        raise MatrixError("line 1: no question column after the candidate column")
    for j, name in enumerate(questions):
        if not name:
            raise MatrixError(f"line 1: column {j + 2} has no question name")
        if name in questions[:j]:
            raise MatrixError(f"line 1: question {name!r} appears twice")
    candidates: list[str] = []
    seen: dict[str, int] = {}
    marks: list[list[float]] = []
    for row in rows:
        line = rows.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise MatrixError(f"line {line}: {len(row)} fields where the header has {len(header)}")
        candidate = row[0].strip()
        if not candidate:
            raise MatrixError(f"line {line}: no candidate")
        if candidate in seen:
            raise MatrixError(f"line {line}: candidate {candidate!r} already on line {seen[candidate]}")
        seen[candidate] = line
        values = []
        for name, cell in zip(questions, row[1:]):
            try:
                values.append(_number(cell, semicolon))
            except ValueError:
                raise MatrixError(f"line {line}, column {name!r}: {cell!r} is not a number") from None
        candidates.append(candidate)
        marks.append(values)
    array = np.array(marks, dtype=float).reshape(len(marks), len(questions))
    return ScoreMatrix(candidates, questions, array, np.ones(len(questions)))


def apply_maxima(matrix: ScoreMatrix, maxima: object) -> ScoreMatrix:
    """Set the questions' maxima from `{question: max}` (others keep 1) or a list in column order."""
    if isinstance(maxima, list):
        if len(maxima) != len(matrix.questions):
            raise MatrixError(f"maxima: {len(maxima)} values for {len(matrix.questions)} questions")
        maxima = dict(zip(matrix.questions, maxima))
    if not isinstance(maxima, dict):
        raise MatrixError("maxima: a JSON object {question: maximum} or a list in column order")
    values = matrix.maxima.copy()
    for name, value in maxima.items():
        if name not in matrix.questions:
            raise MatrixError(f"maxima: {name!r} is not a question of the scores file")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise MatrixError(f"maxima: {name!r}: {value!r} is not a number ≥ 0")
        values[matrix.questions.index(name)] = float(value)
    return ScoreMatrix(matrix.candidates, matrix.questions, matrix.marks, values)
