"""The role × route matrix, read from the app's route table: a route without a permission fails here.

For every operation and every kind of caller — anonymous, forged token, expired token, revoked token,
student, teacher, exam manager, list administrator, school office, researcher, administrator — the answer is
401 or 403 exactly when the policy refuses the route's action, and the policy's own refusal otherwise never.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, Literal, URIRef
from rdflib import namespace

from api.app import create_app
from api.route_table import route_table
from services import dataset
from services.access.model import ANONYMOUS, Principal
from services.access.policy import ACTIONS
from services.platform import Platform
from services.synthetic import Scale
from store.embedded import OxigraphStore
from store.terms import OS
from store.writes import GraphChange
from tests.conftest import ADMIN_TOKEN, make_settings

BASE = "https://data.ontosides.fr/"
ROLES = {  # the demo person of each role (univ-0, ufr-0)
    "student": "s0-0-0", "teacher": "t0-0-0", "exam manager": "ge0-0", "list admin": "la0-0",
    "school office": "rs0-0", "researcher": "ch0-0",
}


@pytest.fixture(scope="module")
def matrix():
    """An app over a small demo, a real platform token for each role, and broken tokens."""
    settings = make_settings(user_tokens={})
    platform = Platform.build(settings, OxigraphStore(base_iri=settings.base_iri))
    dataset.load_demo(platform, Scale(universities=2, students_per_faculty=3, questions_per_faculty=4,
                                      referentiel_items=5, objectives_per_item=2, questions_per_epreuve=3))
    app = create_app(settings, platform.store)
    client = TestClient(app, raise_server_exceptions=False)
    tokens = app.state.access.tokens
    headers = {"anonymous": {}, "forged token": {"Authorization": "Bearer ots_forged-token-of-nobody"},
               "administrator": {"Authorization": f"Bearer {ADMIN_TOKEN}"}}
    for role, key in ROLES.items():
        token, _ = tokens.issue(f"{BASE}person/{key}", f"matrix {role}", 1, None)
        headers[role] = {"Authorization": f"Bearer {token}"}
    revoked, revoked_iri = tokens.issue(f"{BASE}person/t0-0-0", "revoked", 1, None)
    tokens.revoke(revoked_iri)
    headers["revoked token"] = {"Authorization": f"Bearer {revoked}"}
    headers["expired token"] = {"Authorization": f"Bearer {expired_token(platform, tokens)}"}
    return app, client, headers


def expired_token(platform, tokens) -> str:
    """A token whose expiry is past (written as an old token would be)."""
    token = "ots_an-expired-token-for-the-matrix-test-000000000000"
    node = URIRef(f"{BASE}token/expired-matrix")
    data = Graph()
    data.add((node, namespace.RDF.type, OS.AccessToken))
    data.add((node, OS.tokenHash, Literal(hashlib.sha256(token.encode()).hexdigest())))
    data.add((node, OS.issuedTo, URIRef(f"{BASE}person/t0-0-0")))
    past = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)).replace(microsecond=0)
    data.add((node, OS.expires, Literal(past.isoformat().replace("+00:00", "Z"), datatype=namespace.XSD.dateTime)))
    data.add((node, namespace.DCTERMS.created, Literal("2025-01-01T00:00:00Z", datatype=namespace.XSD.dateTime)))
    platform.writer.apply([GraphChange(tokens.graph, data)])
    return token


def test_every_route_declares_one_known_permission(matrix):
    app, _, _ = matrix
    table = route_table(app)
    assert len(table) > 60
    undeclared = [f"{e.method} {e.path}" for e in table if len(e.actions) != 1]
    assert undeclared == [], "routes without exactly one permission (add one from services/access/policy.py)"
    assert {a for e in table for a in e.actions} <= set(ACTIONS)


def test_pages_are_in_the_table_and_declare_their_permission(matrix):
    app, _, _ = matrix
    pages = [e for e in route_table(app) if e.page]
    assert {"/", "/ui/", "/ui/lists/{key}", "/ui/sparql", "/ui/me", "/ui/cockpit/people", "/ui/exam",
            "/ui/exam/{exam}/{number}", "/ui/supervision", "/ui/supervision/{exam}/{number}/attendance",
            "/ui/planner/exams", "/ui/planner/exams/{key}/epreuves/{number}/items", "/ui/planner/calendar",
            "/ui/planner/usage", "/ui/studio", "/ui/studio/new", "/ui/studio/items/{item_id}",
            "/ui/studio/legacy/{legacy_id}", "/ui/notation", "/ui/notation/me", "/ui/notation/{epreuve_id}",
            "/ui/notation/{epreuve_id}/qroc/{question}", "/ui/notation/{epreuve_id}/bareme"} \
        <= {e.path for e in pages}
    assert all(len(e.actions) == 1 for e in pages)
    assert not any(e.path.startswith("/ui") for e in route_table(app) if not e.page)


def _call(client, entry, headers):
    path = entry.path
    for name in ("person_id", "assignment_id", "token_id", "offer_id", "group_id", "item_id", "legacy_id",
                 "epreuve_id", "digest", "name", "key", "question"):
        path = path.replace("{" + name + "}", "nothing-here")
    if entry.page:  # what a browser on our pages sends: the anti-forgery cookie and its copy
        headers = {**headers, "X-CSRF-Token": "matrix-csrf", "Cookie": "ontosides_csrf=matrix-csrf"}
    kwargs = {"headers": headers, "follow_redirects": False}
    if entry.method in ("POST", "PUT", "PATCH"):
        kwargs["json"] = {}
    return client.request(entry.method, path, **kwargs)


@pytest.mark.parametrize("role", ["anonymous", "forged token", "expired token", "revoked token", *ROLES,
                                  "administrator"])
def test_the_matrix(matrix, role):
    app, client, headers = matrix
    policy = app.state.access.policy
    if role in ROLES:
        principal = app.state.access.directory.principal(f"{BASE}person/{ROLES[role]}", "token")
    elif role == "administrator":
        principal = Principal(f"{BASE}person/admin", True, (), "token")
    elif role == "anonymous":
        principal = ANONYMOUS
    else:
        principal = None  # a credential that proves nothing
    wrong, refused, allowed = [], 0, 0
    for entry in route_table(app):
        action = entry.actions[0]
        response = _call(client, entry, headers[role])
        if principal is None:
            expected = {401}
        elif policy.allows(principal, action):
            expected = None
        else:
            expected = {401} if principal.is_anonymous else {403}
        status = response.status_code
        refused_by_policy = status in (401, 403) and f"({action})" in response.text or (
            status == 401 and "identified caller" in response.text)
        refused += status in (401, 403)
        allowed += status not in (401, 403)
        if expected is None:
            if refused_by_policy or status >= 500:
                wrong.append(f"{entry.method} {entry.path}: {status} {response.text[:160]}")
        elif status not in expected:
            wrong.append(f"{entry.method} {entry.path}: {status}, expected {sorted(expected)}: {response.text[:160]}")
    assert wrong == [], f"{role}:\n" + "\n".join(wrong)
    if principal is None:
        assert allowed == 0
    elif principal.is_admin:
        assert refused == 0
    else:
        assert refused and allowed, "every other role is refused some routes and allowed others"


def test_refusals_are_logged(matrix):
    app, client, headers = matrix
    client.get("/cockpit/audit", headers=headers["teacher"])
    client.get("/cockpit/me", headers=headers["forged token"])
    events = app.state.access.audit.read()
    assert any(e["kind"] == "refusal" and e["action"] == "audit:read" for e in events)
    assert any(e["kind"] == "refusal" and e["action"] == "authenticate" and "unknown token" in e["detail"]
               for e in events)
    assert client.get("/cockpit/audit", headers=headers["administrator"]).status_code == 200
