"""OpenID Connect: ID and access tokens of a configured issuer, verified against its published keys (JWKS).

Universities' single sign-on sits behind an OIDC provider (or a SAML↔OIDC bridge); the EPPN claim names the
account, and its scope (after the @) the university that issued it.
"""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass, field

import jwt


class OidcRefused(Exception):
    """A token the issuer did not sign, for another audience, expired, or without an EPPN."""


@dataclass(frozen=True)
class Claims:
    """What a verified token says of its subject."""

    eppn: str
    family_name: str | None
    given_name: str | None
    email: str | None
    email_verified: bool
    raw: dict = field(default_factory=dict)

    @property
    def scope(self) -> str:
        """The EPPN's scope: the domain of the university that issued it."""
        return self.eppn.rsplit("@", 1)[-1].lower() if "@" in self.eppn else ""


def looks_like_jwt(token: str) -> bool:
    """Three base64url parts separated by dots."""
    return token.count(".") == 2 and not token.startswith("ots_")


class OidcVerifier:
    """Verifies tokens of one issuer; the keys are fetched from its JWKS and cached by PyJWKClient."""

    def __init__(self, issuer: str, jwks_url: str, audience: str | None, eppn_claim: str, algorithms: list[str]):
        self.issuer = issuer
        self.audience = audience
        self.eppn_claim = eppn_claim
        self.algorithms = algorithms
        self.keys = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=3600, timeout=5)

    @classmethod
    def from_settings(cls, settings) -> OidcVerifier:
        """A verifier for the configured issuer (its JWKS from the discovery document unless given)."""
        jwks = settings.oidc_jwks_url or discover_jwks(settings.oidc_issuer)
        return cls(settings.oidc_issuer, jwks, settings.oidc_audience, settings.oidc_eppn_claim,
                   [a.strip() for a in settings.oidc_algorithms.split(",") if a.strip()])

    def verify(self, token: str) -> Claims:
        """The claims of a token signed by the issuer, for our audience, not expired; OidcRefused otherwise."""
        try:
            key = self.keys.get_signing_key_from_jwt(token).key
            claims = jwt.decode(token, key, algorithms=self.algorithms, audience=self.audience, issuer=self.issuer,
                                options={"require": ["exp", "iat", "iss"], "verify_aud": self.audience is not None})
        except (jwt.PyJWTError, jwt.PyJWKClientError) as exc:
            raise OidcRefused(f"OpenID Connect token refused: {exc}") from None
        eppn = claims.get(self.eppn_claim)
        if not isinstance(eppn, str) or "@" not in eppn:
            raise OidcRefused(f"OpenID Connect token refused: no {self.eppn_claim} claim of the form user@scope")
        return Claims(eppn=eppn.strip(), family_name=claims.get("family_name"), given_name=claims.get("given_name"),
                      email=claims.get("email"), email_verified=bool(claims.get("email_verified")), raw=claims)


def discover_jwks(issuer: str) -> str:
    """The jwks_uri of an issuer's OpenID configuration."""
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (the configured issuer only)
        return json.load(response)["jwks_uri"]
