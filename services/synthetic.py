"""Synthetic but realistic data at any scale, as N-Quads, one named graph per owner and lifecycle.

Answers follow a Rasch model: P(right) = 1 / (1 + exp(difficulty - ability)), so that success rates,
item statistics and students in difficulty mean something.
"""

from __future__ import annotations

import math
import random
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from services.exams.naming import ExamNames
from services.grading.scoring import EDN_2023, choice_scores

OS = "https://w3id.org/ontosides#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
ORG = "http://www.w3.org/ns/org#"
FOAF = "http://xmlns.com/foaf/0.1/"
XSD = "http://www.w3.org/2001/XMLSchema#"
PROV = "http://www.w3.org/ns/prov#"

CITIES = ["Grenoble", "Lyon", "Paris", "Lille", "Bordeaux", "Toulouse", "Marseille", "Nantes", "Rennes",
          "Strasbourg", "Montpellier", "Nice", "Rouen", "Tours", "Dijon", "Brest", "Amiens", "Limoges"]
GIVEN = ["Camille", "Louis", "Léa", "Hugo", "Chloé", "Jules", "Manon", "Lucas", "Inès", "Nathan", "Zoé",
         "Adam", "Jade", "Arthur", "Emma", "Gabriel", "Alice", "Raphaël", "Lina", "Paul"]
FAMILY = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
          "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier"]
TOPICS = ["cardiology", "pneumology", "nephrology", "neurology", "paediatrics", "psychiatry", "infectiology",
          "endocrinology", "gastroenterology", "dermatology", "rheumatology", "haematology", "oncology",
          "gynaecology", "urology", "ophthalmology", "public health", "emergency medicine", "geriatrics"]
# The staff of every faculty: person key prefix and function (the demo shows every role at work).
STAFF = [("rs", "ResponsableScolarite"), ("sco", "Scolarite"), ("ge", "GestionnaireEpreuves"),
         ("la", "AdministrateurListes"), ("de", "DirecteurEtudes"), ("ch", "Chercheur"), ("cor", "Correcteur"),
         ("sup", "Superviseur")]
RUBRICS = ["Definition", "Positive diagnosis", "Management", "Epidemiology", "Physiopathology",
           "Complementary examinations", "Identifying the emergency", "Follow-up and/or prognosis"]


@dataclass(frozen=True)
class Scale:
    """How much to generate; answers dominate the triple count."""

    universities: int = 2
    faculties_per_university: int = 1
    students_per_faculty: int = 40
    teachers_per_faculty: int = 5
    referentiel_items: int = 30
    objectives_per_item: int = 8
    questions_per_faculty: int = 40
    exams_per_faculty: int = 1
    questions_per_epreuve: int = 20
    seed: int = 42

    @classmethod
    def demo(cls) -> Scale:
        """A small setting for `ontosides demo` (~30k triples)."""
        return cls()

    @classmethod
    def for_triples(cls, triples: int, seed: int = 42) -> Scale:
        """A scale whose output is close to the given number of triples."""
        # Measured: each answer with its question score costs ~13.2 triples; the rest is ~10% overhead. A
        # faculty's first exam has two épreuves: exams + 1 épreuves per faculty.
        universities = max(2, min(len(CITIES), round(math.sqrt(triples / 60_000))))
        faculties = 2
        exams = 3
        questions = 30
        students = max(20, int(triples * 0.90 / 13.2 / (universities * faculties * (exams + 1) * questions)))
        return cls(universities, faculties, students, 10, 367, 13, 120, exams, questions, seed)


def _lit(text: str, lang: str | None = None, dtype: str | None = None) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    if lang:
        return f'"{escaped}"@{lang}'
    if dtype:
        return f'"{escaped}"^^<{XSD}{dtype}>'
    return f'"{escaped}"'


class _Writer:
    def __init__(self):
        self.lines: list[str] = []

    def quad(self, s: str, p: str, o: str, g: str) -> None:
        self.lines.append(f"<{s}> <{p}> {o} <{g}> .\n")

    def iri(self, s: str, p: str, o: str, g: str) -> None:
        self.lines.append(f"<{s}> <{p}> <{o}> <{g}> .\n")

    def flush(self) -> list[str]:
        out, self.lines = self.lines, []
        return out


def generate(scale: Scale, base: str = "https://data.ontosides.fr/") -> Iterator[str]:
    """Yield N-Quads lines (with their newline) for a whole synthetic dataset."""
    rng = random.Random(scale.seed)
    base = base.rstrip("/") + "/"
    w = _Writer()
    T = RDF_TYPE

    # The Officiel référentiel (the categories come from the seed library, library/officiel.trig).
    ref_graph = f"{base}graph/list/officiel/referentiel"
    ref = f"{base}list/referentiel"
    w.iri(ref, T, OS + "Referentiel", ref_graph)
    w.quad(ref, SKOS + "prefLabel", _lit("Référentiel R2C", "fr"), ref_graph)
    w.iri(ref, OS + "category", f"{base}list-category/Connaissances", ref_graph)
    w.iri(ref, OS + "level", OS + "Officiel", ref_graph)
    w.quad(ref_graph, OS + "revision", _lit(f"generated-{scale.seed}-{scale.referentiel_items}"), ref_graph)
    objectives: list[tuple[str, str]] = []
    items_of: dict[str, str] = {}
    names = ExamNames(base)
    all_questions: list[dict] = []
    for n in range(1, scale.referentiel_items + 1):
        item = f"{base}list/referentiel/IC-{n:03d}"
        topic = TOPICS[n % len(TOPICS)]
        w.iri(item, T, OS + "KnowledgeItem", ref_graph)
        w.iri(item, SKOS + "inScheme", ref, ref_graph)
        w.iri(item, SKOS + "topConceptOf", ref, ref_graph)
        w.quad(item, SKOS + "notation", _lit(f"IC-{n:03d}"), ref_graph)
        w.quad(item, SKOS + "prefLabel", _lit(f"Item {n}: {topic} — clinical situations", "en"), ref_graph)
        w.quad(item, OS + "itemNumber", _lit(str(n), dtype="integer"), ref_graph)
        w.quad(item, OS + "order", _lit(str(n), dtype="integer"), ref_graph)
        for k in range(1, scale.objectives_per_item + 1):
            rank = "A" if rng.random() < 0.6 else "B"
            code = f"OIC-{n:03d}-{k:02d}-{rank}"
            obj = f"{base}list/referentiel/{code}"
            rubric = RUBRICS[(n + k) % len(RUBRICS)]
            w.iri(obj, T, OS + "KnowledgeObjective", ref_graph)
            w.iri(obj, SKOS + "inScheme", ref, ref_graph)
            w.iri(obj, SKOS + "broader", item, ref_graph)
            w.quad(obj, SKOS + "notation", _lit(code), ref_graph)
            w.quad(obj, SKOS + "prefLabel", _lit(f"Knowing the {rubric.lower()} of {topic} case {k}", "en"), ref_graph)
            w.iri(obj, OS + "rank", OS + "Rank" + rank, ref_graph)
            w.quad(obj, OS + "order", _lit(str(k), dtype="integer"), ref_graph)
            objectives.append((obj, topic))
            items_of[obj] = item
    yield from w.flush()

    orgs = f"{base}graph/organisations"
    for u in range(scale.universities):
        city = CITIES[u % len(CITIES)] + ("" if u < len(CITIES) else f"-{u}")
        univ = f"{base}org/univ-{u}"
        scope = f"univ-{_slug(city)}.example.fr"
        w.iri(univ, T, OS + "University", orgs)
        w.quad(univ, SKOS + "prefLabel", _lit(f"Université de {city}", "fr"), orgs)
        w.quad(univ, OS + "eppnScope", _lit(scope), orgs)
        for f in range(scale.faculties_per_university):
            ufr = f"{base}org/univ-{u}/ufr-{f}"
            w.iri(ufr, T, OS + "Faculty", orgs)
            w.quad(ufr, SKOS + "prefLabel", _lit(f"UFR de médecine {f + 1} — {city}", "fr"), orgs)
            w.iri(ufr, ORG + "unitOf", univ, orgs)
            w.iri(ufr, OS + "parentLevel", univ, orgs)
            yield from w.flush()
            teachers = []
            for t in range(scale.teachers_per_faculty):
                teachers.append(_person(w, rng, base, univ, scope, ufr, f"t{u}-{f}-{t}", OS + "Enseignant"))
            for key, function in STAFF:
                _person(w, rng, base, univ, scope, ufr, f"{key}{u}-{f}", OS + function)
            students = []
            for s in range(scale.students_per_faculty):
                students.append((_person(w, rng, base, univ, scope, ufr, f"s{u}-{f}-{s}", OS + "Etudiant"),
                                 rng.gauss(0.0, 1.0)))
            yield from w.flush()

            key = f"univ-{u}-ufr-{f}-dfasm1-2025"
            training = f"{base}graph/offer/{key}"
            offer = f"{base}offer/{key}"
            w.iri(offer, T, OS + "TrainingOffer", training)
            w.quad(offer, SKOS + "prefLabel", _lit("DFASM1 2025-2026", "fr"), training)
            w.iri(offer, OS + "offeredBy", ufr, training)
            w.iri(offer, OS + "diploma", f"{base}list/formations/dfasm", training)
            w.iri(offer, OS + "studyYear", f"{base}list/annees-etude/dfasm1", training)
            w.quad(offer, OS + "period", _lit("2025-2026"), training)
            cohort = f"{base}group/{key}"
            w.iri(cohort, T, OS + "CohortGroup", training)
            w.quad(cohort, SKOS + "prefLabel", _lit("Promotion DFASM1 2025-2026", "fr"), training)
            w.iri(cohort, OS + "cohortOf", offer, training)
            w.iri(cohort, OS + "attachedTo", ufr, training)
            for student, _ in students:
                w.iri(cohort, OS + "member", student, training)
            yield from w.flush()

            questions = []
            for q in range(scale.questions_per_faculty):
                qid = f"u{u}f{f}q{q}"
                questions.append(_question(w, rng, base, qid, ufr, rng.choice(teachers), objectives))
                yield from w.flush()

            for e in range(scale.exams_per_faculty):
                # The first exam of each faculty has two épreuves and published grades; the others one each.
                yield from _exam(w, rng, names, f"u{u}f{f}e{e}", univ, ufr, offer, cohort, questions, students,
                                 scale.questions_per_epreuve, 2 if e == 0 else 1, published=e == 0)
            all_questions.extend(questions)
    yield from _entry_statistics(w, names, all_questions, items_of)


def _slug(text: str) -> str:
    """Lower-case ASCII letters, digits and hyphens (accents folded): for e-mail addresses and domains."""
    folded = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()
    return "".join(c for c in folded if c.isalnum() or c == "-")


def _person(w: _Writer, rng: random.Random, base: str, univ: str, scope: str, ufr: str,
            key: str, function: str) -> str:
    """A person in a graph of their own: account, e-mail, and one function on their faculty."""
    person = f"{base}person/{key}"
    graph = f"{base}graph/person/{key}"
    given, family = rng.choice(GIVEN), rng.choice(FAMILY)
    email = f"{_slug(given)}.{_slug(family)}.{key}@{scope}"
    w.iri(person, RDF_TYPE, OS + "Person", graph)
    w.quad(person, OS + "uniqueId", _lit(f"UN-{key.upper()}"), graph)
    w.quad(person, FOAF + "givenName", _lit(given), graph)
    w.quad(person, FOAF + "familyName", _lit(family), graph)
    w.quad(person, OS + "email", _lit(email), graph)
    w.quad(person, OS + "primaryEmail", _lit(email), graph)
    account = f"{person}/account"
    w.iri(person, OS + "hasAccount", account, graph)
    w.iri(account, RDF_TYPE, OS + "UniversityAccount", graph)
    w.quad(account, OS + "eppn", _lit(f"{key}@{scope}"), graph)
    w.iri(account, OS + "issuedBy", univ, graph)
    fa = f"{person}/function/{function.rsplit('#', 1)[-1]}"
    w.iri(fa, RDF_TYPE, OS + "FunctionAssignment", graph)
    w.iri(fa, ORG + "member", person, graph)
    w.iri(fa, ORG + "role", function, graph)
    w.iri(fa, ORG + "organization", ufr, graph)
    return person


def _question(w: _Writer, rng: random.Random, base: str, qid: str, ufr: str, author: str,
              objectives: list[tuple[str, str]]) -> dict:
    """A QRU or QRM isolated question with five options, tagged with an objective, of a random difficulty."""
    kind = "QRU" if rng.random() < 0.5 else "QRM"
    objective, topic = rng.choice(objectives)
    n_options = 5
    right = {rng.randrange(n_options)} if kind == "QRU" else set(rng.sample(range(n_options), rng.randint(1, 3)))
    question = {"id": qid, "iri": f"{base}item/{qid}", "kind": kind, "topic": topic, "objective": objective,
                "author": author, "owner": ufr, "right": right, "n_options": n_options,
                "difficulty": rng.gauss(0.0, 1.0)}
    question["options"] = _item_quads(w, question, question["iri"], f"{base}graph/item/{qid}")
    return question


def _item_quads(w: _Writer, q: dict, item: str, graph: str) -> list[str]:
    """The triples of an item (current or a published version) under an IRI; returns its option IRIs."""
    kind, topic = q["kind"], q["topic"]
    w.iri(item, RDF_TYPE, OS + "IsolatedQuestion", graph)
    w.iri(item, RDF_TYPE, OS + kind, graph)
    w.quad(item, DCT + "title", _lit(f"{kind} {topic} {q['id']}"), graph)
    w.quad(item, OS + "statement", _lit(f"A patient presents with a {topic} problem. Which statements are right?"),
           graph)
    w.iri(item, DCT + "creator", q["author"], graph)
    w.iri(item, OS + "owner", q["owner"], graph)
    w.iri(item, DCT + "subject", q["objective"], graph)
    w.iri(item, OS + "status", OS + "Validated", graph)
    w.quad(item, OS + "difficulty", _lit(f"{q['difficulty']:.3f}", dtype="decimal"), graph)
    options = []
    for k in range(q["n_options"]):
        opt = f"{item}/option/{k + 1}"
        w.iri(item, OS + "hasOption", opt, graph)
        w.iri(opt, RDF_TYPE, OS + "AnswerOption", graph)
        w.quad(opt, OS + "optionText", _lit(f"Proposition {chr(65 + k)} about {topic}"), graph)
        w.quad(opt, OS + "isCorrect", _lit("true" if k in q["right"] else "false", dtype="boolean"), graph)
        w.quad(opt, OS + "position", _lit(str(k + 1), dtype="integer"), graph)
        options.append(opt)
    return options


def _published(w: _Writer, names: ExamNames, q: dict) -> dict:
    """The published version 1 of an item (an épreuve links it; later edits never reach the épreuve)."""
    if "version" not in q:
        version, graph = names.version(q["id"], 1), names.version_graph(q["id"], 1)
        options = _item_quads(w, q, version, graph)
        w.iri(version, PROV + "specializationOf", q["iri"], graph)
        w.quad(version, OS + "version", _lit("1", dtype="integer"), graph)
        w.quad(version, PROV + "generatedAtTime", _lit("2025-12-01T08:00:00Z", dtype="dateTime"), graph)
        q["version"], q["version_options"] = version, options
    return q


def _exam(w: _Writer, rng: random.Random, names: ExamNames, key: str, univ: str, ufr: str, offer: str,
          cohort: str, questions: list[dict], students: list[tuple[str, float]], per_epreuve: int,
          epreuves: int, published: bool) -> Iterator[str]:
    """A finished exam: its épreuves, registrations, frozen candidates, every copy, grades and statistics."""
    exam = names.exam(key)
    graph = names.exam_graph(key)
    w.iri(exam, RDF_TYPE, OS + "Exam", graph)
    w.quad(exam, DCT + "title", _lit(f"Examen facultaire {key}"), graph)
    w.quad(exam, OS + "shortName", _lit(key.upper()), graph)
    w.quad(exam, DCT + "identifier", _lit(f"EX-2026-{key.upper()}"), graph)
    w.iri(exam, OS + "concernsUniversity", univ, graph)
    w.iri(exam, OS + "concernsOffer", offer, graph)
    w.iri(exam, OS + "owner", ufr, graph)
    w.iri(exam, OS + "examStatus", OS + "StatusFinished", graph)
    day = 1 + rng.randrange(26)
    for number in range(1, epreuves + 1):
        epreuve = names.epreuve(key, number)
        start = f"2026-01-{day + number - 1:02d}T09:00:00Z"
        w.iri(exam, OS + "hasEpreuve", epreuve, graph)
        w.iri(epreuve, RDF_TYPE, OS + "Epreuve", graph)
        w.quad(epreuve, DCT + "title", _lit(f"Épreuve {number} — {key}"), graph)
        w.quad(epreuve, OS + "epreuveNumber", _lit(str(number), dtype="integer"), graph)
        w.quad(epreuve, OS + "epreuveType", _lit("Épreuve facultaire"), graph)
        w.quad(epreuve, OS + "startTime", _lit(start, dtype="dateTime"), graph)
        w.quad(epreuve, OS + "durationMinutes", _lit("120", dtype="integer"), graph)
        w.iri(epreuve, OS + "gradingMethod", OS + "MethodEdn2023", graph)
        w.iri(epreuve, OS + "examStatus", OS + "StatusFinished", graph)
        options = f"{epreuve}/display"
        w.iri(epreuve, OS + "displayOptions", options, graph)
        w.iri(options, RDF_TYPE, OS + "DisplayOptions", graph)
        for flag, value in (("shuffleElements", "true"), ("shuffleQuestions", "false"), ("shuffleOptions", "true"),
                            ("showElementCoefficient", "false"), ("showQuestionCoefficient", "false"),
                            ("showQuestionCount", "true")):
            w.quad(options, OS + flag, _lit(value, dtype="boolean"), graph)
        chosen = [_published(w, names, q) for q in rng.sample(questions, min(per_epreuve, len(questions)))]
        for pos, q in enumerate(chosen, 1):
            slot = names.slot(key, number, pos)
            w.iri(epreuve, OS + "hasSlot", slot, graph)
            w.iri(slot, RDF_TYPE, OS + "ItemSlot", graph)
            w.iri(slot, OS + "element", q["version"], graph)
            w.iri(slot, OS + "itemOf", q["iri"], graph)
            w.quad(slot, OS + "coefficient", _lit("1", dtype="decimal"), graph)
            w.quad(slot, OS + "position", _lit(str(pos), dtype="integer"), graph)
        reg = f"{epreuve}/registration/1"
        w.iri(reg, RDF_TYPE, OS + "Registration", graph)
        w.iri(reg, OS + "registeredGroup", cohort, graph)
        w.iri(reg, OS + "epreuve", epreuve, graph)
        yield from w.flush()
        yield from _copies(w, rng, names, key, number, start, chosen, students, published)


def _copies(w: _Writer, rng: random.Random, names: ExamNames, key: str, number: int, start: str,
            chosen: list[dict], students: list[tuple[str, float]], published: bool) -> Iterator[str]:
    """Candidates, copies (Rasch model), grades scored by the EDN 2023 rules, and the épreuve's statistics."""
    epreuve = names.epreuve(key, number)
    candidates = names.candidates_graph(key, number)
    for student, _ in students:
        w.iri(epreuve, OS + "candidate", student, candidates)
    w.quad(epreuve, OS + "frozenAt", _lit(start, dtype="dateTime"), candidates)
    # Every candidate's ticks, question by question, then scored all at once.
    ticks = np.zeros((len(chosen), len(students), 5), dtype=bool)
    for qi, q in enumerate(chosen):
        right = np.array([k in q["right"] for k in range(q["n_options"])])
        for si, (_, ability) in enumerate(students):
            ticked = right.copy()
            if rng.random() >= 1.0 / (1.0 + math.exp(q["difficulty"] - ability)):
                wrong = rng.randrange(q["n_options"])
                ticked[wrong] = not ticked[wrong]
                if not ticked.any():
                    ticked[wrong] = True
            ticks[qi, si] = ticked
    fractions = np.array([choice_scores(EDN_2023, q["kind"], ticks[qi],
                                        np.array([k in q["right"] for k in range(q["n_options"])])).score
                          for qi, q in enumerate(chosen)])
    answered = start.replace("T09:00:00", "T10:00:00")
    stats = names.stats_graph(key, number)
    for si, (student, _) in enumerate(students):
        person = student.rsplit("/", 1)[-1]
        copy = names.copy_graph(key, number, person)
        session = names.session(key, number, person)
        w.iri(session, RDF_TYPE, OS + "ExamSession", copy)
        w.iri(session, OS + "epreuve", epreuve, copy)
        w.iri(session, OS + "student", student, copy)
        w.quad(session, OS + "sessionStart", _lit(start.replace("T09:00:00", "T09:01:00"), dtype="dateTime"), copy)
        w.quad(session, OS + "deadline", _lit(start.replace("T09:00:00", "T11:00:00"), dtype="dateTime"), copy)
        w.quad(session, OS + "submittedAt", _lit(answered, dtype="dateTime"), copy)
        grades = names.grades_graph(key, number, person)
        grade = names.grade(key, number, person)
        w.iri(grade, RDF_TYPE, OS + "Grade", grades)
        w.iri(grade, OS + "student", student, grades)
        w.iri(grade, OS + "epreuve", epreuve, grades)
        w.iri(grade, OS + "gradingStatus", OS + "Completed", grades)
        for qi, q in enumerate(chosen):
            position = str(qi + 1)
            answer = names.answer(key, number, person, position)
            w.iri(answer, RDF_TYPE, OS + "Answer", copy)
            w.iri(answer, OS + "epreuve", epreuve, copy)
            w.iri(answer, OS + "student", student, copy)
            w.iri(answer, OS + "question", q["version"], copy)
            for k in np.flatnonzero(ticks[qi, si]):
                w.iri(answer, OS + "selectedOption", q["version_options"][k], copy)
            w.quad(answer, OS + "answeredAt", _lit(answered, dtype="dateTime"), copy)
            w.quad(answer, OS + "sequence", _lit("1", dtype="integer"), copy)
            score = f"{grade}/{position}"
            w.iri(grade, OS + "hasQuestionScore", score, grades)
            w.iri(score, RDF_TYPE, OS + "QuestionScore", grades)
            w.iri(score, OS + "question", q["version"], grades)
            w.quad(score, OS + "fraction", _lit(f"{fractions[qi, si]:.4f}", dtype="decimal"), grades)
            w.quad(score, OS + "points", _lit(f"{fractions[qi, si]:.4f}", dtype="decimal"), grades)
        total = 20.0 * fractions[:, si].sum() / max(1, len(chosen))
        w.quad(grade, OS + "score", _lit(f"{total:.2f}", dtype="decimal"), grades)
        w.quad(grade, OS + "maxPoints", _lit("20", dtype="decimal"), grades)
        yield from w.flush()
    for qi, q in enumerate(chosen):
        node = f"{stats}/question/{qi + 1}"
        w.iri(node, RDF_TYPE, OS + "QuestionStatistics", stats)
        w.iri(node, OS + "question", q["version"], stats)
        w.iri(node, OS + "epreuve", epreuve, stats)
        w.quad(node, OS + "answers", _lit(str(len(students)), dtype="integer"), stats)
        w.quad(node, OS + "facility", _lit(f"{fractions[qi].mean():.4f}", dtype="decimal"), stats)
        q.setdefault("answered", []).extend(fractions[qi].tolist())
    if published:
        publication = names.publication_graph(key, number)
        node = f"{epreuve}/publication/1"
        w.iri(node, RDF_TYPE, OS + "Publication", publication)
        w.iri(node, OS + "epreuve", epreuve, publication)
        w.quad(node, OS + "publishedAt", _lit(answered.replace("T10:00:00", "T18:00:00"), dtype="dateTime"),
               publication)
    yield from w.flush()


def _entry_statistics(w: _Writer, names: ExamNames, questions: list[dict],
                      items_of: dict[str, str]) -> Iterator[str]:
    """Success per référentiel objective and item, over every graded answer (what dashboards read)."""
    graph = names.referentiel_stats_graph()
    totals: dict[str, list[float]] = {}
    for q in questions:
        answered = q.get("answered")
        if not answered:
            continue
        for entry in (q["objective"], items_of[q["objective"]]):
            count, total = totals.get(entry, (0, 0.0))
            totals[entry] = (count + len(answered), total + sum(answered))
    for entry, (count, total) in sorted(totals.items()):
        node = f"{graph}/{entry.rsplit('/', 1)[-1]}"
        w.iri(node, RDF_TYPE, OS + "EntryStatistics", graph)
        w.iri(node, OS + "entry", entry, graph)
        w.quad(node, OS + "answers", _lit(str(count), dtype="integer"), graph)
        w.quad(node, OS + "sumFraction", _lit(f"{total:.4f}", dtype="decimal"), graph)
        w.quad(node, OS + "successRate", _lit(f"{total / count:.4f}", dtype="decimal"), graph)
    yield from w.flush()


def write_nquads(path: Path, scale: Scale, base: str = "https://data.ontosides.fr/") -> int:
    """Write the dataset to an N-Quads file; returns the number of quads."""
    count = 0
    with Path(path).open("w", encoding="utf-8") as out:
        buffer = []
        for line in generate(scale, base):
            buffer.append(line)
            if len(buffer) >= 50_000:
                out.writelines(buffer)
                count += len(buffer)
                buffer = []
        out.writelines(buffer)
        count += len(buffer)
    return count
