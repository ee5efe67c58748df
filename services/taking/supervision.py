"""SUPERVISEUR: the live view of an épreuve per room, attendance (émargement), devices, incidents, and the
attendance sheet the school office exports.

Attendance, devices, rooms and incidents are RDF in the épreuve's supervision graph; who is connected, who
started and who handed in comes from the taking service's sessions in memory.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, XSD

from services.access.model import Principal
from services.exams.rdf import person_key
from services.exams.scales import rating_scales
from services.taking.render import utc_text
from services.taking.service import Taking, TakingError, TakingNotFound, record_incident
from services.taking.snapshot import Snapshot
from store.terms import OS, triple_graph
from store.writes import GraphChange

SUPERVISORS = frozenset({OS + "Superviseur"})
TEMPLATES = Path(__file__).parent / "templates"
_ROOM = re.compile(r"^[\w .'’-]{1,60}$")


class SupervisionForbidden(TakingError):
    """The caller does not supervise this épreuve (403)."""


@dataclass
class Attendance:
    """A candidate's attendance row."""

    person: str
    room: str | None = None
    seat: str | None = None
    sign_in: str | None = None
    signed_in_by: str | None = None
    sign_out: str | None = None
    signed_out_by: str | None = None
    devices: list[dict] | None = None


class Supervision:
    """Supervision of épreuves on one platform."""

    def __init__(self, taking: Taking):
        self.taking = taking
        self.platform = taking.platform
        self.planner = taking.planner
        self.names = taking.names
        self.queries = self.platform.queries_for("taking")

    # --- who may -------------------------------------------------------------------------------
    def _epreuve(self, principal: Principal, exam: str, number: int, write: bool = False) -> Snapshot:
        """The épreuve if the caller supervises it: its supervisors, its planners, the administrator."""
        found = self.planner.exam_or_none(exam)
        if found is None or not self.planner.may_read(principal, found):
            raise TakingNotFound(f"no épreuve {exam}-{number}")
        if write and not (self.planner.may_manage(principal, found) or any(
                self.planner.policy.covers(principal, SUPERVISORS, o) for o in (found.owner, *found.universities) if o)):
            raise SupervisionForbidden(f"you may read épreuve {exam}-{number} but not supervise it")
        return self.taking.snapshot(exam, number)

    # --- the live view --------------------------------------------------------------------------
    def live(self, principal: Principal, exam: str, number: int, room: str | None = None) -> dict:
        """Who is present, started, handed in, last seen, disconnected; incidents; counts — per room."""
        snapshot = self._epreuve(principal, exam, number)
        now = self.taking.clock()
        sessions = self.taking.sessions(exam, number)
        attendance = self.attendance(snapshot)
        people = self.planner.roster.people(snapshot.candidates)
        incidents = self.incidents(snapshot)
        open_by_candidate: dict[str, int] = {}
        for incident in incidents:
            if incident.get("candidate") and not incident.get("resolved"):
                open_by_candidate[incident["candidate"]] = open_by_candidate.get(incident["candidate"], 0) + 1
        limit = dt.timedelta(seconds=self.platform.settings.disconnect_s)
        rows = []
        for person in sorted(snapshot.candidates, key=lambda p: people[p].display() if p in people else p):
            a = attendance.get(person, Attendance(person))
            if room and a.room != room:
                continue
            state = sessions.get(person)
            seen = state.last_seen or state.last_save if state else None
            status = ("submitted" if state and state.submitted else "started" if state
                      else "present" if a.sign_in and not a.sign_out else "absent")
            rows.append({"person": person, "name": people[person].display() if person in people else person_key(person),
                         "room": a.room, "seat": a.seat, "signed_in": a.sign_in, "signed_out": a.sign_out,
                         "status": status, "started": utc_text(state.started) if state else None,
                         "submitted": utc_text(state.submitted) if state and state.submitted else None,
                         "answers": len(state.seqs) if state else 0,
                         "last_seen": utc_text(seen) if seen else None,
                         "disconnected": bool(state and not state.submitted and seen and now - seen > limit),
                         "deadline": utc_text(snapshot.deadline(person)) if snapshot.start else None,
                         "extra_minutes": snapshot.extra_time.get(person, 0),
                         "devices": a.devices or [], "open_incidents": open_by_candidate.get(person, 0)})
        counts = {k: sum(1 for r in rows if r["status"] == k) for k in ("absent", "present", "started", "submitted")}
        counts["disconnected"] = sum(1 for r in rows if r["disconnected"])
        rooms = sorted({a.room for a in attendance.values() if a.room})
        return {"exam": exam, "number": number, "title": snapshot.title, "status": snapshot.status,
                "server_time": utc_text(now), "start": utc_text(snapshot.start) if snapshot.start else None,
                "room": room, "rooms": rooms, "counts": counts, "candidates": rows,
                "incidents": [i for i in incidents if not room or attendance.get(i.get("candidate") or "",
                                                                                  Attendance("")).room == room],
                "disconnect_seconds": self.platform.settings.disconnect_s}

    # --- reading the supervision graph ------------------------------------------------------------
    def _triples(self, snapshot: Snapshot) -> list:
        return self.platform.store.graph_triples(ox.NamedNode(self.names.supervision_graph(snapshot.exam,
                                                                                           snapshot.number)))

    def attendance(self, snapshot: Snapshot) -> dict[str, Attendance]:
        """Each candidate's attendance, room, seat and devices."""
        facts: dict[str, dict[str, list[str]]] = {}
        for t in self._triples(snapshot):
            facts.setdefault(t.subject.value, {}).setdefault(t.predicate.value, []).append(t.object.value)
        one = lambda s, p: (facts.get(s, {}).get(OS + p) or [None])[0]  # noqa: E731
        rooms = {s: (facts[s].get(str(RDFS.label)) or [s.rsplit("/", 1)[-1]])[0] for s in facts
                 if OS + "Room" in facts[s].get(str(RDF.type), [])}
        out: dict[str, Attendance] = {}
        for s, f in facts.items():
            types = f.get(str(RDF.type), [])
            if OS + "Attendance" in types and one(s, "candidate"):
                person = one(s, "candidate")
                room = one(s, "room")
                out[person] = Attendance(person, rooms.get(room, room), one(s, "seat"), one(s, "signIn"),
                                         one(s, "signedInBy"), one(s, "signOut"), one(s, "signedOutBy"), [])
        for s, f in facts.items():
            if OS + "Device" in f.get(str(RDF.type), []) and one(s, "candidate"):
                person = one(s, "candidate")
                out.setdefault(person, Attendance(person, devices=[])).devices.append(
                    {"device": s, "id": one(s, "deviceId"), "handed": one(s, "handedAt"), "by": one(s, "handedBy"),
                     "replaces": one(s, "replacesDevice")})
        for a in out.values():
            a.devices = sorted(a.devices or [], key=lambda d: (d["handed"] or "", int(d["device"].rsplit("/", 1)[-1])))
        return out

    def incidents(self, snapshot: Snapshot) -> list[dict]:
        """The épreuve's incidents, newest first."""
        facts: dict[str, dict[str, str]] = {}
        for t in self._triples(snapshot):
            facts.setdefault(t.subject.value, {})[t.predicate.value] = t.object.value
        out = []
        for s, f in facts.items():
            if f.get(str(RDF.type)) != OS + "Incident":
                continue
            out.append({"incident": s, "description": f.get(OS + "description"), "reported_by": f.get(OS + "reportedBy"),
                        "reported": f.get(str(DCTERMS.created)), "candidate": f.get(OS + "candidate"),
                        "resolution": f.get(OS + "resolution"), "resolved_by": f.get(OS + "resolvedBy"),
                        "resolved": f.get(OS + "resolvedAt")})
        return sorted(out, key=lambda i: i["reported"] or "", reverse=True)

    # --- writing ---------------------------------------------------------------------------------
    def _graph(self, snapshot: Snapshot) -> str:
        return self.names.supervision_graph(snapshot.exam, snapshot.number)

    def _attendance_node(self, snapshot: Snapshot, person: str) -> URIRef:
        return URIRef(f"{snapshot.iri}/attendance/{person_key(person)}")

    def _candidate(self, snapshot: Snapshot, person: str) -> None:
        if person not in snapshot.candidates:
            raise TakingNotFound(f"{person} is not a candidate of épreuve {snapshot.key}")

    def sign(self, principal: Principal, exam: str, number: int, person: str, direction: str,
             room: str | None = None, seat: str | None = None) -> dict:
        """Record a candidate's sign-in or sign-out (émargement), with the time and the supervisor; room and
        seat may be set at sign-in."""
        snapshot = self._epreuve(principal, exam, number, write=True)
        self._candidate(snapshot, person)
        if direction not in ("in", "out"):
            raise TakingError("direction: in or out")
        current = self.attendance(snapshot).get(person, Attendance(person))
        if direction == "out" and not current.sign_in:
            raise TakingError(f"{person_key(person)} has not signed in")
        now = utc_text(self.taking.clock())
        if direction == "in":
            current.sign_in, current.signed_in_by, current.sign_out, current.signed_out_by = now, principal.person, None, None
        else:
            current.sign_out, current.signed_out_by = now, principal.person
        if room is not None:
            current.room = self._room_name(room)
        if seat is not None:
            current.seat = seat.strip()[:20] or None
        self._write_attendance(snapshot, current)
        return self.attendance(snapshot)[person].__dict__

    def place(self, principal: Principal, exam: str, number: int, person: str, room: str | None,
              seat: str | None) -> dict:
        """Put a candidate in a room and a seat."""
        snapshot = self._epreuve(principal, exam, number, write=True)
        self._candidate(snapshot, person)
        current = self.attendance(snapshot).get(person, Attendance(person))
        current.room = self._room_name(room) if room else None
        current.seat = (seat or "").strip()[:20] or None
        self._write_attendance(snapshot, current)
        return self.attendance(snapshot)[person].__dict__

    @staticmethod
    def _room_name(room: str) -> str:
        room = room.strip()
        if not _ROOM.match(room):
            raise TakingError("room: a name of 1 to 60 letters, digits, spaces, dots, dashes or apostrophes")
        return room

    def _room_node(self, snapshot: Snapshot, room: str) -> URIRef:
        slug = re.sub(r"[^A-Za-z0-9_-]+", "-", room).strip("-").lower() or "room"
        return URIRef(f"{snapshot.iri}/room/{slug}")

    def _write_attendance(self, snapshot: Snapshot, a: Attendance) -> None:
        node = self._attendance_node(snapshot, a.person)
        g = triple_graph()
        g.add((node, RDF.type, OS.Attendance))
        g.add((node, OS.epreuve, URIRef(snapshot.iri)))
        g.add((node, OS.candidate, URIRef(a.person)))
        drop = [str(node)]
        if a.room:
            room = self._room_node(snapshot, a.room)
            g.add((room, RDF.type, OS.Room))
            g.add((room, RDFS.label, Literal(a.room)))
            g.add((node, OS.room, room))
            drop.append(str(room))
        if a.seat:
            g.add((node, OS.seat, Literal(a.seat)))
        for value, prop in ((a.sign_in, OS.signIn), (a.sign_out, OS.signOut)):
            if value:
                g.add((node, prop, Literal(value, datatype=XSD.dateTime)))
        for value, prop in ((a.signed_in_by, OS.signedInBy), (a.signed_out_by, OS.signedOutBy)):
            if value:
                g.add((node, prop, URIRef(value)))
        self._write(snapshot, g, drop)

    def hand_device(self, principal: Principal, exam: str, number: int, person: str, device_id: str,
                    replaces: str | None = None) -> dict:
        """Record a device handed to a candidate (or replacing one that failed)."""
        snapshot = self._epreuve(principal, exam, number, write=True)
        self._candidate(snapshot, person)
        device_id = (device_id or "").strip()
        if not device_id or len(device_id) > 80:
            raise TakingError("device_id: the device's label or serial number (1 to 80 characters)")
        devices = self.attendance(snapshot).get(person, Attendance(person)).devices or []
        if replaces is not None and replaces not in {d["device"] for d in devices}:
            raise TakingError(f"replaces: {replaces} is not a device of {person_key(person)}")
        node = URIRef(f"{snapshot.iri}/device/{person_key(person)}/{len(devices) + 1}")
        g = triple_graph()
        g.add((node, RDF.type, OS.Device))
        g.add((node, OS.candidate, URIRef(person)))
        g.add((node, OS.epreuve, URIRef(snapshot.iri)))
        g.add((node, OS.deviceId, Literal(device_id)))
        g.add((node, OS.handedAt, Literal(utc_text(self.taking.clock()), datatype=XSD.dateTime)))
        g.add((node, OS.handedBy, URIRef(principal.person)))
        if replaces:
            g.add((node, OS.replacesDevice, URIRef(replaces)))
        self._write(snapshot, g)
        return {"device": str(node), "id": device_id, "replaces": replaces}

    def report(self, principal: Principal, exam: str, number: int, text: str, candidate: str | None) -> dict:
        """A supervisor reports an incident (about a candidate, or the room)."""
        snapshot = self._epreuve(principal, exam, number, write=True)
        if candidate:
            self._candidate(snapshot, candidate)
        return record_incident(self.platform, self.names, snapshot, principal.person, text, candidate,
                               self.taking.clock())

    def resolve(self, principal: Principal, exam: str, number: int, incident: str, resolution: str) -> dict:
        """Close an incident with how it was resolved, who and when."""
        snapshot = self._epreuve(principal, exam, number, write=True)
        known = {i["incident"]: i for i in self.incidents(snapshot)}
        if incident not in known:
            raise TakingNotFound(f"no incident {incident} in épreuve {snapshot.key}")
        resolution = (resolution or "").strip()
        if not resolution or len(resolution) > 4_000:
            raise TakingError("resolution: say how it was resolved (4,000 characters at most)")
        node, now = URIRef(incident), utc_text(self.taking.clock())
        g = triple_graph()
        for s, p, o in ((node, OS.resolution, Literal(resolution)), (node, OS.resolvedBy, URIRef(principal.person)),
                        (node, OS.resolvedAt, Literal(now, datatype=XSD.dateTime))):
            g.add((s, p, o))
        old = known[incident]
        g.add((node, RDF.type, OS.Incident))
        g.add((node, OS.epreuve, URIRef(snapshot.iri)))
        g.add((node, OS.description, Literal(old["description"])))
        g.add((node, OS.reportedBy, URIRef(old["reported_by"])))
        g.add((node, DCTERMS.created, Literal(old["reported"], datatype=XSD.dateTime)))
        if old["candidate"]:
            g.add((node, OS.candidate, URIRef(old["candidate"])))
        self._write(snapshot, g, [incident])
        return {**old, "resolution": resolution, "resolved_by": principal.person, "resolved": now}

    def _write(self, snapshot: Snapshot, g, drop: list[str] | None = None) -> None:
        # No cache of tokens, functions or readable graphs rests on a supervision graph: writing one keeps the
        # store's generation, so 8,200 candidates' cached sign-ins survive a room's check-in.
        self.platform.writer.apply([GraphChange(self._graph(snapshot), g, drop_subjects=drop or [])],
                                   touches_derived=False)

    def examiner_check(self, principal: Principal, exam: str, number: int) -> None:
        """An ECOS examiner is someone who may supervise the épreuve."""
        self._epreuve(principal, exam, number, write=True)

    def station_sheet(self, principal: Principal, exam: str, number: int, station: str | None = None,
                      room: str | None = None) -> dict:
        """An ECOS examiner's sheet: the épreuve's stations and, for one of them (the first by default), its
        checklist, its global rating scale in order and each candidate's saved ticks, rating and sequence
        number — for a room or all of them."""
        snapshot = self._epreuve(principal, exam, number, write=True)
        stations = [q for q in snapshot.sheet.questions if q.type == "ECOS"]
        listed = [{"key": q.key, "title": _short(q.statement) or q.key} for q in stations]
        if not stations:
            return {"title": snapshot.title, "stations": [], "station": None, "rooms": [], "candidates": []}
        chosen = next((q for q in stations if q.key == station), None) if station else stations[0]
        if chosen is None:
            raise TakingNotFound(f"épreuve {exam}-{number} has no ECOS station {station}")
        scale = rating_scales(self.platform, [chosen.iri]).get(chosen.iri, [])
        attendance = self.attendance(snapshot)
        people = self.planner.roster.people(snapshot.candidates)
        rows = []
        for person in sorted(snapshot.candidates, key=lambda p: people[p].display() if p in people else p):
            a = attendance.get(person, Attendance(person))
            if room and a.room != room:
                continue
            saved = self.taking.saved_answers(snapshot, person).get(chosen.key, {})
            rows.append({"person": person, "name": people[person].display() if person in people else person_key(person),
                         "room": a.room, "seat": a.seat, "checks": list(saved.get("checks", [])),
                         "rating": saved.get("value"), "seq": saved.get("seq", 0), "saved": bool(saved)})
        return {"title": snapshot.title, "stations": listed,
                "station": {"key": chosen.key, "title": _short(chosen.statement) or chosen.key,
                            "scenario": chosen.statement,
                            "checklist": [{"iri": c, "text": text, "points": points}
                                          for c, text, points in chosen.checklist],
                            "scale": [{"iri": e, "label": label} for e, label in scale]},
                "rooms": sorted({a.room for a in attendance.values() if a.room}), "candidates": rows}

    # --- export -----------------------------------------------------------------------------------
    def sheet_rows(self, principal: Principal, exam: str, number: int) -> tuple[Snapshot, list[dict]]:
        """The attendance sheet: every candidate with room, seat, sign-in and sign-out, hand-in, devices."""
        snapshot = self._epreuve(principal, exam, number)
        live = self.live(principal, exam, number)
        return snapshot, live["candidates"]

    def sheet_csv(self, principal: Principal, exam: str, number: int) -> str:
        """The attendance sheet as CSV (semicolons, for spreadsheets in French)."""
        _, rows = self.sheet_rows(principal, exam, number)
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow(["Candidat", "Identifiant", "Salle", "Place", "Entrée", "Sortie", "Statut", "Remise",
                         "Réponses", "Tiers-temps (min)", "Appareils"])
        for r in rows:
            writer.writerow([r["name"], person_key(r["person"]), r["room"] or "", r["seat"] or "",
                             r["signed_in"] or "", r["signed_out"] or "", r["status"], r["submitted"] or "",
                             r["answers"], r["extra_minutes"] or "", ", ".join(d["id"] or "" for d in r["devices"])])
        return "\ufeff" + out.getvalue()

    def sheet_pdf(self, principal: Principal, exam: str, number: int) -> bytes:
        """The attendance sheet as PDF, a signature column per candidate."""
        from jinja2 import Environment, FileSystemLoader, select_autoescape

        from services.planner.bat import render_pdf

        snapshot, rows = self.sheet_rows(principal, exam, number)
        env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape())
        html = env.get_template("attendance.html.j2").render(snapshot=snapshot, rows=rows,
                                                            printed=utc_text(self.taking.clock()))
        return render_pdf(html, lambda _: None)

    # --- the épreuves one follows (the supervisor's pages) ------------------------------------------
    def may_supervise(self, principal: Principal, exam) -> bool:
        """Whether the caller may act on an exam's épreuves (sign, devices, incidents), not only follow them."""
        return self.planner.may_manage(principal, exam) or any(
            self.planner.policy.covers(principal, SUPERVISORS, o) for o in (exam.owner, *exam.universities) if o)

    def followable(self, principal: Principal) -> list[dict]:
        """The ready and running épreuves the caller may follow, by start: exam, title, start, status, number of
        candidates, and whether they may act on it."""
        exams: dict[str, object] = {}
        out = []
        for key, number, status in self.taking.takeable():
            if key not in exams:
                exams[key] = self.planner.exam_or_none(key)
            exam = exams[key]
            if exam is None or not self.planner.may_read(principal, exam):
                continue
            try:
                epreuve = exam.epreuve(number)
            except KeyError:
                continue
            out.append({"exam": key, "number": number, "exam_title": exam.title, "title": epreuve.title,
                        "status": status, "start": utc_text(epreuve.start) if epreuve.start else None,
                        "duration_minutes": epreuve.duration_minutes,
                        "supervises": self.may_supervise(principal, exam)})
        return sorted(out, key=lambda e: (e["start"] or "", e["exam"], e["number"]))


def _short(text: str, limit: int = 80) -> str:
    """A station's scenario cut to a title."""
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"
