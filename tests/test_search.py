"""Item search through the full-text index: accents, French and English stems, every filter, visibility, kept in
step with writes, rebuilt from the store."""

from __future__ import annotations

import copy
import json
import time

import pytest

from services.lists.library import ListLibrary
from services.platform import Platform
from services.studio.items import Caller, Studio
from services.studio.model import Item
from store.search_index import STAMP, TextIndex
from tests.conftest import ADMIN_TOKEN, make_settings
from tests.studio_samples import AUTHOR, BASE, TOKENS, UFR, as_user, items

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
CARDIO = f"{BASE}list/specialites/cardiologie"


def ids(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [i["id"] for i in response.json()]


def find(client, user=AUTHOR, **params) -> list[str]:
    return ids(client.get("/items", params=params, headers=user))


@pytest.fixture(scope="module")
def made(studio):
    """A few items written for these tests: id by name."""
    samples = items(*studio.media)
    objective = next(e["iri"] for e in studio.get("/lists/referentiel", params={"level": UFR}).json()["entries"]
                     if e["parent"] == f"{BASE}list/referentiel/IC-004")

    def post(name, sample, user=AUTHOR, **changes):
        body = {**copy.deepcopy(samples[sample]), **changes}
        response = studio.post("/items", json=body, headers=user)
        assert response.status_code == 201, response.text
        return name, response.json()["id"]

    return dict([
        post("infections", "QI-QRU", title="Infections urinaires de l'enfant", tags=[objective],
             specialties=[CARDIO], status="validated"),
        post("fevers", "QI-QRM", title="Running fevers in travellers", coauthors=[TOKENS["colleague"]]),
        post("kaliemie", "QI-NUMERIQUE", title="KALIÉMIE élevée", status="to_review"),
        post("station", "ECOS", title="Station annonce", user=as_user("colleague")),
    ])


def test_accents_and_case_are_folded(studio, made):
    assert made["kaliemie"] in find(studio, text="kaliemie")
    assert made["kaliemie"] in find(studio, text="Kaliémie ÉLEVÉE")
    assert made["infections"] not in find(studio, text="kaliemie")


def test_french_and_english_words_match_their_other_forms(studio, made):
    assert made["infections"] in find(studio, text="infection urinaire enfants")
    assert made["fevers"] in find(studio, text="fever run traveller")
    assert find(studio, text="fever infection") == []  # every word must be found


def test_options_comments_and_station_texts_are_searched(studio, made):
    assert made["infections"] in find(studio, text="streptocoque TDR")  # an option and the hint
    assert made["station"] in find(studio, as_user("colleague"), text="diabète annonce")


def test_each_filter(studio, made):
    assert made["infections"] in find(studio, tag=f"{BASE}list/referentiel/IC-004")  # the tag's ancestor
    assert made["infections"] not in find(studio, tag=f"{BASE}list/referentiel/IC-005")
    assert find(studio, specialty=CARDIO) == [made["infections"]]
    assert made["fevers"] in find(studio, type="QRM") and made["fevers"] not in find(studio, type="QRU")
    assert made["station"] in find(studio, as_user("colleague"), type="ECOS")
    assert find(studio, status="to_review", text="kaliémie") == [made["kaliemie"]]
    assert made["kaliemie"] not in find(studio, status="validated")
    assert made["fevers"] in find(studio, as_user("colleague"), author=TOKENS["colleague"])
    assert made["infections"] not in find(studio, author=TOKENS["colleague"])
    assert find(studio, text="infections", type="QRU", status="validated", tag=f"{BASE}list/referentiel/IC-004") \
        == [made["infections"]]


def test_results_are_ordered_by_title_and_paged(studio, made):
    everything = studio.get("/items", params={"limit": 1000}, headers=AUTHOR).json()
    titles = [i["title"] for i in everything]
    assert titles == sorted(titles) and len(titles) >= 4
    assert ids(studio.get("/items", params={"limit": 2, "offset": 1}, headers=AUTHOR)) == \
        [i["id"] for i in everything[1:3]]
    assert studio.get("/items", params={"limit": 0}, headers=AUTHOR).status_code == 422


def test_visibility_is_applied_in_the_index(studio, made):
    colleague = find(studio, as_user("colleague"), limit=1000)
    assert made["fevers"] in colleague and made["station"] in colleague  # co-author, author
    assert made["infections"] not in colleague
    managed = find(studio, as_user("manager"), limit=1000)
    assert set(made.values()) <= set(managed)  # every item of the faculty
    assert not set(made.values()) & set(find(studio, as_user("other-manager"), limit=1000))
    assert set(made.values()) <= set(find(studio, ADMIN, limit=1000))
    summary = next(i for i in studio.get("/items", params={"text": "fevers"}, headers=AUTHOR).json())
    assert summary["coauthors"] == [TOKENS["colleague"]] and summary["types"] == ["IsolatedQuestion", "QRM"]
    assert summary["status"] == "Draft" and summary["owner"] == UFR


def test_the_index_follows_updates_and_deletes(studio, made):
    samples = items(*studio.media)
    created = studio.post("/items", json={**samples["QI-QROC"], "title": "Méningite néonatale"},
                          headers=AUTHOR).json()
    assert find(studio, text="meningites neonatales") == [created["id"]]
    updated = studio.put(f"/items/{created['id']}", json={**samples["QI-QROC"], "title": "Toxoplasmose congénitale"},
                         headers=AUTHOR)
    assert updated.status_code == 200
    assert created["id"] not in find(studio, text="meningite") and find(studio, text="toxoplasmose") == [created["id"]]
    assert studio.delete(f"/items/{created['id']}", headers=AUTHOR).status_code == 204
    assert find(studio, text="toxoplasmose") == []


def test_rebuild_gives_the_same_answers(studio, made):
    index = studio.app.state.studio.search_index
    before = {q: find(studio, text=q) for q in ("infection", "fever", "kaliemie", "")}
    assert index.rebuild() >= len(made)
    assert {q: find(studio, text=q) for q in before} == before


@pytest.fixture
def disk_platform(tmp_path):
    """A platform on an on-disk store with the demo data."""
    from services.synthetic import Scale
    from services import dataset

    platform = Platform.build(make_settings(store=str(tmp_path / "store")))
    dataset.load_demo(platform, Scale(universities=1, students_per_faculty=2, questions_per_faculty=4,
                                      referentiel_items=5, objectives_per_item=2, questions_per_epreuve=2))
    return platform


def test_an_index_beside_a_store_is_reused_when_closed_cleanly_and_rebuilt_otherwise(disk_platform, tmp_path):
    folder = tmp_path / "store-search"
    studio = Studio(disk_platform, ListLibrary(disk_platform))
    assert disk_platform.search_folder() == folder
    generated = studio.search(Caller(None, is_admin=True), limit=1000)
    stored = disk_platform.store.select(disk_platform.queries.get("current_items").text)
    assert len(generated) == len(stored) > 0  # the demo's items, indexed at first opening
    item = Item(**{**items("i", "a")["QI-QROL"], "owner": UFR, "title": "Asthme aigu grave"})
    written = studio.create(item, Caller(TOKENS["author"]))
    assert not json.loads((folder / STAMP).read_text())["clean"]  # open: a crash now means a rebuild
    disk_platform.close()
    assert json.loads((folder / STAMP).read_text())["clean"]

    reopened = Platform.build(make_settings(store=str(tmp_path / "store")))
    again = Studio(reopened, ListLibrary(reopened))
    assert not again.search_index.index.needs_rebuild
    assert [i["id"] for i in again.search(Caller(TOKENS["author"]), text="asthme")] == [written["id"]]
    reopened.close()


def test_a_bulk_load_marks_the_index_for_a_rebuild(disk_platform, tmp_path):
    from services import dataset

    Studio(disk_platform, ListLibrary(disk_platform))
    disk_platform.close()
    platform = Platform.build(make_settings(store=str(tmp_path / "store")))
    extra = tmp_path / "extra.ttl"
    extra.write_text(f"""@prefix os: <https://w3id.org/ontosides#> . @prefix dcterms: <http://purl.org/dc/terms/> .
        <{BASE}item/bulk1> a os:IsolatedQuestion, os:QROL ; dcterms:title "Bronchiolite chargée en masse" ;
          dcterms:creator <{TOKENS['author']}> ; os:statement "Décrivez." ; os:modelAnswer "…" ; os:maxPoints 2 .""")
    dataset.load_file(platform, extra, graph=f"{BASE}graph/item/bulk1")
    assert not json.loads((tmp_path / "store-search" / STAMP).read_text())["clean"]
    studio = Studio(platform, ListLibrary(platform))
    assert [i["id"] for i in studio.search(Caller(TOKENS["author"]), text="bronchiolite")] == ["bulk1"]
    platform.close()


class FailingOnce(TextIndex):
    """An index whose first write fails (a full disk, say)."""

    failed = False

    def put(self, documents):
        if not self.failed:
            self.failed = True
            raise OSError("no space left on device")
        return super().put(documents)


def test_a_failed_index_write_keeps_the_store_write_and_repairs_the_index(disk_platform):
    from services.studio.search import LAYOUT

    studio = Studio(disk_platform, ListLibrary(disk_platform))
    studio.search_index.index = FailingOnce(LAYOUT, None)
    studio.search_index.index.needs_rebuild = False  # as if current: only the repair can bring the item in
    created = studio.create(Item(**{**items("i", "a")["QI-QROC"], "title": "Coqueluche"}),
                            Caller(TOKENS["author"]))
    assert studio.get(created["id"], Caller(TOKENS["author"]))["title"] == "Coqueluche"  # the store kept it
    for _ in range(100):  # the repair runs in the background
        if studio.search(Caller(TOKENS["author"]), text="coqueluche"):
            break
        time.sleep(0.05)
    assert [i["id"] for i in studio.search(Caller(TOKENS["author"]), text="coqueluche")] == [created["id"]]


@pytest.mark.parametrize("tie_group", [1, 1000])
def test_order_and_paging_are_those_of_the_string_sort_key_ties_and_long_keys_included(monkeypatch, tie_group):
    """The search orders by the u64 columns of the sort key (store/search_index.py); its pages are exactly those of
    tantivy's own order by the string fast field, over several segments, shared prefixes, keys longer than the
    columns, equal keys, accents and empty keys (tie groups read whole, or column by column down to the string)."""
    import random

    import tantivy

    from store import search_index
    from store.search_index import Document, Layout

    monkeypatch.setattr(search_index, "TIE_GROUP", tie_group)

    index = TextIndex(Layout("order-test", 1, text=("title",), keywords=("owner",), sort="title"), None)
    rng = random.Random(5)
    stems = ["QRU cardiologie n", "QRU cardiologie ", "QRM cardio", "Épreuve", "epreuve", "Zèbre", "",
             "Une question dont le titre dépasse largement trente-deux octets, numéro ", "É" * 18]
    for batch in range(4):  # one segment per commit
        index.put([Document(f"d{batch}-{n}", {"title": "fièvre"}, {"owner": [rng.choice("ab")]},
                            rng.choice(stems) + (str(rng.randrange(40)) if rng.random() < 0.7 else ""),
                            {"id": f"d{batch}-{n}"}) for n in range(150)])
        index.commit()
    searcher = index.index.searcher()
    assert searcher.num_segments > 1
    for groups, text in (([], None), ([{"owner": ["a"]}], "fievre"), ([{"owner": ["b"]}], None)):
        clauses = [(tantivy.Occur.Must, index._keyword_query("owner", group["owner"])) for group in groups]
        query = tantivy.Query.boolean_query(clauses) if clauses else tantivy.Query.all_query()
        reference = [json.loads(bytes(searcher.doc(a)["summary"][0]))["id"] for _, a in searcher.search(
            query, limit=1000, count=False, order_by_field="sort", order=tantivy.Order.Asc).hits]
        assert len(reference) > 200
        assert [d["id"] for d in index.search(text, groups, 1000)] == reference
        for offset, limit in ((0, 1), (0, 100), (37, 25), (100, 100), (len(reference) - 3, 10), (5, 7)):
            assert [d["id"] for d in index.search(text, groups, limit, offset)] == reference[offset:offset + limit]
