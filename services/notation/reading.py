"""Reading an épreuve for grading: its exam facts, slots and the published item versions they link.

This is the one function to swap for the shared `services.exams` readers when they land: everything else
of NOTATION takes a `Sheet`.
"""

from __future__ import annotations

from collections import defaultdict

import pyoxigraph as ox

from services.grading.scoring import Area
from services.notation.errors import NotFound
from services.notation.sheet import METHODS, Option, Question, Sheet, Slot
from services.platform import Platform
from store.sparql_text import inject_values_list

OS = "https://w3id.org/ontosides#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
DCT = "http://purl.org/dc/terms/"
TYPES = {"QRU": "QRU", "QRM": "QRM", "QRP": "QRP", "LongListQRM": "QRM_LONG", "LongListQRP": "QRP_LONG",
         "QROC": "QROC", "QROL": "QROL", "Zone": "ZONE", "Numeric": "NUMERIQUE", "Association": "ASSOCIATION",
         "TCS": "TCS"}
QUESTION_TYPES = frozenset(TYPES.values())  # what gets a question score (an ECOS station is graded as an item)
KINDS = {"IsolatedQuestion": "QI", "SQI": "SQI", "DP": "DP", "MDCP": "MDCP", "DL": "DL", "LCA": "LCA", "KFP": "KFP",
         "EcosStation": "ECOS"}


class _Facts:
    """Triples indexed by (subject, predicate) as plain strings."""

    def __init__(self, triples):
        self.index: dict[tuple[str, str], list] = defaultdict(list)
        for t in triples:
            self.index[(t.subject.value, t.predicate.value)].append(t.object)

    def all(self, s: str, p: str) -> list:
        return self.index.get((s, OS + p if ":" not in p else p), [])

    def one(self, s: str, p: str, default=None):
        found = self.all(s, p)
        return found[0].value if found else default

    def number(self, s: str, p: str) -> float | None:
        value = self.one(s, p)
        return float(value) if value is not None else None

    def ordered(self, s: str, p: str) -> list[str]:
        nodes = [o.value for o in self.all(s, p)]
        return sorted(nodes, key=lambda n: (int(float(self.one(n, "position", 0))), n))

    def local_types(self, s: str) -> set[str]:
        return {o.value.rsplit("#", 1)[-1] for o in self.all(s, RDF_TYPE) if o.value.startswith(OS)}


def _rows(platform: Platform, name: str, **params) -> list:
    query = platform.queries_for("notation").get(name)
    return platform.store.select(query.text, query.bind(params)).rows


def read_sheet(platform: Platform, key: str, iri: str, exam_key: str, number: int) -> Sheet:
    """The sheet of an épreuve (NotFound when the store has no such épreuve)."""
    head = _rows(platform, "epreuve", epreuve=iri)
    if not head:
        raise NotFound(f"no épreuve {key}")
    row = head[0]
    value = lambda name: row[name].value if name in row else None  # noqa: E731
    method = METHODS.get((value("method") or "").rsplit("#", 1)[-1], "edn-2023")
    offers = tuple(sorted(r["offer"].value for r in _rows(platform, "exam_offers", exam=value("exam"))))
    query = platform.queries_for("notation").get("epreuve_versions")
    facts = _Facts(platform.store.construct(query.text, query.bind({"epreuve": iri})))
    slots = []
    for r in _rows(platform, "epreuve_slots", epreuve=iri):
        position = int(r["position"].value)
        element = r["element"].value
        kinds = facts.local_types(element)
        kind = next((KINDS[k] for k in KINDS if k in kinds), "QI")
        slots.append(Slot(position, r["slot"].value, element, r["item"].value if "item" in r else None, kind,
                          facts.one(element, DCT + "title", f"item {position}"),
                          float(r["coefficient"].value) if "coefficient" in r else 1.0,
                          tuple(sorted(o.value for o in facts.all(element, DCT + "subject"))),
                          _questions(facts, element, kind, position)))
    return Sheet(key, iri, value("exam"), number, value("title") or key, value("examTitle") or exam_key,
                 value("owner"), method, value("start"), (value("status") or "").rsplit("#", 1)[-1] or None,
                 offers, tuple(slots))


def _questions(facts: _Facts, element: str, kind: str, position: int) -> tuple[Question, ...]:
    if kind == "QI":
        return (_question(facts, element, str(position), position),)
    if kind == "ECOS":
        checklist = tuple((c, facts.one(c, "description", ""), facts.number(c, "points") or 0.0)
                          for c in facts.ordered(element, "hasChecklistItem"))
        return (Question(str(position), element, position, "ECOS", facts.one(element, "scenario", ""),
                         checklist=checklist),)
    steps = facts.ordered(element, "hasStep")
    return tuple(_question(facts, facts.one(step, "hasQuestion"), f"{position}.{n}", position)
                 for n, step in enumerate(steps, 1) if facts.one(step, "hasQuestion"))


def _question(facts: _Facts, q: str, key: str, position: int) -> Question:
    qtype = next((TYPES[t] for t in facts.local_types(q) if t in TYPES), "UNKNOWN")
    options = tuple(Option(o, chr(65 + i) if i < 26 else f"O{i + 1}", facts.one(o, "optionText", ""),
                           facts.one(o, "isCorrect") in ("true", "1"),
                           (facts.one(o, "criticality") or "").rsplit("#", 1)[-1].lower() or None)
                    for i, o in enumerate(facts.ordered(q, "hasOption")))
    areas = tuple(Area(facts.one(a, "areaShape", "rect"),
                       tuple(float(c) for c in facts.one(a, "coordinates", "").replace(" ", "").split(",") if c))
                  for a in sorted(o.value for o in facts.all(q, "correctArea")))
    pairs = tuple((facts.one(p, "leftMember", ""), facts.one(p, "rightMember", "")) for p in facts.ordered(q, "hasPair"))
    panel = tuple((facts.one(e, "scaleValue", ""), int(float(facts.one(e, "expertCount", 0))))
                  for e in facts.ordered(q, "expertAnswer"))
    expected = facts.one(q, "expectedAnswerCount")
    return Question(key, q, position, qtype, facts.one(q, "statement", ""), options,
                    int(expected) if expected is not None else None,
                    tuple(sorted(o.value for o in facts.all(q, "acceptedAnswer"))), facts.one(q, "modelAnswer"),
                    facts.number(q, "maxPoints"), facts.number(q, "numericValue"), facts.number(q, "tolerance"),
                    facts.one(q, "unit"), areas, pairs, panel)


def entry_ancestors(platform: Platform, tags: set[str]) -> dict[str, set[str]]:
    """For each tag, the référentiel entries it counts for (itself and every entry above it)."""
    if not tags:
        return {}
    text = platform.queries_for("notation").get("tag_ancestors").text
    found: dict[str, set[str]] = {t: {t} for t in tags}
    for row in platform.store.select(inject_values_list(text, "tag", [ox.NamedNode(t) for t in sorted(tags)])):
        found[row["tag"].value].add(row["entry"].value)
    return found
