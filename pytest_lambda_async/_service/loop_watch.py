"""Event-loop instrumentation for the await check.

A watched loop gets a task factory (tasks remember who cancelled them: ``asyncio.run``'s
shutdown means "dropped"), and its ``call_soon``/``call_later``/``call_at`` and ``close`` are
wrapped: a callback still scheduled when the loop closes is silently dropped work.  Also: how
to cancel leftover tasks quietly on their own loop."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import types
import weakref
from collections.abc import Callable
from typing import Any

from .hooks import ACTIVE, HELD_RELEASES, HOLDS, current_window
from .sites import FILE_KIND, INTERNAL, MACHINERY, MISSING, Record, file_kind

__all__ = ["TrackedTask", "callback_pending", "cancel_quietly", "dropped_by_runner", "forget", "handle_pending",
           "instrument", "release"]


# -- event loops -----------------------------------------------------------------------
class TrackedTask(asyncio.Task):  # type: ignore[type-arg]
    """A Task that remembers who cancelled it first: asyncio.run's shutdown means "dropped"."""

    _cancelled_by: str | None = None

    def cancel(self, msg: Any = None) -> bool:
        if self._cancelled_by is None and not self.done():
            frame: types.FrameType | None = sys._getframe(1)
            while frame is not None and frame.f_code.co_filename == __file__:
                frame = frame.f_back
            self._cancelled_by = frame.f_code.co_filename if frame is not None else "?"
        return super().cancel(msg)

    def set_name(self, value: object) -> None:
        # 3.13.0 calls task.set_name(name) after a custom factory even when name is None,
        # which would rename "Task-N" to "None" only because this window installed a factory.
        if value is not None:
            super().set_name(value)


_RUNNERS_FILE = os.path.join("asyncio", "runners.py")


def dropped_by_runner(task: asyncio.Task[Any]) -> bool:
    who = getattr(task, "_cancelled_by", None)
    return isinstance(who, str) and who.endswith(_RUNNERS_FILE)


class _LoopState:
    __slots__ = ("chained", "users", "installed", "saved", "callbacks", "held")

    def __init__(self, chained: Any) -> None:
        self.chained = chained  # the factory the loop had, or the handler later set
        self.users = 0
        self.installed = False
        self.saved: dict[str, tuple[Any, Any]] = {}  # name -> (instance attribute we covered, our wrapper)
        self.callbacks: list[Record] = []  # callbacks user code scheduled on the loop, judged at close()
        self.held = False  # left instrumented by a drain's hold (hooks.hold_globals) between windows


_LOOPS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopState] = weakref.WeakKeyDictionary()


def _task_factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> Any:
    state = _LOOPS.get(loop)
    chained = state.chained if state is not None else None
    if chained is not None:
        task = chained(loop, coro, **kwargs)
    else:
        task = TrackedTask(coro, loop=loop, **kwargs)
    window = current_window()
    if window is not None:
        window.on_task(task, sys._getframe(1))
    return task



_SCHEDULERS = ("call_soon", "call_later", "call_at", "call_soon_threadsafe")
_TIMED = frozenset({"call_later", "call_at"})
_NOT_SCHEDULERS = (MACHINERY, INTERNAL)  # callers whose callbacks are never the user's work


def _scheduler(loop: asyncio.AbstractEventLoop, method: str, original: Callable[..., Any]) -> Callable[..., Any]:
    """``loop.<method>`` for the window: schedule, then record the handle if user or library
    code (not asyncio's own machinery, the common case) asked for it."""

    def schedule(*args: Any, **kwargs: Any) -> Any:
        handle = original(*args, **kwargs)
        if ACTIVE:
            frame = sys._getframe(1)
            if FILE_KIND.get(frame.f_code.co_filename) not in _NOT_SCHEDULERS:  # None: not seen yet
                _on_schedule(loop, method, handle, args, frame)
        return handle

    schedule.__wrapped__ = original  # type: ignore[attr-defined]
    return schedule


def _on_schedule(
    loop: asyncio.AbstractEventLoop, method: str, handle: Any, args: tuple[Any, ...], frame: types.FrameType
) -> None:
    if file_kind(frame.f_code.co_filename) in _NOT_SCHEDULERS:
        return
    timed = method in _TIMED
    if len(args) < (2 if timed else 1) or not isinstance(handle, asyncio.Handle):
        return
    callback = args[1] if timed else args[0]
    callback_args = args[2:] if timed else args[1:]
    if isinstance(getattr(callback, "__self__", None), asyncio.Task):
        return  # a task's own step or wake-up (scheduled by C code while this frame resolves a future)
    if len(callback_args) == 1 and isinstance(callback_args[0], asyncio.Future) and callback_args[0].done():
        return  # the done callbacks of a future this frame just resolved: they run on the next turn
    window = current_window()
    if window is None:
        return
    delay: float | None = None
    if timed:
        with contextlib.suppress(TypeError, ValueError):
            delay = float(args[0]) - (loop.time() if method == "call_at" else 0.0)
    record = window.on_callback(handle, callback, method, delay, loop, frame)
    state = _LOOPS.get(loop)
    if state is not None:
        state.callbacks.append(record)


def handle_pending(handle: asyncio.Handle) -> bool:
    """Still waiting to run on the loop it was scheduled on."""
    return callback_pending(getattr(handle, "_loop", None), handle)


def callback_pending(loop: Any, handle: asyncio.Handle) -> bool:
    """Still waiting to run: a timer still in the loop's heap, or a handle in its ready queue."""
    if handle.cancelled():
        return False
    if isinstance(handle, asyncio.TimerHandle):
        return bool(getattr(handle, "_scheduled", False))  # cleared when the loop pops it to run it
    ready = getattr(loop, "_ready", None)
    try:
        return ready is not None and any(h is handle for h in ready)
    except RuntimeError:  # the loop runs on another thread and changed the queue meanwhile
        return False


def _on_close(loop: asyncio.AbstractEventLoop, state: _LoopState) -> None:
    """``loop.close()`` discards what is still scheduled: those callbacks never run."""
    if loop.is_running() or loop.is_closed():
        return  # close() refuses (running) or does nothing (closed)
    for record in state.callbacks:
        if not record.dropped and callback_pending(loop, record.obj):
            record.dropped = True
    state.callbacks.clear()


_WRAPPERS_ATTR = "_lambda_async_wrappers"


def _loop_wrappers(loop: asyncio.AbstractEventLoop, cls: type) -> dict[str, Callable[..., Any]]:
    """Our wrappers of the loop's class methods, keyed by the attribute they cover."""
    wrappers: dict[str, Callable[..., Any]] = {}
    for name in _SCHEDULERS:
        method = getattr(cls, name, None)
        if callable(method):
            wrappers[name] = _scheduler(loop, name, method.__get__(loop, cls))
    close = getattr(cls, "close", None)
    if callable(close):
        wrappers["close"] = _closer(loop, close.__get__(loop, cls))
    return wrappers


def _closer(loop: asyncio.AbstractEventLoop, original: Callable[[], None]) -> Callable[[], None]:
    def close() -> None:
        state = _LOOPS.get(loop)
        if state is not None:
            _on_close(loop, state)
        original()

    return close


def instrument(loop: asyncio.AbstractEventLoop) -> None:
    state = _LOOPS.get(loop)
    if state is None:
        state = _LOOPS[loop] = _LoopState(loop.get_task_factory())
    state.users += 1
    if state.installed:
        return
    state.installed = True
    original_set = loop.set_task_factory

    def set_task_factory(factory: Any) -> None:  # guard: keep tracking, chain to the new factory
        if factory is not None and not callable(factory):
            original_set(factory)  # the loop's own TypeError
        state.chained = factory

    def get_task_factory() -> Any:
        return state.chained

    original_set(_task_factory)
    with contextlib.suppress(AttributeError, TypeError):
        loop.set_task_factory = set_task_factory  # type: ignore[method-assign]
        loop.get_task_factory = get_task_factory  # type: ignore[method-assign]
    # Callbacks: who scheduled what (call_soon/call_later/call_at), and whether close() dropped it.
    own = getattr(loop, "__dict__", None)
    if own is None:
        return
    cached = own.get(_WRAPPERS_ATTR)
    if cached is None:  # made once per loop: a persistent loop is instrumented on every attempt
        cached = own[_WRAPPERS_ATTR] = _loop_wrappers(loop, type(loop))
    if own.keys().isdisjoint(cached):  # the usual case: only the class's methods to cover
        own.update(cached)
        return
    for name, wrapper in cached.items():
        previous = own.get(name, MISSING)
        if previous is not MISSING:  # someone's own instance attribute: chain to it
            wrapper = _closer(loop, previous) if name == "close" else _scheduler(loop, name, previous)
        state.saved[name] = (previous, wrapper)
        own[name] = wrapper


def release(loop: asyncio.AbstractEventLoop) -> None:
    state = _LOOPS.get(loop)
    if state is None:
        return
    state.users -= 1
    if state.users > 0 or not state.installed:
        return
    if HOLDS:  # a drain is between its attempts' windows: the next attempt's window reuses the wrappers
        state.callbacks.clear()  # as after a release: the next window's callbacks only
        if not state.held:
            state.held = True
            HELD_RELEASES.append(lambda: _release_held(loop))
        return
    _uninstrument(loop, state)


def _release_held(loop: asyncio.AbstractEventLoop) -> None:
    state = _LOOPS.get(loop)
    if state is not None and state.held:
        state.held = False
        if state.users == 0 and state.installed:
            _uninstrument(loop, state)


def _uninstrument(loop: asyncio.AbstractEventLoop, state: _LoopState) -> None:
    state.installed = False
    for name in ("set_task_factory", "get_task_factory"):
        with contextlib.suppress(AttributeError, TypeError):
            if name in vars(loop):
                delattr(loop, name)
    own = getattr(loop, "__dict__", {})
    cached = own.get(_WRAPPERS_ATTR, {})
    for name, wrapper in cached.items():
        previous, installed = state.saved.get(name, (MISSING, wrapper))
        if own.get(name) is not installed:
            continue  # replaced meanwhile (the handler's own attribute): leave it
        if previous is MISSING:
            del own[name]
        else:
            own[name] = previous
    state.saved.clear()
    state.callbacks.clear()
    if loop.get_task_factory() is _task_factory:
        loop.set_task_factory(state.chained)
    del _LOOPS[loop]
    if loop.is_closed():  # asyncio.run's loop, closed in the window: no attempt will use it again
        forget(loop)


def forget(loop: asyncio.AbstractEventLoop) -> None:
    """Drop a closed loop's cached wrappers (kept on it while it may run again): they hold the loop, and the
    cycle would keep it, its selector and its tasks' leftovers until the next full garbage collection."""
    if loop not in _LOOPS:  # not instrumented now (a window's loop is released before it is closed)
        getattr(loop, "__dict__", {}).pop(_WRAPPERS_ATTR, None)



def _mute(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    return None


def cancel_quietly(loop: asyncio.AbstractEventLoop, tasks: list[asyncio.Task[Any]], timeout: float) -> None:
    tasks = [t for t in tasks if not t.done()]
    if not tasks:
        return
    if loop.is_running():
        for task in tasks:
            loop.call_soon_threadsafe(task.cancel)
        return
    if not loop.is_closed():
        previous = loop.get_exception_handler()
        loop.set_exception_handler(_mute)
        try:
            for task in tasks:
                task.cancel()
            # A few turns of the loop finish ordinary cancellations without waiting on
            # its clock (on a virtual-time loop a timed wait would move the clock).
            for _ in range(10):
                if all(task.done() for task in tasks):
                    break
                loop.run_until_complete(asyncio.sleep(0))
            if not all(task.done() for task in tasks):
                loop.run_until_complete(asyncio.wait(tasks, timeout=timeout))
            for task in tasks:
                if task.done() and not task.cancelled():
                    task.exception()  # retrieved: no "exception was never retrieved" later
        finally:
            loop.set_exception_handler(previous)
    for task in tasks:
        if not task.done():  # a closed loop, or a task that refuses to be cancelled
            with contextlib.suppress(AttributeError):
                task._log_destroy_pending = False  # type: ignore[attr-defined]
            coro = task.get_coro()
            if coro is not None and hasattr(coro, "close"):
                with contextlib.suppress(BaseException):
                    coro.close()
