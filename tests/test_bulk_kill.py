"""Killing the process during a bulk import leaves the store openable and without the half-imported graph."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pyoxigraph as ox
import pytest

from store.embedded import OxigraphStore

CHILD = textwrap.dedent("""
    import sys, pyoxigraph as ox
    from store.embedded import OxigraphStore
    store = OxigraphStore(sys.argv[1])
    said = []
    def progress(done):
        if not said:
            said.append(1); print("loading", flush=True)
    graph = ox.NamedNode(sys.argv[3]) if sys.argv[3] != "-" else None
    fmt = ox.RdfFormat.N_QUADS if sys.argv[2].endswith(".nq") else ox.RdfFormat.N_TRIPLES
    store.bulk_load(sys.argv[2], fmt, graph, progress)
    print("finished", flush=True)
""")
GRAPH = "http://example.org/graph/big"


def write_big_file(path, quads: bool, lines: int = 1_500_000) -> None:
    suffix = f" <{GRAPH}>" if quads else ""
    with path.open("w") as f:
        for start in range(0, lines, 100_000):
            f.write("".join(f'<http://example.org/s{i}> <http://example.org/p> "value {i}"{suffix} .\n'
                            for i in range(start, start + 100_000)))


@pytest.mark.parametrize("quads", [False, True], ids=["n-triples", "n-quads"])
def test_kill_during_bulk_import(tmp_path, quads):
    location = tmp_path / "store"
    seed = OxigraphStore(location)
    seed.update('INSERT DATA { GRAPH <http://example.org/graph/kept> { <http://example.org/a> <http://example.org/b> "c" } }')
    seed.close()
    del seed
    data = tmp_path / ("big.nq" if quads else "big.nt")
    write_big_file(data, quads)

    child = subprocess.Popen([sys.executable, "-c", CHILD, str(location), str(data), "-" if quads else GRAPH],
                             stdout=subprocess.PIPE, text=True, cwd=os.getcwd())
    assert child.stdout.readline().strip() == "loading"
    time.sleep(0.4)
    child.send_signal(signal.SIGKILL)
    child.wait(30)
    assert child.returncode == -signal.SIGKILL, "the import finished before the kill: make the file bigger"

    store = OxigraphStore(location)
    assert store.recovered == [GRAPH]
    assert not store.has_graph(ox.NamedNode(GRAPH))
    assert store.has_graph(ox.NamedNode("http://example.org/graph/kept"))
    assert store.ask("ASK { <http://example.org/a> <http://example.org/b> \"c\" }")
    # the same import, run to completion, now succeeds
    assert store.bulk_load(data, ox.RdfFormat.N_QUADS if quads else ox.RdfFormat.N_TRIPLES,
                           None if quads else ox.NamedNode(GRAPH)) == 1_500_000
    store.close()
