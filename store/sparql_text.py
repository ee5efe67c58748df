"""Binding parameters into SPARQL text as a VALUES block, for engines without substitutions."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

_IRI = re.compile(r"<[^<>\"{}|^`\\\x00-\x20]*>")
_WHERE = re.compile(r"where\b", re.IGNORECASE)
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _skip_string(text: str, i: int) -> int:
    quote = text[i]
    long = text.startswith(quote * 3, i)
    end_token = quote * 3 if long else quote
    j = i + (3 if long else 1)
    while j < len(text):
        if text[j] == "\\":
            j += 2
            continue
        if text.startswith(end_token, j):
            return j + len(end_token)
        j += 1
    return j


def _code_positions(text: str):
    """Yield (index, char) of characters outside strings, IRIs and comments."""
    i = 0
    while i < len(text):
        c = text[i]
        if c in "'\"":
            i = _skip_string(text, i)
            continue
        if c == "<":
            m = _IRI.match(text, i)
            if m:
                i = m.end()
                continue
        if c == "#":
            nl = text.find("\n", i)
            i = len(text) if nl < 0 else nl + 1
            continue
        yield i, c
        i += 1


def top_group_start(query: str) -> int:
    """Index of the opening brace of the query's WHERE clause."""
    first_brace = None
    where_end = None
    for i, c in _code_positions(query):
        if where_end is not None and i < where_end:
            continue
        if c == "{":
            if where_end is not None:
                return i
            if first_brace is None:
                first_brace = i
        elif _WHERE.match(query, i) and (i == 0 or not query[i - 1].isalnum()):
            where_end = i + 5
        elif not c.isspace():
            where_end = None
    if first_brace is None:
        raise ValueError("the query has no group pattern")
    return first_brace


def values_block(bindings: Mapping[str, object]) -> str:
    """A one-row VALUES block; terms are serialised by pyoxigraph, which escapes them."""
    names = list(bindings)
    for name in names:
        if not _NAME.match(name):
            raise ValueError(f"invalid variable name: {name!r}")
    head = " ".join(f"?{n}" for n in names)
    row = " ".join(str(bindings[n]) for n in names)
    return f"VALUES ({head}) {{ ({row}) }}"


def values_list(var: str, terms: Iterable[object]) -> str:
    """A one-variable VALUES block listing several terms."""
    if not _NAME.match(var):
        raise ValueError(f"invalid variable name: {var!r}")
    return f"VALUES ?{var} {{ {' '.join(str(t) for t in terms)} }}"


def inject_values(query: str, bindings: Mapping[str, object] | None) -> str:
    """Bind variables by a VALUES block placed first in the WHERE group."""
    if not bindings:
        return query
    at = top_group_start(query)
    return f"{query[:at + 1]} {values_block(bindings)} {query[at + 1:]}"


def inject_values_list(query: str, var: str, terms: Iterable[object]) -> str:
    """Bind one variable to several terms by a VALUES block placed first in the WHERE group."""
    at = top_group_start(query)
    return f"{query[:at + 1]} {values_list(var, terms)} {query[at + 1:]}"
