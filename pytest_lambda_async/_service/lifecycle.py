"""One queued delivery's way from the queue to its outcome: reserved concurrency 0 (Q-5), waiting for an
execution environment (Q-1, Q-3), throttles (RET-3), the attempt, then success, a retry or failure
(RET-1, RET-4).  The terminal outcome and its records are the router's."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from . import aws
from .. import _text
from ..errors import TooManyRequestsException
from .clock import VirtualClock
from .delivery import Delivery
from .functions import LambdaFunction
from .records import Retried, Throttled, Waited
from .routing import Router
from .runtime import Execution
from .scheduling import Concurrency, EventQueue
from .threads import should_stop
from .timeline import Timeline

__all__ = ["Lifecycle"]


@dataclass
class Lifecycle:
    """Plays one due delivery (``deliver``) and decides what follows an attempt (``after_attempt``)."""

    clock: VirtualClock
    queue: EventQueue
    concurrency: Concurrency
    router: Router
    timeline: Timeline
    attempt: Callable[[Delivery, aws.InvocationType], Execution]

    def play(self, until: _dt.datetime | None, max_attempts: int, *, nested: bool,
             poll_due: Callable[[_dt.datetime | None], bool]) -> None:
        """Deliver what is due up to ``until`` (None: everything), in start order, letting pollers due first
        work.  ``nested``: a handler's own ``run()``, whose attempt holds the clock (it only moves forward)."""
        made = 0
        queue, clock = self.queue, self.clock
        spins, spin_at = 0, None  # polls at one virtual instant: a mapping feeding itself (RecursiveLoop=Allow)
        while not should_stop():  # the test was interrupted (pytest-timeout) or the invoker closed
            if poll_due(until):  # a poller due before the queue's next delivery ran
                if clock.now != spin_at:
                    spin_at, spins = clock.now, 0
                spins += 1
                if spins > max_attempts:
                    raise RuntimeError(_text.pollers_never_idle(max_attempts))
                continue
            with queue.lock:  # a thread the handler started may be invoking meanwhile
                due = queue.head()
                if due is None or (until is not None and due > until):
                    return
                if made >= max_attempts:
                    raise RuntimeError(_text.deliveries_never_ended(max_attempts, len(queue)))
                due, delivery = queue.pop()
            if not nested:
                clock.start_at(due)  # concurrent attempts each start at their own time
            elif due > clock.now:
                clock.advance_to(due)
            self.deliver(delivery)
            made += 1

    def deliver(self, d: Delivery) -> None:
        fn = d.function
        now = self.clock.now
        if fn.reserved_concurrency == 0:  # no retries, straight to failure handling
            self.timeline.log(now, "throttle", fn.name, d.request_id, Throttled("Event", reserved_concurrency_zero=True))
            self.router.fail(d, "RetriesExhausted")
            return
        decision, when = self.concurrency.admit(d, now)
        if decision == "wait":  # every environment of its pool is busy: it starts when one is free
            in_use, limit = self.concurrency.waiting_detail(fn, now)
            expires = aws.too_old(d.enqueued_at, when, fn.maximum_event_age)
            self.timeline.log(now, "wait", fn.name, d.request_id,
                              Waited(when, in_use, limit, fn.reserved_concurrency is not None, expires))
            self.queue.push(when, d)
            return
        if decision == "expire":  # it waited for an environment until its maximum age
            self.router.fail(d, "EventAgeExceeded")
            return
        if fn.pending_throttles or (fn.attempt_throttles and fn.attempt_throttles.get(d.function_errors + 1)):
            self._throttle(d, now)
            return
        execution = self.attempt(d, "Event")
        self.concurrency.occupied(fn, self.clock.now)
        self.after_attempt(d, execution)

    def _throttle(self, d: Delivery, now: _dt.datetime) -> None:
        """RET-3: back to the queue with back-off, until the event is too old (not an attempt)."""
        fn = d.function
        targeted = fn.attempt_throttles.get(d.function_errors + 1) if fn.attempt_throttles else None
        if targeted:  # throttle_next(attempt=k): this delivery's next attempt is k
            fn.attempt_throttles[d.function_errors + 1] = targeted - 1
        else:
            fn.pending_throttles -= 1
        d.throttles += 1
        self.timeline.record_attempt(fn, d.request_id, "throttled", None, duplicate=d.duplicate, count=False)
        delay = aws.throttle_delay(d.throttles)
        retry_at = now + _dt.timedelta(seconds=delay)
        if aws.too_old(d.enqueued_at, retry_at, fn.maximum_event_age):
            self.timeline.log(now, "throttle", fn.name, d.request_id,
                              Throttled("Event", past_maximum_event_age=fn.maximum_event_age))
            self.router.fail(d, "EventAgeExceeded")
            return
        self.timeline.log(now, "throttle", fn.name, d.request_id, Throttled("Event", retry_in=delay))
        self.queue.push(retry_at, d)

    def throttle_sync(self, fn: LambdaFunction, request_id: str, now: _dt.datetime,
                      running: Iterable[LambdaFunction] = ()) -> None:
        """INV-23: a sync invoke takes an environment of its function's pool: with reserved concurrency 0, every
        environment in use (``running``: the attempts it is invoked from), or one throttle_next() queued (used
        up), it gets 429."""
        limit: int | None = None
        if fn.reserved_concurrency == 0:
            reason = aws.sync_throttle_reason(0)
        elif fn.pending_throttles:
            fn.pending_throttles -= 1
            reason = "ConcurrentInvocationLimitExceeded"
        else:
            in_use = self.concurrency.in_use(fn, now, running)
            if not in_use:  # every pool has at least one environment
                return
            limit = self.concurrency.limit(fn)
            if in_use < limit:
                return
            reason = aws.sync_throttle_reason(fn.reserved_concurrency)
        self.timeline.log(now, "throttle", fn.name, request_id, Throttled("RequestResponse", reason=reason,
                                                                          limit=limit))
        self.timeline.record_attempt(fn, request_id, "throttled", None, duplicate=False,
                                     invocation_type="RequestResponse", count=False)
        raise TooManyRequestsException(aws.SYNC_THROTTLE_MESSAGE, reason=reason,
                                       retry_after=aws.SYNC_THROTTLE_RETRY_AFTER)

    def after_attempt(self, d: Delivery, execution: Execution) -> None:
        """Success routes; a function error retries (RET-1), or fails (RET-4, RetriesExhausted)."""
        fn = d.function
        if execution.outcome == "success":
            self.router.succeed(d)
            return
        d.function_errors += 1
        if d.function_errors > fn.max_retry_attempts:
            self.router.fail(d, "RetriesExhausted")
            return
        delay = aws.retry_delay(d.function_errors)
        now = self.clock.now
        retry_at = now + _dt.timedelta(seconds=delay)
        if aws.too_old(d.enqueued_at, retry_at, fn.maximum_event_age):
            self.router.fail(d, "EventAgeExceeded")
            return
        self.timeline.log(now, "retry", fn.name, d.request_id, Retried(delay))
        self.queue.push(retry_at, d)
