"""The planner's rules as pure functions: completeness, candidate union, overlaps, status transitions, start.

Nothing here reads the store: the use cases gather the facts and ask these functions, so the rules are tested
on plain values and run in microseconds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from services.exams.model import STARTED, Epreuve

# Where each status may go: back to draft to change a ready épreuve; forward only once it started.
TRANSITIONS = {"draft": {"ready"}, "ready": {"draft", "running"}, "running": {"finished"},
               "finished": {"archived"}, "archived": set()}
SHOWN = 5  # conflicts named in a message; the rest are counted


def completeness(epreuve: Epreuve, candidates: int) -> list[str]:
    """What an épreuve lacks before it can be made ready (empty: it is complete)."""
    problems = []
    if epreuve.start is None:
        problems.append("start: the date and time of the épreuve are not set")
    if not epreuve.slots:
        problems.append("slots: no item is linked")
    if not epreuve.groups and not epreuve.added:
        problems.append("registrations: no group is registered")
    elif candidates == 0:
        problems.append("registrations: the registered groups have no member left (no candidate)")
    return problems


def candidate_union(members: Mapping[str, Iterable[str]], groups: Iterable[str], added: Iterable[str],
                    excluded: Iterable[str]) -> set[str]:
    """The candidates of an épreuve: the members of its groups, plus individual additions, minus exclusions."""
    found: set[str] = set()
    for group in groups:
        found.update(members.get(group, ()))
    found.update(added)
    found.difference_update(excluded)
    return found


@dataclass(frozen=True)
class Sitting:
    """An épreuve as the overlap rule sees it: when, for whom, with whose extra time."""

    epreuve: str
    label: str
    start: dt.datetime
    duration_minutes: int
    candidates: frozenset[str]
    extra_time: Mapping[str, int] = field(default_factory=dict)

    def end(self, candidate: str | None = None) -> dt.datetime:
        """When a candidate's time is up (None: the longest extra time)."""
        extra = self.extra_time.get(candidate, 0) if candidate else max(self.extra_time.values(), default=0)
        return self.start + dt.timedelta(minutes=self.duration_minutes + extra)


@dataclass(frozen=True)
class Overlap:
    """A candidate who would sit two épreuves at once."""

    candidate: str
    other: str
    other_label: str


def overlaps(target: Sitting, others: Iterable[Sitting]) -> list[Overlap]:
    """Candidates of the target who also sit another épreuve whose window [start, end + their extra time]
    intersects theirs (an épreuve ending when another starts does not overlap it)."""
    found = []
    for other in others:
        if other.epreuve == target.epreuve:
            continue
        if not (target.start < other.end() and other.start < target.end()):
            continue  # not even the longest extra times meet
        for candidate in sorted(target.candidates & other.candidates):
            if target.start < other.end(candidate) and other.start < target.end(candidate):
                found.append(Overlap(candidate, other.epreuve, other.label))
    return found


def overlap_message(found: list[Overlap], label: str, names: Mapping[str, str]) -> str:
    """One sentence naming the first conflicts and counting the rest."""
    people = sorted({o.candidate for o in found})
    epreuves = sorted({o.other_label for o in found})
    shown = [f"{names.get(o.candidate) or o.candidate} (also in {o.other_label})" for o in found[:SHOWN]]
    more = f" and {len(found) - SHOWN} more" if len(found) > SHOWN else ""
    return (f"{len(people)} candidate(s) of {label} would sit {len(epreuves)} overlapping épreuve(s) at the same "
            f"time: {'; '.join(shown)}{more}")


def transition_problem(current: str, target: str) -> str | None:
    """Why a status change is refused (None: allowed)."""
    if target == current:
        return None
    if target not in TRANSITIONS:
        return f"status: {target!r} is not a status (draft, ready, running, finished, archived)"
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "nothing (it is archived)"
        return f"status: a {current} épreuve cannot become {target}; it may become {allowed}"
    return None


def has_started(epreuve: Epreuve, frozen: bool, now: dt.datetime) -> bool:
    """Whether an épreuve started: its status says so, its candidates were frozen, or a ready one's time came."""
    if epreuve.status in STARTED or frozen:
        return True
    return epreuve.status == "ready" and epreuve.start is not None and epreuve.start <= now
