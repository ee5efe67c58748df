"""Tag suggestions: the référentiel entries that best match an item's text (BM25, re-ranked with rapidfuzz).

BM25 is written here (some forty lines over an inverted index) rather than taken from a package: the
maintained options pull in scikit-learn or numpy for what is a dictionary walk at this size (~5,000 entries).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass

from rapidfuzz import fuzz

STOP_WORDS = set("""
a an and are as at be by for from has have in is it its of on or that the this to was were which with will
your you their they them these those can may must not no nor but if into than then there when where who why how
all any each other some such only own same so too very also e g eg etc i ie
le la les un une des du de d l et ou en au aux ce ces cette est sont pour par sur dans avec sans qui que quoi
dont leur leurs son sa ses se ne pas plus il elle ils elles on nous vous je tu
know knowing understand define definition main
""".split())
SKOS_DEFINITION = "http://www.w3.org/2004/02/skos/core#definition"


def tokens(text: str) -> list[str]:
    """Lower-case, accent-free word tokens without stop words, lightly stemmed."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z0-9]{2,}", ascii_text)
    return [w[:-1] if len(w) > 4 and w.endswith("s") else w for w in words if w not in STOP_WORDS]


@dataclass
class Suggestion:
    """A suggested entry and why."""

    iri: str
    notation: str | None
    label: str
    score: float
    parent: str | None


class Bm25Index:
    """BM25 over short documents (an entry's label and definition)."""

    def __init__(self, documents: list[str], k1: float = 1.2, b: float = 0.75):
        self.k1, self.b = k1, b
        self.lengths = []
        self.postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for doc_id, text in enumerate(documents):
            counts = Counter(tokens(text))
            self.lengths.append(sum(counts.values()))
            for term, tf in counts.items():
                self.postings[term].append((doc_id, tf))
        self.average = (sum(self.lengths) / len(self.lengths)) if self.lengths else 1.0
        n = len(documents)
        self.idf = {t: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in self.postings.items()}

    def scores(self, query: str) -> dict[int, float]:
        """BM25 score of every document sharing a term with the query."""
        found: dict[int, float] = defaultdict(float)
        for term in set(tokens(query)):
            idf = self.idf.get(term)
            if idf is None:
                continue
            for doc_id, tf in self.postings[term]:
                norm = self.k1 * (1 - self.b + self.b * self.lengths[doc_id] / self.average)
                found[doc_id] += idf * tf * (self.k1 + 1) / (tf + norm)
        return found


class Suggester:
    """Ranks the entries of an effective list for a text."""

    def __init__(self, entries):
        self.entries = list(entries)
        self.texts = [self._text(r.entry) for r in self.entries]
        self.index = Bm25Index(self.texts)

    @staticmethod
    def _text(entry) -> str:
        definition = " ".join(str(o.value) for p, o in entry.extra.get("triples", ()) if p == SKOS_DEFINITION)
        return " ".join([*entry.labels.values(), definition])

    def suggest(self, text: str, limit: int = 10, rerank: int = 50) -> list[Suggestion]:
        """The best entries for a text, best first, with a score in [0, 1]."""
        scores = self.index.scores(text)
        if not scores:
            return []
        best = max(scores.values())
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])[:rerank]
        query = " ".join(tokens(text)[:200])
        rescored = []
        for doc_id, score in ranked:
            fuzzy = fuzz.token_set_ratio(query, " ".join(tokens(self.texts[doc_id]))) / 100
            rescored.append((0.7 * score / best + 0.3 * fuzzy, doc_id))
        rescored.sort(key=lambda sd: -sd[0])
        return [Suggestion(self.entries[d].iri, self.entries[d].entry.notation, self.entries[d].entry.label("fr"),
                           round(s, 4), self.entries[d].entry.parent) for s, d in rescored[:limit]]
