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
from .. import _text
from .._text import throttles_left_out, attempt_text, idempotency_report, source_label
from ..errors import NotIdempotentError
from .environment import EnvironmentState, referenced
from .lazy import S
from .plans import first_histories, idempotency_histories, sequential_if_no_switch, simpler, wrap_call_indexes
from .sources import EARLY_DELAY, event_source, seconds_to_start

if TYPE_CHECKING:
    import datetime as _dt

    from hypothesis.strategies import SearchStrategy

    from .._adapters.faults import CallLog
    from ..strategies import DeliveryHistory

__all__ = ["assert_idempotent", "check_idempotent", "idempotency_histories", "NotIdempotentError"]

Handler = Callable[[Any, Any], Any]
_NAME = re.compile(r"[^a-zA-Z0-9_-]")
_MAX_ATTEMPT_TEXT = 150  # an attempt's error in the report's timeline (the full text is in the invoker's)
FIRST_EVENTS = 10  # check_idempotent: events drawn to find one the handler acts on, for the first histories


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
        """The run's timeline, each attempt with the checker's notes (SDK calls, environment, ...); a long
        run of throttles of one delivery (a late retry) shows its first and last only."""
        annotated: list[TimelineEntry] = []
        attempt = 0
        for e in _fold_throttles(self._entries):
            if isinstance(e.detail, Attempt):
                notes = self._notes[attempt] if attempt < len(self._notes) else _AttemptNotes(None)
                attempt += 1
                error = e.detail.error
                if error is not None and len(error) > _MAX_ATTEMPT_TEXT:
                    error = error[:_MAX_ATTEMPT_TEXT - 1] + "…"
                e = e._replace(detail=dataclasses.replace(e.detail, error=error), notes=tuple(notes.lines))
            annotated.append(e)
        return annotated


def _fold_throttles(entries: list[TimelineEntry]) -> list[TimelineEntry]:
    """Entries with each run of more than 3 consecutive throttles of one delivery cut to its first and
    last, the last noting how many were left out (a retry throttled for hours is some 80 of them)."""
    folded: list[TimelineEntry] = []
    run: list[TimelineEntry] = []

    def flush() -> None:
        if len(run) > 3:
            left = len(run) - 2
            folded.extend((run[0], run[-1]._replace(notes=(*run[-1].notes, throttles_left_out(left)))))
        else:
            folded.extend(run)
        run.clear()

    for e in entries:
        if e.kind == "throttle" and (not run or run[-1].request_id == e.request_id):
            run.append(e)
            continue
        if isinstance(e.detail, Attempt) and e.detail.outcome == "throttled" and run \
                and run[-1].request_id == e.request_id:
            continue  # a throttled delivery's attempt record: its throttle line says it
        flush()
        if e.kind == "throttle":
            run.append(e)
        else:
            folded.append(e)
    flush()
    return folded


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
        self.environment = EnvironmentState(handler, referenced([state, reset]))
        self.invoker = invoker or LambdaInvoker(await_check="off")
        self._owns_invoker = invoker is None
        name = _NAME.sub("-", getattr(inspect.unwrap(handler), "__name__", "handler"))[:64] or "handler"
        self.function = name
        self._plan: list[Any] = []  # per attempt, in the order the service makes them
        self._new_environment = False
        self._concurrent = 0  # duplicates that run alongside attempt #1
        self.race: tuple[str | None, str | None] | None = None  # sync: the first's calls around the second's
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
        self._idle: Any = _UNKNOWN  # the state after reset() with no delivery (acts), once known

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
            notes.lines.append(_text.SECOND_ENVIRONMENT_NOTE)
        if isinstance(step, S.SdkFailure) or (self._count_calls and index == 0):
            from .._adapters import faults

            log = faults.CallLog(step.call_index, step.kind) if isinstance(step, S.SdkFailure) else faults.CallLog()
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
            notes.lines.append(_text.no_sdk_call_to_fail(notes.calls.fail_at, len(notes.calls.calls)))
        else:
            notes.lines.extend(_text.sdk_call_note(c.index, c.operation, c.injected, c.error)
                               for c in notes.calls.calls[: injected.index + 1])

    @staticmethod
    def _finish(step: Any, notes: _AttemptNotes) -> None:
        if isinstance(step, S.FunctionError):
            notes.lines.append(_text.FUNCTION_ERROR_NOTE)
            raise InjectedFunctionError(_text.INJECTED_FUNCTION_ERROR)

    def _sync_wrapper(self, event: Any, context: Any) -> Any:
        concurrent = self._concurrent if not self._notes else 0
        step, notes, armed = self._begin()
        try:
            try:
                if concurrent:
                    result = self._two_environments(event, context, notes)
                else:
                    result = self.handler(event, context)
            finally:
                self._note_calls(notes)
        finally:
            self._end(armed)
        self._finish(step, notes)
        return result

    def _two_environments(self, event: Any, context: Any, notes: _AttemptNotes) -> Any:
        """Attempt #1 and a concurrent duplicate in a second environment, interleaved at SDK calls."""
        from .._adapters import faults
        from .concurrency import Environments

        if notes.calls is None:
            notes.calls = faults.CallLog()
        logs = [notes.calls, faults.CallLog()]  # the duplicate's calls are its own: no failure planned there

        def arm(who: int) -> None:
            faults.arm(logs[who])

        environments = Environments(self._schedule, arm)
        arm(0)
        previous = faults.set_boundary(environments.boundary)
        try:
            return environments.run(self.handler, event, context)
        finally:
            faults.set_boundary(previous)
            # Also when this delivery failed (an injected SDK failure, its own error): the interleaving
            # is what made the history fail, and a report without it shows a history that passes.
            trace = environments.trace
            self.race = trace.between()
            error = None if trace.error is None else (type(trace.error).__name__, str(trace.error))
            notes.lines.extend(_text.two_environments_notes(trace.calls, error))

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
        errors = [(label, type(error).__name__, str(error)) for label, error in zip("ABCDEFGH", trace.errors)
                  if error is not None and label != "A"]
        notes.lines.extend(_text.interleaved_notes(trace.steps, duplicates, errors))
        if trace.errors[0] is not None:
            raise trace.errors[0]
        return results[0]

    # -- runs
    def run(self, event: Any, history: DeliveryHistory, new_environment: bool = False,
            schedule: tuple[int, ...] = ()) -> _Run:
        """reset(), cold start, play ``history`` of ``event``, snapshot the state."""
        self._reset()
        self._prepare(history, new_environment, schedule)
        inv = self.invoker
        inv.advance(seconds_to_start(inv.now, history.start))
        first = inv.timeline_length
        t0 = inv.now
        self._plan_throttles(history)
        sent = self._sent
        sent.sent.clear()
        self._play(event, history)
        notes = self._notes
        self._clean_calls = self._notes[0].calls if self._notes else None
        self._plan, self._concurrent = [], 0
        state = self.state()
        if sent.sent:
            from .._adapters.state import forget_sent

            forget_sent(sent)
        return _Run(state, inv.timeline_since(first), notes, t0)

    def _reset(self) -> None:
        """The handler's module as after a cold start, and the state as ``reset()`` (or moto's) leaves it."""
        self.environment.cold_start()
        if self.reset is not None:
            self.reset()
        elif self._default_state is not None:
            self._default_state.reset(self.invoker)

    def _prepare(self, history: DeliveryHistory, new_environment: bool, schedule: tuple[int, ...]) -> None:
        """What the wrapper applies to each attempt of the next run (``_begin``, ``_finish``)."""
        self._plan = [s for s in history.steps if isinstance(s, (S.FunctionError, S.SdkFailure))]
        self._new_environment = new_environment
        # Async handlers interleave at await points (any number of copies), sync ones at SDK
        # calls, in two environments (one copy; more run after it, as ordinary duplicates).
        together = history.concurrent_duplicates
        self._concurrent = together if self.is_async else min(together, 1)
        self._schedule = tuple(schedule)
        self.race = None
        self._notes = []

    def _plan_throttles(self, history: DeliveryHistory) -> None:
        """The history's throttles, on the function: before attempt #1, and before a late retry."""
        fn = self._fn
        fn.pending_throttles = 0  # a late retry that never came (the attempt succeeded) leaves none behind
        fn.attempt_throttles.clear()
        if history.throttles:
            before_first = history.throttles_before(1)
            if before_first:
                fn.throttle_next(before_first)
            for step in history.steps:
                if isinstance(step, S.Throttle) and step.attempt > 1:  # Lambda's retry, late (same request id)
                    fn.throttle_next(step.times, attempt=step.attempt)

    def _play(self, event: Any, history: DeliveryHistory) -> None:
        """Invoke ``event`` with the history's duplicates and redeliveries, and run the service until it
        is done, recording what the handler sends (``self._sent``)."""
        inv = self.invoker
        faults = self._faults
        previous = faults.start_recording(self._sent)
        redeliveries = history.redeliveries
        try:
            inv.invoke(self.function, event, invocation_type="Event",
                       duplicates=history.duplicates - self._concurrent - len(redeliveries))
            waited = 0.0
            for step in redeliveries:  # the source sends it again: a new invocation, a new request id
                inv.advance(step.delay - waited)
                waited = step.delay
                inv.accept_source_event(self.function, event, source=source_label(event_source(event)))
            inv.run()
        finally:
            faults.stop_recording(previous)

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
            clean = self.run(event, S.DeliveryHistory())
        finally:
            self._count_calls = False
        if clean.failed is not None:
            raise AssertionError(_text.clean_delivery_failed(self.qualname, clean.failed, event))
        log = self._clean_calls
        result = (clean.state, 0 if log is None else len(log.calls))
        if key is not None:
            self.baselines[key] = result
        return result

    def acts(self, expected: Any, calls: int) -> bool:
        """Whether a clean delivery that ended in ``expected`` after ``calls`` AWS SDK calls (its
        :meth:`baseline`) did something: made a call or changed the state."""
        if calls:
            return True
        if self._idle is _UNKNOWN:
            self._reset()
            self._idle = self.state()
        return bool(expected != self._idle)

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
            history = wrap_call_indexes(history, calls)
            if not self.is_async:
                history, schedule = sequential_if_no_switch(history, tuple(schedule), calls)
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
        race = self.race
        # A check that fails for two clean deliveries is a nondeterministic state(), not the handler.
        again = self.run(event, S.DeliveryHistory()).state
        if again != expected:
            raise AssertionError(_text.nondeterministic_state(event, expected, again))
        module_state: list[str] | None = None
        if new_environment and self.environment.names:
            # Passing inside one environment pins it on module state: name what the run kept there.
            if self.run(event, history, False, schedule).state == expected:
                module_state = self.environment.changed() or self.environment.names
        raise self._error(event, history, new_environment, schedule, got, expected, tried=tried,
                          module_state=module_state, race=race)

    def _error(self, event: Any, history: DeliveryHistory, new_environment: bool, schedule: tuple[int, ...],
               got: _Run, expected: Any, *, tried: int | None, module_state: list[str] | None,
               race: tuple[str | None, str | None] | None) -> NotIdempotentError:
        schedule = tuple(schedule) if history.concurrent_duplicates else ()
        callables = [(keyword, *_callable_name(fn)) for keyword, fn in (("state", self._user_state),
                                                                         ("reset", self.reset)) if fn is not None]
        error = NotIdempotentError(idempotency_report(
            qualname=self.qualname, event=event, history=history, new_environment=new_environment,
            entries=got.entries, t0=got.t0, seed=self.invoker.seed, expected=expected, got=got.state,
            tried=tried, name=getattr(inspect.unwrap(self.handler), "__name__", "handler"), schedule=schedule,
            callables=callables, module_state=module_state, shrunk=tried is not None, race=race,
            source=source_label(event_source(event)),
            late=any(step.delay > EARLY_DELAY for step in history.redeliveries)))
        error.event, error.history, error.new_environment = event, history, new_environment
        error.schedule = schedule
        error.expected, error.actual = expected, got.state
        return error


def _event_key(event: Any) -> str | None:
    try:
        return json.dumps(event, sort_keys=True)
    except (TypeError, ValueError):
        return None


def _callable_name(fn: Callable[[], Any]) -> tuple[str, bool]:
    """How a Reproduce line names a ``state=``/``reset=`` callable, and whether that name alone replays
    it: a function named at module level (or in a class body), not a lambda, a local function or a
    bound method, whose name the test cannot know."""
    qualname = getattr(fn, "__qualname__", None)
    if not isinstance(qualname, str):
        return type(fn).__name__, False
    pasteable = (inspect.isfunction(fn) and isinstance(getattr(fn, "__module__", None), str)
                 and "<" not in qualname)
    return qualname, pasteable


_NOT_ARMED = object()  # _begin: no SDK-call log armed for this attempt
_UNKNOWN = object()  # _Runner._idle before acts first needs it


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
    module state as after a cold start).  A ``Duplicate(concurrent=True)``
    runs alongside attempt #1, the two interleaved as ``schedule`` says: for
    an ``async def`` handler at await points, for a sync one at AWS SDK calls
    in a second environment (one int per point where both could go on: 0 keeps
    the one that ran last going, 1 switches; empty: the first runs as far as
    it can before the other starts).  A ``Duplicate(new_request_id=True,
    delay=...)`` is a new invocation from the event's source, ``delay``
    seconds after the first.  Raises :class:`NotIdempotentError`, whose
    ``event``, ``history``, ``new_environment`` and ``schedule`` replay it.
    """
    __tracebackhide__ = True
    if history is None:
        if isinstance(deliveries, bool) or not isinstance(deliveries, int) or deliveries < 1:
            raise ValueError(f"deliveries must be an int >= 1, got {deliveries!r}")
        history = S.DeliveryHistory(tuple(S.Duplicate() for _ in range(deliveries - 1)))
    elif not isinstance(history, S.DeliveryHistory):
        raise TypeError(f"history must be a DeliveryHistory (from strategies.delivery_histories()), got {history!r}")
    with _Runner(handler, state=state, reset=reset) as runner:
        runner.verify(event, history, new_environment, tuple(schedule))


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
    maximum_event_age: int = 21600,
) -> None:
    """Search events x delivery histories with Hypothesis for one that breaks idempotency.

    ``events`` is a Hypothesis strategy or one event.  Histories: up to
    ``max_duplicates`` duplicate deliveries, up to ``max_retry_attempts``
    failed attempts each retried (the handler's work done, then a function
    error; or, with ``sdk_failures``, an AWS SDK call failing before it takes
    effect or after, with its response lost), and with ``new_environments``
    redeliveries on a second execution environment.  Duplicates are
    Lambda's own (same request id), redeliveries from the event's source (a
    new invocation with a new request id: S3, SNS, EventBridge, SQS, a stream
    mapping or the caller, read from the event's shape) 2 s later or late (past
    5 minutes, and ``maximum_event_age`` seconds later: the
    function's MaximumEventAgeInSeconds, 6 h by default; lower it to bound how
    late), or a concurrent copy (async handlers: at await points; sync ones:
    in a second environment, between AWS SDK calls).  Lambda's retry of a
    failed attempt (same request id) is also played throttled until as late
    as ``maximum_event_age`` lets it come (5 h 59 min 31 s by default).  Histories also start
    one second before a minute, hour or day boundary.  An SDK failure's call
    index is taken modulo the calls one clean delivery of the event makes.
    Before the random search, each kind of history is played once on the
    first event the handler acts on, whatever the seed (up to half of
    ``max_examples``; the search gets the rest).
    Raises :class:`NotIdempotentError` for the smallest failing example
    Hypothesis finds, its history then simplified one step at a time while it
    still fails; the message is built for that example.  With the default
    (moto) state, moto is left as the check found it.  Runs its own Hypothesis
    search: inside your own ``@given`` test, use :func:`idempotency_histories`
    with :func:`assert_idempotent` instead.
    """
    __tracebackhide__ = True
    from hypothesis import strategies as st
    from hypothesis.strategies import SearchStrategy

    from .search import run_search

    if isinstance(max_examples, bool) or not isinstance(max_examples, int) or max_examples < 1:
        raise ValueError(f"max_examples must be an int >= 1, got {max_examples!r}")
    event_strategy = events if isinstance(events, SearchStrategy) else st.just(events)
    tried = [0]
    runner = _Runner(handler, state=state, reset=reset)
    runner.hold = False
    with runner:
        plans = idempotency_histories(max_duplicates=max_duplicates, max_retry_attempts=max_retry_attempts,
                                      sdk_failures=sdk_failures, new_environments=new_environments,
                                      concurrent=runner.is_async, interleave_calls=not runner.is_async,
                                      maximum_event_age=maximum_event_age)

        def verify(case: tuple[Any, tuple[DeliveryHistory, bool, tuple[int, ...]]]) -> None:
            event, (history, new_environment, schedule) = case
            tried[0] += 1
            runner.verify(event, history, new_environment, schedule, tried=tried[0], wrap_calls=True)

        # Every kind of history once first, on the first event that does something, as many as half
        # the examples: each counts as one of max_examples (the random search gets the rest).
        budget = max_examples // 2
        swept: list[int] = []  # how many first histories were played, once they were

        def sweep(event: Any) -> None:
            if swept:
                return
            expected, calls = runner.baseline(event)
            if not runner.acts(expected, calls):
                return  # an event the handler does nothing with (an empty batch): try the next
            kinds = first_histories(calls, is_async=runner.is_async, max_duplicates=max_duplicates,
                                    max_retry_attempts=max_retry_attempts, sdk_failures=sdk_failures,
                                    new_environments=new_environments, maximum_event_age=maximum_event_age)
            for history, new_environment, schedule in kinds[:budget]:
                tried[0] += 1
                runner.verify(event, history, new_environment, schedule, tried=tried[0], wrap_calls=True)
            swept.append(min(len(kinds), budget))

        try:
            for events_drawn in ((1, FIRST_EVENTS) if budget else ()):  # the simplest event, else up to 10
                if not swept:
                    run_search(runner.invoker, event_strategy, sweep, events_drawn, seed)
            run_search(runner.invoker, st.tuples(event_strategy, plans), verify, max(1, max_examples - sum(swept)),
                       seed)
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
        for history, environment in simpler(error.history, error.new_environment, max_duplicates):
            if history.is_clean and not environment:
                continue
            try:
                runner.verify(error.event, history, environment, schedule, tried=tried, wrap_calls=True)
            except NotIdempotentError as still:
                error = still
                break
            except Exception:  # e.g. a nondeterministic state: keep the history Hypothesis found
                continue
        else:
            return error
    return error
