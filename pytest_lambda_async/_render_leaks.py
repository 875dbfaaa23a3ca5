"""The text of await-check failures (to be folded into ``_render``).

Plain text, built here and never by assertion rewriting, so it reads the same
under ``--assert=plain``.  Verdict first, then fixed headings (``Leaks:``,
``Event:``, ``Hint:``); bounded and deterministic.

    app.handler returned before its work was done: 1 unfinished
    Leaks:
      never awaited  coroutine send_email()  app.py:12
    Event: {"order": 1}
    Hint:
      never awaited: put `await` before the call ...
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .awaits import Leak

__all__ = [
    "HINTS",
    "MARSHAL_ERROR",
    "MAX_EVENT_CHARS",
    "MAX_LEAK_LINES",
    "event_json",
    "leak_lines",
    "render_message",
    "render_note",
]

MAX_LEAK_LINES = 20
MAX_EVENT_CHARS = 300
MAX_WHAT_CHARS = 80
DOCS = "docs/how-to/await-checks.md"

MARSHAL_ERROR = "Runtime.MarshalError: Unable to marshal response: Object of type {type} is not JSON serializable"

# One fix per leak kind, in the order kinds are listed in the message.
HINTS: dict[str, str] = {
    "never awaited": (
        "add `await` before the call (several at once: `await asyncio.gather(...)` or an asyncio.TaskGroup)"
    ),
    "pending task": (
        "await the task before returning (`await asyncio.gather(*tasks)`, or create it in "
        "`async with asyncio.TaskGroup() as tg:`); cancel and await what asyncio.wait() leaves pending"
    ),
    "dropped task": (
        "asyncio.run() cancelled it at shutdown, so its work never ran: await it before the main "
        "coroutine returns (gather or TaskGroup)"
    ),
    "running job": (
        "await the run_in_executor() future, call .result() on the submitted one, or submit inside "
        "`with ThreadPoolExecutor() as pool:`"
    ),
    "alive thread": (
        "join() it before returning (a Timer that must not fire: cancel() it), or use "
        "`with ThreadPoolExecutor() as pool:`"
    ),
    "returned awaitable": (
        "AWS fails this invocation with \"{marshal_error}\": return JSON, and run async code "
        "with `asyncio.run(...)`"
    ),
}

ASYNC_HANDLER_HINT = (
    "async def handler: AWS's Python runtime never awaits it (Runtime.MarshalError); deploy a sync "
    "entry point: `def handler(event, context): return asyncio.run(main(event, context))`"
)
ALLOW_HINT = f"deliberate long-lived work? name it in allow=[...] (see {DOCS})"


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def event_json(event: Any, limit: int = MAX_EVENT_CHARS) -> str:
    """The event as compact, key-sorted JSON, cut to ``limit`` characters."""
    if isinstance(event, (bytes, bytearray)):
        text = repr(bytes(event))
    else:
        try:
            text = json.dumps(event, sort_keys=True, separators=(", ", ": "), ensure_ascii=False, default=repr)
        except (TypeError, ValueError):
            text = repr(event)
    if len(text) > limit:
        text = f"{text[: limit - 1]}… ({len(text)} chars)"
    return text


def leak_lines(leaks: Sequence[Leak], limit: int = MAX_LEAK_LINES) -> list[str]:
    """One aligned line per leak: kind, what, where; at most ``limit``, then "… N more"."""
    shown = list(leaks[:limit])
    whats = [_shorten(leak.what, MAX_WHAT_CHARS) for leak in shown]
    width_kind = max((len(leak.kind) for leak in shown), default=0)
    width_what = max((len(w) for w in whats), default=0)
    lines = [
        f"  {leak.kind:<{width_kind}}  {what:<{width_what}}  {leak.where}".rstrip()
        for leak, what in zip(shown, whats)
    ]
    if len(leaks) > limit:
        lines.append(f"  … {len(leaks) - limit} more")
    return lines


def _hint_lines(leaks: Sequence[Leak], *, is_async: bool) -> list[str]:
    kinds = list(dict.fromkeys(leak.kind for leak in leaks))
    returned = next((leak for leak in leaks if leak.kind == "returned awaitable"), None)
    # The type json.dumps trips on: "coroutine", "Task", "Future" (first word of `what`).
    type_name = returned.what.split(" ", 1)[0].rsplit(".", 1)[-1] if returned is not None else "coroutine"
    marshal_error = MARSHAL_ERROR.format(type=type_name)
    lines = [f"  {kind}: {HINTS[kind].format(marshal_error=marshal_error)}" for kind in kinds if kind in HINTS]
    if is_async:
        lines.append(f"  {ASYNC_HANDLER_HINT}")
    lines.append(f"  {ALLOW_HINT}")
    return lines


def _verdict(handler: str, leaks: Sequence[Leak]) -> str:
    return f"{handler} returned before its work was done: {len(leaks)} unfinished"


def render_message(handler: str, leaks: Sequence[Leak], event: Any, *, is_async: bool = False) -> str:
    """The whole UnawaitedWorkError message."""
    lines = [_verdict(handler, leaks), "Leaks:", *leak_lines(leaks), f"Event: {event_json(event)}", "Hint:"]
    lines.extend(_hint_lines(leaks, is_async=is_async))
    return "\n".join(lines)


def render_note(handler: str, leaks: Sequence[Leak]) -> str:
    """Attached to a handler's own exception when it also left work unfinished."""
    head = f"lambda-async: {handler} also left {len(leaks)} unfinished (await check):"
    return "\n".join([head, *leak_lines(leaks)])
