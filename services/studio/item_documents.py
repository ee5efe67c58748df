"""One document per knowledge item (its title and all its objectives' titles, descriptions and body texts), ranked
two ways for tag suggestions: query likelihood and latent semantic vectors.

- Query likelihood with Dirichlet smoothing: how likely the item's text makes the stem's words; labels count
  more than descriptions and body texts (field weights). Long items do not win by length alone, and a word
  common across the référentiel counts little.
- Latent semantic analysis (a truncated SVD of the items' tf-idf matrix): items and stems meet on words that
  occur together in the référentiel's own texts, so a stem can match an item through words it does not share
  with it. This is the "lexicon" the référentiel gives itself, computed, not written by hand.

Written here on NumPy and SciPy rather than taken from a package: both are a few sparse products over a few
hundred documents, and the retrieval packages that offer them (pyserini, gensim) bring Java or a large
dependency for that.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import svds

# Field weights of an item's document: labels (titles, alternative labels), descriptions, body texts.
FIELD_WEIGHTS = (2.0, 1.0, 1.0)
MU = 300  # Dirichlet prior, in weighted words: about a short objective's body text
DIMENSIONS = 100  # latent dimensions (the référentiel has 367 items)


class ItemDocuments:
    """Items as weighted term counts over three fields; scores a stem's terms against each item."""

    def __init__(self, documents: list[tuple[list[str], list[str], list[str]]],
                 weights: tuple[float, float, float] = FIELD_WEIGHTS, mu: float = MU, dimensions: int = DIMENSIONS):
        self.size = len(documents)
        self.vocabulary: dict[str, int] = {}
        rows, columns, counts = [], [], []
        for row, fields in enumerate(documents):
            weighted: Counter = Counter()
            for weight, field in zip(weights, fields):
                for term in field:
                    weighted[term] += weight
            for term, count in weighted.items():
                rows.append(row)
                columns.append(self.vocabulary.setdefault(term, len(self.vocabulary)))
                counts.append(count)
        shape = (self.size, len(self.vocabulary))
        counts_matrix = sparse.csr_matrix((counts, (rows, columns)), shape=shape, dtype=np.float64)
        self._likelihood(counts_matrix, mu)
        self._latent(counts_matrix, rows, columns, dimensions)

    def _likelihood(self, counts: sparse.csr_matrix, mu: float) -> None:
        # log P(q|d) = Σ n_t log(1 + tf_td / (μ p_t)) + |q| log(μ / (|d| + μ)) + a term constant over documents:
        # only the (term, document) pairs that occur are stored.
        by_term = counts.T.tocsr()
        collection = np.asarray(by_term.sum(axis=1)).ravel()
        share = collection / max(collection.sum(), 1.0)
        gain = by_term.copy()
        gain.data = np.log1p(gain.data / (mu * np.repeat(share, np.diff(gain.indptr))))
        self.gain = gain
        self.smoothing = np.log(mu / (np.asarray(counts.sum(axis=1)).ravel() + mu))

    def _latent(self, counts: sparse.csr_matrix, rows, columns, dimensions: int) -> None:
        frequency = np.bincount(columns, minlength=counts.shape[1]) if columns else np.zeros(counts.shape[1])
        self.idf = np.log(max(self.size, 1) / np.maximum(frequency, 1))
        rank = min(dimensions, min(counts.shape) - 1)
        if rank < 1:
            self.term_space = np.zeros((0, counts.shape[1]))
            self.item_vectors = np.zeros((self.size, 0))
            return
        logs = counts.copy()
        logs.data = 1 + np.log(logs.data)
        weighted = logs @ sparse.diags(self.idf)
        norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
        weighted = sparse.diags(1 / np.maximum(norms, 1e-12)) @ weighted
        left, singular, right = svds(weighted, k=rank, random_state=0)
        vectors = left * singular
        self.item_vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        self.term_space = right

    def likelihood(self, query_terms: list[str]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Each item's log-likelihood of the terms (up to a constant) and each known term's gain per item."""
        score = np.zeros(self.size)
        gains: dict[str, np.ndarray] = {}
        total = 0
        for term, count in Counter(query_terms).items():
            column = self.vocabulary.get(term)
            if column is None:
                continue
            total += count
            start, end = self.gain.indptr[column], self.gain.indptr[column + 1]
            gain = np.zeros(self.size)
            gain[self.gain.indices[start:end]] = self.gain.data[start:end]
            gains[term] = gain
            score += count * gain
        return score + total * self.smoothing, gains

    def latent(self, query_terms: list[str]) -> np.ndarray:
        """Cosine of the terms' latent vector with each item's (0 when no term is known)."""
        columns, weights = [], []
        for term, count in Counter(query_terms).items():
            column = self.vocabulary.get(term)
            if column is not None:
                columns.append(column)
                weights.append((1 + math.log(count)) * self.idf[column])
        vector = self.term_space[:, columns] @ np.array(weights) if columns else np.zeros(self.term_space.shape[0])
        norm = np.linalg.norm(vector)
        return self.item_vectors @ (vector / norm) if norm > 0 else np.zeros(self.size)
