"""An épreuve's own rules as SHACL: what an answer to each of its questions may carry.

"The shapes" an answer of an épreuve must conform to are the core ones (`shapes/core/exams.ttl`,
osh:AnswerShape: one épreuve, student and question; datatypes; the sequence number's range; the lengths of
texts, notepads and units; a unit goes with a number; coordinates ≥ 0 …) plus the shapes this module derives from
the épreuve's snapshot (`services.taking.snapshot.Snapshot`):

- an answer of the épreuve answers one of its questions (os:question sh:in the questions' IRIs);
- for each question, what an answer to it may carry: the options it ticks are options of that question
  (sh:in), one at most on a QRU; a TCS answer gives one value of the question's scale; a pair answer matches a
  left member of the question to a right member of it, each left member once at most; an ECOS checklist ticks
  items of the station's checklist and is attributed to the examiner who filled it in (prov:wasAttributedTo), while
  an answer to any other question is attributed to no one (the candidate gave it); and the properties the
  question's type does not take are absent (sh:maxCount 0 on their sh:alternativePath).

Each rule is a shape targeting os:Answer that only bites on the answers of this épreuve (and question):
`sh:or ( [ sh:not <about this épreuve and question> ] <the rules> )`, the usual SHACL implication, so the
derived shapes can sit beside every other épreuve's in one shapes graph.

The hot path does not run these shapes: `services.taking.checks.answer_problem` checks a save against the same
snapshot in plain Python, and `tests/test_taking_checks.py` proves by generated valid and broken answers that it
accepts exactly the answers whose triples (`services.taking.render.answer_triples`) conform to the core and
derived shapes. The rules are written here again, independently of `checks.py`, so that the test compares two
statements of them rather than one with itself. What is not a shape matter (who is registered, the window, the
sequence number against the stored one, dossier steps already moved past) is checked by `services.taking.service`
against the session state.
"""

from __future__ import annotations

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH

from services.taking.snapshot import QuestionRules, Snapshot
from store.terms import OS, triple_graph

PROV_ATTRIBUTED = URIRef("http://www.w3.org/ns/prov#wasAttributedTo")
CHOICE_TYPES = frozenset({"QRU", "QRM", "QRP", "QRM_LONG", "QRP_LONG"})

# The properties an answer's values become (services.taking.render), and those each type of question takes.
VALUE_PROPERTIES = (OS.selectedOption, OS.textAnswer, OS.numericAnswer, OS.unit, OS.zoneX, OS.zoneY,
                    OS.pairAnswer, OS.checkedItem, OS.globalRating, PROV_ATTRIBUTED)
TAKES = {**{t: (OS.selectedOption,) for t in CHOICE_TYPES},
         "TCS": (OS.selectedOption,),
         "QROC": (OS.textAnswer,), "QROL": (OS.textAnswer,),
         "NUMERIQUE": (OS.numericAnswer, OS.unit),
         "ZONE": (OS.zoneX, OS.zoneY),
         "ASSOCIATION": (OS.pairAnswer,),
         "ECOS": (OS.checkedItem, OS.globalRating, PROV_ATTRIBUTED)}
WHAT = {"QRU": "ticks one of its options at most", "TCS": "gives one value of its scale at most",
        "QROC": "holds a text", "QROL": "holds a text", "NUMERIQUE": "holds a number and its unit",
        "ZONE": "holds a point (x, y)",
        "ASSOCIATION": "matches left members of its pairs to right members of them, each left member once at most",
        "ECOS": "ticks items of the station's checklist, gives one value of its global rating scale at most, and is "
                 "filled in by an examiner (prov:wasAttributedTo)"}


def shape_iri(snapshot: Snapshot, name: str) -> URIRef:
    """The IRI of one of the épreuve's derived shapes."""
    return URIRef(f"{snapshot.iri}/shape/{name}")


def snapshot_shapes(snapshot: Snapshot) -> Graph:
    """The épreuve's derived shapes (to be used with the core shapes)."""
    g = triple_graph()
    epreuve = URIRef(snapshot.iri)
    of_epreuve = _node(g, [_property(g, OS.epreuve, hasValue=epreuve)])

    # An answer of the épreuve answers one of its questions.
    questions = sorted({URIRef(r.iri) for r in snapshot.questions.values()})
    top = shape_iri(snapshot, "questions")
    g.add((top, RDF.type, SH.NodeShape))
    g.add((top, SH.targetClass, OS.Answer))
    _list(g, top, SH["or"], [_not(g, of_epreuve), _property(g, OS.question, **{"in": questions})])
    g.add((top, SH.message,
           Literal(f"An answer of épreuve {snapshot.key} answers one of its questions (os:question).")))

    for key in sorted(snapshot.questions, key=_key_order):
        rules = snapshot.questions[key]
        about = _node(g, [_property(g, OS.epreuve, hasValue=epreuve),
                          _property(g, OS.question, hasValue=URIRef(rules.iri))])
        shape = shape_iri(snapshot, f"question/{key}")
        g.add((shape, RDF.type, SH.NodeShape))
        g.add((shape, SH.targetClass, OS.Answer))
        _list(g, shape, SH["or"], [_not(g, about), _node(g, question_rules(g, rules))])
        g.add((shape, SH.message, Literal(_message(snapshot, rules))))
    return g


def question_rules(g: Graph, rules: QuestionRules) -> list:
    """The property shapes an answer to one question conforms to."""
    takes = TAKES.get(rules.type, ())
    absent = [p for p in VALUE_PROPERTIES if p not in takes]
    either = BNode()
    _list(g, either, SH.alternativePath, absent)
    out = [_property(g, either, maxCount=0)]  # what the type does not take, in one shape
    if rules.type in CHOICE_TYPES:
        extra = {"maxCount": 1} if rules.type == "QRU" else {}
        out.append(_property(g, OS.selectedOption, **{"in": sorted(map(URIRef, rules.options))}, **extra))
    elif rules.type == "TCS":
        out.append(_property(g, OS.selectedOption, maxCount=1, **{"in": sorted(map(URIRef, rules.scale))}))
    elif rules.type == "ASSOCIATION":
        lefts, rights = sorted(map(Literal, rules.lefts)), sorted(map(Literal, rules.rights))
        pair = _node(g, [_property(g, OS.pairLeft, minCount=1, maxCount=1, **{"in": lefts}),
                         _property(g, OS.pairRight, minCount=1, maxCount=1, **{"in": rights})])
        out.append(_property(g, OS.pairAnswer, node=pair))
        for left in lefts:  # each left member is matched once at most
            once = _node(g, [_property(g, OS.pairLeft, hasValue=left)])
            out.append(_property(g, OS.pairAnswer, qualifiedValueShape=once, qualifiedMaxCount=1))
    elif rules.type == "ECOS":
        out.append(_property(g, OS.checkedItem, **{"in": sorted(map(URIRef, rules.checklist))}))
        out.append(_property(g, OS.globalRating, maxCount=1, **{"in": sorted(map(URIRef, rules.scale))}))
        out.append(_property(g, PROV_ATTRIBUTED, minCount=1, maxCount=1))
    return out


def _message(snapshot: Snapshot, rules: QuestionRules) -> str:
    what = WHAT.get(rules.type, "ticks some of its options" if rules.type in CHOICE_TYPES else "carries no value")
    return (f"An answer to question {rules.key} ({rules.type}) of épreuve {snapshot.key} {what}, "
            "and carries nothing its type does not take.")


def _key_order(key: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else 0 for part in key.split("."))


# --- building blocks ---------------------------------------------------------------------------------------
def _property(g: Graph, path, **constraints) -> BNode:
    shape = BNode()
    g.add((shape, SH.path, path))
    for name, value in constraints.items():
        if name == "in":
            _list(g, shape, SH["in"], value)
        elif isinstance(value, int) and not isinstance(value, bool):
            g.add((shape, SH[name], Literal(value)))
        else:
            g.add((shape, SH[name], value))
    return shape


def _node(g: Graph, properties: list) -> BNode:
    shape = BNode()
    g.add((shape, RDF.type, SH.NodeShape))
    for p in properties:
        g.add((shape, SH.property, p))
    return shape


def _not(g: Graph, shape) -> BNode:
    negation = BNode()
    g.add((negation, SH["not"], shape))
    return negation


def _list(g: Graph, subject, predicate, members: list) -> None:
    if not members:
        g.add((subject, predicate, RDF.nil))
        return
    head = BNode()
    Collection(g, head, list(members))
    g.add((subject, predicate, head))
