"""``LambdaInvoker``: the pure Lambda service wired to its adapters (boto3 routing, moto delivery, event sources)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from ._adapters.botocore import routed
from ._adapters.moto import MotoBackend
from ._adapters.sources import hooked, release
from ._service.destinations import Backend
from ._service.invoker import LambdaService

__all__ = ["LambdaInvoker"]


class LambdaInvoker(LambdaService):
    """An in-memory AWS Lambda service with a virtual clock.

    Register handlers, invoke them as AWS would (``Event`` queues, retries,
    throttles, duplicates, destinations, DLQs) and play the queue out with
    :meth:`run`, which jumps the clock over delays instead of sleeping.  Under
    ``moto.mock_aws`` destination records are also delivered into moto, and
    :meth:`patch_boto3` answers real boto3 Lambda clients and lets moto's
    event sources (S3, SNS, EventBridge, SQS mappings) invoke the functions."""

    def extra_backends(self) -> list[Backend]:
        return [MotoBackend(region=self.region, account=self.account)]

    def patch_boto3(self) -> AbstractContextManager[LambdaInvoker]:
        """Answer Lambda calls from real boto3/botocore clients with this invoker, for the block.

        Clients created before the block (in module globals) are routed too; other
        services' calls are untouched, so they still reach moto when it is active,
        and moto's event sources invoke this invoker's functions there
        (docs/how-to/event-sources.md).  The ``lambda_invoker`` fixture does this
        for you."""
        return self._patched()

    @contextmanager
    def _patched(self) -> Iterator[LambdaInvoker]:
        with routed(self), hooked():
            try:
                yield self
            finally:
                release(self)  # SQS pollers let go of the messages they hold
