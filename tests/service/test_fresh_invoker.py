"""What a fresh invoker sets up only when something uses it (issue 12, the cost of a fresh invoker),
and that what it defers still works when a handler does use it."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import warnings
from typing import Any

import pytest

from pytest_lambda_async import LambdaInvoker

_PROC_FDS = "/proc/self/fd"


def _open_sockets() -> set[str]:
    found = set()
    for fd in os.listdir(_PROC_FDS):
        try:
            target = os.readlink(os.path.join(_PROC_FDS, fd))
        except OSError:  # closed meanwhile (the listing's own descriptor)
            continue
        if target.startswith("socket:"):
            found.add(target)
    return found


@pytest.mark.skipif(not os.path.isdir(_PROC_FDS), reason="lists open descriptors through /proc")
def test_py_4_an_environment_whose_handler_never_uses_asyncio_opens_no_socket() -> None:
    """PY-4: every environment has its event loop (``asyncio.get_event_loop()`` gives it, kept across
    requests), but its self-pipe, a socket pair, is made only when the loop runs: a sync handler that
    never touches asyncio costs no sockets."""

    def handler(event: Any, context: Any) -> str:
        return "ok"

    before = _open_sockets()
    with LambdaInvoker() as inv:
        inv.register("w", handler)
        assert inv.invoke("w", {}).payload == "ok"
        inv.invoke("w", {}, invocation_type="Event")
        inv.run()
        assert _open_sockets() - before == set()


@pytest.mark.skipif(sys.version_info >= (3, 14), reason="asyncio.get_event_loop() makes no loop from 3.14")
def test_py_4_the_environment_loop_is_woken_from_another_thread_and_kept_across_requests() -> None:
    """PY-4: the environment's loop, its self-pipe made when it first runs, is woken by a thread's
    ``call_soon_threadsafe`` (a callback scheduled before it runs included) and is the same loop on the
    next request."""
    loops: list[asyncio.AbstractEventLoop] = []

    def handler(event: Any, context: Any) -> int:
        loop = asyncio.get_event_loop()
        loops.append(loop)
        early = loop.create_future()
        loop.call_soon_threadsafe(early.set_result, 1)  # before the loop runs: no pipe yet

        async def main() -> int:
            late = loop.create_future()
            waker = threading.Thread(target=loop.call_soon_threadsafe, args=(late.set_result, 2))
            waker.start()
            total = await early + await late
            waker.join()
            return total

        return loop.run_until_complete(main())

    with LambdaInvoker() as inv:
        inv.register("w", handler)
        assert inv.invoke("w", {}).payload == 3
        assert inv.invoke("w", {}).payload == 3
    assert len(loops) == 2 and loops[0] is loops[1] and loops[0].is_closed()


def test_the_await_checks_hooks_go_in_once_per_run_and_are_gone_after_it() -> None:
    """The await check's process-wide hooks (``Thread.start`` here) and its instrumentation of the
    environment's loop go in with the first attempt of a run and stay until the run ends (not in and out
    per attempt), then everything is as before: the original ``Thread.start``, the loop's own methods and
    the task factory the handler set."""
    original_start = threading.Thread.start
    seen: list[tuple[object, object, object]] = []

    def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        return asyncio.Task(coro, loop=loop, **kwargs)

    def handler(event: Any, context: Any) -> None:
        loop = asyncio.get_event_loop()
        seen.append((threading.Thread.start, loop.call_soon, loop.get_task_factory()))
        if len(seen) == 1:
            loop.set_task_factory(factory)
        raise ValueError("retry me")

    with LambdaInvoker() as inv:
        inv.register("w", handler, max_retry_attempts=2)
        inv.invoke("w", {}, invocation_type="Event")
        inv.run()
        assert len(seen) == 3
        assert seen[0][0] is seen[1][0] is seen[2][0] is not original_start  # one wrapper for the run
        assert seen[1][1] is seen[2][1]
        assert seen[0][2] is None and seen[1][2] is factory and seen[2][2] is factory
        loop = inv.function("w").environments[0].loop  # the one environment its sequential attempts ran in
        assert loop is not None
        assert threading.Thread.start is original_start
        assert "call_soon" not in vars(loop) and "set_task_factory" not in vars(loop)
        assert loop.get_task_factory() is factory


def test_py_8_the_stack_trace_lists_the_handlers_frames_outermost_first_within_sys_tracebacklimit(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """PY-8: the error object's stackTrace lists the handler's own frames (none of this package's),
    outermost first, each ``File "...", line N, in name`` with its source line; ``sys.tracebacklimit``
    keeps the outermost ones, as ``traceback.extract_tb`` does."""

    def inner() -> None:
        raise KeyError("order_id")

    def handler(event: Any, context: Any) -> None:
        inner()

    with LambdaInvoker() as inv:
        inv.register("w", handler)
        trace = inv.invoke("w", {}).payload["stackTrace"]
        assert [line.split(", in ")[1].split("\n")[0] for line in trace] == ["handler", "inner"]
        assert "inner()" in trace[0] and 'raise KeyError("order_id")' in trace[1]
        assert all(__file__ in line for line in trace)
        monkeypatch.setattr(sys, "tracebacklimit", 1, raising=False)
        assert [line.split(", in ")[1].split("\n")[0] for line in inv.invoke("w", {}).payload["stackTrace"]] == ["handler"]
        monkeypatch.setattr(sys, "tracebacklimit", -1)
        assert inv.invoke("w", {}).payload["stackTrace"] == []


def test_the_users_own_never_awaited_error_filter_outlives_the_await_check() -> None:
    """The await check turns "coroutine ... was never awaited" into an error while each attempt runs, then
    takes its filter out: a filter the test set to the same effect stays where it was."""
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=r"coroutine '.*' was never awaited", category=RuntimeWarning)
        before = list(warnings.filters)
        with LambdaInvoker() as inv:
            inv.register("w", lambda event, context: None)
            inv.invoke("w", {})
            inv.invoke("w", {}, invocation_type="Event")
            inv.run()
        assert warnings.filters == before


def test_a_closed_invokers_log_capture_leaves_loggings_handler_list_without_waiting_for_the_gc() -> None:
    """An invoker's log capture is a ``logging.Handler``; stdlib keeps a weak list of every live handler
    and each run walks it (to tee the stream handlers a handler's Powertools ``Logger`` made).  A closed
    invoker must drop its capture at once: waiting for a full collection let the list grow by one per
    test (a fresh invoker's run cost 0.82 -> 1.0 ms over 1,000 of them).  Pins an internal rule."""
    import gc
    import logging

    def captures() -> int:
        return sum(1 for ref in logging._handlerList if type(ref()).__name__ == "LogCapture")  # type: ignore[attr-defined]

    def failing(event: Any, context: Any) -> None:
        raise ValueError("boom")

    gc.collect()
    before = captures()
    gc.disable()  # what a long session sees between full collections
    try:
        for _ in range(5):
            inv = LambdaInvoker()
            inv.register("w", failing)
            inv.invoke("w", {}, invocation_type="Event")
            inv.run()
            inv.close()
        assert captures() == before
    finally:
        gc.enable()
