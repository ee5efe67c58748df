"""Item writes in the STUDIO (tag check, shape check, one transaction) on a store holding the generated
dataset: p50/p95 through the service, then through `POST /items` and `PUT /items/{id}` of a real server
(`ontosides serve` in its own process) with one writer, then the throughput of concurrent clients."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import httpx

from bench.common import OUT, arguments, free_port, loaded_platform, percentiles, stop
from services.lists.library import ListLibrary
from services.studio.items import Caller, Studio
from services.studio.model import Item

AUTHOR = "person/t0-0-0"
UFR = "org/univ-0/ufr-0"


def sample(base: str, n: int, tag: str) -> dict:
    """A QRU item tagged with a référentiel objective."""
    return {"kind": "QI", "title": f"Bench QRU {n}", "owner": f"{base}{UFR}", "tags": [tag],
            "question": {"type": "QRU", "statement": "Quel germe cause le plus souvent l'angine bactérienne ?",
                         "options": [{"text": t, "correct": i == 0} for i, t in enumerate(
                             ["Streptocoque A", "Staphylocoque", "Pneumocoque", "Haemophilus", "Virus"])],
                         "teaching_comment": "Le streptocoque du groupe A."}}


def timed(call) -> tuple[float, object]:
    """(milliseconds, result) of a call."""
    started = time.perf_counter()
    result = call()
    return (time.perf_counter() - started) * 1000, result


def line(label: str, samples: list[float]) -> None:
    """Print p50/p95 of a list of milliseconds."""
    p50, p95 = percentiles(samples)
    print(f"{label:34} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  ({len(samples)} requests)")


class Server:
    """`ontosides serve` on the bench store, in its own process (one uvicorn worker, as deployed)."""

    def __init__(self, store: str, token: str, person: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "ONTOSIDES_USER_TOKENS": f'{{"{token}": "{person}"}}', "ONTOSIDES_STORE": store}
        self.log = (OUT / "items-server.log").open("w")
        self.process = subprocess.Popen([sys.executable, "-c", "from cli.main import main; main()", "serve",
                                         "--port", str(self.port)],
                                        env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def __enter__(self) -> Server:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server stopped; see {self.log.name}")
            try:
                if httpx.get(f"{self.url}/queries", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("the server did not start")

    def __exit__(self, *exc) -> None:
        stop(self.process, 30)
        self.log.close()


def concurrent_creates(url: str, headers: dict, body, clients: int, per_client: int) -> tuple[float, list, list]:
    """(seconds, latencies, created ids) of `clients` threads each posting `per_client` items."""
    latencies: list[float] = []
    created: list[str] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)

    def client(k: int) -> None:
        with httpx.Client(timeout=60, headers=headers) as http:
            http.get(f"{url}/queries")
            start.wait()
            for n in range(per_client):
                ms, response = timed(lambda: http.post(f"{url}/items", json=body(k * per_client + n)))
                with lock:
                    latencies.append(ms)
                    if response.status_code == 201:
                        created.append(response.json()["id"])
                    else:
                        errors.append(response.text)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"{len(errors)} failed writes, e.g. {errors[0]}")
    return time.perf_counter() - started, latencies, created


def main() -> None:
    """Print item-write latencies and throughput."""
    args = arguments(__doc__, clients=10)
    platform = loaded_platform(args.triples)
    base = platform.settings.base_iri
    studio = Studio(platform, ListLibrary(platform))
    caller = Caller(f"{base}{AUTHOR}")
    objective = next(r.iri for r in studio.lists.effective("referentiel", f"{base}{UFR}").entries
                     if r.entry.parent == f"{base}list/referentiel/IC-001")
    repeat = max(args.repeat, 200)
    quads = platform.store.count()
    print(f"item writes (QRU, 5 options, 1 tag: tag check + shape check + one transaction) on {quads:,} quads")

    created, revisions = [], {}
    creates, updates = [], []
    for n in range(repeat):
        ms, item = timed(lambda: studio.create(Item(**sample(base, n, objective)), caller))
        creates.append(ms)
        created.append(item["id"])
    for n, item_id in enumerate(created):
        ms, _ = timed(lambda: studio.update(item_id, Item(**sample(base, n + 1000, objective)), caller))
        updates.append(ms)
        revisions[item_id] = 1
    line("service create", creates)
    line("service update (new revision)", updates)
    platform.close()

    headers = {"Authorization": "Bearer bench"}
    with Server(str(OUT / f"store-{args.triples}"), "bench", f"{base}{AUTHOR}") as server, \
            httpx.Client(timeout=60, headers=headers) as http:
        posts, puts = [], []
        for n in range(repeat):
            ms, response = timed(lambda: http.post(f"{server.url}/items", json=sample(base, n, objective)))
            assert response.status_code == 201, response.text
            posts.append(ms)
            created.append(response.json()["id"])
        for n, item_id in enumerate(created[-repeat:]):
            ms, response = timed(lambda: http.put(f"{server.url}/items/{item_id}",
                                                  json=sample(base, n + 1000, objective)))
            assert response.status_code == 200, response.text
            puts.append(ms)
            revisions[item_id] = 1
        line("POST /items, one writer", posts)
        line("PUT /items/{id}, one writer", puts)
        per_client = max(repeat // args.clients * 2, 20)
        seconds, latencies, ids = concurrent_creates(server.url, headers, lambda n: sample(base, n, objective),
                                                     args.clients, per_client)
        created += ids
        print(f"POST /items, {args.clients} clients: {len(ids) / seconds:6.1f} items/s "
              f"({len(ids)} items in {seconds:.1f} s)")
        line(f"  latency with {args.clients} clients", latencies)

    platform = loaded_platform(args.triples)
    studio = Studio(platform, ListLibrary(platform))
    for item_id in created:
        studio.delete(item_id, Caller(None, is_admin=True))
        for number in range(1, revisions.get(item_id, 0) + 1):
            platform.writer.drop_graph(f"{studio.graph_iri(item_id)}/rev/{number}")
    platform.close()


if __name__ == "__main__":
    main()
