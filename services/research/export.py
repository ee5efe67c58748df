"""Export of a project's pseudonymised dataset: N-Quads, TriG and flat CSV files (answers, grades) in a zip with a
manifest (what was pseudonymised, coarsened and suppressed, the ontology version, the generation time, counts), so
a study can be reproduced from the file alone."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile

import pyoxigraph as ox

from services.platform import ONTOLOGY_GRAPH, Platform
from services.research.projects import Projects
from services.research.pseudonymise import FREE_TEXT, IDENTIFYING, Pseudonymiser
from store.dataset import DatasetSpec

COARSENING_RULES = {"none": "dates as recorded", "day": "dates cut to midnight UTC of their day",
                    "week": "dates cut to midnight UTC of the Monday of their ISO week"}

def _csv(table) -> bytes:
    names, rows = table
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    return out.getvalue().encode("utf-8")


def export_project(platform: Platform, key: str) -> tuple[bytes, dict]:
    """The zip of a project's dataset (as last built) and its manifest."""
    projects = Projects(platform)
    project = projects.get(key)
    store = platform.store
    queries = platform.queries_for("research")
    graphs = [g for g in project.graphs if store.has_graph(ox.NamedNode(g))]
    spec = DatasetSpec(tuple(graphs), tuple(graphs))
    nquads = io.BytesIO()
    trig = io.BytesIO()
    quads = []
    for graph in graphs:
        for triple in store.graph_triples(ox.NamedNode(graph)):
            quads.append(ox.Quad(triple.subject, triple.predicate, triple.object, ox.NamedNode(graph)))
    nquads.write(ox.serialize(quads, format=ox.RdfFormat.N_QUADS))
    trig.write(ox.serialize(quads, format=ox.RdfFormat.TRIG))
    answers = store.select_lexical(queries.get("answers").text, dataset=spec) if graphs else (["answer"], [])
    grades = store.select_lexical(queries.get("grades").text, dataset=spec) if graphs else (["grade"], [])
    version_rows = store.select(queries.get("ontology_version").text,
                                dataset=DatasetSpec((ONTOLOGY_GRAPH,), (ONTOLOGY_GRAPH,)))
    counts: dict[str, int] = {"quads": len(quads), "graphs": len(graphs), "answer_rows": len(answers[1]),
                              "grade_rows": len(grades[1])}
    for kind in ("Answer", "Grade", "ExamSession", "Pseudonym"):
        counts[kind] = sum(1 for q in quads if q.predicate.value.endswith("#type")
                           and q.object.value == f"https://w3id.org/ontosides#{kind}")
    # One per candidate and question scored: the links, a score reached by many being one shared resource.
    counts["QuestionScore"] = sum(1 for q in quads if q.predicate.value == "https://w3id.org/ontosides#hasQuestionScore")
    manifest = {
        "project": {**project.as_dict(), "iri": projects.iri(key)},
        "generated_at": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "dataset_built_at": project.built_at,
        "ontology": {"iri": "https://w3id.org/ontosides",
                     "version": version_rows.rows[0]["v"].value if version_rows.rows else None},
        "pseudonymised": {
            "persons": "replaced by HMAC-SHA256(platform secret, project key + person IRI), as "
                       f"{projects.iri(key)}/pseudonym/{{hex}}; the IRIs of answers, sessions and grades that "
                       "embed a person's key carry the pseudonym instead",
            "left_out": sorted(p.rsplit("#", 1)[-1].rsplit("/", 1)[-1] for p in IDENTIFYING)
                        + ([] if project.free_text else sorted(p.rsplit("#", 1)[-1] for p in FREE_TEXT)),
            "free_text": project.free_text,
        },
        "coarsened": {"dates": project.coarsening, "rule": COARSENING_RULES[project.coarsening]},
        "suppressed": {"k": project.k, "rule": "the statistics graph of an épreuve with fewer than k graded "
                                               "candidates is left out",
                       "epreuves": _suppressed(platform, project, graphs)},
        "counts": counts,
        "files": ["dataset.nq", "dataset.trig", "answers.csv", "grades.csv", "manifest.json"],
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("dataset.nq", nquads.getvalue())
        zf.writestr("dataset.trig", trig.getvalue())
        zf.writestr("answers.csv", _csv(answers))
        zf.writestr("grades.csv", _csv(grades))
        zf.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
    return out.getvalue(), manifest


def _suppressed(platform: Platform, project, graphs: list[str]) -> list[str]:
    """The covered épreuves whose statistics are not in the dataset."""
    prefix = Projects(platform).data_prefix(project.key)
    have = {g[len(prefix) + len("stats/"):] for g in graphs if g.startswith(prefix + "stats/")}
    pseudo = Pseudonymiser(platform)
    found = []
    for _, epreuve in pseudo.covered_epreuves(project):
        exam, number = pseudo.names.parse_epreuve(epreuve)
        if pseudo.names.epreuve_key(exam, number) not in have:
            found.append(epreuve)
    return found
