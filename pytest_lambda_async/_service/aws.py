"""Every AWS rule, limit and format the package follows, in one place.

Each constant names its rule id (docs/reference/rules.md).  Nothing here knows about
pytest, boto3, botocore or moto.  The constraints the Lambda service model carries
(patterns, lengths) are read from botocore's copy of that model, which the botocore
adapter plugs in (:func:`use_service_model`), rather than copied, since copies drift
from what AWS enforces.
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
import zlib
from dataclasses import dataclass
from collections.abc import Callable
from typing import Any, Final, Literal
from urllib.parse import unquote

from ..errors import InvalidParameterValueException, ResourceNotFoundException, ValidationException
from .links import cite


# -- the service model's constraints, as AWS validates requests against them ----------------
# Where shapes' constraints come from: botocore's Lambda service model, which the botocore adapter
# plugs in when the package is imported (this layer imports no botocore).
_model_source: Callable[[str], dict[str, Any]] | None = None

# Shapes of the Invoke API's members (the model's names: tests check them against botocore's Invoke).
FUNCTION_NAME_SHAPE: Final = "NamespacedFunctionName"  # Invoke's FunctionName: name, name:qualifier, ARN
QUALIFIER_SHAPE: Final = "NumericLatestPublishedOrAliasQualifier"  # Invoke's Qualifier

# The order AWS prints an enum's values in, where it is not the model's (recorded:
# put_recursion_invalid_value_error prints [Terminate, Allow]; the model lists Allow first).
ENUM_ORDER: Final[dict[str, tuple[str, ...]]] = {"RecursiveLoop": ("Terminate", "Allow")}


def use_service_model(source: Callable[[str], dict[str, Any]]) -> None:
    """Read shapes' constraints through ``source`` (``shape name -> {"pattern": ..., "max": ...}``)."""
    global _model_source
    _model_source = source
    model_constraints.cache_clear()
    _model_pattern.cache_clear()
    _name_groups.cache_clear()
    _PARSED_NAMES.clear()
    _PARSED_DESTINATIONS.clear()


@functools.cache
def model_constraints(shape: str) -> dict[str, Any]:
    """``min``, ``max``, ``pattern``, ``enum`` ... of a shape of the Lambda service model (read once per shape)."""
    if _model_source is None:
        raise RuntimeError("no Lambda service model: import pytest_lambda_async, whose botocore adapter provides it")
    return dict(_model_source(shape))


@functools.cache
def _model_pattern(shape: str) -> re.Pattern[str]:
    return re.compile(model_constraints(shape)["pattern"])


def constraint_violations(value: object, field: str, constraints: dict[str, Any], shape: str) -> list[str]:
    """AWS's text for each of ``shape``'s constraints that ``value`` breaks at ``field``: for a string
    the pattern, then the length; for a number its range; for an enum its values."""
    found: list[str] = []
    low, high = constraints.get("min"), constraints.get("max")
    if "enum" in constraints and isinstance(value, str):
        if value not in constraints["enum"]:
            values = ENUM_ORDER.get(shape, tuple(constraints["enum"]))
            found.append(f"Member must satisfy enum value set: [{', '.join(values)}]")
    elif isinstance(value, str):
        if "pattern" in constraints and not _model_pattern(shape).fullmatch(value):
            found.append(f"Member must satisfy regular expression pattern: {constraints['pattern']}")
        if high is not None and len(value) > high:
            found.append(f"Member must have length less than or equal to {high}")
        if low is not None and len(value) < low:
            found.append(f"Member must have length greater than or equal to {low}")
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if high is not None and value > high:
            found.append(f"Member must have value less than or equal to {high}")
        if low is not None and value < low:
            found.append(f"Member must have value greater than or equal to {low}")
    return [f"Value '{value}' at '{field}' failed to satisfy constraint: {c}" for c in found]


def model_violations(value: object, field: str, shape: str) -> list[str]:
    """:func:`constraint_violations` against a shape of the service model, by its name."""
    return constraint_violations(value, field, model_constraints(shape), shape)


def validation_error(violations: list[str]) -> ValidationException:
    """``1 validation error detected: ...`` / ``2 validation errors detected: ...; ...``."""
    n = len(violations)
    return ValidationException(f"{n} validation error{'s' if n != 1 else ''} detected: " + "; ".join(violations))


# -- defaults, invocation and log types (INV-2, INV-3) -----------------------------------
DEFAULT_REGION: Final = "us-east-1"
DEFAULT_ACCOUNT: Final = "123456789012"
LATEST: Final = "$LATEST"

InvocationType = Literal["RequestResponse", "Event", "DryRun"]
INVOCATION_TYPES: Final = ("RequestResponse", "Event", "DryRun")  # INV-2
LOG_TYPES: Final = ("None", "Tail")  # INV-3

# -- retries, ages, timeouts (RET-1..RET-4, CFG-3, PY-5) ---------------------
MAX_RETRY_ATTEMPTS_RANGE: Final = (0, 2)
DEFAULT_MAX_RETRY_ATTEMPTS: Final = 2
MAXIMUM_EVENT_AGE_RANGE: Final = (60, 21600)
DEFAULT_MAXIMUM_EVENT_AGE: Final = 21600
DEFAULT_TIMEOUT: Final = 3.0
TIMEOUT_MIN: Final = 1.0
# A function's largest timeout (PY-5, §11.4): 900 s in the docs, 1,800 s in botocore 1.44.8's
# documentation (pass timeout_limit=1800).  The model's own range for the Timeout member (1 to
# 5,400 in 1.44.8, for Lambda Managed Instances) is what a request is validated against first.
TIMEOUT_MAX: Final = 900.0
TIMEOUT_MAX_EXTENDED: Final = 1800.0
DEFAULT_MEMORY_MB: Final = 128

# RET-1: about 1 minute before attempt 2 and 2 minutes before attempt 3.
RETRY_DELAYS: Final = {1: 60.0, 2: 120.0}
# RET-3: throttles and system errors back off exponentially from 1 s up to 5 min.
THROTTLE_BACKOFF_MAX: Final = 300.0


def retry_delay(function_errors: int) -> float:
    """Seconds between failed attempt ``function_errors`` and the next (RET-1)."""
    return RETRY_DELAYS[function_errors]


def throttle_delay(throttles: int) -> float:
    """Back-off after the ``throttles``-th throttle of one event: 1, 2, 4, ... 300 s (RET-3)."""
    return float(min(2 ** (throttles - 1), THROTTLE_BACKOFF_MAX))


def late_retry_throttles(after: tuple[float, ...], maximum_event_age: float, retry: int = 1) -> tuple[int, ...]:
    """Throttle counts that delay Lambda's ``retry``-th retry (RET-1: 60 s after attempt #1, then
    120 s after attempt #2) to just past each of ``after`` (seconds after the first attempt,
    ascending), then as late as ``maximum_event_age`` lets it run (RET-3: back-off 1, 2, 4, ...
    300 s; RET-4: not at or past the age); fewest first."""
    counts: list[int] = []
    waited, n = sum(RETRY_DELAYS[k] for k in range(1, retry + 1)), 0
    targets = [a for a in after if a < maximum_event_age]
    while True:
        later = waited + throttle_delay(n + 1)
        if later >= maximum_event_age:  # the next throttle would push it past the age (RET-4)
            break
        waited, n = later, n + 1
        while targets and waited > targets[0]:
            counts.append(n)
            targets.pop(0)
    if n and n not in counts:
        counts.append(n)
    return tuple(counts)


# Deduplication windows handlers lean on: SQS FIFO's 5-minute deduplication interval (and
# 5-minute idempotency records).  A late delivery is placed just past it.
DEDUPLICATION_INTERVAL: Final = 300.0
EARLY_REDELIVERY: Final = 2.0  # a redelivery just after the first delivery


def redelivery_delays(maximum_event_age: float) -> tuple[float, ...]:
    """Delays (seconds after the first delivery) idempotency searches place a redelivery from the
    source at, simplest first: just after it, just past the 5-minute windows, at the maximum age."""
    late = [d for d in (DEDUPLICATION_INTERVAL + 1,) if d < maximum_event_age]
    return (EARLY_REDELIVERY, *late, float(maximum_event_age))


def too_old(enqueued_at: _dt.datetime, next_try_at: _dt.datetime, maximum_event_age: float) -> bool:
    """RET-4: an event whose next try would land at or past its maximum age fails at once.

    With age 60 and a 60 s retry delay AWS made one attempt only (observed), so
    landing exactly on the limit counts as too old."""
    return (next_try_at - enqueued_at).total_seconds() >= maximum_event_age


# -- concurrency (Q-1, Q-3) -------------------------------------------------------
# the queue's poller invokes each event in an execution environment of its own, so queued events
# run at once, up to the function's concurrency: its reserved concurrency, else the account's unreserved
# pool. AWS's default regional quota is 1000 concurrent executions, of which reservations may take all
# but 100 (Lambda quotas page). Q-3: an event that waits for an environment past its maximum age is dropped.
ACCOUNT_CONCURRENCY: Final = 1000
UNRESERVED_CONCURRENCY_MIN: Final = 100


def concurrency_limit(reserved_concurrency: int | None, reserved_total: int) -> int:
    """How many attempts of a function may run at once (Q-1): its reserved concurrency, else what the
    account's other reservations (``reserved_total``) leave of its pool, never below 100."""
    if reserved_concurrency is not None:
        return reserved_concurrency
    return max(ACCOUNT_CONCURRENCY - reserved_total, UNRESERVED_CONCURRENCY_MIN)


# INV-23: a synchronous invoke takes an environment of its function's pool too; with none free (or reserved
# concurrency 0) it is refused with 429 and this Reason, the message "Rate Exceeded." and Retry-After.
SYNC_THROTTLE_MESSAGE: Final = "Rate Exceeded."
SYNC_THROTTLE_RETRY_AFTER: Final = 1


def sync_throttle_reason(reserved_concurrency: int | None) -> str:
    """The 429's Reason when a function's pool is all in use (INV-23): its own reservation's, or the account's."""
    return "ConcurrentInvocationLimitExceeded" if reserved_concurrency is None \
        else "ReservedFunctionConcurrentInvocationLimitExceeded"


# -- payloads (INV-17, INV-18) ------------------------------------------------
SYNC_PAYLOAD_LIMIT: Final = 6 * 1024 * 1024  # 6,291,456 bytes
ASYNC_PAYLOAD_LIMIT: Final = 1024 * 1024  # 1 MB since Oct 2025
ASYNC_PAYLOAD_LIMIT_LEGACY: Final = 256 * 1024  # 262,144 bytes before
RESPONSE_LIMIT: Final = SYNC_PAYLOAD_LIMIT
LOG_TAIL_BYTES: Final = 4096  # INV-3
CLIENT_CONTEXT_LIMIT: Final = 3583  # INV-4
DLQ_ERROR_MESSAGE_LIMIT: Final = 1024  # DLQ-4


def sync_payload_too_large_message(size: int) -> str:
    return f"Request must be smaller than {SYNC_PAYLOAD_LIMIT} bytes for the InvokeFunction operation"


def async_payload_too_large_message(size: int, limit: int) -> str:
    return f"{size} byte payload is too large for the Event invocation type (limit {limit} bytes)"


def response_too_large_error() -> dict[str, Any]:
    """INV-17: what an oversized response becomes."""
    return {
        "errorType": "Function.ResponseSizeTooLarge",
        "errorMessage": "Response payload size exceeded maximum allowed payload size (6291556 bytes).",
    }


# -- error payloads (PY-2, PY-6, PY-7, PY-8) ---------------------------------
def timeout_error(request_id: str, timeout: float) -> dict[str, Any]:
    """PY-6, the current format."""
    return {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {request_id} Error: Task timed out after {timeout:.2f} seconds",
    }


def exit_error(request_id: str, detail: str) -> dict[str, Any]:
    """PY-7: the runtime process exited (sys.exit, a BaseException, a kill)."""
    return {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: {detail}",
    }


def marshal_error(type_name: str) -> dict[str, Any]:
    """PY-2/PY-9: the result is not JSON serialisable (a coroutine, for an async def handler)."""
    return {
        "errorType": "Runtime.MarshalError",
        "errorMessage": f"Unable to marshal response: Object of type {type_name} is not JSON serializable",
        "stackTrace": [],
    }


def exception_message(exc: BaseException) -> str:
    """``str(exc)``, or what stands for it when the exception's own ``__str__`` raises."""
    try:
        return str(exc)
    except Exception as inner:  # the attempt still ends as a function error, with this message
        return f"<str() of the {type(exc).__name__} raised {type(inner).__name__}>"


def exception_error(exc: BaseException, request_id: str, stack: list[str]) -> dict[str, Any]:
    """PY-8: a raised exception as the Python runtime reports it."""
    return {
        "errorMessage": exception_message(exc),
        "errorType": type(exc).__name__,
        "requestId": request_id,
        "stackTrace": stack,
    }


# A raised exception is reported as Unhandled by real Python runtimes (INV-14, §11.2).
FUNCTION_ERROR: Final = "Unhandled"

# -- names and ARNs (INV-1, INV-5, CFG-6) ------------------------------------
# The name a function is registered under (CreateFunction's rule: INV-1).  Calls that name a
# function are validated against the service model's patterns instead (FUNCTION_NAME_SHAPE).
FUNCTION_NAME_RE: Final = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def function_arn(name: str, *, region: str = DEFAULT_REGION, account: str = DEFAULT_ACCOUNT,
                 qualifier: str | None = None) -> str:
    arn = f"arn:aws:lambda:{region}:{account}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn


@dataclass(frozen=True)
class FunctionRef:
    """A function name as the Invoke API accepts it (INV-1), split up."""

    name: str
    qualifier: str | None
    as_given: str
    region: str | None = None  # from a full ARN
    account: str | None = None  # from a full or partial ARN


# A name every part of the model's FunctionName pattern takes, to find which of its groups holds
# which part: the pattern then splits names as AWS does (``...:function`` names "function").
_PROBE: Final = ("us-east-1:", "123456789012:", "probe-name", "probe-qualifier")


@functools.cache
def _name_groups() -> tuple[int, int, int, int]:
    """Indices of the (region, account, name, qualifier) groups of the model's FunctionName pattern."""
    region, account, name, qualifier = _PROBE
    match = _model_pattern(FUNCTION_NAME_SHAPE).fullmatch(
        f"arn:aws:lambda:{region}{account}function:{name}:{qualifier}")
    groups = match.groups() if match is not None else ()
    if not all(part in groups for part in _PROBE):
        raise RuntimeError(f"botocore's {FUNCTION_NAME_SHAPE} pattern no longer has a group per part of a name")
    return tuple(groups.index(part) + 1 for part in _PROBE)  # type: ignore[return-value]


def parse_function_name(value: object, qualifier: object = None) -> FunctionRef:
    """Validate and split a name, ``name:qualifier``, a partial or a full ARN (INV-1, INV-5).

    Validated as AWS validates Invoke's ``FunctionName`` and ``Qualifier`` (the Qualifier reported
    first, as recorded in ``full_arn_and_qualifier_too_long_and_invalid_region``); what passes is
    looked up, so a 65-character name or ``$latest`` is not found rather than invalid.  What passed is
    remembered for the process (the model does not change; a FunctionRef is immutable): a fresh
    invoker's first invoke of a name does not validate it again."""
    key = (value, qualifier) if type(value) is str and (qualifier is None or type(qualifier) is str) else None
    if key is not None:
        hit = _PARSED_NAMES.get(key)
        if hit is not None:
            return hit
    ref = _parse_function_name(value, qualifier)
    if key is not None and len(_PARSED_NAMES) < _PARSED_LIMIT:
        _PARSED_NAMES[key] = ref
    return ref


_PARSED_LIMIT: Final = 4096
_PARSED_NAMES: dict[tuple[str, str | None], FunctionRef] = {}


def _parse_function_name(value: object, qualifier: object) -> FunctionRef:
    if not isinstance(value, str) or not value:
        raise InvalidParameterValueException(
            f"FunctionName must be a non-empty string (a name, name:qualifier or an ARN), got {value!r}")
    if qualifier is not None and not isinstance(qualifier, str):
        raise InvalidParameterValueException(f"Qualifier must be a string, got {qualifier!r}")
    violations = [] if qualifier is None else model_violations(qualifier, "qualifier", QUALIFIER_SHAPE)
    violations += model_violations(value, "functionName", FUNCTION_NAME_SHAPE)
    if violations:
        raise validation_error(violations)
    match = _model_pattern(FUNCTION_NAME_SHAPE).fullmatch(value)
    assert match is not None  # validated just above
    region, account, name, in_name = (match.group(i) for i in _name_groups())
    if qualifier is not None and in_name is not None and qualifier != in_name:
        raise InvalidParameterValueException(
            "The derived qualifier from the function name does not match the specified qualifier.")
    return FunctionRef(name, qualifier if qualifier is not None else in_name, value,
                       region[:-1] if region else None, account[:-1] if account else None)


def check_function_name(name: object) -> str:
    if not isinstance(name, str) or not FUNCTION_NAME_RE.match(name):
        raise InvalidParameterValueException(
            f"Function name {name!r} is invalid: use 1 to 64 letters, digits, hyphens or underscores ({cite('INV-1')})"
        )
    return name


def region_unreachable(arn_region: str, here: str) -> ResourceNotFoundException:
    """INV-22: an ARN naming another region than the endpoint's (observed AWS wording)."""
    return ResourceNotFoundException(f"Functions from '{arn_region}' are not reachable in this region ('{here}')")


def function_not_found(name: str, qualifier: str | None = None, *, region: str = DEFAULT_REGION,
                       account: str = DEFAULT_ACCOUNT, as_given: bool = False) -> ResourceNotFoundException:
    """INV-22: Invoke and PutFunctionConcurrency name the qualified ARN, ``$LATEST`` when none was
    given (recorded: ``invoke_function_doesnotexist``); ``as_given`` names it as the caller did,
    unqualified if so (GetFunctionConfiguration, GetFunctionConcurrency: ``not_found_exception``)."""
    arn = function_arn(name, region=region, account=account, qualifier=qualifier if as_given else qualifier or LATEST)
    return ResourceNotFoundException(f"Function not found: {arn}")


def unqualified_only() -> InvalidParameterValueException:
    """PutFunctionConcurrency: reserved concurrency is the function's, not a version's or alias's
    (recorded: ``put_function_concurrency_with_qualified_arn``)."""
    return InvalidParameterValueException(
        "This operation is permitted on Lambda functions only. Aliases and versions do not support this "
        "operation. Please specify either a function name or an unqualified function ARN.")


# -- event invoke config (CFG-1, CFG-2; recorded: test_lambda_eventinvokeconfig_exceptions) ------
def no_config_settings() -> InvalidParameterValueException:
    """CFG-1: Put or Update with none of the three settings (checked before the function is looked up)."""
    return InvalidParameterValueException("You must specify at least one of error handling or destination setting.")


def function_doesnt_exist() -> ResourceNotFoundException:
    """Put, Update and List of a missing function or qualifier."""
    return ResourceNotFoundException("The function doesn't exist.")


def no_event_invoke_config(qualified_arn: str) -> ResourceNotFoundException:
    """CFG-2: Get and Delete (whether or not the function exists), and Update of a function without one."""
    return ResourceNotFoundException(f"The function {qualified_arn} doesn't have an EventInvokeConfig")


# Where each destination sits in the request, as AWS names it in a ValidationException.
DESTINATION_FIELDS: Final = {"OnSuccess": "destinationConfig.onSuccess.destination",
                             "OnFailure": "destinationConfig.onFailure.destination"}
DESTINATION_SHAPE: Final = "DestinationArn"  # OnSuccess.Destination, OnFailure.Destination
DEAD_LETTER_SHAPE: Final = "ResourceArn"  # DeadLetterConfig.TargetArn


def destination_arn_invalid(arn: str) -> InvalidParameterValueException:
    """A Lambda destination that does not exist when the config is put (``put_destination_lambda_doesntexist``)."""
    return InvalidParameterValueException(f"The destination ARN {arn} is invalid.")


def destination_config_invalid(on_success: str | None, on_failure: str | None) -> InvalidParameterValueException:
    """A destination of a service that is none (``put_destination_invalid_service_arn``); AWS prints
    the whole config as its Java model's ``toString``."""
    success = f"OnSuccess(destination={on_success})" if on_success else "null"
    failure = f"OnFailure(destination={on_failure})" if on_failure else "null"
    return InvalidParameterValueException(
        f"The provided destination config DestinationConfig(onSuccess={success}, onFailure={failure}) is invalid.")


# -- destinations (CFG-5, CFG-6, DLQ-1) ---------------------------------------
DestinationKind = Literal["sqs", "sns", "events", "s3", "lambda"]
ON_SUCCESS_KINDS: Final = frozenset({"sqs", "sns", "events", "lambda"})
ON_FAILURE_KINDS: Final = ON_SUCCESS_KINDS | {"s3"}
DEAD_LETTER_KINDS: Final = frozenset({"sqs", "sns"})


@dataclass(frozen=True)
class Destination:
    """A destination or DLQ target: an ARN, or the name of a registered function."""

    kind: DestinationKind
    arn: str
    resource: str  # queue, topic, bus, bucket or function name

    @property
    def short(self) -> str:
        return f"{self.kind}:{self.resource}"

    @property
    def fifo(self) -> bool:
        return self.kind in ("sqs", "sns") and self.resource.endswith(".fifo")


_ROLE_FIELDS: Final = {"on_success": DESTINATION_FIELDS["OnSuccess"], "on_failure": DESTINATION_FIELDS["OnFailure"],
                       "dead_letter": "deadLetterConfig.targetArn"}


def parse_destination(value: str, *, role: str, region: str = DEFAULT_REGION,
                      account: str = DEFAULT_ACCOUNT) -> Destination:
    """Validate a destination (``role`` is on_success, on_failure or dead_letter); what passed is
    remembered for the process, as :func:`parse_function_name` remembers names."""
    key = (value, role, region, account) if type(value) is str else None
    if key is not None:
        hit = _PARSED_DESTINATIONS.get(key)
        if hit is not None:
            return hit
    dest = _parse_destination(value, role=role, region=region, account=account)
    if key is not None and len(_PARSED_DESTINATIONS) < _PARSED_LIMIT:
        _PARSED_DESTINATIONS[key] = dest
    return dest


_PARSED_DESTINATIONS: dict[tuple[str, str, str, str], Destination] = {}


def _parse_destination(value: str, *, role: str, region: str, account: str) -> Destination:
    if not isinstance(value, str) or not value:
        raise InvalidParameterValueException(f"{role} must be an ARN or a registered function name, got {value!r}")
    if not value.startswith("arn:"):
        if role == "dead_letter":
            raise InvalidParameterValueException(
                f"A dead-letter queue must be an SQS queue or SNS topic ARN ({cite('DLQ-1')}), got {value!r}")
        if FUNCTION_NAME_RE.match(value):  # a registered function, by name (DST-3)
            return Destination("lambda", function_arn(value, region=region, account=account), value)
        raise InvalidParameterValueException(f"{role} {value!r} is neither an ARN nor a function name ({cite('CFG-6')})")
    violations = model_violations(value, _ROLE_FIELDS[role], DEAD_LETTER_SHAPE if role == "dead_letter"
                                  else DESTINATION_SHAPE)  # CFG-6, DLQ-1
    if violations:
        raise validation_error(violations)
    parts = value.split(":", 5)
    service, rest = parts[2], parts[5]
    kind: DestinationKind
    if service == "sqs":
        kind, resource = "sqs", rest
    elif service == "sns":
        kind, resource = "sns", rest
    elif service == "events" and rest.startswith("event-bus/"):
        kind, resource = "events", rest[len("event-bus/"):]
    elif service == "s3":
        kind, resource = "s3", rest
    elif service == "lambda" and rest.startswith("function:"):
        kind, resource = "lambda", rest[len("function:"):].split(":")[0]
    else:
        raise InvalidParameterValueException(
            f"{role} {value!r}: the destination must be an SQS queue, SNS topic, EventBridge event bus, "
            f"Lambda function or (on failure only) S3 bucket ({cite('CFG-5')})"
        )
    allowed = {"on_success": ON_SUCCESS_KINDS, "on_failure": ON_FAILURE_KINDS,
               "dead_letter": DEAD_LETTER_KINDS}[role]
    if kind not in allowed:
        what = {"on_success": f"An on-success destination cannot be an S3 bucket ({cite('CFG-5')})",
                "on_failure": "Unsupported destination",
                "dead_letter": f"A dead-letter queue must be an SQS queue or SNS topic ({cite('DLQ-1')})"}[role]
        raise InvalidParameterValueException(f"{what}: {value}")
    return Destination(kind, value, resource)


@dataclass(frozen=True)
class ArnParts:
    """``arn:<partition>:<service>:<region>:<account>:<resource>`` (region/account empty for S3)."""

    partition: str
    service: str
    region: str
    account: str
    resource: str


def split_arn(arn: str) -> ArnParts:
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        raise ValueError(f"not an ARN: {arn!r}")
    return ArnParts(parts[1], parts[2], parts[3], parts[4], parts[5])


def sqs_queue_url(region: str, account: str, queue_name: str) -> str:
    """The URL SQS gives the queue ``arn:aws:sqs:<region>:<account>:<name>`` (DST-1, DLQ-1)."""
    return f"https://sqs.{region}.amazonaws.com/{account}/{queue_name}"


# -- invocation records (REC-1..REC-8) and DLQ messages (DLQ-3, DLQ-4) ---------
Condition = Literal["Success", "RetriesExhausted", "EventAgeExceeded"]
EVENTBRIDGE_SOURCE: Final = "lambda"  # §11.1: older docs, CDK, LocalStack; configurable
EVENTBRIDGE_DETAIL_TYPES: Final = {
    True: "Lambda Function Invocation Result - Success",
    False: "Lambda Function Invocation Result - Failure",
}


def qualified_function_arn(arn: str) -> str:
    """``arn`` with ``:$LATEST`` added if it names no qualifier (REC-3)."""
    return arn if arn.count(":") > 6 else f"{arn}:{LATEST}"


def eventbridge_resources(bus_arn: str, function_arn: str) -> list[str]:
    """DST-4: the envelope's ``resources``: the bus, then the qualified function
    (recorded: ``lambda_destination_event_bus_success``)."""
    return [bus_arn, qualified_function_arn(function_arn)]


def destination_trace_header(request_id: str, current: str | None) -> str:
    """DST-7: the trace header a destination message carries (SQS's ``AWSTraceHeader`` system
    attribute, recorded: ``queue_destination_payload``): the invocation's own.

    ``current`` is the runtime's ``_X_AMZN_TRACE_ID`` as the record is sent: the invocation's
    when its ``Parent`` is this request's segment.  Otherwise (no attempt ran, or another one ran
    since) it is rebuilt from the request id, as the first invocation of a chain gets it."""
    root, segment = trace_ids(request_id)
    if current and parse_trace_header(current)[1] == segment:
        return current
    return f"Root={root};Parent={segment};Sampled=0"


def iso_millis(when: _dt.datetime) -> str:
    """REC-1: ISO-8601 UTC with milliseconds and Z."""
    when = when.astimezone(_dt.timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def s3_destination_key(function_name: str, when: _dt.datetime, random_uuid: str) -> str:
    """DST-5: aws/lambda/async/<function-name>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<uuid>."""
    when = when.astimezone(_dt.timezone.utc)
    return (f"aws/lambda/async/{function_name}/{when:%Y/%m/%d}/"
            f"{when:%Y-%m-%dT%H.%M.%S}-{random_uuid}")


def invocation_record(*, when: _dt.datetime, request_id: str, function_arn_qualified: str, condition: Condition,
                      approximate_invoke_count: int, request_payload: Any, response: ResponsePart | None,
                      ) -> dict[str, Any]:
    """The record sent to a destination (REC-1..REC-8)."""
    record: dict[str, Any] = {
        "version": "1.0",
        "timestamp": iso_millis(when),
        "requestContext": {
            "requestId": request_id,
            "functionArn": function_arn_qualified,
            "condition": condition,
            "approximateInvokeCount": approximate_invoke_count,
        },
        "requestPayload": request_payload,
    }
    if response is not None:  # REC-8: absent when no attempt ran
        ctx: dict[str, Any] = {"statusCode": 200, "executedVersion": response.executed_version}
        if response.function_error is not None:
            ctx["functionError"] = response.function_error
        record["responseContext"] = ctx
        record["responsePayload"] = response.payload
    return record


@dataclass(frozen=True)
class ResponsePart:
    """What an attempt answered, as a record's responseContext/responsePayload carry it."""

    payload: Any
    function_error: str | None
    executed_version: str = LATEST


def dead_letter_attributes(request_id: str, error_message: str | None) -> dict[str, dict[str, str]]:
    """DLQ-4: RequestID, ErrorCode ("200" for a function error), ErrorMessage (first 1 KB)."""
    return {
        "RequestID": {"DataType": "String", "StringValue": request_id},
        "ErrorCode": {"DataType": "Number", "StringValue": "200"},
        "ErrorMessage": {"DataType": "String",
                         "StringValue": (error_message or "")[:DLQ_ERROR_MESSAGE_LIMIT]},
    }


# -- context (PY-3) -----------------------------------------------------------
def log_group_name(function_name: str) -> str:
    return f"/aws/lambda/{function_name}"


def log_stream_name(when: _dt.datetime, version: str, instance_hex: str) -> str:
    return f"{when:%Y/%m/%d}/[{version}]{instance_hex}"


# -- recursion (LOOP-1) ---------------------------------------------------------
RECURSION_LIMIT: Final = 16


# -- tracing and recursive loops (LOOP-1..LOOP-4) ---------------------------------
TRACE_ID_ENV: Final = "_X_AMZN_TRACE_ID"  # set by the runtime per invocation (LOOP-4)
FUNCTION_NAME_ENV: Final = "AWS_LAMBDA_FUNCTION_NAME"  # its presence makes botocore send the header
TRACE_HEADER: Final = "X-Amzn-Trace-Id"
RecursiveLoop = Literal["Terminate", "Allow"]
RECURSIVE_LOOP_VALUES: Final = ("Terminate", "Allow")  # LOOP-3, PutFunctionRecursionConfig; default Terminate
RECURSIVE_LOOP_METRIC: Final = "RecursiveInvocationsDropped"


def trace_ids(request_id: str) -> tuple[str, str]:
    """(X-Ray root id ``1-<8 hex>-<24 hex>``, 16-hex ``Parent`` segment id) for an invocation.

    X-Ray puts the request's epoch time in the root's first 8 hex digits; here both come from
    the random request id (unique, deterministic, and cheap: this runs once per invocation)."""
    digits = request_id.replace("-", "")
    return f"1-{digits[:8]}-{digits[8:]}", digits[:16]


def trace_segment(request_id: str) -> str:
    """The ``Parent`` segment id of an invocation's attempts."""
    return trace_ids(request_id)[1]


def lineage_key(function_arn: str) -> str:
    """The 8-hex tag of a function in the header's ``Lineage`` (the real format is not public, LOOP-4)."""
    return f"{zlib.crc32(function_arn.encode()):08x}"


def trace_header(root: str, parent: str, lineage: dict[str, int]) -> str:
    """``Root=…;Parent=…;Sampled=0;Lineage=<fn>:<count>|…`` (LOOP-4; as LocalStack writes it)."""
    return f"Root={root};Parent={parent};Sampled=0;Lineage=" + "|".join(f"{k}:{v}" for k, v in lineage.items())


def parse_trace_header(header: str) -> tuple[str | None, str | None, dict[str, int]]:
    """(root, parent segment, lineage counts) from an incoming header; botocore percent-quotes it."""
    root = parent = None
    lineage: dict[str, int] = {}
    for part in unquote(header).split(";"):
        key, _, value = part.strip().partition("=")
        if key == "Root":
            root = value
        elif key == "Parent":
            parent = value
        elif key == "Lineage":
            for item in value.split("|"):
                tag, _, count = item.partition(":")
                if tag and count.isdigit():
                    lineage[tag] = int(count)
    return root, parent, lineage


def recursion_stopped_message(function_name: str) -> str:
    return (f"Lambda stopped the invocation of {function_name}: it was invoked in a recursive loop more than "
            f"{RECURSION_LIMIT} times by one chain of requests ({cite('LOOP-1')})")


# -- SQS event source mappings (ESM-1..ESM-8) ---------------------------------------
SQS_DEFAULT_BATCH_SIZE: Final = 10  # ESM-2
SQS_BATCH_SIZE_RANGE: Final = (1, 10_000)  # ESM-2
SQS_FIFO_BATCH_MAX: Final = 10  # ESM-2
BATCHING_WINDOW_MAX: Final = 300  # ESM-2: MaximumBatchingWindowInSeconds 0-300
SQS_BATCH_WITHOUT_WINDOW_MAX: Final = 10  # ESM-7: a larger BatchSize needs a batching window of at least 1 s
SQS_BATCH_NEEDS_WINDOW_MESSAGE: Final = (
    "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10")  # ESM-7
BATCH_ITEM_FAILURES: Final = "ReportBatchItemFailures"  # ESM-5, the only FunctionResponseTypes value


def sqs_batch_size_message(batch_size: int, fifo: bool) -> str:
    """ESM-2: BatchSize 1-10,000 for standard queues, 1-10 for FIFO queues."""
    high = SQS_FIFO_BATCH_MAX if fifo else SQS_BATCH_SIZE_RANGE[1]
    kind = "FIFO queues" if fifo else "Amazon SQS standard queues"
    return f"BatchSize {batch_size} is out of range: it is 1 to {high} for {kind} ({cite('ESM-2')})"


def sqs_queue_not_found_message() -> str:
    """CreateEventSourceMapping for a queue SQS does not have (its ReceiveMessage error, relayed)."""
    return ("Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. "
            "SQS Error Message: The specified queue does not exist for this wsdl version.")


def sqs_visibility_message(visibility_timeout: int, function_timeout: float) -> str:
    """ESM-6: the queue's visibility timeout must be at least the function's timeout."""
    return (f"Queue visibility timeout: {visibility_timeout} seconds is less than Function timeout: "
            f"{function_timeout:g} seconds")


def mapping_exists_message(source_arn: str, function_name: str, mapping_uuid: str) -> str:
    """A second mapping of one queue to one function (ResourceConflictException)."""
    return (f'The event source arn (" {source_arn} ") and function (" {function_name} ") provided mapping '
            f"already exists. Please update or delete the existing mapping with UUID {mapping_uuid}")


# -- AWS SDK call failures injected by the idempotency checks ----------------------
# (code, HTTP status, message) a call fails with *before* it takes effect, per
# botocore service id: each service's own throttling error where it has one.
SDK_THROTTLE_ERRORS: Final[dict[str, tuple[str, int, str]]] = {
    "dynamodb": ("ProvisionedThroughputExceededException", 400,
                 "The level of configured provisioned throughput for the table was exceeded. "
                 "Consider increasing your provisioning level with the UpdateTable API."),
    "s3": ("SlowDown", 503, "Please reduce your request rate."),
    "sqs": ("ThrottlingException", 400, "Rate exceeded"),
    "sns": ("Throttling", 400, "Rate exceeded"),
    "eventbridge": ("ThrottlingException", 400, "Rate exceeded"),
    "lambda": ("TooManyRequestsException", 429, "Rate Exceeded."),
}
SDK_UNAVAILABLE_ERROR: Final[tuple[str, int, str]] = (
    "ServiceUnavailable", 503, "Service is unavailable. Please try again later.")


# -- AWS's own messages, verbatim, for errors the service raises ------------------------------------
RESOURCE_NOT_FOUND_MESSAGE: Final = "The resource you requested does not exist."
SID_EXISTS_MESSAGE: Final = ("The statement id (sid) provided already exists. Please choose a new "
                             "statement id, or remove the existing statement.")
SELF_DESTINATION_MESSAGE: Final = "You can't specify the function as a destination for itself."  # CFG-6


def statement_not_found_message(sid: str) -> str:
    return f"Statement {sid} is not found in resource policy."


def function_exists_message(name: str) -> str:
    """CreateFunction of a name already registered (AWS's grammar)."""
    return f"Function already exist: {name}"


def request_body_not_json_message(error: object) -> str:
    """InvalidRequestContentException of a payload that is not JSON (INV-20)."""
    return f"Could not parse request body into json: Could not parse payload into json: {error}"


def exit_status(code: int) -> str:
    """Runtime.ExitError's detail for a process that exited with ``code`` (PY-7)."""
    return f"exit status {code}"
