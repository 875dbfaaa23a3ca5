"""The invoker's virtual clock, and which clock each thread reads.

Handlers read the virtual clock; the test reads its own (docs/how-to/invoker.md,
"Which clock each side reads").  The switch is by thread:

- while the invoker plays attempts out on its runtime thread (a *window*: one
  ``run()``, ``advance()`` or sync ``invoke()``), that thread, and the threads
  started while a window is open, read the window's virtual clock;
- every other thread (the test's, pytest's, xdist's) reads what it would read
  without the invoker: the real clock, or the user's freezegun or time-machine
  clock.

How: freezegun's fakes (``FakeDatetime``, ``fake_time``, ``fake_monotonic``...)
are in place only while a window is open, and freezegun's two look-ups,
``_should_use_real_time`` and ``get_current_time``, are swapped meanwhile for
ones that ask which thread is reading.  freezegun's own outermost ``start()``
scans every loaded module for ``from time import monotonic``-style bindings
(4-20 ms with boto3 and moto loaded); here each module is scanned once and its
bindings re-patched per window, in microseconds (``benchmarks/bench.py``).
Between windows nothing is patched: the user's ``freeze_time`` starts as it
would anyway, and time-machine (which refuses to start under freezegun) works.
"""

from __future__ import annotations

import copyreg
import datetime as _dt
import sys
import threading
import time as _time
import warnings
import weakref
from collections.abc import Callable
from types import ModuleType
from typing import Any

__all__ = ["VirtualClock", "real_monotonic", "real_sleep", "real_time", "user_time_tools_active", "utc_now"]


def _real(name: str) -> Callable[..., Any]:
    # If freezegun is already active when we are imported, time.* are fakes:
    # freezegun keeps the originals in freezegun.api.real_<name>.
    fz = sys.modules.get("freezegun.api")
    fn = getattr(fz, f"real_{name}", None) if fz is not None else None
    return fn if fn is not None else getattr(_time, name)  # type: ignore[no-any-return]


# Kept in a dict, not as module attributes: a freezegun scan replaces every
# module attribute that *is* a real clock function, which would turn these
# into the fakes they exist to avoid.
_REAL: dict[str, Callable[..., Any]] = {n: _real(n) for n in ("monotonic", "time", "sleep")}


def real_monotonic() -> float:
    """The real monotonic clock, on any thread (time-machine leaves it alone too)."""
    return _REAL["monotonic"]()  # type: ignore[no-any-return]


def real_time() -> float:
    """The test's wall clock, on any thread: real, or time-machine's if the test travelled."""
    return _REAL["time"]()  # type: ignore[no-any-return]


def real_sleep(seconds: float) -> None:
    """A real sleep, even on an attempt's thread (where time.sleep jumps the virtual clock)."""
    _REAL["sleep"](seconds)


UTC = _dt.timezone.utc
_ZERO = _dt.timedelta(0)


def utc_now() -> _dt.datetime:
    """The reading thread's clock: the test's (real, or frozen or travelled by the user), or the
    virtual clock on a thread in an attempt window."""
    # Looked up through the module at call time, so freezegun's FakeDatetime applies.
    return _dt.datetime.now(UTC)


def user_time_tools_active() -> bool:
    """True while the user has time frozen (freezegun) or travelled (time-machine)."""
    fz = sys.modules.get("freezegun.api")
    if fz is not None and fz.freeze_factories and any(type(f) is not _Factory for f in fz.freeze_factories):
        return True
    hatch = getattr(sys.modules.get("time_machine"), "escape_hatch", None)
    return bool(hatch is not None and hatch.is_travelling())


class AttemptTimedOut(BaseException):
    """Raised inside a handler whose attempt ran past its timeout (PY-6).

    A BaseException so a handler's ``except Exception`` cannot swallow it, as
    nothing in the handler can stop Lambda from ending the attempt."""


class VirtualClock:
    """Virtual time that only moves forward.

    Without ``start``, it starts at the test's clock (:func:`utc_now`) the first
    time it is read, and each later read from the test's side, while the user
    has time frozen or travelled to a later instant, first moves it forward to
    that instant.  With ``start``, only the invoker moves it."""

    def __init__(self, start: _dt.datetime | None = None) -> None:
        self._follows_test = start is None
        self._started = start is not None
        first = _aware(start) if start is not None else _dt.datetime(1970, 1, 1, tzinfo=UTC)
        self._now = first
        self._t0 = first
        self._frontier = first  # the latest time reached while concurrent attempts set the clock back
        self._windows = 0  # attempt windows open on this clock (reads there are virtual time only)
        self._lock = threading.RLock()
        # While an attempt runs: its thread, deadline and the callback to end it.
        self.attempt_thread: int | None = None
        self.attempt_deadline: _dt.datetime | None = None
        self._timed_out = False

    # -- reading and moving --------------------------------------------------
    @property
    def now(self) -> _dt.datetime:
        if self._windows or not self._follows_test:
            return self._now
        return self._follow_test()

    def read(self) -> _dt.datetime:
        """:attr:`now` as a callable (contexts count down on it)."""
        return self.now

    @property
    def t0(self) -> _dt.datetime:
        if not self._started:
            self._follow_test()
        return self._t0

    def _follow_test(self) -> _dt.datetime:
        """A read from the test's side: start at the test's clock, or catch up with a frozen/travelled one."""
        if not self._started:
            with self._lock:
                if not self._started:
                    self._now = self._t0 = _aware(utc_now())
                    self._started = True
        elif user_time_tools_active():
            test_now = utc_now()
            if test_now > self._now:
                with self._lock:
                    if not self._windows and test_now > self._now:
                        self._now = _aware(test_now)
        return self._now

    def naive(self) -> _dt.datetime:
        """The virtual time as freezegun's factories give it: naive UTC."""
        return self._now.replace(tzinfo=None)

    def monotonic(self) -> float:
        """Seconds since t0 on the virtual clock (for event loops)."""
        return (self._now - self._t0).total_seconds()

    def advance_to(self, when: _dt.datetime) -> None:
        now = self.now
        if when < now:
            raise ValueError(
                f"the virtual clock only moves forward: it reads {now.isoformat()}, "
                f"cannot go back to {when.isoformat()}"
            )
        self._now = when

    def start_at(self, when: _dt.datetime) -> None:
        """Set the clock to an attempt's start, earlier than now if that attempt runs alongside those
        already played out (concurrent environments, Q-1); :meth:`settle` then brings it back to the
        latest time reached.  Only the invoker's queue does this, on the runtime thread."""
        with self._lock:
            if self._now > self._frontier:
                self._frontier = self._now
            self._now = when

    def settle(self) -> None:
        """After a drain: the clock reads the latest time any attempt reached (it never goes back)."""
        with self._lock:
            if self._frontier > self._now:
                self._now = self._frontier

    def advance(self, seconds: float | _dt.timedelta) -> None:
        delta = seconds if isinstance(seconds, _dt.timedelta) else _dt.timedelta(seconds=seconds)
        if delta < _dt.timedelta(0):
            raise ValueError(f"advance() takes a duration >= 0, got {seconds!r}: the virtual clock only moves forward")
        self.advance_to(self.now + delta)

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

    # -- the window -----------------------------------------------------------
    def freeze(self) -> Callable[[], None]:
        """Open an attempt window on this thread; returns the (idempotent) undo.

        Until the undo, this thread and the threads started meanwhile read this
        clock.  Explicit rather than a ``with`` block because a hung handler's
        thread may never unwind: the invoker then undoes it from the
        supervising thread."""
        self.now  # noqa: B018 - start the clock, read on this thread before it switches over
        with self._lock:
            self._windows += 1
        try:
            close = _SWITCH.open(self)
        except BaseException:
            with self._lock:
                self._windows -= 1
            raise
        undone = False

        def undo() -> None:
            nonlocal undone
            with self._lock:
                if undone:
                    return
                undone = True
                self._windows -= 1
            close()

        return undo


def _aware(when: _dt.datetime) -> _dt.datetime:
    return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)


# -- the switch ---------------------------------------------------------------------
_REAL_TIME_LIBRARIES = ("hypothesis",)  # modules whose time reads stay real inside windows too

# freezegun's real objects and its fakes, by their names in freezegun.api (1.5.x)
_PAIRS = (("real_date", "FakeDate"), ("real_datetime", "FakeDatetime"), ("real_gmtime", "fake_gmtime"),
          ("real_localtime", "fake_localtime"), ("real_monotonic", "fake_monotonic"),
          ("real_perf_counter", "fake_perf_counter"), ("real_strftime", "fake_strftime"),
          ("real_time", "fake_time"), ("real_time_ns", "fake_time_ns"),
          ("real_monotonic_ns", "fake_monotonic_ns"), ("real_perf_counter_ns", "fake_perf_counter_ns"))
_TIME_NAMES = ("time", "monotonic", "perf_counter", "localtime", "gmtime", "strftime",
               "time_ns", "monotonic_ns", "perf_counter_ns")


class _Factory:
    """A window's entry in freezegun's stack of time factories: its virtual clock."""

    __slots__ = ("clock",)

    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock

    def __call__(self) -> _dt.datetime:
        return self.clock.naive()


def _real_loop_time(self: Any) -> float:
    return real_monotonic()


def _modules_mark() -> tuple[int, str | None, int]:
    """Changes when a module is imported, re-imported or dropped (the count changes or the last-inserted
    key moves).  A module swapped in place with nothing imported meanwhile goes unseen; a package that
    swaps itself in does so while it is being imported, when the count has changed too."""
    modules = sys.modules
    try:
        last = next(reversed(modules))
    except (StopIteration, RuntimeError):  # empty, or changed by another thread meanwhile
        return (-1, None, 0)
    return (len(modules), last, id(modules.get(last)))


class _Sites:
    """Module attributes bound to a real time function (``from time import monotonic``,
    ``from datetime import datetime``), found with freezegun's own per-module scan: each
    module once, and again only when it is replaced in ``sys.modules``."""

    def __init__(self) -> None:
        self._modules: dict[str, tuple[Any, tuple[tuple[str, Any], ...]]] = {}
        self.flat: list[tuple[ModuleType, str, Any]] = []
        self._mark: tuple[int, str | None, int] = (-1, None, 0)
        self._ignore: tuple[str, ...] = ()

    def before_window(self, fz: Any, ignore: tuple[str, ...]) -> None:
        """Scan the modules loaded since the last look (no fakes are in place now)."""
        if ignore != self._ignore:
            self._modules.clear()
            self._ignore = ignore
            self._mark = (-1, None, 0)
        mark = _modules_mark()
        if mark != self._mark:
            self._update(lambda module: fz._get_cached_module_attributes(module))
            self._mark = mark

    def after_window(self, fz: Any, reals: dict[int, Any]) -> None:
        """Modules loaded during the window took the fakes: put the real functions back."""
        mark = _modules_mark()
        if mark == self._mark:
            return

        def scan(module: ModuleType) -> list[tuple[str, Any]]:
            found = []
            for attr, value in fz._get_module_attributes(module):
                real = reals.get(id(value))
                if real is not None:
                    setattr(module, attr, real)
                    found.append((attr, real))
                elif id(value) in fz._real_time_object_ids:
                    found.append((attr, value))
            return found

        self._update(scan)
        self._mark = mark

    def _update(self, scan: Callable[[ModuleType], list[tuple[str, Any]]]) -> None:
        known = self._modules
        current = list(sys.modules.items())
        changed = False
        with warnings.catch_warnings():  # as freezegun scans: reading some attributes warns (typing.io)
            warnings.simplefilter("ignore")
            for name, module in current:
                entry = known.get(name)
                if entry is not None and entry[0] is module:
                    continue
                changed = True
                known[name] = (module, () if _skipped(name, module, self._ignore) else tuple(scan(module)))
        if len(known) > len(current):  # forget modules dropped from sys.modules (pytester does)
            names = {name for name, _ in current}
            for name in [n for n in known if n not in names]:
                del known[name]
            changed = True
        if changed:
            self.flat = [(module, attr, real) for module, sites in known.values() for attr, real in sites]


def _skipped(name: str, module: Any, ignore: tuple[str, ...]) -> bool:
    """The modules freezegun's start() leaves alone (the same tests, in the same order)."""
    if not isinstance(name, str) or module is None or name == "freezegun.api":
        return True
    if name.startswith(ignore) or name.endswith(".six.moves"):
        return True
    return not hasattr(module, "__name__") or module.__name__ in ("datetime", "time")


class _Switch:
    """Which threads read which virtual clock; freezegun's fakes while any window is open."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: list[tuple[int, VirtualClock, _Factory]] = []  # open, oldest first
        self._threads: dict[int, VirtualClock] = {}  # runtime thread -> its open window's clock
        # Threads that keep the test's clock: those alive when the first window opened, by ident, with
        # their Thread (an ident is reused as soon as its thread ends), or None for one threading never saw.
        self._outside: dict[int, threading.Thread | None] = {}
        self._runtimes: set[int] = set()
        self._born: weakref.WeakSet[threading.Thread] = weakref.WeakSet()  # started during windows
        self._base = 0  # the user's freezers, under the windows' entries in freezegun's stacks
        self._ignore: tuple[str, ...] = ()
        self._saved: list[tuple[Any, str, Any]] = []  # (owner, attribute, value before the windows)
        self._installed = False  # the fakes went in with the first window (no user freezer was active)
        self._patched: list[tuple[ModuleType, str, Any, Any]] = []  # (module, attribute, real, fake)
        self._previous_sleep: Callable[[float], None] = _time.sleep
        self._sites = _Sites()
        self._fakes: _Fakes | None = None
        self.fz: Any = None

    # -- what a thread reads ----------------------------------------------------
    def clock_of(self, ident: int) -> VirtualClock | None:
        clock = self._threads.get(ident)
        if clock is not None:
            return clock
        outside = self._outside
        if ident in outside:
            owner = outside[ident]
            if owner is None or threading.current_thread() is owner:
                return None
        try:  # a thread started while a window is open: the newest window's clock
            return self._windows[-1][1]
        except IndexError:
            return None

    def should_use_real_time(self) -> bool:
        """freezegun's ``_should_use_real_time``, asked per thread (called by its fakes, by name)."""
        fz = self.fz
        ignore_lists = fz.ignore_lists
        if self.clock_of(threading.get_ident()) is not None:
            if not ignore_lists:
                return True
            ignore = ignore_lists[-1]  # the window's (or a freezer the handler started in it)
        elif self._base:
            ignore = ignore_lists[self._base - 1]  # the user's freezer: decide as freezegun would
        else:
            return True  # no one froze this thread's time
        limit = fz.call_stack_inspection_limit
        if not limit or not ignore:
            return False
        try:
            frame: Any = sys._getframe(2)  # the fake's caller, as in freezegun
        except ValueError:
            return False
        for _ in range(limit):
            name = frame.f_globals.get("__name__")
            if name and name.startswith(ignore):
                return True
            frame = frame.f_back
            if frame is None:
                break
        return False

    def get_current_time(self) -> _dt.datetime:
        """freezegun's ``get_current_time``, asked per thread (``FakeDatetime.now`` and the fakes call it)."""
        fz = self.fz
        clock = self.clock_of(threading.get_ident())
        if clock is not None:
            top = fz.freeze_factories[-1]
            if type(top) is _Factory:
                return clock.naive()
            return top()  # type: ignore[no-any-return]  # a freezer the handler started in the window
        if self._base:
            return fz.freeze_factories[self._base - 1]()  # type: ignore[no-any-return]
        return fz.real_datetime.now(UTC).replace(tzinfo=None)  # type: ignore[no-any-return]

    def _sleep(self, seconds: float) -> None:
        """``time.sleep`` while a window is open: an attempt's own thread jumps its virtual clock."""
        ident = threading.get_ident()
        clock = self._threads.get(ident)
        if clock is not None and clock.attempt_thread == ident:
            clock.sleep_in_attempt(seconds)
        else:
            self._previous_sleep(seconds)

    # -- opening and closing windows ---------------------------------------------
    def open(self, clock: VirtualClock) -> Callable[[], None]:
        """Make this thread read ``clock`` until the returned close (called once)."""
        fz = self.fz
        if fz is None:
            import freezegun.api as fz

            self.fz = fz
        ident = threading.get_ident()
        factory = _Factory(clock)
        with self._lock:
            if not self._windows:
                self._first_window(fz)
            fz.freeze_factories.append(factory)
            fz.tz_offsets.append(_ZERO)
            fz.ignore_lists.append(self._ignore)
            fz.tick_flags.append(False)
            previous = self._threads.get(ident)
            self._threads[ident] = clock
            self._runtimes.add(ident)
            if ident in self._outside:  # a runtime thread that was idle when the first window opened
                self._outside = {i: t for i, t in self._outside.items() if i != ident}
            window = (ident, clock, factory)
            self._windows.append(window)

        def close() -> None:
            with self._lock:
                self._windows[:] = [w for w in self._windows if w is not window]
                if previous is None:
                    self._threads.pop(ident, None)
                else:
                    self._threads[ident] = previous
                stacks = (fz.freeze_factories, fz.tz_offsets, fz.ignore_lists, fz.tick_flags)
                for i in range(len(fz.freeze_factories) - 1, -1, -1):
                    if fz.freeze_factories[i] is factory:
                        for stack in stacks:
                            del stack[i]
                        break
                if not self._windows:
                    self._last_window()

        return close

    def _first_window(self, fz: Any) -> None:
        fakes = self._fakes
        if fakes is None or fakes.fz is not fz:
            fakes = self._fakes = _Fakes(fz)
        self._ignore = (*_REAL_TIME_LIBRARIES, *fakes.config.settings.default_ignore_list)
        born = {t.ident for t in self._born if t.is_alive()}
        outside: dict[int, threading.Thread | None] = {
            t.ident: t for t in threading.enumerate() if t.ident is not None and t.ident not in born}
        for ident in sys._current_frames():
            if ident not in born:
                outside.setdefault(ident, None)
        self._outside = outside
        self._runtimes = set()
        self._base = len(fz.freeze_factories)
        saved: list[tuple[Any, str, Any]] = []
        self._saved = saved
        self._installed = not fz.freeze_factories  # else the user's freezer put freezegun's fakes in place
        if self._installed:
            self._install_fakes(fz, fakes, saved)
        self._previous_sleep = _time.sleep
        for owner, name, value in ((fz, "_should_use_real_time", self.should_use_real_time),
                                   (fz, "get_current_time", self.get_current_time), (_time, "sleep", self._sleep)):
            saved.append((owner, name, getattr(owner, name, None)))
            setattr(owner, name, value)

    def _last_window(self) -> None:
        saved, self._saved = self._saved, []
        for owner, name, value in reversed(saved):
            setattr(owner, name, value)
        if self._installed:
            self._installed = False
            for module, attr, real, fake in self._patched:
                if getattr(module, attr, None) is fake:
                    setattr(module, attr, real)
            self._patched = []
            fakes = self._fakes
            assert fakes is not None
            table = copyreg.dispatch_table
            table.pop(fakes.fz.real_datetime, None)
            table.pop(fakes.fz.real_date, None)
            self._sites.after_window(fakes.fz, fakes.reals)
        outside, runtimes = self._outside, self._runtimes
        for thread in threading.enumerate():  # started during windows: virtual in later ones too
            if thread.ident not in runtimes and outside.get(thread.ident or 0) is not thread:
                self._born.add(thread)
        self._outside = {}

    def _install_fakes(self, fz: Any, fakes: _Fakes, saved: list[tuple[Any, str, Any]]) -> None:
        """What freezegun's outermost ``start(real_asyncio=True)`` does, with the module scan cached."""
        sites = self._sites
        sites.before_window(fz, self._ignore)  # while every module still holds the real functions
        for owner, name, value in fakes.swaps:
            saved.append((owner, name, getattr(owner, name, None)))
            setattr(owner, name, value)
        table = copyreg.dispatch_table
        table[fz.real_datetime] = fz.pickle_fake_datetime
        table[fz.real_date] = fz.pickle_fake_date
        patched = self._patched
        by_real = fakes.fakes
        for module, attr, real in sites.flat:
            if getattr(module, attr, None) is real:
                fake = by_real[id(real)]
                setattr(module, attr, fake)
                patched.append((module, attr, real, fake))


class _Fakes:
    """freezegun's fakes and where they go, looked up once."""

    def __init__(self, fz: Any) -> None:
        import asyncio.base_events
        import uuid

        import freezegun.config

        self.fz = fz
        self.config = freezegun.config
        pairs = [(getattr(fz, r), getattr(fz, f)) for r, f in _PAIRS if hasattr(fz, r) and hasattr(fz, f)]
        self.fakes = {id(real): fake for real, fake in pairs}
        self.reals = {id(fake): real for real, fake in pairs}
        swaps: list[tuple[Any, str, Any]] = [(_dt, "datetime", fz.FakeDatetime), (_dt, "date", fz.FakeDate)]
        swaps += [(_time, name, getattr(fz, f"fake_{name}")) for name in _TIME_NAMES
                  if hasattr(fz, f"fake_{name}") and hasattr(_time, name)]
        if fz.uuid_generate_time_attr:  # uuid1() then reads time.time_ns(), the fake
            swaps.append((uuid, fz.uuid_generate_time_attr, None))
        swaps += [(uuid, "_UuidCreate", None), (uuid, "_last_timestamp", None),
                  # real_asyncio=True: loops that are not the invoker's read real time
                  (asyncio.base_events.BaseEventLoop, "time", _real_loop_time)]
        self.swaps = tuple(swaps)


_SWITCH = _Switch()
