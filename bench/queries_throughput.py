"""Dashboard throughput: `GET /queries/{name}/run` on a real uvicorn server process, 10 concurrent clients.

    python -m bench.queries_throughput [--triples 1000000] [--clients 10] [--seconds 10] [--data FILE.nq]

The store is the generated dataset (loaded once into bench/out/throughput-{N}, reused); the server is
`api.app.create_app` under uvicorn in a subprocess (one worker, as `ontosides serve` runs); each client is an
asyncio task with its own keep-alive connection sending requests back to back with the administrator's token.
Per named query: requests/s over the run, p50/p95 latency, and errors. Goal (issue 15): ≥ 50 requests/s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import httpx

from bench.common import OUT, free_port, percentiles, stop

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-queries-throughput-admin-token-0123456789"
BASE = "https://data.ontosides.fr/"
# The dashboards' named queries, with parameters taken from the generated data's names.
DASHBOARD = [
    ("question_success", {"epreuve": f"{BASE}exam/u0f0e0/epreuve/1"}),
    ("success_by_referentiel_item", {}),
    ("success_by_referentiel_entry", {}),
    ("item_usage", {"item": None}),
    ("student_progress", {"student": f"{BASE}person/s0-0-0"}),
    ("students_in_difficulty", {}),
]


def server_app():
    """The platform's app as `ontosides serve` builds it (uvicorn --factory target)."""
    from api.app import create_app
    from services.settings import Settings

    return create_app(Settings())


def prepare(triples: int, data: Path | None) -> Path:
    """The on-disk store holding the generated dataset (generated and loaded once)."""
    from services.dataset import load_file
    from services.lists.seed import ensure_library
    from services.platform import Platform
    from services.settings import Settings
    from services.synthetic import Scale, write_nquads

    OUT.mkdir(exist_ok=True)
    location = OUT / f"throughput-{triples}"
    if data is None:
        data = OUT / f"throughput-data-{triples}.nq"
        if not data.exists():
            started = time.perf_counter()
            count = write_nquads(data, Scale.for_triples(triples))
            print(f"generated {count:,} quads in {time.perf_counter() - started:.1f} s -> {data}")
    platform = Platform.build(Settings(_env_file=None, store=str(location)))
    platform.ensure_ontology()
    with data.open("rb") as lines:
        quads = sum(1 for _ in lines)
    if platform.store.count() < quads:
        started = time.perf_counter()
        load_file(platform, data, validate=False)
        print(f"loaded {platform.store.count():,} quads in {time.perf_counter() - started:.1f} s -> {location}")
    ensure_library(platform)
    platform.store.close()
    return location


def start_server(store: Path, port: int) -> subprocess.Popen:
    env = dict(os.environ, ONTOSIDES_STORE=str(store), ONTOSIDES_ADMIN_TOKEN=TOKEN, HF_HUB_OFFLINE="1")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    log = (OUT / "queries_throughput-server.log").open("ab")
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", "bench.queries_throughput:server_app", "--factory",
                                "--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level",
                                "warning"], cwd=ROOT, env=env, stdout=log, stderr=log)
    started = time.perf_counter()
    while time.perf_counter() - started < 300:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited ({process.returncode}); see {log.name}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("the server did not start")


def cpu_seconds(pid: int) -> float:
    """A process's CPU seconds so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_idle(process: subprocess.Popen, limit_s: float = 900.0) -> float:
    """Wait until the server's start-up work in the background (the search index rebuilt after a bulk load, the
    list library read) is over: under 0.1 s of CPU in 2 s. Returns the seconds waited."""
    started = time.perf_counter()
    before = cpu_seconds(process.pid)
    while time.perf_counter() - started < limit_s:
        time.sleep(2)
        now = cpu_seconds(process.pid)
        if now - before < 0.1:
            break
        before = now
    return time.perf_counter() - started


async def load(url: str, params: dict, clients: int, seconds: float) -> dict:
    """`clients` tasks sending the request back to back for `seconds`; latencies and errors."""
    headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/sparql-results+json"}
    latencies: list[float] = []
    errors: list[str] = []
    rows = [0]
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        async with httpx.AsyncClient(headers=headers, timeout=120) as http:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = await http.get(url, params=params)
                latencies.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    errors.append(f"{response.status_code} {response.text[:80]}")
                else:
                    rows[0] = len(response.json()["results"]["bindings"])

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    p50, p95 = percentiles(latencies) if latencies else (0.0, 0.0)
    return {"requests": len(latencies), "rate": len(latencies) / elapsed, "p50": p50, "p95": p95,
            "errors": errors, "rows": rows[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--triples", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--data", type=Path, default=None, help="N-Quads to load instead of generating them")
    parser.add_argument("--only", nargs="*", default=None, help="named queries to run (default: the dashboards')")
    args = parser.parse_args()
    store = prepare(args.triples, args.data)
    port = free_port()
    server = start_server(store, port)
    try:
        print(f"server idle after {wait_idle(server):.0f} s of start-up work (search index, list library)")
        base = f"http://127.0.0.1:{port}"
        headers = {"Authorization": f"Bearer {TOKEN}"}
        item = httpx.get(f"{base}/sparql", headers=headers, timeout=60, params={
            "query": "SELECT ?i WHERE { ?s <https://w3id.org/ontosides#itemOf> ?i } LIMIT 1"}).json()
        item = item["results"]["bindings"][0]["i"]["value"]
        print(f"GET /queries/{{name}}/run, {args.clients} concurrent clients, {args.seconds:g} s each, one uvicorn "
              f"worker; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        # server CPU ms/request: the server process's CPU time over the run / requests; 1000 / that is the rate one
        # worker could sustain with a core of its own (this machine is shared: the measured rate is what was left).
        print(f"{'named query':30} {'rows':>6} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
              f"{'CPU ms/req':>9} {'req/s/core':>9} errors")
        rates = []
        for name, params in DASHBOARD:
            if args.only and name not in args.only:
                continue
            params = {k: (item if v is None else v) for k, v in params.items()}
            url = f"{base}/queries/{name}/run"
            asyncio.run(load(url, params, 1, 1.0))  # warm-up
            cpu = cpu_seconds(server.pid)
            r = asyncio.run(load(url, params, args.clients, args.seconds))
            per_request = (cpu_seconds(server.pid) - cpu) * 1000 / max(1, r["requests"])
            rates.append(r["rate"])
            print(f"{name:30} {r['rows']:>6} {r['requests']:>9} {r['rate']:>8.1f} {r['p50']:>8.1f} {r['p95']:>8.1f} "
                  f"{per_request:>9.1f} {1000 / per_request:>9.0f} "
                  f"{len(r['errors'])}{' ' + r['errors'][0][:60] if r['errors'] else ''}")
        if rates:
            print(f"lowest {min(rates):.1f} req/s, median {statistics.median(rates):.1f} req/s "
                  f"(goal ≥ 50); load average now {os.getloadavg()[0]:.1f}")
    finally:
        stop(server, 30)


if __name__ == "__main__":
    main()
