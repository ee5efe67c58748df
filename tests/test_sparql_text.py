"""The SPARQL lexer and the text rewrites built on it: dataset clauses, SERVICE, USING, deadline checks."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from store.dataset import DatasetSpec, dataset_clauses, dataset_for
from store.errors import QuerySyntaxError
from store.sparql_text import (
    DEADLINE_FUNCTION, called_services, inject_values, loaded_documents, with_deadline_check, with_using,
)

EX = "http://example.org/"


def test_from_clauses_with_prefixes_and_base():
    query = f"""BASE <{EX}> PREFIX g: <{EX}graph/>
        SELECT * FROM g:a FROM <b> FROM NAMED g:c WHERE {{ ?s ?p "FROM <{EX}not>" }}"""
    assert dataset_clauses(query) == DatasetSpec((f"{EX}graph/a", f"{EX}b"), (f"{EX}graph/c",))
    assert dataset_clauses("SELECT * WHERE { ?s <http://x/FROM> ?o }") is None


def test_protocol_dataset_overrides_from_and_both_are_bounded():
    query = f"SELECT * FROM <{EX}a> WHERE {{ ?s ?p ?o }}"
    requested = DatasetSpec((f"{EX}b",), ())
    assert dataset_for(query, requested, None) == requested
    assert dataset_for(query, None, frozenset({f"{EX}b"})) == DatasetSpec((), ())
    assert dataset_for("SELECT * { ?s ?p ?o }", None, frozenset({f"{EX}b", f"{EX}a"})) == \
        DatasetSpec((f"{EX}a", f"{EX}b"), (f"{EX}a", f"{EX}b"))
    with pytest.raises(QuerySyntaxError):
        dataset_for("SELECT * FROM unknown:g { ?s ?p ?o }", None, frozenset())


def test_services_and_loads_are_found_only_as_keywords():
    text = f'PREFIX e: <{EX}> SELECT * {{ ?service e:SERVICE "SERVICE <{EX}x>" . SERVICE SILENT e:ep {{ ?s ?p ?o }} }}'
    assert called_services(text) == [f"{EX}ep"]
    assert called_services("SELECT * { SERVICE ?where { ?s ?p ?o } }") == ["?"]
    assert loaded_documents(f"LOAD SILENT <{EX}d.ttl> INTO GRAPH <{EX}g>") == [f"{EX}d.ttl"]
    assert loaded_documents('INSERT DATA { <http://a> <http://b> "LOAD <x>" }') == []


def test_using_clauses_go_before_each_where_and_conflicts_are_refused():
    update = "INSERT { GRAPH <urn:t> { ?s a <urn:T> } } WHERE { ?s ?p ?o } ; DELETE WHERE { ?a ?b ?c }"
    rewritten = with_using(update, DatasetSpec(("urn:d",), ("urn:n",)))
    assert "USING <urn:d> USING NAMED <urn:n> WHERE { ?s ?p ?o }" in rewritten
    assert rewritten.endswith("DELETE WHERE { ?a ?b ?c }")
    store = ox.Store()
    store.update(rewritten)  # still valid SPARQL
    with pytest.raises(QuerySyntaxError):
        with_using("WITH <urn:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", DatasetSpec(("urn:d",), ()))


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { ?s ?p ?o OPTIONAL { ?s ?q ?r } }",
    "SELECT ?n WHERE { { SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o } } VALUES ?x { 1 2 } }",
    "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "CONSTRUCT { ?s ?p ?o } { ?s ?p ?o MINUS { ?s a ?t } }",
    "ASK { GRAPH ?g { ?s ?p ?o } FILTER EXISTS { ?s ?p 1 } }",
    "SELECT (EXISTS { ?s ?p ?o } AS ?b) WHERE { ?s ?p ?o }",
    "DESCRIBE ?s WHERE { ?s ?p ?o }",
])
def test_deadline_checks_keep_queries_valid(query):
    checked = with_deadline_check(query)
    assert checked is not None and DEADLINE_FUNCTION in checked
    store = ox.Store()
    always = {ox.NamedNode(DEADLINE_FUNCTION): lambda: ox.Literal(True)}
    store.query(checked, custom_functions=always)


def test_no_deadline_check_where_the_grammar_forbids_it():
    assert with_deadline_check("CONSTRUCT WHERE { ?s ?p ?o }") is None
    assert with_deadline_check("DESCRIBE <http://example.org/x>") is None
    assert with_deadline_check("SELECT * WHERE { ?s ?p ?o") is None
    remote = with_deadline_check("SELECT * WHERE { SERVICE <urn:e> { ?s ?p ?o OPTIONAL { ?s ?q ?r } } }")
    assert remote.count(DEADLINE_FUNCTION) == 1


def test_values_go_in_the_where_group_not_the_template():
    text = inject_values("CONSTRUCT { ?s ?p ?o } { ?s ?p ?o }", {"s": ox.NamedNode(f"{EX}s")})
    assert text.startswith("CONSTRUCT { ?s ?p ?o } { VALUES")


def test_virtuoso_gets_insert_data_in_parts_and_blank_nodes_as_a_template():
    from store.dialects import insert_data_for_virtuoso
    from store.sparql_lexer import tokenize

    triples = " ".join(f'<urn:s{i}> <urn:p> "a . b {{ }}" .' for i in range(5))
    text = f"PREFIX e: <urn:e#> INSERT DATA {{ GRAPH e:g {{ {triples} }} GRAPH <urn:h> {{ <urn:x> <urn:p> 1.5 }} }}"
    split = insert_data_for_virtuoso(text, tokenize(text), per_operation=2)
    assert split.count("INSERT DATA") == 3 and split.count("GRAPH e:g") == 3
    assert split.count('"a . b { }"') == 5 and split.endswith("GRAPH <urn:h> { <urn:x> <urn:p> 1.5 } }")
    blank = 'INSERT DATA { GRAPH <urn:g> { <urn:s> <urn:p> _:b . _:b <urn:q> [ <urn:r> 1 ] } } ; DROP GRAPH <urn:x>'
    assert insert_data_for_virtuoso(blank, tokenize(blank)) == (
        "INSERT  { GRAPH <urn:g> { <urn:s> <urn:p> _:b . _:b <urn:q> [ <urn:r> 1 ] } } WHERE {} ; DROP GRAPH <urn:x>")


def test_a_parameter_is_repeated_in_the_optionals_and_subqueries_that_use_it():
    e = ox.NamedNode(f"{EX}e")
    query = """SELECT * WHERE {
      ?a <p> ?e .
      OPTIONAL { ?s <q> ?e OPTIONAL { ?t <r> ?e } }
      OPTIONAL { ?s <q> ?other }
      { SELECT ?e (COUNT(?x) AS ?n) WHERE { ?x <p> ?e } GROUP BY ?e }
      { SELECT ?y WHERE { ?y <p> ?e } }
      { SELECT ?e WHERE { ?z <p> ?e } LIMIT 3 }
      { SELECT ?e WHERE { OPTIONAL { ?z <p> ?e } } }
      OPTIONAL { ?w <p> ?v BIND(?v AS ?e) }
      MINUS { ?m <p> ?e }
    }"""
    bound = inject_values(query, {"e": e}, per_variable=True)
    block = f"VALUES ?e {{ {e} }}"
    lines = [line.strip() for line in bound.splitlines()]
    assert lines[0].endswith(block)  # the top group
    assert lines[2].startswith(f"OPTIONAL {{ {block}") and lines[2].count(block) == 2  # and the nested OPTIONAL
    assert block not in lines[3]  # does not use it
    assert block in lines[4]  # projects it, binds it in its own group
    for line in lines[5:]:  # not projected; LIMIT; only in an OPTIONAL; assigned by BIND; MINUS
        assert block not in line, line
    assert inject_values(query, {"other": e}, per_variable=True).count("VALUES ?other") == 2


def test_numbered_values_bind_each_term_with_its_number():
    from store.sparql_text import inject_numbered_values
    text = inject_numbered_values("SELECT ?g (GROUP_CONCAT(?k) AS ?ks) WHERE { ?s ?p ?o } GROUP BY ?g", "o",
                                  ["<urn:a>", "<urn:b>"])
    assert 'WHERE { VALUES (?o ?k) { (<urn:a> "0") (<urn:b> "1") }  ?s ?p ?o }' in text
    with pytest.raises(ValueError):
        inject_numbered_values("SELECT * WHERE { }", "o k", [])
