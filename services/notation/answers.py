"""The copies of an épreuve read in bulk: one graph per candidate, a few queries over all of them.

Ticked options are read with one query (`copy_ticks`): a VALUES block numbers the épreuve's options, the engine
looks each up in its (predicate, object) index and concatenates the numbers per copy graph, so two million
ticks come back as ten thousand short rows and no option IRI is ever decoded. The other answer types are read
only for the questions that have them. Rows come back as plain strings (`select_lexical`).

Many copies are read over every named graph (the épreuve, its options or questions bind the scan) and the rows
kept for the épreuve's copy graphs; a few (one copy's detail) through a dataset of those graphs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyoxigraph as ox

from services.exams.naming import ExamNames
from services.notation.sheet import Sheet
from services.platform import Platform
from store.dataset import DatasetSpec
from store.sparql_text import inject_numbered_values, inject_values_list

BATCH = 2_000  # copy graphs per query: keeps FROM NAMED lists short on remote engines
SCAN_FROM = 200  # from this many copy graphs on, one scan over every named graph beats a dataset of them
VALUE_TYPES = ("QROC", "QROL", "NUMERIQUE", "ZONE")


@dataclass
class Copies:
    """Every candidate's answers, question by question (rows in the order of `candidates`)."""

    candidates: list[str]
    graphs: list[str]
    submitted: list[str | None]
    ticks: dict[str, np.ndarray] = field(default_factory=dict)
    chosen: dict[str, list[str | None]] = field(default_factory=dict)
    texts: dict[str, list[str | None]] = field(default_factory=dict)
    numbers: dict[str, np.ndarray] = field(default_factory=dict)
    units: dict[str, list[str | None]] = field(default_factory=dict)
    points: dict[str, np.ndarray] = field(default_factory=dict)
    pairs: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    checks: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def size(self) -> int:
        """How many candidates handed a copy in."""
        return len(self.candidates)

    def row(self, person: str) -> int | None:
        """A candidate's row, or None."""
        try:
            return self.candidates.index(person)
        except ValueError:
            return None


def copy_graphs(platform: Platform, names: ExamNames, sheet: Sheet) -> list[str]:
    """The copy graphs of an épreuve (one per candidate who started it)."""
    prefix = names.copy_graph(sheet.exam_key, sheet.number, "")
    return sorted(g.value for g in platform.store.named_graphs() if g.value.startswith(prefix))


def _table(platform: Platform, name: str, graphs: list[str], questions: list[str] | None = None,
           options: list[str] | None = None):
    """Rows of a named query over these copy graphs (first column: the graph), each copy graph's only;
    `options` are bound to ?option numbered by ?k."""
    text = platform.queries_for("notation").get(name).text
    if questions is not None:
        text = inject_values_list(text, "question", [ox.NamedNode(q) for q in questions])
    if options is not None:
        text = inject_numbered_values(text, "option", [ox.NamedNode(o) for o in options])
    if len(graphs) >= SCAN_FROM:
        wanted = set(graphs)
        _, rows = platform.store.select_lexical(text)
        yield from (r for r in rows if r[0] in wanted)
        return
    for start in range(0, len(graphs), BATCH):
        _, rows = platform.store.select_lexical(text, dataset=DatasetSpec((), tuple(graphs[start:start + BATCH])))
        yield from rows


def _sessions(platform: Platform, sheet: Sheet, graphs: list[str]):
    if len(graphs) >= SCAN_FROM:
        text = platform.queries_for("notation").get("epreuve_sessions").text
        wanted = set(graphs)
        _, rows = platform.store.select_lexical(inject_values_list(text, "epreuve", [ox.NamedNode(sheet.iri)]))
        return [r[:3] for r in rows if r[0] in wanted]
    return list(_table(platform, "copy_sessions", graphs))


def read_copies(platform: Platform, sheet: Sheet, graphs: list[str]) -> Copies:
    """The answers held in these copy graphs, for the questions of the sheet."""
    students = {g: (student, submitted) for g, student, submitted in _sessions(platform, sheet, graphs)}
    ordered = sorted(students, key=lambda g: students[g][0])
    copies = Copies([students[g][0] for g in ordered], ordered, [students[g][1] for g in ordered])
    row_of = {g: i for i, g in enumerate(ordered)}
    n = copies.size
    questions = sheet.questions
    option_at: dict[str, tuple[str, int]] = {}
    for q in questions:
        if q.is_choice:
            copies.ticks[q.key] = np.zeros((n, len(q.options)), dtype=bool)
            option_at.update({o.iri: (q.key, k) for k, o in enumerate(q.options)})
    if option_at and n:
        options = list(option_at)
        column = np.array([option_at[o][1] for o in options], dtype=np.int64)
        blocks = {key: np.array([k for k, o in enumerate(options) if option_at[o][0] == key], dtype=np.int64)
                  for key in copies.ticks}
        # One row per copy: all its ticks as one bit matrix row over the épreuve's options, then split by question.
        every = np.zeros((n, len(options)), dtype=bool)
        for g, ticked in _table(platform, "copy_ticks", ordered, options=options):
            if ticked:
                every[row_of[g], np.array(ticked.split(" "), dtype=np.int64)] = True
        for key, block in blocks.items():
            copies.ticks[key][:, column[block]] = every[:, block]
    by_iri = {q.iri: q for q in questions}
    _read_typed(platform, copies, by_iri, row_of, ordered)
    return copies


def _read_typed(platform: Platform, copies: Copies, by_iri: dict, row_of: dict[str, int], graphs: list[str]) -> None:
    n = copies.size
    typed = {iri: q for iri, q in by_iri.items() if q.type in VALUE_TYPES}
    for q in typed.values():
        copies.texts[q.key] = [None] * n
        if q.type == "NUMERIQUE":
            copies.numbers[q.key] = np.full(n, np.nan)
            copies.units[q.key] = [None] * n
        if q.type == "ZONE":
            copies.points[q.key] = np.full((n, 2), np.nan)
    texts_only = sorted(iri for iri, q in typed.items() if q.type in ("QROC", "QROL"))
    if texts_only and n:
        found = _texts_by_answer_iri(platform, copies, texts_only, typed, row_of)
        if found is None:
            found = ((g, typed[question].key, text)
                     for g, question, text in _table(platform, "copy_texts", graphs, texts_only))
        for g, key, text in found:
            i = row_of.get(g)
            if i is not None:
                copies.texts[key][i] = text
    others = sorted(iri for iri, q in typed.items() if q.type not in ("QROC", "QROL"))
    if others and n:
        for g, question, text, number, unit, x, y in _table(platform, "copy_values", graphs, others):
            q, i = typed[question], row_of.get(g)
            if i is None:
                continue
            copies.texts[q.key][i] = text
            if q.type == "NUMERIQUE":
                copies.numbers[q.key][i] = _float(number) if number is not None else _float(text)
                copies.units[q.key][i] = unit
            if q.type == "ZONE" and x is not None:
                copies.points[q.key][i] = (_float(x), _float(y))
    tcs = sorted(iri for iri, q in by_iri.items() if q.type == "TCS")
    for iri in tcs:
        copies.chosen[by_iri[iri].key] = [None] * n
    if tcs and n:
        for g, question, value in _table(platform, "copy_question_options", graphs, tcs):
            if g in row_of:
                copies.chosen[by_iri[question].key][row_of[g]] = value
    association = sorted(iri for iri, q in by_iri.items() if q.type == "ASSOCIATION")
    for iri in association:
        copies.pairs[by_iri[iri].key] = [{} for _ in range(n)]
    if association and n:
        for g, question, left, right in _table(platform, "copy_pairs", graphs, association):
            if g in row_of:
                copies.pairs[by_iri[question].key][row_of[g]][left] = right
    ecos = {iri: q for iri, q in by_iri.items() if q.type == "ECOS"}
    for q in ecos.values():
        copies.checks[q.key] = np.zeros((n, len(q.checklist)), dtype=bool)
    if ecos and n:
        index = {(q.iri, c[0]): k for q in ecos.values() for k, c in enumerate(q.checklist)}
        for g, question, check in _table(platform, "copy_checks", graphs, sorted(ecos)):
            k = index.get((question, check))
            if k is not None and g in row_of:
                copies.checks[ecos[question].key][row_of[g], k] = True


def _texts_by_answer_iri(platform: Platform, copies: Copies, questions: list[str], typed: dict,
                         row_of: dict[str, int]) -> list[tuple[str, str, str]] | None:
    """(copy graph, question key, text) of the text answers to these questions, the question read from the
    answer's IRI (`answer/{épreuve}/{person key}/{question key}`, as EXAMEN names them): each copy graph is
    scanned for its texts, where joining every answer to its os:question took four times as long (200,000
    lookups at 10,000 × 20 QROC). None when an answer is named otherwise (the caller joins instead)."""
    wanted = {typed[q].key for q in questions}
    names = ExamNames(platform.settings.base_iri)
    heads = {g: names.answers_prefix_of(g) for g in copies.graphs}
    if None in heads.values():
        return None
    query = platform.queries_for("notation").get("copy_text_answers").text
    rows = [r for start in range(0, len(copies.graphs), BATCH) for r in platform.store.select_lexical(
        inject_values_list(query, "g", [ox.NamedNode(g) for g in copies.graphs[start:start + BATCH]]))[1]]
    found = []
    for g, answer, value in rows:
        head = heads.get(g)
        if head is None:
            continue
        if not answer.startswith(head) or "/" in answer[len(head):]:
            return None
        key = answer[len(head):]
        if key in wanted:
            found.append((g, key, value))
    return found


def _float(text: str | None) -> float:
    try:
        return float(str(text).replace(",", "."))
    except (TypeError, ValueError):
        return float("nan")
