"""SELECT results as plain strings: the IRI of an IRI, the lexical form of a literal, None where unbound.

The hot reads of NOTATION (a million answers) skip the term objects: the embedded store serialises its
solutions as SPARQL TSV in Rust, and `parse_tsv` splits them; other stores go through their usual rows.
"""

from __future__ import annotations

import re

_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))")
_SIMPLE = {"t": "\t", "n": "\n", "r": "\r", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}

Table = tuple[list[str], list[list[str | None]]]


def _unescape(match: re.Match) -> str:
    code = match.group(1) or match.group(2)
    return chr(int(code, 16)) if code else _SIMPLE.get(match.group(3), match.group(3))


def tsv_term(cell: str) -> str | None:
    """The plain string of one TSV cell: `<iri>` → iri, `"text"@fr` or `"1"^^<…>` → text, `1.5` → 1.5."""
    if not cell:
        return None
    first = cell[0]
    if first == "<":
        return cell[1:-1]
    if first == '"':
        end = cell.rfind('"')
        body = cell[1:end]
        return _ESCAPE.sub(_unescape, body) if "\\" in body else body
    return cell


def parse_tsv(data: bytes) -> Table:
    """Variable names and rows of plain strings from SPARQL 1.1 TSV results."""
    lines = data.decode("utf-8").split("\n")
    names = [v.lstrip("?$") for v in lines[0].split("\t")] if lines and lines[0] else []
    rows = [[tsv_term(cell) for cell in line.split("\t")] for line in lines[1:] if line]
    return names, rows
