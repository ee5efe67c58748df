"""STUDIO in a real browser: a teacher (demo person t0-0-0) creates a QRM, tags it from a suggestion (its reasons
shown beside the text), previews it as a student and as a teacher, saves it and finds it in the search; a save
the rules refuse shows each violation next to its field, in plain French, and saving works once it is fixed."""

from __future__ import annotations

import re
import struct
import zlib

from playwright.sync_api import Page, expect

from tests.browser.conftest import accessible, shot, sign_in

TITLE = "QRM prise en charge pneumologie (navigateur)"
STATEMENT = "What is the management of this pneumology case in an adult?"


def png(width: int, height: int) -> bytes:
    """A plain grey PNG picture of a size."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\x99" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def fill_options(page: Page, options: list[tuple[str, bool]]) -> None:
    """Type the options' texts and tick the right ones."""
    for letter, (text, right) in zip("ABCDE", options):
        page.get_by_label(f"Texte de la proposition {letter}").fill(text)
        if right:
            page.get_by_label(f"La proposition {letter} est juste").check()


def test_a_teacher_creates_a_qrm_tags_it_from_a_suggestion_previews_saves_and_finds_it(page, site):
    sign_in(page, site, "Enseignant", "/ui/")
    place = page.get_by_role("heading", name="Éléments d'épreuve")
    expect(place).to_be_visible()
    expect(page.locator(".places")).to_contain_text("STUDIO : rédigez et étiquetez")
    place.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Éléments d'épreuve")
    accessible(page, "the item list")

    page.get_by_role("link", name="Nouvelle question").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nouvel élément")
    expect(page.get_by_label("Type de question")).to_have_value("QRM")
    page.get_by_label("Titre").fill(TITLE)
    page.get_by_label("Énoncé", exact=True).fill(STATEMENT)
    fill_options(page, [("Antibiotherapy adapted to the germ", True), ("Oxygen if hypoxaemia", True),
                        ("Wait and see", False), ("Systematic surgery", False)])
    accessible(page, "the editor of a new QRM")

    page.get_by_role("button", name="Suggérer des étiquettes d'après le texte").click()
    first = page.locator("#suggestions ol.suggestions > li").first
    expect(first).to_contain_text("pneumology")
    expect(first.locator(".why")).to_contain_text("mots de votre texte")
    expect(first.locator(".why")).to_contain_text("proximité de sens")
    code = first.locator(".notation").first.inner_text()
    accessible(page, "the editor with tag suggestions")
    shot(page, "studio-suggestions")
    first.get_by_role("button", name=re.compile("^Accepter")).click()
    chosen = page.locator("#f-tags")
    expect(chosen).to_contain_text(code)
    # The suggestions stay beside the text, the accepted one marked.
    expect(page.locator("#suggestions ol.suggestions > li").first.locator(".badge")).to_have_text("étiqueté")
    # What was typed survived the round trip.
    expect(page.get_by_label("Texte de la proposition B")).to_have_value("Oxygen if hypoxaemia")
    expect(page.get_by_label("La proposition B est juste")).to_be_checked()

    page.get_by_role("button", name="Prévisualiser").click()
    previews = page.locator("section.previews")
    expect(previews).to_contain_text("Les règles de son type acceptent cet élément")
    student, teacher = previews.locator("section.view.student"), previews.locator("section.view.teacher")
    expect(student).to_contain_text(STATEMENT)
    expect(student.locator("ol.options-view > li")).to_have_count(4)
    expect(student.locator(".badge")).to_have_count(0)  # no answer shown to students
    expect(teacher.locator(".badge", has_text="juste")).to_have_count(2)
    accessible(page, "the previews before saving")
    shot(page, "studio-preview")

    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.locator("#flash")).to_contain_text("L'élément a été enregistré.")
    expect(page.get_by_role("heading", level=1)).to_contain_text(TITLE)
    expect(chosen).to_contain_text(code)
    page.get_by_role("link", name="Aperçus").click()
    expect(page.locator("section.view.teacher")).to_contain_text("Wait and see")
    accessible(page, "the previews of the saved item")

    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Éléments d'épreuve").click()
    page.get_by_label("Mots", exact=True).fill("pneumology management adult")
    page.get_by_label("Type", exact=True).select_option("QRM")
    page.get_by_label("Étiquette (code ou mots)").fill(code)
    page.get_by_role("button", name="Rechercher").click()
    row = page.locator("table.items tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(TITLE)
    expect(row).to_contain_text(code)
    accessible(page, "the search that finds the new item")
    shot(page, "studio-found")
    row.get_by_role("link", name=TITLE).click()
    expect(page.get_by_label("Titre")).to_have_value(TITLE)


def test_a_refused_save_shows_each_violation_next_to_its_field(page, site):
    sign_in(page, site, "Enseignant", "/ui/studio")
    page.goto(f"{site.url}/ui/studio/new?kind=QI&type=QRM")
    page.get_by_label("Titre").fill("QRM refusée puis corrigée")
    page.get_by_label("Énoncé", exact=True).fill("Which signs suggest a nephrology emergency?")
    fill_options(page, [("Anuria", True), ("Hyperkalaemia", False), ("Mild fatigue", False)])
    page.get_by_label("Poids de la proposition C").select_option("indispensable")
    page.get_by_role("button", name="Enregistrer", exact=True).click()

    expect(page.get_by_role("heading", name="2 problèmes empêchent l'enregistrement")).to_be_visible()
    options = page.locator("#f-q1-options")
    expect(options.locator(":scope > .field-error")).to_have_text("Une QRM a 4 ou 5 propositions.")
    row_c = page.locator("#f-q1-o3")
    expect(row_c.locator(".field-error")).to_have_text("Une proposition indispensable doit être une bonne réponse.")
    expect(page.get_by_label("Texte de la proposition C")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Texte de la proposition A")).not_to_have_attribute("aria-invalid", "true")
    # Nothing typed is lost, and the summary leads to the field.
    expect(page.get_by_label("Texte de la proposition B")).to_have_value("Hyperkalaemia")
    page.locator("section.problems").get_by_role("link", name=re.compile("indispensable")).click()
    expect(page).to_have_url(re.compile("#f-q1-o3$"))
    accessible(page, "a refused save")
    shot(page, "studio-refused-save")

    page.get_by_label("Texte de la proposition D").fill("Pulmonary oedema")
    page.get_by_label("La proposition C est juste").check()
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.locator("#flash")).to_contain_text("L'élément a été enregistré.")
    expect(page.locator(".field-error")).to_have_count(0)


def test_a_teacher_builds_a_progressive_case_step_by_step(page, site):
    sign_in(page, site, "Enseignant", "/ui/studio")
    page.get_by_role("link", name="Nouvelle question").click()
    page.get_by_label("Titre").fill("Dossier douleur thoracique (navigateur)")
    # Choosing the kind shows its fields at once (htmx swaps the form; what was typed stays).
    page.get_by_label("Sorte d'élément").select_option("DP")
    questions = page.get_by_role("heading", name="Questions, dans l'ordre où les étudiants les rencontrent")
    expect(questions).to_be_visible()
    expect(page.get_by_label("Titre")).to_have_value("Dossier douleur thoracique (navigateur)")
    page.get_by_label("Cas d'ouverture (vignette)").fill("Homme de 58 ans, douleur thoracique depuis une heure.")
    page.locator("#f-q1").get_by_label("Énoncé", exact=True).fill("Premier examen ?")
    fill_options(page, [("ECG", True), ("Scanner", False), ("IRM", False), ("Échographie", False)])
    page.get_by_label("Type de la question à ajouter").select_option("QROC")
    page.get_by_role("button", name="Ajouter une question").click()
    second = page.locator("#f-q2")
    expect(second.locator("legend").first).to_have_text("Question 2 — Question à réponse ouverte courte (QROC)")
    second.get_by_label("Ce que révèle cette étape (facultatif)").fill("L'ECG montre un sus-décalage de ST.")
    second.get_by_label("Énoncé", exact=True).fill("Diagnostic ?")
    second.get_by_label("Réponses acceptées, une par ligne (synonymes compris)").fill("Syndrome coronarien aigu\nSCA")

    page.get_by_role("button", name="Monter la question 2").click()
    expect(page.locator("#f-q1 legend").first).to_contain_text("QROC")
    expect(page.locator("#f-q2").get_by_label("Texte de la proposition A")).to_have_value("ECG")
    page.get_by_role("button", name="Descendre la question 1").click()
    expect(page.locator("#f-q1 legend").first).to_contain_text("QRM")
    accessible(page, "the editor of a progressive case")
    shot(page, "studio-dossier")

    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.locator("#flash")).to_contain_text("L'élément a été enregistré.")
    page.get_by_role("link", name="Aperçus").click()
    student = page.locator("section.view.student")
    expect(student.locator(".question-view")).to_have_count(2)
    expect(student).to_contain_text("Homme de 58 ans")
    expect(student).not_to_contain_text("Syndrome coronarien aigu")
    expect(page.locator("section.view.teacher")).to_contain_text("Syndrome coronarien aigu")


def test_a_teacher_uploads_a_zone_picture_and_clicks_its_right_area(page, site):
    sign_in(page, site, "Enseignant", "/ui/studio")
    page.goto(f"{site.url}/ui/studio/new?kind=QI&type=ZONE")
    page.get_by_label("Titre").fill("Radio thoracique (navigateur)")
    page.get_by_label("Énoncé", exact=True).fill("Cliquez sur l'opacité.")
    page.get_by_label("Image où désigner la zone (PNG, JPEG, GIF, WebP ou SVG)").set_input_files(
        files=[{"name": "radio.png", "mimeType": "image/png", "buffer": png(200, 100)}])
    page.get_by_role("button", name="Afficher les champs de ce type").click()
    picture = page.get_by_role("img", name="L'image de la question 1")
    expect(picture).to_be_visible()
    page.get_by_label("Coordonnées de la zone 1").focus()
    box = picture.bounding_box()
    for x, y in ((20, 10), (120, 90)):  # pixels of the 200 × 100 picture
        page.mouse.click(box["x"] + x * box["width"] / 200, box["y"] + y * box["height"] / 100)
    expect(page.get_by_label("Coordonnées de la zone 1")).to_have_value(re.compile(r"^\d+,\d+,\d+,\d+$"))
    expect(page.locator("#zone-said-q1")).to_contain_text("Point ajouté")
    accessible(page, "the editor of a ZONE question")
    shot(page, "studio-zone")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.locator("#flash")).to_contain_text("L'élément a été enregistré.")
    page.get_by_role("link", name="Aperçus").click()
    expect(page.locator("section.view.teacher")).to_contain_text("rect")
