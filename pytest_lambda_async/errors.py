"""Every exception the package raises.

AWS service errors are classes named after the AWS error code, under
:class:`LambdaServiceError`, each carrying ``.code`` (the code on the wire, as
boto3's ``ClientError`` shows it) and ``.status_code`` (the HTTP status).
Test-verdict errors (:class:`UnawaitedWorkError`, :class:`NotIdempotentError`)
are ``AssertionError`` subclasses, so pytest reports them as failures.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "AsyncHandlerError",
    "InvalidParameterValueException",
    "InvalidRequestContentException",
    "LambdaServiceError",
    "NotIdempotentError",
    "RecursiveInvocationException",
    "RequestEntityTooLargeException",
    "RequestTooLargeException",
    "ResourceConflictException",
    "ResourceNotFoundException",
    "ServiceException",
    "TooManyRequestsException",
    "UnawaitedWorkError",
    "UnawaitedWorkWarning",
    "UnsupportedMediaTypeException",
    "UnsupportedOperation",
    "ValidationException",
    "service_error_for_code",
]


class LambdaServiceError(Exception):
    """An error the Lambda service answers with instead of running the function.

    ``code`` is the AWS error code and ``status_code`` the HTTP status, as the
    real API returns them (INV-20..INV-24 in docs/reference/rules.md)."""

    code: ClassVar[str] = "ServiceException"
    status_code: ClassVar[int] = 500

    def __init__(self, message: str, *, reason: str | None = None, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.retry_after = retry_after

    def __str__(self) -> str:
        reason = f", Reason: {self.reason}" if self.reason else ""
        return f"{self.code} ({self.status_code}{reason}): {self.message}"


class InvalidParameterValueException(LambdaServiceError, ValueError):
    code = "InvalidParameterValueException"
    status_code = 400


class ValidationException(InvalidParameterValueException):
    """A request outside the Lambda API's model: a pattern, a length, a range or an enum
    (``1 validation error detected: Value '...' at 'functionName' failed to satisfy constraint: ...``).

    AWS checks these before the operation runs, and its answer carries no ``Type``.  A subclass of
    :class:`InvalidParameterValueException`, which the invoker raised for them before, so code
    catching that still catches these."""

    code = "ValidationException"
    status_code = 400


class InvalidRequestContentException(LambdaServiceError, ValueError):
    code = "InvalidRequestContentException"
    status_code = 400


class RequestEntityTooLargeException(LambdaServiceError, ValueError):
    """INV-21: botocore's model says ``RequestTooLargeException``; the wire says this."""

    code = "RequestEntityTooLargeException"
    status_code = 413


RequestTooLargeException = RequestEntityTooLargeException


class ResourceNotFoundException(LambdaServiceError, LookupError):
    code = "ResourceNotFoundException"
    status_code = 404


class ResourceConflictException(LambdaServiceError):
    code = "ResourceConflictException"
    status_code = 409


class TooManyRequestsException(LambdaServiceError):
    code = "TooManyRequestsException"
    status_code = 429


class RecursiveInvocationException(LambdaServiceError):
    code = "RecursiveInvocationException"
    status_code = 400


class UnsupportedMediaTypeException(LambdaServiceError):
    code = "UnsupportedMediaTypeException"
    status_code = 415


class ServiceException(LambdaServiceError):
    code = "ServiceException"
    status_code = 500


# Every code above, and the alias (RequestTooLargeException is the name some SDKs use for 413).
_BY_CODE: dict[str, type[LambdaServiceError]] = {cls.code: cls for cls in LambdaServiceError.__subclasses__()}
_BY_CODE["RequestTooLargeException"] = RequestEntityTooLargeException
_BY_CODE[ValidationException.code] = ValidationException  # a subclass of a subclass: not listed above


def service_error_for_code(code: str) -> type[LambdaServiceError]:
    """The exception class for an AWS error code (ServiceException if unknown)."""
    return _BY_CODE.get(code, ServiceException)


class AsyncHandlerError(TypeError):
    """An ``async def`` handler registered without ``asyncio=True`` (PY-2)."""


class UnawaitedWorkError(AssertionError):
    """A handler returned while work it started was unfinished."""


class NotIdempotentError(AssertionError):
    """A delivery history ended in a different state than one clean delivery.

    Besides the message: ``event``, ``history`` (a ``DeliveryHistory``),
    ``new_environment``, ``schedule`` (how concurrent async duplicates were
    interleaved), and the two states ``expected`` and ``actual``."""

    event: Any = None
    history: Any = None
    new_environment: bool = False
    schedule: tuple[int, ...] = ()
    expected: Any = None
    actual: Any = None


class UnsupportedOperation(NotImplementedError):
    """A Lambda API call through boto3 that the active invoker does not model.

    Raised instead of sending the call to AWS or moto (docs/how-to/boto3-and-moto.md)."""


class UnawaitedWorkWarning(UserWarning):
    """An invoker attempt returned before its work was done, under ``await_check="warn"``."""
