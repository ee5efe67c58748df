"""The access log: every refusal, every administrative grant and every read of other people's personal data (a
page or route that shows them, a SPARQL query over a dataset that holds them: who, what, when), in graphs only
administrators (and the data protection officer) read; one graph per month, so keeping or erasing a period
is a graph operation.

Events are buffered and written in batches: a flood of forged tokens costs one write per batch, not one each.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import time
import uuid
from dataclasses import dataclass, field

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF, XSD

from services.platform import Platform
from store.terms import OS
from store.writes import GraphChange

BATCH = 100
MAX_DELAY_S = 2.0
KINDS = ("refusal", "grant", "removal", "token", "login", "read")


@dataclass(frozen=True)
class AuditEvent:
    """One thing worth a record: a refusal, a grant, a personal-data read …"""

    kind: str
    action: str
    actor: str | None = None
    target: str | None = None
    detail: str = ""
    at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).replace(microsecond=0))


class AuditLog:
    """Buffered writer and reader of the access log."""

    def __init__(self, platform: Platform):
        self.platform = platform
        self._buffer: list[AuditEvent] = []
        self._oldest = 0.0
        self._lock = threading.Lock()
        self._recent_reads: dict[tuple, float] = {}

    def graph_of(self, moment: dt.datetime) -> str:
        """The graph of a month's events."""
        return self.platform.iri("graph", "audit", moment.strftime("%Y-%m"))

    def record(self, event: AuditEvent) -> None:
        """Keep an event; written with the next batch."""
        if event.kind not in KINDS:
            raise ValueError(f"unknown audit event kind {event.kind!r}")
        with self._lock:
            if not self._buffer:
                self._oldest = time.monotonic()
            self._buffer.append(event)
            due = len(self._buffer) >= BATCH or time.monotonic() - self._oldest > MAX_DELAY_S
        if due:
            self.flush()

    def record_read(self, actor: str | None, action: str, target: str, detail: str = "") -> bool:
        """Log a read of personal data; the same read by the same caller once per window (a live view polls).
        Returns whether it was logged now."""
        window = self.platform.settings.read_log_window_s
        key = (actor, action, target, hashlib.blake2b(detail.encode(), digest_size=8).digest())
        now = time.monotonic()
        with self._lock:
            last = self._recent_reads.get(key)
            if last is not None and now - last < window:
                return False
            if len(self._recent_reads) > 20_000:
                self._recent_reads = {k: t for k, t in self._recent_reads.items() if now - t < window}
            self._recent_reads[key] = now
        self.record(AuditEvent("read", action, actor, target, detail))
        return True

    def flush(self) -> int:
        """Write the buffered events now; returns how many."""
        with self._lock:
            events, self._buffer = self._buffer, []
        if not events:
            return 0
        by_graph: dict[str, Graph] = {}
        for event in events:
            data = by_graph.setdefault(self.graph_of(event.at), Graph())
            node = URIRef(self.platform.iri("audit", uuid.uuid4().hex))
            data.add((node, RDF.type, OS.AuditEvent))
            data.add((node, OS.auditKind, Literal(event.kind)))
            data.add((node, OS.action, Literal(event.action)))
            data.add((node, PROV.generatedAtTime, Literal(event.at.isoformat().replace("+00:00", "Z"),
                                                          datatype=XSD.dateTime)))
            if event.actor:
                data.add((node, PROV.wasAssociatedWith, URIRef(event.actor)))
            if event.target:
                data.add((node, OS.target, Literal(event.target)))
            if event.detail:
                data.add((node, OS.detail, Literal(event.detail[:2000])))
        # The log's own writes leave the callers' caches warm: a stream of refusals must not make everyone cold.
        self.platform.writer.apply([GraphChange(graph, data) for graph, data in by_graph.items()], touches_derived=False)
        return len(events)

    def read(self, since: dt.date | None = None, kind: str | None = None, limit: int = 500) -> list[dict]:
        """The latest events, newest first (flushes what is buffered first)."""
        self.flush()
        query = self.platform.queries_for("access").get("audit_events")
        rows = self.platform.store.select(query.text, query.bind({
            "since": (since or dt.date(1970, 1, 1)).isoformat() + "T00:00:00+00:00"})).rows
        events = [{"at": r["at"].value, "kind": r["kind"].value, "action": r["action"].value,
                   "actor": r["actor"].value if "actor" in r else None,
                   "target": r["target"].value if "target" in r else None,
                   "detail": r["detail"].value if "detail" in r else ""} for r in rows]
        return [e for e in events if kind is None or e["kind"] == kind][:limit]
