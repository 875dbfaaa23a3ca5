"""Where a finished delivery goes: its terminal outcome (exactly one per delivery), the invocation
record for its on-success or on-failure destination (REC-*, DST-*) and the event for its DLQ (DLQ-*)."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from . import aws
from .. import _text
from .clock import VirtualClock
from .delivery import Delivery
from .destinations import Backend, DeliveryFailed, MemorySinks, build_message
from .functions import LambdaFunction
from .records import Failed, Role, Routed, TerminalOutcome, TimelineDetail, TimelineKind, frozen

__all__ = ["Router", "ServiceIdentity"]


class ServiceIdentity(Protocol):
    """The service settings a record names (read when it is sent: they may change between tests)."""

    region: str
    account: str
    eventbridge_source: str


@dataclass
class Router:
    """Ends deliveries: one :class:`TerminalOutcome` each, then their records routed (DST-1..7, DLQ-1..7).

    It shares the service's lists and sinks; ``log`` writes the service's timeline and
    ``invoke_destination`` queues a Lambda destination's record as an async invocation (DST-3)."""

    service: ServiceIdentity
    clock: VirtualClock
    functions: dict[str, LambdaFunction]
    sinks: MemorySinks
    backends: list[Backend]
    metrics: dict[str, int]
    outcomes: list[TerminalOutcome]
    log: Callable[[_dt.datetime, TimelineKind, str, str, TimelineDetail], None]
    invoke_destination: Callable[[LambdaFunction, Delivery, Any], None]
    new_uuid: Callable[[], str]

    def succeed(self, d: Delivery) -> None:
        self._terminal(d, "Success")
        if d.function.on_success is not None:
            self._send(d, d.function.on_success, "on_success", self._record(d, "Success"), success=True)

    def fail(self, d: Delivery, condition: aws.Condition) -> None:
        fn = d.function
        self._terminal(d, condition)
        self.log(self.clock.now, "fail", fn.name, d.request_id, Failed(condition, d.attempts))
        if fn.on_failure is not None:
            self._send(d, fn.on_failure, "on_failure", self._record(d, condition), success=False)
        if fn.dead_letter is not None:  # DLQ-2, DLQ-5: both may fire
            self._send(d, fn.dead_letter, "dead_letter", d.event, success=False)

    def _terminal(self, d: Delivery, condition: aws.Condition) -> None:
        self.outcomes.append(frozen(TerminalOutcome, {
            "request_id": d.request_id, "function": d.function.name, "condition": condition,
            "at": self.clock.now, "attempts": d.attempts}))

    def _record(self, d: Delivery, condition: aws.Condition) -> dict[str, Any]:
        response = None
        if d.last is not None:
            response = aws.ResponsePart(d.last.payload, d.last.function_error)
        return aws.invocation_record(
            when=self.clock.now, request_id=d.request_id,
            function_arn_qualified=aws.function_arn(d.function.name, region=self.service.region,
                                                     account=self.service.account, qualifier=aws.LATEST),
            condition=condition, approximate_invoke_count=d.attempts, request_payload=d.event,
            response=response)

    def _send(self, d: Delivery, dest: aws.Destination, role: Role, payload: Any, *, success: bool) -> None:
        now = self.clock.now
        error_message = None
        if d.last is not None and isinstance(d.last.payload, dict) and d.last.function_error:
            error_message = d.last.payload.get("errorMessage")
        if dest.fifo:  # CFG-5: FIFO targets fail at delivery, not at configuration
            self._delivery_failed(d, dest, role, _text.destination_failure("fifo", dest.resource), rule="CFG-5")
            return
        target = self.functions.get(dest.resource) if dest.kind == "lambda" else None
        if dest.kind == "lambda" and target is None:
            self._delivery_failed(d, dest, role, _text.destination_failure("unregistered", dest.resource))
            return
        if target is not None and d.loop_stopped:
            # Our cap (docs/reference/semantics.md): the invocation was stopped as a loop, and a record
            # sent on to a function would continue the same loop, so it stops here.
            self._delivery_failed(d, dest, role, _text.destination_failure("loop_stopped", dest.resource),
                                  rule="LOOP-1")
            return
        service = self.service
        message = build_message(destination=dest, role=role, request_id=d.request_id, at=now, payload=payload,
                                function_arn=d.function.arn, region=service.region, account=service.account,
                                error_message=error_message, success=success, new_uuid=self.new_uuid,
                                eventbridge_source=service.eventbridge_source, trace_header=d.trace_header)
        if target is not None:  # DST-3: the record is the event of an async invocation
            self.sinks.deliver(message)
            self.log(now, "route", d.function.name, d.request_id, Routed(role, f"lambda:{dest.resource}"))
            self.invoke_destination(target, d, payload)
            return
        try:
            for backend in self.backends:
                backend.deliver(message)
        except DeliveryFailed as exc:
            self._delivery_failed(d, dest, role, str(exc))
            return
        self.log(now, "route", d.function.name, d.request_id, Routed(role, dest.short))

    def _delivery_failed(self, d: Delivery, dest: aws.Destination, role: Role, why: str,
                         rule: str | None = None) -> None:
        metric = "DeadLetterErrors" if role == "dead_letter" else "DestinationDeliveryFailures"  # DLQ-6, DST-6
        self.metrics[metric] = self.metrics.get(metric, 0) + 1
        self.log(self.clock.now, "route", d.function.name, d.request_id, Routed(role, dest.short, why, metric, rule))
