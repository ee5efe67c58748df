"""Building the Officiel référentiel from a LiSA export; re-imports update in place."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, SKOS, XSD

from importers.lisa import Export, Problem, parse_folder
from services.lists.library import ListLibrary, slugify
from services.lists.repository import OFFICIEL
from services.lists.seed import ensure_library
from store.terms import OS, from_ox
from store.writes import GraphChange

REFERENTIEL = "referentiel"


@dataclass
class ImportReport:
    """What an import changed and what it met."""

    items: int
    objectives: int
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        """Nothing was written."""
        return not (self.added or self.updated or self.removed)


def referentiel_graph(export: Export, base: str, list_iri: str) -> Graph:
    """The RDF of the items, objectives and rubrics of an export."""
    g = Graph()
    scheme = URIRef(list_iri)
    rubrics: dict[str, URIRef] = {}
    for number in sorted(export.items):
        item = export.items[number]
        code = f"IC-{number:03d}"
        s = URIRef(f"{list_iri}/{code}")
        g.add((s, RDF.type, OS.KnowledgeItem))
        g.add((s, SKOS.inScheme, scheme))
        g.add((s, SKOS.topConceptOf, scheme))
        g.add((s, SKOS.notation, Literal(code)))
        g.add((s, SKOS.prefLabel, Literal(item.title, lang="en")))
        if item.short and item.short != item.title:
            g.add((s, SKOS.altLabel, Literal(item.short, lang="en")))
        g.add((s, OS.itemNumber, Literal(number, datatype=XSD.integer)))
        g.add((s, OS.order, Literal(number, datatype=XSD.integer)))
        for objective in item.objectives:
            o = URIRef(f"{list_iri}/{objective.identifier}")
            g.add((o, RDF.type, OS.KnowledgeObjective))
            g.add((o, SKOS.inScheme, scheme))
            g.add((o, SKOS.broader, s))
            g.add((o, SKOS.notation, Literal(objective.identifier)))
            g.add((o, SKOS.prefLabel, Literal(objective.title, lang="en")))
            g.add((o, OS.rank, OS.RankA if objective.rank == "A" else OS.RankB))
            g.add((o, OS.order, Literal(objective.order, datatype=XSD.integer)))
            if objective.description:
                g.add((o, SKOS.definition, Literal(objective.description, lang="en")))
            if objective.body:
                g.add((o, OS.bodyText, Literal(objective.body, lang="en")))
            if objective.contributors:
                g.add((o, OS.contributorNames, Literal(objective.contributors)))
            if objective.rubric:
                english, french = objective.rubric
                rubric = rubrics.get(english)
                if rubric is None:
                    rubric = rubrics[english] = URIRef(f"{base}list/rubrique/{slugify(english)}")
                    g.add((rubric, RDF.type, OS.Rubric))
                    g.add((rubric, SKOS.prefLabel, Literal(english, lang="en")))
                    g.add((rubric, SKOS.prefLabel, Literal(french, lang="fr")))
                g.add((o, OS.rubric, rubric))
    return g


def import_lisa(library: ListLibrary, folder: Path, who: str) -> ImportReport:
    """Import (or re-import) a LiSA export as the Officiel référentiel, all or nothing."""
    export = parse_folder(Path(folder))
    report = ImportReport(len(export.items), len(export.objectives), problems=export.problems)
    if not export.objectives:
        return report
    ensure_library(library.platform)
    info = library.repo.get_list(REFERENTIEL)
    new = referentiel_graph(export, library.repo.base, info.iri)
    return _replace(library, new, report, who, "the LiSA export")


def import_turtle(library: ListLibrary, path: Path, who: str) -> ImportReport:
    """Import (or re-import) a référentiel written as SKOS Turtle, e.g. in French, as the Officiel référentiel.

    Relative IRIs resolve under the list's IRI (`<IC-001>`, `<OIC-001-01-A>`); scheme membership is added."""
    ensure_library(library.platform)
    info = library.repo.get_list(REFERENTIEL)
    try:
        new = Graph().parse(Path(path), format="turtle", publicID=info.iri + "/")
    except Exception as exc:  # rdflib raises several parser types; the message names the line
        raise ValueError(f"{path}: not readable Turtle: {exc}") from exc
    scheme = URIRef(info.iri)
    for subject in set(new.subjects(RDF.type, None)):
        new.add((subject, SKOS.inScheme, scheme))
        if (subject, SKOS.broader, None) not in new:
            new.add((subject, SKOS.topConceptOf, scheme))
    report = ImportReport(len(set(new.subjects(RDF.type, OS.KnowledgeItem))),
                          len(set(new.subjects(RDF.type, OS.KnowledgeObjective))))
    return _replace(library, new, report, who, Path(path).name)


def _replace(library: ListLibrary, new: Graph, report: ImportReport, who: str, source: str) -> ImportReport:
    """Write a new référentiel over the Officiel one: changed entries in place, gone ones kept but deprecated."""
    platform = library.platform
    repo = library.repo
    info = repo.get_list(REFERENTIEL)
    graph_iri = repo.graph_iri(info.key, OFFICIEL)
    current: dict[str, set] = {}
    for t in platform.store.graph_triples(ox.NamedNode(graph_iri)):
        if t.predicate.value == str(OS.revision):
            continue
        current.setdefault(t.subject.value, set()).add((from_ox(t.predicate), from_ox(t.object)))
    proposed: dict[str, set] = {}
    for s, p, o in new:
        proposed.setdefault(str(s), set()).add((p, o))
    kept = {info.iri}
    deprecated_flag = (OWL.deprecated, Literal(True))
    for subject, values in proposed.items():
        if subject not in current:
            report.added.append(subject)
        elif values != current[subject]:
            report.updated.append(subject)
    data = Graph()
    for s, p, o in new:
        data.add((s, p, o))
    for subject, values in current.items():
        if subject in proposed or subject in kept:
            if subject in kept:
                for p, o in values:
                    data.add((URIRef(subject), p, o))
            continue
        entry_types = {o for p, o in values if p == RDF.type}
        if not entry_types & {OS.KnowledgeItem, OS.KnowledgeObjective, OS.Rubric, OS.ListEntry}:
            continue
        # Gone from the export: kept (tags stay meaningful) but deprecated, and reported.
        if deprecated_flag not in values:
            report.removed.append(subject)
        for p, o in values:
            data.add((URIRef(subject), p, o))
        data.add((URIRef(subject), *deprecated_flag))
    report.added.sort()
    report.updated.sort()
    report.removed.sort()
    if report.unchanged:
        return report
    repo.revision_triple(data, graph_iri)
    summary = (f"imported {source}: {len(report.added)} added, {len(report.updated)} updated, "
               f"{len(report.removed)} removed (deprecated)")
    edit = library._edit(info, OFFICIEL, "import", who, summary, None)
    platform.writer.apply([GraphChange(graph_iri, data, replace=True), edit])
    repo.forget(graph_iri)
    return report
