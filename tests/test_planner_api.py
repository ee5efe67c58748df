"""PLANIFICATEUR through the API, on the demo data: an exam with two épreuves is built, its groups registered,
its bon à tirer printed as PDF and read back, downloaded, and refused deletion once started; every rule answers
with a clear message and a refused change writes nothing."""

from __future__ import annotations

import io
import json
import shutil
import subprocess

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from services import dataset
from services.platform import Platform
from services.synthetic import Scale
from store.embedded import OxigraphStore
from tests.conftest import ADMIN_TOKEN, bearer_tokens, make_settings

BASE = "https://data.ontosides.fr/"
UNIV0, UFR0, UFR1 = f"{BASE}org/univ-0", f"{BASE}org/univ-0/ufr-0", f"{BASE}org/univ-1/ufr-0"
COHORT0 = f"{BASE}group/univ-0-ufr-0-dfasm1-2025"
COHORT1 = f"{BASE}group/univ-1-ufr-0-dfasm1-2025"
OFFER0 = f"{BASE}offer/univ-0-ufr-0-dfasm1-2025"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def person(key: str) -> str:
    return f"{BASE}person/{key}"


@pytest.fixture(scope="module")
def planner():
    """An app over a small demo (two universities), with a platform token for each role's demo person."""
    settings = make_settings(user_tokens={})
    platform = Platform.build(settings, OxigraphStore(base_iri=settings.base_iri))
    dataset.load_demo(platform, Scale(universities=2, students_per_faculty=6, questions_per_faculty=8,
                                      referentiel_items=4, objectives_per_item=2, questions_per_epreuve=3))
    app = create_app(settings, platform.store)
    client = TestClient(app)
    client.tokens = bearer_tokens(app, ("rs0-0", "ge0-0", "cor0-0", "rs1-0", "t0-0-0", "s0-0-0"))
    client.platform = platform
    client.app_state = app.state
    return client


def dump(platform) -> bytes:
    buffer = io.BytesIO()
    platform.store.dump(buffer, ox.RdfFormat.N_QUADS)
    return b"\n".join(sorted(buffer.getvalue().splitlines()))


def new_exam(client, headers, day="2031-03-10", **extra) -> dict:
    """An exam of two épreuves on one day (09:00, 2 h; 14:00, 1 h 30), the cohort of univ-0 registered."""
    body = {"title": "Examen de cardiologie DFASM1", "short_name": "CARDIO1", "offers": [OFFER0],
            "epreuves": [{"title": "Cas cliniques", "start": f"{day}T09:00:00", "duration_minutes": 120,
                          "slots": [{"item": "u0f0q0", "coefficient": 2}, {"item": "u0f0q1"}],
                          "registrations": {"groups": [COHORT0]}},
                         {"title": "Questions isolées", "type": "Épreuve facultaire", "start": f"{day}T14:00:00",
                          "duration_minutes": 90, "slots": [{"item": "u0f0q2"}, {"item": "u0f0q3"}],
                          "registrations": {"groups": [COHORT0]}, "display": {"shuffle_options": True}}]}
    body.update(extra)
    response = client.post("/planner/exams", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_an_exam_with_two_epreuves_is_built_printed_downloaded_and_kept_once_started(planner):
    rs = planner.tokens["rs0-0"]
    exam = new_exam(planner, rs)
    key = exam["key"]
    assert exam["owner"] == UFR0 and exam["universities"] == [UNIV0] and exam["status"] == "draft"
    assert [e["number"] for e in exam["epreuves"]] == [1, 2]
    first = exam["epreuves"][0]
    assert first["start"].startswith("2031-03-10T09:00:00+01:00") and first["end"].startswith("2031-03-10T11:00")
    assert [s["coefficient"] for s in first["slots"]] == [2.0, 1.0]
    assert all("/v/" in s["version"] and s["item"].endswith(s["item_id"]) for s in first["slots"])
    assert first["candidates"] == 6, "the cohort's six students"

    # An ad-hoc group registered too, one student excluded, another granted a third more time.
    group = planner.post("/cockpit/groups", headers=rs, json={"name": "Rattrapage", "institutions": [UFR0],
                                                               "members": [person("s0-0-0"), person("t0-0-1")]})
    assert group.status_code == 201, group.text
    offered = planner.get(f"/planner/exams/{key}/groups", headers=rs).json()
    assert {g["iri"] for g in offered} >= {COHORT0, group.json()["iri"]} and COHORT1 not in {g["iri"] for g in offered}
    registered = planner.put(f"/planner/exams/{key}/epreuves/1/registrations", headers=rs,
                             json={"groups": [COHORT0, group.json()["iri"]], "excluded": [person("s0-0-5")]})
    assert registered.status_code == 200, registered.text
    extra = planner.put(f"/planner/exams/{key}/epreuves/1/extra-time", headers=rs,
                        json=[{"candidate": person("s0-0-1"), "minutes": 40}])
    assert extra.json()["extra_time"] == [{"candidate": person("s0-0-1"), "minutes": 40}]
    listed = planner.get(f"/planner/exams/{key}/epreuves/1/candidates", headers=rs).json()
    ids = {c["id"] for c in listed["candidates"]}
    assert not listed["frozen"] and listed["count"] == 6 and "t0-0-1" in ids and "s0-0-5" not in ids
    assert next(c for c in listed["candidates"] if c["id"] == "s0-0-1")["extra_minutes"] == 40

    for number in (1, 2):
        ready = planner.post(f"/planner/exams/{key}/epreuves/{number}/status", headers=rs, json={"status": "ready"})
        assert ready.status_code == 200, ready.text
    assert planner.get(f"/planner/exams/{key}", headers=rs).json()["status"] == "ready"

    # The bon à tirer: numbered questions, the shuffle options stated, the key in its own part.
    html = planner.get(f"/planner/exams/{key}/epreuves/2/bat", headers=rs)
    assert html.status_code == 200 and "Question 2" in html.text and "Mélanger les propositions" in html.text
    pdf = planner.get(f"/planner/exams/{key}/epreuves/2/bat?format=pdf", headers=rs)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    text = pdftotext(pdf.content)
    assert "Bon à tirer" in text and "Question 1" in text and "Question 2" in text
    subject, key_part = text.split("Corrigé", 1)
    assert "Mélanger les propositions de réponses" in subject and "oui" in subject
    assert "Réponse(s) juste(s)" in key_part and "Réponse(s) juste(s)" not in subject
    versions = [s["version"] for s in planner.get(f"/planner/exams/{key}", headers=rs).json()["epreuves"][1]["slots"]]
    right = right_letters(planner.platform, versions[0])
    assert f"Réponse(s) juste(s) : {right}" in " ".join(key_part.split())

    # Downloads: the graphs as TriG (exam, versions), the same as JSON.
    trig = planner.get(f"/planner/exams/{key}/download?format=trig", headers=rs)
    dataset_ = {q.graph_name.value for q in ox.parse(trig.content, ox.RdfFormat.TRIG)}
    assert f"{BASE}graph/exam/{key}" in dataset_ and any("/v/" in g for g in dataset_)
    as_json = planner.get(f"/planner/exams/{key}/download?format=json", headers=rs).json()
    assert as_json["key"] == key and len(as_json["epreuves"]) == 2 and set(as_json["items"]) >= set(versions)

    # Started (explicitly, as EXAMEN does at the start): the candidates are frozen, the exam cannot go.
    running = planner.post(f"/planner/exams/{key}/epreuves/1/status", headers=rs, json={"status": "running"})
    assert running.status_code == 200 and running.json()["status"] == "running"
    frozen = planner.get(f"/planner/exams/{key}/epreuves/1/candidates", headers=rs).json()
    assert frozen["frozen"] and frozen["count"] == 6
    before = dump(planner.platform)
    refused = planner.delete(f"/planner/exams/{key}", headers=rs)
    assert refused.status_code == 409 and "started" in refused.json()["detail"]
    moved = planner.patch(f"/planner/exams/{key}/epreuves/1", headers=rs, json={"duration_minutes": 30})
    assert moved.status_code == 409
    assert dump(planner.platform) == before


def pdftotext(content: bytes) -> str:
    exe = shutil.which("pdftotext")
    assert exe, "pdftotext is missing: `make test` installs poppler-utils"
    return subprocess.run([exe, "-layout", "-", "-"], input=content, capture_output=True, check=True).stdout.decode()


def right_letters(platform, version: str) -> str:
    rows = platform.store.select(
        "PREFIX os: <https://w3id.org/ontosides#> SELECT ?p WHERE { ?v os:hasOption ?o . ?o os:isCorrect true ; "
        "os:position ?p } ORDER BY ?p", {"v": ox.NamedNode(version)}).rows
    return ", ".join(chr(64 + int(r["p"].value)) for r in rows)


def test_rules_answer_in_words_and_a_refused_change_writes_nothing(planner):
    rs = planner.tokens["rs0-0"]
    exam = new_exam(planner, rs, day="2031-04-14", title="Examen de règles", short_name=None)
    key = exam["key"]
    incomplete = planner.post(f"/planner/exams/{key}/epreuves", headers=rs,
                              json={"title": "Sans rien", "duration_minutes": 60})
    assert incomplete.status_code == 201 and incomplete.json()["number"] == 3
    refused = planner.post(f"/planner/exams/{key}/epreuves/3/status", headers=rs, json={"status": "ready"})
    assert refused.status_code == 422
    for words in ("start:", "slots: no item is linked", "registrations: no group is registered"):
        assert words in refused.json()["detail"]
    assert planner.get(f"/planner/exams/{key}", headers=rs).json()["epreuves"][2]["status"] == "draft"

    # Two épreuves of the same morning with the same cohort: the second cannot be ready.
    assert planner.post(f"/planner/exams/{key}/epreuves/1/status", headers=rs, json={"status": "ready"}).status_code == 200
    planner.patch(f"/planner/exams/{key}/epreuves/3", headers=rs, json={"start": "2031-04-14T10:00:00"})
    planner.put(f"/planner/exams/{key}/epreuves/3/slots", headers=rs, json=[{"item": "u0f0q4"}])
    planner.put(f"/planner/exams/{key}/epreuves/3/registrations", headers=rs,
                json={"groups": [], "added": [person("s0-0-2"), person("s0-0-3")]})
    clash = planner.post(f"/planner/exams/{key}/epreuves/3/status", headers=rs, json={"status": "ready"})
    assert clash.status_code == 422
    assert "2 candidate(s) of épreuve 3" in clash.json()["detail"] and "(s0-0-2) (also in « Cas cliniques »" \
        in clash.json()["detail"]
    # Moved after the first one ends (11:00), it may be ready; moving it back is refused on save.
    planner.patch(f"/planner/exams/{key}/epreuves/3", headers=rs, json={"start": "2031-04-14T11:00:00"})
    assert planner.post(f"/planner/exams/{key}/epreuves/3/status", headers=rs,
                        json={"status": "ready"}).status_code == 200
    back = planner.patch(f"/planner/exams/{key}/epreuves/3", headers=rs, json={"start": "2031-04-14T10:30:00"})
    assert back.status_code == 422 and "overlapping" in back.json()["detail"]
    # Extra time counts: 40 more minutes for one of them reaches into épreuve 3.
    planner.post(f"/planner/exams/{key}/epreuves/1/status", headers=rs, json={"status": "draft"})
    planner.put(f"/planner/exams/{key}/epreuves/1/extra-time", headers=rs,
                json=[{"candidate": person("s0-0-3"), "minutes": 40}])
    late = planner.post(f"/planner/exams/{key}/epreuves/1/status", headers=rs, json={"status": "ready"})
    assert late.status_code == 422 and "1 candidate(s)" in late.json()["detail"] and "s0-0-3" in late.json()["detail"]

    # Items: unknown, linked twice, owned by another university's faculty; each refusal writes nothing.
    before = dump(planner.platform)
    unknown = planner.put(f"/planner/exams/{key}/epreuves/2/slots", headers=rs, json=[{"item": "nothing"}])
    assert unknown.status_code == 404 and "no item" in unknown.json()["detail"]
    twice = planner.put(f"/planner/exams/{key}/epreuves/2/slots", headers=rs,
                        json=[{"item": "u0f0q0"}, {"item": f"{BASE}item/u0f0q0"}])
    assert twice.status_code == 422 and "once per épreuve" in twice.json()["detail"]
    foreign = planner.put(f"/planner/exams/{key}/epreuves/2/slots", headers=rs, json=[{"item": "u1f0q0"}])
    assert foreign.status_code == 422 and "not visible to the exam's organisation" in foreign.json()["detail"]
    other_cohort = planner.put(f"/planner/exams/{key}/epreuves/2/registrations", headers=rs,
                               json={"groups": [COHORT1]})
    assert other_cohort.status_code == 422 and "not offered" in other_cohort.json()["detail"]
    nobody = planner.put(f"/planner/exams/{key}/epreuves/2/extra-time", headers=rs,
                         json=[{"candidate": f"{BASE}person/nobody", "minutes": 20}])
    assert nobody.status_code == 404
    bad = planner.post("/planner/exams", headers=rs, json={"title": "x", "epreuves": [{"title": "y"}]})
    assert bad.status_code == 422 and "duration_minutes" in bad.text
    assert dump(planner.platform) == before
    planner.delete(f"/planner/exams/{key}/epreuves/3", headers=rs)
    # The whole exam can go while nothing started.
    assert planner.delete(f"/planner/exams/{key}", headers=rs).status_code == 204
    assert planner.get(f"/planner/exams/{key}", headers=rs).status_code == 404
    assert f"exam/{key}".encode() not in dump(planner.platform)


def test_later_edits_of_an_item_never_change_a_planned_epreuve(planner):
    ge = planner.tokens["ge0-0"]
    created = planner.post("/items", headers=ge, json={
        "kind": "QI", "title": "Troponine", "owner": UFR0, "status": "validated",
        "question": {"type": "QRU", "statement": "Quel marqueur de nécrose myocardique ?",
                     "options": [{"text": "Troponine", "correct": True}, {"text": "Lipase"}, {"text": "Amylase"},
                                 {"text": "CRP"}]}})
    assert created.status_code == 201, created.text
    item = created.json()["id"]
    exam = new_exam(planner, planner.tokens["rs0-0"], day="2031-05-12", title="Examen de versions")
    key = exam["key"]
    linked = planner.put(f"/planner/exams/{key}/epreuves/1/slots", headers=ge, json=[{"item": item}]).json()
    version = linked["slots"][0]["version"]
    edited = planner.put(f"/items/{item}", headers=ge, json={
        "kind": "QI", "title": "Troponine (revue)", "owner": UFR0, "status": "validated",
        "question": {"type": "QRU", "statement": "Quel marqueur de nécrose myocardique ? (revu)",
                     "options": [{"text": "Troponine T", "correct": True}, {"text": "Lipase"}, {"text": "Amylase"},
                                 {"text": "CRP"}]}})
    assert edited.status_code == 200
    kept = planner.get(f"/planner/exams/{key}", headers=ge).json()["epreuves"][0]["slots"][0]
    assert kept["version"] == version and kept["title"] == "Troponine"
    html = planner.get(f"/planner/exams/{key}/epreuves/1/bat", headers=ge).text
    assert "Quel marqueur de nécrose myocardique ?" in html and "(revu)" not in html
    # Re-saving the list keeps the planned version; asking for it takes the edited content.
    again = planner.put(f"/planner/exams/{key}/epreuves/1/slots", headers=ge, json=[{"item": item}]).json()
    assert again["slots"][0]["version"] == version
    fresh = planner.put(f"/planner/exams/{key}/epreuves/1/slots", headers=ge,
                        json=[{"item": item, "update_version": True}]).json()
    assert fresh["slots"][0]["version"] != version and fresh["slots"][0]["title"] == "Troponine (revue)"
    assert planner.delete(f"/items/{item}", headers=ge).status_code == 409, "an item an épreuve links stays"


def test_who_may_see_and_change_an_exam(planner):
    rs = planner.tokens["rs0-0"]
    key = new_exam(planner, rs, day="2031-06-09", title="Examen privé")["key"]
    assert planner.get(f"/planner/exams/{key}", headers=planner.tokens["rs1-0"]).status_code == 404
    assert planner.get(f"/planner/exams/{key}", headers=planner.tokens["cor0-0"]).status_code == 200
    assert planner.patch(f"/planner/exams/{key}", headers=planner.tokens["cor0-0"],
                         json={"title": "x"}).status_code == 403
    assert planner.get(f"/planner/exams/{key}", headers=planner.tokens["t0-0-0"]).status_code == 403
    assert planner.get("/planner/exams", headers=planner.tokens["s0-0-0"]).status_code == 403
    mine = {row["exam"] for row in planner.get("/planner/exams", headers=planner.tokens["rs1-0"]).json()}
    assert key not in mine and mine, "the other university sees its own exams (the demo's) and not this one"
    foreign_owner = planner.post("/planner/exams", headers=rs, json={
        "title": "x", "owner": UFR1, "epreuves": [{"title": "y", "duration_minutes": 10}]})
    assert foreign_owner.status_code == 403
    renamed = planner.patch(f"/planner/exams/{key}", headers=planner.tokens["ge0-0"], json={"title": "Examen renommé"})
    assert renamed.status_code == 200 and renamed.json()["title"] == "Examen renommé"


def test_calendar_and_ics_of_an_organisation(planner):
    rs = planner.tokens["rs0-0"]
    key = new_exam(planner, rs, title="Examen du calendrier")["key"]
    week = planner.get("/planner/calendar", headers=rs,
                       params={"from": "2031-03-10", "to": "2031-03-16", "organisation": UFR0}).json()
    mine = [e for p in week["periods"] for e in p["epreuves"] if e["exam"] == key]
    assert [e["number"] for e in mine] == [1, 2] and week["periods"][0]["week"] == "2031-03-10"
    days = planner.get("/planner/calendar", headers=rs,
                       params={"from": "2031-03-10", "to": "2031-03-10", "view": "day"}).json()
    assert days["periods"][0]["day"] == "2031-03-10"
    other = planner.get("/planner/calendar", headers=rs, params={"from": "2031-03-10", "to": "2031-03-16",
                                                                  "organisation": UFR1}).json()
    assert all(e["exam"] != key for p in other["periods"] for e in p["epreuves"])
    agenda = planner.get("/planner/calendar.ics", headers=rs, params={"from": "2031-03-10", "to": "2031-03-10"})
    assert agenda.status_code == 200 and agenda.headers["content-type"].startswith("text/calendar")
    assert f"UID:{BASE}exam/{key}/epreuve/1".encode() in agenda.content.replace(b"\r\n ", b"")
    listed = planner.get("/planner/exams", headers=rs, params={"status": "draft", "from": "2031-03-10"}).json()
    assert {(r["exam"], r["number"]) for r in listed} >= {(key, 1), (key, 2)}
    assert all(r["status"] == "draft" for r in listed)


def test_usage_statistics_from_the_statistics_graphs_and_from_question_scores(planner):
    rs = planner.tokens["rs0-0"]
    found = planner.get("/planner/usage", headers=rs).json()
    used = [i for i in found["items"] if i["students"]]
    assert used and all(i["students"] <= 6 * i["epreuves"] for i in used)
    # The demo's finished épreuves had six candidates each, and each candidate ticks an option of every
    # auto-scored question; planned épreuves count no student yet.
    ticked = [i for i in used if i["type"] in ("QI QRU", "QI QRM")]
    assert ticked and all(i["students"] % 6 == 0 for i in ticked)
    # The épreuve to correct (QROC, QROC, QROL): a free-text answer may be left blank, so at most six wrote one.
    written = [i for i in used if i["type"] in ("QI QROC", "QI QROL")]
    assert sorted((i["id"], i["type"]) for i in written) == [("u0f0r0", "QI QROC"), ("u0f0r1", "QI QROC"),
                                                             ("u0f0r2", "QI QROL")]
    assert all(0 < i["students"] <= 6 and i["epreuves"] == 1 for i in written)
    assert all(0 <= i["success_rate"] <= 1 for i in found["items"]) and any(i["success_rate"] > 0 for i in used)
    assert {i["type"] for i in found["items"]} == {"QI QRU", "QI QRM", "QI QROC", "QI QROL"}
    assert all(i["id"].startswith("u0f0") or i["id"].startswith("i") for i in found["items"])
    assert all(i["success_rate"] == 0 for i in found["items"] if not i["students"])
    # The same figures from the question scores once the statistics graphs are gone.
    one = used[0]
    stats_graphs = [g.value for g in planner.platform.store.named_graphs() if "/graph/stats/u0f0" in g.value]
    saved = {g: planner.platform.store.graph_triples(ox.NamedNode(g)) for g in stats_graphs}
    try:
        for g in stats_graphs:
            planner.platform.writer.drop_graph(g)
        recount = {i["id"]: i for i in planner.get("/planner/usage", headers=rs).json()["items"]}[one["id"]]
        assert (recount["students"], recount["epreuves"]) == (one["students"], one["epreuves"])
        assert abs(recount["success_rate"] - one["success_rate"]) < 1e-3
    finally:
        for g, triples in saved.items():
            planner.platform.store.update("INSERT DATA { GRAPH <%s> { %s } }" % (
                g, " ".join(f"{t.subject} {t.predicate} {t.object} ." for t in triples)))
    entry = planner.platform.store.select(
        "PREFIX dcterms: <http://purl.org/dc/terms/> SELECT ?s WHERE { <%sitem/%s> dcterms:subject ?s }"
        % (BASE, one["id"])).rows[0]["s"].value
    parent = entry.rsplit("/", 1)[0] + "/IC-" + entry.rsplit("OIC-", 1)[1][:3]
    by_entry = planner.get("/planner/usage", headers=rs, params={"entry": parent}).json()
    assert one["id"] in {i["id"] for i in by_entry["items"]}, "an item tagged below an entry is found by it"
    assert by_entry["count"] < found["count"]
    assert planner.get("/planner/usage", headers=rs, params={"specialty": f"{BASE}nothing"}).json()["count"] == 0
