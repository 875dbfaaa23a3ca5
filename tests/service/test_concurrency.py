"""Queued events run at once, each in its own execution environment, up to the function's
concurrency (Q-1, Q-3): on the virtual clock an attempt starts at its due time or when an
environment is free, whichever is later."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_lambda_async import LambdaInvoker, Throttled, TooManyRequestsException, Waited

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


# -- a synchronous invoke takes an environment too (INV-23) -------------------------------------
def test_a_sync_invoke_while_the_reserved_environment_is_in_use_is_throttled_INV_23() -> None:
    """Reserved concurrency 1: while an Event attempt of ``w`` runs (t0..t0+50), a handler that
    sync-invokes ``w`` at t0+10 gets 429 ReservedFunctionConcurrentInvocationLimitExceeded; once the
    environment is free again (t0+60) the same call runs."""
    answers: list[Any] = []

    def caller(event: Any, context: Any) -> None:
        time.sleep(event["after"])
        try:
            answers.append(inv.invoke("w", {}, invocation_type="RequestResponse").status_code)
        except TooManyRequestsException as exc:
            answers.append((exc.code, exc.status_code, exc.reason, exc.retry_after))

    with LambdaInvoker() as inv:
        inv.register("w", sleeps_50, reserved_concurrency=1, timeout=900)
        inv.register("caller", caller, max_retry_attempts=0, timeout=900)
        t0 = inv.now
        inv.invoke("w", {}, invocation_type="Event")
        inv.invoke("caller", {"after": 10}, invocation_type="Event")
        inv.invoke("caller", {"after": 60}, invocation_type="Event")
        inv.run()
        assert answers == [("TooManyRequestsException", 429, "ReservedFunctionConcurrentInvocationLimitExceeded", 1),
                           200]
        [throttle] = [e for e in inv.timeline_entries if e.kind == "throttle"]
        assert throttle.at == t0 + dt.timedelta(seconds=10)
        assert throttle.detail == Throttled("RequestResponse",
                                            reason="ReservedFunctionConcurrentInvocationLimitExceeded", limit=1)
        assert "RequestResponse -> 429 ReservedFunctionConcurrentInvocationLimitExceeded (all 1 environment of its " \
            "pool in use)" in inv.timeline()
        assert [(a.invocation_type, a.outcome, a.at - t0) for a in inv.attempts if a.function == "w"] == [
            ("Event", "success", dt.timedelta(0)), ("RequestResponse", "throttled", dt.timedelta(seconds=10)),
            ("RequestResponse", "success", dt.timedelta(seconds=60))]


def test_a_sync_invoke_from_the_handler_holding_the_only_environment_is_throttled_INV_23() -> None:
    """Reserved concurrency 1 and a handler that sync-invokes its own function: the one environment is
    its own, so the inner call gets 429; with reserved concurrency 2 it runs."""

    def recurse(event: Any, context: Any) -> Any:
        if event.get("inner"):
            return "inner"
        try:
            return inv.invoke("r", {"inner": True}).payload
        except TooManyRequestsException as exc:
            return exc.reason

    for reserved, expected in ((1, "ReservedFunctionConcurrentInvocationLimitExceeded"), (2, "inner")):
        with LambdaInvoker() as inv:
            inv.register("r", recurse, reserved_concurrency=reserved)
            assert inv.invoke("r", {}).payload == expected


def test_a_sync_attempt_holds_an_environment_that_queued_events_wait_for_Q_1() -> None:
    """A sync attempt of ``w`` (reserved concurrency 1) made by a handler at t0 lasts until t0+50: an
    event of ``w`` queued at t0 waits for it and starts at t0+50, and the timeline says why."""

    def caller(event: Any, context: Any) -> None:
        inv.invoke("w", {})

    with LambdaInvoker() as inv:
        inv.register("w", sleeps_50, reserved_concurrency=1, timeout=900)
        inv.register("caller", caller, timeout=900)
        t0 = inv.now
        inv.invoke("caller", {}, invocation_type="Event")
        queued = inv.invoke("w", {}, invocation_type="Event").request_id
        inv.run()
        assert [(a.invocation_type, a.at - t0) for a in inv.attempts if a.function == "w"] == [
            ("RequestResponse", dt.timedelta(0)), ("Event", dt.timedelta(seconds=50))]
        [wait] = [e for e in inv.timeline_entries if e.kind == "wait"]
        assert (wait.request_id, wait.at, wait.detail) == (queued, t0, Waited(t0 + dt.timedelta(seconds=50), 1, 1,
                                                                               True))


def test_many_unreserved_attempts_fill_the_account_pool_for_sync_invokes_INV_23() -> None:
    """The account's unreserved pool: with 900 reserved elsewhere it has 100 environments; 100 Event
    attempts running at once leave none, so a sync invoke of another unreserved function gets 429
    ConcurrentInvocationLimitExceeded."""
    answers: list[Any] = []

    def worker(event: Any, context: Any) -> None:
        if event["last"]:
            try:
                answers.append(inv.invoke("other", {}).status_code)
            except TooManyRequestsException as exc:
                answers.append(exc.reason)
        time.sleep(1)

    with LambdaInvoker() as inv:
        inv.register("big", sleeps_50, reserved_concurrency=900)
        inv.register("other", sleeps_50)
        inv.register("w", worker, timeout=900)
        for i in range(100):
            inv.invoke("w", {"last": i == 99}, invocation_type="Event")
        inv.invoke("w", {"last": True}, invocation_type="Event")  # the 101st: starts after the first end
        t0 = inv.now
        inv.run()
        assert answers == ["ConcurrentInvocationLimitExceeded", 200]
        [wait] = [e for e in inv.timeline_entries if e.kind == "wait"]  # the 101st event, for the account's pool
        assert (wait.at, wait.detail) == (t0, Waited(t0 + dt.timedelta(seconds=1), 100, 100, False))
        assert "waits 1s for an environment: 100 of 100 in use (the account's unreserved concurrency) (Q-1)" \
            in inv.timeline()


# -- waiting is shown in the timeline (Q-1, Q-3) ---------------------------------------------------
def test_an_event_waiting_for_an_environment_shows_when_and_why_Q_1_Q_3() -> None:
    """Reserved concurrency 1, a 60 s maximum age, three events of a handler sleeping 50 s: the second
    waits 50 s for the environment (a ``wait`` entry with a Waited detail), the third waits until its
    age runs out, then fails with EventAgeExceeded."""
    with LambdaInvoker() as inv:
        inv.register("w", sleeps_50, maximum_event_age=60, reserved_concurrency=1, timeout=900)
        t0 = inv.now
        ids = [inv.invoke("w", {"i": i}, invocation_type="Event").request_id for i in range(3)]
        inv.run()
        waits = [e for e in inv.timeline_entries if e.kind == "wait"]
        assert [(e.request_id, e.at - t0, e.detail) for e in waits] == [
            (ids[1], dt.timedelta(0), Waited(t0 + dt.timedelta(seconds=50), 1, 1, True, False)),
            (ids[2], dt.timedelta(0), Waited(t0 + dt.timedelta(seconds=50), 1, 1, True, False)),
            (ids[2], dt.timedelta(seconds=50), Waited(t0 + dt.timedelta(seconds=60), 1, 1, True, True)),
        ]
        text = inv.timeline()
        assert "wait     w  req " in text
        assert "waits 50s for an environment: 1 of 1 in use (reserved concurrency) (Q-1)" in text
        assert "waits 10s for an environment: 1 of 1 in use (reserved concurrency), until its maximum event " \
            "age runs out (Q-3)" in text


# -- each execution environment has its own event loop (Q-1, PY-4) ---------------------------------
def test_concurrent_attempts_run_on_their_environments_own_loops_PY_4() -> None:
    """Two events queued together run at once, each in an environment of its own, so an async handler
    sees two different event loops; an event played out after they ended reuses the first environment
    and its loop (a warm start keeps the loop, PY-4), as do two sequential sync invokes."""
    loops: list[asyncio.AbstractEventLoop] = []

    async def handler(event: Any, context: Any) -> None:
        loops.append(asyncio.get_running_loop())
        await asyncio.sleep(10)

    with LambdaInvoker() as inv:
        inv.register("w", handler, asyncio=True, timeout=60)
        t0 = inv.now
        inv.invoke("w", {}, invocation_type="Event")
        inv.invoke("w", {}, invocation_type="Event")
        inv.run()
        assert [a.at for a in inv.attempts] == [t0, t0]
        assert loops[0] is not loops[1]
        inv.invoke("w", {}, invocation_type="Event")  # at t0 + 10: both environments are free
        inv.run()
        assert loops[2] is loops[0]
        inv.invoke("w", {})
        inv.invoke("w", {})
        assert loops[3] is loops[4] is loops[0]
        assert not any(loop.is_closed() for loop in loops)
    assert all(loop.is_closed() for loop in loops)  # closing the invoker closes every environment's loop


def test_a_crash_resets_only_its_own_environment_and_loop_PY_6() -> None:
    """Two concurrent environments; the attempt in the second one times out (the environment is reset):
    its loop is closed, the first environment's loop lives on and serves the next request."""
    loops: list[asyncio.AbstractEventLoop] = []

    async def handler(event: Any, context: Any) -> None:
        loops.append(asyncio.get_running_loop())
        await asyncio.sleep(event["sleep"])

    with LambdaInvoker() as inv:
        inv.register("w", handler, asyncio=True, timeout=5, max_retry_attempts=0)
        inv.invoke("w", {"sleep": 1}, invocation_type="Event")
        inv.invoke("w", {"sleep": 9}, invocation_type="Event")  # past its 5 s timeout
        inv.run()
        assert [a.outcome for a in inv.attempts] == ["success", "timeout"]
        assert loops[0] is not loops[1] and loops[1].is_closed() and not loops[0].is_closed()
        inv.invoke("w", {"sleep": 0})
        assert loops[2] is loops[0]


def test_an_invoker_nobody_closes_closes_every_environments_loop_when_collected() -> None:
    """Two concurrent environments, each with its loop, of an invoker made without ``with`` and never
    closed: collecting it closes both loops (weakref.finalize per environment), so no self-pipe socket is
    left to warn in a later test."""
    import gc
    import sys
    import warnings
    import weakref

    seen: list[weakref.ref[asyncio.AbstractEventLoop]] = []

    async def handler(event: Any, context: Any) -> None:
        seen.append(weakref.ref(asyncio.get_running_loop()))
        await asyncio.sleep(10)

    inv = LambdaInvoker()
    inv.register("w", handler, asyncio=True, timeout=60)
    inv.invoke("w", {}, invocation_type="Event")
    inv.invoke("w", {}, invocation_type="Event")
    inv.run()
    loops = [ref() for ref in seen]
    assert len({id(loop) for loop in loops}) == 2
    unraisable: list[Any] = []
    previous = sys.unraisablehook
    sys.unraisablehook = unraisable.append
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            del inv
            gc.collect()
    finally:
        sys.unraisablehook = previous
    assert all(loop is not None and loop.is_closed() for loop in loops)
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)] and not unraisable


def test_a_throttled_event_shows_when_it_waits_and_why_RET_3() -> None:
    """An Event throttled twice (429, RET-3): each throttle is a ``throttle`` entry whose Throttled detail
    says how long the event goes back to the queue; the attempt starts after both back-offs."""
    with LambdaInvoker() as inv:
        inv.register("w", sleeps_50, timeout=900).throttle_next(2)
        t0 = inv.now
        rid = inv.invoke("w", {}, invocation_type="Event").request_id
        inv.run()
        throttles = [(e.at - t0, e.request_id, e.detail) for e in inv.timeline_entries if e.kind == "throttle"]
        assert throttles == [(dt.timedelta(0), rid, Throttled("Event", retry_in=1.0)),
                             (dt.timedelta(seconds=1), rid, Throttled("Event", retry_in=2.0))]
        assert [(a.outcome, a.at - t0) for a in inv.attempts] == [
            ("throttled", dt.timedelta(0)), ("throttled", dt.timedelta(seconds=1)),
            ("success", dt.timedelta(seconds=3))]
        assert "429 throttled -> back in queue, retry in 2s" in inv.timeline()
