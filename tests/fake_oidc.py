"""A small OpenID Connect provider on loopback for the tests: discovery, keys, an authorization endpoint that
signs the configured person in at once, and a token endpoint that checks the client, the redirect URL and the
PKCE code verifier before it issues a signed ID token carrying the login's nonce."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

KID = "fake-provider-key"


class FakeProvider:
    """An identity provider whose only user is `person` (claims of an ID token)."""

    def __init__(self, client_id: str, client_secret: str, person: dict):
        self.client_id, self.client_secret, self.person = client_id, client_secret, person
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        self.jwks = {"keys": [{**public, "kid": KID, "use": "sig", "alg": "RS256"}]}
        self.codes: dict[str, dict] = {}
        self.refusals: list[str] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                url = urlsplit(self.path)
                if url.path == "/.well-known/openid-configuration":
                    return self._json(200, provider.discovery())
                if url.path == "/jwks":
                    return self._json(200, provider.jwks)
                if url.path == "/authorize":
                    return self._redirect(provider.authorize(parse_qs(url.query)))
                return self._json(404, {"error": "not_found"})

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                status, answer = provider.token(parse_qs(body), self.headers.get("Authorization", ""))
                return self._json(status, answer)

            def _json(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _redirect(self, location):
                self.send_response(302)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def discovery(self) -> dict:
        """The provider's OpenID configuration."""
        return {"issuer": self.url, "authorization_endpoint": f"{self.url}/authorize",
                "token_endpoint": f"{self.url}/token", "jwks_uri": f"{self.url}/jwks",
                "code_challenge_methods_supported": ["S256"]}

    def authorize(self, query: dict) -> str:
        """Sign the person in at once and send the browser back with a code."""
        one = {k: v[0] for k, v in query.items()}
        code = secrets.token_urlsafe(16)
        self.codes[code] = one
        return f"{one['redirect_uri']}?{urlencode({'code': code, 'state': one.get('state', '')})}"

    def token(self, form: dict, authorization: str) -> tuple[int, dict]:
        """Exchange a code for an ID token, after checking the client and the PKCE verifier."""
        one = {k: v[0] for k, v in form.items()}
        expected = "Basic " + base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        asked = self.codes.pop(one.get("code", ""), None)
        verifier = one.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        for refused, why in ((authorization != expected, "client authentication"), (asked is None, "unknown code"),
                             (asked and asked.get("redirect_uri") != one.get("redirect_uri"), "redirect_uri"),
                             (asked and asked.get("code_challenge") != challenge, "PKCE verifier")):
            if refused:
                self.refusals.append(why)
                return 400, {"error": "invalid_grant", "error_description": why}
        now = int(time.time())
        claims = {"iss": self.url, "aud": self.client_id, "iat": now, "exp": now + 300, "sub": "fake-subject",
                  "nonce": asked.get("nonce"), **self.person}
        token = jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": KID})
        return 200, {"access_token": "opaque", "token_type": "Bearer", "id_token": token}
