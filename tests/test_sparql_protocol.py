"""The W3C SPARQL 1.1 Protocol test suite (34 tests) against a live server on a scratch store."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import httpx
import pytest

from api.app import create_app
from tests.conftest import ADMIN_TOKEN, LiveServer, make_settings
from tests.w3c_protocol import DATA, TESTS, ProtocolTest, Request

RESULT_MEDIA = {"application/sparql-results+json", "application/sparql-results+xml", "text/csv",
                "text/tab-separated-values"}
RDF_MEDIA = {"application/rdf+xml", "text/turtle", "application/n-triples", "text/plain"}
SPARQL_RESULTS_NS = "{http://www.w3.org/2005/sparql-results#}"


@pytest.fixture(scope="module")
def server():
    """A server on its own in-memory store: the update tests run CLEAR ALL and DROP ALL."""
    settings = make_settings()
    with LiveServer(create_app(settings, settings.open_store())) as live:
        yield live


def load_graphs(client: httpx.Client, url: str, graphs: tuple[int, ...]) -> None:
    """Put the manifest's graphData (one foaf:Document per graph) in place, through the protocol itself."""
    inserts = " ".join(f"GRAPH <{DATA[n]}> {{ <{DATA[n]}> a <http://xmlns.com/foaf/0.1/Document> }}"
                       for n in graphs)
    reply = client.post(url, content=f"DROP ALL ; INSERT DATA {{ {inserts} }}",
                        headers={"Content-Type": "application/sparql-update"})
    assert reply.status_code == 204, reply.text


def boolean_of(response: httpx.Response) -> bool | None:
    """The boolean of an ASK answer in SPARQL JSON or XML results."""
    media = response.headers.get("content-type", "").split(";")[0]
    if "json" in media:
        return json.loads(response.content).get("boolean")
    if "xml" in media:
        node = ET.fromstring(response.content).find(f"{SPARQL_RESULTS_NS}boolean")
        return None if node is None else node.text.strip() == "true"
    return None


def check(request: Request, response: httpx.Response) -> None:
    """The response meets what the manifest expects of it."""
    expected = "2" if request.status == "2xx" else "4"
    assert str(response.status_code)[0] in ((expected, "3") if expected == "2" else (expected,)), \
        f"HTTP {response.status_code}: {response.text[:300]}"
    media = response.headers.get("content-type", "").split(";")[0].strip()
    if request.format == "boolean":
        assert media in ("application/sparql-results+json", "application/sparql-results+xml"), media
        value = boolean_of(response)
        assert value is not None
        if request.boolean is not None:
            assert value is request.boolean
    elif request.format == "tabular":
        assert media in RESULT_MEDIA, media
    elif request.format == "RDF":
        assert media in RDF_MEDIA, media


@pytest.mark.parametrize("test", TESTS, ids=[t.id for t in TESTS])
def test_w3c_protocol(server, test: ProtocolTest):
    url = f"{server.url}/sparql"
    with httpx.Client(headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=30) as client:
        if test.graphs:
            load_graphs(client, url, test.graphs)
        for request in test.requests:
            headers = {} if request.content_type is None else {"Content-Type": request.content_type}
            body = None if request.body is None else request.body.encode(request.charset)
            target = f"{url}?{request.query_string}" if request.query_string else url
            check(request, client.request(request.method, target, content=body, headers=headers))


def test_the_suite_is_whole():
    assert len(TESTS) == 34 and len({t.id for t in TESTS}) == 34
