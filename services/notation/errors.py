"""NOTATION's errors; the API maps each to a status (api/app.py DOMAIN_ERRORS)."""

from __future__ import annotations


class NotationError(ValueError):
    """A grading request that cannot be done; the message names the field, question or candidate."""


class NotFound(NotationError):
    """No such épreuve, question or copy (or not one the caller may learn about)."""


class Forbidden(NotationError):
    """The caller may see this épreuve but not do this to it."""


class Frozen(NotationError):
    """The épreuve's grades are officially published: they change only after a revocation."""


class NotPublishable(NotationError):
    """The grades cannot be published (or revoked) as they stand: corrections remain, or they are stale."""
