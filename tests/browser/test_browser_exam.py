"""EXAMEN and SUPERVISEUR in a real browser: a candidate takes an épreuve of every question type (markers,
notepad, a progressive dossier, an incident, the hand-in); another loses the network, answers, reloads the page
without network, gets the network back and finds every answer stored with its latest sequence number; a supervisor
follows the épreuve live, resolves an incident, signs a candidate in and out, hands devices and downloads the
attendance sheet.

The épreuve is planned through the API (items through the STUDIO, the exam through the planner, made ready), so it
starts tomorrow as the planner wants; the taking service's clock, read by the live server running in this
process, is then moved 5 minutes past its start — as tests/test_taking.py does — and every request goes through
the real HTTP API and pages."""

from __future__ import annotations

import datetime as dt
import re
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from playwright.sync_api import Page, expect

from api.app import create_app
from services import dataset
from services.platform import Platform
from services.settings import Settings
from services.synthetic import Scale
from services.taking.service import utc_now
from store.embedded import OxigraphStore
from tests.browser.conftest import accessible, shot, sign_in
from tests.conftest import LiveServer, make_settings

BASE = "https://data.ontosides.fr/"
UFR0 = f"{BASE}org/univ-0/ufr-0"
COHORT0 = f"{BASE}group/univ-0-ufr-0-dfasm1-2025"
OFFER0 = f"{BASE}offer/univ-0-ufr-0-dfasm1-2025"
SCALE = f"{BASE}list/echelle-tcs"
TITLE = "Épreuve de tous les types"
OS = "https://w3id.org/ontosides#"


def person(key: str) -> str:
    return f"{BASE}person/{key}"


def options(*texts: str, right: tuple[int, ...] = (0,)) -> list[dict]:
    return [{"text": t, "correct": i in right} for i, t in enumerate(texts)]


def qi(title: str, question: dict) -> dict:
    return {"kind": "QI", "title": title, "owner": UFR0, "status": "validated", "question": question}


def items(picture: str) -> list[dict]:
    """One item of each question type, and a progressive dossier, in the épreuve's order."""
    return [
        qi("Angine", {"type": "QRU", "statement": "Quel germe cause le plus souvent l'angine bactérienne ?",
                      "options": options("Streptocoque A", "Staphylocoque doré", "Pneumocoque", "Haemophilus")}),
        qi("Méningite", {"type": "QRM", "statement": "Quels signes évoquent une méningite ?",
                         "options": options("Raideur de nuque", "Photophobie", "Prurit", "Purpura", right=(0, 1, 3))}),
        qi("Listériose", {"type": "QROC", "statement": "Nom du germe de la listériose ?",
                          "accepted_answers": ["Listeria monocytogenes", "Listeria"]}),
        qi("Kaliémie", {"type": "NUMERIQUE", "statement": "Kaliémie normale maximale ?", "value": 5.0,
                        "tolerance": 0.1, "unit": "mmol/L"}),
        qi("Radiographie", {"type": "ZONE", "statement": "Cliquez sur le foyer pulmonaire.", "image": picture,
                            "areas": [{"shape": "rect", "coords": "10,20,110,90"}]}),
        qi("Antibiotiques", {"type": "ASSOCIATION", "statement": "Associez chaque germe à son traitement.",
                             "pairs": [{"left": "Streptocoque A", "right": "Amoxicilline"},
                                       {"left": "Mycoplasme", "right": "Macrolide"}]}),
        qi("Embolie", {"type": "TCS", "statement": "Quel est l'effet de cette information ?",
                       "hypothesis": "une embolie pulmonaire", "new_information": "les D-dimères sont négatifs",
                       "scale": SCALE, "expert_answers": [{"value": f"{SCALE}/2-fortement-infirmee", "count": 7}]}),
        qi("Insuffisance cardiaque", {"type": "QROL", "statement": "Expliquez la physiopathologie de l'insuffisance "
                                      "cardiaque.", "model_answer": "Baisse du débit …", "max_points": 10}),
        {"kind": "DP", "title": "Douleur thoracique", "owner": UFR0, "status": "validated",
         "vignette": "Homme de 58 ans, douleur thoracique depuis une heure.",
         "questions": [{"type": "QRU", "statement": "Quel examen faites-vous en premier ?",
                        "options": options("ECG", "Scanner thoracique", "IRM cardiaque", "Échographie")},
                       {"type": "QRM", "statement": "Quels traitements donnez-vous ?",
                        "new_information": "L'ECG montre un sus-décalage du segment ST.",
                        "options": options("Aspirine", "Héparine", "Amoxicilline", "Paracétamol",
                                           right=(0, 1))}]},
    ]


def png(width: int = 240, height: int = 160) -> bytes:
    """A small grey picture with a dark square (a PNG written by hand: no imaging library needed)."""
    rows = b"".join(b"\x00" + bytes(40 if 10 <= x <= 110 and 20 <= y <= 90 else 200 for x in range(width))
                    for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


class ShiftedClock:
    """The server's clock moved by a fixed offset (the épreuve is open now for the taking service)."""

    def __init__(self, offset: dt.timedelta):
        self.offset = offset

    def __call__(self) -> dt.datetime:
        return utc_now() + self.offset


@dataclass
class ExamSite:
    """The platform under test, its app (in this process), the planned exam and API tokens."""

    url: str
    settings: Settings
    platform: Platform
    app: object
    key: str
    api: httpx.Client
    tokens: dict[str, dict]


@pytest.fixture(scope="module")
def exam_site():
    """A demo platform served for real, with an épreuve of every question type planned through the API for the
    first cohort, ready, and open now for the taking service."""
    settings = make_settings(demo_login=True)
    platform = Platform.build(settings, OxigraphStore(base_iri=settings.base_iri))
    dataset.load_demo(platform, Scale(universities=1, students_per_faculty=4, teachers_per_faculty=2,
                                      referentiel_items=4, objectives_per_item=2, questions_per_faculty=4,
                                      questions_per_epreuve=3))
    app = create_app(settings, platform.store)
    with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=60) as api:
        tokens = {}
        for key in ("ge0-0", "rs0-0", "s0-0-0", "s0-0-1", "s0-0-2"):
            token, _ = app.state.access.tokens.issue(person(key), "browser test", 1, None)
            tokens[key] = {"Authorization": f"Bearer {token}"}
        media = api.post("/media", content=png(), headers={**tokens["ge0-0"], "Content-Type": "image/png"})
        assert media.status_code == 201, media.text
        ids = []
        for item in items(media.json()["iri"]):
            created = api.post("/items", json=item, headers=tokens["ge0-0"])
            assert created.status_code == 201, created.text
            ids.append(created.json()["id"])
        tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
        body = {"title": "Examen blanc DFASM1", "short_name": "BLANC1", "offers": [OFFER0],
                "epreuves": [{"title": TITLE, "start": f"{tomorrow}T09:00:00", "duration_minutes": 120,
                              "slots": [{"item": i} for i in ids], "registrations": {"groups": [COHORT0]}}]}
        exam = api.post("/planner/exams", json=body, headers=tokens["rs0-0"])
        assert exam.status_code == 201, exam.text
        key = exam.json()["key"]
        ready = api.post(f"/planner/exams/{key}/epreuves/1/status", json={"status": "ready"}, headers=tokens["rs0-0"])
        assert ready.status_code == 200, ready.text
        start = app.state.taking.snapshot(key, 1).start
        app.state.taking.clock = ShiftedClock(start + dt.timedelta(minutes=5) - utc_now())
        yield ExamSite(server.url, settings, platform, app, key, api, tokens)


def question(page: Page, statement: str):
    """A question's fieldset, found by its statement."""
    return page.locator("fieldset.question").filter(has=page.locator("p.statement", has_text=statement))


def state(page: Page):
    """The page's save state (« Enregistré », « Hors ligne, N réponses en attente »)."""
    return page.locator("#save-state")


def stored(site: ExamSite, candidate: str, key: str) -> dict:
    """The answer to a question as the store holds it, once every acknowledged save is applied."""
    assert site.app.state.taking.drain()
    answer = ox.NamedNode(f"{BASE}answer/{site.key}-1/{candidate}/{key}")
    facts: dict[str, list[str]] = {}
    for row in site.platform.store.select(f"SELECT ?p ?o WHERE {{ GRAPH ?g {{ {answer} ?p ?o }} }}").rows:
        facts.setdefault(row["p"].value.rsplit("#", 1)[-1], []).append(row["o"].value)
    return facts


def test_a_candidate_answers_every_type_marks_takes_notes_and_hands_in(page, exam_site):
    site = exam_site
    sign_in(page, site, "Étudiant", "/ui/exam")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes épreuves")
    opened = page.locator("section", has=page.get_by_role("heading", name="Ouvertes maintenant"))
    expect(opened).to_contain_text(TITLE)
    coming = page.locator("section", has=page.get_by_role("heading", name="À venir"))
    expect(coming).to_contain_text("Dossiers progressifs")  # the demo's épreuve of next month
    accessible(page, "Mes épreuves")
    page.get_by_role("button", name=f"Commencer {TITLE}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(state(page)).to_have_text("Enregistré")
    expect(page.locator("#timer")).to_have_text(re.compile(r"^1:\d\d:\d\d$"))
    accessible(page, "the taking page")

    question(page, "angine bactérienne").get_by_label("A. Streptocoque A").check()
    meningitis = question(page, "méningite")
    meningitis.get_by_label("A. Raideur de nuque").check()
    meningitis.get_by_label("D. Purpura").check()
    meningitis.get_by_label("À revoir").check()
    expect(page.locator(".exam-index .review:visible")).to_have_count(1)
    listeria = question(page, "listériose")
    listeria.get_by_label("Votre réponse").fill("Listeria monocytogenes")
    listeria.locator("summary").click()
    listeria.get_by_label("Bloc-notes de Question 3").fill("vérifier l'orthographe")
    potassium = question(page, "Kaliémie")
    potassium.get_by_label("Nombre").fill("5.1")
    potassium.get_by_label("Unité").fill("mmol/L")
    zone = question(page, "foyer pulmonaire")
    picture = zone.get_by_role("img")
    expect(picture).to_have_js_property("complete", True)
    box = picture.bounding_box()
    natural = picture.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    picture.click(position={"x": 60 * box["width"] / natural[0], "y": 50 * box["height"] / natural[1]})
    expect(zone.get_by_label("x (pixels depuis la gauche)")).to_have_value(re.compile(r"^(59|60|61)$"))
    antibiotics = question(page, "traitement")
    antibiotics.get_by_label("Streptocoque A").select_option("Amoxicilline")
    antibiotics.get_by_label("Mycoplasme").select_option("Macrolide")
    question(page, "effet de cette information").get_by_label("-2 : fortement infirmée").check()
    question(page, "physiopathologie").get_by_label("Votre réponse").fill("Baisse du débit cardiaque.")
    question(page, "examen faites-vous").get_by_label("A. ECG").check()
    expect(state(page)).to_have_text("Enregistré")
    accessible(page, "the taking page, answered")
    shot(page, "candidate-answering")

    # The next step of the dossier: its first step locks, the second shows.
    page.get_by_role("button", name="Étape suivante de l'item 9").click()
    expect(page.locator("#flash")).to_contain_text("Étape suivante affichée")
    expect(question(page, "examen faites-vous")).to_contain_text("étape verrouillée")
    expect(question(page, "examen faites-vous").get_by_label("A. ECG")).to_be_disabled()
    second = question(page, "traitements donnez-vous")
    expect(second).to_contain_text("sus-décalage")
    second.get_by_label("A. Aspirine").check()
    second.get_by_label("B. Héparine").check()
    expect(state(page)).to_have_text("Enregistré")

    # A reload shows what the server kept.
    page.reload()
    expect(question(page, "angine bactérienne").get_by_label("A. Streptocoque A")).to_be_checked()
    expect(meningitis.get_by_label("D. Purpura")).to_be_checked()
    expect(meningitis.get_by_label("À revoir")).to_be_checked()
    expect(listeria.get_by_label("Votre réponse")).to_have_value("Listeria monocytogenes")
    expect(listeria.get_by_label("Bloc-notes de Question 3")).to_have_value("vérifier l'orthographe")
    expect(potassium.get_by_label("Nombre")).to_have_value("5.1")
    expect(potassium.get_by_label("Unité")).to_have_value("mmol/L")
    expect(antibiotics.get_by_label("Mycoplasme")).to_have_value("Macrolide")
    expect(question(page, "effet de cette information").get_by_label("-2 : fortement infirmée")).to_be_checked()
    expect(second.get_by_label("B. Héparine")).to_be_checked()
    session = site.api.post(f"/taking/{site.key}/1/session", headers=site.tokens["s0-0-0"]).json()
    answers = session["answers"]
    assert answers["3"]["text"] == "Listeria monocytogenes" and answers["3"]["notepad"] == "vérifier l'orthographe"
    assert answers["2"]["marker"] is True and len(answers["2"]["options"]) == 2
    assert answers["4"] == {**answers["4"], "number": 5.1, "unit": "mmol/L"}
    assert 58 <= answers["5"]["x"] <= 62 and 48 <= answers["5"]["y"] <= 52
    assert sorted(answers["6"]["pairs"]) == [["Mycoplasme", "Macrolide"], ["Streptocoque A", "Amoxicilline"]]
    assert answers["7"]["value"] == f"{SCALE}/2-fortement-infirmee" and "9.2" in answers

    # An incident, sent without leaving the page.
    page.get_by_label("Ce qui s'est passé").fill("Mon écran clignote")
    page.get_by_role("button", name="Envoyer aux surveillants").click()
    expect(page.locator("#flash")).to_contain_text("Votre signalement a été transmis aux surveillants.")
    expect(page.get_by_label("Ce qui s'est passé")).to_have_value("")

    # Hand in, after a confirmation that says what is answered and what is marked.
    page.get_by_role("link", name="Rendre ma copie").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rendre ma copie")
    expect(page.locator("p.lead")).to_have_text("Vous avez répondu à 10 questions sur 10.")
    expect(page.get_by_role("link", name="Question 2")).to_be_visible()
    accessible(page, "the hand-in confirmation")
    page.get_by_role("button", name="Rendre ma copie maintenant").click()
    expect(page).to_have_url(f"{site.url}/ui/exam")
    expect(page.locator("#flash")).to_contain_text("Votre copie a été rendue à")
    expect(page.locator("#flash")).to_contain_text("10 réponses")
    expect(opened).to_contain_text("copie rendue")
    shot(page, "candidate-handed-in")
    assert stored(site, "s0-0-0", "1")["selectedOption"]
    refused = site.api.put(f"/taking/{site.key}/1/answers/1", json={"seq": 2**40}, headers=site.tokens["s0-0-0"])
    assert refused.status_code == 409 and "handed in" in refused.json()["detail"]


def test_answers_made_offline_wait_on_the_device_and_reach_the_store(page, exam_site):
    site = exam_site
    # Signed in with a platform token (the demo sign-in offers one student only).
    page.goto(f"{site.url}/ui/login?next=/ui/exam/{site.key}/1")
    page.get_by_label("Jeton", exact=True).fill(site.tokens["s0-0-1"]["Authorization"][7:])
    page.get_by_role("button", name="Se connecter", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    accessible(page, "the start page")
    page.get_by_role("button", name="Commencer l'épreuve").click()
    expect(state(page)).to_have_text("Enregistré")
    question(page, "angine bactérienne").get_by_label("B. Staphylocoque doré").check()
    expect(state(page)).to_have_text("Enregistré")
    expect(page.locator("html")).to_have_attribute("data-offline-ready", "true")  # the worker keeps the page

    page.context.set_offline(True)
    streptococcus = question(page, "angine bactérienne").get_by_label("A. Streptocoque A")
    streptococcus.check()
    option_a = streptococcus.get_attribute("value")
    question(page, "méningite").get_by_label("B. Photophobie").check()
    question(page, "listériose").get_by_label("Votre réponse").fill("Listeria")
    potassium = question(page, "Kaliémie")
    potassium.get_by_label("Nombre").fill("4.9")
    question(page, "traitement").get_by_label("Mycoplasme").select_option("Macrolide")
    expect(state(page)).to_have_text("Hors ligne, 5 réponses en attente")
    accessible(page, "the taking page offline")
    shot(page, "candidate-offline")

    # Typed right before the reload, inside the save's 600 ms debounce: leaving the page keeps it.
    potassium.get_by_label("Unité").fill("mmol/L")
    # A reload without network: the worker gives the page, IndexedDB the answers still waiting.
    reloaded = page.reload()
    assert reloaded is not None and reloaded.ok and reloaded.from_service_worker
    expect(state(page)).to_have_text("Hors ligne, 5 réponses en attente")
    expect(question(page, "angine bactérienne").get_by_label("A. Streptocoque A")).to_be_checked()
    expect(question(page, "listériose").get_by_label("Votre réponse")).to_have_value("Listeria")
    expect(question(page, "Kaliémie").get_by_label("Nombre")).to_have_value("4.9")
    expect(question(page, "Kaliémie").get_by_label("Unité")).to_have_value("mmol/L")
    expect(question(page, "foyer pulmonaire").get_by_role("img")).to_have_js_property("naturalWidth", 240)
    question(page, "physiopathologie").get_by_label("Votre réponse").fill("Le cœur ne suffit plus.")
    expect(state(page)).to_have_text("Hors ligne, 6 réponses en attente")

    with page.expect_response(lambda r: r.url.endswith(f"/taking/{site.key}/1/answers")
                              and r.request.method == "POST") as batch:
        page.context.set_offline(False)
    results = batch.value.json()["results"]
    assert sorted(r["question"] for r in results) == ["1", "2", "3", "4", "6", "8"]
    assert {r["status"] for r in results} == {"kept"}
    expect(state(page)).to_have_text("Enregistré")
    seqs = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('fieldset.question')]
                                                    .map(f => [f.dataset.key, Number(f.dataset.seq)]))""")
    for key in ("1", "2", "3", "4", "6", "8"):
        facts = stored(site, "s0-0-1", key)
        assert facts["sequence"] == [str(seqs[key])], (key, facts, seqs[key])
    assert stored(site, "s0-0-1", "1")["selectedOption"] == [option_a]
    assert stored(site, "s0-0-1", "3")["textAnswer"] == ["Listeria"]
    assert stored(site, "s0-0-1", "4")["numericAnswer"] == ["4.9"] and stored(site, "s0-0-1", "4")["unit"] == ["mmol/L"]
    assert stored(site, "s0-0-1", "8")["textAnswer"] == ["Le cœur ne suffit plus."]
    # The batch again (as a device whose acknowledgements were lost would send it): nothing changes.
    session = site.api.post(f"/taking/{site.key}/1/session", headers=site.tokens["s0-0-1"]).json()
    again = site.api.post(f"/taking/{site.key}/1/answers", headers=site.tokens["s0-0-1"], json={"answers": [
        {"question": "3", "seq": seqs["3"], "text": "Listeria"}, {"question": "3", "seq": seqs["3"] - 1, "text": "x"}]})
    assert [r["status"] for r in again.json()["results"]] == ["kept", "superseded"]
    assert session["answers"]["3"]["seq"] == seqs["3"]


def forgive_cut_polls(page: Page) -> None:
    """A poll of the live view cut by leaving the page is no failure."""
    page.watch.problems[:] = [p for p in page.watch.problems
                              if not re.search(r"failed request: GET .*/live(\?.*)? \(net::ERR_ABORTED\)", p)]


def test_a_supervisor_follows_live_resolves_an_incident_signs_in_and_out_and_exports(page, exam_site):
    site = exam_site
    s2 = site.tokens["s0-0-2"]
    assert site.api.post(f"/taking/{site.key}/1/session", headers=s2).status_code == 200
    assert site.api.post(f"/taking/{site.key}/1/incidents", json={"description": "Ma tablette s'est éteinte"},
                         headers=s2).status_code == 201
    sign_in(page, site, "Superviseur", "/ui/supervision")
    expect(page.get_by_role("heading", level=1)).to_have_text("Surveillance des épreuves")
    accessible(page, "the épreuves to follow")
    page.get_by_role("link", name=f"Vue en direct de {TITLE}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    row = page.locator('#live tr[data-person="s0-0-2"]')
    expect(row).to_contain_text("commencé")
    incident = page.locator("#live li", has_text="Ma tablette s'est éteinte")
    expect(incident).to_be_visible()
    accessible(page, "the live view")
    shot(page, "supervisor-live")

    # The live view follows the épreuve by itself: the candidate hands in, the row says so.
    assert site.api.post(f"/taking/{site.key}/1/submit", headers=s2).status_code == 200
    expect(row).to_contain_text("copie rendue", timeout=12_000)

    incident.get_by_label("Comment il a été résolu").fill("Tablette remplacée")
    incident.get_by_role("button", name=re.compile("^Résoudre")).click()
    expect(page.locator("#flash")).to_contain_text("Incident résolu.")
    expect(page.locator("#live li", has_text="Ma tablette s'est éteinte")).to_contain_text("Tablette remplacée")

    page.get_by_role("link", name="Écran d'émargement").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Émargement")
    accessible(page, "the attendance screen")
    line = page.locator('tr[data-person="s0-0-2"]')
    line.get_by_label("Salle", exact=True).fill("Amphi A")
    line.get_by_label("Place", exact=True).fill("12")
    line.get_by_role("button", name=re.compile("^Entrée")).click()
    expect(page.locator("#flash")).to_contain_text("entrée à")
    expect(line).to_contain_text("entrée à")
    line.get_by_label("Appareil", exact=True).fill("TAB-0042")
    line.get_by_role("button", name=re.compile("^Remettre un appareil")).click()
    expect(page.locator("#flash")).to_contain_text("TAB-0042")
    line.get_by_label("Appareil", exact=True).fill("TAB-0043")
    expect(line.get_by_label("Remplace", exact=True)).to_have_value(re.compile("/device/s0-0-2/1$"))
    line.get_by_role("button", name=re.compile("^Remettre un appareil")).click()
    expect(line).to_contain_text("TAB-0043")
    line.get_by_role("button", name=re.compile("^Sortie")).click()
    expect(page.locator("#flash")).to_contain_text("sortie à")
    expect(line).to_contain_text("sortie à")
    page.get_by_label("Candidat concerné").select_option(person("s0-0-2"))
    page.get_by_label("Ce qui s'est passé").fill("Bruit dans la salle")
    page.get_by_role("button", name="Signaler l'incident").click()
    expect(page.locator("#flash")).to_contain_text("Incident signalé.")
    expect(page.locator("li", has_text="Bruit dans la salle")).to_be_visible()
    page.locator("#room-filter").select_option("Amphi A")
    page.get_by_role("button", name="Afficher").click()
    expect(page.locator("table.attendance tbody tr")).to_have_count(1)
    accessible(page, "the attendance screen of a room")
    shot(page, "supervisor-attendance")

    with page.expect_download() as download:
        page.get_by_role("link", name="Feuille d'émargement (CSV)").click()
    sheet = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "Amphi A;12;" in sheet and "TAB-0042, TAB-0043" in sheet
    live = site.api.get(f"/supervision/{site.key}/1", headers=site.tokens["rs0-0"]).json()
    row = next(r for r in live["candidates"] if r["person"] == person("s0-0-2"))
    assert row["signed_in"] and row["signed_out"] and row["status"] == "submitted"
    assert next(i for i in live["incidents"] if i["description"] == "Ma tablette s'est éteinte")["resolved_by"] \
        == person("sup0-0")
    forgive_cut_polls(page)
