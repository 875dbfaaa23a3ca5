"""The Lambda operations the invoker answers for botocore: Invoke, function configuration,
concurrency and recursion (the event invoke config's are in ``invoke_config``).

Each takes the invoker and the :class:`Request` and gives a :class:`Reply`; a
``LambdaServiceError`` raised is the API error.  Names resolve as for Invoke
(``LambdaService.resolve``); what each operation answers for a function that does not exist
is its own (``not_found`` below).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import _text
from .._service import aws
from ..errors import LambdaServiceError, ResourceNotFoundException, UnsupportedOperation
from .replies import Reply, Request, json_reply

if TYPE_CHECKING:
    from .._service.functions import LambdaFunction
    from .._service.invoker import LambdaService

__all__ = ["NotFound", "OPERATIONS", "lookup", "no_config", "no_such_config_function"]


# -- Invoke (INV-1..INV-24) -----------------------------------------------------------
def _invoke(invoker: LambdaService, request: Request) -> Reply:
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
        return Reply(result.status_code, result.request_id)
    headers = {"X-Amz-Executed-Version": result.executed_version or aws.LATEST}  # INV-15
    if result.function_error:
        headers["X-Amz-Function-Error"] = result.function_error  # INV-14
    if result.log_result is not None:
        headers["X-Amz-Log-Result"] = result.log_result  # INV-3
    return Reply(result.status_code, result.request_id, headers, json.dumps(result.payload).encode())  # INV-10


_NO_TRACE: dict[str, Any] = {}


def _trace_kwargs(invoker: LambdaService, request: Request) -> dict[str, Any]:
    """The incoming trace header, for loop detection and the timeline's parent (LOOP-4)."""
    header = request.headers.get("X-Amzn-Trace-Id") if request.headers else None
    return _NO_TRACE if header is None else {"_trace": header}


def _invoke_async(invoker: LambdaService, request: Request) -> Reply:
    """The deprecated InvokeAsync (INV-19): an Event invocation answered ``{"Status": 202}``;
    it carries no trace, so the chain (and loop count) starts afresh."""
    p = request.params
    body = p["InvokeArgs"]
    if hasattr(body, "read"):
        body = body.read()
    result = invoker.invoke(p["FunctionName"], body if isinstance(body, (bytes, str)) else bytes(body),
                            invocation_type="Event", _region=request.region)
    return Reply(202, result.request_id, body=json.dumps({"Status": 202}).encode())


# -- naming the function: each operation's own "not found" ---------------------------------
NotFound = Callable[[aws.FunctionRef, str, str], LambdaServiceError]  # (ref, region, account) -> error


def not_found_as_given(ref: aws.FunctionRef, region: str, account: str) -> LambdaServiceError:
    """GetFunctionConfiguration, GetFunctionConcurrency ...: the ARN as the caller gave it
    (recorded: ``not_found_exception``, ``version_not_found_exception``)."""
    return aws.function_not_found(ref.name, ref.qualifier, region=region, account=account, as_given=True)


def not_found_latest(ref: aws.FunctionRef, region: str, account: str) -> LambdaServiceError:
    """PutFunctionConcurrency, as Invoke: the qualified ARN (``..._function_name_doesnotexist``)."""
    return aws.function_not_found(ref.name, ref.qualifier, region=region, account=account)


def no_such_config_function(ref: aws.FunctionRef, region: str, account: str) -> LambdaServiceError:
    """Put, Update, List of the event invoke config (``put_functionname_name_notfound``)."""
    return aws.function_doesnt_exist()


def no_config(ref: aws.FunctionRef, region: str, account: str) -> LambdaServiceError:
    """Get and Delete of the event invoke config (``get_function_doesnotexist``)."""
    return aws.no_event_invoke_config(aws.function_arn(ref.name, region=region, account=account,
                                                       qualifier=ref.qualifier or aws.LATEST))


def lookup(invoker: LambdaService, request: Request, not_found: NotFound) -> tuple[LambdaFunction, str | None]:
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


def _update_configuration(invoker: LambdaService, request: Request) -> Reply:
    p = request.params
    unmodelled = sorted(set(p) - _CONFIGURATION_PARAMS)
    if unmodelled:
        raise UnsupportedOperation(_text.configuration_not_modelled(unmodelled, _CONFIGURATION_PARAMS - {"FunctionName"}))
    fn, _ = lookup(invoker, request, not_found_as_given)
    settings: dict[str, Any] = {}
    dead_letter = p.get("DeadLetterConfig", {})
    if "TargetArn" in dead_letter:  # DLQ-1: "" removes it; {} leaves it as it is (recorded: delete_dlq)
        settings["dead_letter"] = dead_letter["TargetArn"] or None
    if "Timeout" in p:
        settings["timeout"] = p["Timeout"]
    if "MemorySize" in p:
        settings["memory_size"] = p["MemorySize"]
    fn.configure(**settings)
    return json_reply(invoker, _function_configuration(invoker, fn))


def _get_configuration(invoker: LambdaService, request: Request) -> Reply:
    fn, invoked = lookup(invoker, request, not_found_as_given)
    return json_reply(invoker, _function_configuration(invoker, fn, invoked))  # qualified if called so


def _put_concurrency(invoker: LambdaService, request: Request) -> Reply:
    if aws.parse_function_name(request.params["FunctionName"]).qualifier is not None:
        raise aws.unqualified_only()  # recorded: put_function_concurrency_with_qualified_arn
    fn, _ = lookup(invoker, request, not_found_latest)
    fn.configure(reserved_concurrency=request.params["ReservedConcurrentExecutions"])
    return json_reply(invoker, {"ReservedConcurrentExecutions": fn.reserved_concurrency})


def _delete_concurrency(invoker: LambdaService, request: Request) -> Reply:
    lookup(invoker, request, not_found_as_given)[0].configure(reserved_concurrency=None)
    return Reply(204, invoker.new_request_id())


def _get_concurrency(invoker: LambdaService, request: Request) -> Reply:
    fn, _ = lookup(invoker, request, not_found_as_given)
    body = {} if fn.reserved_concurrency is None else {"ReservedConcurrentExecutions": fn.reserved_concurrency}
    return json_reply(invoker, body)


def _put_recursion(invoker: LambdaService, request: Request) -> Reply:
    fn, _ = lookup(invoker, request, not_found_as_given)
    fn.configure(recursive_loop=request.params["RecursiveLoop"])  # LOOP-3
    return json_reply(invoker, {"RecursiveLoop": fn.recursive_loop})


def _get_recursion(invoker: LambdaService, request: Request) -> Reply:
    return json_reply(invoker, {"RecursiveLoop": lookup(invoker, request, not_found_as_given)[0].recursive_loop})



OPERATIONS: dict[str, Callable[[LambdaService, Request], Reply]] = {
    "Invoke": _invoke,
    "InvokeAsync": _invoke_async,
    "UpdateFunctionConfiguration": _update_configuration,
    "GetFunctionConfiguration": _get_configuration,
    "PutFunctionConcurrency": _put_concurrency,
    "DeleteFunctionConcurrency": _delete_concurrency,
    "GetFunctionConcurrency": _get_concurrency,
    "PutFunctionRecursionConfig": _put_recursion,
    "GetFunctionRecursionConfig": _get_recursion,
}
