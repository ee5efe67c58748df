"""NOTATION's use cases over the store: grade an épreuve from its copies, correct QROC and QROL answers,
change the barème (dry run first), analyse, publish, export.

Every call takes the caller (`Principal`) and checks it against the épreuve's owning organisation: staff who
do not cover it get NotFound (the épreuve is not theirs to learn about).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyoxigraph as ox

from services.access.model import ANNALS, AUTHORING, GRADING, PUBLISHING, Principal
from services.access.policy import Policy
from services.exams.naming import ExamNames
from services.grading.bareme import dry_run
from services.notation import annals, baremes, exports, setting, statistics
from services.notation.answers import Copies, copy_graphs, read_copies
from services.notation.copy_detail import case_and_answer, explain
from services.notation.corrections import Corrections, qroc_change, qrol_change, read_corrections
from services.notation.errors import Forbidden, Frozen, NotationError, NotFound, NotPublishable
from services.notation.grades import Computed, compute
from services.notation.publication import Publication, publish_change, read_publications, revoke_change
from services.notation.ratings import stored_ratings
from services.notation.reading import read_sheet
from services.notation.saved import read_saved_scores, scoring_token
from services.notation.scores import Scored, score_copies
from services.notation.sheet import Sheet
from services.notation.writing import GradeWriter
from services.platform import Platform
from services.studio.rdf import read_item
from store.dataset import DatasetSpec
from store.sparql_text import inject_values_list
from store.terms import to_rdflib_graph

CLI_AGENT = "urn:ontosides:admin"
PROV_GENERATED = "http://www.w3.org/ns/prov#generatedAtTime"


def now_iso() -> str:
    """The current UTC time, as stored."""
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def person_key(person: str) -> str:
    """The key of a person in graph and grade names: the last segment of their IRI."""
    return person.rstrip("/").rsplit("/", 1)[-1]


@dataclass
class Loaded:
    """An épreuve read and scored: what grading, lists and dry runs start from."""

    sheet: Sheet
    corrections: Corrections
    copies: Copies
    scored: Scored
    bareme: dict
    computed: Computed
    token: str


class Timer:
    """Durations of named steps, wall and process CPU (every thread's, the engine's included; the benchmark
    prints both: CPU time says less about the other processes of a shared machine)."""

    def __init__(self):
        self.steps: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self._last = time.perf_counter()
        self._last_cpu = time.process_time()

    def lap(self, name: str) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        self.steps[name] = round(self.steps.get(name, 0.0) + now - self._last, 4)
        self.cpu[name] = round(self.cpu.get(name, 0.0) + cpu - self._last_cpu, 4)
        self._last, self._last_cpu = now, cpu


class Notation:
    """Grading of one platform's épreuves."""

    def __init__(self, platform: Platform, policy: Policy):
        self.platform = platform
        self.policy = policy
        self.names = ExamNames(platform.settings.base_iri)
        self.writer = GradeWriter(platform, self.names)
        self._lock = threading.Lock()
        self._loaded: dict[str, Loaded] = {}
        # Waits until the store holds every acknowledged answer (the taking service's journal drain).
        self.before_reading: Callable[[], object] = lambda: None

    # --- épreuves and access --------------------------------------------------------
    def resolve(self, epreuve: str) -> tuple[str, str, int]:
        """(key, IRI, number) of an épreuve given by key (`u0f0e0-1`) or IRI."""
        if "://" in epreuve:
            try:
                exam, number = self.names.parse_epreuve(epreuve)
            except ValueError:
                raise NotFound(f"no épreuve {epreuve}") from None
        else:
            exam, _, number_text = epreuve.rpartition("-")
            if not exam or not number_text.isdigit():
                raise NotFound(f"no épreuve {epreuve!r}: write it as <exam>-<number>, e.g. u0f0e0-1")
            number = int(number_text)
        return self.names.epreuve_key(exam, number), self.names.epreuve(exam, number), number

    def sheet(self, principal: Principal, epreuve: str, functions: frozenset[str] = GRADING) -> Sheet:
        """The épreuve, if the caller holds one of the functions on its organisation (else NotFound)."""
        key, iri, number = self.resolve(epreuve)
        sheet = read_sheet(self.platform, key, iri, key.rsplit("-", 1)[0], number)
        if not self.policy.covers(principal, GRADING, sheet.owner):
            raise NotFound(f"no épreuve {key}")
        if not self.policy.covers(principal, functions, sheet.owner):
            raise Forbidden(f"your functions on the organisation of épreuve {key} do not allow this")
        return sheet

    def who(self, principal: Principal) -> str:
        """The agent recorded for a change."""
        return principal.person or CLI_AGENT

    def publications(self, sheet: Sheet) -> list[Publication]:
        """The publications of the épreuve, oldest first."""
        return read_publications(self.platform, self.names.publication_graph(sheet.exam_key, sheet.number))

    def in_force(self, sheet: Sheet) -> Publication | None:
        """The publication in force, or None."""
        return next((p for p in reversed(self.publications(sheet)) if p.in_force), None)

    def ensure_open(self, sheet: Sheet) -> None:
        """Refuse (Frozen) a change to an épreuve whose grades are officially published."""
        publication = self.in_force(sheet)
        if publication is not None:
            raise Frozen(f"the grades of épreuve {sheet.key} were officially published on {publication.at}: "
                         "revoke the publication (with a reason) before changing them")

    def epreuves(self, principal: Principal) -> list[dict]:
        """The épreuves the caller may grade."""
        query = self.platform.queries_for("notation").get("epreuves")
        found = []
        graphs = {g.value for g in self.platform.store.named_graphs()}
        for row in self.platform.store.select(query.text):
            owner = row["owner"].value if "owner" in row else None
            if not self.policy.covers(principal, GRADING, owner):
                continue
            try:
                exam, number = self.names.parse_epreuve(row["epreuve"].value)
            except ValueError:
                continue
            found.append({"epreuve": self.names.epreuve_key(exam, number), "iri": row["epreuve"].value,
                          "title": row["title"].value if "title" in row else None,
                          "exam_title": row["examTitle"].value if "examTitle" in row else None,
                          "owner": owner, "start": row["start"].value if "start" in row else None,
                          "graded": self.names.stats_graph(exam, number) in graphs,
                          "published": self.names.publication_graph(exam, number) in graphs})
        return found

    # --- reading and scoring ---------------------------------------------------------------
    def _inputs(self, sheet: Sheet) -> tuple[Corrections, list[str], dict, str]:
        """What scoring the épreuve starts from: the graders' decisions, the copy graphs, the barème in force,
        and the fingerprint of the first two with the sheet."""
        self.before_reading()
        corrections = read_corrections(self.platform, self.names.corrections_graph(sheet.exam_key, sheet.number))
        graphs = copy_graphs(self.platform, self.names, sheet)
        bareme = baremes.current(self.platform, self.names.bareme_graph(sheet.exam_key, sheet.number), sheet)
        return corrections, graphs, bareme, scoring_token(sheet, graphs, corrections)

    def load(self, sheet: Sheet, timer: Timer | None = None, fresh: bool = True,
             inputs: tuple[Corrections, list[str], dict, str] | None = None) -> Loaded:
        """Read the copies, score them and apply the barème in force (kept for dry runs and lists).

        `fresh=False` reuses the last scoring of this process when the copies and corrections are unchanged
        (same copy graphs, same last decision): a barème dry run then costs the barème only. `inputs`: as
        `_inputs` just read them.
        """
        timer = timer or Timer()
        corrections, graphs, bareme, token = inputs or self._inputs(sheet)
        timer.lap("read épreuve and corrections")
        cached = self._loaded.get(sheet.key)
        if not fresh and cached is not None and cached.token == token and cached.sheet == sheet:
            copies, scored = cached.copies, cached.scored
        else:
            copies = read_copies(self.platform, sheet, graphs)
            timer.lap("read answers")
            scored = score_copies(sheet, copies, corrections)
            timer.lap("score")
        computed = compute(scored.keys, scored.fractions, baremes.parse(bareme))
        timer.lap("apply barème")
        loaded = Loaded(sheet, corrections, copies, scored, bareme, computed, token)
        with self._lock:
            if len(self._loaded) > 8:
                self._loaded.clear()
            self._loaded[sheet.key] = loaded
        return loaded

    def grade(self, principal: Principal, epreuve: str, save: bool = True, bareme_before: dict | None = None) -> dict:
        """Compute the grades of every copy; with `save`, write them (one graph per copy, unchanged copies
        skipped, copies whose saved grades are known written by their changed lines only) and the statistics.
        `bareme_before`: the barème the saved grades were computed with, when it just changed. Returns a summary
        with the duration (wall and CPU) of each step."""
        timer = Timer()
        sheet = self.sheet(principal, epreuve)
        if save:
            self.ensure_open(sheet)
        last = self._loaded.get(sheet.key)
        loaded = self.load(sheet, timer)
        summary = self._summary(loaded)
        if save:
            # What the store probably holds (each copy's digest decides): the same fractions under the barème
            # before the change, or this process's last computation.
            previous = (compute(loaded.scored.keys, loaded.scored.fractions, baremes.parse(bareme_before))
                        if bareme_before is not None else last.computed if last is not None else None)
            with self._lock:
                summary.update(self.writer.write(loaded, self.who(principal), now_iso(), timer, previous))
        summary["timings"] = timer.steps
        summary["cpu"] = timer.cpu
        return summary

    def _summary(self, loaded: Loaded) -> dict:
        computed = loaded.computed
        totals = computed.totals
        pending = loaded.scored.pending
        return {"epreuve": loaded.sheet.key, "candidates": loaded.copies.size, "questions": len(computed.keys),
                "max_total": computed.max_total, "completed": int(computed.complete.sum()),
                "in_progress": int((~computed.complete).sum()),
                "pending": {k: v for k, v in pending.items() if v},
                "mean": float(totals.mean()) if totals.size else None,
                "status": "Complété" if not any(pending.values()) else "En cours"}

    def overview(self, principal: Principal, epreuve: str) -> dict:
        """The épreuve's items with their coefficient and grading status (« En cours » while a QROC group or a
        QROL copy waits for a grader, « Complété » otherwise)."""
        sheet = self.sheet(principal, epreuve)
        loaded = self.load(sheet, fresh=False)
        pending = loaded.scored.pending
        bareme = loaded.bareme["items"]
        items = []
        for slot in sheet.slots:
            waiting = sum(pending.get(q.key, 0) for q in slot.questions)
            rule = bareme.get(str(slot.position), {})
            items.append({"position": slot.position, "title": slot.title, "kind": slot.kind, "element": slot.element,
                          "coefficient": rule.get("coefficient", slot.coefficient),
                          "max_points": rule.get("max_points", baremes.DEFAULT_MAX),
                          "questions": [{"key": q.key, "type": q.type, "pending": pending.get(q.key, 0)}
                                        for q in slot.questions],
                          "pending": waiting, "status": "En cours" if waiting else "Complété"})
        publication = self.in_force(sheet)
        return {"epreuve": sheet.key, "iri": sheet.iri, "title": sheet.title, "exam_title": sheet.exam_title,
                "owner": sheet.owner, "method": sheet.method, "start": sheet.start, "candidates": loaded.copies.size,
                "published": publication.as_dict() if publication else None, "items": items}

    # --- lists, copies, exports ------------------------------------------------------------
    def grade_table(self, sheet: Sheet) -> list[dict]:
        """The saved grade of every candidate with a copy: EPPN, names, grade, maximum, status, item grades."""
        people = self._candidates(sheet)
        graphs = [self.names.grades_graph(sheet.exam_key, sheet.number, person_key(p)) for p in people]
        query = self.platform.queries_for("notation").get("grade_rows")
        saved = {}
        for start in range(0, len(graphs), 2_000):
            _, rows = self.platform.store.select_lexical(query.text,
                                                         dataset=DatasetSpec((), tuple(graphs[start:start + 2_000])))
            saved.update({r[1]: r for r in rows})
        names = self._people(people)
        table = []
        for person in people:
            row = saved.get(person)
            eppn, given, family = names.get(person, (None, None, None))
            entry = {"candidate": person, "eppn": eppn, "given_name": given, "family_name": family,
                     "grade": None, "max_points": None, "grade_on_20": None, "status": "Non noté", "items": []}
            if row is not None:
                score, maximum = float(row[2]), float(row[3]) if row[3] else None
                entry.update(grade=score, max_points=maximum,
                             grade_on_20=round(20 * score / maximum, 2) if maximum else None,
                             status="Complété" if (row[4] or "").endswith("Completed") else "En cours",
                             items=_json_list(row[5]))
            table.append(entry)
        table.sort(key=lambda e: ((e["family_name"] or "").casefold(), (e["given_name"] or "").casefold(),
                                  e["candidate"]))
        return table

    def students(self, principal: Principal, epreuve: str) -> dict:
        """Per student: EPPN, given name, family name, grade, status (« Liste des étudiants »)."""
        sheet = self.sheet(principal, epreuve)
        return {"epreuve": sheet.key, "items": [s.position for s in sheet.slots], "students": self.grade_table(sheet)}

    def _candidates(self, sheet: Sheet) -> list[str]:
        graphs = copy_graphs(self.platform, self.names, sheet)
        query = self.platform.queries_for("notation").get("copy_sessions")
        people = []
        for start in range(0, len(graphs), 2_000):
            _, rows = self.platform.store.select_lexical(query.text,
                                                         dataset=DatasetSpec((), tuple(graphs[start:start + 2_000])))
            people += [r[1] for r in rows]
        return sorted(set(people))

    def _people(self, people: list[str]) -> dict[str, tuple]:
        text = self.platform.queries_for("notation").get("people").text
        found = {}
        for start in range(0, len(people), 2_000):
            chunk = [ox.NamedNode(p) for p in people[start:start + 2_000]]
            _, rows = self.platform.store.select_lexical(inject_values_list(text, "person", chunk))
            found.update({r[0]: (r[1], r[2], r[3]) for r in rows})
        return found

    # --- a copy -------------------------------------------------------------------------
    def copy(self, principal: Principal, epreuve: str, person: str) -> dict:
        """A copy's detail: each question, its key, the candidate's answer, the points and why.

        Staff of the épreuve's organisation see every copy; a candidate sees their own once the grades are
        officially published (anyone else: NotFound)."""
        key, _, _ = self.resolve(epreuve)
        own = principal.person is not None and principal.person == person
        try:
            sheet = self.sheet(principal, epreuve)
        except NotFound:
            if not own:
                raise
            sheet = self.sheet(Principal(is_admin=True), epreuve)
            if self.in_force(sheet) is None:
                raise NotFound(f"no published copy of épreuve {key}") from None
        graph = self.names.copy_graph(sheet.exam_key, sheet.number, person_key(person))
        corrections = read_corrections(self.platform, self.names.corrections_graph(sheet.exam_key, sheet.number))
        copies = read_copies(self.platform, sheet, [graph])
        if copies.row(person) is None:
            raise NotFound(f"no copy of {person} in épreuve {key}")
        scored = score_copies(sheet, copies, corrections)
        bareme = baremes.current(self.platform, self.names.bareme_graph(sheet.exam_key, sheet.number), sheet)
        computed = compute(scored.keys, scored.fractions, baremes.parse(bareme))
        questions = []
        for j, q in enumerate(sheet.questions):
            case, answer_key, answer = case_and_answer(sheet, q, copies, 0, corrections)
            score, why = explain(case)
            fraction = scored.fractions[0, j]
            questions.append({"key": q.key, "type": q.type, "statement": q.statement, "key_answer": answer_key,
                              "answer": answer, "fraction": None if np.isnan(fraction) else float(fraction),
                              "points": None if np.isnan(fraction) else float(computed.points[0, j]),
                              "max_points": float(computed.question_max[j]), "explanation": why,
                              "graded_by": scored.graders.get(q.key, [None])[0]})
        return {"epreuve": sheet.key, "candidate": person, "submitted": copies.submitted[0],
                "grade": float(computed.totals[0]), "max_points": computed.max_total,
                "status": "Complété" if computed.complete[0] else "En cours",
                "items": [float(x) for x in computed.item_grades[0]], "questions": questions}

    # --- QROC and QROL ----------------------------------------------------------------------
    def _question(self, sheet: Sheet, key: str, qtype: str):
        question = sheet.question(key)
        if question is None:
            raise NotFound(f"no question {key} in épreuve {sheet.key}")
        if question.type != qtype:
            raise NotationError(f"question {key} is a {question.type}, not a {qtype}")
        return question

    def qroc(self, principal: Principal, epreuve: str, key: str) -> dict:
        """A QROC to correct: expected answers counted, unexpected ones grouped, counted and sorted by their
        Levenshtein distance to the nearest expected answer, with the grader's decisions so far."""
        sheet = self.sheet(principal, epreuve)
        question = self._question(sheet, key, "QROC")
        loaded = self.load(sheet, fresh=False)
        result = loaded.scored.qroc[key]
        decided = loaded.corrections.qroc.get(question.iri, {})
        candidates = loaded.copies.candidates
        groups = []
        for group in result.unexpected:
            decision = decided.get(group.text)
            groups.append({"answer": group.text, "count": group.count, "spellings": group.spellings,
                           "nearest": group.nearest, "distance": group.distance,
                           "fraction": decision.fraction if decision else None,
                           "synonym": decision.synonym if decision else False,
                           "candidates": [candidates[i] for i in group.candidates]})
        return {"epreuve": sheet.key, "question": key, "statement": question.statement,
                "accepted": list(question.accepted), "synonyms": loaded.corrections.synonyms(question.iri),
                "expected": result.expected_counts, "unexpected": groups,
                "pending": sum(g["count"] for g in groups if g["fraction"] is None),
                "empty": result.status.count("empty")}

    def decide_qroc(self, principal: Principal, epreuve: str, key: str, decisions: list) -> dict:
        """Give points to unexpected answers (once for every candidate who wrote them), or accept them as
        synonyms; saved in the corrections graph."""
        sheet = self.sheet(principal, epreuve)
        self.ensure_open(sheet)
        question = self._question(sheet, key, "QROC")
        graph = self.names.corrections_graph(sheet.exam_key, sheet.number)
        self.platform.writer.apply([qroc_change(graph, sheet.iri, question, decisions, self.who(principal),
                                                now_iso())])
        return self.qroc(principal, epreuve, key)

    def qrol(self, principal: Principal, epreuve: str, key: str) -> dict:
        """A QROL to correct copy by copy: each candidate's answer, points given so far, comment."""
        sheet = self.sheet(principal, epreuve)
        question = self._question(sheet, key, "QROL")
        loaded = self.load(sheet, fresh=False)
        marks = loaded.corrections.qrol.get(question.iri, {})
        copies = []
        for person, text in zip(loaded.copies.candidates, loaded.copies.texts[key]):
            mark = marks.get(person)
            copies.append({"candidate": person, "answer": text, "points": mark.points if mark else None,
                           "comment": mark.comment if mark else None, "graded_by": mark.grader if mark else None,
                           "to_correct": mark is None and bool((text or "").strip())})
        return {"epreuve": sheet.key, "question": key, "statement": question.statement,
                "model_answer": question.model_answer, "max_points": question.max_points, "copies": copies,
                "pending": sum(c["to_correct"] for c in copies)}

    def grade_qrol(self, principal: Principal, epreuve: str, key: str, marks: list) -> dict:
        """Points (up to the question's maximum) and a comment for some copies of a QROL."""
        sheet = self.sheet(principal, epreuve)
        self.ensure_open(sheet)
        question = self._question(sheet, key, "QROL")
        candidates = set(self.load(sheet, fresh=False).copies.candidates)
        graph = self.names.corrections_graph(sheet.exam_key, sheet.number)
        self.platform.writer.apply([qrol_change(graph, sheet.iri, question, marks, candidates, self.who(principal),
                                                now_iso())])
        return self.qrol(principal, epreuve, key)

    # --- barème -------------------------------------------------------------------------------
    def bareme(self, principal: Principal, epreuve: str) -> dict:
        """The barème in force and its history (who changed what, when)."""
        sheet = self.sheet(principal, epreuve)
        graph = self.names.bareme_graph(sheet.exam_key, sheet.number)
        changes = baremes.history(self.platform, graph)
        current = changes[0]["bareme"] if changes else baremes.default_bareme(sheet)
        return {"epreuve": sheet.key, "bareme": current, "max_total": baremes.parse(current).max_total,
                "history": [{k: c[k] for k in ("change", "at", "by", "summary")} for c in changes]}

    def dry_run(self, principal: Principal, epreuve: str, changes: object, bins: int = 10) -> dict:
        """What a barème change would do, written nowhere: who moves and by how much, the distribution before
        and after (on the scores of the last computation when copies and corrections are unchanged)."""
        sheet = self.sheet(principal, epreuve)
        keys, candidates, fractions, bareme = self._scores(sheet)
        after = baremes.merged(sheet, bareme, changes)
        result = dry_run(np.nan_to_num(fractions, nan=0.0), keys, candidates, baremes.parse(bareme),
                         baremes.parse(after), bins)
        result["change"] = baremes.summary(sheet, bareme, after)
        result["bareme"] = after
        return result

    def _scores(self, sheet: Sheet) -> tuple[list[str], list[str], np.ndarray, dict]:
        """(question keys, candidates, fractions, barème in force) of the épreuve: this process's last scoring
        when still current, else the saved grades when they were computed from the same copies and corrections
        (a process that never scored it reads 1.3 million links, not the answers), else a new scoring."""
        inputs = self._inputs(sheet)
        _, graphs, bareme, token = inputs
        cached = self._loaded.get(sheet.key)
        if cached is None or cached.token != token or cached.sheet != sheet:
            found = read_saved_scores(self.platform, self.names, sheet, graphs, token)
            if found is not None:
                return [q.key for q in sheet.questions], found[0], found[1], bareme
        loaded = self.load(sheet, fresh=False, inputs=inputs)
        return loaded.scored.keys, loaded.copies.candidates, loaded.scored.fractions, loaded.bareme

    def save_bareme(self, principal: Principal, epreuve: str, changes: object, regrade: bool = True) -> dict:
        """Save a barème change (kept in the history with who and when), then recompute and save the grades."""
        sheet = self.sheet(principal, epreuve)
        self.ensure_open(sheet)
        graph = self.names.bareme_graph(sheet.exam_key, sheet.number)
        history = baremes.history(self.platform, graph)
        before = history[0]["bareme"] if history else baremes.default_bareme(sheet)
        after = baremes.merged(sheet, before, changes)
        self.platform.writer.apply([baremes.save_change(sheet, graph, before, after, self.who(principal),
                                                        now_iso(), len(history) + 1)])
        result = {"epreuve": sheet.key, "change": baremes.summary(sheet, before, after), "bareme": after}
        if regrade:
            result["grades"] = self.grade(principal, epreuve, save=True, bareme_before=before)
        return result

    # --- analysis -------------------------------------------------------------------------------
    def analysis(self, principal: Principal, epreuve: str) -> dict:
        """Classical test theory of the épreuve and its questions, with the distractor analysis, as computed
        from the grades in force (the same figures the statistics graph keeps when grades are saved)."""
        sheet = self.sheet(principal, epreuve)
        loaded = self.load(sheet, fresh=False)
        result = statistics.analysis(sheet, loaded.computed, loaded.copies.ticks)
        result["epreuve"] = sheet.key
        return result

    def standard_setting(self, principal: Principal, epreuve: str, request: object) -> dict:
        """A pass mark: borderline regression or group for an ECOS station (the candidates' global ratings
        given in the request), Angoff for the épreuve (judges' estimates per item)."""
        sheet = self.sheet(principal, epreuve)
        loaded = self.load(sheet, fresh=False)
        return setting.standard_setting(sheet, loaded.copies.candidates, loaded.computed,
                                        self._with_stored_ratings(sheet, request))

    def _with_stored_ratings(self, sheet: Sheet, request: object) -> object:
        # A borderline method without ratings in the request uses those the ECOS examiners recorded.
        if not isinstance(request, dict) or request.get("ratings") or request.get("method") not in setting.BORDERLINE:
            return request
        station = sheet.question(str(request.get("item", "")))
        if station is None or station.type != "ECOS":
            return request
        scale, ratings = stored_ratings(self.platform, self.names, sheet, station.iri)
        if not ratings:
            raise NotationError(f"no candidate of ECOS station {station.key} has a global rating yet: its examiners "
                                "give them on their sheet (or pass `ratings` and `scale`)")
        return {**request, "scale": request.get("scale") or scale, "ratings": ratings}

    def station_scales(self, principal: Principal, epreuve: str) -> dict[str, dict]:
        """The épreuve's ECOS stations by position: the global rating scale (labels in order) and how
        many candidates the examiners rated."""
        sheet = self.sheet(principal, epreuve)
        out = {}
        for q in sheet.questions:
            if q.type == "ECOS":
                scale, ratings = stored_ratings(self.platform, self.names, sheet, q.iri)
                out[q.key] = {"scale": scale, "rated": len(ratings)}
        return out

    # --- publication -------------------------------------------------------------------------------
    def publication(self, principal: Principal, epreuve: str) -> dict:
        """The publications of the épreuve and their revocations (the audit trail)."""
        sheet = self.sheet(principal, epreuve)
        history = self.publications(sheet)
        return {"epreuve": sheet.key, "published": any(p.in_force for p in history),
                "history": [p.as_dict() for p in history]}

    def publish(self, principal: Principal, epreuve: str) -> dict:
        """Officially publish the saved grades: refused while a correction remains or when the grades were not
        saved since the last barème or correction change."""
        sheet = self.sheet(principal, epreuve, PUBLISHING)
        self.ensure_open(sheet)
        saved_at = self._graded_at(sheet)
        if saved_at is None:
            raise NotPublishable(f"the grades of épreuve {sheet.key} were never saved: grade it first")
        loaded = self.load(sheet, fresh=False)
        waiting = {k: v for k, v in loaded.scored.pending.items() if v}
        if waiting:
            raise NotPublishable("corrections remain (" + ", ".join(f"question {k}: {v}" for k, v in waiting.items())
                                 + "): the épreuve is « En cours »")
        changes = baremes.history(self.platform, self.names.bareme_graph(sheet.exam_key, sheet.number))
        latest = max([t for t in (loaded.corrections.latest, changes[0]["at"] if changes else None) if t],
                     default=None)
        if latest is not None and latest > saved_at:
            raise NotPublishable(f"the barème or a correction changed at {latest}, after the grades were saved at "
                                 f"{saved_at}: save the grades again first")
        graph = self.names.publication_graph(sheet.exam_key, sheet.number)
        number = len(self.publications(sheet)) + 1
        self.platform.writer.apply([publish_change(graph, sheet.iri, number, self.who(principal), now_iso())])
        return self.publication(principal, epreuve)

    def revoke(self, principal: Principal, epreuve: str, reason: object) -> dict:
        """Revoke the publication in force, with a reason; the grades may change again."""
        sheet = self.sheet(principal, epreuve, PUBLISHING)
        publication = self.in_force(sheet)
        if publication is None:
            raise NotPublishable(f"the grades of épreuve {sheet.key} are not published")
        graph = self.names.publication_graph(sheet.exam_key, sheet.number)
        self.platform.writer.apply([revoke_change(graph, publication, reason, self.who(principal), now_iso())])
        return self.publication(principal, epreuve)

    def _graded_at(self, sheet: Sheet) -> str | None:
        graph = self.names.stats_graph(sheet.exam_key, sheet.number)
        query = self.platform.queries_for("notation").get("stats_graph")
        rows = self.platform.store.select(query.text, query.bind({"graph": graph}))
        return next((r["value"].value for r in rows if r["property"].value == PROV_GENERATED), None)

    # --- export and one's own results -----------------------------------------------------------------
    def export(self, principal: Principal, epreuve: str, fmt: str = "csv") -> tuple[str, str]:
        """The saved grades as CSV (EPPN, names, grade, per item) or JSON: (media type, text)."""
        sheet = self.sheet(principal, epreuve)
        return exports.render(sheet, self.grade_table(sheet), fmt)

    def my_results(self, principal: Principal) -> list[dict]:
        """The caller's own grades, for the épreuves whose grades are officially published."""
        if principal.person is None:
            return []
        query = self.platform.queries_for("notation").get("my_grades")
        found = []
        for row in self.platform.store.select(query.text, query.bind({"person": principal.person})):
            try:
                exam, number = self.names.parse_epreuve(row["epreuve"].value)
            except ValueError:
                continue
            publications = read_publications(self.platform, self.names.publication_graph(exam, number))
            if not any(p.in_force for p in publications):
                continue
            score, maximum = float(row["score"].value), float(row["max"].value) if "max" in row else None
            found.append({"epreuve": self.names.epreuve_key(exam, number),
                          "title": row["title"].value if "title" in row else None,
                          "start": row["start"].value if "start" in row else None, "grade": score,
                          "max_points": maximum, "grade_on_20": round(20 * score / maximum, 2) if maximum else None,
                          "items": _json_list(row["items"].value if "items" in row else None)})
        return found


    # --- annals and question banks ------------------------------------------------------------------
    def release_annals(self, principal: Principal, epreuve: str, positions: object) -> dict:
        """Release items of a past épreuve (its grades officially published) to its faculty's question bank,
        visible to the students of the épreuve's formations."""
        sheet = self.sheet(principal, epreuve, ANNALS)
        if self.in_force(sheet) is None:
            raise NotPublishable(f"the grades of épreuve {sheet.key} are not officially published: "
                                 "its items go to the annals after the publication")
        base = self.platform.settings.base_iri.rstrip("/") + "/"
        key = annals.bank_key(sheet.owner or "", base)
        graph = f"{base}graph/bank/{key}"
        releases = self._releases(graph)
        label = self.policy.directory.tree().labels.get(sheet.owner or "")
        number = len({r["release"] for r in releases if r["epreuve"] == sheet.iri}) + 1
        key, change = annals.release_change(sheet, positions, base, bool(releases) or
                                            self.platform.store.has_graph(ox.NamedNode(graph)), label, number,
                                            self.who(principal), now_iso())
        self.platform.writer.apply([change])
        return self.bank(principal, key)

    def _releases(self, graph: str) -> list[dict]:
        query = self.platform.queries_for("notation").get("releases")
        value = lambda row, name: row[name].value if name in row else None  # noqa: E731
        return [{"release": r["release"].value, "epreuve": r["epreuve"].value, "item": r["item"].value,
                 "title": value(r, "title"), "offer": value(r, "offer"), "by": r["who"].value, "at": r["at"].value}
                for r in self.platform.store.select(query.text, query.bind({"graph": graph}))]

    def banks(self, principal: Principal) -> list[dict]:
        """The question banks the caller sees: their faculties' (staff), those with items released to their
        formations (students)."""
        query = self.platform.queries_for("notation").get("banks")
        base = self.platform.settings.base_iri.rstrip("/") + "/"
        found = []
        for row in self.platform.store.select(query.text):
            key = annals.bank_key(row["faculty"].value, base)
            visible = self._visible_releases(principal, row["faculty"].value, row["g"].value)
            if visible is not None:
                found.append({"bank": key, "iri": row["bank"].value, "faculty": row["faculty"].value,
                              "label": row["label"].value if "label" in row else key,
                              "items": len({r["item"] for r in visible})})
        return found

    def bank(self, principal: Principal, key: str) -> dict:
        """A question bank's released items (those the caller may practise on)."""
        base = self.platform.settings.base_iri.rstrip("/") + "/"
        graph = f"{base}graph/bank/{key}"
        bank = next((b for b in self.banks(principal) if b["bank"] == key), None)
        if bank is None:
            raise NotFound(f"no question bank {key}")
        releases = self._visible_releases(principal, bank["faculty"], graph) or []
        items: dict[str, dict] = {}
        for r in releases:
            entry = items.setdefault(r["item"], {"item": r["item"], "title": r["title"], "released_at": r["at"],
                                                 "epreuve": r["epreuve"], "formations": []})
            if r["offer"] and r["offer"] not in entry["formations"]:
                entry["formations"].append(r["offer"])
        return {**bank, "items": sorted(items.values(), key=lambda i: (i["released_at"], i["item"]))}

    def bank_with_items(self, principal: Principal, key: str) -> dict:
        """A bank the caller may practise on, each released item read as STUDIO reads it (`content`: questions,
        options, keys)."""
        bank = self.bank(principal, key)
        query = self.platform.queries_for("notation").get("released_item")
        for entry in bank["items"]:
            found = self.platform.store.construct(query.text, query.bind({"item": entry["item"]}))
            entry["content"] = read_item(to_rdflib_graph(found), entry["item"])
        return bank

    def _visible_releases(self, principal: Principal, faculty: str, graph: str) -> list[dict] | None:
        releases = self._releases(graph)
        if self.policy.covers(principal, GRADING | AUTHORING, faculty):
            return releases
        if principal.person is None:
            return None
        query = self.platform.queries_for("notation").get("offer_members")
        offers = {r["offer"].value for r in self.platform.store.select(query.text,
                                                                         query.bind({"person": principal.person}))}
        visible = [r for r in releases if r["offer"] in offers]
        return visible or None

def _json_list(text: str | None) -> list:
    try:
        return json.loads(text) if text else []
    except ValueError:
        return []
