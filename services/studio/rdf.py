"""Items to RDF and back; one item (with its questions, options, steps) is one graph."""

from __future__ import annotations

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF

from services.studio.model import ITEM_KINDS, QUESTION_TYPES, STATUSES, Item, Question
from store.terms import OS, number_literal, triple_graph

KIND_BY_IRI = {v: k for k, v in ITEM_KINDS.items()}
TYPE_BY_IRI = {v: k for k, v in QUESTION_TYPES.items()}
STATUS_BY_IRI = {v: k for k, v in STATUSES.items()}
CRITICALITY = {"indispensable": OS.Indispensable, "unacceptable": OS.Unacceptable}
CRITICALITY_BY_IRI = {v: k for k, v in CRITICALITY.items()}
TEXTS = {"teaching_comment": OS.teachingComment, "comment": OS.comment, "hint": OS.hint}


def _texts(g: Graph, s: URIRef, source) -> None:
    for field, predicate in TEXTS.items():
        value = getattr(source, field)
        if value:
            g.add((s, predicate, Literal(value)))


def _attachments(g: Graph, s: URIRef, files: list[str]) -> None:
    for n, iri in enumerate(files, 1):
        a = URIRef(f"{s}/attachment/{n}")
        g.add((s, OS.hasAttachment, a))
        g.add((a, RDF.type, OS.Attachment))
        g.add((a, OS.file, URIRef(iri)))
        g.add((a, OS.position, Literal(n)))


def _read_attachments(g: Graph, s) -> list[str]:
    return [_value(g, a, OS.file) for a in _ordered(g, s, OS.hasAttachment)]


def question_triples(g: Graph, q: URIRef, question: Question) -> None:
    """The triples of one question."""
    g.add((q, RDF.type, QUESTION_TYPES[question.type]))
    g.add((q, OS.statement, Literal(question.statement)))
    for n, option in enumerate(question.options, 1):
        o = URIRef(f"{q}/option/{n}")
        g.add((q, OS.hasOption, o))
        g.add((o, RDF.type, OS.AnswerOption))
        g.add((o, OS.optionText, Literal(option.text)))
        g.add((o, OS.isCorrect, Literal(option.correct)))
        g.add((o, OS.position, Literal(n)))
        if option.criticality:
            g.add((o, OS.criticality, CRITICALITY[option.criticality]))
        if option.image:
            g.add((o, OS.image, URIRef(option.image)))
        if option.comment:
            g.add((o, OS.comment, Literal(option.comment)))
    if question.expected_count is not None:
        g.add((q, OS.expectedAnswerCount, Literal(question.expected_count)))
    for answer in question.accepted_answers:
        g.add((q, OS.acceptedAnswer, Literal(answer)))
    if question.model_answer:
        g.add((q, OS.modelAnswer, Literal(question.model_answer)))
    if question.max_points is not None:
        g.add((q, OS.maxPoints, number_literal(question.max_points)))
    if question.image:
        g.add((q, OS.image, URIRef(question.image)))
    _attachments(g, q, question.attachments)
    for n, area in enumerate(question.areas, 1):
        a = URIRef(f"{q}/area/{n}")
        g.add((q, OS.correctArea, a))
        g.add((a, RDF.type, OS.ImageArea))
        g.add((a, OS.areaShape, Literal(area.shape)))
        g.add((a, OS.coordinates, Literal(area.coords)))
    if question.value is not None:
        g.add((q, OS.numericValue, number_literal(question.value)))
    if question.tolerance is not None:
        g.add((q, OS.tolerance, number_literal(question.tolerance)))
    if question.unit:
        g.add((q, OS.unit, Literal(question.unit)))
    for n, pair in enumerate(question.pairs, 1):
        p = URIRef(f"{q}/pair/{n}")
        g.add((q, OS.hasPair, p))
        g.add((p, RDF.type, OS.AssociationPair))
        g.add((p, OS.leftMember, Literal(pair.left)))
        g.add((p, OS.rightMember, Literal(pair.right)))
        g.add((p, OS.position, Literal(n)))
    if question.hypothesis:
        g.add((q, OS.hypothesis, Literal(question.hypothesis)))
    if question.new_information:
        g.add((q, OS.newInformation, Literal(question.new_information)))
    if question.scale:
        g.add((q, OS.likertScale, URIRef(question.scale)))
    for n, expert in enumerate(question.expert_answers, 1):
        e = URIRef(f"{q}/expert/{n}")
        g.add((q, OS.expertAnswer, e))
        g.add((e, RDF.type, OS.ExpertAnswer))
        g.add((e, OS.scaleValue, URIRef(expert.value)))
        g.add((e, OS.expertCount, Literal(expert.count)))
        g.add((e, OS.position, Literal(n)))
    _texts(g, q, question)


def item_graph(item: Item, iri: str, creator: str) -> Graph:
    """The RDF of an item (its graph's content)."""
    g = triple_graph()
    s = URIRef(iri)
    g.add((s, RDF.type, ITEM_KINDS[item.kind]))
    g.add((s, DCTERMS.title, Literal(item.title)))
    g.add((s, DCTERMS.creator, URIRef(creator)))
    g.add((s, OS.status, STATUSES[item.status]))
    if item.owner:
        g.add((s, OS.owner, URIRef(item.owner)))
    for person in item.coauthors:
        g.add((s, DCTERMS.contributor, URIRef(person)))
    for tag in item.tags:
        g.add((s, DCTERMS.subject, URIRef(tag)))
    for specialty in item.specialties:
        g.add((s, OS.specialty, URIRef(specialty)))
    for knowledge in item.transversal:
        g.add((s, OS.transversalKnowledge, URIRef(knowledge)))
    if item.vignette:
        g.add((s, OS.vignette, Literal(item.vignette)))
    if item.statement and item.kind != "QI":
        g.add((s, OS.statement, Literal(item.statement)))
    if item.article:
        g.add((s, OS.article, URIRef(item.article)))
    _attachments(g, s, item.attachments)
    if item.legacy_id:
        g.add((s, OS.legacyId, Literal(item.legacy_id)))
    _texts(g, s, item)
    if item.kind == "QI" and item.question is not None:
        question_triples(g, s, item.question)
    for n, question in enumerate(item.questions, 1):
        step, q = URIRef(f"{iri}/step/{n}"), URIRef(f"{iri}/q/{n}")
        g.add((s, OS.hasStep, step))
        g.add((step, RDF.type, OS.DossierStep))
        g.add((step, OS.position, Literal(n)))
        g.add((step, OS.hasQuestion, q))
        question_triples(g, q, question)
    if item.station is not None:
        st = item.station
        g.add((s, OS.scenario, Literal(st.scenario)))
        g.add((s, OS.candidateInstructions, Literal(st.candidate_instructions)))
        if st.patient_instructions:
            g.add((s, OS.patientInstructions, Literal(st.patient_instructions)))
        g.add((s, OS.durationMinutes, Literal(st.duration_minutes)))
        if st.rating_scale:
            g.add((s, OS.globalRatingScale, URIRef(st.rating_scale)))
        for n, check in enumerate(st.checklist, 1):
            c = URIRef(f"{iri}/check/{n}")
            g.add((s, OS.hasChecklistItem, c))
            g.add((c, RDF.type, OS.ChecklistItem))
            g.add((c, OS.description, Literal(check.text)))
            g.add((c, OS.points, number_literal(check.points)))
            g.add((c, OS.position, Literal(n)))
    return g


class Facts:
    """A graph's triples indexed by subject and predicate: reading an item asks ~100 such questions."""

    def __init__(self, graph: Graph):
        self.index: dict = {}
        for s, p, o in graph:
            self.index.setdefault((s, p), []).append(o)

    def objects(self, s, p) -> list:
        """Every value of a predicate on a subject."""
        return self.index.get((s, p), [])

    def value(self, s, p):
        """One value of a predicate on a subject, or None."""
        found = self.index.get((s, p))
        return found[0] if found else None


def facts(g: Graph | Facts) -> Facts:
    """The indexed form of a graph."""
    return g if isinstance(g, Facts) else Facts(g)


def _value(g: Facts, s, p):
    v = g.value(s, p)
    return None if v is None else v.toPython() if isinstance(v, Literal) else str(v)


def _ordered(g: Facts, s, p) -> list:
    return sorted(g.objects(s, p), key=lambda o: (g.value(o, OS.position) or 0, str(o)))


def read_question(g: Graph | Facts, q) -> dict:
    """The JSON form of a question."""
    g = facts(g)
    qtype = next((TYPE_BY_IRI[t] for t in g.objects(q, RDF.type) if t in TYPE_BY_IRI), None)
    out = {"type": qtype, "statement": _value(g, q, OS.statement) or "",
           "options": [{"text": _value(g, o, OS.optionText), "correct": bool(_value(g, o, OS.isCorrect)),
                        "criticality": CRITICALITY_BY_IRI.get(g.value(o, OS.criticality)),
                        "image": _value(g, o, OS.image), "comment": _value(g, o, OS.comment)}
                       for o in _ordered(g, q, OS.hasOption)],
           "expected_count": _value(g, q, OS.expectedAnswerCount),
           "accepted_answers": sorted(str(a) for a in g.objects(q, OS.acceptedAnswer)),
           "model_answer": _value(g, q, OS.modelAnswer), "max_points": _value(g, q, OS.maxPoints),
           "image": _value(g, q, OS.image), "attachments": _read_attachments(g, q),
           "areas": [{"shape": _value(g, a, OS.areaShape), "coords": _value(g, a, OS.coordinates)}
                     for a in sorted(g.objects(q, OS.correctArea), key=str)],
           "value": _value(g, q, OS.numericValue), "tolerance": _value(g, q, OS.tolerance),
           "unit": _value(g, q, OS.unit),
           "pairs": [{"left": _value(g, p, OS.leftMember), "right": _value(g, p, OS.rightMember)}
                     for p in _ordered(g, q, OS.hasPair)],
           "hypothesis": _value(g, q, OS.hypothesis), "new_information": _value(g, q, OS.newInformation),
           "scale": _value(g, q, OS.likertScale),
           "expert_answers": [{"value": _value(g, e, OS.scaleValue), "count": _value(g, e, OS.expertCount)}
                              for e in _ordered(g, q, OS.expertAnswer)]}
    for field, predicate in TEXTS.items():
        out[field] = _value(g, q, predicate)
    for key in ("value", "tolerance", "max_points"):
        if out[key] is not None:
            out[key] = float(out[key])
    return out


def read_item(g: Graph | Facts, iri: str) -> dict:
    """The JSON form of an item from its graph."""
    g = facts(g)
    s = URIRef(iri)
    kind = next((KIND_BY_IRI[t] for t in g.objects(s, RDF.type) if t in KIND_BY_IRI), None)
    out = {"iri": iri, "kind": kind, "title": _value(g, s, DCTERMS.title),
           "creator": _value(g, s, DCTERMS.creator), "owner": _value(g, s, OS.owner),
           "coauthors": sorted(str(o) for o in g.objects(s, DCTERMS.contributor)),
           "status": STATUS_BY_IRI.get(g.value(s, OS.status), "draft"),
           "tags": sorted(str(o) for o in g.objects(s, DCTERMS.subject)),
           "specialties": sorted(str(o) for o in g.objects(s, OS.specialty)),
           "transversal": sorted(str(o) for o in g.objects(s, OS.transversalKnowledge)),
           "vignette": _value(g, s, OS.vignette), "statement": _value(g, s, OS.statement) if kind != "QI" else None,
           "article": _value(g, s, OS.article), "attachments": _read_attachments(g, s),
           "legacy_id": _value(g, s, OS.legacyId),
           "revision_of": _value(g, s, URIRef("http://www.w3.org/ns/prov#wasRevisionOf")),
           "question": read_question(g, s) if kind == "QI" else None,
           "questions": [read_question(g, g.value(step, OS.hasQuestion)) for step in _ordered(g, s, OS.hasStep)],
           "station": None}
    for field, predicate in TEXTS.items():
        out[field] = _value(g, s, predicate)
    if kind == "ECOS":
        out["station"] = {
            "scenario": _value(g, s, OS.scenario), "candidate_instructions": _value(g, s, OS.candidateInstructions),
            "patient_instructions": _value(g, s, OS.patientInstructions),
            "duration_minutes": _value(g, s, OS.durationMinutes), "rating_scale": _value(g, s, OS.globalRatingScale),
            "checklist": [{"text": _value(g, c, OS.description), "points": float(_value(g, c, OS.points))}
                          for c in _ordered(g, s, OS.hasChecklistItem)]}
    return out
