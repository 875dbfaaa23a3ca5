"""An asyncio event loop that runs on a clock of our choosing.

freezegun's default freezes ``time.monotonic`` and so stalls ``asyncio.sleep``
forever (with the default real_asyncio=False).  Loops made here read either the invoker's virtual
clock (timers fire by jumping the clock, so ``asyncio.sleep(30)`` takes no real
time) or the real monotonic clock freezegun keeps aside.
"""

from __future__ import annotations

import asyncio
import selectors
import sys
from collections.abc import Callable
from typing import Any, Protocol

from .. import _text
from .clock import real_monotonic

__all__ = ["LoopClock", "RuntimeEventLoop", "new_event_loop"]

# Before 3.14, asyncio.get_event_loop() on the main thread (where Lambda runs handlers)
# makes a loop when there is none; handlers run on other threads here must get the same.
CURRENT_LOOP_ON_MAIN_THREAD = sys.version_info < (3, 14)

# While the loop has no timer but other threads may still wake it (an executor
# job, call_soon_threadsafe), wait for real I/O this long at a time.
_IDLE_SLICE = 0.05


class LoopClock(Protocol):
    def monotonic(self) -> float: ...
    def sleep_in_attempt(self, seconds: float) -> None: ...


class _VirtualSelector(selectors.DefaultSelector):
    """Polls real I/O without blocking; a timed wait jumps the virtual clock instead."""

    def __init__(self, clock: LoopClock) -> None:
        super().__init__()
        self._clock = clock
        self.pending_executor_jobs = 0

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = super().select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None or self.pending_executor_jobs:
            # Work is happening in real time elsewhere (threads): wait for it for
            # real, and let the virtual clock follow real time meanwhile.
            wait = _IDLE_SLICE if timeout is None else min(timeout, _IDLE_SLICE)
            start = real_monotonic()
            ready = super().select(wait)
            if timeout is not None:
                self._clock.sleep_in_attempt(real_monotonic() - start)
            return ready
        self._clock.sleep_in_attempt(timeout)
        return super().select(0)


class _RealClock:
    def monotonic(self) -> float:
        return real_monotonic()

    def sleep_in_attempt(self, seconds: float) -> None:  # pragma: no cover - never called
        raise AssertionError(_text.REAL_CLOCK_NEVER_SLEEPS)


class RuntimeEventLoop(asyncio.SelectorEventLoop):
    """The event loop handlers' async code runs on inside the invoker."""

    def __init__(self, clock: LoopClock | None = None) -> None:
        self._virtual_clock = clock
        selector = _VirtualSelector(clock) if clock is not None else None
        super().__init__(selector)
        self._vselector = selector

    # The self-pipe (a socket pair that wakes the loop from other threads and signal handlers) is made
    # when the loop first runs or takes a signal handler: every function's environment has a loop (PY-4),
    # most handlers never use it, and the pair was a third of a fresh invoker's loop cost.  Before the
    # loop runs nothing waits in select(): a callback another thread schedules is in the ready queue.
    _ssock: Any
    _csock: Any

    def _make_self_pipe(self) -> None:
        self._ssock = self._csock = None

    def _ensure_self_pipe(self) -> None:
        if self._ssock is None and not self.is_closed():
            super()._make_self_pipe()  # type: ignore[misc]

    def _close_self_pipe(self) -> None:
        if self._ssock is not None:
            super()._close_self_pipe()  # type: ignore[misc]

    def run_forever(self) -> None:
        self._ensure_self_pipe()
        super().run_forever()

    def add_signal_handler(self, sig: int, callback: Callable[..., object], *args: Any) -> None:  # type: ignore[override]
        self._ensure_self_pipe()
        super().add_signal_handler(sig, callback, *args)

    def time(self) -> float:
        if self._virtual_clock is not None:
            return self._virtual_clock.monotonic()
        return real_monotonic()

    def run_in_executor(  # type: ignore[override]
        self, executor: Any, func: Callable[..., Any], *args: Any
    ) -> asyncio.Future[Any]:
        fut = super().run_in_executor(executor, func, *args)
        sel = self._vselector
        if sel is not None:
            # Don't jump virtual time while a thread is doing real work for us.
            sel.pending_executor_jobs += 1

            def _done(_: asyncio.Future[Any]) -> None:
                sel.pending_executor_jobs -= 1

            fut.add_done_callback(_done)
        return fut

    async def shutdown_default_executor(self, *args: Any, **kwargs: Any) -> None:
        # asyncio.run() ends with this: a thread joins the executor under a 300 s
        # timeout (3.12+). Real work: the virtual clock must not jump to that timeout.
        sel = self._vselector
        if sel is not None:
            sel.pending_executor_jobs += 1
        try:
            await super().shutdown_default_executor(*args, **kwargs)
        finally:
            if sel is not None:
                sel.pending_executor_jobs -= 1


def new_event_loop(clock: LoopClock | None = None) -> RuntimeEventLoop:
    """A loop on the virtual ``clock``, or on real monotonic time (never freezegun's)."""
    return RuntimeEventLoop(clock)


def virtualize_new_loops(clock: LoopClock, thread: int) -> Callable[[], None]:
    """While attempts run, loops made on the runtime thread (``asyncio.run``) use ``clock``.

    Returns the undo.  ``asyncio.Runner`` looks ``events.new_event_loop`` up at
    call time on 3.10-3.14, so wrapping that name reaches ``asyncio.run``
    without the (deprecated) policy API.  Other threads get the original."""
    import threading

    events = asyncio.events
    original = events.new_event_loop
    original_top = asyncio.new_event_loop

    def new_loop() -> asyncio.AbstractEventLoop:
        if threading.get_ident() == thread:
            return RuntimeEventLoop(clock)
        return original()

    events.new_event_loop = new_loop
    asyncio.new_event_loop = new_loop
    done = False

    def undo() -> None:
        nonlocal done
        if not done:
            done = True
            events.new_event_loop = original
            asyncio.new_event_loop = original_top

    return undo
