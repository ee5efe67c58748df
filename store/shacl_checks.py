"""SHACL constraint components as Python checks, each giving the results pyshacl gives for it.

A check is called with (data, focus node, value nodes) and yields (value, message) pairs, one per result:
the value node reported (None when the component reports none) and a message when the check words its own
(SPARQL constraints), else None for the shape's sh:message.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date, datetime, time
from decimal import Decimal

import pyoxigraph as ox
from pyshacl.rdfutil.compare import compare_literal
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH, XSD

from store.shacl_paths import DataIndex, UnsupportedShape
from store.terms import from_ox, to_ox

Results = Iterable[tuple[object, str | None]]
ShapeOf = Callable[[object], "object"]

# Everything a compiled shape may say; any other sh: term on a shape makes it refused.
DESCRIPTIVE = {SH.path, SH.message, SH.severity, SH.deactivated, SH.name, SH.description, SH.order, SH.group,
               SH.defaultValue, SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf,
               SH.property, SH.sparql, SH.flags, SH.qualifiedMinCount, SH.qualifiedMaxCount}
COMPONENTS = {SH.minCount, SH.maxCount, SH.datatype, SH["class"], SH.nodeKind, SH.pattern, SH.minLength,
              SH.maxLength, SH["in"], SH.hasValue, SH.minInclusive, SH.maxInclusive, SH.minExclusive,
              SH.maxExclusive, SH["or"], SH["and"], SH["not"], SH.xone, SH.node, SH.qualifiedValueShape,
              SH.equals, SH.disjoint, SH.lessThan, SH.lessThanOrEquals}
SUPPORTED = DESCRIPTIVE | COMPONENTS
PROPERTY_ONLY = {SH.minCount, SH.maxCount, SH.qualifiedValueShape, SH.equals, SH.disjoint, SH.lessThan,
                 SH.lessThanOrEquals}


class Check:
    """One constraint component of a shape, compiled."""

    __slots__ = ("run", "brings_messages")

    def __init__(self, run: Callable[[DataIndex, object, list], Results], brings_messages: bool = False):
        self.run = run
        self.brings_messages = brings_messages

    def __call__(self, data: DataIndex, focus, values: list) -> Results:
        return self.run(data, focus, values)


def pick_message(messages: Iterable) -> str:
    """The message a violation shows when a shape has several (one without a language first, then by text)."""
    return str(min(messages, key=lambda m: (getattr(m, "language", None) is not None, str(m))))


def compile_checks(g: Graph, node, is_property: bool, shape_of: ShapeOf) -> list[Check]:
    """The checks of the constraint components a shape declares."""
    used = {p for p in g.predicates(node) if p in COMPONENTS}
    if not is_property and used & PROPERTY_ONLY:
        raise UnsupportedShape(f"{node} is a node shape using {', '.join(sorted(map(str, used & PROPERTY_ONLY)))}")
    checks = []
    for predicate in sorted(used, key=str):
        values = list(g.objects(node, predicate))
        checks.extend(BUILDERS[predicate](g, node, values, shape_of))
    return checks


def _one(node, predicate, values: list):
    if len(values) != 1:
        raise UnsupportedShape(f"{node} has {len(values)} values of {predicate}")
    return values[0]


def _integer(node, predicate, value) -> int:
    if not isinstance(value, Literal) or not isinstance(value.value, int) or isinstance(value.value, bool):
        raise UnsupportedShape(f"{node}: {predicate} must be an integer")
    return value.value


# --- cardinality -------------------------------------------------------------------------------------------
def min_count(g, node, values, shape_of):
    least = _integer(node, SH.minCount, _one(node, SH.minCount, values))
    if least == 0:
        return []
    return [Check(lambda data, focus, found: [(None, None)] if len(found) < least else ())]


def max_count(g, node, values, shape_of):
    most = _integer(node, SH.maxCount, _one(node, SH.maxCount, values))
    return [Check(lambda data, focus, found: [(None, None)] if len(found) > most else ())]


# --- value type --------------------------------------------------------------------------------------------
PYTHON_VALUES = {XSD.string: (str, bytes), RDF.langString: (str, bytes), XSD.integer: int, XSD.float: float,
                 XSD.decimal: Decimal, XSD.boolean: bool, XSD.date: date, XSD.time: time, XSD.dateTime: datetime}


def datatype_matches(value, datatype) -> bool:
    """Whether a value node is a well-formed literal of a datatype (SHACL's rule, on rdflib's parsed values)."""
    if not isinstance(value, Literal):
        return False
    if value.datatype == datatype:
        if getattr(value, "ill_typed", None) is True:
            return False
    elif datatype == RDFS.Literal or (datatype == RDFS.Datatype and value.datatype):
        return True
    elif not ((datatype == XSD.string and value.datatype is None and value.language is None)
              or (datatype == RDF.langString and value.language)):
        return False
    wanted = PYTHON_VALUES.get(datatype)
    return wanted is None or isinstance(value.value, wanted)


def datatype(g, node, values, shape_of):
    wanted = _one(node, SH.datatype, values)
    return [Check(lambda data, focus, found: [(v, None) for v in found if not datatype_matches(v, wanted)])]


def class_(g, node, values, shape_of):
    def check(cls):
        return Check(lambda data, focus, found: [(v, None) for v in found
                                                 if isinstance(v, Literal) or cls not in data.types(v)])
    return [check(cls) for cls in values]


NODE_KINDS = {SH.IRI: (URIRef,), SH.BlankNode: (BNode,), SH.Literal: (Literal,), SH.BlankNodeOrIRI: (BNode, URIRef),
              SH.BlankNodeOrLiteral: (BNode, Literal), SH.IRIOrLiteral: (URIRef, Literal)}


def node_kind(g, node, values, shape_of):
    kind = _one(node, SH.nodeKind, values)
    if kind not in NODE_KINDS:
        raise UnsupportedShape(f"{node}: unknown sh:nodeKind {kind}")
    allowed = NODE_KINDS[kind]
    return [Check(lambda data, focus, found: [(v, None) for v in found if not isinstance(v, allowed)])]


# --- strings -----------------------------------------------------------------------------------------------
def as_string(value) -> str:
    """The text a string-based constraint reads: a string literal's value, else the term's lexical form."""
    if isinstance(value, Literal) and value.value is not None and value.datatype in (None, RDF.langString, XSD.string):
        return str(value.value)
    return str(value)


def pattern(g, node, values, shape_of):
    flags_text = str(next(iter(g.objects(node, SH.flags)), "")).lower()
    flags = (re.I if "i" in flags_text else 0) | (re.M if "m" in flags_text else 0)

    def check(p):
        if not isinstance(p, Literal):
            raise UnsupportedShape(f"{node}: sh:pattern must be a literal")
        regex = re.compile(str(p.value) if p.value is not None and len(p.value) > 1 else str(p), flags)
        return Check(lambda data, focus, found: [(v, None) for v in found
                                                 if isinstance(v, BNode) or not regex.search(as_string(v))])
    return [check(p) for p in values]


def min_length(g, node, values, shape_of):
    least = _integer(node, SH.minLength, _one(node, SH.minLength, values))
    return [Check(lambda data, focus, found: [(v, None) for v in found
                                             if isinstance(v, BNode) or len(as_string(v)) < least])]


def max_length(g, node, values, shape_of):
    most = _integer(node, SH.maxLength, _one(node, SH.maxLength, values))
    return [Check(lambda data, focus, found: [(v, None) for v in found
                                             if isinstance(v, BNode) or len(as_string(v)) > most])]


# --- values ------------------------------------------------------------------------------------------------
def in_(g, node, values, shape_of):
    allowed = set(g.items(_one(node, SH["in"], values)))
    return [Check(lambda data, focus, found: [(v, None) for v in found if v not in allowed])]


def has_value(g, node, values, shape_of):
    def check(wanted):
        return Check(lambda data, focus, found: () if any(v == wanted for v in found) else [(None, None)])
    return [check(wanted) for wanted in values]


def _range(passes: Callable[[int], bool], predicate):
    def build(g, node, values, shape_of):
        def check(bound):
            if not isinstance(bound, Literal):
                raise UnsupportedShape(f"{node}: {predicate} must be a literal")
            bound_is_string = isinstance(bound.value, str)

            def fits(v) -> bool:
                if not isinstance(v, Literal) or isinstance(v.value, str) != bound_is_string:
                    return False
                try:
                    return passes(compare_literal(v, bound))
                except (TypeError, NotImplementedError):
                    return False
            return Check(lambda data, focus, found: [(v, None) for v in found if not fits(v)])
        return [check(bound) for bound in values]
    return build


# --- shapes inside shapes ----------------------------------------------------------------------------------
# --- property pairs ---------------------------------------------------------------------------------------------
def _pair(compare: Callable[[list, list], list], predicate):
    def build(g, node, values, shape_of):
        other = _one(node, predicate, values)
        if not isinstance(other, URIRef):
            raise UnsupportedShape(f"{node}: {predicate} must name a property")
        return [Check(lambda data, focus, found: [(v, None) for v in compare(found, data.objects(focus, other))])]
    return build


def _ordered(passes: Callable[[int], bool]) -> Callable[[list, list], list]:
    def compare(found: list, others: list) -> list:
        wrong = []
        for value in found:
            for other in others:
                try:
                    fine = isinstance(value, Literal) and isinstance(other, Literal) and \
                        passes(compare_literal(value, other))
                except (TypeError, NotImplementedError):
                    fine = False
                if not fine:
                    wrong.append(value)
        return wrong
    return compare


def _equal_sets(found: list, others: list) -> list:
    return [v for v in found if v not in others] + [o for o in others if o not in found]


def _disjoint_sets(found: list, others: list) -> list:
    return [v for v in found if v in others]


def _shape_list(g, node, predicate, lists) -> list[list]:
    found = []
    for head in lists:
        members = list(g.items(head))
        if not members:
            raise UnsupportedShape(f"{node}: {predicate} needs a non-empty list")
        found.append(members)
    return found


def _logical(predicate, passes: Callable[[int, int], bool]):
    def build(g, node, values, shape_of):
        def check(members):
            shapes = [shape_of(m) for m in members]
            return Check(lambda data, focus, found: [
                (v, None) for v in found if not passes(sum(1 for s in shapes if s.conforms(data, v)), len(shapes))])
        return [check(members) for members in _shape_list(g, node, predicate, values)]
    return build


def not_(g, node, values, shape_of):
    def check(shape):
        return Check(lambda data, focus, found: [(v, None) for v in found if shape.conforms(data, v)])
    return [check(shape_of(v)) for v in values]


def node_(g, node, values, shape_of):
    def check(shape):
        return Check(lambda data, focus, found: [(v, None) for v in found if not shape.conforms(data, v)])
    return [check(shape_of(v)) for v in values]


def qualified(g, node, values, shape_of):
    if any(v == Literal(True) for v in g.objects(node, SH.qualifiedValueShapesDisjoint)):
        raise UnsupportedShape(f"{node} uses sh:qualifiedValueShapesDisjoint")
    least = next(iter(g.objects(node, SH.qualifiedMinCount)), None)
    most = next(iter(g.objects(node, SH.qualifiedMaxCount)), None)
    least = None if least is None else _integer(node, SH.qualifiedMinCount, least)
    most = None if most is None else _integer(node, SH.qualifiedMaxCount, most)
    if least is None and most is None:
        raise UnsupportedShape(f"{node}: sh:qualifiedValueShape without sh:qualifiedMinCount or MaxCount")

    def check(shape):
        def run(data, focus, found):
            count = sum(1 for v in found if shape.conforms(data, v))
            results = []
            if most is not None and count > most:
                results.append((None, None))
            if least is not None and count < least:
                results.append((None, None))
            return results
        return Check(run)
    return [check(shape_of(v)) for v in values]


BUILDERS = {
    SH.minCount: min_count, SH.maxCount: max_count, SH.datatype: datatype, SH["class"]: class_,
    SH.nodeKind: node_kind, SH.pattern: pattern, SH.minLength: min_length, SH.maxLength: max_length,
    SH["in"]: in_, SH.hasValue: has_value,
    SH.minInclusive: _range(lambda c: c >= 0, SH.minInclusive), SH.maxInclusive: _range(lambda c: c <= 0, SH.maxInclusive),
    SH.minExclusive: _range(lambda c: c > 0, SH.minExclusive), SH.maxExclusive: _range(lambda c: c < 0, SH.maxExclusive),
    SH["or"]: _logical(SH["or"], lambda n, total: n >= 1), SH["and"]: _logical(SH["and"], lambda n, total: n == total),
    SH.xone: _logical(SH.xone, lambda n, total: n == 1), SH["not"]: not_, SH.node: node_,
    SH.qualifiedValueShape: qualified,
    SH.lessThan: _pair(_ordered(lambda c: c < 0), SH.lessThan),
    SH.lessThanOrEquals: _pair(_ordered(lambda c: c <= 0), SH.lessThanOrEquals),
    SH.equals: _pair(_equal_sets, SH.equals), SH.disjoint: _pair(_disjoint_sets, SH.disjoint),
}


# --- SPARQL-based constraints ------------------------------------------------------------------------------
UNBOUND_VARIABLES = re.compile(r"\$(PATH|shapesGraph|currentShape)\b|[?$]path\b")
# Variables a SELECT constraint's solutions may bind that pyshacl reads itself rather than pass to messages.
RESULT_VARIABLES = ("this", "value")


def sparql_prefixes(g: Graph, constraint) -> dict[str, str]:
    """The prefixes a SPARQL constraint declares (sh:prefixes, and the ontologies' sh:declare)."""
    holders = set(g.objects(constraint, SH.prefixes)) | set(g.subjects(RDF.type, OWL.Ontology))
    prefixes = {}
    for holder in holders:
        for declaration in g.objects(holder, SH.declare):
            prefix, namespace = g.value(declaration, SH.prefix), g.value(declaration, SH.namespace)
            if prefix is None or namespace is None:
                raise UnsupportedShape(f"{constraint}: sh:declare needs one sh:prefix and one sh:namespace")
            prefixes[str(prefix)] = str(namespace)
    return prefixes


def format_message(text: str, bound: dict) -> str:
    """A SPARQL constraint's message with {?var} / {$var} replaced by the values of its result."""
    for name, value in bound.items():
        text = re.sub("{{[?$]{}}}".format(name), str(value), text)
    return text


def sparql_check(g: Graph, constraint, shape_messages: list) -> Check:
    """A sh:sparql SELECT constraint of a node shape, run by pyoxigraph with $this pre-bound (substituted)."""
    unknown = {p for p in g.predicates(constraint) if str(p).startswith(str(SH))} - {
        SH.select, SH.message, SH.prefixes, SH.deactivated}
    if unknown:
        raise UnsupportedShape(f"{constraint} uses {', '.join(sorted(map(str, unknown)))}")
    select = g.value(constraint, SH.select)
    if select is None:
        raise UnsupportedShape(f"{constraint} has no sh:select")
    text = str(select)
    if UNBOUND_VARIABLES.search(text):
        raise UnsupportedShape(f"{constraint} uses $PATH, ?path, $shapesGraph or $currentShape")
    if g.value(constraint, SH.deactivated) == Literal(True):
        return Check(lambda data, focus, found: (), brings_messages=True)
    messages = [str(m.value) if isinstance(m, Literal) else str(m)
                for m in [*shape_messages, *g.objects(constraint, SH.message)]]
    query = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in sparql_prefixes(g, constraint).items()) + "\n" + text
    this = ox.Variable("this")

    def run(data: DataIndex, focus, found) -> Results:
        solutions = data.sparql_store().query(query, substitutions={this: to_ox(focus)})
        names = [v.value for v in solutions.variables]
        rows: list[tuple] = []
        failed = False
        for solution in solutions:
            bound = {n: from_ox(solution[n]) for n in names if solution[n] is not None}
            if bound.pop("failure", None) is not None:
                if not failed:
                    rows.append((focus, bound))
                    failed = True
                continue
            this_node, value = (bound.pop(name, None) for name in RESULT_VARIABLES)
            if this_node is None and value is None:
                continue
            bound.update({k: v for k, v in (("this", this_node), ("value", value or focus)) if v is not None})
            row = (value or focus, bound)
            if row not in rows:
                rows.append(row)
        return [(value, pick_message([Literal(format_message(m, bound)) for m in messages]))
                for value, bound in rows]

    return Check(run, brings_messages=bool(messages))
