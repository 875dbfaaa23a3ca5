"""Deliveries into moto while ``moto.mock_aws`` is active (DST-1, DST-2, DST-4..DST-6, DLQ-3, DLQ-4, DLQ-6).

The invoker asks this backend on every destination/DLQ send; it looks at
moto's state *then*, so a mock entered before or after the invoker (decorator,
``with`` block, a user's fixture) is seen as it is at delivery time.  Nothing
here imports moto, boto3 or botocore until moto is found active: moto is
only active once its modules are loaded, so ``sys.modules`` answers first.

How: real botocore clients, talking to moto's in-process stubber.  Chosen
over calling moto's backend objects directly because (1) moto then applies
the service's own checks and errors (a missing queue/topic/bus/bucket, SNS's
256 KB limit of DST-2) and the service's own side effects (SNS fan-out to
subscribed queues, EventBridge rules and their targets) exactly as it does
for the user's boto3 calls, and (2) the service APIs are stable across
moto 5.x, where backend method signatures are not.  The price is botocore's
request pipeline and moto's, ~2 ms a delivery (``benchmarks/bench.py``).
These clients are not the Lambda client ``_botocore`` routes to the invoker:
SQS, SNS, EventBridge and S3 calls never go there.
"""

from __future__ import annotations

import datetime as _dt
import importlib
import json
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .. import _text
from .._service import aws
from .._service.clock import real_time
from .._service.destinations import Delivered, DeliveryFailed

__all__ = ["MotoBackend", "moto_active"]

_UTC = _dt.timezone.utc


def _stubber() -> Any:
    models = sys.modules.get("moto.core.models")
    return None if models is None else getattr(models, "botocore_stubber", None)


def moto_active() -> bool:
    """True while an in-process ``moto.mock_aws`` is active in this process.

    moto 5's ``MockAWS.start()`` switches ``moto.core.models.botocore_stubber``
    on when the outermost mock is entered (``MockAWS._nested_count`` going
    0 -> 1) and ``stop()`` switches it off again; that stubber is what answers
    every botocore request in the process, so it is exactly "would a boto3
    call reach moto now".  moto's server and proxy modes leave it off (their
    requests go over HTTP to a moto server): deliveries then stay in memory."""
    return bool(getattr(_stubber(), "enabled", False))


class MotoBackend:
    """Sends each SQS/SNS/EventBridge/S3 delivery into moto when moto is active; else does nothing.

    Placed before the in-memory sinks: a target moto does not have raises
    :class:`DeliveryFailed`, so the invoker counts it (DST-6, DLQ-6) and the
    in-memory copy is not kept.  ``records()``/``deliveries()`` therefore hold
    what was delivered, with or without moto."""

    def __init__(self, *, region: str, account: str) -> None:
        self.region = region  # for S3, whose ARNs name neither region nor account
        self.account = account

    def deliver(self, message: Delivered) -> None:
        if not moto_active():
            return
        exceptions = importlib.import_module("botocore.exceptions")
        try:
            with _stamped_for_readers(message.at):
                self._send(message)
        except exceptions.ClientError as exc:
            error = exc.response.get("Error", {})
            raise DeliveryFailed(_text.moto_delivery_failure(
                "answered", operation=exc.operation_name, code=error.get("Code", ""),
                message=error.get("Message", ""))) from None
        except DeliveryFailed:
            raise
        except Exception as exc:  # anything moto or botocore throws is a failed delivery, never the test's error
            raise DeliveryFailed(_text.moto_delivery_failure(
                "raised", error_type=type(exc).__name__, message=str(exc))) from None

    def _send(self, message: Delivered) -> None:
        arn = aws.split_arn(message.target)
        region = arn.region or self.region
        account = arn.account or self.account
        if message.kind == "sqs":  # DST-1, DST-7, DLQ-3, DLQ-4
            kwargs: dict[str, Any] = {"QueueUrl": aws.sqs_queue_url(region, account, arn.resource),
                                      "MessageBody": message.wire_body}
            if message.attributes:
                kwargs["MessageAttributes"] = message.attributes
            if message.trace_header:  # DST-7: read back as the AWSTraceHeader system attribute
                kwargs["MessageSystemAttributes"] = {
                    "AWSTraceHeader": {"DataType": "String", "StringValue": message.trace_header}}
            _client("sqs", region, account).send_message(**kwargs)
        elif message.kind == "sns":  # DST-2; DLQ-4: the attributes become SNS MessageAttributes
            kwargs = {"TopicArn": message.target, "Message": message.wire_body}
            if message.attributes:
                kwargs["MessageAttributes"] = message.attributes
            _client("sns", region, account).publish(**kwargs)
        elif message.kind == "events":  # DST-4: PutEvents with the envelope's fields
            envelope = message.envelope
            if envelope is None:
                raise DeliveryFailed(_text.moto_delivery_failure("no_envelope"))
            answer = _client("events", region, account).put_events(Entries=[{
                "EventBusName": message.target, "Source": envelope["source"],
                "DetailType": envelope["detail-type"], "Detail": json.dumps(envelope["detail"]),
                "Resources": envelope["resources"], "Time": message.at,
            }])
            [entry] = answer["Entries"]
            if answer.get("FailedEntryCount") or "EventId" not in entry:
                raise DeliveryFailed(_text.moto_delivery_failure(
                    "answered", operation="PutEvents", code=entry.get("ErrorCode", ""),
                    message=entry.get("ErrorMessage", "")))
            # EventBridge, not Lambda, assigns the event id: keep the in-memory envelope
            # equal to the event the bus's rules delivered.
            envelope["id"] = entry["EventId"]
        elif message.kind == "s3":  # DST-5: the record as an object under the documented key
            if message.key is None:
                raise DeliveryFailed(_text.moto_delivery_failure("no_s3_key"))
            _client("s3", region, account).put_object(
                Bucket=arn.resource, Key=message.key, Body=message.wire_body.encode("utf-8"))
        # "lambda": the invoker runs the destination function itself (DST-3), not moto.


@contextmanager
def _stamped_for_readers(virtual: _dt.datetime) -> Iterator[None]:
    """Let moto stamp the delivery at max(virtual time, wall time).

    Deliveries run under freezegun at the virtual time, and moto's SQS hides a
    message whose SentTimestamp is more than the retention period older than
    the reader's clock.  Tests read back at the wall clock,
    handlers at the virtual clock; a stamp at the later of the two is never
    "too old" for either.  It is the virtual time unless the invoker started
    in the past (``LambdaInvoker(start=...)``).  A nested freezer costs ~10 us."""
    wall = _dt.datetime.fromtimestamp(real_time(), _UTC)
    if wall <= virtual:
        yield
        return
    from freezegun import freeze_time

    freezer = freeze_time(wall.replace(tzinfo=None), real_asyncio=True)
    freezer.start()
    try:
        yield
    finally:
        freezer.stop()


class _Clients:
    """The delivery clients: one botocore session, one client per (service, region, account).

    Loading the service models costs ~0.3 s a session; a client from a warm
    session ~15 ms.  Clients hold no moto state (that lives in moto's
    backends), so they are kept across tests; all are dropped when moto was
    re-imported (a new stubber object, as after a pytester run)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stubber: Any = None
        self._session: Any = None
        self._clients: dict[tuple[str, str, str], Any] = {}

    def get(self, service: str, region: str, account: str) -> Any:
        stubber = _stubber()
        with self._lock:
            if stubber is not self._stubber:
                self._stubber, self._session, self._clients = stubber, None, {}
            key = (service, region, account)
            client = self._clients.get(key)
            if client is None:
                client = self._clients[key] = self._create(stubber, service, region, account)
            return client

    def _create(self, stubber: Any, service: str, region: str, account: str) -> Any:
        if self._session is None:
            self._session = importlib.import_module("botocore.session").Session()
        config = importlib.import_module("botocore.config").Config(
            retries={"total_max_attempts": 1})  # a refusal is final (DST-6): no back-off sleeps
        client = self._session.create_client(
            service, region_name=region, config=config,
            # Fixed dummy credentials: no credential chain (environment, files, IMDS) is consulted.
            aws_access_key_id="pytest-lambda-async", aws_secret_access_key="pytest-lambda-async")

        def account_header(request: Any, **_: Any) -> None:
            # moto files the delivery under the ARN's account (MOTO_ACCOUNT_ID still wins).
            request.headers["x-moto-account-id"] = account

        def moto_or_nothing(event_name: str, request: Any, **kwargs: Any) -> Any:
            # botocore calls every before-send handler and sends the request itself when
            # all return None, which moto's stubber does for a passthrough or unmocked
            # service.  Wrapping the stubber makes that a failed delivery: real AWS is
            # never called.
            response = stubber(event_name, request, **kwargs)
            if response is None:
                raise DeliveryFailed(_text.moto_delivery_failure("unanswered", url=request.url))
            return response

        client.meta.events.register("before-sign", account_header)
        client.meta.events.unregister("before-send", stubber)
        client.meta.events.register("before-send", moto_or_nothing)
        return client


_clients = _Clients()


def _client(service: str, region: str, account: str) -> Any:
    return _clients.get(service, region, account)
