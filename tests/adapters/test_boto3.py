"""Real boto3 Lambda clients answered by the invoker (issue 3 parts 1 and 3; API.md section 2).

Every client here is a real ``boto3.client("lambda")``; moto is the real
``moto.mock_aws``.  No credentials are configured in this process, so a call
that escaped to AWS would fail with ``NoCredentialsError`` instead of passing.
"""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from typing import Any

import boto3
import moto
import pytest
from botocore.exceptions import ClientError
from botocore.response import StreamingBody
from botocore.stub import Stubber

from pytest_lambda_async import LambdaInvoker
from pytest_lambda_async import UnsupportedOperation

# Made at import, long before any test's invoker exists: the seed's pattern.
lambda_client = boto3.client("lambda", region_name="us-east-1")
ARN = "arn:aws:lambda:us-east-1:123456789012:function:worker"


def echo(event: Any, context: Any) -> Any:
    print(f"echo {event}")
    return {"echo": event, "request_id": context.aws_request_id}


def boom(event: Any, context: Any) -> Any:
    raise ValueError("boom")


def payload_of(response: dict[str, Any]) -> Any:
    body = response["Payload"].read()
    return json.loads(body) if body else None


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


# -- the seed (issue 3): module-global client, no endpoint_url, no region argument ----------
SEED_APP = '''
    import json

    import boto3

    lambda_client = boto3.client("lambda")

    def handler(event, context):
        lambda_client.invoke(FunctionName="background-worker", InvocationType="Event",
                             Payload=json.dumps({"task_id": event["task_id"]}).encode("utf-8"))
        return {"status": "queued"}
'''

SEED_TEST = '''
    from app import handler

    def worker(event, context):
        done.append(event["task_id"])

    done = []

    def test_direct_call_queues_the_worker(lambda_invoker):
        lambda_invoker.register("background-worker", worker)
        assert handler({"task_id": "t-1"}, None) == {"status": "queued"}
        assert done == []                      # queued, not run (INV-11)
        lambda_invoker.run()
        assert done == ["t-1"]

    def test_through_the_invoker(lambda_invoker):
        lambda_invoker.register("background-worker", worker)
        lambda_invoker.register("api", handler)
        result = lambda_invoker.invoke("api", {"task_id": "t-2"})
        assert result.payload == {"status": "queued"}
        lambda_invoker.run()
        assert done[-1] == "t-2"
        assert [a.function for a in lambda_invoker.attempts] == ["api", "background-worker"]

    def test_unregistered_worker_is_not_found(lambda_invoker):
        import pytest
        from botocore.exceptions import ClientError
        with pytest.raises(ClientError) as exc:
            handler({"task_id": "t-3"}, None)
        assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"
'''


def test_seed_queues_background_work_and_returns_queued(lpytester: pytest.Pytester,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The issue's seed, untouched: its client is made at import, before the fixture (INV-11, INV-22)."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    lpytester.makepyfile(app=textwrap.dedent(SEED_APP), test_seed=textwrap.dedent(SEED_TEST))
    result = lpytester.runpytest()
    result.assert_outcomes(passed=3)


# -- Invoke: the three types, payload forms, names (INV-1..INV-15) ---------------------------
def test_event_returns_202_with_an_empty_body_and_runs_later(lambda_invoker: LambdaInvoker) -> None:
    """INV-11: 202, empty body; the event waits in the queue for run()."""
    lambda_invoker.register("worker", echo)
    response = lambda_client.invoke(FunctionName="worker", InvocationType="Event", Payload=b'{"n": 1}')
    assert response["StatusCode"] == 202
    assert isinstance(response["Payload"], StreamingBody)
    assert response["Payload"].read() == b""
    assert "FunctionError" not in response
    assert lambda_invoker.attempts == []
    [attempt] = lambda_invoker.run()
    assert attempt.request_id == response["ResponseMetadata"]["RequestId"]  # INV-16, RET-6
    assert attempt.outcome == "success"


def test_request_response_answers_200_with_the_result(lambda_invoker: LambdaInvoker) -> None:
    """INV-10, INV-15: 200, the result as a streaming body, ExecutedVersion $LATEST."""
    lambda_invoker.register("worker", echo)
    response = lambda_client.invoke(FunctionName="worker", Payload=b'{"n": 1}')
    assert response["StatusCode"] == 200
    assert response["ExecutedVersion"] == "$LATEST"
    assert isinstance(response["Payload"], StreamingBody)
    assert payload_of(response) == {"echo": {"n": 1}, "request_id": response["ResponseMetadata"]["RequestId"]}
    assert "FunctionError" not in response and "LogResult" not in response


def test_dry_run_answers_204_and_runs_nothing(lambda_invoker: LambdaInvoker) -> None:
    """INV-12."""
    lambda_invoker.register("worker", echo)
    response = lambda_client.invoke(FunctionName="worker", InvocationType="DryRun")
    assert response["StatusCode"] == 204
    assert lambda_invoker.run() == [] and lambda_invoker.attempts == []


@pytest.mark.parametrize("payload", [b'{"n": 1}', '{"n": 1}', io.BytesIO(b'{"n": 1}'), io.StringIO('{"n": 1}')],
                         ids=["bytes", "str", "binary file", "text file"])
def test_payload_forms(lambda_invoker: LambdaInvoker, payload: Any) -> None:
    """INV-6: the body is JSON however botocore was given it."""
    lambda_invoker.register("worker", echo)
    assert payload_of(lambda_client.invoke(FunctionName="worker", Payload=payload))["echo"] == {"n": 1}


@pytest.mark.parametrize("payload", [b'{"n": 1}', '{"n": 1}', bytearray(b'{"n": 1}'), io.BytesIO(b'{"n": 1}'),
                                     io.StringIO('{"n": 1}'), b'  {"n": 1}\n', '\ufeff{"n": 1}'.encode("utf-8")],
                         ids=["bytes", "str", "bytearray", "binary file", "text file", "whitespace", "UTF-8 BOM"])
def test_event_payload_forms(lambda_invoker: LambdaInvoker, payload: Any) -> None:
    """INV-6, INV-11: an Event invoke (the short path) queues the body however botocore was given it."""
    lambda_invoker.register("worker", echo)
    assert lambda_client.invoke(FunctionName="worker", InvocationType="Event", Payload=payload)["StatusCode"] == 202
    [attempt] = lambda_invoker.run()
    assert attempt.response["echo"] == {"n": 1}


def test_oversized_event_counts_utf8_bytes(lambda_invoker: LambdaInvoker) -> None:
    """INV-18: the limit is on the request body's bytes, so a str payload counts in UTF-8."""
    lambda_invoker.register("worker", echo)
    body = json.dumps({"x": "\u00e9" * (512 * 1024)}, ensure_ascii=False)  # 1 MB + 10 bytes in UTF-8
    assert len(body) < 1024 * 1024 < len(body.encode())
    with pytest.raises(ClientError) as exc:
        lambda_client.invoke(FunctionName="worker", InvocationType="Event", Payload=body)
    assert error_of(exc) == ("RequestEntityTooLargeException", 413)
    assert f"{len(body.encode())} byte payload is too large" in str(exc.value)
    assert lambda_invoker.pending == 0


def test_no_payload_is_an_empty_object(lambda_invoker: LambdaInvoker) -> None:
    """INV-6: an empty body is accepted."""
    lambda_invoker.register("worker", echo)
    assert payload_of(lambda_client.invoke(FunctionName="worker"))["echo"] == {}


@pytest.mark.parametrize("name, qualifier", [
    ("worker", None), ("worker:$LATEST", None), ("worker", "$LATEST"),
    ("123456789012:function:worker", None), (ARN, None), (ARN + ":$LATEST", None),
])
def test_function_name_forms(lambda_invoker: LambdaInvoker, name: str, qualifier: str | None) -> None:
    """INV-1, INV-5: a name, name:qualifier, a partial or a full ARN, and Qualifier."""
    lambda_invoker.register("worker", echo)
    kwargs = {"Qualifier": qualifier} if qualifier else {}
    response = lambda_client.invoke(FunctionName=name, InvocationType="Event", **kwargs)
    assert response["StatusCode"] == 202
    assert [a.function for a in lambda_invoker.run()] == ["worker"]


def test_function_error_is_200_with_function_error_unhandled(lambda_invoker: LambdaInvoker) -> None:
    """INV-13, INV-14: a raised exception is not an API error: 200, FunctionError Unhandled, the error object."""
    lambda_invoker.register("worker", boom)
    response = lambda_client.invoke(FunctionName="worker", Payload=b"{}")
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    error = payload_of(response)
    assert error["errorType"] == "ValueError" and error["errorMessage"] == "boom"
    assert error["requestId"] == response["ResponseMetadata"]["RequestId"]  # PY-8


def test_log_type_tail_returns_the_log_in_base64(lambda_invoker: LambdaInvoker) -> None:
    """INV-3: LogResult is base64 of the log's tail, sync calls only."""
    lambda_invoker.register("worker", echo)
    response = lambda_client.invoke(FunctionName="worker", Payload=b'{"n": 7}', LogType="Tail")
    assert "echo {'n': 7}" in base64.b64decode(response["LogResult"]).decode()


def test_log_result_through_boto3_has_the_runtime_lines_log_result(lambda_invoker: LambdaInvoker) -> None:
    """Recordings ``log_result`` and ``test_invocation_with_logs[python3.10]``: the decoded LogResult holds
    START, the handler's print, the error with its traceback, END and REPORT, as AWS writes them."""
    lambda_invoker.register("worker", boom_after_print)
    response = lambda_client.invoke(FunctionName="worker", Payload=b"{}", LogType="Tail")
    rid = response["ResponseMetadata"]["RequestId"]
    lines = base64.b64decode(response["LogResult"]).decode().splitlines()
    assert lines[:4] == [f"START RequestId: {rid} Version: $LATEST", "Lambda log message - print function",
                         "[ERROR] ValueError: boom", "Traceback (most recent call last):"]
    assert lines[-2] == f"END RequestId: {rid}"
    assert lines[-1].startswith(f"REPORT RequestId: {rid}\tDuration: ") and "\tMemory Size: 128 MB\t" in lines[-1]


def boom_after_print(event: Any, context: Any) -> Any:
    print("Lambda log message - print function")
    raise ValueError("boom")


# -- service errors arrive as botocore's ClientError (INV-20..INV-24) ------------------------
def test_unknown_function_is_resource_not_found(lambda_invoker: LambdaInvoker) -> None:
    """INV-22: 404 ResourceNotFoundException, catchable as the client's modelled exception too."""
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException) as exc:
        lambda_client.invoke(FunctionName="missing", InvocationType="Event")
    assert error_of(exc) == ("ResourceNotFoundException", 404)
    assert "function:missing" in exc.value.response["Error"]["Message"]


def test_unknown_qualifier_is_resource_not_found(lambda_invoker: LambdaInvoker) -> None:
    """INV-22: only $LATEST exists here (no versions or aliases)."""
    lambda_invoker.register("worker", echo)
    with pytest.raises(ClientError) as exc:
        lambda_client.invoke(FunctionName="worker", Qualifier="prod")
    assert error_of(exc) == ("ResourceNotFoundException", 404)


def test_payload_that_is_not_json_is_invalid_request_content(lambda_invoker: LambdaInvoker) -> None:
    """INV-20."""
    lambda_invoker.register("worker", echo)
    with pytest.raises(ClientError) as exc:
        lambda_client.invoke(FunctionName="worker", InvocationType="Event", Payload=b"not json")
    assert error_of(exc) == ("InvalidRequestContentException", 400)
    assert exc.value.response["Error"]["Message"].startswith("Could not parse request body into json")
    assert lambda_invoker.pending == 0


def test_oversized_event_is_request_entity_too_large_on_the_wire(lambda_invoker: LambdaInvoker) -> None:
    """INV-18, INV-21: the wire code is RequestEntityTooLargeException (413), a generic ClientError."""
    lambda_invoker.register("worker", echo)
    body = json.dumps({"x": "a" * (1024 * 1024)}).encode()
    with pytest.raises(ClientError) as exc:
        lambda_client.invoke(FunctionName="worker", InvocationType="Event", Payload=body)
    assert error_of(exc) == ("RequestEntityTooLargeException", 413)
    assert f"{len(body)} byte payload is too large for the Event invocation type" in str(exc.value)


def test_sync_throttle_is_too_many_requests_with_reason_and_retry_after(lambda_invoker: LambdaInvoker) -> None:
    """INV-23: 429 with Reason and the Retry-After header (modelled as retryAfterSeconds)."""
    lambda_invoker.register("worker", echo).throttle_next(1)
    with pytest.raises(lambda_client.exceptions.TooManyRequestsException) as exc:
        lambda_client.invoke(FunctionName="worker")
    assert error_of(exc) == ("TooManyRequestsException", 429)
    assert exc.value.response["Reason"] == "ConcurrentInvocationLimitExceeded"
    assert exc.value.response["retryAfterSeconds"] == "1"


def test_reserved_concurrency_zero_throttles_sync_calls(lambda_invoker: LambdaInvoker) -> None:
    """INV-23, Q-5: put_function_concurrency(0) through boto3."""
    lambda_invoker.register("worker", echo)
    assert lambda_client.put_function_concurrency(FunctionName="worker", ReservedConcurrentExecutions=0)[
        "ReservedConcurrentExecutions"] == 0
    with pytest.raises(ClientError) as exc:
        lambda_client.invoke(FunctionName="worker")
    assert exc.value.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    lambda_client.delete_function_concurrency(FunctionName="worker")
    assert lambda_client.invoke(FunctionName="worker")["StatusCode"] == 200


def test_a_sync_invoke_while_the_reserved_environment_is_busy_is_throttled_INV_23(
        lambda_invoker: LambdaInvoker) -> None:
    """INV-23: reserved concurrency 1 (put_function_concurrency), an Event attempt of ``worker`` running
    t0..t0+50, and a handler calling ``lambda_client.invoke(FunctionName="worker")`` at t0+10: a real
    boto3 client gets TooManyRequestsException with Reason ReservedFunctionConcurrentInvocationLimitExceeded."""
    seen: list[Any] = []

    def busy(event: Any, context: Any) -> None:
        time.sleep(50)

    def caller(event: Any, context: Any) -> None:
        time.sleep(10)
        try:
            seen.append(lambda_client.invoke(FunctionName="worker", Payload=b"{}")["StatusCode"])
        except lambda_client.exceptions.TooManyRequestsException as exc:
            seen.append((*error_of_client(exc), exc.response["Reason"], exc.response["retryAfterSeconds"]))

    lambda_invoker.register("worker", busy, timeout=900)
    lambda_invoker.register("caller", caller, timeout=900, max_retry_attempts=0)
    lambda_client.put_function_concurrency(FunctionName="worker", ReservedConcurrentExecutions=1)
    lambda_client.invoke(FunctionName="worker", InvocationType="Event", Payload=b"{}")
    lambda_client.invoke(FunctionName="caller", InvocationType="Event", Payload=b"{}")
    lambda_invoker.run()
    assert seen == [("TooManyRequestsException", 429, "ReservedFunctionConcurrentInvocationLimitExceeded", "1")]
    assert [a.outcome for a in lambda_invoker.attempts if a.invocation_type == "RequestResponse"] == ["throttled"]


def error_of_client(exc: ClientError) -> tuple[str, int]:
    return exc.response["Error"]["Code"], exc.response["ResponseMetadata"]["HTTPStatusCode"]


def test_a_name_longer_than_any_function_is_not_found_INV_1_INV_22(lambda_invoker: LambdaInvoker) -> None:
    """INV-1, INV-22: Invoke does not check the 64-character limit of a function's name (its model
    allows 256 characters): a longer name is no function (recorded: ``function_name_too_long``)."""
    with pytest.raises(ClientError) as exc:
        lambda_client.invoke(FunctionName="f" * 65)
    assert error_of(exc) == ("ResourceNotFoundException", 404)


def test_bad_client_context_is_invalid_request_content(lambda_invoker: LambdaInvoker) -> None:
    """INV-4, INV-20: the client context must be base64 JSON."""
    lambda_invoker.register("worker", echo)
    with pytest.raises(ClientError) as exc:
        lambda_client.invoke(FunctionName="worker", ClientContext="not base64 json")
    assert error_of(exc) == ("InvalidRequestContentException", 400)


def test_client_context_and_tenant_id_reach_the_context_through_boto3_INV_4_INV_7(
        lambda_invoker: LambdaInvoker) -> None:
    """PY-3: ClientContext (base64 JSON, sync only) and TenantId (every invocation type) become
    ``context.client_context`` / ``context.tenant_id``; a TenantId outside the model's pattern is
    AWS's ValidationException (which botocore leaves to the service)."""
    seen: list[tuple[Any, Any]] = []

    def handler(event: Any, context: Any) -> None:
        app = context.client_context.client.app_title if context.client_context else None
        seen.append((app, context.tenant_id))

    lambda_invoker.register("worker", handler)
    header = base64.b64encode(json.dumps({"client": {"app_title": "shop"}}).encode()).decode()
    lambda_client.invoke(FunctionName="worker", ClientContext=header, TenantId="tenant-a")
    lambda_client.invoke(FunctionName="worker", InvocationType="Event", ClientContext=header, TenantId="tenant-b",
                         Payload=b"{}")
    lambda_invoker.run()
    assert seen == [("shop", "tenant-a"), (None, "tenant-b")]
    with pytest.raises(ClientError) as exc:
        lambda_client.invoke(FunctionName="worker", InvocationType="Event", TenantId="a#b")
    assert error_of(exc) == ("ValidationException", 400)
    assert lambda_invoker.pending == 0


def test_errors_are_not_retried_by_the_caller_code_path(lambda_invoker: LambdaInvoker) -> None:
    """The user's own `except ClientError` runs: nothing queued, nothing lost (API.md section 1)."""
    lambda_invoker.register("worker", echo)
    lambda_client.invoke(FunctionName="worker", InvocationType="Event", Payload=b"{}")
    try:
        lambda_client.invoke(FunctionName="worker", InvocationType="Event", Payload=b"{")
    except ClientError as exc:
        caught = exc.response["Error"]["Code"]
    assert caught == "InvalidRequestContentException"
    assert len(lambda_invoker.run()) == 1


def test_other_lambda_operations_raise_unsupported_never_reach_aws(lambda_invoker: LambdaInvoker) -> None:
    with pytest.raises(UnsupportedOperation, match="lambda.list_functions is not modelled"):
        lambda_client.list_functions()


# -- when the router answers, and when it does not ------------------------------------------
def test_without_an_active_invoker_botocore_is_untouched() -> None:
    """Outside the fixture and patch_boto3(), a Stubber (or the network) answers as usual."""
    client = boto3.client("lambda", region_name="us-east-1")
    with Stubber(client) as stub:
        stub.add_response("invoke", {"StatusCode": 202}, {"FunctionName": "worker", "InvocationType": "Event"})
        assert client.invoke(FunctionName="worker", InvocationType="Event")["StatusCode"] == 202


def test_patch_boto3_outside_pytest_and_nesting() -> None:
    """API.md section 2: `with inv.patch_boto3():`; the innermost active invoker answers."""
    outer, inner = LambdaInvoker(), LambdaInvoker()
    outer.register("worker", echo)
    inner.register("worker", echo)
    try:
        with outer.patch_boto3():
            lambda_client.invoke(FunctionName="worker", InvocationType="Event")
            with inner.patch_boto3():
                lambda_client.invoke(FunctionName="worker", InvocationType="Event")
            lambda_client.invoke(FunctionName="worker", InvocationType="Event")
        assert (outer.pending, inner.pending) == (2, 1)
    finally:
        outer.close()
        inner.close()


def test_clients_made_after_the_package_but_before_botocore_loads_are_routed() -> None:
    """The import hook: importing the package loads no botocore, yet later sessions carry the handlers."""
    code = textwrap.dedent("""
        import sys
        import pytest_lambda_async as pla
        assert "botocore" not in sys.modules
        import boto3
        client = boto3.client("lambda", region_name="us-east-1")
        other_session_client = boto3.session.Session().client("lambda", region_name="eu-west-1")
        inv = pla.LambdaInvoker()
        inv.register("w", lambda event, context: event)
        with inv, inv.patch_boto3():
            print(client.invoke(FunctionName="w", Payload=b"[1]")["Payload"].read().decode(),
                  other_session_client.invoke(FunctionName="w", InvocationType="Event")["StatusCode"])
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["[1]", "202"]


# -- moto together with the invoker (issue 3 part 3: routing) --------------------------------
def put_object(event: Any, context: Any) -> Any:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.put_object(Bucket="results", Key=event["key"], Body=b"done")
    return {"stored": event["key"]}


def fan_out(event: Any, context: Any) -> Any:
    lambda_client.invoke(FunctionName="store", InvocationType="Event", Payload=json.dumps(event).encode())
    return {"status": "queued"}


def _stored_keys() -> list[str]:
    s3 = boto3.client("s3", region_name="us-east-1")
    return [o["Key"] for o in s3.list_objects_v2(Bucket="results").get("Contents", [])]


def _play(invoker: LambdaInvoker) -> None:
    invoker.register("store", put_object)
    invoker.register("api", fan_out)
    assert invoker.invoke("api", {"key": "k1"}).payload == {"status": "queued"}
    invoker.run()
    assert [(a.function, a.outcome) for a in invoker.attempts] == [("api", "success"), ("store", "success")]
    assert _stored_keys() == ["k1"]


def test_moto_entered_after_the_fixture(lambda_invoker: LambdaInvoker) -> None:
    """Lambda calls go to the invoker, S3 calls to moto (mock_aws as a context manager)."""
    with moto.mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="results")
        _play(lambda_invoker)


@pytest.fixture
def aws() -> Iterator[None]:
    with moto.mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="results")
        yield


def test_moto_entered_before_the_fixture(aws: None, lambda_invoker: LambdaInvoker) -> None:
    """mock_aws in a user fixture that starts before lambda_invoker."""
    _play(lambda_invoker)


@moto.mock_aws
def test_moto_as_a_decorator(lambda_invoker: LambdaInvoker) -> None:
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="results")
    _play(lambda_invoker)


def test_under_moto_an_unregistered_function_is_not_sent_to_moto(aws: None, lambda_invoker: LambdaInvoker) -> None:
    """INV-22: even when moto has the function, the active invoker answers for Lambda."""
    moto_lambda = boto3.client("lambda", region_name="us-east-1")
    with pytest.raises(ClientError) as exc:
        moto_lambda.invoke(FunctionName="nowhere", InvocationType="Event")
    assert error_of(exc) == ("ResourceNotFoundException", 404)
    assert "x-amzn-errortype" in exc.value.response["ResponseMetadata"]["HTTPHeaders"]


def test_after_the_block_moto_answers_lambda_again() -> None:
    inv = LambdaInvoker()
    inv.register("worker", echo)
    with moto.mock_aws():
        client = boto3.client("lambda", region_name="us-east-1")  # made under moto: it has credentials
        with inv.patch_boto3():
            client.invoke(FunctionName="worker", InvocationType="Event")
        with pytest.raises(ClientError) as exc:  # moto's own answer: it has no such function
            client.invoke(FunctionName="worker", InvocationType="Event")
        assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert inv.pending == 1
    inv.close()


def test_the_event_fast_path_matches_botocores_own_parse() -> None:
    """The hot Event reply is assembled directly: it must equal what botocore's parser makes of it."""
    from pytest_lambda_async._adapters import replies

    model = lambda_client.meta.service_model.operation_model("Invoke")
    for status in (202, 204):
        reply = replies.Reply(status, "5c1e0000-0000-4000-8000-000000000000")
        fast_http, fast = replies.empty_invoke_response("https://lambda", reply)
        full_http, full = replies.parse(model, "https://lambda", reply)
        assert fast.pop("Payload").read() == full.pop("Payload").read() == b""
        assert fast == full
        for http in (fast_http, full_http):  # HTTP headers are case-insensitive (botocore's HeadersDict)
            assert (http.status_code, {k.lower(): v for k, v in http.headers.items()}) == (
                status, full["ResponseMetadata"]["HTTPHeaders"])


def test_invoke_async_is_an_event_invocation(lambda_invoker: LambdaInvoker) -> None:
    """INV-19: the deprecated InvokeAsync queues the event and answers Status 202."""
    lambda_invoker.register("worker", echo)
    response = lambda_client.invoke_async(FunctionName="worker", InvokeArgs=io.BytesIO(b'{"n": 3}'))
    assert response["Status"] == 202
    [attempt] = lambda_invoker.run()
    assert attempt.response["echo"] == {"n": 3}


def test_botocore_loaded_first_new_clients_of_the_default_session_are_routed() -> None:
    """When boto3's default session exists before the package is imported, clients it makes
    afterwards are routed; a client made before cannot be reached (documented)."""
    code = textwrap.dedent("""
        import boto3
        from botocore.exceptions import NoCredentialsError, NoRegionError
        boto3.setup_default_session(region_name="us-east-1")
        early = boto3.client("lambda")
        import pytest_lambda_async as pla
        late = boto3.client("lambda")
        inv = pla.LambdaInvoker()
        inv.register("w", lambda event, context: None)
        with inv, inv.patch_boto3():
            print(late.invoke(FunctionName="w", InvocationType="Event")["StatusCode"])
            try:
                early.invoke(FunctionName="w", InvocationType="Event")
            except NoCredentialsError:
                print("early client not routed")
    """)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") or k == "AWS_CA_BUNDLE"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["202", "early client not routed"]
