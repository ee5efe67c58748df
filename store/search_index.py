"""A full-text index (tantivy) kept beside the store: text analysed in French and in English (accents folded,
stemmed), exact-match keyword fields for filters, a stored summary per document.

Writes go to the index writer at once and are committed in batches: before any search (so a search sees every
write made before it) and at most a second after a write otherwise. A stamp file beside the index says whether
it mirrors the store: it is "clean" only after a clean close, so an index left by a crash, marked stale by a
bulk load, or of another layout is reported by `needs_rebuild`.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import tantivy

log = logging.getLogger(__name__)

STAMP = "stamp.json"
LANGUAGES = {"fr": "french", "en": "english"}
COMMIT_DELAY_S = 1.0
WORDS = re.compile(r"[^\w]+")


@dataclass(frozen=True)
class Layout:
    """The fields of an index: analysed text, keywords, the keyword results are ordered by."""

    name: str
    version: int
    text: tuple[str, ...]
    keywords: tuple[str, ...]
    sort: str

    def as_stamp(self, clean: bool) -> dict:
        """What the stamp file records."""
        return {"layout": self.name, "version": self.version, "text": list(self.text),
                "keywords": list(self.keywords), "sort": self.sort, "clean": clean}


@dataclass(frozen=True)
class Document:
    """One document: its key, its text per field, its keywords per field, its sort key and its summary."""

    key: str
    text: Mapping[str, str]
    keywords: Mapping[str, Iterable[str]]
    sort: str
    summary: Mapping


def mark_stale(folder: Path | None) -> None:
    """Record that the store changed behind an index (a bulk load): it will be rebuilt when next opened."""
    if folder is not None and (Path(folder) / STAMP).exists():
        stamp = json.loads((Path(folder) / STAMP).read_text())
        stamp["clean"] = False
        (Path(folder) / STAMP).write_text(json.dumps(stamp))


def analyzer(language: str) -> tantivy.TextAnalyzer:
    """Words, lower-cased, accents folded, then stemmed: 'Éléphants' and 'elephant' meet."""
    return (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).filter(tantivy.Filter.lowercase())
            .filter(tantivy.Filter.ascii_fold()).filter(tantivy.Filter.stemmer(language)).build())


# The collector keeps offset + limit hits in memory: tantivy aborts the whole process when that is huge.
MAX_WINDOW = 20_000


class TextIndex:
    """A tantivy index on disk (a folder) or in memory (folder None)."""

    def __init__(self, layout: Layout, folder: Path | None):
        self.layout = layout
        self.folder = Path(folder) if folder is not None else None
        self.needs_rebuild = True
        if self.folder is not None:
            stamp = self._stamp()
            if stamp == layout.as_stamp(clean=True):
                self.needs_rebuild = False
            elif self.folder.exists():
                shutil.rmtree(self.folder)  # another layout, or not closed cleanly: rebuilt from the store
            self.folder.mkdir(parents=True, exist_ok=True)
        self.index = tantivy.Index(self._schema(), path=str(self.folder) if self.folder else None)
        for code, language in LANGUAGES.items():
            self.index.register_tokenizer(f"text_{code}", analyzer(language))
        self.index.config_reader(reload_policy="manual")
        self._writer: tantivy.IndexWriter | None = None
        self._lock = threading.Lock()
        self._dirty = False
        self._replacing = False
        self._closed = False
        self._timer: threading.Timer | None = None
        self._write_stamp(clean=False)  # while open, a crash must leave it marked for a rebuild

    def _schema(self) -> tantivy.Schema:
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("key", tokenizer_name="raw", index_option="basic")
        for field in self.layout.text:
            for code in LANGUAGES:
                builder.add_text_field(f"{field}_{code}", tokenizer_name=f"text_{code}", index_option="position")
        for field in self.layout.keywords:
            builder.add_text_field(field, tokenizer_name="raw", index_option="basic")
        builder.add_text_field("sort", tokenizer_name="raw", index_option="basic", fast=True)
        builder.add_bytes_field("summary", stored=True, indexed=False)
        return builder.build()

    def _stamp(self) -> dict | None:
        path = self.folder / STAMP if self.folder else None
        try:
            return json.loads(path.read_text()) if path and path.exists() else None
        except ValueError:
            return None

    def _write_stamp(self, clean: bool) -> None:
        if self.folder is not None:
            (self.folder / STAMP).write_text(json.dumps(self.layout.as_stamp(clean)))

    # --- writing -------------------------------------------------------------
    def _open_writer(self) -> tantivy.IndexWriter:
        """The index writer (it holds the folder's lock), opened on first write and let go by close."""
        if self._writer is None:
            self._writer = self.index.writer(heap_size=50_000_000, num_threads=1)
        return self._writer

    def _document(self, doc: Document) -> tantivy.Document:
        fields: dict[str, object] = {"key": doc.key, "sort": doc.sort,
                                     "summary": json.dumps(doc.summary, ensure_ascii=False).encode()}
        for field, text in doc.text.items():
            for code in LANGUAGES:
                fields[f"{field}_{code}"] = text
        for field, values in doc.keywords.items():
            fields[field] = list(values)
        return tantivy.Document(**fields)

    def put(self, documents: Iterable[Document]) -> None:
        """Add or replace documents (by key); searchable from the next search on."""
        built = [(doc.key, self._document(doc)) for doc in documents]
        with self._lock:
            for key, document in built:
                self._open_writer().delete_documents_by_term("key", key)
                self._open_writer().add_document(document)
            self._changed()

    def remove(self, keys: Iterable[str]) -> None:
        """Remove documents by key."""
        with self._lock:
            for key in keys:
                self._open_writer().delete_documents_by_term("key", key)
            self._changed()

    def replace_all(self, documents: Iterable[Document], batch: int = 2000) -> int:
        """Empty the index and fill it with these documents, committed once at the end: searches see the old
        content until then, and writes made meanwhile are kept (the caller writes them again after)."""
        with self._lock:
            self._commit()
            self._replacing = True
            self._open_writer().delete_all_documents()
        count = 0
        try:
            pending: list[Document] = []
            for doc in documents:
                pending.append(doc)
                if len(pending) >= batch:
                    count += self._add(pending)
                    pending = []
            count += self._add(pending)
        except BaseException:
            with self._lock:
                self._replacing = False
                self._open_writer().rollback()
            raise
        with self._lock:
            self._replacing = False
            self._commit()
        self.needs_rebuild = False
        return count

    def _add(self, documents: list[Document]) -> int:
        built = [self._document(doc) for doc in documents]  # outside the lock: writers keep going
        with self._lock:
            for document in built:
                self._open_writer().add_document(document)
        return len(built)

    def _changed(self) -> None:
        if self._closed:
            self._write_stamp(clean=False)
            self._closed = False
        self._dirty = True
        if self._timer is None:
            self._timer = threading.Timer(COMMIT_DELAY_S, self.commit)
            self._timer.daemon = True
            self._timer.start()

    def commit(self) -> None:
        """Make every write so far durable and searchable."""
        with self._lock:
            self._commit()

    def _commit(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._replacing:
            return  # the rebuild commits once it is complete
        if self._writer is not None:
            self._writer.commit()
        self.index.reload()
        self._dirty = False

    def close(self) -> None:
        """Commit and, unless it still awaits a rebuild, record that the index mirrors the store (a later write
        marks it open again)."""
        with self._lock:
            self._commit()
            if self._writer is not None:
                self._writer.wait_merging_threads()  # consumes the writer: its folder lock goes with it
                self._writer = None
            self._write_stamp(clean=not self.needs_rebuild)
            self._closed = True

    # --- searching -----------------------------------------------------------
    def search(self, text: str | None, groups: list[Mapping[str, Iterable[str]]], limit: int,
               offset: int = 0) -> list[dict]:
        """Summaries of the documents whose text holds every word (in French or English) and that match each
        group (a group is met when one of its fields holds one of its values), ordered by the sort key."""
        if offset + limit > MAX_WINDOW:
            raise ValueError(f"offset + limit may not exceed {MAX_WINDOW}: narrow the search instead")
        if self._dirty:
            self.commit()
        clauses = []
        for group in groups:
            options = [self._keyword_query(field, list(values)) for field, values in group.items() if values]
            if not options:
                return []  # a group no value can meet
            clauses.append((tantivy.Occur.Must, options[0] if len(options) == 1 else
                            tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in options])))
        words = WORDS.sub(" ", text or "").strip()
        if words:
            fields = [f"{field}_{code}" for field in self.layout.text for code in LANGUAGES]
            clauses.append((tantivy.Occur.Must, self.index.parse_query(words, fields, conjunction_by_default=True)))
        query = tantivy.Query.boolean_query(clauses) if clauses else tantivy.Query.all_query()
        searcher = self.index.searcher()
        hits = searcher.search(query, limit=limit, offset=offset, count=False, order_by_field="sort",
                               order=tantivy.Order.Asc).hits
        return [json.loads(bytes(searcher.doc(address)["summary"][0])) for _, address in hits]

    def _keyword_query(self, field: str, values: list[str]) -> tantivy.Query:
        schema = self.index.schema
        if len(values) == 1:
            return tantivy.Query.term_query(schema, field, values[0], index_option="basic")
        return tantivy.Query.term_set_query(schema, field, values)

    def count(self) -> int:
        """How many documents are searchable."""
        if self._dirty:
            self.commit()
        return self.index.searcher().num_docs
