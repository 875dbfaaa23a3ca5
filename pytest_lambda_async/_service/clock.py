"""The invoker's virtual clock, and freezegun switched on while handlers run.

freezegun is the library that makes ``datetime.now()``/``time.time()`` read the
virtual clock.  Starting it is expensive (it scans every loaded module, ~7 ms
with boto3 and moto loaded) but starting it *nested* inside an already active
freezer costs ~5 us.  So the clock keeps one outer freezer for as long as the
invoker is "held" (the ``lambda_invoker`` fixture, ``with LambdaInvoker()``),
ticking along with real time so code outside attempts sees (about) the real
time, and every attempt pushes a cheap nested freezer at virtual time.
"""

from __future__ import annotations

import datetime as _dt
import sys
import threading
import time as _time
from collections.abc import Callable
from typing import Any

__all__ = ["VirtualClock", "real_monotonic", "real_sleep", "real_time", "utc_now"]


def _real(name: str) -> Callable[..., Any]:
    # If freezegun is already active when we are imported, time.* are fakes:
    # freezegun keeps the originals in freezegun.api.real_<name>.
    fz = sys.modules.get("freezegun.api")
    fn = getattr(fz, f"real_{name}", None) if fz is not None else None
    return fn if fn is not None else getattr(_time, name)  # type: ignore[no-any-return]


# Kept in a dict, not as module attributes: freezegun's start() replaces every
# module attribute that *is* a real clock function, which would turn these
# into the fakes they exist to avoid.
_REAL: dict[str, Callable[..., Any]] = {n: _real(n) for n in ("monotonic", "time", "sleep")}


def real_monotonic() -> float:
    """The real monotonic clock, even while freezegun is active."""
    return _REAL["monotonic"]()  # type: ignore[no-any-return]


def real_time() -> float:
    """The real wall clock, even while freezegun is active."""
    return _REAL["time"]()  # type: ignore[no-any-return]


def real_sleep(seconds: float) -> None:
    """A real sleep, even while an attempt has time.sleep on the virtual clock."""
    _REAL["sleep"](seconds)


UTC = _dt.timezone.utc


def utc_now() -> _dt.datetime:
    """The current instant, as freezegun sees it if the user froze time."""
    # Looked up through the module at call time so a user's freeze_time applies.
    return _dt.datetime.now(UTC)


class AttemptTimedOut(BaseException):
    """Raised inside a handler whose attempt ran past its timeout (PY-6).

    A BaseException so a handler's ``except Exception`` cannot swallow it, as
    nothing in the handler can stop Lambda from ending the attempt."""


class VirtualClock:
    """Virtual time that only moves forward, with freezegun kept in step."""

    def __init__(self, start: _dt.datetime | None = None) -> None:
        start = utc_now() if start is None else start
        self._now = start.astimezone(UTC) if start.tzinfo else start.replace(tzinfo=UTC)
        self.t0 = self._now
        self._outer: Any = None  # freezegun freezer held between attempts
        self._active: list[Any] = []  # stack of (freezer, factory)
        self._lock = threading.RLock()
        # While an attempt runs: its thread, deadline and the callback to end it.
        self.attempt_thread: int | None = None
        self.attempt_deadline: _dt.datetime | None = None
        self._timed_out = False

    # -- reading and moving --------------------------------------------------
    @property
    def now(self) -> _dt.datetime:
        return self._now

    def monotonic(self) -> float:
        """Seconds since t0 on the virtual clock (for event loops)."""
        return (self._now - self.t0).total_seconds()

    def advance_to(self, when: _dt.datetime) -> None:
        if when < self._now:
            raise ValueError(
                f"the virtual clock only moves forward: it reads {self._now.isoformat()}, "
                f"cannot go back to {when.isoformat()}"
            )
        delta = when - self._now
        self._now = when
        for _freezer, factory in self._active:
            factory.tick(delta)

    def advance(self, seconds: float | _dt.timedelta) -> None:
        delta = seconds if isinstance(seconds, _dt.timedelta) else _dt.timedelta(seconds=seconds)
        if delta < _dt.timedelta(0):
            raise ValueError(f"advance() takes a duration >= 0, got {seconds!r}: the virtual clock only moves forward")
        self.advance_to(self._now + delta)

    # -- sleeping inside an attempt -------------------------------------------
    def sleep_in_attempt(self, seconds: float) -> None:
        """A handler's sleep: jump the virtual clock, ending the attempt at its deadline."""
        seconds = max(0.0, float(seconds))
        deadline = self.attempt_deadline
        target = self._now + _dt.timedelta(seconds=seconds)
        if deadline is not None and target >= deadline and not self._timed_out:
            self.advance_to(max(deadline, self._now))
            self._timed_out = True
            raise AttemptTimedOut()
        self.advance_to(target)

    def begin_attempt(self, deadline: _dt.datetime) -> None:
        self.attempt_thread = threading.get_ident()
        self.attempt_deadline = deadline
        self._timed_out = False

    def end_attempt(self) -> bool:
        """Close the attempt window; True when it ran past its deadline."""
        timed_out = self._timed_out or (
            self.attempt_deadline is not None and self._now >= self.attempt_deadline
        )
        self.attempt_thread = None
        self.attempt_deadline = None
        self._timed_out = False
        return timed_out

    def mark_timed_out(self) -> None:
        self._timed_out = True

    # -- freezegun ------------------------------------------------------------
    def hold(self) -> None:
        """Start the outer (real-time, ticking) freezer, once, so attempts nest cheaply.

        While held, code outside attempts reads freezegun's ticking clock: the
        real wall time, and a ``time.monotonic()`` that counts from the epoch.
        Durations measured entirely inside the hold are right; one that spans
        its start is not, so the fixture holds from set-up to teardown."""
        with self._lock:
            if self._outer is None and not _freezegun_active():
                from freezegun import freeze_time

                # pytest's own modules are left out of the scan, so its timings stay real.
                self._outer = freeze_time(utc_now(), tick=True, real_asyncio=True, ignore=list(_HOLD_IGNORE))
                self._outer.start()

    def release(self) -> None:
        with self._lock:
            if self._outer is not None:
                outer, self._outer = self._outer, None
                outer.stop()

    def freeze(self) -> Callable[[], None]:
        """Make freezegun read the virtual clock; returns the (idempotent) undo.

        Explicit rather than a ``with`` block because a hung handler's thread may
        never unwind: the invoker then undoes it from the supervising thread."""
        from freezegun import freeze_time

        # A naive UTC instant: freezegun treats naive values as UTC.  Hypothesis keeps real time
        # (its deadlines and shrink budget are about the real run), and leaving its modules out of
        # the outermost start's module scan makes that start cheaper (4.6 -> 3.9 ms, bench.py's imports).
        freezer = freeze_time(self._now.replace(tzinfo=None), real_asyncio=True,
                              ignore=list(_REAL_TIME_LIBRARIES))
        factory = freezer.start()
        entry = (freezer, factory)
        self._active.append(entry)
        original_sleep = _time.sleep
        if len(self._active) == 1:
            setattr(_time, "sleep", self._patched_sleep(original_sleep))
        undone = False

        def undo() -> None:
            nonlocal undone
            with self._lock:
                if undone:
                    return
                undone = True
                if entry in self._active:
                    self._active.remove(entry)
                if not self._active:
                    setattr(_time, "sleep", original_sleep)
                freezer.stop()

        return undo

    def _patched_sleep(self, original: Callable[[float], None]) -> Callable[[float], None]:
        def sleep(seconds: float) -> None:
            if threading.get_ident() == self.attempt_thread:
                self.sleep_in_attempt(seconds)
            else:
                original(seconds)

        sleep.__wrapped__ = original  # type: ignore[attr-defined]
        return sleep


_REAL_TIME_LIBRARIES = ("hypothesis",)  # modules whose time reads stay real inside attempts' freezers too
_HOLD_IGNORE = ("_pytest", "pytest", "pluggy", "xdist", "execnet", *_REAL_TIME_LIBRARIES)


def _freezegun_active() -> bool:
    fz = sys.modules.get("freezegun.api")
    return bool(fz is not None and getattr(fz, "freeze_factories", None))
