"""Every invoker attempt runs the await check (issue 4 parts 4 and 5; semantics PY-4).

AWS freezes the environment when the handler returns (PY-4): unfinished work
either never happens or resumes during a later request. The invoker makes that
visible: ``await_check="error"`` turns such an attempt into an ``"unawaited"``
function error that retries like any other; ``freeze`` chooses whether the
leftovers are cancelled or resume during the next attempt in the environment.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from typing import Any

import pytest

from pytest_lambda_async import LambdaInvoker, UnawaitedWorkWarning

T0 = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
FAILED = "arn:aws:sqs:us-east-1:123456789012:failed"
sent: list[str] = []


async def send_email(to: str) -> None:
    await asyncio.sleep(1)
    sent.append(to)


def forgets_to_await(event: Any, context: Any) -> Any:
    async def main() -> str:
        send_email(event["to"])  # type: ignore[unused-coroutine]  # the bug: no await
        return "ok"

    return asyncio.run(main())


def awaits(event: Any, context: Any) -> Any:
    async def main() -> str:
        await send_email(event["to"])
        return "ok"

    return asyncio.run(main())


@pytest.fixture(autouse=True)
def _clear() -> None:
    sent.clear()


def test_a_leaking_attempt_is_unawaited_and_retried_like_a_function_error_RET_1() -> None:
    with LambdaInvoker(start=T0) as inv:
        inv.register("mailer", forgets_to_await, on_failure=FAILED)
        inv.invoke("mailer", {"to": "a@example.com"}, invocation_type="Event")
        made = inv.run()
        assert [a.outcome for a in made] == ["unawaited"] * 3
        assert made[0].function_error == "Unhandled"
        assert made[0].error is not None and "never awaited" in made[0].error and "send_email" in made[0].error
        [record] = inv.records(FAILED)
        assert record["requestContext"]["condition"] == "RetriesExhausted"
        assert record["responsePayload"]["errorType"] == "UnawaitedWork"
        assert "send_email" in record["responsePayload"]["errorMessage"]
        timeline = inv.timeline()
        assert "unawaited  returned before its work was done: never awaited coroutine send_email()" in timeline
        assert "| unfinished: never awaited" in timeline
        assert "test_invoker_await_check.py:" in timeline  # the line that made the coroutine
    assert sent == []


def test_a_correct_handler_succeeds_under_the_check() -> None:
    with LambdaInvoker(start=T0) as inv:
        inv.register("mailer", awaits)
        inv.invoke("mailer", {"to": "a@example.com"}, invocation_type="Event")
        assert [a.outcome for a in inv.run()] == ["success"]
    assert sent == ["a@example.com"]


def test_request_response_returns_the_unawaited_error_object_PY_8() -> None:
    with LambdaInvoker(start=T0) as inv:
        inv.register("mailer", forgets_to_await)
        result = inv.invoke("mailer", {"to": "a@example.com"})
        assert result.function_error == "Unhandled"
        assert result.payload["errorType"] == "UnawaitedWork"


def test_warn_keeps_the_outcome_and_warns_on_the_callers_thread() -> None:
    with LambdaInvoker(start=T0, await_check="warn") as inv:
        inv.register("mailer", forgets_to_await)
        inv.invoke("mailer", {"to": "a@example.com"}, invocation_type="Event")
        with pytest.warns(UnawaitedWorkWarning, match=r"mailer \(request .*\) returned before its work was done"):
            made = inv.run()
        assert [a.outcome for a in made] == ["success"]
        assert "| unfinished: never awaited" in inv.timeline()


def drops_a_task(event: Any, context: Any) -> Any:
    async def main() -> str:
        asyncio.get_running_loop().create_task(send_email(event["to"]))
        return "ok"  # asyncio.run cancels the task on the way out, silently

    return asyncio.run(main())


def test_off_runs_no_check() -> None:
    with LambdaInvoker(start=T0, await_check="off") as inv:
        inv.register("mailer", drops_a_task)
        inv.invoke("mailer", {"to": "a@example.com"}, invocation_type="Event")
        made = inv.run()
        assert [a.outcome for a in made] == ["success"]
        assert "unfinished" not in inv.timeline()


def test_a_handlers_own_error_stays_its_error_and_the_leaks_are_noted() -> None:
    def leaks_then_raises(event: Any, context: Any) -> Any:
        async def main() -> None:
            asyncio.get_running_loop().create_task(send_email("x"))
            raise KeyError("order_id")

        return asyncio.run(main())

    with LambdaInvoker(start=T0) as inv:
        inv.register("w", leaks_then_raises, max_retry_attempts=0)
        inv.invoke("w", {}, invocation_type="Event")
        [attempt] = inv.run()
        assert attempt.outcome == "error" and attempt.error is not None and "KeyError" in attempt.error
        assert "| unfinished: dropped task" in inv.timeline()


def test_an_alive_thread_is_reported_with_its_name() -> None:
    release = threading.Event()

    def starts_a_thread(event: Any, context: Any) -> None:
        threading.Thread(target=release.wait, name="uploader").start()

    try:
        with LambdaInvoker(start=T0) as inv:
            inv.register("w", starts_a_thread, max_retry_attempts=0)
            inv.invoke("w", {}, invocation_type="Event")
            [attempt] = inv.run()
            assert attempt.outcome == "unawaited"
            assert attempt.error is not None and "alive thread" in attempt.error and "uploader" in attempt.error
    finally:
        release.set()


def test_await_allow_names_deliberate_long_lived_work() -> None:
    release = threading.Event()

    def starts_a_keepalive(event: Any, context: Any) -> None:
        threading.Thread(target=release.wait, name="metrics-keepalive").start()

    try:
        with LambdaInvoker(start=T0, await_allow=["*keepalive*"]) as inv:
            inv.register("w", starts_a_keepalive, max_retry_attempts=0)
            inv.invoke("w", {}, invocation_type="Event")
            assert [a.outcome for a in inv.run()] == ["success"]
    finally:
        release.set()


def drops_a_callback(event: Any, context: Any) -> Any:
    async def main() -> str:
        asyncio.get_running_loop().call_later(0.5, sent.append, event["to"])
        return "ok"  # asyncio.run closes the loop with the callback still scheduled

    return asyncio.run(main())


def test_a_callback_dropped_by_asyncio_run_is_unawaited() -> None:
    with LambdaInvoker(start=T0) as inv:
        inv.register("mailer", drops_a_callback, max_retry_attempts=0)
        inv.invoke("mailer", {"to": "a@example.com"}, invocation_type="Event")
        [attempt] = inv.run()
        assert attempt.outcome == "unawaited"
        assert attempt.error is not None and "dropped callback call_later(0.5, list.append)" in attempt.error
        assert "test_invoker_await_check.py:" in inv.timeline()  # the line that scheduled it
        inv.advance(60)
    assert sent == []  # it never ran


def test_a_library_thread_busy_in_the_handlers_code_is_unawaited() -> None:
    import logging
    import logging.handlers
    import queue

    emitting, release = threading.Event(), threading.Event()

    class ShipsRecords(logging.Handler):  # the user's own handler, slow
        def emit(self, record: logging.LogRecord) -> None:
            emitting.set()
            release.wait(5)

    records: queue.Queue[logging.LogRecord] = queue.Queue()
    listener = logging.handlers.QueueListener(records, ShipsRecords())  # set up before any request
    listener.start()
    log = logging.getLogger("test_invoker_await_check.audit")
    log.addHandler(logging.handlers.QueueHandler(records))
    log.propagate = False

    def logs_and_returns(event: Any, context: Any) -> None:
        log.warning("order %s", event["order"])
        emitting.wait(2)  # the listener is inside emit when the handler returns

    try:
        with LambdaInvoker(start=T0) as inv:
            inv.register("w", logs_and_returns, max_retry_attempts=0)
            inv.invoke("w", {"order": 1}, invocation_type="Event")
            [attempt] = inv.run()
            assert attempt.outcome == "unawaited"
            assert attempt.error is not None and "busy thread" in attempt.error
            assert "running ShipsRecords.emit()" in attempt.error
    finally:
        release.set()
        listener.stop()
        log.handlers.clear()


def test_bad_freeze_and_allow_values_are_refused() -> None:
    with pytest.raises(ValueError, match="freeze must be one of cancel, resume"):
        LambdaInvoker(freeze="pause")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="await_allow must be"):
        LambdaInvoker(await_allow=[3])  # type: ignore[list-item]


# -- freeze semantics on a persistent loop (asyncio=True handlers; PY-4) -------------------
def _leaves_a_task(log: list[str]) -> Any:
    async def handler(event: Any, context: Any) -> str:
        async def follow_up(n: int) -> None:
            try:
                await asyncio.sleep(5)
                log.append(f"follow-up {n} done")
            finally:
                log.append(f"follow-up {n} ended")

        if event.get("leave"):
            asyncio.get_running_loop().create_task(follow_up(event["n"]), name=f"follow-up-{event['n']}")
            return "returned at once"
        await asyncio.sleep(10)  # long enough for a leftover to finish, were it resumed
        return "ok"

    return handler


def test_freeze_cancel_cancels_leftovers_so_they_never_run_later() -> None:
    log: list[str] = []
    with LambdaInvoker(start=T0, await_check="warn") as inv:
        inv.register("w", _leaves_a_task(log), asyncio=True, timeout=30)
        inv.invoke("w", {"leave": True, "n": 1}, invocation_type="Event")
        with pytest.warns(UnawaitedWorkWarning):
            inv.run()
        assert log == ["follow-up 1 ended"]  # cancelled: its finally ran, its work did not
        inv.invoke("w", {}, invocation_type="Event")
        inv.run()
        assert log == ["follow-up 1 ended"]
        assert "freeze=cancel: unfinished work cancelled" in inv.timeline()


def test_freeze_resume_shows_created_by_and_ran_during_PY_4() -> None:
    log: list[str] = []
    with LambdaInvoker(start=T0, await_check="warn", freeze="resume") as inv:
        inv.register("w", _leaves_a_task(log), asyncio=True, timeout=30)
        first = inv.invoke("w", {"leave": True, "n": 1}, invocation_type="Event")
        with pytest.warns(UnawaitedWorkWarning):
            inv.run()
        assert log == []  # frozen: nothing ran after the handler returned
        inv.advance(3600)
        assert log == []  # still frozen: no request, no CPU
        second = inv.invoke("w", {}, invocation_type="Event")
        inv.run()
        assert log == ["follow-up 1 done", "follow-up 1 ended"]  # resumed during the second request
        timeline = " ".join(inv.timeline().split())
        assert (f"resumed: task follow_up() named 'follow-up-1', created by request {first.request_id[:4]}.., "
                f"ran during request {second.request_id[:4]}.. (finished)") in timeline


def _leaves_a_callback(log: list[str]) -> Any:
    async def handler(event: Any, context: Any) -> str:
        if event.get("leave"):
            asyncio.get_running_loop().call_later(5, log.append, "callback ran")
            return "returned at once"
        await asyncio.sleep(10)  # long enough for the callback to fire, were it still scheduled
        return "ok"

    return handler


def test_freeze_cancel_cancels_a_pending_callback_so_it_never_runs_later() -> None:
    log: list[str] = []
    with LambdaInvoker(start=T0, await_check="warn") as inv:
        inv.register("w", _leaves_a_callback(log), asyncio=True, timeout=30)
        inv.invoke("w", {"leave": True}, invocation_type="Event")
        with pytest.warns(UnawaitedWorkWarning, match="pending callback"):
            inv.run()
        inv.invoke("w", {}, invocation_type="Event")
        inv.run()
        assert log == []
        assert "freeze=cancel: unfinished work cancelled" in inv.timeline()


def test_freeze_resume_lets_a_pending_callback_run_during_the_next_attempt() -> None:
    log: list[str] = []
    with LambdaInvoker(start=T0, await_check="warn", freeze="resume") as inv:
        inv.register("w", _leaves_a_callback(log), asyncio=True, timeout=30)
        first = inv.invoke("w", {"leave": True}, invocation_type="Event")
        with pytest.warns(UnawaitedWorkWarning, match="pending callback"):
            inv.run()
        assert "freeze=resume" in inv.timeline()  # kept to resume, as a task would be
        inv.advance(3600)
        assert log == []  # frozen: no request, no CPU
        second = inv.invoke("w", {}, invocation_type="Event")
        inv.run()
        assert log == ["callback ran"]  # the timer fired during the second request
        timeline = " ".join(inv.timeline().split())
        assert (f"resumed: call_later(5, list.append), created by request {first.request_id[:4]}.., "
                f"ran during request {second.request_id[:4]}.. (ran)") in timeline
        inv.invoke("w", {}, invocation_type="Event")
        inv.run()
        assert " ".join(inv.timeline().split()).count("resumed: call_later") == 1  # said once


def test_a_crash_drops_suspended_work_as_a_cold_start_PY_6() -> None:
    log: list[str] = []
    with LambdaInvoker(start=T0, await_check="warn", freeze="resume") as inv:
        # The second request sleeps 10 s, past the 3 s timeout: the environment is reset.
        inv.register("w", _leaves_a_task(log), asyncio=True, max_retry_attempts=0)
        inv.invoke("w", {"leave": True, "n": 1}, invocation_type="Event")
        with pytest.warns(UnawaitedWorkWarning):
            inv.run()
        inv.invoke("w", {}, invocation_type="Event")
        [attempt] = inv.run()
        assert attempt.outcome == "timeout"
        assert log == ["follow-up 1 ended"]  # cancelled with the environment, before its 5 s were up
        assert "work suspended by earlier requests was dropped" in inv.timeline()
        assert inv.function("w").environment == 1


def test_a_hung_attempt_gives_up_its_await_window_PY_6() -> None:
    """The window of an abandoned attempt is closed from the supervising thread: the
    process-wide hooks it installed are restored and the heap is unfrozen."""
    import gc

    original_start = threading.Thread.start
    release = threading.Event()

    def stuck(event: Any, context: Any) -> None:
        release.wait()

    try:
        with LambdaInvoker(start=T0, real_time_limit=0.1) as inv:
            inv.register("w", stuck, max_retry_attempts=0)
            inv.invoke("w", {}, invocation_type="Event")
            [attempt] = inv.run()
            assert attempt.outcome == "timeout"
            assert threading.Thread.start is original_start
            assert gc.get_freeze_count() == 0
    finally:
        release.set()
