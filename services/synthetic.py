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

OS = "https://w3id.org/ontosides#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
ORG = "http://www.w3.org/ns/org#"
FOAF = "http://xmlns.com/foaf/0.1/"
XSD = "http://www.w3.org/2001/XMLSchema#"

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
        # Measured: each student × question answer costs ~7.5 triples; the rest is ~12% overhead.
        universities = max(2, min(len(CITIES), round(math.sqrt(triples / 60_000))))
        faculties = 2
        exams = 3
        questions = 30
        students = max(20, int(triples * 0.88 / 7.5 / (universities * faculties * exams * questions)))
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
                yield from _exam(w, rng, base, f"u{u}f{f}e{e}", univ, cohort, questions, students,
                                 scale.questions_per_epreuve)


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
    item = f"{base}item/{qid}"
    graph = f"{base}graph/item/{qid}"
    kind = "QRU" if rng.random() < 0.5 else "QRM"
    objective, topic = rng.choice(objectives)
    w.iri(item, RDF_TYPE, OS + "IsolatedQuestion", graph)
    w.iri(item, RDF_TYPE, OS + kind, graph)
    w.quad(item, DCT + "title", _lit(f"{kind} {topic} {qid}"), graph)
    w.quad(item, OS + "statement", _lit(f"A patient presents with a {topic} problem. Which statements are right?"),
           graph)
    w.iri(item, DCT + "creator", author, graph)
    w.iri(item, OS + "owner", ufr, graph)
    w.iri(item, DCT + "subject", objective, graph)
    w.iri(item, OS + "status", OS + "Validated", graph)
    difficulty = rng.gauss(0.0, 1.0)
    w.quad(item, OS + "difficulty", _lit(f"{difficulty:.3f}", dtype="decimal"), graph)
    n_options = 5
    right = {rng.randrange(n_options)} if kind == "QRU" else set(rng.sample(range(n_options), rng.randint(1, 3)))
    options = []
    for k in range(n_options):
        opt = f"{item}/option/{k + 1}"
        w.iri(item, OS + "hasOption", opt, graph)
        w.iri(opt, RDF_TYPE, OS + "AnswerOption", graph)
        w.quad(opt, OS + "optionText", _lit(f"Proposition {chr(65 + k)} about {topic}"), graph)
        w.quad(opt, OS + "isCorrect", _lit("true" if k in right else "false", dtype="boolean"), graph)
        w.quad(opt, OS + "position", _lit(str(k + 1), dtype="integer"), graph)
        options.append(opt)
    return {"iri": item, "kind": kind, "options": options, "right": right, "difficulty": difficulty}


def _exam(w: _Writer, rng: random.Random, base: str, eid: str, univ: str, cohort: str,
          questions: list[dict], students: list[tuple[str, float]], per_epreuve: int) -> Iterator[str]:
    exam = f"{base}exam/{eid}"
    graph = f"{base}graph/exam/{eid}"
    epreuve = f"{exam}/epreuve/1"
    w.iri(exam, RDF_TYPE, OS + "Exam", graph)
    w.quad(exam, DCT + "title", _lit(f"Examen facultaire {eid}"), graph)
    w.iri(exam, OS + "concernsUniversity", univ, graph)
    w.iri(exam, OS + "hasEpreuve", epreuve, graph)
    w.iri(epreuve, RDF_TYPE, OS + "Epreuve", graph)
    w.quad(epreuve, DCT + "title", _lit(f"Épreuve 1 — {eid}"), graph)
    day = 1 + rng.randrange(27)
    w.quad(epreuve, OS + "startTime", _lit(f"2026-01-{day:02d}T09:00:00", dtype="dateTime"), graph)
    w.quad(epreuve, OS + "durationMinutes", _lit("120", dtype="integer"), graph)
    chosen = rng.sample(questions, min(per_epreuve, len(questions)))
    for pos, q in enumerate(chosen, 1):
        slot = f"{epreuve}/slot/{pos}"
        w.iri(epreuve, OS + "hasSlot", slot, graph)
        w.iri(slot, RDF_TYPE, OS + "ItemSlot", graph)
        w.iri(slot, OS + "element", q["iri"], graph)
        w.quad(slot, OS + "coefficient", _lit("1", dtype="decimal"), graph)
        w.quad(slot, OS + "position", _lit(str(pos), dtype="integer"), graph)
    reg = f"{epreuve}/registration/1"
    w.iri(reg, RDF_TYPE, OS + "Registration", graph)
    w.iri(reg, OS + "registeredGroup", cohort, graph)
    w.iri(reg, OS + "epreuve", epreuve, graph)
    yield from w.flush()

    answers = f"{base}graph/answers/{eid}-1"
    grades = f"{base}graph/grades/{eid}-1"
    stamp = f"2026-01-{day:02d}T10:00:00"
    for s_index, (student, ability) in enumerate(students):
        right_count = 0
        for q in chosen:
            answer = f"{epreuve}/answer/s{s_index}/{q['iri'].rsplit('/', 1)[-1]}"
            right = rng.random() < 1.0 / (1.0 + math.exp(q["difficulty"] - ability))
            ticked = set(q["right"])
            if not right:
                wrong = rng.randrange(len(q["options"]))
                ticked = ticked ^ {wrong} or {wrong}
            right_count += right
            w.iri(answer, RDF_TYPE, OS + "Answer", answers)
            w.iri(answer, OS + "epreuve", epreuve, answers)
            w.iri(answer, OS + "student", student, answers)
            w.iri(answer, OS + "question", q["iri"], answers)
            for k in sorted(ticked):
                w.iri(answer, OS + "selectedOption", q["options"][k], answers)
            w.quad(answer, OS + "isRight", _lit("true" if right else "false", dtype="boolean"), answers)
            w.quad(answer, OS + "answeredAt", _lit(stamp, dtype="dateTime"), answers)
        grade = f"{epreuve}/grade/s{s_index}"
        w.iri(grade, RDF_TYPE, OS + "Grade", grades)
        w.iri(grade, OS + "student", student, grades)
        w.iri(grade, OS + "epreuve", epreuve, grades)
        w.quad(grade, OS + "score", _lit(f"{20.0 * right_count / max(1, len(chosen)):.2f}", dtype="decimal"), grades)
        w.quad(grade, OS + "maxPoints", _lit("20", dtype="decimal"), grades)
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
