"""The LiSA importer on the real sample export: counts, repairs, re-import, irregular files."""

from __future__ import annotations

import shutil

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
pytestmark = pytest.mark.skipif(not SAMPLE.is_dir(), reason=f"the LiSA sample is not at {SAMPLE}")
ADMIN = "urn:ontosides:admin"


@pytest.fixture
def library(memory_platform) -> ListLibrary:
    ensure_library(memory_platform)
    return ListLibrary(memory_platform)


def by_id(export, identifier):
    return next(o for o in export.objectives if o.identifier == identifier)


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
