"""Hostile and broken files through every importer, upload route and file-taking command.

Each bad file gets a clear 4xx (API) or one error line and a non-zero exit (CLI) naming the line or the field,
and the store is byte-for-byte unchanged afterwards (sorted N-Quads dump before and after), the media folder too.
Small files live in tests/data/bad/; big or binary ones (huge literals, zip bombs, odd zips) are built here.
"""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import sys
import zipfile
from pathlib import Path

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from cli import main as cli
from services import dataset
from services.platform import Platform
from services.settings import Settings
from services.synthetic import Scale
from store.embedded import OxigraphStore
from tests.conftest import ADMIN_TOKEN, make_settings
from tests.studio_samples import AUTHOR, BASE, TOKENS

BAD = Path(__file__).parent / "data" / "bad"
QTI_PACKAGE = Path(__file__).parent / "data" / "qti" / "package"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
GRAPH = f"{BASE}graph/bad-input"
OFFICIEL = "https://w3id.org/ontosides#Officiel"
BODY_LIMIT = 2 * 1024 * 1024
SMALL_SCALE = Scale(universities=1, students_per_faculty=2, questions_per_faculty=2, referentiel_items=3,
                    objectives_per_item=2, questions_per_epreuve=2)


# --- the files built at test time -----------------------------------------------------------------------

def _zip(entries: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _package() -> dict[str, bytes]:
    return {p.relative_to(QTI_PACKAGE).as_posix(): p.read_bytes() for p in QTI_PACKAGE.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """Files too big or too binary to keep in git: huge literals and fields, zip bombs, hostile zips."""
    folder = tmp_path_factory.mktemp("bad-built")
    statement = b"<https://data.ontosides.fr/bad/a> <http://www.w3.org/2004/02/skos/core#definition> \""
    # An unterminated literal past the body limit, and one under it: no parser may hang or take it whole.
    (folder / "huge-literal.ttl").write_bytes(statement + b"x" * (BODY_LIMIT + 1024))
    (folder / "long-unterminated-literal.nt").write_bytes(
        b"<https://data.ontosides.fr/bad/z> <http://www.w3.org/2004/02/skos/core#note> \"ok\" .\n"
        + statement + b"y" * (BODY_LIMIT // 2) + b"\n")
    (folder / "huge-field.csv").write_bytes(b'notation,label_fr\nA1,"' + b"x" * 200_000 + b'"\n')
    item = (QTI_PACKAGE / "items" / "reading.xml").read_bytes()
    (folder / "slip.zip").write_bytes(_zip({"imsmanifest.xml": b"<manifest/>", "../../evil.xml": item}))
    (folder / "absolute.zip").write_bytes(_zip({"items/a.xml": item, "/etc/cron.d/evil.xml": item}))
    (folder / "bomb.zip").write_bytes(_zip({"items/a.xml": item, "items/zeros.png": b"\0" * (60 * 1024 * 1024)}))
    (folder / "many.zip").write_bytes(_zip({f"items/{n}.xml": b"<x/>" for n in range(2_001)}, zipfile.ZIP_STORED))
    (folder / "corrupt.zip").write_bytes(b"PK\x03\x04" + bytes(range(256)) * 8)
    package = _zip(_package())
    (folder / "truncated.zip").write_bytes(package[: len(package) // 2])
    (folder / "all-broken.zip").write_bytes(_zip({
        "items/broken.xml": (BAD / "qti" / "broken.xml").read_bytes(),
        "items/xxe.xml": (BAD / "qti" / "external-entity.xml").read_bytes(),
        "items/images/rash-a.png": (QTI_PACKAGE / "items" / "images" / "rash-a.png").read_bytes()}))
    return folder


# --- the store and media folder, compared before and after ----------------------------------------------

def snapshot(store, media: Path) -> tuple[list[bytes], dict[str, str]]:
    """The store as sorted N-Quads lines and the media folder as name → SHA-256."""
    dump = io.BytesIO()
    store.dump(dump, ox.RdfFormat.N_QUADS)
    files = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in media.glob("*")} if media.is_dir() else {}
    return sorted(dump.getvalue().splitlines()), files


# --- the API ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def api(tmp_path_factory):
    """The API over a small demo with a graph of its own, and a body limit of 2 MB; server errors answered."""
    media = tmp_path_factory.mktemp("bad-media")
    settings = make_settings(user_tokens=TOKENS, media_dir=str(media), max_body_bytes=BODY_LIMIT)
    platform = Platform.build(settings, OxigraphStore())
    dataset.load_demo(platform, SMALL_SCALE)
    client = TestClient(create_app(settings, platform.store), raise_server_exceptions=False)
    kept = client.put("/graphs", params={"graph": GRAPH}, headers={**ADMIN, "Content-Type": "text/turtle"},
                      content=f"<{BASE}bad/kept> <http://www.w3.org/2004/02/skos/core#note> \"kept\" .")
    assert kept.status_code == 201, kept.text
    image = client.post("/media", content=b"\x89PNG kept", headers={**AUTHOR, "Content-Type": "image/png"})
    assert image.status_code == 201
    return client, platform.store, media


def rdf(name: str, media_type: str) -> tuple:
    return ("PUT", "/graphs", {"graph": GRAPH}, ADMIN, media_type, BAD / "rdf" / name)


def csv_file(name: str) -> tuple:
    return ("POST", "/lists/specialites/import-csv", {"level": OFFICIEL}, ADMIN, "text/csv", BAD / "csv" / name)


def item_file(path: Path, fmt: str, save: bool = False) -> tuple:
    return ("POST", "/items/import", {"format": fmt, "save": str(save).lower()}, AUTHOR, "application/octet-stream",
            path)


API_CASES = {
    # Graph Store: every RDF syntax the route reads
    "turtle, broken": (rdf("broken.ttl", "text/turtle"), 400, "line 6"),
    "turtle, truncated": (rdf("truncated.ttl", "text/turtle"), 400, "line 4"),
    "turtle, not UTF-8": (rdf("not-utf8.ttl", "text/turtle"), 400, "line 3"),
    "turtle, IRI with a space": (rdf("bad-iri.ttl", "text/turtle"), 400, "line 4"),
    "n-triples, valid lines then a broken one": (rdf("valid-then-broken.nt", "application/n-triples"), 400, "line 3"),
    "n-triples added (POST), valid lines then a broken one":
        (("POST", *rdf("valid-then-broken.nt", "application/n-triples")[1:]), 400, "line 3"),
    "json-ld, broken": (rdf("broken.jsonld", "application/ld+json"), 400, "line 3"),
    "json-ld, remote context": (rdf("remote-context.jsonld", "application/ld+json"), 400, "@context is never fetched"),
    "rdf/xml, external entity": (rdf("external-entity.rdf", "application/rdf+xml"), 400, "entity 'secret'"),
    "rdf/xml, entity expansion": (rdf("entity-expansion.rdf", "application/rdf+xml"), 400, "entity 'lol'"),
    "trig is not a graph": (rdf("broken.trig", "application/trig"), 415, "send one of"),
    "huge literal over the body limit": (("PUT", "/graphs", {"graph": GRAPH}, ADMIN, "text/turtle",
                                          "huge-literal.ttl"), 413, "over"),
    "long unterminated literal": (("PUT", "/graphs", {"graph": GRAPH}, ADMIN, "application/n-triples",
                                   "long-unterminated-literal.nt"), 400, "line 2"),
    # list CSV
    "csv, a row without notation": (csv_file("missing-notation.csv"), 422, "line 3: no notation"),
    "csv, not UTF-8": (csv_file("not-utf8.csv"), 422, "line 2, column 16"),
    "csv, truncated in a quoted field": (csv_file("truncated.csv"), 422, "line 3"),
    "csv, orders that are not numbers": (csv_file("bad-order.csv"), 422, "line 3: order 'deux'"),
    "csv, an unknown parent": (csv_file("unknown-parent.csv"), 422, "line 4: parent SALLE-Z"),
    "csv, no rows": (csv_file("header-only.csv"), 422, "no rows"),
    "csv, huge field": (("POST", "/lists/specialites/import-csv", {"level": OFFICIEL}, ADMIN, "text/csv",
                         "huge-field.csv"), 422, "line 2: field larger"),
    # QTI items and packages, Moodle quizzes (checked then saved: nothing is written either way)
    **{f"{label}, save={save}": (item_file(path, fmt, save), 422, expected) for save in (False, True)
       for label, path, fmt, expected in [
           ("qti, broken", BAD / "qti" / "broken.xml", "qti", "line 13"),
           ("qti, truncated", BAD / "qti" / "truncated.xml", "qti", "line 8"),
           ("qti, not UTF-8", BAD / "qti" / "not-utf8.xml", "qti", "line 2"),
           ("qti, external entity", BAD / "qti" / "external-entity.xml", "qti", "entity 'secret'"),
           ("qti, entity expansion", BAD / "qti" / "entity-expansion.xml", "qti", "entity 'lol'"),
           ("qti, not an item", BAD / "qti" / "not-an-item.xml", "qti", "not a QTI assessment item"),
           ("qti, unknown encoding", BAD / "qti" / "unknown-encoding.xml", "qti", "line 1: the XML declaration"),
           ("qti, points that are not numbers", BAD / "qti" / "bad-number.xml", "qti", "mappedValue of 'C'"),
           ("zip, ../ entry", "slip.zip", "qti", "'../../evil.xml' points outside"),
           ("zip, absolute entry", "absolute.zip", "qti", "'/etc/cron.d/evil.xml' points outside"),
           ("zip bomb", "bomb.zip", "qti", "zip bomb"),
           ("zip, too many entries", "many.zip", "qti", "at most 2000"),
           ("zip, corrupt", "corrupt.zip", "qti", "not a readable zip"),
           ("zip, truncated", "truncated.zip", "qti", "not a readable zip"),
           ("zip, every item broken", "all-broken.zip", "qti", "line 13"),
           ("moodle, broken", BAD / "moodle" / "broken.xml", "moodle", "line 10"),
           ("moodle, valid question then truncated", BAD / "moodle" / "valid-then-truncated.xml", "moodle", "line 9"),
           ("moodle, not UTF-8", BAD / "moodle" / "not-utf8.xml", "moodle", "line 3"),
           ("moodle, external entity", BAD / "moodle" / "external-entity.xml", "moodle", "entity 'secret'"),
           ("moodle, entity expansion", BAD / "moodle" / "entity-expansion.xml", "moodle", "entity 'lol'"),
       ]},
    # media
    "media, empty": (("POST", "/media", {}, AUTHOR, "image/png", b""), 422, "empty"),
    "media, a type that is not kept": (("POST", "/media", {}, AUTHOR, "application/javascript", b"alert(1)"), 422,
                                       "not accepted"),
    "media, over the body limit": (("POST", "/media", {}, AUTHOR, "image/png", "huge-literal.ttl"), 413, "over"),
}


@pytest.mark.parametrize("case", API_CASES)
def test_a_bad_upload_is_refused_naming_where_and_changes_nothing(api, built, case):
    client, store, media = api
    (method, url, params, headers, media_type, source), status, expected = API_CASES[case]
    body = source if isinstance(source, bytes) else (source if isinstance(source, Path) else built / source).read_bytes()
    before = snapshot(store, media)
    answer = client.request(method, url, params=params, headers={**headers, "Content-Type": media_type},
                            content=body)
    assert answer.status_code == status, answer.text[:500]
    assert expected in answer.json()["detail"], answer.text[:500]
    assert snapshot(store, media) == before


def test_a_quiz_with_bad_numbers_and_a_broken_picture_reports_each_question(api):
    """Per-question problems are reported in the import report (200), never a 500, and nothing is written."""
    client, store, media = api
    before = snapshot(store, media)
    for save in ("false", "true"):
        answer = client.post("/items/import", params={"format": "moodle", "save": save}, headers=AUTHOR,
                             content=(BAD / "moodle" / "bad-numbers.xml").read_bytes())
        assert answer.status_code == 200, answer.text
        rows = answer.json()
        assert [row["status"] for row in rows] == ["not converted", "not converted", "converted with losses"]
        assert "the numerical answer: 'cinq' is not a number" in rows[0]["lost"][0]
        assert "an answer's fraction: 'cent' is not a number" in rows[1]["lost"][0]
        assert any("not valid base64" in text for text in rows[2]["lost"])
        assert not any(row["saved"] for row in rows)
    assert snapshot(store, media) == before


def test_a_package_with_one_broken_item_stores_the_others_pictures_only_when_read_whole(api):
    """A package is read whole before any picture is stored: one unreadable item is reported, the others kept."""
    client, store, media = api
    entries = _package()
    entries["items/zz-broken.xml"] = (BAD / "qti" / "broken.xml").read_bytes()
    answer = client.post("/items/import", params={"format": "qti"}, headers=AUTHOR, content=_zip(entries))
    assert answer.status_code == 200, answer.text
    broken = [row for row in answer.json() if row["source"].endswith("zz-broken.xml")]
    assert broken[0]["status"] == "not converted" and "line 13" in broken[0]["lost"][0]
    pictures = {p.name for p in media.glob("*")}
    referenced = {iri.rsplit("/", 1)[-1] for row in answer.json() if row["item"]
                  for iri in re.findall(r"https://data\.ontosides\.fr/media/[0-9a-f]{64}", str(row["item"]))}
    assert referenced and referenced <= pictures


# --- the command line ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cli_store(tmp_path_factory) -> tuple[Path, Path]:
    """An on-disk store with the ontology, the list library and a small demo; an empty media folder."""
    folder = tmp_path_factory.mktemp("bad-cli")
    location, media = folder / "store", folder / "media"
    platform = Platform.build(Settings(_env_file=None, store=str(location), media_dir=str(media)))
    dataset.load_demo(platform, SMALL_SCALE)
    platform.store.close()
    return location, media


def on_disk_snapshot(location: Path, media: Path):
    store = OxigraphStore(location)
    try:
        return snapshot(store, media)
    finally:
        store.close()


def run_cli(args: list[str], monkeypatch, capsys) -> tuple[int, str]:
    """`ontosides ARGS` as the console script runs it (its last-resort handler included): exit code, stderr."""
    monkeypatch.setattr(sys, "argv", ["ontosides", *args])
    with pytest.raises(SystemExit) as exit_:
        cli.main()
        sys.exit(0)
    return exit_.value.code or 0, capsys.readouterr().err


def rdf_load(name: str, folder: Path = BAD / "rdf") -> list[str]:
    return ["load", str(folder / name), "--graph", GRAPH]


CLI_CASES = {
    "load turtle, broken": (rdf_load("broken.ttl"), "line 6"),
    "load turtle, truncated": (rdf_load("truncated.ttl"), "line 4"),
    "load turtle, not UTF-8": (rdf_load("not-utf8.ttl"), "line 3"),
    "load turtle, IRI with a space": (rdf_load("bad-iri.ttl"), "line 4"),
    "load n-quads, valid lines then a broken one": (["load", str(BAD / "rdf" / "valid-then-broken.nq")], "line 4"),
    "load trig, broken": (["load", str(BAD / "rdf" / "broken.trig")], "line 7"),
    "load json-ld, broken": (rdf_load("broken.jsonld"), "line 3"),
    "load json-ld, remote context": (rdf_load("remote-context.jsonld"), "@context is never fetched"),
    "load rdf/xml, external entity": (rdf_load("external-entity.rdf"), "entity 'secret'"),
    "load rdf/xml, entity expansion": (rdf_load("entity-expansion.rdf"), "entity 'lol'"),
    "load, huge unterminated literal": (["load", "{built}/huge-literal.ttl", "--graph", GRAPH], "line 1"),
    "validate json-ld, remote context": (["validate", str(BAD / "rdf" / "remote-context.jsonld")],
                                         "@context is never fetched"),
    "validate rdf/xml, entity expansion": (["validate", str(BAD / "rdf" / "entity-expansion.rdf")], "entity 'lol'"),
    "validate n-quads, valid lines then a broken one": (["validate", str(BAD / "rdf" / "valid-then-broken.nq")],
                                                        "line 4"),
    **{f"import list-csv, {name}": (["import", "list-csv", str(BAD / "csv" / name), "--list", "specialites"], expected)
       for name, expected in [("missing-notation.csv", "line 3: no notation"), ("not-utf8.csv", "line 2, column 16"),
                              ("truncated.csv", "line 3"), ("bad-order.csv", "line 4: order 'inf'"),
                              ("unknown-parent.csv", "line 4: parent SALLE-Z")]},
    "import list-csv, huge field": (["import", "list-csv", "{built}/huge-field.csv", "--list", "specialites"],
                                    "line 2: field larger"),
    **{f"import qti, {name}": (["import", "qti", str(BAD / "qti" / name), "--save", "--author", TOKENS["author"]],
                               expected)
       for name, expected in [("broken.xml", "line 13"), ("not-utf8.xml", "line 2"),
                              ("external-entity.xml", "entity 'secret'"), ("entity-expansion.xml", "entity 'lol'"),
                              ("bad-number.xml", "mappedValue of 'C'")]},
    **{f"import qti, {name}": (["import", "qti", f"{{built}}/{name}", "--save", "--author", TOKENS["author"]],
                               expected)
       for name, expected in [("slip.zip", "points outside"), ("bomb.zip", "zip bomb"),
                              ("truncated.zip", "not a readable zip"), ("all-broken.zip", "line 13")]},
    **{f"import moodle, {name}": (["import", "moodle", str(BAD / "moodle" / name), "--save", "--author",
                                   TOKENS["author"]], expected)
       for name, expected in [("valid-then-truncated.xml", "line 9"), ("entity-expansion.xml", "entity 'lol'"),
                              ("external-entity.xml", "entity 'secret'")]},
    "import lisa, nothing readable": (["import", "lisa", "{built}/lisa"], "no knowledge objective could be read"),
    "query, a .rq that does not parse": (["query", str(BAD / "sparql" / "broken.rq")], "error at 5:1"),
    "query, a .rq not UTF-8": (["query", str(BAD / "sparql" / "not-utf8.rq")], "line 1, column 16"),
    "stats, scores not UTF-8": (["stats", "--scores", str(BAD / "csv" / "not-utf8.csv")], "line 2, column 16"),
}


@pytest.mark.parametrize("case", CLI_CASES)
def test_a_bad_file_on_the_command_line_is_one_line_and_changes_nothing(cli_store, built, case, monkeypatch,
                                                                        capsys):
    location, media = cli_store
    args, expected = CLI_CASES[case]
    lisa = built / "lisa" / "IC-001"
    if not lisa.is_dir():
        lisa.mkdir(parents=True)
        (lisa / "OIC-001-01-A.txt").write_bytes(b"\x00\x01binary, no template")
        (lisa / "OIC-001-02-A.txt").write_bytes(b"{{knowledge objective|Identifiant=OIC-001-02-A|Intitul")
    monkeypatch.setenv("ONTOSIDES_STORE", str(location))
    monkeypatch.setenv("ONTOSIDES_MEDIA_DIR", str(media))
    before = on_disk_snapshot(location, media)
    code, err = run_cli([arg.replace("{built}", str(built)) for arg in args], monkeypatch, capsys)
    assert code != 0
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and expected in errors[0], err
    assert "Traceback" not in err
    assert not re.match(r"error: \w+(Error|Exception):", errors[0]), "the last-resort handler answered"
    assert on_disk_snapshot(location, media) == before
