"""NOTATION: scoring cases with the épreuve's rules (pure: nothing is read from or written to the store)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from api.security import Public
from services.grading.cases import score_cases

router = APIRouter(tags=["NOTATION"])

EXAMPLE = [{"method": "edn-2023", "type": "QRM", "options": ["A", "B", "C", "D", "E"], "correct": ["A", "C"],
            "ticked": ["A"], "indispensable": [], "unacceptable": ["E"]},
           {"method": "tcs-aggregate", "type": "TCS", "scale": ["-2", "-1", "0", "+1", "+2"],
            "panel": {"-2": 0, "-1": 1, "0": 6, "+1": 3, "+2": 0}, "answer": "+1"}]


@router.post("/grading/score", summary="Score answers with a scoring rule (edn-2023, sides-legacy, tcs-aggregate)")
def score(cases: Annotated[list[Any], Body(examples=[EXAMPLE])], _: Public) -> list[dict]:
    """One `{score, explanation}` per case, in order; a malformed case answers a null score and names its field.

    Open to every caller for now (the rules are public; nothing is stored)."""
    return score_cases(cases)
