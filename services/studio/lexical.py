"""Words for tag suggestions: French and English tokens (Snowball stems, accents folded) and a BM25 index.

BM25 is written here rather than taken from a package: with each term's weight per document computed once at
build time, a query is a few NumPy additions over ~5,000 documents, which the maintained packages (rank-bm25,
bm25s) do not make faster at this size, and they bring no French tokenisation of their own.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from functools import lru_cache

import numpy as np
import Stemmer

# Letters only: ages, doses and lab values in a vignette match référentiel numbers by chance.
WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)
# Stop words of both languages and the verbs every objective starts with ("Knowing the …", « Connaître … »).
STOP_WORDS = {unicodedata.normalize("NFKD", w).encode("ascii", "ignore").decode() for w in """
a an and are as at be by for from has have in is it its of on or that the this to was were which with will
your you their they them these those can may must not no nor but if into than then there when where who why how
all any each other some such only own same so too very also eg etc ie what do does did he she his her him
had has been being after before since while during about over under up down out more most less least per
should would could shall might do does doing done get gets got give given make made take taken find found
know knowing understand define definition main
le la les un une des du de au aux ce ces cette cet est sont pour par sur dans avec sans qui que quoi dont
leur leurs son sa ses se ne pas plus il elle ils elles on nous vous je tu lui en et ou où mais donc or ni car
être été était avoir avait ont quel quelle quels quelles lequel laquelle lesquels lesquelles lors chez entre
depuis pendant après avant comment pourquoi quand qu peut peuvent pouvez doit doivent devez faut fait faire
cela ceci celui celle ceux celles tout tous toute toutes très aussi ainsi alors
connaître savoir comprendre définir définition principaux principales
""".split()}
# The scaffolding of an exam vignette (age, sex, time, counting, the question's verbs): present in nearly every
# stem of the tuning part, they say nothing about the knowledge item.
STOP_WORDS |= {unicodedata.normalize("NFKD", w).encode("ascii", "ignore").decode() for w in """
year years old aged man men woman women boy girl hour hours day days week weeks month months minute minutes
one two three four five six seven eight nine ten twice show shows showed ask asks asked suspect suspected
likely present presents presented since ago
an ans année années âgé âgée homme hommes femme femmes garçon fille heure heures jour jours semaine semaines mois
minute minutes deux trois quatre cinq six sept huit neuf dix présente présenter demande demandent répond
veut souhaite appelé évoquez suspectez
""".split()}
LANGUAGES = ("fr", "en")
_STEMMERS = {"fr": "french", "en": "english"}
# Words that tell the language of a stem: frequent in one language, absent from the other.
_FRENCH_MARKERS = {"le", "la", "les", "des", "du", "une", "est", "et", "avec", "pour", "dans", "qui", "que", "sur",
                   "au", "aux", "depuis", "quel", "quelle", "quels", "quelles", "vous", "il", "elle", "ans", "sa", "son"}
_ENGLISH_MARKERS = {"the", "and", "with", "for", "of", "is", "has", "her", "his", "which", "what", "who", "year",
                    "old", "since", "you", "he", "she", "was", "in", "on"}


def fold(word: str) -> str:
    """A word without accents."""
    return unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()


def language_of(text: str) -> str:
    """'fr' or 'en', from the function words of a text (English when nothing tells)."""
    words = Counter(w.lower() for w in WORD.findall(text))
    french = sum(n for w, n in words.items() if w in _FRENCH_MARKERS)
    english = sum(n for w, n in words.items() if w in _ENGLISH_MARKERS)
    return "fr" if french > english else "en"


@lru_cache(maxsize=4)
def _stemmer(lang: str):
    return Stemmer.Stemmer(_STEMMERS.get(lang, "english"))


@lru_cache(maxsize=200_000)
def _term(lower: str, lang: str) -> str | None:
    """The term of a lower-case word, None for a stop word (cached: body texts repeat their words)."""
    if fold(lower) in STOP_WORDS:
        return None
    # British and American spellings (haemorrhage, hemorrhage; oedema, edema) and French œ meet on one term.
    return fold(_stemmer(lang).stemWord(lower)).replace("ae", "e").replace("oe", "e")


def words(text: str, lang: str | None = None) -> list[tuple[str, str]]:
    """(term, word as written) for each content word of a text; terms are stems without accents."""
    lang = lang if lang in LANGUAGES else language_of(text)
    found = []
    for word in WORD.findall(text):
        term = _term(word.lower(), lang)
        if term is not None:
            found.append((term, word))
    return found


def terms(text: str, lang: str | None = None) -> list[str]:
    """The terms of a text (see `words`)."""
    return [term for term, _ in words(text, lang)]


class Bm25:
    """BM25 over documents given as term lists; each term keeps its documents and their weights."""

    def __init__(self, documents: list[list[str]], k1: float = 1.2, b: float = 0.75):
        self.size = len(documents)
        lengths = np.array([len(d) for d in documents], dtype=np.float64)
        average = lengths.mean() if self.size and lengths.sum() else 1.0
        postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for doc_id, document in enumerate(documents):
            for term, tf in Counter(document).items():
                postings[term].append((doc_id, tf))
        self.postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for term, hits in postings.items():
            ids = np.array([d for d, _ in hits], dtype=np.int32)
            tf = np.array([t for _, t in hits], dtype=np.float64)
            idf = math.log(1 + (self.size - len(hits) + 0.5) / (len(hits) + 0.5))
            norm = k1 * (1 - b + b * lengths[ids] / average)
            self.postings[term] = (ids, idf * tf * (k1 + 1) / (tf + norm))

    def scores(self, query_terms: list[str]) -> tuple[list[str], np.ndarray]:
        """The query's distinct known terms and each one's BM25 score for every document (a terms × documents
        matrix: its column sums are the documents' scores, its columns say which words made them)."""
        known = [t for t in dict.fromkeys(query_terms) if t in self.postings]
        by_term = np.zeros((len(known), self.size))
        for row, term in enumerate(known):
            ids, weights = self.postings[term]
            by_term[row, ids] = weights
        return known, by_term
