"""A function's resource-based policy (``add_permission``, ``remove_permission``, ``get_policy``) through a
routed boto3 Lambda client.

Code that wires an event source usually grants the source permission first
(``add_permission(Principal="s3.amazonaws.com", SourceArn=bucket_arn, ...)``); while the invoker is
routed these calls are answered here, with the policy document AWS keeps, instead of raising
``UnsupportedOperation``.  The policy is recorded, not enforced: event sources under moto invoke the
function whatever it says (moto does not check it either).
"""

from __future__ import annotations

import json
import weakref
from typing import TYPE_CHECKING, Any

from ... import _text
from ..._service import aws
from ...errors import InvalidParameterValueException, ResourceConflictException, ResourceNotFoundException
from ..botocore import extra_operations

if TYPE_CHECKING:
    from ..._service.invoker import LambdaService

__all__ = ["policy_statements"]

# invoker -> function name -> statements, in the order they were added
_POLICIES: weakref.WeakKeyDictionary[LambdaService, dict[str, list[dict[str, Any]]]] = weakref.WeakKeyDictionary()


def policy_statements(invoker: LambdaService, function_name: str) -> list[dict[str, Any]]:
    """The statements granted on a function, oldest first."""
    return list(_POLICIES.get(invoker, {}).get(function_name, []))


def _function(invoker: LambdaService, params: dict[str, Any], region: str | None) -> tuple[str, str]:
    fn, _ = invoker.resolve(params["FunctionName"], params.get("Qualifier"), region)
    return fn.name, aws.function_arn(fn.name, region=invoker.region, account=invoker.account,
                                     qualifier=params.get("Qualifier"))


def _principal(value: str) -> Any:
    if value == "*":
        return "*"
    if value.isdigit() and len(value) == 12:
        return {"AWS": f"arn:aws:iam::{value}:root"}
    if value.startswith("arn:"):
        return {"AWS": value}
    return {"Service": value}


def _add(invoker: LambdaService, params: dict[str, Any], region: str | None) -> tuple[int, Any]:
    name, resource = _function(invoker, params, region)
    statements = _POLICIES.setdefault(invoker, {}).setdefault(name, [])
    if any(s["Sid"] == params["StatementId"] for s in statements):
        raise ResourceConflictException(aws.SID_EXISTS_MESSAGE)
    action = params["Action"]
    if not (action.startswith("lambda:") or action == "*"):
        raise InvalidParameterValueException(_text.not_a_lambda_action(action))
    statement: dict[str, Any] = {"Sid": params["StatementId"], "Effect": "Allow",
                                 "Principal": _principal(params["Principal"]), "Action": action,
                                 "Resource": resource}
    condition: dict[str, Any] = {}
    if params.get("SourceArn"):
        condition["ArnLike"] = {"AWS:SourceArn": params["SourceArn"]}
    if params.get("SourceAccount"):
        condition["StringEquals"] = {"AWS:SourceAccount": params["SourceAccount"]}
    if params.get("PrincipalOrgID"):
        condition.setdefault("StringEquals", {})["aws:PrincipalOrgID"] = params["PrincipalOrgID"]
    if condition:
        statement["Condition"] = condition
    statements.append(statement)
    return 201, {"Statement": json.dumps(statement)}


def _remove(invoker: LambdaService, params: dict[str, Any], region: str | None) -> tuple[int, Any]:
    name, _ = _function(invoker, params, region)
    statements = _POLICIES.get(invoker, {}).get(name, [])
    kept = [s for s in statements if s["Sid"] != params["StatementId"]]
    if len(kept) == len(statements):
        raise ResourceNotFoundException(aws.statement_not_found_message(params["StatementId"]))
    _POLICIES[invoker][name] = kept
    return 204, None


def _get(invoker: LambdaService, params: dict[str, Any], region: str | None) -> tuple[int, Any]:
    name, _ = _function(invoker, params, region)
    statements = _POLICIES.get(invoker, {}).get(name)
    if not statements:
        raise ResourceNotFoundException(aws.RESOURCE_NOT_FOUND_MESSAGE)
    policy = {"Version": "2012-10-17", "Id": "default", "Statement": statements}
    return 200, {"Policy": json.dumps(policy), "RevisionId": invoker.new_request_id()}


extra_operations.update({"AddPermission": _add, "RemovePermission": _remove, "GetPolicy": _get})
