"""Standard setting on an épreuve's grades: borderline regression or group for an ECOS station (or any item),
Angoff for the épreuve, through the pure core (`services.grading.standard_setting`)."""

from __future__ import annotations

from services.grading.standard_setting import (
    StandardSettingError, angoff, borderline_group, borderline_regression, pass_fail, rating_positions,
)
from services.notation.errors import NotationError
from services.notation.grades import Computed
from services.notation.sheet import Sheet

BORDERLINE = ("borderline-regression", "borderline-group")
METHODS = (*BORDERLINE, "angoff")


def standard_setting(sheet: Sheet, candidates: list[str], computed: Computed, request: object) -> dict:
    """`{"method": "borderline-regression"|"borderline-group", "item": position, "scale": [labels],
    "ratings": {candidate: label}, "borderline": label}` (for an ECOS station, scale and ratings default to what
    its examiners recorded) or `{"method": "angoff", "estimates": [[judge's
    estimate per item, in slot order]]}`: the pass mark and who passes."""
    if not isinstance(request, dict) or request.get("method") not in METHODS:
        raise NotationError(f"method: one of {', '.join(METHODS)}")
    try:
        if request["method"] == "angoff":
            return _angoff(sheet, candidates, computed, request)
        return _borderline(sheet, candidates, computed, request)
    except StandardSettingError as exc:
        raise NotationError(str(exc)) from None


def _angoff(sheet: Sheet, candidates: list[str], computed: Computed, request: dict) -> dict:
    estimates = request.get("estimates")
    items = len(computed.items)
    if not isinstance(estimates, list) or not estimates or not all(
            isinstance(row, list) and len(row) == items and all(isinstance(x, (int, float)) and 0 <= x <= 1 for x in row)
            for row in estimates):
        raise NotationError(f"estimates: one row per judge of {items} numbers in [0, 1] (one per item, in order)")
    maxima = computed.item_max * computed.coefficients
    result = angoff(estimates, maxima)
    result["outcome"] = pass_fail(candidates, computed.totals, result["pass_mark"])
    return result


def _borderline(sheet: Sheet, candidates: list[str], computed: Computed, request: dict) -> dict:
    position = str(request.get("item", ""))
    if position not in computed.items:
        raise NotationError(f"item: {request.get('item')!r} is not an item of the épreuve "
                            f"({', '.join(computed.items)})")
    scale, ratings, borderline = request.get("scale"), request.get("ratings"), request.get("borderline")
    if not isinstance(scale, list) or len(scale) < 2 or not all(isinstance(v, str) for v in scale):
        raise NotationError("scale: the rating scale's values in order (at least two)")
    if not isinstance(ratings, dict) or not ratings:
        raise NotationError("ratings: {candidate: the examiner's global rating}")
    if borderline not in scale:
        raise NotationError(f"borderline: {borderline!r} is not a value of the scale")
    unknown = sorted(set(ratings) - set(candidates))
    if unknown:
        raise NotationError(f"ratings: {unknown[0]} has no copy of this épreuve")
    rows = [candidates.index(c) for c in ratings]
    scores = computed.item_grades[rows, computed.items.index(position)]
    positions = rating_positions(list(ratings.values()), scale)
    mark = scale.index(borderline)
    if request["method"] == "borderline-regression":
        result = borderline_regression(scores, positions, mark)
    else:
        result = borderline_group(scores, positions, mark, request.get("statistic", "mean"))
    result["item"] = position
    result["outcome"] = pass_fail(list(ratings), scores, result["pass_mark"])
    return result
