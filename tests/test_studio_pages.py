"""STUDIO pages without a browser: the editor's form carries every item type (isolated questions, dossiers, ECOS)
to the service and back unchanged; dossier steps are added, moved and removed; refusals land next to their fields
in French; a ZONE picture is uploaded through the media service; QTI/Moodle import and export; the legacy SIDES
flow; who may open what. The teacher's journey in a real browser is tests/browser/test_browser_studio.py."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph
from rdflib.namespace import SH

from api.app import create_app
from api.csrf import CSRF_COOKIE
from api.pages import studio_form as sf
from api.pages.i18n import load, use
from services import dataset
from services.platform import Platform
from services.studio.items import Caller
from services.studio.media import store_media
from services.studio.model import Item
from services.synthetic import Scale
from store.embedded import OxigraphStore
from store.paths import ROOT, WEB_DIR
from tests.conftest import make_settings
from tests.studio_samples import items as sample_items, same_content

BASE = "https://data.ontosides.fr/"
TEACHER = f"{BASE}person/t0-0-0"
LEGACY = Path(__file__).parent / "data" / "legacy_sides.ttl"
MOODLE = Path(__file__).parent / "data" / "moodle" / "quiz-images.xml"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SMALL = Scale(universities=1, students_per_faculty=3, questions_per_faculty=3, referentiel_items=5,
              objectives_per_item=2, questions_per_epreuve=3)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """A small demo with demo sign-in, the legacy extract loaded and t0-0-0 holding Alice's legacy address."""
    settings = make_settings(demo_login=True, media_dir=str(tmp_path_factory.mktemp("media")))
    platform = Platform.build(settings, OxigraphStore(base_iri=settings.base_iri))
    dataset.load_demo(platform, SMALL)
    people = Graph().parse(data=f"""@prefix os: <https://w3id.org/ontosides#> .
        <{TEACHER}> os:email "alice.martin@univ-grenoble.fr" .""", format="turtle")
    platform.writer.extend_graph(f"{BASE}graph/people/univ-0", people)
    dataset.load_file(platform, LEGACY, graph="urn:ontosides:legacy:extract-2021-07", validate=False)
    return create_app(settings, platform.store)


def signed_in(app, person: str) -> TestClient:
    browser = TestClient(app, headers={"Accept-Language": "fr"})
    browser.get("/ui/login")
    answer = browser.post("/ui/login/demo", data={"person": person, "csrf_token": browser.cookies[CSRF_COOKIE]},
                          follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return browser


@pytest.fixture(scope="module")
def teacher(app):
    return signed_in(app, "t0-0-0")


class FormFields(HTMLParser):
    """The fields a browser would send from one form of a page (checked boxes, selected options, typed texts)."""

    def __init__(self, form_id: str | None = None, action: str | None = None):
        super().__init__()
        self.form_id, self.action = form_id, action
        self.inside, self.fields, self.select, self.textarea, self.options = False, [], None, None, []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = bool((self.form_id and a.get("id") == self.form_id)
                               or (self.action and a.get("action") == self.action))
        if not self.inside:
            return
        if tag == "input" and a.get("name") and a.get("type") not in ("file", "submit") and (
                a.get("type") not in ("checkbox", "radio") or "checked" in a) and "form" not in a:
            self.fields.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self.select, self.options = a.get("name"), []
        elif tag == "option" and self.select:
            self.options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea":
            self.textarea, self.text = a.get("name"), ""

    def handle_data(self, data):
        if self.textarea:
            self.text += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select:
            chosen = [v for v, selected in self.options if selected] or [self.options[0][0] if self.options else ""]
            self.fields.append((self.select, chosen[0]))
            self.select = None
        elif tag == "textarea" and self.textarea:
            self.fields.append((self.textarea, self.text))
            self.textarea = None


def fields(page: str, form_id: str = "item-form", action: str | None = None) -> list[tuple[str, str]]:
    parser = FormFields(None if action else form_id, action)
    parser.feed(page)
    return parser.fields


def post(browser: TestClient, url: str, data: list[tuple[str, str]], action: str, **kwargs):
    sent: dict[str, list[str]] = {}
    for k, v in data:
        if k not in ("action", "csrf_token"):
            sent.setdefault(k, []).append(v)
    sent.update(action=[action], csrf_token=[browser.cookies[CSRF_COOKIE]])
    return browser.post(url, data=sent, follow_redirects=False, **kwargs)


def errors_in(page: str, anchor: str) -> str:
    """The refusals shown right beside a field (its error box)."""
    found = re.search(rf'<div class="field-error" id="e-{re.escape(anchor)}">(.*?)</div>', page, re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", found[1])) if found else ""


def text(answer) -> str:
    """A page's text as a person reads it (entities decoded)."""
    return html.unescape(answer.text)


def test_every_item_type_goes_through_the_editor_and_back_unchanged(app, teacher):
    platform = app.state.platform
    image = store_media(platform, PNG, "image/png")
    article = store_media(platform, b"<html><body><p>Essai randomise</p></body></html>", "text/html")
    studio = app.state.studio
    problems = []
    for name, sample in sample_items(image, article).items():
        sample = {k: v for k, v in sample.items() if v is not None}
        created = studio.create(Item(**sample), Caller(TEACHER))
        page = teacher.get(f"/ui/studio/items/{created['id']}")
        assert page.status_code == 200, (name, page.text[:300])
        answer = post(teacher, f"/ui/studio/items/{created['id']}", fields(page.text), "save")
        if answer.status_code != 303:
            problems.append(f"{name}: {answer.status_code} {re.findall(r'field-error[^>]*>(.*?)</div>', answer.text)}")
            continue
        saved = studio.get(created["id"], Caller(TEACHER))
        try:
            same_content(sample, saved)
        except AssertionError as exc:
            problems.append(f"{name}: {exc}")
        assert len(studio.revisions(created["id"], Caller(TEACHER))) == 1
    assert problems == []


def test_dossier_questions_are_added_moved_and_removed(teacher):
    page = teacher.get("/ui/studio/new", params={"kind": "DP"})
    assert page.status_code == 200 and 'name="q1.type"' in page.text and 'name="q2.type"' not in page.text
    data = [(k, v) for k, v in fields(page.text) if k not in ("q1.statement", "title", "new_type")]
    data += [("title", "DP douleur"), ("q1.statement", "Premier examen ?"), ("new_type", "QROC")]
    page = post(teacher, "/ui/studio/new", data, "add_question")
    form = dict(fields(page.text))
    assert form["q1.type"] == "QRU" and form["q2.type"] == "QROC" and form["title"] == "DP douleur"
    page = post(teacher, "/ui/studio/new", fields(page.text), "up:2")
    form = dict(fields(page.text))
    assert form["q1.type"] == "QROC" and form["q2.type"] == "QRU" and form["q2.statement"] == "Premier examen ?"
    page = post(teacher, "/ui/studio/new", fields(page.text), "remove:1")
    form = dict(fields(page.text))
    assert form["q1.type"] == "QRU" and "q2.type" not in form
    # A progressive case needs two steps and a vignette: said next to the questions and the vignette.
    refused = post(teacher, "/ui/studio/new", fields(page.text), "save")
    assert refused.status_code == 200
    assert "Un dossier progressif a au moins deux étapes." in errors_in(refused.text, "f-questions")
    assert "Un dossier progressif commence par une vignette." in errors_in(refused.text, "f-vignette")
    assert "Une QRU a 4 ou 5 propositions." in errors_in(refused.text, "f-q1-options")


def test_an_ecos_station_is_written_with_its_checklist(app, teacher):
    page = teacher.get("/ui/studio/new", params={"kind": "ECOS"})
    data = dict(fields(page.text))
    data.update({"title": "Station annonce", "st.scenario": "Annonce d'un diabète.",
                 "st.candidate_instructions": "Annoncez le diagnostic.", "st.duration_minutes": "7",
                 "st.rating_scale": f"{BASE}list/grille-globale-ecos", "st.c1.text": "Se présente",
                 "st.c1.points": "1", "st.c2.text": "Vérifie la compréhension", "st.c2.points": "2,5"})
    answer = post(teacher, "/ui/studio/new", list(data.items()), "save")
    assert answer.status_code == 303, errors_in(answer.text, "f-item") or answer.text[:500]
    item = app.state.studio.get(answer.headers["location"].rsplit("/", 1)[-1], Caller(TEACHER))
    assert [(c["text"], c["points"]) for c in item["station"]["checklist"]] == [("Se présente", 1.0),
                                                                               ("Vérifie la compréhension", 2.5)]
    data["st.duration_minutes"] = "sept"
    refused = post(teacher, "/ui/studio/new", list(data.items()), "save")
    assert refused.status_code == 200 and "Tapez un nombre entier." in errors_in(refused.text, "f-st-duration_minutes")


def test_a_zone_picture_is_uploaded_and_its_area_given_by_coordinates(app, teacher):
    page = teacher.get("/ui/studio/new", params={"kind": "QI", "type": "ZONE"})
    data = [(k, v) for k, v in fields(page.text) if k not in ("title", "q1.statement")]
    data += [("title", "Radio thoracique"), ("q1.statement", "Cliquez sur l'opacité.")]
    page = post(teacher, "/ui/studio/new", data, "refresh", files={"q1.image_file": ("radio.png", PNG, "image/png")})
    assert page.status_code == 200
    picture = re.search(r'<img src="(/media/[0-9a-f]{64})"', page.text)
    assert picture and teacher.get(picture[1]).content == PNG
    data = [(k, v if k != "q1.a1.coords" else "10,20,110,90") for k, v in fields(page.text)]
    answer = post(teacher, "/ui/studio/new", data, "save")
    assert answer.status_code == 303, answer.text[:500]
    item = app.state.studio.get(answer.headers["location"].rsplit("/", 1)[-1], Caller(TEACHER))
    assert item["question"]["areas"] == [{"shape": "rect", "coords": "10,20,110,90"}]
    assert item["question"]["image"].endswith(picture[1].rsplit("/", 1)[-1])
    bad = [(k, v if k != "q1.a1.coords" else "ici") for k, v in fields(page.text)]
    refused = post(teacher, "/ui/studio/new", bad, "save")
    assert "comme dans les cartes d'image HTML" in errors_in(refused.text, "f-q1-a1")


def test_tags_suggested_searched_refused(app, teacher):
    page = teacher.get("/ui/studio/new", params={"kind": "QI", "type": "QRU"})
    data = dict(fields(page.text))
    data.update({"title": "Pneumology", "q1.statement": "Management of a pneumology case"})
    suggested = teacher.post("/ui/studio/suggest", data=data, headers={"X-CSRF-Token": teacher.cookies[CSRF_COOKIE]})
    assert suggested.status_code == 200 and "mots de votre texte" in suggested.text
    first = re.search(r'value="accept:([^"]+)"', suggested.text)[1]
    page = post(teacher, "/ui/studio/new", [*data.items(), ("suggested", "1")], f"accept:{first}")
    assert f'name="tags" value="{first}"' in page.text and "étiqueté" in page.text
    level = f"{BASE}org/univ-0/ufr-0"
    found = teacher.get("/ui/studio/tags/search", params={"level": level, "tag_q": "IC-001"})
    assert found.status_code == 200 and "accept:" in found.text
    children = teacher.get("/ui/studio/tags/children",
                           params={"level": level, "parent": f"{BASE}list/referentiel/IC-001"})
    assert children.text.count('value="accept:') == 2
    unknown = f"{BASE}list/referentiel/NOT-HERE"
    refused = post(teacher, "/ui/studio/new", [*fields(page.text), ("tags", unknown)], "save")
    assert refused.status_code == 200
    assert "n'est pas dans cette liste" in errors_in(refused.text, "f-tags")
    # An entry the faculty hides is refused and named by its code.
    app.state.lists.change("referentiel", level, "hide", f"{BASE}list/referentiel/IC-005", f"{BASE}person/la0-0")
    hidden = post(teacher, "/ui/studio/new", [*fields(page.text), ("tags", f"{BASE}list/referentiel/IC-005")], "save")
    assert "« IC-005 " in errors_in(hidden.text, "f-tags")
    assert "IC-005" not in re.search(r'<ul class="tree tag-tree">(.*?)</ul>\s*</section>', hidden.text, re.S)[1]


def test_search_filters_and_previews(app, teacher):
    listing = teacher.get("/ui/studio", params={"type": "QROC", "mine": "1"})
    assert listing.status_code == 200
    assert '<abbr title="Question à réponse ouverte courte (QROC)">QROC</abbr>' in listing.text
    assert "QRM" not in re.sub(r"<select.*?</select>", "", listing.text, flags=re.S).split("<tbody>")[1]
    unknown_tag = teacher.get("/ui/studio", params={"tag": "zzz-nothing"})
    assert "le filtre par étiquette est ignoré" in unknown_tag.text
    item_id = re.search(r'href="/ui/studio/items/([^"]+)"', listing.text)[1]
    preview = teacher.get(f"/ui/studio/items/{item_id}/preview", params={"shown": "1", "types": "1"})
    assert preview.status_code == 200 and "Vue étudiant" in preview.text and "[QROC]" in preview.text
    assert "Réponses acceptées" not in preview.text.split("Vue enseignant")[0]
    assert teacher.get(f"/ui/studio/items/{item_id}/revisions").status_code == 200


def test_export_and_import_report_then_save(app, teacher):
    item_id = re.search(r'href="/ui/studio/items/([^"]+)"', teacher.get("/ui/studio", params={"type": "QROC"}).text)[1]
    exchange = teacher.get(f"/ui/studio/items/{item_id}/exchange")
    assert exchange.status_code == 200 and "QTI 3.0" in exchange.text and "Moodle XML" in exchange.text
    qti = teacher.get(f"/ui/studio/items/{item_id}/export", params={"format": "qti"})
    assert qti.status_code == 200 and "attachment" in qti.headers["content-disposition"] and b"qti" in qti.content
    form = teacher.get("/ui/studio/import")
    assert form.status_code == 200
    report = teacher.post("/ui/studio/import", data={"format": "moodle", "csrf_token": teacher.cookies[CSRF_COOKIE]},
                          files={"file": ("quiz.xml", MOODLE.read_bytes(), "application/xml")})
    assert report.status_code == 200, text(report)[-3000:]
    assert "Rapport d'import de quiz.xml" in text(report) and "Ouvrir dans l'éditeur" in text(report)
    ready = fields(report.text, action="/ui/studio/import/save")
    assert ready, "at least one item of the quiz can be saved as it is"
    saved = post(teacher, "/ui/studio/import/save", ready, "save")
    assert saved.status_code == 200 and "Ce qui a été enregistré" in text(saved)
    assert len(re.findall(r"Enregistré :", saved.text)) == len([k for k, _v in ready if k == "item"])
    # An item of the report opens in the editor, prefilled and not saved.
    prefill = next(v for k, v in fields(report.text, action="/ui/studio/new") if k == "prefill")
    editor = post(teacher, "/ui/studio/new", [("prefill", prefill)], "load")
    assert editor.status_code == 200 and 'id="item-form"' in editor.text
    bad = teacher.post("/ui/studio/import", data={"format": "qti", "csrf_token": teacher.cookies[CSRF_COOKIE]},
                       files={"file": ("nothing.xml", b"<not-qti/>", "application/xml")})
    assert bad.status_code == 200 and "flash error" in bad.text


def test_legacy_items_by_my_addresses_preview_prefill_then_save(app, teacher):
    listing = teacher.get("/ui/studio/legacy")
    assert listing.status_code == 200
    assert [m for m in ("eval201", "q101", "q102", "q104") if f"<td>{m}</td>" in listing.text] == \
        ["eval201", "q101", "q102", "q104"]
    assert "q103" not in listing.text  # Bob's
    preview = teacher.get("/ui/studio/legacy/q102")
    assert "Vue étudiant" in preview.text and "inacceptable" in preview.text and "image" in preview.text
    editor = teacher.post("/ui/studio/legacy/eval201/prefill", data={"csrf_token": teacher.cookies[CSRF_COOKIE]})
    assert editor.status_code == 200 and "Prérempli à partir de l'élément eval201" in text(editor)
    form = dict(fields(editor.text))
    assert form["kind"] == "DP" and form["legacy_id"] == "eval201" and form["q2.type"] == "QROC"
    answer = post(teacher, "/ui/studio/new", fields(editor.text), "save")
    assert answer.status_code == 303, answer.text[:400]
    item = app.state.studio.get(answer.headers["location"].rsplit("/", 1)[-1], Caller(TEACHER))
    assert item["legacy_id"] == "eval201" and len(item["questions"]) == 2
    refused = teacher.post("/ui/studio/legacy/q104/prefill", data={"csrf_token": teacher.cookies[CSRF_COOKIE]},
                           follow_redirects=False)
    assert refused.status_code == 303 and refused.headers["location"] == "/ui/studio/legacy/q104"


def test_who_may_open_the_studio(app, teacher):
    assert 'href="/ui/studio"' in teacher.get("/ui/").text
    student = signed_in(app, "s0-0-0")
    assert 'href="/ui/studio"' not in student.get("/ui/").text
    assert student.get("/ui/studio/new").status_code == 403
    assert student.get("/ui/studio").status_code == 200  # items:read: a student sees none
    assert teacher.get("/ui/studio/items/nothing-here").status_code == 404
    assert teacher.post("/ui/studio/new", data={"action": "save"}).status_code == 403  # no anti-forgery token


def test_violations_are_placed_next_to_their_fields():
    item = f"{BASE}item/i123"
    cases = [
        ({"focus": item, "path": "os:hasOption", "message": ""}, "QI", "q1.options"),
        ({"focus": item, "path": "dcterms:title", "message": ""}, "QI", "title"),
        ({"focus": item, "path": "os:statement", "message": ""}, "QI", "q1.statement"),
        ({"focus": item, "path": "os:statement", "message": ""}, "DL", "statement"),
        ({"focus": f"{item}/option/3", "path": None, "message": ""}, "QI", "q1.o3"),
        ({"focus": f"{item}/q/2/option/1", "path": None, "message": ""}, "DP", "q2.o1"),
        ({"focus": f"{item}/q/2", "path": "os:correctArea", "message": ""}, "DP", "q2.areas"),
        ({"focus": f"{item}/area/1", "path": "os:coordinates", "message": ""}, "QI", "q1.a1"),
        ({"focus": f"{item}/step/1", "path": "os:hasQuestion", "message": ""}, "KFP", "q1"),
        ({"focus": item, "path": "os:hasStep", "message": ""}, "DP", "questions"),
        ({"focus": f"{item}/check/2", "path": "os:points", "message": ""}, "ECOS", "st.c2"),
        ({"focus": item, "path": "os:durationMinutes", "message": ""}, "ECOS", "st.duration_minutes"),
        ({"focus": item, "path": None, "message": "The announced number of expected answers (3) differs from the "
                                                  "number of right options (2)."}, "QI", "q1.expected_count"),
        ({"focus": f"{BASE}item/preview", "path": "os:likertScale", "message": ""}, "QI", "q1.scale"),
    ]
    assert [(v, kind, sf.violation_key(v, kind)) for v, kind, _want in cases] == \
        [(v, kind, want) for v, kind, want in cases]


def test_every_rule_of_the_item_shapes_reads_in_french():
    use(load(WEB_DIR / "i18n")["fr"])
    try:
        messages = set()
        for path in (ROOT / "shapes" / "core" / "items.ttl", ROOT / "shapes" / "studio" / "items.ttl"):
            graph = Graph().parse(path)
            messages |= {str(m) for m in graph.objects(None, SH.message)}
        untranslated = []
        for message in messages:
            text = message.replace("{?announced}", "3").replace("{?right}", "2")
            if message.startswith("os:"):
                continue  # a wiring error the form cannot make (a property pointing at the wrong class)
            if sf.plain(text) == sf.TECHNICAL.sub("", text):
                untranslated.append(message)
        assert untranslated == []
    finally:
        use(load(WEB_DIR / "i18n")["en"])


def test_the_form_reads_numbers_as_people_type_them():
    form = sf.Form(_Multi({"q1.type": "NUMERIQUE", "kind": "QI", "q1.value": "5,5", "q1.tolerance": " 0.1 ",
                           "q1.expected_count": "", "q1.max_points": "beaucoup"}))
    question = sf._question(form, 1)
    assert (question["value"], question["tolerance"], question["max_points"]) == (5.5, 0.1, None)
    assert list(form.errors) == ["q1.max_points"]


class _Multi(dict):
    def getlist(self, name):
        return [self[name]] if name in self else []
