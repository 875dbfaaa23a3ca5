"""The await check on every attempt, and what the freeze after it does to unfinished work (PY-4).

When a handler returns, AWS freezes its environment: work it left running stops, and resumes
only if a later request reuses the environment.  Each attempt runs in an :class:`AwaitWindow`;
:func:`settle` judges what it left (``await_check``) and freezes it (``freeze``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Literal

from .. import _text
from . import aws
from .delivery import SuspendedWork
from .functions import LambdaFunction
from .leaks import AwaitWindow, user_code_roots
from .loop import CURRENT_LOOP_ON_MAIN_THREAD, RuntimeEventLoop
from .runtime import Execution

__all__ = ["AWAIT_CHECKS", "FREEZE_MODES", "AwaitCheck", "Freeze", "allow_patterns", "await_window", "settle"]

AwaitCheck = Literal["error", "warn", "off"]
AWAIT_CHECKS: tuple[AwaitCheck, ...] = ("error", "warn", "off")
Freeze = Literal["cancel", "resume"]
FREEZE_MODES: tuple[Freeze, ...] = ("cancel", "resume")


def allow_patterns(value: object, name: str = "allow") -> tuple[str, ...]:
    """The allow-list as a tuple of non-empty strings (one string counts as one pattern)."""
    patterns = (value,) if isinstance(value, str) else tuple(value) if isinstance(value, Iterable) else None
    if patterns is None or not all(isinstance(p, str) and p for p in patterns):
        raise TypeError(f"{name} must be qualname or thread-name patterns (strings), got {value!r}")
    return patterns


def await_window(fn: LambdaFunction, allow: Sequence[str],
                 loop_for: Callable[[], RuntimeEventLoop]) -> AwaitWindow:
    """The window one attempt of ``fn`` runs in, tracking the function's own loop where it has one."""
    if fn.user_code is None:
        fn.user_code = user_code_roots(fn.handler)
    window = AwaitWindow(allow=allow, user_code=fn.user_code)
    if fn.is_async or CURRENT_LOOP_ON_MAIN_THREAD:
        window.track_loop(loop_for())
    return window


def settle(fn: LambdaFunction, request_id: str, execution: Execution, window: AwaitWindow, *,
           await_check: AwaitCheck, freeze: Freeze,
           loop: RuntimeEventLoop | None = None) -> tuple[Execution, list[str], str | None]:
    """Judge what the attempt left unfinished, then freeze it: cancel it, or keep it to resume.

    Returns the attempt's execution (``"unawaited"`` under ``await_check="error"``), the lines
    the timeline shows under the attempt, and the warning ``await_check="warn"`` raises.  ``loop``: the
    event loop of the attempt's execution environment, if it has one."""
    notes = _resumed_work(fn, request_id)
    # A returned awaitable is already AWS's own Runtime.MarshalError (PY-2).
    leaks = [leak for leak in window.leaks if leak.kind != "returned awaitable"]
    if not leaks:
        return execution, notes, None
    notes.extend(_text.unfinished_notes(leaks))
    if execution.crashed:  # the environment is gone, and the work with it (PY-6, PY-7)
        window.cancel_leftovers(loop)
        notes.append(_text.FREEZE_NOTES["crashed"])
    elif freeze == "cancel":
        window.cancel_leftovers(loop)
        notes.append(_text.FREEZE_NOTES["cancel"])
    elif window.leftovers():
        fn.suspended.append(SuspendedWork(request_id, window))
        notes.append(_text.FREEZE_NOTES["resume"])
    if await_check == "warn":
        return execution, notes, _text.unawaited_warning(fn.name, request_id, leaks)
    if execution.outcome != "success":
        return execution, notes, None  # the handler's own error is the attempt's error; the leaks are notes
    payload = _text.unawaited_error(leaks)
    return (Execution("unawaited", payload, aws.FUNCTION_ERROR, _text.unawaited_summary(leaks), execution.logs,
                      execution.crashed, execution.output), notes, None)


def _resumed_work(fn: LambdaFunction, request_id: str) -> list[str]:
    """What suspended work from earlier requests ran during this one (freeze="resume")."""
    notes: list[str] = []
    still: list[SuspendedWork] = []
    for work in fn.suspended:
        for what, status in work.progress():
            notes.append(_text.resumed_note(what, work.request_id, request_id, status))
        if work.window.leftovers():
            still.append(work)
    fn.suspended = still
    return notes
