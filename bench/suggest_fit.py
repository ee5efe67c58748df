"""Fits the final weights of the tag suggester (`Weights.entry`, `likelihood`, `latent`, `dense`, `dense_doc`) on
tuning stems: a conditional logit over the knowledge items of each stem (the chance that each item is the right
one), L2 regularised, its strength chosen by 5-fold cross-validation inside the tuning stems. Used by bench.suggest_eval
(`--fit`); the weights it prints are the ones written in services/studio/suggest.py.

Written on SciPy's L-BFGS rather than taken from scikit-learn: a conditional logit (one softmax per stem over its
own candidates) is not one of scikit-learn's models, and it is twenty lines here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import logsumexp

SIGNALS = ("entry", "likelihood", "latent", "dense", "dense_doc")
STRENGTHS = (0.003, 0.03, 0.3)
FOLDS = 5


@dataclass
class Stem:
    """One tuning or held-out stem: its items' standardised signals (items × signals) and the wanted item."""

    signals: np.ndarray
    wanted: int


def standardised(features: dict[str, np.ndarray]) -> np.ndarray:
    """The items × signals matrix the suggester weighs (each signal standardised over the items)."""
    columns = []
    for name in SIGNALS:
        values = features[name]
        spread = values.std()
        columns.append((values - values.mean()) / spread if spread > 0 else np.zeros_like(values))
    return np.column_stack(columns)


def fit(stems: list[Stem], strength: float) -> np.ndarray:
    """Weights maximising the mean log-chance of the wanted items, minus strength × |w|²."""
    def loss(weights):
        total, gradient = 0.0, np.zeros(len(weights))
        for stem in stems:
            scores = stem.signals @ weights
            norm = logsumexp(scores)
            total += norm - scores[stem.wanted]
            gradient += stem.signals.T @ np.exp(scores - norm) - stem.signals[stem.wanted]
        return (total / len(stems) + strength * weights @ weights,
                gradient / len(stems) + 2 * strength * weights)
    return minimize(loss, np.zeros(stems[0].signals.shape[1]), jac=True, method="L-BFGS-B").x


def ranks(stems: list[Stem], weights: np.ndarray) -> np.ndarray:
    """Rank of each wanted item (1 = first)."""
    return np.array([int((s.signals @ weights > (s.signals @ weights)[s.wanted]).sum()) + 1 for s in stems])


def cross_validated(stems: list[Stem], strength: float) -> np.ndarray:
    """Ranks of each stem under weights fitted on the other folds."""
    found = np.zeros(len(stems), dtype=int)
    for fold in range(FOLDS):
        train = [s for n, s in enumerate(stems) if n % FOLDS != fold]
        test = [n for n in range(len(stems)) if n % FOLDS == fold]
        if not train or not test:
            continue
        found[test] = ranks([stems[n] for n in test], fit(train, strength))
    return found


def choose(stems: list[Stem]) -> tuple[np.ndarray, float, np.ndarray]:
    """(weights fitted on all the stems, the strength chosen, cross-validated ranks under that strength)."""
    scored = []
    for strength in STRENGTHS:
        found = cross_validated(stems, strength)
        scored.append(((found == 1).mean() + (found <= 5).mean(), strength, found))
    _, strength, found = max(scored, key=lambda s: s[0])
    return fit(stems, strength), strength, found
