"""Any event source's events: :func:`events`."""

from __future__ import annotations

from hypothesis import strategies as st

from . import formats as fmt
from ._common import Event, optional_value
from .apigateway import api_gateway_events
from .dynamodb import dynamodb_stream_events
from .eventbridge import eventbridge_events
from .kinesis import kinesis_events
from .s3 import s3_events
from .scheduled import scheduled_events
from .sns import sns_events
from .sqs import sqs_events


def events(*, region: str | None = None, account: str | None = None) -> st.SearchStrategy[Event]:
    """Any of the event sources' events (S3, SQS, SNS, EventBridge, scheduled, DynamoDB Streams,
    Kinesis, API Gateway); it shrinks to the simplest, a scheduled event."""
    region = optional_value(region, "region", fmt.check_region)
    account = optional_value(account, "account", fmt.check_account)
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
