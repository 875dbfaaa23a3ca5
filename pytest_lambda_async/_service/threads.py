"""The runtime threads handlers run on: supervised, stopped when the test is interrupted, and parked for
the next invoker.

A thread with no event loop running in it, so a handler's ``asyncio.run`` works even when the test
itself runs inside an event loop.  The calling thread supervises it:

- an attempt past its real-time limit gets :class:`AttemptTimedOut` raised inside it (at its next
  Python line); a handler stuck in C code past a grace period is abandoned (:class:`HandlerHung`);
- a caller interrupted while it waits (pytest-timeout's signal, Ctrl-C) or an invoker closed while a
  call runs raises :class:`Stopped` in the thread until the call ends, within a short bound, so a
  spinning handler does not burn CPU for the rest of the session;
- a closed invoker's idle thread is parked, and the next invoker leases it instead of starting one
  (starting a thread was most of a fresh invoker's cost).  A parked thread serves one invoker at a
  time; the thread-locals and context variables its handlers set are dropped when it is parked; at
  process exit the parked threads end.
"""

from __future__ import annotations

import atexit
import contextvars
import ctypes
import queue
import threading
from collections.abc import Callable
from typing import Any

from .clock import AttemptTimedOut, real_monotonic

__all__ = ["HandlerHung", "RuntimeThread", "Stopped", "should_stop"]


class HandlerHung(Exception):
    """The runtime thread did not come back from a handler past its real-time limit."""


class Stopped(BaseException):
    """Raised in a runtime thread to end the call it is in: the test was interrupted while it waited
    (pytest-timeout, Ctrl-C), or the invoker closed.  A BaseException, like the signal it stands for."""


_STOPPING: set[int] = set()  # runtime threads told to stop, by ident


def should_stop() -> bool:
    """True on a runtime thread told to stop: the queue it plays out ends at the next delivery."""
    return bool(_STOPPING) and threading.get_ident() in _STOPPING


class RuntimeThread:
    """One runtime thread, leased by one invoker at a time (:meth:`lease`, :meth:`close`)."""

    GRACE = 1.0  # seconds a handler gets to unwind after the timeout is raised in it
    STOP_WAIT = 1.0  # seconds a stopped call gets to end before its thread is abandoned

    def __init__(self, name: str = "lambda-async-runtime") -> None:
        self._tasks: queue.SimpleQueue[tuple[Callable[[], Any], _Call] | str | None] = queue.SimpleQueue()
        self.abandoned = False
        self.stopped = False  # told to stop: it serves no one again
        self.real_deadline: float | None = None  # set per attempt by the engine
        self._current: _Call | None = None
        self._context = contextvars.Context()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    @classmethod
    def lease(cls) -> RuntimeThread:
        """A parked thread if there is one, else a new one; its handlers start with no context variables."""
        runtime = None
        with _POOL_LOCK:
            while _PARKED and runtime is None:
                runtime = _PARKED.pop()
                if not runtime._thread.is_alive():  # ended while parked: a call to it would never return
                    runtime = None
        if runtime is None:
            return cls()
        runtime._context = contextvars.Context()
        return runtime

    @property
    def ident(self) -> int | None:
        return self._thread.ident

    @property
    def thread(self) -> threading.Thread:
        return self._thread

    def on_thread(self) -> bool:
        return threading.get_ident() == self._thread.ident

    def _serve(self) -> None:
        while True:
            item = self._tasks.get()
            if item is None:
                break
            if isinstance(item, str):  # already parked (_RESET), or to park once the closing call ended (_PARK)
                if item == _RESET:
                    _reset(self)
                    continue
                if _reset(self) and _offer(self):
                    continue
                break
            fn, call = item
            item = None
            done = call.done
            try:
                call.result = self._context.run(fn)
            except BaseException as exc:  # handed back to the caller
                call.error = exc
            finally:
                # An idle thread keeps no invoker alive; its references go before the caller wakes, which
                # leaves the fewest steps between the wake-up and this thread's next wait (its GIL release).
                fn = call = None  # type: ignore[assignment]
                done.set()
            if self.abandoned:
                break
        _STOPPING.discard(threading.get_ident())

    def call(self, fn: Callable[[], Any]) -> Any:
        if self.on_thread():
            return fn()
        call = self._current = _Call()
        self._tasks.put((fn, call))
        try:
            self._supervise(call)
        except HandlerHung:
            raise
        except BaseException:  # the caller was interrupted: do not leave the handler running
            if not call.done.is_set():
                self.stop()
            raise
        if call.error is not None:
            raise call.error
        return call.result

    def _supervise(self, call: _Call) -> None:
        injected_at: float | None = None
        while not call.done.wait(0.05):
            deadline = self.real_deadline
            now = real_monotonic()
            if deadline is None or now < deadline:
                injected_at = None if deadline is None else injected_at
                continue
            if injected_at is None:
                injected_at = now
                self._inject(AttemptTimedOut)
            elif now - injected_at > self.GRACE:
                self.abandoned = True
                _clear_async_exc_flag()
                raise HandlerHung()

    def stop(self) -> bool:
        """End the call in progress and the thread: :class:`Stopped` is raised in it (again, should a handler
        swallow it) until the call ends, within :attr:`STOP_WAIT`.  False if it did not: a handler stuck in
        C code, whose thread is abandoned."""
        ident = self._thread.ident
        if ident is None or self.abandoned:
            return False
        self.stopped = True
        _STOPPING.add(ident)
        call = self._current
        give_up = real_monotonic() + self.STOP_WAIT
        while call is not None and not call.done.is_set():
            if real_monotonic() > give_up:
                self.abandoned = True
                _clear_async_exc_flag()
                return False
            self._inject(Stopped)
            call.done.wait(0.02)
        self._tasks.put(None)
        self._thread.join(self.STOP_WAIT)
        return True

    def end(self, wait: float = 0.1) -> None:
        """End this idle thread (a parked one, at process exit)."""
        self._tasks.put(None)
        self._thread.join(wait)

    def _inject(self, exc_type: type[BaseException]) -> None:
        ident = self._thread.ident
        if ident is not None:
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(exc_type))

    def close(self) -> None:
        """The invoker is done with this thread: park it once idle (stop a call still running first)."""
        if self.abandoned or self.stopped:
            return
        call = self._current
        if call is not None and not call.done.is_set():
            if self.on_thread():  # a handler closed its own invoker: park once the call has ended
                self._tasks.put(_PARK)
            else:
                self.stop()
            return
        # Idle: parked now, from this thread (no hand-off to wait for); the thread drops what the last
        # invoker's handlers left before it runs anything for the next (its task queue is in order).
        self._current = None
        self._tasks.put(_RESET)
        if not _offer(self):
            self._tasks.put(None)


# -- parked threads ----------------------------------------------------------------
_PARK, _RESET = "park", "reset"
_POOL_SIZE = 4  # parked threads kept; more are ended
_POOL_LOCK = threading.Lock()
_PARKED: list[RuntimeThread] = []
_EXITING: list[bool] = []  # set once at process exit: nothing is parked any more


def _offer(runtime: RuntimeThread) -> bool:
    """Park ``runtime`` for the next invoker (False: the pool is full, the process is exiting, or this
    interpreter cannot drop a thread's thread-locals)."""
    if runtime.abandoned or _EXITING or not _LOCALS_CLEARABLE:
        return False
    with _POOL_LOCK:
        if len(_PARKED) >= _POOL_SIZE:
            return False
        _PARKED.append(runtime)
    return True


def _reset(runtime: RuntimeThread) -> bool:
    """On the runtime thread, idle: drop its handlers' thread-locals and context variables."""
    runtime._context = contextvars.Context()
    tstate_dict = _thread_state_dict()
    if tstate_dict is None:
        return False
    for key in [k for k, v in tstate_dict.items() if type(v).__name__ == "_localdummy"]:
        # pop: freeing one local's values can free another local whose entry then goes with it
        tstate_dict.pop(key, None)
    return True


def _locals_clearable() -> bool:
    """CPython 3.10-3.12 keep a thread's values of each ``threading.local`` in its thread-state dict, under
    a per-local key whose value is a ``_localdummy``: deleting the entry frees them.  Newer versions keep
    them elsewhere, and their threads are not reused.  Probed on a local of its own (nothing else is touched)."""
    tstate_dict = _thread_state_dict()
    if tstate_dict is None:
        return False
    before = set(tstate_dict)
    probe = threading.local()
    probe.value = True
    for key in set(tstate_dict) - before:
        if type(tstate_dict[key]).__name__ == "_localdummy":
            del tstate_dict[key]
    return not hasattr(probe, "value")


def _thread_state_dict() -> dict[str, Any] | None:
    get = ctypes.pythonapi.PyThreadState_GetDict
    get.restype = ctypes.c_void_p  # a borrowed reference: as py_object, ctypes would steal it
    get.argtypes = []
    address = get()
    if not address:
        return None
    found = ctypes.cast(address, ctypes.py_object).value  # a new reference of our own
    return found if isinstance(found, dict) else None


_LOCALS_CLEARABLE = _locals_clearable()


@atexit.register
def _end_parked() -> None:
    """At process exit the parked threads end (they are daemon threads; this ends them cleanly)."""
    _EXITING.append(True)
    with _POOL_LOCK:
        parked, _PARKED[:] = list(_PARKED), []
    for runtime in parked:
        runtime.end()


class _FlagReset(BaseException):
    pass


def _clear_async_exc_flag() -> None:
    """Undo the side effect an undelivered async exception has on the whole interpreter.

    Before 3.13, CPython keeps one interpreter-wide "async exception pending" flag that
    only the target thread clears, when it next runs Python code. A handler blocked in
    C never does, and while the flag stays set, code running under ``sys.settrace``
    (Hypothesis reporting a failure, coverage.py on 3.11) spins forever at its next
    function call. Raising one in this thread and catching it clears the flag; the
    abandoned thread keeps its own pending exception and dies with it if it ever wakes,
    as Lambda would have killed it."""
    try:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(threading.get_ident()),
                                                   ctypes.py_object(_FlagReset))
        for _ in range(1_000_000):  # delivered at the first backward jump
            pass
    except _FlagReset:
        return


class _Done:
    """A call's end, as much of ``threading.Event`` as a call needs, on one lock: the waiting caller wakes
    holding it, where an Event's waiter then also needed the Event's condition lock, still held by the
    runtime thread signalling it (a second wake-up on a loaded machine), and each wait made a lock."""

    __slots__ = ("_lock", "_set")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lock.acquire()  # released once, by set()
        self._set = False

    def set(self) -> None:
        self._set = True
        self._lock.release()

    def is_set(self) -> bool:
        return self._set

    def wait(self, timeout: float) -> bool:
        if self._set:
            return True
        if self._lock.acquire(True, timeout):
            self._lock.release()  # for any other waiter (stop() while the caller supervises)
            return True
        return self._set


class _Call:
    __slots__ = ("done", "result", "error")

    def __init__(self) -> None:
        self.done = _Done()
        self.result: Any = None
        self.error: BaseException | None = None
