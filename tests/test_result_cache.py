"""Named-query results kept for the dashboards: answered from memory for the same query, parameters, dataset and
format while the store's generation holds and for `ttl_s` at most; another caller's dataset, other parameters
or a write run the query again."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.result_cache import ResultCache
from services import dataset
from services.platform import Platform
from services.synthetic import Scale
from store.embedded import OxigraphStore
from tests.conftest import ADMIN_TOKEN, make_settings

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def test_entries_last_one_generation_and_their_time_and_the_oldest_go_first(monkeypatch):
    cache = ResultCache(entries=2, ttl_s=10)
    clock = [100.0]
    monkeypatch.setattr("api.result_cache.time.monotonic", lambda: clock[0])
    cache.put(("a",), 1, b"A", "text/csv")
    assert cache.get(("a",), 1) == (b"A", "text/csv")
    assert cache.get(("a",), 2) is None and cache.get(("a",), 1) is None  # a write dropped it
    cache.put(("a",), 1, b"A", "text/csv")
    clock[0] += 11
    assert cache.get(("a",), 1) is None  # too old
    for key in ("x", "y", "z"):
        cache.put((key,), 1, key.encode(), "text/csv")
    assert cache.get(("x",), 1) is None and cache.get(("z",), 1) == (b"z", "text/csv")
    small = ResultCache(max_bytes=3)
    small.put(("big",), 1, b"four", "text/csv")
    assert small.get(("big",), 1) is None


@pytest.fixture(scope="module")
def app():
    settings = make_settings(user_tokens={})
    platform = Platform.build(settings, OxigraphStore(base_iri=settings.base_iri))
    dataset.load_demo(platform, Scale(universities=1, students_per_faculty=3, questions_per_faculty=4,
                                      referentiel_items=2, objectives_per_item=2, questions_per_epreuve=2))
    return create_app(settings, platform.store)


def test_a_named_query_runs_once_until_the_store_changes(app, monkeypatch):
    client = TestClient(app)
    store = app.state.platform.store
    runs = []
    real = store.execute

    def counted(*args, **kwargs):
        if "Success rate per référentiel item" in args[0]:  # the named query, not the policy's own reads
            runs.append(args[0][:40])
        return real(*args, **kwargs)

    monkeypatch.setattr(store, "execute", counted)
    first = client.get("/queries/success_by_referentiel_item/run", params={"format": "csv"}, headers=ADMIN)
    second = client.get("/queries/success_by_referentiel_item/run", params={"format": "csv"}, headers=ADMIN)
    assert first.status_code == second.status_code == 200 and first.content == second.content
    assert len(runs) == 1
    assert client.get("/queries/success_by_referentiel_item/run", params={"format": "json"}, headers=ADMIN).status_code == 200
    assert len(runs) == 2  # another format is another entry
    assert client.get("/queries/success_by_referentiel_item/run", params={"format": "csv"}).status_code == 200
    assert len(runs) == 3  # another caller's dataset (anonymous: the public graphs) too
    store.update("INSERT DATA { GRAPH <https://data.ontosides.fr/graph/test-cache> { <urn:a> <urn:b> 1 } }")
    assert client.get("/queries/success_by_referentiel_item/run", params={"format": "csv"}, headers=ADMIN).status_code == 200
    assert len(runs) == 4  # a write: the query runs again
