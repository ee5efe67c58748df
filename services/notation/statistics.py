"""Statistics kept when grades are saved: classical test theory of the épreuve (the pure core's, as Moodle
defines it), distractor analysis, and the épreuve's share of the référentiel aggregates.

The référentiel aggregates (`graph/stats/referentiel`, one os:EntryStatistics per entry) are updated
incrementally and exactly: each épreuve keeps its own contribution per entry (os:EntryContribution in its
statistics graph, answers and a sum of fractions rounded once to 6 places); saving an épreuve's grades subtracts
its previous contribution from each total and adds the new one, in decimal arithmetic on the stored values, in
the same transaction that replaces the épreuve's statistics. A total is therefore always the sum of the stored
contributions, whatever order épreuves are graded and re-graded in.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

import numpy as np
from rdflib import Literal, URIRef
from rdflib.namespace import PROV, RDF, XSD

from services.grading.stats import analyse, histogram, option_analysis
from services.notation.grades import Computed
from services.notation.sheet import Sheet
from store.terms import OS, triple_graph
from store.writes import GraphChange

FOUR = Decimal("0.0001")
TEST_KEYS = ("mean", "median", "sd", "skewness", "kurtosis", "alpha", "sem")
QUESTION_PROPERTIES = {"facility": OS.facility, "sd": OS.sd, "discrimination_index": OS.discriminationIndex,
                       "point_biserial": OS.pointBiserial, "discriminative_efficiency": OS.discriminativeEfficiency}


def analysis(sheet: Sheet, computed: Computed, ticks: dict[str, np.ndarray], bins: int = 10) -> dict:
    """The analysis of an épreuve: marks are each question's points in the total (coefficients included)."""
    maxima = computed.question_max * computed.question_coefficient
    kept = np.flatnonzero(maxima > 0)
    marks = computed.points[:, kept] * computed.question_coefficient[kept]
    keys = [computed.keys[j] for j in kept]
    result = analyse(marks, keys, maxima[kept])
    totals = computed.totals
    result["test"]["max_total"] = computed.max_total
    result["test"]["histogram"] = histogram(totals, bins, computed.max_total)
    pending = np.isnan(computed.fractions).sum(axis=0)
    for j, key in enumerate(computed.keys):
        q = sheet.question(key)
        entry = result["questions"].setdefault(key, {k: None for k in QUESTION_PROPERTIES})
        entry.update({"type": q.type, "max_points": float(maxima[j]), "pending": int(pending[j]),
                      "neutralised": bool(maxima[j] == 0)})
        if key in ticks and ticks[key].shape[0]:
            entry["options"] = option_analysis(ticks[key], totals, [o.label for o in q.options])
    return result


def contributions(keys: list[str], fractions: np.ndarray, entries: dict[str, set[str]]) -> dict[str, tuple[int, Decimal]]:
    """What the épreuve adds to each référentiel entry: answers decided and the sum of their fractions (raw,
    before the barème), over the questions tagged with the entry or an entry below it."""
    found: dict[str, list] = {}
    decided = ~np.isnan(fractions)
    sums = np.where(decided, fractions, 0.0).sum(axis=0)
    counts = decided.sum(axis=0)
    for j, key in enumerate(keys):
        for entry in entries.get(key, ()):
            count, total = found.setdefault(entry, [0, 0.0])
            found[entry] = [count + int(counts[j]), total + float(sums[j])]
    return {e: (n, Decimal(f"{s:.6f}")) for e, (n, s) in found.items() if n}


def entry_node(graph: str, entry: str) -> str:
    """The node of an entry's aggregate (its last IRI segment, as the generator names it)."""
    return f"{graph}/{entry.rstrip('/').rsplit('/', 1)[-1]}"


def contribution_node(stats_graph: str, entry: str) -> str:
    """The node of an épreuve's contribution to an entry."""
    return f"{stats_graph}/entry/{hashlib.sha256(entry.encode()).hexdigest()[:16]}"


def _number(value: float | None) -> Literal | None:
    if value is None or not np.isfinite(value):
        return None
    text = f"{value:.6f}".rstrip("0")
    return Literal(text + "0" if text.endswith(".") else text, datatype=XSD.decimal)


def _decimal(value: Decimal) -> Literal:
    return Literal(format(value, "f"), datatype=XSD.decimal)


def stats_graph(sheet: Sheet, graph: str, result: dict, n: int, contributed: dict[str, tuple[int, Decimal]],
                who: str, now: str, scored_from: str | None = None) -> GraphChange:
    """The épreuve's statistics graph, replaced whole (`scored_from`: the fingerprint of what the saved grades
    were computed from, see `saved`)."""
    data = triple_graph()
    ep = URIRef(sheet.iri)
    node = URIRef(f"{graph}/epreuve")
    test = result["test"]
    data.add((node, RDF.type, OS.EpreuveStatistics))
    data.add((node, OS.epreuve, ep))
    data.add((node, OS.answers, Literal(n)))
    data.add((node, OS.maxPoints, _number(test["max_total"])))
    for key in TEST_KEYS:
        value = _number(test.get(key))
        if value is not None:
            data.add((node, OS[key], value))
    data.add((node, OS.histogram, Literal(json.dumps(test["histogram"]))))
    data.add((node, OS.pendingAnswers, Literal(sum(q["pending"] for q in result["questions"].values()))))
    data.add((node, PROV.generatedAtTime, Literal(now, datatype=XSD.dateTime)))
    data.add((node, PROV.wasAttributedTo, URIRef(who)))
    if scored_from is not None:
        data.add((node, OS.scoredFrom, Literal(scored_from)))
    for key, stats in result["questions"].items():
        q = sheet.question(key)
        qnode = URIRef(f"{graph}/question/{key}")
        data.add((qnode, RDF.type, OS.QuestionStatistics))
        data.add((qnode, OS.question, URIRef(q.iri)))
        data.add((qnode, OS.epreuve, ep))
        data.add((qnode, OS.answers, Literal(n - stats["pending"])))
        data.add((qnode, OS.maxPoints, _number(stats["max_points"])))
        data.add((qnode, OS.pendingAnswers, Literal(stats["pending"])))
        for name, predicate in QUESTION_PROPERTIES.items():
            value = _number(stats.get(name))
            if value is not None:
                data.add((qnode, predicate, value))
        if "options" in stats:
            data.add((qnode, OS.optionAnalysis, Literal(json.dumps(stats["options"]))))
    for entry, (count, total) in sorted(contributed.items()):
        cnode = URIRef(contribution_node(graph, entry))
        data.add((cnode, RDF.type, OS.EntryContribution))
        data.add((cnode, OS.entry, URIRef(entry)))
        data.add((cnode, OS.epreuve, ep))
        data.add((cnode, OS.answers, Literal(count)))
        data.add((cnode, OS.sumFraction, _decimal(total)))
    return GraphChange(graph, data, replace=True)


def totals_change(graph: str, current: dict[str, tuple[int, Decimal]], old: dict[str, tuple[int, Decimal]],
                  new: dict[str, tuple[int, Decimal]]) -> GraphChange:
    """The référentiel aggregates with the épreuve's old contribution replaced by the new one."""
    data = triple_graph()
    touched = sorted(set(old) | set(new))
    for entry in touched:
        count, total = current.get(entry, (0, Decimal(0)))
        old_n, old_s = old.get(entry, (0, Decimal(0)))
        new_n, new_s = new.get(entry, (0, Decimal(0)))
        count, total = count - old_n + new_n, total - old_s + new_s
        if count <= 0:
            continue  # no answer counts for the entry any more
        node = URIRef(entry_node(graph, entry))
        data.add((node, RDF.type, OS.EntryStatistics))
        data.add((node, OS.entry, URIRef(entry)))
        data.add((node, OS.answers, Literal(count)))
        data.add((node, OS.sumFraction, _decimal(total)))
        data.add((node, OS.successRate, _decimal((total / count).quantize(FOUR))))
    return GraphChange(graph, data, [entry_node(graph, e) for e in touched])
