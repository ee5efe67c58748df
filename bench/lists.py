"""Effective référentiel at a UFR with 100 local changes, real size (~367 items, ~4,800 objectives),
measured through the HTTP API on a real server (on-disk store)."""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import httpx

from api.app import create_app
from bench.common import percentiles, served
from services.synthetic import Scale
from services import dataset
from services.lists.library import ListLibrary
from services.platform import Platform
from services.settings import Settings

ADMIN = "urn:ontosides:admin"


def local_changes(library: ListLibrary, level: str, count: int, seed: int = 7) -> None:
    """Make `count` local changes at a level: hides, relabels, reorders and additions."""
    rng = random.Random(seed)
    entries = library.effective("referentiel", level).entries
    targets = rng.sample([r.iri for r in entries], count)
    for n, target in enumerate(targets):
        kind = n % 10
        if kind < 4:
            library.change("referentiel", level, "hide", target, ADMIN)
        elif kind < 7:
            library.change("referentiel", level, "relabel", target, ADMIN, labels={"fr": f"Libellé local {n}"})
        elif kind < 9:
            library.change("referentiel", level, "reorder", target, ADMIN, order=rng.randint(1, 20))
        else:
            library.add_entry("referentiel", level, {"fr": f"Objectif facultaire {n}"}, ADMIN, parent=target)


def main() -> None:
    """Print p50/p95 of the effective référentiel at a UFR, warm and right after a change upstream."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--changes", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, store=str(Path(tmp) / "store"), admin_token="bench")
        platform = Platform.build(settings)
        scale = Scale(universities=2, students_per_faculty=20, referentiel_items=367, objectives_per_item=13,
                      questions_per_faculty=20, questions_per_epreuve=10)
        dataset.load_demo(platform, scale)
        app = create_app(settings, platform.store)
        library: ListLibrary = app.state.lists
        ufr = f"{settings.base_iri}org/univ-0/ufr-0"
        started = time.perf_counter()
        local_changes(library, ufr, args.changes)
        per_change = (time.perf_counter() - started) * 1000 / args.changes
        with served(app) as base_url, httpx.Client(timeout=60) as client:
            url = f"{base_url}/lists/referentiel"
            first = client.get(url, params={"level": ufr})
            doc = first.json()
            print(f"référentiel: {doc['count']:,} visible entries at the UFR "
                  f"({args.changes} local changes, {len(doc['hidden'])} hidden; {len(first.content) / 1e6:.1f} MB JSON)")
            print(f"one local change (validated, with history): {per_change:.1f} ms on average")
            for fmt in ("json", "csv", "turtle"):
                warm = []
                for _ in range(args.repeat):
                    t = time.perf_counter()
                    assert client.get(url, params={"level": ufr, "format": fmt}).status_code == 200
                    warm.append((time.perf_counter() - t) * 1000)
                p50, p95 = percentiles(warm)
                print(f"GET effective ({fmt:6}) warm:                 p50 {p50:6.1f} ms  p95 {p95:6.1f} ms")
            cold = []
            officiel = "https://w3id.org/ontosides#Officiel"
            entries = [e["iri"] for e in doc["entries"]]
            for n in range(max(20, args.repeat // 10)):
                library.change("referentiel", officiel, "relabel", entries[n], ADMIN, labels={"en": f"Upstream {n}"})
                t = time.perf_counter()
                assert client.get(url, params={"level": ufr}).status_code == 200
                cold.append((time.perf_counter() - t) * 1000)
            p50, p95 = percentiles(cold)
            print(f"GET effective (json) after an upstream change: p50 {p50:6.1f} ms  p95 {p95:6.1f} ms")
        platform.store.close()


if __name__ == "__main__":
    main()
