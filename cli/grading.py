"""`ontosides score` and `ontosides stats`: NOTATION's pure core on the command line (no store needed)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def _read_text(path: Path) -> str:
    from importers.text import NotUtf8, decode_utf8

    if not path.is_file():
        _fail(f"{path}: no such file")
    try:
        return decode_utf8(path.read_bytes())
    except NotUtf8 as exc:
        _fail(f"{path}: {exc}")


def _print_json(value: object) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, allow_nan=False) + "\n")


def score() -> None:
    """Score a JSON list of cases read on standard input; print a JSON list of {score, explanation} in order.

    A malformed case gets a null score and an explanation naming its field; the exit status is 0 unless the
    input is not a JSON list.
    """
    from services.grading.cases import score_cases

    text = sys.stdin.read()
    try:
        cases = json.loads(text)
    except json.JSONDecodeError as exc:
        _fail(f"standard input is not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}")
    if not isinstance(cases, list):
        kind = {dict: "an object", str: "a string", bool: "a boolean", type(None): "null"}.get(type(cases), "a number")
        _fail(f"standard input must be a JSON list of cases, not {kind}")
    _print_json(score_cases(cases))


def stats(scores: Annotated[Path, typer.Option("--scores", help="CSV: candidate,<question>,… then one row of marks each")],
          max: Annotated[Path | None, typer.Option("--max", help="JSON {question: maximum mark} (default 1 each)")] = None,
          extra: Annotated[bool, typer.Option(help="add each question's effective weight and the score histogram")] = False,
          bins: Annotated[int, typer.Option(help="bands of the histogram (with --extra)", min=1)] = 10) -> None:
    """Classical test theory statistics of an épreuve, as Moodle's quiz statistics define them (JSON)."""
    from services.grading.matrix import MatrixError, apply_maxima, read_scores_csv
    from services.grading.stats import analyse, histogram

    try:
        matrix = read_scores_csv(_read_text(scores))
    except MatrixError as exc:
        _fail(f"{scores}: {exc}")
    if max is not None:
        try:
            maxima = json.loads(_read_text(max))
        except json.JSONDecodeError as exc:
            _fail(f"{max}: not JSON ({exc.msg} at line {exc.lineno})")
        try:
            matrix = apply_maxima(matrix, maxima)
        except MatrixError as exc:
            _fail(f"{max}: {exc}")
    result = analyse(matrix.marks, matrix.questions, matrix.maxima, extra=extra)
    if extra:
        result["test"]["histogram"] = histogram(matrix.marks.sum(axis=1), bins, float(matrix.maxima.sum()))
    _print_json(result)


def register(app: typer.Typer) -> None:
    """Add the grading commands to the `ontosides` application."""
    app.command("score")(score)
    app.command("stats")(stats)
