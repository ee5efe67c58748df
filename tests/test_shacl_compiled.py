"""The compiled shapes give the violations pyshacl gives: on every shape example, on SHACL features our shapes
do not use yet, and by handing to pyshacl the shapes they cannot compile."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from rdflib import Graph

from store.validation import ShapeValidator

EXAMPLES = sorted((Path(__file__).parent / "shapes").glob("*/*.ttl"))


@pytest.fixture(scope="module")
def validator() -> ShapeValidator:
    return ShapeValidator()


def both(validator: ShapeValidator, data: Graph, store=None):
    """(compiled, pyshacl) violations of the same data."""
    return validator.validate(data, store, engine="compiled"), validator.validate(data, store, engine="pyshacl")


def test_every_project_shape_is_compiled(validator):
    assert validator.compiled.refused == {}
    assert len(validator.compiled.targets.by_class) >= 40


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_examples_give_identical_violations(validator, path):
    compiled, reference = both(validator, Graph().parse(path, format="turtle"))
    assert compiled == reference
    assert bool(compiled) == path.name.startswith("invalid")


def test_examples_against_a_store_give_identical_violations(validator, demo_platform):
    """Neighbours typed by the store (people, tags, faculties) are read the same way by both engines."""
    store = demo_platform.store
    for path in EXAMPLES:
        compiled, reference = both(validator, Graph().parse(path, format="turtle"), store)
        assert compiled == reference, path


PREFIXES = """@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> . @prefix os: <https://w3id.org/ontosides#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
"""

# Features our shapes do not use (yet): each must still give what pyshacl gives.
FEATURE_SHAPES = PREFIXES + r"""
ex:Paths a sh:NodeShape ; sh:targetClass ex:Thing ;
  sh:property [ sh:path ( ex:part ex:name ) ; sh:minCount 1 ; sh:message "a part has a name" ] ;
  sh:property [ sh:path [ sh:inversePath ex:part ] ; sh:maxCount 1 ; sh:message "one whole at most" ] ;
  sh:property [ sh:path [ sh:alternativePath ( ex:label ex:name ) ] ; sh:minLength 3 ; sh:maxLength 8 ;
                sh:message "names of 3 to 8 characters" ] ;
  sh:property [ sh:path [ sh:zeroOrMorePath ex:part ] ; sh:nodeKind sh:IRI ; sh:message "parts are IRIs" ] ;
  sh:property [ sh:path [ sh:oneOrMorePath ex:part ] ; sh:maxCount 3 ; sh:message "three parts in all" ] ;
  sh:property [ sh:path [ sh:zeroOrOnePath ex:part ] ; sh:class ex:Thing ; sh:message "parts are things" ] .
ex:Logic a sh:NodeShape ; sh:targetClass ex:Thing ;
  sh:property [ sh:path ex:code ; sh:pattern "^ab" ; sh:flags "i" ; sh:severity sh:Warning ;
                sh:message "codes start with ab" ] ;
  sh:property [ sh:path ex:size ; sh:xone ( [ sh:datatype xsd:integer ] [ sh:minInclusive 10 ] ) ;
                sh:message "small integers or big numbers, not both" ] ;
  sh:property [ sh:path ex:size ; sh:and ( [ sh:maxExclusive 100 ] [ sh:minExclusive -5 ] ) ;
                sh:message "between -5 and 100" ] ;
  sh:property [ sh:path ex:part ; sh:node ex:Named ; sh:message "parts are named" ] ;
  sh:property [ sh:path ex:kind ; sh:in ( "a" "b" ) ; sh:maxInclusive "m" ; sh:message "kind a or b" ] .
ex:Named a sh:NodeShape ; sh:property [ sh:path ex:name ; sh:minCount 1 ] .
ex:Off a sh:NodeShape ; sh:targetClass ex:Thing ; sh:deactivated true ;
  sh:property [ sh:path ex:never ; sh:minCount 1 ; sh:message "never checked" ] .
ex:ByNode a sh:NodeShape ; sh:targetNode ex:special ; sh:class ex:Special ; sh:message "special is Special" .
ex:BySubject a sh:NodeShape ; sh:targetSubjectsOf ex:code ;
  sh:property [ sh:path ex:name ; sh:minCount 1 ; sh:message "coded things are named" ] .
ex:ByObject a sh:NodeShape ; sh:targetObjectsOf ex:part ; sh:nodeKind sh:IRI ; sh:message "parts are IRIs" .
ex:Sparql a sh:NodeShape ; sh:targetClass ex:Thing ; sh:sparql [
  sh:message "{$this} has {?n} parts; {?value} is too many" ; sh:prefixes ex:prefixes ;
  sh:select "SELECT $this ?value ?n WHERE { { SELECT $this (COUNT(?p) AS ?n) WHERE { $this ex:part ?p } GROUP BY $this } FILTER (?n > 1) $this ex:part ?value }" ] .
ex:prefixes a owl:Ontology ; sh:declare [ sh:prefix "ex" ; sh:namespace "http://example.org/"^^xsd:anyURI ] .
"""

FEATURE_DATA = PREFIXES + """
ex:whole a ex:Thing ; ex:part ex:p1, ex:p2, ex:p3, "literal part" ; ex:code "ABC", "xyz" ; ex:size 5, 150, 7.5 ;
  ex:kind "a", "z" ; ex:label "ok name", "x" .
ex:p1 a ex:Thing ; ex:name "first" ; ex:part ex:p4 .
ex:p2 ex:name "a name much too long" .
ex:p3 a ex:Thing .
ex:p4 a ex:Thing ; ex:name "four" .
ex:other a ex:Thing ; ex:part ex:p1 ; ex:code "abz" .
ex:special a ex:Thing ; ex:name "special" .
ex:coded ex:code "ab" .
"""


def validator_for(tmp_path: Path, shapes: str) -> ShapeValidator:
    folder = tmp_path / "shapes"
    folder.mkdir()
    (folder / "shapes.ttl").write_text(shapes, encoding="utf-8")
    return ShapeValidator(shapes_dir=folder)


def test_features_beyond_our_shapes_give_identical_violations(tmp_path):
    validator = validator_for(tmp_path, FEATURE_SHAPES)
    assert validator.compiled.refused == {}
    compiled, reference = both(validator, Graph().parse(data=FEATURE_DATA, format="turtle"))
    assert compiled == reference
    found = {v.message for v in compiled}
    # Every shape with a target had something to say, except the deactivated one.
    assert {"a part has a name", "one whole at most", "names of 3 to 8 characters", "parts are IRIs",
            "three parts in all", "parts are things", "codes start with ab", "small integers or big numbers, not both",
            "between -5 and 100", "parts are named", "kind a or b", "special is Special",
            "coded things are named"} <= found
    assert any(m.startswith("http://example.org/whole has 4 parts;") for m in found)
    assert "never checked" not in found
    assert {v.severity for v in compiled if v.message == "codes start with ab"} == {"Warning"}
    assert {v.path for v in compiled} >= {"ex:part/ex:name", "^ex:part", "(ex:label|ex:name)", "ex:part*",
                                           "ex:part+", "ex:part?"}


def test_a_shape_it_cannot_compile_is_refused_loudly_and_left_to_pyshacl(tmp_path, caplog):
    shapes = PREFIXES + """
ex:Closed a sh:NodeShape ; sh:targetClass ex:Thing ; sh:closed true ; sh:ignoredProperties ( ex:name ) ;
  sh:message "only a name" .
ex:Plain a sh:NodeShape ; sh:targetClass ex:Other ;
  sh:property [ sh:path ex:name ; sh:minCount 1 ; sh:message "a name" ] .
ex:Unworded a sh:NodeShape ; sh:targetClass ex:Other ; sh:property [ sh:path ex:code ; sh:maxCount 1 ] .
"""
    with caplog.at_level(logging.WARNING, logger="store.shacl_compiled"):
        validator = validator_for(tmp_path, shapes)
    assert set(validator.compiled.refused) == {"ex:Closed", "ex:Unworded"}
    assert "closed" in validator.compiled.refused["ex:Closed"]
    assert "sh:message" in validator.compiled.refused["ex:Unworded"]
    assert "ex:Closed" in caplog.text
    data = Graph().parse(data=PREFIXES + """
ex:a a ex:Thing ; ex:name "A" ; ex:colour "red" .
ex:b a ex:Other ; ex:code "1", "2" .""", format="turtle")
    compiled, reference = both(validator, data)
    assert compiled == reference
    assert {v.shape for v in compiled} == {"ex:Closed", "ex:Plain", "ex:Unworded"}


def test_recursive_shapes_are_refused(tmp_path):
    validator = validator_for(tmp_path, PREFIXES + """
ex:Tree a sh:NodeShape ; sh:targetClass ex:Tree ;
  sh:property [ sh:path ex:child ; sh:node ex:Tree ; sh:message "children are trees" ] .""")
    assert "recursive" in validator.compiled.refused["ex:Tree"]


def test_compiled_checks_run_in_parallel_threads(validator):
    from concurrent.futures import ThreadPoolExecutor

    graphs = [(p, Graph().parse(p, format="turtle")) for p in EXAMPLES]
    expected = {p: validator.validate(g, engine="pyshacl") for p, g in graphs}
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda pg: (pg[0], validator.validate(pg[1])), graphs * 4))
    assert all(found == expected[p] for p, found in results)
