"""The LiSA importer on the real sample export (counts, repairs, re-import) and on small files of every broken shape
met in the full export."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from importers.lisa import parse_folder
from services.dataset import validate_store
from services.lists.library import ListLibrary
from services.lists.referentiel import import_lisa
from services.lists.repository import OFFICIEL
from services.lists.seed import ensure_library
from tests.conftest import SHARED

SAMPLE = SHARED / "data" / "r2c-lisa-sample"
needs_sample = pytest.mark.skipif(not SAMPLE.is_dir(), reason=f"the LiSA sample is not at {SAMPLE}")
ADMIN = "urn:ontosides:admin"


@pytest.fixture
def library(memory_platform) -> ListLibrary:
    ensure_library(memory_platform)
    return ListLibrary(memory_platform)


def by_id(export, identifier):
    return next(o for o in export.objectives if o.identifier == identifier)


@needs_sample
def test_sample_counts_and_repairs():
    export = parse_folder(SAMPLE)
    assert export.files == 433 and len(export.items) == 30 and len(export.objectives) == 433
    assert not [p for p in export.problems if p.skipped]
    ranks = [o.rank for o in export.objectives]
    assert ranks.count("A") == 248 and ranks.count("B") == 185
    assert by_id(export, "OIC-002-07-B").title == "The professional values of doctors and other health professionals"
    assert by_id(export, "OIC-016-16-A").title.startswith("Knowing the problem of social inequality")
    assert by_id(export, "OIC-016-16-A").order == 16  # from 'Ordre'
    assert by_id(export, "OIC-027-07-A").rubric is None  # '{{objective of knowledge' variant, empty rubric
    assert by_id(export, "OIC-004-27-B").title == "Haute Autorité de Santé, risk event reporting system"
    assert by_id(export, "OIC-009-14-B").description.endswith("Check consistency with item 37")
    assert by_id(export, "OIC-028-12-B").body.startswith("'''[[Reasoned request")  # '<br />{' variant
    assert by_id(export, "OIC-017-06-B").rubric == ("Follow-up and/or prognosis", "Suivi et/ou pronostic")
    assert export.items[1].title.startswith("The doctor-patient relationship")
    files_with_problems = {p.file for p in export.problems}
    assert "IC-027/OIC-027-07-A.txt" in files_with_problems


@needs_sample
def test_import_then_reimport_changes_nothing(library):
    first = import_lisa(library, SAMPLE, ADMIN)
    assert (first.items, first.objectives) == (30, 433)
    assert len(first.added) == 30 + 433 + 15  # items, objectives, rubrics
    effective = library.effective("referentiel", OFFICIEL)
    assert len(effective.entries) == 463
    graph = library.repo.graph_iri("referentiel", OFFICIEL)
    revision = library.repo.revisions([graph])[graph]
    second = import_lisa(library, SAMPLE, ADMIN)
    assert second.unchanged and not second.added and not second.updated and not second.removed
    assert library.repo.revisions([graph])[graph] == revision
    assert validate_store(library.platform) == []
    row = library.platform.store.select("""
        PREFIX os: <https://w3id.org/ontosides#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT ?rank ?rubric ?item WHERE { ?o skos:notation "OIC-001-01-A" ; os:rank ?rank ;
          os:rubric/skos:prefLabel ?rubric ; skos:broader/os:itemNumber ?item . FILTER(LANG(?rubric) = "fr") }""").rows[0]
    assert (row["rank"].value.endswith("RankA"), row["rubric"].value, row["item"].value) == (True, "Définition", "1")


@needs_sample
def test_updated_export_updates_in_place_adds_and_reports_removed(library, tmp_path):
    import_lisa(library, SAMPLE, ADMIN)
    folder = tmp_path / "export"
    shutil.copytree(SAMPLE, folder)
    changed = folder / "IC-001" / "OIC-001-01-A.txt"
    changed.write_text(changed.read_text().replace("Knowing the definition of the doctor-patient relationship",
                                                   "Define the doctor-patient relationship"))
    (folder / "IC-001" / "OIC-001-02-A.txt").unlink()
    added = folder / "IC-001" / "OIC-001-99-B.txt"
    added.write_text("{{knowledge objective\n|Identifiant=OIC-001-99-B\n|Rank=B\n|Title=A new objective\n"
                     "|Description=None\n|Rubric=Definition\n|Order=99}}\nBody.\n")
    (folder / "IC-002" / "broken.txt").write_text("this is not a template\n")
    report = import_lisa(library, folder, ADMIN)
    base = library.repo.base
    assert report.updated == [f"{base}list/referentiel/OIC-001-01-A"]
    assert report.added == [f"{base}list/referentiel/OIC-001-99-B"]
    assert report.removed == [f"{base}list/referentiel/OIC-001-02-A"]
    assert any(p.file == "IC-002/broken.txt" and p.skipped for p in report.problems)
    effective = library.effective("referentiel", OFFICIEL).by_iri()
    assert effective[f"{base}list/referentiel/OIC-001-01-A"].entry.label() == "Define the doctor-patient relationship"
    assert f"{base}list/referentiel/OIC-001-02-A" not in effective
    still = library.platform.store.ask(
        f"ASK {{ <{base}list/referentiel/OIC-001-02-A> <http://www.w3.org/2002/07/owl#deprecated> true }}")
    assert still, "a removed objective is kept (deprecated) so that existing tags stay meaningful"
    assert "imported the LiSA export" in library.history("referentiel", OFFICIEL)[0]["summary"]


@needs_sample
def test_an_import_that_breaks_the_shapes_writes_nothing(library, tmp_path, monkeypatch):
    import_lisa(library, SAMPLE, ADMIN)
    graph = ox.NamedNode(library.repo.graph_iri("referentiel", OFFICIEL))
    before = library.platform.store.count(graph)
    from services.lists import referentiel

    original = referentiel.referentiel_graph

    def broken(export, base, list_iri):
        g = original(export, base, list_iri)
        from rdflib import Literal, URIRef
        from store.terms import OS

        g.add((URIRef(f"{list_iri}/IC-001"), OS.itemNumber, Literal("one")))
        g.add((URIRef(f"{list_iri}/IC-999"), OS.itemNumber, Literal(999)))
        return g

    monkeypatch.setattr(referentiel, "referentiel_graph", broken)
    from store.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        import_lisa(library, SAMPLE, ADMIN)
    assert library.platform.store.count(graph) == before


BROKEN = Path(__file__).parent / "data" / "lisa-broken"


def repairs(export, file: str) -> dict[str, str]:
    return {p.kind: p.message for p in export.problems if p.file == file}


@pytest.mark.parametrize("file, kind, wanted", [
    ("IC-056/OIC-056-01-A.txt", "text-before-template", "stray text '345' before the template dropped"),
    ("IC-286/OIC-286-11-A.txt", "text-before-template", "stray text \"'''Text in bold'''\""),
    ("IC-286/OIC-286-11-A.txt", "template-name", "'objectif de connaissance'"),
    ("IC-106/OIC-106-01-A.txt", "text-before-template", "('[[Tremors SD-128]]') moved to the start of the body"),
    ("IC-129/OIC-129-02-B.txt", "text-before-template", "dropped: the body repeats it"),
    ("IC-331/OIC-331-02-A.txt", "text-before-template", "('<gallery> File:Chain of survival.png"),
    ("IC-312/OIC-312-02-B.txt", "opening", "'*knowledge objective'"),
    ("IC-182/2C-182-SP-A01.txt", "fields-on-one-line", "several fields on one line"),
    ("IC-182/2C-182-SP-A01.txt", "numbered-rubric", "'10-Monitoring and/or prognosis' read without its number"),
    ("IC-066/2C-066-IU-A02.txt", "rubric-from-code", "'Identifying the emergency' taken from the code IU"),
    ("IC-066/2C-066-IU-A02.txt", "identifier-in-title", "repeats the Identifiant"),
    ("IC-066/2C-066-IU-A02.txt", "2c-identifier", "imported under its own identifier, as an objective of IC-066"),
    ("IC-066", "shared-order", "order 65 shared by 2C-066-IU-A02, OIC-066-65-A"),
    ("IC-121/OIC-121-02-B.txt", "unnamed-field", "after the Description, added to it"),
])
def test_each_broken_shape_is_repaired_and_reported(file, kind, wanted):
    export = parse_folder(BROKEN)
    assert wanted in repairs(export, file).get(kind, ""), [str(p) for p in export.problems if p.file == file]


def test_a_broken_export_loses_no_file_and_keeps_what_it_repaired(memory_platform):
    export = parse_folder(BROKEN)
    assert export.files == len(export.objectives) == 11
    assert not [p for p in export.problems if p.skipped]
    assert by_id(export, "OIC-056-01-A").body == "A situation arising from health, activities and environment."
    assert by_id(export, "OIC-106-01-A").body.startswith("[[Tremors SD-128]]\nRest tremor")
    assert by_id(export, "OIC-331-02-A").body.startswith("<gallery>\nFile:Chain of survival.png")
    assert by_id(export, "OIC-129-02-B").body == "Osteoarthritis is common after forty."
    assert by_id(export, "OIC-312-02-B").rubric == ("Epidemiology", "Épidémiologie")
    official = by_id(export, "2C-066-IU-A02")
    assert (official.item_number, official.rank, official.order, official.title) == (66, "A", 65, "Suicidal risk")
    work = by_id(export, "2C-182-SP-A01")
    assert (work.order, work.contributors, work.rubric[0]) == (2, "A Writer, B Writer", "Follow-up and/or prognosis")
    assert by_id(export, "OIC-121-02-B").description == "Psychoeducation for patients and families\nSchool, work, housing"
    photo = by_id(export, "OIC-121-03-B")
    assert photo.title == "Impetigo: photographs of crusty lesions" and photo.rubric[0] == "Physiopathology"
    ensure_library(memory_platform)
    library = ListLibrary(memory_platform)
    report = import_lisa(library, BROKEN, ADMIN)
    assert report.objectives == 11
    entries = library.effective("referentiel", OFFICIEL).by_iri()
    official_iri = f"{library.repo.base}list/referentiel/2C-066-IU-A02"
    assert entries[official_iri].entry.parent == f"{library.repo.base}list/referentiel/IC-066"
    assert validate_store(memory_platform) == []
