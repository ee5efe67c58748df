"""STUDIO through the API: every type round-trips, rules are explained, visibility, tags, revisions, previews."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib import Graph

from tests.conftest import ADMIN_TOKEN
from tests.studio_samples import AUTHOR, BASE, TOKENS, UFR, as_user, broken, items, same_content

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def samples(client):
    return items(*client.media)


@pytest.mark.parametrize("name", list(items("i", "a")))
def test_every_type_round_trips_through_the_api(studio, name):
    item = samples(studio)[name]
    created = studio.post("/items", json=item, headers=AUTHOR)
    assert created.status_code == 201, created.text
    body = created.json()
    same_content(item, body)
    assert body["creator"] == TOKENS["author"] and body["owner"] == UFR
    read = studio.get(f"/items/{body['id']}", headers=AUTHOR).json()
    assert read == body
    changed = {**item, "title": item["title"] + " (v2)", "status": "to_review"}
    updated = studio.put(f"/items/{body['id']}", json=changed, headers=AUTHOR)
    assert updated.status_code == 200, updated.text
    assert updated.json()["title"].endswith("(v2)") and updated.json()["revision_of"].endswith("/rev/1")
    revisions = studio.get(f"/items/{body['id']}/revisions", headers=AUTHOR).json()
    assert [r["title"] for r in revisions] == [item["title"]]
    student = studio.get(f"/items/{body['id']}/preview", params={"view": "student"}, headers=AUTHOR).json()
    teacher = studio.get(f"/items/{body['id']}/preview", params={"view": "teacher"}, headers=AUTHOR).json()
    student_text, teacher_text = str(student), str(teacher)
    assert "'correct'" not in student_text and "accepted_answers" not in student_text
    assert "model_answer" not in student_text and "expert_answers" not in student_text
    if "'correct'" in str(item):
        assert "'correct': True" in teacher_text
    html = studio.get(f"/items/{body['id']}/preview", params={"view": "teacher", "format": "html"}, headers=AUTHOR)
    assert html.headers["content-type"].startswith("text/html") and "Vue enseignant" in html.text
    assert studio.delete(f"/items/{body['id']}", headers=AUTHOR).status_code == 204
    assert studio.get(f"/items/{body['id']}", headers=AUTHOR).status_code == 404


@pytest.mark.parametrize("name", list(broken("i", "a")))
def test_each_rule_is_explained(studio, name):
    item, shape = broken(*studio.media)[name]
    response = studio.post("/items", json=item, headers=AUTHOR)
    assert response.status_code == 422, response.text
    violations = response.json()["violations"]
    assert any(v["shape"] == shape for v in violations), violations
    assert all(v["message"] for v in violations)


def test_visibility_authors_coauthors_and_exam_managers(studio):
    item = {**samples(studio)["QI-QRU"], "coauthors": [TOKENS["colleague"]]}
    created = studio.post("/items", json=item, headers=AUTHOR).json()
    assert studio.get(f"/items/{created['id']}", headers=as_user("colleague")).status_code == 200
    assert studio.get(f"/items/{created['id']}", headers=as_user("manager")).status_code == 200
    assert studio.get(f"/items/{created['id']}", headers=as_user("other-manager")).status_code == 404
    assert studio.get(f"/items/{created['id']}").status_code == 401
    alone = studio.post("/items", json=samples(studio)["QI-QROC"], headers=AUTHOR).json()
    assert studio.get(f"/items/{alone['id']}", headers=as_user("colleague")).status_code == 404
    ids = {i["id"] for i in studio.get("/items", headers=as_user("manager")).json()}
    assert {created["id"], alone["id"]} <= ids
    other = {i["id"] for i in studio.get("/items", headers=as_user("other-manager")).json()}
    assert created["id"] not in other


def test_search_filters(studio):
    tag = f"{BASE}list/referentiel/IC-002"
    objective = next(e["iri"] for e in studio.get("/lists/referentiel", params={"level": UFR}).json()["entries"]
                     if e["parent"] == tag)
    tagged = studio.post("/items", json={**samples(studio)["QI-NUMERIQUE"], "tags": [objective],
                                         "title": "Kaliémie et IRC"}, headers=AUTHOR).json()
    found = studio.get("/items", params={"tag": tag}, headers=AUTHOR).json()
    assert tagged["id"] in [i["id"] for i in found]
    assert all(any("/OIC-002-" in t for t in i["tags"]) for i in found), "only items tagged under IC-002"
    assert tagged["id"] in {i["id"] for i in studio.get("/items", params={"type": "NUMERIQUE"}, headers=AUTHOR).json()}
    assert tagged["id"] not in {i["id"] for i in studio.get("/items", params={"type": "QRU"}, headers=AUTHOR).json()}
    assert [i["id"] for i in studio.get("/items", params={"text": "kaliémie et"}, headers=AUTHOR).json()] == [tagged["id"]]
    drafts = studio.get("/items", params={"status": "draft", "author": TOKENS["author"]}, headers=AUTHOR).json()
    assert tagged["id"] in {i["id"] for i in drafts}


def test_tags_must_be_visible_at_the_authors_faculty(studio):
    entry = f"{BASE}list/referentiel/IC-003"
    assert studio.post("/lists/referentiel/changes", headers=ADMIN,
                       json={"level": UFR, "kind": "hide", "target": entry}).status_code == 204
    refused = studio.post("/items", json={**samples(studio)["QI-QRU"], "tags": [entry]}, headers=AUTHOR)
    assert refused.status_code == 422 and "IC-003" in refused.json()["detail"]
    unknown = studio.post("/items", json={**samples(studio)["QI-QRU"], "specialties": [f"{BASE}list/specialites/x"]},
                          headers=AUTHOR)
    assert unknown.status_code == 422 and "specialties" in unknown.json()["detail"]


def test_an_item_of_a_published_exam_is_never_changed_in_place(studio):
    created = studio.post("/items", json=samples(studio)["QI-QRU"], headers=AUTHOR).json()
    platform = studio.app.state.platform
    exam = Graph().parse(data=f"""
        @prefix os: <https://w3id.org/ontosides#> . @prefix dcterms: <http://purl.org/dc/terms/> .
        @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
        <{BASE}exam/pub> a os:Exam ; dcterms:title "Examen publié" ; os:concernsUniversity <{BASE}org/univ-0> ;
            os:hasEpreuve <{BASE}exam/pub/e1> .
        <{BASE}exam/pub/e1> a os:Epreuve ; dcterms:title "E1" ; os:startTime "2026-06-01T09:00:00"^^xsd:dateTime ;
            os:durationMinutes 60 ; os:hasSlot <{BASE}exam/pub/e1/slot/1> .
        <{BASE}exam/pub/e1/slot/1> a os:ItemSlot ; os:element <{created["iri"]}> ; os:itemOf <{created["iri"]}> ;
            os:position 1 .
        <{BASE}exam/pub/e1/publication> a os:Publication ; os:epreuve <{BASE}exam/pub/e1> ;
            os:publishedAt "2026-01-20T18:00:00Z"^^<http://www.w3.org/2001/XMLSchema#dateTime> .""", format="turtle")
    platform.writer.replace_graph(f"{BASE}graph/exam/pub", exam)
    changed = studio.put(f"/items/{created['id']}", json={**samples(studio)["QI-QRU"], "title": "Corrigé"},
                         headers=AUTHOR).json()
    assert changed["id"] != created["id"] and changed["revision_of"] == created["iri"]
    assert studio.get(f"/items/{created['id']}", headers=AUTHOR).json()["title"] == "Question QRU"
    assert studio.delete(f"/items/{created['id']}", headers=AUTHOR).status_code == 409


def test_tag_suggestions(studio):
    entries = studio.get("/lists/referentiel", params={"level": UFR}).json()["entries"]
    target = next(e for e in entries if e["parent"])
    text = f"Patient case: {target['labels'].get('en')}"
    found = studio.post("/items/suggest-tags", json={"text": text, "level": UFR, "limit": 5}, headers=AUTHOR).json()
    assert found[0]["iri"] == target["iri"]
    assert all(0 <= s["score"] <= 1 for s in found) and found == sorted(found, key=lambda s: -s["score"])
    assert set(found[0]["why"]) == {"words", "item_words", "meaning", "tagged_items", "other_tagged_items"}
    assert found[0]["why"]["words"] and found[0]["why"]["item_words"]


def test_media_is_kept_once_by_hash(studio):
    again = studio.post("/media", content=b"\x89PNG fake image", headers={**AUTHOR, "Content-Type": "image/png"})
    assert again.json()["iri"] == studio.media[0]
    digest = studio.media[0].rsplit("/", 1)[-1]
    assert studio.get(f"/media/{digest}").status_code == 401
    served = studio.get(f"/media/{digest}", headers=AUTHOR)
    assert served.content == b"\x89PNG fake image" and served.headers["content-type"] == "image/png"
    refused = studio.post("/media", content=b"MZ", headers={**AUTHOR, "Content-Type": "application/x-msdownload"})
    assert refused.status_code == 422


def test_resource_fields_need_absolute_iris(studio):
    response = studio.post("/items", json={**samples(studio)["QI-QRU"], "tags": ["IC-001"]}, headers=AUTHOR)
    assert response.status_code == 422 and "tags: 'IC-001'" in response.json()["detail"]


def test_publishing_freezes_a_version_reused_until_the_item_changes(studio):
    created = studio.post("/items", json=samples(studio)["QI-QRM"], headers=AUTHOR).json()
    service = studio.app.state.studio
    first = service.publish(created["id"])
    assert first.endswith(f"/item/{created['id']}/v/1")
    assert service.publish(created["id"]) == first, "an unchanged item is published once"
    studio.put(f"/items/{created['id']}", json={**samples(studio)["QI-QRM"], "title": "Revue"}, headers=AUTHOR)
    second = service.publish(created["id"])
    assert second.endswith("/v/2")
    store = studio.app.state.platform.store
    titles = {row["t"].value for row in store.select(
        "SELECT ?t WHERE { ?v <http://purl.org/dc/terms/title> ?t }", {"v": ox.NamedNode(first)})}
    assert titles == {samples(studio)["QI-QRM"]["title"]}, "the first version never changes"
    options = store.select("SELECT ?o WHERE { ?v <https://w3id.org/ontosides#hasOption> ?o }",
                           {"v": ox.NamedNode(second)}).rows
    assert options and all(row["o"].value.startswith(second + "/") for row in options)
    found = studio.get("/items", params={"text": "Revue"}, headers=AUTHOR).json()
    assert [i["id"] for i in found] == [created["id"]], "published versions are not items of their own"
