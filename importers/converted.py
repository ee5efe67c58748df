"""What an import made of one source item: the item (JSON form) and, in words, what was repaired or lost."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

LOST, REPAIRED, TO_COMPLETE = "lost", "repaired", "to complete"


class SourceError(ValueError):
    """A document that is not of the announced format, or cannot be read."""


def read_number(text: str | None, where: str, default: float | None = None) -> float | None:
    """A finite number read from the source (`default` when absent); SourceError naming where it was read."""
    if text is None or not text.strip():
        return default
    try:
        value = float(text.strip())
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise SourceError(f"{where}: {text.strip()[:40]!r} is not a number")
    return value


class MediaMissing(LookupError):
    """A file an item refers to that cannot be brought in; the message says which and why."""


@dataclass(frozen=True)
class Note:
    """One thing a person should know about a conversion. `outcome`: lost (not carried over), repaired (carried
    over in another place or form) or to complete (the source lacks what our rules need). `kind` is for counting."""

    outcome: str
    kind: str
    text: str


@dataclass
class Converted:
    """One source item: the item it became (None when nothing could be), and the notes of its conversion."""

    source: str
    item: dict | None
    notes: list[Note] = field(default_factory=list)

    def note(self, outcome: str, kind: str, text: str) -> None:
        """Add a note."""
        self.notes.append(Note(outcome, kind, text))

    def texts(self, outcome: str) -> list[str]:
        """The notes of one outcome, in words."""
        return [n.text for n in self.notes if n.outcome == outcome]

    @property
    def status(self) -> str:
        """`converted` only when nothing was lost; `converted with losses`; `not converted`."""
        if self.item is None:
            return "not converted"
        return "converted with losses" if any(n.outcome == LOST for n in self.notes) else "converted"


class NotAnItem(SourceError):
    """A well-formed document of another kind than an item (a test, a shared passage, a manifest)."""
