"""Callers' queries: a bounded number run in the engine at once, and each caller is answered at the time limit.

The embedded engine cannot be cancelled from outside: a query that outlives its limit is interrupted where the
engine evaluates its deadline check (between the rows of each group's first pattern), and otherwise runs to
its end in its thread. So the caller gets their answer at the limit whatever happens, and a slot is held until
the engine really stops: at most `query_workers` such queries use the CPU, and past that new queries are
refused at once with 503 instead of piling up. The event loop and the other routes' threads are never used.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import contextmanager
from typing import TypeVar

import anyio
import anyio.to_thread

from store.errors import QueryTimeout, StoreError

T = TypeVar("T")


class ServiceBusy(StoreError):
    """Every query slot is taken; the caller may retry shortly."""


class QueryGate:
    """Slots for callers' queries, held from the engine's start to its real end."""

    def __init__(self, slots: int, timeout_s: float):
        self.timeout_s = timeout_s
        self._slots = threading.BoundedSemaphore(max(1, slots))
        self._threads = anyio.CapacityLimiter(max(1, slots) * 2)

    async def run(self, function: Callable[[], T]) -> T:
        """Run a query function in a thread of the gate; QueryTimeout at the limit, ServiceBusy when full."""

        def guarded() -> T:
            if not self._slots.acquire(timeout=0.5):
                raise ServiceBusy("the SPARQL service is busy with other long queries; retry in a moment")
            try:
                return function()
            finally:
                self._slots.release()

        with anyio.move_on_after(self.timeout_s + 0.5):
            return await anyio.to_thread.run_sync(guarded, abandon_on_cancel=True, limiter=self._threads)
        raise QueryTimeout(f"the query ran longer than {self.timeout_s:g} s and was stopped")


class CallerBusy(StoreError):
    """The caller already runs as many queries as they may at once."""


class CallerSlots:
    """How many queries each limited caller (a researcher) runs at once: past their share, 429 at once."""

    def __init__(self, per_caller: int):
        self.per_caller = max(1, per_caller)
        self._running: dict[str | None, int] = {}
        self._lock = threading.Lock()

    @contextmanager
    def hold(self, caller: str | None):
        """A slot of this caller's for the time of a query."""
        with self._lock:
            running = self._running.get(caller, 0)
            if running >= self.per_caller:
                raise CallerBusy(f"you already run {running} queries at once, the most a researcher may; "
                                 "retry when one has finished")
            self._running[caller] = running + 1
        try:
            yield
        finally:
            with self._lock:
                left = self._running.pop(caller, 1) - 1
                if left:
                    self._running[caller] = left
