"""X-Ray trace headers and the lineage recursive-loop detection counts (LOOP-1..LOOP-4), per invoker."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from . import aws
from .delivery import Chain, Delivery
from .functions import LambdaFunction
from .runtime import set_python_env

__all__ = ["Tracing"]


class Tracing:
    """What the runtime puts in the environment per invocation, and each function's lineage tag."""

    def __init__(self) -> None:
        self._lineage_keys: dict[str, str] = {}
        self.env_function: str | None = None  # what this invoker last put in AWS_LAMBDA_FUNCTION_NAME

    def traced_caller(self, trace: str, parent: str | None,
                      inflight: Sequence[tuple[Delivery, Any, Any, Any]]) -> tuple[Chain, str | None, str | None]:
        """A call made from inside an attempt, whose trace botocore copied (LOOP-4): (its chain, the
        calling attempt's request id and function name, when that attempt is this invoker's, found
        on ``inflight``: the service's stack of running attempts, each a (delivery, ...) tuple)."""
        root, segment, lineage = aws.parse_trace_header(trace)
        known = _attempt_in_segment(inflight, segment)
        if known is not None:
            return (root, segment, lineage), known.request_id, known.function.name
        return (root, segment, lineage), parent, None

    def lineage_key(self, fn: LambdaFunction) -> str:
        key = self._lineage_keys.get(fn.name)
        if key is None:
            key = self._lineage_keys[fn.name] = aws.lineage_key(fn.arn)
        return key

    def child_lineage(self, fn: LambdaFunction, chain: Chain | None
                       ) -> tuple[str | None, dict[str, int] | None, bool]:
        """(trace root, lineage with ``fn`` counted, stopped?) for an invocation made along a chain (LOOP-1)."""
        if chain is None:
            return None, None, False
        root, _, lineage = chain
        key = self.lineage_key(fn)
        count = lineage.get(key, 0) + 1
        stopped = count > aws.RECURSION_LIMIT and fn.recursive_loop == "Terminate"
        return root, {**lineage, key: count}, stopped

    def set_trace_env(self, d: Delivery) -> None:
        """LOOP-4: the runtime sets ``_X_AMZN_TRACE_ID`` (and ``AWS_LAMBDA_FUNCTION_NAME``) per invocation,
        so botocore copies the trace, with its loop-counting Lineage, into the handler's own calls."""
        fn = d.function
        header = d.trace_header
        if header is None:  # built once per delivery: its retries run in the same segment
            root, segment = aws.trace_ids(d.request_id)
            if d.trace_root is None:  # the first invocation of a chain (its lineage: this function once)
                d.trace_root = root
                key = self._lineage_keys.get(fn.name) or self.lineage_key(fn)
                header = f"Root={d.trace_root};Parent={segment};Sampled=0;Lineage={key}:1"  # trace_header's format
            else:
                header = aws.trace_header(d.trace_root, segment, d.lineage or {})
            d.trace_header = header
        set_python_env(aws.TRACE_ID_ENV, header)
        if self.env_function != fn.name:
            os.environ[aws.FUNCTION_NAME_ENV] = self.env_function = fn.name


def _attempt_in_segment(inflight: Sequence[tuple[Delivery, Any, Any, Any]], segment: str | None) -> Delivery | None:
    """The running attempt whose trace a call carries: the environment holds the current
    attempt's trace, so the caller is on the in-flight stack (no map kept per delivery)."""
    for running in reversed(inflight):
        d: Delivery = running[0]
        if segment is not None and aws.trace_segment(d.request_id) == segment:
            return d
    return None

