"""A copy shown question by question: the key, what the candidate answered, the points and why.

Each question becomes a case of the pure core (`services.grading.cases`), whose explanation says why the
score is what it is; the épreuve's scoring (`services.notation.scores`) gives the same fraction in bulk.
"""

from __future__ import annotations

import numpy as np

from services.grading.cases import score_case
from services.notation.answers import Copies
from services.notation.corrections import Corrections
from services.notation.sheet import Question, Sheet


def _labels(q: Question, ticked: np.ndarray) -> list[str]:
    return [o.label for o, t in zip(q.options, ticked) if t]


def case_and_answer(sheet: Sheet, q: Question, copies: Copies, row: int, corrections: Corrections) -> tuple[dict, dict, object]:
    """(scoring case, the key as shown, the answer as shown) of one question of one copy."""
    method = "edn-2023" if sheet.method == "tcs-aggregate" and q.type != "TCS" else sheet.method
    case: dict = {"method": method, "type": q.type}
    if q.is_choice:
        ticked = _labels(q, copies.ticks[q.key][row])
        case.update(options=[o.label for o in q.options], correct=[o.label for o in q.options if o.correct],
                    ticked=ticked,
                    indispensable=[o.label for o in q.options if o.criticality == "indispensable"],
                    unacceptable=[o.label for o in q.options if o.criticality == "unacceptable"])
        if q.expected_count is not None and q.type in ("QRP", "QRP_LONG"):
            case["expected_count"] = q.expected_count
        key = {"options": [{"label": o.label, "text": o.text, "correct": o.correct, "criticality": o.criticality}
                           for o in q.options]}
        return case, key, ticked
    if q.type == "TCS":
        chosen = copies.chosen[q.key][row]
        scale = [v for v, _ in q.panel] + ([chosen] if chosen and chosen not in dict(q.panel) else [])
        case.update(scale=scale, panel=dict(q.panel), answer=chosen)
        return case, {"panel": dict(q.panel)}, chosen
    if q.type == "NUMERIQUE":
        value = copies.numbers[q.key][row]
        answer = None if np.isnan(value) else float(value)
        case.update(value=q.value, tolerance=q.tolerance or 0.0, answer=answer)
        if q.unit:
            case["unit"] = q.unit
        if copies.units[q.key][row]:
            case["answer_unit"] = copies.units[q.key][row]
        return case, {"value": q.value, "tolerance": q.tolerance, "unit": q.unit}, \
            None if answer is None else {"value": answer, "unit": copies.units[q.key][row]}
    if q.type == "ZONE":
        point = copies.points[q.key][row]
        answer = None if np.isnan(point).any() else [float(point[0]), float(point[1])]
        case.update(areas=[{"shape": a.shape, "coords": list(a.coords)} for a in q.areas], answer=answer)
        return case, {"areas": case["areas"]}, answer
    if q.type == "ASSOCIATION":
        answer = copies.pairs[q.key][row]
        lefts = {left for left, _ in q.pairs}
        case.update(pairs=[list(p) for p in q.pairs], answer={k: v for k, v in answer.items() if k in lefts})
        return case, {"pairs": case["pairs"]}, answer
    if q.type == "ECOS":
        checked = [k for k, hit in enumerate(copies.checks[q.key][row]) if hit]
        case.update(checklist=[{"item": text, "points": points} for _, text, points in q.checklist], checked=checked)
        return case, {"checklist": case["checklist"]}, checked
    if q.type == "QROC":
        text = copies.texts[q.key][row]
        case.update(accepted=list(q.accepted) + corrections.synonyms(q.iri), answer=text,
                    decisions=corrections.fractions(q.iri))
        return case, {"accepted": list(q.accepted), "synonyms": corrections.synonyms(q.iri)}, text
    if q.type == "QROL":
        text = copies.texts[q.key][row]
        mark = corrections.qrol.get(q.iri, {}).get(copies.candidates[row])
        points = mark.points if mark else (0.0 if not (text or "").strip() else None)
        case.update(max_points=q.max_points or 0.0, points=points)
        key = {"model_answer": q.model_answer, "max_points": q.max_points,
               "comment": mark.comment if mark else None}
        return case, key, text
    return case, {}, None


def explain(case: dict) -> tuple[float | None, str]:
    """The pure core's score and explanation of a case."""
    result = score_case(case)
    return result["score"], result["explanation"]
