"""Schemathesis over every operation of /openapi.json, as anonymous, a STUDIO author and the administrator.

Each operation gets valid and invalid inputs (positive and negative generation) and valid inputs anchored on
resources that exist (a real item, list, level, legacy item, stored file), so the fuzzing gets past the 404s.
Checks: no 5xx ever; an answer whose status the schema documents matches its schema (the 2xx forms; a 422 is
FastAPI's list of input errors or the platform's Problem, see api/openapi.py). Budget: ONTOSIDES_FUZZ_EXAMPLES
examples per operation and caller (10 in `make test`, more in `make fuzz`), derandomised so a run is repeatable.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Graph
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core import NOT_SET
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import response_schema_conformance

from api.app import create_app
from api.routes.grading import EXAMPLE
from services import dataset
from services.platform import Platform
from services.synthetic import Scale
from store.embedded import OxigraphStore
from tests.conftest import ADMIN_TOKEN, FUZZ_SUMMARY, make_settings
from tests.studio_samples import AUTHOR, BASE, TOKENS, UFR, items

EXAMPLES = int(os.environ.get("ONTOSIDES_FUZZ_EXAMPLES", "10"))
CALLERS = {"anonymous": {}, "author": AUTHOR, "admin": {"Authorization": f"Bearer {ADMIN_TOKEN}"}}
LEGACY = Path(__file__).parent / "data" / "legacy_sides.ttl"

# Bodies of these media types go on the wire as generated (schemathesis has no serializer of its own for them).
schemathesis.serializer("application/n-triples", "application/zip", "application/pdf", "application/sparql-query",
                        "application/sparql-update")(
    lambda ctx, value: value if isinstance(value, bytes) else str(value).encode("utf-8", "surrogatepass"))


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory):
    """The schema of an app over a store of the fuzz test's own (its writes touch no other test), and the
    parameters that name resources existing in it."""
    config = make_settings(user_tokens=TOKENS, media_dir=str(tmp_path_factory.mktemp("fuzz-media")))
    platform = Platform.build(config, OxigraphStore())
    dataset.load_demo(platform, Scale(universities=1, students_per_faculty=3, questions_per_faculty=3,
                                      referentiel_items=5, objectives_per_item=2, questions_per_epreuve=3))
    email = Graph().parse(data=f'<{TOKENS["author"]}> <https://w3id.org/ontosides#email> '
                               '"alice.martin@univ-grenoble.fr" .', format="turtle")
    platform.writer.extend_graph(f"{BASE}graph/people/univ-0", email)
    dataset.load_file(platform, LEGACY, graph="urn:ontosides:legacy:fuzz", validate=False)
    app = create_app(config, platform.store)
    client = TestClient(app)
    image = client.post("/media", content=b"\x89PNG fuzz", headers={**AUTHOR, "Content-Type": "image/png"}).json()
    anchors = {"name": "item_usage", "key": "specialites", "level": UFR, "legacy_id": "q101",
               "epreuve_id": "ep301", "digest": image["iri"].rsplit("/", 1)[-1], "image": image["iri"],
               "graph": f"{BASE}graph/fuzz-scratch"}
    return schemathesis.openapi.from_asgi("/openapi.json", app), client, anchors


def anchored(operation, anchors: dict, body=NOT_SET):
    """Valid inputs whose path and query parameters name resources that exist (and the body, if given)."""
    path = {p.name: anchors[p.name] for p in operation.path_parameters if p.name in anchors}
    query = {p.name: anchors[p.name] for p in operation.query if p.name in anchors}
    return operation.as_strategy(GenerationMode.POSITIVE, path_parameters=path or None, query=query or None,
                                 body=body, media_type="application/json" if body is not NOT_SET else None)


def valid_bodies(client: TestClient, anchors: dict) -> dict[str, list]:
    """A few bodies each JSON operation accepts, to be mutated one field at a time."""
    image = anchors["image"]
    kinds = items(image, image)
    entry = client.get("/lists/specialites", params={"level": UFR}).json()["entries"][0]["iri"]
    return {
        "POST /items": list(kinds.values()),
        "PUT /items/{item_id}": [kinds["QI-QRM"], kinds["DP"]],
        "POST /lists": [{"level": UFR, "name": "salles", "labels": {"fr": "Salles"},
                         "category": f"{BASE}list-category/Facultaire"}],
        "POST /lists/{key}/entries": [{"level": UFR, "labels": {"fr": "Fuzz"}, "parent": entry, "notation": "FZ",
                                       "order": 2}],
        "POST /lists/{key}/changes": [{"level": UFR, "kind": kind, "target": entry, "labels": {"fr": "Renommée"},
                                       "order": 1} for kind in ("hide", "show", "relabel", "reorder")],
        "POST /items/suggest-tags": [{"text": "douleur thoracique aiguë", "level": UFR, "limit": 5}],
        "POST /queries/{name}/run": [{"item": f"{BASE}item/{anchors['item_id']}"}],
        "POST /grading/score": [EXAMPLE],
    }


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
                    | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                    max_leaves=6)


def mutated(bodies: list):
    """One of the bodies with one of its values (at any depth) replaced by any JSON value, or removed."""

    def places(value, path=()):
        yield path
        children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for key, child in children:
            yield from places(child, (*path, key))

    def change(body, path, new, remove):
        if not path:
            return new
        copy = json.loads(json.dumps(body))
        holder = copy
        for key in path[:-1]:
            holder = holder[key]
        if remove:
            del holder[path[-1]]
        else:
            holder[path[-1]] = new
        return copy

    return st.sampled_from(bodies).flatmap(lambda body: st.builds(
        change, st.just(body), st.sampled_from(list(places(body))), JSON, st.booleans()))


def replay(case) -> str:
    """A curl command that replays a case (its repr when the body cannot be written as one)."""
    try:
        return case.as_curl_command()
    except Exception:  # a body curl cannot carry
        return repr(case)


def exercise(operation, cases, headers: dict, failures: dict, statuses: Counter) -> None:
    """Call one operation with generated cases; record each kind of failure once, with a curl to replay it."""

    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=cases)
    def run(case):
        try:
            response = case.call(headers=headers)
        except Exception as exc:  # the test client re-raises what the app answered 500 for
            statuses["5xx"] += 1
            failures.setdefault((operation.label, type(exc).__name__),
                                f"{operation.label}: {type(exc).__name__}: {exc}\n  {replay(case)}")
            return
        statuses[f"{response.status_code // 100}xx"] += 1
        try:
            case.validate_response(response, checks=[not_a_server_error, response_schema_conformance],
                                   headers=headers)
        except Exception as exc:  # schemathesis raises a group of the checks that failed
            failures.setdefault((operation.label, response.status_code),
                                f"{operation.label}: {response.status_code}: {exc}\n  {replay(case)}")

    run()


@pytest.mark.parametrize("caller", CALLERS)
def test_no_server_error(fuzzed, caller, pytestconfig):
    """No input, valid or not, makes the platform answer 5xx; documented answers have their declared form."""
    schema, client, anchors = fuzzed
    # a fresh item for each caller: the previous caller may have changed or deleted the last one
    item = client.post("/items", json=items(anchors["image"], anchors["image"])["QI-QRU"], headers=AUTHOR).json()
    anchors = {**anchors, "item_id": item["id"]}
    bodies = valid_bodies(client, anchors)
    failures: dict[tuple, str] = {}
    statuses: Counter = Counter()
    # deletions last, so the anchored resources are still there for the other operations
    operations = sorted((r.ok() for r in schema.get_all_operations() if isinstance(r, Ok)),
                        key=lambda o: o.method.upper() == "DELETE")
    for operation in operations:
        strategies = [operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE),
                      anchored(operation, anchors)]
        if operation.label in bodies:
            strategies.append(mutated(bodies[operation.label]).flatmap(
                lambda body, operation=operation: anchored(operation, anchors, body)))
        cases = st.one_of(strategies)
        exercise(operation, cases, CALLERS[caller], failures, statuses)
    examples = sum(statuses.values())
    pytestconfig.stash.setdefault(FUZZ_SUMMARY, []).append(
        f"{caller}: {len(operations)} operations, {examples} examples "
        f"({', '.join(f'{k} {v}' for k, v in sorted(statuses.items()))}), {len(failures)} failure(s)")
    assert examples >= len(operations) * 3, "every operation is called"
    assert not failures, "\n".join(failures.values())
