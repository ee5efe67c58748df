"""Standard setting: the pass mark of an ECOS station or an épreuve, and who passes.

Borderline regression and borderline group use the examiners' global ratings (positions on the rating scale,
0 = its first value); Angoff uses judges' estimates of the chance a borderline candidate gets each item right.
"""

from __future__ import annotations

import numpy as np
from scipy import stats


class StandardSettingError(ValueError):
    """The data cannot set a standard (too few candidates, no spread of ratings …)."""


def rating_positions(ratings: list[str], scale: list[str]) -> np.ndarray:
    """Labels of the rating scale → their positions (0, 1, 2 …)."""
    unknown = sorted({r for r in ratings if r not in scale})
    if unknown:
        raise StandardSettingError(f"ratings not on the scale: {', '.join(map(repr, unknown))}")
    return np.array([scale.index(r) for r in ratings], dtype=float)


def _paired(scores: np.ndarray, ratings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scores, ratings = np.asarray(scores, dtype=float), np.asarray(ratings, dtype=float)
    if scores.shape != ratings.shape or scores.ndim != 1:
        raise StandardSettingError(f"{scores.size} scores for {ratings.size} ratings: one of each per candidate")
    return scores, ratings


def borderline_regression(scores: np.ndarray, ratings: np.ndarray, borderline: float) -> dict:
    """Regress checklist scores on global ratings (least squares); the pass mark is the fitted score at `borderline`."""
    scores, ratings = _paired(scores, ratings)
    if scores.size < 3 or np.unique(ratings).size < 2:
        raise StandardSettingError("borderline regression needs at least 3 candidates and 2 different ratings")
    fit = stats.linregress(ratings, scores)
    return {"method": "borderline regression", "pass_mark": float(fit.intercept + fit.slope * borderline),
            "intercept": float(fit.intercept), "slope": float(fit.slope), "r_squared": float(fit.rvalue ** 2),
            "n": int(scores.size)}


def borderline_group(scores: np.ndarray, ratings: np.ndarray, borderline: float, statistic: str = "mean") -> dict:
    """The mean (or median) checklist score of the candidates rated borderline."""
    scores, ratings = _paired(scores, ratings)
    group = scores[ratings == borderline]
    if group.size == 0:
        raise StandardSettingError("no candidate was rated borderline")
    if statistic not in ("mean", "median"):
        raise StandardSettingError(f"statistic {statistic!r} is not mean or median")
    mark = group.mean() if statistic == "mean" else np.median(group)
    return {"method": f"borderline group ({statistic})", "pass_mark": float(mark), "n_borderline": int(group.size),
            "n": int(scores.size)}


def angoff(estimates: np.ndarray, maxima: np.ndarray | None = None) -> dict:
    """Judges × items estimates in [0, 1]; the pass mark is Σ over items of the judges' mean estimate × item max."""
    estimates = np.asarray(estimates, dtype=float)
    if estimates.ndim != 2 or estimates.size == 0:
        raise StandardSettingError("estimates: one row per judge, one column per item")
    if np.isnan(estimates).any() or (estimates < 0).any() or (estimates > 1).any():
        raise StandardSettingError("estimates: every estimate is a probability in [0, 1]")
    maxima = np.ones(estimates.shape[1]) if maxima is None else np.asarray(maxima, dtype=float)
    per_judge = estimates @ maxima
    return {"method": "Angoff", "pass_mark": float(per_judge.mean()), "per_judge": per_judge.tolist(),
            "sd_between_judges": float(per_judge.std(ddof=1)) if per_judge.size > 1 else None,
            "per_item": (estimates.mean(axis=0) * maxima).tolist(), "judges": int(estimates.shape[0])}


def pass_fail(candidates: list[str], scores: np.ndarray, pass_mark: float) -> list[dict]:
    """Each candidate's score and whether it reaches the pass mark (a score equal to it passes)."""
    scores = np.asarray(scores, dtype=float)
    return [{"candidate": c, "score": float(s), "passed": bool(s >= pass_mark - 1e-9)} for c, s in zip(candidates, scores)]
