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

from services.exams.naming import ExamNames
from services.nquads import FOAF, ORG, OS, RDF_TYPE, SKOS, Writer
from services.nquads import lit as _lit
from services.synthetic_exams import ExamPlan, Totals, entry_statistics, exam, question

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
    # The types of the generated questions (drawn in turn), the épreuves of each faculty's first exam, whether
    # finished épreuves come graded, and whether the first faculty has an épreuve with QROC and QROL to correct.
    question_mix: tuple[str, ...] = ("QRU", "QRM")
    first_exam_epreuves: int = 2
    graded: bool = True
    correction_epreuve: bool = True

    @classmethod
    def demo(cls) -> Scale:
        """A small setting for `ontosides demo` (~30k triples)."""
        return cls()

    @classmethod
    def for_triples(cls, triples: int, seed: int = 42) -> Scale:
        """A scale whose output is close to the given number of triples."""
        # Measured: each answer with its question score costs ~9.6 triples (a score being one link to the
        # épreuve's shared score; 13.2 when it was a node of five triples); the rest is ~10% overhead. A
        # faculty's first exam has two épreuves: exams + 1 épreuves per faculty.
        universities = max(2, min(len(CITIES), round(math.sqrt(triples / 60_000))))
        faculties = 2
        exams = 3
        questions = 30
        students = max(20, int(triples * 0.90 / 9.6 / (universities * faculties * (exams + 1) * questions)))
        return cls(universities, faculties, students, 10, 367, 13, 120, exams, questions, seed)

    @classmethod
    def notation_bench(cls, students: int = 10_000, questions: int = 120) -> Scale:
        """One épreuve of `students` candidates × `questions` questions of mixed types, not graded yet."""
        return cls(universities=1, faculties_per_university=1, students_per_faculty=students, teachers_per_faculty=3,
                   referentiel_items=30, objectives_per_item=8, questions_per_faculty=questions, exams_per_faculty=1,
                   questions_per_epreuve=questions, question_mix=("QRU", "QRM", "QRM", "QRP", "QRM_LONG", "QROC"),
                   first_exam_epreuves=1, graded=False, correction_epreuve=False)


def generate(scale: Scale, base: str = "https://data.ontosides.fr/") -> Iterator[str]:
    """Yield N-Quads lines (with their newline) for a whole synthetic dataset."""
    rng = random.Random(scale.seed)
    base = base.rstrip("/") + "/"
    w = Writer()
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
    totals = Totals()
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
                kind = scale.question_mix[q % len(scale.question_mix)]
                questions.append(question(w, rng, base, f"u{u}f{f}q{q}", kind, ufr, rng.choice(teachers), objectives))
                yield from w.flush()

            for e in range(scale.exams_per_faculty):
                # The first exam of each faculty has two épreuves and published grades; the others one each.
                plan = ExamPlan(f"u{u}f{f}e{e}", f"Examen facultaire u{u}f{f}e{e}", univ, ufr, offer, cohort,
                                scale.first_exam_epreuves if e == 0 else 1, scale.graded, scale.graded and e == 0)
                yield from exam(w, rng, names, plan, questions, students, scale.questions_per_epreuve, items_of,
                                totals)
            if scale.correction_epreuve and scale.exams_per_faculty and objectives and u == 0 and f == 0:
                # Work for the grader's screens: QROC with unexpected answers and a QROL, graded « En cours ».
                extra = [question(w, rng, base, f"u{u}f{f}r{n}", kind, ufr, rng.choice(teachers), objectives)
                         for n, kind in enumerate(("QROC", "QROC", "QROL"))]
                plan = ExamPlan(f"u{u}f{f}c0", "Examen à corriger (QROC, QROL)", univ, ufr, offer, cohort, 1,
                                scale.graded, False)
                picked = questions[:min(3, len(questions))] + extra
                yield from exam(w, rng, names, plan, questions, students, len(picked), items_of, totals, picked)
    yield from entry_statistics(names, totals)


def _slug(text: str) -> str:
    """Lower-case ASCII letters, digits and hyphens (accents folded): for e-mail addresses and domains."""
    folded = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()
    return "".join(c for c in folded if c.isalnum() or c == "-")


def _person(w: Writer, rng: random.Random, base: str, univ: str, scope: str, ufr: str,
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
