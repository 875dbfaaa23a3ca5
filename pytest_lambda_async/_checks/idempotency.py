"""Idempotency checks: does every delivery history end where one clean delivery does?

AWS delivers async events at least once: duplicates arrive when nothing failed,
and a failed attempt is retried after the work it already did.  Each check runs
the handler on a private :class:`LambdaInvoker` (``await_check="off"``: state is
the only verdict here) twice per history, from ``reset()``: once as one clean
delivery, once as the history, and compares ``state()`` after each.

A history (:class:`~pytest_lambda_async.strategies.DeliveryHistory`) is played
by the invoker (request ids, retry delays, throttles, duplicates) while a
wrapper around the handler applies what only the checker can:

- ``FunctionError``: the handler runs, then the attempt fails (as when it times
  out or crashes after its work) and the service retries it;
- ``SdkFailure``: the ``call_index``-th AWS SDK call of the attempt fails
  before taking effect, or takes effect and loses its response (``_faults``);
- a *second execution environment*: attempts after the first start with the
  handler's module state as after a cold start.

Hypothesis and botocore are imported only when a check needs them.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import inspect
import json
import re
import sys
import types
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._invoker import LambdaInvoker
from .._service.functions import InjectedFunctionError
from .._service.records import Attempt, TimelineEntry
from .._service.runtime import handler_name, is_async_handler
from .._text import attempt_text, idempotency_report, state_differences
from ..errors import NotIdempotentError

if TYPE_CHECKING:
    import datetime as _dt

    from hypothesis.strategies import SearchStrategy

    from .._adapters.faults import CallLog
    from ..strategies import DeliveryHistory

__all__ = ["assert_idempotent", "check_idempotent", "idempotency_histories", "NotIdempotentError"]

Handler = Callable[[Any, Any], Any]
_NAME = re.compile(r"[^a-zA-Z0-9_-]")
_MAX_ATTEMPT_TEXT = 150  # an attempt's error in the report's timeline (the full text is in the invoker's)


class _Strategies:
    """``pytest_lambda_async.strategies``, imported on first use (it imports Hypothesis), then
    read as attributes: cheaper than an import statement in each run."""

    def __getattr__(self, name: str) -> Any:
        from .. import strategies

        value = getattr(strategies, name)
        setattr(self, name, value)  # found on the instance from now on: __getattr__ runs on a miss only
        return value


_S = _Strategies()


# -- module state: what a second execution environment would not share (part 4) --------
_CONTAINERS = (dict, list, set, bytearray)


def _is_container(value: Any) -> bool:
    import collections

    return isinstance(value, (*_CONTAINERS, collections.deque)) and not isinstance(value, types.MappingProxyType)


def _referenced(funcs: list[Any]) -> set[int]:
    """ids of the objects ``state``/``reset`` read (globals, closures; three calls deep).

    Those are the test's stand-in for external storage, shared by every
    environment, so a cold start must not reset them."""
    seen_code: set[int] = set()
    found: set[int] = set()
    todo = [(f, 0) for f in funcs if f is not None]
    while todo:
        func, depth = todo.pop()
        func = inspect.unwrap(func) if callable(func) else func
        code = getattr(func, "__code__", None)
        if code is None or id(code) in seen_code or depth > 3:
            continue
        seen_code.add(id(code))
        glb = getattr(func, "__globals__", {})
        values = [glb[n] for n in _names(code) if n in glb]
        values += [c.cell_contents for c in (getattr(func, "__closure__", None) or ()) if _has_contents(c)]
        for value in values:
            found.add(id(value))
            if callable(value):
                todo.append((value, depth + 1))
    return found


def _names(code: types.CodeType) -> Iterator[str]:
    yield from code.co_names
    for const in code.co_consts:  # nested functions and lambdas
        if isinstance(const, types.CodeType):
            yield from _names(const)


def _has_contents(cell: Any) -> bool:
    try:
        cell.cell_contents
    except ValueError:
        return False
    return True


class _EnvironmentState:
    """The handler's module-level and closure containers, as they were when the check began.

    :meth:`cold_start` puts fresh copies back, as a new execution environment
    (which imports the module again) would see them."""

    def __init__(self, handler: Any, exclude: set[int]) -> None:
        self.globals: list[tuple[dict[str, Any], str, Any]] = []
        self.cells: list[tuple[Any, str, Any]] = []
        target = inspect.unwrap(handler)
        module = sys.modules.get(getattr(target, "__module__", "") or "")
        if module is not None:
            namespace = vars(module)
            for name, value in list(namespace.items()):
                if name.startswith("__") or not _is_container(value) or id(value) in exclude:
                    continue
                saved = self._copy(value)
                if saved is not None:
                    self.globals.append((namespace, name, saved))
        code = getattr(target, "__code__", None)
        for name, cell in zip(code.co_freevars if code else (), getattr(target, "__closure__", None) or ()):
            if _has_contents(cell) and _is_container(cell.cell_contents) and id(cell.cell_contents) not in exclude:
                saved = self._copy(cell.cell_contents)
                if saved is not None:
                    self.cells.append((cell, name, saved))

    @staticmethod
    def _copy(value: Any) -> Any:
        try:
            return copy.deepcopy(value)
        except Exception:  # clients, locks: not state a cold start would rebuild from scratch
            return None

    @property
    def names(self) -> list[str]:
        return [name for _, name, _ in self.globals] + [name for _, name, _ in self.cells]

    def changed(self) -> list[str]:
        """Names whose value differs from the cold-start one (what the run kept in module state)."""
        names = [name for namespace, name, saved in self.globals if namespace.get(name) != saved]
        return names + [name for cell, name, saved in self.cells
                        if not _has_contents(cell) or cell.cell_contents != saved]

    def cold_start(self) -> None:
        for namespace, name, saved in self.globals:
            namespace[name] = copy.deepcopy(saved)
        for cell, _, saved in self.cells:
            cell.cell_contents = copy.deepcopy(saved)


# -- one run of a history -----------------------------------------------------------------
@dataclass
class _AttemptNotes:
    calls: CallLog | None
    lines: list[str] = field(default_factory=list)


class _Run:
    """What one run ended in; its timeline is annotated only when a report needs it."""

    __slots__ = ("state", "_entries", "_notes", "t0")

    def __init__(self, state: Any, entries: list[TimelineEntry], notes: list[_AttemptNotes],
                 t0: _dt.datetime) -> None:
        self.state, self._entries, self._notes, self.t0 = state, entries, notes, t0

    @property
    def failed(self) -> str | None:
        """The error of the first attempt that did not succeed, if one did not."""
        for e in self._entries:
            if isinstance(e.detail, Attempt) and e.detail.outcome != "success":
                return attempt_text(e.detail)[:_MAX_ATTEMPT_TEXT]
        return None

    @property
    def entries(self) -> list[TimelineEntry]:
        """The run's timeline, each attempt with the checker's notes (SDK calls, environment, ...)."""
        annotated: list[TimelineEntry] = []
        attempt = 0
        for e in self._entries:
            if isinstance(e.detail, Attempt):
                notes = self._notes[attempt] if attempt < len(self._notes) else _AttemptNotes(None)
                attempt += 1
                error = e.detail.error
                if error is not None and len(error) > _MAX_ATTEMPT_TEXT:
                    error = error[:_MAX_ATTEMPT_TEXT - 1] + "…"
                e = e._replace(detail=dataclasses.replace(e.detail, error=error), notes=tuple(notes.lines))
            annotated.append(e)
        return annotated


class _Runner:
    """Plays histories of one handler on one held invoker (cheap per run: no freezegun restarts)."""

    def __init__(self, handler: Handler, *, state: Callable[[], Any] | None, reset: Callable[[], Any] | None,
                 invoker: LambdaInvoker | None = None) -> None:
        if not callable(handler):
            raise TypeError(f"handler must be callable as handler(event, context), got {handler!r}")
        self.handler = handler
        self.is_async = is_async_handler(handler)
        self.qualname = handler_name(handler)
        self._user_state = state
        self.reset = reset
        from .._adapters.moto import moto_active
        from .._adapters.state import MotoState, default_state

        # Under moto, moto is put back as it was before each run unless reset= says otherwise.
        self._default_state: MotoState | None = None
        if state is None:
            self._default_state = default_state()  # raises a clear error without moto
        elif reset is None and moto_active():
            self._default_state = MotoState()
        from .._adapters import faults

        faults.install()  # before the handler makes clients, and into those it already made
        self.environment = _EnvironmentState(handler, _referenced([state, reset]))
        self.invoker = invoker or LambdaInvoker(await_check="off")
        self._owns_invoker = invoker is None
        name = _NAME.sub("-", getattr(inspect.unwrap(handler), "__name__", "handler"))[:64] or "handler"
        self.function = name
        self._plan: list[Any] = []  # per attempt, in the order the service makes them
        self._new_environment = False
        self._concurrent = 0  # duplicates that run alongside attempt #1 (async handlers)
        self._schedule: tuple[int, ...] = ()
        self._notes: list[_AttemptNotes] = []
        self._clean_calls: CallLog | None = None
        self._faults = faults
        self._sent = faults.SentLog()  # what the current run sent (EventBridge entries, Event invocations)
        wrapper: Handler = self._async_wrapper if self.is_async else self._sync_wrapper
        self._fn = self.invoker.register(name, wrapper, asyncio=self.is_async)
        # check_idempotent runs its whole search inside one frozen window: no hold needed.
        self.hold = True
        self.baselines: dict[str, tuple[Any, int]] = {}  # event -> (state, SDK calls its clean attempt made)
        self._count_calls = False
        self.passed: set[tuple[Any, ...]] = set()  # (event, history, environment, schedule) the search passed

    # -- lifecycle
    def __enter__(self) -> _Runner:
        if self._owns_invoker and self.hold:
            self.invoker.__enter__()  # one runtime thread for all the runs, closed with the check
        return self

    def __exit__(self, *exc: object) -> None:
        self.environment.cold_start()  # leave the handler's module as the check found it
        if self.reset is None and self._default_state is not None:
            self._default_state.reset(self.invoker)  # and moto
        if self._owns_invoker:
            self.invoker.close()

    def state(self) -> Any:
        if self._user_state is not None:
            return self._user_state()
        assert self._default_state is not None
        return self._default_state.snapshot(self.invoker, self._sent)

    # -- the wrapper the invoker calls
    def _begin(self) -> tuple[Any, _AttemptNotes, Any]:
        """(this attempt's planned step, its notes, what ``_end`` restores): a pair of calls rather
        than a ``with`` block, as this runs for every attempt of every example."""
        index = len(self._notes)
        step = self._plan[index] if index < len(self._plan) else None
        notes = _AttemptNotes(None)
        self._notes.append(notes)
        if index > 0 and self._new_environment:
            self.environment.cold_start()
            notes.lines.append("on a second execution environment (module state as after a cold start)")
        if isinstance(step, _S.SdkFailure) or (self._count_calls and index == 0):
            from .._adapters import faults

            log = faults.CallLog(step.call_index, step.kind) if isinstance(step, _S.SdkFailure) else faults.CallLog()
            notes.calls = log
            return step, notes, faults.arm(log)
        return step, notes, _NOT_ARMED

    @staticmethod
    def _end(armed: Any) -> None:
        if armed is not _NOT_ARMED:
            from .._adapters import faults

            faults.disarm(armed)

    @staticmethod
    def _note_calls(notes: _AttemptNotes) -> None:
        if notes.calls is None or notes.calls.fail_at is None:
            return  # no failure planned (a clean run counting its calls)
        injected = notes.calls.injected
        if injected is None:
            notes.lines.append(f"(no SDK call [{notes.calls.fail_at}] to fail: "
                               f"the attempt made {len(notes.calls.calls)})")
        else:
            notes.lines.extend(c.describe() for c in notes.calls.calls[: injected.index + 1])

    @staticmethod
    def _finish(step: Any, notes: _AttemptNotes) -> None:
        if isinstance(step, _S.FunctionError):
            notes.lines.append("the handler finished its work, then the attempt failed (injected)")
            raise InjectedFunctionError("the attempt failed after the handler's work (injected)")

    def _sync_wrapper(self, event: Any, context: Any) -> Any:
        step, notes, armed = self._begin()
        try:
            try:
                result = self.handler(event, context)
            finally:
                self._note_calls(notes)
        finally:
            self._end(armed)
        self._finish(step, notes)
        return result

    async def _async_wrapper(self, event: Any, context: Any) -> Any:
        concurrent = self._concurrent if not self._notes else 0
        step, notes, armed = self._begin()
        try:
            try:
                if concurrent:
                    result = await self._interleaved(event, context, concurrent, notes)
                else:
                    result = await self.handler(event, context)
            finally:
                self._note_calls(notes)
        finally:
            self._end(armed)
        self._finish(step, notes)
        return result

    async def _interleaved(self, event: Any, context: Any, duplicates: int, notes: _AttemptNotes) -> Any:
        """Attempt #1 and its concurrent duplicates, interleaved at await points under the schedule."""
        from .interleave import interleave

        coros = [self.handler(event, context) for _ in range(1 + duplicates)]
        results, trace = await interleave(coros, self._schedule)
        who = "a duplicate delivery" if duplicates == 1 else f"{duplicates} duplicate deliveries"
        notes.lines.append(f"ran concurrently with {who} (same request id), interleaved at await points:")
        notes.lines.append(f"  {trace.describe()}   (A = this delivery, B{'..' if duplicates > 1 else ''} "
                           "= the duplicate; one letter per step)")
        for label, error in zip("ABCDEFGH", trace.errors):
            if error is not None and label != "A":
                notes.lines.append(f"duplicate {label} failed: {type(error).__name__}: {error}")
        if trace.errors[0] is not None:
            raise trace.errors[0]
        return results[0]

    # -- runs
    def run(self, event: Any, history: DeliveryHistory, new_environment: bool = False,
            schedule: tuple[int, ...] = ()) -> _Run:
        """reset(), cold start, play ``history`` of ``event``, snapshot the state."""
        self.environment.cold_start()
        if self.reset is not None:
            self.reset()
        elif self._default_state is not None:
            self._default_state.reset(self.invoker)
        inv = self.invoker
        self._plan = [s for s in history.steps if isinstance(s, (_S.FunctionError, _S.SdkFailure))]
        self._new_environment = new_environment
        # Only async handlers have await points to interleave at; for sync ones a
        # concurrent duplicate is an ordinary one.
        self._concurrent = history.concurrent_duplicates if self.is_async else 0
        self._schedule = tuple(schedule)
        self._notes = []
        first = inv.timeline_length
        t0 = inv.now
        if history.throttles:
            self._fn.throttle_next(history.throttles)
        sent = self._sent
        sent.sent.clear()
        faults = self._faults
        previous = faults.start_recording(sent)
        try:
            inv.invoke(self.function, event, invocation_type="Event", duplicates=history.duplicates - self._concurrent)
            inv.run()
        finally:
            faults.stop_recording(previous)
        notes = self._notes
        self._clean_calls = self._notes[0].calls if self._notes else None
        self._plan, self._concurrent = [], 0
        state = self.state()
        if sent.sent:
            from .._adapters.state import forget_sent

            forget_sent(sent)
        return _Run(state, inv.timeline_since(first), notes, t0)

    def baseline(self, event: Any, key: str | None = None) -> tuple[Any, int]:
        """The state one clean delivery of ``event`` ends in, and how many SDK calls it made (cached per event)."""
        if key is None:
            key = _event_key(event)
        if key is not None:
            known = self.baselines.get(key)
            if known is not None:
                return known
        self._count_calls = True
        try:
            clean = self.run(event, _S.DeliveryHistory())
        finally:
            self._count_calls = False
        if clean.failed is not None:
            raise AssertionError(
                f"{self.qualname} failed on one clean delivery of this event, so there is no state to compare "
                f"histories with: {clean.failed}\nEvent: {_event_text(event)}\n"
                "Fix the handler, or narrow `events` to events it accepts.")
        log = self._clean_calls
        result = (clean.state, 0 if log is None else len(log.calls))
        if key is not None:
            self.baselines[key] = result
        return result

    def verify(self, event: Any, history: DeliveryHistory, new_environment: bool = False,
               schedule: tuple[int, ...] = (), *, tried: int | None = None, wrap_calls: bool = False) -> None:
        """Raise NotIdempotentError if ``history`` ends in another state than one clean delivery.

        ``wrap_calls`` (the search): an SDK failure at call k of an attempt is moved to
        call k mod n, n being the calls one clean delivery's attempt makes, so no drawn
        failure misses the calls the handler really makes."""
        event_key = _event_key(event)
        expected, calls = self.baseline(event, event_key)
        if history.is_clean:
            return  # one clean delivery is the baseline; a second environment changes nothing in it
        key: tuple[Any, ...] = (None,)
        if wrap_calls:
            history = _wrap_call_indexes(history, calls)
            if history.is_clean:
                return
            key = (event_key, history, new_environment, tuple(schedule))
            if key[0] is not None and key in self.passed:
                return  # played already (histories drawn apart can be the same once wrapped)
        got = self.run(event, history, new_environment, schedule)
        if got.state == expected:
            if key[0] is not None and len(self.passed) < 100_000:
                self.passed.add(key)
            return
        # A check that fails for two clean deliveries is a nondeterministic state(), not the handler.
        again = self.run(event, _S.DeliveryHistory()).state
        if again != expected:
            lines = state_differences(expected, again)
            raise AssertionError(
                "state() differs between two clean deliveries of the same event, so idempotency cannot be "
                "judged: leave out what changes on every run (generated ids, timestamps; each run is at a "
                f"later virtual time).\nEvent: {_event_text(event)}\n" + "\n".join(lines))
        module_state: list[str] | None = None
        if new_environment and self.environment.names:
            # Passing inside one environment pins it on module state: name what the run kept there.
            if self.run(event, history, False, schedule).state == expected:
                module_state = self.environment.changed() or self.environment.names
        error = NotIdempotentError(idempotency_report(
            qualname=self.qualname, event=event, history=history, new_environment=new_environment,
            entries=got.entries, t0=got.t0, seed=self.invoker.seed, expected=expected, got=got.state,
            tried=tried, reproduce=_reproduce(self, history, new_environment, schedule), module_state=module_state,
            shrunk=tried is not None))
        error.event, error.history, error.new_environment = event, history, new_environment
        error.schedule = tuple(schedule)
        error.expected, error.actual = expected, got.state
        raise error


def _wrap_call_indexes(history: DeliveryHistory, calls: int) -> DeliveryHistory:
    """SDK failure k becomes k mod ``calls``; with no calls, an SDK failure of attempt #1 fails
    nothing, so that attempt succeeds and no later failure happens: only the duplicates are left."""
    if not calls:
        steps = history.steps
        first = next((s for s in steps if isinstance(s, (_S.FunctionError, _S.SdkFailure))), None)
        if not isinstance(first, _S.SdkFailure):
            return history
        duplicates: DeliveryHistory = _S.DeliveryHistory(tuple(s for s in steps if isinstance(s, _S.Duplicate)))
        return duplicates
    if all(not isinstance(s, _S.SdkFailure) or s.call_index < calls for s in history.steps):
        return history
    wrapped: DeliveryHistory = _S.DeliveryHistory(tuple(
        _S.SdkFailure(s.call_index % calls, s.kind) if isinstance(s, _S.SdkFailure) else s for s in history.steps))
    return wrapped


def _event_key(event: Any) -> str | None:
    try:
        return json.dumps(event, sort_keys=True)
    except (TypeError, ValueError):
        return None


def _event_text(event: Any) -> str:
    from .._text import compact_json

    return compact_json(event, 300)


def _reproduce(runner: _Runner, history: DeliveryHistory, new_environment: bool,
               schedule: tuple[int, ...] = ()) -> str:
    name = getattr(inspect.unwrap(runner.handler), "__name__", "handler")
    state = "state=..., reset=..., " if runner._user_state is not None else ""
    env = ", new_environment=True" if new_environment else ""
    sched = f", schedule={tuple(schedule)!r}" if schedule and runner.is_async and history.concurrent_duplicates else ""
    return f"assert_idempotent({name}, <event above>, {state}history={history!r}{env}{sched})"


def _hypothesis_random_sharer() -> Callable[[], None]:
    """On the caller's thread: a function that gives the runtime thread Hypothesis's global Random.

    Hypothesis keeps one per thread and registers a new one with a full
    ``gc.collect()`` (about 50 ms here) the first time a thread runs a test;
    every check runs on a fresh runtime thread.  Only one of the two threads
    runs Hypothesis at a time (the caller waits), so sharing it is safe.  If
    Hypothesis's internals move, the sharing is skipped and the cost is paid."""
    try:
        from hypothesis.core import threadlocal

        mine = threadlocal._hypothesis_global_random or _registered_random()
    except (ImportError, AttributeError):
        return lambda: None

    def share() -> None:
        if mine is not None and getattr(threadlocal, "_hypothesis_global_random", mine) is None:
            threadlocal._hypothesis_global_random = mine

    return share


_REGISTERED: list[Any] = []
_NOT_ARMED = object()  # _begin: no SDK-call log armed for this attempt
_DEFAULT_SEED = 0x1DE4  # check_idempotent's search when no seed is given


def _registered_random() -> Any:
    """A Random registered with Hypothesis once per process, as Hypothesis registers a thread's own
    (when the calling thread never ran a Hypothesis test, there is none to share)."""
    if not _REGISTERED:
        import random

        from hypothesis import register_random

        rng = random.Random()
        _REGISTERED.append(rng)  # a strong reference: Hypothesis keeps a weak one
        register_random(rng)
    return _REGISTERED[0]


# -- public API -----------------------------------------------------------------------------
def assert_idempotent(
    handler: Handler,
    event: Any,
    *,
    state: Callable[[], Any] | None = None,
    reset: Callable[[], Any] | None = None,
    deliveries: int = 2,
    history: DeliveryHistory | None = None,
    new_environment: bool = False,
    schedule: Sequence[int] = (),
) -> None:
    """One clean delivery of ``event`` vs. ``deliveries`` deliveries of it (one request id).

    ``state()`` returns any ==-comparable snapshot of what the handler affects
    and ``reset()`` restores the starting point; both run before/after each of
    the two runs.  Without ``state`` and with moto active, the snapshot is
    what the handler could have changed in moto plus what it sent through the
    invoker.  ``history`` (a
    :class:`~pytest_lambda_async.strategies.DeliveryHistory`, e.g. drawn by
    Hypothesis) replaces ``deliveries``; ``new_environment=True`` runs every
    attempt after the first on a second execution environment (the handler's
    module state as after a cold start).  For an ``async def`` handler, a
    ``Duplicate(concurrent=True)`` runs alongside attempt #1, the two
    interleaved at await points as ``schedule`` says (one int per point where
    both could go on: 0 keeps the one that ran last going, 1 switches; empty:
    the first runs as far as it can before the other starts).  Raises
    :class:`NotIdempotentError`.
    """
    __tracebackhide__ = True
    if history is None:
        if isinstance(deliveries, bool) or not isinstance(deliveries, int) or deliveries < 1:
            raise ValueError(f"deliveries must be an int >= 1, got {deliveries!r}")
        history = _S.DeliveryHistory(tuple(_S.Duplicate() for _ in range(deliveries - 1)))
    elif not isinstance(history, _S.DeliveryHistory):
        raise TypeError(f"history must be a DeliveryHistory (from strategies.delivery_histories()), got {history!r}")
    with _Runner(handler, state=state, reset=reset) as runner:
        runner.verify(event, history, new_environment, tuple(schedule))


def idempotency_histories(*, max_duplicates: int = 2, max_retry_attempts: int = 2, sdk_failures: bool = True,
                          new_environments: bool = True, concurrent: bool = False,
                          ) -> SearchStrategy[tuple[DeliveryHistory, bool, tuple[int, ...]]]:
    """``(history, new_environment, schedule)`` as :func:`check_idempotent` searches them.

    For a test with its own ``@given``: draw one and pass the three to
    :func:`assert_idempotent` (``history=``, ``new_environment=``,
    ``schedule=``).  ``concurrent=True`` (for ``async def`` handlers) adds
    duplicates that run alongside the first attempt.  Shrinks towards one
    clean delivery in one environment, and schedules towards sequential runs."""
    from hypothesis import strategies as st

    from ..strategies import formats as fmt
    from .._service.aws import MAX_RETRY_ATTEMPTS_RANGE

    max_duplicates = fmt.check_int(max_duplicates, "max_duplicates", 0, 100)
    max_retry_attempts = fmt.check_int(max_retry_attempts, "max_retry_attempts", *MAX_RETRY_ATTEMPTS_RANGE)
    plans = _Plans(_failure_plans(max_retry_attempts, sdk_failures), _duplicate_plans(max_duplicates, concurrent),
                   2 if new_environments else 1)
    # One integer per history, numbering the histories simplest first (failed attempts
    # the most significant digit, then duplicates, then the environment), so shrinking
    # it lowers each.  One draw instead of a list of steps: Hypothesis's cost per drawn
    # choice was most of the search's cost.  Shrinking one number can stop at a local
    # minimum: check_idempotent then simplifies the history step by step (_simpler).
    # sampled_from(range(...)), not integers(): Hypothesis's mutator copies values between
    # spans of the same label, and integers() share one with the event's integers, so
    # each example would be followed by runs of those copies (a sixth of the search's time).
    numbers = st.sampled_from(range(len(plans)))
    if not concurrent:
        return numbers.map(plans.decode)
    schedules = st.lists(st.booleans(), max_size=24)  # True: switch (1)
    return st.tuples(numbers, schedules).map(
        lambda drawn: (*plans.decode(drawn[0])[:2], tuple(int(b) for b in drawn[1])))


_CALL_INDICES = 21  # SDK calls [0]..[20] of an attempt are drawn (then taken mod the calls made)


class _Plans:
    """The numbered histories of one search: failures x duplicates x environments."""

    def __init__(self, failures: tuple[tuple[Any, ...], ...], duplicates: tuple[tuple[Any, ...], ...],
                 environments: int) -> None:
        self.failures, self.duplicates, self.environments = failures, duplicates, environments
        self._cache: dict[int, tuple[DeliveryHistory, bool, tuple[int, ...]]] = {}

    def __len__(self) -> int:
        return len(self.failures) * len(self.duplicates) * self.environments

    def decode(self, n: int) -> tuple[DeliveryHistory, bool, tuple[int, ...]]:
        """History number ``n``: (history, new_environment, the empty schedule)."""
        plan = self._cache.get(n)
        if plan is None:
            rest, environment = divmod(n, self.environments)
            failures, duplicates = divmod(rest, len(self.duplicates))
            plan = (_S.DeliveryHistory((*self.failures[failures], *self.duplicates[duplicates])), environment == 1, ())
            if len(self._cache) < 4096:
                self._cache[n] = plan
        return plan


@functools.lru_cache(maxsize=16)
def _failure_plans(max_retry_attempts: int, sdk_failures: bool) -> tuple[tuple[Any, ...], ...]:
    """Every sequence of up to ``max_retry_attempts`` failed attempts, simplest first."""
    import itertools

    kinds: list[Any] = ["error"]
    if sdk_failures:
        kinds += [(kind, index) for index in range(_CALL_INDICES) for kind in ("before", "response_lost")]
    plans: list[tuple[Any, ...]] = []
    for length in range(max_retry_attempts + 1):
        for combo in sorted(itertools.product(range(len(kinds)), repeat=length), key=lambda c: (sum(c), c)):
            plans.append(tuple(_S.FunctionError(n + 1) if kinds[k] == "error"
                               else _S.SdkFailure(kinds[k][1], kinds[k][0]) for n, k in enumerate(combo)))
    return tuple(plans)


@functools.lru_cache(maxsize=16)
def _duplicate_plans(max_duplicates: int, concurrent: bool) -> tuple[tuple[Any, ...], ...]:
    """Every mix of up to ``max_duplicates`` duplicates (sequential, then concurrent), fewest first."""
    plans: list[tuple[Any, ...]] = []
    for total in range(max_duplicates + 1):
        for together in range(total + 1) if concurrent else (0,):
            plans.append((_S.Duplicate(),) * (total - together) + (_S.Duplicate(concurrent=True),) * together)
    return tuple(plans)


def _simpler(history: DeliveryHistory, new_environment: bool, max_duplicates: int
             ) -> Iterator[tuple[DeliveryHistory, bool]]:
    """Histories one step simpler than ``history``, simplest first (check_idempotent's last shrink).

    Drop the second environment; drop a step; make a failure a duplicate, an
    SDK failure a function error, a lost response a failure before the call,
    an SDK failure an earlier call, a concurrent duplicate a sequential one."""
    failures = [s for s in history.steps if isinstance(s, (_S.FunctionError, _S.SdkFailure))]
    duplicates = [s for s in history.steps if isinstance(s, _S.Duplicate)]

    def make(fails: list[Any], dups: list[Any]) -> DeliveryHistory:
        renumbered = [_S.FunctionError(n + 1) if isinstance(f, _S.FunctionError) else f for n, f in enumerate(fails)]
        simpler: DeliveryHistory = _S.DeliveryHistory((*renumbered, *dups))
        return simpler

    if new_environment:
        yield history, False
    for i in range(len(failures)):
        yield make(failures[:i] + failures[i + 1:], duplicates), new_environment
    for i in range(len(duplicates)):
        yield make(failures, duplicates[:i] + duplicates[i + 1:]), new_environment
    for i, step in enumerate(failures):
        if len(duplicates) < max_duplicates:
            yield make(failures[:i] + failures[i + 1:], [_S.Duplicate(), *duplicates]), new_environment
        if isinstance(step, _S.SdkFailure):
            yield make(failures[:i] + [_S.FunctionError(1)] + failures[i + 1:], duplicates), new_environment
            if step.kind == "response_lost":
                yield make(failures[:i] + [_S.SdkFailure(step.call_index, "before")] + failures[i + 1:],
                           duplicates), new_environment
            for index in range(step.call_index):
                yield make(failures[:i] + [_S.SdkFailure(index, step.kind)] + failures[i + 1:],
                           duplicates), new_environment
    for i, step in enumerate(duplicates):
        if step.concurrent:
            yield make(failures, duplicates[:i] + [_S.Duplicate()] + duplicates[i + 1:]), new_environment


def check_idempotent(
    handler: Handler,
    events: Any,
    *,
    state: Callable[[], Any] | None = None,
    reset: Callable[[], Any] | None = None,
    max_examples: int = 100,
    max_duplicates: int = 2,
    max_retry_attempts: int = 2,
    sdk_failures: bool = True,
    new_environments: bool = True,
    seed: int | None = None,
) -> None:
    """Search events x delivery histories with Hypothesis for one that breaks idempotency.

    ``events`` is a Hypothesis strategy or one event.  Histories: up to
    ``max_duplicates`` duplicate deliveries, up to ``max_retry_attempts``
    failed attempts each retried (the handler's work done, then a function
    error; or, with ``sdk_failures``, an AWS SDK call failing before it takes
    effect or after, with its response lost), and with ``new_environments``
    redeliveries on a second execution environment.  An SDK failure's call
    index is taken modulo the calls one clean delivery of the event makes.
    Raises :class:`NotIdempotentError` for the smallest failing example
    Hypothesis finds, its history then simplified one step at a time while it
    still fails; the message is built for that example.  With the default
    (moto) state, moto is left as the check found it.  Runs its own Hypothesis
    search: inside your own ``@given`` test, use :func:`idempotency_histories`
    with :func:`assert_idempotent` instead.
    """
    __tracebackhide__ = True
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st
    from hypothesis.strategies import SearchStrategy

    if isinstance(max_examples, bool) or not isinstance(max_examples, int) or max_examples < 1:
        raise ValueError(f"max_examples must be an int >= 1, got {max_examples!r}")
    event_strategy = events if isinstance(events, SearchStrategy) else st.just(events)
    tried = [0]
    runner = _Runner(handler, state=state, reset=reset)
    runner.hold = False
    with runner:
        plans = idempotency_histories(max_duplicates=max_duplicates, max_retry_attempts=max_retry_attempts,
                                      sdk_failures=sdk_failures, new_environments=new_environments,
                                      concurrent=runner.is_async)

        @settings(max_examples=max_examples, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.generate, Phase.shrink], print_blob=False,
                  report_multiple_bugs=False)
        # One argument, not two: Hypothesis checks the global random's state around each
        # argument's draw (two getstate() calls apiece), a cost the plain @given loop pays once.
        @given(case=st.tuples(event_strategy, plans))
        def idempotency_search(case: tuple[Any, tuple[DeliveryHistory, bool, tuple[int, ...]]]) -> None:
            event, (history, new_environment, schedule) = case
            tried[0] += 1
            runner.verify(event, history, new_environment, schedule, tried=tried[0], wrap_calls=True)

        from hypothesis import seed as hseed

        # The same search every run unless a seed is given.  A fixed seed rather than
        # derandomize=True, and no database key: Hypothesis would derive both from this
        # function's source, re-read and re-tokenized on every check (about 1 ms).
        idempotency_search = hseed(_DEFAULT_SEED if seed is None else seed)(idempotency_search)
        idempotency_search._hypothesis_internal_database_key = None  # type: ignore[attr-defined]
        try:
            # The whole search runs on the invoker's runtime thread, under its clock, so
            # each run plays out in place instead of handing over to that thread (the
            # hand-over, not the handler, was most of the cost per example).
            share = _hypothesis_random_sharer()
            # Hypothesis reads real time there: the invoker's freezers leave its modules out
            # (_clock), so histories that move the virtual clock hours ahead do not cut shrinking short.
            runner.invoker.run_in_runtime(lambda: (share(), idempotency_search()))
        except NotIdempotentError as exc:
            # Hypothesis shrank the number it drew; a history one step simpler may still fail.
            simplest = runner.invoker.run_in_runtime(lambda: _simplest(runner, exc, tried[0], max_duplicates))
            # Hypothesis adds "Falsifying example: ..." as a note; the message already has it all.
            simplest.__notes__ = [n for n in getattr(exc, "__notes__", [])
                                  if not n.startswith(("Falsifying example", "Failing test case"))]
            raise simplest.with_traceback(None) from None


def _simplest(runner: _Runner, error: NotIdempotentError, tried: int, max_duplicates: int) -> NotIdempotentError:
    """The simplest history still failing for the shrunk event: one simpler step at a time (_simpler)."""
    schedule = tuple(error.schedule)
    for _ in range(100):
        for history, environment in _simpler(error.history, error.new_environment, max_duplicates):
            if history.is_clean and not environment:
                continue
            try:
                runner.verify(error.event, history, environment, schedule, tried=tried, wrap_calls=True)
            except NotIdempotentError as simpler:
                error = simpler
                break
            except Exception:  # e.g. a nondeterministic state: keep the history Hypothesis found
                continue
        else:
            return error
    return error
