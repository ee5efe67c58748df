"""Named queries: `queries/<name>.rq` files with a `#+` header, run with parameters bound as RDF terms."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox

from store.paths import QUERIES_DIR

XSD = "http://www.w3.org/2001/XMLSchema#"
PARAM_TYPES = ("iri", "string", "integer", "decimal", "boolean", "date", "dateTime")
_PARAM = re.compile(
    r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s+(?P<type>\w+)(?:\s*=\s*(?P<default>\S+))?(?:\s+--\s*(?P<doc>.*))?$"
)


class ParamError(ValueError):
    """A parameter value is missing or does not fit its type."""


@dataclass(frozen=True)
class Param:
    """A declared parameter of a named query."""

    name: str
    type: str
    default: str | None = None
    description: str = ""

    @property
    def required(self) -> bool:
        """Whether the caller must give a value."""
        return self.default is None

    def to_term(self, raw) -> object:
        """The RDF term for a raw value (str, int, …), checked against the type."""
        text = str(raw).strip() if not isinstance(raw, bool) else ("true" if raw else "false")
        try:
            if self.type == "iri":
                if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$", text):
                    raise ValueError("an absolute IRI is expected")
                return ox.NamedNode(text)
            if self.type == "string":
                return ox.Literal(str(raw))
            if self.type == "integer":
                return ox.Literal(str(int(text)), datatype=ox.NamedNode(XSD + "integer"))
            if self.type == "decimal":
                return ox.Literal(str(Decimal(text)), datatype=ox.NamedNode(XSD + "decimal"))
            if self.type == "boolean":
                if text.lower() not in ("true", "false", "1", "0"):
                    raise ValueError("true or false is expected")
                return ox.Literal(str(text.lower() in ("true", "1")).lower(),
                                  datatype=ox.NamedNode(XSD + "boolean"))
            if self.type == "date":
                return ox.Literal(dt.date.fromisoformat(text).isoformat(), datatype=ox.NamedNode(XSD + "date"))
            if self.type == "dateTime":
                return ox.Literal(dt.datetime.fromisoformat(text).isoformat(),
                                  datatype=ox.NamedNode(XSD + "dateTime"))
        except (ValueError, InvalidOperation) as exc:
            raise ParamError(f"parameter '{self.name}' ({self.type}): {raw!r} is not valid: {exc}") from exc
        raise ParamError(f"parameter '{self.name}' has an unknown type {self.type}")

    def as_dict(self) -> dict:
        """JSON-friendly form."""
        return {"name": self.name, "type": self.type, "required": self.required,
                "default": self.default, "description": self.description}


@dataclass(frozen=True)
class NamedQuery:
    """One `.rq` file: its name, summary, parameters and text."""

    name: str
    summary: str
    text: str
    params: tuple[Param, ...] = field(default_factory=tuple)
    path: Path | None = None

    def bind(self, values: dict | None = None) -> dict[str, object]:
        """Turn raw parameter values into RDF terms; unknown or missing ones are errors."""
        values = dict(values or {})
        known = {p.name for p in self.params}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ParamError(f"query '{self.name}' has no parameter {', '.join(unknown)}; "
                             f"it takes: {', '.join(sorted(known)) or 'none'}")
        bound = {}
        for p in self.params:
            raw = values.get(p.name, p.default)
            if raw is None or raw == "":
                if p.required:
                    raise ParamError(f"query '{self.name}' needs parameter '{p.name}' ({p.type})")
                continue
            bound[p.name] = p.to_term(raw)
        return bound

    def as_dict(self) -> dict:
        """JSON-friendly summary (no text)."""
        return {"name": self.name, "summary": self.summary, "parameters": [p.as_dict() for p in self.params]}


def parse_query_file(path: Path) -> NamedQuery:
    """Read a `.rq` file and its `#+` header."""
    text = path.read_text(encoding="utf-8")
    summary = ""
    params = []
    for line in text.splitlines():
        if not line.startswith("#+"):
            continue
        key, _, rest = line[2:].strip().partition(":")
        rest = rest.strip()
        if key == "summary":
            summary = rest
        elif key == "param":
            m = _PARAM.match(rest)
            if not m or m["type"] not in PARAM_TYPES:
                raise ValueError(f"{path.name}: bad parameter line {line!r} (types: {', '.join(PARAM_TYPES)})")
            params.append(Param(m["name"], m["type"], m["default"], (m["doc"] or "").strip()))
    if not summary:
        raise ValueError(f"{path.name}: missing '#+ summary:' header")
    return NamedQuery(path.stem, summary, text, tuple(params), path)


class QueryLibrary:
    """The named queries of a folder, loaded once."""

    def __init__(self, folder: Path = QUERIES_DIR):
        self.folder = Path(folder)
        self._queries = {q.name: q for q in (parse_query_file(p) for p in sorted(self.folder.glob("*.rq")))}

    def names(self) -> list[str]:
        """Query names, sorted."""
        return sorted(self._queries)

    def all(self) -> list[NamedQuery]:
        """Every named query."""
        return [self._queries[n] for n in self.names()]

    def get(self, name: str) -> NamedQuery:
        """One query by name; KeyError with the known names if absent."""
        try:
            return self._queries[name]
        except KeyError:
            raise KeyError(f"no named query '{name}'; known: {', '.join(self.names())}") from None


@lru_cache(maxsize=None)
def internal_query(name: str) -> NamedQuery:
    """A query the store layer itself uses (queries/store/)."""
    return parse_query_file(QUERIES_DIR / "store" / f"{name}.rq")
