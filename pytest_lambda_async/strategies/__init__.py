"""Hypothesis strategies for the events, delivery histories and contexts Lambda gives a handler.

.. code-block:: python

    from hypothesis import given
    from pytest_lambda_async import strategies as lst

    @given(event=lst.s3_events(bucket="uploads"))
    def test_thumbnails(event): ...

Every event has the exact shape AWS sends: field names, types, ARNs that agree
with ``awsRegion`` and the account, each source's timestamp format, base64
where AWS uses it, MD5s and ETags that match the bytes they describe.  Batch
sources (S3, SQS, Kinesis, DynamoDB) give 1 to ``max_records`` records.

Arguments are keyword-only and checked when the strategy is built (a bad one
raises :class:`hypothesis.errors.InvalidArgument`).  Identifiers are plain
values (``bucket="uploads"``; ``None`` means "generate one"); payloads are
strategies (``bodies=st.text()``).  No argument takes both.

Everything shrinks towards the smallest plain event: one record, the first
event name AWS lists, empty or one-character payloads, the default region
and account.  See ``docs/reference/strategies.md``.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import string
import struct
import sys
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final, Literal, Protocol, TypeVar, Union

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from .._service import aws
from . import formats as fmt

__all__ = [
    "Delivery",
    "DeliveryHistory",
    "Duplicate",
    "FunctionError",
    "GeneratedCognitoIdentity",
    "GeneratedLambdaContext",
    "SdkFailure",
    "SdkFailureKind",
    "Throttle",
    "api_gateway_events",
    "delivery_histories",
    "dynamodb_stream_events",
    "eventbridge_events",
    "events",
    "kinesis_events",
    "lambda_contexts",
    "s3_events",
    "scheduled_events",
    "sns_events",
    "sqs_events",
]

Event = dict[str, Any]
T = TypeVar("T")

_DEFAULT_MAX_RECORDS: Final = 10

# -- argument checks ---------------------------------------------------------------


def _value(value: T, arg: str) -> T:
    """Identifiers are values: refuse a strategy with a hint."""
    if isinstance(value, st.SearchStrategy):
        raise InvalidArgument(
            f"{arg}= takes a plain value, not a strategy (got {value!r}). To vary it, draw it "
            f"first: st.sampled_from([...]).flatmap(lambda v: <strategy>({arg}=v))"
        )
    return value


def _strategy(value: object, arg: str, default: st.SearchStrategy[T]) -> st.SearchStrategy[T]:
    """Payloads are strategies (``None`` means ``default``): refuse a plain value with a hint."""
    if value is None:
        return default
    if not isinstance(value, st.SearchStrategy):
        raise InvalidArgument(
            f"{arg}= takes a Hypothesis strategy, not a plain value (got {value!r}). "
            f"To pin it, pass st.just({value!r})"
        )
    return value


def _opt(value: T | None, arg: str, check: Callable[[object, str], T]) -> T | None:
    _value(value, arg)
    return None if value is None else check(value, arg)


def _max_records(value: object, hi: int) -> int:
    return fmt.check_int(_value(value, "max_records"), "max_records", 1, hi)


def _drawn_problem(arg: str, problem: str | None, value: object) -> None:
    """A user's payload strategy drew something AWS would refuse."""
    if problem is not None:
        raise InvalidArgument(f"{arg} drew {value!r}, which AWS would refuse: {problem}")


# -- building blocks ----------------------------------------------------------------
_EPOCH_MIN: Final = _dt.datetime(2020, 1, 1, tzinfo=_dt.timezone.utc)
_EPOCH_SPAN_MS: Final = 16 * 365 * 24 * 3600 * 1000  # to the end of 2035


def _ms_after_epoch(ms: int) -> _dt.datetime:
    return _EPOCH_MIN + _dt.timedelta(milliseconds=ms)


def _times() -> st.SearchStrategy[_dt.datetime]:
    """UTC datetimes with millisecond precision, 2020 to 2035; they shrink to
    2020-01-01T00:00:00.000Z.  One integer each, so they shrink in a few steps."""
    return st.integers(0, _EPOCH_SPAN_MS).map(_ms_after_epoch)


def _regions(region: str | None) -> st.SearchStrategy[str]:
    return st.just(region) if region is not None else st.sampled_from(fmt.REGIONS)


def _accounts(account: str | None) -> st.SearchStrategy[str]:
    if account is not None:
        return st.just(account)
    return st.one_of(st.just(fmt.DEFAULT_ACCOUNT),
                     st.integers(0, 10**12 - 1).map(lambda n: f"{n:012d}"))


def _names(pinned: str | None, plain: str, pattern: str,
           check: Callable[[object, str], str] | None = None) -> st.SearchStrategy[str]:
    """A pinned name, else the plain name first then names matching ``pattern``."""
    if pinned is not None:
        return st.just(pinned)
    generated = st.from_regex(pattern, fullmatch=True)
    if check is not None:
        generated = generated.filter(lambda name: _passes(check, name))
    return st.one_of(st.just(plain), generated)


def _passes(check: Callable[[object, str], str], name: str) -> bool:
    try:
        check(name, "name")
    except InvalidArgument:
        return False
    return True


# One integer per record from which its incidental ids are derived (see fmt.Noise).
_noises: Final = st.integers(0, 2**32 - 1).map(fmt.Noise)

_printable: Final = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Co", "Cn"))
# Characters SQS and SNS accept in message bodies.
_message_chars: Final = st.characters(codec="utf-8", exclude_characters=fmt.XML_EXCLUDED_CHARACTERS)

_json_scalars: Final = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**53), 2**53), st.text(max_size=10),
    st.floats(allow_nan=False, allow_infinity=False),
)
_json_values: Final = st.recursive(
    _json_scalars,
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(st.text(max_size=10), children, max_size=3)),
    max_leaves=6,
)
_json_objects: Final = st.dictionaries(st.text(max_size=10), _json_values, max_size=3)


def _batch(records: st.SearchStrategy[Event], max_records: int,
           unique_by: Callable[[Event], Any]) -> st.SearchStrategy[list[Event]]:
    return st.lists(records, min_size=1, max_size=max_records, unique_by=unique_by)


# ==================================================================================
# S3
# ==================================================================================
_S3_PLAIN_BUCKET: Final = "example-bucket"
_s3_key_chars: Final = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs"))


def s3_events(
    *,
    bucket: str | None = None,
    region: str | None = None,
    event_name: str | None = None,
    keys: st.SearchStrategy[str] | None = None,
    contents: st.SearchStrategy[bytes] | None = None,
    max_records: int = _DEFAULT_MAX_RECORDS,
) -> st.SearchStrategy[Event]:
    """S3 event notifications (``{"Records": [...]}``), as Lambda receives them.

    ``keys`` draws object keys as stored (unencoded); the event carries them
    form-URL-encoded (a space becomes ``+``).  ``contents`` draws the object's
    bytes, from which ``size`` and ``eTag`` come (an ``ObjectRemoved`` record
    has neither).  ``event_name`` pins one of ``ObjectCreated:Put`` (the
    default it shrinks to), ``ObjectCreated:Post``, ``ObjectCreated:Copy``,
    ``ObjectCreated:CompleteMultipartUpload``, ``ObjectRemoved:Delete`` and
    ``ObjectRemoved:DeleteMarkerCreated``.  S3 sends one record per
    notification in practice; pass ``max_records=1`` to match that exactly.
    """
    bucket = _opt(bucket, "bucket", fmt.check_bucket_name)
    region = _opt(region, "region", fmt.check_region)
    event_name = _opt(event_name, "event_name", lambda v, a: fmt.check_choice(v, a, fmt.S3_EVENT_NAMES))
    key_strategy = _strategy(keys, "keys", st.text(_s3_key_chars, min_size=1, max_size=40))
    content_strategy = _strategy(contents, "contents", st.binary(max_size=64))
    n = _max_records(max_records, 100)
    return _s3_events(
        buckets=_names(bucket, _S3_PLAIN_BUCKET, r"[a-z0-9][a-z0-9-]{1,20}[a-z0-9]", fmt.check_bucket_name),
        regions=_regions(region),
        event_names=st.just(event_name) if event_name else st.sampled_from(fmt.S3_EVENT_NAMES),
        keys=key_strategy, contents=content_strategy, max_records=n,
    )


@st.composite
def _s3_events(draw: st.DrawFn, *, buckets: st.SearchStrategy[str], regions: st.SearchStrategy[str],
               event_names: st.SearchStrategy[str], keys: st.SearchStrategy[str],
               contents: st.SearchStrategy[bytes], max_records: int) -> Event:
    bucket = draw(buckets)
    region = draw(regions)
    noise = draw(_noises)
    owner = fmt.iam_unique_id("A", noise.raw("owner", 11))[:14]
    configuration_id = draw(st.sampled_from(["lambda-trigger", noise.uuid4("configuration")]))
    record = _s3_record(bucket=bucket, region=region, owner=owner, configuration_id=configuration_id,
                        event_names=event_names, keys=keys, contents=contents)
    records = draw(_batch(record, max_records, lambda r: r["s3"]["object"]["sequencer"]))
    return {"Records": records}


@st.composite
def _s3_record(draw: st.DrawFn, *, bucket: str, region: str, owner: str, configuration_id: str,
               event_names: st.SearchStrategy[str], keys: st.SearchStrategy[str],
               contents: st.SearchStrategy[bytes]) -> Event:
    name = draw(event_names)
    key = draw(keys)
    _drawn_problem("keys", fmt.s3_key_problem(key), key)
    # Drawn whatever the event name, so that shrinking the name keeps the rest.
    content = draw(contents)
    if not isinstance(content, bytes):
        raise InvalidArgument(f"contents drew {content!r}: object contents are bytes")
    when = draw(_times())
    noise = draw(_noises)
    obj: Event = {"key": fmt.s3_encode_key(key)}
    if name.startswith("ObjectCreated:"):
        obj["size"] = len(content)
        obj["eTag"] = fmt.s3_etag(content, multipart=name == "ObjectCreated:CompleteMultipartUpload")
    if name == "ObjectRemoved:DeleteMarkerCreated":
        obj["versionId"] = fmt.b64(noise.raw("version", 24)).replace("+", ".").replace("/", "_")
    obj["sequencer"] = fmt.s3_sequencer(noise.below("sequencer", 16**18))
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventTime": fmt.iso_millis(when),
        "eventName": name,
        "userIdentity": {"principalId": "AWS:" + fmt.iam_unique_id("AIDA", noise.raw("principal", 11))},
        "requestParameters": {"sourceIPAddress": noise.ipv4("ip")},
        "responseElements": {
            "x-amz-request-id": fmt.upper_hex(noise.raw("request", 8)),
            "x-amz-id-2": fmt.b64(noise.raw("id-2", 56)),
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": configuration_id,
            "bucket": {
                "name": bucket,
                "ownerIdentity": {"principalId": owner},
                "arn": fmt.s3_bucket_arn(bucket, region),
            },
            "object": obj,
        },
    }


# ==================================================================================
# SQS
# ==================================================================================
_SQS_DATA_TYPES: Final = ("String", "Number", "Binary")


def sqs_events(
    *,
    queue_name: str | None = None,
    region: str | None = None,
    account: str | None = None,
    bodies: st.SearchStrategy[str] | None = None,
    message_attributes: st.SearchStrategy[dict[str, Any]] | None = None,
    max_records: int = _DEFAULT_MAX_RECORDS,
) -> st.SearchStrategy[Event]:
    """SQS event source mapping batches (``{"Records": [...]}``).

    ``md5OfBody`` is the MD5 of the body's UTF-8 bytes; ``messageId`` is a
    UUID; ``attributes`` carry epoch-millisecond strings.  A queue name
    ending in ``.fifo`` adds ``MessageGroupId``, ``MessageDeduplicationId``
    and ``SequenceNumber`` (and caps the batch at 10).  ``message_attributes``
    draws dicts in the event's own form
    (``{"name": {"dataType": "String", "stringValue": "..."}}``); by default
    a record has none (what it shrinks to) or a few.
    """
    queue_name = _opt(queue_name, "queue_name", fmt.check_queue_name)
    region = _opt(region, "region", fmt.check_region)
    account = _opt(account, "account", fmt.check_account)
    body_strategy = _strategy(bodies, "bodies", st.text(_message_chars, min_size=1, max_size=40))
    attrs = _strategy(message_attributes, "message_attributes", _sqs_message_attributes())
    fifo = queue_name is not None and queue_name.endswith(".fifo")
    n = _max_records(max_records, fmt.SQS_FIFO_BATCH_MAX if fifo else fmt.SQS_BATCH_MAX)
    return _sqs_events(
        queue_names=_names(queue_name, "example-queue", r"[A-Za-z0-9_-]{1,40}(\.fifo)?"),
        regions=_regions(region), accounts=_accounts(account), bodies=body_strategy,
        message_attributes=attrs, max_records=n,
    )


def _sqs_message_attributes() -> st.SearchStrategy[dict[str, Any]]:
    value = st.one_of(
        st.builds(lambda v: {"stringValue": v, "stringListValues": [], "binaryListValues": [],
                             "dataType": "String"}, st.text(_message_chars, min_size=1, max_size=10)),
        st.builds(lambda v: {"stringValue": str(v), "stringListValues": [], "binaryListValues": [],
                             "dataType": "Number"}, st.integers(-(10**9), 10**9)),
        st.builds(lambda v: {"binaryValue": fmt.b64(v), "stringListValues": [], "binaryListValues": [],
                             "dataType": "Binary"}, st.binary(min_size=1, max_size=10)),
    )
    names = st.from_regex(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,15}", fullmatch=True).filter(
        lambda s: not s.endswith(".") and ".." not in s and not s.lower().startswith(("aws.", "amazon.")))
    return st.dictionaries(names, value, max_size=3)


@st.composite
def _sqs_events(draw: st.DrawFn, *, queue_names: st.SearchStrategy[str], regions: st.SearchStrategy[str],
                accounts: st.SearchStrategy[str], bodies: st.SearchStrategy[str],
                message_attributes: st.SearchStrategy[dict[str, Any]], max_records: int) -> Event:
    queue = draw(queue_names)
    region = draw(regions)
    account = draw(accounts)
    fifo = queue.endswith(".fifo")
    sender = fmt.iam_unique_id("AIDA", draw(_noises).raw("sender", 11))
    record = _sqs_record(queue_arn=fmt.sqs_queue_arn(region, account, queue), region=region, sender=sender,
                         fifo=fifo, bodies=bodies, message_attributes=message_attributes)
    records = draw(_batch(record, min(max_records, fmt.SQS_FIFO_BATCH_MAX) if fifo else max_records,
                          lambda r: r["messageId"]))
    if fifo:  # a FIFO batch arrives in sequence-number order
        number = draw(st.integers(10**19, 10**20 - 10**6))
        for rec in records:
            rec["attributes"]["SequenceNumber"] = str(number)
            number += draw(st.integers(1, 1000))
    return {"Records": records}


@st.composite
def _sqs_record(draw: st.DrawFn, *, queue_arn: str, region: str, sender: str, fifo: bool,
                bodies: st.SearchStrategy[str], message_attributes: st.SearchStrategy[dict[str, Any]]) -> Event:
    body = draw(bodies)
    _drawn_problem("bodies", fmt.sqs_body_problem(body), body)
    sent = draw(_times())
    receive_delay_ms = draw(st.integers(0, 60_000))
    receives = draw(st.integers(1, 5))
    attributes: dict[str, str] = {
        "ApproximateReceiveCount": str(receives),
        "SentTimestamp": str(fmt.epoch_millis(sent)),
        "SenderId": sender,
        "ApproximateFirstReceiveTimestamp": str(fmt.epoch_millis(sent) + receive_delay_ms),
    }
    if fifo:
        attributes["SequenceNumber"] = ""  # numbered in batch order by _sqs_events
        attributes["MessageGroupId"] = draw(st.sampled_from(["default", "group-1", "group-2"]))
        attributes["MessageDeduplicationId"] = fmt.sha256_hex(body.encode("utf-8"))  # content-based
    attrs = draw(message_attributes)
    _drawn_problem("message_attributes", fmt.sqs_message_attributes_problem(attrs), attrs)
    noise = draw(_noises)
    record: Event = {
        "messageId": noise.uuid4("message"),
        "receiptHandle": "AQEB" + fmt.b64(noise.raw("receipt", 96)),
        "body": body,
        "attributes": attributes,
        "messageAttributes": attrs,
        "md5OfBody": fmt.md5_hex(body.encode("utf-8")),
    }
    if attrs:
        record["md5OfMessageAttributes"] = _sqs_attributes_md5(attrs)
    record.update({"eventSource": "aws:sqs", "eventSourceARN": queue_arn, "awsRegion": region})
    return record


def _sqs_attributes_md5(attrs: dict[str, Any]) -> str:
    """MD5OfMessageAttributes, by SQS's documented algorithm."""
    out = bytearray()

    def put(data: bytes) -> None:
        out.extend(struct.pack(">I", len(data)))
        out.extend(data)

    for name in sorted(attrs):
        attr = attrs[name]
        data_type = str(attr.get("dataType", ""))
        put(name.encode("utf-8"))
        put(data_type.encode("utf-8"))
        if data_type.startswith("Binary"):
            out.append(2)
            put(base64.b64decode(attr.get("binaryValue") or ""))
        else:
            out.append(1)
            put(str(attr.get("stringValue") or "").encode("utf-8"))
    return fmt.md5_hex(bytes(out))


# ==================================================================================
# SNS
# ==================================================================================
def sns_events(
    *,
    topic_name: str | None = None,
    region: str | None = None,
    account: str | None = None,
    messages: st.SearchStrategy[str] | None = None,
    subjects: st.SearchStrategy[str | None] | None = None,
    message_attributes: st.SearchStrategy[dict[str, Any]] | None = None,
) -> st.SearchStrategy[Event]:
    """SNS notifications.  SNS invokes Lambda with exactly one record.

    The record carries ``Signature`` (base64 of a 2048-bit signature),
    ``SignatureVersion``, ``SigningCertUrl`` and ``UnsubscribeUrl`` in the
    topic's region, ``Subject`` (``None`` by default, what it shrinks to) and
    ``MessageAttributes`` in SNS's form (``{"name": {"Type": "String",
    "Value": "..."}}``).  Lambda cannot subscribe to FIFO topics, so a
    ``.fifo`` ``topic_name`` is refused.
    """
    topic_name = _opt(topic_name, "topic_name", fmt.check_topic_name)
    if topic_name is not None and topic_name.endswith(".fifo"):
        raise InvalidArgument(f"topic_name={topic_name!r}: Lambda cannot subscribe to SNS FIFO topics")
    region = _opt(region, "region", fmt.check_region)
    account = _opt(account, "account", fmt.check_account)
    message_strategy = _strategy(messages, "messages", st.text(_message_chars, min_size=1, max_size=40))
    subject_strategy = _strategy(subjects, "subjects", st.one_of(
        st.none(), st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=40)
        .filter(lambda s: s[0].isalnum() or s[0] in string.punctuation)))
    attrs = _strategy(message_attributes, "message_attributes", _sns_message_attributes())
    return _sns_events(
        topic_names=_names(topic_name, "example-topic", r"[A-Za-z0-9_-]{1,40}"),
        regions=_regions(region), accounts=_accounts(account), messages=message_strategy,
        subjects=subject_strategy, message_attributes=attrs,
    )


def _sns_message_attributes() -> st.SearchStrategy[dict[str, Any]]:
    value = st.one_of(
        st.builds(lambda v: {"Type": "String", "Value": v}, st.text(_message_chars, min_size=1, max_size=10)),
        st.builds(lambda v: {"Type": "Number", "Value": str(v)}, st.integers(-(10**9), 10**9)),
        st.builds(lambda v: {"Type": "Binary", "Value": fmt.b64(v)}, st.binary(min_size=1, max_size=10)),
        st.builds(lambda v: {"Type": "String.Array", "Value": json.dumps(v)},
                  st.lists(st.text(max_size=5), max_size=3)),
    )
    names = st.from_regex(r"[A-Za-z0-9_-]{1,16}", fullmatch=True).filter(
        lambda s: not s.lower().startswith(("aws.", "amazon.")))
    return st.dictionaries(names, value, max_size=3)


@st.composite
def _sns_events(draw: st.DrawFn, *, topic_names: st.SearchStrategy[str], regions: st.SearchStrategy[str],
                accounts: st.SearchStrategy[str], messages: st.SearchStrategy[str],
                subjects: st.SearchStrategy[str | None],
                message_attributes: st.SearchStrategy[dict[str, Any]]) -> Event:
    topic = draw(topic_names)
    region = draw(regions)
    account = draw(accounts)
    message = draw(messages)
    _drawn_problem("messages", fmt.sns_message_problem(message), message)
    subject = draw(subjects)
    if subject is not None and (not isinstance(subject, str) or not 1 <= len(subject) < 100
                                or not subject.isascii() or "\n" in subject):
        raise InvalidArgument(f"subjects drew {subject!r}: an SNS subject is None or 1 to 99 ASCII "
                              "characters on one line")
    attrs = draw(message_attributes)
    _drawn_problem("message_attributes", fmt.sns_message_attributes_problem(attrs), attrs)
    when = draw(_times())
    noise = draw(_noises)
    subscription = fmt.sns_subscription_arn(region, account, topic, noise.uuid4("subscription"))
    return {"Records": [{
        "EventVersion": "1.0",
        "EventSubscriptionArn": subscription,
        "EventSource": "aws:sns",
        "Sns": {
            "SignatureVersion": draw(st.sampled_from(["1", "2"])),
            "Timestamp": fmt.iso_millis(when),
            "Signature": fmt.b64(noise.raw("signature", 256)),
            "SigningCertUrl": fmt.sns_signing_cert_url(region, noise.hex("certificate", 16)),
            "MessageId": noise.uuid4("message"),
            "Message": message,
            "MessageAttributes": attrs,
            "Type": "Notification",
            "UnsubscribeUrl": fmt.sns_unsubscribe_url(region, subscription),
            "TopicArn": fmt.sns_topic_arn(region, account, topic),
            "Subject": subject,
        },
    }]}


# ==================================================================================
# EventBridge
# ==================================================================================
_SOURCES: Final = ("com.example.orders", "aws.ec2", "aws.s3", "com.example.users")
_DETAIL_TYPES: Final = ("Order Placed", "EC2 Instance State-change Notification", "Object Created",
                        "User Signed Up")


def eventbridge_events(
    *,
    source: str | None = None,
    detail_type: str | None = None,
    detail: st.SearchStrategy[dict[str, Any]] | None = None,
    resources: st.SearchStrategy[list[str]] | None = None,
    region: str | None = None,
    account: str | None = None,
) -> st.SearchStrategy[Event]:
    """EventBridge events as a rule's Lambda target receives them.

    ``detail`` draws the ``detail`` object (JSON-serialisable dicts; an empty
    dict by default when shrunk); ``resources`` draws the list of ARNs (empty
    when shrunk).  ``time`` has whole seconds (``2017-12-22T18:43:48Z``).
    """
    source = _opt(source, "source",
                  lambda v, a: fmt.check_text(v, a, min_size=1, max_size=256, what="an event source"))
    detail_type = _opt(detail_type, "detail_type",
                       lambda v, a: fmt.check_text(v, a, min_size=1, max_size=128, what="a detail-type"))
    region = _opt(region, "region", fmt.check_region)
    account = _opt(account, "account", fmt.check_account)
    detail_strategy = _strategy(detail, "detail", _json_objects)
    resource_strategy = None if resources is None else _strategy(resources, "resources", st.nothing())
    return _eventbridge_events(
        sources=st.just(source) if source else st.sampled_from(_SOURCES),
        detail_types=st.just(detail_type) if detail_type else st.sampled_from(_DETAIL_TYPES),
        details=detail_strategy, resources=resource_strategy,
        regions=_regions(region), accounts=_accounts(account),
    )


@st.composite
def _eventbridge_events(draw: st.DrawFn, *, sources: st.SearchStrategy[str],
                        detail_types: st.SearchStrategy[str], details: st.SearchStrategy[dict[str, Any]],
                        resources: st.SearchStrategy[list[str]] | None, regions: st.SearchStrategy[str],
                        accounts: st.SearchStrategy[str]) -> Event:
    region = draw(regions)
    account = draw(accounts)
    noise = draw(_noises)
    if resources is None:
        resources = st.lists(st.integers(0, 2**32 - 1).map(
            lambda i: fmt.arn("ec2", region, account, f"instance/i-{i:017x}")), max_size=2)
    arns = draw(resources)
    if not isinstance(arns, list) or not all(isinstance(a, str) for a in arns):
        raise InvalidArgument(f"resources drew {arns!r}: expected a list of ARN strings")
    body = draw(details)
    if not isinstance(body, dict):
        raise InvalidArgument(f"detail drew {body!r}: EventBridge's detail is a JSON object (a dict)")
    try:
        size = len(json.dumps(body).encode("utf-8"))
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(f"detail drew {body!r}, which is not JSON-serialisable: {exc}") from None
    if size > fmt.EVENTBRIDGE_ENTRY_MAX_BYTES:
        raise InvalidArgument(f"detail drew {size} bytes: an event is at most {fmt.EVENTBRIDGE_ENTRY_MAX_BYTES}")
    return {
        "version": "0",
        "id": noise.uuid4("id"),
        "detail-type": draw(detail_types),
        "source": draw(sources),
        "account": account,
        "time": fmt.iso_seconds(draw(_times())),
        "region": region,
        "resources": arns,
        "detail": body,
    }


def scheduled_events(
    *,
    rule: str | None = None,
    region: str | None = None,
    account: str | None = None,
) -> st.SearchStrategy[Event]:
    """EventBridge scheduled-rule events: ``source`` ``aws.events``,
    ``detail-type`` ``Scheduled Event``, the rule's ARN as the only resource
    and an empty ``detail``."""
    rule = _opt(rule, "rule", fmt.check_rule_name)
    region = _opt(region, "region", fmt.check_region)
    account = _opt(account, "account", fmt.check_account)
    return _scheduled_events(rules=_names(rule, "example-schedule", r"[A-Za-z0-9_.-]{1,30}"),
                             regions=_regions(region), accounts=_accounts(account))


@st.composite
def _scheduled_events(draw: st.DrawFn, *, rules: st.SearchStrategy[str], regions: st.SearchStrategy[str],
                      accounts: st.SearchStrategy[str]) -> Event:
    region = draw(regions)
    account = draw(accounts)
    when = draw(_times()).replace(microsecond=0)
    return {
        "version": "0",
        "id": draw(_noises).uuid4("id"),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": fmt.iso_seconds(when),
        "region": region,
        "resources": [fmt.events_rule_arn(region, account, draw(rules))],
        "detail": {},
    }


# ==================================================================================
# tumbling windows (Kinesis and DynamoDB Streams event source mappings)
# ==================================================================================
def _states(states: object) -> st.SearchStrategy[dict[str, Any]]:
    return _strategy(states, "states", _json_objects)


def _check_tumbling(tumbling_window: object, states: object) -> bool:
    flag = fmt.check_bool(_value(tumbling_window, "tumbling_window"), "tumbling_window")
    if states is not None and not flag:
        raise InvalidArgument("states= is the state a tumbling window carries: pass tumbling_window=True with it")
    return flag


@st.composite
def _window(draw: st.DrawFn, *, states: st.SearchStrategy[dict[str, Any]], stream_arn: str, shard_id: str,
            first: float) -> tuple[Event, float, int]:
    """The fields a tumbling-window invocation adds, the window's start (epoch
    seconds) and its length; records are re-timed into the window by the caller."""
    seconds = draw(st.integers(*fmt.TUMBLING_WINDOW_RANGE))
    start = int(first // seconds) * seconds
    state = draw(states)
    if not isinstance(state, dict):
        raise InvalidArgument(f"states drew {state!r}: a window's state is a JSON object (a dict)")
    try:
        size = len(json.dumps(state).encode("utf-8"))
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(f"states drew {state!r}, which is not JSON-serialisable: {exc}") from None
    if size > fmt.TUMBLING_WINDOW_STATE_MAX_BYTES:
        raise InvalidArgument(f"states drew {size} bytes: a window's state is at most "
                              f"{fmt.TUMBLING_WINDOW_STATE_MAX_BYTES} bytes (Lambda ends the window early)")
    final = draw(st.booleans())
    fields: Event = {
        "window": {"start": fmt.iso_seconds(_dt.datetime.fromtimestamp(start, _dt.timezone.utc)),
                   "end": fmt.iso_seconds(_dt.datetime.fromtimestamp(start + seconds, _dt.timezone.utc))},
        "state": state,
        "shardId": shard_id,
        "eventSourceARN": stream_arn,
        "isFinalInvokeForWindow": final,
        # A window ends early when its state outgrows the limit; that invocation is its last.
        "isWindowTerminatedEarly": draw(st.booleans()) if final else False,
    }
    return fields, float(start), seconds


def _into_window(times: list[float], start: float, seconds: int, step: float) -> list[float]:
    """Keep the records' order and spacing, moved to start inside the window."""
    base = times[0]
    return [round(start + min(t - base, seconds - step), 3) for t in times]


# ==================================================================================
# DynamoDB Streams
# ==================================================================================
_attribute_names: Final = st.text(string.ascii_lowercase + "_", min_size=1, max_size=10)
_key_values: Final = st.one_of(st.text(_printable, min_size=1, max_size=20), st.integers(-(10**12), 10**12))
_attribute_values: Final = st.recursive(
    st.one_of(st.text(max_size=10), st.integers(-(10**12), 10**12), st.booleans(), st.none(),
              st.binary(max_size=8),
              st.decimals(min_value=-(10**6), max_value=10**6, places=2, allow_nan=False, allow_infinity=False),
              st.frozensets(st.text(max_size=5), min_size=1, max_size=3)),
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(_attribute_names, children, max_size=3)),
    max_leaves=4,
)


def _default_items(key_attributes: tuple[str, ...]) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(lambda rest, keys: {**rest, **keys},
                     st.dictionaries(_attribute_names, _attribute_values, max_size=3),
                     st.fixed_dictionaries({k: _key_values for k in key_attributes}))


def dynamodb_stream_events(
    *,
    table: str | None = None,
    region: str | None = None,
    account: str | None = None,
    stream_view_type: str | None = None,
    event_name: str | None = None,
    key_attributes: Sequence[str] = ("id",),
    new_images: st.SearchStrategy[dict[str, Any]] | None = None,
    old_images: st.SearchStrategy[dict[str, Any]] | None = None,
    max_records: int = _DEFAULT_MAX_RECORDS,
    tumbling_window: bool = False,
    states: st.SearchStrategy[dict[str, Any]] | None = None,
) -> st.SearchStrategy[Event]:
    """DynamoDB Streams batches, images in DynamoDB JSON (``{"S": ...}``, ``{"N": "..."}``).

    ``new_images``/``old_images`` draw items as plain Python values (str,
    int, Decimal, bool, None, bytes, lists, dicts, non-empty sets); each must
    hold the ``key_attributes`` (partition key, then optional sort key).
    ``old_images`` defaults to ``new_images``; on ``MODIFY`` the old image
    keeps the new image's key.  Images follow ``StreamViewType`` and
    ``eventName``: no ``OldImage`` on ``INSERT``, no ``NewImage`` on
    ``REMOVE``, neither for ``KEYS_ONLY``.  A ``REMOVE`` made by Time to Live
    carries ``userIdentity`` ``{"type": "Service", "principalId":
    "dynamodb.amazonaws.com"}``; one made by a user has none (what it shrinks
    to).  ``tumbling_window=True`` gives the invocations of a mapping with
    ``TumblingWindowInSeconds`` set: ``window``, ``state`` (drawn from
    ``states``, ``{}`` when shrunk), ``shardId``, ``eventSourceARN``,
    ``isFinalInvokeForWindow`` and ``isWindowTerminatedEarly``, with every
    record inside the window.  Shrinks to one ``INSERT`` under
    ``NEW_AND_OLD_IMAGES``.
    """
    table = _opt(table, "table", fmt.check_table_name)
    region = _opt(region, "region", fmt.check_region)
    account = _opt(account, "account", fmt.check_account)
    stream_view_type = _opt(stream_view_type, "stream_view_type",
                            lambda v, a: fmt.check_choice(v, a, fmt.STREAM_VIEW_TYPES))
    event_name = _opt(event_name, "event_name", lambda v, a: fmt.check_choice(v, a, fmt.DYNAMODB_EVENT_NAMES))
    _value(key_attributes, "key_attributes")
    if (isinstance(key_attributes, str) or not isinstance(key_attributes, Sequence)
            or not 1 <= len(key_attributes) <= 2 or len(set(key_attributes)) != len(key_attributes)
            or not all(isinstance(k, str) and 1 <= len(k.encode("utf-8")) <= 255 for k in key_attributes)):
        raise InvalidArgument(
            f"key_attributes={key_attributes!r} must be a partition key name, then optionally a sort key name: "
            "a tuple of 1 or 2 distinct non-empty strings of at most 255 bytes")
    keys = tuple(key_attributes)
    news = _strategy(new_images, "new_images", _default_items(keys))
    olds = _strategy(old_images, "old_images", news)
    n = _max_records(max_records, fmt.DYNAMODB_BATCH_MAX)
    window = _check_tumbling(tumbling_window, states)
    return _dynamodb_stream_events(
        tables=_names(table, "example-table", r"[A-Za-z0-9_.-]{3,30}"),
        regions=_regions(region), accounts=_accounts(account),
        view_types=st.just(stream_view_type) if stream_view_type else st.sampled_from(fmt.STREAM_VIEW_TYPES),
        event_names=st.just(event_name) if event_name else st.sampled_from(fmt.DYNAMODB_EVENT_NAMES),
        key_attributes=keys, new_images=news, old_images=olds, max_records=n,
        states=_states(states) if window else None,
    )


@st.composite
def _dynamodb_stream_events(draw: st.DrawFn, *, tables: st.SearchStrategy[str], regions: st.SearchStrategy[str],
                            accounts: st.SearchStrategy[str], view_types: st.SearchStrategy[str],
                            event_names: st.SearchStrategy[str], key_attributes: tuple[str, ...],
                            new_images: st.SearchStrategy[dict[str, Any]],
                            old_images: st.SearchStrategy[dict[str, Any]], max_records: int,
                            states: st.SearchStrategy[dict[str, Any]] | None) -> Event:
    table = draw(tables)
    region = draw(regions)
    account = draw(accounts)
    view_type = draw(view_types)
    created = draw(_times())
    stream_arn = fmt.dynamodb_stream_arn(region, account, table, fmt.dynamodb_stream_label(created))
    record = _dynamodb_record(region=region, stream_arn=stream_arn, view_type=view_type, event_names=event_names,
                              key_attributes=key_attributes, new_images=new_images, old_images=old_images)
    records = draw(_batch(record, max_records, lambda r: r["dynamodb"]["SequenceNumber"]))
    # One shard's records arrive in sequence-number and creation-time order.
    numbers = sorted((r["dynamodb"]["SequenceNumber"] for r in records), key=int)
    times = sorted(r["dynamodb"]["ApproximateCreationDateTime"] for r in records)
    event: Event = {"Records": records}
    if states is not None:
        fields, start, seconds = draw(_window(states=states, stream_arn=stream_arn, shard_id="", first=times[0]))
        times = [float(int(t)) for t in _into_window(times, start, seconds, 1.0)]
        event.update(fields)
    # A stream exists before its first record: its label is no later than that record.
    created = min(created, _dt.datetime.fromtimestamp(times[0], _dt.timezone.utc))
    stream_arn = fmt.dynamodb_stream_arn(region, account, table, fmt.dynamodb_stream_label(created))
    if states is not None:
        event["shardId"] = fmt.dynamodb_shard_id(fmt.epoch_millis(created), draw(_noises).raw("shard", 4))
        event["eventSourceARN"] = stream_arn
    for rec, number, when in zip(records, numbers, times):
        rec["dynamodb"]["SequenceNumber"] = number
        rec["dynamodb"]["ApproximateCreationDateTime"] = when
        rec["eventSourceARN"] = stream_arn
    return event


def _image_keys(image: object, key_attributes: tuple[str, ...], arg: str) -> dict[str, Any]:
    if not isinstance(image, dict):
        raise InvalidArgument(f"{arg} drew {image!r}: an item is a dict of attribute names to values")
    missing = [k for k in key_attributes if k not in image]
    if missing:
        raise InvalidArgument(f"{arg} drew {image!r}, which lacks the key attribute(s) {missing} "
                              f"(key_attributes={key_attributes!r})")
    keys = {k: image[k] for k in key_attributes}
    for k, v in keys.items():
        if isinstance(v, bool) or not isinstance(v, (str, int, Decimal, bytes)) or v in ("", b""):
            raise InvalidArgument(f"{arg} drew key attribute {k}={v!r}: key attributes are non-empty "
                                  "strings, numbers or bytes")
    return keys


@st.composite
def _dynamodb_record(draw: st.DrawFn, *, region: str, stream_arn: str, view_type: str,
                     event_names: st.SearchStrategy[str], key_attributes: tuple[str, ...],
                     new_images: st.SearchStrategy[dict[str, Any]],
                     old_images: st.SearchStrategy[dict[str, Any]]) -> Event:
    name = draw(event_names)
    # Both images are drawn whatever the event name, so that shrinking the name keeps the rest.
    new: dict[str, Any] | None = draw(new_images)
    new_keys = _image_keys(new, key_attributes, "new_images")
    old: dict[str, Any] | None = draw(old_images)
    old_keys = _image_keys(old, key_attributes, "old_images")
    when = draw(_times())
    noise = draw(_noises)
    if name == "INSERT":
        keys, old = new_keys, None
    elif name == "REMOVE":
        keys, new = old_keys, None
    else:  # MODIFY: the same item, before and after
        keys, old = new_keys, {**(old or {}), **new_keys}
    body: Event = {
        "ApproximateCreationDateTime": float(fmt.epoch_seconds(when)),
        "Keys": fmt.item_to_dynamodb_json(keys, where="Keys"),
    }
    if new is not None and view_type in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES"):
        body["NewImage"] = fmt.item_to_dynamodb_json(new, where="new_images")
    if old is not None and view_type in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES"):
        body["OldImage"] = fmt.item_to_dynamodb_json(old, where="old_images")
    body["SequenceNumber"] = str(10**20 + noise.below("sequence", 9 * 10**20))
    body["SizeBytes"] = len(json.dumps({k: body[k] for k in ("Keys", "NewImage", "OldImage") if k in body},
                                       separators=(",", ":")).encode("utf-8"))
    body["StreamViewType"] = view_type
    record: Event = {
        "eventID": noise.hex("event", 16),
        "eventName": name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
    }
    if name == "REMOVE" and draw(st.booleans()):  # deleted by Time to Live, not by a user
        record["userIdentity"] = dict(fmt.DYNAMODB_TTL_USER_IDENTITY)
    record["dynamodb"] = body
    record["eventSourceARN"] = stream_arn
    return record


# ==================================================================================
# Kinesis
# ==================================================================================
def kinesis_events(
    *,
    stream_name: str | None = None,
    region: str | None = None,
    account: str | None = None,
    data: st.SearchStrategy[bytes] | None = None,
    partition_keys: st.SearchStrategy[str] | None = None,
    max_records: int = _DEFAULT_MAX_RECORDS,
    tumbling_window: bool = False,
    states: st.SearchStrategy[dict[str, Any]] | None = None,
) -> st.SearchStrategy[Event]:
    """Kinesis Data Streams batches from one shard.

    ``data`` draws each record's payload bytes (the event carries them
    base64-encoded); sequence numbers have 56 digits and rise through the
    batch, as do ``approximateArrivalTimestamp`` (seconds, millisecond
    precision).  ``eventID`` is ``<shard id>:<sequence number>``.
    ``tumbling_window=True`` adds the fields of a mapping with
    ``TumblingWindowInSeconds`` set (``window``, ``state`` drawn from
    ``states``, ``shardId``, ``eventSourceARN``, ``isFinalInvokeForWindow``,
    ``isWindowTerminatedEarly``), with every record inside the window.
    """
    stream_name = _opt(stream_name, "stream_name", fmt.check_stream_name)
    region = _opt(region, "region", fmt.check_region)
    account = _opt(account, "account", fmt.check_account)
    data_strategy = _strategy(data, "data", st.binary(max_size=64))
    key_strategy = _strategy(partition_keys, "partition_keys", st.text(_printable, min_size=1, max_size=16))
    n = _max_records(max_records, fmt.KINESIS_BATCH_MAX)
    window = _check_tumbling(tumbling_window, states)
    return _kinesis_events(streams=_names(stream_name, "example-stream", r"[A-Za-z0-9_.-]{1,30}"),
                           regions=_regions(region), accounts=_accounts(account), data=data_strategy,
                           partition_keys=key_strategy, max_records=n,
                           states=_states(states) if window else None)


@st.composite
def _kinesis_events(draw: st.DrawFn, *, streams: st.SearchStrategy[str], regions: st.SearchStrategy[str],
                    accounts: st.SearchStrategy[str], data: st.SearchStrategy[bytes],
                    partition_keys: st.SearchStrategy[str], max_records: int,
                    states: st.SearchStrategy[dict[str, Any]] | None) -> Event:
    stream = draw(streams)
    region = draw(regions)
    account = draw(accounts)
    shard = fmt.kinesis_shard_id(draw(st.integers(0, 999)))
    role = fmt.iam_role_arn(account, draw(st.sampled_from(["lambda-role", "kinesis-consumer"])), region)
    record = _kinesis_record(stream_arn=fmt.kinesis_stream_arn(region, account, stream), region=region,
                             role_arn=role, shard=shard, data=data, partition_keys=partition_keys)
    records = draw(_batch(record, max_records, lambda r: r["kinesis"]["sequenceNumber"]))
    numbers = sorted(r["kinesis"]["sequenceNumber"] for r in records)  # fixed width: text order is numeric
    times = sorted(r["kinesis"]["approximateArrivalTimestamp"] for r in records)
    event: Event = {"Records": records}
    if states is not None:
        stream_arn = records[0]["eventSourceARN"]
        fields, start, seconds = draw(_window(states=states, stream_arn=stream_arn, shard_id=shard, first=times[0]))
        times = _into_window(times, start, seconds, 0.001)
        event.update(fields)
    for rec, number, when in zip(records, numbers, times):
        rec["kinesis"]["sequenceNumber"] = number
        rec["kinesis"]["approximateArrivalTimestamp"] = when
        rec["eventID"] = fmt.kinesis_event_id(shard, number)
    return event


@st.composite
def _kinesis_record(draw: st.DrawFn, *, stream_arn: str, region: str, role_arn: str, shard: str,
                    data: st.SearchStrategy[bytes], partition_keys: st.SearchStrategy[str]) -> Event:
    payload = draw(data)
    if not isinstance(payload, bytes) or len(payload) > fmt.KINESIS_DATA_MAX_BYTES:
        raise InvalidArgument(f"data drew {payload!r}: a record's data is bytes, at most "
                              f"{fmt.KINESIS_DATA_MAX_BYTES} of them")
    key = draw(partition_keys)
    if not isinstance(key, str) or not 1 <= len(key) <= 256:
        raise InvalidArgument(f"partition_keys drew {key!r}: a partition key is 1 to 256 characters")
    when = draw(_times())
    number = fmt.kinesis_sequence_number(draw(_noises).below("sequence", 10**54))
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": key,
            "sequenceNumber": number,
            "data": fmt.b64(payload),
            "approximateArrivalTimestamp": fmt.epoch_seconds_millis(when),
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": fmt.kinesis_event_id(shard, number),
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": role_arn,
        "awsRegion": region,
        "eventSourceARN": stream_arn,
    }


# ==================================================================================
# API Gateway
# ==================================================================================
_HEADER_NAMES: Final = ("Accept", "Content-Type", "Accept-Encoding", "X-Request-Id", "Authorization")
_USER_AGENTS: Final = ("curl/8.4.0", "Mozilla/5.0 (X11; Linux x86_64)", "python-requests/2.32.3")
_query_chars: Final = st.characters(codec="ascii", min_codepoint=0x20, max_codepoint=0x7E)


def api_gateway_events(
    *,
    version: Literal["1.0", "2.0"] | None = None,
    method: str | None = None,
    path: str | None = None,
    stage: str | None = None,
    region: str | None = None,
    account: str | None = None,
    bodies: st.SearchStrategy[str | bytes | None] | None = None,
    authorization_type: str | None = None,
    authorizer_contexts: st.SearchStrategy[dict[str, str | int | bool]] | None = None,
) -> st.SearchStrategy[Event]:
    """API Gateway proxy events: REST APIs' payload format ``1.0`` and HTTP
    APIs' ``2.0`` (``version=`` pins one; it shrinks to ``1.0``).

    ``authorization_type`` pins how the method or route is authorized, in API
    Gateway's words: ``"NONE"`` (no ``requestContext.authorizer``, what it
    shrinks to), ``"AWS_IAM"`` (SigV4 caller in ``identity``, or
    ``authorizer.iam`` for HTTP APIs), ``"CUSTOM"`` (a Lambda authorizer:
    ``authorizer.principalId`` plus its context, or ``authorizer.lambda``;
    the context is drawn from ``authorizer_contexts``, ``{}`` when shrunk),
    ``"COGNITO_USER_POOLS"`` (REST only:
    ``authorizer.claims``) and ``"JWT"`` (HTTP APIs only:
    ``authorizer.jwt.claims``/``scopes``).

    ``bodies`` draws the request body: ``None`` (no body, what it shrinks
    to), a ``str``, or ``bytes`` (sent base64 with ``isBase64Encoded``).
    REST events carry ``headers``/``multiValueHeaders`` and ``null`` for an
    empty query string; HTTP API events join repeated headers and query
    values with commas and leave out what is absent.
    """
    pinned_version = _opt(version, "version", lambda v, a: fmt.check_choice(v, a, fmt.API_GATEWAY_VERSIONS))
    method = _opt(method, "method", lambda v, a: fmt.check_choice(v, a, fmt.HTTP_METHODS))
    path = _opt(path, "path", fmt.check_path)
    stage = _opt(stage, "stage", fmt.check_stage)
    if stage == "$default" and pinned_version == "1.0":
        raise InvalidArgument("stage='$default' only exists for HTTP APIs (version='2.0')")
    auth = _opt(authorization_type, "authorization_type", lambda v, a: fmt.check_choice(
        v, a, tuple(dict.fromkeys(fmt.REST_AUTHORIZATION_TYPES + fmt.HTTP_AUTHORIZATION_TYPES))))
    if auth == "COGNITO_USER_POOLS" and (pinned_version == "2.0" or stage == "$default"):
        raise InvalidArgument("authorization_type='COGNITO_USER_POOLS' exists only for REST APIs "
                              "(version='1.0'); HTTP APIs use 'JWT' with a Cognito issuer")
    if auth == "JWT" and pinned_version == "1.0":
        raise InvalidArgument("authorization_type='JWT' exists only for HTTP APIs (version='2.0'); "
                              "REST APIs use 'COGNITO_USER_POOLS' or 'CUSTOM'")
    region = _opt(region, "region", fmt.check_region)
    account = _opt(account, "account", fmt.check_account)
    contexts = _strategy(authorizer_contexts, "authorizer_contexts", _default_authorizer_contexts())
    body_strategy = _strategy(bodies, "bodies", st.one_of(st.none(), st.text(max_size=40),
                                                           st.binary(min_size=1, max_size=40)))
    paths = st.just(path) if path else st.lists(st.from_regex(r"[a-z0-9-]{1,8}", fullmatch=True),
                                                max_size=3).map(lambda parts: "/" + "/".join(parts))
    common = dict(
        methods=st.just(method) if method else st.sampled_from(fmt.HTTP_METHODS), paths=paths,
        regions=_regions(region), accounts=_accounts(account), bodies=body_strategy,
    )
    v1 = _api_gateway_v1(stages=st.just(stage) if stage else st.sampled_from(["prod", "dev"]),
                         auth_types=st.just(auth) if auth else st.sampled_from(fmt.REST_AUTHORIZATION_TYPES),
                         contexts=contexts, **common)
    v2 = _api_gateway_v2(stages=st.just(stage) if stage else st.sampled_from(["$default", "prod"]),
                         auth_types=st.just(auth) if auth else st.sampled_from(fmt.HTTP_AUTHORIZATION_TYPES),
                         contexts=contexts, **common)
    if pinned_version == "1.0" or auth == "COGNITO_USER_POOLS":
        return v1
    if pinned_version == "2.0" or stage == "$default" or auth == "JWT":  # these exist only for HTTP APIs
        return v2
    return st.one_of(v1, v2)


def _headers() -> st.SearchStrategy[dict[str, list[str]]]:
    values = st.text(_query_chars, min_size=1, max_size=12).map(str.strip).filter(bool)
    return st.dictionaries(st.sampled_from(_HEADER_NAMES), st.lists(values, min_size=1, max_size=2), max_size=2)


def _queries() -> st.SearchStrategy[dict[str, list[str]]]:
    names = st.from_regex(r"[a-z][a-z0-9_]{0,7}", fullmatch=True)
    return st.dictionaries(names, st.lists(st.text(_query_chars, max_size=8), min_size=1, max_size=2), max_size=2)


@st.composite
def _request_parts(draw: st.DrawFn, *, methods: st.SearchStrategy[str], paths: st.SearchStrategy[str],
                   regions: st.SearchStrategy[str], accounts: st.SearchStrategy[str],
                   bodies: st.SearchStrategy[str | bytes | None]) -> dict[str, Any]:
    region = draw(regions)
    account = draw(accounts)
    method = draw(methods)
    path = draw(paths)
    body = draw(bodies)
    if body is not None and not isinstance(body, (str, bytes)):
        raise InvalidArgument(f"bodies drew {body!r}: a request body is None, a str or bytes")
    headers = draw(_headers())
    queries = draw(_queries())
    user_agent = draw(st.sampled_from(_USER_AGENTS))
    when = draw(_times())
    noise = draw(_noises)
    api = fmt.api_id(noise.raw("api", 8))
    return {
        "method": method, "path": path, "region": region, "account": account,
        "api_id": api, "domain": fmt.execute_api_domain(api, region), "body": body, "when": when,
        "ip": noise.ipv4("ip"), "user_agent": user_agent, "headers": headers, "queries": queries,
        "trace": fmt.trace_id(when, noise.raw("trace", 12)), "request_id": noise.uuid4("request"),
        "extended_id": fmt.extended_request_id(noise.raw("extended", 11)),
        "resource_id": fmt.api_id(noise.raw("resource", 8))[:6],
    }


_WEEKDAYS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_NAMES: Final = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _java_date(when: _dt.datetime) -> str:
    """How REST APIs render Cognito's time claims: ``Thu Mar 12 19:03:58 UTC 2020``."""
    return (f"{_WEEKDAYS[when.weekday()]} {_MONTH_NAMES[when.month - 1]} {when.day:02d} "
            f"{when:%H:%M:%S} UTC {when.year}")


def _token_claims(p: dict[str, Any], noise: fmt.Noise, *, rest: bool) -> dict[str, str]:
    """An ID token's claims from a Cognito user pool, as API Gateway passes them (all strings)."""
    region, when = p["region"], p["when"]
    pool = fmt.cognito_user_pool_id(region, noise.raw("pool", 8))
    issued = when - _dt.timedelta(minutes=5)
    expires = issued + _dt.timedelta(hours=1)
    times = ((_java_date(issued), _java_date(expires)) if rest
             else (str(fmt.epoch_seconds(issued)), str(fmt.epoch_seconds(expires))))
    user = f"user-{noise.below('user', 10_000)}"
    return {
        "sub": noise.uuid4("sub"),
        "email_verified": "true",
        "iss": f"https://cognito-idp.{region}.{fmt.amazonaws_domain(region)}/{pool}",
        "cognito:username": user,
        "aud": fmt.api_id(noise.raw("client", 8)) * 2 + fmt.api_id(noise.raw("client2", 8))[:6],
        "event_id": noise.uuid4("event"),
        "token_use": "id",
        "auth_time": str(fmt.epoch_seconds(issued)),
        "exp": times[1],
        "iat": times[0],
        "email": f"{user}@example.com",
    }


def _iam_caller(p: dict[str, Any], noise: fmt.Noise) -> dict[str, str]:
    """A SigV4 caller with an assumed role's temporary credentials."""
    session = f"session-{noise.below('session', 1000)}"
    role_id = fmt.iam_unique_id("AROA", noise.raw("role", 11))
    return {
        "accessKey": fmt.access_key_id(noise.raw("access", 11), temporary=True),
        "accountId": p["account"],
        "caller": f"{role_id}:{session}",
        "userArn": f"arn:{fmt.partition(p['region'])}:sts::{p['account']}:assumed-role/app-role/{session}",
    }


def _default_authorizer_contexts() -> st.SearchStrategy[dict[str, str | int | bool]]:
    names = st.from_regex(r"[a-z][A-Za-z0-9_]{0,9}", fullmatch=True).filter(lambda k: k != "principalId")
    values = st.one_of(st.text(_query_chars, max_size=10), st.integers(-(10**6), 10**6), st.booleans())
    return st.dictionaries(names, values, max_size=3)


def _authorizer_context(draw: st.DrawFn, contexts: st.SearchStrategy[dict[str, Any]]) -> dict[str, Any]:
    """What a Lambda authorizer returned as its ``context``: string, number or boolean values."""
    context = draw(contexts)
    if (not isinstance(context, dict) or "principalId" in context
            or not all(isinstance(k, str) and k for k in context)
            or not all(isinstance(v, (str, int, float, bool)) for v in context.values())):
        raise InvalidArgument(f"authorizer_contexts drew {context!r}: a Lambda authorizer's context is a dict "
                              "of non-empty names (not 'principalId') to strings, numbers or booleans")
    return context


def _encode_body(body: str | bytes | None) -> tuple[str | None, bool]:
    if isinstance(body, bytes):
        return fmt.b64(body), True
    return body, False


@st.composite
def _api_gateway_v1(draw: st.DrawFn, /, *, stages: st.SearchStrategy[str], auth_types: st.SearchStrategy[str],
                    contexts: st.SearchStrategy[dict[str, Any]], **parts: Any) -> Event:
    p = draw(_request_parts(**parts))
    stage = draw(stages)
    auth = draw(auth_types)
    noise = draw(_noises)
    multi_headers: dict[str, list[str]] = {
        "Host": [p["domain"]], "User-Agent": [p["user_agent"]], "X-Amzn-Trace-Id": [p["trace"]],
        "X-Forwarded-For": [p["ip"]], "X-Forwarded-Port": ["443"], "X-Forwarded-Proto": ["https"],
        **p["headers"],
    }
    queries: dict[str, list[str]] = p["queries"]
    body, encoded = _encode_body(p["body"])
    identity: Event = {
        "cognitoIdentityPoolId": None, "accountId": None, "cognitoIdentityId": None, "caller": None,
        "sourceIp": p["ip"], "principalOrgId": None, "accessKey": None,
        "cognitoAuthenticationType": None, "cognitoAuthenticationProvider": None, "userArn": None,
        "userAgent": p["user_agent"], "user": None,
    }
    if auth == "AWS_IAM":
        caller = _iam_caller(p, noise)
        identity.update(caller, user=caller["caller"])
    event: Event = {
        "resource": p["path"],
        "path": p["path"],
        "httpMethod": p["method"],
        "headers": {k: v[-1] for k, v in multi_headers.items()},
        "multiValueHeaders": multi_headers,
        "queryStringParameters": {k: v[-1] for k, v in queries.items()} or None,
        "multiValueQueryStringParameters": queries or None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": p["resource_id"],
            "resourcePath": p["path"],
            "httpMethod": p["method"],
            "extendedRequestId": p["extended_id"],
            "requestTime": fmt.clf_time(p["when"]),
            "path": f"/{stage}{p['path']}",
            "accountId": p["account"],
            "protocol": "HTTP/1.1",
            "stage": stage,
            "domainPrefix": p["api_id"],
            "requestTimeEpoch": fmt.epoch_millis(p["when"]),
            "requestId": p["request_id"],
            "identity": identity,
            "domainName": p["domain"],
            "apiId": p["api_id"],
        },
        "body": body,
        "isBase64Encoded": encoded,
    }
    if auth == "CUSTOM":
        event["requestContext"]["authorizer"] = {
            "principalId": f"user-{noise.below('principal', 10_000)}", **_authorizer_context(draw, contexts)}
    elif auth == "COGNITO_USER_POOLS":
        event["requestContext"]["authorizer"] = {"claims": _token_claims(p, noise, rest=True)}
    return event


@st.composite
def _api_gateway_v2(draw: st.DrawFn, /, *, stages: st.SearchStrategy[str], auth_types: st.SearchStrategy[str],
                    contexts: st.SearchStrategy[dict[str, Any]], **parts: Any) -> Event:
    p = draw(_request_parts(**parts))
    stage = draw(stages)
    auth = draw(auth_types)
    noise = draw(_noises)
    raw_path = p["path"] if stage == "$default" else f"/{stage}{p['path']}"
    headers = {k.lower(): ",".join(v) for k, v in p["headers"].items()}
    headers.update({"host": p["domain"], "user-agent": p["user_agent"], "x-amzn-trace-id": p["trace"],
                    "x-forwarded-for": p["ip"], "x-forwarded-port": "443", "x-forwarded-proto": "https"})
    if p["body"] is not None:
        headers["content-length"] = str(len(p["body"].encode("utf-8") if isinstance(p["body"], str)
                                            else p["body"]))
    queries: dict[str, list[str]] = p["queries"]
    event: Event = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": urllib.parse.urlencode([(k, v) for k, vs in queries.items() for v in vs]),
        "headers": headers,
    }
    if queries:
        event["queryStringParameters"] = {k: ",".join(v) for k, v in queries.items()}
    event["requestContext"] = {
        "accountId": p["account"],
        "apiId": p["api_id"],
    }
    if auth == "JWT":
        scopes = draw(st.one_of(st.none(), st.lists(st.sampled_from(["read", "write", "admin"]), min_size=1,
                                                    max_size=3, unique=True)))
        event["requestContext"]["authorizer"] = {"jwt": {"claims": _token_claims(p, noise, rest=False),
                                                         "scopes": scopes}}
    elif auth == "CUSTOM":
        event["requestContext"]["authorizer"] = {"lambda": _authorizer_context(draw, contexts)}
    elif auth == "AWS_IAM":
        caller = _iam_caller(p, noise)
        event["requestContext"]["authorizer"] = {"iam": {
            "accessKey": caller["accessKey"], "accountId": caller["accountId"], "callerId": caller["caller"],
            "cognitoIdentity": None, "principalOrgId": None, "userArn": caller["userArn"],
            "userId": caller["caller"].split(":")[0]}}
    event["requestContext"].update({
        "domainName": p["domain"],
        "domainPrefix": p["api_id"],
        "http": {"method": p["method"], "path": raw_path, "protocol": "HTTP/1.1", "sourceIp": p["ip"],
                 "userAgent": p["user_agent"]},
        "requestId": p["extended_id"],
        "routeKey": "$default",
        "stage": stage,
        "time": fmt.clf_time(p["when"]),
        "timeEpoch": fmt.epoch_millis(p["when"]),
    })
    body, encoded = _encode_body(p["body"])
    if body is not None:
        event["body"] = body
    event["isBase64Encoded"] = encoded
    return event


# ==================================================================================
# any event
# ==================================================================================
def events(*, region: str | None = None, account: str | None = None) -> st.SearchStrategy[Event]:
    """Any of the events above; it shrinks to the simplest, a scheduled event."""
    region = _opt(region, "region", fmt.check_region)
    account = _opt(account, "account", fmt.check_account)
    return st.one_of(
        scheduled_events(region=region, account=account),
        s3_events(region=region),
        sqs_events(region=region, account=account),
        sns_events(region=region, account=account),
        eventbridge_events(region=region, account=account),
        dynamodb_stream_events(region=region, account=account),
        kinesis_events(region=region, account=account),
        api_gateway_events(region=region, account=account),
    )


# ==================================================================================
# delivery histories
# ==================================================================================
SdkFailureKind = Literal["before", "response_lost"]


@dataclass(frozen=True)
class Duplicate:
    """One extra delivery of the event, with the same request id (at-least-once).

    ``concurrent``: the duplicate runs while the first delivery is still
    running (only meaningful for async handlers; applied by the idempotency
    checker)."""

    concurrent: bool = False


@dataclass(frozen=True)
class FunctionError:
    """Attempt ``attempt`` (1 = the first) ends in a function error, and the
    service retries the event (after about 1, then 2 minutes)."""

    attempt: int = 1


@dataclass(frozen=True)
class Throttle:
    """One delivery is throttled (429) before an attempt, and retried with back-off."""


@dataclass(frozen=True)
class SdkFailure:
    """The ``call_index``-th AWS SDK call (0 = the first) an attempt makes fails.

    ``"before"``: it fails before it takes effect (``ThrottlingException``,
    ``ServiceUnavailable``).  ``"response_lost"``: it takes effect, then the
    response is lost (a read timeout), so the handler sees an error for work
    that was done.  The attempt ends as the handler lets it (usually a
    function error, then a retry).  Injected by the idempotency checker."""

    call_index: int = 0
    kind: SdkFailureKind = "before"


Delivery = Union[Duplicate, FunctionError, Throttle, SdkFailure]
"""One step of a :class:`DeliveryHistory`."""


class _LambdaFunctionLike(Protocol):
    def fail_next(self, n: int = ..., /) -> object: ...

    def throttle_next(self, n: int = ..., /) -> object: ...


class _InvokerLike(Protocol):
    def function(self, name: str, /) -> Any: ...

    def invoke(self, function_name: str, payload: Any = ..., /, *, invocation_type: Literal["Event"] = ...,
               duplicates: int = ...) -> Any: ...

    def run(self) -> Any: ...


@dataclass(frozen=True)
class DeliveryHistory:
    """What the service does with one event: a tuple of :data:`Delivery` steps.

    The empty history is one clean delivery.  Steps read in order: throttles
    before the first attempt, then the failing attempts (``FunctionError`` or
    ``SdkFailure``, attempt 1, 2, ...), then the final successful attempt, then
    duplicate deliveries.  Histories are frozen and compare by value.
    """

    steps: tuple[Delivery, ...] = ()

    def __post_init__(self) -> None:
        steps: Any = self.steps
        if not isinstance(steps, tuple):  # accept any iterable, store a tuple
            object.__setattr__(self, "steps", tuple(steps))
        failures = 0
        for step in self.steps:
            if not isinstance(step, (Duplicate, FunctionError, Throttle, SdkFailure)):
                raise TypeError(f"a delivery history step is a Duplicate, FunctionError, Throttle or "
                                f"SdkFailure, got {step!r}")
            if isinstance(step, (FunctionError, SdkFailure)):
                failures += 1
                if isinstance(step, FunctionError) and step.attempt != failures:
                    raise ValueError(
                        f"{step!r} is failure number {failures} of this history, so it fails attempt "
                        f"{failures}: attempts fail in order, each followed by a retry")
            if isinstance(step, SdkFailure) and (step.kind not in ("before", "response_lost")
                                                 or step.call_index < 0):
                raise ValueError(f"{step!r}: call_index is >= 0 and kind is 'before' or 'response_lost'")

    # -- counts ------------------------------------------------------------------
    @property
    def is_clean(self) -> bool:
        """True for the empty history: one clean delivery."""
        return not self.steps

    @property
    def duplicates(self) -> int:
        return sum(isinstance(s, Duplicate) for s in self.steps)

    @property
    def concurrent_duplicates(self) -> int:
        return sum(isinstance(s, Duplicate) and s.concurrent for s in self.steps)

    @property
    def function_errors(self) -> int:
        return sum(isinstance(s, FunctionError) for s in self.steps)

    @property
    def throttles(self) -> int:
        return sum(isinstance(s, Throttle) for s in self.steps)

    @property
    def sdk_failures(self) -> tuple[SdkFailure, ...]:
        return tuple(s for s in self.steps if isinstance(s, SdkFailure))

    @property
    def attempts(self) -> int:
        """Attempts the first delivery gets: one per failure, plus the final one."""
        return 1 + self.function_errors + len(self.sdk_failures)

    # -- text --------------------------------------------------------------------
    def describe(self) -> list[str]:
        """Human-readable lines, one per step, in the order they happen."""
        if not self.steps:
            return ["one clean delivery: attempt #1 succeeds"]
        lines: list[str] = []
        throttles = 0
        for step in self.steps:
            if isinstance(step, Throttle):
                throttles += 1
                lines.append(f"throttled (429) before an attempt, retried after "
                             f"{aws.throttle_delay(throttles):g}s back-off")
        attempt = 0
        for step in self.steps:
            if isinstance(step, (FunctionError, SdkFailure)):
                attempt += 1
                delay = aws.RETRY_DELAYS.get(attempt)
                retry = f", retried after {delay:g}s" if delay is not None else ", retried"
                if isinstance(step, FunctionError):
                    lines.append(f"attempt #{attempt}: function error{retry}")
                elif step.kind == "before":
                    lines.append(f"attempt #{attempt}: AWS SDK call [{step.call_index}] fails before it takes "
                                 f"effect (throttling / ServiceUnavailable){retry}")
                else:
                    lines.append(f"attempt #{attempt}: AWS SDK call [{step.call_index}] takes effect, then its "
                                 f"response is lost (read timeout){retry}")
        lines.append(f"attempt #{attempt + 1}: success")
        dup = 0
        for step in self.steps:
            if isinstance(step, Duplicate):
                dup += 1
                lines.append(f"duplicate delivery #{dup} (same request id)"
                             + (", concurrent with the first" if step.concurrent else ""))
        return lines

    def __str__(self) -> str:
        return "\n".join(self.describe())

    # -- replay ------------------------------------------------------------------
    def apply(self, invoker: _InvokerLike, function_name: str, event: Any) -> Any:
        """Replay this history on a :class:`~pytest_lambda_async.LambdaInvoker`.

        Sets up the throttles (``throttle_next``) and function errors
        (``fail_next``) on the registered function, invokes ``event`` with
        ``invocation_type="Event"`` and ``duplicates=``, then runs the
        invoker until nothing is queued.  Returns the invoke result.

        ``fail_next`` counts attempts in the order the service makes them, so
        with duplicates an error can land on a duplicate's attempt; the event
        still sees that many errors, each retried.  ``SdkFailure`` steps and
        ``Duplicate.concurrent`` are not applied here: the idempotency checker
        applies them, as only it wraps the handler's SDK calls and runs
        duplicates side by side.
        """
        fn = invoker.function(function_name)
        if self.throttles:
            fn.throttle_next(self.throttles)
        if self.function_errors:
            fn.fail_next(self.function_errors)
        result = invoker.invoke(function_name, event, invocation_type="Event", duplicates=self.duplicates)
        invoker.run()
        return result


@st.composite
def _histories(draw: st.DrawFn, *, max_duplicates: int, max_retry_attempts: int, max_throttles: int,
               sdk_failures: bool, concurrent: bool) -> DeliveryHistory:
    throttles = draw(st.lists(st.just(Throttle()), max_size=max_throttles))
    sdk = st.builds(SdkFailure, call_index=st.integers(0, 20),
                    kind=st.sampled_from(("before", "response_lost")))
    failure_kinds = st.one_of(st.just("error"), sdk) if sdk_failures else st.just("error")
    failures = draw(st.lists(failure_kinds, max_size=max_retry_attempts))
    failing: list[Delivery] = [
        kind if isinstance(kind, SdkFailure) else FunctionError(attempt=i + 1)
        for i, kind in enumerate(failures)
    ]
    duplicate = st.builds(Duplicate, concurrent=st.booleans()) if concurrent else st.just(Duplicate())
    duplicates = draw(st.lists(duplicate, max_size=max_duplicates))
    return DeliveryHistory((*throttles, *failing, *duplicates))


def delivery_histories(
    *,
    max_duplicates: int = 2,
    max_retry_attempts: int = 2,
    max_throttles: int = 3,
    sdk_failures: bool = True,
    concurrent: bool = True,
) -> st.SearchStrategy[DeliveryHistory]:
    """What the service may do with one event, as a :class:`DeliveryHistory`.

    Up to ``max_duplicates`` extra deliveries (each ``concurrent`` or not
    when ``concurrent=True``), up to ``max_retry_attempts`` failed attempts
    each followed by a retry (function errors, and SDK failures when
    ``sdk_failures=True``), and up to ``max_throttles`` throttles.  Shrinks
    towards the empty history (one clean delivery): fewer steps, then
    ``concurrent=False``, ``call_index=0``, ``kind="before"``.
    """
    return _histories(
        max_duplicates=fmt.check_int(_value(max_duplicates, "max_duplicates"), "max_duplicates", 0, 100),
        max_retry_attempts=fmt.check_int(_value(max_retry_attempts, "max_retry_attempts"), "max_retry_attempts",
                                         *aws.MAX_RETRY_ATTEMPTS_RANGE),
        max_throttles=fmt.check_int(_value(max_throttles, "max_throttles"), "max_throttles", 0, 100),
        sdk_failures=fmt.check_bool(_value(sdk_failures, "sdk_failures"), "sdk_failures"),
        concurrent=fmt.check_bool(_value(concurrent, "concurrent"), "concurrent"),
    )


# ==================================================================================
# contexts
# ==================================================================================
@dataclass(frozen=True)
class GeneratedCognitoIdentity:
    cognito_identity_id: str | None = None
    cognito_identity_pool_id: str | None = None


@dataclass(frozen=True)
class GeneratedLambdaContext:
    """A Lambda context with the attributes the Python runtime gives (PY-3).

    ``get_remaining_time_in_millis()`` returns the drawn, fixed
    ``remaining_time_in_millis``; ``log(msg)`` writes to stdout."""

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: str
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    remaining_time_in_millis: int
    identity: GeneratedCognitoIdentity = field(default_factory=GeneratedCognitoIdentity)
    client_context: None = None
    tenant_id: str | None = None

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_time_in_millis

    def log(self, msg: str) -> None:
        sys.stdout.write(msg)


def lambda_contexts(
    *,
    function_name: str | None = None,
    memory_size: int | None = None,
    timeout: float | None = None,
    region: str | None = None,
    account: str | None = None,
) -> st.SearchStrategy[GeneratedLambdaContext]:
    """:class:`GeneratedLambdaContext` objects.

    ``memory_size`` (MB, 128 to 10240) and ``timeout`` (seconds, 1 to 900)
    pin the configuration; the remaining time is drawn from 0 to the timeout.
    Shrinks to ``$LATEST``, an unqualified ARN, 128 MB and 0 ms left.
    """
    function_name = _opt(function_name, "function_name", fmt.check_function_name)
    _value(memory_size, "memory_size")
    if memory_size is not None:
        fmt.check_int(memory_size, "memory_size", *fmt.MEMORY_RANGE)
    _value(timeout, "timeout")
    seconds = aws.DEFAULT_TIMEOUT if timeout is None else fmt.check_number(
        timeout, "timeout", aws.TIMEOUT_MIN, aws.TIMEOUT_MAX)
    region = _opt(region, "region", fmt.check_region)
    account = _opt(account, "account", fmt.check_account)
    return _lambda_contexts(
        names=_names(function_name, "example-function", r"[A-Za-z0-9_-]{1,30}"),
        memory_sizes=st.just(memory_size) if memory_size is not None else st.one_of(
            st.just(aws.DEFAULT_MEMORY_MB), st.integers(*fmt.MEMORY_RANGE)),
        remaining=st.integers(0, int(seconds * 1000)),
        regions=_regions(region), accounts=_accounts(account),
    )


@st.composite
def _lambda_contexts(draw: st.DrawFn, *, names: st.SearchStrategy[str], memory_sizes: st.SearchStrategy[int],
                     remaining: st.SearchStrategy[int], regions: st.SearchStrategy[str],
                     accounts: st.SearchStrategy[str]) -> GeneratedLambdaContext:
    name = draw(names)
    region = draw(regions)
    account = draw(accounts)
    version = draw(st.one_of(st.just(aws.LATEST), st.integers(1, 500).map(str)))
    qualifier = draw(st.sampled_from([None, version]))
    memory = draw(memory_sizes)
    left = draw(remaining)
    when = draw(_times())
    noise = draw(_noises)
    return GeneratedLambdaContext(
        function_name=name,
        function_version=version,
        invoked_function_arn=fmt.function_arn(name, region, account, qualifier),
        memory_limit_in_mb=str(memory),
        aws_request_id=noise.uuid4("request"),
        log_group_name=fmt.log_group_name(name),
        log_stream_name=fmt.log_stream_name(when, version, noise.hex("instance", 16)),
        remaining_time_in_millis=left,
    )
