"""assert_awaits_all and AwaitWindow, driven by the handler catalogue.

Each buggy handler in ``handlers_catalogue`` marks the line that starts each
piece of unfinished work with ``# LEAK: <kind>``; the check must report exactly
those kinds at exactly those lines.  Correct handlers must never be flagged.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import inspect
import os
import re
import sys
import threading
import warnings
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import handlers_catalogue as cat
import pytest

from pytest_lambda_async import UnawaitedWorkError, assert_awaits_all
from pytest_lambda_async._service.clock import real_monotonic
from pytest_lambda_async import AwaitWindow, Leak, find_leaks

EVENT = {"to": "alice", "order": 7}
CATALOGUE_FILE = Path(cat.__file__).name
_MARKER = re.compile(r"# LEAK(?:\[(\w+)\])?: ([a-z ]+?)(?: x(\d+))?\s*$")


def _markers() -> dict[str | None, list[tuple[int, str, int]]]:
    """Every ``# LEAK`` marker in the catalogue: {explicit owner or None: [(line, kind, count)]}."""
    found: dict[str | None, list[tuple[int, str, int]]] = {}
    for number, text in enumerate(Path(cat.__file__).read_text().splitlines(), start=1):
        match = _MARKER.search(text)
        if match:
            owner, kind, count = match.group(1), match.group(2), int(match.group(3) or 1)
            found.setdefault(owner, []).append((number, kind, count))
    return found


MARKERS = _markers()


def expected_leaks(handler: Any) -> Counter[tuple[str, int]]:
    """(kind, line) pairs a handler must be reported with, read from its ``# LEAK`` markers."""
    lines, first = inspect.getsourcelines(handler)
    last = first + len(lines) - 1
    expected: Counter[tuple[str, int]] = Counter()
    for line, kind, count in MARKERS.get(None, []):
        if first <= line <= last:
            expected[(kind, line)] += count
    for line, kind, count in MARKERS.get(handler.__name__, []):
        expected[(kind, line)] += count
    return expected


def reported(leaks: list[Leak]) -> Counter[tuple[str, int]]:
    counts: Counter[tuple[str, int]] = Counter()
    for leak in leaks:
        file, _, line = leak.where.rpartition(":")
        assert Path(file).name == CATALOGUE_FILE, f"{leak} points outside the catalogue"
        counts[(leak.kind, int(line))] += 1
    return counts


def _case_params(cases: list[cat.Case]) -> list[Any]:
    return [
        pytest.param(case.handler, id=case.name, marks=pytest.mark.skipif(
            not case.supported, reason=f"applies to Python {case.since} <= version < {case.until}"))
        for case in cases
    ]


@pytest.fixture(autouse=True)
def _release_leftovers() -> Iterator[None]:
    """Let work a leaky handler left behind finish, so no test sees another's threads."""
    before = set(threading.enumerate())
    cat.STOP.clear()
    yield
    cat.STOP.set()
    cat.stop_listeners()
    for thread in set(threading.enumerate()) - before:
        if isinstance(thread, threading.Timer):
            thread.cancel()
        if not thread.name.startswith("catalogue-pool"):
            thread.join(5)
    for coro in cat.KEPT:
        coro.close()
    cat.KEPT.clear()


# -- the catalogue ------------------------------------------------------------------------
def test_catalogue_size() -> None:
    assert len(cat.BUGGY) >= 20
    assert len(cat.CORRECT) >= 12
    for case in cat.BUGGY:
        assert expected_leaks(case.handler), f"{case.name} has no # LEAK marker"
    for case in cat.CORRECT:
        assert not expected_leaks(case.handler), f"{case.name} is correct but has a # LEAK marker"


@pytest.mark.parametrize("handler", _case_params(cat.BUGGY))
def test_buggy_handler_is_caught_at_the_right_line(handler: Any) -> None:
    with pytest.raises(UnawaitedWorkError) as info:
        assert_awaits_all(handler, EVENT)
    leaks = find_leaks(handler, EVENT)
    assert reported(leaks) == expected_leaks(handler)
    message = str(info.value)
    for leak in leaks:
        assert f"{leak.kind}  " in message and leak.where in message


@pytest.mark.parametrize("handler", _case_params(cat.CORRECT))
def test_correct_handler_is_not_flagged(handler: Any) -> None:
    assert_awaits_all(handler, EVENT)
    assert find_leaks(handler, EVENT, strict=True) == []


@pytest.mark.parametrize("handler", _case_params(cat.BUGGY))
def test_buggy_handler_is_caught_every_time(handler: Any) -> None:
    # Under default warning filters a call site warns only once; the check must not.
    first = reported(find_leaks(handler, EVENT))
    assert first, "the first run must report the bug (an empty report would make the comparison vacuous)"
    cat.STOP.set()
    cat.STOP.clear()
    assert reported(find_leaks(handler, EVENT)) == first


# -- the message ------------------------------------------------------------------------------
def test_message_layout_for_one_leak() -> None:
    line = next(iter(expected_leaks(cat.s_returns_coroutine_in_body)))[1]
    with pytest.raises(UnawaitedWorkError) as info:
        assert_awaits_all(cat.s_returns_coroutine_in_body, {"Records": [{"body": "x" * 500}]})
    lines = str(info.value).splitlines()
    where = f"{os.path.relpath(cat.__file__).replace(os.sep, '/')}:{line}"
    assert lines[0] == (
        f"{cat.__name__}.s_returns_coroutine_in_body returned before its work was done: 1 unfinished"
    )
    assert lines[1] == "Leaks:"
    assert lines[2] == f"  returned awaitable  coroutine send_email() at result['body'][0]  {where}"
    assert lines[3].startswith('Event: {"Records": [{"body": "xxxx')
    assert re.search(r"… \(\d+ chars\)$", lines[3]) and len(lines[3]) < 340
    assert lines[4] == "Hint:"
    assert lines[5].startswith("  returned awaitable: AWS fails this invocation with "
                               '"Runtime.MarshalError: Unable to marshal response: '
                               'Object of type coroutine is not JSON serializable"')
    assert lines[6] == ("  deliberate long-lived work? name it in allow=[...] (see "
                        "https://github.com/pytest-lambda-async/pytest-lambda-async/tree/main/docs/how-to/await-checks.md)")
    assert len(lines) == 7


def test_message_for_async_handler_says_aws_never_awaits_it() -> None:
    with pytest.raises(UnawaitedWorkError) as info:
        assert_awaits_all(cat.a_create_task_forgotten, EVENT)
    text = str(info.value)
    assert "1 unfinished" in text
    assert "pending task  task slow()" in text
    assert "AWS's Python runtime never awaits it" in text
    assert "return asyncio.run(main(event, context))" in text


def test_message_lists_every_leak_in_order_and_is_deterministic() -> None:
    messages = set()
    for _ in range(3):
        with pytest.raises(UnawaitedWorkError) as info:
            assert_awaits_all(cat.s_asyncio_run_drops_gather, EVENT)
        messages.add(str(info.value))
        cat.STOP.set()
        cat.STOP.clear()
    assert len(messages) == 1
    (text,) = messages
    assert "2 unfinished" in text
    assert text.count("dropped task  task send_email()") == 2


def test_message_is_bounded() -> None:
    from pytest_lambda_async._text import render_message

    leaks = [Leak("pending task", f"task t{i}()", f"app.py:{i}") for i in range(50)]
    text = render_message("app.handler", leaks, {"k": "v" * 10_000})
    assert len(text.splitlines()) < 35
    assert "  … 30 more" in text
    assert len(text) < 4000


# -- environments: running loop, freezegun ----------------------------------------------------
@pytest.mark.asyncio
async def test_works_inside_a_running_event_loop() -> None:
    assert asyncio.get_running_loop().is_running()
    assert_awaits_all(cat.ok_sync_asyncio_run, EVENT)
    assert_awaits_all(cat.ok_gather_awaited, EVENT)
    with pytest.raises(UnawaitedWorkError, match="dropped task"):
        assert_awaits_all(cat.s_asyncio_run_drops_task, EVENT)
    with pytest.raises(UnawaitedWorkError, match="pending task"):
        assert_awaits_all(cat.a_create_task_forgotten, EVENT)


def test_works_under_freezegun() -> None:
    from freezegun import freeze_time

    start = real_monotonic()
    with freeze_time("2024-01-01T00:00:00Z"):
        assert_awaits_all(cat.ok_wait_for_timeout, EVENT)  # a real 10 ms timeout: must not hang

        def sync_with_sleep(event: Any, context: Any) -> None:
            async def main() -> None:
                await asyncio.sleep(0.01)
                try:
                    await asyncio.wait_for(cat.slow(), 0.01)
                except asyncio.TimeoutError:
                    pass

            asyncio.run(main())

        assert_awaits_all(sync_with_sleep, EVENT)
        assert_awaits_all(cat.ok_sync_asyncio_run, EVENT)
        with pytest.raises(UnawaitedWorkError, match="never awaited"):
            assert_awaits_all(cat.s_asyncio_run_coroutine_not_awaited, EVENT)
        with pytest.raises(UnawaitedWorkError, match="pending task"):
            assert_awaits_all(cat.a_wait_for_shield_times_out, EVENT)
    assert real_monotonic() - start < 5


# -- exceptions, allow-list, strict -------------------------------------------------------------
def test_handler_exception_propagates_unchanged() -> None:
    def failing(event: Any, context: Any) -> None:
        raise KeyError("order_id")

    with pytest.raises(KeyError, match="order_id"):
        assert_awaits_all(failing, EVENT)


def test_handler_exception_wins_over_leaks_and_carries_them_as_a_note() -> None:
    async def leaks_then_fails(event: Any, context: Any) -> None:
        asyncio.create_task(cat.slow())
        raise ValueError("bad order")

    with pytest.raises(ValueError, match="bad order") as info:
        assert_awaits_all(leaks_then_fails, EVENT)
    if sys.version_info >= (3, 11):
        (note,) = info.value.__notes__
        assert "also left 1 unfinished" in note and "pending task" in note


def test_allow_list_suppresses_by_qualname_thread_name_and_pattern() -> None:
    with pytest.raises(UnawaitedWorkError):
        assert_awaits_all(cat.a_create_task_forgotten, EVENT)
    assert_awaits_all(cat.a_create_task_forgotten, EVENT, allow=["slow"])
    assert_awaits_all(cat.a_method_not_awaited, EVENT, allow=["Mailer.*"])
    assert_awaits_all(cat.a_coroutine_not_awaited, EVENT, allow=[f"{cat.__name__}.send_*"])
    assert_awaits_all(cat.s_thread_not_joined, EVENT, allow=["metrics-flush"])
    # An allow-list entry covers only what it names.
    with pytest.raises(UnawaitedWorkError, match="dropped task"):
        assert_awaits_all(cat.s_asyncio_run_drops_task, EVENT, allow=["slow"])


def test_library_owned_thread_is_reported_only_in_strict_mode() -> None:
    assert_awaits_all(cat.lib_queue_listener, EVENT)
    cat.stop_listeners()
    leaks = find_leaks(cat.lib_queue_listener, EVENT, strict=True)
    assert reported(leaks) == expected_leaks(cat.lib_queue_listener)
    assert leaks[0].library and leaks[0].what.endswith("[library]")


def test_library_owned_task_is_reported_only_in_strict_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lib = tmp_path / "site-packages"
    lib.mkdir()
    (lib / "fakelib_keepalive.py").write_text(
        "import asyncio\n"
        "async def _keepalive():\n"
        "    await asyncio.sleep(10)\n"
        "def connect():\n"
        "    return asyncio.get_running_loop().create_task(_keepalive())\n"
    )
    monkeypatch.syspath_prepend(str(lib))
    import fakelib_keepalive

    async def uses_library(event: Any, context: Any) -> None:
        fakelib_keepalive.connect()
        await asyncio.sleep(0)

    line = inspect.getsourcelines(uses_library)[1] + 1
    assert find_leaks(uses_library, EVENT) == []
    (leak,) = find_leaks(uses_library, EVENT, strict=True)
    assert (leak.kind, leak.library, leak.what) == ("pending task", True, "task _keepalive() [library]")
    assert leak.where.endswith(f"test_awaits.py:{line}")


def test_library_scheduled_callback_is_reported_only_in_strict_mode(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lib = tmp_path / "site-packages"
    lib.mkdir()
    (lib / "fakelib_heartbeat.py").write_text(
        "import asyncio\n"
        "def _beat():\n"
        "    pass\n"
        "def connect():\n"
        "    asyncio.get_running_loop().call_later(30, _beat)\n"
    )
    monkeypatch.syspath_prepend(str(lib))
    import fakelib_heartbeat

    def uses_library(event: Any, context: Any) -> None:
        async def main() -> None:
            fakelib_heartbeat.connect()

        asyncio.run(main())

    line = inspect.getsourcelines(uses_library)[1] + 2
    assert find_leaks(uses_library, EVENT) == []
    (leak,) = find_leaks(uses_library, EVENT, strict=True)
    assert (leak.kind, leak.library, leak.what) == ("dropped callback", True, "call_later(30, _beat) [library]")
    assert leak.where.endswith(f"test_awaits.py:{line}")


def _emit_line() -> int:
    ((kind, line),) = expected_leaks(cat.s_import_time_listener_busy)
    assert kind == "busy thread"
    return line


def test_a_thread_a_library_started_is_judged_by_what_it_runs() -> None:
    # Started by logging.handlers (library-owned), but busy in the user's emit at return.
    (leak,) = find_leaks(cat.lib_queue_listener_busy, EVENT)
    assert (leak.kind, leak.library) == ("busy thread", False)
    assert leak.what == "Thread(target=QueueListener._monitor) running AuditTrailHandler.emit()"
    assert reported([leak]) == Counter({("busy thread", _emit_line()): 1})
    cat.STOP.set()
    cat.stop_listeners()
    cat.STOP.clear()
    # Strict mode reports it once, as busy, not also as a library thread still alive.
    assert [leak.kind for leak in find_leaks(cat.lib_queue_listener_busy, EVENT, strict=True)] == ["busy thread"]


def test_busy_thread_message_hint_and_allow_list() -> None:
    with pytest.raises(UnawaitedWorkError) as info:
        assert_awaits_all(cat.s_import_time_listener_busy, EVENT)
    text = str(info.value)
    assert (f"busy thread  Thread(target=QueueListener._monitor) running AuditTrailHandler.emit()  "
            f"{os.path.relpath(cat.__file__).replace(os.sep, '/')}:{_emit_line()}") in text
    assert "  busy thread: a library's thread was still running your code" in text
    assert "`q.join()` on a QueueListener's queue" in text
    cat.STOP.set()
    cat.AUDIT_QUEUE.join()
    cat.STOP.clear()
    assert_awaits_all(cat.s_import_time_listener_busy, EVENT, allow=["AuditTrailHandler.emit"])


def test_dropped_and_pending_callback_messages() -> None:
    cat.METRICS.clear()  # correct handlers run earlier in this process append to it
    with pytest.raises(UnawaitedWorkError) as info:
        assert_awaits_all(cat.s_asyncio_run_drops_call_later, EVENT)
    text = str(info.value)
    assert "dropped callback  call_later(0.5, record_metric)" in text
    assert "  dropped callback: its loop was closed (asyncio.run() returning) before the callback ran" in text
    with pytest.raises(UnawaitedWorkError) as info:
        assert_awaits_all(cat.s_asyncio_run_drops_call_at, EVENT)
    assert "dropped callback  call_at(loop.time() + 60, record_metric)" in str(info.value)
    with pytest.raises(UnawaitedWorkError) as info:
        assert_awaits_all(cat.a_call_later_left_scheduled, EVENT)
    text = str(info.value)
    assert "pending callback  call_later(5, record_metric)" in text
    assert "  pending callback: a call_later/call_at callback was still scheduled" in text
    assert_awaits_all(cat.s_asyncio_run_drops_call_later, EVENT, allow=["record_metric"])
    assert cat.METRICS == []  # none of them ever ran


# -- boto3 against moto ---------------------------------------------------------------------------
@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    import moto

    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    with moto.mock_aws():
        yield


def test_boto3_calls_against_moto_are_not_flagged(aws: None, tmp_path: Path) -> None:
    import boto3

    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="uploads")
    queue_url = boto3.client("sqs", region_name="us-east-1").create_queue(QueueName="jobs")["QueueUrl"]
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(9 * 1024 * 1024))  # over the 8 MB multipart threshold: s3transfer threads

    def handler(event: Any, context: Any) -> dict[str, int]:
        s3_client = boto3.client("s3", region_name="us-east-1")
        s3_client.put_object(Bucket="uploads", Key="a.json", Body=b"{}")
        boto3.client("sqs", region_name="us-east-1").send_message(QueueUrl=queue_url, MessageBody="hi")
        s3_client.upload_file(str(big), "uploads", "big.bin")
        return {"ok": 1}

    assert_awaits_all(handler, EVENT)
    assert find_leaks(handler, EVENT, strict=True) == []
    assert s3.head_object(Bucket="uploads", Key="big.bin")["ContentLength"] == 9 * 1024 * 1024


def test_boto3_handler_that_leaks_a_thread_is_still_caught(aws: None) -> None:
    import boto3

    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="uploads")

    def upload_later(s3: Any) -> None:
        cat.STOP.wait(2)
        s3.put_object(Bucket="uploads", Key="k", Body=b"x")

    def handler(event: Any, context: Any) -> None:
        s3 = boto3.client("s3", region_name="us-east-1")
        threading.Thread(target=upload_later, args=(s3,)).start()

    line = inspect.getsourcelines(handler)[1] + 2
    leaks = find_leaks(handler, EVENT)
    cat.STOP.set()
    for leak in leaks:
        leak.obj.join()
    (leak,) = leaks
    assert (leak.kind, leak.what) == ("alive thread", "Thread(target=upload_later)")
    assert leak.where.endswith(f"test_awaits.py:{line}")


# -- AwaitWindow directly -------------------------------------------------------------------------
def _globals() -> dict[str, Any]:
    return {
        "asyncio.new_event_loop": asyncio.new_event_loop,
        "asyncio.events.new_event_loop": asyncio.events.new_event_loop,
        "asyncio.events._set_running_loop": asyncio.events._set_running_loop,
        "asyncio.runners._cancel_all_tasks": getattr(asyncio.runners, "_cancel_all_tasks", None),
        "Thread.start": threading.Thread.start,
        "ThreadPoolExecutor.submit": concurrent.futures.ThreadPoolExecutor.submit,
        "sys.unraisablehook": sys.unraisablehook,
        "gc frozen": gc.get_freeze_count(),
        "origin depth": sys.get_coroutine_origin_tracking_depth(),
        "warnings.filters": list(warnings.filters),
    }


def test_window_restores_every_global_it_patched() -> None:
    before = _globals()
    with AwaitWindow() as outer:
        assert threading.Thread.start is not before["Thread.start"]
        assert sys.unraisablehook is not before["sys.unraisablehook"]
        assert asyncio.new_event_loop is not before["asyncio.new_event_loop"]
        assert sys.get_coroutine_origin_tracking_depth() >= 16
        with AwaitWindow():
            pass
        assert threading.Thread.start is not before["Thread.start"]  # the outer window still needs it
    assert _globals() == before
    assert outer.leaks == []


def test_window_chains_to_a_new_event_loop_wrapper_installed_before_it() -> None:
    made: list[asyncio.AbstractEventLoop] = []
    original = asyncio.events.new_event_loop

    def invoker_loop() -> asyncio.AbstractEventLoop:  # what the invoker does for virtual time
        loop = original()
        made.append(loop)
        return loop

    asyncio.events.new_event_loop = invoker_loop
    try:
        with AwaitWindow() as window:
            def main_with_leak() -> None:
                async def main() -> None:
                    asyncio.create_task(cat.send_email())

                asyncio.run(main())

            main_with_leak()
        assert asyncio.events.new_event_loop is invoker_loop
    finally:
        asyncio.events.new_event_loop = original
    assert len(made) == 1
    assert [leak.kind for leak in window.leaks] == ["dropped task"]


def test_window_on_a_persistent_loop_with_cancel_leftovers() -> None:
    loop = asyncio.new_event_loop()
    try:
        results: list[str] = []

        async def handler() -> None:
            async def later() -> None:
                try:
                    await asyncio.sleep(10)
                finally:
                    results.append("cleaned up")

            asyncio.create_task(later())
            await asyncio.sleep(0)

        window = AwaitWindow()
        window.track_loop(loop)
        with window:
            loop.run_until_complete(handler())
        (leak,) = window.leaks
        assert leak.kind == "pending task"
        (task,) = window.leftovers().tasks
        window.cancel_leftovers(loop)
        assert task.cancelled() and results == ["cleaned up"]
        assert not window.leftovers()
        # After the window the loop is as it was: no factory of ours left on it.
        assert loop.get_task_factory() is None
    finally:
        loop.close()


def test_window_on_a_persistent_loop_reports_and_cancels_a_pending_callback() -> None:
    loop = asyncio.new_event_loop()
    try:
        ran: list[str] = []

        async def handler() -> None:
            running = asyncio.get_running_loop()
            running.call_later(0, ran.append, "soon")  # runs before the handler's task is done
            running.call_later(5, ran.append, "late")  # left scheduled
            await asyncio.sleep(0)

        window = AwaitWindow()
        window.track_loop(loop)
        with window:
            loop.run_until_complete(handler())
        (leak,) = window.leaks
        assert (leak.kind, leak.what) == ("pending callback", "call_later(5, list.append)")
        assert window.leftovers().callbacks == (leak.obj,)  # still scheduled: the live work behind the leak
        window.cancel_leftovers(loop)
        assert leak.obj.cancelled()
        assert not window.leftovers()
        loop.run_until_complete(asyncio.sleep(0.01))
        assert ran == ["soon"]
        # After the window the loop is as it was: none of our wrappers left on it.
        assert not {"call_soon", "call_later", "call_at", "call_soon_threadsafe", "close"} & set(vars(loop))
    finally:
        loop.close()


def test_window_chains_to_a_loops_own_call_later_and_restores_it() -> None:
    loop = asyncio.new_event_loop()
    try:
        seen: list[float] = []
        original = loop.call_later

        def spy(delay: float, callback: Any, *args: Any, **kwargs: Any) -> asyncio.TimerHandle:
            seen.append(delay)
            return original(delay, callback, *args, **kwargs)

        loop.call_later = spy  # type: ignore[method-assign,assignment]

        async def handler() -> None:
            asyncio.get_running_loop().call_later(7, cat.record_metric, "late")

        window = AwaitWindow()
        window.track_loop(loop)
        with window:
            loop.run_until_complete(handler())
        assert seen == [7]
        assert [(leak.kind, leak.what) for leak in window.leaks] == [("pending callback", "call_later(7, record_metric)")]
        assert loop.call_later is spy
        window.cancel_leftovers(loop)
    finally:
        loop.close()


@pytest.mark.skipif(sys.version_info < (3, 12), reason="eager_task_factory is 3.12+")
def test_handler_replacing_the_task_factory_is_still_tracked() -> None:
    loop = asyncio.new_event_loop()
    try:
        async def handler() -> None:
            asyncio.get_running_loop().set_task_factory(asyncio.eager_task_factory)  # type: ignore[attr-defined]
            asyncio.create_task(cat.slow())

        window = AwaitWindow()
        window.track_loop(loop)
        with window:
            loop.run_until_complete(handler())
        assert [leak.kind for leak in window.leaks] == ["pending task"]
        assert loop.get_task_factory() is asyncio.eager_task_factory  # type: ignore[attr-defined]
        window.cancel_leftovers(loop)
    finally:
        loop.close()


def test_nested_windows_attribute_work_to_the_innermost() -> None:
    async def awaited_later() -> str:
        return "ok"

    with AwaitWindow() as outer:
        pending = awaited_later()  # created by the outer handler, awaited after the nested call
        with AwaitWindow() as inner:
            cat.send_email("inner")
            thread = threading.Thread(target=cat.blocking_job)
            thread.start()
        assert asyncio.run(pending) == "ok"
    cat.STOP.set()
    thread.join()
    assert sorted(leak.kind for leak in inner.leaks) == ["alive thread", "never awaited"]
    assert outer.leaks == []


def test_concurrent_windows_on_two_threads() -> None:
    barrier = threading.Barrier(2)
    windows: dict[str, AwaitWindow] = {}
    before = _globals()

    def attempt(name: str, leak: bool) -> None:
        with AwaitWindow() as window:
            barrier.wait()
            if leak:
                async def main() -> None:
                    asyncio.create_task(cat.send_email())

                asyncio.run(main())
            barrier.wait()
        windows[name] = window

    threads = [threading.Thread(target=attempt, args=("leaky", True)),
               threading.Thread(target=attempt, args=("clean", False))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [leak.kind for leak in windows["leaky"].leaks] == ["dropped task"]
    assert windows["clean"].leaks == []
    after = _globals()
    after.pop("origin depth"), before.pop("origin depth")  # per thread
    assert after == before


def test_check_result_walks_containers_and_closes_coroutines() -> None:
    with AwaitWindow() as window:
        coro = cat.send_email()
        window.check_result({"a": [1, {"b": (coro,)}], "c": "plain"})
    (leak,) = window.leaks
    assert leak.kind == "returned awaitable"
    assert leak.what == "coroutine send_email() at result['a'][1]['b'][0]"
    assert inspect.getcoroutinestate(coro) == inspect.CORO_CLOSED


def test_window_overhead_is_small() -> None:
    # Not a benchmark (see the report): only guards against an accidental full-heap scan.
    def handler() -> None:
        async def main() -> None:
            await asyncio.sleep(0)

        asyncio.run(main())

    for _ in range(3):
        with AwaitWindow():
            handler()
    start = real_monotonic()
    for _ in range(20):
        with AwaitWindow():
            handler()
    assert (real_monotonic() - start) / 20 < 0.05


def test_abandoned_window_releases_the_globals() -> None:
    before = _globals()
    entered = threading.Event()
    release = threading.Event()
    windows: list[AwaitWindow] = []

    def hung_attempt() -> None:
        window = AwaitWindow()
        windows.append(window)
        with window:
            entered.set()
            release.wait(2)  # a handler the invoker gave up on

    thread = threading.Thread(target=hung_attempt)
    thread.start()
    entered.wait(2)
    windows[0].abandon()
    after = _globals()
    after.pop("origin depth"), before.pop("origin depth")
    assert after == before and not windows[0].open
    release.set()
    thread.join()
    assert windows[0].leaks == []


def test_task_names_show_in_the_message_and_work_in_the_allow_list() -> None:
    async def named(event: Any, context: Any) -> None:
        asyncio.create_task(cat.slow(), name="audit-writer")

    (leak,) = find_leaks(named, EVENT)
    assert leak.what == "task slow() named 'audit-writer'"
    assert_awaits_all(named, EVENT, allow=["audit-*"])


def test_leak_equality_ignores_the_object() -> None:
    assert Leak("alive thread", "Thread(target=f)", "app.py:1", obj=object()) == Leak(
        "alive thread", "Thread(target=f)", "app.py:1")
    assert "obj" not in repr(Leak("alive thread", "x", "app.py:1", obj=1))


def test_the_window_does_not_change_what_handlers_see() -> None:
    seen: dict[str, Any] = {}

    async def main() -> None:
        task = asyncio.create_task(cat.send_email())
        named = asyncio.create_task(cat.send_email(), name="given")
        seen["names"] = (task.get_name(), named.get_name())
        seen["factory"] = asyncio.get_running_loop().get_task_factory()
        await asyncio.gather(task, named)

    with AwaitWindow() as window:
        asyncio.run(main())
    assert window.leaks == []
    assert re.fullmatch(r"Task-\d+", seen["names"][0]) and seen["names"][1] == "given"
    assert seen["factory"] is None


# -- the same catalogue through the invoker (every attempt is checked) ----------------------------
def _invoke_once(handler: Any) -> tuple[Any, str]:
    from pytest_lambda_async import LambdaInvoker

    with LambdaInvoker(real_time_limit=5) as inv:
        inv.register("w", handler, asyncio=inspect.iscoroutinefunction(handler), max_retry_attempts=0)
        result = inv.invoke("w", EVENT)
        return result, inv.timeline()


@pytest.mark.parametrize("handler", _case_params(cat.BUGGY))
def test_the_invoker_fails_every_buggy_handlers_attempt(handler: Any) -> None:
    result, timeline = _invoke_once(handler)
    expected = expected_leaks(handler)
    if {kind for kind, _ in expected} == {"returned awaitable"}:
        assert result.payload["errorType"] == "Runtime.MarshalError", timeline  # AWS's own verdict (PY-2)
        return
    assert result.function_error == "Unhandled", timeline
    assert result.payload["errorType"] == "UnawaitedWork", timeline
    for kind, line in expected:
        if kind != "returned awaitable":
            assert re.search(rf"\| unfinished: {kind} .*{re.escape(CATALOGUE_FILE)}:{line}\b", timeline), timeline


@pytest.mark.parametrize("handler", _case_params(cat.CORRECT))
def test_the_invoker_passes_every_correct_handler(handler: Any) -> None:
    result, timeline = _invoke_once(handler)
    assert result.function_error is None, timeline
    assert "unfinished" not in timeline
