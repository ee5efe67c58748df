"""Item exchange: QTI and Moodle XML import and export through the studio's rules."""

from __future__ import annotations

import base64
import io
import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from pydantic import ValidationError

from importers.converted import LOST, REPAIRED, TO_COMPLETE, Converted, MediaMissing, Note, NotAnItem, SourceError
from importers.moodle import parse_moodle, to_moodle
from importers.qti import parse_qti, to_qti
from importers.xml_input import XmlRefused, read_xml
from services.studio.items import Caller, ItemError, Studio, check_only
from services.studio.media import MediaError, check_media, media_iri, media_path, store_all
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
    it shows are kept as they are met (stored once the whole upload is read), or the reason they cannot be is
    raised."""

    def __init__(self, pending: PendingMedia, read: Callable[[str], bytes | None], where: str):
        self.pending = pending
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
            try:
                content = base64.b64decode(data, validate=True) if header.endswith(";base64") \
                    else unquote(data).encode()
            except ValueError:
                raise MediaMissing("an inline (data:) file that is not valid base64") from None
            return self.store(content, media_type, "an inline (data:) file")
        platform = self.pending.platform
        if platform is not None and path.startswith(media_iri(platform, "")):
            if media_path(platform, path.rsplit("/", 1)[-1]) is None:
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
        """The IRI some content will have once stored; MediaMissing when it cannot be stored."""
        return self.pending.add(content, media_type, what)


class PendingMedia:
    """The files an upload shows, kept in memory and stored together only once the whole upload could be read,
    so a refused upload leaves no file behind."""

    def __init__(self, studio: Studio | None):
        self.platform = studio.platform if studio is not None else None
        self.files: dict[str, tuple[bytes, str]] = {}

    def add(self, content: bytes, media_type: str, what: str) -> str:
        """The IRI the content will have; MediaMissing when it cannot be stored."""
        if self.platform is None:
            raise MediaMissing("no media store to keep it")
        try:
            digest = check_media(content, media_type)
        except MediaError as exc:
            raise MediaMissing(f"{what}: {exc}") from exc
        self.files[digest] = (content, media_type)
        return media_iri(self.platform, digest)

    def commit(self) -> None:
        """Store every file met (each once, by hash)."""
        if self.files:
            store_all(self.platform, list(self.files.values()))


def _package_items(names: list[str], read: Callable[[str], bytes]) -> list[str]:
    """The item files of a package: those its manifest lists first, in its order, then the other XML files."""
    listed = []
    manifest = next((n for n in names if PurePosixPath(n).name == "imsmanifest.xml"), None)
    if manifest is not None:
        try:
            root = read_xml(read(manifest))
        except (XmlRefused, SourceError):
            root = None
        folder = PurePosixPath(manifest).parent
        for resource in root.iter() if root is not None else ():
            if resource.tag.rsplit("}", 1)[-1] == "resource" and "item" in (resource.get("type") or "") \
                    and resource.get("href"):
                listed.append(posixpath.normpath(str(folder / unquote(resource.get("href")))))
    others = sorted(n for n in names if n.lower().endswith(".xml") and n not in listed and n != manifest)
    return [n for n in listed if n in names] + others


def _package(names: list[str], read: Callable[[str], bytes], source: str, pending: PendingMedia) -> list[Converted]:
    """Every item of a content package (its file names and a reader); the media its items show are kept."""
    present = set(names)
    converted = []
    for name in _package_items(names, read):
        folder = PurePosixPath(name).parent

        def beside(path: str, folder=folder) -> bytes | None:
            target = posixpath.normpath(str(folder / path))
            return read(target) if target in present else None

        files = Beside(pending, beside, "in the package")
        try:
            converted.append(parse_qti(read(name), f"{source}:{name}", files.media, files.read))
        except NotAnItem:
            continue  # tests, shared passages and the like: their items are read from their own files
        except SourceError as exc:
            converted.append(Converted(f"{source}:{name}", None, [Note(LOST, "unreadable", str(exc))]))
    if not converted:
        raise SourceError(f"{source}: the package holds no item file")
    if all(entry.item is None and entry.texts(LOST) and entry.notes[0].kind == "unreadable" for entry in converted):
        raise SourceError("; ".join(entry.notes[0].text for entry in converted))
    return converted


# A package is refused before anything is read when it could exhaust memory or escape its folder.
MAX_ENTRIES = 2_000
MAX_UNPACKED = 200 * 1024 * 1024
MAX_RATIO = 200
UNREADABLE_ENTRY = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError)


def _open_package(content: bytes, source: str) -> tuple[list[str], Callable[[str], bytes]]:
    """The file names of a QTI content package (zip) and a reader; SourceError for a zip that is unreadable,
    names a path outside itself, or unpacks to too much."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        entries = archive.infolist()
    except UNREADABLE_ENTRY as exc:
        raise SourceError(f"{source}: not a readable zip package: {exc}") from exc
    if len(entries) > MAX_ENTRIES:
        raise SourceError(f"{source}: {len(entries)} entries; a package holds at most {MAX_ENTRIES}")
    for entry in entries:
        parts = PurePosixPath(entry.filename.replace("\\", "/")).parts
        if entry.filename.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", entry.filename) or ".." in parts:
            raise SourceError(f"{source}: the entry {entry.filename!r} points outside the package "
                              "(an absolute path or '..'): refused")
        if entry.file_size > 1024 * 1024 and entry.file_size > MAX_RATIO * max(entry.compress_size, 1):
            raise SourceError(f"{source}: the entry {entry.filename!r} unpacks {entry.file_size // entry.compress_size or 1}"
                              f" times its size (a zip bomb?): refused")
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > MAX_UNPACKED:
        raise SourceError(f"{source}: unpacks to {unpacked // 1024 // 1024} MB; a package holds at most "
                          f"{MAX_UNPACKED // 1024 // 1024} MB")
    sizes = {entry.filename: entry.file_size for entry in entries if not entry.is_dir()}

    def read(name: str) -> bytes:
        try:
            with archive.open(name) as member:
                data = member.read(sizes[name] + 1)
        except UNREADABLE_ENTRY as exc:
            raise SourceError(f"{source}: the entry {name!r} cannot be read: {exc}") from exc
        if len(data) > sizes[name]:
            raise SourceError(f"{source}: the entry {name!r} is larger than its header says: refused")
        return data

    return list(sizes), read


def convert_package_folder(folder: Path, studio: Studio | None = None) -> list[Converted]:
    """Every item of an unpacked content package (a folder holding imsmanifest.xml)."""
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    pending = PendingMedia(studio)
    converted = _package(names, lambda name: (folder / name).read_bytes(), folder.name, pending)
    pending.commit()
    return converted


def convert(fmt: str, content: bytes, source: str, folder: Path | None = None, studio: Studio | None = None
            ) -> list[Converted]:
    """Parse a QTI item, a QTI content package (zip) or a Moodle quiz; the media they show are stored once the
    whole upload could be read (SourceError otherwise, and nothing is stored)."""
    pending = PendingMedia(studio)
    if fmt == "qti":
        if content[:2] == b"PK":
            converted = _package(*_open_package(content, source), source, pending)
        elif folder is None:
            beside = Beside(pending, lambda path: None, "sent with the item (send a content package, zip, with it)")
            converted = [parse_qti(content, source, beside.media, beside.read)]
        else:
            def read(path: str) -> bytes | None:
                candidate = (folder / path).resolve()
                inside = candidate.is_relative_to(folder.resolve())
                return candidate.read_bytes() if inside and candidate.is_file() else None
            beside = Beside(pending, read, f"beside the file in {folder}")
            converted = [parse_qti(content, source, beside.media, beside.read)]
    elif fmt == "moodle":
        converted = parse_moodle(content, source, Beside(pending, lambda path: None, "in the quiz"))
    else:
        raise ItemError(f"unknown format {fmt!r}: qti or moodle")
    pending.commit()
    return converted


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
