"""What the planner shows and hands out: the exam list, an exam as JSON, the calendar (JSON and iCalendar),
the bon à tirer (HTML and PDF), and an exam's download (TriG of its graphs, JSON)."""

from __future__ import annotations

import datetime as dt
import time

import pyoxigraph as ox

from services.exams.model import Epreuve, Exam
from services.exams.rdf import parse_timestamp
from services.planner import bat
from services.planner.calendar import Entry, grouped, ics
from services.planner.exams import Planner
from services.planner.roster import CandidateList
from services.access.model import Principal
from services.studio.media import media_path
from services.studio.rdf import Facts, read_item
from store.terms import to_rdflib_graph


CACHE_SECONDS = 30.0


class Documents:
    """Views over the planner's exams."""

    def __init__(self, planner: Planner):
        self.planner = planner
        self.platform = planner.platform
        self.names = planner.names
        self.zone = planner.zone
        self._entries: tuple[int, float, list[Entry]] | None = None

    # --- JSON forms ---------------------------------------------------------------------------
    def local(self, value: dt.datetime | None) -> str | None:
        """A stored date in the platform's time zone, ISO 8601."""
        return value.astimezone(self.zone).isoformat() if value else None

    def epreuve_json(self, epreuve: Epreuve, titles: dict[str, dict] | None = None) -> dict:
        """An épreuve as the API shows it (with the title and kind of each linked version)."""
        titles = self.version_titles([epreuve]) if titles is None else titles
        return {"number": epreuve.number, "iri": epreuve.iri, "title": epreuve.title, "type": epreuve.type,
                "start": self.local(epreuve.start), "end": self.local(epreuve.end),
                "duration_minutes": epreuve.duration_minutes, "grading_method": epreuve.grading_method,
                "status": epreuve.status, "display": epreuve.display.as_dict(),
                "slots": [{"position": s.position, "item": s.item, "item_id": s.item_id, "version": s.version,
                           "coefficient": s.coefficient, **titles.get(s.version, {})} for s in epreuve.slots],
                "registrations": {"groups": epreuve.groups, "added": epreuve.added, "excluded": epreuve.excluded},
                "extra_time": [{"candidate": p, "minutes": m} for p, m in sorted(epreuve.extra_time.items())]}

    def exam_json(self, exam: Exam, titles: dict[str, dict]) -> dict:
        """An exam as the API shows it."""
        return {"key": exam.key, "iri": exam.iri, "title": exam.title, "short_name": exam.short_name,
                "identifier": exam.identifier, "owner": exam.owner, "universities": exam.universities,
                "offers": exam.offers, "status": exam.status, "created": self.local(exam.created),
                "creator": exam.creator, "epreuves": [self.epreuve_json(e, titles) for e in exam.epreuves]}

    def exam_detail(self, principal: Principal, key: str) -> dict:
        """An exam with the titles and kinds of its linked versions and each épreuve's candidate count."""
        exam = self.planner.exam(principal, key)
        out = self.exam_json(exam, self.version_titles(exam.epreuves))
        for view, epreuve in zip(out["epreuves"], exam.epreuves):
            view["candidates"] = len(self.planner.roster.current(epreuve).people)
            view["may_manage"] = self.planner.may_manage(principal, exam)
        return out

    def version_titles(self, epreuves: list[Epreuve]) -> dict[str, dict]:
        """The title and kind of every version the épreuves link (one query)."""
        versions = {s.version for e in epreuves for s in e.slots}
        found: dict[str, dict] = {}
        for row in self.planner.roster.rows_for("versions", "version", versions):
            entry = found.setdefault(row["version"].value, {"title": row["title"].value, "kind": None})
            local = row["type"].value.rsplit("#", 1)[-1]
            if local in KINDS:
                entry["kind"] = KINDS[local]
        return found

    def candidates_json(self, epreuve: Epreuve, candidates: CandidateList) -> dict:
        """The candidate list as the API shows it."""
        people = sorted(candidates.people.values(), key=lambda p: (p.family_name.casefold(), p.given_name.casefold(),
                                                                   p.iri))
        return {"epreuve": epreuve.iri, "frozen": candidates.frozen_at is not None,
                "frozen_at": self.local(candidates.frozen_at), "count": len(people),
                "candidates": [{"iri": p.iri, "id": p.iri.rsplit("/", 1)[-1], "family_name": p.family_name,
                                "given_name": p.given_name, "unique_id": p.unique_id,
                                "groups": candidates.groups_of.get(p.iri, []), "added": p.iri in epreuve.added,
                                "extra_minutes": epreuve.extra_time.get(p.iri, 0)} for p in people]}

    # --- list and calendar ------------------------------------------------------------------------
    def entries(self, principal: Principal, organisation: str | None = None) -> list[Entry]:
        """Every épreuve the caller may read (of an organisation and its units, when given)."""
        tree = self.planner.access.directory.tree()
        wanted = tree.subtree({organisation}) if organisation else None
        readable: dict[str, bool] = {}
        found = []
        for entry in self.all_entries():
            if wanted is not None and entry.owner not in wanted:
                continue
            if entry.exam not in readable:
                readable[entry.exam] = self._readable(principal, entry.exam, entry.owner)
            if readable[entry.exam]:
                found.append(entry)
        return found

    def all_entries(self) -> list[Entry]:
        """Every épreuve of the store, read again after a write through this platform (or after 30 s, for
        writers elsewhere)."""
        generation = self.platform.store.generation
        cached = self._entries
        if cached and cached[0] == generation and time.monotonic() - cached[1] < CACHE_SECONDS:
            return cached[2]
        found = []
        for row in self.platform.store.select(self.planner.queries.get("epreuves").text).rows:
            key, number = self.names.parse_epreuve(row["epreuve"].value)
            status = row["status"].value.rsplit("Status", 1)[-1].lower() if "status" in row else "draft"
            found.append(Entry(key, row["examTitle"].value, row["owner"].value if "owner" in row else None,
                               row["epreuve"].value, number, row["title"].value,
                               row["type"].value if "type" in row else "",
                               parse_timestamp(row["start"].value) if "start" in row else None,
                               int(row["duration"].value), status))
        self._entries = (generation, time.monotonic(), found)
        return found

    def _readable(self, principal: Principal, key: str, owner: str | None) -> bool:
        if principal.is_admin:
            return True
        if owner is not None:
            return self.planner.may_read(principal, Exam(key, self.names.exam(key), "", [], owner))
        exam = self.planner.exam_or_none(key)
        return exam is not None and self.planner.may_read(principal, exam)

    def listing(self, principal: Principal, organisation: str | None = None, status: str | None = None,
                start: dt.date | None = None, end: dt.date | None = None) -> list[dict]:
        """The exam list: one row per épreuve (exam, épreuve, type, start and end, duration, status), soonest
        first, undated drafts last."""
        rows = [e for e in self.entries(principal, organisation) if status is None or e.status == status]
        rows = [e for e in rows if self._within(e, start, end)]
        far = dt.datetime.max.replace(tzinfo=dt.timezone.utc)
        rows.sort(key=lambda e: (e.start or far, e.exam_title, e.number))
        return [self.entry_json(e) for e in rows]

    def _within(self, entry: Entry, start: dt.date | None, end: dt.date | None) -> bool:
        if start is None and end is None:
            return True
        if entry.start is None:
            return False
        day = entry.start.astimezone(self.zone).date()
        return (start is None or day >= start) and (end is None or day <= end)

    def entry_json(self, entry: Entry) -> dict:
        """One row of the exam list or the calendar."""
        return entry.as_dict(self.zone)

    def calendar(self, principal: Principal, start: dt.date, end: dt.date, organisation: str | None = None,
                 view: str = "week") -> dict:
        """Dated épreuves between two days, by day or by week."""
        entries = [e for e in self.entries(principal, organisation) if e.start and self._within(e, start, end)]
        return {"from": start.isoformat(), "to": end.isoformat(), "view": view, "time_zone": str(self.zone),
                "organisation": organisation, "count": len(entries), "periods": grouped(entries, view, self.zone)}

    def calendar_ics(self, principal: Principal, start: dt.date | None = None, end: dt.date | None = None,
                     organisation: str | None = None) -> bytes:
        """The dated épreuves as an iCalendar file."""
        entries = [e for e in self.entries(principal, organisation) if e.start and self._within(e, start, end)]
        name = "Épreuves" + (f" — {self.planner.access.directory.tree().labels.get(organisation, organisation)}"
                             if organisation else "")
        return ics(entries, name, self.planner.clock())

    # --- bon à tirer ------------------------------------------------------------------------------
    def bat_context(self, principal: Principal, key: str, number: int) -> dict:
        """What the bon à tirer shows: every linked version read from its frozen graph."""
        exam, epreuve = self.planner.epreuve(principal, key, number)
        return bat.document(exam, epreuve, self.versions([epreuve]), self.zone, self.planner.clock())

    def versions(self, epreuves: list[Epreuve]) -> dict[str, dict]:
        """The content of every version the épreuves link, read from its frozen graph."""
        items = {}
        for slot in (s for e in epreuves for s in e.slots):
            if slot.version not in items:
                item_id, version = self.names.parse_version(slot.version)
                graph = ox.NamedNode(self.names.version_graph(item_id, version))
                items[slot.version] = read_item(Facts(to_rdflib_graph(self.platform.store.graph_triples(graph))),
                                                slot.version)
        return items

    def bat_html(self, principal: Principal, key: str, number: int) -> str:
        """The bon à tirer as HTML."""
        return bat.render_html(self.bat_context(principal, key, number))

    def bat_body(self, principal: Principal, key: str, number: int) -> str:
        """The bon à tirer's content, for a page around it."""
        return bat.render_body(self.bat_context(principal, key, number))

    def bat_pdf(self, principal: Principal, key: str, number: int) -> bytes:
        """The bon à tirer as PDF."""
        return bat.render_pdf(self.bat_html(principal, key, number), self.media)

    def media(self, url: str) -> tuple[bytes, str] | None:
        """A stored picture by its IRI (content and media type), or None for anything else."""
        prefix = self.platform.iri("media", "")
        if not url.startswith(prefix):
            return None
        digest = url[len(prefix):]
        path = media_path(self.platform, digest)
        if path is None:
            return None
        query = self.platform.queries.get("media_type")
        rows = self.platform.store.select(query.text, query.bind({"hash": digest})).rows
        return path.read_bytes(), rows[0]["type"].value if rows else "application/octet-stream"

    # --- downloads -----------------------------------------------------------------------------------
    def graphs_of(self, exam: Exam) -> list[str]:
        """The graphs an exam's download holds: the exam, its frozen candidate lists, the versions it links."""
        graphs = [self.names.exam_graph(exam.key)]
        graphs += [self.names.candidates_graph(exam.key, e.number) for e in exam.epreuves]
        graphs += sorted({self.names.version_graph(*self.names.parse_version(s.version))
                          for e in exam.epreuves for s in e.slots})
        return graphs

    def trig(self, principal: Principal, key: str) -> bytes:
        """The exam's graphs as TriG."""
        exam = self.planner.exam(principal, key)
        quads = []
        for graph in self.graphs_of(exam):
            node = ox.NamedNode(graph)
            quads += [ox.Quad(t.subject, t.predicate, t.object, node) for t in self.platform.store.graph_triples(node)]
        return ox.serialize(quads, format=ox.RdfFormat.TRIG, prefixes=PREFIXES)

    def download_json(self, principal: Principal, key: str) -> dict:
        """The exam as JSON, with its épreuves' candidates and the content of every linked version."""
        exam = self.planner.exam(principal, key)
        out = self.exam_json(exam, self.version_titles(exam.epreuves))
        for view, epreuve in zip(out["epreuves"], exam.epreuves):
            view["candidates"] = self.candidates_json(epreuve, self.planner.roster.current(epreuve))
        out["items"] = self.versions(exam.epreuves)
        return out


KINDS = {"IsolatedQuestion": "QI", "SQI": "SQI", "DP": "DP", "MDCP": "MDCP", "DL": "DL", "LCA": "LCA", "KFP": "KFP",
         "EcosStation": "ECOS"}
PREFIXES = {"os": "https://w3id.org/ontosides#", "dcterms": "http://purl.org/dc/terms/",
            "prov": "http://www.w3.org/ns/prov#", "xsd": "http://www.w3.org/2001/XMLSchema#"}
