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
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import tantivy

log = logging.getLogger(__name__)

STAMP = "stamp.json"
SCHEMA = 2  # 2: the sort key is also held as four u64 fast fields (an index of schema 1 is rebuilt)
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
        return {"layout": self.name, "version": self.version, "schema": SCHEMA, "text": list(self.text),
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
# The sort key's UTF-8 bytes, 8 by 8, as big-endian u64 fast fields: u64 order on them is the strings' byte order
# (which is Rust's `String` order, tantivy's) as far as they reach. Ordering by a string fast field looks each
# hit's ordinal up in the term dictionary, one block decompressed per hit (tantivy issue #2776): 100 hits by title
# out of ~600 took 24–56 ms on 200,000 documents; ordering by a u64 column reads the column only.
SORT_PARTS = 4
SORT_FIELDS = tuple(f"sort_{n}" for n in range(SORT_PARTS))
TIE_GROUP = 1000


def sort_parts(key: str) -> list[int]:
    """A sort key as SORT_PARTS u64 numbers whose order is that of the key's UTF-8 bytes, as far as they reach."""
    raw = key.encode("utf-8")[:8 * SORT_PARTS].ljust(8 * SORT_PARTS, b"\0")
    return [int.from_bytes(raw[8 * n:8 * n + 8], "big") for n in range(SORT_PARTS)]


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
        builder.add_text_field("sort", tokenizer_name="raw", index_option="basic", fast=True, stored=True)
        for field in SORT_FIELDS:
            builder.add_unsigned_field(field, indexed=True, fast=True)
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
        document = tantivy.Document(**fields)
        for field, part in zip(SORT_FIELDS, sort_parts(doc.sort)):
            document.add_unsigned(field, part)
        return document

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
        window = self._first(searcher, query, offset + limit)[offset:]
        return [json.loads(bytes(searcher.doc(address)["summary"][0])) for address in window]

    def _first(self, searcher, query: tantivy.Query, wanted: int, level: int = 0) -> list:
        """The addresses of the first `wanted` documents matching the query, in the order of the sort key and then
        of the address (tantivy's order by the string fast field, ties included), read from the u64 sort columns.

        One more hit than wanted is asked for, ordered by the level-th column. When the one past the window has a
        greater value than the window's last, the window holds every document of its values: it is ordered by the
        next columns. Otherwise the window's hits of lower values are all there, and the first ones of those equal
        to its last value (their key's first 8 × (level + 1) bytes are the same) are found by the same method on
        the next column, among them only. Past the last column, tantivy's own order by the string."""
        if wanted <= 0:
            return []
        if level == SORT_PARTS:
            return [address for _, address in searcher.search(query, limit=wanted, count=False, order_by_field="sort",
                                                                order=tantivy.Order.Asc).hits]
        hits = searcher.search(query, limit=wanted + 1, count=False, order_by_field=SORT_FIELDS[level],
                               order=tantivy.Order.Asc).hits
        if len(hits) <= wanted or hits[wanted][0] != hits[wanted - 1][0]:
            return self._ordered(searcher, [address for _, address in hits[:wanted]], level)
        last = hits[wanted - 1][0]
        below = self._ordered(searcher, [address for value, address in hits if value < last], level)
        same = tantivy.Query.boolean_query([
            (tantivy.Occur.Must, query),
            (tantivy.Occur.Must, tantivy.Query.term_query(self.index.schema, SORT_FIELDS[level], last))])
        rest = wanted - len(below)
        # A small tie group is read whole at once (ordered on every further column here), saving a query per column.
        return below + self._first(searcher, same, max(rest, TIE_GROUP), level + 1)[:rest]

    def _ordered(self, searcher, addresses: list, level: int) -> list:
        """Every match of a group in order (columns from `level` on, then the whole key, then the address)."""
        if len(addresses) < 2:
            return addresses
        columns = [searcher.fast_field_values(field, addresses) for field in SORT_FIELDS[level:]]
        parts = [tuple(column[n] or 0 for column in columns) for n in range(len(addresses))]
        shared = Counter(parts)
        # Keys equal as far as the columns reach (longer than them, or the same): compared whole, as tantivy does.
        whole = [(searcher.doc(a).get_first("sort") or "").encode("utf-8") if shared[p] > 1 else b""
                 for a, p in zip(addresses, parts)]
        order = sorted(range(len(addresses)),
                       key=lambda n: (parts[n], whole[n], addresses[n].segment_ord, addresses[n].doc))
        return [addresses[n] for n in order]

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
