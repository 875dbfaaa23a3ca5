"""AWS event sources under moto invoke registered handlers as AWS does (issue 14): real boto3 clients,
real moto, the invoker routed by the ``lambda_invoker`` fixture.

Each test names the rule it pins (docs/reference/rules.md: SRC-1..SRC-3 for the pushing sources,
ESM-1..ESM-8 for SQS event source mappings).
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import textwrap
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws

from pytest_lambda_async import Invoked, LambdaInvoker, LoopStopped, NotInvoked
from pytest_lambda_async import strategies as lst
from pytest_lambda_async._adapters.sources import installed_hooks

REGION = "us-east-1"
ACCOUNT = "123456789012"
SAMPLES = Path(__file__).resolve().parents[1] / "aws_samples"

_SESSION = boto3.session.Session(region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
_CLIENTS = {name: _SESSION.client(name) for name in ("sqs", "sns", "events", "s3", "lambda")}


def arn(function: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}"


def field_paths(value: Any, prefix: str = "") -> set[str]:
    """Dotted paths of every key (``Records[].s3.object.key``)."""
    paths: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            path = f"{prefix}.{key}" if prefix else key
            paths.add(path)
            paths |= field_paths(inner, path)
    elif isinstance(value, list):
        for inner in value:
            paths |= field_paths(inner, prefix + "[]")
    return paths


def shape(event: Any, opaque: str = "Records[].Sns.MessageAttributes") -> set[str]:
    """The field paths, not looking inside ``opaque`` (a map whose keys are the user's)."""
    return {p for p in field_paths(event) if not p.startswith(opaque + ".")}


def sample(name: str) -> Any:
    return json.loads((SAMPLES / f"{name}.json").read_text())


class Aws(SimpleNamespace):
    sqs: Any
    sns: Any
    events: Any
    s3: Any
    awslambda: Any

    def queue(self, name: str, **attributes: str) -> str:
        url = self.sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        return str(self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
                   ["Attributes"]["QueueArn"])

    def url(self, queue_arn: str) -> str:
        return str(self.sqs.get_queue_url(QueueName=queue_arn.split(":")[5])["QueueUrl"])

    def receive(self, queue_arn: str, n: int = 10) -> list[dict[str, Any]]:
        answer = self.sqs.receive_message(QueueUrl=self.url(queue_arn), MaxNumberOfMessages=n,
                                          MessageAttributeNames=["All"], AttributeNames=["All"])
        return list(answer.get("Messages", []))

    def bucket(self, name: str, *configs: dict[str, Any], versioned: bool = False) -> str:
        self.s3.create_bucket(Bucket=name)
        if versioned:
            self.s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        if configs:
            self.s3.put_bucket_notification_configuration(
                Bucket=name, NotificationConfiguration={"LambdaFunctionConfigurations": list(configs)})
        return name


def to_lambda(function: str, *events: str, prefix: str | None = None, suffix: str | None = None,
              config_id: str = "to-lambda") -> dict[str, Any]:
    """A ``LambdaFunctionConfigurations`` entry."""
    config: dict[str, Any] = {"Id": config_id, "LambdaFunctionArn": arn(function),
                              "Events": list(events or ("s3:ObjectCreated:*",))}
    rules = [{"Name": n, "Value": v} for n, v in (("prefix", prefix), ("suffix", suffix)) if v is not None]
    if rules:
        config["Filter"] = {"Key": {"FilterRules": rules}}
    return config


@pytest.fixture
def aws() -> Iterator[Aws]:
    with mock_aws():
        yield Aws(sqs=_CLIENTS["sqs"], sns=_CLIENTS["sns"], events=_CLIENTS["events"], s3=_CLIENTS["s3"],
                  awslambda=_CLIENTS["lambda"])


class Recorder:
    """A handler that records its events and fails its first ``failures`` attempts."""

    def __init__(self, failures: int = 0) -> None:
        self.events: list[Any] = []
        self.failures = failures

    def __call__(self, event: Any, context: Any) -> Any:
        self.events.append(event)
        if len(self.events) <= self.failures:
            raise RuntimeError(f"attempt {len(self.events)} fails")
        return {"ok": len(self.events)}


def invoked_sources(inv: LambdaInvoker) -> list[tuple[str, str, str | None]]:
    return [(e.function, e.detail.invocation_type, e.detail.source)
            for e in inv.timeline_entries if isinstance(e.detail, Invoked)]


# ====================================================================================
# S3 bucket notifications (SRC-1)
# ====================================================================================
def test_src1_an_upload_is_an_event_invocation_with_the_record_aws_sends(aws: Aws,
                                                                         lambda_invoker: LambdaInvoker) -> None:
    thumbs = Recorder()
    lambda_invoker.register("thumbs", thumbs)
    aws.bucket("uploads", to_lambda("thumbs", config_id="make-thumbnail"))
    aws.s3.put_object(Bucket="uploads", Key="photos/cat.jpg", Body=b"meow")
    assert thumbs.events == []  # queued (INV-11), not run yet

    lambda_invoker.run()
    [event] = thumbs.events
    [record] = event["Records"]
    assert record["eventSource"] == "aws:s3" and record["eventName"] == "ObjectCreated:Put"
    assert record["awsRegion"] == REGION and record["eventVersion"] == "2.1"
    assert record["s3"]["configurationId"] == "make-thumbnail"
    assert record["s3"]["bucket"] == {"name": "uploads", "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                                      "arn": "arn:aws:s3:::uploads"}
    head = aws.s3.head_object(Bucket="uploads", Key="photos/cat.jpg")
    assert record["s3"]["object"]["key"] == "photos/cat.jpg"
    assert record["s3"]["object"]["size"] == 4
    assert record["s3"]["object"]["eTag"] == head["ETag"].strip('"')
    assert record["eventTime"] == "{}Z".format(lambda_invoker.t0.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3])
    # The field set of AWS's recorded ObjectCreated:Put, and of what the strategies generate.
    assert field_paths(event) == field_paths(sample("s3-put"))
    assert invoked_sources(lambda_invoker) == [("thumbs", "Event", "s3:uploads ObjectCreated:Put")]


@settings(max_examples=5, deadline=None)
@given(lst.s3_events(event_name="ObjectCreated:Put", max_records=1))
def test_src1_the_record_has_the_fields_the_strategies_generate(generated: dict[str, Any]) -> None:
    with mock_aws(), LambdaInvoker() as inv, inv.patch_boto3():
        seen = Recorder()
        inv.register("thumbs", seen)
        s3 = _CLIENTS["s3"]
        s3.create_bucket(Bucket="uploads")
        s3.put_bucket_notification_configuration(
            Bucket="uploads", NotificationConfiguration={"LambdaFunctionConfigurations": [to_lambda("thumbs")]})
        s3.put_object(Bucket="uploads", Key="k", Body=b"x")
        inv.run()
        assert field_paths(seen.events[0]) == field_paths(generated)


def test_src1_the_timeline_names_the_source(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    lambda_invoker.register("thumbs", Recorder())
    aws.bucket("uploads", to_lambda("thumbs"))
    aws.s3.put_object(Bucket="uploads", Key="a.jpg", Body=b"x")
    lambda_invoker.run()
    lines = lambda_invoker.timeline().splitlines()
    assert lines[1].endswith("invoke   thumbs  req " + lines[1].split("req ")[1].split()[0]
                             + "  Event  -> 202, queued  from s3:uploads ObjectCreated:Put")


def test_src1_retries_apply_and_the_on_failure_record_lands_in_sqs(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    failed = aws.queue("thumbs-failed")
    thumbs = Recorder(failures=3)
    lambda_invoker.register("thumbs", thumbs, on_failure=failed)
    aws.bucket("uploads", to_lambda("thumbs"))
    aws.s3.put_object(Bucket="uploads", Key="a.jpg", Body=b"x")

    attempts = lambda_invoker.run()
    assert [(a.number, a.outcome, (a.at - lambda_invoker.t0).total_seconds()) for a in attempts] == [
        (1, "error", 0), (2, "error", 60), (3, "error", 180)]  # RET-1
    [message] = aws.receive(failed)
    record = json.loads(message["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestPayload"] == thumbs.events[0]  # REC-5: the S3 event as sent


def test_src1_duplicates_apply_to_source_events(aws: Aws) -> None:
    with LambdaInvoker(duplicate_rate=1.0) as inv, inv.patch_boto3():
        thumbs = Recorder()
        inv.register("thumbs", thumbs)
        aws.bucket("uploads", to_lambda("thumbs"))
        aws.s3.put_object(Bucket="uploads", Key="a.jpg", Body=b"x")
        inv.run()
    assert len(thumbs.events) == 2 and thumbs.events[0] == thumbs.events[1]


@pytest.mark.parametrize(("key", "invoked"), [
    ("in/a.jpg", True), ("in/a.png", False), ("out/a.jpg", False), ("in/sub/b.jpg", True),
])
def test_src1_prefix_and_suffix_filters_apply_as_moto_applies_them(aws: Aws, lambda_invoker: LambdaInvoker,
                                                                   key: str, invoked: bool) -> None:
    thumbs = Recorder()
    lambda_invoker.register("thumbs", thumbs)
    aws.bucket("uploads", to_lambda("thumbs", prefix="in/", suffix=".jpg"))
    aws.s3.put_object(Bucket="uploads", Key=key, Body=b"x")
    lambda_invoker.run()
    assert len(thumbs.events) == (1 if invoked else 0)


def test_src1_event_types_select_the_notifications(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    created, removed, copied = Recorder(), Recorder(), Recorder()
    lambda_invoker.register("created", created)
    lambda_invoker.register("removed", removed)
    lambda_invoker.register("copied", copied)
    aws.bucket("uploads", to_lambda("created", "s3:ObjectCreated:Put", config_id="c"),
               to_lambda("removed", "s3:ObjectRemoved:*", config_id="r"),
               to_lambda("copied", "s3:ObjectCreated:Copy", config_id="k"))
    aws.s3.put_object(Bucket="uploads", Key="a.jpg", Body=b"x")
    aws.s3.copy_object(Bucket="uploads", Key="b.jpg", CopySource={"Bucket": "uploads", "Key": "a.jpg"})
    aws.s3.delete_object(Bucket="uploads", Key="a.jpg")
    lambda_invoker.run()

    assert [e["Records"][0]["eventName"] for e in created.events] == ["ObjectCreated:Put"]
    assert [e["Records"][0]["eventName"] for e in copied.events] == ["ObjectCreated:Copy"]
    [deleted] = removed.events
    assert deleted["Records"][0]["eventName"] == "ObjectRemoved:Delete"
    # A delete names the object only (no size or ETag), as AWS's sample does.
    assert set(deleted["Records"][0]["s3"]["object"]) == {"key", "sequencer"}
    assert field_paths(deleted) == field_paths(sample("s3-delete"))


def test_src1_keys_are_form_url_encoded(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    thumbs = Recorder()
    lambda_invoker.register("thumbs", thumbs)
    aws.bucket("uploads", to_lambda("thumbs"))
    aws.s3.put_object(Bucket="uploads", Key="my photos/été~1.jpg", Body=b"x")
    lambda_invoker.run()
    key = thumbs.events[0]["Records"][0]["s3"]["object"]["key"]
    assert key == "my+photos/%C3%A9t%C3%A9%7E1.jpg"
    assert urllib.parse.unquote_plus(key) == "my photos/été~1.jpg"


def test_src1_a_versioned_bucket_sends_the_version_id(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    thumbs = Recorder()
    lambda_invoker.register("thumbs", thumbs)
    aws.bucket("uploads", to_lambda("thumbs"), versioned=True)
    version = aws.s3.put_object(Bucket="uploads", Key="a.jpg", Body=b"x")["VersionId"]
    lambda_invoker.run()
    assert thumbs.events[0]["Records"][0]["s3"]["object"]["versionId"] == version


def test_src1_sequencers_increase(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    thumbs = Recorder()
    lambda_invoker.register("thumbs", thumbs)
    aws.bucket("uploads", to_lambda("thumbs", "s3:ObjectCreated:*", "s3:ObjectRemoved:*"))
    aws.s3.put_object(Bucket="uploads", Key="a.jpg", Body=b"x")
    aws.s3.delete_object(Bucket="uploads", Key="a.jpg")
    lambda_invoker.run()
    first, second = (int(e["Records"][0]["s3"]["object"]["sequencer"], 16) for e in thumbs.events)
    assert first < second


def test_src1_a_function_known_to_moto_by_arn_maps_to_the_registered_handler(aws: Aws,
                                                                             lambda_invoker: LambdaInvoker) -> None:
    """The configuration names the function by ARN, whatever created it: the registered handler answers."""
    thumbs = Recorder()
    lambda_invoker.register("thumbs", thumbs)
    aws.bucket("uploads", {"LambdaFunctionArn": arn("thumbs") + ":$LATEST", "Events": ["s3:ObjectCreated:*"]})
    aws.s3.put_object(Bucket="uploads", Key="a.jpg", Body=b"x")
    lambda_invoker.run()
    assert len(thumbs.events) == 1


def test_src1_a_notification_to_an_unregistered_function_is_reported(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    aws.bucket("uploads", to_lambda("ghost"))
    aws.s3.put_object(Bucket="uploads", Key="a.jpg", Body=b"x")  # S3 answers the put as usual
    assert lambda_invoker.run() == []
    [entry] = lambda_invoker.timeline_entries
    assert entry.function == "ghost"
    assert entry.detail == NotInvoked("s3:uploads ObjectCreated:Put", arn("ghost"), "ResourceNotFoundException",
                                      f"Function not found: {arn('ghost')}:$LATEST")
    assert ("from s3:uploads ObjectCreated:Put -> not invoked: ResourceNotFoundException: Function not found: "
            f"{arn('ghost')}:$LATEST (the event is lost)") in lambda_invoker.timeline()


def test_src1_a_function_of_another_account_is_not_invoked(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    lambda_invoker.register("thumbs", Recorder())
    other = "arn:aws:lambda:us-east-1:210987654321:function:thumbs"
    aws.bucket("uploads", {"LambdaFunctionArn": other, "Events": ["s3:ObjectCreated:*"]})
    aws.s3.put_object(Bucket="uploads", Key="a.jpg", Body=b"x")
    assert lambda_invoker.run() == []
    [entry] = lambda_invoker.timeline_entries
    assert isinstance(entry.detail, NotInvoked) and entry.detail.code == "ResourceNotFoundException"


def test_src1_a_put_from_a_handler_invokes_along_its_chain_and_loops_are_stopped(
        aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    """LOOP-1/LOOP-2: S3 passes the trace on; the 17th invocation of one function along a chain stops."""
    s3 = _CLIENTS["s3"]

    def rewrite(event: Any, context: Any) -> None:
        key = urllib.parse.unquote_plus(event["Records"][0]["s3"]["object"]["key"])
        s3.put_object(Bucket="uploads", Key=key + "x", Body=b"x")  # writes into the bucket that triggers it

    lambda_invoker.register("rewrite", rewrite)
    aws.bucket("uploads", to_lambda("rewrite"))
    aws.s3.put_object(Bucket="uploads", Key="a", Body=b"x")
    attempts = lambda_invoker.run()
    assert len(attempts) == 16
    assert lambda_invoker.metrics["RecursiveInvocationsDropped"] == 1
    parents = [e.detail.parent for e in lambda_invoker.timeline_entries if isinstance(e.detail, Invoked)]
    assert parents[0] is None and all(parents[1:])  # each later upload came from the previous attempt


# ====================================================================================
# Hooks: only while routed; restored exactly; nothing reaches the network or Docker
# ====================================================================================
def test_without_the_invoker_moto_is_unpatched(aws: Aws) -> None:
    import moto.s3.notifications as notifications

    originals = (notifications.send_event, notifications._invoke_awslambda)
    with LambdaInvoker() as inv, inv.patch_boto3():
        assert installed_hooks()
        assert (notifications.send_event, notifications._invoke_awslambda) != originals
        with inv.patch_boto3():  # nested blocks keep them
            pass
        assert (notifications.send_event, notifications._invoke_awslambda) != originals
    assert installed_hooks() == []
    assert (notifications.send_event, notifications._invoke_awslambda) == originals
    assert "_invoke_awslambda" in vars(notifications) and "send_event" in vars(notifications)


def test_without_the_invoker_a_notification_goes_to_moto_as_before(aws: Aws) -> None:
    thumbs = Recorder()
    with LambdaInvoker() as inv:  # not routed: moto's Lambda is asked (and swallows its error)
        inv.register("thumbs", thumbs)
        aws.bucket("uploads", to_lambda("thumbs"))
        aws.s3.put_object(Bucket="uploads", Key="a.jpg", Body=b"x")
        assert inv.run() == [] and inv.timeline_entries == []
    assert thumbs.events == []


def test_moto_modules_imported_inside_the_block_are_patched_then_restored() -> None:
    """In a fresh interpreter: moto loads its S3 models on the first S3 request, inside the block."""
    script = textwrap.dedent("""
        import sys, boto3, moto
        from pytest_lambda_async import LambdaInvoker
        from pytest_lambda_async._adapters.sources import installed_hooks
        assert "moto.s3.notifications" not in sys.modules
        seen = []
        with moto.mock_aws(), LambdaInvoker() as inv, inv.patch_boto3():
            inv.register("thumbs", lambda event, context: seen.append(event))
            s3 = boto3.client("s3", region_name="us-east-1")
            s3.create_bucket(Bucket="bkt")
            s3.put_bucket_notification_configuration(Bucket="bkt", NotificationConfiguration={
                "LambdaFunctionConfigurations": [{"LambdaFunctionArn":
                    "arn:aws:lambda:us-east-1:123456789012:function:thumbs", "Events": ["s3:ObjectCreated:*"]}]})
            s3.put_object(Bucket="bkt", Key="k", Body=b"x")
            inv.run()
            assert installed_hooks(), "not patched on import"
        import moto.s3.notifications as n
        assert installed_hooks() == [] and n._invoke_awslambda.__qualname__ == "_invoke_awslambda"
        assert n._invoke_awslambda.__module__ == "moto.s3.notifications"
        assert len(seen) == 1, seen
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          env={"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-3000:]


# ====================================================================================
# SNS subscriptions with the lambda protocol (SRC-2)
# ====================================================================================
def subscribed_topic(aws: Aws, name: str, function: str, **attributes: str) -> str:
    topic = str(aws.sns.create_topic(Name=name)["TopicArn"])
    aws.sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=arn(function), Attributes=attributes)
    return topic


def test_src2_a_publish_is_an_event_invocation_with_the_sns_record(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    notify = Recorder()
    lambda_invoker.register("notify", notify)
    topic = subscribed_topic(aws, "orders", "notify")
    [subscription] = aws.sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    message_id = aws.sns.publish(TopicArn=topic, Message="order o-1 placed", Subject="New order", MessageAttributes={
        "kind": {"DataType": "String", "StringValue": "order"},
        "total": {"DataType": "Number", "StringValue": "42"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
    })["MessageId"]
    assert notify.events == []  # queued (INV-11)

    lambda_invoker.run()
    [event] = notify.events
    [record] = event["Records"]
    assert record["EventSource"] == "aws:sns" and record["EventVersion"] == "1.0"
    assert record["EventSubscriptionArn"] == subscription["SubscriptionArn"]
    sns = record["Sns"]
    assert (sns["Type"], sns["MessageId"], sns["TopicArn"]) == ("Notification", message_id, topic)
    assert (sns["Message"], sns["Subject"]) == ("order o-1 placed", "New order")
    assert sns["MessageAttributes"] == {"kind": {"Type": "String", "Value": "order"},
                                        "total": {"Type": "Number", "Value": "42"},
                                        "blob": {"Type": "Binary", "Value": "AAE="}}
    assert sns["Timestamp"].endswith("Z") and sns["UnsubscribeUrl"].endswith(subscription["SubscriptionArn"])
    assert shape(event) == shape(sample("sns"))
    assert invoked_sources(lambda_invoker) == [("notify", "Event", "sns:orders")]


@settings(max_examples=5, deadline=None)
@given(lst.sns_events(subjects=st.none()))
def test_src2_the_record_has_the_fields_the_strategies_generate(generated: dict[str, Any]) -> None:
    with mock_aws(), LambdaInvoker() as inv, inv.patch_boto3():
        seen = Recorder()
        inv.register("notify", seen)
        sns = _CLIENTS["sns"]
        topic = sns.create_topic(Name="orders")["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=arn("notify"))
        sns.publish(TopicArn=topic, Message="hello")
        inv.run()
        assert shape(seen.events[0]) == shape(generated)
        assert seen.events[0]["Records"][0]["Sns"]["Subject"] is None  # no subject: null, as generated


@pytest.mark.parametrize(("attributes", "invoked"), [
    ({"kind": {"DataType": "String", "StringValue": "order"}}, True),
    ({"kind": {"DataType": "String", "StringValue": "refund"}}, False),
    ({}, False),
])
def test_src2_the_filter_policy_applies_as_moto_applies_it(aws: Aws, lambda_invoker: LambdaInvoker,
                                                           attributes: dict[str, Any], invoked: bool) -> None:
    notify = Recorder()
    lambda_invoker.register("notify", notify)
    topic = subscribed_topic(aws, "orders", "notify", FilterPolicy=json.dumps({"kind": ["order"]}))
    aws.sns.publish(TopicArn=topic, Message="m", MessageAttributes=attributes)
    lambda_invoker.run()
    assert len(notify.events) == (1 if invoked else 0)


def test_src2_a_message_body_filter_policy_applies(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    notify = Recorder()
    lambda_invoker.register("notify", notify)
    topic = subscribed_topic(aws, "orders", "notify", FilterPolicyScope="MessageBody",
                             FilterPolicy=json.dumps({"total": [{"numeric": [">", 100]}]}))
    aws.sns.publish(TopicArn=topic, Message=json.dumps({"total": 50}))
    aws.sns.publish(TopicArn=topic, Message=json.dumps({"total": 500}))
    lambda_invoker.run()
    assert [json.loads(e["Records"][0]["Sns"]["Message"]) for e in notify.events] == [{"total": 500}]


def test_src2_message_structure_json_sends_the_lambda_message(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    notify = Recorder()
    lambda_invoker.register("notify", notify)
    topic = subscribed_topic(aws, "orders", "notify")
    aws.sns.publish(TopicArn=topic, MessageStructure="json",
                    Message=json.dumps({"default": "for everyone", "lambda": "for lambda"}))
    lambda_invoker.run()
    assert notify.events[0]["Records"][0]["Sns"]["Message"] == "for lambda"


def test_src2_other_subscriptions_stay_with_moto(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    notify = Recorder()
    lambda_invoker.register("notify", notify)
    topic = subscribed_topic(aws, "orders", "notify")
    queue = aws.queue("orders-copy")
    aws.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue, Attributes={"RawMessageDelivery": "true"})
    aws.sns.publish(TopicArn=topic, Message="m")
    lambda_invoker.run()
    assert len(notify.events) == 1
    assert [m["Body"] for m in aws.receive(queue)] == ["m"]


def test_src2_failures_retry_and_reach_the_dead_letter_queue(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    dlq = aws.queue("notify-dlq")
    notify = Recorder(failures=3)
    lambda_invoker.register("notify", notify, dead_letter=dlq)
    topic = subscribed_topic(aws, "orders", "notify")
    aws.sns.publish(TopicArn=topic, Message="m")
    assert [a.outcome for a in lambda_invoker.run()] == ["error"] * 3  # RET-1
    [message] = aws.receive(dlq)
    assert json.loads(message["Body"]) == notify.events[0]  # DLQ-3: the SNS event as sent
    assert message["MessageAttributes"]["ErrorMessage"]["StringValue"] == "attempt 3 fails"


def test_src2_a_subscription_to_an_unregistered_function_is_reported(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    topic = subscribed_topic(aws, "orders", "ghost")
    aws.sns.publish(TopicArn=topic, Message="m")
    assert lambda_invoker.run() == []
    [entry] = lambda_invoker.timeline_entries
    assert isinstance(entry.detail, NotInvoked) and entry.detail.source == "sns:orders"
    assert "SNS retries the delivery for hours, then drops it" in lambda_invoker.timeline()


def test_src2_s3_to_sns_to_lambda(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    notify = Recorder()
    lambda_invoker.register("notify", notify)
    topic = subscribed_topic(aws, "uploads-topic", "notify")
    aws.s3.create_bucket(Bucket="uploads")
    aws.s3.put_bucket_notification_configuration(Bucket="uploads", NotificationConfiguration={
        "TopicConfigurations": [{"TopicArn": topic, "Events": ["s3:ObjectCreated:*"]}]})
    aws.s3.put_object(Bucket="uploads", Key="a.jpg", Body=b"x")
    lambda_invoker.run()
    test_event, event = (json.loads(e["Records"][0]["Sns"]["Message"]) for e in notify.events)
    assert test_event["Event"] == "s3:TestEvent"  # S3 tests a topic when the configuration is put
    assert event["Records"][0]["s3"]["object"]["key"] == "a.jpg"  # as moto's S3 sends it to SNS


def test_without_the_invoker_sns_is_unpatched(aws: Aws) -> None:
    from moto.sns.models import Subscription

    original = vars(Subscription)["publish"]
    with LambdaInvoker() as inv, inv.patch_boto3():
        assert vars(Subscription)["publish"] is not original
    assert vars(Subscription)["publish"] is original


# ====================================================================================
# EventBridge rules with a Lambda target (SRC-3)
# ====================================================================================
def rule_to_lambda(aws: Aws, rule: str, function: str, pattern: dict[str, Any], *, bus: str = "default",
                   **target: Any) -> str:
    if bus != "default":
        aws.events.create_event_bus(Name=bus)
    rule_arn = str(aws.events.put_rule(Name=rule, EventBusName=bus, EventPattern=json.dumps(pattern))["RuleArn"])
    aws.events.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": "fn", "Arn": arn(function), **target}])
    return rule_arn


def put_order(aws: Aws, *, bus: str = "default", **detail: Any) -> str:
    answer = aws.events.put_events(Entries=[{"Source": "com.example.orders", "DetailType": "Order Placed",
                                             "Detail": json.dumps(detail), "EventBusName": bus,
                                             "Resources": ["arn:aws:example:order/o-1"]}])
    return str(answer["Entries"][0]["EventId"])


ORDERS = {"source": ["com.example.orders"]}


def test_src3_a_matching_event_is_an_event_invocation_with_the_event(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    placed = Recorder()
    lambda_invoker.register("placed", placed)
    rule_to_lambda(aws, "orders-placed", "placed", ORDERS)
    event_id = put_order(aws, order_id="o-1")
    assert placed.events == []  # queued (INV-11)

    lambda_invoker.run()
    [event] = placed.events
    assert event["id"] == event_id  # the id EventBridge assigned
    assert (event["source"], event["detail-type"], event["detail"]) == (
        "com.example.orders", "Order Placed", {"order_id": "o-1"})
    assert (event["version"], event["account"], event["region"]) == ("0", ACCOUNT, REGION)
    assert event["resources"] == ["arn:aws:example:order/o-1"]
    assert len(event["time"]) == 20 and event["time"].endswith("Z")  # 2017-12-22T18:43:48Z
    assert set(event) == set(sample("eventbridge")) - {"replay-name"}  # only replays carry replay-name
    assert invoked_sources(lambda_invoker) == [("placed", "Event", "events:orders-placed")]


@pytest.mark.parametrize(("pattern", "invoked"), [
    (ORDERS, True),
    ({"source": ["com.example.users"]}, False),
    ({"source": ["com.example.orders"], "detail": {"order_id": ["o-2"]}}, False),
])
def test_src3_the_rule_pattern_selects_events(aws: Aws, lambda_invoker: LambdaInvoker, pattern: dict[str, Any],
                                              invoked: bool) -> None:
    placed = Recorder()
    lambda_invoker.register("placed", placed)
    rule_to_lambda(aws, "orders-placed", "placed", pattern)
    put_order(aws, order_id="o-1")
    lambda_invoker.run()
    assert len(placed.events) == (1 if invoked else 0)


def test_src3_a_disabled_rule_invokes_nothing(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    placed = Recorder()
    lambda_invoker.register("placed", placed)
    rule_to_lambda(aws, "orders-placed", "placed", ORDERS)
    aws.events.disable_rule(Name="orders-placed")
    put_order(aws, order_id="o-1")
    lambda_invoker.run()
    assert placed.events == []


@pytest.mark.parametrize(("target", "expected"), [
    ({"Input": json.dumps({"fixed": True})}, {"fixed": True}),
    ({"InputPath": "$.detail"}, {"order_id": "o-1", "items": [{"sku": "s-1"}]}),
    ({"InputPath": "$.detail.items[0].sku"}, "s-1"),
    ({"InputTransformer": {"InputPathsMap": {"order": "$.detail.order_id", "src": "$.source"},
                           "InputTemplate": '{"order": "<order>", "from": "<src>", "rule": "<aws.events.rule-name>"}'}},
     {"order": "o-1", "from": "com.example.orders", "rule": "orders-placed"}),
    ({"InputTransformer": {"InputPathsMap": {"order": "$.detail.order_id"},
                           "InputTemplate": '"order <order> placed"'}}, "order o-1 placed"),
])
def test_src3_target_input_settings(aws: Aws, lambda_invoker: LambdaInvoker, target: dict[str, Any],
                                    expected: Any) -> None:
    placed = Recorder()
    lambda_invoker.register("placed", placed)
    rule_to_lambda(aws, "orders-placed", "placed", ORDERS, **target)
    put_order(aws, order_id="o-1", items=[{"sku": "s-1"}])
    lambda_invoker.run()
    assert placed.events == [expected]


def test_src3_other_targets_of_the_rule_stay_with_moto(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    placed = Recorder()
    lambda_invoker.register("placed", placed)
    queue = aws.queue("orders-copy")
    rule_to_lambda(aws, "orders-placed", "placed", ORDERS)
    aws.events.put_targets(Rule="orders-placed", Targets=[{"Id": "q", "Arn": queue}])
    put_order(aws, order_id="o-1")
    lambda_invoker.run()
    assert len(placed.events) == 1
    [message] = aws.receive(queue)
    assert json.loads(message["Body"])["detail"] == {"order_id": "o-1"}
    assert [t["Id"] for t in aws.events.list_targets_by_rule(Rule="orders-placed")["Targets"]] == ["fn", "q"]


def test_src3_a_rule_on_a_custom_bus(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    placed = Recorder()
    lambda_invoker.register("placed", placed)
    rule_to_lambda(aws, "orders-placed", "placed", ORDERS, bus="shop")
    put_order(aws, bus="shop", order_id="o-1")
    lambda_invoker.run()
    assert len(placed.events) == 1
    assert invoked_sources(lambda_invoker) == [("placed", "Event", "events:shop/orders-placed")]


def test_src3_retries_and_the_on_failure_destination_apply(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    failed = aws.queue("placed-failed")
    placed = Recorder(failures=3)
    lambda_invoker.register("placed", placed, on_failure=failed)
    rule_to_lambda(aws, "orders-placed", "placed", ORDERS)
    put_order(aws, order_id="o-1")
    assert [a.outcome for a in lambda_invoker.run()] == ["error"] * 3
    [message] = aws.receive(failed)
    assert json.loads(message["Body"])["requestPayload"] == placed.events[0]


def test_src3_an_unregistered_target_goes_to_the_targets_dead_letter_queue(aws: Aws,
                                                                           lambda_invoker: LambdaInvoker) -> None:
    dlq = aws.queue("rule-dlq")
    rule_arn = rule_to_lambda(aws, "orders-placed", "ghost", ORDERS, DeadLetterConfig={"Arn": dlq})
    event_id = put_order(aws, order_id="o-1")
    assert lambda_invoker.run() == []
    [message] = aws.receive(dlq)
    assert json.loads(message["Body"])["id"] == event_id
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert attributes == {"RULE_ARN": rule_arn, "TARGET_ARN": arn("ghost"), "ERROR_CODE": "NO_RESOURCE",
                          "ERROR_MESSAGE": f"Function not found: {arn('ghost')}:$LATEST",
                          "RETRY_ATTEMPTS": "0"}
    [entry] = lambda_invoker.timeline_entries
    assert isinstance(entry.detail, NotInvoked)
    assert entry.detail.fate == "sent to the target's dead-letter queue sqs:rule-dlq"


def test_src3_an_unregistered_target_without_a_dead_letter_queue_is_reported(aws: Aws,
                                                                             lambda_invoker: LambdaInvoker) -> None:
    rule_to_lambda(aws, "orders-placed", "ghost", ORDERS)
    put_order(aws, order_id="o-1")
    assert lambda_invoker.run() == []
    assert "from events:orders-placed -> not invoked: ResourceNotFoundException" in lambda_invoker.timeline()


def test_src3_s3_to_eventbridge_to_lambda(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    created = Recorder()
    lambda_invoker.register("created", created)
    rule_to_lambda(aws, "uploads", "created", {"source": ["aws.s3"], "detail-type": ["Object Created"]})
    aws.s3.create_bucket(Bucket="uploads")
    aws.s3.put_bucket_notification_configuration(Bucket="uploads", NotificationConfiguration={
        "EventBridgeConfiguration": {}})
    aws.s3.put_object(Bucket="uploads", Key="a.jpg", Body=b"x")
    aws.s3.put_object(Bucket="uploads", Key="b.jpg", Body=b"x")
    lambda_invoker.run()
    first, second = created.events
    assert first["detail"]["bucket"] == {"name": "uploads"}
    assert first["detail"]["object"]["key"] == "a.jpg" and "etag" in first["detail"]["object"]
    assert first["id"] != second["id"]  # each S3 event has its own id
    assert first["time"].endswith("Z")


def test_src3_an_eventbridge_destination_reaches_a_rule_targeting_a_function(aws: Aws,
                                                                              lambda_invoker: LambdaInvoker) -> None:
    """DST-4 then SRC-3: a success record put on a bus reaches a function through a rule."""
    audit = Recorder()
    lambda_invoker.register("audit", audit)
    bus = str(aws.events.create_event_bus(Name="results")["EventBusArn"])
    aws.events.put_rule(Name="successes", EventBusName="results", EventPattern=json.dumps({"source": ["lambda"]}))
    aws.events.put_targets(Rule="successes", EventBusName="results", Targets=[{"Id": "a", "Arn": arn("audit")}])
    lambda_invoker.register("ship", lambda event, context: {"shipped": event["order_id"]}, on_success=bus)
    lambda_invoker.invoke("ship", {"order_id": "o-1"}, invocation_type="Event")
    lambda_invoker.run()
    [event] = audit.events
    assert event["detail-type"] == "Lambda Function Invocation Result - Success"
    assert event["detail"]["responsePayload"] == {"shipped": "o-1"}


def test_without_the_invoker_eventbridge_is_unpatched(aws: Aws) -> None:
    from moto.events.models import Rule

    original = vars(Rule)["send_to_targets"]
    with LambdaInvoker() as inv, inv.patch_boto3():
        assert vars(Rule)["send_to_targets"] is not original
    assert vars(Rule)["send_to_targets"] is original


# ====================================================================================
# SQS event source mappings (ESM-1..ESM-8)
# ====================================================================================
def body(record: dict[str, Any]) -> Any:
    return json.loads(record["body"])


class BatchHandler:
    """An SQS handler recording each batch's bodies and receive counts; ``fail(body)`` decides per message.

    ``partial``: answer with batchItemFailures (ESM-5) instead of raising."""

    def __init__(self, fail: Any = lambda b: False, partial: bool = False) -> None:
        self.batches: list[list[tuple[Any, str]]] = []
        self.times: list[float] = []
        self.fail = fail
        self.partial = partial
        self.t0: Any = None

    def __call__(self, event: Any, context: Any) -> Any:
        import datetime as dt

        self.batches.append([(body(r), r["attributes"]["ApproximateReceiveCount"]) for r in event["Records"]])
        self.times.append((dt.datetime.now(dt.timezone.utc) - self.t0).total_seconds())
        failed = [r["messageId"] for r in event["Records"] if self.fail(body(r))]
        if self.partial:
            return {"batchItemFailures": [{"itemIdentifier": i} for i in failed]}
        if failed:
            raise ValueError(f"{len(failed)} failed")
        return None


def mapped_queue(aws: Aws, inv: LambdaInvoker, handler: Any, name: str = "orders", *, function: str = "worker",
                 redrive: int | None = None, fifo: bool = False, **mapping: Any) -> tuple[str, str]:
    """A queue mapped to a registered function: (queue ARN, mapping UUID)."""
    attributes: dict[str, str] = {}
    if fifo:
        attributes.update(FifoQueue="true", ContentBasedDeduplication="true")
    if redrive is not None:
        dlq = aws.queue(f"{name}-dlq")
        attributes["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": dlq, "maxReceiveCount": str(redrive)})
    queue = aws.queue(name + (".fifo" if fifo else ""), **attributes)
    if isinstance(handler, BatchHandler):
        handler.t0 = inv.t0
    inv.register(function, handler)
    uuid = aws.awslambda.create_event_source_mapping(EventSourceArn=queue, FunctionName=function, **mapping)["UUID"]
    return queue, str(uuid)


def send(aws: Aws, queue: str, *bodies: Any, **kwargs: Any) -> None:
    for item in bodies:
        aws.sqs.send_message(QueueUrl=aws.url(queue), MessageBody=json.dumps(item), **kwargs)


def test_esm1_batches_are_synchronous_invocations_with_the_sqs_records(aws: Aws,
                                                                       lambda_invoker: LambdaInvoker) -> None:
    events: list[Any] = []
    queue, _ = mapped_queue(aws, lambda_invoker, lambda event, context: events.append(event), BatchSize=10)
    send(aws, queue, *({"n": n} for n in range(25)))
    attempts = lambda_invoker.run()

    assert [a.invocation_type for a in attempts] == ["RequestResponse"] * 3  # ESM-1
    assert [len(e["Records"]) for e in events] == [10, 10, 5]
    assert sorted(body(r)["n"] for e in events for r in e["Records"]) == list(range(25))
    record = events[0]["Records"][0]
    assert (record["eventSource"], record["eventSourceARN"], record["awsRegion"]) == ("aws:sqs", queue, REGION)
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert int(record["attributes"]["ApproximateFirstReceiveTimestamp"]) >= int(record["attributes"]["SentTimestamp"])
    assert shape(events[0], "Records[].messageAttributes") == shape(sample("sqs-standard"), "Records[].messageAttributes")
    assert invoked_sources(lambda_invoker) == [("worker", "RequestResponse", f"sqs:orders batch of {n}")
                                               for n in (10, 10, 5)]
    assert aws.receive(queue) == []  # ESM-6: a successful batch is deleted


@settings(max_examples=5, deadline=None)
@given(lst.sqs_events(queue_name="orders", max_records=1, message_attributes=st.just({})))
def test_esm1_the_record_has_the_fields_the_strategies_generate(generated: dict[str, Any]) -> None:
    with mock_aws(), LambdaInvoker() as inv, inv.patch_boto3():
        aws = Aws(sqs=_CLIENTS["sqs"], sns=None, events=None, s3=None, awslambda=_CLIENTS["lambda"])
        events: list[Any] = []
        queue, _ = mapped_queue(aws, inv, lambda event, context: events.append(event))
        send(aws, queue, {"n": 1})
        inv.run()
        assert field_paths(events[0]) == field_paths(generated)


def test_esm1_message_attributes_are_in_lambdas_form(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    events: list[Any] = []
    queue, _ = mapped_queue(aws, lambda_invoker, lambda event, context: events.append(event))
    aws.sqs.send_message(QueueUrl=aws.url(queue), MessageBody="m", MessageAttributes={
        "kind": {"DataType": "String", "StringValue": "order"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}})
    lambda_invoker.run()
    [record] = events[0]["Records"]
    assert record["messageAttributes"] == {
        "kind": {"stringValue": "order", "stringListValues": [], "binaryListValues": [], "dataType": "String"},
        "blob": {"binaryValue": "AAE=", "stringListValues": [], "binaryListValues": [], "dataType": "Binary"}}
    assert record["md5OfBody"] == "6f8f57715090da2632453988d9a1501b"
    sent = aws.sqs.send_message(QueueUrl=aws.url(queue), MessageBody="m", MessageAttributes={
        "kind": {"DataType": "String", "StringValue": "order"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}})
    assert record["md5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]


def test_esm3_esm6_a_failed_batch_comes_back_after_the_visibility_timeout(aws: Aws,
                                                                          lambda_invoker: LambdaInvoker) -> None:
    worker = BatchHandler(fail=lambda b: len(worker.batches) < 3)
    queue, _ = mapped_queue(aws, lambda_invoker, worker)
    aws.sqs.set_queue_attributes(QueueUrl=aws.url(queue), Attributes={"VisibilityTimeout": "45"})
    send(aws, queue, {"n": 1}, {"n": 2})
    lambda_invoker.run()
    assert worker.batches == [[({"n": 1}, "1"), ({"n": 2}, "1")], [({"n": 1}, "2"), ({"n": 2}, "2")],
                              [({"n": 1}, "3"), ({"n": 2}, "3")]]
    assert worker.times == [0, 45, 90]  # on the virtual clock
    assert aws.receive(queue) == []


def test_esm3_the_redrive_policy_moves_a_message_to_the_dlq_after_max_receive_count(
        aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    worker = BatchHandler(fail=lambda b: b["n"] == 1)
    queue, _ = mapped_queue(aws, lambda_invoker, worker, redrive=3, BatchSize=1)
    send(aws, queue, {"n": 1}, {"n": 2})
    lambda_invoker.run()
    received_1 = [count for batch in worker.batches for b, count in batch if b == {"n": 1}]
    assert received_1 == ["1", "2", "3"]  # then moved instead of a 4th receive
    [dead] = aws.receive(f"{queue}-dlq")
    assert json.loads(dead["Body"]) == {"n": 1}
    assert aws.receive(queue) == []


def test_esm5_a_partial_batch_response_redelivers_only_what_failed(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    worker = BatchHandler(fail=lambda b: b["n"] == 2 and len(worker.batches) == 1, partial=True)
    queue, _ = mapped_queue(aws, lambda_invoker, worker, FunctionResponseTypes=["ReportBatchItemFailures"])
    send(aws, queue, {"n": 1}, {"n": 2}, {"n": 3})
    lambda_invoker.run()
    assert worker.batches == [[({"n": 1}, "1"), ({"n": 2}, "1"), ({"n": 3}, "1")], [({"n": 2}, "2")]]
    assert worker.times == [0, 30]


@pytest.mark.parametrize(("response", "redelivered"), [
    ({"batchItemFailures": []}, False),  # an empty list: complete success
    ({"batchItemFailures": None}, False),
    (None, False),  # an empty response
    ({"status": "done"}, False),
    ({"batchItemFailures": [{"itemIdentifier": ""}]}, True),  # complete failure
    ({"batchItemFailures": [{"itemIdentifier": None}]}, True),
    ({"batchItemFailures": [{"id": "x"}]}, True),  # a wrong key
    ({"batchItemFailures": [{"itemIdentifier": "not-in-the-batch"}]}, True),
    ("failed", True),  # not an event response at all
])
def test_esm5_partial_batch_response_edge_cases(aws: Aws, lambda_invoker: LambdaInvoker, response: Any,
                                                redelivered: bool) -> None:
    calls: list[int] = []

    def handler(event: Any, context: Any) -> Any:
        calls.append(len(event["Records"]))
        return response if len(calls) == 1 else None

    queue, _ = mapped_queue(aws, lambda_invoker, handler, FunctionResponseTypes=["ReportBatchItemFailures"])
    send(aws, queue, {"n": 1}, {"n": 2})
    lambda_invoker.run()
    assert calls == ([2, 2] if redelivered else [2])


def test_esm5_without_report_batch_item_failures_the_response_is_ignored(aws: Aws,
                                                                         lambda_invoker: LambdaInvoker) -> None:
    worker = BatchHandler(fail=lambda b: b["n"] == 2, partial=True)
    queue, _ = mapped_queue(aws, lambda_invoker, worker)
    send(aws, queue, {"n": 1}, {"n": 2})
    lambda_invoker.run()
    assert len(worker.batches) == 1 and aws.receive(queue) == []


def test_esm7_the_batching_window_waits_for_a_fuller_batch(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    worker = BatchHandler()
    queue, _ = mapped_queue(aws, lambda_invoker, worker, BatchSize=50, MaximumBatchingWindowInSeconds=20)
    send(aws, queue, *({"n": n} for n in range(3)))
    lambda_invoker.run()
    assert [len(b) for b in worker.batches] == [3] and worker.times == [20]


def test_esm7_a_full_batch_does_not_wait_for_the_window(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    worker = BatchHandler()
    queue, _ = mapped_queue(aws, lambda_invoker, worker, BatchSize=2, MaximumBatchingWindowInSeconds=20)
    send(aws, queue, *({"n": n} for n in range(5)))
    lambda_invoker.run()
    assert [len(b) for b in worker.batches] == [2, 2, 1]
    assert worker.times == [0, 0, 20]  # the window runs from the previous invocation's end


def test_esm8_fifo_groups_stay_in_order_and_a_failed_group_waits(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    failed_once: set[str] = set()

    def fail(b: dict[str, str]) -> bool:
        if b["id"] == "a1" and "a1" not in failed_once:
            failed_once.add("a1")
            return True
        return False

    worker = BatchHandler(fail=fail)
    queue, _ = mapped_queue(aws, lambda_invoker, worker, fifo=True, BatchSize=1)
    for item, group in (({"id": "a1"}, "A"), ({"id": "a2"}, "A"), ({"id": "b1"}, "B")):
        aws.sqs.send_message(QueueUrl=aws.url(queue), MessageBody=json.dumps(item), MessageGroupId=group)
    lambda_invoker.run()
    assert [b[0][0]["id"] for b in worker.batches] == ["a1", "b1", "a1", "a2"]
    assert worker.times == [0, 0, 30, 30]


def test_esm8_fifo_records_carry_sequence_and_group(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    events: list[Any] = []
    queue, _ = mapped_queue(aws, lambda_invoker, lambda event, context: events.append(event), fifo=True)
    aws.sqs.send_message(QueueUrl=aws.url(queue), MessageBody="m", MessageGroupId="g")
    lambda_invoker.run()
    attributes = events[0]["Records"][0]["attributes"]
    assert attributes["MessageGroupId"] == "g" and attributes["SequenceNumber"].isdigit()
    assert attributes["MessageDeduplicationId"]
    assert shape(events[0], "Records[].messageAttributes") == shape(sample("sqs-fifo"), "Records[].messageAttributes")


def test_messages_sent_by_a_handler_are_polled_in_step_with_the_async_queue(aws: Aws,
                                                                            lambda_invoker: LambdaInvoker) -> None:
    sqs = _CLIENTS["sqs"]
    worker = BatchHandler()
    queue, _ = mapped_queue(aws, lambda_invoker, worker)
    url = aws.url(queue)

    def producer(event: Any, context: Any) -> None:
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"n": event["n"]}))
        if event["n"] == 1:
            raise RuntimeError("after sending")  # retried in 60 s (RET-1): sends again

    lambda_invoker.register("producer", producer, max_retry_attempts=1)
    lambda_invoker.invoke("producer", {"n": 1}, invocation_type="Event")
    lambda_invoker.run()
    assert worker.times == [0, 60]  # each message polled when it was sent, not after the async queue drained


def test_advance_plays_pollers_out_to_the_given_time(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    worker = BatchHandler(fail=lambda b: True)
    queue, _ = mapped_queue(aws, lambda_invoker, worker)
    send(aws, queue, {"n": 1})
    lambda_invoker.advance(10)
    assert len(worker.batches) == 1
    assert aws.receive(queue) == []  # held by the poller: invisible at any clock
    lambda_invoker.advance(25)
    assert len(worker.batches) == 2  # the visibility timeout (30 s) ended at t+30


def test_esm6_a_throttled_batch_comes_back_after_the_visibility_timeout(aws: Aws,
                                                                        lambda_invoker: LambdaInvoker) -> None:
    worker = BatchHandler()
    queue, _ = mapped_queue(aws, lambda_invoker, worker)
    lambda_invoker.function("worker").throttle_next(1)
    send(aws, queue, {"n": 1})
    lambda_invoker.run()
    assert worker.batches == [[({"n": 1}, "2")]] and worker.times == [30]


def test_a_disabled_mapping_polls_nothing_until_enabled(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    worker = BatchHandler()
    queue, uuid = mapped_queue(aws, lambda_invoker, worker, Enabled=False)
    send(aws, queue, {"n": 1})
    assert lambda_invoker.run() == []
    assert aws.awslambda.get_event_source_mapping(UUID=uuid)["State"] == "Disabled"
    aws.awslambda.update_event_source_mapping(UUID=uuid, Enabled=True)
    lambda_invoker.run()
    assert worker.batches == [[({"n": 1}, "1")]]


def test_a_delayed_message_is_polled_when_its_delay_ends(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    worker = BatchHandler()
    queue, _ = mapped_queue(aws, lambda_invoker, worker)
    send(aws, queue, {"n": 1}, DelaySeconds=10)
    lambda_invoker.run()
    assert len(worker.batches) == 1 and 10 <= worker.times[0] < 15


def test_messages_held_when_routing_ends_are_released(aws: Aws) -> None:
    with LambdaInvoker() as inv:
        with inv.patch_boto3():
            worker = BatchHandler(fail=lambda b: True)
            queue, _ = mapped_queue(aws, inv, worker)
            send(aws, queue, {"n": 1})
            inv.advance(1)
            assert aws.receive(queue) == []
        assert aws.receive(queue) == []  # still in its (virtual) visibility timeout
        assert installed_hooks() == []


# -- the mapping API (through the routed boto3 client) ------------------------------------
def test_the_mapping_api_create_get_list_update_delete(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    queue = aws.queue("orders")
    lambda_invoker.register("worker", Recorder())
    created = aws.awslambda.create_event_source_mapping(EventSourceArn=queue, FunctionName="worker")
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert (created["State"], created["BatchSize"], created["MaximumBatchingWindowInSeconds"]) == ("Creating", 10, 0)
    assert created["FunctionArn"] == arn("worker") and created["EventSourceArn"] == queue
    uuid = created["UUID"]
    assert aws.awslambda.get_event_source_mapping(UUID=uuid)["State"] == "Enabled"
    assert [m["UUID"] for m in aws.awslambda.list_event_source_mappings(FunctionName="worker")
            ["EventSourceMappings"]] == [uuid]
    assert aws.awslambda.list_event_source_mappings(EventSourceArn=queue + "x")["EventSourceMappings"] == []
    updated = aws.awslambda.update_event_source_mapping(UUID=uuid, BatchSize=5,
                                                        FunctionResponseTypes=["ReportBatchItemFailures"])
    assert (updated["BatchSize"], updated["FunctionResponseTypes"]) == (5, ["ReportBatchItemFailures"])
    assert aws.awslambda.delete_event_source_mapping(UUID=uuid)["State"] == "Deleting"
    with pytest.raises(aws.awslambda.exceptions.ResourceNotFoundException):
        aws.awslambda.get_event_source_mapping(UUID=uuid)
    assert lambda_invoker.pollers == []


def test_a_deleted_mapping_stops_polling(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    worker = BatchHandler()
    queue, uuid = mapped_queue(aws, lambda_invoker, worker)
    aws.awslambda.delete_event_source_mapping(UUID=uuid)
    send(aws, queue, {"n": 1})
    assert lambda_invoker.run() == []
    assert len(aws.receive(queue)) == 1


@pytest.mark.parametrize(("setup", "kwargs", "code", "message"), [
    ({}, {"FunctionName": "ghost"}, "ResourceNotFoundException", "Function not found"),
    ({}, {"EventSourceArn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:nowhere"}, "InvalidParameterValueException",
     "AWS.SimpleQueueService.NonExistentQueue"),
    ({"VisibilityTimeout": "2"}, {}, "InvalidParameterValueException",
     "Queue visibility timeout: 2 seconds is less than Function timeout: 3 seconds"),
    ({}, {"BatchSize": 11}, "InvalidParameterValueException",
     "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10"),
    ({}, {"BatchSize": 10001, "MaximumBatchingWindowInSeconds": 1}, "InvalidParameterValueException", "ESM-2"),
    ({}, {"MaximumBatchingWindowInSeconds": 301}, "InvalidParameterValueException", "ESM-2"),
    ({}, {"FunctionResponseTypes": ["Everything"]}, "InvalidParameterValueException", "ESM-5"),
    ({}, {"StartingPosition": "LATEST"}, "InvalidParameterValueException", "not supported for Amazon SQS"),
])
def test_mapping_errors(aws: Aws, lambda_invoker: LambdaInvoker, setup: dict[str, str], kwargs: dict[str, Any],
                        code: str, message: str) -> None:
    queue = aws.queue("orders", **setup)
    lambda_invoker.register("worker", Recorder())
    params = {"EventSourceArn": queue, "FunctionName": "worker", **kwargs}
    with pytest.raises(aws.awslambda.exceptions.ClientError) as caught:
        aws.awslambda.create_event_source_mapping(**params)
    assert caught.value.response["Error"]["Code"] == code
    assert message in caught.value.response["Error"]["Message"]
    assert lambda_invoker.pollers == []


def test_a_fifo_queue_takes_batches_of_at_most_10(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    queue = aws.queue("orders.fifo", FifoQueue="true")
    lambda_invoker.register("worker", Recorder())
    with pytest.raises(aws.awslambda.exceptions.InvalidParameterValueException, match="1 to 10 for FIFO"):
        aws.awslambda.create_event_source_mapping(EventSourceArn=queue, FunctionName="worker", BatchSize=20,
                                                  MaximumBatchingWindowInSeconds=1)


def test_a_second_mapping_of_the_same_pair_conflicts(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    queue, uuid = mapped_queue(aws, lambda_invoker, Recorder())
    with pytest.raises(aws.awslambda.exceptions.ResourceConflictException, match=uuid):
        aws.awslambda.create_event_source_mapping(EventSourceArn=queue, FunctionName="worker")


@pytest.mark.parametrize("kwargs", [
    {"EventSourceArn": f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/s", "StartingPosition": "LATEST"},
    {"FilterCriteria": {"Filters": [{"Pattern": "{}"}]}},
])
def test_what_is_not_modelled_says_so(aws: Aws, lambda_invoker: LambdaInvoker, kwargs: dict[str, Any]) -> None:
    from pytest_lambda_async import UnsupportedOperation

    queue = aws.queue("orders")
    lambda_invoker.register("worker", Recorder())
    with pytest.raises(UnsupportedOperation, match="not modelled"):
        aws.awslambda.create_event_source_mapping(**{"EventSourceArn": queue, "FunctionName": "worker", **kwargs})


def test_without_the_invoker_sqs_is_unpatched(aws: Aws) -> None:
    from moto.sqs.models import Queue

    original = vars(Queue)["add_message"]
    with LambdaInvoker() as inv, inv.patch_boto3():
        assert vars(Queue)["add_message"] is not original
    assert vars(Queue)["add_message"] is original


# ====================================================================================
# The guard: nothing reaches the network, Docker or moto's Lambda
# ====================================================================================
def test_guard_every_source_runs_in_process(aws: Aws, lambda_invoker: LambdaInvoker,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Sockets, subprocesses (Docker) and moto's own Lambda invocation paths all refuse, and record that
    they were asked (moto swallows what its notification paths raise, so the record is what counts)."""
    import socket

    import moto.awslambda.models as moto_lambda

    reached: list[str] = []

    def refuse(what: str) -> Any:
        def refused(*args: Any, **kwargs: Any) -> Any:
            reached.append(what)
            raise AssertionError(f"{what} was reached")
        return refused

    for name in ("connect", "connect_ex"):
        monkeypatch.setattr(socket.socket, name, refuse(f"socket.{name}"))
    monkeypatch.setattr(socket, "create_connection", refuse("socket.create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("socket.getaddrinfo"))
    monkeypatch.setattr(subprocess, "Popen", refuse("subprocess.Popen"))
    monkeypatch.setattr(moto_lambda.LambdaFunction, "invoke", refuse("moto's LambdaFunction.invoke"))
    for name in ("send_sns_message", "send_sqs_batch", "invoke"):
        monkeypatch.setattr(moto_lambda.LambdaBackend, name, refuse(f"moto's LambdaBackend.{name}"))

    seen: list[str] = []
    for function in ("from-s3", "from-sns", "from-events"):
        lambda_invoker.register(function, lambda event, context, f=function: seen.append(f))
    aws.bucket("uploads", to_lambda("from-s3"))
    topic = subscribed_topic(aws, "orders", "from-sns")
    rule_to_lambda(aws, "orders-placed", "from-events", ORDERS)
    queue, _ = mapped_queue(aws, lambda_invoker, lambda event, context: seen.append("from-sqs"), function="from-sqs")

    aws.s3.put_object(Bucket="uploads", Key="a.jpg", Body=b"x")
    aws.sns.publish(TopicArn=topic, Message="m")
    put_order(aws, order_id="o-1")
    send(aws, queue, {"n": 1})
    lambda_invoker.run()
    assert sorted(seen) == ["from-events", "from-s3", "from-sns", "from-sqs"]
    assert reached == []


def test_permissions_wiring_code_grants_are_answered(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    """add_permission before put_bucket_notification_configuration, as wiring code does (recorded only)."""
    thumbs = Recorder()
    lambda_invoker.register("thumbs", thumbs)
    aws.s3.create_bucket(Bucket="uploads")
    answer = aws.awslambda.add_permission(FunctionName="thumbs", StatementId="s3-invoke",
                                          Action="lambda:InvokeFunction", Principal="s3.amazonaws.com",
                                          SourceArn="arn:aws:s3:::uploads", SourceAccount=ACCOUNT)
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 201
    statement = json.loads(answer["Statement"])
    assert statement == {"Sid": "s3-invoke", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
                         "Action": "lambda:InvokeFunction", "Resource": arn("thumbs"),
                         "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::uploads"},
                                       "StringEquals": {"AWS:SourceAccount": ACCOUNT}}}
    assert json.loads(aws.awslambda.get_policy(FunctionName="thumbs")["Policy"])["Statement"] == [statement]
    with pytest.raises(aws.awslambda.exceptions.ResourceConflictException):
        aws.awslambda.add_permission(FunctionName="thumbs", StatementId="s3-invoke", Action="lambda:InvokeFunction",
                                     Principal="s3.amazonaws.com")
    aws.s3.put_bucket_notification_configuration(Bucket="uploads", NotificationConfiguration={
        "LambdaFunctionConfigurations": [to_lambda("thumbs")]})
    aws.s3.put_object(Bucket="uploads", Key="a.jpg", Body=b"x")
    lambda_invoker.run()
    assert len(thumbs.events) == 1
    assert aws.awslambda.remove_permission(FunctionName="thumbs", StatementId="s3-invoke")[
        "ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(aws.awslambda.exceptions.ResourceNotFoundException):
        aws.awslambda.get_policy(FunctionName="thumbs")
    with pytest.raises(aws.awslambda.exceptions.ResourceNotFoundException):
        aws.awslambda.add_permission(FunctionName="ghost", StatementId="x", Action="lambda:InvokeFunction",
                                     Principal="sns.amazonaws.com")


def test_an_outer_invokers_mapping_is_woken_by_a_message_sent_inside_an_inner_block(aws: Aws) -> None:
    with LambdaInvoker() as outer, outer.patch_boto3():
        worker = BatchHandler()
        queue, _ = mapped_queue(aws, outer, worker)
        assert outer.run() == []  # nothing yet: the poller goes idle
        with LambdaInvoker() as inner, inner.patch_boto3():
            send(aws, queue, {"n": 1})
        outer.run()
        assert worker.batches == [[({"n": 1}, "1")]]


def test_s3_to_sqs_to_a_mapping(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    events: list[Any] = []
    queue, _ = mapped_queue(aws, lambda_invoker, lambda event, context: events.append(event), name="uploads-q")
    aws.s3.create_bucket(Bucket="uploads")
    aws.s3.put_bucket_notification_configuration(Bucket="uploads", NotificationConfiguration={
        "QueueConfigurations": [{"QueueArn": queue, "Events": ["s3:ObjectCreated:*"]}]})
    aws.s3.put_object(Bucket="uploads", Key="a.jpg", Body=b"x")
    lambda_invoker.run()
    bodies = [body(r) for e in events for r in e["Records"]]
    assert [b.get("Event") for b in bodies] == ["s3:TestEvent", None]  # S3 tests the queue first, as on AWS
    assert bodies[1]["Records"][0]["s3"]["object"]["key"] == "a.jpg"


# ====================================================================================
# Recursive loops through SQS, SNS and S3 (LOOP-1..LOOP-4)
# ====================================================================================
# AWS, "Use Lambda recursive loop detection to prevent infinite loops"
# (https://docs.aws.amazon.com/lambda/latest/dg/invocation-recursion.html): when Lambda stops an invocation
# from an SQS event source mapping it returns RecursiveInvocationException to the mapping; the receive count
# of the message goes up and Lambda keeps retrying it, and keeps stopping it, until SQS moves it to the
# source queue's dead-letter queue after maxReceiveCount.
def loop_stops(inv: LambdaInvoker) -> list[tuple[str, float, str | None]]:
    """(function, seconds after t0, source) of each LoopStopped line."""
    return [(e.function, (e.at - inv.t0).total_seconds(), e.detail.source)
            for e in inv.timeline_entries if isinstance(e.detail, LoopStopped)]


def feeding(url: str, log: list[Any] | None = None) -> Any:
    """A handler that sends one message to ``url`` per record it gets (recording each record's trace)."""
    sqs = _CLIENTS["sqs"]

    def handler(event: Any, context: Any) -> None:
        for record in event["Records"]:
            if log is not None:
                log.append(record["attributes"].get("AWSTraceHeader"))
            sqs.send_message(QueueUrl=url, MessageBody="again")

    return handler


@pytest.mark.timeout(120)  # before the fix: spins for ever at one instant
def test_loop_1_loop_2_a_handler_sending_to_its_own_queue_is_stopped_after_16(aws: Aws,
                                                                             lambda_invoker: LambdaInvoker) -> None:
    """LOOP-1/LOOP-2/LOOP-4: the trace travels with the message as AWSTraceHeader; the 17th invocation of the
    function along the chain is stopped (a LoopStopped line naming the queue), and the clock moves on."""
    traces: list[Any] = []
    queue = aws.queue("q")
    lambda_invoker.register("w", feeding(aws.url(queue), traces))
    aws.awslambda.create_event_source_mapping(EventSourceArn=queue, FunctionName="w", BatchSize=1)
    aws.sqs.send_message(QueueUrl=aws.url(queue), MessageBody="start")
    attempts = lambda_invoker.advance(60)

    assert len(attempts) == 16 and all(a.outcome == "success" for a in attempts)
    assert traces[0] is None  # sent by the test: a new chain
    assert [t.split(";Lineage=")[1].split(":")[1] for t in traces[1:]] == [str(n) for n in range(1, 16)]
    assert loop_stops(lambda_invoker) == [("w", 0, "sqs:q batch of 1"), ("w", 30, "sqs:q batch of 1"),
                                          ("w", 60, "sqs:q batch of 1")]  # retried at each visibility timeout
    assert "RecursiveInvocationException  from sqs:q batch of 1" in lambda_invoker.timeline()
    assert lambda_invoker.metrics["RecursiveInvocationsDropped"] == 3
    assert lambda_invoker.now == lambda_invoker.t0 + dt.timedelta(seconds=60)


@pytest.mark.timeout(120)
def test_loop_1_loop_2_a_chain_through_two_queues_and_two_functions_is_stopped(aws: Aws,
                                                                              lambda_invoker: LambdaInvoker) -> None:
    """LOOP-1/LOOP-2: a -> q2 -> b -> q1 -> a: each function is counted once per turn; a's 17th is stopped."""
    q1, q2 = aws.queue("q1"), aws.queue("q2")
    lambda_invoker.register("a", feeding(aws.url(q2)))
    lambda_invoker.register("b", feeding(aws.url(q1)))
    aws.awslambda.create_event_source_mapping(EventSourceArn=q1, FunctionName="a", BatchSize=1)
    aws.awslambda.create_event_source_mapping(EventSourceArn=q2, FunctionName="b", BatchSize=1)
    aws.sqs.send_message(QueueUrl=aws.url(q1), MessageBody="start")
    attempts = lambda_invoker.advance(10)

    assert [a.function for a in attempts] == ["a", "b"] * 16
    assert loop_stops(lambda_invoker) == [("a", 0, "sqs:q1 batch of 1")]


@pytest.mark.timeout(120)
def test_loop_3_the_stopped_message_is_retried_then_redriven_to_the_source_queues_dlq(
        aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    """LOOP-3 (AWS invocation-recursion page, the note on SQS): Lambda hands RecursiveInvocationException to
    the mapping, the message's receive count goes up, every retry is stopped again, and after maxReceiveCount
    SQS moves it to the source queue's dead-letter queue, with its trace.  The function's own DLQ is for its
    asynchronous queue, not for event source mappings: it gets nothing."""
    dlq = aws.queue("q-dlq")
    queue = aws.queue("q", RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq, "maxReceiveCount": "3"}))
    function_dlq = aws.queue("w-dlq")
    lambda_invoker.register("w", feeding(aws.url(queue)), dead_letter=function_dlq, on_failure=function_dlq)
    aws.awslambda.create_event_source_mapping(EventSourceArn=queue, FunctionName="w", BatchSize=1)
    aws.sqs.send_message(QueueUrl=aws.url(queue), MessageBody="start")
    attempts = lambda_invoker.run()

    assert len(attempts) == 16
    assert [t for _, t, _ in loop_stops(lambda_invoker)] == [0, 30, 60]  # receives 1, 2, 3
    [dead] = aws.receive(dlq)
    assert dead["Body"] == "again" and dead["Attributes"]["ApproximateReceiveCount"] == "4"  # 3 there, 1 here
    assert ";Lineage=" in dead["Attributes"]["AWSTraceHeader"]
    assert aws.receive(queue) == [] and aws.receive(function_dlq) == []


@pytest.mark.timeout(120)
def test_loop_3_without_a_redrive_policy_the_stopped_message_stays_in_the_queue(
        aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    """LOOP-3: with no dead-letter queue on the source queue the stopped message is neither lost nor run:
    it comes back after each visibility timeout and is stopped again, until its retention period ends."""
    queue = aws.queue("q", VisibilityTimeout="100")
    lambda_invoker.register("w", feeding(aws.url(queue)))
    aws.awslambda.create_event_source_mapping(EventSourceArn=queue, FunctionName="w", BatchSize=1)
    aws.sqs.send_message(QueueUrl=aws.url(queue), MessageBody="start")
    assert len(lambda_invoker.advance(250)) == 16
    assert [t for _, t, _ in loop_stops(lambda_invoker)] == [0, 100, 200]
    attributes = aws.sqs.get_queue_attributes(QueueUrl=aws.url(queue), AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "1"  # held by the poller until t+300


def test_loop_2_a_queue_written_by_a_handler_without_a_loop_is_unaffected(aws: Aws,
                                                                          lambda_invoker: LambdaInvoker) -> None:
    """LOOP-2: a message carries its sender's trace (AWSTraceHeader, Lineage counting the sender) to another
    function's mapping; more than 16 such messages from one invocation are 16+ chains of length 2, none stopped."""
    events: list[Any] = []
    out = aws.queue("out")
    sqs = _CLIENTS["sqs"]

    def producer(event: Any, context: Any) -> None:
        for n in range(20):
            sqs.send_message(QueueUrl=aws.url(out), MessageBody=str(n))

    lambda_invoker.register("producer", producer)
    lambda_invoker.register("consumer", lambda event, context: events.append(event))
    aws.awslambda.create_event_source_mapping(EventSourceArn=out, FunctionName="consumer", BatchSize=1)
    lambda_invoker.invoke("producer", {}, invocation_type="Event")
    attempts = lambda_invoker.run()

    assert [a.function for a in attempts] == ["producer"] + ["consumer"] * 20
    assert loop_stops(lambda_invoker) == []
    traces = {e["Records"][0]["attributes"]["AWSTraceHeader"] for e in events}
    [trace] = traces  # one sender, one trace
    assert trace.count(":1") == 1 and ";Lineage=" in trace  # the producer counted once


def test_loop_4_a_trace_the_sender_sets_is_kept(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    """LOOP-4 (X-Ray's SQS page: the AWSTraceHeader system attribute overrides the HTTP header): a message
    sent with its own AWSTraceHeader keeps it; one sent by the test, outside any attempt, has none."""
    events: list[Any] = []
    out = aws.queue("out")
    sqs = _CLIENTS["sqs"]
    own = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"

    def producer(event: Any, context: Any) -> None:
        sqs.send_message(QueueUrl=aws.url(out), MessageBody="own", MessageSystemAttributes={
            "AWSTraceHeader": {"DataType": "String", "StringValue": own}})

    lambda_invoker.register("producer", producer)
    lambda_invoker.register("consumer", lambda event, context: events.append(event))
    aws.awslambda.create_event_source_mapping(EventSourceArn=out, FunctionName="consumer", BatchSize=1)
    lambda_invoker.invoke("producer", {}, invocation_type="Event")
    aws.sqs.send_message(QueueUrl=aws.url(out), MessageBody="test")
    lambda_invoker.run()
    traces = {e["Records"][0]["body"]: e["Records"][0]["attributes"].get("AWSTraceHeader") for e in events}
    assert traces == {"own": own, "test": None}


@pytest.mark.timeout(120)
def test_loop_2_a_batch_takes_the_trace_furthest_along_its_chain(aws: Aws, lambda_invoker: LambdaInvoker) -> None:
    """LOOP-1/LOOP-2: a looping message batched with fresh ones is still counted: the batch's invocation
    continues the trace of its message furthest along a chain, so the loop stops after 16 as with BatchSize 1."""
    queue = aws.queue("q")
    sqs = _CLIENTS["sqs"]
    url = aws.url(queue)

    def handler(event: Any, context: Any) -> None:
        if any(r["body"] == "loop" for r in event["Records"]):
            sqs.send_message(QueueUrl=url, MessageBody="loop")
            sqs.send_message(QueueUrl=url, MessageBody="fresh", MessageSystemAttributes={  # a chain of its own
                "AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-5759e988-bd862e3fe1be46a994272793"}})

    lambda_invoker.register("w", handler)
    aws.awslambda.create_event_source_mapping(EventSourceArn=queue, FunctionName="w", BatchSize=2)
    aws.sqs.send_message(QueueUrl=url, MessageBody="loop")
    attempts = lambda_invoker.advance(10)
    assert len(attempts) == 16
    assert [(f, t) for f, t, _ in loop_stops(lambda_invoker)] == [("w", 0)]


@pytest.mark.timeout(120)
def test_loop_3_recursive_loop_allow_lets_an_sqs_loop_run_at_one_instant(aws: Aws,
                                                                         lambda_invoker: LambdaInvoker) -> None:
    """LOOP-3: with RecursiveLoop=Allow the loop goes on past 16, as on AWS.  Each invocation takes no
    virtual time, so it runs at one instant for as long as the handler keeps sending; one that never stops
    ends in run()'s max_attempts error (about the mapping, not the async queue) instead of hanging."""
    counts: list[int] = []
    queue = aws.queue("q")
    sqs = _CLIENTS["sqs"]
    url = aws.url(queue)

    def handler(event: Any, context: Any) -> None:
        n = int(event["Records"][0]["body"])
        counts.append(n)
        if n < 40 or context.function_name == "forever":
            sqs.send_message(QueueUrl=url, MessageBody=str(n + 1))

    lambda_invoker.register("w", handler)
    aws.awslambda.put_function_recursion_config(FunctionName="w", RecursiveLoop="Allow")
    uuid = aws.awslambda.create_event_source_mapping(EventSourceArn=queue, FunctionName="w", BatchSize=1)["UUID"]
    aws.sqs.send_message(QueueUrl=url, MessageBody="0")
    assert len(lambda_invoker.run()) == 41 and counts == list(range(41))
    assert loop_stops(lambda_invoker) == [] and lambda_invoker.now == lambda_invoker.t0

    aws.awslambda.delete_event_source_mapping(UUID=uuid)
    lambda_invoker.register("forever", handler)
    aws.awslambda.put_function_recursion_config(FunctionName="forever", RecursiveLoop="Allow")
    aws.awslambda.create_event_source_mapping(EventSourceArn=queue, FunctionName="forever", BatchSize=1)
    aws.sqs.send_message(QueueUrl=url, MessageBody="0")
    with pytest.raises(RuntimeError, match="polls of event source mappings at one virtual instant.*Allow"):
        lambda_invoker.run(max_attempts=50)


def test_loop_1_loop_2_an_sns_handler_publishing_to_its_own_topic_is_stopped(aws: Aws,
                                                                            lambda_invoker: LambdaInvoker) -> None:
    """LOOP-1/LOOP-2: SNS -> Lambda -> the same topic (S3's own loop: the src1 test above)."""
    sns = _CLIENTS["sns"]
    topic = subscribed_topic(aws, "echo", "echo")
    lambda_invoker.register("echo", lambda event, context: sns.publish(TopicArn=topic, Message="again"))
    sns.publish(TopicArn=topic, Message="start")
    attempts = lambda_invoker.run()
    assert len(attempts) == 16
    assert loop_stops(lambda_invoker) == [("echo", 0, "sns:echo")]
