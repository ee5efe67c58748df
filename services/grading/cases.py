"""The JSON form of one scoring case (`ontosides score`, `POST /grading/score`): checked field by field, scored, explained.

A case never raises: a malformed one answers `{"score": null, "explanation": "<field>: <why>", "field": "<field>"}`.
The fields of each type are documented in NOTES-grading.md.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from services.grading import scoring
from services.grading.qroc import correct_qroc, normalise
from services.grading.scoring import CHOICE_TYPES, METHODS, TCS_AGGREGATE, Area, RuleError

OTHER_TYPES = ("TCS", "NUMERIQUE", "ZONE", "ASSOCIATION", "KFP", "ECOS", "QROC", "QROL")
TYPES = CHOICE_TYPES + OTHER_TYPES


class CaseError(ValueError):
    """A field of a case is missing or wrong."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


def score_cases(cases: list) -> list[dict]:
    """Score each case in order; malformed cases get an explanation naming the field instead of a score."""
    return [score_case(case) for case in cases]


def score_case(case: Any) -> dict:
    """`{"score": fraction in [0, 1], "explanation": …}`, or a null score naming the faulty field."""
    try:
        score, explanation = _score(case, "")
    except CaseError as exc:
        return {"score": None, "explanation": str(exc), "field": exc.field}
    return {"score": score, "explanation": explanation}


def _score(case: Any, at: str, method: str | None = None) -> tuple[float | None, str]:
    if not isinstance(case, dict):
        raise CaseError(at or "case", "a case is a JSON object")
    reader = _Reader(case, at)
    method = reader.choice("method", METHODS, default=method)
    qtype = reader.choice("type", TYPES)
    if qtype in CHOICE_TYPES:
        if method == TCS_AGGREGATE:
            raise CaseError(reader.name("method"), f"tcs-aggregate scores TCS questions, not {qtype}")
        return _choice(reader, method, qtype)
    return _SCORERS[qtype](reader, method)


class _Reader:
    """Typed access to a case's fields, each error naming the field (with its path inside a KFP)."""

    def __init__(self, case: dict, at: str):
        self.case, self.at = case, at

    def name(self, field: str) -> str:
        return f"{self.at}.{field}" if self.at else field

    def fail(self, field: str, message: str) -> CaseError:
        return CaseError(self.name(field), message)

    def get(self, field: str, default: Any = ..., nullable: bool = False) -> Any:
        if field not in self.case or (self.case[field] is None and not nullable):
            if default is ...:
                raise self.fail(field, "missing")
            return default
        return self.case[field]

    def choice(self, field: str, allowed: tuple[str, ...], default: str | None = None) -> str:
        value = self.get(field, ... if default is None else default)
        if value not in allowed:
            raise self.fail(field, f"{value!r} is not one of {', '.join(allowed)}")
        return value

    def number(self, field: str, default: Any = ..., minimum: float | None = None,
               maximum: float | None = None) -> float:
        value = self.get(field, default)
        if not _is_number(value):
            raise self.fail(field, f"{value!r} is not a number")
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise self.fail(field, f"{value} is outside [{minimum if minimum is not None else '-∞'}, "
                                   f"{maximum if maximum is not None else '∞'}]")
        return float(value)

    def strings(self, field: str, default: Any = ..., within: list[str] | None = None,
                nonempty: bool = False) -> list[str]:
        value = self.get(field, default)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(field, "a list of strings")
        duplicates = sorted({v for v in value if value.count(v) > 1})
        if duplicates:
            raise self.fail(field, f"{', '.join(duplicates)} given twice")
        if within is not None:
            unknown = [v for v in value if v not in within]
            if unknown:
                raise self.fail(field, f"{', '.join(map(repr, unknown))} not among the options")
        if nonempty and not value:
            raise self.fail(field, "empty")
        return value

    def flag(self, field: str, default: bool) -> bool:
        value = self.get(field, default)
        if not isinstance(value, bool):
            raise self.fail(field, f"{value!r} is not true or false")
        return value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def _listed(names: list[str]) -> str:
    return ", ".join(names) if names else "none"


def _choice(reader: _Reader, method: str, qtype: str) -> tuple[float, str]:
    options = reader.strings("options", nonempty=True)
    correct = reader.strings("correct", within=options)
    ticked = reader.strings("ticked", within=options)
    indispensable = reader.strings("indispensable", [], within=options)
    unacceptable = reader.strings("unacceptable", [], within=options)
    if qtype == "QRU" and len(correct) != 1:
        raise reader.fail("correct", f"a QRU has exactly one right option, not {len(correct)}")
    if qtype in scoring.PARTIAL and not correct:
        raise reader.fail("correct", "a QRP expects at least one answer")
    if set(indispensable) - set(correct):
        raise reader.fail("indispensable", f"{_listed(sorted(set(indispensable) - set(correct)))} not a right option")
    if set(unacceptable) & set(correct):
        raise reader.fail("unacceptable", f"{_listed(sorted(set(unacceptable) & set(correct)))} is a right option")
    announced = None
    if qtype in scoring.PARTIAL and reader.get("expected_count", None) is not None:
        announced = int(reader.number("expected_count", minimum=1))
    def flags(names: list[str]) -> np.ndarray:
        return np.array([o in names for o in options])

    try:
        outcome = scoring.choice_scores(method, qtype, flags(ticked)[None, :], flags(correct), flags(indispensable),
                                        flags(unacceptable), announced)
    except RuleError as exc:
        raise reader.fail("options", str(exc)) from None
    score = float(outcome.score[0])
    head = f"{qtype} {method}: "
    vetoes = [f"unacceptable option {o} ticked" for o in unacceptable if o in ticked] + \
             [f"indispensable option {o} not ticked" for o in indispensable if o not in ticked]
    if vetoes:
        return score, head + "; ".join(vetoes) + " → 0"
    if not ticked and correct:
        return score, head + "nothing ticked: no answer → 0"
    wrong = [o for o in ticked if o not in correct]
    missed = [o for o in correct if o not in ticked]
    if qtype == "QRU":
        why = "the right option ticked" if score else (
            "nothing ticked" if not ticked else f"ticked {_listed(ticked)}, the right option is {correct[0]}")
    elif qtype in scoring.MULTIPLE:
        d = int(outcome.discordances[0])
        parts = ([f"{_listed(wrong)} ticked but wrong"] if wrong else []) + \
                ([f"{_listed(missed)} right but not ticked"] if missed else [])
        why = f"{d} discordance{'s' if d != 1 else ''}" + (f" ({'; '.join(parts)})" if parts else "")
    else:
        limit = announced or len(correct)
        if len(ticked) > limit:
            why = f"{len(ticked)} options ticked, {limit} announced"
        else:
            why = f"{int(outcome.found[0])} of {len(correct)} expected answers found"
    return score, f"{head}{why} → {_fmt(score)}"


def _tcs(reader: _Reader, method: str) -> tuple[float, str]:
    scale = reader.strings("scale", nonempty=True)
    panel = reader.get("panel")
    if not isinstance(panel, dict):
        raise reader.fail("panel", "an object {scale value: number of panel members}")
    for value, count in panel.items():
        if value not in scale:
            raise reader.fail("panel", f"{value!r} is not a value of the scale")
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise reader.fail("panel", f"the count of {value!r} is not a whole number ≥ 0")
    counts = np.array([panel.get(v, 0) for v in scale])
    if counts.sum() == 0:
        raise reader.fail("panel", "no panel member answered")
    answer = reader.get("answer", nullable=True)
    if answer is not None and answer not in scale:
        raise reader.fail("answer", f"{answer!r} is not a value of the scale")
    index = scale.index(answer) if answer is not None else -1
    score = float(scoring.tcs_scores(counts, np.array([index]))[0])
    mode = [v for v, c in zip(scale, counts) if c == counts.max()]
    if answer is None:
        return 0.0, "TCS aggregate: no answer → 0"
    chosen = int(counts[index])
    return score, (f"TCS aggregate: {answer} chosen by {chosen} panel member{'s' if chosen != 1 else ''}, "
                   f"the mode ({_listed(mode)}) by {int(counts.max())} → {_fmt(score)}")


_NUMBER = re.compile(r"^\s*([+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?)\s*(.*?)\s*$")


def unit_key(unit: str) -> str:
    """A unit as compared: no spaces, case folded, µ and μ as u."""
    return unit.replace("µ", "u").replace("μ", "u").replace(" ", "").casefold()


def _numeric(reader: _Reader, method: str) -> tuple[float, str]:
    expected = reader.number("value")
    tolerance = reader.number("tolerance", 0.0, minimum=0)
    unit = reader.get("unit", None)
    units = [unit] if isinstance(unit, str) else unit
    if units is not None and (not isinstance(units, list) or not units or
                              not all(isinstance(u, str) and u.strip() for u in units)):
        raise reader.fail("unit", "a unit, or a list of accepted spellings of it")
    answer = reader.get("answer", nullable=True)
    given_unit = reader.get("answer_unit", None)
    if given_unit is not None and not isinstance(given_unit, str):
        raise reader.fail("answer_unit", "a string")
    if answer is None:
        return 0.0, "NUMERIQUE: no answer → 0"
    if isinstance(answer, str):
        match = _NUMBER.match(answer)
        if not match:
            raise reader.fail("answer", f"{answer!r} is not a number (with an optional unit)")
        value = float(match.group(1).replace(",", "."))
        if match.group(2):
            if given_unit is not None and unit_key(given_unit) != unit_key(match.group(2)):
                raise reader.fail("answer_unit", f"{given_unit!r} contradicts the unit in the answer")
            given_unit = match.group(2)
    elif _is_number(answer):
        value = float(answer)
    else:
        raise reader.fail("answer", f"{answer!r} is not a number")
    unit_ok = units is None or (given_unit is not None and unit_key(given_unit) in {unit_key(u) for u in units})
    score = float(scoring.numeric_scores(np.array([value]), expected, tolerance, np.array([unit_ok]))[0])
    within = score or scoring.numeric_scores(np.array([value]), expected, tolerance, np.array([True]))[0]
    shown = f"{_fmt(value)}{' ' + given_unit if given_unit else ''}"
    target = f"{_fmt(expected)} ± {_fmt(tolerance)}{' ' + units[0] if units else ''}"
    if not within:
        why = f"{shown} outside {target}"
    elif not unit_ok:
        why = f"{shown} within {target} but the unit is " + ("missing" if not given_unit else "wrong")
    else:
        why = f"{shown} within {target}"
    return score, f"NUMERIQUE: {why} → {_fmt(score)}"


def _coords(reader: _Reader, i: int, raw: Any) -> tuple[float, ...]:
    if isinstance(raw, str):
        try:
            return tuple(float(c) for c in raw.replace(" ", "").split(","))
        except ValueError:
            raise reader.fail(f"areas[{i}].coords", f"{raw!r} is not a list of numbers") from None
    if isinstance(raw, list) and all(_is_number(c) for c in raw):
        return tuple(float(c) for c in raw)
    raise reader.fail(f"areas[{i}].coords", "numbers, as a list or 'x1,y1,…'")


def _zone(reader: _Reader, method: str) -> tuple[float, str]:
    raw_areas = reader.get("areas")
    if not isinstance(raw_areas, list) or not raw_areas:
        raise reader.fail("areas", "a non-empty list of {shape, coords}")
    areas = []
    for i, raw in enumerate(raw_areas):
        if not isinstance(raw, dict):
            raise reader.fail(f"areas[{i}]", "an object {shape, coords}")
        area = Area(raw.get("shape", "rect"), _coords(reader, i, raw.get("coords")))
        problem = scoring.area_problem(area)
        if problem:
            raise reader.fail(f"areas[{i}]", problem)
        areas.append(area)
    answer = reader.get("answer", nullable=True)
    if answer is None:
        return 0.0, "ZONE: no click → 0"
    if isinstance(answer, dict):
        answer = [answer.get("x"), answer.get("y")]
    if not isinstance(answer, list) or len(answer) != 2 or not all(_is_number(c) for c in answer):
        raise reader.fail("answer", "a point [x, y] or {x, y}")
    score = float(scoring.zone_scores(np.array([answer]), areas)[0])
    return score, f"ZONE: ({_fmt(answer[0])}, {_fmt(answer[1])}) {'inside' if score else 'outside'} " \
                  f"the right area{'s' if len(areas) > 1 else ''} → {_fmt(score)}"


def _pairs(reader: _Reader, field: str, raw: Any) -> list[tuple[str, str]]:
    if isinstance(raw, dict) and field == "answer":
        raw = list(raw.items())
    if not isinstance(raw, list):
        raise reader.fail(field, "a list of [left, right] pairs" + (" or an object {left: right}" if field == "answer" else ""))
    pairs = []
    for i, pair in enumerate(raw):
        if isinstance(pair, dict):
            pair = [pair.get("left"), pair.get("right")]
        if not isinstance(pair, (list, tuple)) or len(pair) != 2 or not all(isinstance(p, str) for p in pair):
            raise reader.fail(f"{field}[{i}]", "a pair [left, right] of strings")
        pairs.append((pair[0], pair[1]))
    lefts = [left for left, _ in pairs]
    twice = sorted({left for left in lefts if lefts.count(left) > 1})
    if twice:
        raise reader.fail(field, f"{', '.join(twice)} matched more than once")
    return pairs


def _association(reader: _Reader, method: str) -> tuple[float, str]:
    expected = _pairs(reader, "pairs", reader.get("pairs"))
    if not expected:
        raise reader.fail("pairs", "empty")
    rule = reader.choice("scoring", ("share", "all-or-nothing"), default="share")
    answer = _pairs(reader, "answer", reader.get("answer", []) or [])
    lefts = [left for left, _ in expected]
    rights = list(dict.fromkeys(right for _, right in expected + [(None, r) for r in reader.strings("distractors", [])]))
    chosen = np.full((1, len(lefts)), -1)
    for left, right in answer:
        if left not in lefts:
            raise reader.fail("answer", f"{left!r} is not a left member of the pairs")
        if right not in rights:
            raise reader.fail("answer", f"{right!r} is not a right member of the pairs")
        chosen[0, lefts.index(left)] = rights.index(right)
    target = np.array([rights.index(right) for _, right in expected])
    score = float(scoring.association_scores(chosen, target, rule == "all-or-nothing")[0])
    right_count = int((chosen[0] == target).sum())
    return score, f"ASSOCIATION {rule}: {right_count} of {len(expected)} pairs right → {_fmt(score)}"


def _kfp(reader: _Reader, method: str) -> tuple[float, str]:
    features = reader.get("key_features")
    if not isinstance(features, list) or not features:
        raise reader.fail("key_features", "a non-empty list of cases, one per key feature")
    weights = reader.get("weights", None)
    if weights is not None and (not isinstance(weights, list) or len(weights) != len(features) or
                                not all(_is_number(w) and w > 0 for w in weights)):
        raise reader.fail("weights", f"{len(features)} positive numbers, one per key feature")
    dichotomous = reader.flag("dichotomous", False)
    parts, notes = [], []
    for i, feature in enumerate(features):
        where = reader.name(f"key_features[{i}]")
        if isinstance(feature, dict) and feature.get("type") == "KFP":
            raise CaseError(where, "a key feature is a question, not another KFP")
        part, note = _score(feature, where, method)
        if part is None:
            raise CaseError(where, f"not scored yet ({note})")
        parts.append(part)
        notes.append(f"[{i + 1}] {note}")
    score = float(scoring.weighted_scores(np.array([parts]), weights, dichotomous)[0])
    rule = "key features fully right" if dichotomous else "mean of the key features"
    return score, f"KFP ({rule}{', weighted' if weights else ''}) → {_fmt(score)}; " + "; ".join(notes)


def _ecos(reader: _Reader, method: str) -> tuple[float, str]:
    raw = reader.get("checklist")
    if not isinstance(raw, list) or not raw:
        raise reader.fail("checklist", "a non-empty list of {item, points}")
    names, points = [], []
    for i, entry in enumerate(raw):
        name = entry.get("item", entry.get("text")) if isinstance(entry, dict) else None
        value = entry.get("points") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not _is_number(value) or value <= 0:
            raise reader.fail(f"checklist[{i}]", "an object {item: text, points: number > 0}")
        names.append(name)
        points.append(float(value))
    obtained = np.zeros((1, len(names)))
    checked = reader.get("checked", [])
    if not isinstance(checked, list):
        raise reader.fail("checked", "a list of checklist items (text or 0-based index)")
    for ref in checked:
        index = ref if isinstance(ref, int) and not isinstance(ref, bool) else (names.index(ref) if ref in names else None)
        if index is None or not 0 <= index < len(names):
            raise reader.fail("checked", f"{ref!r} is not an item of the checklist")
        obtained[0, index] = points[index]
    partial = reader.get("obtained", {})
    if not isinstance(partial, dict):
        raise reader.fail("obtained", "an object {item: points obtained}")
    for name, value in partial.items():
        if name not in names:
            raise reader.fail("obtained", f"{name!r} is not an item of the checklist")
        if not _is_number(value) or not 0 <= value <= points[names.index(name)]:
            raise reader.fail("obtained", f"{name!r}: {value!r} is not between 0 and {points[names.index(name)]:g}")
        obtained[0, names.index(name)] = value
    weight = reader.number("rating_weight", 0.0, minimum=0, maximum=1)
    rating = reader.get("global_rating", None)
    position = None
    if rating is not None or weight:
        scale = reader.strings("rating_scale", nonempty=True)
        if len(scale) < 2:
            raise reader.fail("rating_scale", "at least two values")
        if rating not in scale:
            raise reader.fail("global_rating", f"{rating!r} is not a value of the rating scale")
        position = scale.index(rating) / (len(scale) - 1)
    score = float(scoring.checklist_scores(obtained, np.array(points),
                                           None if position is None else np.array([position]), weight)[0])
    text = f"ECOS: checklist {_fmt(obtained.sum())} / {_fmt(sum(points))} points"
    if rating is not None:
        text += f", global rating {rating!r}" + (f" weighing {_fmt(weight)}" if weight else " (not in the score)")
    return score, f"{text} → {_fmt(score)}"


def _qroc(reader: _Reader, method: str) -> tuple[float | None, str]:
    accepted = reader.strings("accepted", nonempty=True)
    answer = reader.get("answer", nullable=True)
    if answer is not None and not isinstance(answer, str):
        raise reader.fail("answer", "a string")
    decisions = reader.get("decisions", {})
    if not isinstance(decisions, dict) or not all(_is_number(v) and 0 <= v <= 1 for v in decisions.values()):
        raise reader.fail("decisions", "an object {unexpected answer: fraction in [0, 1]}")
    result = correct_qroc([answer], accepted, decisions)
    status, score = result.status[0], result.scores[0]
    if status == "empty":
        return 0.0, "QROC: no answer → 0"
    if status == "expected":
        return 1.0, f"QROC: {answer!r} is an accepted answer → 1"
    group = result.unexpected[0]
    near = f" (Levenshtein {group.distance} from {group.nearest!r})"
    if status == "decided":
        return float(score), f"QROC: unexpected {normalise(answer)!r}{near}, the grader gave {_fmt(score)}"
    return None, f"QROC: unexpected {normalise(answer)!r}{near}: a grader has to decide"


def _qrol(reader: _Reader, method: str) -> tuple[float | None, str]:
    maximum = reader.number("max_points", minimum=0)
    if maximum <= 0:
        raise reader.fail("max_points", "must be > 0")
    if reader.get("points", None) is None:
        return None, "QROL: not corrected yet (a grader gives the points)"
    points = reader.number("points", minimum=0, maximum=maximum)
    return points / maximum, f"QROL: {_fmt(points)} / {_fmt(maximum)} points from the grader → {_fmt(points / maximum)}"


_SCORERS = {"TCS": _tcs, "NUMERIQUE": _numeric, "ZONE": _zone, "ASSOCIATION": _association, "KFP": _kfp,
            "ECOS": _ecos, "QROC": _qroc, "QROL": _qrol}
