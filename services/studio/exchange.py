"""Item exchange: QTI and Moodle XML import and export through the studio's rules."""

from __future__ import annotations

import io
import posixpath
import zipfile
from pathlib import Path, PurePosixPath

from pydantic import ValidationError

from importers.moodle import parse_moodle, to_moodle
from importers.qti import Converted, QtiError, parse_qti, to_qti
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


def _stored(studio: Studio | None, name: str, read) -> str | None:
    """Store an image or article found beside an item; None when it is absent or of an unknown kind."""
    media_type = MEDIA_TYPES.get(PurePosixPath(name).suffix.lower())
    if studio is None or media_type is None:
        return None
    content = read()
    return store_media(studio.platform, content, media_type) if content else None


def _from_package(content: bytes, source: str, studio: Studio | None) -> list[Converted]:
    """Every item of a QTI content package (zip); the images it holds are stored."""
    try:
        package = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile as exc:
        raise QtiError(f"{source}: not a readable zip package: {exc}") from exc
    names = set(package.namelist())
    items = sorted(n for n in names if n.lower().endswith(".xml") and PurePosixPath(n).name != "imsmanifest.xml")
    if not items:
        raise QtiError(f"{source}: the package holds no item file")
    converted = []
    for name in items:
        folder = PurePosixPath(name).parent

        def resolve(path: str, folder=folder):
            target = posixpath.normpath(str(folder / path))
            return _stored(studio, target, lambda: package.read(target) if target in names else None)

        try:
            converted.append(parse_qti(package.read(name), f"{source}:{name}", resolve))
        except QtiError as exc:
            converted.append(Converted(f"{source}:{name}", None, [str(exc)]))
    return converted


def convert(fmt: str, content: bytes, source: str, folder: Path | None = None, studio: Studio | None = None
            ) -> list[Converted]:
    """Parse a QTI item, a QTI content package (zip) or a Moodle quiz; images beside the items are stored."""
    if fmt == "qti":
        if content[:2] == b"PK":
            return _from_package(content, source, studio)

        def resolve(path: str):
            candidate = (folder / path) if folder else None
            if candidate is None or not candidate.is_file():
                return None
            return _stored(studio, candidate.name, candidate.read_bytes)
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
