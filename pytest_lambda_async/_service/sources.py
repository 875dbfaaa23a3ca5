"""What the service needs from an event source it polls (ESM-1): an SQS event source mapping's poller.

The pollers themselves live in the adapters (they read the queue in moto); the service only asks each
when it next has work and lets it work then, in step with its own queue on the virtual clock."""

from __future__ import annotations

import datetime as _dt
from typing import Protocol

__all__ = ["Poller"]


class Poller(Protocol):
    """A poller Lambda runs for an event source mapping (``LambdaService.pollers``)."""

    def due(self) -> _dt.datetime | None:
        """When it next has work on the virtual clock (at or before now: at once), or None while idle."""

    def poll(self) -> None:
        """Do the work due now: read a batch, invoke the function, settle the batch.  Runs on the runtime
        thread under the virtual clock, and must make progress (the next ``due()`` differs or is later)."""
