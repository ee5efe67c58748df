"""SHACL validation of a graph extract: the changed resources plus the types of their neighbours."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from pyshacl import Validator
from pyshacl.graph_abstraction import DataGraph
from pyshacl.shapes_graph import ShapesGraph
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH

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
        extract = Graph()
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
        names = {str(s) for s in described}
        return [v for v in self.validate_extract(extract) if v.focus in names]

    def validate_extract(self, extract: Graph) -> list[Violation]:
        """Violations pyshacl finds in a graph that already holds what the shapes need."""
        validator = Validator(DataGraph.from_rdflib(extract), shacl_graph=self.shapes, options={"inplace": True})
        with self._lock:
            validator.shacl_graph = self._shapes_graph
            conforms, report, _ = validator.run()
        return [] if conforms else violations_from_report(report, self.shapes)


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
