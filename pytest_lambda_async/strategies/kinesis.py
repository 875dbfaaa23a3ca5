"""Kinesis Data Streams batches: :func:`kinesis_events`."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from . import formats as fmt
from ._common import (
    DEFAULT_MAX_RECORDS,
    Event,
    account_strategy,
    batch,
    check_max_records,
    check_tumbling,
    into_window,
    name_strategy,
    noises,
    optional_value,
    payload_strategy,
    printable_chars,
    region_strategy,
    timestamps,
    window_fields,
    window_states,
)


def kinesis_events(
    *,
    stream_name: str | None = None,
    region: str | None = None,
    account: str | None = None,
    data: st.SearchStrategy[bytes] | None = None,
    partition_keys: st.SearchStrategy[str] | None = None,
    max_records: int = DEFAULT_MAX_RECORDS,
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
    stream_name = optional_value(stream_name, "stream_name", fmt.check_stream_name)
    region = optional_value(region, "region", fmt.check_region)
    account = optional_value(account, "account", fmt.check_account)
    data_strategy = payload_strategy(data, "data", st.binary(max_size=64))
    key_strategy = payload_strategy(partition_keys, "partition_keys",
                                    st.text(printable_chars, min_size=1, max_size=16))
    n = check_max_records(max_records, fmt.KINESIS_BATCH_MAX)
    window = check_tumbling(tumbling_window, states)
    return _kinesis_events(streams=name_strategy(stream_name, "example-stream", r"[A-Za-z0-9_.-]{1,30}"),
                           regions=region_strategy(region), accounts=account_strategy(account), data=data_strategy,
                           partition_keys=key_strategy, max_records=n,
                           states=window_states(states) if window else None)


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
    records = draw(batch(record, max_records, lambda r: r["kinesis"]["sequenceNumber"]))
    numbers = sorted(r["kinesis"]["sequenceNumber"] for r in records)  # fixed width: text order is numeric
    times = sorted(r["kinesis"]["approximateArrivalTimestamp"] for r in records)
    event: Event = {"Records": records}
    if states is not None:
        stream_arn = records[0]["eventSourceARN"]
        fields, start, seconds = draw(window_fields(states=states, stream_arn=stream_arn, shard_id=shard,
                                                    first=times[0]))
        times = into_window(times, start, seconds, 0.001)
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
    when = draw(timestamps())
    number = fmt.kinesis_sequence_number(draw(noises).below("sequence", 10**54))
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
