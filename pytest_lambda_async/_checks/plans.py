"""The histories :func:`check_idempotent` searches, numbered simplest first, and its last shrink.

A history is failures x duplicates x environment x start.  Each is one
integer for Hypothesis (see :func:`idempotency_histories`); :class:`Plans`
decodes it.  :func:`simpler` lists histories one step simpler, for the final
shrink, and :func:`wrap_call_indexes` moves drawn SDK failures onto the calls a
handler really makes.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .._service.aws import DEFAULT_MAXIMUM_EVENT_AGE, MAX_RETRY_ATTEMPTS_RANGE, MAXIMUM_EVENT_AGE_RANGE
from .lazy import S
from . import sources
from .sources import late_retries, redelivery_delays

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from ..strategies import DeliveryHistory

Plan = tuple["DeliveryHistory", bool, tuple[int, ...]]
CALL_INDICES = 21  # SDK calls [0]..[20] of an attempt are drawn (then taken mod the calls made)
SWITCH_POINTS = 4  # sync handlers: the second environment starts before one of the first's calls [1]..[3]
STARTS: tuple[Any, ...] = (None, "minute", "hour", "day")


def sync_schedules() -> tuple[tuple[int, ...], ...]:
    """Interleavings of two sync deliveries at SDK-call boundaries, smallest first: the second starts
    before the first's call k (k >= 1: before call [0] it is a sequential duplicate) and runs to its end; then it also hands back after its own first calls
    (the first writes between the second's read and write)."""
    one = [(0,) * k + (1,) for k in range(1, SWITCH_POINTS)]  # before call [0]: the second runs first, whole
    two = [(0,) * k + (1,) + (0,) * j + (1,) for k in (1, 2) for j in (1, 2)]
    return tuple(one + two)


def idempotency_histories(*, max_duplicates: int = 2, max_retry_attempts: int = 2, sdk_failures: bool = True,
                          new_environments: bool = True, concurrent: bool = False, redeliveries: bool = True,
                          maximum_event_age: int = DEFAULT_MAXIMUM_EVENT_AGE, boundaries: bool = True,
                          interleave_calls: bool = False, late_retries: bool = True) -> SearchStrategy[Plan]:
    """``(history, new_environment, schedule)`` as :func:`check_idempotent` searches them.

    For a test with its own ``@given``: draw one and pass the three to
    :func:`assert_idempotent` (``history=``, ``new_environment=``,
    ``schedule=``).  ``concurrent=True`` (for ``async def`` handlers) adds
    duplicates that run alongside the first attempt, interleaved at await
    points under a drawn schedule; ``interleave_calls=True`` (sync handlers)
    adds one, interleaved at AWS SDK calls.  ``redeliveries`` adds duplicates
    from the event's source with a new request id, 2 s later or late (past 5
    minutes, and at ``maximum_event_age``); ``late_retries`` adds Lambda's own retry of
    a failed attempt (same request id) throttled until just past 5 minutes, then until as
    late as ``maximum_event_age`` lets it come; ``boundaries`` starts
    histories one second before a minute, hour or day.  Shrinks towards one
    clean delivery in one environment, and schedules towards sequential runs."""
    from hypothesis import strategies as st

    from ..strategies import formats as fmt

    max_duplicates = fmt.check_int(max_duplicates, "max_duplicates", 0, 100)
    max_retry_attempts = fmt.check_int(max_retry_attempts, "max_retry_attempts", *MAX_RETRY_ATTEMPTS_RANGE)
    maximum_event_age = fmt.check_int(maximum_event_age, "maximum_event_age", *MAXIMUM_EVENT_AGE_RANGE)
    kinds = duplicate_kinds(concurrent or interleave_calls, maximum_event_age if redeliveries else None,
                            late_retries and max_retry_attempts > 0)
    plans = Plans(failure_plans(max_retry_attempts, sdk_failures), duplicate_plans(max_duplicates, kinds, max_duplicates if concurrent else 1),
                  2 if new_environments else 1, STARTS if boundaries else (None,),
                  sync_schedules() if interleave_calls else ((),), maximum_event_age)
    # One integer per history, numbering the histories simplest first (failed attempts
    # the most significant digit, then duplicates, then the environment, then the start),
    # and the interleaving of a sync concurrent duplicate, so shrinking it lowers each.  One draw instead of a list of steps: Hypothesis's cost
    # per drawn choice was most of the search's cost.  Shrinking one number can stop at a
    # local minimum: check_idempotent then simplifies the history step by step (simpler).
    # sampled_from(range(...)), not integers(): Hypothesis's mutator copies values between
    # spans of the same label, and integers() share one with the event's integers, so
    # each example would be followed by runs of those copies (a sixth of the search's time).
    numbers = st.sampled_from(range(len(plans)))
    if not concurrent:
        return numbers.map(plans.decode)
    schedules = st.lists(st.booleans(), max_size=24)  # True: switch (1)
    return st.tuples(numbers, schedules).map(
        lambda drawn: (*plans.decode(drawn[0])[:2], tuple(int(b) for b in drawn[1])))


FIRST_SCHEDULES_ASYNC = ((1,), (0, 1), (0, 0, 1))  # async: the copy starts at the first's 1st, 2nd, 3rd await


def first_histories(calls: int, *, is_async: bool, max_duplicates: int = 2, max_retry_attempts: int = 2,
                    sdk_failures: bool = True, new_environments: bool = True, redeliveries: bool = True,
                    maximum_event_age: int = DEFAULT_MAXIMUM_EVENT_AGE, boundaries: bool = True,
                    late_retries: bool = True) -> tuple[Plan, ...]:
    """Every kind of history once, each at the value most likely to break a handler, in the order
    :func:`check_idempotent` plays them on its first event before the random search (as Hypothesis
    plays ``@example`` cases first), smaller time spans first: Lambda's duplicate; a redelivery 2 s
    later; a concurrent copy at each switch point; a function error; the duplicate and the retry in
    a second environment; the redelivery and the retry starting before each clock boundary; the late
    redeliveries; each of the ``calls`` SDK calls one clean delivery makes failing each way; then
    the retry of each failure coming late.

    A drawn search finds each of these only with some probability, and one missed with one seed
    is missed in every run of that seed: single-step bugs are caught whatever the seed."""
    history = S.DeliveryHistory
    plans: list[Plan] = []
    duplicate = (S.Duplicate(),)
    error = (S.FunctionError(1),)
    later = redelivery_delays(maximum_event_age) if redeliveries else ()
    if max_duplicates:
        plans.append((history(duplicate), False, ()))
        plans.extend((history((S.Duplicate(new_request_id=True, delay=d),)), False, ()) for d in later[:1])
        together = (S.Duplicate(concurrent=True),)
        # sync: the second environment starts before each call [1].. the handler makes, and runs to its end
        schedules = FIRST_SCHEDULES_ASYNC if is_async else sync_schedules()[:max(0, min(calls, SWITCH_POINTS) - 1)]
        plans.extend((history(together), False, schedule) for schedule in schedules)
    if max_retry_attempts:
        plans.append((history(error), False, ()))
    if new_environments:
        plans.extend((history(steps), True, ()) for steps in ((duplicate if max_duplicates else ()),
                                                              (error if max_retry_attempts else ())) if steps)
    if boundaries:
        early = (S.Duplicate(new_request_id=True, delay=later[0]),) if later and max_duplicates else ()
        plans.extend((history(steps, start), False, ()) for start in STARTS[1:]
                     for steps in (early, error if max_retry_attempts else ()) if steps)
    if max_duplicates:  # after the boundaries: 2 s across one is the smaller counterexample than 5 minutes
        plans.extend((history((S.Duplicate(new_request_id=True, delay=d),)), False, ()) for d in later[1:])
    if max_retry_attempts:
        failures = [*error, *(S.SdkFailure(k, kind) for k in range(calls) for kind in ("before", "response_lost")
                              if sdk_failures)]
        plans.extend((history((f,)), False, ()) for f in failures[1:])
        late = [n for attempt, n in sources.late_retries(maximum_event_age) if attempt == 2] if late_retries else []
        plans.extend((history((S.Throttle(attempt=2, times=late[0]), f)), False, ()) for f in failures if late)
    return tuple(plans)


class Plans:
    """The numbered histories of one search: failures x duplicates x environments x starts x schedules
    (the schedule only matters to a sync handler's concurrent duplicate: otherwise it is left out)."""

    def __init__(self, failures: tuple[tuple[Any, ...], ...], duplicates: tuple[tuple[Any, ...], ...],
                 environments: int, starts: tuple[Any, ...], schedules: tuple[tuple[int, ...], ...],
                 maximum_event_age: int = DEFAULT_MAXIMUM_EVENT_AGE) -> None:
        self.failures, self.duplicates, self.environments = failures, duplicates, environments
        self.maximum_event_age = maximum_event_age
        self.starts, self.schedules = starts, schedules
        self._cache: dict[int, Plan] = {}

    def __len__(self) -> int:
        return (len(self.failures) * len(self.duplicates) * self.environments * len(self.starts)
                * len(self.schedules))

    def decode(self, n: int) -> Plan:
        """History number ``n``: (history, new_environment, schedule)."""
        plan = self._cache.get(n)
        if plan is None:
            rest, schedule = divmod(n, len(self.schedules))
            rest, start = divmod(rest, len(self.starts))
            rest, environment = divmod(rest, self.environments)
            failures, duplicates = divmod(rest, len(self.duplicates))
            steps = self.duplicates[duplicates]
            failing = self.failures[failures]
            if any(isinstance(s, S.Throttle) and s.attempt > len(failing) + 1 for s in steps):
                # A late retry needs a failed attempt to retry: a late second retry of a history
                # with one failure is the late first one (the more often drawn), with none it is dropped.
                first = next((s for s in self.duplicates if len(s) == 1 and isinstance(s[0], S.Throttle)), ())
                steps = first if failing and first and first[0].attempt <= len(failing) + 1 else ()
            history = S.DeliveryHistory((*failing, *steps), self.starts[start])
            if len(failing) > 1 and history.throttles:
                history = within_age(history, self.maximum_event_age)
            together = any(isinstance(s, S.Duplicate) and s.concurrent for s in steps)
            plan = (history, environment == 1, self.schedules[schedule] if together else ())
            if len(self._cache) < 4096:
                self._cache[n] = plan
        return plan


@functools.lru_cache(maxsize=16)
def failure_plans(max_retry_attempts: int, sdk_failures: bool) -> tuple[tuple[Any, ...], ...]:
    """Every sequence of up to ``max_retry_attempts`` failed attempts, simplest first."""
    kinds: list[Any] = ["error"]
    if sdk_failures:
        kinds += [(kind, index) for index in range(CALL_INDICES) for kind in ("before", "response_lost")]
    plans: list[tuple[Any, ...]] = []
    for length in range(max_retry_attempts + 1):
        for combo in sorted(itertools.product(range(len(kinds)), repeat=length), key=lambda c: (sum(c), c)):
            plans.append(tuple(S.FunctionError(n + 1) if kinds[k] == "error"
                               else S.SdkFailure(kinds[k][1], kinds[k][0]) for n, k in enumerate(combo)))
    return tuple(plans)


@functools.lru_cache(maxsize=16)
def duplicate_kinds(concurrent: bool, maximum_event_age: int | None, late: bool = False) -> tuple[Any, ...]:
    """The kinds of duplicate a search draws, simplest first: Lambda's own (same request id), then
    redeliveries from the source (new request id), early then late, then Lambda's own retry of a
    failed attempt #1 come late (a ``Throttle(attempt=2, times=n)``: not a duplicate, drawn in its
    place), then a concurrent one."""
    kinds: list[Any] = [S.Duplicate()]
    if maximum_event_age is not None:
        kinds += [S.Duplicate(new_request_id=True, delay=d) for d in redelivery_delays(maximum_event_age)]
        if late:
            kinds += [S.Throttle(attempt=a, times=n) for a, n in late_retries(maximum_event_age)]
    if concurrent:
        kinds.append(S.Duplicate(concurrent=True))
    return tuple(kinds)


@functools.lru_cache(maxsize=16)
def duplicate_plans(max_duplicates: int, kinds: tuple[Any, ...], together: int) -> tuple[tuple[Any, ...], ...]:
    """Up to ``max_duplicates`` duplicates, fewest and simplest first: one of any of ``kinds``, the
    rest Lambda's own (same request id) or, for async handlers (``together`` > 1), concurrent.  Not
    every mix: each duplicate is a whole delivery, and a second redelivery or a redelivery next to a
    concurrent copy finds little the first alone does not, for the cost of the search's examples."""
    plain, rest = kinds[0], kinds[1:]
    plans: list[tuple[Any, ...]] = [()]
    for total in range(1, max_duplicates + 1):
        plans.append((plain,) * total)
        # A late retry (a Throttle) alone: a duplicate's attempt could take the failure it retries.
        plans.extend((kind, *(plain,) * (total - 1)) for kind in rest if total == 1 or isinstance(kind, S.Duplicate))
        if together > 1 and isinstance(kinds[-1], S.Duplicate) and kinds[-1].concurrent:
            plans.extend((kinds[-1],) * n + (plain,) * (total - n) for n in range(2, min(total, together) + 1))
    return tuple(plans)


def within_age(history: DeliveryHistory, maximum_event_age: float) -> DeliveryHistory:
    """``history`` with its late retry throttled fewer times if the attempts after it would land at or past
    the maximum age: the event would then be dropped (RET-4), a lost event rather than a duplicate."""
    while history.attempt_times()[-1] >= maximum_event_age:
        steps: list[Any] = list(history.steps)
        i = max(i for i, s in enumerate(steps) if isinstance(s, S.Throttle))
        late = steps[i]
        if late.times > 1:
            steps[i] = S.Throttle(attempt=late.attempt, times=late.times - 1)
        else:
            del steps[i]
        history = S.DeliveryHistory(tuple(steps), history.start)
    return history


def simpler(history: DeliveryHistory, new_environment: bool, max_duplicates: int
            ) -> Iterator[tuple[DeliveryHistory, bool]]:
    """Histories one step simpler than ``history``, simplest first (check_idempotent's last shrink).

    Drop the second environment; drop the start near a boundary; make a late retry come on
    time; drop a step;
    make a failure a duplicate, an SDK failure a function error, a lost
    response a failure before the call, an SDK failure an earlier call, a
    concurrent duplicate or a redelivery a plain one, a late redelivery an earlier one."""
    failures = [s for s in history.steps if isinstance(s, (S.FunctionError, S.SdkFailure))]
    duplicates = [s for s in history.steps if isinstance(s, S.Duplicate)]
    throttles = [s for s in history.steps if isinstance(s, S.Throttle)]
    start = history.start

    def make(fails: list[Any], dups: list[Any], late: list[Any] | None = None) -> DeliveryHistory:
        renumbered = [S.FunctionError(n + 1) if isinstance(f, S.FunctionError) else f for n, f in enumerate(fails)]
        kept = [t for t in (throttles if late is None else late) if t.attempt <= len(fails) + 1]
        made: DeliveryHistory = S.DeliveryHistory((*kept, *renumbered, *dups), start)
        return made

    if new_environment:
        yield history, False
    if start is not None:
        unstarted: DeliveryHistory = S.DeliveryHistory(history.steps)
        yield unstarted, new_environment
    for i in range(len(throttles)):  # a late retry on time
        yield make(failures, duplicates, throttles[:i] + throttles[i + 1:]), new_environment
    for i in range(len(failures)):
        yield make(failures[:i] + failures[i + 1:], duplicates), new_environment
    for i in range(len(duplicates)):
        yield make(failures, duplicates[:i] + duplicates[i + 1:]), new_environment
    for i, step in enumerate(failures):
        if len(duplicates) < max_duplicates:
            yield make(failures[:i] + failures[i + 1:], [S.Duplicate(), *duplicates]), new_environment
        if isinstance(step, S.SdkFailure):
            yield make(failures[:i] + [S.FunctionError(1)] + failures[i + 1:], duplicates), new_environment
            if step.kind == "response_lost":
                yield make(failures[:i] + [S.SdkFailure(step.call_index, "before")] + failures[i + 1:],
                           duplicates), new_environment
            for index in range(step.call_index):
                yield make(failures[:i] + [S.SdkFailure(index, step.kind)] + failures[i + 1:],
                           duplicates), new_environment
    for i, step in enumerate(duplicates):
        if step.concurrent or step.new_request_id:
            yield make(failures, duplicates[:i] + [S.Duplicate()] + duplicates[i + 1:]), new_environment
        for delay in redelivery_delays(MAXIMUM_EVENT_AGE_RANGE[1]) if step.new_request_id else ():
            if delay < step.delay:
                earlier = S.Duplicate(new_request_id=True, delay=delay)
                yield make(failures, duplicates[:i] + [earlier] + duplicates[i + 1:]), new_environment


def wrap_call_indexes(history: DeliveryHistory, calls: int) -> DeliveryHistory:
    """SDK failure k becomes k mod ``calls``; with no calls, an SDK failure of attempt #1 fails
    nothing, so that attempt succeeds and no later failure happens: only the duplicates are left."""
    if not calls:
        steps = history.steps
        first = next((s for s in steps if isinstance(s, (S.FunctionError, S.SdkFailure))), None)
        if not isinstance(first, S.SdkFailure):
            return history
        duplicates: DeliveryHistory = S.DeliveryHistory(tuple(s for s in steps if isinstance(s, S.Duplicate)),
                                                        history.start)
        return duplicates
    if all(not isinstance(s, S.SdkFailure) or s.call_index < calls for s in history.steps):
        return history
    wrapped: DeliveryHistory = S.DeliveryHistory(tuple(
        S.SdkFailure(s.call_index % calls, s.kind) if isinstance(s, S.SdkFailure) else s for s in history.steps),
        history.start)
    return wrapped


def sequential_if_no_switch(history: DeliveryHistory, schedule: tuple[int, ...], calls: int
                            ) -> tuple[DeliveryHistory, tuple[int, ...]]:
    """A sync handler's concurrent duplicate whose schedule hands over at none of the ``calls`` SDK
    calls one clean delivery makes runs after the first: it is a plain duplicate (no thread needed)."""
    if not history.concurrent_duplicates or (1 in schedule and schedule.index(1) < calls):
        return history, schedule
    steps = tuple(S.Duplicate() if isinstance(s, S.Duplicate) and s.concurrent else s for s in history.steps)
    plain: DeliveryHistory = S.DeliveryHistory(steps, history.start)
    return plain, ()
