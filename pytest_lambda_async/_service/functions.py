"""A registered function: its handler, its configuration (validated as AWS validates it) and the
faults a test injects into it."""

from __future__ import annotations

import datetime as _dt
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from . import aws
from .. import _text
from ..errors import InvalidParameterValueException
from .delivery import UNSET, SuspendedWork
from .loop import LoopClock, RuntimeEventLoop, new_event_loop
from .loop_watch import forget
from .records import Attempt

if TYPE_CHECKING:
    from .invoker import LambdaService


Handler = Callable[[Any, Any], Any]


class LambdaFunction:
    """A registered function: its handler and its asynchronous invocation config."""

    def __init__(self, invoker: LambdaService, name: str, handler: Handler, *, is_async: bool) -> None:
        # The invoker holds its functions: a weak reference back makes no cycle (see LambdaService.__init__);
        # its attempts list is held as is, so ``attempts`` still answers once the invoker is gone.
        self._invoker_ref: Callable[[], LambdaService | None] = weakref.ref(invoker)
        self._attempts: list[Attempt] = invoker.attempts
        self.name = name
        self.handler = handler
        self.is_async = is_async
        self.max_retry_attempts: int = aws.DEFAULT_MAX_RETRY_ATTEMPTS
        self.maximum_event_age: float = float(aws.DEFAULT_MAXIMUM_EVENT_AGE)
        self.on_success: aws.Destination | None = None
        self.on_failure: aws.Destination | None = None
        self.dead_letter: aws.Destination | None = None
        self.timeout: float = aws.DEFAULT_TIMEOUT
        self.memory_size: int = aws.DEFAULT_MEMORY_MB
        self.reserved_concurrency: int | None = None
        self.recursive_loop: aws.RecursiveLoop = "Terminate"  # LOOP-3
        self.pending_failures: list[BaseException | None] = []
        self.pending_throttles = 0
        self.attempt_throttles: dict[int, int] = {}  # attempt number -> throttles still to come before it
        self.environment = 0  # bumped on a crash: the next attempt is a cold start
        # Its execution environments, each with its own event loop (PY-4), in the order they started.
        self.environments: list[ExecutionEnvironment] = []
        self.log_stream: tuple[int, str] | None = None
        self.user_code: tuple[str, ...] | None = None  # where the handler's own code lives (await checks)
        self._arn: str | None = None
        # freeze="resume": work left by earlier attempts in this environment, waiting to run again (PY-4)
        self.suspended: list[SuspendedWork] = []

    def drop_suspended(self) -> list[SuspendedWork]:
        """Cancel what earlier attempts left suspended (a cold start, or the end of the test)."""
        dropped, self.suspended = self.suspended, []
        if dropped:
            loops: list[RuntimeEventLoop | None] = [
                env.loop for env in self.environments if env.loop is not None and not env.loop.is_running()]
            for work in dropped:
                for loop in loops or [None]:
                    work.window.cancel_leftovers(loop)
        return dropped

    def acquire_environment(self, start: _dt.datetime, clock: LoopClock) -> ExecutionEnvironment:
        """An environment for an attempt starting at ``start``: the first one started that is free by then
        (a warm start), else a new one (Q-1: concurrent attempts each run in an environment of their own)."""
        for env in self.environments:
            if not env.running and env.free_at <= start:
                break
        else:
            env = ExecutionEnvironment(clock, start)
            self.environments.append(env)
        env.running = True
        return env

    def release_environment(self, env: ExecutionEnvironment, end: _dt.datetime, *, reset: bool) -> None:
        """The attempt in ``env`` ended at ``end``; ``reset``: it crashed (PY-6, PY-7), and the environment
        is discarded with its loop."""
        env.running = False
        if end > env.free_at:
            env.free_at = end
        if reset:
            if env in self.environments:
                self.environments.remove(env)
            env.drop_loop()

    def drop_loops(self) -> None:
        """Close the event loops of this function's environments (the end of the test)."""
        for env in self.environments:
            env.drop_loop()

    def log_stream_name(self, start: _dt.datetime) -> str:
        """One log stream per execution environment, named when it starts (PY-3)."""
        cached = self.log_stream
        if cached is None or cached[0] != self.environment:
            cached = self.log_stream = (self.environment,
                                        aws.log_stream_name(start, aws.LATEST, f"{self.environment:032x}"))
        return cached[1]

    @property
    def _invoker(self) -> LambdaService:
        invoker = self._invoker_ref()
        if invoker is None:  # dropped by the test: say so, not a bare weak-reference error
            raise ReferenceError(_text.function_outlived_its_invoker(self.name))
        return invoker

    @property
    def arn(self) -> str:
        arn = self._arn
        if arn is None:  # the name, region and account never change: format it once
            arn = self._arn = aws.function_arn(self.name, region=self._invoker.region,
                                                account=self._invoker.account)
        return arn

    @property
    def attempts(self) -> list[Attempt]:
        return [a for a in self._attempts if a.function == self.name]

    def configure(
        self,
        *,
        max_retry_attempts: int = UNSET,
        maximum_event_age: float | _dt.timedelta = UNSET,
        on_success: str | None = UNSET,
        on_failure: str | None = UNSET,
        dead_letter: str | None = UNSET,
        timeout: float = UNSET,
        memory_size: int = UNSET,
        reserved_concurrency: int | None = UNSET,
        recursive_loop: aws.RecursiveLoop = UNSET,
    ) -> LambdaFunction:
        """Change settings from the next delivery on (validated first: nothing changes on error)."""
        inv = self._invoker
        staged: dict[str, Any] = {}
        if max_retry_attempts is not UNSET:
            staged["max_retry_attempts"] = int_in_range("MaximumRetryAttempts", max_retry_attempts,
                                                         *aws.MAX_RETRY_ATTEMPTS_RANGE)
        if maximum_event_age is not UNSET:
            staged["maximum_event_age"] = _event_age(maximum_event_age)
        staged.update(self._destinations(inv, on_success=on_success, on_failure=on_failure, dead_letter=dead_letter))
        if timeout is not UNSET:
            staged["timeout"] = _timeout(timeout, inv.timeout_limit)
        if memory_size is not UNSET:
            staged["memory_size"] = int_in_range("MemorySize", memory_size, 128, 10240)
        if reserved_concurrency is not UNSET:
            staged["reserved_concurrency"] = None if reserved_concurrency is None else \
                int_in_range("ReservedConcurrentExecutions", reserved_concurrency, 0, 1000)
        if recursive_loop is not UNSET:
            staged["recursive_loop"] = _recursive_loop(recursive_loop)
        for key, value in staged.items():
            setattr(self, key, value)
        return self

    def _destinations(self, inv: LambdaService, **roles: str | None) -> dict[str, aws.Destination | None]:
        """``configure``'s destinations, parsed in the order given (``None`` removes one)."""
        staged: dict[str, aws.Destination | None] = {}
        for role, value in roles.items():
            if value is UNSET:
                continue
            if value is None:
                staged[role] = None
                continue
            dest = aws.parse_destination(value, role=role, region=inv.region, account=inv.account)
            if dest.kind == "lambda" and dest.resource == self.name:  # CFG-6
                raise InvalidParameterValueException(aws.SELF_DESTINATION_MESSAGE)
            staged[role] = dest
        return staged

    def fail_next(self, n: int = 1, error: BaseException | None = None) -> LambdaFunction:
        """The next ``n`` attempts end in a function error without running the handler."""
        n = int_in_range("fail_next count", n, 0, 10_000)
        self.pending_failures.extend([error] * n)
        return self

    def throttle_next(self, n: int = 1, *, attempt: int | None = None) -> LambdaFunction:
        """The next ``n`` deliveries are throttled (429) and retried with back-off (RET-3).

        ``attempt=k``: only deliveries whose next attempt is attempt ``k`` (``k`` >= 2: a retry of
        a failed attempt, which comes that much later; RET-3, RET-4)."""
        n = int_in_range("throttle_next count", n, 0, 10_000)
        if attempt is None:
            self.pending_throttles += n
        elif n:
            k = int_in_range("throttle_next attempt", attempt, 1, 1 + aws.MAX_RETRY_ATTEMPTS_RANGE[1])
            self.attempt_throttles[k] = self.attempt_throttles.get(k, 0) + n
        return self

    def __repr__(self) -> str:
        return f"<LambdaFunction {self.name} retries={self.max_retry_attempts} age={self.maximum_event_age:g}s>"


class ExecutionEnvironment:
    """One execution environment of a function: busy while an attempt runs in it, and its own event loop,
    kept across the requests it serves until it is reset (PY-4)."""

    __slots__ = ("_clock", "_finalizer", "free_at", "loop", "running", "__weakref__")

    def __init__(self, clock: LoopClock, start: _dt.datetime) -> None:
        self._clock = clock
        self.loop: RuntimeEventLoop | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None
        self.free_at = start  # when its last attempt ended (played out in start order: Q-1)
        self.running = False  # an attempt runs in it now (a handler's sync invoke of its own function)

    def event_loop(self) -> RuntimeEventLoop:
        """The environment's event loop, kept across requests until a cold start (PY-4)."""
        loop = self.loop
        if loop is None or loop.is_closed():
            self.drop_loop()
            loop = self.loop = new_event_loop(self._clock)
            # An invoker nobody closed (no ``with``, no fixture) must not leave its loop's
            # self-pipe sockets to the garbage collector: they would warn in whichever test
            # runs next, far from the cause.
            self._finalizer = weakref.finalize(self, _close_loop, loop)
        return loop

    def drop_loop(self) -> None:
        """Close the environment's event loop (a cold start or the end of the test)."""
        loop, self.loop = self.loop, None
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        if loop is not None:
            _close_loop(loop)


class InjectedFunctionError(Exception):
    """The error ``fail_next`` makes an attempt end with."""


def int_in_range(what: str, value: Any, lo: float, hi: float) -> int:
    """A whole number in ``lo..hi`` (AWS's settings and our fault counts are integers: 1.5 is refused)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # e.g. a timedelta's total_seconds()
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise InvalidParameterValueException(_text.whole_number_out_of_range(what, value, lo, hi))
    return value


def _event_age(value: float | _dt.timedelta) -> float:
    """MaximumEventAgeInSeconds, in seconds or as a timedelta: a whole number of seconds in range."""
    age = value.total_seconds() if isinstance(value, _dt.timedelta) else value
    return float(int_in_range("MaximumEventAgeInSeconds", age, *aws.MAXIMUM_EVENT_AGE_RANGE))


def _timeout(value: Any, limit: float) -> float:
    """A function's timeout in seconds, up to the invoker's ``timeout_limit`` (PY-5)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not aws.TIMEOUT_MIN <= value <= limit:
        raise InvalidParameterValueException(_text.timeout_out_of_range(value, aws.TIMEOUT_MIN, limit))
    return float(value)


def _recursive_loop(value: aws.RecursiveLoop) -> aws.RecursiveLoop:
    """RecursiveLoop: Terminate or Allow (LOOP-3)."""
    if value not in aws.RECURSIVE_LOOP_VALUES:
        raise InvalidParameterValueException(_text.recursive_loop_invalid(value))
    return value



class _Home(Protocol):
    region: str
    account: str


class Registry:
    """The registered functions by name, and the FunctionName resolutions made so far (cleared when a
    function is registered, the only change that can alter one: no versions or aliases here)."""

    def __init__(self, home: _Home) -> None:
        self._home = home  # read at each resolution: the invoker's region and account may change
        self.functions: dict[str, LambdaFunction] = {}
        # (name as given, Qualifier, caller's region) -> (function, invoked ARN or None)
        self.routes: dict[tuple[str, str | None, str | None], tuple[LambdaFunction, str | None]] = {}

    def add(self, fn: LambdaFunction) -> None:
        self.functions[fn.name] = fn
        self.routes.clear()

    def resolve(self, function_name: str, qualifier: str | None,
                region: str | None) -> tuple[LambdaFunction, str | None]:
        """See ``LambdaService.resolve`` (INV-1, INV-5, INV-22, PY-3)."""
        key = (function_name, qualifier, region)
        try:
            hit = self.routes.get(key)
        except TypeError:  # an unhashable FunctionName: parse_function_name refuses it
            hit = None
        if hit is not None:
            return hit
        ref = aws.parse_function_name(function_name, qualifier)
        home = self._home
        here = region or home.region
        if ref.region is not None and ref.region != here:
            raise aws.region_unreachable(ref.region, here)
        account = ref.account or home.account
        fn = self.functions.get(ref.name)
        if fn is None or account != home.account or ref.qualifier not in (None, aws.LATEST):
            raise aws.function_not_found(ref.name, ref.qualifier, region=here, account=account)
        # PY-3: qualified only when the caller gave a qualifier; in the region the call was made to
        invoked = None if ref.qualifier is None and here == home.region else \
            aws.function_arn(fn.name, region=here, account=home.account, qualifier=ref.qualifier)
        hit = (fn, invoked)
        if len(self.routes) < 1024:
            self.routes[key] = hit
        return hit


def _close_loop(loop: RuntimeEventLoop) -> None:
    if not loop.is_running() and not loop.is_closed():
        loop.close()
    if loop.is_closed():
        forget(loop)  # the await check's wrappers cached on it: no cycle left to the garbage collector
