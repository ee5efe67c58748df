"""The fast check of the grades batch finds exactly what the compiled SHACL checker finds on the same grades.

Hypothesis draws small épreuves, valid and broken (fractions out of [0, 1], a student or a grader who is not a
person, a question that is not a question, an épreuve that is not one); both checkers judge the same grades,
the fast one on the arrays, the compiled one on the rendered N-Quads, and must name the same (focus, path)s.
"""

from __future__ import annotations

import numpy as np
import pyoxigraph as ox
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.notation.grades import GradeContext, check_grades, decimal_texts, grade_lines, score_lines
from store.embedded import OxigraphStore
from store.terms import from_ox
from store.validation import ShapeValidator

B = "http://example.org/"
OS = "https://w3id.org/ontosides#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
VALIDATOR = ShapeValidator()
FRACTIONS = [0.0, 0.25, 1.0, 1 / 3, 1.5, -0.5, float("nan")]


@st.composite
def epreuves(draw):
    n = draw(st.integers(1, 3))
    p = draw(st.integers(1, 3))
    fractions = np.array(draw(st.lists(st.sampled_from(FRACTIONS), min_size=n * p, max_size=n * p))).reshape(n, p)
    persons = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    questions = draw(st.lists(st.booleans(), min_size=p, max_size=p))
    graded = draw(st.dictionaries(st.tuples(st.integers(0, n - 1), st.integers(0, p - 1)), st.booleans(),
                                  max_size=3))
    return fractions, persons, questions, graded, draw(st.booleans())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(epreuves())
def test_fast_check_finds_what_the_compiled_checker_finds(case):
    fractions, persons, questions, graded, epreuve_typed = case
    n, p = fractions.shape
    students = [f"{B}person/s{i}" for i in range(n)]
    graders = {at: f"{B}person/{'grader' if ok else 'robot'}" for at, ok in graded.items()}
    store = OxigraphStore()
    types = [(f"{B}person/grader", OS + "Person")]
    types += [(s, OS + ("Person" if ok else "Room")) for s, ok in zip(students, persons)]
    types += [(f"{B}q/{j}", OS + ("QRU" if ok else "Room")) for j, ok in enumerate(questions)]
    types += [(f"{B}ep", OS + ("Epreuve" if epreuve_typed else "Room"))]
    store.native.extend([ox.Quad(ox.NamedNode(s), ox.NamedNode(RDF_TYPE), ox.NamedNode(t), ox.NamedNode(f"{B}g"))
                         for s, t in types])
    keys = [str(j + 1) for j in range(p)]
    ctx = GradeContext(f"{B}ep", f"{B}grade/", f"{B}graph/", keys, [f"{B}q/{j}" for j in range(p)], 10.0,
                       "2026-01-01T00:00:00Z", f"{B}score/", f"{B}graph/scores")
    points = np.nan_to_num(fractions) * 10
    totals = points.sum(axis=1)
    person_types = {s: ({OS + "Person"} if ok else {OS + "Room"}) for s, ok in zip(students, persons)}
    person_types[f"{B}person/grader"] = {OS + "Person"}
    keys_of = [f"s{i}" for i in range(n)]
    fast = check_grades(epreuve_typed, students, person_types, questions, fractions, points, totals, 10.0, graders,
                        ctx, keys_of)
    texts = decimal_texts(np.nan_to_num(fractions)).astype(object)
    texts[np.isnan(fractions)] = None
    point_texts, total_texts = decimal_texts(points), decimal_texts(totals)
    lines = score_lines(ctx, texts, point_texts, graders)[1]
    for i in range(n):
        mine = {j: g for (row, j), g in graders.items() if row == i}
        lines += grade_lines(ctx, keys_of[i], students[i], list(texts[i]), list(point_texts[i]), total_texts[i],
                             True, ["1.0"], mine)[1]
    triples = [(from_ox(q.subject), from_ox(q.predicate), from_ox(q.object))
               for q in ox.parse("".join(lines).encode(), ox.RdfFormat.N_QUADS)]
    compiled = VALIDATOR.validate(triples, store)
    assert {(v.focus, v.path) for v in fast} == {(v.focus, v.path) for v in compiled}
