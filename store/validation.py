"""SHACL validation of a graph extract: the changed resources plus the types of their neighbours."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from pyshacl import Validator
from pyshacl.graph_abstraction import DataGraph
from pyshacl.shapes_graph import ShapesGraph
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery

from store.closure import reachable
from store.errors import Violation
from store.paths import ONTOLOGY_DIR, SHAPES_DIR
from store.port import Store
from store.shacl_checks import pick_message
from store.shacl_compiled import CompiledShapes
from store.shacl_paths import path_label, qname
from store.terms import from_ox, to_ox


def load_turtle_folder(folder: Path) -> Graph:
    """Parse every .ttl file under a folder into one graph."""
    graph = Graph()
    for path in sorted(Path(folder).rglob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


ENGINES = ("compiled", "pyshacl")
Triples = Graph | Sequence[Graph] | list[tuple]


def as_triples(data: Triples) -> list[tuple]:
    """The distinct triples of a graph, of several graphs, or of a list of triples."""
    if isinstance(data, Graph):
        return list(data)
    if data and isinstance(data[0], Graph):
        return list(dict.fromkeys(t for graph in data for t in graph))
    return list(data)


def sort_violations(violations: list[Violation]) -> list[Violation]:
    """Violations in one stable order, whichever engine found them."""
    return sorted(violations, key=lambda v: (v.focus, v.path or "", v.message, v.shape or "", v.value or "",
                                             v.severity))


class ShapeValidator:
    """Validates small graphs against the project's shapes, compiled once (pyshacl stays the reference).

    engine "compiled" runs the shapes compiled into Python checks (store.shacl_compiled), which tests prove
    equivalent to pyshacl, and hands the data to pyshacl only when a shape it could not compile targets it;
    engine "pyshacl" runs pyshacl on every call.
    """

    def __init__(self, shapes_dir: Path = SHAPES_DIR, ontology_dir: Path = ONTOLOGY_DIR, engine: str = "compiled"):
        if engine not in ENGINES:
            raise ValueError(f"unknown validation engine {engine!r}: {' or '.join(ENGINES)}")
        self.engine = engine
        self.shapes = load_turtle_folder(shapes_dir)
        self.ontology = load_turtle_folder(ontology_dir)
        self._shapes_graph = ShapesGraph(self.shapes)
        self._shapes_graph.shapes  # harvest once: later validations reuse it
        self._shape_targets: list[tuple] | None = None  # read under the lock, on the first focused run
        # The harvested shapes are shared state inside pyshacl: API threads take turns (a check is a few ms).
        self._lock = threading.Lock()
        self.superclasses = self._superclass_closure()
        # Individuals the ontology itself types (functions, ranks, statuses, change kinds…).
        self.individual_types: dict[URIRef, set[URIRef]] = {}
        for individual, cls in self.ontology.subject_objects(RDF.type):
            if isinstance(individual, URIRef) and str(cls).startswith("https://w3id.org/ontosides#"):
                self.individual_types.setdefault(individual, set()).add(cls)
        self.compiled = CompiledShapes(self.shapes, self.superclasses)

    def _superclass_closure(self) -> dict[URIRef, set[URIRef]]:
        direct: dict[URIRef, set[URIRef]] = {}
        for sub, sup in self.ontology.subject_objects(RDFS.subClassOf):
            if isinstance(sub, URIRef) and isinstance(sup, URIRef):
                direct.setdefault(sub, set()).add(sup)
        return {cls: reachable(sups, direct) for cls, sups in direct.items()}

    def entail_types(self, graph: Graph) -> None:
        """Add the superclasses of every rdf:type in place (what pyshacl's targets and sh:class need)."""
        for s, t in list(graph.subject_objects(RDF.type)):
            for sup in self.superclasses.get(t, ()):
                graph.add((s, RDF.type, sup))

    def neighbour_types(self, data: Triples, store: Store | None) -> dict[URIRef, set]:
        """The types of the resources the data points to without describing them (ontology, then store)."""
        triples = as_triples(data)
        described = {s for s, _, _ in triples}
        outside = {o for _, _, o in triples if isinstance(o, URIRef) and o not in described}
        outside -= {o for o in outside if o.startswith((str(OWL), str(RDFS), str(RDF)))}
        found: dict[URIRef, set] = {}
        for node in [o for o in outside if o in self.individual_types]:
            found[node] = set(self.individual_types[node])
            outside.discard(node)
        if store is not None and outside:
            for node, types in store.types_of(to_ox(o) for o in outside).items():
                found[from_ox(node)] = {from_ox(t) for t in types}
        return found

    def extract_for(self, data: Triples, store: Store | None,
                    neighbours: dict[URIRef, set] | None = None) -> Graph:
        """The data plus the types of the resources it points to that it does not describe."""
        triples = as_triples(data)
        extract = Extract()
        for triple in triples:
            extract.add(triple)
        neighbours = self.neighbour_types(triples, store) if neighbours is None else neighbours
        for node, types in neighbours.items():
            for t in types:
                extract.add((node, RDF.type, t))
        self.entail_types(extract)
        return extract

    def validate(self, data: Triples, store: Store | None = None, engine: str | None = None) -> list[Violation]:
        """Violations of the data (a graph, or several written together), with its neighbours' types from the
        store; empty when it conforms."""
        triples = as_triples(data)
        neighbours = self.neighbour_types(triples, store)
        described = {s for s, _, _ in triples}
        if (engine or self.engine) == "compiled":
            index = self.compiled.index(triples, neighbours)
            if not self.compiled.needs_fallback(index, described):
                return sort_violations(self.compiled.validate(index, described))
        extract = self.extract_for(triples, store, neighbours)
        # Neighbours appear only by their types; their own descriptions live (and are checked) elsewhere.
        return self.validate_extract(extract, {str(s) for s in described})

    def validate_extract(self, extract: Graph, focus: set[str] | None = None) -> list[Violation]:
        """Violations pyshacl finds in a graph that already holds what the shapes need; with `focus`, only those
        of the focus nodes so named.

        Restricting the focus is not a filter of the report only: pyshacl is not asked to check the other
        nodes a shape targets at all (in an extract, mostly neighbours present by their types alone, whose
        every required property would be reported missing and thrown away). A result always names the focus
        node of the top-level shape it comes from, and a focus node's results depend only on the data, never
        on which other nodes are checked: the violations kept are exactly those of a full run, filtered.
        """
        data = DataGraph.from_rdflib(extract)
        validator = Validator(data, shacl_graph=self.shapes, options={"inplace": True})
        with self._lock:
            validator.shacl_graph = self._shapes_graph
            if focus is None:
                conforms, report, _ = validator.run()
            else:
                conforms, report = self._run_on(validator, data, focus)
        return [] if conforms else violations_from_report(report, self.shapes)

    def _run_on(self, validator: Validator, data: DataGraph, focus: set[str]) -> tuple[bool, Graph]:
        """pyshacl's own run (no inference, no SHACL-AF, in place), each top-level shape given only the focus
        nodes among its targets that are named in `focus`, as pyshacl gives explicitly validated nodes."""
        executor = validator.make_executor()
        conforms, results = True, []
        for shape, targets in self._targets():
            nodes = [node for node in focus_nodes(targets, data) if str(node) in focus]
            if not nodes:
                continue
            shape_conforms, shape_results = shape.validate(executor, data, focus=nodes)
            conforms = conforms and shape_conforms
            results.extend(shape_results)
        report, _ = validator.create_validation_report(self._shapes_graph, conforms, results)
        return conforms, report

    def _targets(self) -> list[tuple]:
        """The active harvested shapes that declare targets, each with its target declarations (what pyshacl's
        Shape.target() reads from the shapes graph on every run), read once."""
        if self._shape_targets is None:
            found = []
            for shape in self._shapes_graph.shapes:
                if shape.deactivated:
                    continue
                nodes, classes, implicit, objects_of, subjects_of = shape.target()
                targets = (list(nodes), list(classes) + list(implicit), list(objects_of), list(subjects_of))
                if any(targets):
                    found.append((shape, targets))
            self._shape_targets = found
        return self._shape_targets


def focus_nodes(targets: tuple, data: Graph) -> set:
    """The focus nodes of a shape's target declarations in a data graph, as pyshacl's Shape.focus_nodes finds
    them without SHACL-AF targets (instances of a target class or of its rdfs:subClassOf descendants)."""
    nodes, classes, objects_of, subjects_of = targets
    found = set(nodes)
    for cls in classes:
        found.update(data.subjects(RDF.type, cls))
        for subclass in data.transitive_subjects(RDFS.subClassOf, cls):
            if subclass != cls:
                found.update(data.subjects(RDF.type, subclass))
    for predicate in subjects_of:
        found.update(s for s, _ in data.subject_objects(predicate))
    for predicate in objects_of:
        found.update(o for _, o in data.subject_objects(predicate))
    return found


@lru_cache(maxsize=256)
def _prepared_query(text: str, namespaces: frozenset):
    """A SPARQL text parsed and translated once, exactly as rdflib's processor does for a string query."""
    return translateQuery(parseQuery(text), None, dict(namespaces))


class Extract(Graph):
    """An rdflib graph whose string SPARQL queries are parsed once per process: pyshacl runs each sh:sparql
    constraint as a text, the same for every focus node (bound through initBindings), and rdflib would parse
    it again for each (most of a batch validation's SPARQL time)."""

    def query(self, query_object, processor="sparql", result="sparql", initNs=None, initBindings=None,  # noqa: N803
              use_store_provided=True, **kwargs):
        if isinstance(query_object, str) and processor == "sparql" and not kwargs:
            initNs = initNs or dict(self.namespaces())  # noqa: N806 (what Graph.query would take)
            query_object = _prepared_query(query_object, frozenset(initNs.items()))
        return super().query(query_object, processor, result, initNs, initBindings, use_store_provided, **kwargs)


def violations_from_report(report: Graph, shapes: Graph) -> list[Violation]:
    """Turn a SHACL report graph into sorted Violations."""
    found = []
    details = set(report.objects(None, SH.detail))
    for result in report.subjects(RDF.type, SH.ValidationResult):
        if result in details:
            continue  # the reasons behind another result (sh:node), not results of their own
        focus = report.value(result, SH.focusNode)
        path = report.value(result, SH.resultPath)
        messages = list(report.objects(result, SH.resultMessage))
        value = report.value(result, SH.value)
        shape = report.value(result, SH.sourceShape)
        if shape is not None and not isinstance(shape, URIRef):
            shape = shapes.value(predicate=SH.property, object=shape) or shape
        severity = report.value(result, SH.resultSeverity)
        found.append(Violation(
            focus=str(focus),
            path=path_label(report, path) if path is not None else None,
            message=pick_message(messages) if messages else "does not conform",
            shape=qname(shape, shapes) if isinstance(shape, URIRef) else None,
            value=str(value) if value is not None else None,
            severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
        ))
    return sort_violations(found)
