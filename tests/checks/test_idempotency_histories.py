"""check_idempotent's histories beyond Lambda's own retries: redeliveries from the source with a new
request id, two environments at once for sync handlers, late deliveries, starts near clock boundaries.

Facts pinned: Q-2 (Lambda's own duplicates keep the request id; a source's redelivery is a new
invocation), RET-4 (an event can arrive up to MaximumEventAgeInSeconds, 6 h by default, after it was sent),
RET-3 and RET-6 (Lambda's retry of a failed attempt keeps the request id, and throttling can delay it
for hours: back-off up to 5 minutes, until the maximum event age).
Each buggy handler of the catalogue is caught with the one-line history that breaks it, and its fixed
twin passes the same search.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import strategies as st
from moto import mock_aws

from pytest_lambda_async import NotIdempotentError, assert_idempotent, check_idempotent
from pytest_lambda_async.strategies import DeliveryHistory, Duplicate, SdkFailure, Throttle

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import handlers_catalogue as cat  # noqa: E402

PAYMENTS = st.builds(cat.payment_event, st.integers(0, 50), st.integers(1, 100))


@pytest.fixture
def payments() -> Iterator[None]:
    with mock_aws():
        cat.reset_clients()
        cat.make_payment_tables()
        yield
        cat.reset_clients()


def check(handler: Any, **options: Any) -> None:
    check_idempotent(handler, PAYMENTS, state=cat.balances, reset=cat.clear_payment_tables, **options)


@pytest.mark.parametrize("pair", cat.IDEMPOTENCY_PAIRS, ids=lambda p: p.buggy.__name__)
def test_buggy_handler_is_caught_with_the_history_that_breaks_it_and_its_twin_passes(
        payments: None, pair: cat.IdempotencyPair) -> None:
    with pytest.raises(NotIdempotentError) as info:
        check(pair.buggy, **dict(pair.options))
    verdict = str(info.value).splitlines()[0]
    assert pair.finds in verdict
    assert " a hour" not in str(info.value)  # the hint's article too: "just before an hour boundary"
    check(pair.fixed, **dict(pair.options))


def test_a_redelivery_from_the_source_is_a_new_invocation_q2(payments: None) -> None:
    """Lambda's own duplicates keep the request id; the source's redelivery gets a new one (Q-2)."""
    event = cat.payment_event(1, 10)
    assert_idempotent(cat.pay_dedup_on_request_id, event, state=cat.balances, reset=cat.clear_payment_tables,
                      deliveries=3)
    history = DeliveryHistory((Duplicate(new_request_id=True, delay=2.0),))
    with pytest.raises(NotIdempotentError) as info:
        assert_idempotent(cat.pay_dedup_on_request_id, event, state=cat.balances, reset=cat.clear_payment_tables,
                          history=history)
    text = str(info.value)
    assert "t+2s" in text and "from EventBridge" in text
    assert "deduplicate on the event's own id" in text.replace("\n", " ")
    assert info.value.history == history


@pytest.mark.parametrize(("event", "source"), [
    ({"Records": [{"eventSource": "aws:s3", "s3": {"object": {"key": "a"}}}]}, "S3"),
    ({"Records": [{"eventSource": "aws:sqs", "messageId": "m-1", "body": "{}"}]}, "SQS"),
    ({"Records": [{"EventSource": "aws:sns", "Sns": {"MessageId": "m-1"}}]}, "SNS"),
    ({"order": 1}, "the caller"),
])
def test_the_report_names_who_sends_the_event_again(event: dict[str, Any], source: str) -> None:
    seen: list[str] = []

    def dedup_on_request_id(event: Any, context: Any) -> None:
        if context.aws_request_id not in seen:
            seen.append(context.aws_request_id)

    with pytest.raises(NotIdempotentError) as info:
        assert_idempotent(dedup_on_request_id, event, state=lambda: len(seen), reset=seen.clear,
                          history=DeliveryHistory((Duplicate(new_request_id=True, delay=301.0),)))
    assert f"a duplicate from {source} with a new request id, 5 min 1 s later" in str(info.value)


def test_late_redeliveries_are_bounded_by_maximum_event_age(payments: None) -> None:
    """RET-4: nothing later than the function's maximum event age is played; lowering it bounds the search."""
    check(cat.pay_record_expires_after_5_minutes, maximum_event_age=240)
    with pytest.raises(Exception, match="maximum_event_age=30 must be an int from 60 to 21600"):  # RET-4's range
        check(cat.pay_record_expires_after_5_minutes, maximum_event_age=30)


def test_sync_handlers_interleave_at_sdk_calls_smallest_first(payments: None) -> None:
    event = cat.payment_event(1, 10)
    kwargs: dict[str, Any] = {"state": cat.balances, "reset": cat.clear_payment_tables}
    together = DeliveryHistory((Duplicate(concurrent=True),))
    assert_idempotent(cat.pay_get_then_transact, event, history=together, **kwargs)  # empty schedule: one, then the other
    with pytest.raises(NotIdempotentError) as info:
        assert_idempotent(cat.pay_get_then_transact, event, history=together, schedule=(0, 1), **kwargs)
    text = str(info.value)
    assert "A:GetItem B:GetItem B:TransactWriteItems A:TransactWriteItems" in text
    assert "schedule=(0, 1)" in text
    assert_idempotent(cat.pay_get_then_conditional_transact, event, history=together, schedule=(0, 1), **kwargs)


def test_the_reproduce_line_is_complete_or_points_to_the_error() -> None:
    ledger: list[Any] = []

    def appends(event: Any, context: Any) -> None:
        ledger.append(event["n"])

    for event, complete in (({"n": 1, "note": "x" * 200}, True), ({"n": 1, "note": "x" * 2000}, False)):
        with pytest.raises(NotIdempotentError) as info:
            assert_idempotent(appends, event, state=lambda: list(ledger), reset=ledger.clear)
        lines = str(info.value).splitlines()
        at = next(i for i, line in enumerate(lines) if line.startswith("Reproduce"))
        if complete:
            call = lines[at + 3].strip()
            assert call.startswith("assert_idempotent(appends, {") and call.endswith("))")
            assert "'x' * " not in call and "x" * 200 in call  # the whole event, on one line
        else:
            assert "err.event" in lines[at + 1] and "history=err.history" in lines[at + 1]
        err = info.value
        with pytest.raises(NotIdempotentError):  # what the line says replays it
            assert_idempotent(appends, err.event, state=lambda: list(ledger), reset=ledger.clear,
                              history=err.history, new_environment=err.new_environment, schedule=err.schedule)


def test_lambdas_own_retry_can_come_hours_late_with_the_same_request_id_ret3_ret4_ret6(payments: None) -> None:
    """A failed attempt's retry, throttled (RET-3) until just inside the maximum event age (RET-4), keeps
    the request id (RET-6): a record that expires after an hour no longer stops it."""
    event = cat.payment_event(1, 10)
    kwargs: dict[str, Any] = {"state": cat.balances, "reset": cat.clear_payment_tables}
    on_time = DeliveryHistory((SdkFailure(2),))  # the retry after 60 s finds the record
    assert_idempotent(cat.pay_record_expires_before_a_late_retry, event, history=on_time, **kwargs)
    late = DeliveryHistory((SdkFailure(2), Throttle(attempt=2, times=79)))
    with pytest.raises(NotIdempotentError) as info:
        assert_idempotent(cat.pay_record_expires_before_a_late_retry, event, history=late, **kwargs)
    text = str(info.value)
    assert text.splitlines()[0].endswith("a failure at SDK call [2] before it took effect then Lambda's retry of "
                                         "the same request, 5 h 59 min 31 s later ends in a different state than "
                                         "a single clean delivery.")
    attempts = [line.split() for line in text.splitlines() if " attempt " in line and "req" in line]
    assert [(a[0], a[5]) for a in attempts] == [("t+0s", "#1"), ("t+21571s", "#2")]  # 60 + 511 + 70 * 300 s
    assert len({a[4] for a in attempts}) == 1  # one request id
    assert "(and 77 throttles before it" in text  # the timeline folds the 79 throttles
    assert "MaximumEventAgeInSeconds" in text.replace("\n", " ")
    assert info.value.history == late
    assert_idempotent(cat.pay_record_outlives_a_late_retry, event, history=late, **kwargs)


def test_late_retries_are_bounded_by_maximum_event_age(payments: None) -> None:
    """With a 1-hour maximum event age the latest retry comes 59 min 31 s after the failure (RET-4), before
    the 1-hour record expires: the search finds nothing."""
    check(cat.pay_record_expires_before_a_late_retry, maximum_event_age=3600)


def test_a_late_second_retry_is_named_in_the_verdict_ret3_ret6() -> None:
    import time

    from pytest_lambda_async.strategies import FunctionError

    records: dict[str, float] = {}  # request id -> when its record expires
    credits: list[str] = []

    def credit_once_per_request(event: Any, context: Any) -> None:
        if records.get(context.aws_request_id, 0) < time.time():
            credits.append(context.aws_request_id)
            records[context.aws_request_id] = time.time() + 3600

    def reset() -> None:
        records.clear()
        credits.clear()

    history = DeliveryHistory((FunctionError(1), FunctionError(2), Throttle(attempt=3, times=78)))
    with pytest.raises(NotIdempotentError) as info:
        assert_idempotent(credit_once_per_request, {"order": 1}, state=lambda: len(credits), reset=reset,
                          history=history)
    assert ("2 function errors then Lambda's second retry of the same request, 5 h 55 min 31 s later ends"
            in str(info.value).splitlines()[0])  # 60 + 120 + 511 + 69 * 300 s after the first attempt


# -- the first histories: every kind once, before the random search ------------------------------
def sdk_calls_of(handler: Any, event: Any) -> int:
    """How many AWS SDK calls one clean delivery of ``event`` makes (the state is reset after)."""
    import types

    made: list[str] = []

    def count(**kwargs: Any) -> None:
        made.append(kwargs["model"].name)

    client = cat.ddb()
    client.meta.events.register("before-call.*.*", count)
    try:
        handler(event, types.SimpleNamespace(aws_request_id="req-1"))
    finally:
        client.meta.events.unregister("before-call.*.*", count)
        cat.clear_payment_tables()
    return len(made)


@pytest.mark.parametrize("pair", cat.IDEMPOTENCY_PAIRS, ids=lambda p: p.buggy.__name__)
def test_the_first_histories_alone_catch_every_buggy_pair_and_pass_every_twin(
        payments: None, pair: cat.IdempotencyPair) -> None:
    """check_idempotent plays these before its random search, whatever the seed: each single-kind bug
    of the catalogue is caught by one of them, and its fixed twin by none."""
    from pytest_lambda_async._checks.plans import first_histories

    options = dict(pair.options)
    event = cat.payment_event(1, 10)
    kwargs: dict[str, Any] = {"state": cat.balances, "reset": cat.clear_payment_tables}

    def breaks(handler: Any) -> list[tuple[Any, ...]]:
        found = []
        for history, new_environment, schedule in first_histories(sdk_calls_of(handler, event), is_async=False,
                                                                  **options):
            try:
                assert_idempotent(handler, event, history=history, new_environment=new_environment,
                                  schedule=schedule, **kwargs)
            except NotIdempotentError:
                found.append((history, new_environment, schedule))
        return found

    assert breaks(pair.buggy)
    assert breaks(pair.fixed) == []


@pytest.mark.parametrize(("calls", "is_async", "options", "kinds"), [
    (3, False, {}, {"duplicate", "redelivery", "concurrent", "error", "sdk", "late", "boundary", "environment"}),
    (0, False, {}, {"duplicate", "redelivery", "error", "late", "boundary", "environment"}),
    (0, True, {}, {"duplicate", "redelivery", "concurrent", "error", "late", "boundary", "environment"}),
    (3, False, {"max_duplicates": 0}, {"error", "sdk", "late", "boundary", "environment"}),
    (3, False, {"max_retry_attempts": 0}, {"duplicate", "redelivery", "concurrent", "boundary", "environment"}),
    (3, False, {"sdk_failures": False, "new_environments": False}, {"duplicate", "redelivery", "concurrent", "error",
                                                                    "late", "boundary"}),
])
def test_the_first_histories_follow_the_checks_options(calls: int, is_async: bool, options: dict[str, Any],
                                                        kinds: set[str]) -> None:
    from pytest_lambda_async._checks.plans import first_histories

    plans = first_histories(calls, is_async=is_async, **options)
    seen: set[str] = set()
    for history, new_environment, schedule in plans:
        steps = history.steps
        seen |= {"environment"} if new_environment else set()
        seen |= {"boundary"} if history.start else set()
        seen |= {"late"} if history.late_retries else set()
        seen |= {"sdk"} if history.sdk_failures else set()
        seen |= {"error"} if history.function_errors else set()
        seen |= {"concurrent"} if history.concurrent_duplicates else set()
        seen |= {"redelivery"} if history.redeliveries else set()
        seen |= {"duplicate"} if any(isinstance(s, Duplicate) and not s.new_request_id and not s.concurrent
                                     for s in steps) else set()
        assert bool(schedule) == bool(history.concurrent_duplicates)
        assert all(s.call_index < calls for s in history.sdk_failures)  # only calls the handler makes
        assert len(steps) <= 2  # one kind each: the random search mixes them
    assert seen == kinds
    assert len(set(plans)) == len(plans)
    if not options and not is_async:  # each SDK call fails each way, on time and with a late retry
        assert sum(bool(h.sdk_failures) for h, _, _ in plans) == 4 * calls


def test_the_first_histories_come_smaller_time_spans_first_and_within_maximum_event_age() -> None:
    from pytest_lambda_async._checks.plans import first_histories

    plans = first_histories(2, is_async=False, maximum_event_age=3600)
    delays = [h.redeliveries[0].delay for h, _, _ in plans if h.redeliveries and not h.start]
    assert delays == [2.0, 301.0, 3600.0]
    order = [i for i, (h, _, _) in enumerate(plans) if h.start or h.late_retries or (h.redeliveries
                                                                                    and h.redeliveries[0].delay > 2)]
    starts = [i for i in order if plans[i][0].start]
    assert max(starts) < min(i for i in order if not plans[i][0].start)  # boundaries before hours-late ones
    assert all(h.attempt_times()[-1] < 3600 for h, _, _ in plans)  # RET-4: nothing at or past the age


def test_the_first_histories_play_on_the_first_event_the_handler_acts_on() -> None:
    """An empty batch (the simplest list Hypothesis draws) does nothing: every first history is played
    on the first event that does something, one run after the other, before the random search."""
    from pytest_lambda_async._checks.plans import first_histories

    runs: list[list[Any]] = []  # the events each run delivered, one list per reset()
    total: list[int] = []

    def add_up(event: Any, context: Any) -> None:
        runs[-1].append(event)
        if event:
            total[:] = [sum(event)]  # idempotent: the total is set, not added to

    def reset() -> None:
        runs.append([])
        total.clear()

    check_idempotent(add_up, st.lists(st.integers(1, 3), max_size=2), state=lambda: list(total), reset=reset,
                     max_examples=40)
    delivered = [run[0] for run in runs if run]
    assert delivered[0] == []  # the simplest event first: its clean delivery leaves no total
    first = next(e for e in delivered if e)
    played = len(first_histories(0, is_async=False))
    at = delivered.index(first)
    assert delivered[at:at + 1 + played] == [first] * (1 + played)  # its clean delivery, then each first history
    assert len({json.dumps(e) for e in delivered[at + 1 + played:]}) > 3  # then the random search's events


@pytest.mark.parametrize(("pair", "seed"), [
    (cat.IDEMPOTENCY_PAIRS[1], 9),  # the sync race: the random search alone missed it with 8 of seeds 1-20
    (cat.IDEMPOTENCY_PAIRS[6], 2),  # the late retry (RET-3, RET-4): missed with 6 of seeds 1-20
], ids=["race-seed-9", "late-retry-seed-2"])
def test_seeds_the_random_search_alone_missed_now_catch_the_bug(payments: None, pair: cat.IdempotencyPair,
                                                                seed: int) -> None:
    assert pair.buggy in (cat.pay_get_then_transact, cat.pay_record_expires_before_a_late_retry)
    with pytest.raises(NotIdempotentError) as info:
        check(pair.buggy, seed=seed)
    assert pair.finds in str(info.value).splitlines()[0]
