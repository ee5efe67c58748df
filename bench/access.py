"""What access control costs a request: GET /items/{id} and /sparql with the policy, and without it.

"Without" keeps everything else equal: the same caller and the same dataset for their queries, given as
constants instead of being proved (token), looked up (functions) and computed (readable graphs) per request.
Measured through a real uvicorn server on the generated store (`--triples`, default 1M).
"""

from __future__ import annotations

import tempfile
import time

import httpx

from api.app import create_app
from api.deps import read_scope
from api.route_table import permission_dependencies
from api.security import authenticate
from bench.common import arguments, loaded_platform, percentiles, served

TEACHER = "t0-0-0"


def timed(url: str, headers: dict, repeat: int) -> list[float]:
    """Milliseconds of each GET, after a warm-up."""
    samples = []
    with httpx.Client(headers=headers, timeout=60) as client:
        for i in range(repeat + 10):
            started = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, response.text[:200]
            if i >= 10:
                samples.append(elapsed)
    return samples


def check_cost(app, token: str, rounds: int = 2000) -> float:
    """Milliseconds the policy spends on one request once its caches are warm, measured in process."""
    from starlette.requests import Request

    from api.security import principal_for_token

    request = Request({"type": "http", "app": app, "headers": [], "method": "GET", "path": "/", "query_string": b""})
    policy = app.state.access.policy

    def once():
        principal = principal_for_token(request, token)
        policy.allows(principal, "items:read")
        policy.readable_graphs(principal)

    for _ in range(50):
        once()
    started = time.perf_counter()
    for _ in range(rounds):
        once()
    return (time.perf_counter() - started) * 1000 / rounds


def main() -> None:
    """Print p50/p95 with and without the policy, and the difference."""
    args = arguments(__doc__)
    platform = loaded_platform(args.triples)
    app = create_app(platform.settings, platform.store)
    base = platform.settings.base_iri
    token, _ = app.state.access.tokens.issue(f"{base}person/{TEACHER}", "bench", 1, None)
    item = next(row["item"].value for row in platform.store.select(platform.queries.get("items_index").text)
                if row["creator"].value == f"{base}person/{TEACHER}")
    query = "SELECT ?e WHERE { ?p <https://w3id.org/ontosides#email> ?e } LIMIT 10"
    paths = {"GET /items/{id}": f"/items/{item.rsplit('/', 1)[-1]}",
             "GET /sparql": "/sparql?" + str(httpx.QueryParams({"query": query}))}
    headers = {"Authorization": f"Bearer {token}"}
    principal = app.state.access.directory.principal(f"{base}person/{TEACHER}", "token")
    readable = app.state.access.policy.readable_graphs(principal)
    print(f"{args.triples:,} triples; the teacher reads {len(readable)} graphs; {args.repeat} requests per figure")
    print(f"the check alone (token, functions, permission, readable graphs; cached): "
          f"{check_cost(app, token) * 1000:.1f} µs per request")
    cold = []
    for _ in range(20):  # after a write every cache keyed on the store's generation is cold
        platform.store.wrote()
        app.state.access.directory.forget()
        started = time.perf_counter()
        app.state.access.policy.readable_graphs(app.state.access.directory.principal(f"{base}person/{TEACHER}", "token"))
        cold.append((time.perf_counter() - started) * 1000)
    c50, c95 = percentiles(cold)
    print(f"cold (right after a write): the teacher's functions and readable graphs read again in "
          f"{c50:.1f} ms p50, {c95:.1f} ms p95")
    # Its own search folder: two apps on one store must not both hold the items' index writer.
    bare = create_app(platform.settings.model_copy(update={"search_dir": tempfile.mkdtemp(prefix="bench-access-")}),
                      platform.store)

    def same_caller():
        return principal

    async def same_caller_at_once():
        return principal

    def same_graphs():
        return readable

    # The overrides run as the real ones do (authentication and the dataset in a thread, the permission on the
    # event loop): only the work differs.
    bare.dependency_overrides[authenticate] = same_caller
    bare.dependency_overrides[read_scope] = same_graphs
    for requirement in permission_dependencies(bare):
        bare.dependency_overrides[requirement] = same_caller_at_once
    samples: dict[tuple, list[float]] = {}
    # Alternate the two apps in rounds, so a busy moment of the machine weighs on both alike.
    with served(app) as with_url, served(bare) as without_url:
        for _ in range(5):
            for variant, url in (("with", with_url), ("without", without_url)):
                for name, path in paths.items():
                    samples.setdefault((name, variant), []).extend(timed(url + path, headers, args.repeat // 5))
    results = {key: percentiles(values) for key, values in samples.items()}
    print(f"{'request':18} {'with p50':>9} {'p95':>7} {'without p50':>12} {'p95':>7} {'policy p50':>11}")
    for name in paths:
        (w50, w95), (o50, o95) = results[(name, "with")], results[(name, "without")]
        print(f"{name:18} {w50:8.2f}ms {w95:6.2f}ms {o50:11.2f}ms {o95:6.2f}ms {w50 - o50:+10.2f}ms")


if __name__ == "__main__":
    main()
