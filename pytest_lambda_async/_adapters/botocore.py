"""Real boto3/botocore Lambda clients answered by the invoker (``LambdaInvoker.patch_boto3``).

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

Beside this module: ``validation`` (requests checked against botocore's model
first, as AWS checks them), ``replies`` (botocore's parsed response built from
an answer), ``operations`` and ``invoke_config`` (each operation's answer).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

from .. import _text
from ..errors import LambdaServiceError, UnsupportedOperation
from . import invoke_config, operations
from .imports import spec_running_after
from .replies import EMPTY_RAW, Reply, Request, empty_invoke_response, empty_reply, error_reply, json_reply, parse
from .validation import check_request

if TYPE_CHECKING:
    from .._service.invoker import LambdaService

__all__ = ["EMPTY_RAW", "Operation", "active_invoker", "extra_operations", "install", "routed"]

_S = TypeVar("_S", bound="LambdaService")

_PARAMS_KEY = "pytest_lambda_async.params"
_ACTIVE: list[LambdaService] = []  # innermost last; process-wide, since handlers run on the runtime thread
_INSTALL_LOCK = threading.Lock()
_installed = False


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
        raise UnsupportedOperation(_text.operation_not_modelled(
            _snake(model.name), (_snake(n) for n in [*_OPERATIONS, *extra_operations])))
    request = Request(api_params, params.get("headers", {}), params.get("url", ""), context.get("client_region"))
    try:
        if model.name in _OPERATIONS:  # AWS validates against its model before the operation runs
            check_request(model, api_params)
        reply = operation(invoker, request)
    except LambdaServiceError as exc:
        reply = error_reply(exc, invoker)
    if reply.status in (202, 204) and not reply.body and not reply.headers and model.name == "Invoke":
        return empty_invoke_response(request.url, reply)
    return parse(model, request.url, reply)


# An Event invoke with only these parameters takes the short path (LogType and ClientContext,
# which the service also checks for Event, go the general way).
_EVENT_PARAMS = frozenset({"FunctionName", "InvocationType", "Qualifier", "Payload"})


def _answer_event(invoker: LambdaService, model: Any, params: dict[str, Any], context: dict[str, Any],
                  api_params: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """The hot path: ``invoke(InvocationType="Event")``, answered by ``LambdaService.accept_routed_event``
    (every check the service makes, none that botocore's validation already made) with the reply
    ``empty_invoke_response`` assembles (the same as the general path's, tests/adapters/test_boto3.py)."""
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
        return parse(model, params.get("url", ""), error_reply(exc, invoker))
    return empty_reply(params.get("url", ""), 202, request_id)


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


# -- operations other adapters answer (sources: event source mappings) ------------------
Operation = Callable[["LambdaService", dict[str, Any], "str | None"], tuple[int, Any]]
# Lambda operation name -> (invoker, the caller's parameters, the client's region) -> (HTTP status, JSON body
# or None for none);
# a LambdaServiceError raised is the API error.  Added to by the event sources adapter.
extra_operations: dict[str, Operation] = {}


def _extra(operation: Operation) -> Callable[[LambdaService, Request], Reply]:
    def answer(invoker: LambdaService, request: Request) -> Reply:
        status, body = operation(invoker, request.params, request.region)
        if body is None:  # 204: no body
            return Reply(status, invoker.new_request_id())
        return json_reply(invoker, body, status)

    return answer


_OPERATIONS: dict[str, Callable[[LambdaService, Request], Reply]] = {**operations.OPERATIONS,
                                                                    **invoke_config.OPERATIONS}
