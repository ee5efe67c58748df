"""Item exchange: QTI and Moodle XML import and export through the studio's rules."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from importers.moodle import parse_moodle, to_moodle
from importers.qti import Converted, parse_qti, to_qti
from services.studio.items import Caller, ItemError, Studio, check_only
from services.studio.media import store_media
from services.studio.model import Item
from store.errors import ValidationFailed

MEDIA_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
               ".svg": "image/svg+xml", ".webp": "image/webp", ".pdf": "application/pdf"}


def export_item(studio: Studio, item_id: str, fmt: str, caller: Caller) -> tuple[str, list[str]]:
    """One item as QTI 3.0 or Moodle XML, with what the format could not carry."""
    item = studio.get(item_id, caller)
    if fmt == "qti":
        text, problems = to_qti(item)
        if text is None:
            raise ItemError("; ".join(problems))
        return text, problems
    if fmt == "moodle":
        text, problems = to_moodle([item])
        if "<question" not in text:
            raise ItemError("; ".join(problems))
        return text, problems
    raise ItemError(f"unknown format {fmt!r}: qti or moodle")


def convert(fmt: str, content: bytes, source: str, folder: Path | None = None, studio: Studio | None = None
            ) -> list[Converted]:
    """Parse a QTI item or a Moodle quiz; QTI images next to the file are stored when a folder is given."""
    if fmt == "qti":
        def resolve(path: str):
            candidate = (folder / path) if folder else None
            if studio is None or candidate is None or not candidate.is_file():
                return None
            media_type = MEDIA_TYPES.get(candidate.suffix.lower())
            return store_media(studio.platform, candidate.read_bytes(), media_type) if media_type else None
        return [parse_qti(content, source, resolve)]
    if fmt == "moodle":
        return parse_moodle(content, source)
    raise ItemError(f"unknown format {fmt!r}: qti or moodle")


def import_converted(studio: Studio, converted: list[Converted], caller: Caller, save: bool) -> list[dict]:
    """For each source item: the prefilled item, what could not be converted, and (if saved) its id."""
    report = []
    for entry in converted:
        row = {"source": entry.source, "item": entry.item, "problems": list(entry.problems), "violations": [],
               "saved": None}
        if entry.item is not None:
            try:
                item = Item(**entry.item)
            except ValidationError as exc:
                row["problems"].append(f"does not fit the item form: {exc.errors()[0]['msg']}")
                report.append(row)
                continue
            if save:
                try:
                    row["saved"] = studio.create(item, caller)["id"]
                except ValidationFailed as exc:
                    row["violations"] = [v.as_dict() for v in exc.violations]
                except ItemError as exc:
                    row["violations"] = [{"message": str(exc)}]
            else:
                row["violations"] = check_only(studio, item, caller)
        report.append(row)
    return report
