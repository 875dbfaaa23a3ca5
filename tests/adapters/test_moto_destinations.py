"""Destinations and DLQs delivered into moto (issue 3 part 3): real boto3 clients, real moto.

Each test names the row of lambda-async-semantics.md it pins.  Deliveries are
read back the way a user would: ``receive_message``, a queue subscribed to the
topic, an EventBridge rule whose target is a queue, ``list_objects_v2``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from moto import mock_aws

from pytest_lambda_async import LambdaInvoker
from pytest_lambda_async._adapters.moto import moto_active

REGION = "us-east-1"
ACCOUNT = "123456789012"
T_PAST = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)  # far more than SQS's 4-day retention ago

# One boto3 session for the whole module: a fresh session per test reloads the
# service models (~0.3 s a client); clients hold no moto state.  Explicit dummy
# keys, as moto's docs advise, since these clients exist before any mock starts.
_SESSION = boto3.session.Session(region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
_CLIENTS = {name: _SESSION.client(name) for name in ("sqs", "sns", "events", "s3")}


def failing(event: Any, context: Any) -> Any:
    raise ValueError(f"cannot ship {event.get('order_id')}")


def shipping(event: Any, context: Any) -> Any:
    return {"shipped": event["order_id"]}


class Aws(SimpleNamespace):
    """The moto account a test builds its targets in, with the readers a user writes."""

    sqs: Any
    sns: Any
    events: Any
    s3: Any

    def queue(self, name: str) -> str:
        url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        return str(self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
                   ["Attributes"]["QueueArn"])

    def receive(self, queue_arn: str, n: int = 10) -> list[dict[str, Any]]:
        url = self.sqs.get_queue_url(QueueName=queue_arn.split(":")[5])["QueueUrl"]
        answer = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=n, MessageAttributeNames=["All"],
                                          AttributeNames=["All"])
        return list(answer.get("Messages", []))

    def topic_to_queue(self, name: str, *, raw: bool = False) -> tuple[str, str]:
        """A topic with a queue subscribed to it: (topic ARN, queue ARN)."""
        topic = str(self.sns.create_topic(Name=name)["TopicArn"])
        queue = self.queue(f"{name}-subscriber")
        attributes = {"RawMessageDelivery": "true"} if raw else {}
        self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue, Attributes=attributes)
        return topic, queue

    def bus_to_queue(self, name: str) -> tuple[str, str]:
        """An event bus whose rule (source ``lambda``) targets a queue: (bus ARN, queue ARN)."""
        bus = str(self.events.create_event_bus(Name=name)["EventBusArn"])
        queue = self.queue(f"{name}-target")
        self.events.put_rule(Name=f"{name}-results", EventBusName=name,
                             EventPattern=json.dumps({"source": ["lambda"]}))
        self.events.put_targets(Rule=f"{name}-results", EventBusName=name, Targets=[{"Id": "q", "Arn": queue}])
        return bus, queue

    def bucket(self, name: str) -> str:
        self.s3.create_bucket(Bucket=name)
        return f"arn:aws:s3:::{name}"


@pytest.fixture
def aws() -> Iterator[Aws]:
    """moto, entered by a user fixture (before ``lambda_invoker`` when listed first)."""
    with mock_aws():
        yield Aws(**_CLIENTS)


def _body(message: dict[str, Any]) -> Any:
    return json.loads(message["Body"])


def _failed_once(inv: LambdaInvoker, name: str = "ship", **targets: str) -> str:
    inv.register(name, failing, max_retry_attempts=0, **targets)
    return inv.invoke(name, {"order_id": "o-1"}, invocation_type="Event").request_id


# -- SQS (DST-1) ---------------------------------------------------------------------
def test_dst1_on_failure_record_is_the_sqs_message_body(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    queue = aws.queue("ship-failed")
    lambda_invoker.register("ship", failing, on_failure=queue)  # 3 attempts over 3 minutes (RET-1)
    request_id = lambda_invoker.invoke("ship", {"order_id": "o-1"}, invocation_type="Event").request_id
    lambda_invoker.run()

    [message] = aws.receive(queue)
    record = _body(message)
    assert record["requestContext"]["requestId"] == request_id
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestPayload"] == {"order_id": "o-1"}
    assert record["responsePayload"]["errorMessage"] == "cannot ship o-1"
    assert lambda_invoker.records(queue) == [record]  # what was sent is still reported
    assert "MessageAttributes" not in message  # only a DLQ message carries attributes (DLQ-4)


def test_dst1_on_success_record_is_the_sqs_message_body(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    queue = aws.queue("shipped")
    lambda_invoker.register("ship", shipping, on_success=queue)
    lambda_invoker.invoke("ship", {"order_id": "o-2"}, invocation_type="Event")
    lambda_invoker.run()

    [message] = aws.receive(queue)
    record = _body(message)
    assert record["requestContext"]["condition"] == "Success"
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert record["responsePayload"] == {"shipped": "o-2"}


def test_sqs_delivery_survives_a_virtual_clock_that_starts_in_the_past(aws: Aws) -> None:
    """PITFALLS: moto's SQS hides messages older than the retention period by the reader's clock."""
    queue = aws.queue("ship-failed")
    with LambdaInvoker(start=T_PAST) as inv:
        _failed_once(inv, on_failure=queue)
        inv.run()
        [message] = aws.receive(queue)
        assert _body(message)["timestamp"] == "2024-01-01T00:00:00.000Z"  # the record keeps virtual time


def test_sqs_delivery_far_ahead_on_the_virtual_clock_is_readable_now(aws: Aws) -> None:
    """Five days of virtual time pass before the failure; the test still reads the queue at wall time."""
    queue = aws.queue("ship-failed")
    with LambdaInvoker() as inv:
        inv.register("ship", failing, max_retry_attempts=0, on_failure=queue)
        inv.advance(dt.timedelta(days=5))
        inv.invoke("ship", {"order_id": "o-1"}, invocation_type="Event")
        inv.run()
        assert [_body(m)["requestPayload"] for m in aws.receive(queue)] == [{"order_id": "o-1"}]


# -- SNS (DST-2) ---------------------------------------------------------------------
def test_dst2_on_failure_record_is_the_sns_message(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    topic, subscriber = aws.topic_to_queue("ship-alerts")
    request_id = _failed_once(lambda_invoker, on_failure=topic)
    lambda_invoker.run()

    [message] = aws.receive(subscriber)
    notification = _body(message)
    assert notification["Type"] == "Notification"
    assert notification["TopicArn"] == topic
    record = json.loads(notification["Message"])
    assert record["requestContext"]["requestId"] == request_id
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert lambda_invoker.records(topic) == [record]


def test_dst2_on_success_record_is_the_sns_message(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    topic, subscriber = aws.topic_to_queue("shipped", raw=True)
    lambda_invoker.register("ship", shipping, on_success=topic)
    lambda_invoker.invoke("ship", {"order_id": "o-3"}, invocation_type="Event")
    lambda_invoker.run()

    [message] = aws.receive(subscriber)
    assert _body(message)["responsePayload"] == {"shipped": "o-3"}  # raw delivery: the record itself


def test_dst2_a_record_over_sns_256kb_limit_fails_delivery(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    """DST-2/DST-6: the record carries the event; a 300 KB event makes SNS refuse it."""
    topic, subscriber = aws.topic_to_queue("ship-alerts")
    lambda_invoker.register("ship", failing, max_retry_attempts=0, on_failure=topic)
    lambda_invoker.invoke("ship", {"order_id": "o-1", "blob": "x" * 300_000}, invocation_type="Event")
    lambda_invoker.run()

    assert aws.receive(subscriber) == []
    assert lambda_invoker.metrics == {"DestinationDeliveryFailures": 1}
    assert "on_failure -> sns:ship-alerts FAILED: moto answered Publish with InvalidParameter" in lambda_invoker.timeline()


# -- EventBridge (DST-4) -------------------------------------------------------------
@pytest.mark.parametrize(("handler", "detail_type", "role"), [
    (failing, "Lambda Function Invocation Result - Failure", "on_failure"),
    (shipping, "Lambda Function Invocation Result - Success", "on_success"),
])
def test_dst4_eventbridge_event_reaches_a_rule_target(aws: Aws, lambda_invoker: LambdaInvoker, handler: Any,
                                                      detail_type: str, role: str) -> None:
    bus, target = aws.bus_to_queue("orders")
    lambda_invoker.register("ship", handler, max_retry_attempts=0, **{role: bus})
    request_id = lambda_invoker.invoke("ship", {"order_id": "o-4"}, invocation_type="Event").request_id
    lambda_invoker.run()

    [message] = aws.receive(target)
    event = _body(message)
    assert event["detail-type"] == detail_type
    assert event["source"] == "lambda"  # §11.1
    assert event["resources"] == [bus, f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:ship:$LATEST"]  # recorded order
    assert event["detail"]["requestContext"]["requestId"] == request_id
    assert event["detail"]["requestPayload"] == {"order_id": "o-4"}
    [sent] = lambda_invoker.deliveries(bus)
    assert sent.envelope is not None and sent.envelope["id"] == event["id"]  # EventBridge's id, both sides
    assert sent.envelope["detail"] == event["detail"]


def test_dst4_eventbridge_source_is_configurable(aws: Aws) -> None:
    """§11.1: current docs say aws.lambda; a rule matching it then receives the event."""
    bus = str(aws.events.create_event_bus(Name="orders")["EventBusArn"])
    target = aws.queue("aws-lambda-results")
    aws.events.put_rule(Name="r", EventBusName="orders", EventPattern=json.dumps({"source": ["aws.lambda"]}))
    aws.events.put_targets(Rule="r", EventBusName="orders", Targets=[{"Id": "q", "Arn": target}])
    with LambdaInvoker(eventbridge_source="aws.lambda") as inv:
        _failed_once(inv, on_failure=bus)
        inv.run()
    assert [_body(m)["source"] for m in aws.receive(target)] == ["aws.lambda"]


# -- S3 (DST-5) ----------------------------------------------------------------------
def test_dst5_on_failure_record_is_an_s3_object_under_the_documented_key(aws: Aws) -> None:
    bucket = aws.bucket("failed-events")
    with LambdaInvoker(start=T_PAST) as inv:
        inv.register("ship", failing, max_retry_attempts=0, on_failure=bucket)
        inv.advance(3725)  # 01:02:05 on the virtual clock
        request_id = inv.invoke("ship", {"order_id": "o-5"}, invocation_type="Event").request_id
        inv.run()

    [obj] = aws.s3.list_objects_v2(Bucket="failed-events")["Contents"]
    assert re.fullmatch(r"aws/lambda/async/ship/2024/01/01/2024-01-01T01\.02\.05-"
                        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", obj["Key"])
    record = json.loads(aws.s3.get_object(Bucket="failed-events", Key=obj["Key"])["Body"].read())
    assert record["requestContext"]["requestId"] == request_id
    assert record["requestPayload"] == {"order_id": "o-5"}
    assert [d.key for d in inv.deliveries(bucket)] == [obj["Key"]]



def test_a_queue_in_another_account_gets_the_delivery(aws: Aws, lambda_invoker: LambdaInvoker,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The ARN's account, not the invoker's, decides where moto files the message."""
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "111122223333")  # moto's way to act as another account
    queue = aws.queue("shared-failures")
    monkeypatch.delenv("MOTO_ACCOUNT_ID")
    assert queue == "arn:aws:sqs:us-east-1:111122223333:shared-failures"
    _failed_once(lambda_invoker, on_failure=queue)
    lambda_invoker.run()
    assert lambda_invoker.metrics == {}
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "111122223333")
    assert [_body(m)["requestPayload"] for m in aws.receive(queue)] == [{"order_id": "o-1"}]


def test_dst3_a_function_destination_stays_with_the_invoker_under_moto(aws: Aws,
                                                                        lambda_invoker: LambdaInvoker) -> None:
    seen: list[Any] = []
    lambda_invoker.register("audit", lambda event, context: seen.append(event["requestPayload"]))
    lambda_invoker.register("ship", shipping, on_success="audit")
    lambda_invoker.invoke("ship", {"order_id": "o-6"}, invocation_type="Event")
    lambda_invoker.run()
    assert seen == [{"order_id": "o-6"}]
    assert lambda_invoker.metrics == {}

# -- dead-letter queues (DLQ-3, DLQ-4, DLQ-5) -----------------------------------------------
def test_dlq3_dlq4_sqs_dead_letter_is_the_event_with_three_attributes(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    dlq = aws.queue("ship-dlq")
    request_id = _failed_once(lambda_invoker, dead_letter=dlq)
    lambda_invoker.run()

    [message] = aws.receive(dlq)
    assert _body(message) == {"order_id": "o-1"}  # DLQ-3: the event as is
    assert message["MessageAttributes"] == {
        "RequestID": {"DataType": "String", "StringValue": request_id},
        "ErrorCode": {"DataType": "Number", "StringValue": "200"},
        "ErrorMessage": {"DataType": "String", "StringValue": "cannot ship o-1"},
    }


def test_dlq4_sns_dead_letter_attributes_are_sns_message_attributes(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    topic, subscriber = aws.topic_to_queue("ship-dlq")
    request_id = _failed_once(lambda_invoker, dead_letter=topic)
    lambda_invoker.run()

    [message] = aws.receive(subscriber)
    notification = _body(message)
    assert json.loads(notification["Message"]) == {"order_id": "o-1"}
    assert notification["MessageAttributes"] == {
        "RequestID": {"Type": "String", "Value": request_id},
        "ErrorCode": {"Type": "Number", "Value": "200"},
        "ErrorMessage": {"Type": "String", "Value": "cannot ship o-1"},
    }


def test_dlq5_dead_letter_queue_and_on_failure_both_receive(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    dlq, failed = aws.queue("ship-dlq"), aws.queue("ship-failed")
    _failed_once(lambda_invoker, dead_letter=dlq, on_failure=failed)
    lambda_invoker.run()
    assert [_body(m) for m in aws.receive(dlq)] == [{"order_id": "o-1"}]
    assert [_body(m)["requestPayload"] for m in aws.receive(failed)] == [{"order_id": "o-1"}]


# -- targets moto does not have (DST-6, DLQ-6) ------------------------------------------
MISSING = [
    ("arn:aws:sqs:us-east-1:123456789012:nowhere", "sqs:nowhere",
     "SendMessage with AWS.SimpleQueueService.NonExistentQueue"),
    ("arn:aws:sns:us-east-1:123456789012:nowhere", "sns:nowhere", "Publish with NotFound"),
    ("arn:aws:events:us-east-1:123456789012:event-bus/nowhere", "events:nowhere",
     "PutEvents with ResourceNotFoundException"),
    ("arn:aws:s3:::nowhere-bucket", "s3:nowhere-bucket", "PutObject with NoSuchBucket"),
]


@pytest.mark.parametrize(("target", "short", "why"), MISSING, ids=[m[1].split(":")[0] for m in MISSING])
def test_dst6_a_destination_moto_lacks_is_a_counted_failure(aws: Aws, lambda_invoker: LambdaInvoker, target: str,
                                                            short: str, why: str) -> None:
    _failed_once(lambda_invoker, on_failure=target)
    lambda_invoker.run()  # no exception reaches the test

    assert lambda_invoker.metrics == {"DestinationDeliveryFailures": 1}
    assert [a.number for a in lambda_invoker.attempts] == [1]  # DST-6: the function is not retried
    assert lambda_invoker.records(target) == []  # nothing was delivered
    assert (f"on_failure -> {short} FAILED: moto answered {why}" in lambda_invoker.timeline())


@pytest.mark.parametrize("target", [MISSING[0][0], MISSING[1][0]], ids=["sqs", "sns"])
def test_dlq6_a_dead_letter_target_moto_lacks_is_a_counted_failure(aws: Aws, lambda_invoker: LambdaInvoker,
                                                                   target: str) -> None:
    failed = aws.queue("ship-failed")
    _failed_once(lambda_invoker, dead_letter=target, on_failure=failed)
    lambda_invoker.run()

    assert lambda_invoker.metrics == {"DeadLetterErrors": 1}
    assert "dead_letter -> " in lambda_invoker.timeline() and "(DeadLetterErrors;" in lambda_invoker.timeline()
    assert len(aws.receive(failed)) == 1  # the on-failure destination still got its record (DLQ-5)


def test_dst6_a_passed_through_service_fails_without_calling_aws(lambda_invoker: LambdaInvoker) -> None:
    """moto's passthrough config would send SQS calls to the network: the delivery fails instead."""
    with mock_aws(config={"core": {"passthrough": {"services": ["sqs"], "urls": []}}}):
        _failed_once(lambda_invoker, on_failure="arn:aws:sqs:us-east-1:123456789012:real-queue")
        lambda_invoker.run()
    assert lambda_invoker.metrics == {"DestinationDeliveryFailures": 1}
    assert "moto did not answer https://sqs.us-east-1.amazonaws.com/" in lambda_invoker.timeline()
    assert "nothing was sent to AWS" in lambda_invoker.timeline()


# -- when moto is entered ------------------------------------------------------------
def test_mock_entered_after_the_invoker_as_a_context_manager(lambda_invoker: LambdaInvoker) -> None:
    with mock_aws():
        aws = Aws(**_CLIENTS)
        queue = aws.queue("ship-failed")
        _failed_once(lambda_invoker, on_failure=queue)
        lambda_invoker.run()
        assert [_body(m)["requestPayload"] for m in aws.receive(queue)] == [{"order_id": "o-1"}]


@mock_aws
def test_mock_entered_after_the_invoker_as_a_decorator(lambda_invoker: LambdaInvoker) -> None:
    aws = Aws(**_CLIENTS)
    dlq = aws.queue("ship-dlq")
    _failed_once(lambda_invoker, dead_letter=dlq)
    lambda_invoker.run()
    assert [_body(m) for m in aws.receive(dlq)] == [{"order_id": "o-1"}]



@mock_aws
class TestMockAsAClassDecorator:
    def test_each_method_delivers_into_its_own_mock(self, lambda_invoker: LambdaInvoker) -> None:
        aws = Aws(**_CLIENTS)
        bucket = aws.bucket("failed-events")
        _failed_once(lambda_invoker, on_failure=bucket)
        lambda_invoker.run()
        [obj] = aws.s3.list_objects_v2(Bucket="failed-events")["Contents"]
        assert obj["Key"].startswith("aws/lambda/async/ship/")

def test_mock_fixture_set_up_after_the_invoker(lambda_invoker: LambdaInvoker, aws: Aws) -> None:
    topic, subscriber = aws.topic_to_queue("ship-alerts", raw=True)
    _failed_once(lambda_invoker, on_failure=topic)
    lambda_invoker.run()
    assert [_body(m)["requestPayload"] for m in aws.receive(subscriber)] == [{"order_id": "o-1"}]


def test_invoker_built_before_the_mock_and_drained_after_it_starts() -> None:
    with LambdaInvoker() as inv:
        _failed_once(inv, on_failure="arn:aws:sqs:us-east-1:123456789012:ship-failed")
        with mock_aws():
            aws = Aws(**_CLIENTS)
            queue = aws.queue("ship-failed")
            inv.run()
            assert len(aws.receive(queue)) == 1


# -- without moto ---------------------------------------------------------------------
def test_without_moto_records_stay_in_memory(lambda_invoker: LambdaInvoker) -> None:
    assert not moto_active()  # moto is imported (conftest) but no mock is active
    queue = "arn:aws:sqs:us-east-1:123456789012:ship-failed"
    dlq = "arn:aws:sns:us-east-1:123456789012:ship-dlq"
    request_id = _failed_once(lambda_invoker, on_failure=queue, dead_letter=dlq)
    lambda_invoker.run()
    assert [r["requestContext"]["requestId"] for r in lambda_invoker.records(queue)] == [request_id]
    assert lambda_invoker.records(dlq) == [{"order_id": "o-1"}]
    assert lambda_invoker.metrics == {}


def test_after_the_mock_ends_deliveries_go_to_memory_again(lambda_invoker: LambdaInvoker) -> None:
    with mock_aws():
        assert moto_active()
    assert not moto_active()
    queue = "arn:aws:sqs:us-east-1:123456789012:never-created"
    _failed_once(lambda_invoker, on_failure=queue)
    lambda_invoker.run()
    assert len(lambda_invoker.records(queue)) == 1
    assert lambda_invoker.metrics == {}


def test_nested_mocks_stay_active_until_the_outermost_ends() -> None:
    with mock_aws():
        with mock_aws():
            assert moto_active()
        assert moto_active()
    assert not moto_active()


# -- the how-to's example (docs/how-to/moto-destinations.md), verbatim -----------------------
def charge(event: Any, context: Any) -> Any:
    raise ConnectionError("payment provider unavailable")


@mock_aws
def test_how_to_example(lambda_invoker: LambdaInvoker) -> None:
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="charge-failed")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    lambda_invoker.register("charge", charge, on_failure=queue_arn)

    lambda_invoker.invoke("charge", {"order_id": "o-1"}, invocation_type="Event")
    lambda_invoker.run()  # 3 attempts over 3 minutes of virtual time (RET-1)

    [message] = sqs.receive_message(QueueUrl=url)["Messages"]
    record = json.loads(message["Body"])  # the invocation record (REC-1..REC-8)
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["responsePayload"]["errorType"] == "ConnectionError"
    assert lambda_invoker.records(queue_arn) == [record]  # the in-memory copy agrees


def test_a_failed_delivery_shows_in_the_failing_tests_report(lpytester: pytest.Pytester) -> None:
    """DST-6 as a user sees it: the test fails on its own assert; the report's timeline says why."""
    lpytester.makepyfile(test_user="""
        import boto3
        from moto import mock_aws

        def charge(event, context):
            raise ConnectionError("payment provider unavailable")

        @mock_aws
        def test_failure_queue(lambda_invoker):
            sqs = boto3.client("sqs", region_name="us-east-1")
            url = sqs.create_queue(QueueName="charge-failed")["QueueUrl"]
            lambda_invoker.register("charge", charge, max_retry_attempts=0,
                                    on_failure="arn:aws:sqs:us-east-1:123456789012:charge-faild")
            lambda_invoker.invoke("charge", {"order_id": "o-1"}, invocation_type="Event")
            lambda_invoker.run()
            assert sqs.receive_message(QueueUrl=url).get("Messages"), "no failure record"
    """)
    result = lpytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "E       AssertionError: no failure record",
        "*- lambda-async timeline -*",
    ])
    result.stdout.fnmatch_lines([
        "  t+0s  route    charge  req *..  on_failure -> sqs:charge-faild FAILED: moto answered SendMessage with "
        "AWS.SimpleQueueService.NonExistentQueue: The specified queue does not exist. "
        "(DestinationDeliveryFailures; the function is not retried)",
        "  metrics: DestinationDeliveryFailures=1",
    ], consecutive=True)
