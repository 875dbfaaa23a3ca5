"""Events from AWS event sources, as the service takes them (SRC-1..SRC-3, ESM-1), and the pollers of event
source mappings, played out with the queue.

The adapters (``_adapters/sources``) find the events in moto and hand them here; the service queues or
runs them like any invocation, with their source in the timeline.  :class:`SourceEvents` is a part of
``LambdaService`` (its base class), kept in its own module: it uses the service's own queueing, sync
invocation and timeline, and adds no state but ``pollers`` (set in ``LambdaService.__init__``).
"""

from __future__ import annotations

import datetime as _dt
import json
from typing import TYPE_CHECKING, Any, Protocol, cast

from ..errors import LambdaServiceError
from . import aws
from .delivery import UNSET
from .payloads import accepted
from .records import InvokeResult, NotInvoked

if TYPE_CHECKING:
    from .invoker import LambdaService

__all__ = ["Poller", "SourceEvents"]


class Poller(Protocol):
    """A poller Lambda runs for an event source mapping (``LambdaService.pollers``, ESM-1)."""

    def due(self) -> _dt.datetime | None:
        """When it next has work on the virtual clock (at or before now: at once), or None while idle."""

    def poll(self) -> None:
        """Do the work due now: read a batch, invoke the function, settle the batch.  Runs on the runtime
        thread under the virtual clock, and must make progress (the next ``due()`` differs or is later)."""


class SourceEvents:
    """The service's methods for event sources (mixed into ``LambdaService``)."""

    def accept_source_event(self, function_name: str, event: Any, *, source: str,
                            region: str | None = None, synchronous: bool = False,
                            trace: str | None = None) -> InvokeResult | None:
        """An event an AWS event source sends (the adapters' hooks into moto), shown as ``from <source>``.

        S3, SNS and EventBridge invoke with ``Event`` (SRC-1..SRC-3); an event source mapping invokes
        ``synchronous``-ly with a batch (ESM-1).  ``trace`` is the X-Ray header the source passes on (LOOP-2).
        A function the source names but that is not registered (or an ARN of another region or account) is
        not invoked: the timeline says why, and the answer is None."""
        service = cast("LambdaService", self)
        try:
            fn, invoked = service.resolve(function_name, None, region)
        except LambdaServiceError as exc:
            self.refuse_source_event(function_name, source=source, code=exc.code, message=exc.message)
            return None
        chain, parent, parent_function = service._traced_caller(trace, None) if trace else (None, None, None)
        body = json.dumps(event)
        if not synchronous:
            return accepted(service._enqueue(fn, body, parent=parent, parent_function=parent_function, chain=chain,
                                          invoked=invoked, source=source))
        return service._invoke_sync(fn, body, UNSET, log_type="None", parent=parent, parent_function=parent_function,
                                 chain=chain, invoked=invoked, source=source)

    def refuse_source_event(self, function_name: str, *, source: str, code: str, message: str,
                            fate: str = "the event is lost") -> None:
        """Show in the timeline that an event source's event did not reach ``function_name``, why, and its fate."""
        try:
            name = aws.parse_function_name(function_name).name
        except LambdaServiceError:
            name = function_name
        service = cast("LambdaService", self)
        service._log(service._clock.now, "invoke", name, "", NotInvoked(source, function_name, code, message, fate))

    def poll_due(self, until: _dt.datetime | None) -> bool:
        """Let the poller due first work, if it is due no later than the queue's next delivery and ``until``
        (moving the clock to its time): True if one did.  ``run()`` and ``advance()`` call it between
        deliveries, on the runtime thread."""
        service = cast("LambdaService", self)
        first: tuple[_dt.datetime, Poller] | None = None
        for poller in service.pollers:
            due = poller.due()
            if due is not None and (first is None or due < first[0]):
                first = (due, poller)
        with service._lock:
            head = service._queue[0][0] if service._queue else None
        if first is None or (head is not None and first[0] > head) or (until is not None and first[0] > until):
            return False
        if first[0] > service._clock.now:
            service._clock.advance_to(first[0])
        first[1].poll()
        return True
