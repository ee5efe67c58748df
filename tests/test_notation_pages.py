"""NOTATION pages without a browser and without JavaScript: plain form posts answered by a redirect, refusals
said in words with nothing written, the barème's dry run shown before it is saved, publication freezing the
grades, a student reading their published result; the browser journey is tests/browser/test_browser_notation.py."""

from __future__ import annotations

import html

import pytest

from api.app import create_app
from services import dataset
from services.platform import Platform
from services.synthetic import Scale
from store.embedded import OxigraphStore
from tests.conftest import make_settings
from tests.page_forms import dump, fields, post, signed_in

BASE = "https://data.ontosides.fr/"
EPREUVE = "u0f0c0-1"
SCALE = Scale(universities=2, students_per_faculty=8, teachers_per_faculty=3, referentiel_items=30,
              objectives_per_item=8, questions_per_faculty=6, questions_per_epreuve=5)


@pytest.fixture(scope="module")
def app():
    """The platform over a demo with an épreuve to correct (QROC, QROL), with demo sign-in."""
    settings = make_settings(demo_login=True)
    platform = Platform.build(settings, OxigraphStore(base_iri=settings.base_iri))
    dataset.load_demo(platform, SCALE)
    return create_app(settings, platform.store)


def test_grading_is_on_the_home_page_of_graders_and_results_on_the_students(app):
    for person in ("cor0-0", "rs0-0"):
        home = html.unescape(signed_in(app, person).get("/ui/").text)
        assert '<a href="/ui/notation">Notation</a>' in home, person
    student = signed_in(app, "s0-0-0")
    home = html.unescape(student.get("/ui/").text)
    assert '<a href="/ui/notation/me">Mes résultats</a>' in home and 'href="/ui/notation"' not in home
    refused = student.get("/ui/notation")
    assert refused.status_code == 403 and "grading:grade" in refused.text
    assert student.get(f"/ui/notation/{EPREUVE}").status_code == 403
    # A grader corrects but neither publishes nor releases to the annals: the page does not offer it.
    grader = signed_in(app, "cor0-0")
    page = html.unescape(grader.get(f"/ui/notation/{EPREUVE}/publication").text)
    assert "La publication revient au responsable de la scolarité." in page
    assert 'action="/ui/notation/u0f0c0-1/publication"' not in page and "/annals\"" not in page
    assert grader.post(f"/ui/notation/{EPREUVE}/publication", data=fields(grader, {"confirm": "1"})).status_code == 403
    # A supervisor does not grade.
    assert signed_in(app, "sup0-0").get(f"/ui/notation/{EPREUVE}").status_code == 403


def test_a_grader_corrects_grades_changes_the_bareme_and_publishes_with_plain_forms(app):
    office = signed_in(app, "rs0-0")
    listing = html.unescape(office.get("/ui/notation").text)
    assert "Examen à corriger (QROC, QROL)" in listing and f'href="/ui/notation/{EPREUVE}"' in listing
    base = f"/ui/notation/{EPREUVE}"
    overview = html.unescape(office.get(base).text)
    assert "En cours" in overview and "Corriger la QROC 4" in overview and "Corriger la QROL 6" in overview

    # The students and a copy's detail.
    students = html.unescape(office.get(f"{base}/students").text)
    assert "s0-0-4@univ-grenoble.example.fr" in students and "Bertrand" in students
    copy = html.unescape(office.get(f"{base}/copy", params={"candidate": f"{BASE}person/s0-0-4"}).text)
    assert "Question 1" in copy and "Pourquoi : QRU edn-2023" in copy

    # A dry run writes nothing; a refusal is said in words.
    before = dump(app)
    _, message = post(office, f"{base}/grades", {"save": "0"})
    assert message.startswith("Simulation, rien n'est enregistré : 8 copies") and dump(app) == before
    _, message = post(office, f"{base}/publication", {"confirm": "1"})
    assert message.startswith("Rien n'a été enregistré : corrections remain")

    # QROC: the group of unexpected answers gets its points, once for every copy that wrote it.
    qroc = html.unescape(office.get(f"{base}/qroc/4").text)
    assert "apendicite" in qroc and "appendicite" in qroc
    _, message = post(office, f"{base}/qroc/4", {"answer": "apendicite", "points": "abc"})
    assert message.startswith("Rien n'a été enregistré :") and "abc" in message
    _, message = post(office, f"{base}/qroc/4", {"answer": "apendicite", "points": "0,5"})
    assert message == "Réponse « apendicite » corrigée."
    assert office.get(f"/notation/epreuves/{EPREUVE}/qroc/4").json()["pending"] == 0
    for group in office.get(f"/notation/epreuves/{EPREUVE}/qroc/5").json()["unexpected"]:
        post(office, f"{base}/qroc/5", {"answer": group["answer"], "points": "0"})

    # QROL copy by copy: above the maximum is refused.
    qrol = office.get(f"/notation/epreuves/{EPREUVE}/qrol/6").json()
    todo = [c["candidate"] for c in qrol["copies"] if c["to_correct"]]
    assert "Antibiothérapie" in html.unescape(office.get(f"{base}/qrol/6", params={"todo": "1"}).text)
    _, message = post(office, f"{base}/qrol/6", {"candidate": todo[0], "points": "9", "todo": "1"})
    assert message.startswith("Rien n'a été enregistré :")
    for candidate in todo:
        _, message = post(office, f"{base}/qrol/6", {"candidate": candidate, "points": "3", "comment": "Bien"})
        assert message.startswith("Copie de ") and message.endswith(" corrigée.")
    assert "Complété" in html.unescape(office.get(base).text)
    _, message = post(office, f"{base}/grades", {"save": "1"})
    assert message.startswith("Notes enregistrées : 8 copies") and "Complété" in message

    # Barème: the dry run shows who gains and who loses, nothing written; then saved, with its history.
    form = {"item-1-max_points": "10", "item-1-coefficient": "1"}
    before = dump(app)
    dry = office.post(f"{base}/bareme", data=fields(office, {**form, "action": "dry-run"}))
    text = html.unescape(dry.text)
    assert dry.status_code == 200 and "Simulation : rien n'est encore enregistré" in text
    assert "Qui perd" in text and 'value="10"' in text and dump(app) == before
    wrong = html.unescape(office.post(f"{base}/bareme", data=fields(office, {"item-1-coefficient": "x",
                                                                           "action": "dry-run"})).text)
    assert "Rien n'a été enregistré : Coefficient (1)" in wrong
    _, message = post(office, f"{base}/bareme", {**form, "action": "save"})
    assert message.startswith("Barème enregistré (item 1: out of 20.0 → 10")
    assert "item 1: out of 20.0 → 10" in html.unescape(office.get(f"{base}/bareme").text)

    # Analysis, then publication: confirmation required, frozen afterwards, revoked with a reason.
    analysis = html.unescape(office.get(f"{base}/analysis").text)
    assert "Facilité" in analysis and "Alpha de Cronbach" in analysis
    _, message = post(office, f"{base}/publication", {})
    assert message == "Rien n'a été enregistré : cochez la case pour confirmer la publication."
    _, message = post(office, f"{base}/publication", {"confirm": "1"})
    assert message == "Notes officiellement publiées."
    _, message = post(office, f"{base}/qroc/4", {"answer": "apendicite", "points": "1"})
    assert message.startswith("Rien n'a été enregistré : the grades of épreuve") and "published" in message
    export = office.get(f"/notation/epreuves/{EPREUVE}/export", params={"format": "csv"})
    assert export.status_code == 200 and "s0-0-4@univ-grenoble.example.fr" in export.text

    # The student sees the published grade and the copy; not another's.
    student = signed_in(app, "s0-0-0")
    mine = html.unescape(student.get("/ui/notation/me").text)
    assert "Épreuve 1 — u0f0c0" in mine and "Ma copie de" in mine
    own = student.get(f"{base}/copy", params={"candidate": f"{BASE}person/s0-0-0"})
    assert own.status_code == 200 and "Pourquoi" in html.unescape(own.text)
    assert student.get(f"{base}/copy", params={"candidate": f"{BASE}person/s0-0-1"}).status_code == 404

    # Revocation needs a reason; it lets the grades change again, and the audit trail keeps it.
    _, message = post(office, f"{base}/publication/revoke", {"reason": " "})
    assert message.startswith("Rien n'a été enregistré : reason")
    _, message = post(office, f"{base}/publication/revoke", {"reason": "Erreur de barème"})
    assert message == "Publication révoquée."
    assert "Erreur de barème" in html.unescape(office.get(f"{base}/publication").text)
    assert "Mes résultats" in student.get("/ui/notation/me").text
    assert "Épreuve 1 — u0f0c0" not in html.unescape(student.get("/ui/notation/me").text)


def test_annals_release_after_publication(app):
    office = signed_in(app, "rs0-0")
    base = "/ui/notation/u0f0e0-1"  # the demo's published épreuve
    page = html.unescape(office.get(f"{base}/publication").text)
    assert "Révoquer la publication" in page
    _, message = post(office, f"{base}/annals", {})
    assert message == "Rien n'a été enregistré : cochez au moins un élément à publier"
    _, message = post(office, f"{base}/annals", [("items", "1")])
    assert message.startswith("Éléments publiés dans la banque de questions")
    # A student of the formation finds the bank and practises: the subject without the key, the key on demand.
    student = signed_in(app, "s0-0-0")
    home = html.unescape(student.get("/ui/").text)
    assert "/ui/notation/banks" in home
    banks = html.unescape(student.get("/ui/notation/banks").text)
    assert 'href="/ui/notation/banks/univ-0-ufr-0"' in banks
    bank = student.get("/ui/notation/banks/univ-0-ufr-0")
    assert bank.status_code == 200
    shown = html.unescape(bank.text)
    released = app.state.notation.bank(app.state.access.directory.principal("https://data.ontosides.fr/person/s0-0-0", "test"),
                                       "univ-0-ufr-0")["items"]
    assert released and all((i["title"] or i["item"]) in shown for i in released)
    subject, correction = shown.split("<summary>", 1)
    assert "✔" not in subject and "✘" not in subject  # the subject shows no key
    assert "✔" in correction  # the correction does
    assert student.get("/ui/notation/banks/univ-9-ufr-9").status_code == 404
