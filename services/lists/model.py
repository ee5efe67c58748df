"""Plain data of the list library, free of RDF: entries, local changes, resolved lists, problems."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

HIDE, SHOW, RELABEL, REORDER = "hide", "show", "relabel", "reorder"
CHANGE_KINDS = (HIDE, SHOW, RELABEL, REORDER)


@dataclass(frozen=True)
class Entry:
    """A list entry as a level defines it; its IRI is the same at every level."""

    iri: str
    labels: dict[str, str]
    level: str
    notation: str | None = None
    order: float | None = None
    parent: str | None = None
    types: tuple[str, ...] = ()
    extra: dict[str, object] = field(default_factory=dict)
    deprecated: bool = False

    def label(self, lang: str = "fr") -> str:
        """The label in a language, else any label, else the notation or IRI."""
        return self.labels.get(lang) or next(iter(self.labels.values()), None) or self.notation or self.iri


@dataclass(frozen=True)
class Change:
    """A level's change to an inherited entry: hide, show, relabel or reorder."""

    kind: str
    target: str
    level: str
    labels: dict[str, str] = field(default_factory=dict)
    order: float | None = None
    author: str | None = None
    at: str | None = None


@dataclass
class Layer:
    """What one level says about one list: the entries it adds (or owns) and its changes."""

    level: str
    entries: list[Entry] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    revision: str | None = None


@dataclass(frozen=True)
class Problem:
    """Something that could not be applied and that a list administrator must see."""

    level: str
    kind: str
    target: str
    message: str


@dataclass
class Resolved:
    """An entry of an effective list: its values after the chain of levels, and where they came from."""

    entry: Entry
    origin: str
    overridden_by: dict[str, str] = field(default_factory=dict)
    hidden: bool = False
    depth: int = 0

    @property
    def iri(self) -> str:
        """The entry's IRI."""
        return self.entry.iri


@dataclass
class EffectiveList:
    """A list as a level sees it, in tree order, with the problems met on the way."""

    level: str
    entries: list[Resolved]
    problems: list[Problem]
    hidden: list[str] = field(default_factory=list)
    _index: dict[str, Resolved] | None = field(default=None, init=False, repr=False, compare=False)

    def by_iri(self) -> dict[str, Resolved]:
        """Entries indexed by IRI, built once (an effective list is cached per revision: read it, never change it)."""
        if self._index is None:
            self._index = {r.iri: r for r in self.entries}
        return self._index


def with_values(entry: Entry, **values) -> Entry:
    """A copy of an entry with some values changed."""
    return replace(entry, **values)
