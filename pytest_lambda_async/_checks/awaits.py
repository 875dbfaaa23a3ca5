"""assert_awaits_all and find_leaks: run a handler once in an await window and report what it left running."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Sequence
from typing import Any

from .._service.leaks import AwaitWindow, real_clock_loops, user_code_roots
from .._service.records import Leak
from .._service.freeze import allow_patterns
from .._service.loop import CURRENT_LOOP_ON_MAIN_THREAD, new_event_loop
from .._service.runtime import LambdaContext, handler_name, is_async_handler
from .._text import render_message, render_note
from ..errors import UnawaitedWorkError

__all__ = ["assert_awaits_all", "find_leaks"]


def _run_checked(
    handler: Callable[..., Any], event: Any, context: Any, allow: Sequence[str], strict: bool
) -> tuple[list[Leak], BaseException | None]:
    """Run the handler once in a window on a fresh runtime thread: (leaks, its exception)."""
    allow = allow_patterns(allow)  # checked here, on the caller's thread, not in the runner's
    if context is None:
        context = LambdaContext()
    is_async = is_async_handler(handler)
    roots = user_code_roots(handler)
    leaks: list[Leak] = []
    error: list[BaseException] = []

    def run() -> None:
        window = AwaitWindow(allow=allow, strict=strict, user_code=roots)
        loop: asyncio.AbstractEventLoop | None = None
        try:
            with real_clock_loops():
                try:
                    with window:
                        if is_async or CURRENT_LOOP_ON_MAIN_THREAD:
                            loop = new_event_loop()
                            window.track_loop(loop)
                            if CURRENT_LOOP_ON_MAIN_THREAD:
                                # Lambda runs handlers on the main thread, where before 3.14
                                # asyncio.get_event_loop() makes a loop: give this thread one too.
                                asyncio.set_event_loop(loop)
                        if is_async:
                            assert loop is not None
                            result = loop.run_until_complete(handler(event, context))
                        else:
                            result = handler(event, context)
                            window.check_result(result)
                        del result
                except BaseException as exc:  # handed to the caller's thread
                    error.append(exc)
                leaks.extend(window.leaks)
                window.cancel_leftovers(loop)
                if loop is not None and not loop.is_closed():
                    with contextlib.suppress(Exception):
                        loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            if loop is not None:
                if CURRENT_LOOP_ON_MAIN_THREAD:
                    asyncio.set_event_loop(None)
                loop.close()  # shuts the default executor down without waiting for leaked jobs

    runner = threading.Thread(target=run, name="lambda-async-await-check", daemon=True)
    runner.start()
    runner.join()
    return leaks, (error[0] if error else None)


def _with_note(error: BaseException, handler: Callable[..., Any], leaks: list[Leak]) -> BaseException:
    if leaks and hasattr(error, "add_note"):
        error.add_note(render_note(handler_name(handler), leaks))
    return error


def find_leaks(
    handler: Callable[..., Any],
    event: Any,
    context: Any = None,
    *,
    allow: Sequence[str] = (),
    strict: bool = False,
) -> list[Leak]:
    """Like :func:`assert_awaits_all`, but return the leaks instead of raising.

    A handler's own exception still propagates (with the leaks as a note)."""
    __tracebackhide__ = True
    leaks, error = _run_checked(handler, event, context, allow, strict)
    if error is not None:
        raise _with_note(error, handler, leaks)
    return leaks


def assert_awaits_all(
    handler: Callable[..., Any],
    event: Any,
    context: Any = None,
    *,
    allow: Sequence[str] = (),
    strict: bool = False,
) -> None:
    """Run ``handler(event, context)`` once and fail if it returned before its work was done.

    ``handler`` is a sync handler (as AWS calls it, often wrapping
    ``asyncio.run``) or an ``async def`` function (run on a loop of its own).
    It always runs on a short-lived thread with no event loop running, so this
    works inside a pytest-asyncio test and under freezegun (loops made there
    read the real monotonic clock).  ``context`` defaults to a
    :class:`~pytest_lambda_async.LambdaContext`.  Leftover tasks are cancelled
    afterwards so nothing leaks into the next test; threads cannot be, they
    are only reported.

    Raises :class:`~pytest_lambda_async.errors.UnawaitedWorkError` naming each
    leak and the ``file:line`` that started it.  If the handler raises, the check
    still runs (and cleans up), then the handler's own exception propagates
    unchanged, with the leak report attached as a note (Python 3.11+)."""
    __tracebackhide__ = True
    leaks, error = _run_checked(handler, event, context, allow, strict)
    if error is not None:
        raise _with_note(error, handler, leaks)
    if leaks:
        message = render_message(handler_name(handler), leaks, event, is_async=is_async_handler(handler))
        raise UnawaitedWorkError(message)
