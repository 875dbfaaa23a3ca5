"""What an event's source can do: who sends it again, and how late a redelivery can come.

S3 notifications, SNS, EventBridge and SQS deliver at least once, and stream
event source mappings retry a batch: each repeat is a *separate* invocation
with a new ``aws_request_id`` (only Lambda's own retries of one invocation keep
it).  An ``Event`` invoke from code (another function) is re-invoked when its
caller retries, with a new request id too.  The source is read from the
event's shape.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Literal

from .._service import aws

Source = Literal["s3", "sns", "sqs", "eventbridge", "dynamodb", "kinesis", "apigateway", "caller"]

_RECORD_SOURCES: dict[str, Source] = {
    "aws:s3": "s3", "aws:sns": "sns", "aws:sqs": "sqs", "aws:dynamodb": "dynamodb", "aws:kinesis": "kinesis",
}

# Delays of a redelivery from the source (seconds after the first delivery), simplest first: just
# after it, then just past the 5-minute deduplication windows handlers lean on (SQS FIFO's interval,
# a 5-minute idempotency record), then as late as the function's maximum event age lets an event
# arrive (its caller's own retries, a throttled event, a redrive), past any shorter record.
EARLY_DELAY = aws.EARLY_REDELIVERY
LATE_DELAYS = (aws.DEDUPLICATION_INTERVAL + 1,)


def event_source(event: Any) -> Source:
    """The AWS service that sent ``event``, read from its shape ("caller": a direct invoke)."""
    if isinstance(event, dict):
        records = event.get("Records")
        if isinstance(records, list) and records and isinstance(records[0], dict):
            first = records[0]
            name = first.get("eventSource") or first.get("EventSource")
            if isinstance(name, str) and name in _RECORD_SOURCES:
                return _RECORD_SOURCES[name]
        if "detail-type" in event and "source" in event:
            return "eventbridge"
        if "requestContext" in event or "httpMethod" in event or "routeKey" in event:
            return "apigateway"
    return "caller"


redelivery_delays = aws.redelivery_delays


def late_retries(maximum_event_age: int) -> tuple[tuple[int, int], ...]:
    """``(attempt, throttles)``: Lambda's retry of a failed attempt #1, then of a failed attempt #2
    (same request id), each throttled until as late as ``maximum_event_age`` lets it come (RET-3,
    RET-4).  Only the latest: a record that has expired by an earlier retry has expired by the
    latest one too, so earlier ones would find nothing more."""
    return tuple((retry + 1, counts[-1]) for retry in (1, 2)
                 for counts in [aws.late_retry_throttles((), maximum_event_age, retry)] if counts)


# Every run starts at the same time of day, so a history breaks a handler or not whatever the time
# the test runs at, and its report replays: mid-minute and mid-hour (a 2 s redelivery or a 3-minute
# retry crosses no boundary), at noon (6 h later is the same day); or one second before a boundary.
_TIME_OF_DAY = {None: 12 * 3600 + 30 * 60 + 30, "minute": 12 * 3600 + 30 * 60 + 59, "hour": 12 * 3600 + 59 * 60 + 59,
                "day": 24 * 3600 - 1}


def seconds_to_start(now: _dt.datetime, start: str | None) -> float:
    """Seconds from ``now`` to the next time of day a history with ``start`` begins at (see above)."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    wait = _TIME_OF_DAY[start] - (now - midnight).total_seconds()
    return wait if wait > 0 else wait + 86400
