"""The docs/examples suite catches the bugs it claims to, with readable reports."""

from __future__ import annotations

from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


# In a subprocess: the outer run has already imported these modules under the same names.
@pytest.fixture
def examples(lpytester: pytest.Pytester) -> pytest.Pytester:
    for path in EXAMPLES.glob("*.py"):
        lpytester.makepyfile(**{path.stem: path.read_text()})
    return lpytester


def test_examples_pass_and_each_bug_is_caught(examples: pytest.Pytester) -> None:
    result = examples.runpytest_subprocess("-rx")
    result.assert_outcomes(passed=24, xfailed=12)
    result.stdout.fnmatch_lines_random([
        "XFAIL *thumbnail_keys* - keys arrive URL-encoded",
        "XFAIL *count_message* - a duplicate delivery counts twice",
        "XFAIL *charge_then_receipt* - a retry charges twice",
        "XFAIL *send_welcome* - a duplicate delivery emails twice",
        "XFAIL *record_order* - the audit task is dropped on return",
        "XFAIL *send_receipt* - a coroutine is never awaited",
        "XFAIL *add_points* - a duplicate adds the points twice",
        "XFAIL *mark_then_add* - a crash after the mark loses the points",
        "XFAIL *add_to_totals* - one bad order fails the whole batch",
        "XFAIL *credit_once_for_an_hour* - a redelivery 6 h later",
    ])


def test_bug_reports_show_what_the_service_did(examples: pytest.Pytester) -> None:
    result = examples.runpytest_subprocess("--runxfail", "test_retries_example.py")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["E       AssertionError: assert ['o-1', 'o-1'] == ['o-1']"])
    result.stdout.fnmatch_lines([
        "*- lambda-async timeline -*",
        "lambda-async timeline (virtual clock, t0 = *, seed 0)",
        "  t+0s   invoke   checkout  req *..  Event  -> 202, queued",
        "  t+0s   attempt  checkout  req *..  #1  error  ConnectionError: receipt store unavailable "
        "(test_retries_example.py:20)",
        "  t+0s   retry    checkout  req *..  retry in 60s (RET-1)",
        "  t+60s  attempt  checkout  req *..  #2  success",
    ], consecutive=True)


def test_duplicate_report_names_the_duplicate(examples: pytest.Pytester) -> None:
    result = examples.runpytest_subprocess("--runxfail", "test_duplicates_example.py", "-k", "one_email")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "  t+0s  invoke   welcome  req *..  Event  -> 202, queued (+1 duplicate)",
        "  t+0s  attempt  welcome  req *..  #1  success",
        "  t+0s  attempt  welcome  req *..  #2  success  duplicate delivery",
    ], consecutive=True)


def test_await_reports_name_the_line_that_started_the_lost_work(examples: pytest.Pytester) -> None:
    result = examples.runpytest_subprocess("--runxfail", "test_awaits_example.py")
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines([
        "*attempt  orders  req *..  #1  unawaited  returned before its work was done: dropped task "
        "task write_audit() test_awaits_example.py:25",
    ])
    result.stdout.fnmatch_lines([
        "E   *UnawaitedWorkError: *send_receipt returned before its work was done: 1 unfinished",
        "E   *Leaks:",
        "E   *  never awaited  coroutine write_audit()  test_awaits_example.py:41",
        'E   *Event: {"order_id": "o-1"}',
    ])


def test_idempotency_reports_name_the_history_that_breaks_each_handler(examples: pytest.Pytester) -> None:
    result = examples.runpytest_subprocess("--runxfail", "test_idempotency_example.py")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines([
        "E   *NotIdempotentError: test_idempotency_example.add_points is not idempotent: one duplicate delivery *",
        "E   *state?'dynamodb'??'loyalty'??0??'points'??'N'?:  \"1\"  !=  \"2\"",  # ? for [ and ]
    ])
    result.stdout.fnmatch_lines([
        "E   *NotIdempotentError: test_idempotency_example.mark_then_add is not idempotent: a failure at SDK "
        "call ?0? after it took effect (response lost) then a retry *",
        "E   *| SDK call ?0? DynamoDB.PutItem: took effect, response lost (ReadTimeoutError)",
        "E   *state?'dynamodb'??'loyalty'?:  1 item  !=  0 items",
    ])
