"""Named-query results kept for the dashboards: the same query, parameters, dataset and format answered from
memory while the store has not changed (its generation) and for a few seconds at most (writes that keep the
generation, such as answers saved during an épreuve, are seen after that)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict


class ResultCache:
    """Serialised results by key, valid for one store generation and `ttl_s` seconds; least recently used first
    out past `entries`."""

    def __init__(self, entries: int = 256, ttl_s: float = 30.0, max_bytes: int = 2_000_000):
        self.entries = entries
        self.ttl_s = ttl_s
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple, tuple[int, float, bytes, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple, generation: int) -> tuple[bytes, str] | None:
        """The body and media type kept for a key, if still valid."""
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            if found[0] != generation or time.monotonic() - found[1] > self.ttl_s:
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return found[2], found[3]

    def put(self, key: tuple, generation: int, body: bytes, media: str) -> None:
        """Keep a result (a large one is not kept: it would push the others out)."""
        if len(body) > self.max_bytes:
            return
        with self._lock:
            self._items[key] = (generation, time.monotonic(), body, media)
            self._items.move_to_end(key)
            while len(self._items) > self.entries:
                self._items.popitem(last=False)
