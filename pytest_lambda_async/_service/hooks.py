"""The await check's process-global hooks, and which window an event on a thread belongs to.

For as long as any window is open: ``asyncio.new_event_loop`` and the running-loop setter hand
loops to the window, ``Thread.start`` and ``ThreadPoolExecutor.submit`` report what they start,
``asyncio.run``'s shutdown reports the tasks it drops, and the "never awaited" warning becomes
an error that reaches a chained ``sys.unraisablehook``.  Installed when the first window opens,
restored when the last one closes, so nested and concurrent windows compose; an invoker's drain
holds them (and the loops' instrumentation) between its attempts' windows (``hold_globals``)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import re
import sys
import threading
import types
import warnings
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from .loop import new_event_loop as real_clock_loop

if TYPE_CHECKING:
    from .leaks import AwaitWindow

__all__ = ["ACTIVE", "HELD_RELEASES", "HOLDS", "LOCK", "STACKS", "WINDOW_ATTR", "current_window", "hold_globals",
           "install_globals", "real_clock_loops", "uninstall_globals"]


NEVER_AWAITED = re.compile(r"coroutine '.*' was never awaited", re.I)  # Python's own warning, matched
_NEVER_AWAITED_ERROR = ("error", NEVER_AWAITED, RuntimeWarning, None, 0)  # as filterwarnings makes it
WINDOW_ATTR = "_lambda_async_window"


# -- process-global hooks ------------------------------------------------------------
class _Hook:
    """Replace ``owner.attr`` with a wrapper of what is there at install time.

    Uninstall restores the previous value only if the wrapper is still in
    place; otherwise (someone wrapped on top of it since) the wrapper stays
    in the chain and passes through while no window is open."""

    def __init__(self, owner: Any, attr: str, make: Callable[[Any], Any]) -> None:
        self.owner, self.attr, self.make = owner, attr, make
        self.previous: Any = None
        self.wrapper: Any = None

    def install(self) -> None:
        current = getattr(self.owner, self.attr, None)
        if current is None:
            return
        if current is self.wrapper:
            return
        self.previous = current
        self.wrapper = self.make(current)
        setattr(self.owner, self.attr, self.wrapper)

    def uninstall(self) -> None:
        if self.wrapper is not None and getattr(self.owner, self.attr, None) is self.wrapper:
            setattr(self.owner, self.attr, self.previous)
            self.wrapper = None


LOCK = threading.RLock()
ACTIVE: list[AwaitWindow] = []  # open windows, in the order they were entered
STACKS: dict[int, list[AwaitWindow]] = {}  # thread ident -> its open windows, innermost last
REAL_CLOCK_THREADS: set[int] = set()  # threads where new loops read the real clock (assert_awaits_all)
_FILTER: list[Any] = []  # the warnings filter entry we installed


def current_window() -> AwaitWindow | None:
    """The window events on this thread belong to: the innermost open one, or the one
    that started this thread."""
    if not ACTIVE:
        return None
    stack = STACKS.get(threading.get_ident())
    if stack:
        return stack[-1]
    ref = getattr(threading.current_thread(), WINDOW_ATTR, None)
    window = ref() if ref is not None else None
    return window if window is not None and window.open else None


def _wrap_new_event_loop(previous: Callable[[], asyncio.AbstractEventLoop]) -> Callable[[], asyncio.AbstractEventLoop]:
    def new_event_loop() -> asyncio.AbstractEventLoop:
        if threading.get_ident() in REAL_CLOCK_THREADS:
            loop: asyncio.AbstractEventLoop = real_clock_loop()
        else:
            loop = previous()
        window = current_window()
        if window is not None:
            window.track_loop(loop)
        return loop

    new_event_loop.__wrapped__ = previous  # type: ignore[attr-defined]
    return new_event_loop


def _wrap_set_running_loop(previous: Callable[[Any], None]) -> Callable[[Any], None]:
    # A loop made some other way (loop_factory=, at import) is instrumented when it starts.
    def _set_running_loop(loop: Any) -> None:
        previous(loop)
        if loop is not None and ACTIVE:
            window = current_window()
            if window is not None and not window.tracks(loop):
                window.track_loop(loop)

    return _set_running_loop


def _wrap_cancel_all_tasks(previous: Callable[[Any], None]) -> Callable[[Any], None]:
    # Backstop for tasks made by a foreign factory (not our Task subclass).
    def _cancel_all_tasks(loop: Any) -> None:
        window = current_window()
        if window is not None:
            window.on_asyncio_run_shutdown(loop)
        previous(loop)

    return _cancel_all_tasks


def _wrap_thread_start(previous: Callable[[threading.Thread], None]) -> Callable[[threading.Thread], None]:
    def start(self: threading.Thread) -> None:
        window = current_window()
        if window is not None:
            window.on_thread_start(self, sys._getframe(1))
        previous(self)

    start.__wrapped__ = previous  # type: ignore[attr-defined]
    return start


def _wrap_submit(previous: Callable[..., concurrent.futures.Future[Any]]) -> Callable[..., concurrent.futures.Future[Any]]:
    def submit(self: Any, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        future = previous(self, fn, *args, **kwargs)
        window = current_window()
        if window is not None:
            window.on_submit(future, fn, sys._getframe(1))
        return future

    submit.__wrapped__ = previous  # type: ignore[attr-defined]
    return submit


def _wrap_unraisablehook(previous: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def unraisablehook(unraisable: Any) -> Any:
        coro = unraisable.object
        if (
            type(coro) is types.CoroutineType
            and isinstance(unraisable.exc_value, RuntimeWarning)
            and "was never awaited" in str(unraisable.exc_value)
            and ACTIVE
        ):
            window = current_window() or (ACTIVE[-1] if ACTIVE else None)
            if window is not None:
                window = window.owner_of_coroutine(coro)
                window.on_never_awaited(coro)
                return None
        return previous(unraisable)

    return unraisablehook


_HOOKS = [
    _Hook(asyncio.events, "new_event_loop", _wrap_new_event_loop),
    _Hook(asyncio, "new_event_loop", _wrap_new_event_loop),
    _Hook(asyncio.events, "_set_running_loop", _wrap_set_running_loop),
    _Hook(sys.modules.get("asyncio.runners"), "_cancel_all_tasks", _wrap_cancel_all_tasks),
    _Hook(threading.Thread, "start", _wrap_thread_start),
    _Hook(concurrent.futures.ThreadPoolExecutor, "submit", _wrap_submit),
    _Hook(sys, "unraisablehook", _wrap_unraisablehook),
]


def _filters_mutated() -> None:
    mutated = getattr(warnings, "_filters_mutated", None)
    if callable(mutated):
        mutated()
        return
    mutated = getattr(warnings, "_filters_mutated_lock_held", None)
    lock = getattr(warnings, "_lock", None)
    if callable(mutated) and lock is not None:
        with lock:
            mutated()


def install_globals() -> None:
    for hook in _HOOKS:
        hook.install()  # nothing to do for a hook a drain's hold kept in place
    filters = getattr(warnings, "filters", None)
    if isinstance(filters, list) and callable(getattr(warnings, "_filters_mutated", None)):
        # filterwarnings' own entry, put in front as it does, without its scan of every filter for an equal
        # one to drop first (which also dropped the user's own equal filter for good).
        filters.insert(0, _NEVER_AWAITED_ERROR)
        _filters_mutated()
        _FILTER[:] = [_NEVER_AWAITED_ERROR]
        return
    warnings.filterwarnings("error", message=NEVER_AWAITED.pattern, category=RuntimeWarning)
    _FILTER[:] = [warnings.filters[0]]


def uninstall_globals() -> None:
    if not HOLDS:  # else the last hold's release takes them out, once its drain ends
        _end_holds()
    for entry in _FILTER:
        with contextlib.suppress(ValueError):
            filters: list[Any] = warnings.filters  # type: ignore[assignment]
            filters.remove(entry)
            _filters_mutated()
    _FILTER.clear()


def _end_holds() -> None:
    """Take the hooks out, and the loop instrumentation the holds kept (under LOCK, no window open)."""
    for hook in reversed(_HOOKS):
        hook.uninstall()
    pending, HELD_RELEASES[:] = list(HELD_RELEASES), []
    for undo in pending:
        undo()


# Drains (one run(), advance() or sync invoke on a runtime thread) holding the hooks and the loop
# instrumentation in place between the windows of their attempts, so each attempt does not install and
# take out the same wrappers again.  Between windows every wrapper passes through (no window is
# ACTIVE); the "never awaited" filter still goes in and out with each window.
HOLDS: list[object] = []
HELD_RELEASES: list[Callable[[], None]] = []  # what the last hold's release undoes (loop_watch's)


def hold_globals() -> Callable[[], None]:
    """Keep what the await windows install in place until the returned release (idempotent; callable
    from another thread, for a hung handler's drain).  Costs nothing when no window opens."""
    token = object()
    with LOCK:
        HOLDS.append(token)

    def release() -> None:
        with LOCK:
            if token not in HOLDS:
                return
            HOLDS.remove(token)
            if not HOLDS and not ACTIVE:  # else the last hold, or the last window out, takes them out
                _end_holds()

    return release



@contextlib.contextmanager
def real_clock_loops() -> Iterator[None]:
    """Event loops this thread makes inside the block read the real clock (the await check's own runs)."""
    ident = threading.get_ident()
    REAL_CLOCK_THREADS.add(ident)
    try:
        yield
    finally:
        REAL_CLOCK_THREADS.discard(ident)
