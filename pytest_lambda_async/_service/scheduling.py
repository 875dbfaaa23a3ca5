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
    has its own; the others share the account's unreserved pool.

    Queued (``Event``) attempts are played out in start order, so their end times are enough (a heap per
    pool).  A synchronous attempt takes an environment of the pool too (INV-23): it runs inside whatever
    attempt or test invoked it, so it is kept as its interval (start, end), which an ``Event`` attempt
    played out later but starting earlier must not count."""

    def __init__(self, functions: Mapping[str, LambdaFunction]) -> None:
        self._functions = functions
        self._busy: dict[str | None, list[_dt.datetime]] = {}  # pool (None: unreserved) -> end times, a heap
        self._sync: dict[str | None, list[tuple[_dt.datetime, _dt.datetime]]] = {}  # pool -> (start, end)

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

    def occupied_sync(self, fn: LambdaFunction, start: _dt.datetime, end: _dt.datetime) -> None:
        """A synchronous attempt of ``fn`` held an environment from ``start`` until ``end``."""
        if end > start:
            self._sync.setdefault(fn.name if fn.reserved_concurrency is not None else None, []).append((start, end))

    def limit(self, fn: LambdaFunction) -> int:
        """How many environments ``fn``'s pool has (Q-1)."""
        return aws.concurrency_limit(fn.reserved_concurrency, self._reserved_total())

    def in_use(self, fn: LambdaFunction, now: _dt.datetime, running: Iterable[LambdaFunction] = ()) -> int:
        """How many environments of ``fn``'s pool are in use at ``now``: attempts played out that end
        after it, and the attempts still running (``running``: the handlers that invoked this one)."""
        reserved = fn.reserved_concurrency
        pool = fn.name if reserved is not None else None
        count = sum(1 for end in self._busy.get(pool, ()) if end > now)
        count += sum(1 for start, end in self._sync.get(pool, ()) if start <= now < end)
        return count + sum(1 for other in running if _pool(other) == pool)

    def waiting_detail(self, fn: LambdaFunction, now: _dt.datetime) -> tuple[int, int]:
        """(environments in use, the pool's size) at ``now``, for the timeline's Waited entry."""
        return self.in_use(fn, now), self.limit(fn)

    def _free_at(self, fn: LambdaFunction, now: _dt.datetime) -> _dt.datetime:
        reserved = fn.reserved_concurrency
        pool = fn.name if reserved is not None else None
        busy = self._busy.get(pool)
        sync = self._sync.get(pool)
        if not busy and not sync:
            return now
        while busy and busy[0] <= now:  # ended: environments free again (starts only move forward)
            heapq.heappop(busy)
        ends: list[_dt.datetime] = busy or []
        if sync:
            sync[:] = [(start, end) for start, end in sync if end > now]  # ended (later starts are later)
            ends = [*ends, *(end for start, end in sync if start <= now)]
        if reserved is None and len(ends) < aws.UNRESERVED_CONCURRENCY_MIN:
            return now  # under any pool's size: no need to add the reservations up
        limit = aws.concurrency_limit(reserved, self._reserved_total())
        if len(ends) < limit:
            return now
        return heapq.nsmallest(len(ends) - limit + 1, ends)[-1]  # when enough have ended for one more

    def _reserved_total(self) -> int:
        return sum(fn.reserved_concurrency or 0 for fn in self._functions.values())


def _pool(fn: LambdaFunction) -> str | None:
    """The concurrency pool ``fn`` runs in: its own (reserved concurrency), or the account's (None)."""
    return fn.name if fn.reserved_concurrency is not None else None


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
