"""The service's structured data: what it did (attempts, outcomes, timeline entries) and what a
handler left unfinished (leaks).  Every layer passes these around and the text module renders
them; nothing reads its own rendered text back."""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as _dt
import threading
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from . import aws

__all__ = ["Attempt", "InvokeResult", "Leak", "LeakKind", "Leftovers", "Outcome", "TerminalOutcome", "TimelineEntry"]

Outcome = Literal["success", "error", "throttled", "timeout", "unawaited"]


@dataclass(frozen=True)
class Attempt:
    """One run of a handler (or one throttled delivery), as the service made it."""

    request_id: str
    function: str
    number: int  # 1 = first try; retries and duplicate deliveries count up
    at: _dt.datetime
    outcome: Outcome
    error: str | None
    duplicate: bool
    invocation_type: aws.InvocationType = "Event"
    function_error: str | None = None
    response: Any = field(default=None, hash=False, repr=False)
    logs: tuple[str, ...] = field(default=(), repr=False)
    environment: int = 0  # which execution environment ran it (a crash starts a new one)


@dataclass(frozen=True)
class InvokeResult:
    """What ``invoke`` answers (INV-10..INV-12)."""

    status_code: int
    request_id: str
    payload: Any = None
    function_error: str | None = None
    executed_version: str | None = None
    log_result: str | None = None  # base64 of the last 4 KB of the log, with LogType="Tail"


@dataclass(frozen=True)
class TerminalOutcome:
    """How one delivery of an event ended: exactly one per delivery."""

    request_id: str
    function: str
    condition: aws.Condition | Literal["Dropped"]
    at: _dt.datetime
    attempts: int


class TimelineEntry(NamedTuple):
    """One line of the timeline (a tuple: one is made per queued event and per attempt)."""

    at: _dt.datetime
    kind: str  # invoke, attempt, throttle, retry, route, expire, fail
    function: str
    request_id: str
    text: str
    logs: tuple[str, ...] = ()


LeakKind = Literal[
    "never awaited",  # a coroutine created and never awaited (dropped, in a cycle, or still referenced)
    "pending task",  # an asyncio task still pending when the handler returned
    "dropped task",  # a task asyncio.run cancelled at shutdown: its work silently never happened
    "running job",  # a ThreadPoolExecutor / run_in_executor job still running
    "alive thread",  # a thread (or threading.Timer) still alive
    "busy thread",  # a library's thread (a logging QueueListener, ...) still running the user's code
    "pending callback",  # a call_later/call_at/call_soon callback still scheduled on a loop that lives on
    "dropped callback",  # a callback still scheduled when its loop was closed (asyncio.run): it never runs
    "returned awaitable",  # a sync handler returned an awaitable: Runtime.MarshalError on AWS
]


@dataclass(frozen=True)
class Leak:
    """One piece of unfinished work.

    ``where`` is ``"file:line"`` of the innermost frame in the user's code that
    started it (relative to the current directory when below it).  ``library``
    is True for work owned by a library (reported in strict mode only).
    ``obj`` is the task, thread, future or coroutine itself (None once it was
    garbage-collected)."""

    kind: LeakKind
    what: str
    where: str
    library: bool = False
    obj: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Leftovers:
    """The live objects behind a window's leaks, for the caller to cancel or wait on."""

    tasks: tuple[asyncio.Task[Any], ...] = ()
    threads: tuple[threading.Thread, ...] = ()
    futures: tuple[concurrent.futures.Future[Any], ...] = ()
    coroutines: tuple[Coroutine[Any, Any, Any], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.tasks or self.threads or self.futures or self.coroutines)
