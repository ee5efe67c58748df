"""Scoring rules as vectorised pure functions: every candidate of one question at once.

Every function returns fractions of the question's maximum, in [0, 1], one per candidate (row).
Answers come as NumPy arrays (ticked options as a boolean matrix candidates × options, and so on);
`services.grading.cases` turns the JSON form of one case into these arrays and explains the result.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

EDN_2023 = "edn-2023"
SIDES_LEGACY = "sides-legacy"
TCS_AGGREGATE = "tcs-aggregate"
METHODS = (EDN_2023, SIDES_LEGACY, TCS_AGGREGATE)

# Score by number of discordances (index 0, 1, 2 …); beyond the table the score is 0.
EDN_QRM_TABLE = (1.0, 0.5, 0.2)
SIDES_QRM_TABLES = {5: (1.0, 0.5, 0.2), 4: (1.0, 0.425, 0.1), 3: (1.0, 0.3)}

SINGLE = ("QRU",)
MULTIPLE = ("QRM", "QRM_LONG")
PARTIAL = ("QRP", "QRP_LONG")
CHOICE_TYPES = SINGLE + MULTIPLE + PARTIAL


class RuleError(ValueError):
    """A question the rule cannot score as given (the message says why)."""


class ChoiceOutcome(NamedTuple):
    """Scores of a choice question and what they came from, one value per candidate."""

    score: np.ndarray
    discordances: np.ndarray
    found: np.ndarray
    ticked: np.ndarray
    unacceptable_ticked: np.ndarray
    indispensable_missed: np.ndarray


def qrm_table(method: str, options: int) -> tuple[float, ...]:
    """The discordance table a method applies to a QRM with this many options."""
    if method == EDN_2023:
        return EDN_QRM_TABLE
    if method == SIDES_LEGACY:
        if options not in SIDES_QRM_TABLES:
            raise RuleError(f"sides-legacy has QRM tables for 3, 4 or 5 options, not {options}")
        return SIDES_QRM_TABLES[options]
    raise RuleError(f"{method} does not score QRM")


def by_discordances(table: tuple[float, ...], discordances: np.ndarray) -> np.ndarray:
    """Look each discordance count up in the table (0 past its end)."""
    padded = np.append(np.asarray(table, dtype=float), 0.0)
    return padded[np.minimum(discordances, len(table))]


def choice_scores(method: str, qtype: str, ticked: np.ndarray, correct: np.ndarray,
                  indispensable: np.ndarray | None = None, unacceptable: np.ndarray | None = None,
                  announced: int | None = None) -> ChoiceOutcome:
    """QRU, QRM, QRP (and long lists): `ticked` is candidates × options (bool), the others one flag per option.

    An unacceptable option ticked, or an indispensable option left unticked, gives 0 whatever else; so does
    ticking nothing (no answer) when some option is right.
    QRU: all or nothing. QRM: the method's table by discordances (options ticked that should not be, or
    not ticked that should). QRP: the share of the expected answers found, 0 when more options are
    ticked than announced (`announced`, default the number of expected answers).
    """
    ticked = np.asarray(ticked, dtype=bool)
    correct = np.asarray(correct, dtype=bool)
    options = correct.size
    indispensable = np.zeros(options, bool) if indispensable is None else np.asarray(indispensable, bool)
    unacceptable = np.zeros(options, bool) if unacceptable is None else np.asarray(unacceptable, bool)
    discordances = (ticked ^ correct).sum(axis=1)
    found = (ticked & correct).sum(axis=1)
    count = ticked.sum(axis=1)
    unacceptable_ticked = (ticked & unacceptable).any(axis=1)
    indispensable_missed = (~ticked & indispensable).any(axis=1)
    if qtype in SINGLE:
        score = (discordances == 0).astype(float)
    elif qtype in MULTIPLE:
        score = by_discordances(qrm_table(method, options), discordances)
    elif qtype in PARTIAL:
        expected = int(correct.sum())
        if expected == 0:
            raise RuleError("a QRP expects at least one answer")
        limit = expected if announced is None else announced
        score = found / expected
        score[count > limit] = 0.0
    else:
        raise RuleError(f"{qtype} is not a choice question ({', '.join(CHOICE_TYPES)})")
    score[unacceptable_ticked | indispensable_missed] = 0.0
    if correct.any():
        score[count == 0] = 0.0  # nothing ticked is no answer, never partly right
    return ChoiceOutcome(score, discordances, found, count, unacceptable_ticked, indispensable_missed)


def tcs_credits(panel: np.ndarray) -> np.ndarray:
    """Aggregate scoring: each value of the scale earns (members who chose it) / (members who chose the mode)."""
    panel = np.asarray(panel, dtype=float)
    if panel.size == 0 or panel.max() <= 0:
        raise RuleError("no panel member answered")
    return panel / panel.max()


def tcs_scores(panel: np.ndarray, answers: np.ndarray) -> np.ndarray:
    """TCS: `answers` are indexes into the scale (-1: no answer, scoring 0)."""
    credits = np.append(tcs_credits(panel), 0.0)
    answers = np.asarray(answers, dtype=int)
    return credits[np.where(answers < 0, credits.size - 1, answers)]


def numeric_scores(values: np.ndarray, expected: float, tolerance: float, unit_ok: np.ndarray) -> np.ndarray:
    """NUMERIQUE: 1 when the value is within ± tolerance of the expected one and the unit is right (NaN: no answer)."""
    values = np.asarray(values, dtype=float)
    # a bound written in decimal (7.4 ± 0.1) must include 7.5 although 7.5 - 7.4 > 0.1 in binary
    slack = tolerance + 1e-12 * max(1.0, abs(expected))
    within = np.abs(values - expected) <= slack
    return (within & np.asarray(unit_ok, bool) & ~np.isnan(values)).astype(float)


class Area(NamedTuple):
    """A right area of a ZONE image, as in HTML image maps: rect x1,y1,x2,y2; circle x,y,r; poly x1,y1,x2,y2…"""

    shape: str
    coords: tuple[float, ...]


def area_problem(area: Area) -> str | None:
    """Why an area cannot be used, or None."""
    n = len(area.coords)
    if area.shape == "rect" and n != 4:
        return "a rect has 4 coordinates (x1,y1,x2,y2)"
    if area.shape == "circle" and (n != 3 or area.coords[2] < 0):
        return "a circle has 3 coordinates (x,y,r) with r ≥ 0"
    if area.shape == "poly" and (n < 6 or n % 2):
        return "a poly has at least 3 points (x1,y1,x2,y2,x3,y3…)"
    if area.shape not in ("rect", "circle", "poly"):
        return f"shape {area.shape!r} is not rect, circle or poly"
    return None


def inside(area: Area, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Which points fall in the area (its border included)."""
    c = area.coords
    if area.shape == "rect":
        return (x >= min(c[0], c[2])) & (x <= max(c[0], c[2])) & (y >= min(c[1], c[3])) & (y <= max(c[1], c[3]))
    if area.shape == "circle":
        return (x - c[0]) ** 2 + (y - c[1]) ** 2 <= c[2] ** 2
    return _in_polygon(np.asarray(c[0::2], float), np.asarray(c[1::2], float), x, y)


def _in_polygon(px: np.ndarray, py: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    # even-odd ray casting, plus an explicit test for points on an edge (counted inside)
    result = np.zeros(x.shape, bool)
    on_edge = np.zeros(x.shape, bool)
    for i in range(px.size):
        x1, y1, x2, y2 = px[i - 1], py[i - 1], px[i], py[i]
        crosses = (y1 > y) != (y2 > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            at = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
        result ^= crosses & (x < at)
        cross = (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1)
        on_edge |= (np.abs(cross) <= 1e-9 * max(1.0, abs(x2 - x1) + abs(y2 - y1))) & \
            (x >= min(x1, x2)) & (x <= max(x1, x2)) & (y >= min(y1, y2)) & (y <= max(y1, y2))
    return result | on_edge


def zone_scores(points: np.ndarray, areas: list[Area]) -> np.ndarray:
    """ZONE: 1 when the clicked point (x, y) falls in one of the right areas (NaN row: no click)."""
    points = np.asarray(points, dtype=float).reshape(-1, 2)
    x, y = points[:, 0], points[:, 1]
    hit = np.zeros(x.shape, bool)
    for area in areas:
        hit |= inside(area, x, y)
    return (hit & ~np.isnan(x) & ~np.isnan(y)).astype(float)


def association_scores(chosen: np.ndarray, expected: np.ndarray, all_or_nothing: bool = False) -> np.ndarray:
    """ASSOCIATION: `chosen` is candidates × left members (index of the right member matched, -1 none).

    The share of right pairs, or 1 only when every pair is right.
    """
    right = np.asarray(chosen) == np.asarray(expected)[None, :]
    return right.all(axis=1).astype(float) if all_or_nothing else right.mean(axis=1)


def weighted_scores(parts: np.ndarray, weights: np.ndarray | None = None, dichotomous: bool = False) -> np.ndarray:
    """KFP: the weighted mean of the key features' scores (candidates × features); dichotomous counts only full ones."""
    parts = np.asarray(parts, dtype=float)
    if dichotomous:
        parts = (parts >= 1.0).astype(float)
    weights = np.ones(parts.shape[1]) if weights is None else np.asarray(weights, dtype=float)
    return parts @ weights / weights.sum()


def checklist_scores(obtained: np.ndarray, points: np.ndarray, rating: np.ndarray | None = None,
                     rating_weight: float = 0.0) -> np.ndarray:
    """ECOS station: checklist points obtained / available, blended with the global rating's position on its scale.

    `obtained` is candidates × checklist items (points), `rating` the rating's position in [0, 1] (first value
    of the scale 0, last 1); the station score is (1 − w)·checklist + w·rating, w = `rating_weight` (0 by default:
    the global rating then only serves standard setting).
    """
    checklist = np.asarray(obtained, dtype=float).sum(axis=1) / np.asarray(points, dtype=float).sum()
    if rating is None or rating_weight == 0:
        return checklist
    return (1 - rating_weight) * checklist + rating_weight * np.asarray(rating, dtype=float)
