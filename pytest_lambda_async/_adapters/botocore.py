"""Real boto3/botocore Lambda clients answered by the invoker (API.md section 2).

Routing goes through botocore's own event machinery, as moto's does, so
every client is reached, including ones created in module globals before a
test starts:

* ``before-parameter-build.lambda`` keeps the caller's own parameters (the
  ``Payload`` as given: bytes, str or a file-like object) in the request context;
* ``before-call`` (registered last, so botocore's own ``before-call`` handlers,
  such as the recursion-detection header of LOOP-4, have run) answers the call
  with an HTTP response parsed by botocore's own parser for the service model.
  botocore then returns it, or raises its usual ``ClientError`` for a status
  >= 300.  Nothing reaches the network, nor moto's ``before-send`` stub.

The handlers are appended to ``botocore.handlers.BUILTIN_HANDLERS`` when
botocore is imported (an import hook, so importing this package never imports
botocore), and answer only while an invoker is active (the ``lambda_invoker``
fixture, or ``with invoker.patch_boto3():``).  While one is active, every
Lambda API call is the invoker's: the operations in ``_OPERATIONS`` are
answered, any other raises :class:`UnsupportedOperation`, never a call to AWS
or moto.
"""

from __future__ import annotations

import datetime as _dt
import importlib.abc
import importlib.machinery
import io
import json
import sys
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

from .._service import aws
from .imports import spec_running_after
from ..errors import (
    InvalidParameterValueException,
    LambdaServiceError,
    ResourceNotFoundException,
    UnsupportedOperation,
)

if TYPE_CHECKING:
    from .._service.functions import LambdaFunction
    from .._service.invoker import LambdaService

__all__ = ["Operation", "active_invoker", "extra_operations", "install", "routed"]

_S = TypeVar("_S", bound="LambdaService")

_PARAMS_KEY = "pytest_lambda_async.params"
_ACTIVE: list[LambdaService] = []  # innermost last; process-wide, since handlers run on the runtime thread
_INSTALL_LOCK = threading.Lock()
_installed = False


def _model_constraints(shape: str) -> dict[str, Any]:
    """A shape's constraints in botocore's Lambda service model (botocore imported on first use)."""
    import botocore.session  # type: ignore[import-untyped]

    return dict(botocore.session.get_session().get_service_model("lambda").shape_for(shape).metadata)


aws.use_service_model(_model_constraints)


# -- installing the handlers ----------------------------------------------------------
def install() -> None:
    """Make every botocore session created from now on carry the routing handlers.

    Idempotent, and free when botocore is not loaded: then the handlers are
    registered the moment ``botocore.handlers`` is first imported."""
    with _INSTALL_LOCK:
        if _installed:
            return
        handlers = sys.modules.get("botocore.handlers")
        if handlers is not None:
            _register(handlers)
            return
        if not any(isinstance(f, _AfterBotocoreHandlers) for f in sys.meta_path):
            sys.meta_path.insert(0, _AfterBotocoreHandlers())


def _register(handlers: ModuleType) -> None:
    global _installed
    if _installed:
        return
    _installed = True
    specs: list[tuple[Any, ...]] = [
        ("before-parameter-build.lambda", _remember_params),
        ("before-call", _answer, handlers.REGISTER_LAST),
    ]
    handlers.BUILTIN_HANDLERS.extend(specs)
    # boto3's default session may already exist (clients made before this): new clients
    # copy its emitter, so register there too.
    boto3 = sys.modules.get("boto3")
    default = getattr(boto3, "DEFAULT_SESSION", None) if boto3 is not None else None
    if default is not None:
        events = default._session.get_component("event_emitter")
        events.register("before-parameter-build.lambda", _remember_params)
        events.register_last("before-call", _answer)


class _AfterBotocoreHandlers(importlib.abc.MetaPathFinder):
    """Registers the handlers right after ``botocore.handlers`` has run (then steps aside)."""

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != "botocore.handlers":
            return None
        sys.meta_path.remove(self)

        def register(module: ModuleType) -> None:
            with _INSTALL_LOCK:
                _register(module)

        return spec_running_after(fullname, path, target, finder=self, after=register)


@contextmanager
def routed(invoker: _S) -> Iterator[_S]:
    """Answer Lambda calls from every botocore client with ``invoker`` for the block."""
    install()
    _ACTIVE.append(invoker)
    try:
        yield invoker
    finally:
        # Remove this invoker, not whatever is last: blocks may end out of order.
        for i in range(len(_ACTIVE) - 1, -1, -1):
            if _ACTIVE[i] is invoker:
                del _ACTIVE[i]
                break


def active_invoker() -> LambdaService | None:
    """The invoker answering Lambda calls now (the innermost ``routed`` block), if any."""
    return _ACTIVE[-1] if _ACTIVE else None


# -- the two event handlers -----------------------------------------------------------
def _remember_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    if _ACTIVE:
        context[_PARAMS_KEY] = params


def _answer(model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]] | None:
    """``before-call``: a response short-circuits botocore's HTTP send (and moto's stub)."""
    api_params = context.get(_PARAMS_KEY)
    if api_params is None or not _ACTIVE:
        return None  # another service, or no invoker: botocore goes on as usual
    invoker = _ACTIVE[-1]
    if model.name == "Invoke" and api_params.get("InvocationType") == "Event" and _EVENT_PARAMS.issuperset(api_params):
        return _answer_event(invoker, model, params, context, api_params)
    operation = _OPERATIONS.get(model.name)
    if operation is None and model.name in extra_operations:
        operation = _extra(extra_operations[model.name])
    if operation is None:
        raise UnsupportedOperation(
            f"lambda.{_snake(model.name)} is not modelled by the invoker, and while it is active Lambda calls "
            "never go to AWS or moto. Modelled: "
            f"{', '.join(sorted(_snake(n) for n in [*_OPERATIONS, *extra_operations]))}. "
            "See docs/how-to/boto3-and-moto.md")
    request = _Request(api_params, params.get("headers", {}), params.get("url", ""), context.get("client_region"))
    try:
        reply = operation(invoker, request)
    except LambdaServiceError as exc:
        reply = _error_reply(exc, invoker)
    if reply.status in (202, 204) and not reply.body and not reply.headers and model.name == "Invoke":
        return _empty_invoke_response(request.url, reply)
    return _parse(model, request.url, reply)


# An Event invoke with only these parameters takes the short path (LogType and ClientContext,
# which the service also checks for Event, go the general way).
_EVENT_PARAMS = frozenset({"FunctionName", "InvocationType", "Qualifier", "Payload"})


def _answer_event(invoker: LambdaService, model: Any, params: dict[str, Any], context: dict[str, Any],
                  api_params: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """The hot path: ``invoke(InvocationType="Event")``, answered by ``LambdaService.accept_routed_event``
    (every check the service makes, none that botocore's validation already made) with the reply
    ``_empty_invoke_response`` assembles (the same as the general path's, tests/test_boto3.py)."""
    payload: Any = api_params.get("Payload", b"")
    if payload.__class__ is not bytes:
        if hasattr(payload, "read"):  # a file-like Payload is the request body, read once
            payload = payload.read()
        if payload is None:
            payload = b""
        elif not isinstance(payload, (bytes, str)):
            payload = bytes(payload)
    headers = params.get("headers")
    try:
        request_id = invoker.accept_routed_event(
            api_params["FunctionName"], api_params.get("Qualifier"), payload,
            headers.get("X-Amzn-Trace-Id") if headers else None, context.get("client_region"))
    except LambdaServiceError as exc:
        return _parse(model, params.get("url", ""), _error_reply(exc, invoker))
    return _empty_reply(params.get("url", ""), 202, request_id)


def _empty_invoke_response(url: str, reply: _Reply) -> tuple[Any, dict[str, Any]]:
    """An empty 202/204 Invoke reply: exactly what ``_parse`` builds for it, assembled directly
    (tests/test_boto3.py checks the two agree)."""
    return _empty_reply(url, reply.status, reply.request_id)


def _empty_reply(url: str, status: int, request_id: str) -> tuple[Any, dict[str, Any]]:
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


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


@dataclass(slots=True)
class _Request:
    params: dict[str, Any]  # as the caller gave them (validated by botocore)
    headers: Any  # the serialised request's headers (X-Amzn-Trace-Id, LOOP-4)
    url: str
    region: str | None = None  # the client's: an ARN must name it (INV-22)


@dataclass(slots=True)
class _Reply:
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


def _parse(model: Any, url: str, reply: _Reply) -> tuple[Any, dict[str, Any]]:
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


def _error_reply(exc: LambdaServiceError, invoker: LambdaService) -> _Reply:
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
    return _Reply(exc.status_code, invoker.new_request_id(), headers, json.dumps(body).encode())


_CAPITAL_MESSAGE = frozenset({"ResourceNotFoundException", "RecursiveInvocationException",
                              "ResourceConflictException", "ServiceException"})


def _json_reply(invoker: LambdaService, body: Any, status: int = 200) -> _Reply:
    return _Reply(status, invoker.new_request_id(), body=json.dumps(body).encode())


# -- operations other adapters answer (sources: event source mappings) ------------------
Operation = Callable[["LambdaService", dict[str, Any], "str | None"], tuple[int, Any]]
# Lambda operation name -> (invoker, the caller's parameters, the client's region) -> (HTTP status, JSON body
# or None for none);
# a LambdaServiceError raised is the API error.  Added to by the event sources adapter.
extra_operations: dict[str, Operation] = {}


def _extra(operation: Operation) -> Callable[[LambdaService, _Request], _Reply]:
    def answer(invoker: LambdaService, request: _Request) -> _Reply:
        status, body = operation(invoker, request.params, request.region)
        if body is None:  # 204: no body
            return _Reply(status, invoker.new_request_id())
        return _json_reply(invoker, body, status)

    return answer


# -- Invoke (INV-1..INV-24) -----------------------------------------------------------
def _invoke(invoker: LambdaService, request: _Request) -> _Reply:
    p = request.params
    payload: Any = p.get("Payload", b"")
    if hasattr(payload, "read"):  # a file-like Payload is the request body, read once
        payload = payload.read()
    if payload is None:
        payload = b""
    invocation_type = p.get("InvocationType", "RequestResponse")
    result = invoker.invoke(
        p["FunctionName"], payload if isinstance(payload, (bytes, str)) else bytes(payload),
        invocation_type=invocation_type, qualifier=p.get("Qualifier"), log_type=p.get("LogType", "None"),
        client_context=p.get("ClientContext"), tenant_id=p.get("TenantId"), _region=request.region,
        **_trace_kwargs(invoker, request))
    if invocation_type != "RequestResponse":  # INV-11, INV-12: empty body
        return _Reply(result.status_code, result.request_id)
    headers = {"X-Amz-Executed-Version": result.executed_version or aws.LATEST}  # INV-15
    if result.function_error:
        headers["X-Amz-Function-Error"] = result.function_error  # INV-14
    if result.log_result is not None:
        headers["X-Amz-Log-Result"] = result.log_result  # INV-3
    return _Reply(result.status_code, result.request_id, headers, json.dumps(result.payload).encode())  # INV-10


_NO_TRACE: dict[str, Any] = {}


def _trace_kwargs(invoker: LambdaService, request: _Request) -> dict[str, Any]:
    """The incoming trace header, for loop detection and the timeline's parent (LOOP-4)."""
    header = request.headers.get("X-Amzn-Trace-Id") if request.headers else None
    return _NO_TRACE if header is None else {"_trace": header}


def _invoke_async(invoker: LambdaService, request: _Request) -> _Reply:
    """The deprecated InvokeAsync (INV-19): an Event invocation answered ``{"Status": 202}``;
    it carries no trace, so the chain (and loop count) starts afresh."""
    p = request.params
    body = p["InvokeArgs"]
    if hasattr(body, "read"):
        body = body.read()
    result = invoker.invoke(p["FunctionName"], body if isinstance(body, (bytes, str)) else bytes(body),
                            invocation_type="Event", _region=request.region)
    return _Reply(202, result.request_id, body=json.dumps({"Status": 202}).encode())


# -- naming the function: each operation's own "not found" ---------------------------------
_NotFound = Callable[[aws.FunctionRef, str, str], LambdaServiceError]  # (ref, region, account) -> error


def _not_found_as_given(ref: aws.FunctionRef, region: str, account: str) -> LambdaServiceError:
    """GetFunctionConfiguration, GetFunctionConcurrency ...: the ARN as the caller gave it
    (recorded: ``not_found_exception``, ``version_not_found_exception``)."""
    return aws.function_not_found(ref.name, ref.qualifier, region=region, account=account, as_given=True)


def _not_found_latest(ref: aws.FunctionRef, region: str, account: str) -> LambdaServiceError:
    """PutFunctionConcurrency, as Invoke: the qualified ARN (``..._function_name_doesnotexist``)."""
    return aws.function_not_found(ref.name, ref.qualifier, region=region, account=account)


def _no_such_config_function(ref: aws.FunctionRef, region: str, account: str) -> LambdaServiceError:
    """Put, Update, List of the event invoke config (``put_functionname_name_notfound``)."""
    return aws.function_doesnt_exist()


def _no_config(ref: aws.FunctionRef, region: str, account: str) -> LambdaServiceError:
    """Get and Delete of the event invoke config (``get_function_doesnotexist``)."""
    return aws.no_event_invoke_config(aws.function_arn(ref.name, region=region, account=account,
                                                       qualifier=ref.qualifier or aws.LATEST))


def _lookup(invoker: LambdaService, request: _Request, not_found: _NotFound) -> tuple[LambdaFunction, str | None]:
    """(the function a call names, the ARN as called if not the function's own).

    Names resolve as for Invoke (``LambdaService.resolve``: only ``$LATEST`` exists here); what
    each operation answers for a function, version or alias that does not exist is its own
    (``not_found``).  An ARN of another region stays "not reachable" (INV-22)."""
    p = request.params
    ref = aws.parse_function_name(p["FunctionName"], p.get("Qualifier"))  # validation errors first
    here = request.region or invoker.region
    if ref.region is not None and ref.region != here:
        raise aws.region_unreachable(ref.region, here)
    try:
        return invoker.resolve(p["FunctionName"], p.get("Qualifier"), request.region)
    except ResourceNotFoundException:
        raise not_found(ref, here, ref.account or invoker.account) from None


# -- event invoke config (CFG-1..CFG-6) -----------------------------------------------
@dataclass
class _ConfigRecord:
    """Which settings the API set explicitly (CFG-3: fields never set are absent), and when."""

    fields: set[str]
    last_modified: _dt.datetime


_FIELDS = ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig")
_configs: weakref.WeakKeyDictionary[LambdaFunction, _ConfigRecord] = weakref.WeakKeyDictionary()


def _set_fields(fn: LambdaFunction) -> set[str]:
    """Settings the function has: set through the API, or given to register() (non-default)."""
    record = _configs.get(fn)
    found = set(record.fields) if record is not None else set()
    if fn.max_retry_attempts != aws.DEFAULT_MAX_RETRY_ATTEMPTS:
        found.add("MaximumRetryAttempts")
    if fn.maximum_event_age != aws.DEFAULT_MAXIMUM_EVENT_AGE:
        found.add("MaximumEventAgeInSeconds")
    if fn.on_success is not None or fn.on_failure is not None:
        found.add("DestinationConfig")
    return found


def _config_body(invoker: LambdaService, fn: LambdaFunction) -> dict[str, Any]:
    fields = _set_fields(fn)
    qualified_arn = aws.function_arn(fn.name, region=invoker.region, account=invoker.account,
                                      qualifier=aws.LATEST)
    if not fields:
        raise aws.no_event_invoke_config(qualified_arn)  # CFG-2
    record = _configs.get(fn)
    when = record.last_modified if record is not None else invoker.t0
    body: dict[str, Any] = {
        "LastModified": when.timestamp(),  # epoch seconds on the wire (CFG-3)
        "FunctionArn": qualified_arn,
    }
    if "MaximumRetryAttempts" in fields:
        body["MaximumRetryAttempts"] = fn.max_retry_attempts
    if "MaximumEventAgeInSeconds" in fields:
        body["MaximumEventAgeInSeconds"] = int(fn.maximum_event_age)
    # CFG-3: an unset destination is {}.
    body["DestinationConfig"] = {
        "OnSuccess": {"Destination": fn.on_success.arn} if fn.on_success is not None else {},
        "OnFailure": {"Destination": fn.on_failure.arn} if fn.on_failure is not None else {},
    }
    return body


def _destinations(p: dict[str, Any]) -> dict[str, str | None]:
    """The request's destination ARNs by key (OnSuccess, OnFailure); None if not given or empty."""
    config = p.get("DestinationConfig") or {}
    return {key: (config.get(key) or {}).get("Destination") or None for key in aws.DESTINATION_FIELDS}


def _check_destination_patterns(p: dict[str, Any]) -> None:
    """CFG-6: AWS validates the request against its model before anything else, so a destination
    outside botocore's ``DestinationArn`` pattern is a ValidationException even for a missing
    function (recorded: ``put_destination_invalid_arn_pattern``)."""
    given = _destinations(p)
    violations = [v for key, field_name in aws.DESTINATION_FIELDS.items()
                  if (v := aws.model_violation(given[key] or "", field_name, aws.DESTINATION_SHAPE))]
    if violations:
        raise aws.validation_error(violations)


def _check_destination_targets(invoker: LambdaService, p: dict[str, Any], region: str) -> None:
    """CFG-5, CFG-6, once the function is known: a Lambda destination must exist now
    (``put_destination_lambda_doesntexist``); another service is no destination
    (``put_destination_invalid_service_arn``).  The rest (S3 on success, self) is ``configure``'s."""
    given = _destinations(p)
    unsupported = False
    for key in ("OnFailure", "OnSuccess"):  # AWS's order
        arn = given[key]
        if arn is None or not arn.startswith("arn:"):
            continue
        service = aws.split_arn(arn).service
        if service == "lambda":
            try:
                ref = aws.parse_function_name(arn)
            except InvalidParameterValueException:
                raise aws.destination_arn_invalid(arn) from None
            target = invoker.functions.get(ref.name)
            if target is None or ref.region != region or ref.account != invoker.account \
                    or ref.qualifier not in (None, aws.LATEST):
                raise aws.destination_arn_invalid(arn)
        elif service not in aws.ON_FAILURE_KINDS:
            unsupported = True
    if unsupported:
        raise aws.destination_config_invalid(given["OnSuccess"], given["OnFailure"])


def _config_settings(p: dict[str, Any], *, replace: bool) -> dict[str, Any]:
    """API parameters -> LambdaFunction.configure keywords (defaults for what Put omits, CFG-1)."""
    settings: dict[str, Any] = {}
    if replace or "MaximumRetryAttempts" in p:
        settings["max_retry_attempts"] = p.get("MaximumRetryAttempts", aws.DEFAULT_MAX_RETRY_ATTEMPTS)
    if replace or "MaximumEventAgeInSeconds" in p:
        settings["maximum_event_age"] = p.get("MaximumEventAgeInSeconds", aws.DEFAULT_MAXIMUM_EVENT_AGE)
    destinations = p.get("DestinationConfig", {})
    for key, role in (("OnSuccess", "on_success"), ("OnFailure", "on_failure")):
        if replace or key in destinations:
            # Update merges per destination; {} or an empty Destination removes it.
            settings[role] = destinations.get(key, {}).get("Destination") or None
    return settings


def _change_config(invoker: LambdaService, request: _Request, *, replace: bool) -> _Reply:
    """Put (``replace``) or Update, checked in AWS's order (recorded:
    ``test_lambda_eventinvokeconfig_exceptions``): the model's constraints, at least one setting,
    the function, (Update) its config, the destinations; then the change, all or nothing."""
    p = request.params
    _check_destination_patterns(p)
    given = {f for f in _FIELDS if f in p}
    if not given:
        raise aws.no_config_settings()
    fn, _ = _lookup(invoker, request, _no_such_config_function)
    if not replace and not _set_fields(fn):  # Update never creates one (CFG-2)
        raise aws.no_event_invoke_config(aws.function_arn(fn.name, region=invoker.region, account=invoker.account,
                                                          qualifier=aws.LATEST))
    record = _configs.get(fn)
    _check_destination_targets(invoker, p, request.region or invoker.region)
    fn.configure(**_config_settings(p, replace=replace))  # validated there: nothing changes on error (CFG-6)
    fields = given if replace or record is None else record.fields | given
    _configs[fn] = _ConfigRecord(fields, invoker.now)
    return _json_reply(invoker, _config_body(invoker, fn))


def _put_config(invoker: LambdaService, request: _Request) -> _Reply:
    return _change_config(invoker, request, replace=True)


def _update_config(invoker: LambdaService, request: _Request) -> _Reply:
    return _change_config(invoker, request, replace=False)


def _get_config(invoker: LambdaService, request: _Request) -> _Reply:
    fn, _ = _lookup(invoker, request, _no_config)
    return _json_reply(invoker, _config_body(invoker, fn))


def _delete_config(invoker: LambdaService, request: _Request) -> _Reply:
    fn, _ = _lookup(invoker, request, _no_config)
    _config_body(invoker, fn)  # ResourceNotFoundException when there is none
    fn.configure(max_retry_attempts=aws.DEFAULT_MAX_RETRY_ATTEMPTS,
                 maximum_event_age=aws.DEFAULT_MAXIMUM_EVENT_AGE, on_success=None, on_failure=None)
    _configs.pop(fn, None)
    return _Reply(204, invoker.new_request_id())  # CFG-2


def _list_configs(invoker: LambdaService, request: _Request) -> _Reply:
    fn, _ = _lookup(invoker, request, _no_such_config_function)
    try:
        configs = [_config_body(invoker, fn)]
    except ResourceNotFoundException:
        configs = []
    return _json_reply(invoker, {"FunctionEventInvokeConfigs": configs})  # one qualifier only: no NextMarker


# -- function configuration (DLQ-1, PY-5) and concurrency (Q-5) ----------------------
_CONFIGURATION_PARAMS = {"FunctionName", "DeadLetterConfig", "Timeout", "MemorySize"}


def _function_configuration(invoker: LambdaService, fn: LambdaFunction, arn: str | None = None) -> dict[str, Any]:
    """``arn``: the function's ARN as called (qualified when a qualifier was given), if not its own."""
    body: dict[str, Any] = {
        "FunctionName": fn.name, "FunctionArn": arn or fn.arn, "Version": aws.LATEST,
        "Timeout": int(fn.timeout), "MemorySize": fn.memory_size,
        "LastModified": invoker.now.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
        "State": "Active", "LastUpdateStatus": "Successful", "PackageType": "Zip",
    }
    if fn.dead_letter is not None:
        body["DeadLetterConfig"] = {"TargetArn": fn.dead_letter.arn}
    return body


def _update_configuration(invoker: LambdaService, request: _Request) -> _Reply:
    p = request.params
    unmodelled = sorted(set(p) - _CONFIGURATION_PARAMS)
    if unmodelled:
        raise UnsupportedOperation(
            f"lambda.update_function_configuration: the invoker does not model {', '.join(unmodelled)}; "
            f"it models {', '.join(sorted(_CONFIGURATION_PARAMS - {'FunctionName'}))}")
    fn, _ = _lookup(invoker, request, _not_found_as_given)
    settings: dict[str, Any] = {}
    dead_letter = p.get("DeadLetterConfig", {})
    if "TargetArn" in dead_letter:  # DLQ-1: "" removes it; {} leaves it as it is (recorded: delete_dlq)
        settings["dead_letter"] = dead_letter["TargetArn"] or None
    if "Timeout" in p:
        settings["timeout"] = p["Timeout"]
    if "MemorySize" in p:
        settings["memory_size"] = p["MemorySize"]
    fn.configure(**settings)
    return _json_reply(invoker, _function_configuration(invoker, fn))


def _get_configuration(invoker: LambdaService, request: _Request) -> _Reply:
    fn, invoked = _lookup(invoker, request, _not_found_as_given)
    return _json_reply(invoker, _function_configuration(invoker, fn, invoked))  # qualified if called so


def _put_concurrency(invoker: LambdaService, request: _Request) -> _Reply:
    if aws.parse_function_name(request.params["FunctionName"]).qualifier is not None:
        raise aws.unqualified_only()  # recorded: put_function_concurrency_with_qualified_arn
    fn, _ = _lookup(invoker, request, _not_found_latest)
    fn.configure(reserved_concurrency=request.params["ReservedConcurrentExecutions"])
    return _json_reply(invoker, {"ReservedConcurrentExecutions": fn.reserved_concurrency})


def _delete_concurrency(invoker: LambdaService, request: _Request) -> _Reply:
    _lookup(invoker, request, _not_found_as_given)[0].configure(reserved_concurrency=None)
    return _Reply(204, invoker.new_request_id())


def _get_concurrency(invoker: LambdaService, request: _Request) -> _Reply:
    fn, _ = _lookup(invoker, request, _not_found_as_given)
    body = {} if fn.reserved_concurrency is None else {"ReservedConcurrentExecutions": fn.reserved_concurrency}
    return _json_reply(invoker, body)


def _put_recursion(invoker: LambdaService, request: _Request) -> _Reply:
    fn, _ = _lookup(invoker, request, _not_found_as_given)
    fn.configure(recursive_loop=request.params["RecursiveLoop"])  # LOOP-3
    return _json_reply(invoker, {"RecursiveLoop": fn.recursive_loop})


def _get_recursion(invoker: LambdaService, request: _Request) -> _Reply:
    return _json_reply(invoker, {"RecursiveLoop": _lookup(invoker, request, _not_found_as_given)[0].recursive_loop})


_OPERATIONS: dict[str, Callable[[LambdaService, _Request], _Reply]] = {
    "Invoke": _invoke,
    "InvokeAsync": _invoke_async,
    "PutFunctionEventInvokeConfig": _put_config,
    "UpdateFunctionEventInvokeConfig": _update_config,
    "GetFunctionEventInvokeConfig": _get_config,
    "DeleteFunctionEventInvokeConfig": _delete_config,
    "ListFunctionEventInvokeConfigs": _list_configs,
    "UpdateFunctionConfiguration": _update_configuration,
    "GetFunctionConfiguration": _get_configuration,
    "PutFunctionConcurrency": _put_concurrency,
    "DeleteFunctionConcurrency": _delete_concurrency,
    "GetFunctionConcurrency": _get_concurrency,
    "PutFunctionRecursionConfig": _put_recursion,
    "GetFunctionRecursionConfig": _get_recursion,
}
