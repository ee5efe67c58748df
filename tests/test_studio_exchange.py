"""QTI and Moodle XML: exports re-import to the same item; another tool's QTI samples import or are reported."""

from __future__ import annotations

import pytest

from importers.moodle import parse_moodle, to_moodle
from importers.qti import parse_qti, to_qti
from tests.conftest import SHARED
from tests.studio_samples import AUTHOR, items, same_content

IMAGE = "https://data.ontosides.fr/media/" + "a" * 64
QTI_TYPES = ["QRU", "QRM", "QRP", "QRM_LONG", "QRP_LONG", "QROC", "QROL", "NUMERIQUE", "ZONE", "ASSOCIATION"]
MOODLE_TYPES = ["QRU", "QRM", "QRM_LONG", "QROC", "QROL", "NUMERIQUE", "ASSOCIATION"]
SAMPLES = SHARED / "data" / "qti-samples"


def without_comments(question: dict) -> dict:
    return {k: v for k, v in question.items() if k not in ("teaching_comment", "comment", "hint")}


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
                "inline_choice": None, "order": None}
    for path in sorted(SAMPLES.glob("*.xml")):
        response = studio.post("/items/import", params={"format": "qti"}, content=path.read_bytes(), headers=AUTHOR)
        assert response.status_code == 200, response.text
        [row] = response.json()
        want = expected[path.stem]
        if want is None:
            assert row["item"] is None and "no equivalent" in row["problems"][0]
        else:
            assert row["item"]["question"]["type"] == want, path.name
    # an importable sample is saved on request, one our rules refuse is explained
    text_entry = (SAMPLES / "text_entry.xml").read_bytes()
    saved = studio.post("/items/import", params={"format": "qti", "save": "true"}, content=text_entry,
                        headers=AUTHOR).json()[0]
    assert saved["saved"] and studio.get(f"/items/{saved['saved']}", headers=AUTHOR).json()["question"][
        "accepted_answers"] == ["York", "york"]
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
    assert "not well-formed" in by_source["upload:items/broken.xml"]["problems"][0]
