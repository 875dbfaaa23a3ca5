"""EventBridge rules with a Lambda target (SRC-3): a matching event becomes an ``Event`` invocation.

moto's ``Rule.send_to_targets`` checks the rule's event pattern and delivers to the targets it supports
(a Lambda target raises ``NotImplementedError`` there).  While an invoker is routed it is wrapped: the
rule's other targets still go through moto's own code, and for each Lambda target the event AWS sends
(the event itself, or what the target's ``Input``, ``InputPath`` or ``InputTransformer`` makes of it;
transformers through moto's own ``EventTemplateParser``) goes to the invoker's queue.  This also covers
S3 -> EventBridge (moto sends S3's events to every rule when the bucket's EventBridge notifications are
on) and replays.  A target naming a function the invoker does not have is not retried (the resource
does not exist) and goes to the target's dead-letter queue, if it has one, with EventBridge's attributes.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ... import _text
from ..._service import aws
from ...errors import LambdaServiceError
from ..botocore import active_invoker
from .hooks import Hook, register

if TYPE_CHECKING:
    from ..._service.invoker import LambdaService

__all__ = ["eventbridge_source", "lambda_event", "target_input"]

_FIELDS = ("version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail",
           "replay-name")
_MOTO_S3_EVENT_ID = "17793124-05d4-b198-2fde-7ededc63b103"  # moto gives every S3 event this id
_PATH_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def eventbridge_source(rule: Any) -> str:
    """How the timeline names the source: ``events:orders-placed`` (``events:bus/rule`` off the default bus)."""
    bus = getattr(rule, "event_bus_name", "default")
    return f"events:{rule.name}" if bus in ("default", None) else f"events:{bus}/{rule.name}"


def iso_seconds(value: Any) -> Any:
    """An event's ``time`` as EventBridge writes it (``2017-12-22T18:43:48Z``) from moto's epoch seconds."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return value
    if isinstance(value, (int, float)):
        return _dt.datetime.fromtimestamp(value, _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, _dt.datetime):
        return value.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


def lambda_event(moto_event: dict[str, Any], new_id: Callable[[], str]) -> dict[str, Any]:
    """The event as a Lambda target receives it (SRC-3), from moto's internal one."""
    event = {k: moto_event[k] for k in _FIELDS if k in moto_event}
    event["time"] = iso_seconds(event.get("time"))
    if event.get("id") == _MOTO_S3_EVENT_ID:
        event["id"] = new_id()
    if event.get("source") == "aws.s3":  # S3's EventBridge events spell it "etag" (S3 user guide)
        obj = event.get("detail", {}).get("object")
        if isinstance(obj, dict) and "eTag" in obj:
            event["detail"] = {**event["detail"], "object": {("etag" if k == "eTag" else k): v
                                                             for k, v in obj.items()}}
    return event


def json_path(event: Any, path: str) -> Any:
    """EventBridge's JSON paths: dot notation from ``$``, with array indices (``$.detail.items[0]``)."""
    if path.strip() == "$":
        return event
    if not path.startswith("$."):
        raise ValueError(f"InputPath {path!r} is not a JSON path in dot notation ($.detail...)")
    value = event
    for name, index in _PATH_STEP.findall(path[2:]):
        if name:
            value = value.get(name) if isinstance(value, dict) else None
        else:
            value = value[int(index)] if isinstance(value, list) and int(index) < len(value) else None
    return value


def target_input(target: dict[str, Any], event: dict[str, Any], rule: Any, ingestion_time: float) -> Any:
    """What a target receives: ``Input`` (constant JSON), ``InputPath``, ``InputTransformer``, or the event."""
    if target.get("Input") is not None:
        return json.loads(target["Input"])
    if target.get("InputPath") is not None:
        return json_path(event, target["InputPath"])
    transformer = target.get("InputTransformer")
    if transformer:
        from moto.events.utils import EventTemplateParser

        template = (transformer.get("InputTemplate") or "").replace("<aws.events.rule-arn>", rule.arn) \
            .replace("<aws.events.rule-name>", rule.name).replace("<aws.events.event>", "<aws.events.event.json>")
        return EventTemplateParser.parse(input_template=template,
                                         input_paths_map=transformer.get("InputPathsMap", {}),
                                         event={**event, "ingestion-time": ingestion_time})  # type: ignore[typeddict-item]
    return event


def _is_lambda(target: dict[str, Any]) -> bool:
    return str(target.get("Arn", "")).split(":")[2:3] == ["lambda"]


def _wrap_send_to_targets(original: Callable[..., Any]) -> Callable[..., Any]:
    def send_to_targets(self: Any, original_event: Any, transform_input: bool = True) -> Any:
        invoker = active_invoker()
        lambdas = [t for t in self.targets if _is_lambda(t)] if invoker is not None else []
        if not lambdas:
            return original(self, original_event, transform_input)
        others = [t for t in self.targets if not _is_lambda(t)]
        if others:  # moto's own delivery, to the targets it supports
            targets, self.targets = self.targets, others
            try:
                original(self, original_event, transform_input)
            finally:
                self.targets = targets
        if getattr(self, "state", "ENABLED") != "ENABLED" or not self.event_pattern.matches_event(original_event):
            return None
        assert invoker is not None
        event = lambda_event(dict(original_event), invoker.new_request_id)
        ingestion = original_event.get("ingestion-time")
        for target in lambdas:
            _invoke_target(invoker, self, target, event,
                           ingestion if isinstance(ingestion, (int, float)) else invoker.now.timestamp())
        return None

    return send_to_targets


def _invoke_target(invoker: LambdaService, rule: Any, target: dict[str, Any], event: dict[str, Any],
                   ingestion_time: float) -> None:
    source = eventbridge_source(rule)
    function = str(target["Arn"])
    region = function.split(":")[3] or None
    try:
        invoker.resolve(function, None, region)
    except LambdaServiceError as exc:  # not retried: the target resource does not exist (rule-dlq docs)
        dlq = (target.get("DeadLetterConfig") or {}).get("Arn")
        fate = _to_dead_letter_queue(dlq, event, rule, function, exc) if dlq else ""
        invoker.refuse_source_event(function, source=source, code=exc.code, message=exc.message, fate=fate)
        return
    try:
        payload = target_input(target, event, rule, ingestion_time)
    except Exception as exc:  # a transformer moto cannot apply: say so, never drop it silently
        invoker.refuse_source_event(function, source=source, code="INVALID_JSON",
                                    message=_text.target_input_failed(type(exc).__name__, exc))
        return
    # No trace passed on: EventBridge is not among the sources Lambda's loop detection follows (LOOP-2).
    invoker.accept_source_event(function, payload, source=source, region=region)


def _to_dead_letter_queue(dlq: str, event: dict[str, Any], rule: Any, function: str, exc: LambdaServiceError) -> str:
    """Send the event to the target's DLQ (an SQS queue) as EventBridge does; the fate for the timeline."""
    from moto.sqs.models import sqs_backends

    parts = aws.split_arn(dlq)
    attributes = {name: {"DataType": "String", "StringValue": value} for name, value in (
        ("RULE_ARN", rule.arn), ("TARGET_ARN", function), ("ERROR_CODE", "NO_RESOURCE"),
        ("ERROR_MESSAGE", exc.message), ("RETRY_ATTEMPTS", "0"))}
    short = f"sqs:{parts.resource}"
    try:
        sqs_backends[parts.account][parts.region].send_message(parts.resource, json.dumps(event),
                                                               message_attributes=attributes)
    except Exception as failure:
        return _text.dead_letter_queue_refused(short, type(failure).__name__, failure)
    return _text.sent_to_dead_letter_queue(short)


register([Hook("moto.events.models", "Rule", "send_to_targets", _wrap_send_to_targets)])
