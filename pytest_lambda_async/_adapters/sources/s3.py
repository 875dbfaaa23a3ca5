"""S3 bucket notifications to Lambda (SRC-1): each matching object event becomes an ``Event`` invocation.

moto decides which notification configurations match an object event (event types with their
``s3:ObjectCreated:*`` wildcards, the key's prefix and suffix filters) in
``moto.s3.notifications.send_event`` and hands each matching Lambda configuration to
``_invoke_awslambda``, which asks moto's Lambda (Docker) and swallows every error.  While an invoker is
routed both are wrapped: ``send_event`` remembers the bucket and key it is notifying about, and
``_invoke_awslambda`` sends the record AWS sends to the invoker, which queues it on the virtual clock, so
retries, duplicates, destinations and DLQs apply (sections 2 to 6).  A configuration naming a function
the invoker does not have is a ``not invoked`` line in the timeline, never a silent loss.

SQS and SNS notification targets, and EventBridge (``EventBridgeConfiguration``), stay moto's; an SNS
topic's Lambda subscription and an EventBridge rule's Lambda target are this package's other hooks, so
S3 -> SNS -> Lambda and S3 -> EventBridge -> Lambda reach the invoker too.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import os
import urllib.parse
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from ..._service import aws
from ..botocore import active_invoker
from .hooks import Hook, register

__all__ = ["s3_record", "s3_source"]

# What send_event is notifying about while it runs: (event name "s3:ObjectCreated:Put", bucket, key).
_NOTIFYING: ContextVar[tuple[str, Any, Any] | None] = ContextVar("pytest_lambda_async_s3_notifying", default=None)
_SEQUENCE = itertools.count(1)

# Fixed identities in AWS's formats (the S3 user guide's examples): moto has no callers' IAM identities.
PRINCIPAL_ID = "AWS:AIDAJDPLRKLG7UEXAMPLE"
OWNER_ID = "A3NL1KOZZKExample"
SOURCE_IP = "127.0.0.1"
# Event structure 2.3 for these (S3 user guide, "Event message structure"); 2.1 for all others.
_VERSION_2_3 = ("LifecycleExpiration:", "LifecycleTransition", "IntelligentTiering", "ObjectAcl:", "ObjectTagging:",
                "ObjectRestore:Delete")


def encode_key(key: str) -> str:
    """Object keys in notifications are form-URL-encoded (a space becomes ``+``); ``/`` stays (moto encodes it)."""
    return urllib.parse.quote_plus(key, safe="/*").replace("~", "%7E")


def s3_source(bucket: str, event_name: str) -> str:
    """How the timeline names the source: ``s3:uploads ObjectCreated:Put``."""
    return f"s3:{bucket} {event_name}"


def s3_record(moto_record: dict[str, Any], *, key: Any, bucket: Any, when: str) -> dict[str, Any]:
    """The record AWS sends (SRC-1), from the one moto built: moto's fields (bucket, configuration id, size,
    ETag), the fields moto leaves out (identities, request ids, sequencer, version id) and the key encoded
    as S3 encodes it.  ``when``: the virtual time, ISO with milliseconds."""
    name = moto_record["eventName"]
    s3 = moto_record["s3"]
    key_name = getattr(key, "name", None)
    obj: dict[str, Any] = {"key": encode_key(key_name) if isinstance(key_name, str) else s3["object"]["key"]}
    if not name.startswith(("ObjectRemoved:", "LifecycleExpiration:")):
        obj["size"] = s3["object"].get("size")
        obj["eTag"] = s3["object"].get("eTag")
    if getattr(bucket, "is_versioned", False) and getattr(key, "version_id", None) not in (None, "null"):
        obj["versionId"] = key.version_id
    sequence = next(_SEQUENCE)
    if name.startswith(("ObjectCreated:", "ObjectRemoved:")):  # "only used with PUTs and DELETEs"
        obj["sequencer"] = f"{sequence:018X}"
    digest = hashlib.sha256(f"{s3['bucket']['name']}/{obj['key']}#{sequence}".encode()).digest()
    return {
        "eventVersion": "2.3" if name.startswith(_VERSION_2_3) else "2.1",
        "eventSource": "aws:s3",
        "awsRegion": moto_record["awsRegion"],
        "eventTime": when,
        "eventName": name,
        "userIdentity": {"principalId": PRINCIPAL_ID},
        "requestParameters": {"sourceIPAddress": SOURCE_IP},
        "responseElements": {"x-amz-request-id": digest[:8].hex().upper(),
                             "x-amz-id-2": base64.b64encode(digest + digest[:24]).decode("ascii")},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": s3["configurationId"],
            "bucket": {"name": s3["bucket"]["name"], "ownerIdentity": {"principalId": OWNER_ID},
                       "arn": s3["bucket"]["arn"]},
            "object": obj,
        },
    }


def _wrap_send_event(original: Callable[..., Any]) -> Callable[..., Any]:
    def send_event(account_id: str, event_name: Any, bucket: Any, key: Any) -> Any:
        token = _NOTIFYING.set((str(getattr(event_name, "value", event_name)), bucket, key))
        try:
            return original(account_id, event_name, bucket, key)
        finally:
            _NOTIFYING.reset(token)

    return send_event


def _wrap_invoke_awslambda(original: Callable[..., Any]) -> Callable[..., Any]:
    def _invoke_awslambda(account_id: str, event_body: Any, fn_arn: str, region_name: str) -> Any:
        invoker = active_invoker()
        if invoker is None:
            return original(account_id, event_body, fn_arn, region_name)
        notifying = _NOTIFYING.get()
        _, bucket, key = notifying if notifying is not None else (None, None, None)
        [moto_record] = event_body["Records"]
        record = s3_record(moto_record, key=key, bucket=bucket, when=aws.iso_millis(invoker.now))
        invoker.accept_source_event(fn_arn, {"Records": [record]},
                                    source=s3_source(record["s3"]["bucket"]["name"], record["eventName"]),
                                    region=region_name, trace=os.environ.get(aws.TRACE_ID_ENV))
        return None

    return _invoke_awslambda


register([
    Hook("moto.s3.notifications", None, "send_event", _wrap_send_event),
    Hook("moto.s3.notifications", None, "_invoke_awslambda", _wrap_invoke_awslambda),
])
