"""The planner's pure rules: completeness, candidate union, overlaps with extra time, status transitions, the
start, usage figures, the calendar and its iCalendar, the numbering and answer key of the bon à tirer."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import icalendar

from services.exams.model import Epreuve, Exam, Slot, exam_status
from services.planner import bat, rules
from services.planner.calendar import Entry, grouped, ics
from services.planner.usage_rules import QuestionFigures, item_usage

UTC = dt.timezone.utc
PARIS = ZoneInfo("Europe/Paris")
T9 = dt.datetime(2031, 3, 10, 8, 0, tzinfo=UTC)  # 09:00 in Paris


def epreuve(**kw) -> Epreuve:
    values = dict(exam="e1", number=1, iri="https://x/exam/e1/epreuve/1", title="E", duration_minutes=120, start=T9)
    values.update(kw)
    return Epreuve(**values)


def test_completeness_names_each_missing_part():
    empty = epreuve(start=None)
    problems = rules.completeness(empty, 0)
    assert [p.split(":")[0] for p in problems] == ["start", "slots", "registrations"]
    full = epreuve(slots=[Slot(1, "https://x/item/a/v/1", "https://x/item/a")], groups=["g"])
    assert rules.completeness(full, 12) == []
    assert "no candidate" in rules.completeness(full, 0)[0]
    individual = epreuve(slots=full.slots, added=["p"])
    assert rules.completeness(individual, 1) == []


def test_candidates_are_the_union_of_members_plus_additions_less_exclusions():
    members = {"g1": {"a", "b", "c"}, "g2": {"c", "d"}, "g3": {"z"}}
    assert rules.candidate_union(members, ["g1", "g2"], ["e"], ["b", "e2"]) == {"a", "c", "d", "e"}
    assert rules.candidate_union(members, [], [], []) == set()
    assert rules.candidate_union(members, ["g1"], [], ["a", "b", "c"]) == set()


def sitting(name, start, minutes, candidates, extra=None):
    return rules.Sitting(name, name, start, minutes, frozenset(candidates), extra or {})


def test_overlaps_count_each_candidates_own_extra_time():
    morning = sitting("morning", T9, 120, {"a", "b", "c"}, {"b": 40})
    after = sitting("after", T9 + dt.timedelta(minutes=130), 60, {"a", "b"})
    # a ends at 11:00, after starts at 11:10: no overlap; b's extra time runs to 11:40: overlap.
    found = rules.overlaps(morning, [after])
    assert [(o.candidate, o.other) for o in found] == [("b", "after")]
    touching = sitting("touching", T9 + dt.timedelta(minutes=120), 60, {"a", "c"})
    assert rules.overlaps(morning, [touching]) == [], "an épreuve ending when another starts does not overlap it"
    assert rules.overlaps(morning, [morning]) == []
    elsewhere = sitting("elsewhere", T9, 60, {"x"})
    assert rules.overlaps(morning, [elsewhere]) == []


def test_overlap_message_names_the_first_and_counts_the_rest():
    found = [rules.Overlap(f"p{n}", "other", "« B »") for n in range(8)]
    message = rules.overlap_message(found, "épreuve 1", {"p0": "Léa Martin (p0)"})
    assert message.startswith("8 candidate(s) of épreuve 1 would sit 1 overlapping")
    assert "Léa Martin (p0) (also in « B »)" in message and "and 3 more" in message and "p7" not in message


def test_status_transitions_and_start():
    assert rules.transition_problem("draft", "ready") is None
    assert rules.transition_problem("ready", "draft") is None
    assert "cannot become finished" in rules.transition_problem("draft", "finished")
    assert "archived" in rules.transition_problem("archived", "draft")
    assert "not a status" in rules.transition_problem("draft", "done")
    assert rules.has_started(epreuve(status="running"), False, T9 - dt.timedelta(days=9))
    assert rules.has_started(epreuve(status="ready"), False, T9)
    assert not rules.has_started(epreuve(status="ready"), False, T9 - dt.timedelta(seconds=1))
    assert not rules.has_started(epreuve(status="draft"), False, T9 + dt.timedelta(days=1))
    assert rules.has_started(epreuve(status="draft"), True, T9 - dt.timedelta(days=1))


def test_an_exam_status_follows_its_epreuves():
    assert exam_status([epreuve(status="ready"), epreuve(status="draft")]) == "draft"
    assert exam_status([epreuve(status="finished"), epreuve(status="running")]) == "running"
    assert exam_status([epreuve(status="finished"), epreuve(status="archived")]) == "finished"
    assert exam_status([]) == "draft"


def test_epreuve_windows_include_extra_time():
    e = epreuve(extra_time={"a": 40})
    assert e.window("a") == (T9, T9 + dt.timedelta(minutes=160))
    assert e.window("b") == (T9, T9 + dt.timedelta(minutes=120))
    assert e.latest_end == T9 + dt.timedelta(minutes=160)
    assert epreuve(start=None).window("a") is None


def test_item_usage_adds_epreuves_and_counts_students_once_per_epreuve():
    linked = {"qi": [("ep1", "qi/v/1"), ("ep2", "qi/v/2")], "dp": [("ep1", "dp/v/1")], "new": []}
    figures = [QuestionFigures("ep1", "qi/v/1", "qi/v/1", 10, 6.0), QuestionFigures("ep2", "qi/v/2", "qi/v/2", 30, 27.0),
               QuestionFigures("ep1", "dp/v/1", "dp/v/1/q/1", 10, 5.0),
               QuestionFigures("ep1", "dp/v/1", "dp/v/1/q/2", 8, 8.0)]
    usage = item_usage(linked, figures)
    assert (usage["qi"].epreuves, usage["qi"].students, usage["qi"].success_rate) == (2, 40, 33.0 / 40)
    assert (usage["dp"].students, usage["dp"].answers, round(usage["dp"].success_rate, 4)) == (10, 18, round(13 / 18, 4))
    assert usage["new"].as_dict() == {"epreuves": 0, "students": 0, "answers": 0, "success_rate": 0.0}


def entry(n, start, status="ready"):
    return Entry("e1", "Examen", None, f"https://x/exam/e1/epreuve/{n}", n, f"Épreuve {n}", "Épreuve facultaire",
                 start, 90, status)


def test_calendar_groups_by_local_day_and_iso_week():
    late = dt.datetime(2031, 3, 9, 23, 30, tzinfo=UTC)  # Monday 10 March, 00:30 in Paris
    entries = [entry(2, T9 + dt.timedelta(days=7)), entry(1, T9), entry(3, late)]
    days = grouped(entries, "day", PARIS)
    assert [d["day"] for d in days] == ["2031-03-10", "2031-03-17"]
    assert [e["number"] for e in days[0]["epreuves"]] == [3, 1]
    weeks = grouped(entries, "week", PARIS)
    assert [(w["week"], w["iso_week"], len(w["epreuves"])) for w in weeks] == [("2031-03-10", 11, 2),
                                                                               ("2031-03-17", 12, 1)]
    assert days[0]["epreuves"][1]["start"] == "2031-03-10T09:00:00+01:00"


def test_ics_has_one_event_per_epreuve_with_its_iri_as_uid():
    data = ics([entry(1, T9), entry(2, T9 + dt.timedelta(days=1), "draft")], "Épreuves", T9)
    calendar = icalendar.Calendar.from_ical(data)
    events = calendar.walk("VEVENT")
    assert [str(e["UID"]) for e in events] == ["https://x/exam/e1/epreuve/1", "https://x/exam/e1/epreuve/2"]
    assert events[0].decoded("DTSTART") == T9 and events[0].decoded("DTEND") == T9 + dt.timedelta(minutes=90)
    assert str(events[1]["STATUS"]) == "TENTATIVE" and "Examen — Épreuve 1" == str(events[0]["SUMMARY"])
    assert data.startswith(b"BEGIN:VCALENDAR") and b"\r\n" in data


def test_ics_text_is_escaped_and_long_lines_folded_between_characters():
    title = "Épreuve; très, très longue \\ avec des accents éèàù " * 4
    special = Entry("e2", "Examen, « spécial »", None, "https://x/exam/e2/epreuve/1", 1, title, "ECOS", T9, 60, "draft")
    data = ics([special], "Agenda", T9)
    assert all(len(line) <= 75 for line in data.split(b"\r\n")), "content lines are folded at 75 octets"
    data.decode("utf-8")  # every fold falls between characters
    event = icalendar.Calendar.from_ical(data).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == f"Examen, « spécial » — {title}"


def question(qtype, options=(), **kw):
    return {"type": qtype, "statement": f"{qtype}?", "options": [{"text": t, "correct": c, "criticality": k}
                                                                 for t, c, k in options], **kw}


def test_the_bon_a_tirer_numbers_questions_through_the_epreuve_and_keys_each_type():
    qru = {"kind": "QI", "title": "QRU", "question": question("QRU", [("a", False, None), ("b", True, None)])}
    dossier = {"kind": "DP", "title": "DP", "vignette": "Un patient", "questions": [
        question("QRM", [("a", True, "indispensable"), ("b", False, "unacceptable"), ("c", True, None)]),
        question("QROC", accepted_answers=["IRM", "imagerie par résonance"]),
        question("NUMERIQUE", value=7.4, tolerance=0.05, unit="pH"),
        question("QROL", model_answer="Une réponse longue")]}
    e = epreuve(slots=[Slot(1, "v/qru", "qru", 1.0), Slot(2, "v/dp", "dp", 3.0)])
    elements = bat.number_epreuve(e, {"v/qru": qru, "v/dp": dossier})
    numbers = [(q.number, q.key) for el in elements for q in el.questions]
    assert numbers == [(1, "1"), (2, "2.1"), (3, "2.2"), (4, "2.3"), (5, "2.4")]
    keys = [q.answer for el in elements for q in el.questions]
    assert keys[0] == ["Réponse(s) juste(s) : B"]
    assert keys[1] == ["Réponse(s) juste(s) : A, C", "A : indispensable", "B : inacceptable"]
    assert keys[2] == ["Réponses acceptées : IRM ; imagerie par résonance"]
    assert keys[3] == ["Valeur : 7.4 ± 0.05 pH"]
    assert keys[4] == ["Réponse modèle : Une réponse longue"]
    exam = Exam("e1", "https://x/exam/e1", "Examen", ["u"], identifier="EX-1")
    html = bat.render_html(bat.document(exam, e, {"v/qru": qru, "v/dp": dossier}, PARIS, T9))
    assert "Question 5" in html and "(coefficient 3)" in html and "10/03/2031 09:00" in html
    assert html.index("Corrigé") > html.index("Question 5 <small>(élément 2.4)</small>")
    assert bat.letter(0) == "A" and bat.letter(25) == "Z" and bat.letter(26) == "AA"
