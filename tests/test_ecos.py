"""An ECOS station from STUDIO to the pass mark: planned in an épreuve, rated by an examiner on their sheet (the
checklist ticked and a global rating, through the API and through the page), stored as RDF in the candidates'
copies, and read back by NOTATION's borderline regression and borderline group (checked against numpy on the
same scores and ratings) and by its standard-setting page."""

from __future__ import annotations

import datetime as dt
import html

import numpy as np
import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from services import dataset
from services.platform import Platform
from services.synthetic import Scale
from store.embedded import OxigraphStore
from tests.conftest import Clock, bearer_tokens, make_settings, person
from tests.page_forms import post, signed_in
from tests.studio_samples import RATING, items

BASE = "https://data.ontosides.fr/"
OS = "https://w3id.org/ontosides#"
COHORT0 = f"{BASE}group/univ-0-ufr-0-dfasm1-2025"
OFFER0 = f"{BASE}offer/univ-0-ufr-0-dfasm1-2025"
START = dt.datetime(2031, 3, 10, 8, 0, tzinfo=dt.timezone.utc)
SCALE = ["Insuffisant", "Limite", "Satisfaisant", "Très satisfaisant"]
# candidate → (checklist items ticked, by position; global rating)
RATED = {"s0-0-0": ([0, 1], "Très satisfaisant"), "s0-0-1": ([1], "Satisfaisant"), "s0-0-2": ([0], "Limite"),
         "s0-0-3": ([], "Insuffisant"), "s0-0-4": ([1], "Limite")}




@pytest.fixture(scope="module")
def station(tmp_path_factory):
    """A demo on disk, an ECOS station written in STUDIO, an épreuve of it (and a QRU) for the cohort of univ-0,
    ready, with the clock inside its window."""
    folder = tmp_path_factory.mktemp("ecos")
    settings = make_settings(user_tokens={}, store=str(folder / "store"), journal_dir=str(folder / "journal"),
                             demo_login=True)
    platform = Platform.build(settings, OxigraphStore(folder / "store", base_iri=settings.base_iri))
    dataset.load_demo(platform, Scale(universities=1, students_per_faculty=6, questions_per_faculty=8,
                                      referentiel_items=4, objectives_per_item=2, questions_per_epreuve=3))
    app = create_app(settings, platform.store)
    client = TestClient(app)
    tokens = bearer_tokens(app, ("rs0-0", "sup0-0", "t0-0-0", "s0-0-0", "cor0-0"))
    created = client.post("/items", json={**items("i", "a")["ECOS"], "owner": f"{BASE}org/univ-0/ufr-0"},
                          headers=tokens["t0-0-0"])
    assert created.status_code == 201, created.text
    body = {"title": "ECOS de fin de DFASM1", "short_name": "ECOS1", "offers": [OFFER0],
            "epreuves": [{"title": "Circuit ECOS", "type": "ECOS", "start": "2031-03-10T09:00:00",
                          "duration_minutes": 60, "slots": [{"item": created.json()["id"]}, {"item": "u0f0q0"}],
                          "registrations": {"groups": [COHORT0]}, "extra_time": []}]}
    exam = client.post("/planner/exams", json=body, headers=tokens["rs0-0"])
    assert exam.status_code == 201, exam.text
    key = exam.json()["key"]
    ready = client.post(f"/planner/exams/{key}/epreuves/1/status", json={"status": "ready"}, headers=tokens["rs0-0"])
    assert ready.status_code == 200, ready.text
    app.state.taking.clock = Clock(START + dt.timedelta(minutes=5))
    client.__enter__()
    yield client, app, tokens, key
    client.__exit__(None, None, None)


def test_an_examiner_rates_candidates_through_the_api_and_the_ratings_are_rdf_in_their_copies(station):
    client, app, tokens, key = station
    sup = tokens["sup0-0"]
    sheet = client.get(f"/supervision/{key}/1/ecos", headers=sup)
    assert sheet.status_code == 200, sheet.text
    found = sheet.json()["station"]
    assert found["key"] == "1" and [c["text"] for c in found["checklist"]] == ["Se présente", "Vérifie la compréhension"]
    assert [v["label"] for v in found["scale"]] == SCALE  # the list's order (os:order), not the alphabet
    assert all(not r["saved"] and r["seq"] == 0 for r in sheet.json()["candidates"])
    checks = [c["iri"] for c in found["checklist"]]
    values = {v["label"]: v["iri"] for v in found["scale"]}
    url = f"/supervision/{key}/1/ecos/1"
    for who, (ticked, rating) in RATED.items():
        saved = client.put(url, json={"person": person(who), "seq": 1, "checks": [checks[i] for i in ticked],
                                      "rating": values[rating]}, headers=sup)
        assert saved.status_code == 200 and saved.json()["status"] == "kept", saved.text
    again = client.put(url, json={"person": person("s0-0-0"), "seq": 1, "checks": checks,
                                  "rating": values["Très satisfaisant"]}, headers=sup)
    assert again.json()["status"] == "kept"  # a resubmitted sheet changes nothing
    off_scale = client.put(url, json={"person": person("s0-0-5"), "seq": 1, "rating": RATING + "/excellent"},
                           headers=sup)
    assert off_scale.status_code == 422 and "global rating scale" in off_scale.json()["detail"]
    own = client.put(f"/taking/{key}/1/answers/1", json={"seq": 1, "value": values["Limite"]},
                     headers=tokens["s0-0-0"])
    assert own.status_code in (409, 422) and "examiner" in own.text
    not_examiner = client.put(url, json={"person": person("s0-0-5"), "seq": 1, "checks": checks[:1]},
                              headers=tokens["t0-0-0"])
    assert not_examiner.status_code in (403, 404)
    rows = {r["person"]: r for r in client.get(f"/supervision/{key}/1/ecos", headers=sup).json()["candidates"]}
    for who, (ticked, rating) in RATED.items():
        assert rows[person(who)]["checks"] == [checks[i] for i in ticked] or \
            sorted(rows[person(who)]["checks"]) == sorted(checks[i] for i in ticked)
        assert rows[person(who)]["rating"] == values[rating] and rows[person(who)]["seq"] == 1
    assert not rows[person("s0-0-5")]["saved"]
    assert app.state.taking.drain()
    stored = app.state.platform.store.select(f"""PREFIX os: <{OS}> PREFIX prov: <http://www.w3.org/ns/prov#>
        SELECT ?student ?rating ?by WHERE {{ GRAPH ?g {{ ?a os:question ?q ; os:student ?student ;
        os:globalRating ?rating ; prov:wasAttributedTo ?by }} }}""")
    got = {r["student"].value: (r["rating"].value, r["by"].value) for r in stored.rows}
    assert got == {person(w): (values[r], person("sup0-0")) for w, (_, r) in RATED.items()}


def test_the_borderline_methods_read_the_examiners_ratings(station):
    client, app, tokens, key = station
    office = tokens["rs0-0"]
    epreuve = f"{key}-1"
    assert client.post(f"/notation/epreuves/{epreuve}/grades", headers=office).status_code == 200
    points = np.array([1.0, 2.0])
    ov = client.get(f"/notation/epreuves/{epreuve}", headers=office).json()
    item_max = next(i["max_points"] for i in ov["items"] if str(i["position"]) == "1")
    scores = {person(w): item_max * points[t].sum() / points.sum() for w, (t, _) in RATED.items()}
    positions = {person(w): SCALE.index(r) for w, (_, r) in RATED.items()}
    regression = client.post(f"/notation/epreuves/{epreuve}/standard-setting", headers=office,
                             json={"method": "borderline-regression", "item": "1", "borderline": "Limite"})
    assert regression.status_code == 200, regression.text
    slope, intercept = np.polyfit([positions[p] for p in scores], list(scores.values()), 1)
    expected = intercept + slope * SCALE.index("Limite")
    result = regression.json()
    assert result["pass_mark"] == pytest.approx(expected, abs=1e-9)
    assert {r["candidate"]: r["passed"] for r in result["outcome"]} == {
        p: s >= expected - 1e-9 for p, s in scores.items()}
    group = client.post(f"/notation/epreuves/{epreuve}/standard-setting", headers=office,
                        json={"method": "borderline-group", "item": "1", "borderline": "Limite"}).json()
    borderline = [s for p, s in scores.items() if positions[p] == 1]
    assert group["pass_mark"] == pytest.approx(np.mean(borderline)) and group["n_borderline"] == 2
    qru = client.post(f"/notation/epreuves/{epreuve}/standard-setting", headers=office,
                      json={"method": "borderline-regression", "item": "2", "borderline": "Limite"})
    assert qru.status_code == 422 and "scale" in qru.json()["detail"]  # not a station: the request must bring them


def test_the_examiner_sheet_and_the_standard_setting_pages(station):
    client, app, tokens, key = station
    examiner = signed_in(app, "sup0-0")
    live = examiner.get(f"/ui/supervision/{key}/1")
    assert f"/ui/supervision/{key}/1/ecos" in live.text  # the live view links to the sheet
    page = examiner.get(f"/ui/supervision/{key}/1/ecos")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "Vérifie la compréhension" in text and "Très satisfaisant" in text
    sheet = client.get(f"/supervision/{key}/1/ecos", headers=tokens["sup0-0"]).json()
    row = next(r for r in sheet["candidates"] if r["person"] == person("s0-0-5"))
    scale = {v["label"]: v["iri"] for v in sheet["station"]["scale"]}
    checks = [c["iri"] for c in sheet["station"]["checklist"]]
    assert f'value="{row["seq"] + 1}"' in page.text
    form = [("person", row["person"]), ("station", "1"), ("seq", str(row["seq"] + 1)), ("checks", checks[0]),
            ("checks", checks[1]), ("rating", scale["Satisfaisant"]), ("filter_room", "")]
    _, message = post(examiner, f"/ui/supervision/{key}/1/ecos", form)
    assert message.startswith("Grille de ") and message.endswith(" enregistrée."), message
    after = client.get(f"/supervision/{key}/1/ecos", headers=tokens["sup0-0"]).json()
    saved = next(r for r in after["candidates"] if r["person"] == person("s0-0-5"))
    assert sorted(saved["checks"]) == sorted(checks) and saved["rating"] == scale["Satisfaisant"]
    # The same sequence number again (a form sent twice, or a stale page): kept once, nothing changed.
    _, again = post(examiner, f"/ui/supervision/{key}/1/ecos", form[:3] + [("rating", scale["Limite"])])
    assert again.startswith("Grille de "), again
    assert next(r for r in client.get(f"/supervision/{key}/1/ecos", headers=tokens["sup0-0"]).json()["candidates"]
                if r["person"] == person("s0-0-5"))["rating"] == scale["Satisfaisant"]
    assert app.state.taking.drain()
    office = signed_in(app, "rs0-0")
    epreuve = f"{key}-1"
    empty = office.get(f"/ui/notation/{epreuve}/standard-setting")
    assert empty.status_code == 200 and 'name="borderline"' in empty.text
    computed = office.get(f"/ui/notation/{epreuve}/standard-setting",
                          params={"method": "borderline-group", "item": "1", "borderline": "Limite"})
    assert computed.status_code == 200
    result = client.post(f"/notation/epreuves/{epreuve}/standard-setting", headers=tokens["rs0-0"],
                         json={"method": "borderline-group", "item": "1", "borderline": "Limite"}).json()
    mark = f"{result['pass_mark']:.2f}".rstrip("0").rstrip(".")
    shown = html.unescape(computed.text)
    assert f"Seuil de réussite : {mark}" in shown and "Qui réussit" in shown
    angoff = office.get(f"/ui/notation/{epreuve}/standard-setting",
                        params={"method": "angoff", "estimates": "0.5 0.6\n0.7 0.4"})
    assert angoff.status_code == 200 and "Angoff" in angoff.text
    wrong = office.get(f"/ui/notation/{epreuve}/standard-setting", params={"method": "angoff", "estimates": "0.5"})
    assert wrong.status_code == 422
    assert "Pas de seuil : estimations, ligne 1 : 1 nombres pour 2 items" in html.unescape(wrong.text)
