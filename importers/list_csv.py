"""Lists kept in spreadsheets by school offices: CSV with notation, label_fr, label_en, parent, order."""

from __future__ import annotations

import csv
import io
import math

from importers.text import NotUtf8, decode_utf8

REQUIRED = {"notation"}


class CsvError(ValueError):
    """The CSV cannot be imported; the message names each bad line."""


def parse_csv(text: str | bytes) -> list[dict]:
    """Rows of a list CSV (comma or semicolon separated, as spreadsheets write them), checked line by line."""
    if isinstance(text, bytes):
        try:
            text = decode_utf8(text)
        except NotUtf8 as exc:
            raise CsvError(f"{exc}; save the spreadsheet as CSV UTF-8") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        dialect = csv.Sniffer().sniff(text.splitlines()[0] if text else "", delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect, strict=True)
    try:
        return _rows(reader)
    except csv.Error as exc:
        # the reader counts a line once it has read it whole: the faulty one is the next
        raise CsvError(f"line {reader.line_num + 1}: {exc}") from None


def _rows(reader: csv.DictReader) -> list[dict]:
    header = {h.strip().lower() for h in (reader.fieldnames or [])}
    if not REQUIRED <= header or not header & {"label_fr", "label_en"}:
        raise CsvError(f"line 1: the header needs notation and label_fr or label_en (got {sorted(header)})")
    rows, errors = [], []
    for raw in reader:
        line = reader.line_num
        row = {k.strip().lower(): (v or "").strip() if isinstance(v, str) else "" for k, v in raw.items() if k}
        if not any(row.values()):
            continue
        if not row.get("notation"):
            errors.append(f"line {line}: no notation")
        if not (row.get("label_fr") or row.get("label_en")):
            errors.append(f"line {line}: no label (label_fr or label_en)")
        order = row.get("order") or ""
        if order:
            try:
                row["order"] = int(order) if order.lstrip("-").isdigit() else float(order.replace(",", "."))
            except ValueError:
                row["order"] = math.nan
            if not math.isfinite(row["order"]):
                errors.append(f"line {line}: order {order!r} is not a number")
        else:
            row["order"] = None
        row["line"] = line
        rows.append(row)
    if errors:
        raise CsvError("; ".join(errors))
    if not rows:
        raise CsvError("the file has no rows")
    return rows
