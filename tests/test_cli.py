"""The `ontosides` command line, run as a user runs it.

Most tests run the console script's `main()` in this process (`run`): the same code path as the installed
script (its argument parsing, its last-resort error handler, exit codes, standard output and error apart), with
the environment the subprocess had (PATH and COLUMNS only), without paying the platform's imports again for
each call. A few (`run_installed`) start the installed `ontosides` for real, to prove the entry point works end
to end: the demo store every test here starts from is made that way.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import common as cli_common
from cli import main as cli_main
from services.synthetic import Scale

from tests.conftest import CLI_ENV as ENV, copy_store, run_installed

SHAPES = Path(__file__).parent / "shapes"


@dataclass
class Done:
    """What a command did: exit status, standard output and standard error (as subprocess.CompletedProcess)."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str


def run(*args: str, cwd: Path | None = None) -> Done:
    """`ontosides ARGS` through the console script's `main()`, in this process, in the subprocess's environment
    (PATH and COLUMNS only; what a command sets, such as --store's ONTOSIDES_STORE, is undone afterwards)."""
    saved_env, saved_cwd, saved_argv = dict(os.environ), os.getcwd(), sys.argv
    widths = [(console, console._width) for console in (cli_common.out, cli_common.err)]
    runner = CliRunner()
    try:
        os.environ.clear()
        os.environ.update(ENV)
        sys.argv = ["ontosides", *args]
        for console, _ in widths:
            console.width = int(ENV["COLUMNS"])
        if cwd is not None:
            os.chdir(cwd)
        with runner.isolation() as (stdout, stderr, _):
            try:
                cli_main.main()
                code = 0
            except SystemExit as exc:
                if isinstance(exc.code, str):  # sys.exit("message"): printed, status 1, as the interpreter does
                    sys.stderr.write(exc.code + "\n")
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
    finally:
        sys.argv = saved_argv
        os.chdir(saved_cwd)
        for console, width in widths:
            console._width = width
        os.environ.clear()
        os.environ.update(saved_env)
    return Done(list(args), code, stdout.getvalue().decode(), stderr.getvalue().decode())


@pytest.fixture(scope="module")
def demo_store(cli_demo_template, tmp_path_factory) -> str:
    """A copy of the `make run` demo store for this module's tests."""
    return copy_store(cli_demo_template, tmp_path_factory.mktemp("cli") / "store")


def test_validate_an_invalid_file_names_each_violation():
    done = run_installed("validate", str(SHAPES / "PersonShape" / "invalid-no-id-bad-email.ttl"))
    assert done.returncode == 1
    assert "http://example.org/carl" in done.stderr
    assert "os:uniqueId" in done.stderr and "os:email" in done.stderr
    assert "Traceback" not in done.stderr


def test_validate_a_valid_file():
    done = run("validate", str(SHAPES / "QRUShape" / "valid.ttl"))
    assert done.returncode == 0 and "conforms" in done.stdout


def test_validate_the_demo_store_passes(demo_store):
    done = run("validate", "--store", demo_store)
    assert done.returncode == 0, done.stderr
    assert "conforms" in done.stdout


def test_demo_if_empty_does_not_duplicate(demo_store):
    done = run("demo", "--store", demo_store, "--if-empty")
    assert done.returncode == 0 and "skipped" in done.stdout


def test_query_formats(demo_store):
    as_json = run("query", "epreuve_grades", "--store", demo_store, "-p",
                  "epreuve=https://data.ontosides.fr/exam/u0f0e0/epreuve/1", "--format", "json")
    assert as_json.returncode == 0, as_json.stderr
    assert len(json.loads(as_json.stdout)["results"]["bindings"]) == 40
    as_csv = run("query", "graphs", "--store", demo_store, "--format", "csv")
    assert as_csv.stdout.splitlines()[0] == "graph,triples"
    table = run("query", "exams", "--store", demo_store)
    assert "row(s)" in table.stdout


def test_query_from_a_file_and_bad_sparql(demo_store, tmp_path):
    good = tmp_path / "count.rq"
    good.write_text("SELECT (COUNT(*) AS ?n) WHERE { ?s a <https://w3id.org/ontosides#Grade> }")
    done = run("query", str(good), "--store", demo_store, "--format", "csv")
    demo = Scale.demo()  # a faculty's first exam has two épreuves: one grade per student and épreuve
    grades = demo.universities * demo.faculties_per_university * demo.students_per_faculty * (demo.exams_per_faculty + 1)
    grades += demo.students_per_faculty  # the first faculty's épreuve with QROC and QROL to correct
    assert done.stdout.splitlines() == ["n", str(grades)]
    bad = tmp_path / "bad.rq"
    bad.write_text("SELECT ?x WHERE {")
    failed = run("query", str(bad), "--store", demo_store)
    assert failed.returncode == 1 and "error" in failed.stderr and "Traceback" not in failed.stderr


def test_query_errors_are_one_line(demo_store):
    missing = run("query", "epreuve_grades", "--store", demo_store)
    assert missing.returncode == 1
    assert "needs parameter 'epreuve'" in missing.stderr and "Traceback" not in missing.stderr
    unknown = run("query", "no_such_query", "--store", demo_store)
    assert unknown.returncode == 1 and "known:" in unknown.stderr


def test_load_then_export_then_refuse_invalid(tmp_path):
    store = str(tmp_path / "store")
    valid = SHAPES / "ExamShape" / "valid.ttl"
    loaded = run("load", str(valid), "--graph", "https://data.ontosides.fr/graph/test", "--store", store)
    assert loaded.returncode == 0, loaded.stderr
    out = tmp_path / "out.nq"
    exported = run("export", "--store", store, "--output", str(out))
    assert exported.returncode == 0 and "graph/test" in out.read_text()
    one = run("export", "--store", store, "--graph", "https://data.ontosides.fr/graph/test", "--format", "turtle")
    assert "Examen DFASM1" in one.stdout
    invalid = SHAPES / "ExamShape" / "invalid-no-epreuve.ttl"
    refused = run("load", str(invalid), "--graph", "https://data.ontosides.fr/graph/bad", "--store", store)
    assert refused.returncode == 1 and "os:hasEpreuve" in refused.stderr
    graphs = run("query", "graphs", "--store", store, "--format", "csv")
    assert "graph/bad" not in graphs.stdout and "graph/test" in graphs.stdout
    broken = tmp_path / "broken.ttl"
    broken.write_text("<a> <b> .\n")
    failed = run("load", str(broken), "--graph", "https://data.ontosides.fr/graph/broken", "--store", store)
    assert failed.returncode == 1 and "broken.ttl" in failed.stderr and "Traceback" not in failed.stderr


def test_init_and_queries_listing(tmp_path):
    done = run("init", "--store", str(tmp_path / "s"))
    assert done.returncode == 0 and "ontology loaded" in done.stdout
    listing = run("queries")
    assert "epreuve_grades(epreuve:iri)" in listing.stdout


LISA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "r2c-lisa-sample"


@pytest.mark.skipif(not LISA.is_dir(), reason=f"the LiSA sample is not at {LISA}")
def test_import_lisa_then_again_changes_nothing(tmp_path):
    store = str(tmp_path / "store")
    first = run("import", "lisa", str(LISA), "--store", store)
    assert first.returncode == 0, first.stderr
    assert "30 items, 433 objectives; 478 added" in first.stdout
    assert "IC-027/OIC-027-07-A.txt: no Rubric" in first.stderr
    second = run("import", "lisa", str(LISA), "--store", store)
    assert "unchanged: nothing written" in second.stdout
    shown = run("lists", "show", "referentiel", "--store", store, "--format", "csv")
    assert len(shown.stdout.splitlines()) == 1 + 463
    missing = run("import", "lisa", str(tmp_path / "nowhere"), "--store", store)
    assert missing.returncode == 1 and "not a folder" in missing.stderr


QTI_DATA = Path(__file__).parent / "data" / "qti"


def test_import_qti_reports_item_by_item_what_was_converted_repaired_and_lost(tmp_path):
    # run in tmp_path: the pictures it stores go to the default media folder, var/media of the working folder
    done = run("import", "qti", str(QTI_DATA / "tao"), str(QTI_DATA / "loose"), str(QTI_DATA / "package"),
               "--store", str(tmp_path / "store"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "qcm-ecg.xml: QRU — converted" in lines
    assert "two-pictures-absent.xml: QRU — converted with losses" in lines
    assert sum("lost: the picture 'media/photo" in line for line in lines) == 2
    assert "package:items/reading.xml: DL — converted with losses" in lines
    assert any("lost: interaction 3 (orderInteraction" in line for line in lines)
    assert lines[-1] == "7 item(s) read: 4 converted, 3 converted with losses, 0 not converted; 0 saved"
    assert "skipped: test.xml" not in done.stderr  # an unpacked package is read through its manifest


def test_index_rebuild_indexes_the_stores_items(demo_store):
    done = run("index", "rebuild", "--store", demo_store)
    assert done.returncode == 0, done.stderr
    count = int(done.stdout.split("indexed ")[1].split(" ")[0])
    assert count > 0 and f"{demo_store}-search" in done.stdout.replace("\n", "")
    rows = json.loads(run("query", "current_items", "--store", demo_store, "--format", "json").stdout)
    assert count == len(rows["results"]["bindings"])


def test_accounts_are_created_granted_a_function_given_a_token_and_logged(cli_demo_template, tmp_path):
    location = copy_store(cli_demo_template, tmp_path / "store")
    univ = "https://data.ontosides.fr/org/univ-0"
    created = run("accounts", "create", "--family-name", "Lemaire", "--given-name", "Inès", "--university", univ,
                  "--eppn", "ines.lemaire@univ-0.fr", "--email", "ines.lemaire@univ-0.fr", "--store", location)
    assert created.returncode == 0, created.stderr
    iri = created.stdout.split()[1]
    key = iri.rsplit("/", 1)[-1]
    found = run("accounts", "list", "--q", "Lemaire", "--store", location)
    assert "Lemaire" in found.stdout, found.stdout
    granted = run("accounts", "grant", key, "Enseignant", "https://data.ontosides.fr/org/univ-0/ufr-0",
                  "--store", location)
    assert granted.returncode == 0, granted.stderr
    assert "Enseignant" in run("accounts", "show", key, "--store", location).stdout
    token = run("accounts", "token", key, "--label", "script", "--store", location)
    assert token.returncode == 0 and len(token.stdout.strip().split()[-1]) >= 20
    refused = run("accounts", "grant", key, "NotAFunction", univ, "--store", location)
    assert refused.returncode == 1 and refused.stderr.startswith("error:") and "Traceback" not in refused.stderr
    audit = run("accounts", "audit", "--kind", "grant", "--store", location)
    assert audit.returncode == 0 and key in audit.stdout


def test_students_import_is_all_or_nothing_line_by_line_and_idempotent(cli_demo_template, tmp_path):
    location = copy_store(cli_demo_template, tmp_path / "store")
    offer = "univ-0-ufr-0-dfasm1-2025"
    bad = tmp_path / "bad.csv"
    bad.write_text("Nom;Prénom;Courriel;EPPN\nDurand;Zoé;zoe.durand@univ-0.fr;zoe.durand@univ-0.fr\n"
                   "Petit;Léo;pas-un-courriel;leo.petit@univ-0.fr\nMoreau;Inès;ines.moreau@univ-0.fr;\n",
                   encoding="utf-8-sig")
    assert offer in run("groups", "offers", "--store", location).stdout  # (the command line's account now exists)
    before = sorted(run("export", "--store", location).stdout.splitlines())
    refused = run("groups", "import-students", str(bad), "--offer", offer, "--store", location)
    assert refused.returncode == 1
    assert "line 3" in refused.stderr and "line 4" in refused.stderr and "nothing was written" in refused.stderr
    assert sorted(run("export", "--store", location).stdout.splitlines()) == before
    good = tmp_path / "good.csv"
    good.write_text("Nom,Prénom,Courriel,EPPN\nDurand,Zoé,zoe.durand@univ-0.fr,zoe.durand@univ-0.fr\n", encoding="utf-8")
    first = run("groups", "import-students", str(good), "--offer", offer, "--store", location)
    assert first.returncode == 0 and "1 created" in first.stdout, first.stdout + first.stderr
    again = run("groups", "import-students", str(good), "--offer", offer, "--store", location)
    assert again.returncode == 0 and "nothing to change" in again.stdout


def test_the_demo_has_an_ecos_circuit_rated_by_its_examiner(demo_store, tmp_path):
    query = tmp_path / "ratings.rq"
    query.write_text("""PREFIX os: <https://w3id.org/ontosides#> PREFIX prov: <http://www.w3.org/ns/prov#>
        SELECT ?student ?rating WHERE { GRAPH ?g { ?a os:globalRating ?rating ; os:student ?student ;
        prov:wasAttributedTo <https://data.ontosides.fr/person/sup0-0> } } ORDER BY ?student""")
    done = run("query", str(query), "--store", demo_store, "--format", "csv")
    assert done.returncode == 0, done.stderr
    rows = [line.split(",") for line in done.stdout.splitlines()[1:]]
    assert [r[0].rsplit("/", 1)[-1] for r in rows] == ["s0-0-1", "s0-0-2", "s0-0-3", "s0-0-4", "s0-0-5"]
    assert {r[1].rsplit("/", 1)[-1] for r in rows} == {"tres-satisfaisant", "satisfaisant", "limite", "insuffisant"}
