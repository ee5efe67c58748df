"""Export of an épreuve's saved grades: CSV (EPPN, names, grade, one column per item) and JSON."""

from __future__ import annotations

import csv
import io
import json

from services.notation.errors import NotationError
from services.notation.sheet import Sheet

FORMATS = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


def render(sheet: Sheet, table: list[dict], fmt: str) -> tuple[str, str]:
    """(media type, text) of the grade table in a format."""
    if fmt not in FORMATS:
        raise NotationError(f"format: {fmt!r} is not csv or json")
    positions = [s.position for s in sheet.slots if s.questions]
    if fmt == "json":
        return FORMATS[fmt], json.dumps({"epreuve": sheet.key, "title": sheet.title, "exam": sheet.exam_title,
                                         "items": [{"position": s.position, "title": s.title}
                                                   for s in sheet.slots if s.questions],
                                         "students": table}, ensure_ascii=False, indent=1)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["eppn", "given_name", "family_name", "grade", "max_points", "grade_on_20", "status",
                     *(f"item_{p}" for p in positions)])
    for row in table:
        items = row["items"] + [None] * (len(positions) - len(row["items"]))
        writer.writerow([row["eppn"] or "", row["given_name"] or "", row["family_name"] or "",
                         _number(row["grade"]), _number(row["max_points"]), _number(row["grade_on_20"]), row["status"],
                         *(_number(x) for x in items[:len(positions)])])
    return FORMATS[fmt], out.getvalue()


def _number(value) -> str:
    return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
