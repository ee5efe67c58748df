"""The ontology loads in owlready2, is consistent, and labels and defines every term it coins."""

from __future__ import annotations

import shutil

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from store.paths import ONTOLOGY_DIR
from store.terms import OS

# The core ontology and the modules' own files (ontology/<module>.ttl) form one ontology.
ONTOLOGY_FILES = sorted(ONTOLOGY_DIR.glob("*.ttl"))


def whole_ontology() -> Graph:
    """Every ontology file in one graph."""
    graph = Graph()
    for path in ONTOLOGY_FILES:
        graph.parse(path, format="turtle")
    return graph


@pytest.fixture(scope="module")
def graph() -> Graph:
    return whole_ontology()


def own_terms(graph: Graph, kind) -> list[URIRef]:
    return sorted(s for s in graph.subjects(RDF.type, kind) if str(s).startswith(str(OS)))


@pytest.mark.parametrize("kind", [OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty])
def test_every_term_has_french_and_english_labels_and_a_definition(graph, kind):
    terms = own_terms(graph, kind)
    assert len(terms) > 10
    problems = []
    for term in terms:
        langs = {label.language for label in graph.objects(term, RDFS.label)}
        if not {"fr", "en"} <= langs:
            problems.append(f"{term}: labels in {langs}")
        if graph.value(term, SKOS.definition) is None:
            problems.append(f"{term}: no skos:definition")
    assert problems == []


def test_domain_concepts_are_named(graph):
    concepts = ["University", "Faculty", "Person", "UniversityAccount", "FunctionAssignment", "TrainingOffer",
                "CohortGroup", "AdHocGroup", "ListCategory", "ListLevel", "List", "ListEntry", "Referentiel",
                "KnowledgeItem", "KnowledgeObjective", "StartingSituation", "Rubric", "QRU", "QRM", "QRP",
                "LongListQRM", "QROC", "QROL", "Zone", "Numeric", "Association", "TCS", "KFP", "DP", "MDCP", "DL",
                "LCA", "SQI", "EcosStation", "AnswerOption", "Exam", "Epreuve", "ItemSlot", "DisplayOptions",
                "Registration", "ExamSession", "Answer", "Incident", "Attendance", "Grade", "Bareme",
                "GradingStatus", "Publication", "AnnalsRelease"]
    missing = [c for c in concepts if (OS[c], RDF.type, OWL.Class) not in graph]
    assert missing == []
    assert (OS.GestionnaireEpreuves, RDF.type, OS.Function) in graph
    assert (OS.Indispensable, RDF.type, OS.Criticality) in graph


def test_owlready2_loads_the_ontology_and_finds_it_consistent(tmp_path):
    owlready2 = pytest.importorskip("owlready2")
    if shutil.which("java") is None:
        pytest.fail("Java is needed by owlready2's HermiT reasoner: `make test` installs default-jre-headless")
    # owlready2 reads RDF/XML or N-Triples: convert, then load in a World of its own.
    nt = tmp_path / "ontosides.nt"
    whole_ontology().serialize(nt, format="nt", encoding="utf-8")
    world = owlready2.World()
    onto = world.get_ontology(nt.as_uri()).load()
    classes = {c.name for c in onto.classes()}
    assert {"Exam", "QRU", "KnowledgeObjective"} <= classes
    with onto:
        owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    assert list(world.inconsistent_classes()) == []
    qru = world.search_one(iri=str(OS.QRU))
    assert world.search_one(iri=str(OS.Question)) in qru.ancestors()
