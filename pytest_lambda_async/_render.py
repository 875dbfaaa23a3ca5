"""All the text the package shows people: timelines and failure messages.

Built here, never by assertion rewriting, so it reads the same under
``--assert=plain``, unittest and a Hypothesis replay.  Times are relative to
t0, which is given once, absolutely; request ids are shortened; output is
bounded and deterministic.
"""

from __future__ import annotations

import datetime as _dt
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._engine import LambdaInvoker, TimelineEntry

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
