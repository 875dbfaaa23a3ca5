"""Delivery histories: :func:`delivery_histories`, :class:`DeliveryHistory` and the steps it is made of."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any, Literal, Protocol, Union

from hypothesis import strategies as st

from .._service import aws
from .. import _text
from . import formats as fmt
from ._common import plain_value

SdkFailureKind = Literal["before", "response_lost"]


@dataclass(frozen=True)
class Duplicate:
    """One extra delivery of the event (at-least-once).

    By default Lambda's async queue delivers it again, with the same request
    id (Q-2).  ``new_request_id=True``: the event's source (S3, SNS,
    EventBridge, SQS, a stream's event source mapping, or a caller retrying its
    Invoke) sends it again, which is a separate invocation with a new
    ``aws_request_id``; ``delay`` is how many seconds after the first delivery
    it arrives (a late redelivery can outlive a deduplication window).
    ``concurrent``: the duplicate runs while the first delivery is still
    running, in a second execution environment (applied by the idempotency
    checker: at await points for async handlers, between AWS SDK calls for
    sync ones)."""

    concurrent: bool = False
    new_request_id: bool = False
    delay: float = 0.0

    def __post_init__(self) -> None:
        if isinstance(self.delay, bool) or not isinstance(self.delay, (int, float)) or not 0 <= self.delay <= 86400 * 14:
            raise ValueError(f"{self!r}: delay is a number of seconds between 0 and 14 days")
        if self.delay and not self.new_request_id:
            raise ValueError(f"{self!r}: only a redelivery from the source (new_request_id=True) is placed "
                             "later; Lambda's own duplicates are queued with the event")
        if self.concurrent and self.new_request_id:
            raise ValueError(f"{self!r}: a concurrent duplicate keeps the request id")

    def __repr__(self) -> str:  # the fields that differ from the defaults: short, and pasteable
        changed = [f"{name}={getattr(self, name)!r}" for name, default in
                   (("concurrent", False), ("new_request_id", False), ("delay", 0.0)) if getattr(self, name) != default]
        return f"Duplicate({', '.join(changed)})"

    @property
    def delay_text(self) -> str:
        """``2 s later``, ``5 min 1 s later``: when a redelivery comes, as people say it."""
        return _text.later_text(self.delay)

    def describe(self) -> str:
        """How this duplicate arrives, in a few words."""
        return _text.duplicate_arrival(new_request_id=self.new_request_id, concurrent=self.concurrent,
                                       delay=self.delay)


@dataclass(frozen=True)
class FunctionError:
    """Attempt ``attempt`` (1 = the first) ends in a function error, and the
    service retries the event (after about 1, then 2 minutes)."""

    attempt: int = 1


@dataclass(frozen=True)
class Throttle:
    """A delivery is throttled (429) ``times`` times before attempt ``attempt``, each time put back
    in the queue with back-off (1, 2, 4, ... 300 s: RET-3).

    ``attempt=1`` (the default) delays a first delivery.  ``attempt=k`` (``k`` >= 2) delays
    Lambda's own retry of failed attempt ``k - 1``: it keeps the request id and can come hours
    after the failure, up to the function's maximum event age (6 h by default, RET-4), not only
    1 or 2 minutes later (a late retry; see :meth:`DeliveryHistory.attempt_times`)."""

    attempt: int = 1
    times: int = 1

    def __post_init__(self) -> None:
        for name, value, high in (("attempt", self.attempt, 1 + aws.MAX_RETRY_ATTEMPTS_RANGE[1]),
                                  ("times", self.times, 10_000)):
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
                raise ValueError(f"Throttle {name} is an int from 1 to {high}, got {value!r}")

    def __repr__(self) -> str:  # the fields that differ from the defaults: short, and pasteable
        changed = [f"{name}={getattr(self, name)!r}" for name in ("attempt", "times") if getattr(self, name) != 1]
        return f"Throttle({', '.join(changed)})"


@dataclass(frozen=True)
class SdkFailure:
    """The ``call_index``-th AWS SDK call (0 = the first) an attempt makes fails.

    ``"before"``: it fails before it takes effect (``ThrottlingException``,
    ``ServiceUnavailable``).  ``"response_lost"``: it takes effect, then the
    response is lost (a read timeout), so the handler sees an error for work
    that was done.  The attempt ends as the handler lets it (usually a
    function error, then a retry).  Injected by the idempotency checker."""

    call_index: int = 0
    kind: SdkFailureKind = "before"


Delivery = Union[Duplicate, FunctionError, Throttle, SdkFailure]
"""One step of a :class:`DeliveryHistory`."""

Start = Literal["minute", "hour", "day"]
"""Where a history starts: one second before the next minute, hour or day boundary."""
STARTS: tuple[Start, ...] = ("minute", "hour", "day")


class _LambdaFunctionLike(Protocol):
    def fail_next(self, n: int = ..., /) -> object: ...

    def throttle_next(self, n: int = ..., /) -> object: ...


class _InvokerLike(Protocol):
    def function(self, name: str, /) -> Any: ...

    def invoke(self, function_name: str, payload: Any = ..., /, *, invocation_type: Literal["Event"] = ...,
               duplicates: int = ...) -> Any: ...

    def run(self) -> Any: ...

    def advance(self, seconds: float, /) -> Any: ...

    @property
    def now(self) -> _dt.datetime: ...


def seconds_to_boundary(now: _dt.datetime, start: Start) -> float:
    """Seconds from ``now`` (a datetime) to the next minute, hour or day boundary."""
    size = {"minute": 60, "hour": 3600, "day": 86400}[start]
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    into = (now - midnight).total_seconds()
    wait = size - into % size
    return wait if wait >= 1 else wait + size  # at least 1 s: the history starts 1 s before it


@dataclass(frozen=True)
class DeliveryHistory:
    """What the service does with one event: a tuple of :data:`Delivery` steps.

    The empty history is one clean delivery.  Steps read in order: throttles
    before the first attempt, then the failing attempts (``FunctionError`` or
    ``SdkFailure``, attempt 1, 2, ...), then the final successful attempt, then
    duplicate deliveries.  ``start`` (``"minute"``, ``"hour"``, ``"day"``)
    plays the history from one second before the next such boundary of the
    clock, so a retry or a late duplicate lands on the other side of it (the
    idempotency checks play ``None`` from 12:30:30, mid-minute and mid-hour, and
    every start at the same time of day, so a report replays whenever it is run).  Histories are frozen and compare by value.
    """

    steps: tuple[Delivery, ...] = ()
    start: Start | None = None

    def __post_init__(self) -> None:
        steps: Any = self.steps
        if not isinstance(steps, tuple):  # accept any iterable, store a tuple
            object.__setattr__(self, "steps", tuple(steps))
        failures = 0
        for step in self.steps:
            if not isinstance(step, (Duplicate, FunctionError, Throttle, SdkFailure)):
                raise TypeError(f"a delivery history step is a Duplicate, FunctionError, Throttle or "
                                f"SdkFailure, got {step!r}")
            if isinstance(step, (FunctionError, SdkFailure)):
                failures += 1
                if isinstance(step, FunctionError) and step.attempt != failures:
                    raise ValueError(
                        f"{step!r} is failure number {failures} of this history, so it fails attempt "
                        f"{failures}: attempts fail in order, each followed by a retry")
            if isinstance(step, SdkFailure) and (step.kind not in ("before", "response_lost")
                                                 or step.call_index < 0):
                raise ValueError(f"{step!r}: call_index is >= 0 and kind is 'before' or 'response_lost'")
        for step in self.steps:
            if isinstance(step, Throttle) and step.attempt > failures + 1:
                raise ValueError(f"{step!r} delays attempt {step.attempt}, but this history fails {failures} "
                                 f"attempt{'s' if failures != 1 else ''}, so it makes {failures + 1}")
        if self.start is not None and self.start not in STARTS:
            raise ValueError(f"start is None or one of {', '.join(STARTS)}; got {self.start!r}")

    def __repr__(self) -> str:  # pasteable: DeliveryHistory((Duplicate(),), start='day')
        steps = repr(self.steps) if self.steps else ""
        start = f"{', ' if steps else ''}start={self.start!r}" if self.start is not None else ""
        return f"DeliveryHistory({steps}{start})"

    # -- counts ------------------------------------------------------------------
    @property
    def is_clean(self) -> bool:
        """True for the empty history: one clean delivery."""
        return not self.steps

    @property
    def duplicates(self) -> int:
        return sum(isinstance(s, Duplicate) for s in self.steps)

    @property
    def redeliveries(self) -> tuple[Duplicate, ...]:
        """The duplicates the source sends (each a new invocation, new request id), by arrival."""
        return tuple(sorted((s for s in self.steps if isinstance(s, Duplicate) and s.new_request_id),
                            key=lambda s: s.delay))

    @property
    def concurrent_duplicates(self) -> int:
        return sum(isinstance(s, Duplicate) and s.concurrent for s in self.steps)

    @property
    def function_errors(self) -> int:
        return sum(isinstance(s, FunctionError) for s in self.steps)

    @property
    def throttles(self) -> int:
        """Throttled deliveries in all (each ``Throttle`` step counts ``times``)."""
        return sum(s.times for s in self.steps if isinstance(s, Throttle))

    def throttles_before(self, attempt: int) -> int:
        """Throttles before attempt ``attempt`` of the first delivery."""
        return sum(s.times for s in self.steps if isinstance(s, Throttle) and s.attempt == attempt)

    @property
    def late_retries(self) -> tuple[tuple[int, float], ...]:
        """``(attempt, seconds after the failed attempt before it)`` for each of Lambda's own retries
        (same request id) that throttles delay past its usual 1 or 2 minutes."""
        times = self.attempt_times()
        return tuple((k, times[k - 1] - times[k - 2]) for k in range(2, len(times) + 1)
                     if self.throttles_before(k))

    def attempt_times(self) -> tuple[float, ...]:
        """Seconds after the first delivery at which each attempt of that delivery starts (handlers
        taking no virtual time): retry delays (RET-1) plus the throttles' back-off (RET-3), which
        grows over all the throttles of the delivery.  Throttles before attempt #1 may land on a
        duplicate copy queued with it instead (as ``fail_next`` errors may): then these are the copy's."""
        times: list[float] = []
        now = 0.0
        throttled = 0
        for attempt in range(1, self.attempts + 1):
            if attempt > 1:
                now += aws.retry_delay(attempt - 1)
            for _ in range(self.throttles_before(attempt)):
                throttled += 1
                now += aws.throttle_delay(throttled)
            times.append(now)
        return tuple(times)

    @property
    def sdk_failures(self) -> tuple[SdkFailure, ...]:
        return tuple(s for s in self.steps if isinstance(s, SdkFailure))

    @property
    def attempts(self) -> int:
        """Attempts the first delivery gets: one per failure, plus the final one."""
        return 1 + self.function_errors + len(self.sdk_failures)

    # -- text --------------------------------------------------------------------
    def describe(self) -> list[str]:
        """Human-readable lines, one per step, in the order they happen."""
        if not self.steps:
            return [_text.CLEAN_HISTORY]
        lines: list[str] = [] if self.start is None else [_text.history_start_line(self.start)]
        throttles = 0
        late = dict(self.late_retries)
        for step in self.steps:
            if isinstance(step, Throttle) and step.attempt == 1:
                first = aws.throttle_delay(throttles + 1)
                throttles += step.times
                lines.append(_text.first_throttles_line(step.times, first, aws.throttle_delay(throttles)))
        attempt = 0
        for step in self.steps:
            if isinstance(step, (FunctionError, SdkFailure)):
                attempt += 1
                kind, call_index = ("error", 0) if isinstance(step, FunctionError) else (step.kind, step.call_index)
                lines.append(_text.failed_attempt_line(attempt, kind, call_index, aws.RETRY_DELAYS.get(attempt)))
            for late_step in self.steps:
                if isinstance(step, (FunctionError, SdkFailure)) and isinstance(late_step, Throttle) \
                        and late_step.attempt == attempt + 1 and attempt + 1 in late:
                    lines.append(_text.late_retry_line(attempt + 1, late_step.times, late[attempt + 1]))
        lines.append(_text.succeeded_attempt_line(attempt + 1))
        dup = 0
        for step in self.steps:
            if isinstance(step, Duplicate):
                dup += 1
                lines.append(_text.duplicate_line(dup, new_request_id=step.new_request_id,
                                                  concurrent=step.concurrent, delay=step.delay))
        return lines

    def __str__(self) -> str:
        return "\n".join(self.describe())

    # -- replay ------------------------------------------------------------------
    def apply(self, invoker: _InvokerLike, function_name: str, event: Any) -> Any:
        """Replay this history on a :class:`~pytest_lambda_async.LambdaInvoker`.

        Sets up the throttles (``throttle_next``) and function errors
        (``fail_next``) on the registered function, invokes ``event`` with
        ``invocation_type="Event"`` and ``duplicates=``, then runs the
        invoker until nothing is queued.  Returns the invoke result.

        ``fail_next`` counts attempts in the order the service makes them, so
        with duplicates an error can land on a duplicate's attempt; the event
        still sees that many errors, each retried (so can a late retry's
        throttles, aimed at the attempt number: ``delivery_histories`` draws
        late retries without duplicates).  A ``Throttle(attempt=k)``
        (``k`` >= 2) throttles Lambda's retry of attempt ``k - 1`` only
        (``throttle_next(n, attempt=k)``), so it comes as late as
        :meth:`attempt_times` says, with the same request id.  A
        ``Duplicate(new_request_id=True, delay=d)`` is a new ``Event`` invoke
        ``d`` seconds after the first (a new request id).  ``start`` first moves
        the clock to one second before the next minute, hour or day boundary.
        ``SdkFailure`` steps and ``Duplicate.concurrent`` are not applied here:
        the idempotency checker applies them, as only it wraps the handler's SDK
        calls and runs duplicates side by side.
        """
        fn = invoker.function(function_name)
        if self.start is not None:
            invoker.advance(seconds_to_boundary(invoker.now, self.start) - 1)
        first = self.throttles_before(1)
        if first:
            fn.throttle_next(first)
        for step in self.steps:
            if isinstance(step, Throttle) and step.attempt > 1:
                fn.throttle_next(step.times, attempt=step.attempt)
        if self.function_errors:
            fn.fail_next(self.function_errors)
        redeliveries = self.redeliveries
        result = invoker.invoke(function_name, event, invocation_type="Event",
                                duplicates=self.duplicates - len(redeliveries))
        waited = 0.0
        for step in redeliveries:
            invoker.advance(step.delay - waited)
            waited = step.delay
            invoker.invoke(function_name, event, invocation_type="Event")
        invoker.run()
        return result


@st.composite
def _histories(draw: st.DrawFn, *, max_duplicates: int, max_retry_attempts: int, max_throttles: int,
               sdk_failures: bool, concurrent: bool, redeliveries: bool = False, late: bool = False,
               maximum_event_age: int = aws.DEFAULT_MAXIMUM_EVENT_AGE, starts: bool = False) -> DeliveryHistory:
    throttles = draw(st.lists(st.just(Throttle()), max_size=max_throttles))
    sdk = st.builds(SdkFailure, call_index=st.integers(0, 20),
                    kind=st.sampled_from(("before", "response_lost")))
    failure_kinds = st.one_of(st.just("error"), sdk) if sdk_failures else st.just("error")
    failures = draw(st.lists(failure_kinds, max_size=max_retry_attempts))
    failing: list[Delivery] = [
        kind if isinstance(kind, SdkFailure) else FunctionError(attempt=i + 1)
        for i, kind in enumerate(failures)
    ]
    kinds: list[st.SearchStrategy[Duplicate]] = [
        st.builds(Duplicate, concurrent=st.booleans()) if concurrent else st.just(Duplicate())]
    if redeliveries:  # from the source, a new request id: just after, or (late) up to the maximum age
        delays = aws.redelivery_delays(maximum_event_age) if late else (aws.EARLY_REDELIVERY,)
        delay = st.sampled_from(delays)
        if late:
            delay = st.one_of(delay, st.integers(1, maximum_event_age).map(float))
        kinds.append(st.builds(Duplicate, new_request_id=st.just(True), delay=delay))
    duplicates = draw(st.lists(st.one_of(kinds), max_size=max_duplicates))
    retries: list[Delivery] = []
    # Lambda's own retry of a failed attempt, throttled until hours later; drawn with no duplicates, whose
    # attempts could take the errors or the throttles meant for the first delivery (see apply).
    if late and failing and not duplicates:
        counts = aws.late_retry_throttles((aws.DEDUPLICATION_INTERVAL + 1,), maximum_event_age)
        wanted: bool = bool(counts) and draw(st.booleans())
        if wanted:
            times = draw(st.one_of(st.sampled_from(counts), st.integers(1, counts[-1])))
            attempt = draw(st.integers(2, len(failing) + 1))
            # Every attempt within the maximum age (RET-4), or the history would not play as it says.
            while times and DeliveryHistory((*throttles, *failing, Throttle(attempt, times))
                                            ).attempt_times()[-1] >= maximum_event_age:
                times -= 1
            if times:
                retries.append(Throttle(attempt=attempt, times=times))
    start = draw(st.sampled_from((None, *STARTS))) if starts else None
    return DeliveryHistory((*throttles, *failing, *retries, *duplicates), start)


def delivery_histories(
    *,
    max_duplicates: int = 2,
    max_retry_attempts: int = 2,
    max_throttles: int = 3,
    sdk_failures: bool = True,
    concurrent: bool = True,
    redeliveries: bool = False,
    late: bool = False,
    maximum_event_age: int = aws.DEFAULT_MAXIMUM_EVENT_AGE,
    starts: bool = False,
) -> st.SearchStrategy[DeliveryHistory]:
    """What the service may do with one event, as a :class:`DeliveryHistory`.

    Up to ``max_duplicates`` extra deliveries (each ``concurrent`` or not
    when ``concurrent=True``: two environments at once), up to
    ``max_retry_attempts`` failed attempts each followed by a retry (function
    errors, and SDK failures when ``sdk_failures=True``), and up to
    ``max_throttles`` throttles before the first attempt.  The kinds the
    idempotency checks also play, off by default (histories drawn before
    keep their shape): ``redeliveries=True`` adds duplicates from the
    event's source with a new request id (``Duplicate(new_request_id=True,
    delay=2.0)``); ``late=True`` places those up to ``maximum_event_age``
    seconds later (60..21600, the function's MaximumEventAgeInSeconds) and
    adds Lambda's own retry of a failed attempt delayed by throttling
    (``Throttle(attempt=2, times=79)``: same request id, 5 h 59 min 31 s
    after the failure with the default age); ``starts=True`` draws
    ``start`` (one second before a minute, hour or day boundary).  Shrinks
    towards the empty history (one clean delivery): fewer steps, then
    ``concurrent=False``, ``call_index=0``, ``kind="before"``, the earliest
    delay, no start.
    """
    return _histories(
        max_duplicates=fmt.check_int(plain_value(max_duplicates, "max_duplicates"), "max_duplicates", 0, 100),
        max_retry_attempts=fmt.check_int(plain_value(max_retry_attempts, "max_retry_attempts"),
                                         "max_retry_attempts", *aws.MAX_RETRY_ATTEMPTS_RANGE),
        max_throttles=fmt.check_int(plain_value(max_throttles, "max_throttles"), "max_throttles", 0, 100),
        sdk_failures=fmt.check_bool(plain_value(sdk_failures, "sdk_failures"), "sdk_failures"),
        concurrent=fmt.check_bool(plain_value(concurrent, "concurrent"), "concurrent"),
        redeliveries=fmt.check_bool(plain_value(redeliveries, "redeliveries"), "redeliveries"),
        late=fmt.check_bool(plain_value(late, "late"), "late"),
        maximum_event_age=fmt.check_int(plain_value(maximum_event_age, "maximum_event_age"), "maximum_event_age",
                                        *aws.MAXIMUM_EVENT_AGE_RANGE),
        starts=fmt.check_bool(plain_value(starts, "starts"), "starts"),
    )
