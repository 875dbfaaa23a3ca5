"""Our answers against AWS's recorded ones (issue 13).

The oracle is the set of responses real AWS gave to LocalStack's Lambda test suite
(``tests/aws/services/lambda_/*.snapshot.json`` in localstack/localstack, Apache-2.0;
excerpts in the team's ``aws-recordings``).  Each test names the snapshot key it
reproduces; the expected values below are those recordings with their placeholders
filled in (``<region>`` us-east-1, ``111111111111`` the invoker's account
123456789012, ``<function-name:1>`` worker, ``<partition>`` aws).  Every call goes
through a real ``boto3.client("lambda", region_name="us-east-1")``, and through real
``moto.mock_aws()`` where a destination is involved.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from pytest_lambda_async import LambdaInvoker

REGION = "us-east-1"
ACCOUNT = "123456789012"
FN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function"
ARN = f"{FN}:worker"
QUALIFIED = ARN + ":$LATEST"
QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:failed"

lambda_client = boto3.client("lambda", region_name=REGION)


def ok(event: Any, context: Any) -> Any:
    return {"ok": True}


def boom(event: Any, context: Any) -> Any:
    raise Exception("intentional failure")


# -- items 5 and 6: what moto receives -----------------------------------------------------------
@pytest.fixture
def aws() -> Iterator[dict[str, Any]]:
    with mock_aws():
        session = boto3.session.Session(region_name=REGION)
        yield {name: session.client(name) for name in ("sqs", "events")}


def _queue(sqs: Any, name: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


@pytest.mark.parametrize("handler, key, detail_type", [
    (ok, "OnSuccess", "Lambda Function Invocation Result - Success"),
    (boom, "OnFailure", "Lambda Function Invocation Result - Failure"),
])
def test_lambda_destination_event_bus_success(lambda_invoker: LambdaInvoker, aws: dict[str, Any], handler: Any,
                                              key: str, detail_type: str) -> None:
    """``lambda_destination_event_bus_success`` (and ``_failure``): ``resources`` is [the bus ARN, the
    qualified function ARN], in that order, in the event a rule delivers."""
    lambda_invoker.register("worker", handler)
    bus = aws["events"].create_event_bus(Name="results")["EventBusArn"]
    url, target = _queue(aws["sqs"], "results-target")
    aws["events"].put_rule(Name="all", EventBusName="results", EventPattern=json.dumps({"source": ["lambda"]}))
    aws["events"].put_targets(Rule="all", EventBusName="results", Targets=[{"Id": "q", "Arn": target}])
    lambda_client.put_function_event_invoke_config(FunctionName="worker", MaximumRetryAttempts=0,
                                                   DestinationConfig={key: {"Destination": bus}})
    lambda_client.invoke(FunctionName="worker", InvocationType="Event", Payload=b'{"mode": "x"}')
    lambda_invoker.run()
    [message] = aws["sqs"].receive_message(QueueUrl=url)["Messages"]
    event = json.loads(message["Body"])
    assert event["resources"] == [f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/results", QUALIFIED]
    assert event["detail-type"] == detail_type and event["source"] == "lambda"
    assert event["detail"]["requestContext"]["functionArn"] == QUALIFIED
    [sent] = lambda_invoker.deliveries(bus)
    assert sent.envelope is not None and sent.envelope["resources"] == event["resources"]


def test_queue_destination_payload(lambda_invoker: LambdaInvoker, aws: dict[str, Any]) -> None:
    """``queue_destination_payload``: an SQS destination message carries the ``AWSTraceHeader`` system
    attribute, the trace of the invocation (what its handler saw as ``_X_AMZN_TRACE_ID``)."""
    seen: list[str] = []

    def failing(event: Any, context: Any) -> Any:
        seen.append(os.environ["_X_AMZN_TRACE_ID"])
        raise Exception("intentional failure")

    lambda_invoker.register("worker", failing)
    url, queue = _queue(aws["sqs"], "destination")
    lambda_client.put_function_event_invoke_config(FunctionName="worker",
                                                   DestinationConfig={"OnFailure": {"Destination": queue}})
    lambda_client.invoke(FunctionName="worker", InvocationType="Event", Payload=b'{"message": "m-1"}')
    assert len(lambda_invoker.run()) == 3
    [message] = aws["sqs"].receive_message(QueueUrl=url, MessageSystemAttributeNames=["All"],
                                           VisibilityTimeout=0)["Messages"]
    header = message["Attributes"]["AWSTraceHeader"]
    assert re.fullmatch(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0(;Lineage=.*)?", header)
    assert set(seen) == {header}  # one request id, so one trace, across the 3 attempts (RET-6)
    record = json.loads(message["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    [again] = aws["sqs"].receive_message(QueueUrl=url, AttributeNames=["AWSTraceHeader"])["Messages"]
    assert again["Attributes"] == {"AWSTraceHeader": header}
