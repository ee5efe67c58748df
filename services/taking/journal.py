"""The answer journal: saves are acknowledged once durable, many per disk flush (group commit), and replayed
into the store's copy graphs behind the acknowledgement.

- A save is appended to the journal by one writer thread, which writes every save waiting since its last
  write in one `write` + `fsync` and only then resolves their futures: an acknowledged save is on disk
  (it survives `kill -9` of the server and, on a disk that honours fsync, a power loss).
- An applier thread puts the journal's records into the store, a batch per SPARQL update, together with how
  far it got (`os:appliedTo` in the system graph). When the platform opens, what the store misses is
  replayed first. The journal is a write-ahead log, not a second source of truth: the store is what grading
  and research read, and `drain()` waits until it holds every acknowledged save.
- Segments roll over past `segment_bytes`; a segment is deleted once the store holds it and was flushed.

On the hot path: a save queued from an event loop gets an asyncio future, and the writer wakes each loop once
per group (not once per save); the applier's update is three operations whatever the batch's size and goes
straight to the embedded engine (its text is the journal's own, with no SERVICE or LOAD to screen).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

from services.taking.render import JOURNAL, SYSTEM, _p, batch_update
from store.port import Store

log = logging.getLogger("ontosides.journal")
APPLY_BATCH = 2_000  # records per store update
# The applier flushes the store this often: what a restart after kill -9 replays from the store's own write-ahead
# log stays small (hundreds of MB of it took half a minute to reopen), and applied segments are deleted sooner.
FLUSH_SECONDS = 20.0
APPLY_GATHER_SECONDS = 0.25  # how long the applier lets records gather before an update (see _apply_loop)


def _segment_name(number: int) -> str:
    return f"answers-{number:08d}.log"


def _position(segment: int, offset: int) -> str:
    return f"{segment}:{offset}"


def parse_position(text: str | None) -> tuple[int, int]:
    """(segment, offset) of a stored position; (0, 0) when none is stored."""
    if not text:
        return 0, 0
    segment, offset = text.split(":", 1)
    return int(segment), int(offset)


class Journal:
    """An append-only, fsync'd journal of answer records and its applier into the store."""

    def __init__(self, folder: Path, store: Store, sync: bool = True, segment_bytes: int = 64 * 1024 * 1024,
                 flush_store: Callable[[], None] | None = None):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.store = store
        self.sync = sync
        self.segment_bytes = segment_bytes
        self.flush_store = flush_store or (lambda: None)
        self._pending: list[tuple[bytes, dict, Future | asyncio.Future]] = []
        self._lock = threading.Condition()
        self._to_apply: list[tuple[dict, int, int]] = []
        self._apply_lock = threading.Condition()
        self._written = (0, 0)
        self._applied = (0, 0)
        self._flushed_at = time.monotonic()
        self._closing = False
        self._draining = 0  # callers waiting in `drain`: the applier does not let records gather meanwhile
        self._file: int | None = None
        self._segment = 0
        self.stats = {"groups": 0, "records": 0, "largest_group": 0, "applied": 0, "apply_batches": 0}
        self._threads: list[threading.Thread] = []
        # The embedded engine itself, when the store is one: the applier's updates skip the adapter's screening.
        native = getattr(store, "native", None)
        self._update = (lambda text: native.update(text)) if native is not None and hasattr(native, "update") else (
            lambda text: store.update(text, touches_derived=False, platform_text=True))

    # --- opening ------------------------------------------------------------------------------
    def open(self) -> list[dict]:
        """Replay into the store what it misses, start a new segment and the threads; the replayed records."""
        applied = parse_position(self._stored_position())
        replayed = []
        for number in self._segments():
            if number < applied[0]:
                (self.folder / _segment_name(number)).unlink(missing_ok=True)
                continue
            chunk, end = [], 0
            for record, end in self._read(number, applied[1] if number == applied[0] else 0):
                chunk.append(record)
                if len(chunk) == APPLY_BATCH:
                    self._update(batch_update(chunk, _position(number, end)))
                    replayed += chunk
                    chunk = []
            if chunk:
                self._update(batch_update(chunk, _position(number, end)))
                replayed += chunk
        segments = self._segments()
        self._segment = (segments[-1] if segments else max(applied[0], 0)) + 1
        self._file = self._open_segment(self._segment)
        self._written = self._applied = (self._segment, 0)
        self._update(batch_update([], _position(self._segment, 0)))
        if replayed and hasattr(self.store, "wrote"):
            self.store.wrote()  # copy graphs appeared: what is cached on the store's generation is read again
        self.flush_store()
        for number in segments:
            (self.folder / _segment_name(number)).unlink(missing_ok=True)
        for target, name in ((self._write_loop, "journal-writer"), (self._apply_loop, "journal-applier")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        if replayed:
            log.info("replayed %d answers from the journal into the store", len(replayed))
        return replayed

    def _stored_position(self) -> str | None:
        rows = self.store.select(f"SELECT ?p WHERE {{ GRAPH {SYSTEM} {{ {JOURNAL} {_p('appliedTo')} ?p }} }}").rows
        return rows[0]["p"].value if rows else None

    def _segments(self) -> list[int]:
        return sorted(int(p.name[8:16]) for p in self.folder.glob("answers-*.log"))

    def _read(self, number: int, start: int):
        """The complete records of a segment after an offset, each with the offset after it; a torn last line
        (the server died while writing it, so it was never acknowledged) ends the segment."""
        with open(self.folder / _segment_name(number), "rb") as f:
            f.seek(start)
            offset = start
            for line in f:
                if not line.endswith(b"\n"):
                    break
                try:
                    record = json.loads(line)
                except ValueError:
                    break
                offset += len(line)
                yield record, offset

    # --- writing ------------------------------------------------------------------------------
    def append(self, record: dict) -> Future | asyncio.Future:
        """Queue a record; the future resolves once it is on disk (its exception if the write failed).

        Called on an event loop, the future is that loop's (await it there); elsewhere a thread-safe one."""
        try:
            future = asyncio.get_running_loop().create_future()
        except RuntimeError:
            future = Future()
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
        with self._lock:
            if self._closing:
                raise RuntimeError("the answer journal is closed")
            self._pending.append((line, record, future))
            self._lock.notify()
        return future

    def _write_loop(self) -> None:
        while True:
            with self._lock:
                while not self._pending and not self._closing:
                    self._lock.wait()
                if not self._pending and self._closing:
                    return
                group, self._pending = self._pending, []
            try:
                self._write_group(group)
            except BaseException as exc:  # noqa: BLE001 (every waiting save hears of the failure)
                log.exception("the answer journal could not be written")
                _settle([f for _, _, f in group], exc)

    def _write_group(self, group: list) -> None:
        data = b"".join(line for line, _, _ in group)
        # One write of the whole group; with `sync` the segment is open O_DSYNC, so the write returns once the
        # group is on disk (one system call, one release of the GIL, where write + fdatasync took two).
        view = memoryview(data)
        while view:
            view = view[os.write(self._file, view):]
        if self.sync and not _DSYNC:
            os.fsync(self._file)
        segment, offset = self._written
        offset += len(data)
        self._written = (segment, offset)
        self.stats["groups"] += 1
        self.stats["records"] += len(group)
        self.stats["largest_group"] = max(self.stats["largest_group"], len(group))
        with self._apply_lock:
            # Each record's end is the group's end: the applier never stores a position inside a group.
            self._to_apply.extend((record, segment, offset) for _, record, _ in group)
            self._apply_lock.notify_all()
        _settle([f for _, _, f in group], None)
        if offset >= self.segment_bytes:
            self._roll()

    def _roll(self) -> None:
        os.close(self._file)
        self._segment += 1
        self._file = self._open_segment(self._segment)
        self._written = (self._segment, 0)

    def _open_segment(self, number: int) -> int:
        """A segment's file descriptor, for appending (synchronous writes when `sync`)."""
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | (_DSYNC if self.sync else 0)
        return os.open(self.folder / _segment_name(number), flags, 0o644)

    # --- applying -----------------------------------------------------------------------------
    def _apply_loop(self) -> None:
        while True:
            with self._apply_lock:
                while not self._to_apply and not self._closing:
                    self._apply_lock.wait(0.5)
                if not self._to_apply and self._closing:
                    return
                # Gather for a moment: one update of hundreds of records costs little more than one of a few
                # (under load the groups came 7 records at a time, an update each). Nothing waits on this but
                # `drain`, and acknowledgements never do.
                until = time.monotonic() + APPLY_GATHER_SECONDS
                while len(self._to_apply) < APPLY_BATCH and not self._closing and not self._draining:
                    left = until - time.monotonic()
                    if left <= 0:
                        break
                    self._apply_lock.wait(left)
                batch = self._to_apply[:APPLY_BATCH]
            records = [r for r, _, _ in batch]
            segment, offset = batch[-1][1], batch[-1][2]
            try:
                self._update(batch_update(records, _position(segment, offset)))
            except Exception:  # noqa: BLE001 (kept in the journal: retried, never dropped)
                log.exception("applying %d answers to the store failed; retrying", len(records))
                time.sleep(0.5)
                continue
            with self._apply_lock:
                del self._to_apply[:len(batch)]
                previous = self._applied[0]
                self._applied = (segment, offset)
                self.stats["applied"] += len(records)
                self.stats["apply_batches"] += 1
                self._apply_lock.notify_all()
            if segment > previous or time.monotonic() - self._flushed_at > FLUSH_SECONDS:
                self.flush_store()
                self._flushed_at = time.monotonic()
                for number in range(previous, segment):
                    (self.folder / _segment_name(number)).unlink(missing_ok=True)

    def drain(self, timeout: float = 60.0) -> bool:
        """Wait until the store holds every record written so far; False on timeout."""
        with self._lock:
            while self._pending and not self._closing:
                self._lock.wait(0.01)
        target = self._written
        end = time.monotonic() + timeout
        with self._apply_lock:
            self._draining += 1
            self._apply_lock.notify_all()
            try:
                while self._applied < target:
                    left = end - time.monotonic()
                    if left <= 0:
                        return False
                    self._apply_lock.wait(min(left, 0.05))
            finally:
                self._draining -= 1
        return True

    def pending_for(self, graph: str) -> list[dict]:
        """The records of one copy graph written but not yet in the store (a reconnecting candidate's latest)."""
        with self._apply_lock:
            return [record for record, _, _ in self._to_apply if record["g"] == graph]

    @property
    def lag(self) -> int:
        """Records written but not yet in the store."""
        with self._apply_lock:
            return len(self._to_apply)

    def close(self) -> None:
        """Write and apply what is waiting, then stop the threads."""
        if not self._threads:
            return
        self.drain()
        with self._lock:
            self._closing = True
            self._lock.notify_all()
        with self._apply_lock:
            self._apply_lock.notify_all()
        for thread in self._threads:
            thread.join(timeout=30)
        self._threads.clear()
        if self._file is not None:
            os.close(self._file)
            self._file = None


# O_DSYNC: each write returns once its data, and what reading it back needs (the file's new size), is on disk.
_DSYNC = getattr(os, "O_DSYNC", 0)


def _settle(futures: list, exc: BaseException | None) -> None:
    """Resolve a group's futures: thread-safe ones here, each event loop's in one call on that loop."""
    by_loop: dict = {}
    for future in futures:
        if isinstance(future, Future):
            if exc is None:
                future.set_result(None)
            else:
                future.set_exception(exc)
        else:
            by_loop.setdefault(future.get_loop(), []).append(future)
    for loop, waiting in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle_on_loop, waiting, exc)
        except RuntimeError:  # that loop is closed: nobody awaits these any more
            pass


def _settle_on_loop(futures: list, exc: BaseException | None) -> None:
    for future in futures:
        if not future.done():
            if exc is None:
                future.set_result(None)
            else:
                future.set_exception(exc)
