"""All the text the package shows people: timelines and failure messages.

Built here, never by assertion rewriting, so it reads the same under
``--assert=plain``, unittest and a Hypothesis replay.  Times are relative to
t0, which is given once, absolutely; request ids are shortened; output is
bounded and deterministic.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._engine import LambdaInvoker, TimelineEntry
    from .awaits import Leak

MAX_TIMELINE_LINES = 200
MAX_LOG_LINES_PER_ATTEMPT = 5
MAX_JSON_CHARS = 600


def short_id(request_id: str) -> str:
    return request_id[:4] + ".." if request_id else "-"


def relative(at: _dt.datetime, t0: _dt.datetime) -> str:
    seconds = (at - t0).total_seconds()
    if seconds == int(seconds):
        return f"t+{int(seconds)}s"
    return f"t+{seconds:.3f}s".rstrip("0")


def iso_z(at: _dt.datetime) -> str:
    at = at.astimezone(_dt.timezone.utc)
    text = at.strftime("%Y-%m-%dT%H:%M:%S")
    if at.microsecond:
        text += f".{at.microsecond // 1000:03d}"
    return text + "Z"


def compact_json(value: Any, limit: int = MAX_JSON_CHARS) -> str:
    try:
        text = json.dumps(value, sort_keys=True, default=repr)
    except (TypeError, ValueError):
        text = repr(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def render_timeline_entries(entries: list[TimelineEntry], *, t0: _dt.datetime, seed: int,
                            limit: int = MAX_TIMELINE_LINES) -> str:
    lines = [f"lambda-async timeline (virtual clock, t0 = {iso_z(t0)}, seed {seed})"]
    if not entries:
        lines.append("  (nothing was invoked)")
        return "\n".join(lines)
    width_t = max(len(relative(e.at, t0)) for e in entries)
    width_f = max(len(e.function) for e in entries)
    shown = entries if len(entries) <= limit else entries[: limit // 2] + entries[-limit // 2:]
    for i, e in enumerate(shown):
        if len(entries) > limit and i == limit // 2:
            lines.append(f"  … {len(entries) - limit} more entries …")
        lines.append(f"  {relative(e.at, t0):<{width_t}}  {e.kind:<8} {e.function:<{width_f}}  "
                     f"req {short_id(e.request_id)}  {e.text}")
        for log in e.logs[:MAX_LOG_LINES_PER_ATTEMPT]:
            lines.append(f"  {'':<{width_t}}  {'':<8} {'':<{width_f}}  | {log}")
        if len(e.logs) > MAX_LOG_LINES_PER_ATTEMPT:
            lines.append(f"  {'':<{width_t}}  {'':<8} {'':<{width_f}}  | … {len(e.logs) - MAX_LOG_LINES_PER_ATTEMPT}"
                         " more log lines")
    return "\n".join(lines)


def render_timeline(invoker: LambdaInvoker) -> str:
    text = render_timeline_entries(invoker.timeline_entries, t0=invoker.t0, seed=invoker.seed)
    if invoker.pending:
        text += f"\n  ({invoker.pending} deliveries still queued: call run() to play them out)"
    if invoker.metrics:
        text += "\n  metrics: " + ", ".join(f"{k}={v}" for k, v in sorted(invoker.metrics.items()))
    return text


# -- await checks (UnawaitedWorkError and the invoker's "unawaited" attempts) -----------
# Verdict first, then fixed headings (``Leaks:``, ``Event:``, ``Hint:``):
#
#     app.handler returned before its work was done: 1 unfinished
#     Leaks:
#       never awaited  coroutine send_email()  app.py:12
#     Event: {"order": 1}
#     Hint:
#       never awaited: put `await` before the call ...
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


UNAWAITED_ERROR_TYPE = "UnawaitedWork"  # the plugin's verdict, not an AWS error type: AWS would say success


def unawaited_summary(leaks: Sequence[Leak]) -> str:
    """The one-line error of an "unawaited" attempt, as the timeline shows it."""
    first = leaks[0]
    more = f" (+{len(leaks) - 1} more)" if len(leaks) > 1 else ""
    return f"returned before its work was done: {first.kind} {_shorten(first.what, MAX_WHAT_CHARS)} {first.where}{more}"


def unawaited_error(leaks: Sequence[Leak]) -> dict[str, Any]:
    """The error object of an "unawaited" attempt (its response, and the failure record's payload)."""
    return {"errorType": UNAWAITED_ERROR_TYPE,
            "errorMessage": "; ".join(f"{leak.kind}: {leak.what} ({leak.where})" for leak in leaks[:MAX_LEAK_LINES])}
