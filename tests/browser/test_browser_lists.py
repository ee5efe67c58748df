"""Journeys in a real browser: a newcomer finds their way in; a list administrator changes the référentiel at
their faculty (hide, relabel, reorder by arrow and by drag, add) and sees the university unchanged."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import accessible, shot, sign_in

UFR = "https://data.ontosides.fr/org/univ-0/ufr-0"


def test_a_newcomer_understands_the_home_page_and_signs_in_as_a_demo_person(page, site):
    page.goto(site.url + "/")
    expect(page).to_have_url(site.url + "/ui/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bienvenue sur OntoSIDES")
    expect(page.get_by_role("link", name="Bibliothèque des listes").first).to_be_visible()
    accessible(page, "the home page, signed out")
    page.get_by_role("link", name="Se connecter").first.click()
    expect(page.get_by_role("heading", name="Démonstration : visiter en tant que…")).to_be_visible()
    accessible(page, "the sign-in page")
    shot(page, "login-demo")
    page.get_by_role("button", name=re.compile("Responsable scolarité")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bienvenue, ")
    for place in ("Utilisateurs et fonctions", "Offre de formation", "Groupes des promotions", "Mes informations"):
        expect(page.get_by_role("heading", name=place)).to_be_visible()
    accessible(page, "the home page of a head of school office")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", name="What you can do here")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()


def entry(page, notation: str):
    """The tree row of an entry, by its code."""
    return page.locator("li.entry", has=page.locator(f":scope > .line .notation:text-is('{notation}')"))


def open_panel(page, notation: str):
    """Open an entry's change panel and return it."""
    row = entry(page, notation)
    row.locator(":scope > .line").get_by_role("button", name=re.compile("^Modifier")).click()
    panel = row.locator(":scope > div > .panel")
    expect(panel).to_be_visible()
    return panel


def test_a_list_admin_hides_and_relabels_at_a_faculty_and_the_university_is_unchanged(page, site):
    sign_in(page, site, "Administrateur de listes", "/ui/lists")
    levels = page.get_by_role("navigation", name="Niveaux")
    levels.get_by_role("link", name=re.compile("UFR de médecine 1 — Grenoble")).click()
    page.get_by_role("link", name="Référentiel R2C").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Référentiel R2C")
    accessible(page, "the référentiel at a faculty")

    open_panel(page, "IC-002").get_by_role("button", name="Masquer à ce niveau").click()
    expect(entry(page, "IC-002").locator(".badge.hidden")).to_have_text("masqué ici")
    expect(page.locator("#flash")).to_contain_text("Élément masqué à ce niveau.")

    panel = open_panel(page, "IC-003")
    panel.get_by_label("Libellé (français)").fill("Item 3 : pneumologie (libellé de l'UFR)")
    panel.get_by_role("button", name="Renommer à ce niveau").click()
    relabelled = "Item 3 : pneumologie (libellé de l'UFR)"
    expect(entry(page, "IC-003").locator(":scope > .line .label")).to_have_text(relabelled)
    expect(entry(page, "IC-003").locator(".badge.relabelled")).to_have_text("renommé ici")

    panel = open_panel(page, "IC-006")
    panel.get_by_role("button", name="Monter").click()
    expect(entry(page, "IC-006").locator(".badge.reordered")).to_have_text("déplacé ici")
    codes = page.locator("#c-root > li.entry > .line .notation").all_inner_texts()
    assert codes.index("IC-006") < codes.index("IC-005")

    entry(page, "IC-007").locator(":scope > .line .toggle").click()
    children = entry(page, "IC-007").locator(":scope > ul > li.entry")
    expect(children).to_have_count(8)
    first, third = children.nth(0), children.nth(2)
    moving = third.locator(".notation").first.inner_text()
    third.drag_to(first)
    first_child = entry(page, "IC-007").locator(":scope > ul > li.entry").first
    expect(first_child.locator(".notation").first).to_have_text(moving)
    expect(entry(page, moving).locator(".badge.reordered")).to_have_text("déplacé ici")

    panel = open_panel(page, "IC-004")
    panel.get_by_label("Nouvel élément en dessous (français)").fill("Situation locale de l'UFR")
    panel.get_by_role("button", name="Ajouter en dessous").click()
    expect(page.get_by_text("Situation locale de l'UFR", exact=True)).to_be_visible()
    accessible(page, "the référentiel after changes")
    shot(page, "list-admin-faculty-tree")

    page.get_by_role("searchbox", name="Rechercher dans la liste").fill("locale")
    result = page.locator("#search-results").get_by_role("link", name=re.compile("Situation locale"))
    expect(result).to_be_visible()

    page.get_by_role("link", name="Différences avec le niveau supérieur").click()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(5)
    expect(page.locator("table")).to_contain_text("masquage")
    expect(page.locator("table")).to_contain_text("renommage")
    accessible(page, "the diff of the faculty")
    shot(page, "list-admin-faculty-diff")

    page.get_by_role("link", name="Historique").click()
    expect(page.locator("table tbody tr")).to_have_count(5)

    page.get_by_role("navigation", name="Niveaux").get_by_role("link", name="Université de Grenoble").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Université de Grenoble")
    page.get_by_role("link", name="Arborescence").click()
    expect(entry(page, "IC-002").locator(".badge.hidden")).to_have_count(0)
    expect(entry(page, "IC-003").locator(":scope > .line .label")).not_to_contain_text("libellé de l'UFR")
    expect(page.get_by_text("Situation locale de l'UFR", exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^Modifier"))).to_have_count(0)
    codes = page.locator("#c-root > li.entry > .line .notation").all_inner_texts()
    assert codes.index("IC-005") < codes.index("IC-006")
    accessible(page, "the référentiel at the university")
    shot(page, "list-admin-university-unchanged")
