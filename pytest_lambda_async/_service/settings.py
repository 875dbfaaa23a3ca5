"""The service's settings, checked as ``LambdaInvoker(...)`` is made (a clear error for each bad one)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import aws
from .. import _text
from .freeze import AWAIT_CHECKS, FREEZE_MODES, allow_patterns

__all__ = ["check_settings"]


def check_settings(*, seed: Any, duplicate_rate: Any, await_check: Any, freeze: Any, await_allow: Sequence[str],
                   async_payload_limit: Any, timeout_limit: Any, real_time_limit: Any) -> tuple[str, ...]:
    """Raise TypeError/ValueError for the first bad setting; the ``await_allow`` patterns, checked."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {seed!r}")
    if isinstance(duplicate_rate, bool) or not isinstance(duplicate_rate, (int, float)) \
            or not 0.0 <= duplicate_rate <= 1.0:
        raise ValueError(f"duplicate_rate must be a probability between 0 and 1, got {duplicate_rate!r}")
    if await_check not in AWAIT_CHECKS:
        raise ValueError(f"await_check must be one of {', '.join(AWAIT_CHECKS)}; got {await_check!r}")
    if freeze not in FREEZE_MODES:
        raise ValueError(f"freeze must be one of {', '.join(FREEZE_MODES)}; got {freeze!r}")
    patterns = tuple(allow_patterns(await_allow, "await_allow"))
    if async_payload_limit not in (aws.ASYNC_PAYLOAD_LIMIT, aws.ASYNC_PAYLOAD_LIMIT_LEGACY):
        raise ValueError(f"async_payload_limit is {aws.ASYNC_PAYLOAD_LIMIT} (1 MB, current) or "
                         f"{aws.ASYNC_PAYLOAD_LIMIT_LEGACY} (256 KB, before Oct 2025); got {async_payload_limit!r}")
    if timeout_limit not in (aws.TIMEOUT_MAX, aws.TIMEOUT_MAX_EXTENDED):
        raise ValueError(f"timeout_limit is 900 or 1800 seconds ({_text.cite('§11.4')}); got {timeout_limit!r}")
    if not isinstance(real_time_limit, (int, float)) or real_time_limit <= 0:
        raise ValueError(f"real_time_limit must be a positive number of seconds, got {real_time_limit!r}")
    return patterns
