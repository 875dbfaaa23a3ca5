"""When a queued delivery's attempt may start: concurrent execution environments on the virtual clock.

AWS runs queued events at once, each in an execution environment of its own, up to the function's
concurrency (Q-1; the number is ``aws.concurrency_limit``).  Attempts here run one after another on
one thread, each whole, in the order of their start times; each starts at
``max(due, the time an environment is free)`` and its handler reads that time on the virtual clock.
Because attempts are played out in start order, the environments busy at a start are exactly the
attempts that started before it and end after it: one heap of end times per pool says when the next
one is free.  An event that would wait past its maximum age is dropped at that age (Q-3, RET-4).
"""

from __future__ import annotations

import datetime as _dt
import heapq
import threading
from collections.abc import Iterable, Mapping
from typing import Literal

from . import aws
from .delivery import Delivery
from .functions import LambdaFunction
from .sources import Poller

__all__ = ["Concurrency", "Decision", "EventQueue", "first_due"]

Decision = Literal["start", "wait", "expire"]


class Concurrency:
    """The execution environments in use, per concurrency pool: a function with reserved concurrency
    has its own; the others share the account's unreserved pool."""

    def __init__(self, functions: Mapping[str, LambdaFunction]) -> None:
        self._functions = functions
        self._busy: dict[str | None, list[_dt.datetime]] = {}  # pool (None: unreserved) -> end times, a heap

    def admit(self, d: Delivery, now: _dt.datetime) -> tuple[Decision, _dt.datetime]:
        """What the queue does with ``d``, due ``now``: start it now, let it wait until an environment
        is free (the time returned), or drop it as too old (EventAgeExceeded, Q-3)."""
        fn = d.function
        free = self._free_at(fn, now)
        if free <= now:
            return "start", now
        if aws.too_old(d.enqueued_at, free, fn.maximum_event_age):
            expiry = d.enqueued_at + _dt.timedelta(seconds=fn.maximum_event_age)
            return ("wait", expiry) if expiry > now else ("expire", now)  # it waits until its age runs out
        return "wait", free

    def occupied(self, fn: LambdaFunction, end: _dt.datetime) -> None:
        """An attempt of ``fn`` held an environment until ``end``."""
        pool = fn.name if fn.reserved_concurrency is not None else None
        heapq.heappush(self._busy.setdefault(pool, []), end)

    def _free_at(self, fn: LambdaFunction, now: _dt.datetime) -> _dt.datetime:
        reserved = fn.reserved_concurrency
        busy = self._busy.get(fn.name if reserved is not None else None)
        if not busy:
            return now
        while busy and busy[0] <= now:  # ended: environments free again (starts only move forward)
            heapq.heappop(busy)
        if reserved is None and len(busy) < aws.UNRESERVED_CONCURRENCY_MIN:
            return now  # under any pool's size: no need to add the reservations up
        limit = aws.concurrency_limit(reserved, self._reserved_total())
        if len(busy) < limit:
            return now
        return heapq.nsmallest(len(busy) - limit + 1, busy)[-1]  # when enough have ended for one more

    def _reserved_total(self) -> int:
        return sum(fn.reserved_concurrency or 0 for fn in self._functions.values())


class EventQueue:
    """The async queue: deliveries by due time, first in first out among equals (Q-1).

    Its lock is the service's: a thread a handler started may invoke while the queue is played out."""

    def __init__(self) -> None:
        self._heap: list[tuple[_dt.datetime, int, Delivery]] = []
        self._seq = 0
        self.lock = threading.RLock()

    def __len__(self) -> int:
        return len(self._heap)

    def push(self, due: _dt.datetime, d: Delivery) -> None:
        # Under the lock: two equal sequence numbers would make the heap compare the deliveries themselves.
        with self.lock:
            self._seq += 1
            heapq.heappush(self._heap, (due, self._seq, d))

    def head(self) -> _dt.datetime | None:
        """When the first delivery is due (None: the queue is empty)."""
        with self.lock:
            return self._heap[0][0] if self._heap else None

    def pop(self) -> tuple[_dt.datetime, Delivery]:
        due, _, d = heapq.heappop(self._heap)
        return due, d

    def withdraw(self, request_ids: set[str]) -> None:
        with self.lock:
            self._heap[:] = [entry for entry in self._heap if entry[2].request_id not in request_ids]
            heapq.heapify(self._heap)


def first_due(pollers: Iterable[Poller]) -> tuple[_dt.datetime, Poller] | None:
    """The event source mapping poller due first (ESM-1), and when."""
    first: tuple[_dt.datetime, Poller] | None = None
    for poller in pollers:
        due = poller.due()
        if due is not None and (first is None or due < first[0]):
            first = (due, poller)
    return first
