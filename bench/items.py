"""Item writes in the STUDIO (create with tag checks and SHACL validation), p50/p95, on a store holding
the generated dataset: through the service, and through the HTTP API of a running server."""

from __future__ import annotations

import time

import httpx

from api.app import create_app
from bench.common import arguments, loaded_platform, percentiles, served
from services.studio.items import Caller
from services.studio.model import Item


def sample(base: str, n: int, tag: str) -> dict:
    """A QRU item tagged with a référentiel objective."""
    return {"kind": "QI", "title": f"Bench QRU {n}", "owner": f"{base}org/univ-0/ufr-0", "tags": [tag],
            "question": {"type": "QRU", "statement": "Quel germe cause le plus souvent l'angine bactérienne ?",
                         "options": [{"text": t, "correct": i == 0} for i, t in enumerate(
                             ["Streptocoque A", "Staphylocoque", "Pneumocoque", "Haemophilus", "Virus"])],
                         "teaching_comment": "Le streptocoque du groupe A."}}


def main() -> None:
    """Print item-create latencies."""
    args = arguments(__doc__)
    platform = loaded_platform(args.triples)
    base = platform.settings.base_iri
    settings = platform.settings.model_copy(update={"user_tokens": {"bench": f"{base}person/t0-0-0"}})
    app = create_app(settings, platform.store)
    studio = app.state.studio
    caller = Caller(f"{base}person/t0-0-0")
    tag = f"{base}list/referentiel/IC-001"
    objective = next(r.iri for r in studio.lists.effective("referentiel", f"{base}org/univ-0/ufr-0").entries
                     if r.entry.parent == tag)
    repeat = max(args.repeat, 200)
    created, service = [], []
    for n in range(repeat):
        item = Item(**sample(base, n, objective))
        started = time.perf_counter()
        created.append(studio.create(item, caller)["id"])
        service.append((time.perf_counter() - started) * 1000)
    http = []
    with served(app) as url, httpx.Client(timeout=30, headers={"Authorization": "Bearer bench"}) as client:
        for n in range(repeat):
            started = time.perf_counter()
            response = client.post(f"{url}/items", json=sample(base, n, objective))
            http.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 201, response.text
            created.append(response.json()["id"])
    for item_id in created:
        platform.writer.drop_graph(studio.graph_iri(item_id))
    print(f"item create (QRU, 5 options, 1 tag; tag check + SHACL + one transaction) on "
          f"{platform.store.count():,} quads, {repeat} items each")
    p50, p95 = percentiles(service)
    print(f"service call:  p50 {p50:6.1f} ms  p95 {p95:6.1f} ms")
    p50, p95 = percentiles(http)
    print(f"POST /items:   p50 {p50:6.1f} ms  p95 {p95:6.1f} ms")
    platform.store.close()


if __name__ == "__main__":
    main()
