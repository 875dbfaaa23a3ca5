"""The attempt window: the service's work played out on a runtime thread, with the virtual clock,
log capture, asyncio loops on the clock and the runtime's trace variables in place while it runs.

One stuck handler never hangs the test run: a thread hung past its real-time limit is abandoned and
the window undone from the calling thread; a test interrupted while it waits (pytest-timeout, Ctrl-C)
stops the thread (``threads``) and, if it could not unwind, is cleaned up the same way."""

from __future__ import annotations

import datetime as _dt
import threading
from collections.abc import Callable
from typing import Any

from .. import _text
from . import aws
from .clock import VirtualClock
from .delivery import Delivery
from .hooks import hold_globals
from .leaks import AwaitWindow
from .loop import virtualize_new_loops
from .logs import LogCapture, runtime_lines
from .runtime import CaptureScope, Execution, error_line, restore_trace_env, trace_env_now
from .threads import HandlerHung, RuntimeThread
from .tracing import Tracing

__all__ = ["InFlight", "RuntimeWindow"]

# An attempt running now: its delivery, invocation type, start and await window.
InFlight = tuple[Delivery, aws.InvocationType, _dt.datetime, AwaitWindow | None]


class RuntimeWindow:
    """The runtime thread the service leases, the attempts in flight on it and the current log capture."""

    def __init__(self, clock: VirtualClock, tracing: Tracing) -> None:
        self._clock = clock
        self._tracing = tracing
        self.thread: RuntimeThread | None = None
        self.capture: Any = None
        self.inflight: list[InFlight] = []
        self._window_capture: LogCapture | None = None  # the last window's, still there once it is undone

    def on_thread(self) -> bool:
        thread = self.thread
        return thread is not None and thread.on_thread()

    def refuse_off_thread_while_running(self, what: str) -> None:
        """The clock belongs to the running attempt: a thread a handler started may queue events, but
        not play them out or move the clock under it."""
        if self.inflight and not self.on_thread():
            raise RuntimeError(_text.clock_used_off_thread(what))

    def close(self) -> None:
        if self.thread is not None:
            self.thread.close()
            self.thread = None
        # The capture is a logging handler: stdlib lists every live one (logging._handlerList) and the
        # next window walks that list, so it must go when the invoker closes, not at the next full GC.
        self._window_capture = None

    def run(self, fn: Callable[[], Any], abandon: Callable[[], Execution | None]) -> Any:
        """``fn``'s result, run on the runtime thread inside the window.  When the thread hangs, ``abandon``
        ends the attempts in flight; a sync invoke's own (its result) is then the answer, and an Event
        drain goes on on a fresh thread."""
        if self.on_thread():
            return fn()  # nested: a handler invoked a function synchronously
        undo: list[Callable[[], None]] = []
        while True:
            if self.thread is None:
                self.thread = RuntimeThread.lease()
            try:
                return self.thread.call(lambda: self._in_window(fn, undo))
            except HandlerHung:
                self._undo_here(undo)
                result = abandon()
                if result is not None:  # the call was a sync invoke: its attempt is over
                    return result
            except BaseException:
                stopped = self.thread
                if stopped is not None and (stopped.stopped or stopped.abandoned):
                    # The test was interrupted while it waited (pytest-timeout, Ctrl-C): the thread was
                    # stopped; if it could not unwind, undo its window and end its attempts here.
                    self.thread = None
                    if stopped.abandoned:
                        self._undo_here(undo)
                        abandon()
                raise

    def abandon(self, real_time_limit: float) -> list[tuple[Delivery, aws.InvocationType, _dt.datetime, Execution]]:
        """The attempts a hung thread was in, innermost first, each ended as a timeout (PY-6), with the log
        the platform writes for one: START, what the handler wrote until then, ``<time> <request id> Task
        timed out after N.NN seconds``, END and REPORT (its Duration the whole timeout)."""
        ended = []
        capture = self._window_capture
        while self.inflight:
            d, invocation_type, start, window = self.inflight.pop()
            if window is not None:
                window.abandon()  # its thread will never leave it
            fn = d.function
            payload = aws.timeout_error(d.request_id, fn.timeout)
            lines, output, cold = capture.abandoned(d.request_id) if capture is not None else ([], [], False)
            logs = runtime_lines(d.request_id, lines, memory_size=fn.memory_size, cold=cold, error=payload,
                                 timed_out_at=start + _dt.timedelta(seconds=fn.timeout), duration=fn.timeout)
            ended.append((d, invocation_type, start, Execution(
                "timeout", payload, aws.FUNCTION_ERROR,
                _text.real_time_limit_error(error_line(payload), min(fn.timeout, real_time_limit)), logs, crashed=True,
                output=output)))
        return ended

    def _in_window(self, fn: Callable[[], Any], undo: list[Callable[[], None]]) -> Any:
        clock = self._clock
        unfreeze = clock.freeze()
        scope = CaptureScope()
        real_loops = virtualize_new_loops(clock, threading.get_ident())
        held = hold_globals()  # the await windows of this drain's attempts install their hooks once
        env = trace_env_now()
        self._tracing.env_function = env[1]
        undo[:] = [held, real_loops, scope.close, unfreeze, lambda: restore_trace_env(env)]
        self.capture = self._window_capture = scope.capture
        try:
            return fn()
        finally:
            self.capture = None
            for step in undo:
                step()

    def _undo_here(self, undo: list[Callable[[], None]]) -> None:
        """The thread will not come back: undo its window from the calling thread."""
        self.thread = None
        self.capture = None
        for step in undo:
            step()
