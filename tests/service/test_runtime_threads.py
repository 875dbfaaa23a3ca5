"""The runtime threads handlers run on: reused across invokers without sharing state, and stopped
when the test is interrupted while a handler spins."""

from __future__ import annotations

import threading
from contextvars import ContextVar
from typing import Any

import pytest

from pytest_lambda_async import LambdaInvoker

_LOCAL = threading.local()
_VAR: ContextVar[str] = ContextVar("handler_var", default="unset")


def test_a_parked_runtime_thread_serves_the_next_invoker_without_the_last_ones_thread_locals_or_context() -> None:
    """A closed invoker's thread is parked and leased by the next invoker (no thread start), never while
    another open invoker holds it, and what the last invoker's handlers left in its thread-locals and
    context variables is gone."""
    seen: list[tuple[threading.Thread, str, str]] = []

    def handler(event: Any, context: Any) -> None:
        seen.append((threading.current_thread(), getattr(_LOCAL, "who", "unset"), _VAR.get()))
        _LOCAL.who = event["who"]
        _VAR.set(event["who"])

    def play(inv: LambdaInvoker, who: str) -> None:
        if "w" not in inv.functions:
            inv.register("w", handler)
        inv.invoke("w", {"who": who}, invocation_type="Event")
        inv.run()

    a, b = LambdaInvoker(), LambdaInvoker()
    play(a, "a")
    play(a, "a again")
    play(b, "b")  # a is open: b gets a thread of its own
    a.close()
    c = LambdaInvoker()
    play(c, "c")
    b.close()
    c.close()
    (a_thread, *a_first), (_, *a_second), (b_thread, *b_first), (c_thread, *c_first) = seen
    assert a_second == ["a", "a"]  # within one invoker an environment keeps its state (PY-4)
    assert b_thread is not a_thread
    assert c_thread is a_thread  # parked by a.close(), leased by c
    assert a_first == b_first == c_first == ["unset", "unset"]


_OUTER = threading.local()


def test_a_thread_local_held_in_another_is_dropped_and_the_parked_thread_serves_the_next_invoker() -> None:
    """Dropping the outer local's values frees the inner local, which takes its own entry out of the
    thread's state as it goes: the parked thread's reset met a missing entry (KeyError), died, and the
    next invoker's first call, leased to it, waited forever.  Played on a thread so a hang fails."""
    payloads: list[Any] = []

    def handler(event: Any, context: Any) -> str:
        _OUTER.first = True  # the outer local's entry comes first in the thread's state
        inner = threading.local()
        inner.value = 1
        _OUTER.inner = inner  # the inner local lives only in the outer's values on this thread
        return "ok"

    def play() -> None:
        for _ in range(3):
            with LambdaInvoker() as inv:
                inv.register("w", handler)
                payloads.append(inv.invoke("w", {}).payload)

    player = threading.Thread(target=play, daemon=True)
    player.start()
    player.join(30)
    assert payloads == ["ok", "ok", "ok"]


def test_a_handler_spinning_when_pytest_timeout_interrupts_the_test_is_stopped(lpytester: pytest.Pytester) -> None:
    """pytest-timeout's signal method fails the test while a handler spins in pure Python: the runtime
    thread is stopped (not left burning CPU for the rest of the session), and the next test's invoker
    works."""
    lpytester.makepyfile(
        """
        import threading

        spinning = []

        def spin(event, context):
            spinning.append(threading.current_thread())
            while True:
                pass

        def test_spins(lambda_invoker):
            lambda_invoker.real_time_limit = 600.0
            lambda_invoker.register("spin", spin, timeout=900)
            lambda_invoker.invoke("spin", {}, invocation_type="Event")
            lambda_invoker.run()

        def test_the_thread_is_gone(lambda_invoker):
            [thread] = spinning
            thread.join(5)
            assert not thread.is_alive()
            lambda_invoker.register("ok", lambda event, context: "fine")
            assert lambda_invoker.invoke("ok", {}).payload == "fine"
        """
    )
    # The timer covers the test function only (not the fixture's set-up, slow on a loaded machine): the
    # timeout then lands while the handler spins, not before it started.
    result = lpytester.runpytest_subprocess("-p", "timeout", "--timeout=3", "--timeout-method=signal",
                                            "-o", "timeout_func_only=true", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(["*Timeout*"])


def test_a_runtime_thread_that_ended_while_parked_is_never_leased() -> None:
    """A parked thread that is no longer alive would take the next invoker's call and never answer it:
    lease skips it.  Pins an internal rule (RuntimeThread is not public)."""
    from pytest_lambda_async._service.threads import RuntimeThread

    runtime = RuntimeThread.lease()
    runtime.close()  # idle: parked
    runtime.end(wait=5)  # ends, still on the parked list
    assert not runtime.thread.is_alive()
    leased = RuntimeThread.lease()
    try:
        assert leased is not runtime
        assert leased.call(lambda: "served") == "served"
    finally:
        leased.close()
