"""Access: who is calling (tokens, OpenID Connect), what they hold (directory), what they may do (policy),
and the log of refusals and grants (audit)."""

from __future__ import annotations

from dataclasses import dataclass

from services.access.audit import AuditLog
from services.access.directory import Directory
from services.access.oidc import OidcVerifier
from services.access.policy import Policy
from services.access.tokens import Tokens
from services.platform import Platform


@dataclass
class Access:
    """The access services of one platform."""

    directory: Directory
    policy: Policy
    tokens: Tokens
    audit: AuditLog
    oidc: OidcVerifier | None

    @classmethod
    def build(cls, platform: Platform) -> Access:
        """Wire the access services over a platform."""
        directory = Directory(platform)
        settings = platform.settings
        oidc = OidcVerifier.from_settings(settings) if settings.oidc_issuer else None
        return cls(directory, Policy(platform, directory), Tokens(platform, directory.queries),
                   AuditLog(platform), oidc)

    def warm(self, people) -> None:
        """Read the tokens and functions of many people at once (the candidates of an épreuve that opens), so
        their first requests find them cached instead of costing three queries each."""
        self.tokens.warm(people)
        self.directory.warm(people)
