"""Journeys in a real browser: a researcher runs a named query and downloads its CSV, then their own SPARQL;
the school office manages functions, a cohort's students, the training offer and a group; a teacher keeps
their e-mail addresses and tokens; a newcomer signs in through their university (OpenID Connect)."""

from __future__ import annotations

import email
import re
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import accessible, shot, sign_in


def test_a_researcher_runs_a_named_query_and_downloads_its_csv(page, site):
    sign_in(page, site, "Chercheur")
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Console SPARQL").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Console SPARQL")
    expect(page.locator("#yasgui .CodeMirror")).to_be_visible()
    accessible(page, "the SPARQL console")
    page.get_by_role("link", name="referentiel_items", exact=True).click()
    section = page.locator("#q-referentiel_items")
    expect(section.get_by_label(re.compile("^scheme"))).to_have_value("https://data.ontosides.fr/list/referentiel")
    section.get_by_role("button", name="Lancer").click()
    results = page.locator("#results")
    expect(results.get_by_role("heading")).to_have_text("Résultats de referentiel_items")
    expect(results.locator("tbody tr")).to_have_count(30)
    expect(results).to_contain_text("30 lignes.")
    accessible(page, "the results of a named query")
    shot(page, "researcher-named-query")
    with page.expect_download() as download:
        results.get_by_role("link", name="Télécharger le CSV").click()
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0].split(",") == ["item", "number", "label", "rankA", "rankB"]
    assert len(lines) == 31
    # Their own query, sent by YASGUI to /sparql with the session and its anti-forgery header.
    page.locator("#yasgui .yasqe_queryButton").click()
    expect(page.locator("#yasgui .yasr_results table tbody tr").first).to_be_visible()
    shot(page, "researcher-yasgui")


def flash(page):
    """The status region of the page."""
    return page.locator("#flash")


def test_the_school_office_manages_functions_cohorts_offers_and_groups(page, site):
    sign_in(page, site, "Responsable scolarité", "/ui/cockpit/people")
    page.get_by_role("searchbox", name="Nom, adresse, EPPN ou identifiant").fill("t0-0-1")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator("table tbody tr")).to_have_count(1)
    accessible(page, "Utilisateurs et fonctions")
    page.locator("table tbody tr a").click()
    expect(page.get_by_role("heading", name="Fonctions", exact=True)).to_be_visible()
    page.get_by_label("Fonction").select_option(label="Gestionnaire d'épreuves")
    page.get_by_role("button", name="Attribuer", exact=True).click()
    expect(flash(page)).to_contain_text("Fonction attribuée.")
    expect(page.locator("table").first).to_contain_text("Gestionnaire d'épreuves")
    accessible(page, "a person's functions")
    # A form gone stale (the function is no longer one this person may grant): the refusal says why.
    page.evaluate("""() => { const s = document.getElementById('give-function');
                             s.add(new Option('Chercheur', 'Chercheur')); s.value = 'Chercheur'; }""")
    page.get_by_role("button", name="Attribuer", exact=True).click()
    expect(flash(page)).to_contain_text("you may not grant the function Chercheur")
    shot(page, "school-office-functions")

    page.get_by_role("link", name="Groupes des promotions").first.click()
    page.get_by_role("link", name=re.compile("Promotion DFASM1")).first.click()
    expect(page.get_by_role("heading", name="8 étudiants")).to_be_visible()
    accessible(page, "a cohort")
    with page.expect_download() as template:
        page.get_by_role("link", name="Télécharger le modèle de fichier d'importation").click()
    assert Path(template.value.path()).read_bytes().decode("utf-8-sig").startswith("Nom;Prénom;Courriel;EPPN")
    bad = "Nom;Prénom;Courriel;EPPN\nDurand;Léa;lea.durand@etu.example.fr;ldurand@univ-grenoble.example.fr\n" \
          "Martin;;pas-une-adresse;\n"
    page.get_by_label("Fichier des étudiants").set_input_files(
        files=[{"name": "promo.csv", "mimeType": "text/csv", "buffer": bad.encode()}])
    page.get_by_role("button", name="Importer").click()
    expect(flash(page)).to_contain_text("rien n'a été enregistré")
    refused = page.locator("table.import-errors tbody tr")
    expect(refused.first).to_contain_text("3")
    expect(page.get_by_role("heading", name="8 étudiants")).to_be_visible()
    accessible(page, "an import refused line by line")
    shot(page, "school-office-import-refused")
    good = "Nom;Prénom;Courriel;EPPN\nDurand;Léa;lea.durand@etu.example.fr;ldurand@univ-grenoble.example.fr\n"
    page.get_by_label("Fichier des étudiants").set_input_files(
        files=[{"name": "promo.csv", "mimeType": "text/csv", "buffer": good.encode()}])
    page.get_by_role("button", name="Importer").click()
    expect(flash(page)).to_contain_text("1 créé(s)")
    expect(page.get_by_role("heading", name="9 étudiants")).to_be_visible()
    expect(page.get_by_role("cell", name="Léa Durand")).to_be_visible()

    page.get_by_role("link", name="Offre de formation").first.click()
    page.get_by_label("Année d'étude").select_option(label="DFASM2")
    page.get_by_label("Période (par ex. 2026-2027)").fill("2026-2027")
    page.get_by_role("button", name="Ajouter l'offre").click()
    expect(flash(page)).to_contain_text("Offre de formation ajoutée")
    expect(page.get_by_role("link", name="DFASM2 2026-2027")).to_be_visible()
    accessible(page, "the training offer")

    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Groupes", exact=True).click()
    page.get_by_label("Nom du groupe").fill("Rattrapage DFASM1")
    page.get_by_role("button", name="Créer le groupe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rattrapage DFASM1")
    page.get_by_label("Personne (identifiant ou adresse vérifiée)").fill("s0-0-1")
    page.get_by_role("button", name="Ajouter", exact=True).click()
    expect(flash(page)).to_contain_text("Le groupe est modifié.")
    members = page.locator("table").first
    expect(members).to_contain_text("s0-0-1")
    accessible(page, "a group")
    shot(page, "school-office-group")


def latest_code(outbox: str, address: str) -> str:
    """The verification code mailed last to an address."""
    for path in sorted(Path(outbox).glob("*.eml"), reverse=True):
        message = email.message_from_bytes(path.read_bytes())
        if message["To"] == address:
            return re.search(r"\b(\d{8})\b", message.get_payload(decode=True).decode())[1]
    raise AssertionError(f"no mail to {address}")


def test_a_teacher_verifies_an_address_and_manages_a_token(page, site):
    sign_in(page, site, "Enseignant", "/ui/me")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes informations")
    accessible(page, "Mes informations")
    page.get_by_label("Ajouter une adresse").fill("ancien.sides@exemple.fr")
    page.get_by_role("button", name="M'envoyer un code").click()
    expect(flash(page)).to_contain_text("Un code de vérification a été envoyé")
    code = latest_code(site.settings.outbox_dir, "ancien.sides@exemple.fr")
    page.get_by_label("Code reçu à ancien.sides@exemple.fr").fill(code)
    page.get_by_role("button", name="Vérifier").click()
    expect(flash(page)).to_contain_text("ancien.sides@exemple.fr est vérifiée.")
    row = page.get_by_role("row", name=re.compile("ancien.sides@exemple.fr"))
    expect(row).to_contain_text("vérifiée")

    page.get_by_label("Usage").fill("mon script d'export")
    page.get_by_role("button", name="Créer un jeton").click()
    token = page.get_by_label("Votre nouveau jeton (affiché une seule fois)")
    expect(token).to_have_value(re.compile(r"^ots_"))
    value = token.input_value()
    accessible(page, "a token shown once")
    shot(page, "teacher-token-once")
    page.reload()
    expect(page.get_by_label("Votre nouveau jeton (affiché une seule fois)")).to_have_count(0)
    assert value not in page.content()
    page.get_by_role("button", name="Révoquer mon script d'export").click()
    expect(flash(page)).to_contain_text("est révoqué")
    expect(page.get_by_role("row", name=re.compile("mon script d'export"))).to_contain_text("révoqué")


def test_a_newcomer_signs_in_through_their_university(page, site):
    page.goto(site.url + "/ui/login")
    page.get_by_role("link", name="Me connecter par mon université").click()
    expect(page).to_have_url(site.url + "/ui/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bienvenue, Nora Nouvelle")
    page.get_by_role("link", name="Mes informations").first.click()
    expect(page.get_by_text("nora.nouvelle@univ-grenoble.example.fr").first).to_be_visible()
    shot(page, "oidc-newcomer")
