"""The cohort import file: Nom, Prénom, Courriel, EPPN — UTF-8 with or without BOM, `;` or `,`.

Every bad line is reported with its number and reason; the caller writes nothing unless no line is bad.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass

COLUMNS = ("Nom", "Prénom", "Courriel", "EPPN")
ALIASES = {"nom": "Nom", "nom de famille": "Nom", "family name": "Nom", "last name": "Nom",
           "prenom": "Prénom", "given name": "Prénom", "first name": "Prénom",
           "courriel": "Courriel", "e-mail": "Courriel", "email": "Courriel", "mail": "Courriel", "adresse mail": "Courriel",
           "eppn": "EPPN", "edupersonprincipalname": "EPPN"}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
EPPN = re.compile(r"^[^@\s]+@[^@\s]+$")
MAX_LINES = 20_000


@dataclass(frozen=True)
class StudentRow:
    """One valid line of the file."""

    line: int
    family_name: str
    given_name: str
    email: str
    eppn: str


def template() -> bytes:
    """The file to download and fill in: UTF-8 with a BOM (so spreadsheets read the accents), `;`."""
    return ("\ufeff" + ";".join(COLUMNS) + "\r\nDurand;Léa;lea.durand@etu.univ-exemple.fr;ldurand@univ-exemple.fr\r\n"
            ).encode("utf-8")


def _key(header: str) -> str:
    plain = unicodedata.normalize("NFKD", header).encode("ascii", "ignore").decode().strip().lower()
    return ALIASES.get(plain, header.strip())


def parse_students(content: bytes) -> tuple[list[StudentRow], list[dict]]:
    """The valid rows and the errors (line, field, message) of an import file."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = content[:exc.start].count(b"\n") + 1
        return [], [{"line": line, "field": None,
                     "message": "the file is not UTF-8 (save it as « CSV UTF-8 » from your spreadsheet)"}]
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        return [], [{"line": 1, "field": None, "message": f"the first line must name the columns: {';'.join(COLUMNS)}"}]
    delimiter = ";" if lines[0].count(";") >= lines[0].count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [_key(h) for h in next(reader)]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        return [], [{"line": 1, "field": c, "message": f"missing column {c} (expected: {';'.join(COLUMNS)})"}
                    for c in missing]
    index = {c: header.index(c) for c in COLUMNS}
    rows: list[StudentRow] = []
    errors: list[dict] = []
    seen_eppn: dict[str, int] = {}
    for number, cells in enumerate(reader, start=2):
        if number > MAX_LINES:
            errors.append({"line": number, "field": None, "message": f"more than {MAX_LINES} lines: split the file"})
            break
        if not any(c.strip() for c in cells):
            continue
        value = {c: (cells[i].strip() if i < len(cells) else "") for c, i in index.items()}
        problems = []
        if not value["Nom"]:
            problems.append(("Nom", "missing family name (Nom)"))
        if not value["EPPN"]:
            problems.append(("EPPN", "missing EPPN"))
        elif not EPPN.match(value["EPPN"]):
            problems.append(("EPPN", f"malformed EPPN {value['EPPN']!r} (expected user@scope)"))
        if not value["Courriel"]:
            problems.append(("Courriel", "missing e-mail (Courriel)"))
        elif not EMAIL.match(value["Courriel"]):
            problems.append(("Courriel", f"malformed e-mail {value['Courriel']!r}"))
        eppn = value["EPPN"].lower()
        if eppn and eppn in seen_eppn:
            problems.append(("EPPN", f"the EPPN {value['EPPN']} is already on line {seen_eppn[eppn]}"))
        for field, message in problems:
            errors.append({"line": number, "field": field, "message": message})
        if not problems:
            seen_eppn[eppn] = number
            rows.append(StudentRow(number, value["Nom"], value["Prénom"], value["Courriel"], value["EPPN"]))
    return rows, errors
