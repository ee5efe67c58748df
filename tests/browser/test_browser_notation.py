"""NOTATION in a real browser: the head of the school office (demo person rs0-0) opens the demo's épreuve to
correct (QROC, QROL), gives points to a group of unexpected QROC answers, marks the QROL copies, computes the
grades, changes the barème after seeing its dry run (who loses), looks at the results analysis and publishes;
then a student (s0-0-0) finds the published grade and reads their copy."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import accessible, shot, sign_in

EPREUVE = "u0f0c0-1"


def flash(page):
    """The status region of the page."""
    return page.locator("#flash")


def test_a_grader_corrects_grades_changes_the_bareme_and_publishes_then_a_student_reads_it(page, site):
    sign_in(page, site, "Responsable scolarité")
    expect(page.locator(".places").get_by_role("link", name="Notation")).to_be_visible()
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Notation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notation")
    accessible(page, "the épreuves to grade")
    page.get_by_role("row", name=re.compile("Examen à corriger")).get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("En cours")
    accessible(page, "an épreuve's items")
    shot(page, "notation-epreuve")

    # QROC 4: the misspelt group gets half the points, for every copy that wrote it (boosted by htmx).
    page.get_by_role("link", name="Corriger la QROC 4").click()
    group = page.get_by_role("row", name=re.compile("apendicite"))
    expect(group).to_contain_text("appendicite")
    accessible(page, "a QROC's groups of answers")
    group.get_by_label(re.compile("Part des points pour « apendicite »")).fill("0,5")
    group.get_by_role("button", name=re.compile("^Donner les points")).click()
    expect(flash(page)).to_have_text("Réponse « apendicite » corrigée.")
    expect(page.get_by_role("row", name=re.compile("apendicite"))).to_contain_text("corrigée : 0.5")
    shot(page, "notation-qroc")
    # QROC 5: every unexpected answer given no point.
    page.get_by_role("link", name="Éléments et notes").click()
    page.get_by_role("link", name="Corriger la QROC 5").click()
    waiting = page.locator("table.qroc-groups tbody tr").filter(has_not=page.locator(".badge.local"))
    for left in range(waiting.count(), 0, -1):
        waiting.first.get_by_label(re.compile("^Part des points")).fill("0")
        waiting.first.get_by_role("button", name=re.compile("^Donner les points")).click()
        expect(waiting).to_have_count(left - 1)

    # QROL 6 copy by copy: above the maximum is refused in words; then each copy gets 3 points.
    page.get_by_role("link", name="Éléments et notes").click()
    page.get_by_role("link", name="Corriger la QROL 6").click()
    first = page.locator("section.card").first
    first.get_by_label(re.compile("^Points pour")).fill("9")
    first.get_by_role("button", name="Enregistrer les points").click()
    expect(flash(page)).to_contain_text("Rien n'a été enregistré")
    accessible(page, "a QROL to correct")
    shot(page, "notation-qrol")
    cards = page.locator("section.card")
    for left in range(cards.count(), 0, -1):
        cards.first.get_by_label(re.compile("^Points pour")).fill("3")
        cards.first.get_by_label("Commentaire").fill("Bonne conduite à tenir")
        cards.first.get_by_role("button", name="Enregistrer les points").click()
        expect(cards).to_have_count(left - 1)
        expect(flash(page)).to_contain_text("corrigée.")
    expect(page.get_by_text("Aucune copie à corriger.")).to_be_visible()

    # Grades: a dry run, then saved; the épreuve is complete.
    page.get_by_role("link", name="Éléments et notes").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Complété")
    page.get_by_role("button", name="Simulation").click()
    expect(flash(page)).to_contain_text("Simulation, rien n'est enregistré : 8 copies")
    page.get_by_role("button", name="Calculer et enregistrer les notes").click()
    expect(flash(page)).to_contain_text("Notes enregistrées : 8 copies")

    # The students and a copy.
    page.get_by_role("link", name="Étudiants", exact=True).click()
    expect(page.get_by_role("row", name=re.compile("s0-0-4@"))).to_contain_text("Bertrand")
    accessible(page, "the students")
    page.get_by_role("row", name=re.compile("s0-0-4@")).get_by_role("link").click()
    expect(page.get_by_role("heading", name=re.compile("^Question 1"))).to_be_visible()
    expect(page.locator("main")).to_contain_text("Pourquoi : QRU edn-2023")
    accessible(page, "a copy")
    page.go_back()

    # The barème: item 1 out of 10 instead of 20; the dry run says who loses, then the change is saved.
    page.get_by_role("link", name="Barème").click()
    page.get_by_label("Élément 1 noté sur").fill("10")
    page.get_by_role("button", name="Simuler la modification").click()
    expect(page.get_by_role("heading", name="Simulation : rien n'est encore enregistré")).to_be_visible()
    expect(page.get_by_role("table", name="Qui perd")).to_be_visible()
    accessible(page, "a barème's dry run")
    shot(page, "notation-bareme-dry-run")
    page.get_by_role("button", name="Enregistrer la modification et recalculer les notes").click()
    expect(flash(page)).to_contain_text("Barème enregistré (item 1: out of 20.0 → 10")
    expect(page.get_by_role("table", name="Modifications du barème")).to_contain_text("item 1: out of 20.0 → 10")

    # The analysis, then the publication with its confirmation.
    page.get_by_role("link", name="Analyse des résultats").click()
    expect(page.get_by_role("columnheader", name="Indice de discrimination")).to_be_visible()
    expect(page.get_by_role("table", name="Distribution des notes")).to_be_visible()
    accessible(page, "the results analysis")
    shot(page, "notation-analysis")
    page.get_by_role("link", name="Publication").click()
    expect(page.get_by_role("link", name="Exporter les notes (CSV)")).to_have_attribute(
        "href", f"/notation/epreuves/{EPREUVE}/export?format=csv")
    page.get_by_label("Je confirme la publication officielle de ces notes").check()
    page.get_by_role("button", name="Publier les notes").click()
    expect(flash(page)).to_have_text("Notes officiellement publiées.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Publiée")
    expect(page.get_by_role("button", name="Révoquer la publication")).to_be_visible()
    accessible(page, "the publication")
    shot(page, "notation-published")
    page.get_by_role("button", name="Se déconnecter").click()

    # The student finds the grade and the copy.
    sign_in(page, site, "Étudiant")
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Mes résultats").click()
    row = page.get_by_role("row", name=re.compile("u0f0c0"))
    expect(row).to_be_visible()
    accessible(page, "my results")
    row.get_by_role("link", name=re.compile("^Ma copie de")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("^Copie de "))
    expect(page.locator("main")).to_contain_text("Pourquoi :")
    accessible(page, "my copy")
    shot(page, "notation-student-copy")
