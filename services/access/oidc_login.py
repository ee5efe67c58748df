"""Signing in through the university's OpenID Connect provider: the authorization-code flow with PKCE.

The browser is sent to the issuer with a fresh state, nonce and code challenge; the issuer sends it back with a
code, which is exchanged (with the code verifier and the client's credentials) for an ID token, verified like any
OIDC token of the issuer (signature, issuer, audience = our client id, expiry) and bound to the login by its nonce.
Logins in progress are kept in memory for ten minutes: a restart asks the person to click again.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx

from services.access.oidc import Claims, OidcRefused, OidcVerifier

PENDING_SECONDS = 600


@dataclass(frozen=True)
class Pending:
    """A login on its way through the issuer."""

    verifier: str
    nonce: str
    redirect_url: str
    next_url: str
    started: float


def challenge(verifier: str) -> str:
    """The S256 code challenge of a code verifier (RFC 7636)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class OidcLogin:
    """The web client of one issuer: where to send the browser, and what its answer proves."""

    def __init__(self, settings, timeout_s: float = 10.0):
        self.settings = settings
        self.timeout_s = timeout_s
        self._metadata: dict | None = None
        self._verifier: OidcVerifier | None = None
        self._pending: dict[str, Pending] = {}
        self._lock = threading.Lock()

    def metadata(self) -> dict:
        """The issuer's discovery document (fetched once)."""
        if self._metadata is None:
            url = self.settings.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration"
            try:
                response = httpx.get(url, timeout=self.timeout_s)
                response.raise_for_status()
                self._metadata = response.json()
            except (httpx.HTTPError, ValueError) as exc:
                raise OidcRefused(f"the identity provider did not answer ({exc})") from None
        return self._metadata

    def verifier(self) -> OidcVerifier:
        """A verifier of ID tokens issued to our client."""
        if self._verifier is None:
            settings = self.settings
            jwks = settings.oidc_jwks_url or self.metadata()["jwks_uri"]
            self._verifier = OidcVerifier(settings.oidc_issuer, jwks, settings.oidc_client_id,
                                          settings.oidc_eppn_claim,
                                          [a.strip() for a in settings.oidc_algorithms.split(",") if a.strip()])
        return self._verifier

    def begin(self, redirect_url: str, next_url: str) -> tuple[str, str]:
        """The issuer's authorization URL for a new login, and its state (to bind to the browser)."""
        state, nonce, verifier = (secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48))
        with self._lock:
            now = time.monotonic()
            for key in [k for k, p in self._pending.items() if now - p.started > PENDING_SECONDS]:
                del self._pending[key]
            self._pending[state] = Pending(verifier, nonce, redirect_url, next_url, now)
        query = urlencode({"response_type": "code", "client_id": self.settings.oidc_client_id,
                           "redirect_uri": redirect_url, "scope": self.settings.oidc_scopes, "state": state,
                           "nonce": nonce, "code_challenge": challenge(verifier), "code_challenge_method": "S256"})
        return f"{self.metadata()['authorization_endpoint']}?{query}", state

    def finish(self, state: str, code: str) -> tuple[Claims, str]:
        """The verified claims of a login the issuer sent back, and where the person was going."""
        with self._lock:
            pending = self._pending.pop(state, None)
        if pending is None or time.monotonic() - pending.started > PENDING_SECONDS:
            raise OidcRefused("this sign-in is unknown or too old: start again")
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": pending.redirect_url,
                "client_id": self.settings.oidc_client_id, "code_verifier": pending.verifier}
        auth = None
        if self.settings.oidc_client_secret:
            auth = (self.settings.oidc_client_id, self.settings.oidc_client_secret)
        try:
            response = httpx.post(self.metadata()["token_endpoint"], data=form, auth=auth, timeout=self.timeout_s)
        except httpx.HTTPError as exc:
            raise OidcRefused(f"the identity provider did not answer ({exc})") from None
        if response.status_code != 200:
            raise OidcRefused(f"the identity provider refused the code ({response.status_code}: "
                              f"{response.text[:200]})")
        id_token = response.json().get("id_token")
        if not id_token:
            raise OidcRefused("the identity provider sent no ID token")
        claims = self.verifier().verify(id_token)
        if claims.raw.get("nonce") != pending.nonce:
            raise OidcRefused("the ID token was not issued for this sign-in (nonce)")
        return claims, pending.next_url
