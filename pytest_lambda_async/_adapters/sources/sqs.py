"""SQS event source mappings (ESM-1..ESM-8): the poller Lambda runs for a queue, on the virtual clock.

``create_event_source_mapping`` (and get, list, update, delete) through a routed boto3 Lambda client
registers a :class:`SqsPoller` in ``LambdaService.pollers``; ``run()`` and ``advance()`` let it work in
step with the async queue.  Each poll, as Lambda's pollers do:

- takes up to ``BatchSize`` visible messages from the queue in moto (waiting up to
  ``MaximumBatchingWindowInSeconds`` after the previous invocation for a fuller batch; ESM-7), each
  received as SQS receives it (``ApproximateReceiveCount`` up, a new receipt handle) and invisible for the
  queue's visibility timeout; a message already received ``maxReceiveCount`` times goes to the queue's
  dead-letter queue instead (ESM-3); FIFO queues give one batch per message group at a time, in order (ESM-8);
- invokes the function **synchronously** with ``{"Records": [...]}`` (ESM-1), shown in the timeline as
  ``from sqs:orders batch of 3``;
- deletes the batch on success, or only the messages not named in ``batchItemFailures`` with
  ``ReportBatchItemFailures`` (ESM-5); what failed becomes visible again when its visibility timeout ends,
  on the virtual clock (ESM-6).

The poller reads and changes moto's queue objects directly (its message list, receive counts, receipt
handles, pending set), where moto's own ``receive_message`` would read the wall clock: a message the
poller holds is invisible to every reader (``visible_at`` infinite) until the poller lets it go, so a
test reading the queue at the wall clock sees what the virtual clock says.  ``Queue.add_message`` is
wrapped to wake the queue's pollers when a message arrives, and to give a message sent inside an attempt
the attempt's trace as ``AWSTraceHeader``, which the poller continues, so loops through a queue are
stopped (LOOP-1, LOOP-2).
"""

from __future__ import annotations

import base64
import datetime as _dt
import itertools
import math
import os
import weakref
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ... import _text
from ..._service import aws
from ...errors import (
    InvalidParameterValueException,
    LambdaServiceError,
    ResourceConflictException,
    ResourceNotFoundException,
    UnsupportedOperation,
)
from ..botocore import active_invoker, extra_operations
from ..moto import moto_active
from .hooks import Hook, register

if TYPE_CHECKING:
    from ..._service.invoker import LambdaService

__all__ = ["SqsPoller", "release", "sqs_record"]

_UTC = _dt.timezone.utc
_SEQUENCE = itertools.count(10**19)  # FIFO sequence numbers moto did not assign
_BATCH_ITEM_FAILURES = aws.BATCH_ITEM_FAILURES


# -- the SQS record Lambda sends (ESM-1) ----------------------------------------------------
def sqs_record(message: Any, queue: Any) -> dict[str, Any]:
    """One record of the batch, from moto's message as just received."""
    attributes = {
        "ApproximateReceiveCount": str(message.approximate_receive_count),
        "SentTimestamp": str(message.sent_timestamp),
        "SenderId": str(message.sender_id),
        "ApproximateFirstReceiveTimestamp": str(message.approximate_first_receive_timestamp),
    }
    if queue.fifo_queue:
        if message.sequence_number is None:
            message.sequence_number = str(next(_SEQUENCE))
        attributes["SequenceNumber"] = message.sequence_number
        attributes["MessageGroupId"] = message.group_id
        attributes["MessageDeduplicationId"] = message.deduplication_id
    trace = (message.system_attributes or {}).get("AWSTraceHeader")
    if isinstance(trace, dict):
        trace = trace.get("StringValue")
    if trace:
        attributes["AWSTraceHeader"] = trace
    message_attributes = {name: _record_attribute(value) for name, value in message.message_attributes.items()}
    record: dict[str, Any] = {
        "messageId": message.id,
        "receiptHandle": message.receipt_handle,
        "body": message.body,
        "attributes": attributes,
        "messageAttributes": message_attributes,
        "md5OfBody": message.body_md5,
    }
    if message_attributes:
        record["md5OfMessageAttributes"] = message.attribute_md5
    record.update({"eventSource": "aws:sqs", "eventSourceARN": queue.queue_arn, "awsRegion": queue.region})
    return record


def _record_attribute(value: dict[str, Any]) -> dict[str, Any]:
    """A message attribute as Lambda's SQS records spell it (``stringValue``, ``dataType``, ...)."""
    out: dict[str, Any] = {}
    if value.get("StringValue") is not None:
        out["stringValue"] = value["StringValue"]
    elif value.get("BinaryValue") is not None:
        binary = value["BinaryValue"]
        out["binaryValue"] = base64.b64encode(binary).decode("ascii") if isinstance(binary, bytes) else binary
    out.update({"stringListValues": [], "binaryListValues": [], "dataType": value.get("DataType")})
    return out


# -- the poller ------------------------------------------------------------------------------
_POLLERS: weakref.WeakSet[SqsPoller] = weakref.WeakSet()  # every mapping's poller, for add_message to wake


@dataclass(eq=False)
class SqsPoller:
    """One event source mapping's poller (``LambdaService.pollers``)."""

    invoker: LambdaService
    uuid: str
    queue_arn: str
    function_arn: str
    batch_size: int = aws.SQS_DEFAULT_BATCH_SIZE
    window: int = 0
    response_types: list[str] = field(default_factory=list)
    enabled: bool = True
    scaling: dict[str, Any] | None = None
    last_modified: float = 0.0
    dirty: bool = True  # messages may be visible: poll now
    window_from: _dt.datetime | None = None  # the batching window runs from the previous invocation's end
    window_wait: _dt.datetime | None = None  # waiting for a fuller batch until then
    wake: _dt.datetime | None = None  # a delayed message (DelaySeconds) becomes visible then
    inflight: dict[str, tuple[Any, _dt.datetime]] = field(default_factory=dict)  # id -> (message, visible again)
    next_release: _dt.datetime | None = None

    # The Poller protocol ------------------------------------------------------------------
    def due(self) -> _dt.datetime | None:
        if not self.enabled and not self.inflight:
            return None
        candidates = [t for t in (self.next_release, self.window_wait, self.wake) if t is not None]
        if self.dirty and self.enabled:
            return self.invoker.now
        return min(candidates) if candidates else None

    def poll(self) -> None:
        now = self.invoker.now
        queue = self.queue()
        if queue is None:  # moto stopped, or the queue is gone: nothing to poll
            self.inflight.clear()
            self.next_release = self.window_wait = self.wake = None
            self.dirty = False
            return
        self._release(queue, now)
        if self.window_wait is not None and now >= self.window_wait:
            self.window_wait = None
        if self.wake is not None and now >= self.wake:
            self.wake = None
        if not self.enabled:
            self.dirty = False
            return
        now_ms = now.timestamp() * 1000
        if self.window and self.window_from is not None:
            window_end = self.window_from + _dt.timedelta(seconds=self.window)
            if now < window_end and self._visible_count(queue, now_ms) < self.batch_size:
                self.window_wait = window_end  # ESM-7: wait for a fuller batch
                self.dirty = False
                return
        batch = self._receive(queue, now, now_ms)
        if not batch:
            self.dirty = False
            return
        self._invoke(queue, batch)
        self.window_from = self.invoker.now
        self.dirty = True  # there may be more

    # moto's queue ---------------------------------------------------------------------------
    def queue(self) -> Any:
        if not moto_active():
            return None
        from moto.sqs.models import sqs_backends

        parts = aws.split_arn(self.queue_arn)
        return sqs_backends[parts.account][parts.region].queues.get(parts.resource)

    def _release(self, queue: Any, now: _dt.datetime) -> None:
        """Messages whose visibility timeout has ended are visible again (ESM-6)."""
        if self.next_release is None or now < self.next_release:
            return
        for message_id, (message, at) in list(self.inflight.items()):
            if at <= now:
                message.visible_at = 0.0
                queue.pending_messages.discard(message)
                del self.inflight[message_id]
        self.next_release = min((at for _, at in self.inflight.values()), default=None)
        self.dirty = True

    def _visible_count(self, queue: Any, now_ms: float) -> int:
        return sum(1 for m in queue._messages if now_ms > m.visible_at and not now_ms < m.delayed_until)

    def _receive(self, queue: Any, now: _dt.datetime, now_ms: float) -> list[Any]:
        """Up to BatchSize messages, received as SQS receives them; redrive to the DLQ first (ESM-3)."""
        retention_ms = int(queue.message_retention_period) * 1000
        visibility = _dt.timedelta(seconds=int(queue.visibility_timeout))
        redrive = queue.redrive_policy if queue.dead_letter_queue is not None else None
        max_receives = int(redrive["maxReceiveCount"]) if redrive else None
        busy_groups = {m.group_id for m in queue.pending_messages if m.group_id} if queue.fifo_queue else set()
        taken: list[Any] = []
        to_dlq: list[Any] = []
        delayed: float | None = None
        for message in list(queue._messages):
            if now_ms < message.delayed_until:
                delayed = message.delayed_until if delayed is None else min(delayed, message.delayed_until)
                continue
            if not now_ms > message.visible_at:
                continue
            if message in queue.pending_messages:  # another reader's visibility timeout ended
                queue.pending_messages.discard(message)
            if queue.fifo_queue and message.group_id in busy_groups:
                continue  # ESM-8: a group with messages in flight waits
            if (message.sent_timestamp or 0) + retention_ms <= now_ms:
                continue  # past the retention period: SQS no longer delivers it
            if max_receives is not None and message.approximate_receive_count >= max_receives:
                to_dlq.append(message)
                continue
            if not message.approximate_first_receive_timestamp:  # never before it was sent (wall-clock sends)
                message.approximate_first_receive_timestamp = int(max(now_ms, message.sent_timestamp or 0))
            message.mark_received(visibility_timeout=None)  # the receive count up, a new receipt handle
            message.visible_at = math.inf  # held by this poller until released (ESM-6)
            queue.pending_messages.add(message)
            self.inflight[message.id] = (message, now + visibility)
            taken.append(message)
            if len(taken) >= self.batch_size:
                break
        for message in to_dlq:
            _remove(queue, [message])
            message.visible_at = 0.0
            token = _MOVING.set(True)
            try:
                queue.dead_letter_queue.add_message(message)
            finally:
                _MOVING.reset(token)
        if taken:
            release = now + visibility
            self.next_release = release if self.next_release is None else min(self.next_release, release)
        elif delayed is not None:
            self.wake = _dt.datetime.fromtimestamp(delayed / 1000, _UTC)
        return taken

    def _invoke(self, queue: Any, batch: list[Any]) -> None:
        records = [sqs_record(m, queue) for m in batch]
        source = _text.sqs_batch_source(queue.name, len(batch))
        try:
            result = self.invoker.accept_source_event(self.function_arn, {"Records": records}, source=source,
                                                      synchronous=True, trace=_batch_trace(records))
        except LambdaServiceError:  # throttled (429), or stopped as a recursive loop (LOOP-3): the batch
            return  # returns to the queue when its visibility timeout ends, receive count up (ESM-6, ESM-3)
        if result is None or result.function_error:
            return  # the whole batch becomes visible again after its visibility timeout (ESM-3)
        failed = self._failed_ids(result.payload, {m.id for m in batch})
        done = [m for m in batch if m.id not in failed]
        _remove(queue, done)
        for message in done:
            self.inflight.pop(message.id, None)
        self.next_release = min((at for _, at in self.inflight.values()), default=None)

    def _failed_ids(self, payload: Any, batch_ids: set[str]) -> set[str]:
        """ESM-5: which messages failed, by the partial batch response (all or none without it)."""
        if _BATCH_ITEM_FAILURES not in self.response_types or payload is None:
            return set()
        if not isinstance(payload, dict):
            return batch_ids  # not an event response: a complete failure
        failures = payload.get("batchItemFailures")
        if not failures:
            return set()  # an empty or null list: a complete success
        if not isinstance(failures, list):
            return batch_ids
        failed: set[str] = set()
        for item in failures:
            identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
            if not isinstance(identifier, str) or identifier not in batch_ids:
                return batch_ids  # empty, null, a wrong key or an id not in the batch: a complete failure
            failed.add(identifier)
        return failed

    def release_all(self) -> None:
        """Let every held message go (its visibility as the virtual clock says), when routing ends."""
        for message, at in self.inflight.values():
            message.visible_at = at.timestamp() * 1000
        self.inflight.clear()
        self.next_release = None

    # the API's view ------------------------------------------------------------------------
    def configuration(self, state: str | None = None) -> dict[str, Any]:
        config: dict[str, Any] = {
            "UUID": self.uuid,
            "BatchSize": self.batch_size,
            "MaximumBatchingWindowInSeconds": self.window,
            "EventSourceArn": self.queue_arn,
            "FunctionArn": self.function_arn,
            "LastModified": self.last_modified,
            "State": state or ("Enabled" if self.enabled else "Disabled"),
            "StateTransitionReason": "USER_INITIATED",
            "FunctionResponseTypes": list(self.response_types),
            "EventSourceMappingArn": f"arn:aws:lambda:{self.invoker.region}:{self.invoker.account}:"
                                     f"event-source-mapping:{self.uuid}",
        }
        if self.scaling is not None:
            config["ScalingConfig"] = dict(self.scaling)
        return config


def _batch_trace(records: list[dict[str, Any]]) -> str | None:
    """The trace the batch's invocation continues (LOOP-2): each message carries its sender's
    ``AWSTraceHeader``, but one invocation has one trace.  AWS does not say which message's it takes; this
    takes the one furthest along its chain (the highest count in its ``Lineage``; the first such in batch
    order), so a looping message batched with fresh ones is still counted and stopped (LOOP-1) instead of
    riding on a fresh message's trace for ever.  None when no message has a trace (a new chain starts)."""
    best: str | None = None
    best_count = -1
    for record in records:
        trace = record["attributes"].get("AWSTraceHeader")
        if not trace:
            continue
        count = max(aws.parse_trace_header(trace)[2].values(), default=0)
        if count > best_count:
            best, best_count = trace, count
    return best


def _remove(queue: Any, messages: list[Any]) -> None:
    """Delete messages from moto's queue at once, as ``Queue.delete_message`` does one by one."""
    if not messages:
        return
    ids = {id(m) for m in messages}
    for message in messages:
        queue.pending_messages.discard(message)
        queue.deleted_messages.update(h for h in message.all_receipt_handles if h)
    queue._messages = [m for m in queue._messages if id(m) not in ids]


def release(invoker: LambdaService) -> None:
    """When an invoker stops being routed: its pollers let go of the messages they hold."""
    for poller in invoker.pollers:
        if isinstance(poller, SqsPoller):
            poller.release_all()


# -- waking pollers when a message arrives, with the sender's trace ------------------------------------
# The poller's own moves (redrive to the dead-letter queue, ESM-3) keep the message's trace as it was.
_MOVING: ContextVar[bool] = ContextVar("pytest_lambda_async_sqs_moving", default=False)


def _stamp_trace(message: Any) -> None:
    """LOOP-2/LOOP-4: inside a Lambda, botocore sends the runtime's ``_X_AMZN_TRACE_ID`` as the
    ``X-Amzn-Trace-Id`` header and SQS keeps it as the message's ``AWSTraceHeader`` system attribute, which
    Lambda's poller reads back: moto keeps only an explicit ``MessageSystemAttributes``, so a message sent
    while an invoker is routed takes the trace from the same variable the S3 and SNS hooks read (an
    ``AWSTraceHeader`` the sender set itself wins: SQS's system attribute overrides the HTTP header)."""
    if active_invoker() is None or not os.environ.get(aws.FUNCTION_NAME_ENV):
        return  # botocore adds the header only inside a Lambda (AWS_LAMBDA_FUNCTION_NAME set)
    trace = os.environ.get(aws.TRACE_ID_ENV)
    attributes = message.system_attributes
    if not trace or (attributes and attributes.get("AWSTraceHeader")):
        return
    message.system_attributes = {**(attributes or {}),
                                 "AWSTraceHeader": {"StringValue": trace, "DataType": "String"}}


def _wrap_add_message(original: Callable[..., Any]) -> Callable[..., Any]:
    def add_message(self: Any, message: Any) -> Any:
        if not _MOVING.get():
            _stamp_trace(message)
        answer = original(self, message)
        for poller in list(_POLLERS):  # any invoker's: an outer routed invoker's mappings too
            if poller.queue_arn == self.queue_arn:
                poller.dirty = True
        return answer

    return add_message


# -- the Lambda API: event source mappings ------------------------------------------------------
def _pollers(invoker: LambdaService) -> list[SqsPoller]:
    return [p for p in invoker.pollers if isinstance(p, SqsPoller)]


def _find(invoker: LambdaService, mapping_uuid: str) -> SqsPoller:
    for poller in _pollers(invoker):
        if poller.uuid == mapping_uuid:
            return poller
    raise ResourceNotFoundException(aws.RESOURCE_NOT_FOUND_MESSAGE)


_STREAM_ONLY = ("StartingPosition", "StartingPositionTimestamp", "ParallelizationFactor", "DestinationConfig",
                "MaximumRecordAgeInSeconds", "BisectBatchOnFunctionError", "MaximumRetryAttempts",
                "TumblingWindowInSeconds", "Topics", "Queues", "SourceAccessConfigurations",
                "SelfManagedEventSource", "AmazonManagedKafkaEventSourceConfig",
                "SelfManagedKafkaEventSourceConfig", "DocumentDBEventSourceConfig")
_NOT_MODELLED = ("FilterCriteria", "KMSKeyArn", "MetricsConfig", "LoggingConfig", "ProvisionedPollerConfig")


def _check_settings(params: dict[str, Any]) -> tuple[int | None, int | None]:
    for name in _NOT_MODELLED:
        if params.get(name):
            raise UnsupportedOperation(_text.mapping_setting_not_modelled(name))
    for name in _STREAM_ONLY:
        if name in params:
            raise InvalidParameterValueException(_text.not_for_sqs_sources(name))
    batch = params.get("BatchSize")
    window = params.get("MaximumBatchingWindowInSeconds")
    return batch, window


def _check_batch(batch: int, window: int, fifo: bool) -> None:
    low, high = aws.SQS_BATCH_SIZE_RANGE
    if not low <= batch <= (aws.SQS_FIFO_BATCH_MAX if fifo else high):
        raise InvalidParameterValueException(aws.sqs_batch_size_message(batch, fifo))
    if not 0 <= window <= aws.BATCHING_WINDOW_MAX:
        raise InvalidParameterValueException(_text.batching_window_out_of_range(aws.BATCHING_WINDOW_MAX))
    if batch > aws.SQS_BATCH_WITHOUT_WINDOW_MAX and window < 1:
        raise InvalidParameterValueException(aws.SQS_BATCH_NEEDS_WINDOW_MESSAGE)


def _response_types(params: dict[str, Any], current: list[str]) -> list[str]:
    types = params.get("FunctionResponseTypes", current)
    if any(t != _BATCH_ITEM_FAILURES for t in types):
        raise InvalidParameterValueException(_text.response_types_allowed(_BATCH_ITEM_FAILURES))
    return list(types)


def _create(invoker: LambdaService, params: dict[str, Any], region: str | None) -> tuple[int, Any]:
    source = params.get("EventSourceArn")
    if not isinstance(source, str) or not source.startswith("arn:") or source.split(":")[2:3] != ["sqs"]:
        raise UnsupportedOperation(_text.mapping_source_not_modelled(source))
    fn, _ = invoker.resolve(params["FunctionName"], None, region)  # INV-22: ResourceNotFoundException
    queue_region = source.split(":")[3]
    here = region or invoker.region
    if queue_region != here:
        raise InvalidParameterValueException(aws.sqs_queue_not_found_message())
    # The invoker holds its pollers: a weak reference back makes no cycle to wait for a full collection.
    poller = SqsPoller(weakref.proxy(invoker), invoker.new_request_id(), source,
                       aws.function_arn(fn.name, region=invoker.region, account=invoker.account))
    queue = poller.queue()
    if queue is None:
        raise InvalidParameterValueException(aws.sqs_queue_not_found_message())
    batch, window = _check_settings(params)
    poller.batch_size = aws.SQS_DEFAULT_BATCH_SIZE if batch is None else batch
    poller.window = 0 if window is None else window
    _check_batch(poller.batch_size, poller.window, queue.fifo_queue)
    visibility = int(queue.visibility_timeout)
    if visibility < fn.timeout:  # ESM-6
        raise InvalidParameterValueException(aws.sqs_visibility_message(visibility, fn.timeout))
    for other in _pollers(invoker):
        if other.queue_arn == source and other.function_arn == poller.function_arn:
            raise ResourceConflictException(aws.mapping_exists_message(source, fn.name, other.uuid))
    poller.response_types = _response_types(params, [])
    poller.enabled = bool(params.get("Enabled", True))
    poller.scaling = params.get("ScalingConfig")
    poller.last_modified = invoker.now.timestamp()
    poller.window_from = invoker.now
    invoker.pollers.append(poller)
    _POLLERS.add(poller)
    return 202, poller.configuration("Creating")


def _get(invoker: LambdaService, params: dict[str, Any], region: str | None) -> tuple[int, Any]:
    return 200, _find(invoker, params["UUID"]).configuration()


def _list(invoker: LambdaService, params: dict[str, Any], region: str | None) -> tuple[int, Any]:
    found = _pollers(invoker)
    if params.get("EventSourceArn"):
        found = [p for p in found if p.queue_arn == params["EventSourceArn"]]
    if params.get("FunctionName"):
        fn, _ = invoker.resolve(params["FunctionName"], None, region)
        found = [p for p in found if p.function_arn.rsplit(":", 1)[-1] == fn.name]
    start = int(params.get("Marker") or 0)
    size = int(params.get("MaxItems") or 100)
    page = found[start:start + size]
    body: dict[str, Any] = {"EventSourceMappings": [p.configuration() for p in page]}
    if start + size < len(found):
        body["NextMarker"] = str(start + size)
    return 200, body


def _update(invoker: LambdaService, params: dict[str, Any], region: str | None) -> tuple[int, Any]:
    poller = _find(invoker, params["UUID"])
    queue = poller.queue()
    fifo = bool(queue is not None and queue.fifo_queue)
    batch, window = _check_settings(params)
    batch = poller.batch_size if batch is None else batch
    window = poller.window if window is None else window
    _check_batch(batch, window, fifo)
    function_arn = poller.function_arn
    if params.get("FunctionName"):
        fn, _ = invoker.resolve(params["FunctionName"], None, region)
        function_arn = aws.function_arn(fn.name, region=invoker.region, account=invoker.account)
    poller.response_types = _response_types(params, poller.response_types)
    poller.batch_size, poller.window, poller.function_arn = batch, window, function_arn
    if "Enabled" in params:
        poller.enabled = bool(params["Enabled"])
    if "ScalingConfig" in params:
        poller.scaling = params["ScalingConfig"]
    poller.last_modified = invoker.now.timestamp()
    poller.dirty = True
    return 202, poller.configuration("Updating")


def _delete(invoker: LambdaService, params: dict[str, Any], region: str | None) -> tuple[int, Any]:
    poller = _find(invoker, params["UUID"])
    poller.release_all()
    invoker.pollers.remove(poller)
    _POLLERS.discard(poller)
    return 202, poller.configuration("Deleting")


extra_operations.update({
    "CreateEventSourceMapping": _create,
    "GetEventSourceMapping": _get,
    "ListEventSourceMappings": _list,
    "UpdateEventSourceMapping": _update,
    "DeleteEventSourceMapping": _delete,
})

register([Hook("moto.sqs.models", "Queue", "add_message", _wrap_add_message)])
