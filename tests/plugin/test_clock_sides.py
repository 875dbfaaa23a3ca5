"""Which clock each side reads (issue 12, items 1-3; docs/how-to/invoker.md "Which clock each side reads").

Handlers read the invoker's virtual clock; the test body reads its own clock (the real one, or the one
the user froze with freezegun or travelled to with time-machine) at any depth, on any of its threads,
and the user's time tools work in tests that use ``lambda_invoker``.  Each suite is run as a user's
would be, through pytester; each failed before the clock was switched per thread.
"""

from __future__ import annotations

import re

import pytest

# Shared by the inner suites: handlers that report the time they read.
HANDLERS = """
import datetime as dt

LEAP = dt.datetime(2024, 2, 29, 12, tzinfo=dt.timezone.utc)
MINUTE = dt.timedelta(minutes=1)


def now_handler(event, context):
    return dt.datetime.now(dt.timezone.utc).isoformat()


def failing_recorder(seen):
    def handler(event, context):
        seen.append(dt.datetime.now(dt.timezone.utc))
        raise RuntimeError("try again")
    return handler


def retry_times(inv):
    '''The times a failing handler reads on its three attempts (RET-1: retries 1 and 3 minutes later).'''
    seen = []
    inv.register("failing", failing_recorder(seen))
    inv.invoke("failing", {}, invocation_type="Event")
    inv.run()
    return seen
"""


@pytest.fixture
def suite(lpytester: pytest.Pytester) -> pytest.Pytester:
    lpytester.makepyfile(handlers=HANDLERS)
    return lpytester


def test_subprocess_timeout_in_the_test_body(suite: pytest.Pytester) -> None:
    suite.makepyfile("""
        import subprocess

        def test_runs_a_command(lambda_invoker):
            subprocess.run(["sleep", "0.1"], timeout=5, check=True)
    """)
    suite.runpytest().assert_outcomes(passed=1)


def test_queue_and_event_waits_at_any_depth(suite: pytest.Pytester) -> None:
    """A test helper's own deadlines (``time.monotonic()`` some calls deep) and the waits
    they bound (``queue.get(timeout=)``, ``Event.wait``) read the same, real clock."""
    suite.makepyfile(waiting="""
        import queue
        import threading
        import time


        class Deadline:
            def __init__(self, seconds):
                self.at = self._now() + seconds

            def _now(self):
                return time.monotonic()

            def remaining(self):
                return max(0.0, self.at - self._now())


        class Inbox:
            def __init__(self):
                self.messages = queue.Queue()
                self.ready = threading.Event()

            def expect(self, seconds):
                return self._get(Deadline(seconds))

            def _get(self, deadline):
                return self.messages.get(timeout=deadline.remaining())

            def wait_ready(self, seconds):
                return self._wait(Deadline(seconds))

            def _wait(self, deadline):
                return self.ready.wait(deadline.remaining())
    """)
    suite.makepyfile("""
        import queue
        import threading
        import time

        import pytest
        from waiting import Inbox

        def test_waits(lambda_invoker):
            inbox = Inbox()

            def worker():
                time.sleep(0.05)
                inbox.messages.put("done")
                inbox.ready.set()

            threading.Thread(target=worker).start()
            assert inbox.expect(5) == "done"
            assert inbox.wait_ready(5)
            started = time.monotonic()
            with pytest.raises(queue.Empty):
                inbox.expect(0.05)
            assert 0.04 < time.monotonic() - started < 5
    """)
    suite.runpytest().assert_outcomes(passed=1)


def test_a_test_thread_reads_real_time_while_handlers_read_the_virtual_clock(suite: pytest.Pytester) -> None:
    """While ``run()`` plays the queue out, a thread the test started before keeps the real clock;
    the handler, a thread it starts and names bound at import (``from datetime import datetime``,
    in a module loaded before or during the attempt) read the virtual one, and only there."""
    suite.makepyfile(bound="""
        from datetime import datetime, timezone
        from time import monotonic


        def readings():
            return datetime.now(timezone.utc), monotonic()
    """, loaded_late="""
        from datetime import datetime, timezone


        def now():
            return datetime.now(timezone.utc)
    """)
    suite.makepyfile("""
        import datetime as dt
        import threading
        import time
        import uuid

        import bound
        from handlers import LEAP

        def test_sides(lambda_invoker):
            inv = lambda_invoker
            seen = {}
            in_run = threading.Event()
            done = threading.Event()

            def watcher():  # the test's own thread
                in_run.wait(5)
                seen["test thread"] = dt.datetime.now(dt.timezone.utc)
                done.set()

            def read_in_thread(box):
                box["handler thread"] = dt.datetime.now(dt.timezone.utc)

            def handler(event, context):
                import loaded_late

                in_run.set()
                done.wait(5)
                seen["handler"] = dt.datetime.now(dt.timezone.utc)
                seen["time"] = time.time()
                seen["today"] = dt.date.today()
                seen["bound"], seen["monotonic"] = bound.readings()
                seen["loaded late"] = loaded_late.now()
                seen["uuid1"] = uuid.uuid1().time
                t = threading.Thread(target=read_in_thread, args=(seen,))
                t.start()
                t.join()

            threading.Thread(target=watcher).start()
            inv = type(inv)(start=LEAP)
            try:
                inv.register("w", handler)
                inv.invoke("w", {})
            finally:
                inv.close()
            assert seen["handler"] == seen["handler thread"] == seen["bound"] == seen["loaded late"] == LEAP
            assert (seen["time"], seen["monotonic"], seen["today"]) == (LEAP.timestamp(), LEAP.timestamp(), LEAP.date())
            gregorian = dt.datetime(1582, 10, 15, tzinfo=dt.timezone.utc)
            assert abs(gregorian + dt.timedelta(microseconds=seen["uuid1"] // 10) - LEAP) < dt.timedelta(seconds=1)
            assert abs(seen["test thread"].timestamp() - time.time()) < 60
            # and after the attempt, the same names read the real clock again
            import loaded_late

            for reading in (bound.readings()[0], loaded_late.now(), dt.datetime.now(dt.timezone.utc)):
                assert abs(reading.timestamp() - time.time()) < 60
            assert abs(bound.readings()[1] - time.monotonic()) < 60
    """)
    suite.runpytest().assert_outcomes(passed=1)


def test_asyncio_and_durations_in_the_test_body_read_real_time(suite: pytest.Pytester) -> None:
    """After handlers ran on the virtual clock (retries minutes apart), the test body's own event loop
    sleeps real time and pytest's ``--durations`` reports the real time the test took."""
    suite.makepyfile("""
        import asyncio
        import time

        from handlers import retry_times

        def test_sleeps(lambda_invoker):
            seen = retry_times(lambda_invoker)
            assert (seen[2] - seen[0]).total_seconds() >= 180  # the handlers' clock moved minutes

            async def main():
                loop = asyncio.get_running_loop()
                t0, w0 = loop.time(), time.time()
                await asyncio.sleep(0.2)
                return loop.time() - t0, time.time() - w0

            loop_elapsed, wall = asyncio.run(main())
            assert 0.2 <= loop_elapsed < 30 and 0.19 <= wall < 30
            time.sleep(0.3)
    """)
    result = suite.runpytest("--durations=1", "--durations-min=0")
    result.assert_outcomes(passed=1)
    [seconds] = [float(m[1]) for m in map(re.compile(r"([0-9.]+)s call .*::test_sleeps$").match, result.outlines)
                 if m]
    assert 0.5 <= seconds < 30


def test_freeze_time_decorator(suite: pytest.Pytester) -> None:
    suite.makepyfile("""
        import datetime as dt

        from freezegun import freeze_time
        from handlers import LEAP, MINUTE, now_handler, retry_times

        @freeze_time("2024-02-29 12:00:00")
        def test_frozen(lambda_invoker):
            lambda_invoker.register("w", now_handler)
            assert lambda_invoker.invoke("w", {}).payload == LEAP.isoformat()
            assert retry_times(lambda_invoker) == [LEAP, LEAP + MINUTE, LEAP + 3 * MINUTE]
            assert dt.datetime.now(dt.timezone.utc) == LEAP  # the test's own clock stays frozen
    """)
    suite.runpytest().assert_outcomes(passed=1)


def test_freeze_time_context_manager(suite: pytest.Pytester) -> None:
    suite.makepyfile("""
        import datetime as dt
        import time

        from freezegun import freeze_time
        from handlers import LEAP, MINUTE, now_handler, retry_times

        def test_frozen(lambda_invoker):
            lambda_invoker.register("w", now_handler)
            with freeze_time("2024-02-29 12:00:00"):
                assert lambda_invoker.invoke("w", {}).payload == LEAP.isoformat()
                assert retry_times(lambda_invoker) == [LEAP, LEAP + MINUTE, LEAP + 3 * MINUTE]
            assert abs(dt.datetime.now(dt.timezone.utc).timestamp() - time.time()) < 60
    """)
    suite.runpytest().assert_outcomes(passed=1)


def test_freeze_time_tick(suite: pytest.Pytester) -> None:
    suite.makepyfile("""
        import datetime as dt

        from freezegun import freeze_time
        from handlers import LEAP, now_handler

        def test_ticking(lambda_invoker):
            lambda_invoker.register("w", now_handler)
            with freeze_time("2024-02-29 12:00:00", tick=True):
                seen = dt.datetime.fromisoformat(lambda_invoker.invoke("w", {}).payload)
                assert LEAP <= seen < LEAP + dt.timedelta(seconds=30)
                assert seen <= dt.datetime.now(dt.timezone.utc) < LEAP + dt.timedelta(seconds=30)
    """)
    suite.runpytest().assert_outcomes(passed=1)


def test_freezegun_in_a_fixture_before_or_after_lambda_invoker(suite: pytest.Pytester) -> None:
    suite.makeconftest("""
        import pytest
        from freezegun import freeze_time

        @pytest.fixture
        def frozen():
            with freeze_time("2024-02-29 12:00:00") as factory:
                yield factory
    """)
    suite.makepyfile("""
        from handlers import LEAP, MINUTE, now_handler, retry_times

        def test_set_up_after(lambda_invoker, frozen):
            lambda_invoker.register("w", now_handler)
            assert lambda_invoker.invoke("w", {}).payload == LEAP.isoformat()
            assert retry_times(lambda_invoker) == [LEAP, LEAP + MINUTE, LEAP + 3 * MINUTE]

        def test_set_up_before(frozen, lambda_invoker):
            lambda_invoker.register("w", now_handler)
            assert lambda_invoker.invoke("w", {}).payload == LEAP.isoformat()
            frozen.tick(3600)  # the user moves time on: later invocations start there
            assert lambda_invoker.invoke("w", {}).payload == (LEAP + 60 * MINUTE).isoformat()
    """)
    suite.runpytest().assert_outcomes(passed=2)


def test_time_machine_travel_in_the_body(suite: pytest.Pytester) -> None:
    pytest.importorskip("time_machine")
    suite.makepyfile("""
        import datetime as dt

        import time_machine
        from handlers import LEAP, MINUTE, now_handler, retry_times

        def test_travelled(lambda_invoker):
            lambda_invoker.register("w", now_handler)
            with time_machine.travel(LEAP, tick=False):
                assert lambda_invoker.invoke("w", {}).payload == LEAP.isoformat()
                assert retry_times(lambda_invoker) == [LEAP, LEAP + MINUTE, LEAP + 3 * MINUTE]
                assert dt.datetime.now(dt.timezone.utc) == LEAP
    """)
    suite.runpytest().assert_outcomes(passed=1)


def test_time_machine_fixture_before_or_after_lambda_invoker(suite: pytest.Pytester) -> None:
    pytest.importorskip("time_machine")
    suite.makepyfile("""
        import datetime as dt

        import pytest
        from handlers import LEAP, now_handler

        def test_set_up_after(lambda_invoker, time_machine):
            time_machine.move_to(LEAP, tick=False)
            lambda_invoker.register("w", now_handler)
            assert lambda_invoker.invoke("w", {}).payload == LEAP.isoformat()

        def test_set_up_before(time_machine, lambda_invoker):
            time_machine.move_to(LEAP, tick=False)
            lambda_invoker.register("w", now_handler)
            assert lambda_invoker.invoke("w", {}).payload == LEAP.isoformat()
            time_machine.shift(3600)  # the user moves time on: later invocations start there
            assert lambda_invoker.invoke("w", {}).payload == (LEAP + dt.timedelta(hours=1)).isoformat()

        @pytest.mark.time_machine(LEAP, tick=False)
        def test_marker(lambda_invoker):
            lambda_invoker.register("w", now_handler)
            assert lambda_invoker.invoke("w", {}).payload == LEAP.isoformat()
            assert dt.datetime.now(dt.timezone.utc) == LEAP
    """)
    suite.runpytest().assert_outcomes(passed=3)


def test_the_clock_follows_a_later_freeze_but_never_goes_back(suite: pytest.Pytester) -> None:
    """The rule in docs/how-to/invoker.md: the clock starts at the test's clock when first read,
    catches up with a frozen clock that is later, and never moves back."""
    suite.makepyfile("""
        import datetime as dt

        from freezegun import freeze_time
        from handlers import now_handler

        def test_rule(lambda_invoker):
            inv = lambda_invoker
            inv.register("w", now_handler)
            started = dt.datetime.fromisoformat(inv.invoke("w", {}).payload)
            assert inv.t0 == started
            assert abs(started - dt.datetime.now(dt.timezone.utc)) < dt.timedelta(seconds=60)
            later = started + dt.timedelta(days=3)
            with freeze_time(later):
                assert inv.invoke("w", {}).payload == later.isoformat()
            with freeze_time(started - dt.timedelta(days=3)):
                assert inv.invoke("w", {}).payload == later.isoformat()  # never back
            assert inv.t0 == started
    """)
    suite.runpytest().assert_outcomes(passed=1)
