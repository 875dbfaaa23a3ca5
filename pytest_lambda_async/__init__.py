"""pytest-lambda-async: test asynchronously invoked AWS Lambda handlers.

An in-memory Lambda service with a virtual clock (:class:`LambdaInvoker`),
checks that handlers finish their work and are idempotent, and Hypothesis
strategies for real AWS event shapes.  Importing this package imports no
pytest, boto3, moto or Hypothesis.
"""

from __future__ import annotations

from importlib import metadata as _metadata
from typing import Any

from ._invoker import LambdaInvoker
from ._service.functions import InjectedFunctionError, LambdaFunction
from ._service.records import (
    Attempt,
    Failed,
    Invoked,
    InvokeResult,
    Leak,
    LoopStopped,
    NotInvoked,
    Retried,
    Routed,
    TerminalOutcome,
    Throttled,
    TimelineEntry,
    Waited,
)
from ._adapters.botocore import install as _install_boto3_routing
from ._service.runtime import LambdaContext
from ._service.leaks import AwaitWindow
from ._checks.awaits import assert_awaits_all, find_leaks
from ._checks.idempotency import assert_idempotent, check_idempotent, idempotency_histories
from . import errors as _errors
from .errors import *  # noqa: F403 - every exception the package raises, listed once in errors.__all__

__all__ = [
    "Attempt",
    "AwaitWindow",
    "Failed",
    "InjectedFunctionError",
    "InvokeResult",
    "Invoked",
    "LambdaContext",
    "LambdaFunction",
    "LambdaInvoker",
    "Leak",
    "LoopStopped",
    "NotInvoked",
    "Retried",
    "Routed",
    "TerminalOutcome",
    "Throttled",
    "TimelineEntry",
    "Waited",
    "assert_awaits_all",
    "assert_idempotent",
    "check_idempotent",
    "find_leaks",
    "idempotency_histories",
    *_errors.__all__,
]

try:  # the one version, written in pyproject.toml
    __version__ = _metadata.version("pytest-lambda-async")
except _metadata.PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"

# botocore clients created from now on (even in module globals, before a test's invoker
# exists) carry the routing handlers; this imports no botocore (an import hook if needed).
_install_boto3_routing()


def __getattr__(name: str) -> Any:
    # Lazy: the strategies pull in Hypothesis only when used.
    import importlib

    if name == "strategies":
        return importlib.import_module(".strategies", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
