"""Lambda contexts: :func:`lambda_contexts` and :class:`GeneratedLambdaContext`."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from hypothesis import strategies as st

from .._service import aws
from . import formats as fmt
from ._common import (
    account_strategy,
    name_strategy,
    noises,
    optional_value,
    plain_value,
    region_strategy,
    timestamps,
)


@dataclass(frozen=True)
class GeneratedCognitoIdentity:
    cognito_identity_id: str | None = None
    cognito_identity_pool_id: str | None = None


@dataclass(frozen=True)
class GeneratedLambdaContext:
    """A Lambda context with the attributes the Python runtime gives (PY-3).

    ``get_remaining_time_in_millis()`` returns the drawn, fixed
    ``remaining_time_in_millis``; ``log(msg)`` writes to stdout."""

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: str
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    remaining_time_in_millis: int
    identity: GeneratedCognitoIdentity = field(default_factory=GeneratedCognitoIdentity)
    client_context: None = None
    tenant_id: str | None = None

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_time_in_millis

    def log(self, msg: str) -> None:
        sys.stdout.write(msg)


def lambda_contexts(
    *,
    function_name: str | None = None,
    memory_size: int | None = None,
    timeout: float | None = None,
    region: str | None = None,
    account: str | None = None,
) -> st.SearchStrategy[GeneratedLambdaContext]:
    """:class:`GeneratedLambdaContext` objects.

    ``memory_size`` (MB, 128 to 10240) and ``timeout`` (seconds, 1 to 900)
    pin the configuration; the remaining time is drawn from 0 to the timeout.
    Shrinks to ``$LATEST``, an unqualified ARN, 128 MB and 0 ms left.
    """
    function_name = optional_value(function_name, "function_name", fmt.check_function_name)
    plain_value(memory_size, "memory_size")
    if memory_size is not None:
        fmt.check_int(memory_size, "memory_size", *fmt.MEMORY_RANGE)
    plain_value(timeout, "timeout")
    seconds = aws.DEFAULT_TIMEOUT if timeout is None else fmt.check_number(
        timeout, "timeout", aws.TIMEOUT_MIN, aws.TIMEOUT_MAX)
    region = optional_value(region, "region", fmt.check_region)
    account = optional_value(account, "account", fmt.check_account)
    return _lambda_contexts(
        names=name_strategy(function_name, "example-function", r"[A-Za-z0-9_-]{1,30}"),
        memory_sizes=st.just(memory_size) if memory_size is not None else st.one_of(
            st.just(aws.DEFAULT_MEMORY_MB), st.integers(*fmt.MEMORY_RANGE)),
        remaining=st.integers(0, int(seconds * 1000)),
        regions=region_strategy(region), accounts=account_strategy(account),
    )


@st.composite
def _lambda_contexts(draw: st.DrawFn, *, names: st.SearchStrategy[str], memory_sizes: st.SearchStrategy[int],
                     remaining: st.SearchStrategy[int], regions: st.SearchStrategy[str],
                     accounts: st.SearchStrategy[str]) -> GeneratedLambdaContext:
    name = draw(names)
    region = draw(regions)
    account = draw(accounts)
    version = draw(st.one_of(st.just(aws.LATEST), st.integers(1, 500).map(str)))
    qualifier = draw(st.sampled_from([None, version]))
    memory = draw(memory_sizes)
    left = draw(remaining)
    when = draw(timestamps())
    noise = draw(noises)
    return GeneratedLambdaContext(
        function_name=name,
        function_version=version,
        invoked_function_arn=fmt.function_arn(name, region, account, qualifier),
        memory_limit_in_mb=str(memory),
        aws_request_id=noise.uuid4("request"),
        log_group_name=fmt.log_group_name(name),
        log_stream_name=fmt.log_stream_name(when, version, noise.hex("instance", 16)),
        remaining_time_in_millis=left,
    )
