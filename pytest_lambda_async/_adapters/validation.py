"""Lambda API requests checked against botocore's service model, as AWS checks them first.

botocore checks types, required members and minimums before it sends a request; AWS then checks
each member's pattern, maximum length or value, and enum, and answers ``ValidationException``
("1 validation error detected: Value '...' at 'functionName' failed to satisfy constraint: ...")
before the operation runs.  The constraints are botocore's own, never copies, so they stay what
AWS enforces; this module also lends them to the service (``aws.use_service_model``), which
checks Invoke's names the same way for calls that do not come through botocore.
"""

from __future__ import annotations

import functools
from typing import Any

from .._service import aws

__all__ = ["check_request", "request_violations", "shape_constraints"]


def shape_constraints(shape: str) -> dict[str, Any]:
    """A shape's constraints in botocore's Lambda service model (botocore imported on first use)."""
    import botocore.session  # type: ignore[import-untyped]

    return dict(botocore.session.get_session().get_service_model("lambda").shape_for(shape).metadata)


aws.use_service_model(shape_constraints)


def check_request(operation: Any, params: dict[str, Any]) -> None:
    """Raise AWS's ValidationException if ``params`` break the constraints of ``operation``'s input
    (``operation``: botocore's ``OperationModel``)."""
    violations = request_violations(operation.input_shape, params)
    if violations:
        raise aws.validation_error(violations)


def request_violations(shape: Any, params: dict[str, Any]) -> list[str]:
    """Every constraint ``params`` break, as AWS words them.  Members bound to the URI path come
    last: AWS listed the Qualifier (query string) before the FunctionName (path) when both broke
    theirs (recorded: ``full_arn_and_qualifier_too_long_and_invalid_region``)."""
    return _walk(_plan(shape), params, "")


# A member with constraints: (name, field, its shape's name, constraints, the plan of a structure, in the path)
_Member = tuple[str, str, str, dict[str, Any], "tuple[Any, ...] | None", bool]


@functools.cache
def _plan(shape: Any) -> tuple[_Member, ...]:
    """The members of ``shape`` that carry constraints, in the order AWS reports them (read once
    per shape: every routed call is checked, so the walk over botocore's shapes is not repeated)."""
    members: list[_Member] = []
    for name, member in shape.members.items():
        sub = _plan(member) if member.type_name == "structure" else None
        if sub is None and (member.type_name not in ("string", "integer", "long") or not member.metadata):
            continue  # blobs, lists, maps and unconstrained members: nothing the operations meet
        if sub == ():
            continue
        members.append((name, _field(name), member.name, dict(member.metadata), sub,
                        member.serialization.get("location") == "uri"))
    return tuple(sorted(members, key=lambda m: m[5]))


def _field(member: str) -> str:
    """AWS names a member in camel case: ``functionName``, ``destinationConfig.onFailure.destination``."""
    return member[:1].lower() + member[1:]


def _walk(plan: tuple[_Member, ...], params: dict[str, Any], prefix: str) -> list[str]:
    found: list[str] = []
    for name, field, shape_name, constraints, sub, _ in plan:
        if name not in params:
            continue
        value = params[name]
        if sub is None:
            found += aws.constraint_violations(value, prefix + field, constraints, shape_name)
        elif isinstance(value, dict):
            found += _walk(sub, value, f"{prefix}{field}.")
    return found
