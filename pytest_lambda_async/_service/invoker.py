"""The in-memory Lambda service: the orchestrator of functions, the async queue, retries and
destinations.

Pure Python: no pytest, boto3, moto or Hypothesis here (the layer test guards it).  Every AWS rule it
applies comes from ``aws`` (one place per rule); this module only sequences them on the virtual
clock.  Settings are checked in ``settings``, requests in ``invoke_request`` and ``payloads``;
functions live in ``functions``, queued deliveries in ``delivery`` and ``scheduling`` (the queue, and
when an attempt starts), what happened in ``timeline``; an attempt's call is built in ``calls`` and
run through ``runtime`` on a thread of ``threads``.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import random
import warnings
import weakref
from collections.abc import Callable, Sequence
from typing import Any, ParamSpec, TypeVar

from .. import _text
from .._text import render_timeline
from ..errors import (
    LambdaServiceError,
    RecursiveInvocationException,
    RequestEntityTooLargeException,
    ResourceConflictException,
    UnawaitedWorkWarning,
)
from . import aws
from .clock import VirtualClock, real_monotonic
from .delivery import UNSET, Chain, Delivery
from .destinations import Backend, Delivered, MemorySinks
from .functions import Handler, LambdaFunction, Registry
from .payloads import accepted, check_client_context, check_json, check_tenant_id
from .freeze import AwaitCheck, Freeze, await_window, settle
from .routing import Router
from .calls import attempt_call, check_handler
from .invoke_request import check_options, request_body, request_id
from .lifecycle import Lifecycle
from .scheduling import Concurrency, EventQueue, first_due
from .settings import check_settings
from .timeline import Timeline
from .tracing import Tracing
from .records import (
    Attempt,
    Invoked,
    InvokeResult,
    LoopStopped,
    NotInvoked,
    TerminalOutcome,
    TimelineEntry,
    new_tuple,
)
from .runtime import (
    ClientContext, Execution, LambdaContext, client_context_object, execute, restore_trace_env, trace_env_now,
)
from .sources import Poller
from .window import RuntimeWindow


class LambdaService:
    """The in-memory AWS Lambda service with a virtual clock (public as ``LambdaInvoker``).

    Register handlers, invoke them as AWS would (``Event`` queues, retries,
    throttles, duplicates, destinations, DLQs) and play the queue out with
    :meth:`run`, which jumps the clock over delays instead of sleeping.  It
    knows nothing of boto3 or moto: destinations go to :attr:`backends`, the
    in-memory sinks last, after those :meth:`extra_backends` adds."""

    def __init__(
        self,
        *,
        seed: int = 0,
        duplicate_rate: float = 0.0,
        await_check: AwaitCheck = "error",
        start: _dt.datetime | None = None,
        region: str = aws.DEFAULT_REGION,
        account: str = aws.DEFAULT_ACCOUNT,
        async_payload_limit: int = aws.ASYNC_PAYLOAD_LIMIT,
        timeout_limit: float = aws.TIMEOUT_MAX,
        real_time_limit: float = 10.0,
        eventbridge_source: str = aws.EVENTBRIDGE_SOURCE,
        freeze: Freeze = "cancel",
        await_allow: Sequence[str] = (),
    ) -> None:
        await_allow = check_settings(seed=seed, duplicate_rate=duplicate_rate, await_check=await_check, freeze=freeze,
                                     await_allow=await_allow, async_payload_limit=async_payload_limit,
                                     timeout_limit=timeout_limit, real_time_limit=real_time_limit)
        self.seed, self.duplicate_rate, self.await_check, self.freeze = seed, float(duplicate_rate), await_check, freeze
        self.await_allow: tuple[str, ...] = tuple(await_allow)
        self._await_warnings: list[str] = []  # "warn" mode: raised on the caller's thread
        self.region, self.account, self.eventbridge_source = region, account, eventbridge_source
        self.async_payload_limit = async_payload_limit
        self.timeout_limit, self.real_time_limit = float(timeout_limit), float(real_time_limit)
        self._rng = random.Random(seed)
        self._clock = VirtualClock(start)
        self._assemble()

    def _assemble(self) -> None:
        """The service's state and the collaborators it owns, wired to each other (from ``__init__``)."""
        # Collaborators the service owns reach it back through weak references (``home``, ``_weakly``): a
        # strong one would make a reference cycle, and a closed, dropped invoker (its timeline, attempts,
        # environments and their loops) would wait for the next full collection, rare in a long session.
        home = weakref.proxy(self)
        self._registry = Registry(home)
        self._functions = self._registry.functions
        self._queue = EventQueue()
        self._history = Timeline(self._clock.read)
        self.attempts: list[Attempt] = self._history.attempts
        self._timeline: list[TimelineEntry] = self._history.entries
        self._log = self._history.log
        self._record_attempt = self._history.record_attempt
        self.outcomes: list[TerminalOutcome] = []
        self.sinks = MemorySinks()
        # Extra backends (moto) first: a target moto lacks fails the delivery before the in-memory copy is kept,
        # so records() holds what was delivered, with or without moto (DST-6, DLQ-6).
        self.backends: list[Backend] = [*self.extra_backends(), self.sinks]
        self.metrics: dict[str, int] = {}
        self._lock = self._queue.lock
        self._timeouts: dict[float, _dt.timedelta] = {}  # timeout seconds -> timedelta (one per attempt)
        self._tracing = Tracing()
        self._window = RuntimeWindow(self._clock, self._tracing)
        self._inflight = self._window.inflight
        self._router = Router(home, self._clock, self._functions, self.sinks, self.backends, self.metrics,
                              self.outcomes, self._log, _weakly(self._invoke_destination),
                              _weakly(self.new_request_id))
        self.pollers: list[Poller] = []  # event source mapping pollers (ESM-1), played out with the queue
        self._lifecycle = Lifecycle(self._clock, self._queue, Concurrency(self._functions), self._router,
                                    self._history, _weakly(self._attempt))

    def extra_backends(self) -> list[Backend]:
        """Where destination records go before the in-memory sinks (``LambdaInvoker`` adds moto)."""
        return []

    # -- lifecycle -------------------------------------------------------------
    def __enter__(self: _Self) -> _Self:
        """``with LambdaInvoker() as inv:`` closes the invoker when the block ends."""
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the runtime thread (the fixture calls this)."""
        for fn in self._functions.values():
            fn.drop_suspended()
            fn.drop_loops()
        self._window.close()

    # -- registry --------------------------------------------------------------
    def register(
        self,
        name: str,
        handler: Handler,
        *,
        max_retry_attempts: int = aws.DEFAULT_MAX_RETRY_ATTEMPTS,
        maximum_event_age: float | _dt.timedelta = aws.DEFAULT_MAXIMUM_EVENT_AGE,
        on_success: str | None = None,
        on_failure: str | None = None,
        dead_letter: str | None = None,
        timeout: float = aws.DEFAULT_TIMEOUT,
        memory_size: int = aws.DEFAULT_MEMORY_MB,
        reserved_concurrency: int | None = None,
        asyncio: bool = False,
    ) -> LambdaFunction:
        """Register ``handler`` (``def handler(event, context)``) under ``name``."""
        aws.check_function_name(name)
        if name in self._functions:
            raise ResourceConflictException(aws.function_exists_message(name))
        fn = LambdaFunction(self, name, handler, is_async=check_handler(name, handler, asyncio=asyncio))
        fn.configure(max_retry_attempts=max_retry_attempts, maximum_event_age=maximum_event_age,
                     on_success=on_success, on_failure=on_failure, dead_letter=dead_letter,
                     timeout=timeout, memory_size=memory_size, reserved_concurrency=reserved_concurrency)
        self._registry.add(fn)
        return fn

    def function(self, name: str) -> LambdaFunction:
        """The registered function called ``name`` (a name, name:qualifier or ARN)."""
        ref = aws.parse_function_name(name)
        fn = self._functions.get(ref.name)
        if fn is None:
            raise aws.function_not_found(ref.name, ref.qualifier, region=self.region, account=self.account)
        return fn

    @property
    def functions(self) -> dict[str, LambdaFunction]:
        return dict(self._functions)

    # -- the clock -------------------------------------------------------------
    @property
    def now(self) -> _dt.datetime:
        """The virtual time: a timezone-aware UTC datetime that only moves forward."""
        return self._clock.now

    @property
    def t0(self) -> _dt.datetime:
        return self._clock.t0

    # -- invoking ----------------------------------------------------------------
    def invoke(
        self,
        function_name: str,
        payload: Any = None,
        *,
        invocation_type: aws.InvocationType = "RequestResponse",
        qualifier: str | None = None,
        log_type: str = "None",
        client_context: str | None = None,
        tenant_id: str | None = None,
        duplicates: int = 0,
        _parent: str | None = None,
        _trace: str | None = None,
        _region: str | None = None,
    ) -> InvokeResult:
        """Invoke a function as the Invoke API does (INV-1..INV-24).

        ``payload`` is any JSON-serialisable value, or ``bytes``/``str`` taken
        as the raw request body.  ``Event`` queues the event (plus
        ``duplicates`` extra deliveries with the same request id) and answers
        202; ``RequestResponse`` runs it now; ``DryRun`` only validates (204).
        ``client_context`` (base64 JSON) reaches a sync attempt's ``context.client_context`` (INV-4);
        ``tenant_id`` becomes ``context.tenant_id`` for every attempt of the invocation (INV-7).
        ``_region`` is the region of the endpoint the call was made to (a boto3 client's), which an
        ARN must name; by default the invoker's own."""
        check_options(invocation_type, log_type, duplicates)
        fn, invoked = self.resolve(function_name, qualifier, _region)
        body, fresh = request_body(payload, invocation_type, self.async_payload_limit)
        decoded_context = None
        if client_context is not None:
            decoded_context = check_client_context(client_context)
        if tenant_id is not None:
            check_tenant_id(tenant_id)
        if invocation_type == "DryRun":
            return InvokeResult(204, self.new_request_id())
        chain: Chain | None = None
        parent_function = None
        if _trace is not None:
            chain, _parent, parent_function = self._tracing.traced_caller(_trace, _parent, self._inflight)
        if invocation_type == "Event":
            return accepted(self._enqueue(fn, body, duplicates=duplicates, parent=_parent,
                                           parent_function=parent_function, chain=chain, invoked=invoked,
                                           tenant_id=tenant_id))
        return self._invoke_sync(fn, body, fresh, log_type=log_type, parent=_parent, parent_function=parent_function,
                                 chain=chain, invoked=invoked, client_context=client_context_object(decoded_context),
                                 tenant_id=tenant_id)

    def resolve(self, function_name: str, qualifier: str | None,
                 region: str | None) -> tuple[LambdaFunction, str | None]:
        """The function a FunctionName (and Qualifier) names, called through an endpoint of ``region``
        (None: the invoker's), and the ARN its context shows as invoked if not its own (INV-1, INV-5,
        INV-22, PY-3).  Resolutions are cached until a function is registered."""
        return self._registry.resolve(function_name, qualifier, region)

    def accept_routed_event(self, function_name: str, qualifier: str | None, body: bytes | str,
                      trace: str | None, region: str | None) -> str:
        """An ``Event`` invoke from a boto3 client (``_botocore``'s short path): the request id.

        botocore has already validated the parameters against the service model, so only what the
        service itself checks is checked here, in ``invoke``'s order: the function (INV-22), the
        payload size (INV-18, INV-21) and that the body is JSON (INV-20)."""
        hit = self._registry.routes.get((function_name, qualifier, region))  # botocore: FunctionName is a str
        fn, invoked = hit if hit is not None else self.resolve(function_name, qualifier, region)
        size = len(body) if isinstance(body, bytes) or body.isascii() else len(body.encode("utf-8"))
        if size > self.async_payload_limit:
            raise RequestEntityTooLargeException(aws.async_payload_too_large_message(size, self.async_payload_limit))
        check_json(body)
        if trace is None:
            return self._enqueue(fn, body, invoked=invoked)
        chain, parent, parent_function = self._tracing.traced_caller(trace, None, self._inflight)
        return self._enqueue(fn, body, parent=parent, parent_function=parent_function, chain=chain, invoked=invoked)

    def _enqueue(self, fn: LambdaFunction, body: bytes | str, *, duplicates: int = 0,
                 parent: str | None = None, parent_function: str | None = None,
                 chain: Chain | None = None, invoked: str | None = None, tenant_id: str | None = None,
                 source: str | None = None) -> str:
        """Queue an event (INV-11): its request id."""
        with self._lock:
            request_id = self.new_request_id()
            now = self._clock.now
            root, lineage, stopped = self._tracing.child_lineage(fn, chain) if chain is not None else _NO_CHAIN
            if stopped:  # LOOP-3: accepted, then dropped to the DLQ / on-failure destination
                self._count_recursion(fn, request_id, "Event", parent, parent_function, source)
                d = Delivery(request_id, fn, body, now, duplicate=False, parent=parent,
                              parent_function=parent_function, trace_root=root, lineage=lineage,
                              invoked_arn=invoked, tenant_id=tenant_id, loop_stopped=True)
                self._router.fail(d, "RetriesExhausted")  # no attempt ran: no response parts (REC-8)
                return request_id
            extra = duplicates
            if self.duplicate_rate and self._rng.random() < self.duplicate_rate:
                extra += 1  # at-least-once, even without errors
            invoked_detail = _PLAIN_EVENT if not extra and parent is None and parent_function is None \
                and source is None else new_tuple(Invoked, ("Event", extra, parent, parent_function, source))
            self._history.place(new_tuple(TimelineEntry, (now, "invoke", fn.name, request_id, invoked_detail, ())))
            for copy in range(1 + extra):
                # positional, in field order (one per queued event): request_id, function, body, enqueued_at,
                # duplicate, parent, function_errors, throttles, attempts, last, parent_function, trace_root,
                # lineage, trace_header, invoked_arn, fresh, client_context (sync only: INV-4), tenant_id
                self._queue.push(now, Delivery(request_id, fn, body, now, copy > 0, parent, 0, 0, 0, None,
                                          parent_function, root, lineage, None, invoked, UNSET, None, tenant_id))
            return request_id

    def _count_recursion(self, fn: LambdaFunction, request_id: str, invocation_type: aws.InvocationType,
                         parent: str | None, parent_function: str | None, source: str | None = None) -> None:
        metric = aws.RECURSIVE_LOOP_METRIC
        self.metrics[metric] = self.metrics.get(metric, 0) + 1
        self._log(self._clock.now, "loop", fn.name, request_id,
                  LoopStopped(invocation_type, aws.RECURSION_LIMIT, metric, parent, parent_function, source))

    def _invoke_sync(self, fn: LambdaFunction, body: bytes | str, fresh: Any, *, log_type: str, parent: str | None,
                     parent_function: str | None = None,
                     chain: Chain | None = None, invoked: str | None = None,
                     client_context: ClientContext | None = None, tenant_id: str | None = None,
                     source: str | None = None) -> InvokeResult:
        request_id = self.new_request_id()
        now = self._clock.now
        root, lineage, stopped = self._tracing.child_lineage(fn, chain)
        if stopped:  # LOOP-3: sync callers get the error
            self._count_recursion(fn, request_id, "RequestResponse", parent, parent_function, source)
            raise RecursiveInvocationException(aws.recursion_stopped_message(fn.name))
        inflight = self._inflight
        self._lifecycle.throttle_sync(fn, request_id, now, [entry[0].function for entry in inflight] if inflight else ())
        self._log(now, "invoke", fn.name, request_id, Invoked("RequestResponse", 0, parent, parent_function, source))
        delivery = Delivery(request_id, fn, body, now, duplicate=False, parent=parent,
                             parent_function=parent_function, trace_root=root, lineage=lineage, fresh=fresh,
                             invoked_arn=invoked, client_context=client_context, tenant_id=tenant_id)
        execution = self.run_in_runtime(lambda: self._attempt(delivery, "RequestResponse"))
        self._lifecycle.concurrency.occupied_sync(fn, now, self._clock.now)  # INV-23: it held an environment
        log_result = None
        if log_type == "Tail":
            tail = ("\n".join(execution.logs) + "\n").encode("utf-8")[-aws.LOG_TAIL_BYTES:]
            log_result = base64.b64encode(tail).decode("ascii")
        return InvokeResult(200, request_id, execution.payload, execution.function_error, aws.LATEST, log_result)

    # -- events from AWS event sources (the adapters' hooks into moto) ---------------
    def accept_source_event(self, function_name: str, event: Any, *, source: str,
                            region: str | None = None, synchronous: bool = False,
                            trace: str | None = None) -> InvokeResult | None:
        """An event an AWS event source sends (the adapters' hooks into moto), shown as ``from <source>``.

        S3, SNS and EventBridge invoke with ``Event`` (SRC-1..SRC-3); an event source mapping invokes
        ``synchronous``-ly with a batch (ESM-1).  ``trace`` is the X-Ray header the source passes on (LOOP-2).
        A function the source names but that is not registered (or an ARN of another region or account) is
        not invoked: the timeline says why, and the answer is None."""
        try:
            fn, invoked = self.resolve(function_name, None, region)
        except LambdaServiceError as exc:
            self.refuse_source_event(function_name, source=source, code=exc.code, message=exc.message)
            return None
        chain, parent, parent_function = self._tracing.traced_caller(trace, None, self._inflight) if trace else (None, None, None)
        body = json.dumps(event)
        if not synchronous:
            return accepted(self._enqueue(fn, body, parent=parent, parent_function=parent_function, chain=chain,
                                          invoked=invoked, source=source))
        return self._invoke_sync(fn, body, UNSET, log_type="None", parent=parent, parent_function=parent_function,
                                 chain=chain, invoked=invoked, source=source)

    def refuse_source_event(self, function_name: str, *, source: str, code: str, message: str,
                            fate: str = "") -> None:
        """Show in the timeline that an event source's event did not reach ``function_name``, why, and its fate."""
        try:
            name = aws.parse_function_name(function_name).name
        except LambdaServiceError:
            name = function_name
        self._log(self._clock.now, "invoke", name, "", NotInvoked(source, function_name, code, message, fate))

    def poll_due(self, until: _dt.datetime | None) -> bool:
        """Let the poller due first work, if it is due no later than the queue's next delivery and ``until``
        (moving the clock to its time): True if one did.  ``run()`` and ``advance()`` call it between
        deliveries, on the runtime thread."""
        first = first_due(self.pollers)
        head = self._queue.head()
        if first is None or (head is not None and first[0] > head) or (until is not None and first[0] > until):
            return False
        if first[0] > self._clock.now:
            self._clock.advance_to(first[0])
        first[1].poll()
        return True

    # -- playing the queue out --------------------------------------------------
    def run(self, *, max_attempts: int = 100_000) -> list[Attempt]:
        """Deliver everything queued, jumping the clock over delays, until the queue is empty.

        Returns the attempts made by this call."""
        return self._drain(until=None, max_attempts=max_attempts)

    def advance(self, seconds: float | _dt.timedelta) -> list[Attempt]:
        """Move the clock forward by ``seconds``, delivering what falls due on the way."""
        delta = seconds if isinstance(seconds, _dt.timedelta) else _dt.timedelta(seconds=seconds)
        if delta < _dt.timedelta(0):
            raise ValueError(f"advance() takes a duration >= 0, got {seconds!r}: the virtual clock only moves forward")
        until = self._clock.now + delta
        made = self._drain(until=until, max_attempts=100_000)
        self._clock.advance_to(max(until, self._clock.now))
        return made

    @property
    def pending(self) -> int:
        """Deliveries still queued (including retries scheduled for later)."""
        return len(self._queue)

    def _drain(self, *, until: _dt.datetime | None, max_attempts: int) -> list[Attempt]:
        self._window.refuse_off_thread_while_running("run" if until is None else "advance")
        first = len(self.attempts)
        if not self._queue and not self.pollers:
            return []

        def loop() -> None:
            self._lifecycle.play(until, max_attempts, nested=nested,
                                 poll_due=self.poll_due if self.pollers else _NOTHING_DUE)

        nested = bool(self._inflight)
        try:
            self.run_in_runtime(loop)
        finally:
            if not nested:
                self._clock.settle()
        return self.attempts[first:]

    def run_in_runtime(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` on the runtime thread with freezegun on the virtual clock.

        If a handler hangs past its real-time limit, the thread is abandoned,
        the attempts it was in are recorded as timeouts (PY-6), and draining
        goes on on a fresh thread: one stuck handler never hangs the test run."""
        try:
            return self._window.run(fn, self._abandon_inflight)
        finally:
            if self._await_warnings:
                self._flush_await_warnings()

    def _abandon_inflight(self) -> Execution | None:
        """Record the attempts a hung thread was in as timeouts; route the Event ones."""
        outermost: Execution | None = None
        for d, invocation_type, start, execution in self._window.abandon(self.real_time_limit):
            self._finish_attempt(d, invocation_type, start, execution)
            if invocation_type == "Event":
                self._lifecycle.after_attempt(d, execution)
                outermost = None
            else:
                outermost = execution
        return outermost

    def _attempt(self, d: Delivery, invocation_type: aws.InvocationType) -> Execution:
        """One handler run on the runtime thread (the caller is already there)."""
        fn = d.function
        d.attempts += 1
        start = self._clock.now
        d.timeline_position = self._history.position(start)  # its line goes here, before what it invoked
        cold = fn.log_stream is None or fn.log_stream[0] != fn.environment  # a new environment's first attempt
        context, deadline = self._context_for(d, start)
        event = d.take_event()
        injected = fn.pending_failures.pop(0) if fn.pending_failures else UNSET
        env = d.environment = fn.acquire_environment(start, self._clock)  # one per concurrent attempt
        call = attempt_call(fn, event, context, injected, env.event_loop)
        window = None
        if self.await_check != "off" and injected is UNSET:
            window = await_window(fn, self.await_allow, env.event_loop)
        runtime = self._window.thread
        if runtime is not None:
            runtime.real_deadline = real_monotonic() + min(fn.timeout, self.real_time_limit)
        # A nested (sync) attempt puts the caller's trace back when it ends; the outermost one's
        # stays until the drain ends (run_in_runtime), which saves two environ writes per attempt.
        outer_env = trace_env_now() if self._inflight else None
        self._tracing.set_trace_env(d)
        self._inflight.append((d, invocation_type, start, window))
        try:
            execution = execute(call, clock=self._clock, capture=self._window.capture, request_id=d.request_id,
                                timeout=fn.timeout, deadline=deadline, window=window,
                                memory_size=fn.memory_size, cold=cold)
        finally:
            if outer_env is not None:
                restore_trace_env(outer_env)
                self._tracing.env_function = outer_env[1]
            if runtime is not None:
                runtime.real_deadline = None
        if runtime is not None and runtime.abandoned:
            return execution  # too late: the supervisor already recorded this attempt as a timeout
        self._inflight.pop()
        notes: list[str] = []
        if window is not None:
            execution, notes, warning = settle(fn, d.request_id, execution, window, await_check=self.await_check,
                                               freeze=self.freeze, loop=env.loop)
            if warning is not None:
                self._await_warnings.append(warning)
        self._finish_attempt(d, invocation_type, start, execution, notes)
        return execution

    def _context_for(self, d: Delivery, start: _dt.datetime) -> tuple[LambdaContext, _dt.datetime]:
        """The attempt's context (PY-3) and its deadline."""
        fn = d.function
        timeout = self._timeouts.get(fn.timeout)
        if timeout is None:
            timeout = self._timeouts[fn.timeout] = _dt.timedelta(seconds=fn.timeout)
        deadline = start + timeout
        context = LambdaContext.for_attempt(
            function_name=fn.name, invoked_function_arn=d.invoked_arn or fn.arn, memory_limit_in_mb=str(fn.memory_size),
            aws_request_id=d.request_id, deadline=deadline, now=self._clock.read,
            log_stream_name=fn.log_stream_name(start),
            log_sink=self._context_log, client_context=d.client_context, tenant_id=d.tenant_id,
        )
        return context, deadline

    def _flush_await_warnings(self) -> None:
        """Raise "warn"-mode findings on the caller's thread, where pytest records warnings."""
        found, self._await_warnings = self._await_warnings, []
        for text in found:
            warnings.warn(UnawaitedWorkWarning(text), stacklevel=3)

    def _finish_attempt(self, d: Delivery, invocation_type: aws.InvocationType, start: _dt.datetime,
                        execution: Execution, notes: Sequence[str] = ()) -> None:
        fn = d.function
        if execution.outcome == "timeout":  # the attempt lasted its whole timeout
            end = start + _dt.timedelta(seconds=fn.timeout)
            if end > self._clock.now:
                self._clock.advance_to(end)
        if execution.crashed:
            fn.environment += 1  # PY-6/PY-7: the environment is reset; leftovers are gone
            if fn.drop_suspended():
                notes = [*notes, _text.FREEZE_NOTES["reset"]]
        env = d.environment
        if env is not None:  # the environment is free again (or discarded with its loop, after a crash)
            d.environment = None
            fn.release_environment(env, self._clock.now, reset=execution.crashed)
        d.last = execution
        self._record_attempt(fn, d.request_id, execution.outcome, execution.error, duplicate=d.duplicate,
                             invocation_type=invocation_type, execution=execution, at=start, notes=notes,
                             position=d.timeline_position)

    def _context_log(self, msg: str) -> None:
        capture = self._window.capture
        if capture is not None and capture.lines is not None:
            capture.lines.append(msg)

    def _invoke_destination(self, target: LambdaFunction, d: Delivery, record: Any) -> None:
        """DST-3: a Lambda destination gets the record as an async invocation, along the chain (DST-7),
        so loop detection (LOOP-1) counts it even when no attempt of ``d`` ran (reserved concurrency 0)."""
        root = d.trace_root or aws.trace_ids(d.request_id)[0]
        self._enqueue(target, json.dumps(record), parent=d.request_id, parent_function=d.function.name,
                      chain=(root, None, d.lineage or {self._tracing.lineage_key(d.function): 1}))

    # -- reading results -------------------------------------------------------------
    def records(self, target: str) -> list[Any]:
        """JSON payloads delivered to a destination or DLQ, oldest first.

        ``target`` is the ARN (or registered function name) as configured.  A
        destination gets invocation records (REC-1..REC-8); a DLQ gets the
        original events (DLQ-3).  Under ``moto.mock_aws`` a delivery also goes
        into moto, and one that moto refuses (no such queue, topic, bus or
        bucket) is counted as failed and is not listed here."""
        return [json.loads(json.dumps(m.body)) for m in self.deliveries(target)]

    def deliveries(self, target: str) -> list[Delivered]:
        """Everything delivered to ``target``, with attributes, envelopes and S3 keys."""
        found = self.sinks.by_target.get(target)
        if found is None and not target.startswith("arn:"):
            found = self.sinks.by_target.get(aws.function_arn(target, region=self.region, account=self.account))
            if found is None:
                found = self.sinks.by_target.get(target)
        return list(found or [])

    def timeline(self) -> str:
        """Human-readable text of what the service did, when (used in failure reports)."""
        return render_timeline(self._timeline, t0=self.t0, seed=self.seed, pending=self.pending, metrics=self.metrics)

    @property
    def timeline_entries(self) -> list[TimelineEntry]:
        return list(self._timeline)

    @property
    def timeline_length(self) -> int:
        """How many entries the timeline has (a mark for :meth:`timeline_since`)."""
        return len(self._timeline)

    def timeline_since(self, mark: int) -> list[TimelineEntry]:
        """The entries added after ``mark`` (a :attr:`timeline_length` read earlier)."""
        return self._timeline[mark:]

    def withdraw(self, request_ids: set[str]) -> None:
        """Take the queued deliveries of these request ids back out of the queue and the timeline.

        For events a check's own run queued on a test's invoker: left queued, the test's
        ``run()`` would deliver them."""
        with self._lock:
            self._queue.withdraw(request_ids)
            self._history.withdraw(request_ids)

    # -- internals -------------------------------------------------------------------
    def new_request_id(self) -> str:
        """A request id: a UUID4 from the invoker's seeded random numbers (the same seed, the same ids)."""
        return request_id(self._rng)


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _weakly(method: Callable[_P, _R]) -> Callable[_P, _R]:
    """``method``, bound to the service, called through a weak reference to it: what a collaborator the
    service owns keeps, so that the two make no reference cycle.  The service calls its collaborators, so
    it is alive whenever they call back."""
    func: Callable[..., _R] = method.__func__  # type: ignore[attr-defined]
    service = weakref.ref(method.__self__)  # type: ignore[attr-defined]

    def call(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        return func(service(), *args, **kwargs)

    return call


_NO_CHAIN: tuple[None, None, bool] = (None, None, False)
_NOTHING_DUE: Callable[[_dt.datetime | None], bool] = lambda until: False  # no pollers
_PLAIN_EVENT = Invoked("Event")  # the detail most queued events share (immutable: one object for all)
_Self = TypeVar("_Self", bound="LambdaService")


