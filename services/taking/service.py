"""EXAMEN: a registered candidate opens their session, reads the épreuve in their own shuffled order, saves
answers (live or as an offline batch), reveals dossier steps, marks questions, reports incidents, hands in.

The hot path (`save`) runs on the event loop: the snapshot check and the sequence-number check are in memory,
the record goes to the journal, and the caller awaits its disk flush. Everything else is rare and writes
through the validated graph writer.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, XSD

from services.access.model import Principal
from services.exams.naming import ExamNames
from services.exams.rdf import person_key, read_frozen_candidates, timestamp
from services.notation.reading import read_sheet
from services.planner.exams import Planner
from services.platform import Platform
from services.taking.checks import AnswerIn, answer_problem
from services.taking.journal import Journal
from services.taking.render import utc_text
from services.taking.shuffle import seed, shown_order
from services.taking.snapshot import Snapshot
from store.dataset import DatasetSpec
from store.embedded import OxigraphStore
from store.sparql_text import inject_values_list
from store.terms import OS, triple_graph
from store.writes import GraphChange, change_update

log = logging.getLogger("ontosides.taking")
# The sessions of one épreuve, wherever they are, without their shown order (kilobytes each, read per session
# when needed): a restart reads them in one query instead of listing every copy graph first.
SESSIONS_OF_EPREUVE = """PREFIX os: <https://w3id.org/ontosides#>
SELECT ?g ?student ?start ?deadline ?submitted ?revealed WHERE {
  GRAPH ?g {
    ?session a os:ExamSession ; os:epreuve ?epreuve ; os:student ?student ; os:sessionStart ?start .
    OPTIONAL { ?session os:deadline ?deadline }
    OPTIONAL { ?session os:submittedAt ?submitted }
    OPTIONAL { ?session os:revealedSteps ?revealed }
  }
}"""
KEPT, SUPERSEDED, REFUSED = "kept", "superseded", "refused"


class TakingError(Exception):
    """A request the épreuve's rules refuse (422)."""


class TakingNotFound(TakingError):
    """No such épreuve for this caller (404)."""


class TakingClosed(TakingError):
    """The épreuve is not open for this caller now: not started, time up, handed in (409)."""


def utc_now() -> dt.datetime:
    """Now, in UTC, to the millisecond (the server's clock rules)."""
    return dt.datetime.now(dt.timezone.utc)


@dataclass
class SessionState:
    """One candidate's session as the answer path keeps it in memory."""

    person: str
    graph: str
    started: dt.datetime
    deadline: dt.datetime
    order: dict
    submitted: dt.datetime | None = None
    seqs: dict[str, int] = field(default_factory=dict)
    revealed: dict[str, int] = field(default_factory=dict)
    last_seen: dt.datetime | None = None
    last_save: dt.datetime | None = None
    saves: int = 0
    # False for a session read back after a restart until its order and sequence numbers are read
    # (`Taking._ensure_loaded`): no save of it is checked before.
    loaded: bool = True


@dataclass
class Outcome:
    """What became of one save."""

    question: str
    seq: int
    status: str
    reason: str | None = None

    def as_dict(self) -> dict:
        """JSON form."""
        out = {"question": self.question, "seq": self.seq, "status": self.status}
        if self.reason:
            out["reason"] = self.reason
        return out


class Taking:
    """The taking of épreuves on one platform."""

    def __init__(self, platform: Platform, planner: Planner, clock: Callable[[], dt.datetime] = utc_now):
        self.platform = platform
        self.planner = planner
        self.clock = clock
        self.names = ExamNames(platform.settings.base_iri)
        self.queries = platform.queries_for("taking")
        self._snapshots: dict[tuple[str, int], Snapshot] = {}
        self._sessions: dict[tuple[str, int], dict[str, SessionState]] = {}
        self._lock = threading.RLock()
        self._session_locks = [threading.Lock() for _ in range(64)]
        self._temp: tempfile.TemporaryDirectory | None = None
        self.journal: Journal | None = None

    # --- life -------------------------------------------------------------------------------
    def start(self) -> None:
        """Open the answer journal (replaying into the store what it misses)."""
        if self.journal is not None:
            return
        store = self.platform.store
        flush = store.native.flush if isinstance(store, OxigraphStore) and store.location != ":memory:" else None
        self.journal = Journal(self._journal_folder(), store, sync=self.platform.settings.journal_sync,
                               flush_store=flush)
        self.journal.open()

    def _journal_folder(self) -> Path:
        settings = self.platform.settings
        if settings.journal_dir:
            return Path(settings.journal_dir)
        store = self.platform.store
        if isinstance(store, OxigraphStore) and store.location != ":memory:":
            location = Path(store.location)
            return location.parent / f"{location.name}-journal"
        if isinstance(store, OxigraphStore):
            self._temp = tempfile.TemporaryDirectory(prefix="ontosides-journal-")
            return Path(self._temp.name)
        return Path("var/journal")

    def close(self) -> None:
        """Write and apply what the journal holds, then stop it."""
        if self.journal is not None:
            self.journal.close()
            self.journal = None
        if self._temp is not None:
            self._temp.cleanup()
            self._temp = None

    def drain(self, timeout: float = 60.0) -> bool:
        """Wait until the store holds every acknowledged save (grading and exports call it first)."""
        return self.journal.drain(timeout) if self.journal is not None else True

    # --- the épreuve ---------------------------------------------------------------------------
    def snapshot(self, exam: str, number: int, refresh: bool = False) -> Snapshot:
        """The épreuve as the answer path checks against it, read once (TakingNotFound when there is none)."""
        key = (exam, number)
        cached = self._snapshots.get(key)  # no lock on the way of every request: a dict read is atomic
        if not refresh and cached is not None and not self._due(cached.status, cached.start):
            return cached
        found = self.planner.exam_or_none(exam)
        try:
            epreuve = found.epreuve(number) if found else None
        except KeyError:
            epreuve = None
        if epreuve is None:
            raise TakingNotFound(f"no épreuve {exam}-{number}")
        if self._due(epreuve.status, epreuve.start):
            # Its time came: the planner freezes the candidate list and marks it running, as `exams start-due` does.
            self.planner.start_due(Principal(is_admin=True))
            return self.snapshot(exam, number, refresh=True)
        sheet = read_sheet(self.platform, self.names.epreuve_key(exam, number), epreuve.iri, exam, number)
        frozen = read_frozen_candidates(self.platform.store, self.names, exam, number)
        candidates = frozen.candidates if frozen else self.planner.roster.union(epreuve).iris
        texts, scales = self._texts(sheet)
        labels = self._labels({v for values in scales.values() for v in values}
                              | {v for q in sheet.questions for v, _ in q.panel})
        snapshot = Snapshot.build(epreuve, found.owner or (found.universities[0] if found.universities else None),
                                  frozenset(candidates), sheet, texts, scales, labels,
                                  self.platform.settings.answer_grace_s)
        with self._lock:
            # The sessions first: a request that finds the snapshot (read without the lock) finds them too.
            if key not in self._sessions:
                self._sessions[key] = self._load_sessions(snapshot)
            self._snapshots[key] = snapshot
        return snapshot

    def _due(self, status: str, start: dt.datetime | None) -> bool:
        """A ready épreuve whose start the planner's clock has reached (it is started on first use)."""
        return status == "ready" and start is not None and start <= self.planner.clock()

    def loaded(self, exam: str, number: int) -> bool:
        """Whether the épreuve's snapshot is in memory (the hot path then reads no store)."""
        return (exam, number) in self._snapshots

    def forget(self, exam: str, number: int) -> None:
        """Read the épreuve again at its next use (its status or candidates changed)."""
        with self._lock:
            self._snapshots.pop((exam, number), None)

    def _texts(self, sheet) -> tuple[dict[str, dict[str, str]], dict[str, frozenset[str]]]:
        nodes = {s.element for s in sheet.slots} | {q.iri for q in sheet.questions}
        texts: dict[str, dict[str, str]] = {}
        scales: dict[str, set[str]] = {}
        if nodes:
            text = inject_values_list(self.queries.get("element_texts").text, "node",
                                      [ox.NamedNode(n) for n in sorted(nodes)])
            for row in self.platform.store.select(text).rows:
                node, prop, value = row["node"].value, row["property"].value.rsplit("#", 1)[-1], row["value"].value
                if prop == "scaleEntry":
                    scales.setdefault(node, set()).add(value)
                else:
                    texts.setdefault(node, {})[prop] = value
        return texts, {k: frozenset(v) for k, v in scales.items()}

    def _labels(self, entries: set[str]) -> dict[str, str]:
        if not entries:
            return {}
        text = inject_values_list(self.queries.get("entry_labels").text, "entry",
                                  [ox.NamedNode(e) for e in sorted(entries)])
        return {row["entry"].value: row["label"].value for row in self.platform.store.select(text).rows}

    def _load_sessions(self, snapshot: Snapshot) -> dict[str, SessionState]:
        """The sessions already in the store (after a restart): one query for the épreuve's sessions, without
        their shown order or their answers. Each candidate's order and sequence numbers are read from their own
        copy graph when first needed (`_ensure_loaded`), and a background thread reads those of the others, so
        saves are accepted as soon as the épreuve is read (8,200 copies listed and a million answers parsed
        first took over a minute)."""
        _, rows = self.platform.store.select_lexical(SESSIONS_OF_EPREUVE, {"epreuve": ox.NamedNode(snapshot.iri)})
        prefix = self.names.copy_graph(snapshot.exam, snapshot.number, "")
        sessions: dict[str, SessionState] = {}
        for g, student, start, deadline, submitted, revealed in rows:
            if not g.startswith(prefix):
                continue
            sessions[student] = SessionState(
                student, g, _parse(start), _parse(deadline) if deadline else snapshot.deadline(student), None,
                _parse(submitted) if submitted else None, revealed=json.loads(revealed) if revealed else {},
                loaded=False)
        if sessions:
            threading.Thread(target=self._load_all, args=(snapshot, sessions), name="taking-sessions",
                             daemon=True).start()
        return sessions

    def _ensure_loaded(self, snapshot: Snapshot, state: SessionState) -> None:
        """Read a session's answers' latest sequence numbers from its copy graph, once (a session read back after
        a restart). The store holds every acknowledged save of it: the journal was replayed before, and no save
        of the candidate is accepted before this."""
        if state.loaded:
            return
        with self._session_locks[hash(state.person) % len(self._session_locks)]:
            if state.loaded:
                return
            spec = DatasetSpec((), (state.graph,))
            _, rows = self.platform.store.select_lexical(self.queries.get("copy_sequences").text, dataset=spec)
            self._fill(snapshot, state, ((answer, seq, at) for _, answer, seq, at in rows))

    def _ensure_order(self, state: SessionState) -> None:
        """Read a session's shown order from its copy graph, once (a session read back after a restart)."""
        if state.order is not None:
            return
        spec = DatasetSpec((), (state.graph,))
        _, rows = self.platform.store.select_lexical(self.queries.get("copy_sessions").text, dataset=spec)
        order = next((r[5] for r in rows if r[1] == state.person and r[5]), None)
        state.order = json.loads(order) if order else {}

    def needs_loading(self, exam: str, number: int, person: str | None) -> bool:
        """Whether a candidate's session was read back after a restart and its sequence numbers are not yet."""
        state = self._sessions.get((exam, number), {}).get(person)
        return state is not None and not state.loaded

    def load_session(self, exam: str, number: int, person: str) -> None:
        """Read a candidate's sequence numbers now (the save routes call it from the thread pool)."""
        state = self._sessions.get((exam, number), {}).get(person)
        if state is not None:
            self._ensure_loaded(self.snapshot(exam, number), state)

    def _fill(self, snapshot: Snapshot, state: SessionState, rows) -> None:
        answer_prefix = self.names.answer(snapshot.exam, snapshot.number, "", "")
        for answer, seq, at in rows:
            if not answer.startswith(answer_prefix):
                continue
            question = answer.rsplit("/", 1)[-1]
            state.seqs[question] = max(int(seq), state.seqs.get(question, -1))
            if at:
                moment = _parse(at)
                state.last_save = max(state.last_save or moment, moment)
        state.loaded = True

    def _load_all(self, snapshot: Snapshot, sessions: dict[str, SessionState]) -> None:
        """In the background after a restart: every session's sequence numbers (supervision counts the answers),
        a few hundred copies per query; the sessions a request loaded meanwhile are skipped."""
        try:
            waiting = sorted((s for s in sessions.values() if not s.loaded), key=lambda s: s.graph)
            for start in range(0, len(waiting), 500):
                chunk = [s for s in waiting[start:start + 500] if not s.loaded]
                if not chunk:
                    continue
                spec = DatasetSpec((), tuple(s.graph for s in chunk))
                by_graph: dict[str, list] = {s.graph: [] for s in chunk}
                _, rows = self.platform.store.select_lexical(self.queries.get("copy_sequences").text, dataset=spec)
                for g, answer, seq, at in rows:
                    if g in by_graph:
                        by_graph[g].append((answer, seq, at))
                for state in chunk:
                    with self._session_locks[hash(state.person) % len(self._session_locks)]:
                        if not state.loaded:
                            self._fill(snapshot, state, by_graph[state.graph])
                time.sleep(0.05)  # the requests' turn: this is background work
        except Exception:  # noqa: BLE001 (each request still loads its own session)
            log.exception("reading the sessions of %s-%s back failed", snapshot.exam, snapshot.number)

    def sessions(self, exam: str, number: int) -> dict[str, SessionState]:
        """The sessions of an épreuve by candidate (for supervision)."""
        self.snapshot(exam, number)
        with self._lock:
            return dict(self._sessions.get((exam, number), {}))

    # --- a candidate -------------------------------------------------------------------------
    def _candidate(self, principal: Principal, exam: str, number: int) -> Snapshot:
        snapshot = self.snapshot(exam, number)
        if principal.person is None or principal.person not in snapshot.candidates:
            # Not a candidate: the épreuve is none of theirs (its existence is not revealed).
            raise TakingNotFound(f"you are not a candidate of épreuve {exam}-{number}")
        return snapshot

    def takeable(self) -> list[tuple[str, int, str]]:
        """(exam, number, status) of every ready or running épreuve of the platform."""
        found = []
        for row in self.platform.store.select(self.planner.queries.get("epreuves").text).rows:
            status = row["status"].value.rsplit("Status", 1)[-1].lower() if "status" in row else "draft"
            if status not in ("ready", "running"):
                continue
            try:
                found.append((*self.names.parse_epreuve(row["epreuve"].value), status))
            except ValueError:
                continue
        return found

    def my_epreuves(self, principal: Principal) -> list[dict]:
        """The épreuves the caller is a candidate of that are open now or to come."""
        out = []
        for exam, number, _status in self.takeable():
            try:
                snapshot = self.snapshot(exam, number)
            except TakingError:
                continue
            if principal.person not in snapshot.candidates:
                continue
            state = self._sessions.get((exam, number), {}).get(principal.person)
            deadline = snapshot.deadline(principal.person)
            out.append({"exam": exam, "number": number, "title": snapshot.title, "status": snapshot.status,
                        "start": snapshot.start.isoformat() if snapshot.start else None,
                        "deadline": deadline.isoformat() if deadline else None,
                        "started": state is not None, "submitted": bool(state and state.submitted),
                        "open": snapshot.window_problem(principal.person, self.clock()) is None})
        return sorted(out, key=lambda e: (e["start"] or "", e["exam"], e["number"]))

    def open_session(self, principal: Principal, exam: str, number: int) -> dict:
        """Open (or resume) the caller's session: the content in their order, their answers, their deadline."""
        snapshot = self._candidate(principal, exam, number)
        person = principal.person
        now = self.clock()
        state = self._sessions[(exam, number)].get(person)
        if state is None:
            problem = snapshot.window_problem(person, now)
            if problem:
                raise TakingClosed(problem)
            state = self._create_session(snapshot, person, now)
        self._ensure_loaded(snapshot, state)
        self._ensure_order(state)
        state.last_seen = now
        return self._session_view(snapshot, state)

    def _create_session(self, snapshot: Snapshot, person: str, now: dt.datetime) -> SessionState:
        key = person_key(person)
        order = shown_order(snapshot.layout(), seed(snapshot.iri, person), snapshot.display["shuffle_items"],
                            snapshot.display["shuffle_questions"], snapshot.display["shuffle_options"])
        revealed = {str(s.position): 1 for s in snapshot.sheet.slots if snapshot.progressive(s.position)}
        state = SessionState(person, self.names.copy_graph(snapshot.exam, snapshot.number, key), now,
                             snapshot.deadline(person), order, revealed=revealed)
        session = URIRef(self.names.session(snapshot.exam, snapshot.number, key))
        g = triple_graph()
        g.add((session, RDF.type, OS.ExamSession))
        g.add((session, OS.epreuve, URIRef(snapshot.iri)))
        g.add((session, OS.student, URIRef(person)))
        g.add((session, OS.sessionStart, Literal(utc_text(now), datatype=XSD.dateTime)))
        g.add((session, OS.deadline, timestamp(state.deadline)))
        g.add((session, OS.shownOrder, Literal(json.dumps(order, separators=(",", ":")))))
        if revealed:
            g.add((session, OS.revealedSteps, Literal(json.dumps(revealed, separators=(",", ":")))))
        sessions = self._sessions[(snapshot.exam, snapshot.number)]
        # One lock per stripe of candidates, not the service's: other candidates' opens (and every save, which
        # never waits for a lock) go on while this session is written.
        with self._session_locks[hash(person) % len(self._session_locks)]:
            known = sessions.get(person)
            if known is not None:  # two devices opened at once: the first one's session stands
                return known
            self.platform.writer.check(g)  # validated as every write is
            # The text is the platform's own (the graph just validated): no caller-text guard to run on it. No
            # cache of who may read what is reset for it (`touches_derived=False`): the only derived fact is
            # the candidate's own copy among the graphs they read, which their next scope (≤ 30 s) includes.
            self.platform.store.update(change_update(GraphChange(state.graph, g)), touches_derived=False,
                                       platform_text=True)
            sessions[person] = state
        return state

    def _session_view(self, snapshot: Snapshot, state: SessionState) -> dict:
        answers = self._answers_of(snapshot, state)
        locked = sorted(self._locked(snapshot, state))
        return {"exam": snapshot.exam, "number": snapshot.number, "title": snapshot.title,
                "server_time": utc_text(self.clock()), "started": utc_text(state.started),
                "deadline": utc_text(state.deadline),
                "grace_seconds": snapshot.grace_seconds,
                "submitted": utc_text(state.submitted) if state.submitted else None,
                "display": snapshot.display, "content": self.content(snapshot, state), "answers": answers,
                "locked": locked}

    def content(self, snapshot: Snapshot, state: SessionState) -> list[dict]:
        """The slots in the candidate's order, each with its revealed questions and options in their order."""
        order, show = state.order, snapshot.display
        out = []
        for n, position in enumerate(order.get("slots", []), 1):
            slot = snapshot.slot(position)
            if slot is None:
                continue
            texts = snapshot.texts.get(slot.element, {})
            keys = order.get("questions", {}).get(str(position), [q.key for q in slot.questions])
            if snapshot.progressive(position):
                keys = keys[:state.revealed.get(str(position), 1)]
            questions = [self._question_view(snapshot, snapshot.question(k), order, show) for k in keys
                         if snapshot.question(k) is not None]
            entry = {"number": n, "position": position, "kind": slot.kind, "title": slot.title,
                     "vignette": texts.get("vignette"), "statement": texts.get("statement"),
                     "questions": questions, "progressive": snapshot.progressive(position),
                     "steps": len(slot.questions)}
            if show.get("show_item_coefficient"):
                entry["coefficient"] = slot.coefficient
            if show.get("show_question_count"):
                entry["question_count"] = len(slot.questions)
            out.append(entry)
        return out

    def _question_view(self, snapshot: Snapshot, q, order: dict, show: dict) -> dict:
        static = snapshot._views.get(q.key)
        if static is None:  # what every candidate sees of the question, built once per épreuve
            static = snapshot._views[q.key] = self._static_view(snapshot, q, show)
        view, by_iri = static
        view = dict(view)
        if q.options:
            view["options"] = [{"iri": iri, "label": chr(65 + i) if i < 26 else str(i + 1), "text": by_iri[iri]}
                               for i, iri in enumerate(order.get("options", {}).get(q.key, list(by_iri))) if iri in by_iri]
        return view

    def _static_view(self, snapshot: Snapshot, q, show: dict) -> tuple[dict, dict]:
        texts = snapshot.texts.get(q.iri, {})
        view = {"key": q.key, "type": q.type, "statement": q.statement or texts.get("statement", ""),
                "new_information": texts.get("newInformation"), "hypothesis": texts.get("hypothesis"),
                "image": texts.get("image")}
        by_iri = {o.iri: o.text for o in q.options}
        if q.options:
            view["options"] = None  # the candidate's order, filled in per view (keeps the keys' order)
        if q.type == "QRP" and q.expected_count is not None:
            view["expected_count"] = q.expected_count
        if q.type == "TCS":
            values = sorted(snapshot.questions[q.key].scale, key=lambda v: (snapshot.labels.get(v, v)))
            view["scale"] = [{"iri": v, "label": snapshot.labels.get(v, v.rsplit("/", 1)[-1])} for v in values]
        if q.type == "ASSOCIATION":
            rights = sorted({r for _, r in q.pairs}, key=lambda r: seed(q.iri, r))
            view["lefts"], view["rights"] = [left for left, _ in q.pairs], rights
        if q.type == "NUMERIQUE" and q.unit:
            view["unit_hint"] = True
        if show.get("show_question_coefficient"):
            view["coefficient"] = 1.0
        return view, by_iri

    def _answers_of(self, snapshot: Snapshot, state: SessionState) -> dict[str, dict]:
        """The candidate's latest saves, by question key (the store's, then the journal's not yet applied)."""
        out: dict[str, dict] = {}
        triples = self.platform.store.graph_triples(ox.NamedNode(state.graph))
        by_answer: dict[str, dict] = {}
        for t in triples:
            s, p, o = t.subject.value, t.predicate.value, t.object.value
            if "/pair/" in s:
                continue
            local = p.rsplit("#", 1)[-1]
            if local in ("selectedOption", "checkedItem"):
                by_answer.setdefault(s, {}).setdefault(local, []).append(o)
            elif local in ("sequence", "textAnswer", "numericAnswer", "unit", "zoneX", "zoneY", "marker", "notepad",
                           "globalRating"):
                by_answer.setdefault(s, {})[local] = o
        pairs: dict[str, list] = {}
        pair_facts: dict[str, dict] = {}
        for t in triples:
            s, p, o = t.subject.value, t.predicate.value, t.object.value
            if p == OS + "pairAnswer":
                pairs.setdefault(s, []).append(o)
            elif "/pair/" in s and p in (OS + "pairLeft", OS + "pairRight"):
                pair_facts.setdefault(s, {})[p.rsplit("#", 1)[-1]] = o
        for answer, facts in by_answer.items():
            key = answer.rsplit("/", 1)[-1]
            rules = snapshot.questions.get(key)
            if rules is None or "sequence" not in facts:
                continue
            view = {"seq": int(facts["sequence"]), "marker": facts.get("marker") in ("true", "1"),
                    "notepad": facts.get("notepad")}
            chosen = facts.get("selectedOption", [])
            if rules.type == "TCS":
                view["value"] = chosen[0] if chosen else None
            elif chosen:
                view["options"] = chosen
            for local, name in (("textAnswer", "text"), ("unit", "unit")):
                if local in facts:
                    view[name] = facts[local]
            for local, name in (("numericAnswer", "number"), ("zoneX", "x"), ("zoneY", "y")):
                if local in facts:
                    view[name] = float(facts[local])
            if answer in pairs:
                view["pairs"] = [[pair_facts[p].get("pairLeft"), pair_facts[p].get("pairRight")]
                                 for p in sorted(pairs[answer]) if p in pair_facts]
            if "checkedItem" in facts:
                view["checks"] = facts["checkedItem"]
            if "globalRating" in facts:
                view["value"] = facts["globalRating"]
            out[key] = view
        for record in self.journal.pending_for(state.graph) if self.journal else ():
            key = record["a"].rsplit("/", 1)[-1]
            if key not in out or record["n"] >= out[key]["seq"]:
                out[key] = _record_view(record)
        return out

    def saved_answers(self, snapshot: Snapshot, person: str) -> dict[str, dict]:
        """A candidate's latest saves by question key (stored or still in the journal); {} before any session."""
        state = self.sessions(snapshot.exam, snapshot.number).get(person)
        if state is None:
            return {}
        self._ensure_loaded(snapshot, state)
        return self._answers_of(snapshot, state)

    def _locked(self, snapshot: Snapshot, state: SessionState) -> set[str]:
        """The questions of progressive dossiers' steps the candidate has moved past."""
        locked = set()
        for position, revealed in state.revealed.items():
            slot = snapshot.slot(int(position))
            if slot is not None:
                locked.update(q.key for q in slot.questions[:max(revealed - 1, 0)])
        return locked

    # --- saving (the hot path) -------------------------------------------------------------------
    def prepare(self, principal: Principal, exam: str, number: int, answers: list[AnswerIn],
                batch: bool = False, examiner_for: str | None = None) -> tuple[list[Outcome], list]:
        """Check each save against the snapshot and the session, reserve its sequence number and queue it to the
        journal: the outcomes and the journal futures to await (the kept saves are acknowledged once they resolve).

        Runs without awaiting between the check and the queueing, so on the event loop it is atomic."""
        if self.journal is None:
            self.start()
        snapshot = self.snapshot(exam, number)
        now = self.clock()
        if examiner_for is not None:
            person = examiner_for
            if person not in snapshot.candidates:
                raise TakingNotFound(f"{person} is not a candidate of épreuve {exam}-{number}")
        else:
            snapshot = self._candidate(principal, exam, number)
            person = principal.person
        state = self._sessions[(exam, number)].get(person)
        if state is None and examiner_for is not None:
            state = self._create_session(snapshot, person, now)
        if state is None:
            raise TakingClosed("open your session first")
        if not state.loaded:  # read back after a restart: its sequence numbers first (once)
            self._ensure_loaded(snapshot, state)
        state.last_seen = now
        closed = None
        if state.submitted is not None and examiner_for is None:
            closed = f"your copy was handed in at {utc_text(state.submitted)}: it no longer changes"
        elif examiner_for is None:
            closed = snapshot.window_problem(person, now, grace=batch)
        locked = self._locked(snapshot, state)
        outcomes, futures = [], []
        key = person_key(person)
        for answer in answers:
            problem = closed or answer_problem(snapshot, answer, examiner=examiner_for is not None)
            if problem is None:
                problem = self._step_problem(snapshot, state, answer.question, locked)
            if problem is not None:
                outcomes.append(Outcome(answer.question, answer.seq, REFUSED, problem))
                continue
            current = state.seqs.get(answer.question, -1)
            if answer.seq <= current:
                status = KEPT if answer.seq == current else SUPERSEDED
                reason = None if status == KEPT else f"an answer with sequence number {current} is already stored"
                outcomes.append(Outcome(answer.question, answer.seq, status, reason))
                futures.append(None)
                continue
            state.seqs[answer.question] = answer.seq
            record = self._record(snapshot, person, key, state, answer, now, examiner_for and principal.person)
            outcomes.append(Outcome(answer.question, answer.seq, KEPT))
            futures.append(self.journal.append(record))
        state.saves += sum(1 for o in outcomes if o.status == KEPT)
        state.last_save = now
        return outcomes, futures

    def _step_problem(self, snapshot: Snapshot, state: SessionState, question: str, locked: set[str]) -> str | None:
        if question in locked:
            return f"question {question} belongs to a dossier step you moved past: it is locked"
        position, _, step = question.partition(".")
        if step and snapshot.progressive(int(position)) and int(step) > state.revealed.get(position, 1):
            return f"question {question} is not revealed yet"
        return None

    def _record(self, snapshot: Snapshot, person: str, key: str, state: SessionState, answer: AnswerIn,
                now: dt.datetime, examiner: str | None) -> dict:
        rules = snapshot.questions[answer.question]
        record = {"a": self.names.answer(snapshot.exam, snapshot.number, key, answer.question), "g": state.graph,
                  "e": snapshot.iri, "s": person, "q": rules.iri, "ty": rules.type, "n": answer.seq,
                  "t": utc_text(now), "m": answer.marker}
        for name, value in (("o", list(answer.options)), ("v", answer.value), ("x", answer.text),
                            ("num", answer.number), ("u", answer.unit), ("zx", answer.x), ("zy", answer.y),
                            ("p", [list(p) for p in answer.pairs]), ("c", list(answer.checks)),
                            ("np", answer.notepad), ("by", examiner)):
            if value not in (None, [], ""):
                record[name] = value
        return record

    async def save(self, principal: Principal, exam: str, number: int, answers: list[AnswerIn],
                   batch: bool = False, examiner_for: str | None = None) -> list[Outcome]:
        """Save answers; each outcome is kept only once its record is on disk."""
        outcomes, futures = self.prepare(principal, exam, number, answers, batch, examiner_for)
        waiting = [asyncio.wrap_future(f) for f in futures if f is not None]
        if waiting:
            results = await asyncio.gather(*waiting, return_exceptions=True)
            failed = next((r for r in results if isinstance(r, BaseException)), None)
            if failed is not None:
                raise failed
        return outcomes

    def save_now(self, principal: Principal, exam: str, number: int, answers: list[AnswerIn],
                 batch: bool = False, examiner_for: str | None = None) -> list[Outcome]:
        """`save` for callers without an event loop (the CLI, tests)."""
        outcomes, futures = self.prepare(principal, exam, number, answers, batch, examiner_for)
        for future in futures:
            if future is not None:
                future.result(timeout=60)
        return outcomes

    def heartbeat(self, principal: Principal, exam: str, number: int) -> dict:
        """The candidate's page is alive (supervisors see who is disconnected); the server's time."""
        snapshot = self._candidate(principal, exam, number)
        state = self._sessions[(exam, number)].get(principal.person)
        now = self.clock()
        if state is not None:
            state.last_seen = now
        deadline = snapshot.deadline(principal.person)
        return {"server_time": utc_text(now), "deadline": utc_text(deadline) if deadline else None,
                "submitted": bool(state and state.submitted)}

    # --- dossiers, hand-in, incidents ----------------------------------------------------------------
    def reveal_next(self, principal: Principal, exam: str, number: int, position: int) -> dict:
        """Reveal the next step of a progressive dossier (the steps before it lock)."""
        snapshot = self._candidate(principal, exam, number)
        state = self._open_state(snapshot, principal.person)
        slot = snapshot.slot(position)
        if slot is None or not snapshot.progressive(position):
            raise TakingError(f"item {position} is not a progressive dossier")
        shown = state.revealed.get(str(position), 1)
        if shown >= len(slot.questions):
            raise TakingError(f"every step of item {position} is already revealed")
        state.revealed[str(position)] = shown + 1
        self._write_revealed(snapshot, state)
        self._ensure_order(state)
        return self._session_view(snapshot, state)

    def _write_revealed(self, snapshot: Snapshot, state: SessionState) -> None:
        session = ox.NamedNode(self.names.session(snapshot.exam, snapshot.number, person_key(state.person)))
        graph = ox.NamedNode(state.graph)
        value = ox.Literal(json.dumps(state.revealed, separators=(",", ":")))
        predicate = ox.NamedNode(OS + "revealedSteps")
        self.platform.store.update(f"DELETE WHERE {{ GRAPH {graph} {{ {session} {predicate} ?v }} }} ;\n"
                                   f"INSERT DATA {{ GRAPH {graph} {{ {session} {predicate} {value} }} }}",
                                   touches_derived=False)

    def _open_state(self, snapshot: Snapshot, person: str) -> SessionState:
        state = self._sessions[(snapshot.exam, snapshot.number)].get(person)
        if state is None:
            raise TakingClosed("open your session first")
        self._ensure_loaded(snapshot, state)
        if state.submitted is not None:
            raise TakingClosed(f"your copy was handed in at {utc_text(state.submitted)}")
        problem = snapshot.window_problem(person, self.clock())
        if problem:
            raise TakingClosed(problem)
        return state

    def submit(self, principal: Principal, exam: str, number: int) -> dict:
        """Hand the copy in: every save acknowledged before stays, later ones are refused."""
        snapshot = self._candidate(principal, exam, number)
        state = self._sessions[(exam, number)].get(principal.person)
        if state is None:
            raise TakingClosed("open your session first")
        self._ensure_loaded(snapshot, state)
        if state.submitted is None:
            now = min(self.clock(), state.deadline + dt.timedelta(seconds=snapshot.grace_seconds))
            state.submitted = now
            session = ox.NamedNode(self.names.session(exam, number, person_key(principal.person)))
            graph = ox.NamedNode(state.graph)
            moment = ox.Literal(utc_text(now), datatype=ox.NamedNode(str(XSD.dateTime)))
            self.platform.store.update(
                f"DELETE WHERE {{ GRAPH {graph} {{ {session} {ox.NamedNode(OS + 'submittedAt')} ?v }} }} ;\n"
                f"INSERT DATA {{ GRAPH {graph} {{ {session} {ox.NamedNode(OS + 'submittedAt')} {moment} }} }}",
                touches_derived=False)
        return {"submitted": utc_text(state.submitted), "answers": len(state.seqs)}

    def report_incident(self, principal: Principal, exam: str, number: int, text: str) -> dict:
        """A candidate reports an incident (supervisors see it at once)."""
        snapshot = self._candidate(principal, exam, number)
        return record_incident(self.platform, self.names, snapshot, principal.person, text, candidate=principal.person,
                               now=self.clock())


def record_incident(platform: Platform, names: ExamNames, snapshot: Snapshot, reporter: str, text: str,
                    candidate: str | None, now: dt.datetime) -> dict:
    """Write an incident into the épreuve's supervision graph (validated)."""
    text = (text or "").strip()
    if not text:
        raise TakingError("description: say what happened")
    if len(text) > 4_000:
        raise TakingError("description: 4,000 characters at most")
    node = URIRef(f"{snapshot.iri}/incident/{uuid.uuid4().hex[:12]}")
    g = triple_graph()
    g.add((node, RDF.type, OS.Incident))
    g.add((node, OS.epreuve, URIRef(snapshot.iri)))
    g.add((node, OS.description, Literal(text)))
    g.add((node, OS.reportedBy, URIRef(reporter)))
    g.add((node, DCTERMS.created, Literal(utc_text(now), datatype=XSD.dateTime)))
    if candidate:
        g.add((node, OS.candidate, URIRef(candidate)))
    platform.writer.apply([GraphChange(names.supervision_graph(snapshot.exam, snapshot.number), g)],
                          touches_derived=False)  # no cached sign-in or scope rests on it
    return {"incident": str(node), "reported": utc_text(now), "description": text}


def _parse(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def _record_view(record: dict) -> dict:
    view = {"seq": record["n"], "marker": bool(record.get("m")), "notepad": record.get("np")}
    for name, key in (("options", "o"), ("value", "v"), ("text", "x"), ("number", "num"), ("unit", "u"),
                      ("x", "zx"), ("y", "zy"), ("pairs", "p"), ("checks", "c")):
        if key in record:
            view[name] = record[key]
    return view
