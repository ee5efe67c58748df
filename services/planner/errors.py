"""The planner's errors; the API answers each with its status (api/app.py DOMAIN_ERRORS)."""

from __future__ import annotations


class PlannerError(ValueError):
    """A planning request that cannot be done; the message names the field, the rule or the resource (422)."""


class PlannerNotFound(PlannerError):
    """No such exam, épreuve, group or item, or not one the caller may know of (404)."""


class PlannerForbidden(PlannerError):
    """The caller may read this exam but not change it (403)."""


class PlannerConflict(PlannerError):
    """The request contradicts the exam's state: an épreuve has started, so it can no longer change (409)."""
