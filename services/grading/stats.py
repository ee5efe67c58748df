"""Classical test theory, as Moodle's quiz statistics report defines it, on a candidates × questions matrix of marks.

The oracle is Moodle 4.5.6: `question/classes/statistics/questions/calculator.php` (per question, "QC" below) and
`mod/quiz/report/statistics/classes/calculator.php` (per test, "TC" below); line numbers refer to those files.
Every statistic is computed for all questions at once with NumPy. Moodle answers null where a statistic is
undefined (zero variance, too few candidates); so do we (None), never NaN.

One deliberate difference: a column whose values are all equal has a variance of exactly 0 here. Moodle sums
floats in PHP, so a constant column such as 0.2, 0.2, … can leave a rounding residue (1e-34) and give a
meaningless discrimination index instead of null.
"""

from __future__ import annotations

import math

import numpy as np


def _centered(values: np.ndarray) -> np.ndarray:
    """Deviations from the column means; exactly 0 for a constant column."""
    centered = values - values.mean(axis=0)
    constant = values.max(axis=0) == values.min(axis=0)
    if np.ndim(constant):
        centered[:, constant] = 0.0
    elif constant:
        centered[:] = 0.0
    return centered


def _or_none(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _column(values: np.ndarray) -> list[float | None]:
    return [_or_none(v) for v in values]


def overall_statistics(marks: np.ndarray) -> dict:
    """n, mean, median, sd, skewness, kurtosis, alpha (Cronbach; KR-20 on 0/1 items) and sem of the totals.

    - mean: AVG(sumgrades) (TC 227); median: the middle total, or the mean of the two middle ones (TC 247-265).
    - sd: sqrt(Σ(x − mean)² / (n − 1)), n > 1 (TC 87).
    - skewness k3 / k2^1.5 and kurtosis k4 / k2² (excess), with Moodle's moment formulas (TC 92-104):
      m_r = Σ(x − mean)^r / n, k2 = n·m2 / (n − 1), k3 = n²·m3 / ((n − 1)(n − 2)),
      k4 = n²·((n + 1)·m4 − 3(n − 1)·m2²) / ((n − 1)(n − 2)(n − 3)); skewness needs n > 2 and k2 ≠ 0,
      kurtosis n > 3.
    - alpha = p / (p − 1) · (1 − Σ var(question) / k2), sample variances (TC 108: Moodle shows it ×100 as
      "coefficient of internal consistency"); needs n > 2, k2 ≠ 0 and p > 1. With 0/1 scores this is KR-20:
      Σ p·q / σ² equals Σ var / k2 since both variances carry the same n / (n − 1).
    - sem = sd · sqrt(1 − alpha) (TC 109-111: errorratio · sd / 100).
    """
    marks = np.asarray(marks, dtype=float)
    n, p = marks.shape
    out = dict.fromkeys(("n", "mean", "median", "sd", "skewness", "kurtosis", "alpha", "sem"))
    out["n"] = n
    if n == 0:
        return out
    totals = marks.sum(axis=1)
    out["mean"] = float(totals.mean())
    out["median"] = float(np.median(totals))
    if n < 2:
        return out
    deviations = _centered(totals)
    power2, power3, power4 = (deviations ** 2).sum(), (deviations ** 3).sum(), (deviations ** 4).sum()
    sd = math.sqrt(power2 / (n - 1))
    out["sd"] = sd
    if n < 3:
        return out
    m2, m3, m4 = power2 / n, power3 / n, power4 / n
    k2 = n * m2 / (n - 1)
    k3 = n * n * m3 / ((n - 1) * (n - 2))
    if k2 == 0:
        return out
    out["skewness"] = k3 / k2 ** 1.5
    if n > 3:
        k4 = n * n * ((n + 1) * m4 - 3 * (n - 1) * m2 * m2) / ((n - 1) * (n - 2) * (n - 3))
        out["kurtosis"] = k4 / (k2 * k2)
    if p > 1:
        sum_of_variances = float((_centered(marks) ** 2).sum() / (n - 1))
        alpha = p / (p - 1) * (1 - sum_of_variances / k2)
        out["alpha"] = alpha
        # PHP's sqrt of a negative is NaN, which Moodle stores as null; alpha ≤ 1 in exact arithmetic
        out["sem"] = sd * math.sqrt(1 - alpha) if alpha <= 1 else None
    return out


def question_statistics(marks: np.ndarray, maxima: np.ndarray | None = None) -> dict[str, list]:
    """Per question (columns): facility, sd, discrimination_index, discriminative_efficiency, point_biserial,
    effective_weight; each a list with None where Moodle gives null.

    - facility = mean mark / max mark, null when the max is 0 (QC 359-362).
    - sd: sample standard deviation of the marks (QC 427), shown as a fraction of the max mark as the report
      does (`statistics_question_table::col_sd`: sd / maxmark), null when n < 2 or the max is 0.
    - "rest of test" = the candidate's total minus this question's mark (QC 328, 394).
    - discrimination_index = 100 · cov(mark, rest) / sqrt(var(mark) · var(rest)), sample (co)variances; null when
      n < 2 or that product is 0 (QC 420-448).
    - discriminative_efficiency = 100 · cov(mark, rest) / covmax, where covmax pairs the marks sorted ascending
      with the rest scores sorted ascending (QC 365-366, 404, 424); null when covmax is 0 (QC 451-455).
    - point_biserial: Pearson correlation of the mark with the total (this question included), not part of
      Moodle's report; null when either variance is 0.
    - effective_weight = 100 · sqrt(cov(mark, total)) / Σ sqrt(cov(mark_j, total)) over the questions with a
      non-negative covariance; null for a question whose covariance is negative (QC 229-256).
    """
    marks = np.asarray(marks, dtype=float)
    n, p = marks.shape
    maxima = np.ones(p) if maxima is None else np.asarray(maxima, dtype=float)
    nulls = [None] * p
    result = {"facility": nulls, "sd": nulls, "discrimination_index": nulls, "point_biserial": nulls,
              "discriminative_efficiency": nulls, "effective_weight": nulls}
    if n == 0:
        return result
    with np.errstate(divide="ignore", invalid="ignore"):
        result["facility"] = _column(np.where(maxima != 0, marks.mean(axis=0) / maxima, np.nan))
    if n < 2:
        return result
    totals = marks.sum(axis=1)
    rest = totals[:, None] - marks
    mark_dev, rest_dev, total_dev = _centered(marks), _centered(rest), _centered(totals)
    variance = (mark_dev ** 2).sum(axis=0) / (n - 1)
    rest_variance = (rest_dev ** 2).sum(axis=0) / (n - 1)
    covariance = (mark_dev * rest_dev).sum(axis=0) / (n - 1)
    covariance_max = (np.sort(mark_dev, axis=0) * np.sort(rest_dev, axis=0)).sum(axis=0) / (n - 1)
    with_total = (mark_dev * total_dev[:, None]).sum(axis=0) / (n - 1)
    total_variance = (total_dev ** 2).sum() / (n - 1)
    product = variance * rest_variance
    with np.errstate(divide="ignore", invalid="ignore"):
        result["sd"] = _column(np.where(maxima != 0, np.sqrt(variance) / maxima, np.nan))
        result["discrimination_index"] = _column(np.where(product != 0, 100 * covariance / np.sqrt(product), np.nan))
        result["discriminative_efficiency"] = _column(
            np.where(covariance_max != 0, 100 * covariance / covariance_max, np.nan))
        result["point_biserial"] = _column(np.where(variance * total_variance != 0,
                                                    with_total / np.sqrt(variance * total_variance), np.nan))
    roots = np.sqrt(np.clip(with_total, 0, None))
    if roots.sum() > 0:
        result["effective_weight"] = _column(np.where(with_total >= 0, 100 * roots / roots.sum(), np.nan))
    return result


QUESTION_KEYS = ("facility", "sd", "discrimination_index", "point_biserial", "discriminative_efficiency")


def analyse(marks: np.ndarray, questions: list[str], maxima: np.ndarray | None = None,
            extra: bool = False) -> dict:
    """`{"test": {n, mean, median, sd, skewness, kurtosis, alpha, sem}, "questions": {name: {facility, sd,
    discrimination_index, point_biserial, discriminative_efficiency}}}`; `extra` adds effective_weight."""
    per_question = question_statistics(marks, maxima)
    keys = QUESTION_KEYS + (("effective_weight",) if extra else ())
    return {"test": overall_statistics(marks),
            "questions": {name: {key: per_question[key][j] for key in keys} for j, name in enumerate(questions)}}


def histogram(totals: np.ndarray, bins: int = 10, upper: float | None = None) -> list[dict]:
    """Counts of totals in `bins` equal bands from 0 to `upper` (default the highest total); the last band is closed."""
    totals = np.asarray(totals, dtype=float)
    upper = float(upper if upper is not None else (totals.max() if totals.size else 1.0)) or 1.0
    lower = min(0.0, float(totals.min())) if totals.size else 0.0
    counts, edges = np.histogram(totals, bins=bins, range=(lower, upper))
    return [{"from": float(edges[i]), "to": float(edges[i + 1]), "count": int(c)} for i, c in enumerate(counts)]


def option_analysis(chosen: np.ndarray, totals: np.ndarray, options: list[str]) -> list[dict]:
    """Distractor analysis of one question: per option, how many candidates chose it, their share and mean total."""
    chosen = np.asarray(chosen, dtype=bool)
    totals = np.asarray(totals, dtype=float)
    counts = chosen.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        means = (chosen * totals[:, None]).sum(axis=0) / counts
    n = max(chosen.shape[0], 1)
    return [{"option": option, "count": int(counts[k]), "share": float(counts[k] / n),
             "mean_total": _or_none(means[k])} for k, option in enumerate(options)]
