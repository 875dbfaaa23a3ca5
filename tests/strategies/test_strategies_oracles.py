"""Oracles for ``pytest_lambda_async.strategies``.

1. Every generated event is read by the matching aws-lambda-powertools data
   class, with its key properties of the right type.
2. Every generated event has the field set of AWS's published sample event
   for its source (the samples below are the Lambda developer guide's, as
   aws-lambda-powertools' ``tests/events/*.json`` also carry them), up to the
   fields AWS itself sends only sometimes.
3. SQS MD5s agree with what SQS (moto) computes for the same message.
4. Generated contexts have every member of powertools' ``LambdaContext`` and
   of the runtime context the invoker passes (PY-3).
"""

from __future__ import annotations

import base64
import decimal
import json
import urllib.parse
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes import (
    APIGatewayProxyEvent,
    APIGatewayProxyEventV2,
    DynamoDBStreamEvent,
    EventBridgeEvent,
    KinesisStreamEvent,
    S3Event,
    SNSEvent,
    SQSEvent,
)
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecordEventName,
    StreamViewType,
)
from aws_lambda_powertools.utilities.typing import LambdaContext as PowertoolsLambdaContext
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

from pytest_lambda_async import strategies as lst
from pytest_lambda_async.strategies import GeneratedLambdaContext

ORACLE = settings(max_examples=50, deadline=None)
FIND = settings(max_examples=100, deadline=None, database=None, phases=(Phase.generate, Phase.shrink))

# ---------------------------------------------------------------------------------
# AWS's published sample events (tests/aws_samples/README.md names each source)
# ---------------------------------------------------------------------------------
SAMPLES_DIR = Path(__file__).resolve().parents[1] / "aws_samples"


def sample(name: str) -> dict[str, Any]:
    return json.loads((SAMPLES_DIR / f"{name}.json").read_text())  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------------
# field-set comparison
# ---------------------------------------------------------------------------------
def field_paths(value: Any, opaque: frozenset[str], prefix: str = "") -> set[str]:
    """Dotted paths of every key (``Records[].s3.object.key``), not descending into ``opaque`` ones."""
    paths: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            path = f"{prefix}.{key}" if prefix else key
            paths.add(path)
            if path not in opaque:
                paths |= field_paths(inner, opaque, path)
    elif isinstance(value, list):
        for inner in value:
            paths |= field_paths(inner, opaque, prefix + "[]")
    return paths


def _covered(path: str, prefixes: Iterable[str]) -> bool:
    return any(path == p or path.startswith((p + ".", p + "[]")) for p in prefixes)


def assert_fields_match(event: dict[str, Any], samples: Iterable[str], *, also: Iterable[str] = (),
                        opaque: Iterable[str] = (), conditional: Iterable[str] = (),
                        documented: Iterable[str] = ()) -> None:
    """Compare ``event``'s field names with AWS's published samples.

    Every field all of ``samples`` have must be in the event (except the
    ``conditional`` ones, which AWS sends only in some cases), and every field
    of the event must appear in one of ``samples`` or ``also`` (samples that
    only show what else may appear), or be ``documented`` by AWS without a
    sample here.  Nothing below an ``opaque`` path is compared (payloads)."""
    opaque = frozenset(opaque)
    sample_paths = [field_paths(sample(name), opaque) for name in samples]
    allowed = set().union(*sample_paths, *(field_paths(sample(name), opaque) for name in also))
    common = set.intersection(*sample_paths)
    got = field_paths(event, opaque)
    missing = {p for p in common - got if not _covered(p, conditional)}
    invented = {p for p in got - allowed if not _covered(p, documented)}
    assert not missing and not invented, (
        f"missing {sorted(missing)}; in no published sample {sorted(invented)}\n{json.dumps(event)[:2000]}")


# ---------------------------------------------------------------------------------
# S3
# ---------------------------------------------------------------------------------
@ORACLE
@given(lst.s3_events())
def test_s3_events_read_by_powertools(event: dict[str, Any]) -> None:
    assert_fields_match(event, ["s3-put", "s3-delete"], documented={"Records[].s3.object.versionId"})
    parsed = S3Event(event)
    assert isinstance(parsed.bucket_name, str)
    assert parsed.object_key == urllib.parse.unquote_plus(event["Records"][0]["s3"]["object"]["key"])
    for record in parsed.records:
        assert record.event_source == "aws:s3" and isinstance(record.event_time, str)
        assert isinstance(record.aws_region, str) and isinstance(record.event_name, str)
        assert isinstance(record.user_identity.principal_id, str)
        assert isinstance(record.request_parameters.source_ip_address, str)
        assert record.s3.bucket.arn.endswith(":::" + record.s3.bucket.name)
        assert isinstance(record.s3.bucket.owner_identity.principal_id, str)
        obj = record.s3.get_object
        assert isinstance(obj.key, str) and isinstance(obj.sequencer, str) and isinstance(obj.etag, str)
        if record.event_name.startswith("ObjectCreated:"):
            assert isinstance(obj.size, int) and obj.etag


# ---------------------------------------------------------------------------------
# SQS
# ---------------------------------------------------------------------------------
@ORACLE
@given(lst.sqs_events())
def test_sqs_events_read_by_powertools(event: dict[str, Any]) -> None:
    fifo = event["Records"][0]["eventSourceARN"].endswith(".fifo")
    assert_fields_match(event, ["sqs-fifo" if fifo else "sqs-standard"], also=["sqs-message-attributes"],
                        opaque={"Records[].messageAttributes"})
    for record in SQSEvent(event).records:
        assert isinstance(record.message_id, str) and isinstance(record.body, str)
        assert isinstance(record.receipt_handle, str) and isinstance(record.md5_of_body, str)
        attrs = record.attributes
        assert int(attrs.approximate_receive_count) >= 1
        assert int(attrs.sent_timestamp) <= int(attrs.approximate_first_receive_timestamp)
        assert attrs.sender_id.startswith("AIDA")
        assert record.queue_url.startswith(f"https://sqs.{record.aws_region}.amazonaws.com")
        assert record.event_source == "aws:sqs"
        if record.event_source_arn.endswith(".fifo"):
            assert isinstance(attrs.message_group_id, str) and isinstance(attrs.sequence_number, str)
        for name, attr in record.message_attributes.items():
            assert isinstance(name, str) and attr.data_type in ("String", "Number", "Binary")
            if attr.data_type == "Binary":
                assert isinstance(base64.b64decode(attr.binary_value or ""), bytes)
            else:
                assert isinstance(attr.string_value, str)


def test_sqs_md5s_agree_with_sqs(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto computes MD5OfMessageBody and MD5OfMessageAttributes as SQS does."""
    import boto3
    from moto import mock_aws

    for var, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(var, value)
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="oracle")["QueueUrl"]

        @settings(max_examples=30, deadline=None)
        @given(lst.sqs_events(max_records=3))
        def check(event: dict[str, Any]) -> None:
            for record in event["Records"]:
                attributes = {
                    name: ({"DataType": a["dataType"], "BinaryValue": base64.b64decode(a["binaryValue"])}
                           if a["dataType"] == "Binary" else {"DataType": a["dataType"], "StringValue": a["stringValue"]})
                    for name, a in record["messageAttributes"].items()
                }
                sent = sqs.send_message(QueueUrl=url, MessageBody=record["body"], MessageAttributes=attributes)
                assert sent["MD5OfMessageBody"] == record["md5OfBody"]
                if attributes:
                    assert sent["MD5OfMessageAttributes"] == record["md5OfMessageAttributes"]

        check()


# ---------------------------------------------------------------------------------
# SNS
# ---------------------------------------------------------------------------------
@ORACLE
@given(lst.sns_events())
def test_sns_events_read_by_powertools(event: dict[str, Any]) -> None:
    assert_fields_match(event, ["sns"], opaque={"Records[].Sns.MessageAttributes"})
    parsed = SNSEvent(event)
    assert parsed.sns_message == event["Records"][0]["Sns"]["Message"]
    for record in parsed.records:
        assert record.event_source == "aws:sns" and record.event_version == "1.0"
        assert record.event_subscription_arn.startswith(record.sns.topic_arn + ":")
        sns = record.sns
        for value in (sns.signature_version, sns.timestamp, sns.signature, sns.signing_cert_url, sns.message_id,
                      sns.message, sns.get_type, sns.unsubscribe_url, sns.topic_arn):
            assert isinstance(value, str)
        assert sns.subject is None or isinstance(sns.subject, str)
        for attr in sns.message_attributes.values():
            assert isinstance(attr.get_type, str) and isinstance(attr.value, str)


# ---------------------------------------------------------------------------------
# EventBridge
# ---------------------------------------------------------------------------------
@ORACLE
@given(lst.eventbridge_events())
def test_eventbridge_events_read_by_powertools(event: dict[str, Any]) -> None:
    assert_fields_match(event, ["eventbridge"], opaque={"detail"}, conditional={"replay-name"})
    parsed = EventBridgeEvent(event)
    for value in (parsed.get_id, parsed.version, parsed.account, parsed.time, parsed.region, parsed.source,
                  parsed.detail_type):
        assert isinstance(value, str)
    assert isinstance(parsed.resources, list) and isinstance(parsed.detail, dict)
    assert parsed.replay_name is None


@ORACLE
@given(lst.scheduled_events())
def test_scheduled_events_read_by_powertools(event: dict[str, Any]) -> None:
    assert_fields_match(event, ["scheduled"], also=["eventbridge"], opaque={"detail"})
    assert event["version"] == sample("eventbridge")["version"]  # every EventBridge envelope has one
    parsed = EventBridgeEvent(event)
    assert parsed.detail_type == "Scheduled Event" and parsed.source == "aws.events"
    assert parsed.resources[0].startswith(f"arn:aws:events:{parsed.region}:{parsed.account}:rule/") or \
        parsed.region.startswith(("cn-", "us-gov-"))
    assert parsed.detail == {}


# ---------------------------------------------------------------------------------
# DynamoDB Streams
# ---------------------------------------------------------------------------------
DYNAMODB_IMAGES = {"Records[].dynamodb.Keys", "Records[].dynamodb.NewImage", "Records[].dynamodb.OldImage"}


@ORACLE
@given(lst.dynamodb_stream_events())
def test_dynamodb_stream_events_read_by_powertools(event: dict[str, Any]) -> None:
    assert_fields_match(event, ["dynamodb"], also=["dynamodb-ttl-user-identity"], opaque=DYNAMODB_IMAGES,
                        conditional=DYNAMODB_IMAGES)
    for record in DynamoDBStreamEvent(event).records:
        assert isinstance(record.event_name, DynamoDBRecordEventName)
        assert isinstance(record.event_id, str) and isinstance(record.event_source_arn, str)
        body = record.dynamodb
        assert body is not None
        assert isinstance(body.stream_view_type, StreamViewType)
        assert isinstance(body.approximate_creation_date_time, int)
        assert isinstance(body.size_bytes, int) and isinstance(body.sequence_number, str)
        keys, new, old = body.keys, body.new_image, body.old_image  # deserialise DynamoDB JSON
        assert keys and isinstance(new, dict) and isinstance(old, dict)
        for image in (new, old):
            if image:
                assert {k: image[k] for k in keys} == keys
        if record.event_name is DynamoDBRecordEventName.INSERT:
            assert old == {}
        if record.event_name is DynamoDBRecordEventName.REMOVE:
            assert new == {}


@ORACLE
@given(st.dictionaries(st.text(min_size=1, max_size=5).filter(lambda k: k != "id"),
                       st.one_of(st.text(max_size=5), st.integers(-(10**20), 10**20), st.booleans(), st.none()),
                       max_size=4),
       st.text(min_size=1, max_size=5), st.data())
def test_dynamodb_new_image_deserialises_to_the_item(attributes: dict[str, Any], key: str,
                                                     data: st.DataObject) -> None:
    item = {**attributes, "id": key}
    event = data.draw(lst.dynamodb_stream_events(event_name="INSERT", stream_view_type="NEW_IMAGE",
                                                 new_images=st.just(item)))
    expected = {k: decimal.Decimal(v) if isinstance(v, int) and not isinstance(v, bool) else v
                for k, v in item.items()}
    for record in DynamoDBStreamEvent(event).records:
        assert record.dynamodb is not None
        assert record.dynamodb.new_image == expected
        assert record.dynamodb.keys == {"id": key}


# ---------------------------------------------------------------------------------
# Kinesis
# ---------------------------------------------------------------------------------
@ORACLE
@given(lst.kinesis_events())
def test_kinesis_events_read_by_powertools(event: dict[str, Any]) -> None:
    assert_fields_match(event, ["kinesis"])
    for record in KinesisStreamEvent(event).records:
        payload = record.kinesis
        assert isinstance(payload.data_as_bytes(), bytes)
        assert isinstance(payload.partition_key, str) and isinstance(payload.sequence_number, str)
        assert isinstance(payload.approximate_arrival_timestamp, float)
        assert payload.kinesis_schema_version == "1.0"
        assert record.event_name == "aws:kinesis:record" and record.event_source == "aws:kinesis"
        assert record.event_id.endswith(payload.sequence_number)
        assert isinstance(record.invoke_identity_arn, str) and isinstance(record.aws_region, str)


@ORACLE
@given(st.text(max_size=30), st.data())
def test_kinesis_text_payloads_read_back(text: str, data: st.DataObject) -> None:
    event = data.draw(lst.kinesis_events(data=st.just(text.encode("utf-8"))))
    for record in KinesisStreamEvent(event).records:
        assert record.kinesis.data_as_text() == text


# ---------------------------------------------------------------------------------
# API Gateway
# ---------------------------------------------------------------------------------
REST_PAYLOADS = {"headers", "multiValueHeaders", "queryStringParameters", "multiValueQueryStringParameters",
                 "pathParameters", "stageVariables", "requestContext.authorizer.claims"}
HTTP_PAYLOADS = {"headers", "queryStringParameters", "pathParameters", "stageVariables",
                 "requestContext.authorizer.jwt.claims", "requestContext.authorizer.lambda"}


@ORACLE
@given(lst.api_gateway_events(version="1.0"))
def test_rest_api_events_read_by_powertools(event: dict[str, Any]) -> None:
    authorizer = event["requestContext"].get("authorizer", {})
    if "principalId" in authorizer:  # the rest is the Lambda authorizer's own context: a payload
        event = {**event, "requestContext": {**event["requestContext"],
                                             "authorizer": {"principalId": authorizer["principalId"]}}}
    assert_fields_match(event, ["apigateway-rest"], also=["apigateway-rest-lambda-authorizer"],
                        opaque=REST_PAYLOADS, documented={"requestContext.authorizer.claims"})
    parsed = APIGatewayProxyEvent(event)
    assert parsed.http_method in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
    assert parsed.path.startswith("/") and parsed.resource == parsed.path
    assert isinstance(parsed.headers, dict) and isinstance(parsed.multi_value_headers, dict)
    assert parsed.headers.get("host") == parsed.request_context.domain_name  # case-insensitive
    assert isinstance(parsed.resolved_query_string_parameters, dict)
    assert parsed.query_string_parameters is None or isinstance(parsed.query_string_parameters, dict)
    ctx = parsed.request_context
    assert isinstance(ctx.request_id, str) and isinstance(ctx.stage, str) and ctx.http_method == parsed.http_method
    assert isinstance(ctx.request_time_epoch, int) and isinstance(ctx.identity.source_ip, str)
    assert ctx.account_id == event["requestContext"]["accountId"] and isinstance(ctx.api_id, str)
    assert isinstance(parsed.is_base64_encoded, bool)
    if parsed.body is not None and not parsed.is_base64_encoded:
        assert parsed.decoded_body == parsed.body
    if parsed.is_base64_encoded:
        assert isinstance(base64.b64decode(parsed.body or ""), bytes)


@ORACLE
@given(lst.api_gateway_events(version="2.0"))
def test_http_api_events_read_by_powertools(event: dict[str, Any]) -> None:
    assert_fields_match(event, ["apigateway-http", "apigateway-http-docs"],
                        also=["apigateway-http-jwt-authorizer", "apigateway-http-lambda-authorizer",
                              "apigateway-http-iam"],
                        opaque=HTTP_PAYLOADS)
    parsed = APIGatewayProxyEventV2(event)
    assert parsed.version == "2.0" and parsed.route_key == "$default"
    assert parsed.raw_path.startswith("/") and isinstance(parsed.raw_query_string, str)
    assert parsed.http_method == parsed.request_context.http.method
    assert isinstance(parsed.path, str) and isinstance(parsed.headers, dict)
    assert isinstance(parsed.cookies, list)
    ctx = parsed.request_context
    assert isinstance(ctx.request_id, str) and isinstance(ctx.time_epoch, int)
    assert isinstance(ctx.http.source_ip, str) and ctx.http.path == parsed.raw_path
    assert isinstance(parsed.query_string_parameters, dict)
    if parsed.body is not None and not parsed.is_base64_encoded:
        assert parsed.decoded_body == parsed.body


# ---------------------------------------------------------------------------------
# every source together
# ---------------------------------------------------------------------------------
PARSERS: dict[str, Any] = {
    "aws:s3": S3Event, "aws:sqs": SQSEvent, "aws:sns": SNSEvent, "aws:dynamodb": DynamoDBStreamEvent,
    "aws:kinesis": KinesisStreamEvent,
}


@ORACLE
@given(lst.events())
def test_any_event_is_read_by_its_powertools_class(event: dict[str, Any]) -> None:
    if "Records" in event:
        record = event["Records"][0]
        source = record.get("eventSource") or record.get("EventSource")
        parsed = PARSERS[source](event)
        assert len(list(parsed.records)) == len(event["Records"])
    elif "detail-type" in event:
        assert EventBridgeEvent(event).detail_type == event["detail-type"]
    elif event.get("version") == "2.0":
        assert APIGatewayProxyEventV2(event).raw_path == event["rawPath"]
    else:
        assert APIGatewayProxyEvent(event).http_method == event["httpMethod"]


# ---------------------------------------------------------------------------------
# contexts
# ---------------------------------------------------------------------------------
PY3_MEMBERS = {"function_name", "function_version", "invoked_function_arn", "memory_limit_in_mb", "aws_request_id",
               "log_group_name", "log_stream_name", "identity", "client_context", "tenant_id",
               "get_remaining_time_in_millis", "log"}


def _public(obj: object) -> set[str]:
    return {name for name in dir(obj) if not name.startswith("_")}


@ORACLE
@given(lst.lambda_contexts())
def test_contexts_have_what_powertools_and_the_runtime_give(ctx: GeneratedLambdaContext) -> None:
    from pytest_lambda_async import LambdaContext as RuntimeContext

    assert _public(PowertoolsLambdaContext) <= _public(ctx)
    runtime = RuntimeContext(function_name=ctx.function_name, memory_limit_in_mb=ctx.memory_limit_in_mb)
    assert PY3_MEMBERS <= _public(runtime) and PY3_MEMBERS <= _public(ctx)
    for name in PY3_MEMBERS - {"identity", "get_remaining_time_in_millis", "log"}:
        assert type(getattr(ctx, name)) is type(getattr(runtime, name)), name
    assert _public(runtime.identity) >= {"cognito_identity_id", "cognito_identity_pool_id"}
    assert isinstance(ctx.get_remaining_time_in_millis(), int)


# ---------------------------------------------------------------------------------
# fields the first version lacked: TTL deletes, tumbling windows, authorizers
# ---------------------------------------------------------------------------------
@ORACLE
@given(lst.dynamodb_stream_events(event_name="REMOVE"))
def test_dynamodb_ttl_deletes_carry_the_service_identity(event: dict[str, Any]) -> None:
    """Only Time to Live deletes carry ``userIdentity``, exactly as the DynamoDB guide shows it."""
    (expected,) = sample("dynamodb-ttl-user-identity")["Records"]
    for record in DynamoDBStreamEvent(event).records:
        assert record.user_identity in ({}, expected["userIdentity"])


def test_dynamodb_user_identity_only_on_remove() -> None:
    @settings(max_examples=40, deadline=None, database=None)
    @given(lst.dynamodb_stream_events(event_name="INSERT") | lst.dynamodb_stream_events(event_name="MODIFY"))
    def check(event: dict[str, Any]) -> None:
        assert all("userIdentity" not in r for r in event["Records"])

    check()
    seen = find(lst.dynamodb_stream_events(event_name="REMOVE"),
                lambda e: any("userIdentity" in r for r in e["Records"]), settings=FIND)
    assert seen["Records"][-1]["userIdentity"] == sample("dynamodb-ttl-user-identity")["Records"][0]["userIdentity"]


WINDOW_FIELDS = {"window", "state", "shardId", "eventSourceARN", "isFinalInvokeForWindow", "isWindowTerminatedEarly"}


@ORACLE
@given(lst.kinesis_events(tumbling_window=True))
def test_kinesis_tumbling_windows_match_aws_sample(event: dict[str, Any]) -> None:
    assert_fields_match(event, ["kinesis-tumbling-window"], also=["kinesis"], opaque={"state"})
    parsed = KinesisStreamEvent(event)
    assert parsed.window is not None and isinstance(parsed.state, dict)
    start = datetime.fromisoformat(parsed.window.start.replace("Z", "+00:00")).timestamp()
    end = datetime.fromisoformat(parsed.window.end.replace("Z", "+00:00")).timestamp()
    assert 1 <= end - start <= 900
    for record in parsed.records:
        assert start <= record.kinesis.approximate_arrival_timestamp < end
        assert record.event_id.startswith(parsed.shard_id + ":")
        assert record.event_source_arn == parsed.event_source_arn
    assert parsed.is_final_invoke_for_window or not parsed.is_window_terminated_early


@ORACLE
@given(lst.dynamodb_stream_events(tumbling_window=True))
def test_dynamodb_tumbling_windows_match_aws_sample(event: dict[str, Any]) -> None:
    assert_fields_match(event, ["dynamodb-tumbling-window"], also=["dynamodb", "dynamodb-ttl-user-identity"],
                        opaque=DYNAMODB_IMAGES | {"state"}, conditional=DYNAMODB_IMAGES)
    parsed = DynamoDBStreamEvent(event)
    assert parsed.window is not None and isinstance(parsed.state, dict)
    start = datetime.fromisoformat(parsed.window.start.replace("Z", "+00:00")).timestamp()
    end = datetime.fromisoformat(parsed.window.end.replace("Z", "+00:00")).timestamp()
    for record in parsed.records:
        assert record.dynamodb is not None and record.event_source_arn == parsed.event_source_arn
        assert start <= (record.dynamodb.approximate_creation_date_time or 0) < end


@ORACLE
@given(lst.kinesis_events() | lst.dynamodb_stream_events())
def test_plain_stream_batches_have_no_window_fields(event: dict[str, Any]) -> None:
    assert not WINDOW_FIELDS & set(event)


@ORACLE
@given(st.sampled_from(["NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS"]), st.data())
def test_rest_api_authorizers(authorization_type: str, data: st.DataObject) -> None:
    event = data.draw(lst.api_gateway_events(version="1.0", authorization_type=authorization_type,
                                             authorizer_contexts=st.just({"clientId": 1, "clientName": "Exata"})))
    # With the published sample's context, the Lambda authorizer event matches it field for field.
    assert_fields_match(event, ["apigateway-rest"], also=["apigateway-rest-lambda-authorizer"],
                        opaque=REST_PAYLOADS, documented={"requestContext.authorizer.claims"})
    ctx = APIGatewayProxyEvent(event).request_context
    if authorization_type == "NONE":
        assert "authorizer" not in event["requestContext"] and ctx.identity.user_arn is None
    elif authorization_type == "AWS_IAM":
        assert "authorizer" not in event["requestContext"]
        assert ctx.identity.access_key is not None and ctx.identity.access_key.startswith("ASIA")
        assert ctx.identity.account_id == ctx.account_id
        region = event["requestContext"]["domainName"].split(".")[2]
        partition = {"cn": "aws-cn"}.get(region[:2], "aws-us-gov" if region.startswith("us-gov-") else "aws")
        assert (ctx.identity.user_arn or "").startswith(f"arn:{partition}:sts::{ctx.account_id}:assumed-role/")
    elif authorization_type == "CUSTOM":
        authorizer = event["requestContext"]["authorizer"]
        assert set(authorizer) == set(sample("apigateway-rest-lambda-authorizer")["requestContext"]["authorizer"])
        assert ctx.authorizer.principal_id == authorizer["principalId"]
    else:
        claims = ctx.authorizer.claims
        assert claims is not None and claims["token_use"] == "id"
        assert claims["iss"].startswith(f"https://cognito-idp.{event['requestContext']['domainName'].split('.')[2]}.")
        assert all(isinstance(v, str) for v in claims.values())


@ORACLE
@given(st.sampled_from(["NONE", "AWS_IAM", "CUSTOM", "JWT"]), st.data())
def test_http_api_authorizers(authorization_type: str, data: st.DataObject) -> None:
    event = data.draw(lst.api_gateway_events(version="2.0", authorization_type=authorization_type))
    assert_fields_match(event, ["apigateway-http", "apigateway-http-docs"],
                        also=["apigateway-http-jwt-authorizer", "apigateway-http-lambda-authorizer",
                              "apigateway-http-iam"], opaque=HTTP_PAYLOADS)
    authorizer = APIGatewayProxyEventV2(event).request_context.authorizer
    kinds = {"NONE": set(), "AWS_IAM": {"iam"}, "CUSTOM": {"lambda"}, "JWT": {"jwt"}}
    assert set(event["requestContext"].get("authorizer", {})) == kinds[authorization_type]
    if authorization_type == "JWT":
        assert isinstance(authorizer.jwt_claim, dict) and authorizer.jwt_claim["token_use"] == "id"
    elif authorization_type == "AWS_IAM":
        iam = authorizer.iam
        assert iam.access_key.startswith("ASIA") and iam.account_id == event["requestContext"]["accountId"]
        assert iam.caller_id.split(":")[0] == iam.user_id
    elif authorization_type == "CUSTOM":
        assert isinstance(authorizer.get_lambda, dict)


# ---------------------------------------------------------------------------------
# the oracle itself
# ---------------------------------------------------------------------------------
def test_field_set_oracle_catches_missing_and_invented_fields() -> None:
    event = find(lst.sqs_events(max_records=1), lambda e: True, settings=FIND)
    assert_fields_match(event, ["sqs-standard"], opaque={"Records[].messageAttributes"})
    invented = {"Records": [{**event["Records"][0], "messageGroupId": "g"}]}
    with pytest.raises(AssertionError, match=r"in no published sample \['Records\[\]\.messageGroupId'\]"):
        assert_fields_match(invented, ["sqs-standard"], opaque={"Records[].messageAttributes"})
    record = dict(event["Records"][0])
    del record["md5OfBody"]
    with pytest.raises(AssertionError, match=r"missing \['Records\[\]\.md5OfBody'\]"):
        assert_fields_match({"Records": [record]}, ["sqs-standard"], opaque={"Records[].messageAttributes"})


def test_samples_are_the_published_files() -> None:
    """Every sample is named, with its source, in the README next to it."""
    readme = (SAMPLES_DIR / "README.md").read_text()
    names = sorted(p.name for p in SAMPLES_DIR.glob("*.json"))
    assert names and all(f"`{name}`" in readme for name in names)
