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
from typing import Any, Literal, NamedTuple, TypeVar, Union

from . import aws

__all__ = [
    "Attempt", "Failed", "Invoked", "InvokeResult", "Leak", "LeakKind", "Leftovers", "LoopStopped", "NotInvoked",
    "Outcome", "Retried", "Role", "Routed", "TerminalOutcome", "Throttled", "TimelineDetail", "TimelineEntry",
    "TimelineKind", "Waited", "frozen", "new_tuple",
]

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
    error_type: str | None = None  # the error object's errorType (e.g. "KeyError", "Sandbox.Timedout")


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


TimelineKind = Literal["invoke", "attempt", "throttle", "wait", "retry", "route", "fail", "loop"]
Role = Literal["on_success", "on_failure", "dead_letter"]


class Invoked(NamedTuple):
    """An accepted invocation: queued with 202 (``Event``, INV-11) or run now (``RequestResponse``)."""

    invocation_type: aws.InvocationType
    duplicates: int = 0  # extra copies queued with it
    parent: str | None = None  # request id of the attempt that invoked it, if a handler did
    parent_function: str | None = None
    source: str | None = None  # the AWS event source that sent it ("s3:uploads ObjectCreated:Put"), if one did


class NotInvoked(NamedTuple):
    """An event an AWS event source sent to a function that could not be invoked (none registered by that
    name, or an ARN of another region or account): no invocation happened, and the event is lost."""

    source: str  # as in Invoked.source
    target: str  # the function name or ARN the source was configured with
    code: str  # the Lambda error code the source got (ResourceNotFoundException, ...)
    message: str
    fate: str = ""  # what the source did with it then: "" when it dropped it (_text.EVENT_LOST), else a note


class Throttled(NamedTuple):
    """A delivery that reached no handler: a 429, or reserved concurrency 0 (Q-5)."""

    invocation_type: aws.InvocationType
    reason: str | None = None  # RequestResponse: the 429's Reason
    retry_in: float | None = None  # Event: back in the queue for this many seconds (RET-3)
    past_maximum_event_age: float | None = None  # Event: the next try would be past this age, so it fails
    reserved_concurrency_zero: bool = False
    limit: int | None = None  # RequestResponse: all this many environments of the pool were in use (INV-23)


class Waited(NamedTuple):
    """A queued event due while every execution environment of its pool was in use (Q-1): it waits in the
    queue until one is free (``until``), or until its maximum event age runs out (Q-3: then it fails)."""

    until: _dt.datetime  # when it is tried again
    in_use: int  # environments of its pool in use when it was due
    limit: int  # the pool's size: the function's reserved concurrency, or the account's unreserved pool
    reserved: bool  # the pool is the function's reserved concurrency (else the account's)
    expires: bool = False  # an environment frees up only past its maximum event age: it fails then


class Retried(NamedTuple):
    """A failed attempt's event back in the queue (RET-1)."""

    delay: float


class Failed(NamedTuple):
    """A delivery sent to failure handling (RET-1 retries exhausted, RET-4 event age, Q-5)."""

    condition: str
    attempts: int


class Routed(NamedTuple):
    """A record sent to a destination or DLQ, or a delivery there that failed (DST-6, DLQ-6)."""

    role: Role
    target: str  # short form: sqs:orders-dlq, lambda:worker, ...
    failure: str | None = None  # why the delivery failed, if it did
    metric: str | None = None  # the metric a failed delivery counts in
    rule: str | None = None  # the rule id the failure's reason cites (its footer link), if any


class LoopStopped(NamedTuple):
    """An invocation stopped as a recursive loop (LOOP-1, LOOP-3)."""

    invocation_type: aws.InvocationType
    limit: int
    metric: str
    parent: str | None = None
    parent_function: str | None = None
    source: str | None = None  # the event source whose event was stopped (``sqs:orders batch of 1``)


TimelineDetail = Union[Invoked, "Attempt", Throttled, Waited, Retried, Failed, Routed, LoopStopped, NotInvoked]


class TimelineEntry(NamedTuple):
    """One line of the timeline (a tuple: one is made per queued event and per attempt).

    ``detail`` holds what happened as fields (an :class:`Attempt` for ``attempt``
    entries, with its outcome and error type); ``_text`` renders it, and nothing reads
    rendered text back.  ``notes`` are the lines shown under the entry (the checker's
    notes, then the attempt's log lines)."""

    at: _dt.datetime
    kind: TimelineKind
    function: str
    request_id: str
    detail: TimelineDetail
    notes: tuple[str, ...] = ()


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
    callbacks: tuple[asyncio.Handle, ...] = ()  # call_soon/call_later/call_at still scheduled on a live loop

    def __bool__(self) -> bool:
        return bool(self.tasks or self.threads or self.futures or self.coroutines or self.callbacks)


_T = TypeVar("_T")
new_tuple: Any = tuple.__new__  # a NamedTuple without its Python-level __new__ (one per timeline line)


def frozen(cls: type[_T], values: dict[str, Any]) -> _T:
    """A frozen dataclass built from every one of its fields, without its ``__init__``.

    A frozen ``__init__`` sets each field through ``object.__setattr__``; for the records made
    once per invocation and per attempt that was the costliest step of the hot path.
    ``values`` must name every field (the tests check each use)."""
    obj = object.__new__(cls)
    object.__setattr__(obj, "__dict__", values)
    return obj

