"""Where work was started and what it is called: the await check's view of code.

Files are user code, a library's, asyncio's machinery or this package's own; frames, coroutines,
callables and threads get the names people read in a leak report and an allow-list matches.
:class:`Record` is one piece of work a window saw start."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import functools
import inspect
import os
import re
import sys
import sysconfig
import threading
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from .. import _text


__all__ = ["Record", "USER_CODE", "file_kind", "user_code_roots"]


# -- where code lives ------------------------------------------------------------------
def norm_dir(path: str) -> str:
    return os.path.normcase(os.path.abspath(path)).rstrip(os.sep) + os.sep


ASYNCIO_DIR = norm_dir(os.path.dirname(asyncio.__file__))
FUTURES_DIR = norm_dir(os.path.dirname(concurrent.futures.__file__))
PACKAGE_DIR = norm_dir(os.path.dirname(os.path.dirname(__file__)))  # the whole package, not only _service/
THREADING_FILE = os.path.normcase(os.path.abspath(threading.__file__))
# Frames that never own work: they only pass a call along.
TRANSPARENT = frozenset(
    os.path.normcase(os.path.abspath(m.__file__)) for m in (functools, contextlib) if m.__file__
)
STDLIB_DIRS = tuple(
    {norm_dir(p) for p in (sysconfig.get_paths().get("stdlib"), sysconfig.get_paths().get("platstdlib")) if p}
)

FILE_KIND: dict[str, int] = {}  # filename -> one of the constants below
USER, LIBRARY, MACHINERY, INTERNAL = 0, 1, 2, 3


def file_kind(filename: str) -> int:
    kind = FILE_KIND.get(filename)
    if kind is None:
        path = os.path.normcase(os.path.abspath(filename)) if not filename.startswith("<") else filename
        if path.startswith(PACKAGE_DIR):
            kind = INTERNAL  # this package: the engine and the window itself
        elif path.startswith((ASYNCIO_DIR, FUTURES_DIR)) or path == THREADING_FILE or path in TRANSPARENT:
            kind = MACHINERY
        elif (
            filename.startswith("<")
            or f"{os.sep}site-packages{os.sep}" in path
            or f"{os.sep}dist-packages{os.sep}" in path
            or path.startswith(STDLIB_DIRS)
        ):
            kind = LIBRARY
        else:
            kind = USER
        FILE_KIND[filename] = kind
    return kind



USER_CODE = USER  # for runtime: which frame an error line names


_STARTER: dict[str, str] = {}


def starter_kind(filename: str) -> str:
    """For Thread.start callers: "pass" (look further out), "machinery" (asyncio or an
    executor starting its own helper thread) or "code"."""
    kind = _STARTER.get(filename)
    if kind is None:
        path = os.path.normcase(os.path.abspath(filename)) if not filename.startswith("<") else filename
        if path.startswith(PACKAGE_DIR) or path == THREADING_FILE or path in TRANSPARENT:
            kind = "pass"
        elif path.startswith((ASYNCIO_DIR, FUTURES_DIR)):
            kind = "machinery"
        else:
            kind = "code"
        _STARTER[filename] = kind
    return kind


_DISPLAY: dict[tuple[str, str], str] = {}


def display(filename: str) -> str:
    """``filename`` relative to the current directory when below it, with forward slashes."""
    cwd = os.getcwd()
    shown = _DISPLAY.get((cwd, filename))
    if shown is None:
        shown = filename
        if not filename.startswith("<"):
            base = norm_dir(cwd)
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
    key = tuple(p for p in paths if isinstance(p, str))
    found = _ROOTS.get(key)
    if found is None:
        roots = [os.path.normcase(os.path.abspath(p)) for p in paths]
        found = () if PACKAGE_DIR.rstrip(os.sep) in roots else \
            tuple(r + os.sep if os.path.isdir(r) else r for r in roots)
        if len(key) == len(paths) and all(os.path.isabs(p) for p in key) and len(_ROOTS) < 1024:
            _ROOTS[key] = found  # a fresh invoker's handler is usually from a module seen before
    return found


# Absolute module paths -> the roots they give (a fresh invoker's first await window asked for them).
_ROOTS: dict[tuple[str, ...], tuple[str, ...]] = {}


MISSING = object()


# -- what the window records ---------------------------------------------------------
@dataclass
class Record:
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
        return loc(*self.site) if self.site is not None else "?"

    def describe(self) -> tuple[str, tuple[str, ...]]:
        """What it is, for people, and the names an allow-list may match."""
        obj = self.obj
        if self.kind == "task":
            coro = obj.get_coro() if hasattr(obj, "get_coro") else None
            qualname, names = coro_names(coro) if coro is not None else (type(obj).__name__, ())
            what = f"task {qualname}()"
            name = obj.get_name() if hasattr(obj, "get_name") else None
            if isinstance(name, str):  # read now: before 3.12 create_task(name=) names it after the factory
                names = (*names, name)
                if not _AUTO_TASK_NAME.match(name):  # Task-N counts up across a run: not deterministic
                    what += f" named {name!r}"
            return what, names
        if self.kind == "job":
            fname, names = callable_name(self.target)
            return _text.executor_job(fname), names
        if self.kind == "callback":
            fname, names = callable_name(self.target)
            if self.delay is None:
                return f"{self.method}({fname})", names
            if self.method == "call_at":
                return f"call_at(loop.time() + {self.delay:.3g}, {fname})", names
            return f"{self.method}({self.delay:.3g}, {fname})", names
        return describe_thread(obj)


def describe_thread(thread: threading.Thread) -> tuple[str, tuple[str, ...]]:
    """What a thread is, for people, and the names an allow-list may match."""
    target = getattr(thread, "_target", None)
    if isinstance(thread, threading.Timer):
        fname, names = callable_name(thread.function)
        what = f"Timer({thread.interval:g}, {fname})"
    elif target is not None:
        fname, names = callable_name(target)
        what = f"Thread(target={fname})"
    else:
        names = (type(thread).__qualname__,)
        what = f"thread {type(thread).__qualname__}"
    if not thread.name.startswith(_AUTO_THREAD_NAME):
        what += f" named {thread.name!r}"
    return what, (*names, thread.name)


ROOT_ATTR = "_lambda_async_root"


def thread_root(thread: threading.Thread) -> str | None:
    """The file of the code a thread runs (its target, or its class's run) when that is a
    library's (stdlib, site-packages), else None: only such threads are judged by their frames."""
    target = getattr(thread, "_target", None)
    code = code_of(target if target is not None else getattr(type(thread), "run", None))
    if code is None or file_kind(code.co_filename) != LIBRARY:
        return None
    return code.co_filename


def code_of(fn: Any) -> types.CodeType | None:
    """The code a callable runs (through partials and bound methods), if it is Python code."""
    for _ in range(8):
        if not isinstance(fn, functools.partial):
            break
        fn = fn.func
    fn = getattr(fn, "__func__", fn)
    code = getattr(fn, "__code__", None)
    return code if isinstance(code, types.CodeType) else None


def loc(filename: str, lineno: int | None) -> str:
    return f"{display(filename)}:{lineno if lineno is not None else '?'}"


def callable_name(fn: Any) -> tuple[str, tuple[str, ...]]:
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
    return short(str(qualname)), tuple(names)


def short(qualname: str) -> str:
    """``outer.<locals>.inner`` -> ``inner``: the nesting is noise in a one-line report."""
    return qualname.rpartition("<locals>.")[2]


def coro_names(coro: Any) -> tuple[str, tuple[str, ...]]:
    qualname = getattr(coro, "__qualname__", None) or type(coro).__qualname__
    names = [str(qualname), str(getattr(coro, "__name__", qualname))]
    frame = getattr(coro, "cr_frame", None)
    if frame is not None:
        module = frame.f_globals.get("__name__")
        if isinstance(module, str):
            names.append(f"{module}.{qualname}")
    return short(str(qualname)), tuple(names)


def coro_state(coro: Any) -> str:
    try:
        return inspect.getcoroutinestate(coro)
    except (AttributeError, TypeError):
        return inspect.CORO_CLOSED


_AUTO_THREAD_NAME = ("Thread-",)
_AUTO_TASK_NAME = re.compile(r"Task-\d+$|None$")
