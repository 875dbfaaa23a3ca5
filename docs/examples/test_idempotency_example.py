"""Loyalty points: add them once per purchase, whatever the service delivers.

A purchase event adds points to the customer's balance in DynamoDB. AWS
delivers the event at least once: a duplicate arrives even when nothing
failed (Q-2), and a failed attempt is retried after the work it already did
(RET-1). ``check_idempotent`` searches those histories on moto, including an
AWS SDK call failing before it takes effect or after, with its response lost.

Two buggy handlers (marked ``xfail(strict=True)``: the check must catch them)
and the fix:

- ``add_points`` adds the points on every delivery: a duplicate adds them twice;
- ``mark_then_add`` remembers the purchase first, then adds the points: when
  the second call fails, the retry finds the mark and the points are lost;
- ``add_points_once`` adds the points and records the purchase id in one
  conditional write, so a later delivery of the same purchase changes nothing.
"""

import boto3
import pytest
from hypothesis import strategies as st
from moto import mock_aws

from pytest_lambda_async import check_idempotent

dynamodb = None  # the handlers' client: made at import in production, here once moto is on

purchases = st.fixed_dictionaries({
    "purchase_id": st.uuids().map(str),
    "customer": st.sampled_from(["c-1", "c-2"]),
    "points": st.integers(1, 500),
})


def _customer(event):
    return {"customer": {"S": event["customer"]}}


def add_points(event, context):  # buggy
    dynamodb.update_item(TableName="loyalty", Key=_customer(event), UpdateExpression="ADD points :p",
                         ExpressionAttributeValues={":p": {"N": str(event["points"])}})


def mark_then_add(event, context):  # buggy
    try:
        dynamodb.put_item(TableName="purchases", Item={"purchase_id": {"S": event["purchase_id"]}},
                          ConditionExpression="attribute_not_exists(purchase_id)")
    except dynamodb.exceptions.ConditionalCheckFailedException:
        return  # seen before
    add_points(event, context)


def add_points_once(event, context):  # fixed
    try:
        dynamodb.update_item(
            TableName="loyalty", Key=_customer(event),
            UpdateExpression="ADD points :p, purchases :id",
            ConditionExpression="attribute_not_exists(purchases) OR NOT contains(purchases, :pid)",
            ExpressionAttributeValues={":p": {"N": str(event["points"])}, ":id": {"SS": [event["purchase_id"]]},
                                       ":pid": {"S": event["purchase_id"]}})
    except dynamodb.exceptions.ConditionalCheckFailedException:
        pass  # this purchase's points are already there


@pytest.fixture
def tables():
    global dynamodb
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        for name, key in (("loyalty", "customer"), ("purchases", "purchase_id")):
            dynamodb.create_table(TableName=name, KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
                                  AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
                                  BillingMode="PAY_PER_REQUEST")
        yield


@pytest.mark.parametrize("handler", [
    pytest.param(add_points, marks=pytest.mark.xfail(strict=True, reason="a duplicate adds the points twice")),
    pytest.param(mark_then_add, marks=pytest.mark.xfail(strict=True, reason="a crash after the mark loses the points")),
    add_points_once,
])
def test_points_are_added_once_per_purchase(tables, handler):
    # Under moto the state compared is every item of every table (plus what was sent), and
    # moto is put back as it was before every run: one line.
    check_idempotent(handler, purchases, max_examples=50)
