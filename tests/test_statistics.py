"""The analytic named queries that read maintained aggregates (os:QuestionScoreStatistics, written by NOTATION
when grades are saved and by the generator the same way) or are reshaped for the engine give the same answers
as the direct computation from the question scores (the queries as they were before, kept here)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services import dataset
from services.access import Access
from services.access.model import Principal
from services.notation.service import Notation
from services.platform import Platform
from services.synthetic import Scale
from store.embedded import OxigraphStore
from store.queries import QueryLibrary
from tests.conftest import make_settings

BASE = "https://data.ontosides.fr/"
OS = "https://w3id.org/ontosides#"
ADMIN = Principal(f"{BASE}person/admin", True)
# Partial-credit types (QRP, QRM_LONG) and an épreuve with QROC and QROL waiting for a grader (no fraction yet).
SCALE = Scale(universities=2, students_per_faculty=12, questions_per_faculty=8, referentiel_items=6,
              objectives_per_item=3, questions_per_epreuve=6, question_mix=("QRU", "QRM", "QRP", "QRM_LONG"))
LIBRARY = QueryLibrary()
PREFIXES = """PREFIX os: <https://w3id.org/ontosides#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""
# The direct computations: the named queries as they were before they read aggregates or were reshaped.
DIRECT = {
    "success_by_referentiel_item": """
SELECT ?item ?number (SUM(?n) AS ?answers) (SUM(?right) / SUM(?n) AS ?successRate) WHERE {
  { SELECT ?question (COUNT(?score) AS ?n) (SUM(?fraction) AS ?right) WHERE {
      ?grade os:hasQuestionScore ?score . ?score os:question ?question ; os:fraction ?fraction . } GROUP BY ?question }
  ?question dcterms:subject ?objective . ?objective skos:broader ?item . ?item os:itemNumber ?number .
} GROUP BY ?item ?number ORDER BY ?successRate""",
    "question_success": """
SELECT ?question ?title (COUNT(?score) AS ?answers) (AVG(?fraction) AS ?successRate) WHERE {
  ?grade a os:Grade ; os:epreuve ?epreuve ; os:hasQuestionScore ?score .
  ?score os:question ?question ; os:fraction ?fraction .
  OPTIONAL { ?question dcterms:title ?title }
} GROUP BY ?question ?title ORDER BY ?successRate""",
    "item_usage": """
SELECT ?epreuve ?published WHERE {
  ?epreuve os:hasSlot/os:itemOf ?item .
  BIND(EXISTS { ?publication a os:Publication ; os:epreuve ?epreuve
                FILTER NOT EXISTS { ?revocation os:revokes ?publication } } AS ?published)
}""",
    "success_by_referentiel_entry": """
SELECT ?entry ?notation ?label ?answers ?successRate WHERE {
  ?statistics a os:EntryStatistics ; os:entry ?entry ; os:answers ?answers ; os:successRate ?successRate .
  OPTIONAL { ?entry skos:notation ?notation }
  OPTIONAL { ?entry skos:prefLabel ?label }
} ORDER BY ?successRate ?notation""",
    "referentiel_success_by_student": """
SELECT ?student ?item ?number (COUNT(?score) AS ?answers) (AVG(?fraction) AS ?successRate) WHERE {
  ?grade a os:Grade ; os:student ?student ; os:hasQuestionScore ?score .
  ?score os:question ?question ; os:fraction ?fraction .
  { SELECT DISTINCT ?question ?item ?number WHERE {
      ?question dcterms:subject ?objective . ?objective skos:broader ?item . ?item os:itemNumber ?number . } }
} GROUP BY ?student ?item ?number ?minAnswers HAVING (COUNT(?score) >= ?minAnswers)""",
    "success_by_referentiel_rank": """
SELECT ?item ?number ?rank (COUNT(?question) AS ?questions) (SUM(?n) AS ?answers) (SUM(?right) / SUM(?n) AS ?successRate)
WHERE {
  { SELECT ?question (COUNT(?score) AS ?n) (SUM(?fraction) AS ?right) WHERE {
      ?grade os:hasQuestionScore ?score . ?score os:question ?question ; os:fraction ?fraction . } GROUP BY ?question }
  { SELECT DISTINCT ?question ?item ?number ?rank WHERE {
      ?question dcterms:subject ?objective . ?objective skos:broader ?item ; os:rank ?rankClass .
      ?item os:itemNumber ?number . BIND(STRAFTER(STR(?rankClass), "#Rank") AS ?rank) } }
} GROUP BY ?item ?number ?rank ?minAnswers HAVING (SUM(?n) >= ?minAnswers)""",
    "answer_patterns": """
SELECT ?question (SAMPLE(?pos) AS ?position) (COUNT(?answer) AS ?answers) (AVG(?seconds) AS ?meanSeconds)
       (MAX(?seconds) AS ?maxSeconds) (SUM(?marked) AS ?markedForReview) (SUM(?changed) AS ?changedAfterLater)
WHERE {
  ?answer a os:Answer ; os:epreuve ?epreuve ; os:student ?student ; os:question ?question ; os:answeredAt ?at .
  OPTIONAL { ?session a os:ExamSession ; os:epreuve ?epreuve ; os:student ?student ; os:sessionStart ?began . }
  OPTIONAL { ?epreuve os:hasSlot ?slot . ?slot os:element ?question ; os:position ?pos }
  OPTIONAL { ?answer os:marker ?marker }
  BIND(IF(COALESCE(?marker, false), 1, 0) AS ?marked)
  OPTIONAL {
    ?epreuve os:hasSlot ?nextSlot . ?nextSlot os:position ?nextPos ; os:element ?nextQuestion .
    FILTER(?nextPos = ?pos + 1)
    ?next os:student ?student ; os:epreuve ?epreuve ; os:question ?nextQuestion ; os:answeredAt ?nextAt .
  }
  BIND(IF(BOUND(?nextAt) && ?nextAt < ?at, 1, 0) AS ?changed)
  BIND(STR(?at - ?began) AS ?d)
  BIND(IF(STRSTARTS(?d, "-"), -1, 1) AS ?sign)
  BIND(?sign * (COALESCE(xsd:decimal(IF(CONTAINS(?d, "D"), REPLACE(?d, "^-?P([0-9]+)D.*$", "$1"), "0")), 0) * 86400
      + COALESCE(xsd:decimal(IF(CONTAINS(?d, "H"), REPLACE(?d, "^.*T([0-9]+)H.*$", "$1"), "0")), 0) * 3600
      + COALESCE(xsd:decimal(IF(CONTAINS(?d, "M"), REPLACE(?d, "^.*T(?:[0-9]+H)?([0-9]+)M.*$", "$1"), "0")), 0) * 60
      + COALESCE(xsd:decimal(IF(CONTAINS(?d, "S"), REPLACE(?d, "^.*[TMH]([0-9.]+)S$", "$1"), "0")), 0)) AS ?seconds)
} GROUP BY ?question""",
    "class_counts": """
SELECT ?class ?label (COUNT(DISTINCT ?s) AS ?instances) WHERE {
  ?s a ?class . FILTER(STRSTARTS(STR(?class), "https://w3id.org/ontosides#"))
  OPTIONAL { ?class rdfs:label ?label . FILTER(LANG(?label) = "en") }
} GROUP BY ?class ?label ORDER BY DESC(?instances)""",
}


@pytest.fixture(scope="module")
def setup():
    platform = Platform.build(make_settings(), OxigraphStore())
    dataset.load_demo(platform, SCALE)
    access = Access.build(platform)
    return platform, Notation(platform, access.policy)


def rows(platform, text: str, bindings: dict | None = None) -> list[tuple]:
    """Result rows as sorted tuples of term strings (the exact lexical forms: decimals must match to the digit)."""
    result = platform.store.select(text, bindings or {})
    return sorted(tuple((k, str(v)) for k, v in sorted(row.items())) for row in result)


def both(platform, name: str, values: dict | None = None) -> tuple[list, list]:
    query = LIBRARY.get(name)
    bindings = query.bind(values or {})
    return rows(platform, query.text, bindings), rows(platform, PREFIXES + DIRECT[name], bindings)


def epreuves(platform) -> list[str]:
    return [r["e"].value for r in platform.store.select(f"SELECT DISTINCT ?e WHERE {{ ?e a <{OS}Epreuve> }}")]


def test_generated_data_holds_one_aggregate_per_scored_question(setup):
    platform, _ = setup
    found = platform.store.select(f"""PREFIX os: <{OS}> SELECT ?g (COUNT(?x) AS ?n) WHERE {{
        GRAPH ?g {{ ?x a os:QuestionScoreStatistics }} }} GROUP BY ?g""")
    counts = {r["g"].value: int(r["n"].value) for r in found}
    assert counts and all("/graph/stats/" in g for g in counts)
    # six questions per graded épreuve; the épreuve to correct has two QROC and a QROL with no fraction yet,
    # so some questions have none and get no node
    assert max(counts.values()) == 6 and min(counts.values()) >= 3


def test_success_by_referentiel_item_reads_aggregates_with_the_same_answers(setup):
    platform, _ = setup
    new, direct = both(platform, "success_by_referentiel_item")
    assert new and new == direct
    # not a trivially exact case: partial credit makes non-integer sums
    assert any(Decimal(dict(r)["successRate"].split('"')[1]) % Decimal("0.1") for r in new)


def same_for_every_epreuve(platform, name: str) -> list:
    """The named query's rows for each épreuve, once checked equal to the direct computation's."""
    found = []
    for epreuve in epreuves(platform):
        new, direct = both(platform, name, {"epreuve": epreuve})
        assert new == direct, epreuve
        found.append(new)
    return found


def test_question_success_reads_aggregates_with_the_same_answers_for_every_epreuve(setup):
    assert sum(bool(rows) for rows in same_for_every_epreuve(setup[0], "question_success")) >= 4


def test_item_usage_same_answers_with_and_without_a_revocation(setup):
    platform, _ = setup
    items = [r["i"].value for r in platform.store.select(f"SELECT DISTINCT ?i WHERE {{ ?s <{OS}itemOf> ?i }}")]
    assert len(items) > 10
    for item in items:
        new, direct = both(platform, "item_usage", {"item": item})
        assert new == direct and new, item
    published = {dict(r)["epreuve"] for item in items for r in both(platform, "item_usage", {"item": item})[0]
                 if "true" in dict(r)["published"]}
    assert published
    publication = platform.store.select(f"SELECT ?p WHERE {{ ?p a <{OS}Publication> }} LIMIT 1").rows[0]["p"]
    platform.store.update(f"INSERT DATA {{ GRAPH <{BASE}graph/test-revocation> {{ <{BASE}revocation/t> "
                          f"<{OS}revokes> {publication} }} }}")
    try:
        for item in items:
            new, direct = both(platform, "item_usage", {"item": item})
            assert new == direct, item
    finally:
        platform.store.update(f"DROP GRAPH <{BASE}graph/test-revocation>")


@pytest.mark.parametrize("name", ["class_counts", "success_by_referentiel_entry", "referentiel_success_by_student",
                                  "success_by_referentiel_rank"])
def test_reshaped_queries_same_answers(setup, name):
    platform, _ = setup
    new, direct = both(platform, name)
    assert new and new == direct


@pytest.mark.parametrize("name", ["referentiel_success_by_student", "success_by_referentiel_rank"])
def test_hash_joined_referentiel_queries_same_answers_above_a_minimum(setup, name):
    new, direct = both(setup[0], name, {"minAnswers": 10})
    assert new == direct


def test_answer_patterns_same_answers_for_every_epreuve(setup):
    found = same_for_every_epreuve(setup[0], "answer_patterns")
    # some candidate went back to a question in the generated data
    assert any(dict(r)["changedAfterLater"] != "0" for rows in found for r in rows)


SAMPLED = ("epreuve", "student", "item", "person", "entry", "tag")


def sample_values(platform) -> dict[str, object]:
    """A value for each parameter in SAMPLED, from the generated data."""
    row = platform.store.select(f"""SELECT ?epreuve ?student ?item WHERE {{
        ?grade a <{OS}Grade> ; <{OS}epreuve> ?epreuve ; <{OS}student> ?student .
        ?epreuve <{OS}hasSlot>/<{OS}itemOf> ?item }} LIMIT 1""").rows[0]
    entry = f"{BASE}list/referentiel/IC-001"
    return {"epreuve": row["epreuve"].value, "student": row["student"].value, "item": row["item"].value,
            "person": row["student"].value, "entry": entry, "tag": entry}


@pytest.mark.parametrize("name", sorted(q.name for q in LIBRARY.all() if q.params and all(
    p.default is not None or p.name in SAMPLED for p in q.params)))
def test_parameters_repeated_inside_optionals_and_subqueries_change_no_answer(setup, name):
    from store.sparql_text import top_group_start, values_block

    platform, _ = setup
    query = LIBRARY.get(name)
    values = sample_values(platform)
    bindings = query.bind({p.name: values[p.name] for p in query.params if p.name in values})
    at = top_group_start(query.text)
    top_only = f"{query.text[:at + 1]} {values_block(bindings, True)} {query.text[at + 1:]}"
    assert rows(platform, query.text, bindings) == rows(platform, top_only)


def test_notation_rewrites_the_aggregates_when_it_saves_grades(setup):
    platform, notation = setup
    finished = "u0f0e0-1"
    epreuve = f"{BASE}exam/u0f0e0/epreuve/1"
    stats = f"{BASE}graph/stats/{finished}"
    before = both(platform, "question_success", {"epreuve": epreuve})[0]
    # aggregates lost (and a stale node of a question not on the sheet): saving the grades writes them again
    platform.store.update(f"DELETE WHERE {{ GRAPH <{stats}> {{ ?x a <{OS}QuestionScoreStatistics> ; ?p ?o }} }} ;"
                          f"INSERT DATA {{ GRAPH <{stats}> {{ <{stats}/scores/99> a <{OS}QuestionScoreStatistics> ; "
                          f"<{OS}scoresOfEpreuve> <{epreuve}> ; <{OS}scoresOfQuestion> <{BASE}item/nowhere> ; "
                          f"<{OS}answers> 1 ; <{OS}sumFraction> 1.0 }} }}")
    notation.revoke(ADMIN, finished, "the test re-grades it")
    notation.grade(ADMIN, finished)
    after, direct = both(platform, "question_success", {"epreuve": epreuve})
    assert after == before == direct
    new, direct = both(platform, "success_by_referentiel_item")
    assert new == direct
    assert not platform.store.ask(f"ASK {{ <{stats}/scores/99> ?p ?o }}")
