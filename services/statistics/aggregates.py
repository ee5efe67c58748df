"""Question-score aggregates: per épreuve and question, how many scores carry a fraction and their exact sum.

NOTATION calls `save_question_scores` right after it has saved an épreuve's grades (and replaced the épreuve's
statistics graph); the generator renders the same nodes with `question_score_triples`, so demo data holds what
grading the copies again would write. The analytic named queries (question_success, success_by_referentiel_item)
read these few nodes (one per question of an épreuve) instead of every os:QuestionScore.

Exactness: the sum is taken over the fraction literals exactly as the grade graphs hold them (decimal texts),
in decimal arithmetic, and the count over the scores that have one, so SUM(sumFraction) / SUM(answers) is
the same decimal as AVG(os:fraction) over the question scores. Nodes live in the épreuve's statistics graph
(`graph/stats/{exam}-{k}`), which NOTATION replaces whole when grades are saved, so they are written after it.

Their own properties (os:scoresOfEpreuve, os:scoresOfQuestion) rather than os:epreuve / os:question, which every
answer, grade and score carries: the engine finds an épreuve's aggregates, or scans all of them, without
touching the answers (question_success 22 -> 1.4 ms CPU on 1M quads; see the queries' comments).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, XSD

from store.terms import OS, triple_graph
from store.writes import GraphChange

NODE = "scores"


def score_node(stats_graph: str, key: str) -> str:
    """The node of one question's score aggregate in an épreuve's statistics graph."""
    return f"{stats_graph}/{NODE}/{key}"


def question_score_sums(keys: Sequence[str], fraction_texts) -> dict[str, tuple[int, Decimal]]:
    """(scores with a fraction, exact sum of their fractions) per question key; `fraction_texts` is
    candidates × questions of decimal texts, None where no score is written (waiting for a grader)."""
    sums: dict[str, tuple[int, Decimal]] = {}
    for j, key in enumerate(keys):
        column = [t for t in (row[j] for row in fraction_texts) if t is not None]
        if column:
            sums[key] = (len(column), sum((Decimal(t) for t in column), Decimal(0)))
    return sums


def question_score_triples(stats_graph: str, epreuve: str, keys: Sequence[str], questions: Sequence[str],
                           fraction_texts) -> Iterable[tuple]:
    """The os:QuestionScoreStatistics nodes of an épreuve (rdflib triples): one per question with a score."""
    ep = URIRef(epreuve)
    iri_of = dict(zip(keys, questions))
    for key, (count, total) in question_score_sums(keys, fraction_texts).items():
        node = URIRef(score_node(stats_graph, key))
        yield node, RDF.type, OS.QuestionScoreStatistics
        yield node, OS.scoresOfEpreuve, ep
        yield node, OS.scoresOfQuestion, URIRef(iri_of[key])
        yield node, OS.answers, Literal(count)
        yield node, OS.sumFraction, Literal(format(total, "f"), datatype=XSD.decimal)


def question_score_change(stats_graph: str, epreuve: str, keys: Sequence[str], questions: Sequence[str],
                          fraction_texts, previous: Iterable[str] = ()) -> GraphChange:
    """The change that (re)writes an épreuve's question-score aggregates in its statistics graph."""
    data = triple_graph()
    for triple in question_score_triples(stats_graph, epreuve, keys, questions, fraction_texts):
        data.add(triple)
    drop = sorted({score_node(stats_graph, k) for k in keys} | set(previous))
    return GraphChange(stats_graph, data, drop)


def save_question_scores(platform, stats_graph: str, ctx, fraction_texts) -> None:
    """Called by NOTATION once an épreuve's grades are saved (`ctx`: its GradeContext, `fraction_texts`: the
    fractions as written, None where no score is): its question-score aggregates, validated and committed in
    one update (nodes of questions no longer on the sheet are dropped)."""
    found = platform.store.select(
        f"SELECT DISTINCT ?s WHERE {{ GRAPH <{stats_graph}> {{ ?s a <{OS}QuestionScoreStatistics> }} }}")
    previous = [row["s"].value for row in found]
    change = question_score_change(stats_graph, ctx.epreuve, ctx.keys, ctx.questions, fraction_texts, previous)
    platform.writer.apply([change])
