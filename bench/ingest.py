"""Ingest: our all-or-nothing import vs raw `pyoxigraph.Store.bulk_load`, same data, fresh on-disk stores."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

from bench.common import arguments, dataset_file
from services.dataset import load_file, validate_store
from services.lists.seed import ensure_library
from services.platform import Platform
from services.settings import Settings
from store.embedded import OxigraphStore


def main() -> None:
    """Print triples per second of both paths and their ratio."""
    args = arguments(__doc__)
    path, quads = dataset_file(args.triples)
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        raw_dir, ours_dir = Path(tmp) / "raw", Path(tmp) / "ours"
        started = time.perf_counter()
        raw = ox.Store(str(raw_dir))
        raw.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)
        raw.flush()
        raw_s = time.perf_counter() - started
        del raw

        started = time.perf_counter()
        store = OxigraphStore(ours_dir)
        platform = Platform.build(Settings(_env_file=None, store=str(ours_dir)), store)
        platform.ensure_ontology()
        report = load_file(platform, path, validate=False)
        ensure_library(platform)
        store.native.flush()
        ours_s = time.perf_counter() - started
        assert report.quads == quads, (report.quads, quads)

        started = time.perf_counter()
        violations = validate_store(platform)
        validate_s = time.perf_counter() - started
        store.close()
        shutil.rmtree(raw_dir, ignore_errors=True)

    print(f"dataset: {quads:,} quads ({path.stat().st_size / 1e6:.0f} MB N-Quads)")
    print(f"raw pyoxigraph bulk_load : {raw_s:6.1f} s  {quads / raw_s:10,.0f} triples/s")
    print(f"ontosides import         : {ours_s:6.1f} s  {quads / ours_s:10,.0f} triples/s  "
          f"(ratio {raw_s / ours_s:.2f} of raw speed)")
    print(f"full SHACL pass, graph by graph: {validate_s:6.1f} s  {quads / validate_s:10,.0f} triples/s  "
          f"({len(violations)} violations)")


if __name__ == "__main__":
    main()
