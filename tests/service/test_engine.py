"""The engine against lambda-async-semantics.md: each test names the row it pins."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import freezegun
import pytest

import pytest_lambda_async

from pytest_lambda_async import _text
from pytest_lambda_async import (
    AsyncHandlerError,
    InvalidParameterValueException,
    InvalidRequestContentException,
    LambdaInvoker,
    LambdaServiceError,
    RequestEntityTooLargeException,
    ResourceConflictException,
    ResourceNotFoundException,
    TooManyRequestsException,
)

SQS = "arn:aws:sqs:us-east-1:123456789012:failed"
SQS_OK = "arn:aws:sqs:us-east-1:123456789012:succeeded"
SNS = "arn:aws:sns:us-east-1:123456789012:alerts"
BUS = "arn:aws:events:us-east-1:123456789012:event-bus/default"
BUCKET = "arn:aws:s3:::failed-events"
T0 = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)


def ok(event: Any, context: Any) -> Any:
    return {"echo": event}


def boom(event: Any, context: Any) -> Any:
    raise ValueError("boom")


@pytest.fixture
def inv() -> Any:
    with LambdaInvoker(seed=0, start=T0) as invoker:
        yield invoker


def seconds(invoker: LambdaInvoker, at: dt.datetime) -> float:
    return (at - invoker.t0).total_seconds()


# -- the brief's own example ---------------------------------------------------------
def test_retries_then_dead_letter(inv: LambdaInvoker) -> None:
    fn = inv.register("processUpload", ok, on_failure=SQS)
    fn.fail_next(3)
    assert inv.invoke("processUpload", {"bucket": "demo-bucket", "key": "file.txt"},
                      invocation_type="Event").status_code == 202
    inv.run()
    [record] = inv.records(SQS)
    assert record["requestContext"]["condition"] == "RetriesExhausted"


# -- INV: the Invoke API ------------------------------------------------------------
def test_event_is_queued_with_202_and_runs_only_on_run_INV_11_Q_1(inv: LambdaInvoker) -> None:
    calls: list[Any] = []
    inv.register("w", lambda e, c: calls.append(e))
    r = inv.invoke("w", {"k": 1}, invocation_type="Event")
    assert (r.status_code, r.payload) == (202, None)
    assert calls == [] and inv.pending == 1
    made = inv.run()
    assert calls == [{"k": 1}] and [a.outcome for a in made] == ["success"]
    assert made[0].request_id == r.request_id


def test_request_response_returns_result_with_200_INV_10(inv: LambdaInvoker) -> None:
    inv.register("w", ok)
    r = inv.invoke("w", {"k": 1})
    assert (r.status_code, r.payload, r.function_error, r.executed_version) == (200, {"echo": {"k": 1}}, None, "$LATEST")


def test_function_error_is_200_with_unhandled_and_error_object_INV_13_INV_14_PY_8(inv: LambdaInvoker) -> None:
    inv.register("w", boom)
    r = inv.invoke("w", {})
    assert r.status_code == 200 and r.function_error == "Unhandled"
    assert r.payload["errorType"] == "ValueError" and r.payload["errorMessage"] == "boom"
    assert r.payload["requestId"] == r.request_id
    assert 'raise ValueError("boom")' in r.payload["stackTrace"][-1]
    # No frame of the package itself (its folder; a checkout's own folder may carry the name too).
    package_dir = os.path.dirname(pytest_lambda_async.__file__) + os.sep
    assert all(package_dir not in line for line in r.payload["stackTrace"])


def test_dry_run_answers_204_and_runs_nothing_INV_12(inv: LambdaInvoker) -> None:
    calls: list[Any] = []
    inv.register("w", lambda e, c: calls.append(e))
    assert inv.invoke("w", {}, invocation_type="DryRun").status_code == 204
    assert calls == [] and inv.attempts == []


def test_log_tail_is_base64_of_the_logs_INV_3(inv: LambdaInvoker) -> None:
    import base64

    def loud(event: Any, context: Any) -> None:
        print("hello from the handler")
        logging.getLogger("app").warning("careful")

    inv.register("w", loud)
    r = inv.invoke("w", {}, log_type="Tail")
    text = base64.b64decode(r.log_result or "").decode()
    assert "\nhello from the handler\n" in text and f"[WARNING]\t2024-01-01T00:00:00.000Z\t{r.request_id}\tcareful\n" in text


@pytest.mark.parametrize("name", ["w", "w:$LATEST", "123456789012:function:w",
                                  "arn:aws:lambda:us-east-1:123456789012:function:w",
                                  "arn:aws:lambda:us-east-1:123456789012:function:w:$LATEST"])
def test_function_name_forms_INV_1(inv: LambdaInvoker, name: str) -> None:
    inv.register("w", ok)
    assert inv.invoke(name, {}).payload == {"echo": {}}


def test_empty_payload_is_an_empty_object_INV_6(inv: LambdaInvoker) -> None:
    inv.register("w", ok)
    assert inv.invoke("w").payload == {"echo": {}}
    assert inv.invoke("w", b"").payload == {"echo": {}}
    assert inv.invoke("w", b'[1, 2]').payload == {"echo": [1, 2]}


def test_payload_that_is_not_json_INV_20(inv: LambdaInvoker) -> None:
    inv.register("w", ok)
    inv.invoke("w", {"queued": True}, invocation_type="Event")
    with pytest.raises(InvalidRequestContentException) as bad:
        inv.invoke("w", b"{not json", invocation_type="Event")
    assert bad.value.code == "InvalidRequestContentException" and bad.value.status_code == 400
    assert "Could not parse request body into json" in str(bad.value)
    with pytest.raises(InvalidRequestContentException, match="not JSON serialisable"):
        inv.invoke("w", {"when": object()})
    assert inv.pending == 1  # nothing already queued was lost
    assert [a.outcome for a in inv.run()] == ["success"]


@pytest.mark.parametrize("payload", [{"items": [1, 2]}, b'{"items": [1, 2]}', '{"items": [1, 2]}'])
def test_each_attempt_gets_the_event_as_sent_Q_2_RET_1(inv: LambdaInvoker, payload: object) -> None:
    """The service keeps the serialised event: a handler that changes its ``event`` (pops a key,
    appends to a list) changes nothing its retry, a duplicate or the on-failure record sees."""
    seen: list[object] = []

    def consumes(event: dict[str, list[int]], context: object) -> None:
        seen.append(list(event["items"]))
        event["items"].append(3)
        del event["items"]
        raise RuntimeError("failed after changing the event")

    inv.register("w", consumes, on_failure="arn:aws:sqs:us-east-1:123456789012:failed")
    inv.invoke("w", payload, invocation_type="Event", duplicates=1)
    inv.run()
    assert seen == [[1, 2]] * 6  # two deliveries, three attempts each
    [first, second] = inv.records("arn:aws:sqs:us-east-1:123456789012:failed")
    assert first["requestPayload"] == second["requestPayload"] == {"items": [1, 2]}
    assert inv.invoke("w", payload).function_error == "Unhandled"  # a sync call decodes its own copy
    assert seen[-1] == [1, 2]


def test_async_payload_limit_1_mb_and_legacy_256_kb_INV_18_INV_21() -> None:
    big = b'"' + b"x" * (1024 * 1024) + b'"'
    with LambdaInvoker() as inv:
        inv.register("w", ok)
        with pytest.raises(RequestEntityTooLargeException) as err:
            inv.invoke("w", big, invocation_type="Event")
        assert err.value.code == "RequestEntityTooLargeException" and err.value.status_code == 413
        assert f"{len(big)} byte payload is too large for the Event invocation type (limit 1048576 bytes)" in str(err.value)
        inv.invoke("w", b'"' + b"x" * 300_000 + b'"', invocation_type="Event")  # fine under 1 MB
    with LambdaInvoker(async_payload_limit=262144) as legacy:
        legacy.register("w", ok)
        with pytest.raises(RequestEntityTooLargeException, match=r"\(limit 262144 bytes\)"):
            legacy.invoke("w", b'"' + b"x" * 300_000 + b'"', invocation_type="Event")


def test_sync_payload_limit_6_mb_INV_17(inv: LambdaInvoker) -> None:
    inv.register("w", ok)
    with pytest.raises(RequestEntityTooLargeException,
                       match="Request must be smaller than 6291456 bytes for the InvokeFunction operation"):
        inv.invoke("w", b'"' + b"x" * 6291456 + b'"')


def test_response_too_large_is_a_function_error_INV_17(inv: LambdaInvoker) -> None:
    inv.register("w", lambda e, c: "x" * 6_300_000)
    r = inv.invoke("w", {})
    assert r.function_error == "Unhandled" and r.payload["errorType"] == "Function.ResponseSizeTooLarge"


def test_unknown_function_INV_22(inv: LambdaInvoker) -> None:
    with pytest.raises(ResourceNotFoundException) as err:
        inv.invoke("nope", {}, invocation_type="Event")
    assert err.value.status_code == 404
    assert "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope" in str(err.value)


def test_bad_invocation_type_and_names_INV_2_INV_1(inv: LambdaInvoker) -> None:
    inv.register("w", ok)
    with pytest.raises(InvalidParameterValueException):
        inv.invoke("w", {}, invocation_type="Async")  # type: ignore[arg-type]
    with pytest.raises(ResourceNotFoundException):  # Invoke has no 64 limit (recorded: function_name_too_long)
        inv.invoke("x" * 65, {})
    with pytest.raises(InvalidParameterValueException, match="regular expression pattern"):
        inv.invoke("x!", {})
    with pytest.raises(InvalidParameterValueException, match="does not match the specified qualifier"):
        inv.invoke("w:1", {}, qualifier="2")


def test_service_errors_share_a_base_with_code_and_status() -> None:
    for cls, code, status in [(ResourceNotFoundException, "ResourceNotFoundException", 404),
                              (TooManyRequestsException, "TooManyRequestsException", 429),
                              (ResourceConflictException, "ResourceConflictException", 409)]:
        assert issubclass(cls, LambdaServiceError) and (cls.code, cls.status_code) == (code, status)


# -- RET: retries and their delays --------------------------------------------------
def test_function_error_retried_twice_at_60_then_120_seconds_RET_1_RET_6(inv: LambdaInvoker) -> None:
    inv.register("w", boom, on_failure=SQS)
    r = inv.invoke("w", {"order": 1}, invocation_type="Event")
    made = inv.run()
    assert [(a.number, a.outcome, seconds(inv, a.at)) for a in made] == [
        (1, "error", 0.0), (2, "error", 60.0), (3, "error", 180.0)]
    assert {a.request_id for a in made} == {r.request_id}  # RET-6: one request id across retries
    [record] = inv.records(SQS)
    assert record["requestContext"]["approximateInvokeCount"] == 3  # REC-4
    assert record["requestContext"]["requestId"] == r.request_id


@pytest.mark.parametrize("retries", [0, 1, 2])
def test_max_retry_attempts_bounds_attempts_RET_1(inv: LambdaInvoker, retries: int) -> None:
    inv.register("w", boom, max_retry_attempts=retries)
    inv.invoke("w", {}, invocation_type="Event")
    assert len(inv.run()) == 1 + retries


def test_returned_error_message_is_a_success_RET_5(inv: LambdaInvoker) -> None:
    inv.register("w", lambda e, c: {"errorMessage": "not really"}, on_success=SQS_OK)
    inv.invoke("w", {}, invocation_type="Event")
    assert [a.outcome for a in inv.run()] == ["success"]
    [record] = inv.records(SQS_OK)
    assert record["requestContext"]["condition"] == "Success"
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}  # REC-6


def test_throttles_back_off_exponentially_without_using_retries_RET_3(inv: LambdaInvoker) -> None:
    fn = inv.register("w", ok, max_retry_attempts=0)
    fn.throttle_next(4)
    inv.invoke("w", {}, invocation_type="Event")
    made = inv.run()
    assert [(a.outcome, seconds(inv, a.at)) for a in made] == [
        ("throttled", 0.0), ("throttled", 1.0), ("throttled", 3.0), ("throttled", 7.0), ("success", 15.0)]
    assert [a.number for a in made] == [0, 0, 0, 0, 1]  # throttles are not attempts


def test_throttle_backoff_caps_at_5_minutes_and_expires_RET_3_RET_4(inv: LambdaInvoker) -> None:
    fn = inv.register("w", ok, maximum_event_age=3600, on_failure=SQS)
    fn.throttle_next(1000)
    inv.invoke("w", {"e": 1}, invocation_type="Event")
    made = inv.run()
    gaps = [seconds(inv, b.at) - seconds(inv, a.at) for a, b in zip(made, made[1:])]
    assert max(gaps) == 300.0 and all(a.outcome == "throttled" for a in made)
    [record] = inv.records(SQS)
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 0
    assert "responsePayload" not in record and "responseContext" not in record  # REC-8


def test_throttles_aimed_at_a_retry_delay_it_hours_with_the_same_request_id_RET_3_RET_4_RET_6(
        inv: LambdaInvoker) -> None:
    """throttle_next(n, attempt=2): neither the first delivery nor a duplicate copy is throttled,
    Lambda's retry of the failed attempt is, n times, and comes as late as the back-off says."""
    fn = inv.register("w", ok)
    fn.fail_next(1)
    fn.throttle_next(79, attempt=2)
    r = inv.invoke("w", {}, invocation_type="Event", duplicates=1)
    made = inv.run()
    ran = [(a.outcome, a.number, seconds(inv, a.at)) for a in made if a.outcome != "throttled"]
    assert ran == [("error", 1, 0.0), ("success", 2, 0.0), ("success", 3, 21571.0)]  # 60 + 511 + 70 * 300
    assert [a.outcome for a in made].count("throttled") == 79
    assert {a.request_id for a in made} == {r.request_id}
    with pytest.raises(InvalidParameterValueException):
        fn.throttle_next(1, attempt=4)  # at most 3 attempts (RET-1)


def test_event_age_60_allows_one_attempt_age_90_two_RET_4() -> None:
    for age, expected in [(60, 1), (90, 2), (21600, 3)]:
        with LambdaInvoker() as inv:
            inv.register("w", boom, maximum_event_age=age, on_failure=SQS)
            inv.invoke("w", {}, invocation_type="Event")
            assert len(inv.run()) == expected, age
            [record] = inv.records(SQS)
            condition = "RetriesExhausted" if expected == 3 else "EventAgeExceeded"
            assert record["requestContext"]["condition"] == condition
            assert record["requestContext"]["approximateInvokeCount"] == expected
            assert record["responsePayload"]["errorMessage"] == "boom"  # REC-8: last attempt's response


# -- Q: the queue ------------------------------------------------------------------------
def test_duplicates_keep_the_request_id_and_count_up_Q_2_RET_6(inv: LambdaInvoker) -> None:
    inv.register("w", ok)
    r = inv.invoke("w", {}, invocation_type="Event", duplicates=2)
    made = inv.run()
    assert [(a.request_id, a.number, a.duplicate) for a in made] == [
        (r.request_id, 1, False), (r.request_id, 2, True), (r.request_id, 3, True)]


def test_duplicate_rate_is_seeded_Q_2() -> None:
    def count(seed: int) -> list[bool]:
        with LambdaInvoker(seed=seed, duplicate_rate=0.5) as inv:
            inv.register("w", ok)
            for _ in range(40):
                inv.invoke("w", {}, invocation_type="Event")
            return [a.duplicate for a in inv.run()]

    first = count(7)
    assert first == count(7) and 40 < len(first) < 80


def test_reserved_concurrency_zero_goes_straight_to_failure_routing_Q_5(inv: LambdaInvoker) -> None:
    inv.register("w", ok, reserved_concurrency=0, on_failure=SQS, dead_letter=SNS)
    inv.invoke("w", {"e": 1}, invocation_type="Event")
    assert inv.run() == []
    [record] = inv.records(SQS)
    assert record["requestContext"]["approximateInvokeCount"] == 0
    assert inv.records(SNS) == [{"e": 1}]
    with pytest.raises(TooManyRequestsException) as err:
        inv.invoke("w", {})
    assert err.value.reason == "ReservedFunctionConcurrentInvocationLimitExceeded"  # INV-23


# -- REC / DST: destinations -------------------------------------------------------------
def test_success_record_shape_REC_1_REC_3_REC_5_REC_6_REC_7(inv: LambdaInvoker) -> None:
    inv.register("w", ok, on_success=SQS_OK)
    r = inv.invoke("w", {"order_id": "o-1"}, invocation_type="Event")
    inv.run()
    [record] = inv.records(SQS_OK)
    assert record == {
        "version": "1.0",
        "timestamp": "2024-01-01T00:00:00.000Z",
        "requestContext": {"requestId": r.request_id,
                           "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:w:$LATEST",
                           "condition": "Success", "approximateInvokeCount": 1},
        "requestPayload": {"order_id": "o-1"},
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST"},
        "responsePayload": {"echo": {"order_id": "o-1"}},
    }


def test_none_result_is_null_in_the_record_REC_7(inv: LambdaInvoker) -> None:
    inv.register("w", lambda e, c: None, on_success=SQS_OK)
    inv.invoke("w", {}, invocation_type="Event")
    inv.run()
    assert inv.records(SQS_OK)[0]["responsePayload"] is None


def test_eventbridge_envelope_DST_4(inv: LambdaInvoker) -> None:
    inv.register("w", boom, max_retry_attempts=0, on_failure=BUS)
    inv.invoke("w", {}, invocation_type="Event")
    inv.run()
    [message] = inv.deliveries(BUS)
    env = message.envelope
    assert env is not None
    assert env["detail-type"] == "Lambda Function Invocation Result - Failure" and env["source"] == "lambda"
    # recorded (lambda_destination_event_bus_failure): the bus, then the qualified function
    assert env["resources"] == [BUS, "arn:aws:lambda:us-east-1:123456789012:function:w:$LATEST"]
    assert env["detail"]["requestContext"]["condition"] == "RetriesExhausted"


def test_s3_on_failure_object_key_DST_5(inv: LambdaInvoker) -> None:
    inv.register("w", boom, max_retry_attempts=0, on_failure=BUCKET)
    inv.invoke("w", {}, invocation_type="Event")
    inv.run()
    [message] = inv.deliveries(BUCKET)
    import re

    assert message.key is not None and re.fullmatch(
        r"aws/lambda/async/w/2024/01/01/2024-01-01T00\.00\.00-[0-9a-f-]{36}", message.key)


def test_s3_is_not_an_on_success_destination_CFG_5(inv: LambdaInvoker) -> None:
    with pytest.raises(InvalidParameterValueException, match="on-success destination cannot be an S3 bucket"):
        inv.register("w", ok, on_success=BUCKET)
    assert "w" not in inv.functions


def test_lambda_destination_is_invoked_async_with_the_record_DST_3(inv: LambdaInvoker) -> None:
    got: list[Any] = []
    inv.register("auditor", lambda e, c: got.append(e))
    inv.register("w", ok, on_success="auditor")
    inv.invoke("w", {"k": 1}, invocation_type="Event")
    made = inv.run()
    assert [a.function for a in made] == ["w", "auditor"]
    assert got[0]["requestContext"]["condition"] == "Success" and got[0]["requestPayload"] == {"k": 1}
    assert inv.records("auditor") == got


def test_fifo_and_missing_destinations_fail_delivery_without_retry_DST_6_CFG_5(inv: LambdaInvoker) -> None:
    inv.register("w", ok, on_success="arn:aws:sqs:us-east-1:123456789012:q.fifo")
    inv.register("v", ok, on_success="arn:aws:lambda:us-east-1:123456789012:function:ghost")
    inv.invoke("w", {}, invocation_type="Event")
    inv.invoke("v", {}, invocation_type="Event")
    assert len(inv.run()) == 2
    assert inv.metrics == {"DestinationDeliveryFailures": 2}
    assert "FAILED" in inv.timeline()


def test_self_as_destination_is_refused_CFG_6(inv: LambdaInvoker) -> None:
    with pytest.raises(InvalidParameterValueException, match="You can't specify the function as a destination for itself."):
        inv.register("w", ok, on_success="arn:aws:lambda:us-east-1:123456789012:function:w")


# -- DLQ ------------------------------------------------------------------------------------
def test_dead_letter_gets_the_event_and_attributes_DLQ_3_DLQ_4_DLQ_5(inv: LambdaInvoker) -> None:
    inv.register("w", boom, max_retry_attempts=1, dead_letter=SQS, on_failure=SNS)
    r = inv.invoke("w", {"order": 7}, invocation_type="Event")
    inv.run()
    [message] = inv.deliveries(SQS)
    assert message.body == {"order": 7}
    assert message.attributes == {
        "RequestID": {"DataType": "String", "StringValue": r.request_id},
        "ErrorCode": {"DataType": "Number", "StringValue": "200"},
        "ErrorMessage": {"DataType": "String", "StringValue": "boom"},
    }
    assert inv.records(SNS)[0]["requestContext"]["condition"] == "RetriesExhausted"  # both receive


def test_dead_letter_must_be_sqs_or_sns_DLQ_1(inv: LambdaInvoker) -> None:
    with pytest.raises(InvalidParameterValueException, match="SQS queue or SNS topic"):
        inv.register("w", ok, dead_letter=BUS)


# -- configuration ranges ---------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [{"max_retry_attempts": 3}, {"max_retry_attempts": -1},
                                    {"maximum_event_age": 59}, {"maximum_event_age": 21601},
                                    {"timeout": 0}, {"timeout": 901}, {"on_failure": "arn:aws:iam::123456789012:role/x"},
                                    {"on_success": "not an arn!"}])
def test_out_of_range_settings_are_refused_CFG_3(inv: LambdaInvoker, kwargs: dict[str, Any]) -> None:
    with pytest.raises(InvalidParameterValueException):
        inv.register("w", ok, **kwargs)
    assert "w" not in inv.functions


def test_timeout_limit_1800_is_opt_in_PY_5() -> None:
    with LambdaInvoker(timeout_limit=1800) as inv:
        assert inv.register("w", ok, timeout=1800).timeout == 1800


def test_maximum_event_age_accepts_a_timedelta(inv: LambdaInvoker) -> None:
    assert inv.register("w", ok, maximum_event_age=dt.timedelta(minutes=2)).maximum_event_age == 120


def test_registering_twice_is_a_conflict(inv: LambdaInvoker) -> None:
    inv.register("w", ok)
    with pytest.raises(ResourceConflictException):
        inv.register("w", ok)


def test_configure_is_atomic(inv: LambdaInvoker) -> None:
    fn = inv.register("w", ok)
    with pytest.raises(InvalidParameterValueException):
        fn.configure(max_retry_attempts=1, timeout=5000)
    assert fn.max_retry_attempts == 2 and fn.timeout == 3


def test_invoker_settings_are_checked() -> None:
    for kwargs in [{"duplicate_rate": 2}, {"await_check": "loud"}, {"async_payload_limit": 5}]:
        with pytest.raises(ValueError):
            LambdaInvoker(**kwargs)
    with pytest.raises(TypeError):
        LambdaInvoker(seed="x")  # type: ignore[arg-type]


# -- PY: the runtime ----------------------------------------------------------------------
def test_context_attributes_PY_3(inv: LambdaInvoker) -> None:
    seen: dict[str, Any] = {}

    def handler(event: Any, context: Any) -> None:
        seen.update(vars(context))
        seen["remaining"] = context.get_remaining_time_in_millis()
        time.sleep(1.5)
        seen["remaining_later"] = context.get_remaining_time_in_millis()

    inv.register("w", handler, memory_size=256, timeout=5)
    r = inv.invoke("w", {}, invocation_type="Event")
    inv.run()
    assert seen["aws_request_id"] == r.request_id
    assert seen["memory_limit_in_mb"] == "256" and seen["function_version"] == "$LATEST"
    assert seen["log_group_name"] == "/aws/lambda/w"
    assert seen["invoked_function_arn"] == "arn:aws:lambda:us-east-1:123456789012:function:w"
    assert seen["client_context"] is None and seen["tenant_id"] is None
    assert seen["identity"].cognito_identity_id is None
    assert (seen["remaining"], seen["remaining_later"]) == (5000, 3500)


W_ARN = "arn:aws:lambda:us-east-1:123456789012:function:w"


def invoked_as(event: Any, context: Any) -> str:
    return str(context.invoked_function_arn)


@pytest.mark.parametrize("invocation_type", ["Event", "RequestResponse"])
@pytest.mark.parametrize("name, qualifier, seen", [
    ("w", None, W_ARN), ("w", "$LATEST", W_ARN + ":$LATEST"), ("w:$LATEST", None, W_ARN + ":$LATEST"),
    ("123456789012:function:w", None, W_ARN), (W_ARN, None, W_ARN), (W_ARN + ":$LATEST", None, W_ARN + ":$LATEST"),
    (W_ARN, "$LATEST", W_ARN + ":$LATEST"),
])
def test_invoked_function_arn_is_qualified_only_when_the_caller_qualified_PY_3(
        inv: LambdaInvoker, name: str, qualifier: str | None, seen: str, invocation_type: str) -> None:
    """PY-3: ``context.invoked_function_arn`` is the ARN as invoked: ``...:function:w:$LATEST``
    when the caller gave a qualifier (``qualifier=``, ``name:qualifier`` or a qualified ARN)."""
    inv.register("w", invoked_as)
    result = inv.invoke(name, {}, qualifier=qualifier, invocation_type=invocation_type)  # type: ignore[arg-type]
    if invocation_type == "Event":
        [attempt] = inv.run()
        assert attempt.response == seen
    else:
        assert result.payload == seen


def test_an_arn_of_another_region_or_account_is_not_found_INV_22(inv: LambdaInvoker) -> None:
    """INV-22: the invoker is the Lambda of its region and account; AWS's wording for a region."""
    inv.register("w", ok)
    with pytest.raises(ResourceNotFoundException) as exc:
        inv.invoke(W_ARN.replace("us-east-1", "eu-west-1"), {}, invocation_type="Event")
    assert exc.value.message == "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')"
    with pytest.raises(ResourceNotFoundException, match="Function not found: arn:aws:lambda:us-east-1:999999999999:"):
        inv.invoke("999999999999:function:w", {})
    with LambdaInvoker(region="eu-west-1", account="999999999999") as eu:
        eu.register("w", invoked_as)
        assert eu.invoke("arn:aws:lambda:eu-west-1:999999999999:function:w").payload == \
            "arn:aws:lambda:eu-west-1:999999999999:function:w"
    assert inv.pending == 0


def test_a_name_resolves_once_the_function_is_registered_INV_22(inv: LambdaInvoker) -> None:
    """Resolutions are cached: a miss is not, so registering afterwards makes the name work."""
    with pytest.raises(ResourceNotFoundException):
        inv.invoke("w", {}, invocation_type="Event")
    inv.register("w", invoked_as)
    inv.invoke("w", {}, invocation_type="Event")
    inv.invoke("w", {}, qualifier="$LATEST", invocation_type="Event")
    assert [a.response for a in inv.run()] == [W_ARN, W_ARN + ":$LATEST"]


def test_handlers_see_the_virtual_clock(inv: LambdaInvoker) -> None:
    seen: list[tuple[dt.datetime, float]] = []
    inv.register("w", lambda e, c: seen.append((dt.datetime.now(dt.timezone.utc), time.time())) or 1 / 0)
    inv.invoke("w", {}, invocation_type="Event")
    inv.run()
    assert [s[0] for s in seen] == [T0, T0 + dt.timedelta(seconds=60), T0 + dt.timedelta(seconds=180)]
    assert [s[1] for s in seen] == [T0.timestamp(), T0.timestamp() + 60, T0.timestamp() + 180]
    assert abs(time.time() - dt.datetime.now().timestamp()) < 5  # outside attempts: real time


def test_invoker_starts_from_a_users_frozen_instant() -> None:
    with freezegun.freeze_time("2030-05-05 12:00:00"):
        with LambdaInvoker() as inv:
            seen: list[dt.datetime] = []
            inv.register("w", lambda e, c: seen.append(dt.datetime.now(dt.timezone.utc)))
            inv.invoke("w", {}, invocation_type="Event")
            inv.run()
            assert inv.t0 == dt.datetime(2030, 5, 5, 12, tzinfo=dt.timezone.utc)
            assert seen == [inv.t0]
        assert dt.datetime.now() == dt.datetime(2030, 5, 5, 12)  # the user's freeze is left alone


def test_clock_only_moves_forward_and_advance_delivers(inv: LambdaInvoker) -> None:
    inv.register("w", boom)
    inv.invoke("w", {}, invocation_type="Event")
    assert [a.number for a in inv.advance(59)] == [1]
    assert inv.now == T0 + dt.timedelta(seconds=59)
    assert [a.number for a in inv.advance(1)] == [2]
    with pytest.raises(ValueError, match="only moves forward"):
        inv.advance(-1)
    assert inv.pending == 1


def test_sleep_past_timeout_ends_as_sandbox_timedout_PY_6(inv: LambdaInvoker) -> None:
    after: list[str] = []

    def slow(event: Any, context: Any) -> None:
        time.sleep(10)
        after.append("never")

    inv.register("w", slow, max_retry_attempts=0, on_failure=SQS)
    r = inv.invoke("w", {}, invocation_type="Event")
    started = time.monotonic()
    [attempt] = inv.run()
    assert time.monotonic() - started < 2  # virtual sleep
    assert attempt.outcome == "timeout" and after == []
    payload = inv.records(SQS)[0]["responsePayload"]
    assert payload == {"errorType": "Sandbox.Timedout",
                       "errorMessage": f"RequestId: {r.request_id} Error: Task timed out after 3.00 seconds"}
    assert inv.records(SQS)[0]["responseContext"]["functionError"] == "Unhandled"


def test_async_sleep_past_timeout_ends_the_attempt_PY_6(inv: LambdaInvoker) -> None:
    def handler(event: Any, context: Any) -> Any:
        return asyncio.run(asyncio.sleep(30, "late"))

    inv.register("w", handler, timeout=10)
    r = inv.invoke("w", {})
    assert r.payload["errorType"] == "Sandbox.Timedout"
    assert inv.now == T0 + dt.timedelta(seconds=10)


def test_asyncio_run_waiting_for_its_executor_does_not_jump_the_clock_PY_6() -> None:
    """asyncio.run() joins the default executor under a 300 s timeout (3.12+): real work in
    a thread, so the virtual clock must wait for it, not leap to the timeout."""
    def handler(event: Any, context: Any) -> Any:
        async def main() -> str:
            await asyncio.get_running_loop().run_in_executor(None, time.sleep, 0.01)
            return "done"

        return asyncio.run(main())

    with LambdaInvoker(start=T0, await_check="off") as inv:
        inv.register("w", handler, timeout=3)
        r = inv.invoke("w", {})
        assert r.payload == "done", inv.timeline()
        assert inv.now < T0 + dt.timedelta(seconds=3)


def test_busy_handler_is_stopped_by_the_real_time_limit_PY_6() -> None:
    def spin(event: Any, context: Any) -> None:
        while True:
            pass

    with LambdaInvoker(real_time_limit=0.2) as inv:
        inv.register("w", spin, max_retry_attempts=0)
        r = inv.invoke("w", {})
        assert r.payload["errorType"] == "Sandbox.Timedout"


def test_handler_blocked_in_c_is_abandoned_not_hung_PY_6() -> None:
    def stuck(event: Any, context: Any) -> None:
        threading.Event().wait()

    with LambdaInvoker(real_time_limit=0.2) as inv:
        inv.register("w", stuck, max_retry_attempts=0, on_failure=SQS)
        inv.register("v", ok)
        inv.invoke("w", {}, invocation_type="Event")
        inv.invoke("v", {}, invocation_type="Event")
        made = inv.run()
        assert [(a.function, a.outcome) for a in made] == [("w", "timeout"), ("v", "success")]
        assert inv.records(SQS)[0]["requestContext"]["condition"] == "RetriesExhausted"
        assert abs(time.time() - dt.datetime.now().timestamp()) < 5  # freezegun undone


ABANDON_THEN_TRACE = """
import sys, threading
from hypothesis import given, settings, strategies as st
from pytest_lambda_async import LambdaInvoker

def stuck(event, context):
    threading.Event().wait()

with LambdaInvoker(real_time_limit=0.1) as inv:
    inv.register("w", stuck, max_retry_attempts=0)
    inv.invoke("w", {}, invocation_type="Event")
    inv.run()

@settings(max_examples=5, deadline=None, database=None)
@given(st.integers())
def failing(n):
    raise ValueError(n)

try:
    failing()
except ValueError:
    print("hypothesis reported the failure")
"""


def test_an_abandoned_handler_leaves_no_pending_async_exception_behind_PY_6() -> None:
    """A timeout raised into a thread blocked in C stays pending; before 3.13 the whole
    interpreter then spins in any traced code (Hypothesis's failure report here)."""
    done = subprocess.run([sys.executable, "-c", ABANDON_THEN_TRACE], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "hypothesis reported the failure" in done.stdout


@pytest.mark.parametrize("body,detail", [("sys.exit(3)", "exit status 3"), ("raise SystemExit()", "exit status 0"),
                                         ("raise KeyboardInterrupt()", "signal: killed")])
def test_exits_become_runtime_exit_error_PY_7(inv: LambdaInvoker, body: str, detail: str) -> None:
    namespace: dict[str, Any] = {"sys": sys}
    exec(f"def handler(event, context):\n    {body}\n", namespace)
    fn = inv.register("w", namespace["handler"])
    r = inv.invoke("w", {})
    assert r.payload == {"errorType": "Runtime.ExitError",
                         "errorMessage": f"RequestId: {r.request_id} Error: Runtime exited with error: {detail}"}
    assert fn.environment == 1  # the environment was reset


def test_async_def_handler_is_refused_with_the_fix_PY_2(inv: LambdaInvoker) -> None:
    async def handler(event: Any, context: Any) -> None:
        pass

    with pytest.raises(AsyncHandlerError) as err:
        inv.register("w", handler)
    message = str(err.value)
    assert "Runtime.MarshalError" in message and "asyncio.run(main(event, context))" in message
    assert "asyncio.run(handler(" not in message  # the entry point would call itself
    assert "register(..., asyncio=True)" in message


def test_async_def_handler_opt_in_runs_on_the_virtual_loop_PY_2(inv: LambdaInvoker) -> None:
    async def handler(event: Any, context: Any) -> Any:
        await asyncio.sleep(2)
        return {"remaining": context.get_remaining_time_in_millis()}

    inv.register("w", handler, asyncio=True)
    assert inv.invoke("w", {}).payload == {"remaining": 1000}


def test_sync_handler_returning_a_coroutine_is_a_marshal_error_PY_2(inv: LambdaInvoker) -> None:
    async def work() -> None:
        pass

    inv.register("w", lambda e, c: work())
    r = inv.invoke("w", {})
    assert r.payload["errorType"] == "Runtime.MarshalError"
    assert r.payload["errorMessage"] == "Unable to marshal response: Object of type coroutine is not JSON serializable"


@pytest.mark.asyncio
async def test_works_when_the_test_runs_inside_an_event_loop(inv: LambdaInvoker) -> None:
    def handler(event: Any, context: Any) -> Any:
        return asyncio.run(asyncio.sleep(1, "ran"))

    inv.register("w", handler)
    assert inv.invoke("w", {}).payload == "ran"
    await asyncio.sleep(0)


def test_logs_are_kept_per_attempt_and_shown_in_the_timeline(inv: LambdaInvoker) -> None:
    def handler(event: Any, context: Any) -> None:
        print("step one")
        context.log("via context.log")
        raise RuntimeError("nope")

    inv.register("w", handler, max_retry_attempts=0)
    inv.invoke("w", {}, invocation_type="Event")
    [attempt] = inv.run()
    assert attempt.logs[1:3] == ("step one", "via context.log")
    assert attempt.logs[3] == "[ERROR] RuntimeError: nope"
    assert "| step one\n" in inv.timeline() and "| via context.log\n" in inv.timeline()


def test_fail_next_runs_no_handler_and_then_succeeds(inv: LambdaInvoker) -> None:
    calls: list[Any] = []
    fn = inv.register("w", lambda e, c: calls.append(e))
    fn.fail_next(1)
    inv.invoke("w", {}, invocation_type="Event")
    assert [a.outcome for a in inv.run()] == ["error", "success"] and len(calls) == 1
    assert "InjectedFunctionError" in (inv.attempts[0].error or "")


def test_timeline_layout(inv: LambdaInvoker) -> None:
    inv.register("worker", boom, on_failure="arn:aws:sqs:us-east-1:123456789012:orders-dlq")
    r = inv.invoke("worker", {}, invocation_type="Event")
    inv.run()
    rid = r.request_id[:4] + ".."
    line = boom.__code__.co_firstlineno + 1
    assert inv.timeline().splitlines() == [
        "lambda-async timeline (virtual clock, t0 = 2024-01-01T00:00:00Z, seed 0)",
        f"  t+0s    invoke   worker  req {rid}  Event  -> 202, queued",
        f"  t+0s    attempt  worker  req {rid}  #1  error  ValueError: boom (test_engine.py:{line})",
        f"  t+0s    retry    worker  req {rid}  retry in 60s (RET-1)",
        f"  t+60s   attempt  worker  req {rid}  #2  error  ValueError: boom (test_engine.py:{line})",
        f"  t+60s   retry    worker  req {rid}  retry in 120s (RET-1)",
        f"  t+180s  attempt  worker  req {rid}  #3  error  ValueError: boom (test_engine.py:{line})",
        f"  t+180s  fail     worker  req {rid}  RetriesExhausted after 3 attempts",
        f"  t+180s  route    worker  req {rid}  on_failure -> sqs:orders-dlq",
        f"  rules: RET-1  {_text.rule_url('RET-1')}",  # each rule id shown, once, with its URL
    ]


def test_an_error_raised_inside_a_library_names_the_handler_line_that_called_it(inv: LambdaInvoker) -> None:
    """json (the standard library) raises, but the timeline points at the user's call, and the
    error object's stackTrace still holds every frame (PY-8)."""
    def parse(event: Any, context: Any) -> Any:
        return json.loads(event["body"])

    inv.register("parse", parse)
    inv.invoke("parse", {"body": "not json"}, invocation_type="Event")
    attempt = inv.run()[0]
    line = parse.__code__.co_firstlineno + 1
    assert attempt.error is not None and attempt.error.endswith(f"(test_engine.py:{line})")
    error_object = inv.invoke("parse", {"body": "not json"}).payload
    assert any("decoder.py" in frame for frame in error_object["stackTrace"])


def test_records_are_fresh_copies(inv: LambdaInvoker) -> None:
    inv.register("w", ok, on_success=SQS_OK)
    inv.invoke("w", {"k": [1]}, invocation_type="Event")
    inv.run()
    inv.records(SQS_OK)[0]["requestPayload"]["k"].append(2)
    assert inv.records(SQS_OK)[0]["requestPayload"] == {"k": [1]}
    assert json.loads(inv.deliveries(SQS_OK)[0].wire_body)["version"] == "1.0"


def test_records_built_on_the_hot_path_have_every_field(inv: LambdaInvoker) -> None:
    """Attempt, TerminalOutcome and a 202 InvokeResult are built without their __init__ (speed):
    each must still carry exactly its declared fields, and compare equal to a normal one."""
    from dataclasses import fields, replace

    inv.register("w", ok)
    accepted = inv.invoke("w", {}, invocation_type="Event")
    inv.run()
    for record in (accepted, inv.attempts[0], inv.outcomes[0]):
        assert set(vars(record)) == {f.name for f in fields(record)}
        assert replace(record) == record


def test_stdout_tee_leaves_the_stream_it_wraps_alone(tmp_path: Path) -> None:
    """The tee an attempt prints through may be garbage collected after pytest's capture closed the
    stream it wraps: io.IOBase then calls close(), which must not flush (or close) that stream, or
    the ValueError lands as an unraisable exception (an error under -W error -X dev, as tox runs)."""
    from pytest_lambda_async._service.logs import LogCapture, Tee

    with open(tmp_path / "out.txt", "w") as stream:
        tee = Tee(stream, LogCapture())
        tee.close()
        assert not stream.closed
    tee.flush()  # the wrapped stream is closed now: nothing to flush
    tee.close()


# -- the hot path's shortcuts agree with the general code ----------------------------------
@pytest.mark.parametrize("body", [
    b"", b"   ", b"\x0c\n", "", " \t", "\u2003", b'{"k": 1}', b" [1, 2] \n", b"null", b"7", b'"s"', '{"k": "\u00e9"}',
    "{\"k\": 1}", b"{not json", b"{} x", b"[1,", b"\xff\xfe{\x00}\x00", b"\xef\xbb\xbf{}", "\ufeff{}",
    '{"k": 1}'.encode("utf-16-le"), '{"k": 1}'.encode("utf-32"), b"\xc3(", b'"\xed\xa0\x80"', b"\x00{}", b"{\x00}",
    b"NaN", b"1e999", b"\n" * 3 + b"{}", "[]\u2003",
], ids=repr)
def test_hot_path_json_check_accepts_and_refuses_as_the_decoder_INV_20(body: bytes | str) -> None:
    """_check_json (the Event short path) inlines json.loads: it must accept exactly the bodies the
    general decoder accepts, and refuse the others with the same InvalidRequestContentException."""
    from pytest_lambda_async._service.payloads import check_json as _check_json, decode_body as _decode_body

    try:
        _decode_body(body)
    except InvalidRequestContentException as exc:
        with pytest.raises(InvalidRequestContentException) as fast:
            _check_json(body)
        assert str(fast.value) == str(exc)
    else:
        _check_json(body)


def test_queued_deliveries_are_built_positionally_in_field_order() -> None:
    """_enqueue builds each _Delivery positionally (the hot path): this pins the field order it relies on."""
    import dataclasses

    from pytest_lambda_async._service.delivery import Delivery as _Delivery

    assert [f.name for f in dataclasses.fields(_Delivery)][:15] == [
        "request_id", "function", "body", "enqueued_at", "duplicate", "parent", "function_errors", "throttles",
        "attempts", "last", "parent_function", "trace_root", "lineage", "trace_header", "invoked_arn"]


def test_threads_a_handler_left_running_can_invoke_while_retries_are_queued_Q_1() -> None:
    """A handler's un-joined thread invokes while the drain pops and pushes retries: every
    accepted event still ends in exactly one outcome.  (The engine takes one lock for every
    push and pop; the collision it guards against is too rare to provoke on demand here.)"""
    workers: list[threading.Thread] = []
    per_thread = 300

    def sink(event: object, context: object) -> None:
        return None

    def spawner(event: object, context: object) -> None:
        def fire() -> None:
            for i in range(per_thread):
                inv.invoke("sink", {"i": i}, invocation_type="Event")

        t = threading.Thread(target=fire)
        workers.append(t)
        t.start()
        raise RuntimeError("fail so that a retry is pushed while the thread invokes")

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: the race needs interleaving
    try:
        with LambdaInvoker(await_check="off") as inv:
            inv.register("sink", sink)
            inv.register("spawner", spawner, max_retry_attempts=2)
            for _ in range(4):
                inv.invoke("spawner", {}, invocation_type="Event")
            inv.run()
            for t in workers:
                t.join()
            inv.run()
            by_request: dict[str, int] = {}
            for outcome in inv.outcomes:
                by_request[outcome.request_id] = by_request.get(outcome.request_id, 0) + 1
            assert len(workers) == 4 * 3
            assert len(by_request) == 4 + 4 * 3 * per_thread
            assert set(by_request.values()) == {1}
            assert inv.pending == 0
    finally:
        sys.setswitchinterval(interval)


def _context_seen(seen: list[Any]) -> Any:
    def handler(event: Any, context: Any) -> Any:
        first = all(c.aws_request_id != context.aws_request_id for c in seen)
        seen.append(context)
        if event.get("fail") and first:
            raise ValueError("first attempt fails")
        return None

    return handler


def test_a_sync_callers_client_context_reaches_the_handler_INV_4_PY_3(inv: LambdaInvoker) -> None:
    seen: list[Any] = []
    inv.register("w", _context_seen(seen))
    header = base64.b64encode(json.dumps({
        "client": {"installation_id": "i-1", "app_title": "shop", "app_version_code": "42"},
        "custom": {"cart": "c-9"}, "env": {"platform": "ios"}}).encode()).decode()
    inv.invoke("w", {}, client_context=header)
    [context] = seen
    client = context.client_context.client
    assert (client.installation_id, client.app_title, client.app_version_code) == ("i-1", "shop", "42")
    assert client.app_version_name is None and client.app_package_name is None  # keys left out read None
    assert context.client_context.custom == {"cart": "c-9"} and context.client_context.env == {"platform": "ios"}


def test_an_event_invocation_does_not_pass_its_client_context_INV_4(inv: LambdaInvoker) -> None:
    seen: list[Any] = []
    inv.register("w", _context_seen(seen))
    inv.invoke("w", {}, invocation_type="Event", client_context=base64.b64encode(b'{"custom": {}}').decode())
    inv.run()
    assert seen[0].client_context is None


def test_tenant_id_is_on_every_attempt_of_the_invocation_INV_7_PY_3(inv: LambdaInvoker) -> None:
    seen: list[Any] = []
    inv.register("w", _context_seen(seen))
    inv.invoke("w", {"fail": True}, invocation_type="Event", tenant_id="tenant-a", duplicates=1)
    inv.invoke("w", {}, tenant_id="org:7/eu")
    inv.run()
    assert [c.tenant_id for c in seen] == ["org:7/eu", "tenant-a", "tenant-a", "tenant-a"]  # sync first, then
    # the Event's first attempt (fails), its duplicate and its retry
    inv.invoke("w", {}, invocation_type="Event")
    inv.run()
    assert seen[-1].tenant_id is None


@pytest.mark.parametrize("tenant_id", ["", "a#b", "x" * 257, 7])
def test_a_malformed_tenant_id_is_refused_and_nothing_is_queued_INV_7(inv: LambdaInvoker, tenant_id: Any) -> None:
    inv.register("w", ok)
    with pytest.raises(InvalidParameterValueException, match="TenantId"):
        inv.invoke("w", {}, invocation_type="Event", tenant_id=tenant_id)
    assert inv.pending == 0


def _missing_key_plus(event: Any, context: Any) -> Any:
    return event["missing"] + _helper_of(1)


def _helper_of(value: Any) -> Any:
    return value


def test_stack_trace_entries_are_the_runtimes_format_list_lines_without_carets_PY_8(inv: LambdaInvoker) -> None:
    """Each entry is '  File "...", line N, in f\\n    <source>\\n', as the runtime formats
    (file, line, function, source) tuples: no '^^^' lines, which Python 3.11+ draws for frames
    extracted with column positions."""
    inv.register("w", _missing_key_plus)
    [entry] = inv.invoke("w", {}).payload["stackTrace"]
    line = _missing_key_plus.__code__.co_firstlineno + 1
    assert entry == (f'  File "{__file__}", line {line}, in _missing_key_plus\n'
                     '    return event["missing"] + _helper_of(1)\n')


def test_hypothesis_modules_keep_real_time_while_attempts_read_the_virtual_clock() -> None:
    """Hypothesis times its own runs (deadlines, shrink budget): the virtual clock's freezer leaves
    its modules out, so a time function Hypothesis imported by name stays the real one.  (A fresh,
    not held, invoker: each run starts the outermost freezer, whose module scan this is about.)"""
    import hypothesis.stateful

    inv = LambdaInvoker(seed=0, start=T0)

    real_perf_counter = time.perf_counter
    seen: dict[str, Any] = {}

    def handler(event: Any, context: Any) -> None:
        seen["hypothesis"] = hypothesis.stateful.perf_counter
        seen["year"] = dt.datetime.now().year

    inv.register("w", handler)
    try:
        inv.invoke("w", {})
    finally:
        inv.close()
    assert seen == {"hypothesis": real_perf_counter, "year": 2024}
