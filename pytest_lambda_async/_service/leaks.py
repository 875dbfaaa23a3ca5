"""Await checks: did the handler finish the work it started before it returned?

When a Lambda handler returns, the service freezes the environment.  A
coroutine never awaited, a task still pending, a callback still scheduled, a
thread still alive (or a library's thread still busy in the user's code) or an
executor job still running is work that silently never happens (or happens
during some later invocation).  :class:`AwaitWindow` watches one invocation
attempt and lists that work as :class:`Leak` s; :func:`assert_awaits_all` runs
a handler inside one and raises ``UnawaitedWorkError`` (``_checks/awaits.py``).

How: for the duration of the window the
handler's thread records coroutine origins; the "never awaited" warning is an
error that reaches a chained ``sys.unraisablehook``; the heap that existed
before the window is parked with ``gc.freeze()`` so a final ``gc.collect()``
plus ``gc.get_objects()`` see only the window's objects; event loops (created
through ``asyncio.new_event_loop``, or simply started on the thread) get a
task factory, and their ``call_soon``/``call_later``/``call_at`` and ``close``
are wrapped (a callback still scheduled when ``asyncio.run`` closes the loop is
silently dropped); ``Thread.start`` and ``ThreadPoolExecutor.submit`` are wrapped;
at return, library threads still alive are judged by their current frames.
Process-global hooks are installed when the first window opens and restored
when the last one closes (or when the invoker's drain that held them ends:
``hooks.hold_globals``), so nested and concurrent windows compose.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import gc
import inspect
import os
import sys
import threading
import types
import weakref
from collections.abc import Callable, Coroutine, Iterator, Sequence
from fnmatch import fnmatchcase
from typing import Any, Literal

from .. import _text
from .hooks import ACTIVE, LOCK, STACKS, WINDOW_ATTR, install_globals, uninstall_globals
from .loop_watch import TrackedTask, callback_pending, cancel_quietly, dropped_by_runner, handle_pending, instrument, release
from .records import Leak, LeakKind, Leftovers
from .sites import (
    FILE_KIND, INTERNAL, LIBRARY, MACHINERY, MISSING, ROOT_ATTR, USER, Record, coro_names, coro_state,
    describe_thread, file_kind, loc, short, starter_kind, thread_root,
)
from .hooks import real_clock_loops as real_clock_loops  # re-exported: the await check's own runs
from .sites import user_code_roots as user_code_roots  # re-exported: the invoker's and the check's

__all__ = [
    "AwaitWindow",
    "real_clock_loops",
    "user_code_roots",
]

ORIGIN_DEPTH = 32  # frames of creation site kept per coroutine (aiobotocore needs >= 2)


class AwaitWindow:
    """The window one invocation attempt runs in; enter it on the handler's thread.

    ``allow`` names deliberate long-lived work that is not reported: fnmatch
    patterns matched against coroutine and function qualnames (also with the
    module, ``"app.tokens.refresh*"``), task names and thread names.
    ``strict`` also reports work owned by libraries.  ``user_code`` adds paths
    counted as user code (see :func:`user_code_roots`).

    Use::

        with AwaitWindow() as window:
            result = handler(event, context)
            window.check_result(result)
        window.leaks            # list[Leak], in the order the work was started
        window.cancel_leftovers(loop)   # freeze="cancel": nothing leaks into the next test

    Windows nest (a handler invoking another synchronously on the same
    thread): work is attributed to the innermost open window on the thread
    that started it.  The global hooks are reference-counted."""

    def __init__(self, *, allow: Sequence[str] = (), strict: bool = False, user_code: Sequence[str] = ()) -> None:
        if isinstance(allow, str):
            allow = (allow,)
        self.allow: tuple[str, ...] = tuple(allow)
        self.strict = strict
        self.user_code: tuple[str, ...] = tuple(user_code)
        self.leaks: list[Leak] = []
        self._records: list[Record] = []
        self._never_awaited: list[tuple[int, Leak]] = []
        self._returned: list[tuple[int, Leak]] = []
        self._returned_ids: set[int] = set()
        self._loops: list[asyncio.AbstractEventLoop] = []
        self._seq = 0
        self._open = False
        self._closed = False
        self._thread = 0
        self._parent: AwaitWindow | None = None
        self._preexisting: set[int] = set()
        self._overlapped = False
        self._previous_depth = 0
        self._user_cache: dict[str, bool] = {}

    # -- entering and leaving ----------------------------------------------------
    def __enter__(self) -> AwaitWindow:
        if self._open or self._closed:
            raise RuntimeError(_text.AWAIT_WINDOW_REENTERED)
        ident = threading.get_ident()
        with LOCK:
            stack = STACKS.setdefault(ident, [])
            self._parent = stack[-1] if stack else None
            if ACTIVE:
                # Another window already froze the heap: remember the coroutines that
                # exist now, so the final scan doesn't blame this window for them.
                self._preexisting = {
                    id(o) for o in gc.get_objects()
                    if type(o) is types.CoroutineType and coro_state(o) == inspect.CORO_CREATED
                }
                for other in ACTIVE:
                    if other._thread != ident:
                        other._overlapped = self._overlapped = True
            else:
                install_globals()
                gc.freeze()  # O(1): the existing heap is parked; the final scan sees the window's objects
            ACTIVE.append(self)
            stack.append(self)
            self._thread = ident
            self._open = True
        self._previous_depth = sys.get_coroutine_origin_tracking_depth()
        sys.set_coroutine_origin_tracking_depth(max(self._previous_depth, ORIGIN_DEPTH))
        for loop in self._loops:
            instrument(loop)
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if not self._open:  # abandoned meanwhile
            sys.set_coroutine_origin_tracking_depth(self._previous_depth)
            return
        try:
            self._finish()
        finally:
            sys.set_coroutine_origin_tracking_depth(self._previous_depth)
            self._leave()

    def abandon(self) -> None:
        """Close a window whose thread will never leave it (a hung handler the invoker gave up on).

        Callable from any thread: the window stops collecting, gives up its share of
        the global hooks (restored if it was the last), and reports nothing."""
        self._leave()

    def _leave(self) -> None:
        with LOCK:
            if not self._open:
                return
            for loop in self._loops:
                release(loop)
            self._open = False
            self._closed = True
            stack = STACKS.get(self._thread, [])
            if self in stack:
                stack.remove(self)
            if not stack:
                STACKS.pop(self._thread, None)
            if self in ACTIVE:
                ACTIVE.remove(self)
            if not ACTIVE:  # the last window out restores the process
                gc.unfreeze()
                uninstall_globals()

    @property
    def open(self) -> bool:
        """True between ``__enter__`` and ``__exit__`` (or :meth:`abandon`)."""
        return self._open

    # -- public helpers ------------------------------------------------------------
    def track_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """Record tasks created on ``loop`` (a loop the caller made, e.g. a persistent one)."""
        if loop in self._loops:
            return
        self._loops.append(loop)
        if self._open:
            with LOCK:
                instrument(loop)

    def tracks(self, loop: asyncio.AbstractEventLoop) -> bool:
        """Whether ``loop`` is one this window records tasks on."""
        return loop in self._loops

    def owner_of_coroutine(self, coro: object) -> AwaitWindow:
        """The window a coroutine belongs to: this one, or the outer window it existed in before."""
        window = self
        while window._parent is not None and id(coro) in window._preexisting:
            window = window._parent
        return window

    def check_result(self, result: object) -> None:
        """Record every awaitable or future inside a handler's result; close coroutines.

        Walks dicts, lists, tuples and sets (bounded).  On AWS such a result fails
        with Runtime.MarshalError."""
        for keys, value in _awaitables_in(result):
            at = _text.result_path(keys)
            if type(value) is types.CoroutineType:
                qualname, names = coro_names(value)
                what = f"coroutine {qualname}(){at}"
                where, _ = self._origin_where(value)
                with contextlib.suppress(RuntimeError):
                    value.close()  # it must not warn "never awaited" a second time
                obj: Any = None
            elif isinstance(value, asyncio.Future):
                coro = value.get_coro() if isinstance(value, asyncio.Task) else None
                qualname, names = coro_names(coro) if coro is not None else (type(value).__name__, ())
                what = f"{type(value).__name__} {qualname}{at}" if coro is not None else f"{type(value).__name__}{at}"
                where = self._where_of_record(value) or "?"
                self._returned_ids.add(id(value))
                obj = value
            elif isinstance(value, concurrent.futures.Future):
                what = f"concurrent.futures.Future{at}"
                names = ()
                where = self._where_of_record(value) or "?"
                self._returned_ids.add(id(value))
                obj = value
            else:
                what = f"{type(value).__qualname__} object{at}"
                names = (type(value).__qualname__,)
                where = "?"
                obj = value
            if self._allowed(names):
                continue
            leak = Leak("returned awaitable", what, where, obj=obj)
            if self._closed:
                self.leaks.append(leak)
            else:
                self._returned.append((self._next_seq(), leak))

    def leftovers(self) -> Leftovers:
        """The live work behind :attr:`leaks` (pending tasks, alive threads, running jobs,
        still-referenced coroutines)."""
        tasks: list[asyncio.Task[Any]] = []
        threads: list[threading.Thread] = []
        futures: list[concurrent.futures.Future[Any]] = []
        coros: list[Coroutine[Any, Any, Any]] = []
        callbacks: list[asyncio.Handle] = []
        for leak in self.leaks:
            obj = leak.obj
            if isinstance(obj, asyncio.Task) and not obj.done():
                tasks.append(obj)
            elif isinstance(obj, threading.Thread) and obj.is_alive() and leak.kind != "busy thread":
                threads.append(obj)  # a busy library thread lives on by design: nothing to wait for
            elif isinstance(obj, concurrent.futures.Future) and not obj.done():
                futures.append(obj)
            elif type(obj) is types.CoroutineType and coro_state(obj) == inspect.CORO_CREATED:
                coros.append(obj)
            elif isinstance(obj, asyncio.Handle) and leak.kind == "pending callback" and handle_pending(obj):
                callbacks.append(obj)
        return Leftovers(tuple(tasks), tuple(threads), tuple(futures), tuple(coros), tuple(callbacks))

    def cancel_leftovers(self, loop: asyncio.AbstractEventLoop | None = None, *, timeout: float = 1.0) -> None:
        """Cancel what :meth:`leftovers` lists (and every pending task on ``loop``), quietly.

        Tasks are cancelled and run to their end on their loop (their ``finally``
        blocks run) with the loop's exception handler muted; a task on a closed
        loop has its coroutine closed.  Still-referenced coroutines are closed,
        executor jobs not yet started are cancelled, callbacks still scheduled
        on a loop that lives on are cancelled.  Threads cannot be
        cancelled: they are only reported.  Call it after leaving the window,
        on the thread that owns the loop, while the loop is not running."""
        rest = self.leftovers()
        for leak in self.leaks:
            if leak.kind == "pending callback" and isinstance(leak.obj, asyncio.Handle):
                leak.obj.cancel()  # a timer still scheduled on a loop that lives on
        for coro in rest.coroutines:
            with contextlib.suppress(RuntimeError):
                coro.close()
        for future in rest.futures:
            future.cancel()
        by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Task[Any]]] = {}
        for task in rest.tasks:
            by_loop.setdefault(task.get_loop(), []).append(task)
        if loop is not None and not loop.is_closed():
            for task in asyncio.all_tasks(loop):
                if task not in by_loop.get(loop, ()):
                    by_loop.setdefault(loop, []).append(task)
        for owner, tasks in by_loop.items():
            cancel_quietly(owner, tasks, timeout)

    # -- events from the hooks -------------------------------------------------------
    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _is_user(self, filename: str) -> bool:
        cached = self._user_cache.get(filename)
        if cached is None:
            kind = file_kind(filename)
            cached = kind == USER or (
                kind == LIBRARY and bool(self.user_code)
                and os.path.normcase(os.path.abspath(filename)).startswith(self.user_code)
            )
            self._user_cache[filename] = cached
        return cached

    def _site(self, frame: types.FrameType | None) -> tuple[bool, tuple[str, int | None] | None]:
        """(owned by user code, (file, line) of the innermost user frame) for a creation stack.

        The owner is the innermost frame outside asyncio, concurrent.futures,
        threading and this package; without a user frame, the owner's is shown."""
        owned_by: bool | None = None
        fallback: tuple[str, int | None] | None = None
        depth = 0
        while frame is not None and depth < 64:
            filename = frame.f_code.co_filename
            if owned_by is None and file_kind(filename) not in (MACHINERY, INTERNAL):
                owned_by = self._is_user(filename)
                fallback = (filename, frame.f_lineno)
            if owned_by is not None and self._is_user(filename):
                return owned_by, (filename, frame.f_lineno)
            frame = frame.f_back
            depth += 1
        return bool(owned_by), fallback

    def _origin_where(self, coro: Any) -> tuple[str, bool]:
        """(where, created by library code) from a coroutine's recorded creation stack."""
        origin = getattr(coro, "cr_origin", None)
        if origin:
            first_outside: tuple[str, int, str] | None = None
            for filename, lineno, _ in origin:
                if self._is_user(filename):
                    return loc(filename, lineno), first_outside is not None and not self._is_user(first_outside[0])
                if first_outside is None and file_kind(filename) not in (MACHINERY, INTERNAL):
                    first_outside = (filename, lineno, _)
            if first_outside is not None:
                return loc(first_outside[0], first_outside[1]), True
        code = getattr(coro, "cr_code", None)
        if code is not None:  # created where origins weren't recorded: its definition is all we know
            return loc(code.co_filename, code.co_firstlineno), False
        return "?", False

    def _where_of_record(self, obj: Any) -> str | None:
        for record in self._records:
            if record.obj is obj:
                return record.where
        return None

    def on_task(self, task: Any, frame: types.FrameType | None) -> None:
        user_owned, site = self._site(frame)
        self._records.append(Record(self._next_seq(), "task", task, site, not user_owned))

    def on_thread_start(self, thread: threading.Thread, frame: types.FrameType | None) -> None:
        # Who called start()?  Executor workers and asyncio's helper threads are
        # machinery: an idle worker legitimately outlives a call; judge the jobs.
        f = frame
        while f is not None and starter_kind(f.f_code.co_filename) == "pass":
            f = f.f_back
        if f is not None and starter_kind(f.f_code.co_filename) == "machinery":
            return
        user_owned, site = self._site(frame)
        self._records.append(Record(self._next_seq(), "thread", thread, site, not user_owned))
        with contextlib.suppress(AttributeError):
            setattr(thread, WINDOW_ATTR, weakref.ref(self))

    def on_submit(self, future: concurrent.futures.Future[Any], fn: Any, frame: types.FrameType | None) -> None:
        user_owned, site = self._site(frame)
        self._records.append(Record(self._next_seq(), "job", future, site, not user_owned, target=fn))

    def on_callback(self, handle: asyncio.Handle, callback: Any, method: str, delay: float | None,
                     loop: asyncio.AbstractEventLoop, frame: types.FrameType | None) -> Record:
        user_owned, site = self._site(frame)
        record = Record(self._next_seq(), "callback", handle, site, not user_owned, target=callback,
                         loop=loop, method=method, delay=delay)
        self._records.append(record)
        return record

    def on_never_awaited(self, coro: Any) -> None:
        qualname, names = coro_names(coro)
        where, _ = self._origin_where(coro)
        with contextlib.suppress(RuntimeError):
            coro.close()  # resurrected by the hook: mark it finished so no scan finds it again
        if not self._allowed(names):
            self._never_awaited.append((self._next_seq(), Leak("never awaited", f"coroutine {qualname}()", where)))

    def on_asyncio_run_shutdown(self, loop: Any) -> None:
        for record in self._records:
            task = record.obj
            if (
                record.kind == "task" and not isinstance(task, TrackedTask)
                and task.get_loop() is loop and not task.done()
                and not (getattr(task, "cancelling", None) and task.cancelling())
            ):
                record.dropped = True

    # -- the verdict ---------------------------------------------------------------------
    def _allowed(self, names: Sequence[str]) -> bool:
        return any(fnmatchcase(name, pattern) for pattern in self.allow for name in names)

    def _finish(self) -> None:
        gc.collect()  # after gc.freeze(): only the window's objects; finalizes coroutines in cycles
        found: list[tuple[int, Leak]] = [*self._never_awaited, *self._returned]
        task_coros: set[int] = set()
        threads_seen: set[int] = set()
        library_threads: list[Record] = []
        for record in self._records:
            obj = record.obj
            if record.kind == "task":
                coro = obj.get_coro() if hasattr(obj, "get_coro") else None
                if coro is not None:
                    task_coros.add(id(coro))
            elif record.kind == "thread":
                threads_seen.add(id(obj))
            if id(obj) in self._returned_ids:
                continue
            kind = _unfinished(record, self.strict)
            if kind is None:
                continue
            if kind == "library thread":
                library_threads.append(record)  # judged below by what it is running now
                continue
            what, names = record.describe()
            if self._allowed(names):
                continue
            what += " [library]" if record.library else ""
            found.append((record.seq, Leak(kind, what, record.where, record.library, obj)))
        found.extend(self._judge_library_threads(library_threads, threads_seen))
        if not self._overlapped:
            found.extend(self._scan_coroutines(task_coros))
        found.sort(key=lambda item: item[0])
        self.leaks = [leak for _, leak in found]

    def _judge_library_threads(self, records: list[Record], seen: set[int]) -> Iterator[tuple[int, Leak]]:
        """Library threads alive at return, judged by what they are running now.

        A library's thread (a logging QueueListener, a scheduler, a client's
        worker) busy in the user's own code (their logging handler's emit, their
        callback) is the user's unfinished work, whoever started the thread and
        whenever.  Idle, or running only library code, it is the library's
        business: reported (started in this window) in strict mode only.  Frames
        are read only when such a thread is alive: most attempts see none."""
        others = self._other_library_threads(seen)
        if not records and not others:
            return
        frames = sys._current_frames()
        try:
            for record in records:
                thread: threading.Thread = record.obj
                busy = self._busy_in_user_code(frames.get(thread.ident or -1))
                if busy is not None:
                    leak = self._busy_leak(thread, busy)
                    if leak is not None:
                        yield record.seq, leak
                elif self.strict:
                    what, names = record.describe()
                    if not self._allowed(names):
                        yield record.seq, Leak("alive thread", f"{what} [library]", record.where, True, thread)
            for thread in others:
                busy = self._busy_in_user_code(frames.get(thread.ident or -1))
                if busy is not None:
                    leak = self._busy_leak(thread, busy)
                    if leak is not None:
                        yield self._next_seq(), leak
        finally:
            del frames  # other threads' frames: keep none of them alive

    def _other_library_threads(self, seen: set[int]) -> list[threading.Thread]:
        """Alive threads this window did not see start whose code is a library's
        (an import-time QueueListener, a thread an earlier request made a library start)."""
        current = threading.current_thread()
        main = threading.main_thread()
        found: list[threading.Thread] = []
        for thread in threading.enumerate():
            if thread is current or thread is main or id(thread) in seen:
                continue
            own = thread.__dict__
            root = own.get(ROOT_ATTR, MISSING)
            if root is MISSING:  # a thread's code never changes: classify it once
                root = own[ROOT_ATTR] = thread_root(thread)
            if root is None or self._is_user(root):
                continue  # not a library's thread (the handler's package may be installed: tox)
            if thread.ident in STACKS:
                continue  # a thread inside a window of its own (another attempt)
            ref = own.get(WINDOW_ATTR)
            owner = ref() if ref is not None else None
            if owner is not None and owner is not self and owner._open:
                continue  # another open window's work
            found.append(thread)
        return found

    def _busy_in_user_code(self, frame: types.FrameType | None) -> types.FrameType | None:
        """The innermost user frame of a stack whose inner frames are all library or
        machinery code (None when it is idle in library code or running this package)."""
        cache = self._user_cache
        depth = 0
        while frame is not None and depth < 128:
            filename = frame.f_code.co_filename
            user = cache.get(filename)
            if user is None:
                user = self._is_user(filename)
            if user:
                return frame
            if FILE_KIND.get(filename) == INTERNAL:  # filled in by _is_user
                return None
            frame = frame.f_back
            depth += 1
        return None

    def _busy_leak(self, thread: threading.Thread, frame: types.FrameType) -> Leak | None:
        what, names = describe_thread(thread)
        code = frame.f_code
        qualname = str(getattr(code, "co_qualname", code.co_name))
        module = frame.f_globals.get("__name__")
        running = (qualname, code.co_name, *((f"{module}.{qualname}",) if isinstance(module, str) else ()))
        if self._allowed((*names, *running)):
            return None
        return Leak("busy thread", f"{what} running {short(qualname)}()", loc(code.co_filename, frame.f_lineno),
                    obj=thread)

    def _scan_coroutines(self, task_coros: set[int]) -> Iterator[tuple[int, Leak]]:
        """Coroutines made in the window, never started, still referenced, owned by no task."""
        candidates = [
            o for o in gc.get_objects()
            if type(o) is types.CoroutineType and id(o) not in task_coros and id(o) not in self._preexisting
        ]
        leaks: list[tuple[str, Leak]] = []
        for coro in candidates:
            if coro_state(coro) != inspect.CORO_CREATED:
                continue
            if any(isinstance(r, asyncio.Future) for r in gc.get_referrers(coro)):
                continue  # held by a task made on a loop we don't watch
            qualname, names = coro_names(coro)
            if self._allowed(names):
                continue
            where, _ = self._origin_where(coro)
            leaks.append((where, Leak("never awaited", _text.still_referenced_coroutine(qualname), where, obj=coro)))
        leaks.sort(key=lambda item: (item[0], item[1].what))
        for _, leak in leaks:
            yield self._next_seq(), leak


_PLAIN = (str, int, float, bool, type(None), bytes)


def _awaitables_in(result: object) -> list[tuple[tuple[str, ...], Any]]:
    """Every awaitable or future inside a result, with its path of keys (dicts, lists, tuples, sets; bounded)."""
    found: list[tuple[tuple[str, ...], Any]] = []
    budget = [10_000]

    def walk(value: object, path: tuple[str, ...]) -> None:
        budget[0] -= 1
        if budget[0] < 0 or len(path) > 32 or isinstance(value, _PLAIN):
            return
        if inspect.isawaitable(value) or isinstance(value, concurrent.futures.Future):
            found.append((path, value))
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(item, (*path, repr(key)))
        elif isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                walk(item, (*path, str(index)))
        elif isinstance(value, (set, frozenset)):
            for item in value:
                walk(item, (*path, "..."))

    walk(result, ())
    return found


def _unfinished(record: Record, strict: bool) -> LeakKind | Literal["library thread"] | None:
    """What a piece of work a window saw start left unfinished at return (None: nothing).

    A library's thread still alive is judged later by what it is running; other library
    work counts only in ``strict`` mode."""
    obj = record.obj
    if record.kind == "thread":
        if not obj.is_alive():
            return None
        if isinstance(obj, threading.Timer) and obj.finished.is_set():
            return None  # cancelled: it will not run its function
        return "library thread" if record.library else "alive thread"
    if record.library and not strict:
        return None
    if record.kind == "task":
        if record.dropped or dropped_by_runner(obj):
            return "dropped task"
        return None if obj.done() else "pending task"
    if record.kind == "callback":
        return _unfinished_callback(record)
    return None if obj.done() else "running job"


def _unfinished_callback(record: Record) -> LeakKind | None:
    handle = record.obj
    if handle.cancelled():
        return None
    closed = record.loop.is_closed()
    kind: LeakKind
    if record.dropped or (closed and callback_pending(record.loop, handle)):
        kind = "dropped callback"
    elif not closed and callback_pending(record.loop, handle):
        kind = "pending callback"
    else:
        return None  # it ran
    owner = getattr(record.target, "__self__", None)
    if isinstance(owner, asyncio.Future) and owner.done():
        return None  # it would only act on a future that is already done (a timeout guard)
    return kind
