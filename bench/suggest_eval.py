"""Tag-suggestion accuracy on the LiSA sample: each objective's body text is the query; the answer is
its own objective (and its knowledge item). Prints top-1 and top-5 accuracy."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from importers.lisa import parse_folder
from services.lists.library import ListLibrary
from services.lists.referentiel import import_lisa
from services.lists.repository import OFFICIEL
from services.lists.seed import ensure_library
from services.platform import Platform
from services.settings import Settings
from services.studio.suggest import Suggester
from store.embedded import OxigraphStore

DEFAULT = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "r2c-lisa-sample"


def evaluate(folder: Path) -> dict:
    """Accuracy figures of the suggester on a LiSA export."""
    platform = Platform.build(Settings(_env_file=None, store=":memory:"), OxigraphStore())
    platform.ensure_ontology()
    ensure_library(platform)
    library = ListLibrary(platform)
    import_lisa(library, folder, "urn:ontosides:admin")
    entries = library.effective("referentiel", OFFICIEL).entries
    suggester = Suggester(entries)
    export = parse_folder(folder)
    base = library.repo.base
    hits = {"objective@1": 0, "objective@5": 0, "item@1": 0, "item@5": 0}
    asked = 0
    started = time.perf_counter()
    for objective in export.objectives:
        if len(objective.body) < 40:
            continue
        asked += 1
        want = f"{base}list/referentiel/{objective.identifier}"
        item = f"{base}list/referentiel/IC-{objective.item_number:03d}"
        found = suggester.suggest(objective.body, limit=5)
        iris = [s.iri for s in found]
        items = [s.iri if s.parent is None else s.parent for s in found]
        hits["objective@1"] += iris[:1] == [want]
        hits["objective@5"] += want in iris
        hits["item@1"] += items[:1] == [item]
        hits["item@5"] += item in items
    elapsed = (time.perf_counter() - started) * 1000 / max(asked, 1)
    return {"queries": asked, "entries": len(entries), "ms_per_query": elapsed,
            **{k: v / max(asked, 1) for k, v in hits.items()}}


def main() -> None:
    """Print the accuracy figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT)
    args = parser.parse_args()
    r = evaluate(args.folder)
    print(f"{r['queries']} queries (objective body texts) against {r['entries']} référentiel entries "
          f"(labels and descriptions only), {r['ms_per_query']:.1f} ms per query")
    print(f"objective: top-1 {r['objective@1']:.1%}  top-5 {r['objective@5']:.1%}")
    print(f"item:      top-1 {r['item@1']:.1%}  top-5 {r['item@5']:.1%}")


if __name__ == "__main__":
    main()
