"""The cockpit's records: people with their university accounts, e-mails and functions; offers; groups."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from services.access.model import Holding

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PERIOD = re.compile(r"^(\d{4})-(\d{4})$")


class CockpitError(ValueError):
    """A cockpit request that cannot be done; the message names the field or the resource."""


class NotFound(CockpitError):
    """No such person, offer, group or function (or not one the caller may see)."""


class Forbidden(CockpitError):
    """The caller may not do this here."""


class Conflict(CockpitError):
    """The request contradicts what is stored (an EPPN held by someone else …)."""


def normal_email(address: str) -> str:
    """An e-mail address as stored: trimmed, lower case; CockpitError when it is not one."""
    value = address.strip().lower()
    if not EMAIL.match(value):
        raise CockpitError(f"malformed e-mail address: {address!r}")
    return value


def check_period(period: str) -> str:
    """A period YYYY-YYYY whose second year follows the first."""
    m = PERIOD.match(period.strip())
    if not m or int(m[2]) != int(m[1]) + 1:
        raise CockpitError(f"period {period!r}: write two following years, e.g. 2025-2026")
    return period.strip()


@dataclass
class Account:
    """A university account: the EPPN a university issued."""

    iri: str
    eppn: str
    university: str


@dataclass
class Person:
    """A person as the cockpit sees them."""

    iri: str
    key: str
    unique_id: str
    family_name: str
    given_name: str | None = None
    emails: list[str] = field(default_factory=list)
    primary_email: str | None = None
    pending_emails: list[str] = field(default_factory=list)
    accounts: list[Account] = field(default_factory=list)
    holdings: list[Holding] = field(default_factory=list)

    def display(self) -> str:
        """Given name and family name."""
        return f"{self.given_name or ''} {self.family_name}".strip()

    def as_dict(self, labels: dict[str, str] | None = None, today: dt.date | None = None) -> dict:
        """JSON form, with organisation labels when given."""
        today = today or dt.date.today()
        labels = labels or {}
        return {
            "iri": self.iri, "id": self.key, "unique_id": self.unique_id, "family_name": self.family_name,
            "given_name": self.given_name,
            "emails": [{"address": e, "verified": True, "primary": e == self.primary_email} for e in self.emails]
            + [{"address": e, "verified": False, "primary": False} for e in self.pending_emails],
            "accounts": [{"eppn": a.eppn, "university": a.university, "university_label": labels.get(a.university)}
                         for a in self.accounts],
            "functions": [{"id": h.assignment.rsplit("/", 1)[-1], "iri": h.assignment, "function": h.function,
                           "function_name": h.function.rsplit("#", 1)[-1], "organisation": h.organisation,
                           "organisation_label": labels.get(h.organisation),
                           "start": h.start.isoformat() if h.start else None,
                           "end": h.end.isoformat() if h.end else None, "active": h.active(today)}
                          for h in self.holdings],
        }


@dataclass
class Offer:
    """A training offer and its cohort group."""

    iri: str
    key: str
    label: str
    component: str
    diploma: str | None
    study_year: str | None
    period: str | None
    mention: str | None
    cohort: str
    members: list[str] = field(default_factory=list)


@dataclass
class Group:
    """An ad-hoc group (or a cohort group, read the same way)."""

    iri: str
    key: str
    name: str
    kind: str
    institutions: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    administrators: list[str] = field(default_factory=list)
    offer: str | None = None
