"""PLANIFICATEUR use cases: exams and their épreuves, linked items, registrations, extra time, statuses.

Every change rewrites the exam's graph in one validated write, after the rules agreed: a refused change
writes nothing. Who may do what is decided here with the policy (the exam's owner and the organisation tree).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import replace
from zoneinfo import ZoneInfo

import pyoxigraph as ox

from services.access import Access
from services.access.model import EXAM_STAFF, PLANNING, Principal
from services.exams.model import STARTED, Epreuve, Exam, Slot, exam_status
from services.exams.naming import ExamNames
from services.exams.rdf import exam_graph, parse_timestamp, read_exam
from services.planner import rules
from services.planner.errors import PlannerConflict, PlannerError, PlannerForbidden, PlannerNotFound
from services.planner.inputs import (
    EpreuveChange, EpreuveInput, ExamChange, ExamInput, ExtraTimeInput, Registrations, SlotInput,
)
from services.planner.roster import CandidateList, Roster
from services.studio.items import Studio
from services.studio.model import ITEM_KINDS, QUESTION_TYPES
from store.writes import GraphChange

ITEM_TYPES = frozenset(str(iri) for iri in ITEM_KINDS.values())
QUESTION_TYPE_NAMES = {str(iri).rsplit("#", 1)[-1]: name for name, iri in QUESTION_TYPES.items()}
PLANNERS, READERS = PLANNING, EXAM_STAFF
LIVE = ("ready", "running")  # the épreuves the overlap rule compares with
NEIGHBOURHOOD = dt.timedelta(days=1)  # épreuves further apart than this cannot overlap (extra time is shorter)


def utc_now() -> dt.datetime:
    """Now, in UTC."""
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


class Planner:
    """The planner of one platform."""

    def __init__(self, platform, studio: Studio, access: Access, clock: Callable[[], dt.datetime] = utc_now):
        self.platform = platform
        self.studio = studio
        self.access = access
        self.policy = access.policy
        self.names = ExamNames(platform.settings.base_iri)
        self.queries = platform.queries_for("planner")
        self.roster = Roster(platform, self.names)
        self.zone = ZoneInfo(platform.settings.timezone)
        self.clock = clock

    # --- who may ------------------------------------------------------------------------
    def _organisations(self, exam: Exam) -> list[str]:
        # An exam without an owner (imported from the legacy platform) belongs to its universities.
        return [exam.owner] if exam.owner else exam.universities

    def may_manage(self, principal: Principal, exam: Exam) -> bool:
        """School office, exam managers and heads of the exam's organisation (or above it)."""
        return any(self.policy.covers(principal, PLANNERS, o) for o in self._organisations(exam))

    def may_read(self, principal: Principal, exam: Exam) -> bool:
        """Those who manage it, its graders and supervisors, and the staff of units below a university that
        plans an exam for all of them."""
        if self.may_manage(principal, exam):
            return True
        tree = self.access.directory.tree()
        owners = set(self._organisations(exam))
        return any(h.function in READERS and (tree.covers(h.organisation, o) or o in tree.ancestors(h.organisation))
                   for h in principal.holdings for o in owners)

    def exam_or_none(self, key: str) -> Exam | None:
        """An exam by key, whoever asks (for the services that decide access themselves)."""
        return read_exam(self.platform.store, self.names, key)

    def exam(self, principal: Principal, key: str, manage: bool = False) -> Exam:
        """An exam the caller may read (or manage); 404 when it is none of theirs, 403 when read-only."""
        exam = read_exam(self.platform.store, self.names, key)
        if exam is None or not self.may_read(principal, exam):
            raise PlannerNotFound(f"no exam {key}")
        if manage and not self.may_manage(principal, exam):
            raise PlannerForbidden(f"you may read the exam {key} but not change it (its organisation's school "
                                   "office, exam managers and heads may)")
        return exam

    def epreuve(self, principal: Principal, key: str, number: int, manage: bool = False) -> tuple[Exam, Epreuve]:
        """An exam and one of its épreuves."""
        exam = self.exam(principal, key, manage)
        try:
            return exam, exam.epreuve(number)
        except KeyError:
            raise PlannerNotFound(f"exam {key} has no épreuve {number}") from None

    # --- time ---------------------------------------------------------------------------------
    def local(self, value: dt.datetime | None) -> dt.datetime | None:
        """A date entered by a person: without an offset, it is in the platform's time zone."""
        if value is None:
            return None
        return (value if value.tzinfo else value.replace(tzinfo=self.zone)).astimezone(dt.timezone.utc)

    def started(self, epreuve: Epreuve) -> bool:
        """Whether the épreuve started (status, frozen list, or a ready épreuve whose time came)."""
        frozen = self.platform.store.has_graph(ox.NamedNode(self.names.candidates_graph(epreuve.exam, epreuve.number)))
        return rules.has_started(epreuve, frozen, self.clock())

    def _unstarted(self, exam: Exam, epreuve: Epreuve) -> None:
        if self.started(epreuve):
            raise PlannerConflict(f"épreuve {epreuve.number} of exam {exam.key} has started ({epreuve.status}): "
                                  "its items, date, registrations and options can no longer change")

    # --- exams ----------------------------------------------------------------------------------
    def create(self, principal: Principal, data: ExamInput) -> Exam:
        """A new exam with its épreuves, checked by every rule, written at once."""
        owner = data.owner or self._default_owner(principal)
        tree = self.access.directory.tree()
        if owner not in tree.kinds:
            raise PlannerNotFound(f"owner: no organisation {owner}")
        if not self.policy.covers(principal, PLANNERS, owner):
            raise PlannerForbidden(f"owner: you do not plan exams for {owner}")
        key = "e" + uuid.uuid4().hex[:10]
        exam = Exam(key=key, iri=self.names.exam(key), title=data.title.strip(), universities=[], owner=owner,
                    short_name=(data.short_name or "").strip() or None,
                    identifier=(data.identifier or "").strip() or f"EX-{self.clock().year}-{key.upper()}",
                    created=self.clock(), creator=principal.person)
        self._set_scope(exam, data.universities, data.offers)
        self._unique_identifier(exam)
        for epreuve_input in data.epreuves:
            self._add_epreuve(exam, epreuve_input)
        self._save(exam, [e.number for e in exam.epreuves])
        return exam

    def _default_owner(self, principal: Principal) -> str:
        held = sorted(principal.organisations(PLANNERS))
        if len(held) == 1:
            return held[0]
        raise PlannerError("owner: say which organisation plans the exam" + (
            f" (you plan for {', '.join(held)})" if held else ""))

    def _set_scope(self, exam: Exam, universities: list[str], offers: list[str]) -> None:
        tree = self.access.directory.tree()
        if not universities:
            universities = [o for o in tree.ancestors(exam.owner) if tree.kinds.get(o) == "University"][:1]
        wrong = [u for u in universities if tree.kinds.get(u) != "University"]
        if wrong or not universities:
            raise PlannerError(f"universities: {', '.join(wrong) or 'none given'} — an exam is for one or more "
                               "universities of the platform")
        if exam.owner and not any(u in tree.ancestors(exam.owner) for u in universities):
            raise PlannerError(f"universities: the exam's owner {exam.owner} belongs to none of them")
        scope = tree.subtree(universities)
        given = {r["offer"].value: r["component"].value
                 for r in self.roster.rows_for("offers", "offer", set(offers))} if offers else {}
        unknown = [o for o in offers if o not in given]
        if unknown:
            raise PlannerNotFound(f"offers: no training offer {', '.join(unknown)}")
        outside = [o for o in offers if given[o] not in scope]
        if outside:
            raise PlannerError(f"offers: {', '.join(outside)} belong to none of the exam's universities")
        exam.universities = sorted(set(universities))
        exam.offers = sorted(set(offers))

    def _unique_identifier(self, exam: Exam) -> None:
        query = self.queries.get("exam_by_identifier")
        rows = self.platform.store.select(query.text, query.bind({"identifier": exam.identifier})).rows
        if any(r["exam"].value != exam.iri for r in rows):
            raise PlannerError(f"identifier: {exam.identifier!r} is already another exam's")

    def change(self, principal: Principal, key: str, data: ExamChange) -> Exam:
        """Change an exam's names, universities or formations (not once one of its épreuves started)."""
        exam = self.exam(principal, key, manage=True)
        if data.universities is not None or data.offers is not None:
            for epreuve in exam.epreuves:
                self._unstarted(exam, epreuve)
            self._set_scope(exam, data.universities if data.universities is not None else exam.universities,
                            data.offers if data.offers is not None else exam.offers)
        if data.title is not None:
            exam.title = data.title.strip()
        if "short_name" in data.model_fields_set:
            exam.short_name = (data.short_name or "").strip() or None
        if data.identifier:
            exam.identifier = data.identifier.strip()
            self._unique_identifier(exam)
        self._save(exam, [])
        return exam

    def delete(self, principal: Principal, key: str) -> None:
        """Delete an exam none of whose épreuves started (409 otherwise)."""
        exam = self.exam(principal, key, manage=True)
        started = [e for e in exam.epreuves if self.started(e)]
        if started:
            raise PlannerConflict(f"exam {key} cannot be deleted: épreuve(s) "
                                  f"{', '.join(str(e.number) for e in started)} started; archive it instead")
        self.platform.writer.drop_graph(self.names.exam_graph(key))

    # --- épreuves -------------------------------------------------------------------------------
    def add_epreuve(self, principal: Principal, key: str, data: EpreuveInput) -> Epreuve:
        """A new épreuve of an exam (numbers are never reused)."""
        exam = self.exam(principal, key, manage=True)
        epreuve = self._add_epreuve(exam, data)
        self._save(exam, [epreuve.number])
        return epreuve

    def _add_epreuve(self, exam: Exam, data: EpreuveInput) -> Epreuve:
        number = exam.next_number()
        epreuve = Epreuve(exam=exam.key, number=number, iri=self.names.epreuve(exam.key, number),
                          title=data.title.strip(), duration_minutes=data.duration_minutes, type=data.type.strip(),
                          start=self.local(data.start), grading_method=data.grading_method,
                          display=replace(data.display))
        exam.epreuves.append(epreuve)
        if data.slots:
            self._link(exam, epreuve, data.slots)
        self._register(exam, epreuve, data.registrations)
        self._extra_time(epreuve, data.extra_time)
        return epreuve

    def change_epreuve(self, principal: Principal, key: str, number: int, data: EpreuveChange) -> Epreuve:
        """Change an épreuve's name, type, date, duration, grading method or display options."""
        exam, epreuve = self.epreuve(principal, key, number, manage=True)
        self._unstarted(exam, epreuve)
        fields = data.model_fields_set
        if data.title is not None:
            epreuve.title = data.title.strip()
        if data.type is not None:
            epreuve.type = data.type.strip()
        if "start" in fields:
            epreuve.start = self.local(data.start)
        if data.duration_minutes is not None:
            epreuve.duration_minutes = data.duration_minutes
        if data.grading_method is not None:
            epreuve.grading_method = data.grading_method
        if data.display is not None:
            epreuve.display = replace(data.display)
        self._save(exam, [number])
        return epreuve

    def delete_epreuve(self, principal: Principal, key: str, number: int) -> Exam:
        """Remove an épreuve that has not started; an exam keeps at least one."""
        exam, epreuve = self.epreuve(principal, key, number, manage=True)
        self._unstarted(exam, epreuve)
        if len(exam.epreuves) == 1:
            raise PlannerError(f"exam {key} keeps at least one épreuve: delete the exam instead")
        exam.epreuves.remove(epreuve)
        self._save(exam, [])
        return exam

    # --- items ---------------------------------------------------------------------------------
    def link(self, principal: Principal, key: str, number: int, slots: list[SlotInput]) -> Epreuve:
        """Link items in this order (the whole list): each slot points to a published version of its item."""
        exam, epreuve = self.epreuve(principal, key, number, manage=True)
        self._unstarted(exam, epreuve)
        self._link(exam, epreuve, slots)
        self._save(exam, [number])
        return epreuve

    def item_iri(self, ref: str) -> str:
        """An item IRI from an id or an IRI."""
        return ref if ":" in ref else self.studio.item_iri(ref)

    def _link(self, exam: Exam, epreuve: Epreuve, slots: list[SlotInput]) -> None:
        iris = [self.item_iri(s.item.strip()) for s in slots]
        twice = sorted({i for i in iris if iris.count(i) > 1})
        if twice:
            raise PlannerError(f"slots: an item is linked once per épreuve: {', '.join(twice)}")
        found: dict[str, dict] = {}
        for row in self.roster.rows_for("items", "item", iris):
            entry = found.setdefault(row["item"].value, {"types": set(), "owner": None})
            entry["types"].add(row["type"].value)
            if "owner" in row:
                entry["owner"] = row["owner"].value
        unknown = [i for i in iris if i not in found or not entry_is_item(found[i]["types"])]
        if unknown:
            raise PlannerNotFound(f"slots: no item {', '.join(unknown)}")
        hidden = [i for i in iris if not self.visible_to(found[i]["owner"], exam)]
        if hidden:
            raise PlannerError(f"slots: these items are not visible to the exam's organisation {exam.owner} "
                               f"(owned elsewhere): {', '.join(hidden)}")
        kept = {s.item: s.version for s in epreuve.slots}
        linked = []
        for position, (slot, iri) in enumerate(zip(slots, iris), 1):
            version = kept.get(iri) if not slot.update_version else None
            # An item linked before keeps the version planned then: later edits never reach the épreuve.
            version = version or self.studio.publish(iri.rsplit("/", 1)[-1])
            linked.append(Slot(position, version, iri, slot.coefficient))
        epreuve.slots = linked

    def visible_to(self, owner: str | None, exam: Exam) -> bool:
        """Whether an item may be linked to the exam: a national item (no owner), or one owned by the exam's
        organisation, a unit below it, or an organisation above it (a university's item serves its UFRs)."""
        if owner is None or exam.owner is None:
            return True
        tree = self.access.directory.tree()
        return owner in tree.ancestors(exam.owner) or exam.owner in tree.ancestors(owner)

    def linkable_items(self, principal: Principal, key: str, text: str | None = None, kind: str | None = None,
                       limit: int = 50) -> list[dict]:
        """Current STUDIO items the exam may link (national ones, its organisation's, the units' below it and
        the organisations' above it), matching the words and the kind given, by title: what an exam builder
        picks from."""
        exam = self.exam(principal, key, manage=True)
        index = self.studio.search_index
        index.current()
        filters = []
        if kind:
            iri = QUESTION_TYPES.get(kind.strip().upper()) or ITEM_KINDS.get(kind.strip().upper())
            if iri is None:
                raise PlannerError(f"kind: {kind!r} is not an item kind ({', '.join(ITEM_KINDS)}) nor a question "
                                   f"type ({', '.join(QUESTION_TYPES)})")
            filters.append({"type": [str(iri).rsplit("#", 1)[-1]]})
        words = (text or "").strip() or None
        tree = self.access.directory.tree()
        if exam.owner is None:
            found = index.index.search(words, filters, limit)
        else:
            owners = sorted({*tree.ancestors(exam.owner), *tree.subtree({exam.owner})})
            found = index.index.search(words, [{"owner": owners}, *filters], limit)
            # National items have no owner, which the index cannot ask for: take them from a wider window.
            found += [s for s in index.index.search(words, filters, min(10 * limit, 2000)) if not s.get("owner")]
        found = [s for s in found if self.visible_to(s.get("owner"), exam)]
        found.sort(key=lambda s: ((s.get("title") or "").casefold(), s["id"]))
        return [{"id": s["id"], "iri": s["iri"], "title": s.get("title") or s["id"], "kind": item_kind(s["types"]),
                 "status": s.get("status"), "owner": s.get("owner")} for s in found[:limit]]

    def offer_choices(self, principal: Principal) -> list[dict]:
        """The training offers of the universities where the caller plans or reads exams (every offer for the
        administrator), by component and label: what an exam may be for."""
        tree = self.access.directory.tree()
        scope = None
        if not principal.is_admin:
            held = principal.organisations(READERS)
            universities = {o for h in held for o in tree.ancestors(h) if tree.kinds.get(o) == "University"}
            scope = tree.subtree(universities | set(held))
        rows = self.platform.store.select(self.platform.queries_for("cockpit").get("offers").text).rows
        found = [{"iri": r["offer"].value, "label": r["label"].value, "component": r["component"].value,
                  "period": r["period"].value if "period" in r else None} for r in rows
                 if scope is None or r["component"].value in scope]
        return sorted(found, key=lambda o: (tree.labels.get(o["component"], o["component"]), o["label"]))

    # --- registrations ------------------------------------------------------------------------
    def registrable_groups(self, principal: Principal, key: str) -> list[dict]:
        """The groups an exam may register: cohorts of its formations (of its universities when it names
        none) and ad-hoc groups of its universities."""
        exam = self.exam(principal, key)
        return self._registrable(exam)

    def _registrable(self, exam: Exam) -> list[dict]:
        scope = self.access.directory.tree().subtree(exam.universities)
        found: dict[str, dict] = {}
        for row in self.platform.store.select(self.queries.get("groups").text).rows:
            iri = row["group"].value
            kind = "cohort" if row["kind"].value.endswith("CohortGroup") else "ad-hoc"
            offer = row["offer"].value if "offer" in row else None
            entry = found.setdefault(iri, {"iri": iri, "id": iri.rsplit("/", 1)[-1], "name": row["name"].value,
                                           "kind": kind, "offer": offer, "institutions": [],
                                           "members": int(row["members"].value)})
            entry["institutions"].append(row["organisation"].value)

        def offered(group: dict) -> bool:
            if not set(group["institutions"]) & scope:
                return False
            return group["kind"] == "ad-hoc" or not exam.offers or group["offer"] in exam.offers

        return sorted((g for g in found.values() if offered(g)), key=lambda g: (g["kind"], g["name"].casefold()))

    def register(self, principal: Principal, key: str, number: int, data: Registrations) -> Epreuve:
        """Set the épreuve's registered groups, individual additions and exclusions."""
        exam, epreuve = self.epreuve(principal, key, number, manage=True)
        self._unstarted(exam, epreuve)
        self._register(exam, epreuve, data)
        self._save(exam, [number])
        return epreuve

    def _register(self, exam: Exam, epreuve: Epreuve, data: Registrations) -> None:
        groups = list(dict.fromkeys(g.strip() for g in data.groups))
        if groups:
            offered = {g["iri"] for g in self._registrable(exam)}
            refused = [g for g in groups if g not in offered]
            if refused:
                raise PlannerError(f"registrations: these groups are not offered to this exam (cohorts of its "
                                   f"formations, groups of its universities): {', '.join(refused)}")
        people = {p.strip() for p in [*data.added, *data.excluded]}
        known = self.roster.people(people) if people else {}
        unknown = sorted(people - set(known))
        if unknown:
            raise PlannerNotFound(f"registrations: no person {', '.join(unknown[:5])}"
                                  + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""))
        both = sorted(set(data.added) & set(data.excluded))
        if both:
            raise PlannerError(f"registrations: added and excluded at once: {', '.join(both)}")
        epreuve.groups = groups
        epreuve.added = sorted({p.strip() for p in data.added})
        epreuve.excluded = sorted({p.strip() for p in data.excluded})

    def set_extra_time(self, principal: Principal, key: str, number: int, extra: list[ExtraTimeInput]) -> Epreuve:
        """Set the extra time of the épreuve's candidates (the whole list)."""
        exam, epreuve = self.epreuve(principal, key, number, manage=True)
        self._unstarted(exam, epreuve)
        self._extra_time(epreuve, extra)
        self._save(exam, [number])
        return epreuve

    def _extra_time(self, epreuve: Epreuve, extra: list[ExtraTimeInput]) -> None:
        people = [e.candidate.strip() for e in extra]
        twice = sorted({p for p in people if people.count(p) > 1})
        if twice:
            raise PlannerError(f"extra_time: one extra time per candidate: {', '.join(twice)}")
        unknown = sorted(set(people) - set(self.roster.people(people))) if people else []
        if unknown:
            raise PlannerNotFound(f"extra_time: no person {', '.join(unknown[:5])}")
        epreuve.extra_time = {e.candidate.strip(): e.minutes for e in extra}

    def candidates(self, principal: Principal, key: str, number: int) -> tuple[Epreuve, CandidateList]:
        """The épreuve's candidates: frozen once it started, else recomputed from its groups now."""
        _, epreuve = self.epreuve(principal, key, number)
        return epreuve, self.roster.current(epreuve)

    # --- statuses -----------------------------------------------------------------------------
    def set_status(self, principal: Principal, key: str, number: int, status: str) -> Epreuve:
        """Move an épreuve along draft → ready → running → finished → archived (ready → draft to edit it)."""
        exam, epreuve = self.epreuve(principal, key, number, manage=True)
        problem = rules.transition_problem(epreuve.status, status)
        if problem:
            raise PlannerConflict(problem) if epreuve.status in STARTED else PlannerError(problem)
        if status == epreuve.status:
            return epreuve
        if status in ("ready", "draft") and self.started(epreuve):
            self._unstarted(exam, epreuve)
        if status == "ready" and epreuve.start is not None and epreuve.start <= self.clock():
            raise PlannerError(f"start: épreuve {number} was to start at {epreuve.start.isoformat()}, which has "
                               "passed: set a new date first")
        changes = []
        if status == "running":
            changes.append(self._freeze_change(epreuve))
        epreuve.status = status
        self._save(exam, [number], changes)
        return epreuve

    def _freeze_change(self, epreuve: Epreuve) -> GraphChange | None:
        if self.roster.frozen(epreuve) is not None:
            return None
        return self.roster.freeze_change(epreuve, self.roster.union(epreuve), self.clock())

    def freeze(self, principal: Principal, key: str, number: int) -> CandidateList:
        """Freeze the candidate list now (what EXAMEN calls at the start; idempotent)."""
        exam, epreuve = self.epreuve(principal, key, number, manage=True)
        change = self._freeze_change(epreuve)
        if change is not None:
            self.platform.writer.apply([change])
        return self.roster.current(epreuve)

    def start_due(self, principal: Principal) -> list[str]:
        """Start every ready épreuve whose time came (freeze its candidates, mark it running)."""
        now, started = self.clock(), []
        for row in self.platform.store.select(self.queries.get("epreuves").text).rows:
            if row.get("status") is None or not row["status"].value.endswith("StatusReady") or "start" not in row:
                continue
            if parse_timestamp(row["start"].value) > now:
                continue
            key, number = self.names.parse_epreuve(row["epreuve"].value)
            exam = read_exam(self.platform.store, self.names, key)
            if exam is None or not self.may_manage(principal, exam):
                continue
            epreuve = exam.epreuve(number)
            change = self._freeze_change(epreuve)
            epreuve.status = "running"
            self._write(exam, [change] if change else [])
            started.append(epreuve.iri)
        return started

    # --- saving -------------------------------------------------------------------------------
    def _save(self, exam: Exam, changed: list[int], extra: list[GraphChange | None] = ()) -> None:
        """Check the rules of the changed épreuves that are ready, then write the exam graph (and the extra
        changes) in one validated transaction."""
        for number in changed:
            epreuve = exam.epreuve(number)
            if epreuve.status == "ready":
                self.check_ready(exam, epreuve)
        self._write(exam, [c for c in extra if c is not None])

    def _write(self, exam: Exam, extra: list[GraphChange]) -> None:
        exam.status = exam_status(exam.epreuves)
        change = GraphChange(self.names.exam_graph(exam.key), exam_graph(exam), replace=True)
        self.platform.writer.apply([change, *extra])

    def check_ready(self, exam: Exam, epreuve: Epreuve) -> None:
        """An épreuve may be ready only complete and with no candidate sitting another épreuve at once."""
        candidates = self.roster.union(epreuve)
        problems = rules.completeness(epreuve, len(candidates.people))
        if problems:
            raise PlannerError(f"épreuve {epreuve.number} cannot be ready: " + "; ".join(problems))
        found = rules.overlaps(self._sitting(exam, epreuve, candidates), self._neighbours(exam, epreuve))
        if found:
            names = {p: candidates.people[p].display() for p in candidates.people}
            raise PlannerError(rules.overlap_message(found, f"épreuve {epreuve.number} « {epreuve.title} »", names))

    @staticmethod
    def _sitting(exam: Exam, epreuve: Epreuve, candidates: CandidateList) -> rules.Sitting:
        return rules.Sitting(epreuve.iri, f"« {epreuve.title} » of « {exam.title} »", epreuve.start,
                             epreuve.duration_minutes, candidates.iris, dict(epreuve.extra_time))

    def _neighbours(self, exam: Exam, epreuve: Epreuve) -> list[rules.Sitting]:
        """The ready or running épreuves near the target's time, with their candidates."""
        low, high = epreuve.start - NEIGHBOURHOOD, epreuve.latest_end
        exams: dict[str, Exam] = {exam.key: exam}
        found = []
        for row in self.platform.store.select(self.queries.get("epreuves").text).rows:
            if "start" not in row or row["epreuve"].value == epreuve.iri:
                continue
            if "status" not in row or row["status"].value.rsplit("Status", 1)[-1].lower() not in LIVE:
                continue
            if not low < parse_timestamp(row["start"].value) < high:
                continue
            key, number = self.names.parse_epreuve(row["epreuve"].value)
            other_exam = exams.get(key) or read_exam(self.platform.store, self.names, key)
            if other_exam is None:
                continue
            exams[key] = other_exam
            other = other_exam.epreuve(number)
            if other.status not in LIVE or other.start is None:
                continue
            found.append(self._sitting(other_exam, other, self.roster.current(other)))
        return found


def item_kind(types) -> str:
    """An item's kind from the local names of its classes: QI (with its question type), SQI, DP …"""
    names = set(types)
    for kind, iri in ITEM_KINDS.items():
        if str(iri).rsplit("#", 1)[-1] in names:
            if kind == "QI":
                detail = sorted(QUESTION_TYPE_NAMES[n] for n in names if n in QUESTION_TYPE_NAMES)
                return f"QI {'/'.join(detail)}" if detail else kind
            return kind
    return "?"


def entry_is_item(types: set[str]) -> bool:
    """Whether these types make a resource an exam item (a kind of os:ExamElement)."""
    return bool(types & ITEM_TYPES)
