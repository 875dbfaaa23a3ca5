"""Event sources under moto: an upload invokes a function; an SQS queue feeds another in batches.

Under ``moto.mock_aws()`` with the ``lambda_invoker`` fixture, a bucket notification invokes the
registered function asynchronously (SRC-1), so retries and destinations apply: the thumbnail service is
down, the function fails twice (one retry, a minute later) and its on-failure record lands in an SQS
queue. An SQS event source mapping invokes its function synchronously with batches (ESM-1): a batch
holding one bad message fails as a whole and comes back after the visibility timeout (ESM-6), so the
buggy handler adds the good orders again; the fix reports only the bad one (ESM-5), which the queue's
redrive policy then moves to its dead-letter queue (ESM-3).
"""

import json

import boto3
import pytest
from moto import mock_aws

REGION = "us-east-1"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:{}"


def queue_arn(sqs, url):
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


# -- S3 -> Lambda: retries, then the on-failure destination ---------------------------------
def make_thumbnail(event, context):
    raise ConnectionError("thumbnail service unavailable")


@mock_aws
def test_a_failed_upload_lands_on_the_failure_queue(lambda_invoker):
    s3 = boto3.client("s3", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    failed_url = sqs.create_queue(QueueName="thumbnails-failed")["QueueUrl"]
    lambda_invoker.register("thumbnail", make_thumbnail, max_retry_attempts=1,
                            on_failure=queue_arn(sqs, failed_url))
    s3.create_bucket(Bucket="uploads")
    s3.put_bucket_notification_configuration(Bucket="uploads", NotificationConfiguration={
        "LambdaFunctionConfigurations": [{
            "LambdaFunctionArn": FUNCTION_ARN.format("thumbnail"),
            "Events": ["s3:ObjectCreated:*"],
            "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": ".jpg"}]}},
        }]})

    s3.put_object(Bucket="uploads", Key="photos/my cat.jpg", Body=b"...")
    s3.put_object(Bucket="uploads", Key="notes.txt", Body=b"...")  # no .jpg: no notification
    attempts = lambda_invoker.run()

    assert [(a.number, a.outcome) for a in attempts] == [(1, "error"), (2, "error")]
    assert (attempts[1].at - attempts[0].at).total_seconds() == 60  # RET-1, on the virtual clock
    [message] = sqs.receive_message(QueueUrl=failed_url)["Messages"]
    record = json.loads(message["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["responsePayload"]["errorType"] == "ConnectionError"
    [upload] = record["requestPayload"]["Records"]  # the S3 event, as the function received it
    assert upload["eventName"] == "ObjectCreated:Put"
    assert upload["s3"]["object"]["key"] == "photos/my+cat.jpg"  # form-URL-encoded, as S3 sends it


# -- SQS -> Lambda: a partial batch failure ---------------------------------------------------
TOTALS = {}


def add_to_totals(event, context):  # buggy: one bad order fails the whole batch
    for record in event["Records"]:
        order = json.loads(record["body"])
        TOTALS[order["customer"]] = TOTALS.get(order["customer"], 0) + order["amount"]


def add_to_totals_reporting_failures(event, context):  # fixed: only the bad order comes back
    failures = []
    for record in event["Records"]:
        try:
            order = json.loads(record["body"])
            TOTALS[order["customer"]] = TOTALS.get(order["customer"], 0) + order["amount"]
        except (KeyError, ValueError):
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


@pytest.fixture(autouse=True)
def fresh_totals():
    TOTALS.clear()


@pytest.mark.parametrize("handler", [
    pytest.param(add_to_totals, marks=pytest.mark.xfail(strict=True, reason="one bad order fails the whole batch")),
    add_to_totals_reporting_failures,
])
@mock_aws
def test_orders_are_added_once_and_the_bad_one_ends_in_the_dlq(lambda_invoker, handler):
    sqs = boto3.client("sqs", region_name=REGION)
    dlq_url = sqs.create_queue(QueueName="orders-dlq")["QueueUrl"]
    url = sqs.create_queue(QueueName="orders", Attributes={"RedrivePolicy": json.dumps(
        {"deadLetterTargetArn": queue_arn(sqs, dlq_url), "maxReceiveCount": "2"})})["QueueUrl"]
    lambda_invoker.register("totals", handler)
    boto3.client("lambda", region_name=REGION).create_event_source_mapping(
        EventSourceArn=queue_arn(sqs, url), FunctionName="totals", BatchSize=10,
        FunctionResponseTypes=["ReportBatchItemFailures"])

    for order in ({"customer": "c-1", "amount": 10}, {"customer": "c-3"},  # no amount: a bad order
                  {"customer": "c-1", "amount": 20}, {"customer": "c-2", "amount": 5}):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(order))
    lambda_invoker.run()  # the poller, on the virtual clock: batches, visibility timeouts, the redrive

    assert TOTALS == {"c-1": 30, "c-2": 5}
    [dead] = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10)["Messages"]
    assert json.loads(dead["Body"]) == {"customer": "c-3"}
