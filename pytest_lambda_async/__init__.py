"""pytest-lambda-async: test asynchronously invoked AWS Lambda handlers.

An in-memory Lambda service with a virtual clock (:class:`LambdaInvoker`),
checks that handlers finish their work and are idempotent, and Hypothesis
strategies for real AWS event shapes.  Importing this package imports no
pytest, boto3, moto or Hypothesis.
"""

from __future__ import annotations

from typing import Any

from ._engine import Attempt, InjectedFunctionError, InvokeResult, LambdaFunction, LambdaInvoker, TerminalOutcome
from ._runtime import LambdaContext
from .errors import (
    AsyncHandlerError,
    InvalidParameterValueException,
    InvalidRequestContentException,
    LambdaServiceError,
    NotIdempotentError,
    RecursiveInvocationException,
    RequestEntityTooLargeException,
    RequestTooLargeException,
    ResourceConflictException,
    ResourceNotFoundException,
    ServiceException,
    TooManyRequestsException,
    UnawaitedWorkError,
    UnsupportedMediaTypeException,
)

__all__ = [
    "AsyncHandlerError",
    "Attempt",
    "InjectedFunctionError",
    "InvalidParameterValueException",
    "InvalidRequestContentException",
    "InvokeResult",
    "LambdaContext",
    "LambdaFunction",
    "LambdaInvoker",
    "LambdaServiceError",
    "NotIdempotentError",
    "RecursiveInvocationException",
    "RequestEntityTooLargeException",
    "RequestTooLargeException",
    "ResourceConflictException",
    "ResourceNotFoundException",
    "ServiceException",
    "TerminalOutcome",
    "TooManyRequestsException",
    "UnawaitedWorkError",
    "UnsupportedMediaTypeException",
]

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # Lazy: these modules pull in asyncio machinery or Hypothesis only when used.
    import importlib

    if name == "assert_awaits_all":  # issue 4: present once pytest_lambda_async.awaits lands
        try:
            return importlib.import_module(".awaits", __name__).assert_awaits_all
        except ModuleNotFoundError:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r} yet") from None
    if name == "strategies":
        return importlib.import_module(".strategies", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
