"""The service's limits, each pinned at its edge (issue 12): the value itself and the side of it
that is allowed.  Each test names the rule it pins (docs/reference/rules.md) and fails when the
constant in ``_service/aws.py``, or the rule applying it, moves by one."""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
from typing import Any

import pytest

from pytest_lambda_async import (
    InvalidRequestContentException,
    Invoked,
    LambdaInvoker,
    RequestEntityTooLargeException,
    TooManyRequestsException,
)

T0 = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
FAILED = "arn:aws:sqs:us-east-1:123456789012:failed"
DLQ = "arn:aws:sqs:us-east-1:123456789012:dlq"

MB = 1024 * 1024
ASYNC_LIMIT = 1_048_576  # INV-18: 1 MB
SYNC_LIMIT = 6_291_456  # INV-17: 6 MB
LOG_TAIL = 4096  # INV-3: "the final 4 KB"
CLIENT_CONTEXT_MAX = 3583  # INV-4
DLQ_ERROR_MESSAGE_MAX = 1024  # DLQ-4: "the first 1 KB"


@pytest.fixture
def inv() -> Any:
    with LambdaInvoker(seed=0, start=T0) as invoker:
        yield invoker


def at(when: dt.datetime) -> float:
    """Seconds since T0 on the virtual clock."""
    return (when - T0).total_seconds()


def nothing(event: Any, context: Any) -> None:
    return None


# -- RET-4: the default maximum event age is 21600 s -------------------------------------
# The throttle back-off (RET-3) is 1, 2, 4, ... 256 s (511 s after nine throttles), then 300 s
# each.  The function has one execution environment (reserved concurrency 1), which a first event
# holds for ``head_start`` virtual seconds, so the event's first delivery waits for it until
# head_start and its 80th (after 79 throttles) lands at head_start + 511 + 70 * 300 =
# head_start + 21511.
def _age_edge(head_start: int) -> tuple[LambdaInvoker, Any, list[Any]]:
    inv = LambdaInvoker(seed=0, start=T0)
    with inv:

        def handler(event: Any, context: Any) -> str:
            if "s" in event:  # the first event: the other's deliveries are throttled from now on
                fn.throttle_next(79)
                time.sleep(event["s"])
            return "ran"

        # no maximum_event_age given
        fn = inv.register("w", handler, on_failure=FAILED, reserved_concurrency=1, timeout=900)
        inv.invoke("w", {"s": head_start}, invocation_type="Event")
        request_id = inv.invoke("w", {}, invocation_type="Event").request_id
        inv.run()
    attempts = [a for a in fn.attempts if a.request_id == request_id]
    return inv, [o for o in inv.outcomes if o.request_id == request_id], attempts


def test_default_maximum_event_age_is_21600_an_event_queued_21599_s_gets_its_attempt_RET_4() -> None:
    inv, outcomes, attempts = _age_edge(88)  # the 80th delivery lands at 21599 s
    assert inv.function("w").maximum_event_age == 21600
    assert [a.outcome for a in attempts] == ["throttled"] * 79 + ["success"]
    assert at(attempts[-1].at) == 21599.0 and at(attempts[-2].at) == 21299.0
    [outcome] = outcomes
    assert (outcome.condition, at(outcome.at), outcome.attempts) == ("Success", 21599.0, 1)
    assert inv.records(FAILED) == []


def test_default_maximum_event_age_is_21600_a_try_due_at_21600_s_is_not_made_RET_4() -> None:
    inv, outcomes, attempts = _age_edge(89)  # the 80th delivery would land at 21600 s: at the age, so too old
    assert [a.outcome for a in attempts] == ["throttled"] * 79  # the handler never ran
    assert at(attempts[-1].at) == 21300.0
    [outcome] = outcomes
    # decided at the last throttle, without waiting for the try that would be too late
    assert (outcome.condition, at(outcome.at), outcome.attempts) == ("EventAgeExceeded", 21300.0, 0)
    [record] = inv.records(FAILED)
    assert record["requestContext"]["condition"] == "EventAgeExceeded"


# -- INV-3: LogType=Tail returns the last 4096 bytes of the log, base64 ------------------
def _printing(lines: list[str]) -> Any:
    def handler(event: Any, context: Any) -> None:
        for line in lines:
            print(line)

    return handler


def whole_log(inv: LambdaInvoker) -> bytes:
    """The last attempt's log as the log stream has it: START, the handler's lines, END, REPORT."""
    return ("\n".join(inv.attempts[-1].logs) + "\n").encode()


def test_log_tail_is_base64_of_the_last_4096_bytes_INV_3(inv: LambdaInvoker) -> None:
    lines = [f"line {i:04d} " + "x" * 10 for i in range(300)]  # 21 bytes each with its newline: 6300
    printed = "".join(f"{line}\n" for line in lines).encode()
    assert len(printed) > LOG_TAIL + 21
    inv.register("w", _printing(lines))
    r = inv.invoke("w", {}, log_type="Tail")
    assert r.log_result is not None
    tail = base64.b64decode(r.log_result, validate=True)
    assert len(tail) == LOG_TAIL and printed in whole_log(inv)
    assert tail == whole_log(inv)[-LOG_TAIL:]  # the end of the log, cut mid-line where 4096 falls


def test_log_tail_counts_bytes_not_characters_INV_3(inv: LambdaInvoker) -> None:
    lines = ["\u00e9" * 3000]  # 6000 bytes of UTF-8 (3000 characters), then a newline
    inv.register("w", _printing(lines))
    tail = base64.b64decode(inv.invoke("w", {}, log_type="Tail").log_result or "")
    assert len(tail) == LOG_TAIL and tail == whole_log(inv)[-LOG_TAIL:]  # may start inside a character


def test_log_tail_of_a_log_of_exactly_4096_bytes_is_the_whole_log_INV_3(inv: LambdaInvoker) -> None:
    inv.register("w", lambda event, context: print("y" * event["n"]))
    inv.invoke("w", {"n": 0})  # the cold start: the next attempts' REPORT lines have no Init Duration
    inv.invoke("w", {"n": 1})
    runtime_bytes = len(whole_log(inv)) - 2  # the log around one "y" and its newline
    tail = base64.b64decode(inv.invoke("w", {"n": LOG_TAIL - runtime_bytes - 1}, log_type="Tail").log_result or "")
    assert len(whole_log(inv)) == LOG_TAIL and tail == whole_log(inv)
    assert inv.invoke("w", {"n": 1}).log_result is None  # LogType None: no tail


# -- INV-4: ClientContext: at most 3583 bytes of base64 ---------------------------------
def _client_context(length: int, *, padded: bool) -> str:
    """Base64 of a JSON object, exactly ``length`` characters (without its '=' padding if not ``padded``)."""
    for k in range(length):
        text = base64.b64encode(json.dumps({"custom": {"k": "x" * k}}).encode()).decode()
        if not padded:
            text = text.rstrip("=")
        if len(text) == length:
            return text
    raise AssertionError(f"no client context of {length} characters")


def test_client_context_of_3583_bytes_of_base64_is_accepted_INV_4(inv: LambdaInvoker) -> None:
    seen: list[Any] = []
    inv.register("w", lambda event, context: seen.append(context.client_context))
    header = _client_context(CLIENT_CONTEXT_MAX, padded=False)  # 3583 = 4 * 895 + 3: unpadded base64
    assert len(header) == CLIENT_CONTEXT_MAX
    assert inv.invoke("w", {}, client_context=header).status_code == 200
    assert seen[0].custom == json.loads(base64.b64decode(header + "="))["custom"]


def test_client_context_of_3584_bytes_of_base64_is_refused_INV_4(inv: LambdaInvoker) -> None:
    seen: list[Any] = []
    inv.register("w", lambda event, context: seen.append(context.client_context))
    largest_padded = _client_context(3580, padded=True)  # the longest padded base64 under the limit
    assert inv.invoke("w", {}, client_context=largest_padded).status_code == 200
    assert seen[0].custom == json.loads(base64.b64decode(largest_padded))["custom"]
    too_long = _client_context(CLIENT_CONTEXT_MAX + 1, padded=True)  # valid base64 JSON, one byte too many
    with pytest.raises(InvalidRequestContentException) as refused:
        inv.invoke("w", {}, client_context=too_long)
    assert (refused.value.code, refused.value.status_code) == ("InvalidRequestContentException", 400)
    assert f"at most {CLIENT_CONTEXT_MAX} bytes" in str(refused.value)  # refused for its length, not its content
    assert len(seen) == 1 and inv.pending == 0  # the refused call ran nothing
    with pytest.raises(InvalidRequestContentException):  # an Event call is checked as well, and queues nothing
        inv.invoke("w", {}, invocation_type="Event", client_context=too_long)
    assert inv.pending == 0


# -- DLQ-4: the ErrorMessage attribute is the first 1024 characters of errorMessage ----------
@pytest.mark.parametrize("length", [1, 1023, 1024, 1025, 5000])
def test_dlq_error_message_is_cut_to_its_first_1024_characters_DLQ_4(inv: LambdaInvoker, length: int) -> None:
    message = ("0123456789abcdef" * 400)[:length]  # the head differs from the tail at every cut

    def raises(event: Any, context: Any) -> None:
        raise ValueError(message)

    inv.register("w", raises, dead_letter=DLQ, max_retry_attempts=0)
    inv.invoke("w", {"order": 1}, invocation_type="Event")
    inv.run()
    [sent] = inv.deliveries(DLQ)
    value = sent.attributes["ErrorMessage"]["StringValue"]
    assert sent.attributes["ErrorMessage"]["DataType"] == "String"
    assert value == message[:DLQ_ERROR_MESSAGE_MAX]  # the head, kept as is: no marker, no ellipsis
    assert len(value) == min(length, DLQ_ERROR_MESSAGE_MAX)
    assert sent.body == {"order": 1}  # DLQ-3: the event itself, uncut
    [record] = inv.records(DLQ)
    assert record == {"order": 1}


# -- INV-23: throttle_next on a synchronous invoke ---------------------------------------
def test_throttle_next_makes_sync_invokes_429_and_the_next_call_runs_INV_23(inv: LambdaInvoker) -> None:
    calls: list[Any] = []
    fn = inv.register("w", lambda event, context: calls.append(event) or {"ran": event})
    fn.throttle_next(2)
    for n in range(2):
        with pytest.raises(TooManyRequestsException) as throttled:
            inv.invoke("w", {"n": n})
        assert (throttled.value.code, throttled.value.status_code) == ("TooManyRequestsException", 429)
        assert throttled.value.reason == "ConcurrentInvocationLimitExceeded" and throttled.value.retry_after == 1
    assert calls == []  # the handler never ran
    assert inv.pending == 0 and inv.outcomes == []  # a sync throttle queues nothing and ends nothing
    assert [(a.outcome, a.invocation_type, a.number) for a in fn.attempts] == [("throttled", "RequestResponse", 0)] * 2
    r = inv.invoke("w", {"n": 2})  # the throttles are used up: this one runs
    assert (r.status_code, r.payload, r.function_error) == (200, {"ran": {"n": 2}}, None)
    assert calls == [{"n": 2}]
    inv.invoke("w", {"n": 3}, invocation_type="Event")  # and nothing is left over for the queue
    assert [a.outcome for a in inv.run()] == ["success"]


# -- duplicate_rate: 0 never, 1 always, more in between as it rises ----------------------
def _duplicates(rate: float, invocations: int = 200) -> tuple[list[int], int]:
    """Each Event invocation's extra copies (from the timeline's fields), and the duplicate attempts."""
    with LambdaInvoker(seed=11, start=T0, duplicate_rate=rate) as inv:
        inv.register("w", nothing)
        for n in range(invocations):
            inv.invoke("w", {"n": n}, invocation_type="Event")
        made = inv.run()
        extras = [e.detail.duplicates for e in inv.timeline_entries
                  if e.kind == "invoke" and isinstance(e.detail, Invoked)]
        return extras, sum(a.duplicate for a in made)


def test_duplicate_rate_0_never_1_always_and_more_as_it_rises_Q_2() -> None:
    never, never_attempts = _duplicates(0.0)
    assert never == [0] * 200 and never_attempts == 0
    always, always_attempts = _duplicates(1.0)
    assert always == [1] * 200 and always_attempts == 200  # one extra copy each, delivered
    counts = [sum(_duplicates(rate)[0]) for rate in (0.1, 0.3, 0.5, 0.7, 0.9)]
    assert counts == sorted(set(counts)), counts  # strictly more at each higher rate (same seed)
    assert 0 < counts[0] < 50 and 150 < counts[-1] < 200  # about rate x 200


# -- PY-5, PY-6: a timed-out attempt ends at start + timeout on the virtual clock --------------
def test_an_attempt_sleeping_past_its_timeout_ends_at_start_plus_timeout_PY_5_PY_6(inv: LambdaInvoker) -> None:
    inv.register("w", lambda event, context: time.sleep(100), timeout=7)
    inv.advance(5)
    r = inv.invoke("w", {})
    assert r.payload["errorType"] == "Sandbox.Timedout" and r.function_error == "Unhandled"
    assert at(inv.now) == 12.0  # 5 + 7, not 5 + 100
    inv.invoke("w", {}, invocation_type="Event")
    made = inv.run()
    # each try starts when the previous one timed out plus its retry delay (RET-1)
    assert [(a.outcome, at(a.at)) for a in made] == [("timeout", 12.0), ("timeout", 79.0), ("timeout", 206.0)]
    assert at(inv.now) == 213.0
    [outcome] = inv.outcomes
    assert (outcome.condition, at(outcome.at)) == ("RetriesExhausted", 213.0)


def test_an_attempt_stopped_by_the_real_time_limit_ends_at_start_plus_timeout_PY_5_PY_6() -> None:
    def spin(event: Any, context: Any) -> None:
        while True:  # burns real time, never moves the virtual clock
            pass

    with LambdaInvoker(seed=0, start=T0, real_time_limit=0.2) as inv:
        inv.register("w", spin, timeout=30, max_retry_attempts=0)
        r = inv.invoke("w", {})
        assert r.payload["errorType"] == "Sandbox.Timedout"
        assert at(inv.now) == 30.0
        inv.invoke("w", {}, invocation_type="Event")
        [attempt] = inv.run()
        assert (attempt.outcome, at(attempt.at), at(inv.now)) == ("timeout", 30.0, 60.0)


# -- INV-17, INV-18, INV-21: payloads exactly at the size limits --------------------------------
def _json_string_body(size: int, *, tail: bytes = b"") -> bytes:
    """A JSON string as the raw body, ``size`` bytes long (ending in ``tail`` before the closing quote)."""
    return b'"' + b"x" * (size - 2 - len(tail)) + tail + b'"'


def test_event_payload_of_exactly_1_mb_is_accepted_one_byte_more_is_refused_INV_18_INV_21(
        inv: LambdaInvoker) -> None:
    seen: list[int] = []
    inv.register("w", lambda event, context: seen.append(len(event)))
    at_limit = _json_string_body(ASYNC_LIMIT)
    assert len(at_limit) == 1 * MB
    assert inv.invoke("w", at_limit, invocation_type="Event").status_code == 202
    over = _json_string_body(ASYNC_LIMIT + 1)
    with pytest.raises(RequestEntityTooLargeException) as refused:
        inv.invoke("w", over, invocation_type="Event")
    assert (refused.value.code, refused.value.status_code) == ("RequestEntityTooLargeException", 413)
    assert refused.value.message == \
        "1048577 byte payload is too large for the Event invocation type (limit 1048576 bytes)"
    # a str body counts its UTF-8 bytes: 1,048,577 bytes in 524,290 characters is over
    accented = '"' + "\u00e9" * 524_287 + 'x"'
    assert len(accented.encode()) == ASYNC_LIMIT + 1 and len(accented) == 524_290
    with pytest.raises(RequestEntityTooLargeException, match=": 1048577 byte payload "):
        inv.invoke("w", accented, invocation_type="Event")
    accented_at_limit = '"' + "\u00e9" * 524_287 + '"'
    assert len(accented_at_limit.encode()) == ASYNC_LIMIT
    assert inv.invoke("w", accented_at_limit, invocation_type="Event").status_code == 202
    # the boto3 path (botocore sends the body as bytes) counts the same way
    assert inv.accept_routed_event("w", None, at_limit, None, None)
    with pytest.raises(RequestEntityTooLargeException, match=": 1048577 byte payload "):
        inv.accept_routed_event("w", None, over, None, None)
    assert inv.pending == 3
    inv.run()
    assert seen == [ASYNC_LIMIT - 2, 524_287, ASYNC_LIMIT - 2]  # each ran, with its whole body


def test_sync_payload_of_exactly_6_mb_is_accepted_one_byte_more_is_refused_INV_17_INV_21(
        inv: LambdaInvoker) -> None:
    seen: list[int] = []
    inv.register("w", lambda event, context: seen.append(len(event)))
    at_limit = _json_string_body(SYNC_LIMIT)
    assert len(at_limit) == 6 * MB
    assert inv.invoke("w", at_limit).status_code == 200
    assert seen == [SYNC_LIMIT - 2]
    with pytest.raises(RequestEntityTooLargeException) as refused:
        inv.invoke("w", _json_string_body(SYNC_LIMIT + 1))
    assert (refused.value.code, refused.value.status_code) == ("RequestEntityTooLargeException", 413)
    assert refused.value.message == "Request must be smaller than 6291456 bytes for the InvokeFunction operation"
    accented = '"' + "\u00e9" * 3_145_727 + 'x"'  # 6,291,457 bytes in 3,145,730 characters
    assert len(accented.encode()) == SYNC_LIMIT + 1
    with pytest.raises(RequestEntityTooLargeException):
        inv.invoke("w", accented)
    assert seen == [SYNC_LIMIT - 2]  # the refused calls ran nothing
    # an Event call of the same 6 MB body is over its own 1 MB limit
    with pytest.raises(RequestEntityTooLargeException, match=r"\(limit 1048576 bytes\)"):
        inv.invoke("w", at_limit, invocation_type="Event")
