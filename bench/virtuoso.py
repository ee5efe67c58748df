"""Virtuoso 7 behind the remote adapter: start-up, load, every named query on both engines (same answers?),
and what each way of keeping Virtuoso's own graphs out of the default graph costs.

Runs a private Virtuoso (tests/virtuoso_server.py) on loopback with --buffers 8 KiB pages; stops it after.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pyoxigraph as ox

from bench.common import arguments, loaded_platform
from bench.queries import sample_arguments
from store.dialects import VIRTUOSO_SYSTEM_GRAPHS
from store.errors import StoreError
from store.port import GraphResult
from store.remote import RemoteEndpoints, RemoteSparqlStore
from tests.virtuoso_server import VirtuosoServer

UNION_COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
CLASS_COUNT = "SELECT ?t (COUNT(*) AS ?n) WHERE { ?s a ?t } GROUP BY ?t"


def p50(run, repeat: int) -> float:
    """Median milliseconds of run() after one warm-up."""
    run()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def comparable(term) -> str:
    """A term as text, decimals to 12 significant digits (the engines print different numbers of digits)."""
    if isinstance(term, ox.Literal) and term.datatype.value.endswith(("#decimal", "#double", "#float")):
        return f"{float(term.value):.12g}"
    return str(term)


def answers(result) -> list:
    """A comparable form of a result: sorted rows of term strings, blank nodes left out."""
    if isinstance(result, bool):
        return [result]
    if isinstance(result, GraphResult):
        return sorted(str(t) for t in result.triples if not isinstance(t.subject, ox.BlankNode))
    return sorted(tuple(sorted((k, comparable(v)) for k, v in row.items() if not isinstance(v, ox.BlankNode)))
                  for row in result)


def compare_named_queries(platform, virtuoso: RemoteSparqlStore, repeat: int) -> None:
    """Each named query on both engines: same answers, and their p50s."""
    params = sample_arguments(platform)
    print(f"{'named query':32} {'rows':>6} {'same':>5} {'embedded p50':>13} {'virtuoso p50':>13} {'ratio':>6}")
    for query in platform.queries.all():
        bindings = query.bind(params.get(query.name, {}))
        here = platform.store.execute(query.text, bindings)
        try:
            there = virtuoso.execute(query.text, bindings)
        except StoreError as exc:
            print(f"{query.name:32} Virtuoso failed: {str(exc)[:90]}")
            continue
        same = answers(here) == answers(there)
        embedded = p50(lambda: platform.store.execute(query.text, bindings), repeat)
        remote = p50(lambda: virtuoso.execute(query.text, bindings), repeat)
        rows = 1 if isinstance(here, bool) else len(here)
        print(f"{query.name:32} {rows:>6} {'yes' if same else 'NO':>5} {embedded:>11.1f}ms {remote:>11.1f}ms "
              f"{embedded / remote:>6.2f}")


def default_graph_methods(server: VirtuosoServer, graphs: list[str], repeat: int) -> None:
    """The cost of each way of making the default graph the union of the data graphs, on two queries."""
    client = httpx.Client(timeout=600)
    dba = httpx.DigestAuth("dba", "dba")
    pragma = "".join(f"define input:default-graph-exclude <{g}> " for g in VIRTUOSO_SYSTEM_GRAPHS)
    listed = [("default-graph-uri", g) for g in graphs]
    methods = {
        "none (dba: sees Virtuoso's graphs)": ("/sparql-auth", "", [], dba),
        "private graphs (the setup used)": ("/sparql", "", [], None),
        "define input:default-graph-exclude": ("/sparql", pragma, [], None),
        f"default-graph-uri x {len(graphs)} graphs": ("/sparql", "", listed, None),
    }
    print(f"\n{'default graph = union of data graphs, by':42} {'COUNT(*) p50':>13} {'n':>9} "
          f"{'classes p50':>12} {'n':>4}")
    for label, (path, prefix, form, auth) in methods.items():
        figures = []
        for query in (UNION_COUNT, CLASS_COUNT):
            def run():
                reply = client.post(f"{server.url}{path}", content=urlencode([("query", prefix + query), *form]),
                                    headers={"Accept": "application/sparql-results+json",
                                             "Content-Type": "application/x-www-form-urlencoded"}, auth=auth)
                reply.raise_for_status()
                return reply.json()["results"]["bindings"]
            rows = run()
            figures.append((p50(run, repeat), rows[0]["n"]["value"] if query is UNION_COUNT else len(rows)))
        (count_ms, n), (class_ms, classes) = figures
        print(f"{label:42} {count_ms:>11.1f}ms {n:>9} {class_ms:>10.1f}ms {classes:>4}")
    client.close()


def main() -> None:
    """Print start-up and load times, the named queries on both engines, the default-graph methods."""
    args = arguments(__doc__)
    platform = loaded_platform(args.triples)
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / "all.nq"
        with dump.open("wb") as f:
            platform.store.dump(f, ox.RdfFormat.N_QUADS)
        with VirtuosoServer(buffers=100_000) as server:
            print(f"Virtuoso 7 started in {server.started_in_s:.1f} s (fresh database, user and private graphs set up)")
            started = time.perf_counter()
            server.bulk_load(dump)
            print(f"loaded {platform.store.count():,} quads in {time.perf_counter() - started:.1f} s "
                  "(ld_add + rdf_loader_run + checkpoint)")
            virtuoso = RemoteSparqlStore(RemoteEndpoints.virtuoso(server.url, server.user, server.password))
            repeat = max(3, args.repeat // 10)
            compare_named_queries(platform, virtuoso, repeat)
            default_graph_methods(server, [g.value for g in virtuoso.named_graphs()], repeat)
            virtuoso.close()


if __name__ == "__main__":
    main()
