"""Queued events run at once, each in its own execution environment, up to the function's
concurrency (Q-1, Q-3): on the virtual clock an attempt starts at its due time or when an
environment is free, whichever is later."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_lambda_async import LambdaInvoker

QUEUE = "arn:aws:sqs:us-east-1:123456789012:failed"


def sleeps_50(event: Any, context: Any) -> None:
    time.sleep(50)


def test_queued_events_start_at_once_up_to_the_concurrency_Q_1() -> None:
    """Three events queued together, a handler sleeping 50 virtual seconds, a 60 s maximum age:
    each starts when it was queued, none expires, and each handler reads its own start time."""
    seen: list[dt.datetime] = []

    def handler(event: Any, context: Any) -> None:
        seen.append(dt.datetime.now(dt.timezone.utc))
        time.sleep(50)

    with LambdaInvoker() as inv:
        inv.register("w", handler, maximum_event_age=60, on_failure=QUEUE, timeout=900)
        t0 = inv.now
        for i in range(3):
            inv.invoke("w", {"i": i}, invocation_type="Event")
        inv.run()
        assert [a.at for a in inv.attempts] == [t0, t0, t0]
        assert [s.replace(microsecond=0) for s in seen] == [t0.replace(microsecond=0)] * 3
        assert [o.condition for o in inv.outcomes] == ["Success"] * 3
        assert inv.records(QUEUE) == []
        assert inv.now == t0 + dt.timedelta(seconds=50)  # the test's side: where the last attempt ended
        times = [e.at for e in inv.timeline_entries]
        assert times == sorted(times)


def test_reserved_concurrency_1_queues_events_and_expires_the_late_one_Q_3() -> None:
    """One execution environment: the second event waits for the first (starts at 50 s), the
    third would start at 100 s, past its 60 s maximum age: EventAgeExceeded with no attempt."""
    with LambdaInvoker() as inv:
        inv.register("w", sleeps_50, maximum_event_age=60, on_failure=QUEUE, reserved_concurrency=1,
                     timeout=900)
        t0 = inv.now
        ids = [inv.invoke("w", {"i": i}, invocation_type="Event").request_id for i in range(3)]
        inv.run()
        assert [(a.request_id, a.at - t0) for a in inv.attempts] == [
            (ids[0], dt.timedelta(0)), (ids[1], dt.timedelta(seconds=50))]
        by_id = {o.request_id: o for o in inv.outcomes}
        assert by_id[ids[2]].condition == "EventAgeExceeded" and by_id[ids[2]].attempts == 0
        assert by_id[ids[2]].at - t0 <= dt.timedelta(seconds=60)
        [record] = inv.records(QUEUE)
        assert record["requestContext"]["requestId"] == ids[2]
        times = [e.at for e in inv.timeline_entries]
        assert times == sorted(times)


@settings(max_examples=25, deadline=None)
@given(sleeps=st.lists(st.integers(0, 120), min_size=1, max_size=6), age=st.integers(60, 200))
def test_no_event_starts_past_its_maximum_age_with_enough_concurrency_Q_3(sleeps: list[int], age: int) -> None:
    """With concurrency at least the number of events, every first attempt starts when it was queued."""

    def handler(event: Any, context: Any) -> None:
        time.sleep(event["sleep"])

    with LambdaInvoker() as inv:
        inv.register("w", handler, maximum_event_age=age, reserved_concurrency=len(sleeps), max_retry_attempts=0,
                     timeout=900)
        queued = {inv.invoke("w", {"sleep": s}, invocation_type="Event").request_id: inv.now for s in sleeps}
        inv.run()
        assert {a.request_id: a.at for a in inv.attempts} == queued
        assert all(o.condition != "EventAgeExceeded" for o in inv.outcomes)
