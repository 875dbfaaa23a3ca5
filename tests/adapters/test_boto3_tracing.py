"""Tracing and recursive loops through real boto3 clients (issue 3 part 4: LOOP-1..LOOP-4)."""

from __future__ import annotations

import json
import os
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from pytest_lambda_async import LambdaInvoker

lambda_client = boto3.client("lambda", region_name="us-east-1")
DLQ = "arn:aws:sqs:us-east-1:123456789012:loops"
FAILED = "arn:aws:sqs:us-east-1:123456789012:failed"


def environment(event: Any, context: Any) -> Any:
    return {"trace": os.environ.get("_X_AMZN_TRACE_ID"), "name": os.environ.get("AWS_LAMBDA_FUNCTION_NAME")}


def fields(trace: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in trace.split(";"))


def test_each_attempt_runs_with_the_trace_and_function_name(lambda_invoker: LambdaInvoker) -> None:
    """LOOP-4: set per invocation, as the runtime does; gone again once the test has control."""
    lambda_invoker.register("worker", environment)
    first = lambda_invoker.invoke("worker", {}).payload
    second = lambda_invoker.invoke("worker", {}).payload
    assert first["name"] == "worker"
    root, parent = fields(first["trace"])["Root"], fields(first["trace"])["Parent"]
    assert root.startswith("1-") and len(root) == 35 and len(parent) == 16
    assert fields(second["trace"])["Root"] != root  # each top-level invocation starts a chain
    assert "_X_AMZN_TRACE_ID" not in os.environ and "AWS_LAMBDA_FUNCTION_NAME" not in os.environ


def api(event: Any, context: Any) -> Any:
    for n in range(event["workers"]):
        lambda_client.invoke(FunctionName="worker", InvocationType="Event", Payload=json.dumps({"n": n}))
    return environment(event, context)


def test_botocore_carries_the_trace_to_chained_invocations(lambda_invoker: LambdaInvoker) -> None:
    """LOOP-4: botocore copies _X_AMZN_TRACE_ID into X-Amzn-Trace-Id; the child joins the caller's chain."""
    lambda_invoker.register("api", api)
    lambda_invoker.register("worker", environment)
    caller = lambda_invoker.invoke("api", {"workers": 1}).payload
    [child] = lambda_invoker.run()
    child_trace = fields(child.response["trace"])
    assert child_trace["Root"] == fields(caller["trace"])["Root"]
    assert child_trace["Parent"] != fields(caller["trace"])["Parent"]
    assert sorted(int(item.split(":")[1]) for item in child_trace["Lineage"].split("|")) == [1, 1]


def test_the_timeline_shows_which_attempt_caused_which_invocation(lambda_invoker: LambdaInvoker) -> None:
    """A fan-out reads as parent and children."""
    lambda_invoker.register("api", api)
    lambda_invoker.register("worker", environment)
    parent = lambda_invoker.invoke("api", {"workers": 3}, invocation_type="Event")
    lambda_invoker.run()
    lines = [line for line in lambda_invoker.timeline().splitlines() if "invoke   worker" in line]
    assert len(lines) == 3
    assert all(line.endswith(f"from api req {parent.request_id[:4]}..") for line in lines), lines


def again(event: Any, context: Any) -> Any:
    """Re-invokes itself for ever: the loop Lambda stops (LOOP-1)."""
    lambda_client.invoke(FunctionName="looper", InvocationType="Event", Payload=json.dumps({"n": event["n"] + 1}))
    return event["n"]


def test_an_async_loop_is_stopped_after_16_and_sent_to_the_dlq_and_on_failure(lambda_invoker: LambdaInvoker) -> None:
    """LOOP-1, LOOP-3: 16 invocations run; the 17th is accepted (202), dropped to the DLQ and the
    on-failure destination without running, and counted as RecursiveInvocationsDropped."""
    lambda_invoker.register("looper", again, dead_letter=DLQ, on_failure=FAILED)
    lambda_invoker.invoke("looper", {"n": 1}, invocation_type="Event")
    made = lambda_invoker.run()
    assert [a.response for a in made] == list(range(1, 17))
    assert all(a.outcome == "success" for a in made)
    assert lambda_invoker.records(DLQ) == [{"n": 17}]  # DLQ-3: the event as is
    [record] = lambda_invoker.records(FAILED)
    assert record["requestPayload"] == {"n": 17} and record["requestContext"]["approximateInvokeCount"] == 0
    assert "responsePayload" not in record  # REC-8: no attempt ran
    assert lambda_invoker.metrics["RecursiveInvocationsDropped"] == 1
    assert "stopped: recursive loop" in lambda_invoker.timeline()


def sync_at_the_end(event: Any, context: Any) -> Any:
    n = event["n"]
    if n < 16:
        lambda_client.invoke(FunctionName="looper", InvocationType="Event", Payload=json.dumps({"n": n + 1}))
        return n
    try:
        lambda_client.invoke(FunctionName="looper", Payload=json.dumps({"n": n + 1}))
    except ClientError as exc:
        return {"code": exc.response["Error"]["Code"], "status": exc.response["ResponseMetadata"]["HTTPStatusCode"]}
    return "not stopped"


def test_a_sync_caller_gets_recursive_invocation_exception(lambda_invoker: LambdaInvoker) -> None:
    """LOOP-3: RecursiveInvocationException (400) for the 17th, invoked RequestResponse."""
    lambda_invoker.register("looper", sync_at_the_end)
    lambda_invoker.invoke("looper", {"n": 1}, invocation_type="Event")
    made = lambda_invoker.run()
    assert made[-1].response == {"code": "RecursiveInvocationException", "status": 400}


def bounded(event: Any, context: Any) -> Any:
    if event["n"] < 20:
        lambda_client.invoke(FunctionName="looper", InvocationType="Event", Payload=json.dumps({"n": event["n"] + 1}))
    return event["n"]


def test_recursive_loop_allow_lets_the_loop_run(lambda_invoker: LambdaInvoker) -> None:
    """LOOP-3: PutFunctionRecursionConfig RecursiveLoop=Allow; Terminate is the default."""
    lambda_invoker.register("looper", bounded)
    assert lambda_client.get_function_recursion_config(FunctionName="looper")["RecursiveLoop"] == "Terminate"
    lambda_client.put_function_recursion_config(FunctionName="looper", RecursiveLoop="Allow")
    lambda_invoker.invoke("looper", {"n": 1}, invocation_type="Event")
    assert len(lambda_invoker.run()) == 20
    assert "RecursiveInvocationsDropped" not in lambda_invoker.metrics


def test_two_functions_calling_each_other_are_counted_per_function(lambda_invoker: LambdaInvoker) -> None:
    """LOOP-1: the count is per function along the chain: ping and pong each run 16 times."""
    def ping_pong(other: str) -> Any:
        def handler(event: Any, context: Any) -> Any:
            lambda_client.invoke(FunctionName=other, InvocationType="Event", Payload=b"{}")
        return handler

    lambda_invoker.register("ping", ping_pong("pong"))
    lambda_invoker.register("pong", ping_pong("ping"))
    lambda_invoker.invoke("ping", {}, invocation_type="Event")
    made = lambda_invoker.run()
    assert [a.function for a in made].count("ping") == 16 and [a.function for a in made].count("pong") == 16


def test_lambda_destinations_pass_the_trace_on(lambda_invoker: LambdaInvoker) -> None:
    """DST-7: the destination function runs in the caller's trace."""
    lambda_invoker.register("first", environment, on_success="second")
    lambda_invoker.register("second", environment)
    lambda_invoker.invoke("first", {}, invocation_type="Event")
    first, second = lambda_invoker.run()
    assert fields(first.response["trace"])["Root"] == fields(second.response["trace"])["Root"]
    assert "from first req" in lambda_invoker.timeline()


def test_recursion_config_validation(lambda_invoker: LambdaInvoker) -> None:
    lambda_invoker.register("looper", bounded)
    with pytest.raises(ClientError) as exc:
        lambda_client.put_function_recursion_config(FunctionName="looper", RecursiveLoop="Sometimes")
    assert exc.value.response["Error"]["Code"] == "ValidationException"  # put_recursion_invalid_value_error
    assert lambda_invoker.functions["looper"].recursive_loop == "Terminate"


def test_a_failing_tests_report_shows_the_fan_out(lpytester: pytest.Pytester) -> None:
    """The report's timeline names each child's parent, and the loop that was stopped."""
    lpytester.makepyfile("""
        import json
        import boto3

        client = boto3.client("lambda", region_name="us-east-1")

        def api(event, context):
            client.invoke(FunctionName="looper", InvocationType="Event", Payload=b'{"n": 1}')

        def looper(event, context):
            client.invoke(FunctionName="looper", InvocationType="Event",
                          Payload=json.dumps({"n": event["n"] + 1}))

        def test_loop(lambda_invoker):
            lambda_invoker.register("api", api)
            lambda_invoker.register("looper", looper)
            lambda_invoker.invoke("api", {})
            lambda_invoker.run()
            assert lambda_invoker.metrics == {}
    """)
    result = lpytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*- lambda-async timeline -*",
        "*invoke   looper  req *..  Event  -> 202, queued  from api req *..",
    ])
    result.stdout.fnmatch_lines([
        "*loop     looper  req *..  Event  -> 202, then stopped: recursive loop  from looper req *.. "
        "(more than 16 invocations of looper in one chain, LOOP-1; RecursiveInvocationsDropped)",
        "*fail     looper  req *..  RetriesExhausted after 0 attempts",
        "*metrics: RecursiveInvocationsDropped=1",
    ])
