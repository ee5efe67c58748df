"""Tag suggestions: the référentiel entries that best match an item's text, each with reasons a teacher can check.

Entries are scored, then knowledge items, with weights fitted by `python -m bench.suggest_eval` on tuning stems
kept apart from the held-out ones:
- words: BM25 over each entry's labels, description and body text (French and English Snowball stems);
- meaning: cosine of WordLlama sentence vectors (the model is English-centric, so French text has its own weight);
- the knowledge item as one document (its title and all its objectives' texts): query likelihood and latent
  semantic vectors (services/studio/item_documents.py);
- optional, English text only: all-MiniLM-L6-v2 cosines of the text to the item's labels
  (services/studio/suggest_dense.py), when its package is installed; without it the round-2 weights apply;
- tagged items: items teachers already tagged whose text is nearly the same vote for their tags.
The entry and item signals are standardised over the items and added with weights fitted as a conditional logit
(the chance that each item is the right one), so an entry's score estimates the chance that its item is right.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Callable, Iterable

import numpy as np

from services.studio import embedding, suggest_dense
from services.studio.item_documents import ItemDocuments
from services.studio.lexical import Bm25, language_of, terms, words

SKOS = "http://www.w3.org/2004/02/skos/core#"
BODY = "https://w3id.org/ontosides#bodyText"
# The fields of an entry's text: labels, descriptions, body texts (the predicates read besides skos:prefLabel).
FIELDS = ((f"{SKOS}altLabel",), (f"{SKOS}definition",), (BODY,))
DENSE_WORDS = 300  # WordLlama averages token vectors: past a few hundred words a long body only dilutes them
REASON_WORDS = 6


@dataclass(frozen=True)
class Weights:
    """How much each signal counts (chosen on the tuning stems; see bench/suggest_eval.py)."""

    words: float = 0.6
    meaning: float = 0.4
    meaning_fr: float = 0.0  # WordLlama's French vectors did not help French stems: French is ranked by words
    neighbours: float = 1.5  # with the lift below, a tagged item at cosine ≥ 0.9 puts its tags first
    neighbour_count: int = 5
    # Stems about the same knowledge item written apart reach the same cosines as unrelated stems (0.4 median,
    # 0.62 at the 99.9th percentile in bench/data): only a near-copy of a tagged item says something.
    neighbour_floor: float = 0.7
    item_share: float = 0.6  # how much an entry gains from its knowledge item's best-matching entries
    # The final score, in standard deviations over the items (a conditional logit fitted on the tuning stems):
    entry: float = 0.49  # the entry's own score above
    likelihood: float = 0.47  # its knowledge item's query likelihood
    latent: float = 0.36  # its knowledge item's latent semantic cosine
    dense: float = 0.77  # its knowledge item's best MiniLM cosine to a label (services/studio/suggest_dense.py)
    dense_doc: float = 0.24  # MiniLM cosine to the item's label followed by its objectives' labels
    dense_fr: float = 0.0  # MiniLM is an English model: French text is ranked without it
    dense_doc_fr: float = 0.0


# Without the MiniLM package (it is not a declared dependency: see docs/tag-suggestions.md), the default weights
# give way to those fitted without its signals (round 2).
WITHOUT_DENSE = Weights(entry=0.68, likelihood=0.44, latent=0.46, dense=0, dense_doc=0)


@dataclass(frozen=True)
class TaggedItem:
    """An item already tagged by a teacher: its text, its tags and who may see it."""

    iri: str
    title: str
    text: str
    tags: frozenset[str]
    creator: str | None = None
    coauthors: frozenset[str] = frozenset()
    owner: str | None = None


@dataclass
class Suggestion:
    """A suggested entry, its score in [0, 1] and why (matched words, meaning, nearest tagged items)."""

    iri: str
    notation: str | None
    label: str
    score: float
    parent: str | None
    why: dict = field(default_factory=dict)


@dataclass
class _Signals:
    """What one text scores: item signals (`Suggester.item_features`), entry scores and what explains them."""

    items: dict[str, np.ndarray]
    entry: np.ndarray
    query: list[tuple[str, str]]
    known: list[str]
    by_term: np.ndarray
    cosines: np.ndarray
    vector: np.ndarray
    gains: dict[str, np.ndarray]


def entry_fields(entry) -> tuple[list[tuple[str, str | None]], ...]:
    """(text, language) of an entry's labels, descriptions and body texts, field by field."""
    found: tuple[list, ...] = ([(text, lang or None) for lang, text in entry.labels.items()], [], [])
    for predicate, value in entry.extra.get("triples", ()):
        for field, predicates in zip(found, FIELDS):
            if predicate in predicates:
                field.append((str(getattr(value, "value", value)), getattr(value, "language", None) or None))
    return found


def _standard(values: np.ndarray) -> np.ndarray:
    spread = values.std()
    return (values - values.mean()) / spread if spread > 0 else np.zeros_like(values)


def _normalised(values: np.ndarray) -> np.ndarray:
    best = values.max() if len(values) else 0.0
    return values / best if best > 0 else np.zeros_like(values)


def _relative(similarities: np.ndarray, depth: int = 200) -> np.ndarray:
    """Cosines rescaled so the best is 1 and the depth-th best is 0 (cosines of unrelated texts are not 0)."""
    if not len(similarities):
        return similarities
    floor = np.partition(similarities, -min(depth, len(similarities)))[-min(depth, len(similarities))]
    span = similarities.max() - floor
    return np.clip((similarities - floor) / span, 0, None) if span > 0 else np.zeros_like(similarities)


class Suggester:
    """Ranks the entries of an effective list for a text; built once per list and tagged-items revision."""

    always_dense = False  # compute the dense signal even when its weight is 0 (fitting)

    def __init__(self, entries, tagged: Iterable[TaggedItem] = (), weights: Weights = Weights()):
        self.entries = list(entries)
        self.weights = weights
        self.position = {r.iri: n for n, r in enumerate(self.entries)}
        self.parents = np.array([self.position.get(r.entry.parent, -1) for r in self.entries], dtype=np.int64)
        fields = [entry_fields(r.entry) for r in self.entries]
        tokens = [[[t for text, lang in field for t in terms(text, lang)] for field in parts] for parts in fields]
        self.words = Bm25([[t for field in parts for t in field] for parts in tokens])
        self.vectors = embedding.embed([_dense_text([p for field in parts for p in field]) for parts in fields])
        # Knowledge items: entries without a parent in the list; items[k] is the entry of item column k.
        own_item = np.where(self.parents >= 0, self.parents, np.arange(len(self.entries)))
        self.items, self.item_column = np.unique(own_item, return_inverse=True)
        documents: list[tuple[list[str], list[str], list[str]]] = [([], [], []) for _ in self.items]
        for n, parts in enumerate(tokens):
            for field, part in zip(documents[self.item_column[n]], parts):
                field.extend(part)
        self.item_documents = ItemDocuments(documents)
        # MiniLM (a transformer: ~0.2 s per 128-token text here) embeds short texts: each entry's labels, and each
        # knowledge item's labels followed by its objectives' labels (cut at 128 tokens).
        labels = [" ".join(text for text, _ in parts[0]) for parts in fields]
        item_labels: list[list[str]] = [[] for _ in self.items]
        for n in np.argsort(self.parents >= 0, kind="stable"):  # items' own labels first
            item_labels[self.item_column[n]].append(labels[n])
        self._dense_texts = labels + ["; ".join(parts) for parts in item_labels]
        self._dense: list = []  # [vectors or None] once computed: only when a dense weight is set (or fitting)
        self._tagged_vector: dict[TaggedItem, np.ndarray] = {}
        self._set_tagged(tagged)

    def _weights(self) -> Weights:
        """The weights in force: the default ones fall back to WITHOUT_DENSE when MiniLM is not installed."""
        if self.weights == Weights() and not suggest_dense.available():
            return WITHOUT_DENSE
        return self.weights

    @property
    def dense_vectors(self) -> np.ndarray | None:
        """MiniLM vectors of the entries' labels then of the items' label lists (None without the model)."""
        if not self._dense:
            self._dense.append(_dense_vectors(self._dense_texts))
        return self._dense[0]

    def with_tagged(self, tagged: Iterable[TaggedItem]) -> Suggester:
        """The same référentiel index with other tagged items (rebuilding it costs seconds; these, milliseconds)."""
        other = copy.copy(self)
        other._set_tagged(tagged)
        return other

    def _set_tagged(self, tagged: Iterable[TaggedItem]) -> None:
        self.tagged = [t for t in tagged if t.tags & self.position.keys()]
        known = self._tagged_vector
        new = [t for t in self.tagged if t not in known]
        self._tagged_vector = {t: known[t] for t in self.tagged if t in known}
        self._tagged_vector.update(zip(new, embedding.embed([f"{t.title} {t.text}" for t in new])))
        self.tagged_vectors = (np.vstack([self._tagged_vector[t] for t in self.tagged]) if self.tagged
                               else np.zeros((0, embedding.DIMENSIONS), dtype=np.float32))

    def item_features(self, text: str) -> dict[str, np.ndarray]:
        """The signals of every knowledge item for a text, before weighting (item columns; see `Weights`)."""
        return self._signals(text).items

    def _signals(self, text: str) -> _Signals:
        lang = language_of(text)
        query = words(text, lang)
        query_terms = [t for t, _ in query]
        vector = embedding.embed([text])[0]
        w = self._weights()
        known, by_term = self.words.scores(query_terms)
        cosines = self.vectors @ vector
        entry = w.words * _normalised(by_term.sum(axis=0)) + (w.meaning_fr if lang == "fr" else w.meaning) * _relative(
            cosines)
        if w.item_share:
            entry = entry + w.item_share * self._item_support(entry)
        best = np.full(len(self.items), -np.inf)
        np.maximum.at(best, self.item_column, entry)
        likelihood, gains = self.item_documents.likelihood(query_terms)
        dense = np.full(len(self.items), -1.0)
        if (self.always_dense or (w.dense or w.dense_doc if lang != "fr" else w.dense_fr or w.dense_doc_fr)) and \
                self.dense_vectors is not None:
            dense_cosines = self.dense_vectors @ suggest_dense.embed([text])[0]
            np.maximum.at(dense, self.item_column, dense_cosines[:len(self.entries)])
            dense_doc = dense_cosines[len(self.entries):]
        else:
            dense_doc = np.zeros(len(self.items))
        return _Signals({"entry": best, "likelihood": likelihood, "latent": self.item_documents.latent(query_terms),
                         "dense": dense, "dense_doc": dense_doc},
                        entry, query, known, by_term, cosines, vector, gains)

    def suggest(self, text: str, limit: int = 10,
                may_see: Callable[[TaggedItem], bool] = lambda item: False) -> list[Suggestion]:
        """The best entries for a text, best first; `may_see` says which tagged items may be named."""
        signals = self._signals(text)
        w = self._weights()
        best = signals.items["entry"]
        spread = best.std()
        # The entry's own score on the scale of its item's best (max and standardising commute): an item's rank is
        # that of the fitted linear model, an objective's rank inside its item that of its own score.
        own = (signals.entry - best.mean()) / spread if spread > 0 else np.zeros_like(signals.entry)
        item_part = (w.likelihood * _standard(signals.items["likelihood"])
                     + w.latent * _standard(signals.items["latent"])
                     + (w.dense_fr if language_of(text) == "fr" else w.dense) * _standard(signals.items["dense"])
                     + (w.dense_doc_fr if language_of(text) == "fr" else w.dense_doc) * _standard(
                         signals.items["dense_doc"]))
        votes, neighbours = self._votes(signals.vector)
        score = w.entry * own + item_part[self.item_column]
        # A vote lifts its entries by a share of the whole range of the scores (1.5 ranges for an exact copy).
        score = score + w.neighbours * votes * (score.max() - score.min())
        item_best = np.full(len(self.items), -np.inf)
        np.maximum.at(item_best, self.item_column, score)
        total = np.logaddexp.reduce(item_best)
        order = [int(n) for n in np.argsort(-score)[:limit]]
        written = {}
        for term, word in signals.query:
            written.setdefault(term, word)
        matched = [written[t] for t in signals.known]
        return [self._suggestion(n, float(np.exp(score[n] - total)),
                                 [(signals.by_term[row, n], matched[row]) for row in range(len(signals.known))],
                                 self._item_words(signals.gains, written, self.item_column[n]), signals.cosines[n],
                                 neighbours, may_see) for n in order]

    @staticmethod
    def _item_words(gains: dict[str, np.ndarray], written: dict[str, str], column: int) -> list[str]:
        """The text's words that its knowledge item's whole text makes likely, strongest first."""
        found = sorted((t for t in gains if gains[t][column] > 0), key=lambda t: -gains[t][column])
        return [written[t] for t in found[:REASON_WORDS]]

    def _item_support(self, score: np.ndarray) -> np.ndarray:
        """For each entry, the mean of the three best scores in its knowledge item (the item and its objectives):
        an item several of whose objectives match is likelier than one with a single lucky match."""
        item = np.where(self.parents >= 0, self.parents, np.arange(len(score)))
        order = np.lexsort((-score, item))
        ranked_item, ranked_score = item[order], score[order]
        starts = np.r_[0, np.flatnonzero(np.diff(ranked_item)) + 1]
        position = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
        best = position < 3
        total = np.bincount(ranked_item[best], weights=ranked_score[best], minlength=len(score))
        count = np.bincount(ranked_item[best], minlength=len(score))
        mean = np.divide(total, count, out=np.zeros(len(score)), where=count > 0)
        return mean[item]

    def _votes(self, vector: np.ndarray):
        """Each entry's support from the tagged items nearest to the text (an objective's also counts for its item)."""
        votes = np.zeros(len(self.entries))
        if not self.tagged:
            return votes, []
        w = self.weights
        cosines = self.tagged_vectors @ vector
        support = np.clip((cosines - w.neighbour_floor) / (1 - w.neighbour_floor), 0, None)
        neighbours = []
        for n in np.argsort(-support)[:w.neighbour_count]:
            if support[n] <= 0:
                break
            item = self.tagged[int(n)]
            hit = {self.position[t] for t in item.tags if t in self.position}
            for p in hit:
                votes[p] += support[n]
            # The item of a tagged objective gets half: the objective itself should come first.
            items = {int(self.parents[p]) for p in hit if self.parents[p] >= 0} - hit
            for p in items:
                votes[p] += support[n] / 2
            hit |= items
            neighbours.append((item, float(cosines[n]), hit))
        return np.clip(votes, 0, 1), neighbours

    def _suggestion(self, n: int, score: float, matched, item_words: list[str], cosine: float, neighbours,
                    may_see) -> Suggestion:
        resolved = self.entries[n]
        shown, hidden = [], 0
        for item, similarity, hit in neighbours:
            if n not in hit:
                continue
            if may_see(item):
                shown.append({"iri": item.iri, "title": item.title, "similarity": round(similarity, 3)})
            else:
                hidden += 1
        why = {"words": [word for weight, word in sorted(matched, key=lambda m: -m[0]) if weight > 0][:REASON_WORDS],
               "item_words": item_words,
               "meaning": round(float(cosine), 3), "tagged_items": shown, "other_tagged_items": hidden}
        entry = resolved.entry
        return Suggestion(resolved.iri, entry.notation, entry.label("fr"), round(float(min(score, 1.0)), 4),
                          entry.parent, why)


def _dense_vectors(texts: list[str]) -> np.ndarray | None:
    """MiniLM vectors of the entries (cached on disk per référentiel revision), or None without the model."""
    try:
        return suggest_dense.embed_cached(texts)
    except suggest_dense.DenseUnavailable:
        return None


def _dense_text(parts: list[tuple[str, str | None]]) -> str:
    return " ".join(" ".join(text for text, _ in parts).split()[:DENSE_WORDS])
