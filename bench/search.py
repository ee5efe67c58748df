"""Item search at national scale: N items in the generator's style (with varied clinical wording, statuses and
authors) are turned into search documents by the STUDIO's own mapping, indexed on disk, then searched with
text + type + tag subtree + status as a teacher and as an exam manager; p50/p95 per kind of search."""

from __future__ import annotations

import argparse
import json
import pickle
import random
import shutil
import time

import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS

import tantivy

from bench.common import OUT, percentiles
from services.nquads import Writer as _Writer
from services.synthetic import TOPICS
from services.synthetic_exams import question
from services.studio.search import LAYOUT, item_document, query_groups
from store.search_index import LANGUAGES, STAMP, WORDS as SPLIT, TextIndex
from store.terms import OS, from_ox

BASE = "https://data.ontosides.fr/"
WORDS = ["fièvre", "douleur thoracique", "dyspnée", "insuffisance rénale", "hypertension", "diabète", "anémie",
         "pneumopathie", "méningite", "convulsions", "ictère", "hémorragie", "céphalées", "syncope", "œdème",
         "arythmie", "infection urinaire", "asthme", "sepsis", "déshydratation", "vomissements", "toux",
         "chest pain", "fever", "kidney failure", "stroke", "heart failure", "bleeding", "seizures", "rash"]
STATUSES = ["Draft", "ToReview", "Validated"]


def objectives(items: int = 367, per_item: int = 13) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """The référentiel's objectives (IRI, topic) and each entry's parent."""
    found, parents = [], {}
    for n in range(1, items + 1):
        item = f"{BASE}list/referentiel/IC-{n:03d}"
        for k in range(1, per_item + 1):
            objective = f"{item}/OIC-{n:03d}-{k:02d}"
            found.append((objective, TOPICS[n % len(TOPICS)]))
            parents[objective] = item
    return found, parents


def generated_documents(count: int, watched: list, seed: int = 7):
    """Search documents of `count` generated items; those of university 0 are also kept in `watched`, for
    searches that find something."""
    rng = random.Random(seed)
    tree, parents = objectives()
    ancestors = lambda tags: set(tags) | {parents[t] for t in tags if t in parents}  # noqa: E731
    universities, faculties, teachers = 32, 4, 12
    for n in range(count):
        u, f, t = rng.randrange(universities), rng.randrange(faculties), rng.randrange(teachers)
        ufr, author = f"{BASE}org/univ-{u}/ufr-{f}", f"{BASE}person/t{u}-{f}-{t}"
        writer = _Writer()
        question(writer, rng, BASE, f"n{n}", "QRU" if rng.random() < 0.5 else "QRM", ufr, author, tree)
        quads = list(ox.parse("\n".join(writer.lines) + "\n", ox.RdfFormat.N_QUADS))
        iri = f"{BASE}item/n{n}"
        triples = list(reworded([(from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)) for q in quads],
                                " ".join(rng.sample(WORDS, 3)), rng.choice(STATUSES)))
        if rng.random() < 0.2:
            triples.append((URIRef(iri), DCTERMS.contributor, URIRef(f"{BASE}person/t{u}-{f}-{rng.randrange(teachers)}")))
        document = item_document(f"n{n}", iri, triples, ancestors)
        if u == 0:
            watched.append(document)
        yield document


def reworded(triples, words: str, status: str):
    """The generator's item with clinical words in its statement and a status of its own."""
    for s, p, o in triples:
        if p == OS.statement:
            yield s, p, Literal(f"{o} {words}")
        elif p == OS.status:
            yield s, p, OS[status]
        else:
            yield s, p, o


def by_string_column(index: TextIndex, text: str, groups, limit: int) -> list[dict]:
    """The search as it was before the u64 sort columns: tantivy orders the hits by the string fast field (one
    term-dictionary lookup per hit), for a comparison in the same conditions."""
    clauses = [(tantivy.Occur.Must, tantivy.Query.boolean_query(
        [(tantivy.Occur.Should, index._keyword_query(field, list(values))) for field, values in group.items()]))
        for group in groups]
    fields = [f"{field}_{code}" for field in index.layout.text for code in LANGUAGES]
    clauses.append((tantivy.Occur.Must, index.index.parse_query(SPLIT.sub(" ", text).strip(), fields,
                                                                conjunction_by_default=True)))
    searcher = index.index.searcher()
    hits = searcher.search(tantivy.Query.boolean_query(clauses), limit=limit, count=False, order_by_field="sort",
                           order=tantivy.Order.Asc).hits
    return [json.loads(bytes(searcher.doc(address)["summary"][0])) for _, address in hits]


def main() -> None:
    """Index N generated items, then time filtered searches."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=300, help="searches per kind")
    parser.add_argument("--reuse", action="store_true",
                        help="search the index left by an earlier run of the same size (closed cleanly, same layout)")
    args = parser.parse_args()
    folder = OUT / f"search-{args.items}"
    kept = folder.parent / f"search-{args.items}-watched.pickle"  # beside the index: rebuilds empty its folder
    reuse = args.reuse and kept.exists() and (folder / STAMP).exists() and \
        json.loads((folder / STAMP).read_text()) == LAYOUT.as_stamp(clean=True)
    if not reuse:
        shutil.rmtree(folder, ignore_errors=True)
    index = TextIndex(LAYOUT, folder)
    started = time.perf_counter()
    if reuse:
        watched = pickle.loads(kept.read_bytes())
        print(f"reusing the index of {index.count():,} items in {folder}")
    else:
        watched = []
        count = index.replace_all(generated_documents(args.items, watched))
        kept.write_bytes(pickle.dumps(watched))
        print(f"indexed {count:,} items in {time.perf_counter() - started:.1f} s -> {folder}")

    rng = random.Random(11)
    teacher = f"{BASE}person/t0-0-0"
    managed = {f"{BASE}org/univ-0/ufr-{f}" for f in range(4)}
    mine = [d for d in watched if d.summary["creator"] == teacher or teacher in d.summary["coauthors"]]
    kinds = {
        "teacher: text + type + tag subtree + status": (teacher, set(), mine, True),
        "exam manager: text + type + tag subtree + status": (f"{BASE}person/m0", managed, watched, True),
        "exam manager: one word": (f"{BASE}person/m0", managed, watched, False),
        "exam manager: two words": (f"{BASE}person/m0", managed, watched, None),
        "exam manager: one word, hits ordered by the string column (before)": (f"{BASE}person/m0", managed, watched,
                                                                                False),
    }
    print(f"{'search (of an item the caller may see)':68} {'p50':>8} {'p95':>8}  results (mean)")
    for label, (person, orgs, visible, filtered) in kinds.items():
        samples, sizes = [], []
        for _ in range(args.repeat):
            # Words, type, tag and status of an item the caller may see: every search finds at least it.
            target = rng.choice(visible)
            words = [w for w in WORDS if w in target.text["body"]]
            text = rng.choice(words) if filtered is not None else " ".join(rng.sample(words, 2))
            tag = next(t for t in target.keywords["tag"] if "/OIC-" not in t)
            groups = query_groups(person, False, orgs, set(target.keywords["type"][-1:]) if filtered else None,
                                  tag if filtered else None, None, None,
                                  target.keywords["status"][0] if filtered else None)
            begin = time.perf_counter()
            found = by_string_column(index, text, groups, 100) if "(before)" in label else \
                index.search(text, groups, limit=100)
            samples.append((time.perf_counter() - begin) * 1000)
            sizes.append(len(found))
            if "(before)" in label:  # the same page, in the same order
                assert [f["id"] for f in found] == [f["id"] for f in index.search(text, groups, limit=100)], text
            assert target.key in {f["id"] for f in found} or len(found) == 100, (label, text)
        p50, p95 = percentiles(samples)
        print(f"{label:68} {p50:6.2f} ms {p95:6.2f} ms  {sum(sizes) / len(sizes):.1f}")
    print(f"(a teacher writes ~{args.items // (32 * 4 * 12):,} items; an exam manager sees ~{args.items // 32:,})")
    index.close()


if __name__ == "__main__":
    main()
