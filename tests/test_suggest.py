"""Tag suggestions: obvious cases rank first in French and English, each suggestion says why, knowledge items are
ranked as documents (query likelihood, latent vectors) with fitted weights, tagged items vote (named only to those
who may see them), the index follows writes, and nothing is downloaded."""

from __future__ import annotations

import socket
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from rdflib import Graph

from bench import suggest_fit
from services.lists.library import ListLibrary
from services.lists.referentiel import import_lisa, import_turtle
from services.lists.repository import OFFICIEL
from services.platform import Platform
from services.settings import Settings
from services.studio import embedding
from services.studio.item_documents import ItemDocuments
from services.studio.items import Caller, Studio
from services.studio.lexical import language_of, terms
from services.studio.model import Item
from services.studio.suggest import Suggester, TaggedItem, Weights
from store.embedded import OxigraphStore
from store.terms import OS

ROOT = Path(__file__).resolve().parent.parent
FRENCH = ROOT / "bench" / "data" / "referentiel_fr.ttl"
SAMPLE = ROOT.parent / "shared" / "data" / "r2c-lisa-sample"
TEACHER = "https://data.ontosides.fr/person/suggest-teacher"
OTHER = "https://data.ontosides.fr/person/suggest-other"


def studio_with(load) -> tuple[Studio, str]:
    platform = Platform.build(Settings(_env_file=None, store=":memory:"), OxigraphStore())
    platform.ensure_ontology()
    library = ListLibrary(platform)
    load(library)
    for person, name in ((TEACHER, "Teacher"), (OTHER, "Other")):
        platform.writer.replace_graph(f"{person}/graph", Graph().parse(format="turtle", data=(
            f'<{person}> a <{OS}Person> ; <{OS}uniqueId> "{name}" ; <http://xmlns.com/foaf/0.1/familyName> "{name}" .')))
    return Studio(platform, library), library.repo.list_iri("referentiel") + "/"


@pytest.fixture(scope="module")
def french():
    return studio_with(lambda library: import_turtle(library, FRENCH, TEACHER))


@pytest.fixture(scope="module")
def english():
    if not SAMPLE.is_dir():
        pytest.skip(f"the LiSA sample is not at {SAMPLE} (a fresh clone has no ../shared)")
    return studio_with(lambda library: import_lisa(library, SAMPLE, TEACHER))


def item_of(suggestion) -> str:
    return suggestion.parent or suggestion.iri


def test_a_french_stem_finds_its_french_item_with_the_matched_words(french):
    studio, base = french
    found = studio.suggest("Une femme enceinte de 26 semaines a 39 °C de fièvre, des frissons et une douleur lombaire "
                           "droite ; la bandelette urinaire est positive. Quel diagnostic évoquez-vous ?", limit=5)
    assert item_of(found[0]) == base + "IC-028"
    assert found[0].iri == base + "OIC-028-09-A"
    assert {"fièvre", "frissons"} <= set(found[0].why["words"])
    assert all(0 <= s.score <= 1 for s in found) and [s.score for s in found] == sorted((s.score for s in found),
                                                                                          reverse=True)


def test_an_english_stem_finds_its_item(english):
    studio, base = english
    found = studio.suggest("A woman 24 weeks pregnant has burning on urination and urinary frequency without fever; "
                           "the urine dipstick shows nitrites. Which antibiotic do you prescribe?", limit=5)
    assert item_of(found[0]) == base + "IC-028"
    assert found[0].why["words"] and isinstance(found[0].why["meaning"], float)


def test_meaning_alone_links_words_that_share_no_stem():
    entries = [SimpleNamespace(iri=f"urn:e:{n}", entry=SimpleNamespace(labels={"en": label}, notation=None, parent=None,
                                                                       extra={}, label=lambda lang, t=label: t))
               for n, label in enumerate(["Acute coronary syndromes", "Fractures of the wrist", "Chronic constipation"])]
    suggester = Suggester(entries, weights=Weights(words=0, meaning=1, neighbours=0))
    assert suggester.suggest("myocardial infarction with crushing chest pain", limit=1)[0].iri == "urn:e:0"


def test_a_near_copy_of_a_tagged_item_votes_for_its_tag_and_is_named_only_to_who_may_see_it(french):
    studio, base = french
    stem = "Un patient de 52 ans s'inquiète du remboursement de ses séances chez un spécialiste consulté en direct."
    before = studio.suggest(stem, limit=10, caller=Caller(TEACHER))
    assert all(not s.why["tagged_items"] for s in before)
    tag = base + "OIC-019-11-A"
    studio.create(Item.model_validate({"kind": "QI", "title": "Parcours de soins", "tags": [tag], "question": {
        "type": "QRU", "statement": stem, "options": [{"text": f"P{n}", "correct": n == 1} for n in range(5)]}}),
        Caller(TEACHER))
    mine = studio.suggest(stem, limit=3, caller=Caller(TEACHER))
    assert mine[0].iri == tag
    assert [t["title"] for t in mine[0].why["tagged_items"]] == ["Parcours de soins"]
    theirs = studio.suggest(stem, limit=3, caller=Caller(OTHER))
    assert theirs[0].iri == tag and not theirs[0].why["tagged_items"] and theirs[0].why["other_tagged_items"] == 1


def test_language_and_stems():
    assert language_of("Une femme de 30 ans consulte pour une douleur") == "fr"
    assert language_of("A 30-year-old woman has pain") == "en"
    assert terms("Hémorragies hémorragique", "fr") == terms("hemorragie hemorragiques", "fr")
    assert terms("infections infected", "en") == ["infect", "infect"]


def test_the_model_loads_and_embeds_without_the_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"network call attempted: {args}")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    embedding.model.cache_clear()
    vectors = embedding.embed(["gout attack of the big toe", "microcrystalline arthritis"])
    assert vectors.shape == (2, embedding.DIMENSIONS)
    assert abs(float((vectors[0] ** 2).sum()) - 1) < 1e-3


def test_a_turtle_referentiel_that_does_not_parse_is_refused_naming_the_file(tmp_path):
    bad = tmp_path / "broken.ttl"
    bad.write_text("<IC-001> a <https://w3id.org/ontosides#KnowledgeItem> ;\n  nonsense here .\n")
    platform = Platform.build(Settings(_env_file=None, store=":memory:"), OxigraphStore())
    with pytest.raises(ValueError, match="broken.ttl"):
        import_turtle(ListLibrary(platform), bad, TEACHER)
    assert ListLibrary(platform).effective("referentiel", OFFICIEL).entries == []


def test_tagged_items_without_a_known_tag_are_ignored():
    entries = [SimpleNamespace(iri="urn:e:0", entry=SimpleNamespace(labels={"en": "Gout"}, notation=None, parent=None,
                                                                    extra={}, label=lambda lang: "Gout"))]
    stray = TaggedItem("urn:i:1", "t", "gout", frozenset({"urn:elsewhere"}))
    assert Suggester(entries, [stray]).tagged == []


def test_item_query_likelihood_prefers_the_item_whose_text_holds_the_rare_words():
    documents = [(["gout"], ["urate", "crystal"], ["joint", "pain", "toe"]),
                 (["asthma"], ["wheeze"], ["pain", "night", "cough"]),
                 (["fracture"], ["bone"], ["pain", "fall"])]
    likelihood, gains = ItemDocuments(documents, dimensions=2).likelihood(["pain", "toe", "crystal", "unknown"])
    assert int(np.argmax(likelihood)) == 0
    assert set(gains) == {"pain", "toe", "crystal"} and gains["toe"][1] == 0 < gains["toe"][0]


def test_latent_vectors_link_an_item_to_a_word_it_does_not_contain_through_words_that_occur_with_it():
    # "podagra" only occurs with "urate" and "toe"; the second item has "urate" and "toe" but not "podagra".
    documents = [(["podagra"], ["urate", "toe"], []), (["gout"], ["urate", "toe", "joint"], []),
                 (["asthma"], ["wheeze", "cough"], []), (["fracture"], ["bone", "fall"], [])]
    latent = ItemDocuments(documents, dimensions=2).latent(["podagra"])
    assert latent[1] > max(latent[2], latent[3])
    assert not ItemDocuments(documents, dimensions=2).latent(["nothing"]).any()


def test_scores_are_the_chance_of_the_knowledge_item_and_reasons_name_the_item_words(english):
    studio, base = english
    found = studio.suggest("A 70-year-old man has burning pain on urination, fever and a tender prostate on rectal "
                           "examination. Which infection is it?", limit=50)
    best_per_item: dict[str, float] = {}
    for suggestion in found:
        best_per_item.setdefault(item_of(suggestion), suggestion.score)
    assert sum(best_per_item.values()) <= 1 + 1e-9
    assert found[0].why["item_words"] and set(found[0].why["item_words"]) <= {
        w for w in "A 70-year-old man has burning pain on urination fever and a tender prostate on rectal examination "
                   "Which infection is it".split()}


def test_the_weight_fit_recovers_the_signal_that_tells_the_wanted_item():
    rng = np.random.default_rng(7)
    stems = []
    for _ in range(60):
        signals = rng.normal(size=(40, 3))
        wanted = int(rng.integers(40))
        signals[wanted, 1] += 3  # only the second signal carries the answer
        stems.append(suggest_fit.Stem(signals, wanted))
    weights, strength, found = suggest_fit.choose(stems)
    assert weights[1] > 1 and abs(weights[0]) < 0.5 and abs(weights[2]) < 0.5
    assert (found == 1).mean() > 0.5 and strength in suggest_fit.STRENGTHS
