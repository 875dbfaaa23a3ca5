"""S3 event notifications: :func:`s3_events`."""

from __future__ import annotations

from typing import Final

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from . import formats as fmt
from ._common import (
    DEFAULT_MAX_RECORDS,
    Event,
    batch,
    check_max_records,
    name_strategy,
    noises,
    optional_value,
    payload_strategy,
    refuse_drawn,
    region_strategy,
    timestamps,
)

_S3_PLAIN_BUCKET: Final = "example-bucket"
_s3_key_chars: Final = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs"))


def s3_events(
    *,
    bucket: str | None = None,
    region: str | None = None,
    event_name: str | None = None,
    keys: st.SearchStrategy[str] | None = None,
    contents: st.SearchStrategy[bytes] | None = None,
    max_records: int = DEFAULT_MAX_RECORDS,
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
    bucket = optional_value(bucket, "bucket", fmt.check_bucket_name)
    region = optional_value(region, "region", fmt.check_region)
    event_name = optional_value(event_name, "event_name", lambda v, a: fmt.check_choice(v, a, fmt.S3_EVENT_NAMES))
    key_strategy = payload_strategy(keys, "keys", st.text(_s3_key_chars, min_size=1, max_size=40))
    content_strategy = payload_strategy(contents, "contents", st.binary(max_size=64))
    n = check_max_records(max_records, 100)
    return _s3_events(
        buckets=name_strategy(bucket, _S3_PLAIN_BUCKET, r"[a-z0-9][a-z0-9-]{1,20}[a-z0-9]", fmt.check_bucket_name),
        regions=region_strategy(region),
        event_names=st.just(event_name) if event_name else st.sampled_from(fmt.S3_EVENT_NAMES),
        keys=key_strategy, contents=content_strategy, max_records=n,
    )


@st.composite
def _s3_events(draw: st.DrawFn, *, buckets: st.SearchStrategy[str], regions: st.SearchStrategy[str],
               event_names: st.SearchStrategy[str], keys: st.SearchStrategy[str],
               contents: st.SearchStrategy[bytes], max_records: int) -> Event:
    bucket = draw(buckets)
    region = draw(regions)
    noise = draw(noises)
    owner = fmt.iam_unique_id("A", noise.raw("owner", 11))[:14]
    configuration_id = draw(st.sampled_from(["lambda-trigger", noise.uuid4("configuration")]))
    record = _s3_record(bucket=bucket, region=region, owner=owner, configuration_id=configuration_id,
                        event_names=event_names, keys=keys, contents=contents)
    records = draw(batch(record, max_records, lambda r: r["s3"]["object"]["sequencer"]))
    return {"Records": records}


@st.composite
def _s3_record(draw: st.DrawFn, *, bucket: str, region: str, owner: str, configuration_id: str,
               event_names: st.SearchStrategy[str], keys: st.SearchStrategy[str],
               contents: st.SearchStrategy[bytes]) -> Event:
    name = draw(event_names)
    key = draw(keys)
    refuse_drawn("keys", fmt.s3_key_problem(key), key)
    # Drawn whatever the event name, so that shrinking the name keeps the rest.
    content = draw(contents)
    if not isinstance(content, bytes):
        raise InvalidArgument(f"contents drew {content!r}: object contents are bytes")
    when = draw(timestamps())
    noise = draw(noises)
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
