"""One attempt, run as the Python runtime runs it.

The runtime half of the invoker: the Lambda context (PY-3), timeouts (PY-6),
exits (PY-7), exceptions (PY-8), the JSON marshalling of results (PY-2, INV-17)
and each attempt's log (``logs.py``).  The thread attempts run on is in ``threads``.
"""

from __future__ import annotations

import datetime as _dt
import functools
import inspect
import json
import linecache
import os
import re
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from . import aws
from .records import Outcome
from .clock import AttemptTimedOut, VirtualClock, utc_now
from .sites import USER_CODE, file_kind
from .logs import CaptureScope as CaptureScope  # the invoker installs it per drain
from .logs import LogCapture, runtime_lines

if TYPE_CHECKING:
    from .leaks import AwaitWindow


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the whole package


# -- the context object (PY-3) -------------------------------------------------
class CognitoIdentity:
    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")

    def __init__(self) -> None:
        self.cognito_identity_id: str | None = None
        self.cognito_identity_pool_id: str | None = None

    def __repr__(self) -> str:
        return "CognitoIdentity(cognito_identity_id=None, cognito_identity_pool_id=None)"


class MobileClient:
    """``context.client_context.client``: the calling app, as the Python runtime builds it (PY-3)."""

    __slots__ = ("installation_id", "app_title", "app_version_name", "app_version_code", "app_package_name")

    def __init__(self, values: dict[str, Any]) -> None:
        for name in self.__slots__:  # a key the caller left out reads None, as on Lambda
            setattr(self, name, values.get(name))

    def __repr__(self) -> str:
        return f"MobileClient({', '.join(f'{n}={getattr(self, n)!r}' for n in self.__slots__)})"


class ClientContext:
    """``context.client_context`` of a sync invocation that passed a ``ClientContext`` (INV-4, PY-3):
    ``client`` (a :class:`MobileClient` or ``None``), ``custom`` and ``env`` (dicts or ``None``)."""

    __slots__ = ("client", "custom", "env")

    def __init__(self, values: dict[str, Any]) -> None:
        client = values.get("client")
        self.client = MobileClient(client) if isinstance(client, dict) else None
        self.custom = values.get("custom")
        self.env = values.get("env")

    def __repr__(self) -> str:
        return f"ClientContext(client={self.client!r}, custom={self.custom!r}, env={self.env!r})"


def client_context_object(decoded: Any) -> ClientContext | None:
    """What the runtime makes of a decoded ``ClientContext`` header: an object for a JSON object,
    else ``None`` (the header's JSON is checked, its shape is the caller's business)."""
    return ClientContext(decoded) if isinstance(decoded, dict) else None


class LambdaContext:
    """The ``context`` argument, with the attributes the Python runtime gives (PY-3).

    ``get_remaining_time_in_millis()`` counts down on the invoker's virtual
    clock (or, for a context made on its own, on freezegun's/the real clock)."""

    def __init__(
        self,
        *,
        function_name: str = "test-function",
        function_version: str = aws.LATEST,
        invoked_function_arn: str | None = None,
        memory_limit_in_mb: int | str = aws.DEFAULT_MEMORY_MB,
        aws_request_id: str = "00000000-0000-4000-8000-000000000000",
        log_stream_name: str | None = None,
        deadline: _dt.datetime | None = None,
        timeout: float = aws.DEFAULT_TIMEOUT,
        now: Callable[[], _dt.datetime] = utc_now,
        client_context: Any = None,
        tenant_id: str | None = None,
        log_sink: Callable[[str], None] | None = None,
    ) -> None:
        self.function_name = function_name
        self.function_version = function_version
        self.invoked_function_arn = invoked_function_arn or aws.function_arn(function_name)
        self.memory_limit_in_mb = str(memory_limit_in_mb)  # a str on AWS
        self.aws_request_id = aws_request_id
        self.log_group_name = aws.log_group_name(function_name)
        self._now = now
        start = now()
        self.log_stream_name = log_stream_name or aws.log_stream_name(start, function_version, "0" * 32)
        self.identity = CognitoIdentity()
        self.client_context = client_context
        self.tenant_id = tenant_id
        self._deadline = deadline if deadline is not None else start + _dt.timedelta(seconds=timeout)
        self._log_sink = log_sink

    @classmethod
    def for_attempt(
        cls,
        *,
        function_name: str,
        invoked_function_arn: str,
        memory_limit_in_mb: str,
        aws_request_id: str,
        log_stream_name: str,
        deadline: _dt.datetime,
        now: Callable[[], _dt.datetime],
        log_sink: Callable[[str], None] | None,
        client_context: ClientContext | None = None,
        tenant_id: str | None = None,
    ) -> LambdaContext:
        """The context of one invoker attempt: the same attributes as ``__init__`` gives,
        with every value already known (built once per attempt, so without its defaulting)."""
        context = cls.__new__(cls)
        context.__dict__.update(
            function_name=function_name, function_version=aws.LATEST, invoked_function_arn=invoked_function_arn,
            memory_limit_in_mb=memory_limit_in_mb, aws_request_id=aws_request_id,
            log_group_name=f"/aws/lambda/{function_name}", _now=now, log_stream_name=log_stream_name,
            identity=CognitoIdentity(), client_context=client_context, tenant_id=tenant_id, _deadline=deadline,
            _log_sink=log_sink)
        return context

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds until the attempt times out, never below 0."""
        left = (self._deadline - self._now()).total_seconds()
        return max(0, int(left * 1000))

    def log(self, msg: str) -> None:
        if self._log_sink is not None:
            self._log_sink(str(msg))
        else:
            sys.stdout.write(str(msg))

    def __repr__(self) -> str:
        return (f"LambdaContext(function_name={self.function_name!r}, aws_request_id={self.aws_request_id!r}, "
                f"remaining_ms={self.get_remaining_time_in_millis()})")


# -- what one attempt produced -------------------------------------------------
def is_async_handler(handler: Callable[..., Any]) -> bool:
    """An ``async def`` function, or an object whose ``__call__`` is one (PY-2: the runtime never awaits either)."""
    if inspect.iscoroutinefunction(handler):
        return True
    call = getattr(handler, "__call__", None)  # noqa: B004 - an object with an async __call__
    return call is not None and not inspect.isfunction(handler) and inspect.iscoroutinefunction(call)


def handler_name(handler: Callable[..., Any]) -> str:
    """``module.qualname`` of the function behind a handler (through partials and ``functools.wraps``)."""
    target: Any = handler
    while isinstance(target, functools.partial):
        target = target.func
    target = inspect.unwrap(target) if callable(target) else target
    qualname = getattr(target, "__qualname__", None) or type(target).__qualname__
    module = getattr(target, "__module__", None)
    return f"{module}.{qualname}" if isinstance(module, str) and module not in ("builtins", "__main__") else str(qualname)


@dataclass
class Execution:
    outcome: Outcome
    payload: Any  # the result, or the error object (PY-8 etc.)
    function_error: str | None
    error: str | None  # one line for people: "KeyError: 'order_id' (app.py:31)"
    logs: list[str]  # the attempt's whole log, as the function's log stream has it (START ... REPORT)
    crashed: bool = False  # the environment was reset (timeout, exit)
    output: list[str] = field(default_factory=list)  # the handler's own lines, as the timeline shows them


def _user_frames(tb: Any) -> list[traceback.FrameSummary]:
    """The traceback's frames outside this package, as the Python runtime lists them (PY-8): from
    (frame, line) pairs, so without column positions. ``format_list`` then draws no ``^^^`` carets,
    which the runtime's stackTrace never has, and no code object's positions table is scanned (with
    ``extract_tb`` that scan was most of a failed attempt's cost); lines are read when formatted.
    What ``StackSummary.extract(pairs, lookup_lines=False)`` gives (``sys.tracebacklimit`` included),
    without its generators: it was a fifth of a failed attempt."""
    limit = sys.__dict__.get("tracebacklimit")  # read as extract() reads it, without its AttributeError
    frames: list[traceback.FrameSummary] = []
    while tb is not None and (limit is None or len(frames) < limit):
        frame = tb.tb_frame
        code = frame.f_code
        filename = code.co_filename
        if not filename.startswith(_PACKAGE_DIR):
            linecache.lazycache(filename, frame.f_globals)
            frames.append(traceback.FrameSummary(filename, tb.tb_lineno, code.co_name, lookup_line=False))
        tb = tb.tb_next
    for filename in {f.filename for f in frames}:
        linecache.checkcache(filename)
    return frames


def _blamed(exc: BaseException, frames: list[traceback.FrameSummary] | None = None) -> traceback.FrameSummary | None:
    """The frame a person should look at: the innermost one in the user's own code, not in
    botocore or the standard library (an SDK error is raised deep inside botocore); failing
    that, the innermost frame outside this package."""
    if frames is None:
        frames = _user_frames(exc.__traceback__)
    for frame in reversed(frames):
        if file_kind(frame.filename) == USER_CODE:
            return frame
    return frames[-1] if frames else None


def describe_exception(exc: BaseException, frames: list[traceback.FrameSummary] | None = None) -> str:
    frame = _blamed(exc, frames)
    where = f" ({os.path.basename(frame.filename)}:{frame.lineno})" if frame else ""
    return f"{type(exc).__name__}: {aws.exception_message(exc)}{where}"


def error_line(payload: dict[str, Any]) -> str:
    message = str(payload.get("errorMessage"))
    if message.startswith("RequestId: ") and " Error: " in message:  # PY-6/PY-7 prefix: noise in a timeline
        message = message.split(" Error: ", 1)[1]
    return f"{payload.get('errorType')}: {message}"


# -- running one attempt ---------------------------------------------------------
def marshal(result: Any) -> tuple[Any, dict[str, Any] | None]:
    """JSON round-trip a result as the runtime does; an error object if it can't (PY-2, INV-17)."""
    if result is None or type(result) in (bool, int, str):
        if type(result) is not str or len(result) * 4 <= aws.RESPONSE_LIMIT:
            return result, None  # already what a JSON round trip gives
    try:
        body = json.dumps(result)
    except (TypeError, ValueError, RecursionError) as exc:
        bad = type(result).__name__
        named = re.search(r"Object of type ([^ ]*)", str(exc))  # json's own message names the type
        if named is not None:
            bad = named.group(1)
        return None, aws.marshal_error(bad)
    if len(body.encode("utf-8")) > aws.RESPONSE_LIMIT:
        return None, aws.response_too_large_error()
    return json.loads(body), None


def execute(
    call: Callable[[], Any],
    *,
    clock: VirtualClock,
    capture: LogCapture | None,
    request_id: str,
    timeout: float,
    deadline: _dt.datetime,
    window: AwaitWindow | None = None,
    memory_size: int = aws.DEFAULT_MEMORY_MB,
    cold: bool = False,
) -> Execution:
    """Run one handler call inside an attempt window and classify how it ended.

    With an await ``window``, the call runs inside it: the caller reads
    ``window.leaks`` afterwards (the classification here is AWS's alone).
    ``cold``: the first attempt in its execution environment (its REPORT line has an Init Duration)."""
    saved = (clock.attempt_thread, clock.attempt_deadline)  # a sync invoke may nest
    clock.begin_attempt(deadline)
    outer = capture.start(request_id, clock, cold) if capture is not None else None
    start = clock.now
    try:
        ending = _returned(_call_in_attempt(call, clock, window))
    except BaseException as exc:  # timeouts, exits, exceptions and kills alike: _raised tells them apart
        ending = _raised(exc, request_id, timeout)
    finally:
        clock.attempt_thread, clock.attempt_deadline = saved
        lines, output = capture.stop(outer) if capture is not None and outer is not None else ([], [])
    outcome, payload, function_error, error, crashed = ending
    timed_out_at = start + _dt.timedelta(seconds=timeout) if outcome == "timeout" else None
    duration = timeout if timed_out_at is not None else (clock.now - start).total_seconds()
    logs = runtime_lines(request_id, lines, memory_size=memory_size, cold=cold,
                         error=payload if function_error is not None else None, timed_out_at=timed_out_at,
                         duration=duration)
    return Execution(outcome, payload, function_error, error, logs, crashed, output)


class _Ending(NamedTuple):
    """How an attempt ended, before its log is written."""

    outcome: Outcome
    payload: Any  # the result, or the error object
    function_error: str | None
    error: str | None  # one line for people
    crashed: bool  # the environment was reset (timeout, exit)


def _call_in_attempt(call: Callable[[], Any], clock: VirtualClock, window: AwaitWindow | None) -> Any:
    """The handler's result, run in the await ``window`` if there is one; the attempt ends here
    either way, and a result that came past the deadline raises ``AttemptTimedOut`` (PY-6)."""
    try:
        if window is None:
            result = call()
        else:
            with window:
                result = call()
    finally:
        timed_out = clock.end_attempt()
    if timed_out:
        raise AttemptTimedOut()
    return result


def _returned(result: Any) -> _Ending:
    """A returned result: success, or the runtime's error if it does not marshal (PY-2, INV-17)."""
    payload, marshal_failure = marshal(result)
    if marshal_failure is None:
        return _Ending("success", payload, None, None, False)
    error = error_line(marshal_failure)
    _close_awaitable(result)
    return _Ending("error", marshal_failure, "Unhandled", error, False)


def _raised(exc: BaseException, request_id: str, timeout: float) -> _Ending:
    """A raised exception as the Python runtime reports it: a timeout (PY-6), an exit (PY-7), an
    exception (PY-8), or anything else that kills the process."""
    if isinstance(exc, AttemptTimedOut):
        payload = aws.timeout_error(request_id, timeout)
        return _Ending("timeout", payload, aws.FUNCTION_ERROR, error_line(payload), True)
    if isinstance(exc, SystemExit):
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        payload = aws.exit_error(request_id, aws.exit_status(code))
        return _Ending("error", payload, aws.FUNCTION_ERROR, error_line(payload) + _where(exc), True)
    if isinstance(exc, Exception):
        frames = _user_frames(exc.__traceback__)  # once, for both the stackTrace and the error line
        payload = aws.exception_error(exc, request_id, traceback.format_list(frames))
        return _Ending("error", payload, aws.FUNCTION_ERROR, describe_exception(exc, frames), False)
    # KeyboardInterrupt, GeneratorExit...: the process dies
    payload = aws.exit_error(request_id, "signal: killed")
    return _Ending("error", payload, aws.FUNCTION_ERROR,
                   error_line(payload) + f" ({type(exc).__name__}{_where(exc)})", True)


def _where(exc: BaseException) -> str:
    frame = _blamed(exc)
    return f" at {os.path.basename(frame.filename)}:{frame.lineno}" if frame else ""


def _close_awaitable(result: Any) -> None:
    close = getattr(result, "close", None)
    if close is not None and hasattr(result, "cr_frame"):
        close()  # don't also warn "never awaited": the marshal error says it


_ENV_DATA: Any = getattr(os.environ, "_data", None)


def set_python_env(name: str, value: str) -> None:
    """``os.environ[name] = value`` for Python readers (botocore, Powertools, the X-Ray SDK).

    The trace id changes on every attempt. A real ``putenv`` costs as much as the rest of an
    attempt here, and the C library keeps every distinct value it was ever given, so the
    write goes to ``os.environ``'s own store only (stdlib ``os._Environ``); processes a
    handler starts do not inherit it. Restoring goes through ``os.environ`` as usual."""
    if _ENV_DATA is None:
        os.environ[name] = value
    else:
        _ENV_DATA[os.environ.encodekey(name)] = os.environ.encodevalue(value)


def trace_env_now() -> tuple[str | None, str | None]:
    return os.environ.get(aws.TRACE_ID_ENV), os.environ.get(aws.FUNCTION_NAME_ENV)


def restore_trace_env(saved: tuple[str | None, str | None]) -> None:
    for name, value in zip((aws.TRACE_ID_ENV, aws.FUNCTION_NAME_ENV), saved):
        if value is None:
            os.environ.pop(name, None)
        elif os.environ.get(name) != value:
            os.environ[name] = value

