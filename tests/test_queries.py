"""Every named query parses, declares its parameters, and runs on the demo data."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from store.paths import QUERIES_DIR
from store.queries import NamedQuery, ParamError, QueryLibrary, parse_query_file
from store.sparql_text import inject_values, top_group_start

EPREUVE = "https://data.ontosides.fr/exam/u0f0e0/epreuve/1"
ARGUMENTS = {
    "epreuve_grades": {"epreuve": EPREUVE},
    "question_success": {"epreuve": EPREUVE},
    "student_progress": {"student": "https://data.ontosides.fr/person/s0-0-0"},
    "student_referentiel_progress": {"student": "https://data.ontosides.fr/person/s0-0-0"},
    "answer_patterns": {"epreuve": EPREUVE},
    "items_by_tag": {"tag": "https://data.ontosides.fr/list/referentiel/IC-021"},
    "person_by_email": {"email": "nobody@nowhere.example"},
    "list_admin_levels": {"person": "https://data.ontosides.fr/person/t0-0-0"},
    "list_history": {"list": "https://data.ontosides.fr/list/specialites",
                     "level": "https://w3id.org/ontosides#Officiel"},
    "entry_descendants": {"entry": "https://data.ontosides.fr/list/referentiel/IC-001"},
    "entry_ancestors": {"entry": "https://data.ontosides.fr/list/referentiel/IC-001"},
    "item_usage": {"item": "https://data.ontosides.fr/item/u0f0q0"},
    "item_versions": {"item": "https://data.ontosides.fr/item/u0f0q0"},
    "legacy_describe": {"root": "http://www.side-sante.fr/sides#q101", "namespace": "http://www.side-sante.fr/sides#"},
    "legacy_items": {"titlePredicate": "http://www.side-sante.fr/sides#has_for_title",
                     "emailPredicate": "http://www.side-sante.fr/sides#has_for_author_email",
                     "namespace": "http://www.side-sante.fr/sides#"},
    "managed_emails": {"person": "https://data.ontosides.fr/person/t0-0-0"},
    "managed_organisations": {"person": "https://data.ontosides.fr/person/t0-0-0"},
    "media_type": {"hash": "0" * 64},
    "person_emails": {"person": "https://data.ontosides.fr/person/s0-0-0"},
    "person_faculties": {"person": "https://data.ontosides.fr/person/s0-0-0"},
    "person_universities": {"person": "https://data.ontosides.fr/person/s0-0-0"},
}
# The demo data holds no list edits, list administrators, exam managers, media or legacy extract, and
# item u0f0q0 may not be in an épreuve: tests/test_lists_api.py and tests/test_studio*.py run these on real data.
MAY_BE_EMPTY = {"person_by_email", "list_admin_levels", "list_history", "item_usage", "item_versions", "legacy_describe",
                "legacy_items", "managed_emails", "managed_organisations", "media_type",
                "item_difficulty_by_specialty"}  # the demo's items carry no specialty: tests/test_research_queries.py
LIBRARY = QueryLibrary()


def test_every_query_file_has_a_header():
    for path in QUERIES_DIR.rglob("*.rq"):
        query = parse_query_file(path)
        assert query.summary, path
        if query.params:
            top_group_start(query.text)  # a WHERE group to bind parameters into


@pytest.mark.parametrize("name", LIBRARY.names())
def test_named_query_runs_on_demo_data(demo_platform, name):
    query = LIBRARY.get(name)
    result = demo_platform.store.execute(query.text, query.bind(ARGUMENTS.get(name, {})))
    if name not in MAY_BE_EMPTY:
        assert len(result) > 0, f"{name} returned nothing on the demo data"


def test_grades_come_back_for_every_registered_student(demo_platform):
    rows = demo_platform.store.select(LIBRARY.get("epreuve_grades").text,
                                      LIBRARY.get("epreuve_grades").bind({"epreuve": EPREUVE}))
    assert len(rows) == 40
    assert all(0 <= float(r["score"].value) <= float(r["maxPoints"].value) for r in rows)


def test_person_by_email_finds_any_of_their_addresses(demo_platform):
    email = demo_platform.store.select(
        "SELECT ?e WHERE { <https://data.ontosides.fr/person/s0-0-1> <https://w3id.org/ontosides#email> ?e }"
    ).rows[0]["e"].value
    query = LIBRARY.get("person_by_email")
    rows = demo_platform.store.select(query.text, query.bind({"email": email}))
    assert [r["person"].value for r in rows] == ["https://data.ontosides.fr/person/s0-0-1"]


def test_threshold_parameter_filters(demo_platform):
    query = LIBRARY.get("students_in_difficulty")
    low = demo_platform.store.select(query.text, query.bind({"threshold": "5"}))
    high = demo_platform.store.select(query.text, query.bind({"threshold": "15"}))
    assert len(low) < len(high)
    assert all(float(r["meanScore"].value) < 5 for r in low)


def test_parameter_errors_are_explained():
    query = LIBRARY.get("epreuve_grades")
    with pytest.raises(ParamError, match="needs parameter 'epreuve'"):
        query.bind({})
    with pytest.raises(ParamError, match="absolute IRI"):
        query.bind({"epreuve": "not an iri"})
    with pytest.raises(ParamError, match="has no parameter"):
        query.bind({"epreuve": EPREUVE, "evil": "x"})
    with pytest.raises(ParamError, match="integer|decimal"):
        LIBRARY.get("students_in_difficulty").bind({"threshold": "ten"})


def test_values_injection_ignores_braces_in_strings_iris_and_comments():
    query = 'PREFIX x: <http://a/b#>\n# WHERE { not here\nSELECT ("where {" AS ?z) ?s WHERE { ?s ?p ?o }'
    bound = inject_values(query, {"s": ox.NamedNode("http://e/x")})
    assert bound.endswith('WHERE { VALUES (?s) { (<http://e/x>) }  ?s ?p ?o }')
    assert ox.Store().query(bound) is not None


def test_literal_values_are_escaped():
    bound = inject_values("SELECT * WHERE { ?s ?p ?o }", {"o": ox.Literal('a" } DROP ALL #')})
    assert 'VALUES (?o) { ("a\\" } DROP ALL #") }' in bound


def test_a_query_file_without_summary_is_refused(tmp_path):
    path = tmp_path / "bad.rq"
    path.write_text("SELECT * WHERE { ?s ?p ?o }")
    with pytest.raises(ValueError, match="summary"):
        parse_query_file(path)
    assert isinstance(NamedQuery("x", "y", "SELECT * {}"), NamedQuery)
