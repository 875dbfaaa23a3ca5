"""One delivery of an event as the queue holds it, and the work an attempt left suspended (PY-4)."""

from __future__ import annotations

import asyncio
import datetime as _dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .leaks import AwaitWindow
from .loop_watch import handle_pending
from .payloads import decode_body
from .runtime import ClientContext, Execution

if TYPE_CHECKING:
    from .functions import ExecutionEnvironment, LambdaFunction


UNSET: Any = object()


# An incoming trace (LOOP-4): root, parent segment, lineage counts per function tag.
Chain = tuple[str | None, str | None, dict[str, int]]


@dataclass(slots=True)
class Delivery:
    """One delivery of an event: the original, or a duplicate copy (Q-2)."""

    request_id: str
    function: LambdaFunction
    body: bytes | str  # the event as the service keeps it: serialised (INV-6)
    enqueued_at: _dt.datetime
    duplicate: bool
    parent: str | None = None
    function_errors: int = 0
    throttles: int = 0
    attempts: int = 0
    last: Execution | None = None
    parent_function: str | None = None
    trace_root: str | None = None  # the X-Ray chain this delivery belongs to (LOOP-4)
    # invocations per function along the chain, this one included (LOOP-1); None: the chain's first
    lineage: dict[str, int] | None = None
    trace_header: str | None = None  # what its attempts see as _X_AMZN_TRACE_ID
    invoked_arn: str | None = None  # context.invoked_function_arn when not the function's own ARN (PY-3)
    fresh: Any = UNSET  # a decoded copy no handler has seen yet (saves one decode)
    client_context: ClientContext | None = None  # a sync caller's ClientContext, decoded (INV-4, PY-3)
    tenant_id: str | None = None  # the caller's TenantId (INV-7): context.tenant_id
    loop_stopped: bool = False  # stopped as a recursive loop (LOOP-3): its records go to no function
    timeline_position: int | None = None  # where its running attempt's timeline line goes
    environment: ExecutionEnvironment | None = None  # the one its running attempt holds (Q-1, PY-4)

    def take_event(self) -> Any:
        """The event for one attempt, decoded afresh: the service stores the serialised event and
        each attempt deserialises it, so a handler that changes its ``event`` changes nothing a
        retry, a duplicate or a destination record sees."""
        fresh = self.fresh
        if fresh is UNSET:
            return decode_body(self.body)
        self.fresh = UNSET
        return fresh

    @property
    def event(self) -> Any:
        """The event as it was accepted (for records and DLQ messages)."""
        return decode_body(self.body)


class SuspendedWork:
    """Work an attempt left behind under freeze="resume", and how far it had got (PY-4)."""

    def __init__(self, request_id: str, window: AwaitWindow) -> None:
        self.request_id = request_id
        self.window = window
        left = window.leftovers()
        self._seen = {id(task): _task_position(task) for task in left.tasks}
        self._callbacks = {id(handle) for handle in left.callbacks}

    def progress(self) -> list[tuple[str, str]]:
        """(what, status) for each suspended task that ran since the last look, and each callback that ran or was
        cancelled."""
        moved: list[tuple[str, str]] = []
        for leak in self.window.leaks:
            task = leak.obj
            if not isinstance(task, asyncio.Task) or id(task) not in self._seen:
                continue
            now = _task_position(task)
            if now == self._seen[id(task)]:
                continue
            self._seen[id(task)] = now
            if not task.done():
                status = "still suspended"
            elif task.cancelled():
                status = "cancelled"
            elif task.exception() is not None:
                status = f"failed: {type(task.exception()).__name__}"
            else:
                status = "finished"
            moved.append((leak.what, status))
            if task.done():
                del self._seen[id(task)]
        for leak in self.window.leaks:  # callbacks: each is seen once, when it ran or was cancelled
            handle = leak.obj
            if not isinstance(handle, asyncio.Handle) or id(handle) not in self._callbacks:
                continue
            if handle.cancelled():
                status = "cancelled"
            elif handle_pending(handle):
                continue
            else:
                status = "ran"
            self._callbacks.discard(id(handle))
            moved.append((leak.what, status))
        return moved


def _task_position(task: asyncio.Task[Any]) -> tuple[bool, int]:
    """Where a task is: done, or the offset of the instruction its coroutine is paused at."""
    if task.done():
        return True, -1
    frame = getattr(task.get_coro(), "cr_frame", None)
    return False, frame.f_lasti if frame is not None else -1

