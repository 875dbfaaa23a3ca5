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
import urllib.parse
from collections.abc import Iterable
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
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_lambda_async import strategies as lst
from pytest_lambda_async.strategies import GeneratedLambdaContext

ORACLE = settings(max_examples=50, deadline=None)

# ---------------------------------------------------------------------------------
# AWS's sample events (Lambda developer guide), as literal dicts
# ---------------------------------------------------------------------------------
S3_SAMPLE: dict[str, Any] = {
    "Records": [{
        "eventVersion": "2.0",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": "1970-01-01T00:00:00.000Z",
        "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": "EXAMPLE"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {
            "x-amz-request-id": "EXAMPLE123456789",
            "x-amz-id-2": "EXAMPLE123/5678abcdefghijklambdaisawesome/mnopqrstuvwxyzABCDEFGH",
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "testConfigRule",
            "bucket": {
                "name": "example-bucket",
                "ownerIdentity": {"principalId": "EXAMPLE"},
                "arn": "arn:aws:s3:::example-bucket",
            },
            "object": {
                "key": "test%2Fkey",
                "size": 1024,
                "eTag": "0123456789abcdef0123456789abcdef",
                "sequencer": "0A1B2C3D4E5F678901",
            },
        },
    }],
}

SQS_SAMPLE: dict[str, Any] = {
    "Records": [{
        "messageId": "059f36b4-87a3-44ab-83d2-661975830a7d",
        "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...",
        "body": "Test message.",
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1545082649183",
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": "1545082649185",
        },
        "messageAttributes": {
            "myAttribute": {"stringValue": "myValue", "stringListValues": [], "binaryListValues": [],
                            "dataType": "String"},
        },
        "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-2:123456789012:my-queue",
        "awsRegion": "us-east-2",
    }],
}

SNS_SAMPLE: dict[str, Any] = {
    "Records": [{
        "EventVersion": "1.0",
        "EventSubscriptionArn": "arn:aws:sns:us-east-1:123456789012:sns-lambda:21be56ed-a058-49f5-8c98-aedd2564c486",
        "EventSource": "aws:sns",
        "Sns": {
            "SignatureVersion": "1",
            "Timestamp": "2019-01-02T12:45:07.000Z",
            "Signature": "tcc6faL2yUC6dgZdmrwh1Y4cGa/ebXEkAi6RibDsvpi+tE/1+82j...65r==",
            "SigningCertUrl": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-ac565b8b1a6c5d002d285f9598aa1d9b.pem",
            "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
            "Message": "Hello from SNS!",
            "MessageAttributes": {
                "Test": {"Type": "String", "Value": "TestString"},
                "TestBinary": {"Type": "Binary", "Value": "TestBinary"},
            },
            "Type": "Notification",
            "UnsubscribeUrl": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn="
                              "arn:aws:sns:us-east-1:123456789012:test-lambda:21be56ed-a058-49f5-8c98-aedd2564c486",
            "TopicArn": "arn:aws:sns:us-east-1:123456789012:sns-lambda",
            "Subject": "TestInvoke",
        },
    }],
}

EVENTBRIDGE_SAMPLE: dict[str, Any] = {
    "version": "0",
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "111122223333",
    "time": "2017-12-22T18:43:48Z",
    "region": "us-west-1",
    "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
    "detail": {"instance-id": "i-1234567890abcdef0", "state": "terminated"},
}

SCHEDULED_SAMPLE: dict[str, Any] = {
    "version": "0",
    "account": "123456789012",
    "region": "us-east-2",
    "detail": {},
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "time": "2019-03-01T01:23:45Z",
    "id": "cdc73f9d-aea9-11e3-9d5a-835b769c0d9c",
    "resources": ["arn:aws:events:us-east-2:123456789012:rule/my-schedule"],
}

DYNAMODB_SAMPLE: dict[str, Any] = {
    "Records": [
        {
            "eventID": "1",
            "eventVersion": "1.0",
            "dynamodb": {
                "ApproximateCreationDateTime": 1693997155.0,
                "Keys": {"Id": {"N": "101"}},
                "NewImage": {"Message": {"S": "New item!"}, "Id": {"N": "101"}},
                "StreamViewType": "NEW_AND_OLD_IMAGES",
                "SequenceNumber": "111",
                "SizeBytes": 26,
            },
            "awsRegion": "us-west-2",
            "eventName": "INSERT",
            "eventSourceARN": "arn:aws:dynamodb:us-west-2:123456789012:table/my-table/stream/2023-06-10T19:26:16.525",
            "eventSource": "aws:dynamodb",
        },
        {
            "eventID": "2",
            "eventVersion": "1.0",
            "dynamodb": {
                "ApproximateCreationDateTime": 1693997155.0,
                "OldImage": {"Message": {"S": "New item!"}, "Id": {"N": "101"}},
                "SequenceNumber": "222",
                "Keys": {"Id": {"N": "101"}},
                "SizeBytes": 59,
                "NewImage": {"Message": {"S": "This item has changed"}, "Id": {"N": "101"}},
                "StreamViewType": "NEW_AND_OLD_IMAGES",
            },
            "awsRegion": "us-west-2",
            "eventName": "MODIFY",
            "eventSourceARN": "arn:aws:dynamodb:us-west-2:123456789012:table/my-table/stream/2023-06-10T19:26:16.525",
            "eventSource": "aws:dynamodb",
        },
    ],
}

KINESIS_SAMPLE: dict[str, Any] = {
    "Records": [{
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": "1",
            "sequenceNumber": "49590338271490256608559692538361571095921575989136588898",
            "data": "SGVsbG8sIHRoaXMgaXMgYSB0ZXN0Lg==",
            "approximateArrivalTimestamp": 1545084650.987,
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": "shardId-000000000006:49590338271490256608559692538361571095921575989136588898",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": "arn:aws:iam::123456789012:role/lambda-role",
        "awsRegion": "us-east-2",
        "eventSourceARN": "arn:aws:kinesis:us-east-2:123456789012:stream/lambda-stream",
    }],
}

REST_API_SAMPLE: dict[str, Any] = {
    "resource": "/",
    "path": "/",
    "httpMethod": "GET",
    "headers": {"Host": "70ixmpl4fl.execute-api.us-east-2.amazonaws.com", "User-Agent": "curl/7.68.0"},
    "multiValueHeaders": {"Host": ["70ixmpl4fl.execute-api.us-east-2.amazonaws.com"],
                          "User-Agent": ["curl/7.68.0"]},
    "queryStringParameters": None,
    "multiValueQueryStringParameters": None,
    "pathParameters": None,
    "stageVariables": None,
    "requestContext": {
        "resourceId": "2gxmpl",
        "resourcePath": "/",
        "httpMethod": "GET",
        "extendedRequestId": "JJbxmHc7IAMFfHQ=",
        "requestTime": "10/Mar/2020:00:03:59 +0000",
        "path": "/Prod/",
        "accountId": "123456789012",
        "protocol": "HTTP/1.1",
        "stage": "Prod",
        "domainPrefix": "70ixmpl4fl",
        "requestTimeEpoch": 1583798639428,
        "requestId": "77375676-xmpl-4b79-853a-f982474efe18",
        "identity": {
            "cognitoIdentityPoolId": None,
            "accountId": None,
            "cognitoIdentityId": None,
            "caller": None,
            "sourceIp": "52.255.255.12",
            "principalOrgId": None,
            "accessKey": None,
            "cognitoAuthenticationType": None,
            "cognitoAuthenticationProvider": None,
            "userArn": None,
            "userAgent": "curl/7.68.0",
            "user": None,
        },
        "domainName": "70ixmpl4fl.execute-api.us-east-2.amazonaws.com",
        "apiId": "70ixmpl4fl",
    },
    "body": None,
    "isBase64Encoded": False,
}

HTTP_API_SAMPLE: dict[str, Any] = {
    "version": "2.0",
    "routeKey": "$default",
    "rawPath": "/my/path",
    "rawQueryString": "parameter1=value1&parameter1=value2&parameter2=value",
    "cookies": ["cookie1", "cookie2"],
    "headers": {"header1": "value1", "header2": "value1,value2"},
    "queryStringParameters": {"parameter1": "value1,value2", "parameter2": "value"},
    "requestContext": {
        "accountId": "123456789012",
        "apiId": "api-id",
        "authentication": {"clientCert": {"clientCertPem": "CERT_CONTENT"}},
        "authorizer": {"jwt": {"claims": {"claim1": "value1"}, "scopes": ["scope1"]}},
        "domainName": "id.execute-api.us-east-1.amazonaws.com",
        "domainPrefix": "id",
        "http": {"method": "POST", "path": "/my/path", "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1",
                 "userAgent": "agent"},
        "requestId": "id",
        "routeKey": "$default",
        "stage": "$default",
        "time": "12/Mar/2020:19:03:58 +0000",
        "timeEpoch": 1583348638390,
    },
    "body": "Hello from Lambda",
    "pathParameters": {"parameter1": "value1"},
    "isBase64Encoded": False,
    "stageVariables": {"stageVariable1": "value1", "stageVariable2": "value2"},
}


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


def assert_fields_match(event: dict[str, Any], sample: dict[str, Any], *, opaque: Iterable[str] = (),
                        optional: Iterable[str] = ()) -> None:
    """The event has every field of AWS's sample and no other, except ``optional``
    ones (fields AWS sends only in some cases)."""
    opaque, optional = frozenset(opaque), frozenset(optional)
    got, want = field_paths(event, opaque), field_paths(sample, opaque)
    missing = {p for p in want - got if not _covered(p, optional)}
    extra = {p for p in got - want if not _covered(p, optional)}
    assert not missing and not extra, f"missing {sorted(missing)}, not in AWS's sample {sorted(extra)}"


# ---------------------------------------------------------------------------------
# S3
# ---------------------------------------------------------------------------------
@ORACLE
@given(lst.s3_events())
def test_s3_events_read_by_powertools(event: dict[str, Any]) -> None:
    assert_fields_match(event, S3_SAMPLE, optional={"Records[].s3.object.size", "Records[].s3.object.eTag",
                                                    "Records[].s3.object.versionId"})
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
    assert_fields_match(event, SQS_SAMPLE, opaque={"Records[].messageAttributes"},
                        optional={"Records[].md5OfMessageAttributes", "Records[].attributes.SequenceNumber",
                                  "Records[].attributes.MessageGroupId",
                                  "Records[].attributes.MessageDeduplicationId"})
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
    assert_fields_match(event, SNS_SAMPLE, opaque={"Records[].Sns.MessageAttributes"})
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
    assert_fields_match(event, EVENTBRIDGE_SAMPLE, opaque={"detail"})
    parsed = EventBridgeEvent(event)
    for value in (parsed.get_id, parsed.version, parsed.account, parsed.time, parsed.region, parsed.source,
                  parsed.detail_type):
        assert isinstance(value, str)
    assert isinstance(parsed.resources, list) and isinstance(parsed.detail, dict)
    assert parsed.replay_name is None


@ORACLE
@given(lst.scheduled_events())
def test_scheduled_events_read_by_powertools(event: dict[str, Any]) -> None:
    assert_fields_match(event, SCHEDULED_SAMPLE, opaque={"detail"})
    parsed = EventBridgeEvent(event)
    assert parsed.detail_type == "Scheduled Event" and parsed.source == "aws.events"
    assert parsed.resources[0].startswith(f"arn:aws:events:{parsed.region}:{parsed.account}:rule/") or \
        parsed.region.startswith(("cn-", "us-gov-"))
    assert parsed.detail == {}


# ---------------------------------------------------------------------------------
# DynamoDB Streams
# ---------------------------------------------------------------------------------
@ORACLE
@given(lst.dynamodb_stream_events())
def test_dynamodb_stream_events_read_by_powertools(event: dict[str, Any]) -> None:
    assert_fields_match(event, DYNAMODB_SAMPLE,
                        opaque={"Records[].dynamodb.Keys", "Records[].dynamodb.NewImage", "Records[].dynamodb.OldImage"},
                        optional={"Records[].dynamodb.NewImage", "Records[].dynamodb.OldImage"})
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
    assert_fields_match(event, KINESIS_SAMPLE)
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
@ORACLE
@given(lst.api_gateway_events(version="1.0"))
def test_rest_api_events_read_by_powertools(event: dict[str, Any]) -> None:
    assert_fields_match(event, REST_API_SAMPLE,
                        opaque={"headers", "multiValueHeaders", "queryStringParameters",
                                "multiValueQueryStringParameters", "pathParameters", "stageVariables"})
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
    assert_fields_match(event, HTTP_API_SAMPLE, opaque={"headers", "queryStringParameters", "pathParameters",
                                                        "stageVariables"},
                        optional={"cookies", "queryStringParameters", "pathParameters", "stageVariables", "body",
                                  "requestContext.authentication", "requestContext.authorizer"})
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
