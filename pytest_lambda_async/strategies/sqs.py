"""SQS event source mapping batches: :func:`sqs_events`."""

from __future__ import annotations

import base64
import struct
from typing import Any, Final

from hypothesis import strategies as st

from . import formats as fmt
from ._common import (
    DEFAULT_MAX_RECORDS,
    Event,
    account_strategy,
    batch,
    check_max_records,
    message_chars,
    name_strategy,
    noises,
    optional_value,
    payload_strategy,
    refuse_drawn,
    region_strategy,
    timestamps,
)

_SQS_DATA_TYPES: Final = ("String", "Number", "Binary")


def sqs_events(
    *,
    queue_name: str | None = None,
    region: str | None = None,
    account: str | None = None,
    bodies: st.SearchStrategy[str] | None = None,
    message_attributes: st.SearchStrategy[dict[str, Any]] | None = None,
    max_records: int = DEFAULT_MAX_RECORDS,
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
    queue_name = optional_value(queue_name, "queue_name", fmt.check_queue_name)
    region = optional_value(region, "region", fmt.check_region)
    account = optional_value(account, "account", fmt.check_account)
    body_strategy = payload_strategy(bodies, "bodies", st.text(message_chars, min_size=1, max_size=40))
    attrs = payload_strategy(message_attributes, "message_attributes", _sqs_message_attributes())
    fifo = queue_name is not None and queue_name.endswith(".fifo")
    n = check_max_records(max_records, fmt.SQS_FIFO_BATCH_MAX if fifo else fmt.SQS_BATCH_MAX)
    return _sqs_events(
        queue_names=name_strategy(queue_name, "example-queue", r"[A-Za-z0-9_-]{1,40}(\.fifo)?"),
        regions=region_strategy(region), accounts=account_strategy(account), bodies=body_strategy,
        message_attributes=attrs, max_records=n,
    )


def _sqs_message_attributes() -> st.SearchStrategy[dict[str, Any]]:
    value = st.one_of(
        st.builds(lambda v: {"stringValue": v, "stringListValues": [], "binaryListValues": [],
                             "dataType": "String"}, st.text(message_chars, min_size=1, max_size=10)),
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
    sender = fmt.iam_unique_id("AIDA", draw(noises).raw("sender", 11))
    record = _sqs_record(queue_arn=fmt.sqs_queue_arn(region, account, queue), region=region, sender=sender,
                         fifo=fifo, bodies=bodies, message_attributes=message_attributes)
    records = draw(batch(record, min(max_records, fmt.SQS_FIFO_BATCH_MAX) if fifo else max_records,
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
    refuse_drawn("bodies", fmt.sqs_body_problem(body), body)
    sent = draw(timestamps())
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
    refuse_drawn("message_attributes", fmt.sqs_message_attributes_problem(attrs), attrs)
    noise = draw(noises)
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
