"""DynamoDB Streams batches: :func:`dynamodb_stream_events`."""

from __future__ import annotations

import datetime as _dt
import json
import string
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Final

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
    plain_value,
    printable_chars,
    region_strategy,
    timestamps,
    window_fields,
    window_states,
)

_attribute_names: Final = st.text(string.ascii_lowercase + "_", min_size=1, max_size=10)
_key_values: Final = st.one_of(st.text(printable_chars, min_size=1, max_size=20), st.integers(-(10**12), 10**12))
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
    max_records: int = DEFAULT_MAX_RECORDS,
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
    table = optional_value(table, "table", fmt.check_table_name)
    region = optional_value(region, "region", fmt.check_region)
    account = optional_value(account, "account", fmt.check_account)
    stream_view_type = optional_value(stream_view_type, "stream_view_type",
                                      lambda v, a: fmt.check_choice(v, a, fmt.STREAM_VIEW_TYPES))
    event_name = optional_value(event_name, "event_name",
                                lambda v, a: fmt.check_choice(v, a, fmt.DYNAMODB_EVENT_NAMES))
    keys = _check_key_attributes(key_attributes)
    news = payload_strategy(new_images, "new_images", _default_items(keys))
    olds = payload_strategy(old_images, "old_images", news)
    n = check_max_records(max_records, fmt.DYNAMODB_BATCH_MAX)
    window = check_tumbling(tumbling_window, states)
    return _dynamodb_stream_events(
        tables=name_strategy(table, "example-table", r"[A-Za-z0-9_.-]{3,30}"),
        regions=region_strategy(region), accounts=account_strategy(account),
        view_types=st.just(stream_view_type) if stream_view_type else st.sampled_from(fmt.STREAM_VIEW_TYPES),
        event_names=st.just(event_name) if event_name else st.sampled_from(fmt.DYNAMODB_EVENT_NAMES),
        key_attributes=keys, new_images=news, old_images=olds, max_records=n,
        states=window_states(states) if window else None,
    )


def _check_key_attributes(key_attributes: Sequence[str]) -> tuple[str, ...]:
    """The table's key attribute names: the partition key, then optionally the sort key."""
    plain_value(key_attributes, "key_attributes")
    if (isinstance(key_attributes, str) or not isinstance(key_attributes, Sequence)
            or not 1 <= len(key_attributes) <= 2 or len(set(key_attributes)) != len(key_attributes)
            or not all(isinstance(k, str) and 1 <= len(k.encode("utf-8")) <= 255 for k in key_attributes)):
        raise InvalidArgument(
            f"key_attributes={key_attributes!r} must be a partition key name, then optionally a sort key name: "
            "a tuple of 1 or 2 distinct non-empty strings of at most 255 bytes")
    return tuple(key_attributes)


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
    created = draw(timestamps())
    stream_arn = fmt.dynamodb_stream_arn(region, account, table, fmt.dynamodb_stream_label(created))
    record = _dynamodb_record(region=region, stream_arn=stream_arn, view_type=view_type, event_names=event_names,
                              key_attributes=key_attributes, new_images=new_images, old_images=old_images)
    records = draw(batch(record, max_records, lambda r: r["dynamodb"]["SequenceNumber"]))
    # One shard's records arrive in sequence-number and creation-time order.
    numbers = sorted((r["dynamodb"]["SequenceNumber"] for r in records), key=int)
    times = sorted(r["dynamodb"]["ApproximateCreationDateTime"] for r in records)
    event: Event = {"Records": records}
    if states is not None:
        fields, start, seconds = draw(window_fields(states=states, stream_arn=stream_arn, shard_id="",
                                                    first=times[0]))
        times = [float(int(t)) for t in into_window(times, start, seconds, 1.0)]
        event.update(fields)
    # A stream exists before its first record: its label is no later than that record.
    created = min(created, _dt.datetime.fromtimestamp(times[0], _dt.timezone.utc))
    stream_arn = fmt.dynamodb_stream_arn(region, account, table, fmt.dynamodb_stream_label(created))
    if states is not None:
        event["shardId"] = fmt.dynamodb_shard_id(fmt.epoch_millis(created), draw(noises).raw("shard", 4))
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
    when = draw(timestamps())
    noise = draw(noises)
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
