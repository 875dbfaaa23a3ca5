"""An attempt's call: what the runtime calls for one attempt of a function (PY-2, PY-4), or the
function error ``fail_next`` injects in its place."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from .. import _text
from ..errors import AsyncHandlerError
from .delivery import UNSET
from .functions import InjectedFunctionError, LambdaFunction
from .loop import CURRENT_LOOP_ON_MAIN_THREAD, RuntimeEventLoop
from .runtime import is_async_handler

__all__ = ["attempt_call", "check_handler"]


def check_handler(name: str, handler: Any, *, asyncio: bool) -> bool:
    """A handler the runtime can call (``handler(event, context)``); True for an ``async def`` one, which
    only ``asyncio=True`` lets in (PY-2: the runtime never awaits it)."""
    if not callable(handler):
        raise TypeError(f"{name}: the handler must be callable as handler(event, context), got {handler!r}")
    is_async = is_async_handler(handler)
    if is_async and not asyncio:
        qualname = getattr(handler, "__qualname__", repr(handler))
        raise AsyncHandlerError(_text.async_handler_refused(name, qualname, getattr(handler, "__name__", "handler")))
    return is_async


def attempt_call(fn: LambdaFunction, event: Any, context: Any, injected: Any,
                 loop_for: Callable[[], RuntimeEventLoop]) -> Callable[[], Any]:
    """The call one attempt makes: the handler with ``event`` and ``context``, or raising the error
    ``fail_next`` queued (``injected``: UNSET when none; None for the default error); ``loop_for``: the
    event loop of the attempt's execution environment."""
    if injected is not UNSET:
        err = injected or InjectedFunctionError(_text.FAIL_NEXT_ERROR)

        def fail() -> Any:
            raise err

        return fail
    handler = fn.handler
    if fn.is_async:  # asyncio=True: the handler's coroutine runs on its environment's loop
        loop = loop_for()
        return lambda: loop.run_until_complete(handler(event, context))
    if CURRENT_LOOP_ON_MAIN_THREAD:
        loop = loop_for()
        policy = asyncio.get_event_loop_policy()

        def on_main_thread() -> Any:
            # Lambda calls handlers on its main thread, where asyncio.get_event_loop()
            # gives one loop per environment, kept across requests (PY-4).
            policy.set_event_loop(loop)
            try:
                return handler(event, context)
            finally:
                policy.set_event_loop(None)

        return on_main_thread
    return lambda: handler(event, context)
