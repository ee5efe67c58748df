"""Tag-suggestion accuracy on exam-style stems of our own (bench/data/suggest_stems_*.csv): English stems against
the R2C référentiel imported from a LiSA export, French stems against a French référentiel of our own
(bench/data/referentiel_fr.ttl). Stems numbered 3, 6, 9 … are the tuning part: the weights in
services/studio/suggest.py were chosen on them, and they are saved as tagged items (the suggester's labelled
neighbours). The other stems are held out and reported. Prints top-1/top-5 at item and objective level for the
current suggester (with 95 % confidence intervals), its parts alone and the methods it replaced, with latency per
call (p50/p95, through Studio.suggest); writes each case's ranks to bench/out/suggest_cases.csv. With --fit, fits
the final weights again on the tuning stems (bench/suggest_fit.py) and prints them with their cross-validated and
held-out accuracy; each stem's item signals are kept in bench/out/suggest_signals.pickle. The MiniLM signals
(services/studio/suggest_dense.py) count when its package is installed or ONTOSIDES_MINILM_DIR names its model
folder; otherwise the suggester runs with the round-2 weights.
"""

from __future__ import annotations

import argparse
import csv
import math
import pickle
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from rdflib import Graph

from bench import suggest_fit
from bench.common import OUT, percentiles
from bench.suggest_baseline import BaselineSuggester
from services.lists.library import ListLibrary
from services.lists.referentiel import import_lisa, import_turtle
from services.lists.repository import OFFICIEL
from services.platform import Platform
from services.settings import Settings
from services.studio import embedding, suggest_dense
from services.studio.items import Caller, Studio
from services.studio.model import Item
from services.studio.suggest import Suggester, Weights
from store.embedded import OxigraphStore
from store.terms import OS

DATA = Path(__file__).resolve().parent / "data"
SAMPLE = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "r2c-lisa-sample"
TEACHER = "https://data.ontosides.fr/person/bench-teacher"
DEPTH = 50  # suggestions asked per stem; ranks past it count as misses


@dataclass
class Case:
    """One stem and what it should be tagged with."""

    id: str
    item: str
    objective: str
    stem: str

    @property
    def tuning(self) -> bool:
        """Part of the tuning split (numbers divisible by 3)."""
        return int(self.id.split("-")[1]) % 3 == 0


@dataclass
class Score:
    """Hits of one method on one set of cases."""

    cases: int = 0
    hits: dict = field(default_factory=lambda: {"item@1": 0, "item@5": 0, "objective@1": 0, "objective@5": 0})

    def add(self, item_rank: int | None, objective_rank: int | None) -> None:
        """Count one case's ranks (1-based; None when absent)."""
        self.cases += 1
        for level, rank in (("item", item_rank), ("objective", objective_rank)):
            self.hits[f"{level}@1"] += rank == 1
            self.hits[f"{level}@5"] += rank is not None and rank <= 5

    def line(self, name: str) -> str:
        """A table row."""
        share = {k: v / max(self.cases, 1) for k, v in self.hits.items()}
        return (f"| {name} | {self.cases} | {share['item@1']:.1%} | {share['item@5']:.1%} | "
                f"{share['objective@1']:.1%} | {share['objective@5']:.1%} |")


def wilson(hits: int, cases: int, z: float = 1.96) -> tuple[float, float]:
    """95 % confidence interval of a proportion (Wilson score interval)."""
    if not cases:
        return 0.0, 0.0
    share = hits / cases
    centre = (share + z * z / (2 * cases)) / (1 + z * z / cases)
    half = z * math.sqrt(share * (1 - share) / cases + z * z / (4 * cases * cases)) / (1 + z * z / cases)
    return centre - half, centre + half


def read_cases(path: Path) -> list[Case]:
    """The stems of a CSV file (id,item,objective,stem)."""
    with path.open(encoding="utf-8") as f:
        return [Case(r["id"], r["item"], r["objective"], r["stem"]) for r in csv.DictReader(f)]


def ranks(iris: list[str], parents: dict[str, str | None], case: Case, base: str) -> tuple[int | None, int | None]:
    """Rank of the wanted knowledge item among distinct items, and of the objective among objectives."""
    items: list[str] = []
    objectives: list[str] = []
    for iri in iris:
        item = parents.get(iri) or iri
        if item not in items:
            items.append(item)
        if parents.get(iri):
            objectives.append(iri)
    want_item, want_objective = base + case.item, base + case.objective
    return (items.index(want_item) + 1 if want_item in items else None,
            objectives.index(want_objective) + 1 if want_objective in objectives else None)


def tagged_item(case: Case, tag: str) -> Item:
    """A QRU item whose statement is the stem, tagged with its objective (a teacher's earlier work)."""
    return Item.model_validate({
        "kind": "QI", "title": f"{case.id}: {case.stem[:60]}", "tags": [tag],
        "question": {"type": "QRU", "statement": case.stem,
                     "options": [{"text": f"Proposition {n}", "correct": n == 1} for n in range(1, 6)]}})


def bank_latency(studio: Studio, entries, held_out: list[Case], size: int, teacher: Caller) -> str:
    """Latency once the store holds `size` more tagged items (objective titles as their text, written in one
    transaction), and the cost of the first call after that write (tagged items read and embedded again)."""
    objectives = [r for r in entries if r.entry.parent]
    changes = []
    for n in range(size):
        target = objectives[(n * 7919) % len(objectives)]
        case = Case(f"bank-{n}", "", "", f"{target.entry.label('en')} (bank question {n})")
        changes.append(studio.prepare(tagged_item(case, target.iri), teacher).change)
    started = time.perf_counter()
    studio.platform.writer.apply(changes)
    written = time.perf_counter() - started
    started = time.perf_counter()
    studio.suggest("warm-up", OFFICIEL, 1, teacher)
    rebuild = time.perf_counter() - started
    latencies = []
    for case in held_out:
        started = time.perf_counter()
        studio.suggest(case.stem, OFFICIEL, DEPTH, teacher)
        latencies.append((time.perf_counter() - started) * 1000)
    p50, p95 = percentiles(latencies)
    return (f"With {size:,} more tagged items (written in {written:.1f} s): first call after the write {rebuild:.2f} s "
            f"(tagged items read and embedded again, référentiel index kept); then p50 {p50:.1f} ms, p95 {p95:.1f} ms")


def run_language(lang: str, load, cases: list[Case], writer, stems: dict, bank: int = 0) -> list[str]:
    """Load a référentiel, save the tuning stems as tagged items, evaluate; the report's lines (and, in `stems`,
    each stem's item signals for fitting)."""
    platform = Platform.build(Settings(_env_file=None, store=":memory:"), OxigraphStore())
    platform.ensure_ontology()
    library = ListLibrary(platform)
    started = time.perf_counter()
    report = load(library)
    imported = time.perf_counter() - started
    studio = Studio(platform, library)
    entries = library.effective("referentiel", OFFICIEL).entries
    parents = {r.iri: r.entry.parent for r in entries}
    base = library.repo.list_iri("referentiel") + "/"
    known = [c for c in cases if base + c.objective in parents]
    tuning, held_out = [c for c in known if c.tuning], [c for c in known if not c.tuning]
    teacher = Caller(TEACHER)
    person = Graph().parse(data=f"<{TEACHER}> a <{OS}Person> ; <{OS}uniqueId> \"bench-teacher\" ; "
                                f"<http://xmlns.com/foaf/0.1/familyName> \"Bench\" .", format="turtle")
    platform.writer.replace_graph(f"{TEACHER}/graph", person)
    for case in tuning:
        studio.create(tagged_item(case, base + case.objective), teacher)
    lines = [f"### {lang.upper()}: {len(entries):,} entries ({report.items} items, {report.objectives} objectives; "
             f"imported in {imported:.1f} s"
             + (f"; {sum(p.skipped for p in report.problems)} files skipped" if report.problems else "") + ")",
             f"{len(known)} stems of {len(cases)} have their objective in this référentiel: {len(tuning)} for tuning "
             f"(saved as tagged items), {len(held_out)} held out."]
    started = time.perf_counter()
    studio.suggest("warm-up", OFFICIEL, 1, teacher)
    build = time.perf_counter() - started
    lines.append(f"Index build (first call: référentiel + {len(tuning)} tagged items): {build:.1f} s")
    latencies: list[float] = []
    scores = {"current": Score(), "current, tuning part (their own text is a tagged item)": Score()}
    for case in held_out + tuning:
        started = time.perf_counter()
        found = studio.suggest(case.stem, OFFICIEL, DEPTH, teacher)
        if not case.tuning:
            latencies.append((time.perf_counter() - started) * 1000)
        item_rank, objective_rank = ranks([s.iri for s in found], parents, case, base)
        scores["current, tuning part (their own text is a tagged item)" if case.tuning else "current"].add(
            item_rank, objective_rank)
        writer.writerow([lang, "tuning" if case.tuning else "held-out", case.id, "current", case.item, case.objective,
                         item_rank or "", objective_rank or "", " ".join(s.notation or "" for s in found[:5]),
                         "; ".join(found[0].why["words"]) if found else ""])
    suggester = Suggester(entries, studio.tagged_items())
    off = {"likelihood": 0, "latent": 0, "neighbours": 0, "dense": 0, "dense_doc": 0}
    variants = {"current without tagged items": Weights(neighbours=0),
                "current without MiniLM (round 2's weights)": Weights(entry=0.68, likelihood=0.44, latent=0.46, dense=0,
                                                                      dense_doc=0),
                "knowledge item: MiniLM only (labels, item's label list)": Weights(entry=0, likelihood=0, latent=0,
                                                                                   dense_fr=0.77, dense_doc_fr=0.24,
                                                                                   neighbours=0),
                "entry level only (round 1: words + meaning + item support)": Weights(**off),
                "words only (BM25 over labels, descriptions, body texts)":
                Weights(meaning=0, meaning_fr=0, item_share=0, **off),
                "words + knowledge-item support": Weights(meaning=0, meaning_fr=0, **off),
                "meaning only (WordLlama)": Weights(words=0, meaning=1, meaning_fr=1, item_share=0, **off),
                "knowledge item: query likelihood only": Weights(entry=0, latent=0, neighbours=0, dense=0, dense_doc=0),
                "knowledge item: latent semantic only": Weights(entry=0, likelihood=0, neighbours=0, dense=0,
                                                                dense_doc=0),
                "entry level + item query likelihood (round 2, no latent)": Weights(
                    entry=0.68, likelihood=0.44, latent=0, neighbours=0, dense=0, dense_doc=0)}
    baseline = BaselineSuggester(entries)
    for name, weights in variants.items():
        suggester.weights = weights
        scores[name] = Score()
        for case in held_out:
            scores[name].add(*ranks([s.iri for s in suggester.suggest(case.stem, DEPTH)], parents, case, base))
    scores["previous method (labels + descriptions, rapidfuzz)"] = old = Score()
    for case in held_out:
        item_rank, objective_rank = ranks(baseline.ranked(case.stem, DEPTH), parents, case, base)
        old.add(item_rank, objective_rank)
        writer.writerow([lang, "held-out", case.id, "previous", case.item, case.objective, item_rank or "",
                         objective_rank or "", "", ""])
    suggester.weights = Weights()
    suggester.always_dense = True  # the MiniLM signals are fitted even while their weights are 0
    stems[lang] = {part: [suggest_fit.Stem(suggest_fit.standardised(suggester.item_features(case.stem)),
                                           int(suggester.item_column[suggester.position[base + case.item]]))
                          for case in cases_of] for part, cases_of in (("tuning", tuning), ("held out", held_out))}
    p50, p95 = percentiles(latencies) if latencies else (0.0, 0.0)
    lines += ["", "| method | stems | item top-1 | item top-5 | objective top-1 | objective top-5 |",
              "| --- | --- | --- | --- | --- | --- |"]
    lines += [score.line(name) for name, score in scores.items()]
    current = scores["current"]
    lines.append("\n95 % confidence intervals (Wilson) of the current held-out figures: " + ", ".join(
        f"{level} {low:.0%}–{high:.0%}" for level, (low, high) in (
            (level, wilson(current.hits[level], current.cases)) for level in current.hits)))
    lines.append(f"\nLatency per call (Studio.suggest, held-out stems, {DEPTH} suggestions): "
                 f"p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    if bank:
        lines.append(bank_latency(studio, entries, held_out, bank, teacher))
    return lines


def main() -> None:
    """Print the figures and write the per-case ranks."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lisa", type=Path, default=SAMPLE, help="a LiSA export folder (default: the 30-item sample)")
    parser.add_argument("--french", type=Path, default=DATA / "referentiel_fr.ttl", help="a French référentiel (Turtle)")
    parser.add_argument("--bank", type=int, default=1000,
                        help="tagged items added after the accuracy run, to time calls on a fuller store (0: skip)")
    parser.add_argument("--fit", action="store_true", help="fit the final weights again on the tuning stems")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    started = time.perf_counter()
    embedding.model()
    print(f"WordLlama model loaded in {time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    try:
        suggest_dense.model()
        print(f"MiniLM model loaded in {time.perf_counter() - started:.2f} s")
    except suggest_dense.DenseUnavailable as exc:
        print(f"MiniLM unavailable ({exc}): its signals are left out")
    with (OUT / "suggest_cases.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["lang", "split", "id", "method", "item", "objective", "item_rank", "objective_rank",
                         "top5", "matched_words"])
        stems: dict = {}
        for lang, load, file in (
                ("en", lambda library: import_lisa(library, args.lisa, TEACHER), "suggest_stems_en.csv"),
                ("fr", lambda library: import_turtle(library, args.french, TEACHER), "suggest_stems_fr.csv")):
            lines = run_language(lang, load, read_cases(DATA / file), writer, stems, args.bank if lang == "en" else 0)
            print("\n".join(lines), "\n", flush=True)
    print(f"per-case ranks: {OUT / 'suggest_cases.csv'}")
    with (OUT / "suggest_signals.pickle").open("wb") as f:  # each stem's item signals, to refit without re-running
        pickle.dump(stems, f)
    if args.fit:
        print("\n".join(fit_report(stems)))


def fit_report(stems: dict) -> list[str]:
    """Weights fitted on each language's tuning stems and on both, with cross-validated and held-out accuracy."""
    share = lambda found: f"{(found == 1).mean():.1%} / {(found <= 5).mean():.1%}"  # noqa: E731
    lines = ["", f"### Final weights fitted on the tuning stems ({', '.join(suggest_fit.SIGNALS)}): "
             "item top-1 / top-5", "", "| fitted on | weights | L2 | cross-validated (tuning) | held out EN | "
             "held out FR |", "| --- | --- | --- | --- | --- | --- |"]
    # MiniLM is an English model: "both, dense for English only" zeroes the dense signals of French stems, as the
    # suggester does with Weights.dense_fr = dense_doc_fr = 0.
    dense = [n for n, name in enumerate(suggest_fit.SIGNALS) if name.startswith("dense")]
    english_only = {lang: {part: [suggest_fit.Stem(np.where(np.isin(np.arange(s.signals.shape[1]), dense), 0.0,
                                                           s.signals), s.wanted) if lang == "fr" else s
                                  for s in found] for part, found in parts.items()} for lang, parts in stems.items()}
    for name, langs, data in (("English", ["en"], stems), ("French", ["fr"], stems), ("both", ["en", "fr"], stems),
                              ("both, dense for English only", ["en", "fr"], english_only)):
        tuning = [s for lang in langs for s in data[lang]["tuning"]]
        weights, strength, found = suggest_fit.choose(tuning)
        held = {lang: share(suggest_fit.ranks(data[lang]["held out"], weights)) for lang in ("en", "fr")}
        lines.append(f"| {name} | {', '.join(f'{w:.2f}' for w in weights)} | {strength} | {share(found)} | "
                     f"{held['en']} | {held['fr']} |")
    return lines


if __name__ == "__main__":
    main()
