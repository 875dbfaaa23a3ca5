"""AWS SDK failure injection for the idempotency checks (botocore event hooks).

Two botocore hooks, registered once for every session the way moto registers
its stubber (``botocore.handlers.BUILTIN_HANDLERS``), plus boto3's default
session if it already exists.  They do nothing unless a check has *armed* a
:class:`CallLog` for the attempt that is running, so they cost one global read
per SDK call otherwise.

- ``before-call`` (emitted once per API call, before the request is sent or
  retried): counts the call and, for a ``"before"`` failure, answers with an
  error response, so botocore raises the service's own ``ClientError`` subclass
  (e.g. ``ProvisionedThroughputExceededException``) from ``_make_api_call``
  exactly as when its retries are exhausted.  moto never sees the request: the
  call took no effect.
- ``after-call`` (the request was made and answered, e.g. by moto): for a
  ``"response_lost"`` failure raises botocore's ``ReadTimeoutError``, so the
  call took effect and the caller never learns it.

A third hook, ``before-parameter-build``, and ``after-call`` also keep a
:class:`SentLog` while a check's run is *recording*: what was sent that leaves
no readable trace in moto (EventBridge ``PutEvents`` entries: moto keeps
nothing for a bus without rules) or lives outside it (``Event`` invocations
answered by a routed :class:`LambdaInvoker`, or by moto's Lambda).  Only calls
that succeeded count: an injected ``before`` failure or a refusal sent nothing,
a lost response did send.

Imported lazily (it imports botocore); only the idempotency checks use it.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from collections.abc import Callable
from typing import Any, Literal

from .._service import aws
from .botocore import EMPTY_RAW, active_invoker

FaultKind = Literal["before", "response_lost"]

_UNIQUE_BEFORE = "pytest-lambda-async-faults-before-call"
_UNIQUE_AFTER = "pytest-lambda-async-faults-after-call"
_UNIQUE_PARAMS = "pytest-lambda-async-faults-before-parameter-build"


@dataclass
class SdkCall:
    """One AWS SDK call an attempt made, and what was injected into it (``_text.sdk_call_note`` says it)."""

    index: int
    operation: str  # "DynamoDB.PutItem"
    injected: FaultKind | None = None
    error: str | None = None  # the error code / exception the handler saw, when injected


@dataclass
class CallLog:
    """The SDK calls of one attempt; fails call ``fail_at`` with ``kind`` when set."""

    fail_at: int | None = None
    kind: FaultKind = "before"
    calls: list[SdkCall] = field(default_factory=list)

    @property
    def injected(self) -> SdkCall | None:
        return next((c for c in self.calls if c.injected), None)


@dataclass
class Sent:
    """One message a run sent: ``kind`` "events" (one PutEvents entry) or "lambda" (an Event invocation)."""

    kind: str
    target: str  # the bus name, or the function name
    body: Any  # the entry without its time and trace header, or the decoded payload
    request_id: str | None = None  # Lambda: the invocation's request id
    invoker: Any = None  # Lambda: the routed LambdaInvoker that queued it, if any


@dataclass
class SentLog:
    sent: list[Sent] = field(default_factory=list)


_armed: CallLog | None = None
_boundary: Callable[[str], None] | None = None
_recording: SentLog | None = None
_lock = threading.Lock()  # handlers may call the SDK from threads (to_thread, executors)
_installed = False


def arm(log: CallLog) -> CallLog | None:
    """Count (and maybe fail) the SDK calls made from now on: the log it replaces, for ``disarm``
    (a pair of calls, not a ``with`` block, on the idempotency checker's per-attempt path)."""
    global _armed
    install()
    previous, _armed = _armed, log
    return previous


def disarm(previous: CallLog | None) -> None:
    global _armed
    _armed = previous


def set_boundary(hook: Callable[[str], None] | None) -> Callable[[str], None] | None:
    """Call ``hook(operation)`` at the start of every SDK call (before it is counted or sent), e.g. to
    hand over to another execution environment there; returns the hook it replaces."""
    global _boundary
    install()
    previous, _boundary = _boundary, hook
    return previous


def start_recording(log: SentLog) -> SentLog | None:
    """Keep what successful SDK calls send (see the module's docstring) from now on (once per run of
    a check, which installed the hooks); returns what ``stop_recording`` restores."""
    global _recording
    previous, _recording = _recording, log
    return previous


def stop_recording(previous: SentLog | None) -> None:
    global _recording
    _recording = previous


def install() -> None:
    """Register the hooks for every botocore session and client, present and future (once).

    Future sessions get them from ``BUILTIN_HANDLERS`` (as moto's stubber);
    sessions and clients that already exist (a module-level client made at
    import, before any check ran) get them registered directly: found once,
    through the garbage collector's list of objects, as moto's ``patch_client``
    patches one client."""
    global _installed
    if _installed:
        return
    import gc

    try:
        from botocore.client import BaseClient  # type: ignore[import-untyped]
        from botocore.handlers import BUILTIN_HANDLERS  # type: ignore[import-untyped]
        from botocore.session import Session  # type: ignore[import-untyped]
    except ImportError:  # no AWS SDK: no SDK calls to fail
        _installed = True
        return

    BUILTIN_HANDLERS.append(("before-parameter-build", _remember_sent))
    BUILTIN_HANDLERS.append(("before-call", _before_call))
    BUILTIN_HANDLERS.append(("after-call", _after_call))
    for obj in gc.get_objects():
        if isinstance(obj, BaseClient):
            _register(obj.meta.events)
        elif isinstance(obj, Session):
            _register(obj.get_component("event_emitter"))
    _installed = True


def _register(events: Any) -> None:
    events.register("before-parameter-build", _remember_sent, unique_id=_UNIQUE_PARAMS)
    events.register("before-call", _before_call, unique_id=_UNIQUE_BEFORE)
    events.register("after-call", _after_call, unique_id=_UNIQUE_AFTER)


def _operation(model: Any) -> str:
    service = model.service_model.service_id
    return f"{service}.{model.name}"


_CONTEXT_KEY = "pytest_lambda_async_sdk_call"
_SENT_KEY = "pytest_lambda_async_sent"
_SENDS = {("EventBridge", "PutEvents"), ("Lambda", "Invoke"), ("Lambda", "InvokeAsync")}


def _remember_sent(params: Any = None, model: Any = None, context: Any = None, **_: Any) -> None:
    """``before-parameter-build``: the caller's own parameters of a send, while recording."""
    if _recording is None or model is None or not isinstance(context, dict):
        return
    if (model.service_model.service_id, model.name) in _SENDS:
        context[_SENT_KEY] = (model.name, dict(params or {}))


def _record_sent(log: SentLog, name: str, params: dict[str, Any], parsed: Any) -> None:
    if name == "PutEvents":
        answers = parsed.get("Entries", []) if isinstance(parsed, dict) else []
        for entry, answer in zip(params.get("Entries", []), answers):
            if not isinstance(answer, dict) or "EventId" not in answer:
                continue  # refused: nothing was put on the bus
            body = {k: v for k, v in entry.items() if k not in ("Time", "TraceHeader", "EventBusName")}
            if isinstance(body.get("Detail"), str):
                try:
                    body["Detail"] = json.loads(body["Detail"])
                except ValueError:
                    pass
            bus = str(entry.get("EventBusName") or "default").rsplit("/", 1)[-1]
            log.sent.append(Sent("events", bus, body))
        return
    if name == "Invoke" and params.get("InvocationType", "RequestResponse") != "Event":
        return  # a synchronous call: its effects are the called function's, not a queued message
    payload = params.get("Payload", params.get("InvokeArgs", b""))
    if hasattr(payload, "getvalue"):
        payload = payload.getvalue()
    if isinstance(payload, (bytes, bytearray, str)):
        try:
            payload = json.loads(payload or b"null")
        except ValueError:
            payload = payload.decode("utf-8", "replace") if isinstance(payload, (bytes, bytearray)) else payload
    else:
        payload = f"<{type(payload).__name__} payload>"
    function = str(params.get("FunctionName", "")).split(":function:")[-1].split(":")[0]
    metadata = parsed.get("ResponseMetadata", {}) if isinstance(parsed, dict) else {}
    log.sent.append(Sent("lambda", function, payload, metadata.get("RequestId"), active_invoker()))


def _before_call(model: Any = None, context: Any = None, **_: Any) -> Any:
    if _boundary is not None and model is not None:
        _boundary(_operation(model))  # may switch environments, and so the armed log: read it after
    log = _armed
    if log is None or model is None:
        return None
    with _lock:
        call = SdkCall(len(log.calls), _operation(model))
        log.calls.append(call)
        if isinstance(context, dict):  # botocore hands after-call the same dict: find this call there
            context[_CONTEXT_KEY] = call
        if log.fail_at != call.index:
            return None
        call.injected = log.kind
    if log.kind != "before":
        return None  # response_lost: let the call take effect; after-call loses the answer
    service = model.service_model.service_id.hyphenize()
    code, status, message = aws.SDK_THROTTLE_ERRORS.get(service, aws.SDK_UNAVAILABLE_ERROR)
    call.error = f"{code} ({status})"
    return _error_response(code, status, message)


def _after_call(model: Any = None, http_response: Any = None, parsed: Any = None, context: Any = None,
                **_: Any) -> None:
    log = _recording
    if log is not None and isinstance(context, dict):
        sent = context.pop(_SENT_KEY, None)
        if sent is not None and getattr(http_response, "status_code", 500) < 300:
            with _lock:
                _record_sent(log, sent[0], sent[1], parsed)
    call = context.get(_CONTEXT_KEY) if isinstance(context, dict) else None
    if call is None or call.injected != "response_lost" or call.error is not None:
        return
    from botocore.exceptions import ReadTimeoutError  # type: ignore[import-untyped]

    url = getattr(http_response, "url", None) or "https://unknown"
    call.error = "ReadTimeoutError"
    raise ReadTimeoutError(endpoint_url=url)


def _error_response(code: str, status: int, message: str) -> tuple[Any, dict[str, Any]]:
    from botocore.awsrequest import AWSResponse  # type: ignore[import-untyped]

    headers = {"x-amzn-errortype": code}
    http = AWSResponse("https://injected.invalid/", status, headers, EMPTY_RAW)
    parsed = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": headers,
                             "RetryAttempts": 0, "MaxAttemptsReached": True},
    }
    return http, parsed
