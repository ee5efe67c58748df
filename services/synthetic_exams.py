"""The generator's exams: items of every auto-graded type plus QROC and QROL, published versions, finished
épreuves with one copy per candidate (answers drawn from a Rasch model), their grades and statistics.

Grades, statistics and référentiel contributions are computed and rendered by NOTATION's own code
(`services.notation`), and the question-score aggregates by the code NOTATION calls after saving grades
(`services.statistics.aggregates`), so demo data is exactly what grading the copies again would write.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from services.exams.naming import ExamNames
from services.notation import statistics
from services.notation.answers import Copies
from services.notation.baremes import default_bareme, parse
from services.notation.corrections import Corrections
from services.notation.grades import compute, decimal_texts, grade_lines, score_lines
from services.notation.writing import grade_context
from services.notation.saved import scoring_token
from services.notation.scores import score_copies
from services.notation.sheet import Option, Question, Sheet, Slot
from services.statistics import aggregates
from services.nquads import DCT, OS, PROV, RDF_TYPE, Writer, lit

CHOICE_OPTIONS = {"QRU": 5, "QRM": 5, "QRP": 5, "QRM_LONG": 12}
CLASSES = {"QRM_LONG": "LongListQRM"}
# Expected answers (the first spelled as the key, the others synonyms) and answers a grader has to decide.
QROC_KEYS = [(("pneumopathie", "pneumonie"), ("pneumopatie", "bronchite", "pneumonie atypique", "infection")),
             (("appendicite",), ("apendicite", "péritonite", "colique néphrétique")),
             (("embolie pulmonaire", "EP"), ("embolie", "infarctus pulmonaire", "pneumothorax")),
             (("méningite",), ("meningite bactérienne", "encéphalite", "migraine"))]
QROL_TEXTS = ["Antibiothérapie probabiliste après hémocultures, réévaluée à 48 heures.",
              "Hospitalisation, oxygène, surveillance.", "Je ne sais pas.",
              "Traitement symptomatique et consultation de contrôle à une semaine."]
GENERATED_AT = "2026-02-01T18:00:00Z"


# The generator's topics as entries of the Officiel list of specialties (collèges).
SPECIALTIES = {"cardiology": "cardiologie", "pneumology": "pneumologie", "nephrology": "nephrologie",
               "neurology": "neurologie", "paediatrics": "pediatrie", "psychiatry": "psychiatrie",
               "infectiology": "maladies-infectieuses", "endocrinology": "endocrinologie",
               "gastroenterology": "gastro-enterologie", "dermatology": "dermatologie", "rheumatology": "rhumatologie",
               "haematology": "hematologie", "oncology": "oncologie", "gynaecology": "gynecologie-obstetrique",
               "urology": "urologie", "ophthalmology": "ophtalmologie", "public health": "sante-publique",
               "emergency medicine": "medecine-d-urgence", "geriatrics": "geriatrie"}


def question(w: Writer, rng: random.Random, base: str, qid: str, kind: str, ufr: str, author: str,
             objectives: list[tuple[str, str]]) -> dict:
    """An isolated question of a type, tagged with an objective, of a random difficulty (its current graph)."""
    objective, topic = rng.choice(objectives)
    q = {"id": qid, "iri": f"{base}item/{qid}", "kind": kind, "topic": topic, "objective": objective,
         "specialty": f"{base}list/specialites/{SPECIALTIES[topic]}",
         "author": author, "owner": ufr, "difficulty": rng.gauss(0.0, 1.0), "n_options": CHOICE_OPTIONS.get(kind, 0)}
    if kind == "QRU":
        q["right"] = {rng.randrange(5)}
    elif kind in ("QRM", "QRP"):
        q["right"] = set(rng.sample(range(5), rng.randint(1, 3)))
    elif kind == "QRM_LONG":
        q["right"] = set(rng.sample(range(12), rng.randint(1, 4)))
    elif kind == "QROC":
        q["accepted"], q["unexpected"] = rng.choice(QROC_KEYS)
    q["options"] = item_quads(w, q, q["iri"], f"{base}graph/item/{qid}")
    return q


def item_quads(w: Writer, q: dict, item: str, graph: str) -> list[str]:
    """The triples of an item (current or a published version) under an IRI; returns its option IRIs."""
    kind, topic = q["kind"], q["topic"]
    w.iri(item, RDF_TYPE, OS + "IsolatedQuestion", graph)
    w.iri(item, RDF_TYPE, OS + CLASSES.get(kind, kind), graph)
    w.quad(item, DCT + "title", lit(f"{kind} {topic} {q['id']}"), graph)
    w.quad(item, OS + "statement", lit(f"A patient presents with a {topic} problem. "
                                       + ("Which statements are right?" if q["n_options"] else "What is it?")), graph)
    w.iri(item, DCT + "creator", q["author"], graph)
    w.iri(item, OS + "owner", q["owner"], graph)
    w.iri(item, DCT + "subject", q["objective"], graph)
    if "specialty" in q:
        w.iri(item, OS + "specialty", q["specialty"], graph)
    w.iri(item, OS + "status", OS + "Validated", graph)
    w.quad(item, OS + "difficulty", lit(f"{q['difficulty']:.3f}", dtype="decimal"), graph)
    if kind == "QRP":
        w.quad(item, OS + "expectedAnswerCount", lit(str(len(q["right"])), dtype="integer"), graph)
    for answer in q.get("accepted", ()):
        w.quad(item, OS + "acceptedAnswer", lit(answer), graph)
    if kind == "QROL":
        w.quad(item, OS + "modelAnswer", lit("Antibiothérapie probabiliste, réévaluation à 48 heures."), graph)
        w.quad(item, OS + "maxPoints", lit("4", dtype="integer"), graph)
    options = []
    for k in range(q["n_options"]):
        opt = f"{item}/option/{k + 1}"
        w.iri(item, OS + "hasOption", opt, graph)
        w.iri(opt, RDF_TYPE, OS + "AnswerOption", graph)
        w.quad(opt, OS + "optionText", lit(f"Proposition {chr(65 + k)} about {topic}"), graph)
        w.quad(opt, OS + "isCorrect", lit("true" if k in q["right"] else "false", dtype="boolean"), graph)
        w.quad(opt, OS + "position", lit(str(k + 1), dtype="integer"), graph)
        options.append(opt)
    return options


def published(w: Writer, names: ExamNames, q: dict) -> dict:
    """The published version 1 of an item (an épreuve links it; later edits never reach the épreuve)."""
    if "version" not in q:
        version, graph = names.version(q["id"], 1), names.version_graph(q["id"], 1)
        options = item_quads(w, q, version, graph)
        w.iri(version, PROV + "specializationOf", q["iri"], graph)
        w.quad(version, OS + "version", lit("1", dtype="integer"), graph)
        w.quad(version, PROV + "generatedAtTime", lit("2025-12-01T08:00:00Z", dtype="dateTime"), graph)
        q["version"], q["version_options"] = version, options
    return q


@dataclass
class Totals:
    """The référentiel aggregates, summed from every graded épreuve's contributions (as NOTATION keeps them)."""

    entries: dict[str, tuple[int, Decimal]] = field(default_factory=dict)

    def add(self, contributed: dict[str, tuple[int, Decimal]]) -> None:
        """Add an épreuve's contributions."""
        for entry, (n, s) in contributed.items():
            count, total = self.entries.get(entry, (0, Decimal(0)))
            self.entries[entry] = (count + n, total + s)


@dataclass(frozen=True)
class ExamPlan:
    """One exam to generate."""

    key: str
    title: str
    univ: str
    ufr: str
    offer: str
    cohort: str
    epreuves: int
    graded: bool
    published: bool


def exam(w: Writer, rng: random.Random, names: ExamNames, plan: ExamPlan, questions: list[dict],
         students: list[tuple[str, float]], per_epreuve: int, items_of: dict[str, str], totals: Totals,
         chosen: list[dict] | None = None) -> Iterator[str]:
    """A finished exam: its épreuves, registrations, frozen candidates, every copy, grades and statistics."""
    exam_iri = names.exam(plan.key)
    graph = names.exam_graph(plan.key)
    w.iri(exam_iri, RDF_TYPE, OS + "Exam", graph)
    w.quad(exam_iri, DCT + "title", lit(plan.title), graph)
    w.quad(exam_iri, OS + "shortName", lit(plan.key.upper()), graph)
    w.quad(exam_iri, DCT + "identifier", lit(f"EX-2026-{plan.key.upper()}"), graph)
    w.iri(exam_iri, OS + "concernsUniversity", plan.univ, graph)
    w.iri(exam_iri, OS + "concernsOffer", plan.offer, graph)
    w.iri(exam_iri, OS + "owner", plan.ufr, graph)
    w.iri(exam_iri, OS + "examStatus", OS + "StatusFinished", graph)
    day = 1 + rng.randrange(26)
    for number in range(1, plan.epreuves + 1):
        epreuve = names.epreuve(plan.key, number)
        start = f"2026-01-{day + number - 1:02d}T09:00:00Z"
        w.iri(exam_iri, OS + "hasEpreuve", epreuve, graph)
        w.iri(epreuve, RDF_TYPE, OS + "Epreuve", graph)
        w.quad(epreuve, DCT + "title", lit(f"Épreuve {number} — {plan.key}"), graph)
        w.quad(epreuve, OS + "epreuveNumber", lit(str(number), dtype="integer"), graph)
        w.quad(epreuve, OS + "epreuveType", lit("Épreuve facultaire"), graph)
        w.quad(epreuve, OS + "startTime", lit(start, dtype="dateTime"), graph)
        w.quad(epreuve, OS + "durationMinutes", lit("120", dtype="integer"), graph)
        w.iri(epreuve, OS + "gradingMethod", OS + "MethodEdn2023", graph)
        w.iri(epreuve, OS + "examStatus", OS + "StatusFinished", graph)
        options = f"{epreuve}/display"
        w.iri(epreuve, OS + "displayOptions", options, graph)
        w.iri(options, RDF_TYPE, OS + "DisplayOptions", graph)
        for flag, value in (("shuffleElements", "true"), ("shuffleQuestions", "false"), ("shuffleOptions", "true"),
                            ("showElementCoefficient", "false"), ("showQuestionCoefficient", "false"),
                            ("showQuestionCount", "true")):
            w.quad(options, OS + flag, lit(value, dtype="boolean"), graph)
        picked = chosen or rng.sample(questions, min(per_epreuve, len(questions)))
        picked = [published(w, names, q) for q in picked]
        for pos, q in enumerate(picked, 1):
            slot = names.slot(plan.key, number, pos)
            w.iri(epreuve, OS + "hasSlot", slot, graph)
            w.iri(slot, RDF_TYPE, OS + "ItemSlot", graph)
            w.iri(slot, OS + "element", q["version"], graph)
            w.iri(slot, OS + "itemOf", q["iri"], graph)
            w.quad(slot, OS + "coefficient", lit("1", dtype="decimal"), graph)
            w.quad(slot, OS + "position", lit(str(pos), dtype="integer"), graph)
        reg = f"{epreuve}/registration/1"
        w.iri(reg, RDF_TYPE, OS + "Registration", graph)
        w.iri(reg, OS + "registeredGroup", plan.cohort, graph)
        w.iri(reg, OS + "epreuve", epreuve, graph)
        yield from w.flush()
        sheet = _sheet(names, plan, number, start, picked)
        yield from copies(w, rng, names, sheet, picked, students, plan, items_of, totals)


def _sheet(names: ExamNames, plan: ExamPlan, number: int, start: str, picked: list[dict]) -> Sheet:
    """The épreuve as NOTATION reads it back from the store."""
    slots = []
    for pos, q in enumerate(picked, 1):
        options = tuple(Option(iri, chr(65 + k), f"Proposition {chr(65 + k)} about {q['topic']}", k in q["right"])
                        for k, iri in enumerate(q.get("version_options", ())))
        question_ = Question(str(pos), q["version"], pos, q["kind"], options=options,
                             expected_count=len(q["right"]) if q["kind"] == "QRP" else None,
                             accepted=tuple(sorted(q.get("accepted", ()))),
                             max_points=4.0 if q["kind"] == "QROL" else None)
        slots.append(Slot(pos, names.slot(plan.key, number, pos), q["version"], q["iri"], "QI",
                          f"{q['kind']} {q['topic']} {q['id']}", 1.0, (q["objective"],), (question_,)))
    return Sheet(names.epreuve_key(plan.key, number), names.epreuve(plan.key, number), names.exam(plan.key), number,
                 f"Épreuve {number} — {plan.key}", plan.title, plan.ufr, "edn-2023", start, "StatusFinished",
                 (plan.offer,), tuple(slots))


def _answers(rng: random.Random, picked: list[dict], students: list[tuple[str, float]], sheet: Sheet) -> Copies:
    """Every candidate's answers: right with the Rasch probability, else one option flipped or a wrong text."""
    copies = Copies([s for s, _ in students], [], [None] * len(students))
    for q, question_ in zip(picked, sheet.questions):
        p_right = [1.0 / (1.0 + math.exp(q["difficulty"] - ability)) for _, ability in students]
        if q["n_options"]:
            right = np.array([k in q["right"] for k in range(q["n_options"])])
            ticks = np.tile(right, (len(students), 1))
            for i, p in enumerate(p_right):
                if rng.random() >= p:
                    wrong = rng.randrange(q["n_options"])
                    ticks[i, wrong] = not ticks[i, wrong]
                    if not ticks[i].any():
                        ticks[i, wrong] = True
            copies.ticks[question_.key] = ticks
        elif q["kind"] == "QROC":
            copies.texts[question_.key] = [_spelling(rng, rng.choice(q["accepted"])) if rng.random() < p
                                           else rng.choice(q["unexpected"] + ("",)) for p in p_right]
        else:
            copies.texts[question_.key] = [rng.choice(QROL_TEXTS + [""]) for _ in p_right]
    return copies


def _spelling(rng: random.Random, answer: str) -> str:
    """The same answer as a candidate might type it: case, a plural, a stray space."""
    variant = rng.choice([answer, answer.upper(), answer.capitalize(), answer + "s", f" {answer} "])
    return variant


def copies(w: Writer, rng: random.Random, names: ExamNames, sheet: Sheet, picked: list[dict],
           students: list[tuple[str, float]], plan: ExamPlan, items_of: dict[str, str], totals: Totals) -> Iterator[str]:
    """Candidates, copies, and (for a graded épreuve) grades, statistics and the épreuve's référentiel share."""
    key, number, start, epreuve = plan.key, sheet.number, sheet.start, sheet.iri
    candidates = names.candidates_graph(key, number)
    for student, _ in students:
        w.iri(epreuve, OS + "candidate", student, candidates)
    w.quad(epreuve, OS + "frozenAt", lit(start, dtype="dateTime"), candidates)
    answers = _answers(rng, picked, students, sheet)
    answered = start.replace("T09:00:00", "T10:00:00")
    for si, (student, _) in enumerate(students):
        person = student.rsplit("/", 1)[-1]
        copy = names.copy_graph(key, number, person)
        session = names.session(key, number, person)
        w.iri(session, RDF_TYPE, OS + "ExamSession", copy)
        w.iri(session, OS + "epreuve", epreuve, copy)
        w.iri(session, OS + "student", student, copy)
        w.quad(session, OS + "sessionStart", lit(start.replace("T09:00:00", "T09:01:00"), dtype="dateTime"), copy)
        w.quad(session, OS + "deadline", lit(start.replace("T09:00:00", "T11:00:00"), dtype="dateTime"), copy)
        w.quad(session, OS + "submittedAt", lit(answered, dtype="dateTime"), copy)
        for q, question_ in zip(picked, sheet.questions):
            answer = names.answer(key, number, person, question_.key)
            w.iri(answer, RDF_TYPE, OS + "Answer", copy)
            w.iri(answer, OS + "epreuve", epreuve, copy)
            w.iri(answer, OS + "student", student, copy)
            w.iri(answer, OS + "question", q["version"], copy)
            if question_.key in answers.ticks:
                for k in np.flatnonzero(answers.ticks[question_.key][si]):
                    w.iri(answer, OS + "selectedOption", q["version_options"][k], copy)
            elif answers.texts[question_.key][si]:
                w.quad(answer, OS + "textAnswer", lit(answers.texts[question_.key][si]), copy)
            w.quad(answer, OS + "answeredAt", lit(answered, dtype="dateTime"), copy)
            w.quad(answer, OS + "sequence", lit("1", dtype="integer"), copy)
        if si % 500 == 499:
            yield from w.flush()
    yield from w.flush()
    if not plan.graded:
        return
    scored = score_copies(sheet, answers, Corrections())
    computed = compute(scored.keys, scored.fractions, parse(default_bareme(sheet)))
    yield from _grades(names, sheet, answers.candidates, computed)
    result = statistics.analysis(sheet, computed, answers.ticks)
    entries = {q.key: {q_tag for tag in s.tags for q_tag in (tag, items_of.get(tag, tag))}
               for s in sheet.slots for q in s.questions}
    contributed = statistics.contributions(computed.keys, computed.fractions, entries)
    totals.add(contributed)
    stats = names.stats_graph(key, number)
    graphs = sorted(names.copy_graph(key, number, student.rsplit("/", 1)[-1]) for student, _ in students)
    change = statistics.stats_graph(sheet, stats, result, len(students), contributed, plan.ufr, GENERATED_AT,
                                    scoring_token(sheet, graphs, Corrections()))
    yield from (f"{s.n3()} {p.n3()} {o.n3()} <{stats}> .\n" for s, p, o in change.data)
    fractions = decimal_texts(np.nan_to_num(computed.fractions))
    fractions[np.isnan(computed.fractions)] = None
    scores = aggregates.question_score_triples(stats, epreuve, computed.keys,
                                               [sheet.question(k).iri for k in computed.keys], fractions)
    yield from (f"{s.n3()} {p.n3()} {o.n3()} <{stats}> .\n" for s, p, o in scores)
    if plan.published:
        publication = names.publication_graph(key, number)
        node = f"{epreuve}/publication/1"
        w.iri(node, RDF_TYPE, OS + "Publication", publication)
        w.iri(node, OS + "epreuve", epreuve, publication)
        w.quad(node, OS + "publishedAt", lit(answered.replace("T10:00:00", "T18:00:00"), dtype="dateTime"),
               publication)
    yield from w.flush()


def _grades(names: ExamNames, sheet: Sheet, candidates: list[str], computed) -> Iterator[str]:
    """Each candidate's grade graph, rendered as NOTATION renders it."""
    ctx = grade_context(names, sheet, computed.keys, computed.max_total, GENERATED_AT)
    fractions = decimal_texts(np.nan_to_num(computed.fractions))
    fractions[np.isnan(computed.fractions)] = None
    points, totals, items = (decimal_texts(computed.points), decimal_texts(computed.totals),
                             decimal_texts(computed.item_grades))
    yield from score_lines(ctx, fractions, points)[1]
    for i, student in enumerate(candidates):
        _, lines = grade_lines(ctx, student.rsplit("/", 1)[-1], student, list(fractions[i]), list(points[i]),
                               totals[i], bool(computed.complete[i]), list(items[i]), {})
        yield from lines


def entry_statistics(names: ExamNames, totals: Totals) -> Iterator[str]:
    """The référentiel aggregates: the sum of every graded épreuve's contributions."""
    graph = names.referentiel_stats_graph()
    change = statistics.totals_change(graph, {}, {}, totals.entries)
    yield from (f"{s.n3()} {p.n3()} {o.n3()} <{graph}> .\n" for s, p, o in change.data)
