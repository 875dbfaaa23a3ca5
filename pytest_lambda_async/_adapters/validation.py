"""Lambda API requests checked against botocore's service model, as AWS checks them first.

botocore checks types, required members and minimums before it sends a request; AWS then checks
each member's pattern, maximum length or value, and enum, and answers ``ValidationException``
("1 validation error detected: Value '...' at 'functionName' failed to satisfy constraint: ...")
before the operation runs.  The constraints are botocore's own, never copies, so they stay what
AWS enforces; this module also lends them to the service (``aws.use_service_model``), which
checks Invoke's names the same way for calls that do not come through botocore.
"""

from __future__ import annotations

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
    members = shape.members
    given = sorted((name for name in params if name in members),
                   key=lambda name: members[name].serialization.get("location") == "uri")
    found: list[str] = []
    for name in given:
        found += _violations(members[name], params[name], _field(name))
    return found


def _field(member: str) -> str:
    """AWS names a member in camel case: ``functionName``, ``destinationConfig.onFailure.destination``."""
    return member[:1].lower() + member[1:]


def _violations(shape: Any, value: Any, field: str) -> list[str]:
    if shape.type_name == "structure":
        found: list[str] = []
        if isinstance(value, dict):
            for name, member in shape.members.items():
                if name in value:
                    found += _violations(member, value[name], f"{field}.{_field(name)}")
        return found
    if shape.type_name in ("string", "integer", "long"):
        return aws.constraint_violations(value, field, shape.metadata, shape.name)
    return []  # blobs, lists, maps: no constraint the invoker's operations meet
