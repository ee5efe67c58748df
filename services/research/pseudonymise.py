"""The pseudonymised dataset of a research project, built into the project's own graphs.

Persons become keyed pseudonyms, HMAC-SHA256(secret, project key + person IRI) → `research/{key}/pseudonym/{hex}`:
stable within a project, different across projects, not reversible without the platform's secret. The copies,
answers, grades, the question scores they share and statistics of the épreuves the project covers (those its organisations own,
started within its period) are copied with every person rewritten; names, e-mails, EPPNs and identifiers never
are (they live in the person graphs, which are not read), free text (os:textAnswer, os:notepad) only when the
project allows it, dates coarsened when asked; the statistics of an épreuve with fewer than k graded candidates are
suppressed. A context graph (`…/context`) holds what the research named queries need around them: the covered
épreuves, their slots, registered groups with their offers and members, candidates, and the questions' tags and
specialties (persons as pseudonyms, dates coarsened; no statement, no author; épreuves, questions, groups and offers
renamed under the project, untyped, so the platform's own reads never meet them). Rows are streamed from the store
as plain strings (`select_lexical`) and each épreuve's graphs are written with the store's bulk path
(`replace_graphs`), so the memory held is one épreuve's quads.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections import Counter
from dataclasses import dataclass, field

import pyoxigraph as ox

from services.exams.naming import ExamNames
from services.platform import Platform
from services.research.projects import Project, Projects, ResearchError
from store.dataset import DatasetSpec
from store.sparql_text import inject_values_list

OS = "https://w3id.org/ontosides#"
FOAF = "http://xmlns.com/foaf/0.1/"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
# Never copied: what names a person, and digests that could link a row back to the source graphs.
IDENTIFYING = frozenset({f"{FOAF}familyName", f"{FOAF}givenName", f"{FOAF}name", f"{OS}email", f"{OS}primaryEmail",
                         f"{OS}eppn", f"{OS}uniqueId", f"{OS}contentDigest", f"{OS}hasAccount"})
FREE_TEXT = frozenset({f"{OS}textAnswer", f"{OS}notepad"})
DATES = frozenset({f"{XSD}dateTime", f"{XSD}date"})
# What a covered épreuve's graphs are called, in the source and in the project.
PERSONAL_KINDS = ("copy", "grades")
EPREUVE_KINDS = PERSONAL_KINDS + ("question-scores",)  # with the question scores the grades share
# Resources the project describes in its context graph are renamed under the project (`research/{key}/exam/…`):
# the platform's services read the real ones by IRI (an épreuve's start, candidates, a group's members) and must never
# meet a project's coarsened, pseudonymised copy of their facts. The copies carry no rdf:type for the same reason
# (listings start from a class).
PROJECT_SCOPED = frozenset({"exam", "item", "group", "offer"})


def pseudonym_hex(secret: str, project: str, person: str) -> str:
    """The keyed pseudonym of a person in a project."""
    if not secret:
        raise ResearchError("no research secret is configured (ONTOSIDES_RESEARCH_SECRET)")
    return hmac.new(secret.encode(), (project + person).encode(), hashlib.sha256).hexdigest()


def coarsen(value: str, datatype: str, how: str) -> str:
    """A date or dateTime cut to the day (midnight UTC) or the Monday of its ISO week; the datatype is kept."""
    if how == "none":
        return value
    try:
        day = dt.date.fromisoformat(value[:10])
    except ValueError:
        return value
    if how == "week":
        day -= dt.timedelta(days=day.weekday())
    return day.isoformat() + ("T00:00:00Z" if datatype == f"{XSD}dateTime" else "")


@dataclass
class BuildReport:
    """What a build wrote and left out."""

    project: str
    epreuves: list[str] = field(default_factory=list)
    graphs: list[str] = field(default_factory=list)
    pseudonyms: int = 0
    counts: Counter = field(default_factory=Counter)  # answers, grades, question scores, sessions, statistics
    dropped: Counter = field(default_factory=Counter)  # property → triples left out
    suppressed: list[str] = field(default_factory=list)  # épreuves whose statistics were suppressed (< k)
    built_at: str = ""

    def as_dict(self) -> dict:
        return {"project": self.project, "epreuves": self.epreuves, "graphs": len(self.graphs),
                "pseudonyms": self.pseudonyms, "counts": dict(self.counts), "dropped": dict(self.dropped),
                "suppressed": self.suppressed, "built_at": self.built_at}


class Pseudonymiser:
    """Builds (and rebuilds) a project's pseudonymised graphs."""

    def __init__(self, platform: Platform, projects: Projects | None = None):
        self.platform = platform
        self.projects = projects or Projects(platform)
        self.queries = platform.queries_for("research")
        self.names = ExamNames(platform.settings.base_iri)
        self.base = self.names.base

    # --- which épreuves ---------------------------------------------------------------
    def covered_epreuves(self, project: Project) -> list[tuple[str, str]]:
        """(exam IRI, épreuve IRI) of the épreuves the project's organisations (and their units) own, started
        within its period."""
        from services.access.directory import Directory  # the organisation tree, read as the policy reads it

        tree = Directory(self.platform).tree()
        covered = tree.subtree(frozenset(project.organisations)) | frozenset(project.organisations)
        found = []
        for row in self.platform.store.select(self.queries.get("epreuves").text):
            if row["owner"].value not in covered:
                continue
            day = dt.date.fromisoformat(row["start"].value[:10])
            if project.period_start <= day <= project.period_end:
                found.append((row["exam"].value, row["epreuve"].value))
        return found

    # --- building -----------------------------------------------------------------------
    def build(self, key: str) -> BuildReport:
        project = self.projects.get(key)
        secret = self.platform.settings.research_secret
        pseudonym_hex(secret, key, "check")  # refuses early without a secret
        report = BuildReport(project=key)
        prefix = self.projects.data_prefix(key)
        existing = [g.value for g in self.platform.store.named_graphs()]
        by_epreuve: dict[str, list[str]] = {}
        for graph in existing:
            for kind in EPREUVE_KINDS:
                head = f"{self.base}graph/{kind}/"
                if graph.startswith(head):
                    by_epreuve.setdefault(graph[len(head):].split("/", 1)[0], []).append(graph)
        old = {g for g in existing if g.startswith(prefix)}  # an earlier build's: rewritten, or dropped at the end
        persons: set[str] = set()
        questions: set[str] = set()
        for exam_iri, epreuve in self.covered_epreuves(project):
            exam, number = self.names.parse_epreuve(epreuve)
            ep = self.names.epreuve_key(exam, number)
            report.epreuves.append(epreuve)
            target = f"{prefix}epreuve/{ep}"
            stats_target = f"{prefix}stats/{ep}"
            quads: list[ox.Quad] = []
            self._rewrite_graphs(project, secret, by_epreuve.get(ep, []), target, quads, report, persons)
            stats: list[ox.Quad] = []
            graded = sum(1 for q in quads if q.predicate.value == RDF_TYPE and q.object.value == f"{OS}Grade")
            if graded >= project.k:
                self._rewrite_graphs(project, secret, [self.names.stats_graph(exam, number)], stats_target, stats,
                                     report, persons, statistics=True)
            else:
                report.suppressed.append(epreuve)
            scoped = f"{self.base}research/{key}/"
            questions.update(self.base + q.object.value[len(scoped):] if q.object.value.startswith(scoped)
                             else q.object.value for q in quads if q.predicate.value == f"{OS}question")
            written = []
            if quads:
                written.append(target)
            if stats:
                written.append(stats_target)
            if written:
                data = ox.serialize(quads + stats, format=ox.RdfFormat.N_QUADS)
                self.platform.store.replace_graphs(written, data, ox.RdfFormat.N_QUADS)
                report.graphs += written
        # What the named queries need around the answers and grades: the épreuves, their slots, registered cohorts
        # and candidates, and the questions' tags (persons as pseudonyms, dates coarsened).
        context = self._context(project, secret, report.epreuves, questions, persons)
        if context:
            context_graph = f"{prefix}context"
            self.platform.store.replace_graphs([context_graph], ox.serialize(context, format=ox.RdfFormat.N_QUADS),
                                               ox.RdfFormat.N_QUADS)
            report.graphs.append(context_graph)
            report.counts["context"] = len(context)
        # The pseudonyms themselves: typed, tied to the project (no link back to anyone).
        project_iri = ox.NamedNode(self.projects.iri(key))
        pseudonyms_graph = ox.NamedNode(f"{prefix}pseudonyms")
        node_type = ox.NamedNode(RDF_TYPE)
        quads = []
        for person in sorted(persons):
            node = ox.NamedNode(person)
            quads.append(ox.Quad(node, node_type, ox.NamedNode(f"{OS}Pseudonym"), pseudonyms_graph))
            quads.append(ox.Quad(node, ox.NamedNode(f"{OS}inProject"), project_iri, pseudonyms_graph))
        if quads:
            self.platform.store.replace_graphs([pseudonyms_graph.value],
                                               ox.serialize(quads, format=ox.RdfFormat.N_QUADS), ox.RdfFormat.N_QUADS)
            report.graphs.append(pseudonyms_graph.value)
        stale = sorted(old - set(report.graphs))  # épreuves no longer covered, statistics now suppressed
        if stale:
            self.platform.store.replace_graphs(stale, b"", ox.RdfFormat.N_QUADS)
        report.pseudonyms = len(persons)
        report.built_at = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        self.projects.record_build(project, report.graphs, report.built_at)
        return report

    def _rewrite_graphs(self, project: Project, secret: str, graphs: list[str], target: str, out: list,
                        report: BuildReport, persons: set[str], statistics: bool = False) -> int:
        """Stream the quads of the source graphs, rewritten into `target`; returns the candidates seen."""
        if not graphs:
            return 0
        person_head = f"{self.base}person/"
        research_head = f"{self.base}research/{project.key}/"
        graph = ox.NamedNode(target)
        cache: dict[str, str] = {}
        seen: set[str] = set()
        keys: dict[str, str] = {}  # person key → pseudonym hex, for IRIs that embed the key

        def person_of(iri: str) -> str | None:
            hexed = cache.get(iri)
            if hexed is None:
                rest = iri[len(person_head):]
                if "/" in rest or not rest:
                    return None  # an account, a function: never copied
                hexed = cache[iri] = pseudonym_hex(secret, project.key, iri)
                keys[rest] = hexed
            pseudo = f"{research_head}pseudonym/{hexed}"
            persons.add(pseudo)
            seen.add(pseudo)
            return pseudo

        def iri_of(iri: str) -> str | None:
            if iri.startswith(person_head):
                return person_of(iri)
            if not iri.startswith(self.base):
                return iri
            rest = iri[len(self.base):]
            parts = rest.split("/")
            if parts[0] == "score":
                return research_head + rest  # a shared question score names no one (a key may look like a fraction)
            if parts[0] in ("answer", "session", "grade") and len(parts) >= 3 and parts[2] not in keys:
                self._hex_of_key(secret, project.key, parts[2], cache, keys)
            if any(part in keys for part in parts):
                # answer/{ep}/{person key}/… and anything else naming a candidate by key: the key becomes the
                # pseudonym's hex, under the project.
                return research_head + "/".join(keys.get(part, part) for part in parts)
            if parts[0] in ("answer", "session", "grade", "graph"):
                return research_head + rest  # statistics nodes named under their graph
            if parts[0] in PROJECT_SCOPED:
                return research_head + rest  # the project's own copy of an épreuve, question, group, offer
            return iri

        for name in graphs:  # graph/copy/{ep}/{person key}, graph/grades/{ep}/{person key}
            rest = name[len(self.base):].split("/")
            if len(rest) == 4 and rest[1] in PERSONAL_KINDS:
                self._hex_of_key(secret, project.key, rest[3], cache, keys)
        text = inject_values_list(self.queries.get("quads").text, "g", [ox.NamedNode(g) for g in graphs])
        _, rows = self.platform.store.select_lexical(text)
        counts = report.counts
        for g, s, p, o, is_iri, is_blank, datatype, lang in rows:
            if p in IDENTIFYING or (p in FREE_TEXT and not project.free_text):
                report.dropped[p.rsplit("#", 1)[-1].rsplit("/", 1)[-1]] += 1
                continue
            subject = iri_of(s) if not s.startswith("_:") else None
            if subject is None:
                continue
            if is_iri == "true":
                value = iri_of(o)
                if value is None:
                    continue
                obj = ox.NamedNode(value)
                if p == RDF_TYPE:
                    kind = value.rsplit("#", 1)[-1]
                    if kind in ("Answer", "Grade", "ExamSession") or (statistics and kind != "QuestionScore"):
                        counts[kind] += 1
                elif p == f"{OS}hasQuestionScore":
                    counts["QuestionScore"] += 1  # one per candidate and question (shared scores are one node)
            elif is_blank == "true":
                continue
            elif lang:
                obj = ox.Literal(o, language=lang)
            else:
                if datatype in DATES:
                    o = coarsen(o, datatype, project.coarsening)
                obj = ox.Literal(o, datatype=ox.NamedNode(datatype)) if datatype else ox.Literal(o)
            out.append(ox.Quad(ox.NamedNode(subject), ox.NamedNode(p), obj, graph))
        return len(seen)

    def _context(self, project: Project, secret: str, epreuves: list[str], questions: set[str],
                 persons: set[str]) -> list[ox.Quad]:
        """The project's context graph: the covered épreuves (exam, slots, registered groups and their offers,
        candidates and cohort members as pseudonyms) and the tags of the questions answered; dates coarsened."""
        graph = ox.NamedNode(f"{self.projects.data_prefix(project.key)}context")
        person_head = f"{self.base}person/"
        research_head = f"{self.base}research/{project.key}/pseudonym/"
        # The source graphs only: the projects' own copies would repeat (and, joined, multiply) every fact.
        research = f"{self.base}graph/research/"
        source = [g.value for g in self.platform.store.named_graphs() if not g.value.startswith(research)]
        spec = DatasetSpec.of(source)
        triples = []
        if epreuves:
            text = inject_values_list(self.queries.get("context_epreuves").text, "epreuve",
                                      [ox.NamedNode(e) for e in epreuves])
            triples += self.platform.store.construct(text, dataset=spec)
        if questions:
            text = inject_values_list(self.queries.get("context_questions").text, "question",
                                      [ox.NamedNode(q) for q in sorted(questions)])
            triples += self.platform.store.construct(text, dataset=spec)

        project_head = f"{self.base}research/{project.key}/"

        def term(node):
            if isinstance(node, ox.NamedNode) and node.value.startswith(self.base) \
                    and node.value[len(self.base):].split("/", 1)[0] in PROJECT_SCOPED:
                return ox.NamedNode(project_head + node.value[len(self.base):])
            if isinstance(node, ox.NamedNode) and node.value.startswith(person_head):
                rest = node.value[len(person_head):]
                if not rest or "/" in rest:
                    return None
                pseudo = research_head + pseudonym_hex(secret, project.key, node.value)
                persons.add(pseudo)
                return ox.NamedNode(pseudo)
            if isinstance(node, ox.Literal) and node.datatype.value in DATES:
                return ox.Literal(coarsen(node.value, node.datatype.value, project.coarsening), datatype=node.datatype)
            if isinstance(node, ox.BlankNode):
                return None
            return node

        out, seen = [], set()
        for t in triples:
            if t.predicate.value in IDENTIFYING or t.predicate.value in FREE_TEXT or t.predicate.value == RDF_TYPE:
                continue
            s, o = term(t.subject), term(t.object)
            if s is None or o is None:
                continue
            quad = ox.Quad(s, t.predicate, o, graph)
            if quad not in seen:
                seen.add(quad)
                out.append(quad)
        return out

    def _hex_of_key(self, secret: str, project: str, key: str, cache: dict, keys: dict) -> str:
        iri = f"{self.base}person/{key}"
        hexed = cache[iri] = keys[key] = pseudonym_hex(secret, project, iri)
        return hexed
