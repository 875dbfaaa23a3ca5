"""Events from AWS event sources, as the service takes them (SRC-1..SRC-3, ESM-1), and the pollers of event
source mappings, played out with the queue.

The adapters (``_adapters/sources``) find the events in moto and hand them to the service
(``LambdaService.accept_source_event``), which queues or runs them like any invocation, with their
source in the timeline; a mapping's poller is a :class:`Poller` in ``LambdaService.pollers``.
"""

from __future__ import annotations

import datetime as _dt
from typing import Protocol

__all__ = ["Poller"]


class Poller(Protocol):
    """A poller Lambda runs for an event source mapping (``LambdaService.pollers``, ESM-1)."""

    def due(self) -> _dt.datetime | None:
        """When it next has work on the virtual clock (at or before now: at once), or None while idle."""

    def poll(self) -> None:
        """Do the work due now: read a batch, invoke the function, settle the batch.  Runs on the runtime
        thread under the virtual clock, and must make progress (the next ``due()`` differs or is later)."""
