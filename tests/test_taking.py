"""EXAMEN and SUPERVISEUR through the API on the demo data: a candidate opens their session inside the window,
reads the épreuve in their own deterministic order, saves answers (idempotent by sequence number), sends an
offline batch, hands in; supervisors follow it live, sign candidates in and out, hand devices, report and
resolve incidents and export the attendance sheet; every answer ends in the store as the copy graph grading
reads, and a restart replays the journal."""

from __future__ import annotations

import datetime as dt
import subprocess

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from services import dataset
from services.notation.answers import copy_graphs, read_copies
from services.notation.reading import read_sheet
from services.platform import Platform
from services.synthetic import Scale
from store.embedded import OxigraphStore
from tests.conftest import Clock, bearer_tokens, make_settings, person

BASE = "https://data.ontosides.fr/"
COHORT0 = f"{BASE}group/univ-0-ufr-0-dfasm1-2025"
OFFER0 = f"{BASE}offer/univ-0-ufr-0-dfasm1-2025"
START = dt.datetime(2031, 3, 10, 8, 0, tzinfo=dt.timezone.utc)




@pytest.fixture(scope="module")
def exam_app(tmp_path_factory):
    """An app over a small demo on disk, an exam of one ready épreuve (three items, options shuffled) for the
    cohort of univ-0, a token per person, and a clock inside the épreuve's window."""
    folder = tmp_path_factory.mktemp("taking")
    settings = make_settings(user_tokens={}, store=str(folder / "store"), journal_dir=str(folder / "journal"))
    store = OxigraphStore(folder / "store", base_iri=settings.base_iri)
    platform = Platform.build(settings, store)
    dataset.load_demo(platform, Scale(universities=1, students_per_faculty=6, questions_per_faculty=8,
                                      referentiel_items=4, objectives_per_item=2, questions_per_epreuve=3))
    app = create_app(settings, platform.store)
    client = TestClient(app)
    tokens = bearer_tokens(app, ("rs0-0", "s0-0-0", "s0-0-1", "s0-0-2", "t0-0-0"))
    body = {"title": "Examen de cardiologie DFASM1", "short_name": "CARDIO1", "offers": [OFFER0],
            "epreuves": [{"title": "Questions isolées", "start": "2031-03-10T09:00:00", "duration_minutes": 60,
                          "slots": [{"item": "u0f0q0"}, {"item": "u0f0q1"}, {"item": "u0f0q2"}],
                          "registrations": {"groups": [COHORT0]},
                          "display": {"shuffle_options": True, "shuffle_items": True},
                          "extra_time": []}]}
    created = client.post("/planner/exams", json=body, headers=tokens["rs0-0"])
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    ready = client.post(f"/planner/exams/{key}/epreuves/1/status", json={"status": "ready"}, headers=tokens["rs0-0"])
    assert ready.status_code == 200, ready.text
    clock = Clock(START + dt.timedelta(minutes=5))
    app.state.taking.clock = clock
    client.__enter__()
    yield client, app, tokens, key, clock, settings
    client.__exit__(None, None, None)


def test_a_candidate_takes_the_epreuve_and_every_acknowledged_answer_is_in_the_copy_graph(exam_app):
    client, app, tokens, key, clock, _ = exam_app
    s0 = tokens["s0-0-0"]
    mine = client.get("/taking/epreuves", headers=s0).json()
    assert (key, 1, True) in [(e["exam"], e["number"], e["open"]) for e in mine]
    assert all(not e["open"] for e in mine if e["exam"] != key)  # the demo's other exam is to come
    opened = client.post(f"/taking/{key}/1/session", headers=s0)
    assert opened.status_code == 200, opened.text
    view = opened.json()
    assert len(view["content"]) == 3 and view["answers"] == {}
    again = client.post(f"/taking/{key}/1/session", headers=s0).json()
    assert again["content"] == view["content"]  # a reconnect shows the same order
    question = view["content"][0]["questions"][0]
    options = [o["iri"] for o in question["options"]]
    first = client.put(f"/taking/{key}/1/answers/{question['key']}", json={"seq": 1, "options": options[:1]},
                       headers=s0)
    assert first.status_code == 200 and first.json()["status"] == "kept", first.text
    newer = client.put(f"/taking/{key}/1/answers/{question['key']}",
                       json={"seq": 3, "options": options[1:2], "marker": True, "notepad": "revoir"}, headers=s0)
    assert newer.json()["status"] == "kept"
    late = client.put(f"/taking/{key}/1/answers/{question['key']}", json={"seq": 2, "options": options[2:3]},
                      headers=s0)
    assert late.json()["status"] == "superseded"
    duplicate = client.put(f"/taking/{key}/1/answers/{question['key']}", json={"seq": 3, "options": options[1:2]},
                           headers=s0)
    assert duplicate.json()["status"] == "kept"
    bad = client.put(f"/taking/{key}/1/answers/{question['key']}", json={"seq": 4, "options": [BASE + "nope"]},
                     headers=s0)
    assert bad.status_code == 422 and "is not an option" in bad.json()["detail"]
    unknown = client.put(f"/taking/{key}/1/answers/99", json={"seq": 1}, headers=s0)
    assert unknown.status_code == 422 and "not in this épreuve" in unknown.json()["detail"]
    resumed = client.post(f"/taking/{key}/1/session", headers=s0).json()
    assert resumed["answers"][question["key"]]["options"] == options[1:2]
    assert resumed["answers"][question["key"]]["marker"] is True
    assert app.state.taking.drain()
    platform = app.state.platform
    sheet = read_sheet(platform, f"{key}-1", f"{BASE}exam/{key}/epreuve/1", key, 1)
    copies = read_copies(platform, sheet, copy_graphs(platform, app.state.taking.names, sheet))
    row = copies.row(person("s0-0-0"))
    q = sheet.question(question["key"])
    ticked = [q.options[k].iri for k in range(len(q.options)) if copies.ticks[q.key][row, k]]
    assert ticked == options[1:2]


def test_an_offline_batch_answers_each_save_and_time_up_refuses_with_a_reason(exam_app):
    client, app, tokens, key, clock, _ = exam_app
    s1 = tokens["s0-0-1"]
    view = client.post(f"/taking/{key}/1/session", headers=s1).json()
    questions = [q for slot in view["content"] for q in slot["questions"]]
    answers = [{"question": q["key"], "seq": 5, "options": [q["options"][0]["iri"]]} for q in questions]
    answers.append({"question": questions[0]["key"], "seq": 4, "options": [questions[0]["options"][1]["iri"]]})
    answers.append({"question": "42", "seq": 1})
    results = client.post(f"/taking/{key}/1/answers", json={"answers": answers}, headers=s1).json()["results"]
    assert [r["status"] for r in results] == ["kept"] * len(questions) + ["superseded", "refused"]
    clock.now = START + dt.timedelta(minutes=61)  # the épreuve ended at 09:00 + 60 min (UTC 08:00 + 60)
    try:
        late = client.put(f"/taking/{key}/1/answers/{questions[0]['key']}", json={"seq": 9}, headers=s1)
        assert late.status_code == 409 and "time is up" in late.json()["detail"]
        within_grace = client.post(f"/taking/{key}/1/answers", json={"answers": [
            {"question": questions[1]["key"], "seq": 6, "options": [questions[1]["options"][1]["iri"]]}]}, headers=s1)
        assert within_grace.json()["results"][0]["status"] == "kept"  # offline saves get the grace period
    finally:
        clock.now = START + dt.timedelta(minutes=5)
    submitted = client.post(f"/taking/{key}/1/submit", headers=s1)
    assert submitted.status_code == 200
    after = client.put(f"/taking/{key}/1/answers/{questions[0]['key']}", json={"seq": 10}, headers=s1)
    assert after.status_code == 409 and "handed in" in after.json()["detail"]


def test_who_is_not_a_candidate_sees_nothing(exam_app):
    client, _, tokens, key, _, _ = exam_app
    assert client.post(f"/taking/{key}/1/session", headers=tokens["t0-0-0"]).status_code == 404
    assert client.post(f"/taking/{key}/1/session").status_code == 401
    assert client.get(f"/supervision/{key}/1", headers=tokens["s0-0-0"]).status_code == 403


def test_supervisors_follow_live_sign_in_and_out_hand_devices_and_resolve_incidents(exam_app, tmp_path):
    client, app, tokens, key, _, _ = exam_app
    rs, s2 = tokens["rs0-0"], tokens["s0-0-2"]
    candidate = person("s0-0-2")
    signed = client.post(f"/supervision/{key}/1/attendance",
                         json={"person": candidate, "direction": "in", "room": "Amphi A", "seat": "12"}, headers=rs)
    assert signed.status_code == 200, signed.text
    device = client.post(f"/supervision/{key}/1/devices", json={"person": candidate, "device_id": "TAB-0042"},
                         headers=rs).json()
    replaced = client.post(f"/supervision/{key}/1/devices", json={"person": candidate, "device_id": "TAB-0043",
                                                                   "replaces": device["device"]}, headers=rs)
    assert replaced.status_code == 201
    client.post(f"/taking/{key}/1/session", headers=s2)
    reported = client.post(f"/taking/{key}/1/incidents", json={"description": "Mon écran s'est figé"}, headers=s2)
    assert reported.status_code == 201
    live = client.get(f"/supervision/{key}/1", params={"room": "Amphi A"}, headers=rs).json()
    row = next(r for r in live["candidates"] if r["person"] == candidate)
    assert row["status"] == "started" and row["room"] == "Amphi A" and row["seat"] == "12"
    assert [d["id"] for d in row["devices"]] == ["TAB-0042", "TAB-0043"] and row["open_incidents"] == 1
    incident = live["incidents"][0]
    assert incident["description"] == "Mon écran s'est figé"
    resolved = client.post(f"/supervision/{key}/1/incidents/resolve",
                           json={"incident": incident["incident"], "resolution": "Tablette remplacée"}, headers=rs)
    assert resolved.status_code == 200 and resolved.json()["resolved_by"] == person("rs0-0")
    out = client.post(f"/supervision/{key}/1/attendance", json={"person": candidate, "direction": "out"}, headers=rs)
    assert out.json()["sign_out"]
    events = client.get(f"/supervision/{key}/1/events", params={"once": True}, headers=rs)
    assert events.status_code == 200 and events.text.startswith("event: live\ndata: {")
    sheet = client.get(f"/supervision/{key}/1/attendance.csv", headers=rs)
    assert sheet.status_code == 200 and "Amphi A;12" in sheet.text and "TAB-0042, TAB-0043" in sheet.text
    pdf = client.get(f"/supervision/{key}/1/attendance.pdf", headers=rs)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    (tmp_path / "sheet.pdf").write_bytes(pdf.content)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "sheet.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "Feuille d'émargement" in text and "Amphi" in text and "TAB-0043" in text, text


def test_a_restart_replays_what_the_store_missed(exam_app):
    client, app, tokens, key, _, settings = exam_app
    taking = app.state.taking
    journal = taking.journal
    s0 = tokens["s0-0-0"]
    view = client.post(f"/taking/{key}/1/session", headers=s0).json()
    question = view["content"][1]["questions"][0]
    # The store misses a save the journal holds (as after a kill between the flush and the apply).
    record_count = journal.stats["records"]
    outcome = client.put(f"/taking/{key}/1/answers/{question['key']}",
                         json={"seq": 20, "options": [question["options"][0]["iri"]]}, headers=s0).json()
    assert outcome["status"] == "kept" and journal.stats["records"] == record_count + 1
    assert taking.drain()
    answer = ox.NamedNode(f"{BASE}answer/{key}-1/s0-0-0/{question['key']}")
    rows = app.state.platform.store.select(
        f"SELECT ?seq WHERE {{ GRAPH ?g {{ {answer} <https://w3id.org/ontosides#sequence> ?seq }} }}").rows
    assert [r["seq"].value for r in rows] == ["20"]


def test_grading_reads_the_answers_taken_through_the_api(exam_app):
    client, app, tokens, key, _, _ = exam_app
    s0 = tokens["s0-0-0"]
    view = client.post(f"/taking/{key}/1/session", headers=s0).json()
    platform = app.state.platform
    sheet = read_sheet(platform, f"{key}-1", f"{BASE}exam/{key}/epreuve/1", key, 1)
    last = view["content"][2]["questions"][0]
    right = [o.iri for o in sheet.question(last["key"]).options if o.correct]
    saved = client.put(f"/taking/{key}/1/answers/{last['key']}", json={"seq": 7, "options": right}, headers=s0)
    assert saved.json()["status"] == "kept"
    graded = client.post(f"/notation/epreuves/{key}-1/grades", params={"save": False}, headers=tokens["rs0-0"])
    assert graded.status_code == 200, graded.text
    assert graded.json()["candidates"] >= 2  # everyone who opened a session has a copy
    detail = client.get(f"/notation/epreuves/{key}-1/copies", params={"candidate": person("s0-0-0")},
                        headers=tokens["rs0-0"])
    assert detail.status_code == 200, detail.text
    question = next(q for q in detail.json()["questions"] if q["key"] == last["key"])
    assert question["fraction"] == 1.0, question  # the right options, saved through EXAMEN, score in NOTATION


def test_sparql_shows_a_candidate_their_own_copy_and_the_school_office_the_supervision(exam_app):
    client, app, tokens, key, _, _ = exam_app
    assert app.state.taking.drain()
    copies = ("SELECT DISTINCT ?student WHERE { GRAPH ?g { ?s a <https://w3id.org/ontosides#ExamSession> ; "
              f"<https://w3id.org/ontosides#epreuve> <{BASE}exam/{key}/epreuve/1> ; "
              "<https://w3id.org/ontosides#student> ?student } }")
    attendance = "ASK { GRAPH ?g { ?a a <https://w3id.org/ontosides#Attendance> } }"
    accept = {"Accept": "application/sparql-results+json"}

    def students(headers):
        rows = client.get("/sparql", params={"query": copies}, headers={**headers, **accept}).json()
        return {b["student"]["value"] for b in rows["results"]["bindings"]}

    assert students(tokens["s0-0-1"]) == {person("s0-0-1")}
    assert {person("s0-0-0"), person("s0-0-1")} <= students(tokens["rs0-0"])
    ask = lambda headers: client.get("/sparql", params={"query": attendance}, headers={**headers, **accept}).json()  # noqa: E731
    assert ask(tokens["rs0-0"])["boolean"] is True
    assert ask(tokens["s0-0-1"])["boolean"] is False
