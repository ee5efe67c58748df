"""OpenID Connect: tokens of a real issuer's keys, served as a JWKS on loopback; first login provisions an account."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from api.app import create_app
from services import dataset
from services.platform import Platform
from services.synthetic import Scale
from store.embedded import OxigraphStore
from tests.conftest import make_settings

ISSUER = "https://sso.example.fr/realms/uness"
AUDIENCE = "ontosides"
KID = "test-key-1"


class Issuer:
    """A key pair and a JWKS endpoint on a free loopback port (and its OpenID discovery document)."""

    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        self.jwks = {"keys": [{**public, "kid": KID, "use": "sig", "alg": "RS256"}]}
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                if self.path.endswith("/.well-known/openid-configuration"):
                    body = {"issuer": ISSUER, "jwks_uri": f"{issuer.url}/jwks"}
                else:
                    body = issuer.jwks
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def token(self, key=None, **claims) -> str:
        now = int(time.time())
        body = {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 300, "sub": "x", **claims}
        return jwt.encode(body, key or self.key, algorithm="RS256", headers={"kid": KID})


@pytest.fixture(scope="module")
def oidc():
    issuer = Issuer()
    settings = make_settings(user_tokens={}, oidc_issuer=ISSUER, oidc_audience=AUDIENCE,
                             oidc_jwks_url=f"{issuer.url}/jwks")
    platform = Platform.build(settings, OxigraphStore(base_iri=settings.base_iri))
    dataset.load_demo(platform, Scale(universities=2, students_per_faculty=2, questions_per_faculty=2,
                                      referentiel_items=2, objectives_per_item=1, questions_per_epreuve=1))
    client = TestClient(create_app(settings, platform.store))
    client.issuer = issuer
    yield client
    issuer.server.shutdown()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_first_login_provisions_then_finds_the_account(oidc):
    token = oidc.issuer.token(eduPersonPrincipalName="nouvelle.etudiante@univ-grenoble.example.fr",
                              family_name="Lefèvre", given_name="Inès", email="ines.lefevre@example.fr",
                              email_verified=True)
    first = oidc.get("/cockpit/me", headers=bearer(token)).json()
    assert first["family_name"] == "Lefèvre" and first["authenticated_by"] == "oidc"
    assert first["accounts"] == [{"eppn": "nouvelle.etudiante@univ-grenoble.example.fr",
                                  "university": "https://data.ontosides.fr/org/univ-0",
                                  "university_label": "Université de Grenoble"}]
    assert first["emails"][0] == {"address": "ines.lefevre@example.fr", "verified": True, "primary": True}
    again = oidc.get("/cockpit/me", headers=bearer(oidc.issuer.token(
        eduPersonPrincipalName="nouvelle.etudiante@univ-grenoble.example.fr", family_name="Lefèvre"))).json()
    assert again["iri"] == first["iri"]


def test_an_existing_account_is_found_by_its_eppn(oidc):
    token = oidc.issuer.token(eduPersonPrincipalName="t0-0-0@univ-grenoble.example.fr")
    assert oidc.get("/cockpit/me", headers=bearer(token)).json()["iri"] == "https://data.ontosides.fr/person/t0-0-0"


def test_the_same_local_name_at_two_universities_is_two_people(oidc):
    grenoble = oidc.get("/cockpit/me", headers=bearer(oidc.issuer.token(
        eduPersonPrincipalName="jdupont@univ-grenoble.example.fr", family_name="Dupont"))).json()
    lyon = oidc.get("/cockpit/me", headers=bearer(oidc.issuer.token(
        eduPersonPrincipalName="jdupont@univ-lyon.example.fr", family_name="Dupont"))).json()
    assert grenoble["iri"] != lyon["iri"]


@pytest.mark.parametrize("case", ["wrong audience", "expired", "other key", "unknown scope", "no eppn", "wrong issuer"])
def test_bad_tokens_are_refused_and_logged(oidc, case):
    eppn = {"eduPersonPrincipalName": "someone@univ-grenoble.example.fr"}
    now = int(time.time())
    token = {
        "wrong audience": lambda: oidc.issuer.token(aud="another-app", **eppn),
        "expired": lambda: oidc.issuer.token(exp=now - 60, iat=now - 3600, **eppn),
        "other key": lambda: oidc.issuer.token(key=rsa.generate_private_key(public_exponent=65537, key_size=2048), **eppn),
        "unknown scope": lambda: oidc.issuer.token(eduPersonPrincipalName="x@univ-elsewhere.example.fr"),
        "no eppn": lambda: oidc.issuer.token(),
        "wrong issuer": lambda: oidc.issuer.token(iss="https://evil.example.org", **eppn),
    }[case]()
    response = oidc.get("/cockpit/me", headers=bearer(token))
    assert response.status_code == 401 and response.headers["www-authenticate"].startswith("Bearer")
    log = oidc.app.state.access.audit.read(kind="refusal")
    assert any(e["action"] == "authenticate" for e in log)
