"""The calendar of épreuves: entries grouped by day or week, and as iCalendar (RFC 5545) for agendas.

iCalendar is written by the `icalendar` library (line folding, escaping, UTC times), not by hand.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from zoneinfo import ZoneInfo

import icalendar

# What an agenda shows of each status (RFC 5545 STATUS of a VEVENT).
ICS_STATUS = {"draft": "TENTATIVE", "ready": "CONFIRMED", "running": "CONFIRMED", "finished": "CONFIRMED",
              "archived": "CONFIRMED"}


@dataclass(frozen=True)
class Entry:
    """One épreuve in the calendar."""

    exam: str
    exam_title: str
    owner: str | None
    epreuve: str
    number: int
    title: str
    type: str
    start: dt.datetime | None
    duration_minutes: int
    status: str

    @property
    def end(self) -> dt.datetime | None:
        """When the épreuve ends (without extra time); None while its date is unset."""
        return None if self.start is None else self.start + dt.timedelta(minutes=self.duration_minutes)

    def as_dict(self, zone: ZoneInfo) -> dict:
        """JSON form, times in the platform's time zone."""
        out = asdict(self)
        out["start"] = self.start.astimezone(zone).isoformat() if self.start else None
        out["end"] = self.end.astimezone(zone).isoformat() if self.end else None
        return out


def grouped(entries: list[Entry], view: str, zone: ZoneInfo) -> list[dict]:
    """Entries by local day, or by ISO week (starting on Monday), in time order."""
    buckets: dict[dt.date, list[Entry]] = {}
    for entry in sorted(entries, key=lambda e: (e.start, e.exam_title, e.number)):
        day = entry.start.astimezone(zone).date()
        if view == "week":
            day -= dt.timedelta(days=day.weekday())
        buckets.setdefault(day, []).append(entry)
    key = "week" if view == "week" else "day"
    return [{key: day.isoformat(), **({"iso_week": day.isocalendar().week} if view == "week" else {}),
             "epreuves": [e.as_dict(zone) for e in found]} for day, found in buckets.items()]


def ics(entries: list[Entry], name: str, stamp: dt.datetime) -> bytes:
    """An iCalendar file with one event per épreuve (its IRI as UID, so agendas update rather than duplicate)."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//OntoSIDES-KG//PLANIFICATEUR//FR")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    for entry in sorted(entries, key=lambda e: (e.start, e.epreuve)):
        event = icalendar.Event()
        event.add("uid", entry.epreuve)
        event.add("dtstamp", stamp.astimezone(dt.timezone.utc))
        event.add("dtstart", entry.start.astimezone(dt.timezone.utc))
        event.add("dtend", entry.end.astimezone(dt.timezone.utc))
        event.add("summary", f"{entry.exam_title} — {entry.title}")
        event.add("description", f"{entry.type}; {entry.duration_minutes} min; statut : {entry.status}")
        event.add("status", ICS_STATUS.get(entry.status, "CONFIRMED"))
        event.add("categories", [entry.type] if entry.type else [])
        event.add("url", entry.epreuve)
        calendar.add_component(event)
    return calendar.to_ical()
