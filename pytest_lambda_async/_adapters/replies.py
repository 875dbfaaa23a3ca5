"""The replies the botocore adapter gives: an HTTP response parsed by botocore's own parser.

A ``before-call`` handler that returns ``(http response, parsed)`` short-circuits botocore's send;
this builds both from a :class:`Reply` (status, request id, headers, JSON body) as botocore's
endpoint would from the wire, so callers get botocore's own shapes and ``ClientError``.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import LambdaServiceError

if TYPE_CHECKING:
    from .._service.invoker import LambdaService

__all__ = ["EMPTY_RAW", "Reply", "Request", "empty_invoke_response", "empty_reply", "error_reply", "json_reply",
           "parse"]


@dataclass(slots=True)
class Request:
    """A Lambda API call as an operation answers it."""

    params: dict[str, Any]  # as the caller gave them (validated by botocore)
    headers: Any  # the serialised request's headers (X-Amzn-Trace-Id, LOOP-4)
    url: str
    region: str | None = None  # the client's: an ARN must name it (INV-22)


@dataclass(slots=True)
class Reply:
    """What an operation answers: the HTTP status, request id, headers and body."""

    status: int
    request_id: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


# -- building botocore's parsed response ----------------------------------------------
class _Raw:
    """Enough of urllib3's response for ``AWSResponse.content``."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


EMPTY_RAW = _Raw(b"")


_parsers: dict[str, Any] = {}
_classes: tuple[Any, Any, Any] | None = None


def _botocore_classes() -> tuple[Any, Any, Any]:
    """AWSResponse, HeadersDict, StreamingBody: imported once (botocore is loaded when this runs)."""
    global _classes
    if _classes is None:
        from botocore.awsrequest import AWSResponse, HeadersDict  # type: ignore[import-untyped]
        from botocore.response import StreamingBody  # type: ignore[import-untyped]

        _classes = (AWSResponse, HeadersDict, StreamingBody)
    return _classes


def parse(model: Any, url: str, reply: Reply) -> tuple[Any, dict[str, Any]]:
    """The reply as botocore's endpoint would return it from the wire (endpoint._do_get_response)."""
    AWSResponse, HeadersDict, StreamingBody = _botocore_classes()
    headers = HeadersDict({"x-amzn-RequestId": reply.request_id, "Content-Type": "application/json",
                           "Content-Length": str(len(reply.body)), **reply.headers})
    http = AWSResponse(url, reply.status, headers, _Raw(reply.body))
    body: Any = reply.body
    if reply.status < 300 and model.has_streaming_output:
        body = StreamingBody(io.BytesIO(reply.body), len(reply.body))
    response = {"headers": headers, "status_code": reply.status, "body": body,
                "context": {"operation_name": model.name}}
    protocol = model.service_model.resolved_protocol
    parser = _parsers.get(protocol)
    if parser is None:
        from botocore.parsers import create_parser  # type: ignore[import-untyped]

        parser = _parsers[protocol] = create_parser(protocol)
    parsed: dict[str, Any] = parser.parse(response, model.output_shape)
    if reply.status >= 300:  # modelled error fields (Type, Reason, retryAfterSeconds), as the endpoint adds them
        shape = model.service_model.shape_for_error_code(parsed.get("Error", {}).get("Code"))
        if shape is not None:
            parsed.update(parser.parse(response, shape))
    parsed["ResponseMetadata"]["RetryAttempts"] = 0
    return http, parsed


def error_reply(exc: LambdaServiceError, invoker: LambdaService) -> Reply:
    """An AWS error response: the code in ``x-amzn-ErrorType``, the message in the body (INV-20..INV-24)."""
    # A ValidationException (the model's constraints) carries no Type (recorded: put_destination_invalid_arn_pattern).
    body: dict[str, Any] = {} if exc.code == "ValidationException" else \
        {"Type": "User" if exc.status_code < 500 else "Service"}
    # Lambda's error shapes spell the message member "Message" or "message"; botocore reads either.
    body["message" if exc.code not in _CAPITAL_MESSAGE else "Message"] = exc.message
    headers = {"x-amzn-ErrorType": exc.code}
    if exc.reason:
        body["Reason"] = exc.reason
    if exc.retry_after is not None:
        headers["Retry-After"] = str(exc.retry_after)
    return Reply(exc.status_code, invoker.new_request_id(), headers, json.dumps(body).encode())


_CAPITAL_MESSAGE = frozenset({"ResourceNotFoundException", "RecursiveInvocationException",
                              "ResourceConflictException", "ServiceException"})


def json_reply(invoker: LambdaService, body: Any, status: int = 200) -> Reply:
    return Reply(status, invoker.new_request_id(), body=json.dumps(body).encode())


# -- the hot path's empty Invoke replies, assembled directly ---------------------------
def empty_invoke_response(url: str, reply: Reply) -> tuple[Any, dict[str, Any]]:
    """An empty 202/204 Invoke reply: exactly what :func:`parse` builds for it, assembled directly
    (tests/adapters/test_boto3.py checks the two agree)."""
    return empty_reply(url, reply.status, reply.request_id)


def empty_reply(url: str, status: int, request_id: str) -> tuple[Any, dict[str, Any]]:
    response_class, streaming_body = _EMPTY_REPLY_CLASSES or _empty_reply_classes()
    headers = {"x-amzn-requestid": request_id, "content-type": "application/json", "content-length": "0"}
    return response_class(url, status, headers), {
        "ResponseMetadata": {"RequestId": request_id, "HTTPStatusCode": status,
                             "HTTPHeaders": headers, "RetryAttempts": 0},
        "StatusCode": status,
        "Payload": streaming_body(io.BytesIO(), 0),
    }


_EMPTY_REPLY_CLASSES: tuple[Any, Any] | None = None


def _empty_reply_classes() -> tuple[Any, Any]:
    """(an ``AWSResponse`` with an empty body whose ``HeadersDict`` is built when first read,
    ``StreamingBody``): botocore itself reads only the ``status_code`` of a reply that a
    ``before-call`` handler gives, so most replies never need their headers dict."""
    global _EMPTY_REPLY_CLASSES
    AWSResponse, HeadersDict, StreamingBody = _botocore_classes()

    class _EmptyResponse(AWSResponse):  # type: ignore[misc,valid-type]
        def __init__(self, url: str, status_code: int, headers: dict[str, str]) -> None:
            # AWSResponse.__init__'s attributes, with the headers kept as given for now
            self.url = url
            self.status_code = status_code
            self._given_headers = headers
            self.raw = EMPTY_RAW
            self._content = None

        @property
        def headers(self) -> Any:
            built = self.__dict__.get("_headers")
            if built is None:
                built = self._headers = HeadersDict(self._given_headers)
            return built

        @headers.setter
        def headers(self, value: Any) -> None:
            self._headers = value

    _EMPTY_REPLY_CLASSES = (_EmptyResponse, StreamingBody)
    return _EMPTY_REPLY_CLASSES

