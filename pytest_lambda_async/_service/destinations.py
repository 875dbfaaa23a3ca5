"""Where invocation records and dead-letter messages go (DST-1..DST-6, DLQ-1..DLQ-6).

Without moto every target is an in-memory sink read with ``records()``;
the message shapes (SQS body, SNS Message, EventBridge envelope, S3 key)
are built here once, whatever backend receives them.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from . import aws
from .records import Role



@dataclass(frozen=True)
class Delivered:
    """One message as it reached a destination or dead-letter queue."""

    target: str  # the ARN (or registered function name) it was sent to
    kind: aws.DestinationKind
    role: Role
    request_id: str
    at: _dt.datetime
    body: Any = field(hash=False)  # the record (destinations) or the original event (DLQ-3)
    attributes: dict[str, dict[str, str]] = field(default_factory=dict, hash=False)  # DLQ-4
    envelope: dict[str, Any] | None = field(default=None, hash=False)  # EventBridge (DST-4)
    key: str | None = None  # S3 object key (DST-5)
    trace_header: str | None = None  # the invocation's trace, carried by an SQS destination message (DST-7)

    @property
    def wire_body(self) -> str:
        """The body as the target service stores it: JSON text."""
        return json.dumps(self.envelope if self.envelope is not None else self.body)


class DeliveryFailed(Exception):
    """The target refused or does not exist (DST-6, DLQ-6)."""


class Backend(Protocol):
    """Something that accepts deliveries (the in-memory sinks; moto, once issue 3 lands)."""

    def deliver(self, message: Delivered) -> None: ...


class MemorySinks:
    """In-memory destinations, keyed by the target as configured."""

    def __init__(self) -> None:
        self.by_target: dict[str, list[Delivered]] = {}

    def deliver(self, message: Delivered) -> None:
        self.by_target.setdefault(message.target, []).append(message)


def build_message(*, destination: aws.Destination, role: Role, request_id: str, at: _dt.datetime,
                  payload: Any, function_arn: str, region: str, account: str,
                  error_message: str | None, success: bool, new_uuid: Callable[[], str],
                  eventbridge_source: str, trace_header: str | None = None) -> Delivered:
    """Shape ``payload`` (a record, or the event for a DLQ) for ``destination``.

    ``trace_header`` is the invocation's trace (DST-7); by default the one the runtime set for
    its attempt, if that is still set (``aws.destination_trace_header``)."""
    if role == "dead_letter":  # DLQ-3, DLQ-4: the event as is, with three attributes
        return Delivered(destination.arn, destination.kind, role, request_id, at, payload,
                         attributes=aws.dead_letter_attributes(request_id, error_message))
    envelope = None
    key = None
    if destination.kind == "events":  # DST-4
        envelope = {
            "version": "0", "id": new_uuid(), "detail-type": aws.EVENTBRIDGE_DETAIL_TYPES[success],
            "source": eventbridge_source, "account": account, "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": region, "resources": aws.eventbridge_resources(destination.arn, function_arn),
            "detail": payload,
        }
    elif destination.kind == "s3":  # DST-5
        key = aws.s3_destination_key(function_arn.split(":")[6], at, new_uuid())
    if trace_header is None:
        trace_header = aws.destination_trace_header(request_id, os.environ.get(aws.TRACE_ID_ENV))
    return Delivered(destination.arn, destination.kind, role, request_id, at, payload,
                     envelope=envelope, key=key, trace_header=trace_header)
