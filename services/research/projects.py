"""Research projects: title, ethics approval, organisations and period covered, researchers and options.

A project is RDF in its own graph (`graph/research/{key}`); its pseudonymised dataset lives in graphs under
`graph/research/{key}/…`, listed on the project (os:datasetGraph) so the policy finds them with one query.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, XSD

from services.platform import Platform
from store.terms import OS
from store.writes import GraphChange

KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
COARSENING = ("none", "day", "week")


class ResearchError(ValueError):
    """A research request that cannot be carried out as asked (422)."""


class ProjectNotFound(LookupError):
    """No such research project, or not one the caller works on (404)."""


@dataclass
class Project:
    """A research project and its options."""

    key: str
    title: str
    ethics_approval: str
    organisations: list[str]
    period_start: dt.date
    period_end: dt.date
    researchers: list[str] = field(default_factory=list)
    free_text: bool = False
    coarsening: str = "none"
    k: int = 5
    built_at: str | None = None
    graphs: list[str] = field(default_factory=list)

    def check(self) -> None:
        if not KEY.match(self.key):
            raise ResearchError(f"a project key is lower-case letters, digits and hyphens: {self.key!r}")
        if not self.title.strip() or not self.ethics_approval.strip():
            raise ResearchError("a project needs a title and the reference of its ethics approval")
        if not self.organisations:
            raise ResearchError("a project covers at least one organisation")
        if self.period_end < self.period_start:
            raise ResearchError("the period ends before it starts")
        if self.coarsening not in COARSENING:
            raise ResearchError(f"date coarsening is one of {', '.join(COARSENING)}")
        if self.k < 1:
            raise ResearchError("k (the minimum group size) is at least 1")

    def as_dict(self) -> dict:
        return {"key": self.key, "title": self.title, "ethics_approval": self.ethics_approval,
                "organisations": self.organisations, "period_start": self.period_start.isoformat(),
                "period_end": self.period_end.isoformat(), "researchers": self.researchers,
                "free_text": self.free_text, "coarsening": self.coarsening, "k": self.k,
                "built_at": self.built_at, "graphs": len(self.graphs)}


class Projects:
    """Create, read and list research projects."""

    def __init__(self, platform: Platform):
        self.platform = platform
        self.queries = platform.queries_for("research")

    def iri(self, key: str) -> str:
        return self.platform.iri("research", key)

    def graph(self, key: str) -> str:
        return self.platform.iri("graph", "research", key)

    def data_prefix(self, key: str) -> str:
        """Every graph of the project's pseudonymised dataset starts with this."""
        return self.platform.iri("graph", "research", key, "")

    def new_key(self) -> str:
        return "p" + secrets.token_hex(5)

    def create(self, project: Project) -> Project:
        project.check()
        if self.platform.store.has_graph(ox.NamedNode(self.graph(project.key))):
            raise ResearchError(f"a project {project.key} exists already")
        self._write(project)
        return project

    def _write(self, project: Project) -> None:
        node = URIRef(self.iri(project.key))
        data = Graph()
        data.add((node, RDF.type, OS.ResearchProject))
        data.add((node, DCTERMS.title, Literal(project.title)))
        data.add((node, OS.ethicsApproval, Literal(project.ethics_approval)))
        for org in project.organisations:
            data.add((node, OS.coversOrganisation, URIRef(org)))
        data.add((node, OS.periodStart, Literal(project.period_start.isoformat(), datatype=XSD.date)))
        data.add((node, OS.periodEnd, Literal(project.period_end.isoformat(), datatype=XSD.date)))
        for person in project.researchers:
            data.add((node, OS.researcher, URIRef(person)))
        data.add((node, OS.allowsFreeText, Literal(project.free_text)))
        data.add((node, OS.dateCoarsening, Literal(project.coarsening)))
        data.add((node, OS.minGroupSize, Literal(project.k, datatype=XSD.integer)))
        if project.built_at:
            data.add((node, OS.builtAt, Literal(project.built_at, datatype=XSD.dateTime)))
        for graph in project.graphs:
            data.add((node, OS.datasetGraph, URIRef(graph)))
        self.platform.writer.apply([GraphChange(self.graph(project.key), data, replace=True)])

    def all(self) -> list[Project]:
        store = self.platform.store
        links: dict[str, dict[str, list[str]]] = {}
        for row in store.select(self.queries.get("project_links").text):
            links.setdefault(row["project"].value, {}).setdefault(row["p"].value, []).append(row["o"].value)
        prefix = self.iri("")
        found = []
        for row in store.select(self.queries.get("projects").text):
            iri = row["project"].value
            if not iri.startswith(prefix):
                continue
            mine = links.get(iri, {})
            found.append(Project(
                key=iri[len(prefix):], title=row["title"].value, ethics_approval=row["ethics"].value,
                organisations=mine.get(str(OS.coversOrganisation), []),
                period_start=dt.date.fromisoformat(row["start"].value),
                period_end=dt.date.fromisoformat(row["end"].value),
                researchers=mine.get(str(OS.researcher), []), free_text=row["free"].value == "true",
                coarsening=row["coarse"].value, k=int(row["k"].value),
                built_at=row["built"].value if row.get("built") else None,
                graphs=mine.get(str(OS.datasetGraph), [])))
        return found

    def get(self, key: str) -> Project:
        for project in self.all():
            if project.key == key:
                return project
        raise ProjectNotFound(f"no research project {key}")

    def of_researcher(self, person: str | None) -> list[Project]:
        return [p for p in self.all() if person and person in p.researchers]

    def record_build(self, project: Project, graphs: list[str], at: str) -> None:
        project.graphs, project.built_at = graphs, at
        self._write(project)
