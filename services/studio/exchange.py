"""Item exchange: QTI and Moodle XML import and export through the studio's rules."""

from __future__ import annotations

import base64
import io
import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from pydantic import ValidationError

from importers.converted import LOST, REPAIRED, TO_COMPLETE, Converted, MediaMissing, Note, NotAnItem, SourceError
from importers.moodle import parse_moodle, to_moodle
from importers.qti import parse_qti, to_qti
from services.studio.items import Caller, ItemError, Studio, check_only
from services.studio.media import MediaError, media_iri, media_path, store_media
from services.studio.model import Item
from store.errors import ValidationFailed

MEDIA_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
               ".svg": "image/svg+xml", ".webp": "image/webp", ".pdf": "application/pdf", ".html": "text/html",
               ".htm": "text/html"}
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


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


class Beside:
    """The files beside an item (its package, its folder, or none for a lone upload): read on demand; the media
    it shows are stored by content hash as they are met, or the reason they cannot be is raised."""

    def __init__(self, studio: Studio | None, read: Callable[[str], bytes | None], where: str):
        self.studio = studio
        self._read = read
        self.where = where

    def read(self, path: str) -> bytes | None:
        """The bytes of a file beside the item, or None."""
        path = unquote(path)
        if SCHEME.match(path) or path.startswith("/"):
            return None
        return self._read(path)

    def media(self, path: str) -> str:
        """The IRI of a stored file the item refers to; MediaMissing says why there is none."""
        if path.startswith("data:"):
            header, _, data = path.partition(",")
            media_type = header[5:].split(";")[0]
            content = base64.b64decode(data) if header.endswith(";base64") else unquote(data).encode()
            return self.store(content, media_type, "an inline (data:) file")
        if self.studio is not None and path.startswith(media_iri(self.studio.platform, "")):
            if media_path(self.studio.platform, path.rsplit("/", 1)[-1]) is None:
                raise MediaMissing("a media address of this platform whose file is not stored here")
            return path
        if SCHEME.match(path):
            raise MediaMissing("an address on the web: not fetched, upload the file")
        suffix = PurePosixPath(unquote(path)).suffix.lower()
        if suffix not in MEDIA_TYPES:
            raise MediaMissing(f"a kind of file that is not stored ({suffix or 'no extension'}): "
                               f"accepted {', '.join(sorted(MEDIA_TYPES))}")
        content = self.read(path)
        if content is None:
            raise MediaMissing(f"not {self.where}")
        return self.store(content, MEDIA_TYPES[suffix], path)

    def store(self, content: bytes, media_type: str, what: str) -> str:
        """The IRI of some content, stored by hash; MediaMissing when it cannot be."""
        if self.studio is None:
            raise MediaMissing("no media store to keep it")
        try:
            return store_media(self.studio.platform, content, media_type)
        except MediaError as exc:
            raise MediaMissing(f"{what}: {exc}") from exc


def _package_items(names: list[str], read: Callable[[str], bytes]) -> list[str]:
    """The item files of a package: those its manifest lists first, in its order, then the other XML files."""
    listed = []
    manifest = next((n for n in names if PurePosixPath(n).name == "imsmanifest.xml"), None)
    if manifest is not None:
        try:
            root = ET.fromstring(read(manifest))
        except ET.ParseError:
            root = None
        folder = PurePosixPath(manifest).parent
        for resource in root.iter() if root is not None else ():
            if resource.tag.rsplit("}", 1)[-1] == "resource" and "item" in (resource.get("type") or "") \
                    and resource.get("href"):
                listed.append(posixpath.normpath(str(folder / unquote(resource.get("href")))))
    others = sorted(n for n in names if n.lower().endswith(".xml") and n not in listed and n != manifest)
    return [n for n in listed if n in names] + others


def _package(names: list[str], read: Callable[[str], bytes], source: str, studio: Studio | None) -> list[Converted]:
    """Every item of a content package (its file names and a reader); the media its items show are stored."""
    present = set(names)
    converted = []
    for name in _package_items(names, read):
        folder = PurePosixPath(name).parent

        def beside(path: str, folder=folder) -> bytes | None:
            target = posixpath.normpath(str(folder / path))
            return read(target) if target in present else None

        files = Beside(studio, beside, "in the package")
        try:
            converted.append(parse_qti(read(name), f"{source}:{name}", files.media, files.read))
        except NotAnItem:
            continue  # tests, shared passages and the like: their items are read from their own files
        except SourceError as exc:
            converted.append(Converted(f"{source}:{name}", None, [Note(LOST, "unreadable", str(exc))]))
    if not converted:
        raise SourceError(f"{source}: the package holds no item file")
    return converted


def _from_package(content: bytes, source: str, studio: Studio | None) -> list[Converted]:
    """Every item of a QTI content package (zip)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile as exc:
        raise SourceError(f"{source}: not a readable zip package: {exc}") from exc
    return _package(archive.namelist(), archive.read, source, studio)


def convert_package_folder(folder: Path, studio: Studio | None = None) -> list[Converted]:
    """Every item of an unpacked content package (a folder holding imsmanifest.xml)."""
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    return _package(names, lambda name: (folder / name).read_bytes(), folder.name, studio)


def convert(fmt: str, content: bytes, source: str, folder: Path | None = None, studio: Studio | None = None
            ) -> list[Converted]:
    """Parse a QTI item, a QTI content package (zip) or a Moodle quiz; the media they show are stored."""
    if fmt == "qti":
        if content[:2] == b"PK":
            return _from_package(content, source, studio)
        if folder is None:
            beside = Beside(studio, lambda path: None, "sent with the item (send a content package, zip, with it)")
        else:
            def read(path: str) -> bytes | None:
                candidate = folder / path
                return candidate.read_bytes() if candidate.is_file() else None
            beside = Beside(studio, read, f"beside the file in {folder}")
        return [parse_qti(content, source, beside.media, beside.read)]
    if fmt == "moodle":
        return parse_moodle(content, source, Beside(studio, lambda path: None, "in the quiz"))
    raise ItemError(f"unknown format {fmt!r}: qti or moodle")


def import_converted(studio: Studio, converted: list[Converted], caller: Caller, save: bool) -> list[dict]:
    """For each source item, a report for a person: its status, the prefilled item, what was repaired, lost or is
    to complete, what saving would refuse, and (if saved) its id."""
    report = []
    for entry in converted:
        if entry.item is not None:
            try:
                item = Item(**entry.item)
            except ValidationError as exc:
                error = exc.errors()[0]
                entry.note(LOST, "form", f"does not fit the item form ({'.'.join(map(str, error['loc']))}: "
                                         f"{error['msg']}): not carried over")
                item = None
        row = {"source": entry.source, "status": entry.status, "item": entry.item,
               "repaired": entry.texts(REPAIRED), "lost": entry.texts(LOST), "to_complete": entry.texts(TO_COMPLETE),
               "violations": [], "saved": None}
        if entry.item is not None and item is not None:
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
