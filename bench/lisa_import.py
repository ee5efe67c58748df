"""The LiSA importer on a whole export: files read, repaired, skipped; the repairs and notes by kind; then the
référentiel written into an in-memory store and validated, with its time. `python -m bench.lisa_import [FOLDER]`."""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

from importers.lisa import REPAIRED, SKIPPED, parse_folder
from services.dataset import validate_store
from services.lists.library import ListLibrary
from services.lists.referentiel import import_lisa
from services.lists.seed import ensure_library
from services.platform import Platform
from services.settings import Settings
from store.embedded import OxigraphStore

DEFAULT = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "r2c-lisa-sample"


def measure(folder: Path, write: bool = True) -> dict:
    """Counts of one export: files, objectives, repaired and skipped files, kinds; the write and its check."""
    started = time.perf_counter()
    export = parse_folder(folder)
    parsed_s = time.perf_counter() - started
    by_file: dict[str, set[str]] = {}
    for problem in export.problems:
        by_file.setdefault(problem.file, set()).add(problem.outcome)
    figures = {
        "files": export.files, "items": len(export.items), "objectives": len(export.objectives),
        "repaired_files": sum(1 for outcomes in by_file.values() if REPAIRED in outcomes and SKIPPED not in outcomes),
        "skipped_files": sum(1 for outcomes in by_file.values() if SKIPPED in outcomes),
        "kinds": Counter((p.outcome, p.kind) for p in export.problems),
        "skipped": [str(p) for p in export.problems if p.skipped], "parse_s": parsed_s,
    }
    if write:
        platform = Platform.build(Settings(_env_file=None, store=":memory:"), OxigraphStore())
        platform.ensure_ontology()
        ensure_library(platform)
        started = time.perf_counter()
        report = import_lisa(ListLibrary(platform), folder, "urn:ontosides:admin")
        figures["write_s"] = time.perf_counter() - started
        figures["added"] = len(report.added)
        figures["violations"] = len(validate_store(platform))
    return figures


def main() -> None:
    """Print the figures of one export."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT, help="a LiSA export (IC-NNN/…txt)")
    parser.add_argument("--no-write", action="store_true", help="only parse; do not build and validate the store")
    args = parser.parse_args()
    if not args.folder.is_dir():
        raise SystemExit(f"{args.folder}: not a folder")
    f = measure(args.folder, not args.no_write)
    print(f"LiSA export {args.folder}")
    print(f"files read {f['files']:,}: {f['items']} items, {f['objectives']:,} objectives "
          f"({f['parse_s']:.2f} s to parse)")
    print(f"files repaired {f['repaired_files']:,}, files skipped {f['skipped_files']:,}")
    for (outcome, kind), count in sorted(f["kinds"].items()):
        print(f"  {outcome:9} {kind:28} {count:5,}")
    for line in f["skipped"]:
        print(f"  skipped: {line}")
    if "write_s" in f:
        print(f"written to an in-memory store: {f['added']:,} entries in {f['write_s']:.2f} s; "
              f"store validation: {f['violations']} violation(s)")


if __name__ == "__main__":
    main()
