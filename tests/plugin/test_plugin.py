"""The plugin as users meet it, through pytester."""

from __future__ import annotations

import subprocess
import sys

import pytest

FAILING_SUITE = """
def handler(event, context):
    raise KeyError("order_id")

def test_worker(lambda_invoker):
    lambda_invoker.register("worker", handler, on_failure="arn:aws:sqs:us-east-1:123456789012:orders-dlq")
    lambda_invoker.invoke("worker", {"order": 1}, invocation_type="Event")
    lambda_invoker.run()
    assert lambda_invoker.records("arn:aws:sqs:us-east-1:123456789012:orders-dlq") == []
"""


def test_fixture_gives_a_fresh_invoker(lpytester: pytest.Pytester) -> None:
    lpytester.makepyfile("""
        from pytest_lambda_async import LambdaInvoker

        def test_one(lambda_invoker):
            assert isinstance(lambda_invoker, LambdaInvoker)
            lambda_invoker.register("w", lambda e, c: None)

        def test_two(lambda_invoker):
            assert lambda_invoker.functions == {}
            assert lambda_invoker.seed == 0 and lambda_invoker.await_check == "error"

        def test_context(lambda_context):
            assert lambda_context.memory_limit_in_mb == "128"
            assert 0 < lambda_context.get_remaining_time_in_millis() <= 3000
    """)
    lpytester.runpytest().assert_outcomes(passed=3)


def test_failing_test_shows_the_timeline(lpytester: pytest.Pytester) -> None:
    lpytester.makepyfile(FAILING_SUITE)
    result = lpytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*- lambda-async timeline -*",
        "lambda-async timeline (virtual clock, t0 = *, seed 0)",
        "  t+0s    invoke   worker  req *..  Event  -> 202, queued",
        "  t+0s    attempt  worker  req *..  #1  error  KeyError: 'order_id' (test_failing_test_shows_the_timeline.py:2)",
        "  t+0s    retry    worker  req *..  retry in 60s (RET-1)",
        "  t+60s   attempt  worker  req *..  #2  error  KeyError: 'order_id' (test_failing_test_shows_the_timeline.py:2)",
        "  t+60s   retry    worker  req *..  retry in 120s (RET-1)",
        "  t+180s  attempt  worker  req *..  #3  error  KeyError: 'order_id' (test_failing_test_shows_the_timeline.py:2)",
        "  t+180s  fail     worker  req *..  RetriesExhausted after 3 attempts",
        "  t+180s  route    worker  req *..  on_failure -> sqs:orders-dlq",
    ], consecutive=True)


def test_timeline_under_assert_plain(lpytester: pytest.Pytester) -> None:
    lpytester.makepyfile(FAILING_SUITE)
    result = lpytester.runpytest("--assert=plain")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*- lambda-async timeline -*", "*RetriesExhausted after 3 attempts"])


def test_passing_test_has_no_timeline(lpytester: pytest.Pytester) -> None:
    lpytester.makepyfile("""
        def test_ok(lambda_invoker):
            lambda_invoker.register("w", lambda e, c: None)
            lambda_invoker.invoke("w", {}, invocation_type="Event")
            lambda_invoker.run()
    """)
    result = lpytester.runpytest("-rA")
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*lambda-async timeline*")


def test_marker_merges_module_class_function(lpytester: pytest.Pytester) -> None:
    lpytester.makepyfile("""
        import pytest
        pytestmark = pytest.mark.lambda_async(seed=1, duplicate_rate=0.5)

        @pytest.mark.lambda_async(seed=2, await_check="warn")
        class TestIt:
            @pytest.mark.lambda_async(seed=3)
            def test_closest_wins(self, lambda_invoker):
                assert (lambda_invoker.seed, lambda_invoker.duplicate_rate, lambda_invoker.await_check) == (3, 0.5, "warn")

            def test_class_level(self, lambda_invoker):
                assert (lambda_invoker.seed, lambda_invoker.await_check) == (2, "warn")

        def test_module_level(lambda_invoker):
            assert (lambda_invoker.seed, lambda_invoker.duplicate_rate) == (1, 0.5)
    """)
    lpytester.runpytest().assert_outcomes(passed=3)


def test_precedence_marker_over_cli_over_ini(lpytester: pytest.Pytester) -> None:
    lpytester.makeini("""
        [pytest]
        asyncio_default_fixture_loop_scope = function
        lambda_async_seed = 5
        lambda_async_duplicate_rate = 0.25
        lambda_async_await_check = off
    """)
    lpytester.makepyfile("""
        import pytest

        def test_suite(lambda_invoker):
            assert (lambda_invoker.seed, lambda_invoker.duplicate_rate, lambda_invoker.await_check) == (9, 0.25, "off")

        @pytest.mark.lambda_async(seed=11)
        def test_marker(lambda_invoker):
            assert lambda_invoker.seed == 11
    """)
    result = lpytester.runpytest("--lambda-async-seed=9")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["lambda-async: seed=9, duplicate_rate=0.25, await_check=off*"])


def test_report_header_shows_the_seed(lpytester: pytest.Pytester) -> None:
    lpytester.makepyfile("def test_x(): pass")
    result = lpytester.runpytest()
    result.stdout.fnmatch_lines(["lambda-async: seed=0, duplicate_rate=0.0, await_check=error*"])


def test_unknown_marker_key_fails_collection(lpytester: pytest.Pytester) -> None:
    lpytester.makepyfile("""
        import pytest

        @pytest.mark.lambda_async(seeed=1)
        def test_typo(lambda_invoker):
            pass
    """)
    result = lpytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([
        "ERROR: test_unknown_marker_key_fails_collection.py::test_typo: @pytest.mark.lambda_async got unknown "
        "key(s) seeed. Allowed keys: seed, duplicate_rate, await_check, async_payload_limit, timeout_limit, "
        "real_time_limit, eventbridge_source, freeze, await_allow"])


def test_positional_marker_argument_and_bad_values_fail(lpytester: pytest.Pytester) -> None:
    lpytester.makepyfile("""
        import pytest

        @pytest.mark.lambda_async(3)
        def test_positional(lambda_invoker):
            pass
    """)
    result = lpytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*takes keyword arguments only*"])
    lpytester.makepyfile("""
        import pytest

        @pytest.mark.lambda_async(await_check="loud")
        def test_bad_value(lambda_invoker):
            pass
    """)
    result = lpytester.runpytest()
    result.stderr.fnmatch_lines(["*await_check must be one of error, warn, off, got 'loud'"])


def test_bad_cli_and_ini_values_fail_at_startup(lpytester: pytest.Pytester) -> None:
    lpytester.makepyfile("def test_x(): pass")
    result = lpytester.runpytest("--lambda-async-seed=abc")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--lambda-async-seed: lambda_async seed must be an integer, got 'abc'"])
    lpytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\nlambda_async_duplicate_rate = often\n")
    result = lpytester.runpytest()
    result.stderr.fnmatch_lines(["*ini option lambda_async_duplicate_rate*must be a number, got 'often'"])


def test_marker_without_the_fixture_warns(lpytester: pytest.Pytester) -> None:
    lpytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    lpytester.makepyfile("""
        import pytest

        @pytest.mark.lambda_async(seed=1)
        def test_forgot():
            pass
    """)
    result = lpytester.runpytest_subprocess()  # a fresh process: the outer run turns warnings into errors
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*lambda_async has no effect: the test does not use the lambda_invoker fixture"])


def test_freeze_and_await_allow_from_marker_cli_and_ini(lpytester: pytest.Pytester) -> None:
    lpytester.makeini("""
        [pytest]
        asyncio_default_fixture_loop_scope = function
        lambda_async_freeze = resume
        lambda_async_await_allow =
            *keepalive*
            app.tokens.refresh*
    """)
    lpytester.makepyfile("""
        import pytest

        def test_ini(lambda_invoker):
            assert lambda_invoker.freeze == "resume"
            assert lambda_invoker.await_allow == ("*keepalive*", "app.tokens.refresh*")

        @pytest.mark.lambda_async(freeze="cancel", await_allow="poller-*")
        def test_marker(lambda_invoker):
            assert (lambda_invoker.freeze, lambda_invoker.await_allow) == ("cancel", ("poller-*",))
    """)
    lpytester.runpytest().assert_outcomes(passed=2)
    lpytester.makepyfile(test_cli="""
        def test_cli(lambda_invoker):
            assert lambda_invoker.await_allow == ("a*", "b*", "c*")
    """)
    result = lpytester.runpytest("test_cli.py", "--lambda-async-await-allow=a*,b*", "--lambda-async-await-allow=c*")
    result.assert_outcomes(passed=1)
    result = lpytester.runpytest("test_cli.py", "--lambda-async-freeze=thaw")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*invalid choice: 'thaw'*"])


UNAWAITED_SUITE = """
import asyncio

async def send_email(to):
    await asyncio.sleep(1)

def handler(event, context):
    async def main():
        send_email(event["to"])
        return "queued"
    return asyncio.run(main())

def test_mailer(lambda_invoker):
    lambda_invoker.register("mailer", handler, max_retry_attempts=0)
    lambda_invoker.invoke("mailer", {"to": "a@example.com"}, invocation_type="Event")
    [attempt] = lambda_invoker.run()
    assert attempt.outcome == "success"
"""


def test_an_unawaited_attempt_fails_the_test_and_the_report_names_the_line(lpytester: pytest.Pytester) -> None:
    lpytester.makepyfile(UNAWAITED_SUITE)
    result = lpytester.runpytest("--assert=plain")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*- lambda-async timeline -*",
        "*attempt  mailer  req *..  #1  unawaited  returned before its work was done: never awaited coroutine "
        "send_email()*:8",
        "*| unfinished: never awaited  coroutine send_email()  *:8",
        "*| freeze=cancel: unfinished work cancelled*",
        "*fail     mailer  req *..  RetriesExhausted after 1 attempt",
    ])


def test_await_check_warn_reports_a_warning_and_off_none(lpytester: pytest.Pytester) -> None:
    lpytester.makepyfile(UNAWAITED_SUITE)
    result = lpytester.runpytest_subprocess("--lambda-async-await-check=warn", "-W", "default")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*UnawaitedWorkWarning: mailer (request *) returned before its work was done:"])
    result = lpytester.runpytest_subprocess("--lambda-async-await-check=off", "-W", "default")
    result.assert_outcomes(passed=1, warnings=1)  # only Python's own "never awaited" RuntimeWarning
    result.stdout.fnmatch_lines(["*RuntimeWarning: coroutine 'send_email' was never awaited*"])


def test_help_lists_the_options(lpytester: pytest.Pytester) -> None:
    result = lpytester.runpytest("--help")
    result.stdout.fnmatch_lines(["*lambda-async*", "*--lambda-async-seed=*", "*--lambda-async-await-check=*"])


def test_works_under_xdist(lpytester: pytest.Pytester) -> None:
    lpytester.makepyfile(FAILING_SUITE)
    result = lpytester.runpytest_subprocess("-n", "2", "-p", "xdist")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*- lambda-async timeline -*", "*RetriesExhausted after 3 attempts"])


def test_entry_point_loads_without_p_and_imports_no_heavy_libraries(lpytester: pytest.Pytester) -> None:
    lpytester.makepyfile("""
        import sys

        def test_hygiene(lambda_invoker):
            assert "pytest_lambda_async.plugin" in sys.modules
            heavy = [m for m in ("boto3", "botocore", "moto", "hypothesis") if m in sys.modules]
            assert heavy == []
    """)
    result = lpytester.runpytest_subprocess()
    result.assert_outcomes(passed=1)


def test_importing_the_package_imports_no_pytest_or_aws_libraries() -> None:
    code = ("import sys, pytest_lambda_async, pytest_lambda_async._service.invoker; "
            "print(sorted(m for m in ('pytest', 'boto3', 'botocore', 'moto', 'hypothesis') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_py_typed_is_shipped() -> None:
    from importlib.resources import files

    assert files("pytest_lambda_async").joinpath("py.typed").is_file()
