"""The synthetic data: deterministic, valid, and shaped by the ability × difficulty model."""

from __future__ import annotations

from services.synthetic import Scale, generate


def test_same_seed_same_data():
    assert list(generate(Scale.demo())) == list(generate(Scale.demo()))
    assert list(generate(Scale(seed=1))) != list(generate(Scale(seed=2)))


def test_scale_for_triples_is_close_to_the_target():
    scale = Scale.for_triples(300_000)
    count = sum(1 for _ in generate(scale))
    assert 240_000 < count < 360_000


def test_harder_questions_have_lower_success(demo_platform):
    rows = demo_platform.store.select("""
        PREFIX os: <https://w3id.org/ontosides#>
        SELECT ?q ?d (AVG(?fraction) AS ?rate) WHERE {
          ?grade os:hasQuestionScore ?s . ?s os:question ?q ; os:fraction ?fraction . ?q os:difficulty ?d }
        GROUP BY ?q ?d""")
    pairs = sorted((float(r["d"].value), float(r["rate"].value)) for r in rows)
    third = len(pairs) // 3
    easy = sum(rate for _, rate in pairs[:third]) / third
    hard = sum(rate for _, rate in pairs[-third:]) / third
    assert easy > hard + 0.15


def test_abler_students_score_higher(demo_platform):
    rows = demo_platform.store.select("""
        PREFIX os: <https://w3id.org/ontosides#>
        SELECT ?score ?max WHERE { ?g a os:Grade ; os:score ?score ; os:maxPoints ?max }""")
    scores = [20 * float(r["score"].value) / float(r["max"].value) for r in rows]
    assert min(scores) < 8 < 12 < max(scores), "grades spread across the scale"
