"""Round 4 of the tag suggestions: ideas measured against the kept model (round 2's three fused item signals), each
fitted on the tuning stems only (conditional logit, L2 chosen by 5-fold cross-validation inside them, as
bench/suggest_fit.py does) and reported on the tuning stems (cross-validated and refitted) and on the held-out stems,
apart. The held-out stems are never used to fit or choose anything here; the table is printed, and nothing of it is
wired into the suggester unless it wins outside the noise (see docs/tag-suggestions.md).

Ideas: reciprocal-rank fusion instead of the fitted weights; log-rank features; other ways of bringing objective
evidence up to the knowledge item (max, sum, mean of the best three of BM25 or WordLlama cosines, the item's own
entry); pseudo-relevance feedback (Rocchio) in the latent space and in WordLlama's space; a second-stage re-ranker
over the first stage's top 20 items. `python -m bench.suggest_ideas [--lisa FOLDER]`.
"""

from __future__ import annotations

import argparse
import math
from collections import Counter
from pathlib import Path

import numpy as np

from bench import suggest_fit as sf
from bench.suggest_eval import DATA, SAMPLE, TEACHER, read_cases
from services.lists.library import ListLibrary
from services.lists.referentiel import import_lisa, import_turtle
from services.lists.repository import OFFICIEL
from services.platform import Platform
from services.settings import Settings
from services.studio.suggest import WITHOUT_DENSE, Suggester
from store.embedded import OxigraphStore

KEPT = ("entry", "likelihood", "latent")
TOP = 20  # candidates of the second stage


def standard(values: np.ndarray) -> np.ndarray:
    finite = np.isfinite(values)
    values = np.where(finite, values, values[finite].min() if finite.any() else 0)
    spread = values.std()
    return (values - values.mean()) / spread if spread > 0 else np.zeros_like(values)


def rank_of(values: np.ndarray) -> np.ndarray:
    found = np.empty(len(values))
    found[np.argsort(-values, kind="stable")] = np.arange(1, len(values) + 1)
    return found


def per_item(values: np.ndarray, column: np.ndarray, size: int, how: str) -> np.ndarray:
    """Entry values brought up to their knowledge item: max, sum, or mean of the best three."""
    if how == "max":
        found = np.full(size, -np.inf)
        np.maximum.at(found, column, values)
        return found
    if how == "sum":
        return np.bincount(column, weights=values, minlength=size)
    order = np.lexsort((-values, column))
    ranked = column[order]
    starts = np.r_[0, np.flatnonzero(np.diff(ranked)) + 1]
    position = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    best = position < 3
    return np.bincount(ranked[best], weights=values[order][best], minlength=size) / 3


def features(suggester: Suggester, text: str) -> dict[str, np.ndarray]:
    """The kept item signals and the candidate ones, for every knowledge item."""
    signals = suggester._signals(text)
    size, column = len(suggester.items), suggester.item_column
    found = {name: signals.items[name] for name in KEPT}
    bm25, cosines = signals.by_term.sum(axis=0), signals.cosines
    for how in ("max", "sum", "top3"):
        found[f"bm25_{how}"] = per_item(bm25, column, size, how)
        found[f"cos_{how}"] = per_item(cosines, column, size, how)
    found["bm25_item"], found["cos_item"] = bm25[suggester.items], cosines[suggester.items]
    fused = sum(getattr(WITHOUT_DENSE, name) * standard(found[name]) for name in KEPT)
    top = np.argsort(-fused)
    documents = suggester.item_documents
    columns, weights = [], []
    for term, count in Counter(t for t, _ in signals.query).items():
        if (at := documents.vocabulary.get(term)) is not None:
            columns.append(at)
            weights.append((1 + math.log(count)) * documents.idf[at])
    latent = documents.term_space[:, columns] @ np.array(weights) if columns else np.zeros(len(documents.term_space))
    latent = latent / max(np.linalg.norm(latent), 1e-12)
    for k, beta in ((3, 0.5), (3, 1.0), (5, 0.5), (10, 0.5)):
        vector = latent + beta * documents.item_vectors[top[:k]].mean(0)
        found[f"latent_prf{k}_{beta}"] = documents.item_vectors @ (vector / max(np.linalg.norm(vector), 1e-12))
        vector = signals.vector + beta * suggester.vectors[np.isin(column, top[:k])].mean(0)
        found[f"meaning_prf{k}_{beta}"] = per_item(suggester.vectors @ (vector / np.linalg.norm(vector)), column, size,
                                                   "max")
    return found


def matrix(found: dict[str, np.ndarray], names: list[str]) -> np.ndarray:
    columns = []
    for name in names:
        if name.startswith("rrf_"):
            columns.append(1 / (60 + rank_of(found[name[4:]])))
        elif name.startswith("logrank_"):
            columns.append(-np.log(rank_of(found[name[8:]])))
        else:
            columns.append(standard(found[name]))
    return np.column_stack(columns)


def share(ranks: np.ndarray) -> str:
    return f"{(ranks == 1).mean():.1%} / {(ranks <= 5).mean():.1%}"


def fused_row(name: str, data: dict, names: list[str], fixed: np.ndarray | None = None) -> str:
    """Fit (unless fixed) on the tuning stems of both languages; tuning and held-out figures apart."""
    stems = {(lang, part): [sf.Stem(matrix(f, names), wanted) for f, wanted in data[lang][part]]
             for lang in data for part in ("tuning", "held out")}
    tuning = stems.get(("en", "tuning"), []) + stems.get(("fr", "tuning"), [])
    if fixed is None:
        weights, _, cross = sf.choose(tuning)
        validated = share(cross)
    else:
        weights, validated = fixed, "—"
    cells = [share(sf.ranks(stems[(lang, part)], weights)) for part in ("tuning", "held out") for lang in ("en", "fr")]
    return f"| {name} | {', '.join(f'{w:.2f}' for w in weights)} | {validated} | " + " | ".join(cells) + " |"


def reranked_row(name: str, data: dict, names: list[str]) -> str:
    """A second stage: the first stage's (the kept model's) top 20 items re-ranked by a conditional logit over
    candidate-standardised features, the first-stage score and its log rank; items past 20 keep their order."""
    def prepare(found, wanted):
        first = matrix(found, list(KEPT)) @ np.array([getattr(WITHOUT_DENSE, n) for n in KEPT])
        top = np.argsort(-first)[:TOP]
        chosen = matrix(found, names)[top]
        spread = chosen.std(0)
        chosen = (chosen - chosen.mean(0)) / np.where(spread > 0, spread, 1)
        score = first[top]
        return np.column_stack([chosen, (score - score.mean()) / score.std(), -np.log(np.arange(1, TOP + 1))]), \
            top, first, wanted

    def final(prepared, weights):
        found = []
        for candidates, top, first, wanted in prepared:
            if wanted in top:
                score = candidates @ weights
                found.append(int((score > score[list(top).index(wanted)]).sum()) + 1)
            else:
                found.append(int((first > first[wanted]).sum()) + 1)
        return np.array(found)

    prepared = {(lang, part): [prepare(f, w) for f, w in data[lang][part]] for lang in data
                for part in ("tuning", "held out")}
    tuning = prepared[("en", "tuning")] + prepared[("fr", "tuning")]
    weights, _, cross = sf.choose([sf.Stem(c, list(top).index(w)) for c, top, _, w in tuning if w in top])
    cells = [share(final(prepared[(lang, part)], weights)) for part in ("tuning", "held out") for lang in ("en", "fr")]
    return f"| {name} | {len(weights)} weights | {share(cross)} (inside the top {TOP}) | " + " | ".join(cells) + " |"


def load_language(load, cases) -> dict:
    platform = Platform.build(Settings(_env_file=None, store=":memory:"), OxigraphStore())
    platform.ensure_ontology()
    library = ListLibrary(platform)
    load(library)
    entries = library.effective("referentiel", OFFICIEL).entries
    base = library.repo.list_iri("referentiel") + "/"
    suggester = Suggester(entries, weights=WITHOUT_DENSE)
    known = [c for c in cases if base + c.objective in suggester.position]
    return {part: [(features(suggester, c.stem), int(suggester.item_column[suggester.position[base + c.item]]))
                   for c in known if c.tuning == (part == "tuning")] for part in ("tuning", "held out")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lisa", type=Path, default=SAMPLE, help="a LiSA export folder (default: the 30-item sample)")
    parser.add_argument("--french", type=Path, default=DATA / "referentiel_fr.ttl")
    args = parser.parse_args()
    data = {"en": load_language(lambda library: import_lisa(library, args.lisa, TEACHER),
                                read_cases(DATA / "suggest_stems_en.csv")),
            "fr": load_language(lambda library: import_turtle(library, args.french, TEACHER),
                                read_cases(DATA / "suggest_stems_fr.csv"))}
    print(f"stems: EN {len(data['en']['tuning'])} tuning / {len(data['en']['held out'])} held out, "
          f"FR {len(data['fr']['tuning'])} / {len(data['fr']['held out'])}; item top-1 / top-5\n")
    print("| model | weights | CV on tuning | tuning EN | tuning FR | held out EN | held out FR |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    kept = list(KEPT)
    print(fused_row("kept: entry, likelihood, latent (round 2's weights)", data, kept,
                    np.array([getattr(WITHOUT_DENSE, n) for n in KEPT])), flush=True)
    print(fused_row("kept signals, refitted", data, kept), flush=True)
    print(fused_row("reciprocal-rank fusion (k = 60, equal weights)", data, [f"rrf_{n}" for n in KEPT],
                    np.ones(3)), flush=True)
    print(fused_row("log ranks of the kept signals, fitted", data, [f"logrank_{n}" for n in KEPT]), flush=True)
    print(fused_row("kept + their log ranks, fitted", data, kept + [f"logrank_{n}" for n in KEPT]), flush=True)
    for extra in ("bm25_max", "bm25_sum", "bm25_top3", "bm25_item", "cos_max", "cos_sum", "cos_top3", "cos_item"):
        print(fused_row(f"kept + {extra}", data, kept + [extra]), flush=True)
    print(fused_row("kept + BM25 and cosine max and best-three mean", data,
                    kept + ["bm25_max", "bm25_top3", "cos_max", "cos_top3"]), flush=True)
    for prf in ("latent_prf3_0.5", "latent_prf3_1.0", "latent_prf5_0.5", "latent_prf10_0.5", "meaning_prf3_0.5",
                "meaning_prf3_1.0", "meaning_prf5_0.5", "meaning_prf10_0.5"):
        print(fused_row(f"kept + {prf} (Rocchio: k items, β)", data, kept + [prf]), flush=True)
    print(reranked_row("second stage over the top 20: kept signals", data, kept), flush=True)
    print(reranked_row("second stage over the top 20: kept + BM25/cosine max and best-three, cosine of the item's "
                       "own entry", data, kept + ["bm25_max", "bm25_top3", "cos_max", "cos_top3", "cos_item"]),
          flush=True)


if __name__ == "__main__":
    main()
