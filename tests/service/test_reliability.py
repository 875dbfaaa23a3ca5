"""The invoker survives misuse and hostile handlers (issue 12's reliability faults).

Each test drives the invoker from outside the way a user's suite might, and pins that it
ends with an answer (an AWS error, or every accepted delivery with one outcome), never a
crash, and that nothing already accepted is lost.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from pytest_lambda_async import (
    Attempt,
    InvalidParameterValueException,
    InvalidRequestContentException,
    LambdaInvoker,
    Routed,
    assert_awaits_all,
)

QUEUE = "arn:aws:sqs:us-east-1:123456789012:failed"


def failing(event: Any, context: Any) -> None:
    raise ValueError("boom")


@pytest.mark.parametrize("reserved_concurrency", [None, 0])
def test_an_on_failure_cycle_between_two_functions_ends_LOOP_1(reserved_concurrency: int | None) -> None:
    """a's on_failure is b and b's is a, both failing (or never running): loop detection counts the
    records along the chain, stops the 17th invocation, and the stopped one's record goes to no
    function (the documented cap), so run() ends and every delivery has one outcome."""
    with LambdaInvoker() as inv:
        for name, other in (("a", "b"), ("b", "a")):
            inv.register(name, failing, on_failure=other, max_retry_attempts=0,
                         reserved_concurrency=reserved_concurrency)
        assert inv.invoke("a", {"k": 1}, invocation_type="Event").status_code == 202
        inv.run()
        assert inv.pending == 0
        assert len(inv.outcomes) == 33  # 16 of each function, then the 17th invocation of a, stopped
        assert inv.metrics == {"RecursiveInvocationsDropped": 1, "DestinationDeliveryFailures": 1}
        last = inv.timeline_entries[-1]
        assert isinstance(last.detail, Routed) and last.detail.target == "lambda:b"
        assert last.detail.failure is not None and "LOOP-1" in last.detail.failure


def test_a_stopped_loop_still_reaches_its_dead_letter_queue_DLQ_2() -> None:
    with LambdaInvoker() as inv:
        inv.register("a", failing, on_failure="b", max_retry_attempts=0, dead_letter=QUEUE)
        inv.register("b", failing, on_failure="a", max_retry_attempts=0)
        inv.invoke("a", {"k": 1}, invocation_type="Event")
        inv.run()
        assert len(inv.records(QUEUE)) == 17  # a's 16 failed invocations, then its stopped 17th
        assert inv.pending == 0


def _nested(depth: int) -> list[Any]:
    top: list[Any] = []
    current = top
    for _ in range(depth):
        inner: list[Any] = []
        current.append(inner)
        current = inner
    return top


@pytest.mark.parametrize("payload", [_nested(100_000), ("[" * 100_000 + "]" * 100_000).encode()],
                         ids=["object", "raw body"])
@pytest.mark.parametrize("invocation_type", ["Event", "RequestResponse"])
def test_a_payload_nested_too_deep_is_an_error_not_a_crash_INV_20(payload: Any, invocation_type: Any) -> None:
    with LambdaInvoker() as inv:
        inv.register("w", lambda event, context: None)
        inv.invoke("w", {"kept": 1}, invocation_type="Event")
        with pytest.raises(InvalidRequestContentException, match="INV-20"):
            inv.invoke("w", payload, invocation_type=invocation_type)
        assert inv.pending == 1  # the event accepted before is still queued
        inv.run()
        assert [a.outcome for a in inv.attempts] == ["success"]


@pytest.mark.parametrize("payload", [{"total": float("nan")}, {"total": float("inf")}, b'{"total": NaN}',
                                     b'{"total": -Infinity}'])
def test_nan_and_infinity_are_not_json_INV_20(payload: Any) -> None:
    with LambdaInvoker() as inv:
        inv.register("w", lambda event, context: None)
        with pytest.raises(InvalidRequestContentException):
            inv.invoke("w", payload, invocation_type="Event")
        assert inv.pending == 0


def test_nan_through_boto3_is_invalid_request_content_INV_20() -> None:
    with LambdaInvoker() as inv, inv.patch_boto3():
        inv.register("w", lambda event, context: None)
        client = boto3.client("lambda", region_name="us-east-1")
        with pytest.raises(ClientError) as info:
            client.invoke(FunctionName="w", InvocationType="Event", Payload=b'{"total": NaN}')
        assert info.value.response["Error"]["Code"] == "InvalidRequestContentException"


def test_an_exception_whose_str_raises_is_still_a_function_error_PY_8() -> None:
    class Unprintable(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no text")

    def handler(event: Any, context: Any) -> None:
        raise Unprintable()

    with LambdaInvoker() as inv:
        inv.register("w", handler, max_retry_attempts=0, on_failure=QUEUE)
        inv.invoke("w", {}, invocation_type="Event")
        inv.run()
        [attempt] = inv.attempts
        assert attempt.outcome == "error" and attempt.error_type == "Unprintable"
        assert [o.condition for o in inv.outcomes] == ["RetriesExhausted"]
        [record] = inv.records(QUEUE)
        assert record["responsePayload"]["errorMessage"] == "<str() of the Unprintable raised RuntimeError>"
        assert "Unprintable" in inv.timeline()


def test_a_dead_letter_queue_must_be_a_queue_or_topic_not_a_function_name_DLQ_1() -> None:
    with LambdaInvoker() as inv:
        inv.register("other", lambda event, context: None)
        with pytest.raises(InvalidParameterValueException, match="DLQ-1"):
            inv.register("w", failing, dead_letter="other")
        fn = inv.register("w", failing)
        with pytest.raises(InvalidParameterValueException, match="DLQ-1"):
            fn.configure(dead_letter="other")
        assert fn.dead_letter is None


@pytest.mark.parametrize("method", ["throttle_next", "fail_next"])
@pytest.mark.parametrize("count", [1.5, "2", -1])
def test_fault_counts_are_whole_numbers(method: str, count: Any) -> None:
    with LambdaInvoker() as inv:
        fn = inv.register("w", lambda event, context: None)
        with pytest.raises(InvalidParameterValueException, match="whole number"):
            getattr(fn, method)(count)
        getattr(fn, method)(2.0)  # a whole float is a count
        inv.invoke("w", {}, invocation_type="Event")
        inv.run()
        assert inv.pending == 0 and len(inv.outcomes) == 1


def test_assert_awaits_all_refuses_a_bad_allow_list_on_the_callers_thread() -> None:
    with pytest.raises(TypeError, match="allow must be qualname or thread-name patterns"):
        assert_awaits_all(lambda event, context: None, {}, allow=42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="allow must be"):
        assert_awaits_all(lambda event, context: None, {}, allow=[""])
    assert_awaits_all(lambda event, context: None, {}, allow="worker-*")  # one pattern


def test_the_timeline_lists_an_attempt_before_what_it_invoked() -> None:
    """A parent attempt's line goes where it started: before the child it invoked two virtual
    seconds later, so the timeline is in time order."""
    with LambdaInvoker() as inv:

        def parent(event: Any, context: Any) -> None:
            import time

            time.sleep(2)
            inv.invoke("child", {}, invocation_type="Event")

        inv.register("parent", parent)
        inv.register("child", lambda event, context: None)
        inv.invoke("parent", {}, invocation_type="Event")
        inv.run()
        kinds = [(e.kind, e.function) for e in inv.timeline_entries]
        assert kinds == [("invoke", "parent"), ("attempt", "parent"), ("invoke", "child"), ("attempt", "child")]
        times = [e.at for e in inv.timeline_entries]
        assert times == sorted(times)
        assert times[2] - times[1] == dt.timedelta(seconds=2)
        assert isinstance(inv.timeline_entries[1].detail, Attempt)


@pytest.mark.parametrize("held", [False, True], ids=["bare", "with-block"])
def test_a_handler_closing_its_own_invoker_ends_cleanly(held: bool) -> None:
    """``inv.close()`` from inside a handler: the attempt ends, the delivery gets its outcome and the
    trace variables the runtime set are gone afterwards.  The ``with`` form is the one that used to fail
    (``run()`` raised AttributeError and left both variables set)."""
    import contextlib
    import os

    inv = LambdaInvoker()

    def handler(event: Any, context: Any) -> str:
        inv.close()
        return "closed"

    with inv if held else contextlib.nullcontext(inv):
        inv.register("w", handler)
        inv.invoke("w", {}, invocation_type="Event")
        inv.run()
        assert [a.outcome for a in inv.attempts] == ["success"]
        assert [o.condition for o in inv.outcomes] == ["Success"]
        assert "_X_AMZN_TRACE_ID" not in os.environ and "AWS_LAMBDA_FUNCTION_NAME" not in os.environ
    inv.close()


@pytest.mark.parametrize("call", ["advance", "run"])
def test_a_thread_cannot_move_the_clock_under_a_running_attempt(call: str) -> None:
    import threading

    errors: list[BaseException] = []
    with LambdaInvoker() as inv:

        def meddle() -> None:
            try:
                inv.advance(100) if call == "advance" else inv.run()
            except RuntimeError as exc:
                errors.append(exc)

        def handler(event: Any, context: Any) -> None:
            inv.invoke("other", {}, invocation_type="Event")  # queueing from a thread stays allowed
            thread = threading.Thread(target=meddle)
            thread.start()
            thread.join()

        inv.register("w", handler)
        inv.register("other", lambda event, context: None)
        start = inv.now
        inv.invoke("w", {}, invocation_type="Event")
        inv.run()
        assert [str(e).split(" was called")[0] for e in errors] == [f"{call}()"]
        assert [a.outcome for a in inv.attempts] == ["success", "success"]
        assert inv.now - start < dt.timedelta(seconds=100)


def test_an_invoker_nobody_closes_leaves_no_socket_for_the_garbage_collector() -> None:
    """An async handler's environment keeps an event loop across requests (PY-4). An invoker made
    without ``with`` and never closed must still close that loop when it is collected: otherwise
    the loop's self-pipe sockets raise ResourceWarning in whichever later test the collector
    happens to run (the warning names no cause)."""
    import gc
    import sys
    import warnings

    async def handler(event: Any, context: Any) -> str:
        return "ok"

    inv = LambdaInvoker()
    inv.register("worker", handler, asyncio=True)
    inv.invoke("worker", {})
    inv.run()
    assert len(inv.attempts) == 1
    unraisable: list[Any] = []
    previous = sys.unraisablehook
    sys.unraisablehook = unraisable.append
    try:
        with pytest.warns() as caught:  # records every warning, fails on none: one is planted below
            del inv
            gc.collect()
            warnings.warn("planted", UserWarning)
    finally:
        sys.unraisablehook = previous
    leaked = [w for w in caught if issubclass(w.category, ResourceWarning)]
    assert not leaked and not unraisable, (leaked, unraisable)
