"""Images and articles stored as files named by their SHA-256, described in the graph as os:MediaFile."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from services.platform import Platform
from store.terms import OS
from store.writes import GraphChange

ALLOWED = {"image/png", "image/jpeg", "image/gif", "image/svg+xml", "image/webp", "application/pdf", "text/html"}


class MediaError(ValueError):
    """A file that cannot be stored."""


def check_media(content: bytes, media_type: str) -> str:
    """The SHA-256 of a file that may be stored; MediaError says why it may not."""
    if media_type not in ALLOWED:
        raise MediaError(f"media type {media_type!r} is not accepted (accepted: {', '.join(sorted(ALLOWED))})")
    if not content:
        raise MediaError("the file is empty")
    return hashlib.sha256(content).hexdigest()


def store_media(platform: Platform, content: bytes, media_type: str) -> str:
    """Keep a file once (by content hash) and describe it; returns its IRI."""
    return store_all(platform, [(content, media_type)])[0]


def store_all(platform: Platform, files: list[tuple[bytes, str]]) -> list[str]:
    """Keep files (content, media type) once each and describe them in one write; returns their IRIs."""
    digests = [check_media(content, media_type) for content, media_type in files]
    folder = Path(platform.settings.media_dir)
    folder.mkdir(parents=True, exist_ok=True)
    changes = []
    for digest, (content, media_type) in zip(digests, files):
        target = folder / digest
        if not target.exists():
            # Written aside then renamed, so a crash never leaves a half file under its final name.
            with tempfile.NamedTemporaryFile(dir=folder, delete=False) as tmp:
                tmp.write(content)
            os.replace(tmp.name, target)
        iri = URIRef(media_iri(platform, digest))
        data = Graph()
        data.add((iri, RDF.type, OS.MediaFile))
        data.add((iri, OS.contentHash, Literal(digest)))
        data.add((iri, OS.mediaType, Literal(media_type)))
        changes.append(GraphChange(f"{platform.settings.base_iri.rstrip('/')}/graph/media/{digest}", data,
                                   replace=True))
    platform.writer.apply(changes)
    return [media_iri(platform, digest) for digest in digests]


def media_iri(platform: Platform, digest: str) -> str:
    """The IRI of a stored file."""
    return f"{platform.settings.base_iri.rstrip('/')}/media/{digest}"


def media_path(platform: Platform, digest: str) -> Path | None:
    """The file of a hash, if stored."""
    if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
        return None
    path = Path(platform.settings.media_dir) / digest
    return path if path.is_file() else None
