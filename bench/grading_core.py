"""NOTATION's pure core at national-exam size: score 10,000 candidates × 120 questions (1.2M answers), compute the
CTT statistics and the distractor analysis, group a QROC's answers, and dry-run a barème change.

Answers are drawn from a Rasch model (ability × difficulty) so that the statistics mean something; their
generation is not timed. Budgets from the issue: the whole grading path ≤ 30 s, a barème dry run ≤ 5 s.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from services.grading import scoring
from services.grading.bareme import Bareme, ItemRule, QuestionRule, dry_run
from services.grading.qroc import correct_qroc
from services.grading.stats import analyse, histogram, option_analysis

GRADING_BUDGET_S = 30.0
DRY_RUN_BUDGET_S = 5.0
# (type, options, right options) in the proportions of an R2C épreuve
MIX = [("QRM", 5, 2)] * 4 + [("QRU", 5, 1)] * 3 + [("QRP", 8, 3)] * 2 + [("QRM_LONG", 12, 4)] + [("TCS", 5, 0)] * 2


def make_answers(candidates: int, questions: int, seed: int = 2026) -> list[dict]:
    """One question after another: its key and every candidate's answer, drawn from a Rasch model."""
    rng = np.random.default_rng(seed)
    ability = rng.normal(0, 1, candidates)
    out = []
    for j in range(questions):
        qtype, k, right = MIX[j % len(MIX)]
        knows = rng.random(candidates) < 1 / (1 + np.exp(rng.normal(0, 1) - ability))
        if qtype == "TCS":
            panel = rng.multinomial(15, [0.05, 0.15, 0.4, 0.3, 0.1])
            answers = np.where(knows, int(panel.argmax()), rng.integers(-1, 5, candidates))
            out.append({"type": qtype, "panel": panel, "answers": answers})
            continue
        correct = np.zeros(k, bool)
        correct[rng.choice(k, right, replace=False)] = True
        noise = rng.random((candidates, k)) < np.where(knows, 0.08, 0.35)[:, None]
        ticked = np.where(knows[:, None], correct, rng.random((candidates, k)) < right / k) ^ noise
        unacceptable = np.zeros(k, bool)
        unacceptable[np.flatnonzero(~correct)[0]] = qtype == "QRM"
        out.append({"type": qtype, "correct": correct, "ticked": ticked, "unacceptable": unacceptable})
    return out


def score_all(questions: list[dict]) -> np.ndarray:
    """The candidates × questions matrix of fractions, one vectorised call per question."""
    columns = []
    for q in questions:
        if q["type"] == "TCS":
            columns.append(scoring.tcs_scores(q["panel"], q["answers"]))
        else:
            columns.append(scoring.choice_scores(scoring.EDN_2023, q["type"], q["ticked"], q["correct"],
                                                 unacceptable=q["unacceptable"]).score)
    return np.column_stack(columns)


def statistics_all(fractions: np.ndarray, questions: list[dict], names: list[str]) -> dict:
    """CTT per épreuve and per question, the histogram, and the distractor analysis of every choice question."""
    result = analyse(fractions, names, extra=True)
    totals = fractions.sum(axis=1)
    result["test"]["histogram"] = histogram(totals, 20, float(fractions.shape[1]))
    for name, q in zip(names, questions):
        if q["type"] != "TCS":
            result["questions"][name]["options"] = option_analysis(q["ticked"], totals,
                                                                   [chr(65 + i) for i in range(q["ticked"].shape[1])])
    return result


def timed(function, repeat: int):
    """(median seconds, last result) over `repeat` runs."""
    samples, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=10_000)
    parser.add_argument("--questions", type=int, default=120)
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (the median is printed)")
    args = parser.parse_args()
    n, p = args.candidates, args.questions
    started = time.perf_counter()
    questions = make_answers(n, p)
    names = [f"q{j + 1:03d}" for j in range(p)]
    print(f"generated {n:,} candidates × {p} questions = {n * p:,} answers in {time.perf_counter() - started:.1f} s "
          "(not timed below)")

    score_s, fractions = timed(lambda: score_all(questions), args.repeat)
    stats_s, result = timed(lambda: statistics_all(fractions, questions, names), args.repeat)
    qroc_answers = [["pneumopathie", "Pneumonie ", "pneumonite", "bronchite aiguë", "Pneumopathies", ""][i % 6] +
                    ("" if i % 7 else f" {i % 50}") for i in range(n)]
    qroc_s, qroc = timed(lambda: correct_qroc(qroc_answers, ["pneumopathie", "pneumonie"]), args.repeat)
    items = {f"item{i + 1:02d}": ItemRule(tuple(names[i::12]), max_points=20, coefficient=1 + i % 3) for i in range(12)}
    before = Bareme(items)
    after = Bareme(items, {names[3]: QuestionRule(neutralised="remove"), names[7]: QuestionRule(neutralised="full"),
                           names[11]: QuestionRule(weight=2)})
    candidates = [f"c{i:05d}" for i in range(n)]
    dry_s, report = timed(lambda: dry_run(fractions, names, candidates, before, after), args.repeat)

    answers = n * p
    print(f"score {answers:,} answers:                 {score_s:7.3f} s  ({answers / score_s:,.0f} answers/s)")
    print(f"statistics ({n:,} × {p}, + distractors): {stats_s:7.3f} s  "
          f"(alpha {result['test']['alpha']:.3f}, mean facility "
          f"{np.mean([q['facility'] for q in result['questions'].values()]):.3f})")
    print(f"QROC grouping of {n:,} answers:         {qroc_s:7.3f} s  ({len(qroc.unexpected)} unexpected groups)")
    core = score_s + stats_s
    print(f"scoring + statistics:                   {core:7.3f} s  = {100 * core / GRADING_BUDGET_S:.1f} % "
          f"of the {GRADING_BUDGET_S:.0f} s grading budget")
    print(f"barème dry run ({report['summary']['moved']:,} candidates move): {dry_s:7.3f} s  = "
          f"{100 * dry_s / DRY_RUN_BUDGET_S:.1f} % of the {DRY_RUN_BUDGET_S:.0f} s budget")
    print("(2-core machine shared with other work: figures are indicative)")


if __name__ == "__main__":
    main()
