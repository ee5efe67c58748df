"""Helpers shared by the benchmarks: timing, percentiles, generated data files."""

from __future__ import annotations

import argparse
import socket
import subprocess
import statistics
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from services.synthetic import Scale, write_nquads

OUT = Path(__file__).resolve().parent / "out"


def percentiles(samples_ms: list[float]) -> tuple[float, float]:
    """(p50, p95) of a list of milliseconds."""
    ordered = sorted(samples_ms)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return statistics.median(ordered), p95


def dataset_file(triples: int) -> tuple[Path, int]:
    """The generated N-Quads file for a size, made once and reused."""
    OUT.mkdir(exist_ok=True)
    path = OUT / f"data-{triples}.nq"
    if not path.exists():
        started = time.perf_counter()
        count = write_nquads(path, Scale.for_triples(triples))
        print(f"generated {count:,} quads in {time.perf_counter() - started:.1f} s -> {path}")
    return path, sum(1 for _ in path.open("rb"))


def arguments(description: str, **more: int) -> argparse.Namespace:
    """--triples N (default 1,000,000), --repeat, and any further integer options given with their defaults."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--triples", type=int, default=1_000_000, help="size of the generated dataset")
    parser.add_argument("--repeat", type=int, default=50, help="samples per latency figure")
    for name, default in more.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=default)
    return parser.parse_args()


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def loaded_platform(triples: int, name: str = "store"):
    """A platform on an on-disk store holding the generated dataset (built once, then reused); a benchmark that
    writes names its own store."""
    from services.dataset import load_file
    from services.lists.seed import ensure_library
    from services.platform import Platform
    from services.settings import Settings

    path, quads = dataset_file(triples)
    location = OUT / f"{name}-{triples}"
    platform = Platform.build(Settings(_env_file=None, store=str(location)))
    platform.ensure_ontology()
    if platform.store.count() < quads:
        started = time.perf_counter()
        load_file(platform, path, validate=False)
        print(f"loaded {quads:,} quads in {time.perf_counter() - started:.1f} s -> {location}")
    ensure_library(platform)
    return platform


@contextmanager
def served(app):
    """Serve an app with uvicorn on a free loopback port; yields its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def stop(process: subprocess.Popen, timeout: float = 10) -> None:
    """Stop a server process: terminate it, and kill it if it has not exited within `timeout` seconds."""
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
