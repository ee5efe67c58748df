"""Warming the access caches for a crowd (the candidates of an épreuve that opens): after `Access.warm`, their
tokens and functions are answered without a query, and the answers are the same as read one by one; a new
token leaves the store's generation (and so everyone's cached sign-in) as it was, a revoked one does not."""

from __future__ import annotations

import pytest

from services import dataset
from services.access import Access
from services.platform import Platform
from services.synthetic import Scale
from store.embedded import OxigraphStore
from tests.conftest import make_settings

BASE = "https://data.ontosides.fr/"


@pytest.fixture(scope="module")
def crowd():
    settings = make_settings(user_tokens={})
    platform = Platform.build(settings, OxigraphStore(base_iri=settings.base_iri))
    dataset.load_demo(platform, Scale(universities=1, students_per_faculty=5, questions_per_faculty=4,
                                      referentiel_items=2, objectives_per_item=2, questions_per_epreuve=2))
    people = [f"{BASE}person/s0-0-{i}" for i in range(5)] + [f"{BASE}person/rs0-0"]
    cold = Access.build(platform)
    tokens = {p: cold.tokens.issue(p, "crowd", 1, None)[0] for p in people}
    return platform, people, tokens, cold


def test_warm_caches_answer_without_a_query_and_agree_with_the_cold_path(crowd, monkeypatch):
    platform, people, tokens, cold = crowd
    expected = {p: (cold.tokens.verify(tokens[p]).person, cold.directory.principal(p, "token")) for p in people}
    warm = Access.build(platform)
    warm.warm(people)

    def no_query(*args, **kwargs):
        raise AssertionError("a query was made after warming")

    monkeypatch.setattr(platform.store, "select", no_query)
    monkeypatch.setattr(platform.store, "ask", no_query)
    for p in people:
        assert warm.tokens.verify(tokens[p]).person == expected[p][0] == p
        assert warm.directory.principal(p, "token") == expected[p][1]
    assert any(h.function.endswith("ResponsableScolarite") for h in expected[f"{BASE}person/rs0-0"][1].holdings)


def test_a_new_token_keeps_the_generation_and_a_revocation_moves_it(crowd):
    platform, people, _tokens, cold = crowd
    before = platform.store.generation
    token, iri = cold.tokens.issue(people[0], "another", 1, None)
    assert platform.store.generation == before
    assert cold.tokens.verify(token).person == people[0]
    cold.tokens.revoke(iri)
    assert platform.store.generation != before
    assert cold.tokens.verify_quietly(token).revoked
