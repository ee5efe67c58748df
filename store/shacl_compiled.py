"""The SHACL shapes compiled once into plain Python checks, giving the violations pyshacl gives, much faster.

Only the SHACL-core features listed in `checks.SUPPORTED` (plus `sh:sparql` SELECT constraints, run by
pyoxigraph on an in-memory copy of the extract) are compiled. A shape that uses anything else is refused
(`CompiledShapes.refused` says why) and data it targets is validated by pyshacl instead, so no shape is ever
silently unchecked. Compiled shapes are immutable: validations run in parallel threads without a lock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH

from store.errors import Violation
from store.shacl_checks import SUPPORTED, Check, compile_checks, pick_message, sparql_check
from store.shacl_paths import DataIndex, UnsupportedShape, compile_path, path_label, qname

log = logging.getLogger(__name__)

TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
SEVERITY_NAMES = {SH.Violation: "Violation", SH.Warning: "Warning", SH.Info: "Info"}


@dataclass
class Shape:
    """One compiled shape: where its values come from, its checks, and how its results are worded."""

    node: object
    values: Callable[[DataIndex, object], list]
    checks: list[Check] = field(default_factory=list)
    properties: list[Shape] = field(default_factory=list)
    message: str | None = None
    severity: str = "Violation"
    label: str | None = None
    path: str | None = None
    deactivated: bool = False

    def report(self, data: DataIndex, focus, out: list[Violation]) -> None:
        """Append the violations of one focus node."""
        if self.deactivated:
            return
        values = self.values(data, focus)
        for check in self.checks:
            for value, message in check(data, focus, values):
                out.append(Violation(str(focus), self.path, message or self.message or "", self.label,
                                     None if value is None else str(value), self.severity))
        for prop in self.properties:
            for value in values:
                prop.report(data, value, out)

    def conforms(self, data: DataIndex, focus) -> bool:
        """Whether a node conforms (no result of any severity), as sh:or, sh:not, sh:node … ask."""
        if self.deactivated:
            return True
        values = self.values(data, focus)
        for check in self.checks:
            for _ in check(data, focus, values):
                return False
        return all(prop.conforms(data, value) for prop in self.properties for value in values)


def _focus_itself(data: DataIndex, focus) -> list:
    return [focus]


class Compiler:
    """Turns the shapes graph into Shape objects, refusing what it does not implement."""

    def __init__(self, shapes: Graph):
        self.shapes = shapes
        self.compiled: dict[object, Shape] = {}
        self.in_progress: set = set()
        self.custom_parameters = {path for component in shapes.subjects(RDF.type, SH.ConstraintComponent)
                                  for parameter in shapes.objects(component, SH.parameter)
                                  for path in shapes.objects(parameter, SH.path)}

    def label(self, node) -> str | None:
        """The shape named in reports: a property shape is reported under the shape that holds it."""
        if not isinstance(node, URIRef):
            node = self.shapes.value(predicate=SH.property, object=node) or node
        return qname(node, self.shapes) if isinstance(node, URIRef) else None

    def shape(self, node, reported: bool) -> Shape:
        """The compiled shape of a node (reported: its results reach the user, so it needs a message)."""
        if node in self.compiled:
            return self.compiled[node]
        if node in self.in_progress:
            raise UnsupportedShape(f"{node} refers back to itself (recursive shapes)")
        self.in_progress.add(node)
        try:
            compiled = self._compile(node, reported)
        finally:
            self.in_progress.discard(node)
        self.compiled[node] = compiled
        return compiled

    def _compile(self, node, reported: bool) -> Shape:
        g = self.shapes
        unknown = sorted({str(p) for p in g.predicates(node) if _is_constraint_predicate(p, self.custom_parameters)}
                         - {str(p) for p in SUPPORTED})
        if unknown:
            raise UnsupportedShape(f"{node} uses {', '.join(unknown)}")
        if (node, RDF.type, RDFS.Class) in g or (node, RDF.type, OWL.Class) in g:
            raise UnsupportedShape(f"{node} is also a class (implicit class targets)")
        path_node = g.value(node, SH.path)
        messages = list(g.objects(node, SH.message))
        severity = g.value(node, SH.severity) or SH.Violation
        if severity not in SEVERITY_NAMES:
            raise UnsupportedShape(f"{node} has an unknown severity {severity}")
        shape = Shape(node, compile_path(g, path_node) if path_node is not None else _focus_itself,
                      message=pick_message(messages) if messages else None, severity=SEVERITY_NAMES[severity],
                      label=self.label(node), path=path_label(g, path_node) if path_node is not None else None,
                      deactivated=g.value(node, SH.deactivated) == Literal(True))
        shape.checks = compile_checks(g, node, path_node is not None, lambda n: self.shape(n, reported=False))
        constraints = list(g.objects(node, SH.sparql))
        if constraints and path_node is not None:
            raise UnsupportedShape(f"{node}: SPARQL constraints on property shapes are not compiled")
        shape.checks += [sparql_check(g, constraint, messages) for constraint in constraints]
        if reported and shape.message is None and not shape.deactivated and \
                any(not check.brings_messages for check in shape.checks):
            raise UnsupportedShape(f"{node} has no sh:message (pyshacl would word its results)")
        shape.properties = [self.shape(p, reported) for p in g.objects(node, SH.property)]
        return shape


def _is_constraint_predicate(predicate, custom_parameters: set) -> bool:
    return str(predicate).startswith(str(SH)) or predicate in custom_parameters


@dataclass
class Targets:
    """Which top-level shapes apply to which nodes."""

    by_class: dict = field(default_factory=dict)
    by_node: dict = field(default_factory=dict)
    by_subject_of: dict = field(default_factory=dict)
    by_object_of: dict = field(default_factory=dict)

    def add(self, kind, key, shape: Shape) -> None:
        """Record one target declaration of a shape."""
        table = {SH.targetClass: self.by_class, SH.targetNode: self.by_node,
                 SH.targetSubjectsOf: self.by_subject_of, SH.targetObjectsOf: self.by_object_of}[kind]
        table.setdefault(key, []).append(shape)

    def shapes_for(self, node, data: DataIndex) -> list[Shape]:
        """The top-level shapes for which a node is a focus node, each once."""
        found: dict[int, Shape] = {}
        for cls in data.types(node):
            for shape in self.by_class.get(cls, ()):
                found[id(shape)] = shape
        for shape in self.by_node.get(node, ()):
            found[id(shape)] = shape
        if self.by_subject_of:
            for predicate in data.predicates(node):
                for shape in self.by_subject_of.get(predicate, ()):
                    found[id(shape)] = shape
        if self.by_object_of:
            for predicate in data.incoming_predicates(node):
                for shape in self.by_object_of.get(predicate, ()):
                    found[id(shape)] = shape
        return list(found.values())


class CompiledShapes:
    """Every targeting shape, compiled; `refused` names the ones left to pyshacl and why."""

    def __init__(self, shapes: Graph, superclasses: Mapping[object, set]):
        self.superclasses = superclasses
        self.targets = Targets()
        self.refused: dict[str, str] = {}
        self.refused_targets = Targets()
        compiler = Compiler(shapes)
        roots = {s for target in TARGETS for s in shapes.subjects(target, None)}
        for root in sorted(roots, key=str):
            try:
                shape = compiler.shape(root, reported=True)
                table = self.targets
            except UnsupportedShape as exc:
                self.refused[qname(root, shapes)] = str(exc)
                shape, table = Shape(root, _focus_itself), self.refused_targets
            for target in TARGETS:
                for key in shapes.objects(root, target):
                    table.add(target, key, shape)
        if self.refused:
            log.warning("SHACL shapes left to pyshacl (not compiled): %s",
                        "; ".join(f"{k}: {v}" for k, v in self.refused.items()))

    def index(self, data: Iterable[tuple], neighbour_types: Mapping[object, Iterable]) -> DataIndex:
        """The data with its neighbours' types, types entailed, ready to validate."""
        return DataIndex(data, neighbour_types, self.superclasses)

    def needs_fallback(self, data: DataIndex, focus_nodes: Iterable) -> bool:
        """Whether a refused shape targets one of these nodes (then pyshacl must judge the data)."""
        return bool(self.refused) and any(self.refused_targets.shapes_for(n, data) for n in focus_nodes)

    def validate(self, data: DataIndex, focus_nodes: Iterable) -> list[Violation]:
        """The violations of the compiled shapes on these focus nodes."""
        found: list[Violation] = []
        for node in focus_nodes:
            for shape in self.targets.shapes_for(node, data):
                shape.report(data, node, found)
        return found
