"""The event invoke config operations (CFG-1..CFG-6), answered for botocore.

Put, Update, Get, Delete and List, checked in AWS's order (recorded:
``test_lambda_eventinvokeconfig_exceptions``).  The settings live on the function
(``LambdaFunction.configure``); which of them the API set, and when, is kept here (CFG-3).
"""

from __future__ import annotations

import datetime as _dt
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._service import aws
from ..errors import InvalidParameterValueException, ResourceNotFoundException
from .operations import lookup, no_config, no_such_config_function
from .replies import Reply, Request, json_reply

if TYPE_CHECKING:
    from .._service.functions import LambdaFunction
    from .._service.invoker import LambdaService

__all__ = ["OPERATIONS"]


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


def _change_config(invoker: LambdaService, request: Request, *, replace: bool) -> Reply:
    """Put (``replace``) or Update, checked in AWS's order (recorded:
    ``test_lambda_eventinvokeconfig_exceptions``): the model's constraints (already checked, as for
    every operation: a destination outside the ``DestinationArn`` pattern is refused even for a
    missing function, ``put_destination_invalid_arn_pattern``), at least one setting, the function,
    (Update) its config, the destinations; then the change, all or nothing."""
    p = request.params
    given = {f for f in _FIELDS if f in p}
    if not given:
        raise aws.no_config_settings()
    fn, _ = lookup(invoker, request, no_such_config_function)
    if not replace and not _set_fields(fn):  # Update never creates one (CFG-2)
        raise aws.no_event_invoke_config(aws.function_arn(fn.name, region=invoker.region, account=invoker.account,
                                                          qualifier=aws.LATEST))
    record = _configs.get(fn)
    _check_destination_targets(invoker, p, request.region or invoker.region)
    fn.configure(**_config_settings(p, replace=replace))  # validated there: nothing changes on error (CFG-6)
    fields = given if replace or record is None else record.fields | given
    _configs[fn] = _ConfigRecord(fields, invoker.now)
    return json_reply(invoker, _config_body(invoker, fn))


def _put_config(invoker: LambdaService, request: Request) -> Reply:
    return _change_config(invoker, request, replace=True)


def _update_config(invoker: LambdaService, request: Request) -> Reply:
    return _change_config(invoker, request, replace=False)


def _get_config(invoker: LambdaService, request: Request) -> Reply:
    fn, _ = lookup(invoker, request, no_config)
    return json_reply(invoker, _config_body(invoker, fn))


def _delete_config(invoker: LambdaService, request: Request) -> Reply:
    fn, _ = lookup(invoker, request, no_config)
    _config_body(invoker, fn)  # ResourceNotFoundException when there is none
    fn.configure(max_retry_attempts=aws.DEFAULT_MAX_RETRY_ATTEMPTS,
                 maximum_event_age=aws.DEFAULT_MAXIMUM_EVENT_AGE, on_success=None, on_failure=None)
    _configs.pop(fn, None)
    return Reply(204, invoker.new_request_id())  # CFG-2


def _list_configs(invoker: LambdaService, request: Request) -> Reply:
    fn, _ = lookup(invoker, request, no_such_config_function)
    try:
        configs = [_config_body(invoker, fn)]
    except ResourceNotFoundException:
        configs = []
    return json_reply(invoker, {"FunctionEventInvokeConfigs": configs})  # one qualifier only: no NextMarker



OPERATIONS: dict[str, Callable[[LambdaService, Request], Reply]] = {
    "PutFunctionEventInvokeConfig": _put_config,
    "UpdateFunctionEventInvokeConfig": _update_config,
    "GetFunctionEventInvokeConfig": _get_config,
    "DeleteFunctionEventInvokeConfig": _delete_config,
    "ListFunctionEventInvokeConfigs": _list_configs,
}
