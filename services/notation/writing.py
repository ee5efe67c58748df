"""Saving an épreuve's grades: one graph per copy (replaced whole, skipped when its content is unchanged), then
the épreuve's statistics and its share of the référentiel aggregates.

The grade graphs are the hot batch (10,000 copies × 120 questions: 1.3 million quads, a question score being a
link to the épreuve's shared score for that question and fraction, see `grades`): they are rendered as N-Quads
straight from the arrays, checked by `check_grades` (the shapes' rules on the arrays) plus the compiled SHACL
checker on a sample of copies, and bulk-written with the épreuve's question-score graph, as many graphs per call
as the store prefers (`Store.replace_batch`: ten thousand for the embedded bulk path, a thousand per SPARQL update
for a remote engine).

When the caller knows the grades the store should hold (`previous`: the same fractions under the barème in
force before a change), a copy whose saved digest is that of its previous rendering holds exactly those lines:
only the lines that differ are deleted and inserted (one SPARQL update), instead of replacing the whole graph.
A barème change then rewrites a few quads per copy, not six hundred.
"""

from __future__ import annotations

import dataclasses
import random
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np
import pyoxigraph as ox

from services.exams.naming import ExamNames
from services.notation import statistics
from services.notation.grades import (
    Computed, GradeContext, check_grades, decimal_texts, grade_lines, score_lines,
)
from services.nquads import PROV, lit
from services.notation.reading import QUESTION_TYPES, entry_ancestors
from services.notation.sheet import Sheet
from services.statistics.aggregates import save_question_scores
from services.platform import Platform
from store.dataset import DatasetSpec
from store.errors import ValidationFailed
from store.sparql_text import inject_values_list
from store.terms import from_ox, triple_graph

if TYPE_CHECKING:
    from services.notation.service import Loaded, Timer

OS = "https://w3id.org/ontosides#"
SAMPLE = 24


class GradeWriter:
    """Writes grades, statistics and aggregates for the service."""

    def __init__(self, platform: Platform, names: ExamNames):
        self.platform = platform
        self.names = names

    def write(self, loaded: Loaded, who: str, now: str, timer: Timer, previous: Computed | None = None) -> dict:
        """Save the grades of a scored épreuve; returns how many copies were written (whole or by their changed
        lines), unchanged or dropped. `previous`: the grades the store is believed to hold (checked per copy by
        its digest)."""
        sheet, computed, copies = loaded.sheet, loaded.computed, loaded.copies
        exam, number = sheet.exam_key, sheet.number
        keys = computed.keys
        questions = [sheet.question(k) for k in keys]
        ctx = grade_context(self.names, sheet, keys, computed.max_total, now)
        person_keys = [p.rstrip("/").rsplit("/", 1)[-1] for p in copies.candidates]
        # A question score is written for questions only (an ECOS station is graded, but as an item).
        written_column = np.array([q.type in QUESTION_TYPES for q in questions], dtype=bool)
        fractions = np.where(written_column[None, :], computed.fractions, np.nan)
        graders = {(i, j): g for j, key in enumerate(keys) for i, g in enumerate(loaded.scored.graders.get(key, ()))
                   if g and written_column[j]}
        types = self._types(set(copies.candidates) | set(graders.values()) | {q.iri for q in questions})
        question_typed = [OS + "Question" in types.get(q.iri, ()) for q in questions]
        persons = {g for g in graders.values() if OS + "Person" in types.get(g, ())}
        graders = {at: g for at, g in graders.items() if g in persons}  # a command-line agent is not os:gradedBy
        violations = check_grades(True, copies.candidates, types, question_typed, fractions, computed.points,
                                  computed.totals, computed.max_total, graders, ctx, person_keys)
        if violations:
            raise ValidationFailed(violations[:50])
        timer.lap("fast check")
        texts = _texts(computed, fractions)
        old = self._digests(ctx, person_keys)
        graders_of: dict[int, dict[int, str]] = {}
        for (i, j), g in graders.items():
            graders_of.setdefault(i, {})[j] = g
        before = _texts(previous, np.where(written_column[None, :], previous.fractions, np.nan)) \
            if previous is not None and previous.points.shape == computed.points.shape else None

        was_ctx = dataclasses.replace(ctx, max_total=previous.max_total) if before is not None else ctx

        def render(t: tuple, i: int, key: str, at: GradeContext = ctx) -> tuple[str, list[str]]:
            return grade_lines(at, key, copies.candidates[i], list(t[0][i]), list(t[1][i]), t[2][i],
                               bool(t[4][i]), list(t[3][i]), graders_of.get(i, {}))

        rendered: list[tuple[int, list[str]]] = []
        patches: list[tuple[int, list[str], list[str]]] = []
        unchanged = 0
        for i, key in enumerate(person_keys):
            digest, lines = render(texts, i, key)
            saved = old.get(key)
            if saved is not None and saved[0] == digest:
                unchanged += 1
                continue
            if saved is not None and before is not None and saved[1]:
                was, was_lines = render(before, i, key, was_ctx)
                if was == saved[0]:
                    # The graph holds exactly the previous rendering (same digest), stamped when it was saved.
                    g = was_lines[-1][was_lines[-1].rindex(" <"):]
                    was_lines[-1] = (f"<{ctx.grade_prefix}{key}> <{PROV}generatedAtTime> "
                                     f"{lit(saved[1], dtype='dateTime')}{g}")
                    kept = set(was_lines) & set(lines)
                    patches.append((i, [x for x in was_lines if x not in kept], [x for x in lines if x not in kept]))
                    continue
            rendered.append((i, lines))
        scores_digest, scores = score_lines(ctx, texts[0], texts[1], graders)
        timer.lap("render grades")
        self._sample_check(rendered + [(i, render(texts, i, person_keys[i])[1]) for i, _, _ in patches[:SAMPLE]],
                           scores)
        timer.lap("SHACL check of a sample")
        payload = [] if self._saved_digest(ctx.scores_graph) == scores_digest else [(ctx.scores_graph, scores)]
        payload += [(f"{ctx.graph_prefix}{person_keys[i]}", lines) for i, lines in rendered]
        size = self.platform.store.replace_batch
        for start in range(0, len(payload), size):
            batch = payload[start:start + size]
            # The lines are rendered here from IRIs the store holds, and checked above: no IRI to validate again.
            self.platform.store.replace_graphs([g for g, _ in batch], "".join(x for _, lines in batch for x in lines)
                                               .encode(), ox.RdfFormat.N_QUADS, lenient=True)
        if patches:
            self.platform.store.update(_patch_update(ctx, person_keys, patches), platform_text=True)
        keep = set(person_keys)
        stale = [g for g in self._grade_graphs(ctx) if g[len(ctx.graph_prefix):] not in keep]
        for graph in stale:
            self.platform.writer.drop_graph(graph)
        timer.lap("write grades")
        self._statistics(loaded, who, now)
        save_question_scores(self.platform, self.names.stats_graph(exam, number), ctx, texts[0])
        timer.lap("statistics")
        return {"written": len(rendered) + len(patches), "patched": len(patches), "unchanged": unchanged,
                "dropped": len(stale)}

    def _types(self, resources: set[str]) -> dict[str, set[str]]:
        found = self.platform.store.types_of(ox.NamedNode(r) for r in resources)
        closure = self.platform.validator.superclasses
        types: dict[str, set[str]] = {}
        for node, direct in found.items():
            names = {from_ox(t) for t in direct}
            types[node.value] = {str(t) for t in names} | {str(s) for t in names for s in closure.get(t, ())}
        return types

    def _grade_graphs(self, ctx: GradeContext) -> list[str]:
        return [g.value for g in self.platform.store.named_graphs() if g.value.startswith(ctx.graph_prefix)]

    def _digests(self, ctx: GradeContext, person_keys: list[str]) -> dict[str, tuple[str | None, str | None]]:
        """The saved digest and time of each candidate's grade graph."""
        existing = set(self._grade_graphs(ctx))
        graphs = [g for g in (f"{ctx.graph_prefix}{k}" for k in person_keys) if g in existing]
        query = self.platform.queries_for("notation").get("grade_rows")
        found = {}
        for start in range(0, len(graphs), 2_000):
            _, rows = self.platform.store.select_lexical(query.text,
                                                         dataset=DatasetSpec((), tuple(graphs[start:start + 2_000])))
            found.update({r[0][len(ctx.graph_prefix):]: (r[6], r[7]) for r in rows})
        return found

    def _saved_digest(self, graph: str) -> str | None:
        query = self.platform.queries_for("notation").get("graph_digest")
        rows = self.platform.store.select(query.text, query.bind({"graph": graph})).rows
        return rows[0]["digest"].value if rows else None

    def _sample_check(self, rendered: list[tuple[int, list[str]]], scores: list[str]) -> None:
        """The compiled SHACL checker on the shared question scores and a sample of the rendered copies (the
        first, the last, random others)."""
        picks = {0, len(rendered) - 1} | set(random.Random(len(rendered)).sample(range(len(rendered)),
                                                                                 min(SAMPLE, len(rendered)))) \
            if rendered else set()
        text = "".join(scores) + "".join(line for k in sorted(picks) for line in rendered[k][1])
        data = triple_graph()
        for q in ox.parse(text.encode(), ox.RdfFormat.N_QUADS):
            data.add((from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)))
        self.platform.writer.check(data)

    def _statistics(self, loaded: Loaded, who: str, now: str) -> None:
        sheet, computed = loaded.sheet, loaded.computed
        graph = self.names.stats_graph(sheet.exam_key, sheet.number)
        result = statistics.analysis(sheet, computed, loaded.copies.ticks)
        ancestors = entry_ancestors(self.platform, {t for s in sheet.slots for t in s.tags})
        entries = {q.key: set().union(*(ancestors[t] for t in s.tags)) if s.tags else set()
                   for s in sheet.slots for q in s.questions}
        new = statistics.contributions(computed.keys, computed.fractions, entries)
        old = self._contributions(graph)
        ref_graph = self.names.referentiel_stats_graph()
        current = self._totals(ref_graph, set(old) | set(new))
        changes = [statistics.stats_graph(sheet, graph, result, loaded.copies.size, new, who, now, loaded.token),
                   statistics.totals_change(ref_graph, current, old, new)]
        self.platform.writer.apply(changes)

    def _contributions(self, graph: str) -> dict[str, tuple[int, Decimal]]:
        query = self.platform.queries_for("notation").get("stats_graph")
        nodes: dict[str, dict[str, str]] = {}
        for row in self.platform.store.select(query.text, query.bind({"graph": graph})):
            nodes.setdefault(row["node"].value, {})[row["property"].value] = row["value"].value
        return {n[OS + "entry"]: (int(n[OS + "answers"]), Decimal(n[OS + "sumFraction"]))
                for n in nodes.values() if n.get("http://www.w3.org/1999/02/22-rdf-syntax-ns#type") ==
                OS + "EntryContribution"}

    def _totals(self, graph: str, entries: set[str]) -> dict[str, tuple[int, Decimal]]:
        if not entries:
            return {}
        text = self.platform.queries_for("notation").get("entry_totals").text
        query = inject_values_list(text, "entry", [ox.NamedNode(e) for e in sorted(entries)])
        rows = self.platform.store.select(query, {"graph": ox.NamedNode(graph)})
        return {r["entry"].value: (int(r["answers"].value), Decimal(r["sum"].value)) for r in rows}


def grade_context(names: ExamNames, sheet: Sheet, keys: list[str], max_total: float, generated: str) -> GradeContext:
    """What the grade graphs of an épreuve share."""
    exam, number = sheet.exam_key, sheet.number
    return GradeContext(sheet.iri, names.grade(exam, number, ""), names.grades_graph(exam, number, ""), keys,
                        [sheet.question(k).iri for k in keys], max_total, generated,
                        names.question_scores_prefix(exam, number), names.question_scores_graph(exam, number))


def _texts(computed: Computed, fractions: np.ndarray) -> tuple:
    """The decimal texts of the grades (fractions, points, totals, item grades) and completeness, per candidate;
    a question waiting for a grader (NaN fraction) has no text."""
    fraction_texts = decimal_texts(np.nan_to_num(fractions))
    fraction_texts[np.isnan(fractions)] = None
    return (fraction_texts, decimal_texts(computed.points), decimal_texts(computed.totals),
            decimal_texts(computed.item_grades), computed.complete)


def _patch_update(ctx: GradeContext, person_keys: list[str], patches: list[tuple[int, list[str], list[str]]]) -> str:
    """One SPARQL update deleting and inserting the changed lines of some grade graphs."""
    deletes, inserts = [], []
    for i, gone, added in patches:
        graph = f"<{ctx.graph_prefix}{person_keys[i]}>"
        cut = len(graph) + 4  # " <graph> .\n"
        if gone:
            deletes.append(f"GRAPH {graph} {{\n" + "".join(x[:-cut] + " .\n" for x in gone) + "}\n")
        if added:
            inserts.append(f"GRAPH {graph} {{\n" + "".join(x[:-cut] + " .\n" for x in added) + "}\n")
    parts = []
    if deletes:
        parts.append("DELETE DATA {\n" + "".join(deletes) + "}")
    if inserts:
        parts.append("INSERT DATA {\n" + "".join(inserts) + "}")
    return " ;\n".join(parts)
