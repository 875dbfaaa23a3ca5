"""Engine invariants as Hypothesis properties, with a fresh invoker per example."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_lambda_async import Invoked, LambdaInvoker

T0 = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
FAIL = "arn:aws:sqs:us-east-1:123456789012:failed"
DLQ = "arn:aws:sns:us-east-1:123456789012:dlq"

# One invocation as data: how the function behaves and what the service does to it.
invocations = st.fixed_dictionaries({
    "fail_next": st.integers(0, 4),
    "throttle_next": st.integers(0, 12),
    "duplicates": st.integers(0, 2),
    "advance": st.integers(0, 400),
})
configs = st.fixed_dictionaries({
    "max_retry_attempts": st.integers(0, 2),
    "maximum_event_age": st.sampled_from([60, 90, 200, 3600, 21600]),
    "reserved_concurrency": st.sampled_from([None, None, None, 0]),
})


def play(seed: int, config: dict[str, Any], plan: list[dict[str, Any]], duplicate_rate: float) -> LambdaInvoker:
    inv = LambdaInvoker(seed=seed, start=T0, duplicate_rate=duplicate_rate)
    fn = inv.register("w", lambda e, c: None, on_failure=FAIL, dead_letter=DLQ, **config)
    for step in plan:
        fn.fail_next(step["fail_next"])
        fn.throttle_next(step["throttle_next"])
        inv.invoke("w", {"n": len(inv.outcomes)}, invocation_type="Event", duplicates=step["duplicates"])
        inv.advance(step["advance"])
    inv.run()
    inv.close()
    return inv


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32), config=configs, plan=st.lists(invocations, min_size=1, max_size=4),
       rate=st.sampled_from([0.0, 0.3]))
def test_engine_invariants(seed: int, config: dict[str, Any], plan: list[dict[str, Any]], rate: float) -> None:
    inv = play(seed, config, plan, rate)
    times = [e.at for e in inv.timeline_entries]
    # The clock never goes backwards.
    assert times == sorted(times) and inv.now >= T0
    # Every accepted delivery ends in exactly one terminal outcome: nothing is lost.
    deliveries = Counter[str]()
    for e in inv.timeline_entries:
        if isinstance(e.detail, Invoked) and e.detail.invocation_type == "Event":
            deliveries[e.request_id] += 1 + e.detail.duplicates
    ended = Counter(o.request_id for o in inv.outcomes)
    assert ended == deliveries and inv.pending == 0
    failures = [o for o in inv.outcomes if o.condition != "Success"]
    assert len(inv.records(FAIL)) == len(failures) == len(inv.records(DLQ))
    # At most 1 + max_retry_attempts function-error attempts per delivery.
    for o in inv.outcomes:
        assert o.attempts <= 1 + config["max_retry_attempts"]
    # Attempts of one request id keep it and count up.
    by_request: dict[str, list[int]] = {}
    for a in inv.attempts:
        if a.outcome != "throttled":
            by_request.setdefault(a.request_id, []).append(a.number)
    for numbers in by_request.values():
        assert numbers == list(range(1, len(numbers) + 1))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32), config=configs, plan=st.lists(invocations, min_size=1, max_size=3))
def test_same_seed_same_timeline(seed: int, config: dict[str, Any], plan: list[dict[str, Any]]) -> None:
    first = play(seed, config, plan, 0.3)
    second = play(seed, config, plan, 0.3)
    assert first.timeline() == second.timeline()
    assert first.attempts == second.attempts


@settings(max_examples=30, deadline=None)
@given(duplicates=st.integers(0, 3), failures=st.integers(0, 2))
def test_duplicates_keep_their_request_id(duplicates: int, failures: int) -> None:
    with LambdaInvoker(start=T0) as inv:
        fn = inv.register("w", lambda e, c: None)
        fn.fail_next(failures)
        r = inv.invoke("w", {}, invocation_type="Event", duplicates=duplicates)
        made = inv.run()
        assert {a.request_id for a in made} == {r.request_id}
        assert sum(a.duplicate for a in made if a.outcome == "success") == duplicates
