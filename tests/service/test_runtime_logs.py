"""Each attempt's log as the Python runtime and Lambda write it (issue 13 item 8).

The shapes come from ../shared/aws-recordings/: ``log_result`` (test_dead_letter_queue: a print, a
``logging`` record, an unhandled error and its traceback) and ``test_invocation_with_logs[python3.10]``
(START, the handler's print, END, REPORT with Init Duration on a cold start).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import re
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from aws_lambda_powertools import Logger

from pytest_lambda_async import LambdaInvoker

T0 = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
NBSP = "\u00a0"
# Made at import, as handlers make it: its StreamHandler keeps the sys.stdout of this moment.
powertools = Logger(service="orders-logs-test")


@pytest.fixture
def inv() -> Iterator[LambdaInvoker]:
    with LambdaInvoker(seed=0, start=T0) as invoker:
        yield invoker


@pytest.fixture
def app_logger() -> Iterator[logging.Logger]:
    """A module logger at INFO, as Lambda handlers usually set one."""
    logger = logging.getLogger("app.runtime_logs")
    logger.setLevel(logging.INFO)
    yield logger
    logger.setLevel(logging.NOTSET)


def report_pattern(request_id: str, *, memory: int = 128, init: bool) -> str:
    """The REPORT line of ``test_invocation_with_logs[python3.10]``, with its placeholders as patterns."""
    line = (f"REPORT RequestId: {request_id}\tDuration: <d> ms\tBilled Duration: <b> ms\t"
            f"Memory Size: {memory} MB\tMax Memory Used: <m> MB\t" + ("Init Duration: <d> ms\t" if init else ""))
    return re.escape(line).replace("<d>", r"\d+\.\d\d").replace("<b>", r"\d+").replace("<m>", r"\d+")


def test_invocation_with_logs_python3_10_start_print_end_report(inv: LambdaInvoker) -> None:
    """Recording ``test_invocation_with_logs[python3.10]``: START, the print, END, REPORT (+Init on a cold start)."""

    def handler(event: Any, context: Any) -> Any:
        print(json.dumps(event))
        return event

    inv.register("w", handler, memory_size=128)
    rid = inv.invoke("w", {}).request_id
    start, printed, end, report = inv.attempts[-1].logs
    assert (start, printed, end) == (f"START RequestId: {rid} Version: $LATEST", "{}", f"END RequestId: {rid}")
    assert re.fullmatch(report_pattern(rid, init=True), report)


def test_a_warm_attempt_has_no_init_duration_and_a_new_environment_has_one_again(inv: LambdaInvoker) -> None:
    """Init Duration is on the first attempt of each execution environment only (a timeout starts a new one)."""
    inv.register("w", lambda e, c: time.sleep(e["sleep"]), timeout=3, memory_size=512)
    reports = []
    for sleep in (0, 0, 5, 0):
        rid = inv.invoke("w", {"sleep": sleep}).request_id
        reports.append((rid, inv.attempts[-1].logs[-1]))
    inits = [bool(re.fullmatch(report_pattern(rid, memory=512, init=True), line)) for rid, line in reports]
    warm = [bool(re.fullmatch(report_pattern(rid, memory=512, init=False), line)) for rid, line in reports]
    assert inits == [True, False, False, True] and warm == [False, True, True, False]


def test_duration_and_the_logging_time_are_on_the_virtual_clock(inv: LambdaInvoker,
                                                                 app_logger: logging.Logger) -> None:
    """Recording ``log_result``: ``[INFO]\\t<time>\\t<request id>\\t<message>``; the time is virtual, in ms, Z."""

    def handler(event: Any, context: Any) -> None:
        time.sleep(1.5)
        app_logger.info("Lambda log message - logging module")
        time.sleep(0.0004)

    inv.register("w", handler)
    rid = inv.invoke("w", {}).request_id
    logs = inv.attempts[-1].logs
    assert logs[1] == f"[INFO]\t2024-01-01T00:00:01.500Z\t{rid}\tLambda log message - logging module"
    assert "\tDuration: 1500.40 ms\tBilled Duration: 1501 ms\t" in logs[-1]


def test_log_result_print_logging_and_an_unhandled_error_with_its_traceback(inv: LambdaInvoker,
                                                                            app_logger: logging.Logger) -> None:
    """Recording ``log_result``: the error as ``[ERROR] Type: message``, then the traceback as the
    runtime prints it (indented with no-break spaces), before END."""

    def handler(event: Any, context: Any) -> None:
        print("Lambda log message - print function")
        app_logger.info("Lambda log message - logging module")
        raise Exception("Test exception (this is intentional)")

    inv.register("w", handler)
    rid = inv.invoke("w", {}).request_id
    logs = inv.attempts[-1].logs
    line = handler.__code__.co_firstlineno + 3
    assert logs[:-1] == (
        f"START RequestId: {rid} Version: $LATEST",
        "Lambda log message - print function",
        f"[INFO]\t2024-01-01T00:00:00.000Z\t{rid}\tLambda log message - logging module",
        "[ERROR] Exception: Test exception (this is intentional)",
        "Traceback (most recent call last):",
        f'{NBSP * 2}File "{__file__}", line {line}, in handler',
        f'{NBSP * 4}raise Exception("Test exception (this is intentional)")',
        f"END RequestId: {rid}",
    )


def test_a_logged_exception_keeps_its_traceback_lines(inv: LambdaInvoker, app_logger: logging.Logger) -> None:
    """``logger.exception`` writes one record: its first line carries the prefix, the traceback follows."""

    def handler(event: Any, context: Any) -> None:
        try:
            {}["order_id"]
        except KeyError:
            app_logger.exception("lookup failed")

    inv.register("w", handler)
    rid = inv.invoke("w", {}).request_id
    logs = inv.attempts[-1].logs
    assert logs[1] == f"[ERROR]\t2024-01-01T00:00:00.000Z\t{rid}\tlookup failed"
    assert logs[2] == "Traceback (most recent call last):" and logs[-3] == "KeyError: 'order_id'"


def test_a_timeout_is_logged_by_the_platform_with_the_whole_timeout_as_duration(inv: LambdaInvoker) -> None:
    """A timed-out attempt: ``<time> <request id> Task timed out after 3.00 seconds``, Duration = the timeout."""
    inv.register("w", lambda e, c: time.sleep(10), timeout=3)
    rid = inv.invoke("w", {}).request_id
    logs = inv.attempts[-1].logs
    assert logs[1:3] == (f"2024-01-01T00:00:03.000Z {rid} Task timed out after 3.00 seconds", f"END RequestId: {rid}")
    assert "\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\t" in logs[3]


def test_an_exit_is_logged_with_the_runtime_exit_error(inv: LambdaInvoker) -> None:
    inv.register("w", lambda e, c: sys.exit(2))
    rid = inv.invoke("w", {}).request_id
    assert inv.attempts[-1].logs[1:3] == (f"RequestId: {rid} Error: Runtime exited with error: exit status 2",
                                          "Runtime.ExitError")


def test_powertools_json_lines_stay_with_their_attempt(inv: LambdaInvoker) -> None:
    """A Powertools Logger made at import: each attempt holds its own JSON line as the handler wrote it,
    once (Powertools keeps its records out of the runtime's handler), and the logger's stream is
    given back after the run."""
    handler_stream = powertools.logger_handler.stream  # type: ignore[attr-defined]

    def handler(event: Any, context: Any) -> None:
        powertools.info("working", extra={"n": event["n"]})
        if event["n"] == 1:
            raise ValueError("boom")

    inv.register("w", handler, max_retry_attempts=1)
    inv.invoke("w", {"n": 1}, invocation_type="Event")
    inv.invoke("w", {"n": 2}, invocation_type="Event")
    attempts = inv.run()
    assert [(a.number, a.outcome) for a in attempts] == [(1, "error"), (1, "success"), (2, "error")]
    for attempt in attempts:
        written = [line for line in attempt.logs if line.startswith("{")]
        assert len(written) == 1, attempt.logs
        record = json.loads(written[0])
        assert record["message"] == "working" and record["service"] == "orders-logs-test"
        assert record["n"] == (2 if attempt.request_id == attempts[1].request_id else 1)
        assert not any("working" in line for line in attempt.logs if not line.startswith("{"))
    assert powertools.logger_handler.stream is handler_stream  # type: ignore[attr-defined]


def test_the_timeline_shows_the_handlers_lines_only(inv: LambdaInvoker, app_logger: logging.Logger) -> None:
    """The timeline keeps to what the handler wrote: no START/END/REPORT, records as ``[LEVEL] message``."""

    def handler(event: Any, context: Any) -> None:
        print("step one")
        app_logger.warning("careful")

    inv.register("w", handler)
    inv.invoke("w", {}, invocation_type="Event")
    inv.run()
    text = inv.timeline()
    assert inv.attempts[-1].logs[0].startswith("START RequestId: ")  # the attempt has them; the timeline not
    assert "| step one" in text and "| [WARNING] careful" in text
    assert "START RequestId" not in text and "REPORT RequestId" not in text


def test_log_tail_is_the_last_4_kb_of_the_whole_log_INV_3(inv: LambdaInvoker) -> None:
    """INV-3: LogResult is base64 of the log's last 4096 bytes, which end with the REPORT line."""

    def loud(event: Any, context: Any) -> None:
        for i in range(200):
            print(f"line {i:03d} " + "x" * 40)

    inv.register("w", loud)
    result = inv.invoke("w", {}, log_type="Tail")
    tail = base64.b64decode(result.log_result or "")
    assert len(tail) == 4096
    assert tail.decode().endswith("\n".join(inv.attempts[-1].logs[-3:]) + "\n")
    assert tail.decode().splitlines()[-1].startswith(f"REPORT RequestId: {result.request_id}\t")


def _hangs_in_c(release: threading.Event) -> Any:
    """A handler that prints, logs, then blocks in C (never reaching Python code the timeout could
    stop): the supervisor abandons its thread at the real-time limit.  ``release`` frees the thread
    after the test, so nothing stays blocked."""

    def handler(event: Any, context: Any) -> None:
        print("before the hang")
        logging.getLogger("app.runtime_logs").warning("still here")
        sys.stdout.write("no newline yet")
        release.wait()

    return handler


def test_an_abandoned_attempt_has_the_platforms_timeout_log_PY_6() -> None:
    """PY-6: a handler hung past the real-time limit ends as a timeout whose log is what AWS writes
    for one: START, the handler's lines so far, ``<time> <request id> Task timed out after 3.00
    seconds``, END, REPORT with the whole timeout as Duration (not an empty log)."""
    release = threading.Event()
    try:
        with LambdaInvoker(seed=0, start=T0, real_time_limit=0.1) as inv:
            logging.getLogger("app.runtime_logs").setLevel(logging.INFO)
            inv.register("w", _hangs_in_c(release), timeout=3, max_retry_attempts=0)
            inv.invoke("w", {}, invocation_type="Event")
            [attempt] = inv.run()
            rid = attempt.request_id
            assert attempt.outcome == "timeout"
            assert attempt.logs[:-1] == (
                f"START RequestId: {rid} Version: $LATEST",
                "before the hang",
                f"[WARNING]\t2024-01-01T00:00:00.000Z\t{rid}\tstill here",
                "no newline yet",
                f"2024-01-01T00:00:03.000Z {rid} Task timed out after 3.00 seconds",
                f"END RequestId: {rid}")
            assert re.fullmatch(report_pattern(rid, init=True), attempt.logs[-1])
            assert "\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\t" in attempt.logs[-1]
            timeline = inv.timeline()
            assert "| before the hang" in timeline and "| [WARNING] still here" in timeline
            assert "START RequestId" not in timeline
    finally:
        logging.getLogger("app.runtime_logs").setLevel(logging.NOTSET)
        release.set()


def test_an_abandoned_sync_invoke_tails_its_timeout_log_through_boto3_INV_3_PY_6(
        lambda_invoker: LambdaInvoker) -> None:
    """INV-3, PY-6: boto3 ``invoke(LogType="Tail")`` of a hung handler answers a LogResult that ends
    with the platform's timeout line, END and REPORT."""
    import boto3

    release = threading.Event()
    try:
        lambda_invoker.real_time_limit = 0.1
        lambda_invoker.register("w", _hangs_in_c(release), timeout=2)
        response = boto3.client("lambda", region_name="us-east-1").invoke(FunctionName="w", LogType="Tail")
        assert response["FunctionError"] == "Unhandled"
        rid = response["ResponseMetadata"]["RequestId"]
        lines = base64.b64decode(response["LogResult"]).decode().splitlines()
        assert lines[0] == f"START RequestId: {rid} Version: $LATEST"
        assert lines[1] == "before the hang"
        assert re.fullmatch(rf"\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z {rid} Task timed out after 2\.00 seconds",
                            lines[-3])
        assert lines[-2] == f"END RequestId: {rid}"
        assert lines[-1].startswith(f"REPORT RequestId: {rid}\tDuration: 2000.00 ms\t")
    finally:
        release.set()
