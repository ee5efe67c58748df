"""QTI and Moodle XML: exports re-import to the same item; another tool's QTI samples import or are reported."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from importers.moodle import parse_moodle, to_moodle
from importers.qti import parse_qti, to_qti
from services.studio.exchange import convert
from services.studio.media import media_iri
from tests.conftest import SHARED
from tests.studio_samples import AUTHOR, items, same_content

IMAGE = "https://data.ontosides.fr/media/" + "a" * 64
QTI_TYPES = ["QRU", "QRM", "QRP", "QRM_LONG", "QRP_LONG", "QROC", "QROL", "NUMERIQUE", "ZONE", "ASSOCIATION"]
MOODLE_TYPES = ["QRU", "QRM", "QRM_LONG", "QROC", "QROL", "NUMERIQUE", "ASSOCIATION"]
SAMPLES = SHARED / "data" / "qti-samples"


def without_comments(question: dict) -> dict:
    return {k: v for k, v in question.items() if k not in ("comment", "hint")}


@pytest.mark.parametrize("qtype", QTI_TYPES)
def test_qti_export_reimports_to_the_same_item(qtype):
    item = items(IMAGE, IMAGE)[f"QI-{qtype}"]
    xml, problems = to_qti(item)
    assert xml is not None and "imsqtiasi_v3p0" in xml
    back = parse_qti(xml, "roundtrip", resolve_media=lambda path: path)
    assert back.item["title"] == item["title"]
    same_content(without_comments(item["question"]), back.item["question"])


@pytest.mark.parametrize("qtype", MOODLE_TYPES)
def test_moodle_export_reimports_to_the_same_item(qtype):
    item = items(IMAGE, IMAGE)[f"QI-{qtype}"]
    xml, problems = to_moodle([item])
    [back] = parse_moodle(xml, "roundtrip")
    assert back.item["title"] == item["title"]
    same_content(item["question"], back.item["question"])


def test_what_qti_cannot_express_is_reported():
    everything = items(IMAGE, IMAGE)
    xml, problems = to_qti(everything["QI-TCS"])
    assert xml is None and "TCS" in problems[0]
    xml, problems = to_qti(everything["DP"])
    assert xml is None and "one by one" in problems[0]
    _, moodle_problems = to_moodle([everything["QI-ZONE"], everything["ECOS"]])
    assert len(moodle_problems) == 2


@pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"the QTI samples are not at {SAMPLES}")
def test_another_tools_qti_samples_import_or_are_reported(studio):
    expected = {"choice": "QRU", "choice_multiple": "QRM", "text_entry": "QROC", "extended_text": "QROL",
                "essay": "QROL", "match": "ASSOCIATION", "associate": "ASSOCIATION", "hotspot": "ZONE",
                "inline_choice": "QRU", "order": None}
    for path in sorted(SAMPLES.glob("*.xml")):
        response = studio.post("/items/import", params={"format": "qti"}, content=path.read_bytes(), headers=AUTHOR)
        assert response.status_code == 200, response.text
        [row] = response.json()
        want = expected[path.stem]
        if want is None:
            assert row["item"] is None and row["status"] == "not converted" and "no equivalent" in row["lost"][0]
        else:
            assert row["item"]["question"]["type"] == want, path.name
    # a lone upload whose picture is not sent with it says so, by name; the item is not 'converted'
    choice = studio.post("/items/import", params={"format": "qti"}, content=(SAMPLES / "choice.xml").read_bytes(),
                         headers=AUTHOR).json()[0]
    assert choice["status"] == "converted with losses"
    assert any("'images/sign.png'" in text and "NEVER LEAVE LUGGAGE" in text for text in choice["lost"])
    # an importable sample is saved on request, one our rules refuse is explained
    text_entry = (SAMPLES / "text_entry.xml").read_bytes()
    saved = studio.post("/items/import", params={"format": "qti", "save": "true"}, content=text_entry,
                        headers=AUTHOR).json()[0]
    assert saved["saved"] and studio.get(f"/items/{saved['saved']}", headers=AUTHOR).json()["question"][
        "accepted_answers"] == ["York", "york"]
    assert any("york" in text and "part of the points" in text for text in saved["lost"])
    three = studio.post("/items/import", params={"format": "qti", "save": "true"},
                        content=(SAMPLES / "choice.xml").read_bytes(), headers=AUTHOR).json()[0]
    assert three["saved"] is None and any("4 or 5" in v["message"] for v in three["violations"])


def test_api_export_and_import_round_trip(studio):
    created = studio.post("/items", json=items(*studio.media)["QI-QRM"], headers=AUTHOR).json()
    for fmt in ("qti", "moodle"):
        exported = studio.get(f"/items/{created['id']}/export", params={"format": fmt}, headers=AUTHOR)
        assert exported.status_code == 200 and exported.headers["content-type"].startswith("application/xml")
        row = studio.post("/items/import", params={"format": fmt, "save": "true"}, content=exported.content,
                          headers=AUTHOR).json()[0]
        assert row["saved"], row
        again = studio.get(f"/items/{row['saved']}", headers=AUTHOR).json()
        assert again["question"]["options"] == created["question"]["options"]
    bad = studio.post("/items/import", params={"format": "qti"}, content=b"<not-qti/>", headers=AUTHOR)
    assert bad.status_code == 422 and "not a QTI assessment item" in bad.json()["detail"]


@pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"the QTI samples are not at {SAMPLES}")
def test_a_qti_content_package_brings_its_images(studio):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("imsmanifest.xml", "<manifest/>")
        package.writestr("items/hotspot.xml", (SAMPLES / "hotspot.xml").read_bytes())
        package.writestr("items/images/ukair.png", b"\x89PNG map of UK airports")
        package.writestr("items/broken.xml", b"<assessmentItem")
    rows = studio.post("/items/import", params={"format": "qti", "save": "true"}, content=buffer.getvalue(),
                       headers=AUTHOR).json()
    by_source = {r["source"]: r for r in rows}
    hotspot = by_source["upload:items/hotspot.xml"]
    assert hotspot["saved"], hotspot
    saved = studio.get(f"/items/{hotspot['saved']}", headers=AUTHOR).json()
    assert saved["question"]["image"].startswith("https://data.ontosides.fr/media/")
    assert saved["question"]["areas"] == [{"shape": "circle", "coords": "77,115,8"}]
    assert by_source["upload:items/broken.xml"]["item"] is None
    assert "not well-formed" in by_source["upload:items/broken.xml"]["lost"][0]


# --- other tools' items: nothing lost silently ------------------------------------------------------------------

DATA = Path(__file__).parent / "data"


def package(folder: Path) -> bytes:
    """A content package (zip) of a fixture folder."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


def test_inline_feedback_becomes_the_options_comment_never_its_text(tmp_path):
    converted = parse_qti((DATA / "qti" / "tao" / "qcm-ecg.xml").read_bytes(), "tao")
    options = converted.item["question"]["options"]
    assert [o["text"] for o in options] == ["Onde U", "Ondes T amples et pointues", "Sous-décalage du segment ST",
                                            "Allongement du QT", "Onde delta"]
    assert options[0]["comment"] == "Elle évoque une hypokaliémie."
    assert options[1]["comment"] == "Le signe le plus précoce."
    # modal feedback naming an option goes to that option; the other keeps its condition in the teaching comment
    assert options[4]["comment"] == "L'onde delta signe une préexcitation."
    assert converted.item["question"]["teaching_comment"] == \
        "[SCORE_FEEDBACK = wrong] Revoyez les signes ECG des dyskaliémies."
    assert converted.item["question"]["statement"] == ("Un homme de 67 ans, insuffisant rénal, a cet ECG :\n"
                                                       "Quelle anomalie évoque une hyperkaliémie ?")


def test_a_loose_file_stores_the_pictures_beside_it_and_names_each_absent_one(studio):
    platform = studio.app.state.studio.platform
    tao = DATA / "qti" / "tao"
    [found] = convert("qti", (tao / "qcm-ecg.xml").read_bytes(), "qcm-ecg.xml", tao, studio.app.state.studio)
    assert found.status == "converted"
    image = found.item["question"]["image"]
    assert image == media_iri(platform, hashlib.sha256((tao / "images" / "ecg.png").read_bytes()).hexdigest())
    assert studio.get(image.replace(platform.settings.base_iri.rstrip("/"), ""), headers=AUTHOR).content == \
        (tao / "images" / "ecg.png").read_bytes()
    loose = DATA / "qti" / "loose"
    [absent] = convert("qti", (loose / "two-pictures-absent.xml").read_bytes(), "two.xml", loose,
                       studio.app.state.studio)
    assert absent.status == "converted with losses"
    missing = [n.text for n in absent.notes if n.kind == "media-missing"]
    assert len(missing) == 2 and "'media/photo-1.jpg'" in missing[0] and "'media/photo%202.jpg'" in missing[1]
    assert all("not beside the file" in text for text in missing)


def test_a_content_package_brings_pictures_passages_and_says_what_it_could_not(studio):
    rows = studio.post("/items/import", params={"format": "qti"}, content=package(DATA / "qti" / "package"),
                       headers=AUTHOR).json()
    by_source = {r["source"].split(":", 1)[1]: r for r in rows}
    # the test and the shared passage are not items: their items are read from their own files
    assert list(by_source) == ["items/option-images.xml", "items/reading.xml", "items/lca.xml", "items/dose.xml",
                               "items/with-stimulus.xml"]
    images = by_source["items/option-images.xml"]
    assert images["status"] == "converted" and images["violations"] == []
    options = images["item"]["question"]["options"]
    assert [o["text"] for o in options] == ["Lésion annulaire du mollet", "Plaque squameuse du coude",
                                            "Lésion du tronc", "Vésicules groupées"]
    assert len({o["image"] for o in options}) == 4 and len(images["repaired"]) == 3
    reading = by_source["items/reading.xml"]
    assert reading["status"] == "converted with losses" and reading["item"]["kind"] == "DL"
    assert [q["type"] for q in reading["item"]["questions"]] == ["QRU", "QROC"]
    assert reading["item"]["questions"][1]["statement"] == "Quel examen demandez-vous en premier ? ___"
    [passage] = reading["item"]["attachments"]
    served = studio.get(passage.replace("https://data.ontosides.fr", ""), headers=AUTHOR)
    assert served.headers["content-type"].startswith("text/html") and served.headers["content-security-policy"] == \
        "sandbox" and "brûlures mictionnelles" in served.text
    assert any("orderInteraction" in text for text in reading["lost"])
    lca = by_source["items/lca.xml"]
    assert lca["item"]["kind"] == "LCA" and lca["status"] == "converted" and lca["violations"] == []
    assert lca["item"]["questions"][0]["model_answer"] == "Essai contrôlé, randomisé, en double aveugle."
    assert studio.get(lca["item"]["article"].replace("https://data.ontosides.fr", ""), headers=AUTHOR).content.startswith(b"%PDF")
    dose = by_source["items/dose.xml"]
    assert dose["status"] == "converted with losses"
    assert any("templateProcessing: POIDS" in text for text in dose["lost"])
    assert "{POIDS}" in dose["item"]["question"]["statement"]
    assert any("50 × P^1" in text for text in dose["repaired"])
    stimulus = by_source["items/with-stimulus.xml"]
    assert stimulus["item"]["question"]["statement"].startswith("Un nourrisson de 3 mois est fébrile")
    assert stimulus["item"]["question"]["options"][0]["comment"] == "Une infection urinaire est la première cause."


def test_a_converted_package_item_saves_with_its_pictures_and_reads_back(studio):
    rows = studio.post("/items/import", params={"format": "qti", "save": "true"},
                       content=package(DATA / "qti" / "package"), headers=AUTHOR).json()
    by_source = {r["source"].split(":", 1)[1]: r for r in rows}
    for name in ("items/option-images.xml", "items/lca.xml"):
        row = by_source[name]
        assert row["saved"], row
        saved = studio.get(f"/items/{row['saved']}", headers=AUTHOR).json()
        same_content(row["item"], saved)
    reading = studio.post("/items", json={**by_source["items/reading.xml"]["item"]}, headers=AUTHOR)
    assert reading.status_code == 201, reading.text
    assert reading.json()["attachments"] == by_source["items/reading.xml"]["item"]["attachments"]
    student = studio.get(f"/items/{by_source['items/option-images.xml']['saved']}/preview",
                         params={"view": "student"}, headers=AUTHOR).json()
    assert all(o.get("image") for o in student["question"]["options"])


def test_an_attachment_that_is_not_a_stored_file_is_refused(studio):
    item = {"kind": "QI", "title": "Lecture", "question": {
        "type": "QROL", "statement": "Résumez.", "model_answer": "Un résumé.", "max_points": 2,
        "attachments": ["https://data.ontosides.fr/media/" + "c" * 64]}}
    refused = studio.post("/items", json=item, headers=AUTHOR)
    assert refused.status_code == 422
    assert any("stored file" in v["message"] for v in refused.json()["violations"])


def test_option_comments_pictures_and_teaching_comments_travel_through_qti(studio):
    image = studio.media[0]
    item = items(image, image)["QI-QRU"]
    item["question"]["options"][0].update(comment="Le streptocoque du groupe A.", image=image)
    item["question"]["attachments"] = [studio.media[1]]
    xml, problems = to_qti(item)
    assert "feedback-inline" in xml and "modal-feedback" in xml and "<p>Proposition" not in xml
    back = parse_qti(xml, "roundtrip", resolve_media=lambda path: path)
    assert back.status == "converted" and not back.notes, back.notes
    same_content(without_comments(item["question"]), back.item["question"])


def test_moodle_embedded_pictures_and_feedback_are_kept_and_losses_listed(studio):
    rows = studio.post("/items/import", params={"format": "moodle"},
                       content=(DATA / "moodle" / "quiz-images.xml").read_bytes(), headers=AUTHOR).json()
    ecg, antidotes = rows
    question = ecg["item"]["question"]
    assert question["image"].startswith("https://data.ontosides.fr/media/")
    assert [o.get("comment") for o in question["options"]] == ["Elle évoque une hypokaliémie.", "Oui.", None,
                                                               "Préexcitation.", None]
    assert question["options"][3]["image"] == question["image"]  # the same picture, stored once
    assert question["teaching_comment"] == ("Les ondes T amples sont le signe le plus précoce.\n"
                                            "[answer wrong] Revoyez les dyskaliémies.")
    assert question["hint"] == "Pensez au potassium.\nRegardez les ondes T."
    assert ecg["status"] == "converted with losses"
    assert any("-50%" in text for text in ecg["lost"]) and any("cardiologie, ECG" in text for text in ecg["lost"])
    assert any("'https://example.org/poison.png'" in text for text in antidotes["lost"])
    assert any("'Flumazénil'" in text for text in antidotes["lost"])


def test_option_comments_pictures_and_line_breaks_travel_through_moodle(studio):
    image = studio.media[0]
    item = items(image, image)["QI-QRM"]
    item["question"]["statement"] = "Un homme de 40 ans.\nQuels signes évoquent une méningite ?"
    item["question"]["image"] = image
    item["question"]["options"][3].update(comment="Urgence : antibiothérapie immédiate.\nSans attendre.")
    item["question"]["options"][1].update(image=image, comment="Non.")
    xml, problems = to_moodle([item])
    [back] = convert("moodle", xml.encode(), "roundtrip", studio=studio.app.state.studio)
    assert back.status == "converted", back.notes
    same_content(item["question"], back.item["question"])
