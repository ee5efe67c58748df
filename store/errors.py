"""Errors raised by the store layer, each carrying a message fit for a person."""

from __future__ import annotations

from dataclasses import dataclass


class StoreError(Exception):
    """A store operation failed; the message says why."""


class QueryError(StoreError):
    """A query could not run."""


class QuerySyntaxError(QueryError):
    """The SPARQL text does not parse; the message is the parser's."""


class QueryTimeout(QueryError):
    """A query ran past its time limit."""


class ResultTooLarge(QueryError):
    """A query returned more results than allowed."""


class ImportFailed(StoreError):
    """A bulk import failed; nothing of it was kept."""


@dataclass(frozen=True)
class Violation:
    """One SHACL violation: the resource, the property path, the message and the shape."""

    focus: str
    path: str | None
    message: str
    shape: str | None = None
    value: str | None = None
    severity: str = "Violation"

    def describe(self) -> str:
        """One line a person can read."""
        where = f" {self.path}" if self.path else ""
        value = f" (value: {self.value})" if self.value else ""
        return f"{self.focus}{where}: {self.message}{value}"

    def as_dict(self) -> dict:
        """JSON-friendly form."""
        return {
            "focus": self.focus,
            "path": self.path,
            "message": self.message,
            "shape": self.shape,
            "value": self.value,
            "severity": self.severity,
        }


class ValidationFailed(StoreError):
    """A write was rejected by the shapes; nothing was changed."""

    def __init__(self, violations: list[Violation]):
        self.violations = violations
        lines = "; ".join(v.describe() for v in violations[:5])
        more = f" (and {len(violations) - 5} more)" if len(violations) > 5 else ""
        super().__init__(f"{len(violations)} SHACL violation(s): {lines}{more}")


class FederationRefused(QueryError):
    """A query or update would make the server call another host (SERVICE, LOAD) without permission."""
