"""PLANIFICATEUR in a real browser: the school office (demo person rs0-0) finds the planner on its home page,
creates an exam with an épreuve, is told in words why the épreuve cannot be made ready yet, links two items found
by the search (htmx) and orders them, registers the cohort, sees the candidates, makes the épreuve ready, finds it
in the calendar, opens the bon à tirer and its PDF; the usage statistics close the journey."""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import expect

from tests.browser.conftest import accessible, shot, sign_in

EXAM = "Examen de pneumologie DFASM1"
EPREUVE = "Cas cliniques de pneumologie"


def flash(page):
    """The status region of the page."""
    return page.locator("#flash")


def test_the_school_office_plans_an_exam_from_creation_to_the_bon_a_tirer(page, site):
    sign_in(page, site, "Responsable scolarité")
    menu = page.get_by_role("navigation", name="Menu principal")
    expect(page.locator(".places").get_by_role("link", name="Gestion des examens")).to_be_visible()
    menu.get_by_role("link", name="Gestion des examens").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Gestion des examens")
    # The demo's planned exam is listed with its actions.
    demo = page.get_by_role("row", name=re.compile("Examen de fin de semestre DFASM1.*Dossiers progressifs"))
    expect(demo).to_contain_text("Prête")
    expect(demo.get_by_role("link", name=re.compile("^Imprimer le bon à tirer"))).to_be_visible()
    accessible(page, "the exam list")
    shot(page, "planner-exams")

    # A new exam and its épreuve, a Wednesday about three months ahead, 14:00, one hour.
    day = dt.date.today() + dt.timedelta(days=90)
    day += dt.timedelta(days=(2 - day.weekday()) % 7)
    page.get_by_role("link", name="Nouvel examen").click()
    page.get_by_label("Nom de l'examen").fill(EXAM)
    page.get_by_label("Nom court").fill("PNEUMO1")
    page.get_by_label(re.compile("^DFASM1 2025-2026")).check()
    page.get_by_label("Nom de l'épreuve").fill(EPREUVE)
    page.get_by_label("Jour").fill(day.isoformat())
    page.get_by_label("Heure de début").fill("14:00")
    page.get_by_label("Durée (minutes)").fill("60")
    page.get_by_label("Mélanger les propositions de réponses").check()
    accessible(page, "a new exam")
    page.get_by_role("button", name="Créer l'examen").click()
    expect(flash(page)).to_contain_text(f"Examen « {EXAM} » créé.")
    expect(page.get_by_role("heading", level=1)).to_have_text(EXAM)
    accessible(page, "an exam")
    shot(page, "planner-exam")
    page.get_by_role("link", name=f"1. {EPREUVE}").click()

    # Made ready too soon: the rules answer in words and nothing changes.
    page.get_by_role("button", name="Rendre prête").click()
    expect(flash(page)).to_contain_text("Rien n'a été enregistré : épreuve 1 cannot be ready")
    expect(flash(page)).to_contain_text("no item is linked")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Brouillon")
    accessible(page, "a refusal in words")
    shot(page, "planner-refused-ready")

    # Two items found by the search (the results come as one types), linked in order, the first counting double.
    tabs = page.get_by_role("navigation", name="Parties de l'épreuve")
    tabs.get_by_role("link", name="Éléments d'épreuve").click()
    # The search answers as one types once the page's scripts run; typed before they do (CI under load), the
    # keystrokes reach no handler, so the test then presses Enter as a person would: the form works either way.
    page.wait_for_load_state("load")
    search = page.get_by_label("Mots du titre ou du texte")
    search.fill("QRM")
    search.press("Enter")
    found = page.locator("#found tbody tr")
    expect(found.first).to_contain_text("QRM")
    expect(page.locator("#found")).not_to_contain_text("QRU")
    titles = []
    for _ in range(2):
        button = page.locator("#found").get_by_role("button", name=re.compile("^Lier ")).first
        titles.append(button.get_attribute("aria-label").removeprefix("Lier "))
        button.click()
        expect(flash(page)).to_contain_text("lié.")
    slots = page.locator("table.slots tbody tr")
    expect(slots).to_have_count(2)
    expect(slots.nth(0)).to_contain_text(titles[0])
    expect(slots.nth(1)).to_contain_text(titles[1])
    page.get_by_label(f"Coefficient de {titles[0]}").fill("2")
    page.get_by_role("button", name="Enregistrer les coefficients").click()
    expect(flash(page)).to_contain_text("Les éléments liés sont enregistrés.")
    expect(page.get_by_label(f"Coefficient de {titles[0]}")).to_have_value("2")
    page.get_by_role("button", name=f"Descendre : {titles[0]}").click()
    expect(flash(page)).to_contain_text("L'ordre des éléments est modifié.")
    expect(slots.nth(0)).to_contain_text(titles[1])
    expect(slots.nth(1)).to_contain_text(titles[0])
    accessible(page, "the linked items")
    shot(page, "planner-items")

    # The cohort registered; the candidates are its members.
    tabs.get_by_role("link", name="Inscriptions").click()
    cohort = page.get_by_label(re.compile("^Promotion DFASM1"))
    cohort.check()
    members = int(re.search(r"(\d+) membres", page.locator("div", has=cohort).last.inner_text())[1])
    page.get_by_role("button", name="Enregistrer les inscriptions").click()
    expect(flash(page)).to_contain_text("Les inscriptions sont enregistrées.")
    accessible(page, "the registrations")
    shot(page, "planner-registrations")
    tabs.get_by_role("link", name="Candidats").click()
    expect(page.locator("table caption")).to_have_text(f"{members} candidats")
    expect(page.locator("table tbody tr")).to_have_count(members)
    expect(page.locator("table tbody")).to_contain_text("Promotion DFASM1")
    accessible(page, "the candidates")

    # Complete now: ready, and in the calendar of its week.
    tabs.get_by_role("link", name="Paramètres").click()
    page.get_by_role("button", name="Rendre prête").click()
    expect(flash(page)).to_contain_text("L'épreuve est prête.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Prête")
    page.get_by_role("link", name="La voir dans le calendrier").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Calendrier des épreuves")
    entry = page.locator("ul.calendar li", has_text=f"{EXAM} — {EPREUVE}")
    expect(entry).to_contain_text("14:00 → 15:00")
    expect(entry).to_contain_text("Prête")
    expect(page.get_by_role("link", name="Ajouter à mon agenda (fichier .ics)")).to_be_visible()
    accessible(page, "the calendar")
    shot(page, "planner-calendar")

    # The bon à tirer: numbered questions, the options stated, the answer key apart; its PDF.
    entry.get_by_role("link").click()
    page.get_by_role("navigation", name="Parties de l'épreuve").get_by_role("link", name="Bon à tirer").click()
    document = page.locator("article.bat")
    expect(document).to_contain_text("Question 1")
    expect(document).to_contain_text(f"Élément 1 — Question isolée — {titles[1]}")
    expect(document).to_contain_text(f"Élément 2 — Question isolée — {titles[0]}")
    expect(document).to_contain_text("(coefficient 2)")
    expect(document.get_by_role("heading", name=re.compile("^Corrigé"))).to_be_visible()
    expect(page.get_by_role("button", name="Imprimer")).to_be_visible()
    accessible(page, "the bon à tirer")
    shot(page, "planner-bat")
    pdf = page.request.get(site.url + page.get_by_role("link", name="PDF du bon à tirer").get_attribute("href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")

    menu.get_by_role("link", name="Statistiques d'usage").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Statistiques d'usage")
    expect(page.locator("table tbody tr").first).to_be_visible()
    accessible(page, "the usage statistics")
