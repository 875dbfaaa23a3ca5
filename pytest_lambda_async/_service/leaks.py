"""Await checks: did the handler finish the work it started before it returned?

When a Lambda handler returns, the service freezes the environment.  A
coroutine never awaited, a task still pending, a callback still scheduled, a
thread still alive (or a library's thread still busy in the user's code) or an
executor job still running is work that silently never happens (or happens
during some later invocation).  :class:`AwaitWindow` watches one invocation
attempt and lists that work as :class:`Leak` s; :func:`assert_awaits_all` runs
a handler inside one and raises ``UnawaitedWorkError`` (``_checks/awaits.py``).

How (await-detection.md section 2): for the duration of the window the
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
when the last one closes, so nested and concurrent windows compose.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import functools
import gc
import inspect
import os
import re
import sys
import sysconfig
import threading
import types
import warnings
import weakref
from collections.abc import Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, Literal

from .loop import CURRENT_LOOP_ON_MAIN_THREAD
from .records import Leak, LeakKind, Leftovers

__all__ = [
    "AwaitWindow",
    "real_clock_loops",
    "user_code_roots",
]

ORIGIN_DEPTH = 32  # frames of creation site kept per coroutine (aiobotocore needs >= 2)
_NEVER_AWAITED = r"coroutine '.*' was never awaited"
_WINDOW_ATTR = "_lambda_async_window"


# -- where code lives ------------------------------------------------------------------
def _dir(path: str) -> str:
    return os.path.normcase(os.path.abspath(path)).rstrip(os.sep) + os.sep


_ASYNCIO_DIR = _dir(os.path.dirname(asyncio.__file__))
_FUTURES_DIR = _dir(os.path.dirname(concurrent.futures.__file__))
_PACKAGE_DIR = _dir(os.path.dirname(os.path.dirname(__file__)))  # the whole package, not only _service/
_THREADING_FILE = os.path.normcase(os.path.abspath(threading.__file__))
# Frames that never own work: they only pass a call along.
_TRANSPARENT = frozenset(
    os.path.normcase(os.path.abspath(m.__file__)) for m in (functools, contextlib) if m.__file__
)
_STDLIB_DIRS = tuple(
    {_dir(p) for p in (sysconfig.get_paths().get("stdlib"), sysconfig.get_paths().get("platstdlib")) if p}
)

_FILE_KIND: dict[str, int] = {}  # filename -> one of the constants below
_USER, _LIBRARY, _MACHINERY, _INTERNAL = 0, 1, 2, 3


def _file_kind(filename: str) -> int:
    kind = _FILE_KIND.get(filename)
    if kind is None:
        path = os.path.normcase(os.path.abspath(filename)) if not filename.startswith("<") else filename
        if path.startswith(_PACKAGE_DIR):
            kind = _INTERNAL  # this package: the engine and the window itself
        elif path.startswith((_ASYNCIO_DIR, _FUTURES_DIR)) or path == _THREADING_FILE or path in _TRANSPARENT:
            kind = _MACHINERY
        elif (
            filename.startswith("<")
            or f"{os.sep}site-packages{os.sep}" in path
            or f"{os.sep}dist-packages{os.sep}" in path
            or path.startswith(_STDLIB_DIRS)
        ):
            kind = _LIBRARY
        else:
            kind = _USER
        _FILE_KIND[filename] = kind
    return kind


file_kind, USER_CODE = _file_kind, _USER  # for _runtime: which frame an error line names


_STARTER: dict[str, str] = {}


def _starter_kind(filename: str) -> str:
    """For Thread.start callers: "pass" (look further out), "machinery" (asyncio or an
    executor starting its own helper thread) or "code"."""
    kind = _STARTER.get(filename)
    if kind is None:
        path = os.path.normcase(os.path.abspath(filename)) if not filename.startswith("<") else filename
        if path.startswith(_PACKAGE_DIR) or path == _THREADING_FILE or path in _TRANSPARENT:
            kind = "pass"
        elif path.startswith((_ASYNCIO_DIR, _FUTURES_DIR)):
            kind = "machinery"
        else:
            kind = "code"
        _STARTER[filename] = kind
    return kind


_DISPLAY: dict[tuple[str, str], str] = {}


def _display(filename: str) -> str:
    """``filename`` relative to the current directory when below it, with forward slashes."""
    cwd = os.getcwd()
    shown = _DISPLAY.get((cwd, filename))
    if shown is None:
        shown = filename
        if not filename.startswith("<"):
            base = _dir(cwd)
            path = os.path.abspath(filename)
            if os.path.normcase(path).startswith(base):
                shown = path[len(base):].replace(os.sep, "/")
        if len(_DISPLAY) > 4096:
            _DISPLAY.clear()
        _DISPLAY[(cwd, filename)] = shown
    return shown


def user_code_roots(handler: Callable[..., Any]) -> tuple[str, ...]:
    """Paths counted as user code for ``handler`` wherever they are installed.

    Its own top-level package (or module): under tox the package under test
    may sit in site-packages, and its frames must still count as the user's."""
    target = inspect.unwrap(handler)
    module_name = getattr(target, "__module__", None)
    if not isinstance(module_name, str) or module_name == "__main__":
        return ()
    top = sys.modules.get(module_name.partition(".")[0])
    if top is None:
        return ()
    paths = list(getattr(top, "__path__", None) or ())
    file = getattr(top, "__file__", None)
    if not paths and isinstance(file, str):
        paths = [file]
    roots = [os.path.normcase(os.path.abspath(p)) for p in paths]
    if _PACKAGE_DIR.rstrip(os.sep) in roots:
        return ()
    return tuple(r + os.sep if os.path.isdir(r) else r for r in roots)


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


_LOCK = threading.RLock()
_ACTIVE: list[AwaitWindow] = []  # open windows, in the order they were entered
_STACKS: dict[int, list[AwaitWindow]] = {}  # thread ident -> its open windows, innermost last
_REAL_CLOCK_THREADS: set[int] = set()  # threads where new loops read the real clock (assert_awaits_all)
_FILTER: list[Any] = []  # the warnings filter entry we installed


def _current_window() -> AwaitWindow | None:
    """The window events on this thread belong to: the innermost open one, or the one
    that started this thread."""
    if not _ACTIVE:
        return None
    stack = _STACKS.get(threading.get_ident())
    if stack:
        return stack[-1]
    ref = getattr(threading.current_thread(), _WINDOW_ATTR, None)
    window = ref() if ref is not None else None
    return window if window is not None and window._open else None


def _wrap_new_event_loop(previous: Callable[[], asyncio.AbstractEventLoop]) -> Callable[[], asyncio.AbstractEventLoop]:
    def new_event_loop() -> asyncio.AbstractEventLoop:
        if threading.get_ident() in _REAL_CLOCK_THREADS:
            from .loop import new_event_loop as real_clock_loop

            loop: asyncio.AbstractEventLoop = real_clock_loop()
        else:
            loop = previous()
        window = _current_window()
        if window is not None:
            window.track_loop(loop)
        return loop

    new_event_loop.__wrapped__ = previous  # type: ignore[attr-defined]
    return new_event_loop


def _wrap_set_running_loop(previous: Callable[[Any], None]) -> Callable[[Any], None]:
    # A loop made some other way (loop_factory=, at import) is instrumented when it starts.
    def _set_running_loop(loop: Any) -> None:
        previous(loop)
        if loop is not None and _ACTIVE:
            window = _current_window()
            if window is not None and loop not in window._loops:
                window.track_loop(loop)

    return _set_running_loop


def _wrap_cancel_all_tasks(previous: Callable[[Any], None]) -> Callable[[Any], None]:
    # Backstop for tasks made by a foreign factory (not our Task subclass).
    def _cancel_all_tasks(loop: Any) -> None:
        window = _current_window()
        if window is not None:
            window._asyncio_run_shutdown(loop)
        previous(loop)

    return _cancel_all_tasks


def _wrap_thread_start(previous: Callable[[threading.Thread], None]) -> Callable[[threading.Thread], None]:
    def start(self: threading.Thread) -> None:
        window = _current_window()
        if window is not None:
            window._on_thread_start(self, sys._getframe(1))
        previous(self)

    start.__wrapped__ = previous  # type: ignore[attr-defined]
    return start


def _wrap_submit(previous: Callable[..., concurrent.futures.Future[Any]]) -> Callable[..., concurrent.futures.Future[Any]]:
    def submit(self: Any, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        future = previous(self, fn, *args, **kwargs)
        window = _current_window()
        if window is not None:
            window._on_submit(future, fn, sys._getframe(1))
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
            and _ACTIVE
        ):
            window = _current_window() or (_ACTIVE[-1] if _ACTIVE else None)
            while window is not None and window._parent is not None and id(coro) in window._preexisting:
                window = window._parent
            if window is not None:
                window._on_never_awaited(coro)
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


def _install_globals() -> None:
    for hook in _HOOKS:
        hook.install()
    warnings.filterwarnings("error", message=_NEVER_AWAITED, category=RuntimeWarning)
    _FILTER[:] = [warnings.filters[0]]


def _uninstall_globals() -> None:
    for hook in reversed(_HOOKS):
        hook.uninstall()
    for entry in _FILTER:
        with contextlib.suppress(ValueError):
            filters: list[Any] = warnings.filters  # type: ignore[assignment]
            filters.remove(entry)
            _filters_mutated()
    _FILTER.clear()


# -- event loops -----------------------------------------------------------------------
class _TrackedTask(asyncio.Task):  # type: ignore[type-arg]
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


def _dropped_by_runner(task: asyncio.Task[Any]) -> bool:
    who = getattr(task, "_cancelled_by", None)
    return isinstance(who, str) and who.endswith(_RUNNERS_FILE)


class _LoopState:
    __slots__ = ("chained", "users", "installed", "saved", "callbacks")

    def __init__(self, chained: Any) -> None:
        self.chained = chained  # the factory the loop had, or the handler later set
        self.users = 0
        self.installed = False
        self.saved: dict[str, tuple[Any, Any]] = {}  # name -> (instance attribute we covered, our wrapper)
        self.callbacks: list[_Record] = []  # callbacks user code scheduled on the loop, judged at close()


_LOOPS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopState] = weakref.WeakKeyDictionary()


def _task_factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> Any:
    state = _LOOPS.get(loop)
    chained = state.chained if state is not None else None
    if chained is not None:
        task = chained(loop, coro, **kwargs)
    else:
        task = _TrackedTask(coro, loop=loop, **kwargs)
    window = _current_window()
    if window is not None:
        window._on_task(task, sys._getframe(1))
    return task


_MISSING = object()
_SCHEDULERS = ("call_soon", "call_later", "call_at", "call_soon_threadsafe")
_TIMED = frozenset({"call_later", "call_at"})
_NOT_SCHEDULERS = (_MACHINERY, _INTERNAL)  # callers whose callbacks are never the user's work


def _scheduler(loop: asyncio.AbstractEventLoop, method: str, original: Callable[..., Any]) -> Callable[..., Any]:
    """``loop.<method>`` for the window: schedule, then record the handle if user or library
    code (not asyncio's own machinery, the common case) asked for it."""

    def schedule(*args: Any, **kwargs: Any) -> Any:
        handle = original(*args, **kwargs)
        if _ACTIVE:
            frame = sys._getframe(1)
            if _FILE_KIND.get(frame.f_code.co_filename) not in _NOT_SCHEDULERS:  # None: not seen yet
                _on_schedule(loop, method, handle, args, frame)
        return handle

    schedule.__wrapped__ = original  # type: ignore[attr-defined]
    return schedule


def _on_schedule(
    loop: asyncio.AbstractEventLoop, method: str, handle: Any, args: tuple[Any, ...], frame: types.FrameType
) -> None:
    if _file_kind(frame.f_code.co_filename) in _NOT_SCHEDULERS:
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
    window = _current_window()
    if window is None:
        return
    delay: float | None = None
    if timed:
        with contextlib.suppress(TypeError, ValueError):
            delay = float(args[0]) - (loop.time() if method == "call_at" else 0.0)
    record = window._on_callback(handle, callback, method, delay, loop, frame)
    state = _LOOPS.get(loop)
    if state is not None:
        state.callbacks.append(record)


def _callback_pending(loop: Any, handle: asyncio.Handle) -> bool:
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
        if not record.dropped and _callback_pending(loop, record.obj):
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


def _instrument(loop: asyncio.AbstractEventLoop) -> None:
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
        previous = own.get(name, _MISSING)
        if previous is not _MISSING:  # someone's own instance attribute: chain to it
            wrapper = _closer(loop, previous) if name == "close" else _scheduler(loop, name, previous)
        state.saved[name] = (previous, wrapper)
        own[name] = wrapper


def _release(loop: asyncio.AbstractEventLoop) -> None:
    state = _LOOPS.get(loop)
    if state is None:
        return
    state.users -= 1
    if state.users > 0 or not state.installed:
        return
    state.installed = False
    for name in ("set_task_factory", "get_task_factory"):
        with contextlib.suppress(AttributeError, TypeError):
            if name in vars(loop):
                delattr(loop, name)
    own = getattr(loop, "__dict__", {})
    cached = own.get(_WRAPPERS_ATTR, {})
    for name, wrapper in cached.items():
        previous, installed = state.saved.get(name, (_MISSING, wrapper))
        if own.get(name) is not installed:
            continue  # replaced meanwhile (the handler's own attribute): leave it
        if previous is _MISSING:
            del own[name]
        else:
            own[name] = previous
    state.saved.clear()
    state.callbacks.clear()
    if loop.get_task_factory() is _task_factory:
        loop.set_task_factory(state.chained)
    del _LOOPS[loop]


# -- what the window records ---------------------------------------------------------
@dataclass
class _Record:
    """Work started in a window; described (names, paths) only if it turns out to be a leak."""

    seq: int
    kind: Literal["task", "thread", "job", "callback"]
    obj: Any
    site: tuple[str, int | None] | None  # (filename, line) where it was started
    library: bool
    target: Any = None  # an executor job's callable, or a scheduled callback
    dropped: bool = False  # a task asyncio.run cancelled, or a callback its loop's close() discarded
    loop: Any = None  # a callback's loop
    method: str = ""  # a callback's scheduler: call_soon, call_later, call_at, call_soon_threadsafe
    delay: float | None = None  # a timed callback's delay when it was scheduled

    @property
    def where(self) -> str:
        return _loc(*self.site) if self.site is not None else "?"

    def describe(self) -> tuple[str, tuple[str, ...]]:
        """What it is, for people, and the names an allow-list may match."""
        obj = self.obj
        if self.kind == "task":
            coro = obj.get_coro() if hasattr(obj, "get_coro") else None
            qualname, names = _coro_names(coro) if coro is not None else (type(obj).__name__, ())
            what = f"task {qualname}()"
            name = obj.get_name() if hasattr(obj, "get_name") else None
            if isinstance(name, str):  # read now: before 3.12 create_task(name=) names it after the factory
                names = (*names, name)
                if not _AUTO_TASK_NAME.match(name):  # Task-N counts up across a run: not deterministic
                    what += f" named {name!r}"
            return what, names
        if self.kind == "job":
            fname, names = _callable_name(self.target)
            return f"executor job {fname}()", names
        if self.kind == "callback":
            fname, names = _callable_name(self.target)
            if self.delay is None:
                return f"{self.method}({fname})", names
            if self.method == "call_at":
                return f"call_at(loop.time() + {self.delay:.3g}, {fname})", names
            return f"{self.method}({self.delay:.3g}, {fname})", names
        return _describe_thread(obj)


def _describe_thread(thread: threading.Thread) -> tuple[str, tuple[str, ...]]:
    """What a thread is, for people, and the names an allow-list may match."""
    target = getattr(thread, "_target", None)
    if isinstance(thread, threading.Timer):
        fname, names = _callable_name(thread.function)
        what = f"Timer({thread.interval:g}, {fname})"
    elif target is not None:
        fname, names = _callable_name(target)
        what = f"Thread(target={fname})"
    else:
        names = (type(thread).__qualname__,)
        what = f"thread {type(thread).__qualname__}"
    if not thread.name.startswith(_AUTO_THREAD_NAME):
        what += f" named {thread.name!r}"
    return what, (*names, thread.name)


_ROOT_ATTR = "_lambda_async_root"


def _thread_root(thread: threading.Thread) -> str | None:
    """The file of the code a thread runs (its target, or its class's run) when that is a
    library's (stdlib, site-packages), else None: only such threads are judged by their frames."""
    target = getattr(thread, "_target", None)
    code = _code_of(target if target is not None else getattr(type(thread), "run", None))
    if code is None or _file_kind(code.co_filename) != _LIBRARY:
        return None
    return code.co_filename


def _code_of(fn: Any) -> types.CodeType | None:
    """The code a callable runs (through partials and bound methods), if it is Python code."""
    for _ in range(8):
        if not isinstance(fn, functools.partial):
            break
        fn = fn.func
    fn = getattr(fn, "__func__", fn)
    code = getattr(fn, "__code__", None)
    return code if isinstance(code, types.CodeType) else None


def _loc(filename: str, lineno: int | None) -> str:
    return f"{_display(filename)}:{lineno if lineno is not None else '?'}"


def _callable_name(fn: Any) -> tuple[str, tuple[str, ...]]:
    """A readable name for a callable, and the names an allow-list may use for it."""
    for _ in range(8):
        if not isinstance(fn, functools.partial):
            break
        inner = fn.func
        # asyncio.to_thread submits partial(context.run, func, ...): name func, not Context.run.
        if isinstance(getattr(inner, "__self__", None), contextvars.Context) and fn.args:
            fn = fn.args[0]
        else:
            fn = inner
    qualname = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or type(fn).__qualname__
    names = [str(qualname), str(getattr(fn, "__name__", qualname))]
    module = getattr(fn, "__module__", None)
    if isinstance(module, str):
        names.append(f"{module}.{qualname}")
    return _short(str(qualname)), tuple(names)


def _short(qualname: str) -> str:
    """``outer.<locals>.inner`` -> ``inner``: the nesting is noise in a one-line report."""
    return qualname.rpartition("<locals>.")[2]


def _coro_names(coro: Any) -> tuple[str, tuple[str, ...]]:
    qualname = getattr(coro, "__qualname__", None) or type(coro).__qualname__
    names = [str(qualname), str(getattr(coro, "__name__", qualname))]
    frame = getattr(coro, "cr_frame", None)
    if frame is not None:
        module = frame.f_globals.get("__name__")
        if isinstance(module, str):
            names.append(f"{module}.{qualname}")
    return _short(str(qualname)), tuple(names)


def _coro_state(coro: Any) -> str:
    try:
        return inspect.getcoroutinestate(coro)
    except (AttributeError, TypeError):
        return inspect.CORO_CLOSED


_AUTO_THREAD_NAME = ("Thread-",)
_AUTO_TASK_NAME = re.compile(r"Task-\d+$|None$")


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
        self._records: list[_Record] = []
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
            raise RuntimeError("an AwaitWindow is entered once; make a new one per attempt")
        ident = threading.get_ident()
        with _LOCK:
            stack = _STACKS.setdefault(ident, [])
            self._parent = stack[-1] if stack else None
            if _ACTIVE:
                # Another window already froze the heap: remember the coroutines that
                # exist now, so the final scan doesn't blame this window for them.
                self._preexisting = {
                    id(o) for o in gc.get_objects()
                    if type(o) is types.CoroutineType and _coro_state(o) == inspect.CORO_CREATED
                }
                for other in _ACTIVE:
                    if other._thread != ident:
                        other._overlapped = self._overlapped = True
            else:
                _install_globals()
                gc.freeze()  # O(1): the existing heap is parked; the final scan sees the window's objects
            _ACTIVE.append(self)
            stack.append(self)
            self._thread = ident
            self._open = True
        self._previous_depth = sys.get_coroutine_origin_tracking_depth()
        sys.set_coroutine_origin_tracking_depth(max(self._previous_depth, ORIGIN_DEPTH))
        for loop in self._loops:
            _instrument(loop)
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
        with _LOCK:
            if not self._open:
                return
            for loop in self._loops:
                _release(loop)
            self._open = False
            self._closed = True
            stack = _STACKS.get(self._thread, [])
            if self in stack:
                stack.remove(self)
            if not stack:
                _STACKS.pop(self._thread, None)
            if self in _ACTIVE:
                _ACTIVE.remove(self)
            if not _ACTIVE:  # the last window out restores the process
                gc.unfreeze()
                _uninstall_globals()

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
            with _LOCK:
                _instrument(loop)

    def check_result(self, result: object) -> None:
        """Record every awaitable or future inside a handler's result; close coroutines.

        Walks dicts, lists, tuples and sets (bounded).  On AWS such a result fails
        with Runtime.MarshalError."""
        found: list[tuple[tuple[str, ...], Any]] = []
        budget = [10_000]
        plain = (str, int, float, bool, type(None), bytes)

        def walk(value: object, path: tuple[str, ...]) -> None:
            budget[0] -= 1
            if budget[0] < 0 or len(path) > 32 or isinstance(value, plain):
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
        for keys, value in found:
            at = f" at result{''.join(f'[{k}]' for k in keys)}" if keys else ""
            if type(value) is types.CoroutineType:
                qualname, names = _coro_names(value)
                what = f"coroutine {qualname}(){at}"
                where, _ = self._origin_where(value)
                with contextlib.suppress(RuntimeError):
                    value.close()  # it must not warn "never awaited" a second time
                obj: Any = None
            elif isinstance(value, asyncio.Future):
                coro = value.get_coro() if isinstance(value, asyncio.Task) else None
                qualname, names = _coro_names(coro) if coro is not None else (type(value).__name__, ())
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
        for leak in self.leaks:
            obj = leak.obj
            if isinstance(obj, asyncio.Task) and not obj.done():
                tasks.append(obj)
            elif isinstance(obj, threading.Thread) and obj.is_alive() and leak.kind != "busy thread":
                threads.append(obj)  # a busy library thread lives on by design: nothing to wait for
            elif isinstance(obj, concurrent.futures.Future) and not obj.done():
                futures.append(obj)
            elif type(obj) is types.CoroutineType and _coro_state(obj) == inspect.CORO_CREATED:
                coros.append(obj)
        return Leftovers(tuple(tasks), tuple(threads), tuple(futures), tuple(coros))

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
            _cancel_quietly(owner, tasks, timeout)

    # -- events from the hooks -------------------------------------------------------
    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _is_user(self, filename: str) -> bool:
        cached = self._user_cache.get(filename)
        if cached is None:
            kind = _file_kind(filename)
            cached = kind == _USER or (
                kind == _LIBRARY and bool(self.user_code)
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
            if owned_by is None and _file_kind(filename) not in (_MACHINERY, _INTERNAL):
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
                    return _loc(filename, lineno), first_outside is not None and not self._is_user(first_outside[0])
                if first_outside is None and _file_kind(filename) not in (_MACHINERY, _INTERNAL):
                    first_outside = (filename, lineno, _)
            if first_outside is not None:
                return _loc(first_outside[0], first_outside[1]), True
        code = getattr(coro, "cr_code", None)
        if code is not None:  # created where origins weren't recorded: its definition is all we know
            return _loc(code.co_filename, code.co_firstlineno), False
        return "?", False

    def _where_of_record(self, obj: Any) -> str | None:
        for record in self._records:
            if record.obj is obj:
                return record.where
        return None

    def _on_task(self, task: Any, frame: types.FrameType | None) -> None:
        user_owned, site = self._site(frame)
        self._records.append(_Record(self._next_seq(), "task", task, site, not user_owned))

    def _on_thread_start(self, thread: threading.Thread, frame: types.FrameType | None) -> None:
        # Who called start()?  Executor workers and asyncio's helper threads are
        # machinery: an idle worker legitimately outlives a call; judge the jobs.
        f = frame
        while f is not None and _starter_kind(f.f_code.co_filename) == "pass":
            f = f.f_back
        if f is not None and _starter_kind(f.f_code.co_filename) == "machinery":
            return
        user_owned, site = self._site(frame)
        self._records.append(_Record(self._next_seq(), "thread", thread, site, not user_owned))
        with contextlib.suppress(AttributeError):
            setattr(thread, _WINDOW_ATTR, weakref.ref(self))

    def _on_submit(self, future: concurrent.futures.Future[Any], fn: Any, frame: types.FrameType | None) -> None:
        user_owned, site = self._site(frame)
        self._records.append(_Record(self._next_seq(), "job", future, site, not user_owned, target=fn))

    def _on_callback(self, handle: asyncio.Handle, callback: Any, method: str, delay: float | None,
                     loop: asyncio.AbstractEventLoop, frame: types.FrameType | None) -> _Record:
        user_owned, site = self._site(frame)
        record = _Record(self._next_seq(), "callback", handle, site, not user_owned, target=callback,
                         loop=loop, method=method, delay=delay)
        self._records.append(record)
        return record

    def _on_never_awaited(self, coro: Any) -> None:
        qualname, names = _coro_names(coro)
        where, _ = self._origin_where(coro)
        with contextlib.suppress(RuntimeError):
            coro.close()  # resurrected by the hook: mark it finished so no scan finds it again
        if not self._allowed(names):
            self._never_awaited.append((self._next_seq(), Leak("never awaited", f"coroutine {qualname}()", where)))

    def _asyncio_run_shutdown(self, loop: Any) -> None:
        for record in self._records:
            task = record.obj
            if (
                record.kind == "task" and not isinstance(task, _TrackedTask)
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
        library_threads: list[_Record] = []
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
            kind: LeakKind
            if record.kind == "thread":
                if not obj.is_alive():
                    continue
                if isinstance(obj, threading.Timer) and obj.finished.is_set():
                    continue  # cancelled: it will not run its function
                if record.library:
                    library_threads.append(record)  # judged below by what it is running now
                    continue
                kind = "alive thread"
            elif record.library and not self.strict:
                continue
            elif record.kind == "task":
                if record.dropped or _dropped_by_runner(obj):
                    kind = "dropped task"
                elif not obj.done():
                    kind = "pending task"
                else:
                    continue
            elif record.kind == "callback":
                if obj.cancelled():
                    continue
                closed = record.loop.is_closed()
                if record.dropped or (closed and _callback_pending(record.loop, obj)):
                    kind = "dropped callback"
                elif not closed and _callback_pending(record.loop, obj):
                    kind = "pending callback"
                else:
                    continue  # it ran
                owner = getattr(record.target, "__self__", None)
                if isinstance(owner, asyncio.Future) and owner.done():
                    continue  # it would only act on a future that is already done (a timeout guard)
            else:
                if obj.done():
                    continue
                kind = "running job"
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

    def _judge_library_threads(self, records: list[_Record], seen: set[int]) -> Iterator[tuple[int, Leak]]:
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
            root = own.get(_ROOT_ATTR, _MISSING)
            if root is _MISSING:  # a thread's code never changes: classify it once
                root = own[_ROOT_ATTR] = _thread_root(thread)
            if root is None or self._is_user(root):
                continue  # not a library's thread (the handler's package may be installed: tox)
            if thread.ident in _STACKS:
                continue  # a thread inside a window of its own (another attempt)
            ref = own.get(_WINDOW_ATTR)
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
            if _FILE_KIND.get(filename) == _INTERNAL:  # filled in by _is_user
                return None
            frame = frame.f_back
            depth += 1
        return None

    def _busy_leak(self, thread: threading.Thread, frame: types.FrameType) -> Leak | None:
        what, names = _describe_thread(thread)
        code = frame.f_code
        qualname = str(getattr(code, "co_qualname", code.co_name))
        module = frame.f_globals.get("__name__")
        running = (qualname, code.co_name, *((f"{module}.{qualname}",) if isinstance(module, str) else ()))
        if self._allowed((*names, *running)):
            return None
        return Leak("busy thread", f"{what} running {_short(qualname)}()", _loc(code.co_filename, frame.f_lineno),
                    obj=thread)

    def _scan_coroutines(self, task_coros: set[int]) -> Iterator[tuple[int, Leak]]:
        """Coroutines made in the window, never started, still referenced, owned by no task."""
        candidates = [
            o for o in gc.get_objects()
            if type(o) is types.CoroutineType and id(o) not in task_coros and id(o) not in self._preexisting
        ]
        leaks: list[tuple[str, Leak]] = []
        for coro in candidates:
            if _coro_state(coro) != inspect.CORO_CREATED:
                continue
            if any(isinstance(r, asyncio.Future) for r in gc.get_referrers(coro)):
                continue  # held by a task made on a loop we don't watch
            qualname, names = _coro_names(coro)
            if self._allowed(names):
                continue
            where, _ = self._origin_where(coro)
            leaks.append((where, Leak("never awaited", f"coroutine {qualname}() (still referenced)", where, obj=coro)))
        leaks.sort(key=lambda item: (item[0], item[1].what))
        for _, leak in leaks:
            yield self._next_seq(), leak


def _mute(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    return None


def _cancel_quietly(loop: asyncio.AbstractEventLoop, tasks: list[asyncio.Task[Any]], timeout: float) -> None:
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


@contextlib.contextmanager
def real_clock_loops() -> Iterator[None]:
    """Event loops this thread makes inside the block read the real clock (the await check's own runs)."""
    ident = threading.get_ident()
    _REAL_CLOCK_THREADS.add(ident)
    try:
        yield
    finally:
        _REAL_CLOCK_THREADS.discard(ident)
