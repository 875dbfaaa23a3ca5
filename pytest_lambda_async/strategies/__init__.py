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

from .any_source import events
from .apigateway import api_gateway_events
from .contexts import GeneratedCognitoIdentity, GeneratedLambdaContext, lambda_contexts
from .dynamodb import dynamodb_stream_events
from .eventbridge import eventbridge_events
from .histories import (
    Delivery,
    DeliveryHistory,
    Duplicate,
    FunctionError,
    SdkFailure,
    SdkFailureKind,
    Throttle,
    delivery_histories,
)
from .kinesis import kinesis_events
from .s3 import s3_events
from .scheduled import scheduled_events
from .sns import sns_events
from .sqs import sqs_events

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
