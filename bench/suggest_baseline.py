"""The tag suggester as it was before issue 11 (BM25 over labels and descriptions, re-ranked with rapidfuzz's
token-set ratio), kept only so `bench.suggest_eval` can report it beside the current one on the same stems."""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz import fuzz

from services.studio.lexical import Bm25

STOP_WORDS = set("""
a an and are as at be by for from has have in is it its of on or that the this to was were which with will
your you their they them these those can may must not no nor but if into than then there when where who why how
all any each other some such only own same so too very also e g eg etc i ie
le la les un une des du de d l et ou en au aux ce ces cette est sont pour par sur dans avec sans qui que quoi
dont leur leurs son sa ses se ne pas plus il elle ils elles on nous vous je tu
know knowing understand define definition main
""".split())
DEFINITION = "http://www.w3.org/2004/02/skos/core#definition"


def tokens(text: str) -> list[str]:
    """Lower-case, accent-free words without stop words, a final s dropped (the old tokeniser)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z0-9]{2,}", ascii_text)
    return [w[:-1] if len(w) > 4 and w.endswith("s") else w for w in words if w not in STOP_WORDS]


class BaselineSuggester:
    """The old ranking: BM25 (labels, definitions) then 0.7 BM25 + 0.3 fuzzy over the best 50."""

    def __init__(self, entries):
        self.entries = list(entries)
        self.texts = []
        for r in self.entries:
            definition = " ".join(str(o.value) for p, o in r.entry.extra.get("triples", ()) if p == DEFINITION)
            self.texts.append(" ".join([*r.entry.labels.values(), definition]))
        self.index = Bm25([tokens(t) for t in self.texts])

    def ranked(self, text: str, limit: int = 50, rerank: int = 50) -> list[str]:
        """Entry IRIs, best first."""
        scores = self.index.scores(tokens(text))[1].sum(axis=0)
        best = scores.max() if len(scores) else 0
        if best <= 0:
            return []
        query = " ".join(tokens(text)[:200])
        top = [int(d) for d in scores.argsort()[::-1][:rerank] if scores[d] > 0]
        rescored = sorted(((0.7 * scores[d] / best + 0.3 * fuzz.token_set_ratio(query, " ".join(tokens(self.texts[d])))
                            / 100, d) for d in top), key=lambda sd: -sd[0])
        return [self.entries[d].iri for _, d in rescored[:limit]]
