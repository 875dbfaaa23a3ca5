"""One property test per event source, written with ``pytest_lambda_async.strategies``.

Each handler reads its event the way production code does. Two of them carry
a bug the strategies find (marked ``xfail(strict=True)``): an S3 handler that
forgets object keys arrive URL-encoded, and an SQS consumer that counts a
message again when the service delivers it again. The example budget is small
(``max_examples=10``, and no "explain" phase, which re-runs a failing example
many times to annotate it) so this suite stays fast; use Hypothesis's defaults
in your own.
"""

import base64
import json
from urllib.parse import unquote_plus

import pytest
from boto3.dynamodb.types import TypeDeserializer
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from pytest_lambda_async import LambdaInvoker
from pytest_lambda_async import strategies as lst

FAST = settings(max_examples=10, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink])

order_json = st.fixed_dictionaries({"order_id": st.uuids().map(str), "total": st.integers(0, 10**6)})


# -- S3: keys arrive form-URL-encoded ("my photo.jpg" -> "my+photo.jpg") ----------
def thumbnail_keys(event, context):  # buggy
    return [f"thumbnails/{r['s3']['object']['key']}" for r in event["Records"]]


def thumbnail_keys_decoded(event, context):  # fixed
    return [f"thumbnails/{unquote_plus(r['s3']['object']['key'])}" for r in event["Records"]]


@pytest.mark.parametrize("handler", [
    pytest.param(thumbnail_keys, marks=pytest.mark.xfail(strict=True, reason="keys arrive URL-encoded")),
    thumbnail_keys_decoded,
])
def test_s3_thumbnails_are_named_after_the_object(handler):
    @FAST
    @given(key=st.text(min_size=1, max_size=20), data=st.data())
    def check(key, data):
        event = data.draw(lst.s3_events(bucket="uploads", event_name="ObjectCreated:Put", keys=st.just(key)))
        assert handler(event, None) == [f"thumbnails/{key}"] * len(event["Records"])

    check()


# -- SQS: partial batch responses name only messages of this batch ----------------
def process_orders(event, context):
    failures = []
    for record in event["Records"]:
        order = json.loads(record["body"])
        if order["total"] > 500_000:  # refused: let SQS redeliver it
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


@FAST
@given(event=lst.sqs_events(queue_name="orders", bodies=st.builds(json.dumps, order_json)))
def test_sqs_partial_batch_response(event):
    result = process_orders(event, None)
    ids = {r["messageId"] for r in event["Records"]}
    assert {f["itemIdentifier"] for f in result["batchItemFailures"]} <= ids


# -- SNS: exactly one record, the message as a string -----------------------------
def forward_alert(event, context):
    (record,) = event["Records"]
    return {"subject": record["Sns"]["Subject"] or "(no subject)", "alert": json.loads(record["Sns"]["Message"])}


@FAST
@given(event=lst.sns_events(topic_name="alerts", messages=st.builds(json.dumps, order_json)))
def test_sns_alerts_are_forwarded(event):
    forwarded = forward_alert(event, None)
    assert forwarded["alert"] == json.loads(event["Records"][0]["Sns"]["Message"])


# -- EventBridge: detail-type and detail ------------------------------------------
LEDGER = {}


def record_order(event, context):
    if event["detail-type"] == "Order Placed":
        LEDGER[event["detail"]["order_id"]] = event["detail"]["total"]


@FAST
@given(event=lst.eventbridge_events(source="app.orders", detail_type="Order Placed", detail=order_json))
def test_eventbridge_order_placed(event):
    record_order(event, None)
    assert LEDGER[event["detail"]["order_id"]] == event["detail"]["total"]


# -- scheduled events: the rule's time, whole seconds ------------------------------
def report_name(event, context):
    return f"report-{event['time'][:10]}"


@FAST
@given(event=lst.scheduled_events(rule="nightly-report"))
def test_scheduled_report_is_named_after_the_day(event):
    assert report_name(event, None) == f"report-{event['time'][:10]}"
    assert event["resources"][0].endswith(":rule/nightly-report")


# -- DynamoDB Streams: images in DynamoDB JSON -------------------------------------
def status_changes(event, context):
    deserialize = TypeDeserializer().deserialize
    changes = []
    for record in event["Records"]:
        if record["eventName"] != "MODIFY":
            continue
        new = {k: deserialize(v) for k, v in record["dynamodb"].get("NewImage", {}).items()}
        changes.append((new.get("id"), new.get("status")))
    return changes


@FAST
@given(event=lst.dynamodb_stream_events(
    table="orders", event_name="MODIFY", stream_view_type="NEW_AND_OLD_IMAGES",
    new_images=st.fixed_dictionaries({"id": st.text(min_size=1, max_size=8),
                                      "status": st.sampled_from(["new", "paid"])})))
def test_dynamodb_status_changes_are_audited(event):
    changes = status_changes(event, None)
    assert len(changes) == len(event["Records"])
    assert all(status in ("new", "paid") for _, status in changes)


# -- Kinesis: base64 data ------------------------------------------------------------
def count_clicks(event, context):
    return sum(json.loads(base64.b64decode(r["kinesis"]["data"]))["clicks"] for r in event["Records"])


@FAST
@given(clicks=st.lists(st.integers(0, 100), min_size=1, max_size=5), data=st.data())
def test_kinesis_clicks_are_counted(clicks, data):
    payloads = st.sampled_from(clicks).map(lambda n: json.dumps({"clicks": n}).encode())
    event = data.draw(lst.kinesis_events(stream_name="clicks", data=payloads))
    total = sum(json.loads(base64.b64decode(r["kinesis"]["data"]))["clicks"] for r in event["Records"])
    assert count_clicks(event, None) == total


# -- tumbling windows: the state a window carries from one invocation to the next ----
def add_clicks(event, context):
    total = event["state"].get("clicks", 0)
    total += sum(json.loads(base64.b64decode(r["kinesis"]["data"]))["clicks"] for r in event["Records"])
    return {"state": {"clicks": total}}


@FAST
@given(event=lst.kinesis_events(tumbling_window=True, states=st.fixed_dictionaries({"clicks": st.integers(0, 10**6)}),
                                data=st.integers(0, 100).map(lambda n: json.dumps({"clicks": n}).encode())))
def test_window_totals(event):
    result = add_clicks(event, None)
    assert result["state"]["clicks"] >= event["state"]["clicks"]


# -- API Gateway: REST (1.0) and HTTP API (2.0) payloads -----------------------------
def create_order(event, context):
    method = event.get("httpMethod") or event["requestContext"]["http"]["method"]
    if method != "POST":
        return {"statusCode": 405}
    body = base64.b64decode(event["body"]) if event["isBase64Encoded"] else event["body"]
    return {"statusCode": 201, "body": json.dumps({"order_id": json.loads(body)["order_id"]})}


@FAST
@given(event=lst.api_gateway_events(method="POST", path="/orders", bodies=st.builds(json.dumps, order_json)))
def test_api_gateway_create_order_answers_201(event):
    assert create_order(event, None)["statusCode"] == 201


@FAST
@given(event=lst.api_gateway_events(version="2.0", authorization_type="JWT"))
def test_http_api_reads_the_callers_jwt_claims(event):
    claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    assert claims["iss"].startswith("https://cognito-idp.") and claims["sub"]


# -- any event: a router that never crashes ------------------------------------------
def route(event, context):
    if "Records" in event:
        record = event["Records"][0]
        return (record.get("eventSource") or record["EventSource"]).split(":")[1]
    if "detail-type" in event:
        return "events"
    return "http"


@FAST
@given(event=lst.events())
def test_router_knows_every_source(event):
    assert route(event, None) in {"s3", "sqs", "sns", "events", "dynamodb", "kinesis", "http"}


# -- delivery histories: the same message delivered again, retried, throttled --------
COUNTS = {}


def count_message(event, context):  # buggy
    for record in event["Records"]:
        COUNTS[record["messageId"]] = COUNTS.get(record["messageId"], 0) + 1


def count_message_once(event, context):  # fixed
    for record in event["Records"]:
        COUNTS.setdefault(record["messageId"], 1)  # in production: a conditional put keyed on the id


@pytest.mark.parametrize("handler", [
    pytest.param(count_message, marks=pytest.mark.xfail(strict=True, reason="a duplicate delivery counts twice")),
    count_message_once,
])
def test_each_message_is_counted_once_whatever_the_service_does(handler):
    @FAST
    @given(event=lst.sqs_events(queue_name="orders", bodies=st.just('{"order_id": "o-1"}'), max_records=2),
           history=lst.delivery_histories(sdk_failures=False, concurrent=False, max_throttles=1))
    def check(event, history):
        COUNTS.clear()
        with LambdaInvoker(seed=0) as inv:  # a fresh invoker per example, closed after it
            inv.register("counter", handler)
            history.apply(inv, "counter", event)
        assert COUNTS == {r["messageId"]: 1 for r in event["Records"]}, str(history)

    check()


# -- late deliveries: a redelivery with a new request id, 2 s to 6 h later; a late retry -----
RECORDS = {}  # messageId -> when its deduplication record expires
CREDITED = []


def credit_once_for_an_hour(event, context):  # buggy
    _credit_once(event, ttl=3600)  # Powertools' default expiry


def credit_once(event, context):  # fixed
    _credit_once(event, ttl=7 * 3600)  # longer than the maximum event age (6 h)


def _credit_once(event, ttl):
    import time

    for record in event["Records"]:
        key = record["messageId"]  # SQS keeps it when it delivers the message again
        if RECORDS.get(key, 0) > time.time():
            continue
        RECORDS[key] = time.time() + ttl
        CREDITED.append(key)


@pytest.mark.parametrize("handler", [
    pytest.param(credit_once_for_an_hour, marks=pytest.mark.xfail(strict=True, reason="a redelivery 6 h later")),
    credit_once,
])
def test_credited_once_however_late_it_comes_again(handler):
    @settings(FAST, max_examples=40, derandomize=True)
    @given(event=lst.sqs_events(max_records=1),
           history=lst.delivery_histories(redeliveries=True, late=True, starts=True, sdk_failures=False,
                                          concurrent=False))
    def check(event, history):
        RECORDS.clear()
        CREDITED.clear()
        with LambdaInvoker(seed=0) as inv:
            inv.register("credit", handler)
            history.apply(inv, "credit", event)
        assert CREDITED == [event["Records"][0]["messageId"]], str(history)

    check()


# -- contexts: memory is a str, the deadline comes from the context -------------------
def plan_batch(event, context):
    per_item_ms = 5
    budget = max(context.get_remaining_time_in_millis() - 100, 0)
    return {"items": min(len(event["items"]), budget // per_item_ms), "memory_mb": int(context.memory_limit_in_mb)}


@FAST
@given(context=lst.lambda_contexts(timeout=30, memory_size=512))
def test_batch_fits_in_the_time_left(context):
    plan = plan_batch({"items": list(range(1000))}, context)
    assert plan["items"] * 5 <= max(context.get_remaining_time_in_millis() - 100, 0)
    assert plan["memory_mb"] == 512
