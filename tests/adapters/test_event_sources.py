"""AWS event sources under moto invoke registered handlers as AWS does (issue 14): real boto3 clients,
real moto, the invoker routed by the ``lambda_invoker`` fixture.

Each test names the rule it pins (docs/reference/rules.md: SRC-1..SRC-3 for the pushing sources,
ESM-1..ESM-5 for SQS event source mappings).
"""

from __future__ import annotations

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

from pytest_lambda_async import Invoked, LambdaInvoker, NotInvoked
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
                                      f"Function not found: {arn('ghost')}")
    assert ("from s3:uploads ObjectCreated:Put -> not invoked: ResourceNotFoundException: Function not found: "
            f"{arn('ghost')} (the event is lost)") in lambda_invoker.timeline()


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
                          "ERROR_MESSAGE": f"Function not found: {arn('ghost')}", "RETRY_ATTEMPTS": "0"}
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
