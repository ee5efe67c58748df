"""An épreuve's saved grades read back as the fractions they were computed from, for a barème dry run in a
process that has not scored the épreuve itself.

Saving grades records a fingerprint of what the scores came from (the sheet, the copy graphs, the graders'
decisions: `scoring_token`) in the épreuve's statistics graph. When the fingerprint of the store's current state
is the same, the saved fractions are the ones a new scoring would give (to the 4 decimals they are written with),
and reading them is one row per grade graph: each grade's links to the épreuve's shared question scores come back
as the shared scores' numbers (a VALUES block joined first, as for the ticked options), plus the few scores given
by hand. Anything else (another fingerprint, a copy without a grade, an ECOS station) returns None and the caller
scores the copies. The fingerprint sees copies added or removed, not an answer changed inside a copy after the
save (the taking service writes none once the épreuve is over; an administrator's SPARQL update could): a dry
run is a preview, and saving a change always scores the copies again.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pyoxigraph as ox

from services.exams.naming import ExamNames
from services.notation.corrections import Corrections
from services.notation.reading import QUESTION_TYPES
from services.notation.sheet import Sheet
from services.platform import Platform
from store.sparql_text import inject_numbered_values, inject_values_list


def scoring_token(sheet: Sheet, graphs: list[str], corrections: Corrections) -> str:
    """A fingerprint of what an épreuve's scores are computed from: its sheet (questions, keys, options), its copy
    graphs and its graders' decisions."""
    decisions = sorted((q, answer, repr(d)) for q, found in corrections.qroc.items() for answer, d in found.items())
    marks = sorted((q, who, repr(m)) for q, found in corrections.qrol.items() for who, m in found.items())
    basis = [repr(sheet), hashlib.sha256("\n".join(graphs).encode()).hexdigest(), decisions, marks]
    return hashlib.sha256(json.dumps(basis).encode()).hexdigest()


def read_saved_scores(platform: Platform, names: ExamNames, sheet: Sheet, copy_graphs: list[str],
                      token: str) -> tuple[list[str], np.ndarray] | None:
    """(candidates, fractions: candidates × the sheet's questions, NaN where no score is saved) as saved with
    this fingerprint, candidates in the order a scoring gives them (by IRI); None when the saved grades are not
    those of the current copies and decisions."""
    if any(q.type not in QUESTION_TYPES for q in sheet.questions):
        return None  # an ECOS station is graded as an item: no question score of it is saved
    exam, number = sheet.exam_key, sheet.number
    queries = platform.queries_for("notation")
    query = queries.get("scored_from")
    rows = platform.store.select(query.text, query.bind({"graph": names.stats_graph(exam, number)})).rows
    if not rows or rows[0]["token"].value != token:
        return None
    copy_prefix, grade_prefix = names.copy_graph(exam, number, ""), names.grades_graph(exam, number, "")
    _, rows = platform.store.select_lexical(inject_values_list(queries.get("epreuve_grade_students").text, "epreuve",
                                                               [ox.NamedNode(sheet.iri)]))
    students = {g[len(grade_prefix):]: student for g, student in rows if g.startswith(grade_prefix)}
    if set(students) != {g[len(copy_prefix):] for g in copy_graphs}:
        return None
    order = sorted(students, key=students.get)
    row_of = {grade_prefix + key: i for i, key in enumerate(order)}
    column = {q.key: j for j, q in enumerate(sheet.questions)}
    fractions = np.full((len(order), len(column)), np.nan)
    query = queries.get("shared_scores")
    shared = platform.store.select(query.text, query.bind({"graph": names.question_scores_graph(exam, number)})).rows
    score_prefix = names.question_scores_prefix(exam, number)
    nodes, at = [], []
    for r in shared:
        key = r["score"].value[len(score_prefix):].rsplit("/", 1)[0]
        if key in column:
            nodes.append(r["score"].value)
            at.append((column[key], float(r["fraction"].value)))
    if nodes:
        text = inject_numbered_values(queries.get("grade_score_links").text, "score", [ox.NamedNode(n) for n in nodes])
        _, rows = platform.store.select_lexical(text)
        columns = np.array([j for j, _ in at], dtype=np.int64)
        values_of = np.array([f for _, f in at])
        for g, links in rows:
            i = row_of.get(g)
            if i is not None and links:
                k = np.array(links.split(" "), dtype=np.int64)
                fractions[i, columns[k]] = values_of[k]
    _, rows = platform.store.select_lexical(queries.get("hand_scores").text)
    for g, score, fraction in rows:
        i, key = row_of.get(g), score.rsplit("/", 1)[-1]
        if i is not None and key in column:
            fractions[i, column[key]] = float(fraction)
    return [students[key] for key in order], fractions
