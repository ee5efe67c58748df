"""A small SPARQL lexer: enough to find keywords, dataset clauses and group boundaries outside strings and IRIs.

The engines parse queries fully; we only need to locate a few things safely (a `SERVICE` keyword is not the
word "service" inside a string, a `FROM` is only a dataset clause at the top level), so a lexer with brace
and parenthesis depths is enough and costs microseconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][A-Za-z0-9_\u00B7\u00C0-\uFFFF]+)
  | (?P<bnode>_:[A-Za-z0-9_\u00C0-\uFFFF][A-Za-z0-9_.\-\u00B7\u00C0-\uFFFF]*)
  | (?P<pname>(?:[A-Za-z\u00C0-\uFFFF][A-Za-z0-9_.\-\u00B7\u00C0-\uFFFF]*)?:(?:[A-Za-z0-9_:%\\\u00C0-\uFFFF](?:[A-Za-z0-9_.:%\-\\\u00B7\u00C0-\uFFFF]*[A-Za-z0-9_:%\-\\\u00B7\u00C0-\uFFFF])?)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<number>[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)
  | (?P<punct>\^\^|&&|\|\||!=|<=|>=|[{}()\[\].,;*+\-/=<>!|^@])
  | (?P<other>.)
""", re.VERBOSE | re.DOTALL)


@dataclass(frozen=True)
class Token:
    """One lexical token: its kind, text, offsets and the brace/paren depth it sits at."""

    kind: str
    text: str
    start: int
    end: int
    depth: int
    parens: int

    def is_keyword(self, *words: str) -> bool:
        """Whether this is one of the (case-insensitive) keywords."""
        return self.kind == "name" and self.text.upper() in words


def tokenize(text: str) -> list[Token]:
    """The tokens of a query or update, without whitespace and comments."""
    tokens = []
    depth = parens = 0
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind in ("ws", "comment"):
            continue
        value = m.group()
        if value == "}":
            depth -= 1
        elif value == ")":
            parens -= 1
        tokens.append(Token(kind, value, m.start(), m.end(), depth, parens))
        if value == "{":
            depth += 1
        elif value == "(":
            parens += 1
    return tokens


def prologue(tokens: list[Token], base: str | None = None) -> tuple[str | None, dict[str, str]]:
    """The BASE and PREFIX declarations of a text (updates may repeat them between operations)."""
    prefixes: dict[str, str] = {}
    for i, token in enumerate(tokens):
        if token.depth:
            continue
        if token.is_keyword("BASE") and i + 1 < len(tokens) and tokens[i + 1].kind == "iri":
            base = _resolve(tokens[i + 1].text[1:-1], base)
        elif (token.is_keyword("PREFIX") and i + 2 < len(tokens) and tokens[i + 1].kind == "pname"
              and tokens[i + 2].kind == "iri"):
            prefixes[tokens[i + 1].text[:-1]] = _resolve(tokens[i + 2].text[1:-1], base)
    return base, prefixes


def _resolve(iri: str, base: str | None) -> str:
    return urljoin(base, iri) if base and not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", iri) else iri


def term_iri(token: Token, base: str | None, prefixes: dict[str, str]) -> str | None:
    """The absolute IRI an IRI or prefixed-name token stands for (None when it is neither or unknown)."""
    if token.kind == "iri":
        return _resolve(token.text[1:-1], base)
    if token.kind == "pname":
        prefix, _, local = token.text.partition(":")
        if prefix in prefixes:
            return prefixes[prefix] + re.sub(r"\\(.)", r"\1", local)
    return None


def matching_brace(tokens: list[Token], index: int) -> int | None:
    """The index of the `}` closing the `{` at index (None when the text never closes it)."""
    depth = tokens[index].depth
    for j in range(index + 1, len(tokens)):
        if tokens[j].text == "}" and tokens[j].depth == depth:
            return j
    return None


def where_group(tokens: list[Token]) -> int | None:
    """The index of the `{` that opens a query's WHERE group (None for DESCRIBE without one, CONSTRUCT WHERE)."""
    form = next((i for i, t in enumerate(tokens)
                 if t.depth == 0 and t.is_keyword("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")), None)
    if form is None:
        return None
    start = form + 1
    if tokens[form].is_keyword("CONSTRUCT"):
        if start >= len(tokens) or tokens[start].text != "{":
            return None  # the short form: its group is also its template
        end = matching_brace(tokens, start)
        if end is None:
            return None
        start = end + 1
    for j in range(start, len(tokens)):
        t = tokens[j]
        if t.text == "{" and t.depth == 0 and t.parens == 0:
            return j
    return None


def query_form(tokens: list[Token]) -> str | None:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: the form of a query (None when it names none)."""
    form = next((t for t in tokens if t.depth == 0 and t.is_keyword("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")), None)
    return None if form is None else form.text.upper()


MAX_NESTING = 256
_OPENERS, _CLOSERS = frozenset("({["), frozenset(")}]")


def nesting(text: str) -> int:
    """How deep brackets, braces and parentheses nest outside strings, IRIs and comments."""
    if sum(text.count(c) for c in _OPENERS) <= MAX_NESTING:
        return 0  # cannot nest deeper than it opens: no need to lex
    deepest = level = 0
    for m in _TOKEN.finditer(text):
        value = m.group()
        if m.lastgroup == "punct" and value in _OPENERS:
            level += 1
            deepest = max(deepest, level)
        elif m.lastgroup == "punct" and value in _CLOSERS:
            level -= 1
    return deepest
