"""Every 5xx the fuzzing test (tests/test_fuzz.py) found, replayed: each now answers a 4xx naming the field."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from services import dataset
from services.lists.repository import OFFICIEL
from services.platform import Platform
from services.synthetic import Scale
from store.embedded import OxigraphStore
from tests.conftest import ADMIN_TOKEN, make_settings
from tests.studio_samples import AUTHOR, BASE, TOKENS

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture(scope="module")
def client(tmp_path_factory) -> TestClient:
    """The API over a small demo; server errors are answered (500), not raised, as a real server would."""
    settings = make_settings(user_tokens=TOKENS, media_dir=str(tmp_path_factory.mktemp("media")))
    platform = Platform.build(settings, OxigraphStore())
    dataset.load_demo(platform, Scale(universities=1, students_per_faculty=2, questions_per_faculty=2,
                                      referentiel_items=3, objectives_per_item=2, questions_per_epreuve=2))
    return TestClient(create_app(settings, platform.store), raise_server_exceptions=False)


def test_a_dataset_parameter_that_is_not_an_iri_is_a_bad_request(client):
    # was 500: pyoxigraph's ValueError building the query's default graph from the parameter
    answer = client.get("/sparql", params={"query": "ASK {}", "default-graph-uri": "not an iri"})
    assert answer.status_code == 400
    assert "default-graph-uri" in answer.text and "'not an iri'" in answer.text


def test_a_using_graph_parameter_that_is_not_an_iri_is_a_bad_request(client):
    answer = client.post("/sparql", data={"update": "INSERT DATA {}", "using-graph-uri": ""}, headers=ADMIN)
    assert answer.status_code == 400 and "using-graph-uri" in answer.text


@pytest.mark.parametrize("item_id", ["a b", "^`", "é\u0085", "x%0Ay"])
@pytest.mark.parametrize("method,suffix", [("GET", ""), ("DELETE", ""), ("GET", "/revisions"),
                                           ("GET", "/preview"), ("GET", "/export")])
def test_an_item_id_that_cannot_name_an_item_is_not_found(client, item_id, method, suffix):
    # was 500: the id went into a graph IRI that pyoxigraph refused
    answer = client.request(method, f"/items/{item_id}{suffix}", headers=AUTHOR)
    assert answer.status_code == 404
    assert "item ids are letters, digits" in answer.json()["detail"]


def test_saving_under_an_impossible_item_id_is_not_found(client):
    answer = client.put("/items/a b", json={"kind": "QI", "title": "t"}, headers=AUTHOR)
    assert answer.status_code == 404


def test_a_list_category_that_is_not_an_iri_is_named(client):
    # was 500: the empty IRI reached the validator's lookup of neighbour types
    answer = client.post("/lists", json={"level": OFFICIEL, "name": "vide", "labels": {"fr": "Vide"},
                                         "category": ""}, headers=ADMIN)
    assert answer.status_code == 422
    violation = answer.json()["violations"][0]
    assert violation["path"].endswith("category") and "cannot be stored" in violation["message"]
    assert "vide" not in {entry["key"] for entry in client.get("/lists").json()}


@pytest.mark.parametrize("body,path", [
    ({"level": OFFICIEL, "name": "x", "labels": {"\u00adT": "x"}, "category": f"{BASE}list-category/Facultaire"},
     "/lists"),
    ({"level": OFFICIEL, "labels": {"fr fr": "x"}}, "/lists/specialites/entries"),
])
def test_a_label_language_that_is_not_a_language_tag_is_named(client, body, path):
    # was 500: rdflib's ValueError on the language tag
    answer = client.post(path, json=body, headers=ADMIN)
    assert answer.status_code == 422
    assert "is not a language tag" in answer.json()["detail"]


@pytest.mark.parametrize("body,line", [
    ("PÿW¸/å\xf2\x9d\x89\x85\rÁ÷Pò\xf1\x93\xa8\xb8&_".encode(), "line 1"),  # the body the fuzzer sent
    (b'notation,label_fr\nA1,"' + b"x" * 200_000 + b'"\n', "line 2"),
    (b'notation,label_fr\nA1,Un\nA2,"deux\n', "line 3"),
])
def test_a_csv_the_reader_chokes_on_names_the_line(client, body, line):
    # was 500: csv.Error from the reader ("new-line character seen in unquoted field")
    answer = client.post("/lists/specialites/import-csv", params={"level": OFFICIEL}, headers=ADMIN, content=body)
    assert answer.status_code == 422
    assert answer.json()["detail"].startswith(line)


@pytest.mark.parametrize("path,params,headers,content_type", [
    ("/items/import", {"format": "qti"}, AUTHOR, "application/xml"),
    ("/items/import", {"format": "moodle"}, AUTHOR, "application/xml"),
    ("/graphs", {"graph": f"{BASE}graph/encoding"}, ADMIN, "application/rdf+xml"),
])
def test_an_xml_declaration_naming_an_unknown_encoding_is_refused(client, path, params, headers, content_type):
    # was 500: LookupError from the XML parser (found by tests/test_fuzz_importers.py)
    body = b'<?xml version="1.0" encoding="TF-8"?>\n<quiz/>'
    answer = client.request("PUT" if path == "/graphs" else "POST", path, params=params, content=body,
                            headers={**headers, "Content-Type": content_type})
    assert 400 <= answer.status_code < 500
    assert "unknown encoding: TF-8" in answer.json()["detail"]


def test_a_qti_field_that_is_not_a_number_is_named_with_the_file(client):
    # was 500: float() on the attribute
    body = (b'<assessmentItem identifier="n" title="n"><itemBody><choiceInteraction responseIdentifier="R" '
            b'maxChoices=":"><simpleChoice identifier="A">a</simpleChoice></choiceInteraction></itemBody>'
            b'</assessmentItem>')
    answer = client.post("/items/import", params={"format": "qti"}, headers=AUTHOR, content=body)
    assert answer.status_code == 422
    assert answer.json()["detail"] == "upload: the choiceInteraction's maxChoices: ':' is not a number"


def test_a_deep_search_page_is_refused_not_a_crash(client):
    """Found by schemathesis: tantivy aborted the whole server for an offset near 2**30."""
    response = client.get("/items", params={"offset": 2**31}, headers=AUTHOR)
    assert response.status_code == 422
    assert client.get("/items", params={"offset": 10_000}, headers=AUTHOR).status_code == 200


@pytest.mark.parametrize("key", ["a b", "^`", "é\u0085", "x%0Ay"])
@pytest.mark.parametrize("method,suffix", [("GET", ""), ("DELETE", ""), ("GET", "/groups"),
                                           ("GET", "/epreuves/1/candidates"), ("GET", "/download")])
def test_an_exam_key_that_cannot_name_an_exam_is_not_found(client, key, method, suffix):
    # was 500: the key went into the exam graph's IRI, which pyoxigraph refused
    answer = client.request(method, f"/planner/exams/{key}{suffix}", headers=ADMIN)
    assert answer.status_code == 404, answer.text


@pytest.mark.parametrize("key", ["a b", "^`"])
def test_an_exam_key_that_cannot_name_an_exam_is_not_found_when_taking_it(client, key):
    answer = client.post(f"/taking/{key}/1/session", headers=ADMIN)
    assert answer.status_code == 404, answer.text


def test_searching_people_of_an_organisation_that_is_not_one_is_not_found(client):
    # was 500: an organisation that is not an IRI went into a VALUES block
    answer = client.get("/cockpit/accounts", params={"organisation": "not an iri"}, headers=ADMIN)
    assert answer.status_code == 404 and "no organisation" in answer.text
