"""All the text the package shows people: timelines and failure messages.

Built here, never by assertion rewriting, so it reads the same under
``--assert=plain``, unittest and a Hypothesis replay.  Times are relative to
t0, which is given once, absolutely; request ids are shortened; output is
bounded and deterministic.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from ._service.records import Attempt, Failed, Invoked, LoopStopped, NotInvoked, Retried, Routed, Throttled, Waited

if TYPE_CHECKING:
    from ._service.records import Leak, TimelineEntry

# -- links into the documentation: defined beside the rules (_service/links.py), re-exported here ----
from ._service.links import DOCS_URL as DOCS_URL, RULES_PAGE as RULES_PAGE, cite as cite  # noqa: E402
from ._service.links import docs_url as docs_url, rule_anchor as rule_anchor, rule_url as rule_url  # noqa: E402
from ._service.links import RULE_ID_RE as RULE_ID_RE  # noqa: E402


_E = TypeVar("_E", bound=BaseException)


def help_heading() -> str:
    """The heading of the plugin's options in ``pytest --help``: it says where the ids they cite are defined."""
    return (f"pytest-lambda-async: the in-memory async Lambda service (rule ids such as Q-2 or PY-5: "
            f"{docs_url(RULES_PAGE)})")


def rule_note(exc: _E, rule_id: str) -> _E:
    """``exc`` with a note naming the rule behind it and its URL (an AWS message stays AWS's own text)."""
    note = f"lambda-async: {cite(rule_id)}"
    if hasattr(exc, "add_note"):
        exc.add_note(note)
    else:  # Python 3.10: the attribute add_note sets, which pytest and traceback show
        setattr(exc, "__notes__", [*getattr(exc, "__notes__", ()), note])
    return exc


def rules_footer(rule_ids: Iterable[str]) -> list[str]:
    """Under a timeline: the URL of each rule id its entries cite, once each (none: no lines)."""
    ids = list(dict.fromkeys(rule_ids))
    width = max((len(i) for i in ids), default=0)
    return [f"  {'rules:' if n == 0 else '':<6} {i:<{width}}  {rule_url(i)}" for n, i in enumerate(ids)]


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


def pollers_never_idle(polls: int) -> str:
    """run()/advance() gave up on event source mappings that kept polling at one virtual instant."""
    return (f"run()/advance() stopped after {polls} polls of event source mappings at one virtual instant: does a "
            f"function send to the queue it is mapped to with RecursiveLoop=Allow ({cite('LOOP-3')})? Each invocation "
            "takes no virtual time, so such a loop never lets the clock move: bound it in the handler, or pass "
            f"run(max_attempts=...). See {docs_url('how-to/event-sources.md')}")


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


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _from(parent: str | None, parent_function: str | None) -> str:
    if not parent:
        return ""
    return f"  from {parent_function + ' ' if parent_function else ''}req {short_id(parent)}"


_ROLE_LABEL = {"on_success": "on_success", "on_failure": "on_failure", "dead_letter": "DLQ"}


def attempt_text(a: Attempt) -> str:
    """``#2  error  KeyError: 'order_id' (app.py:31)  duplicate delivery``."""
    return f"#{a.number}  {a.outcome}" + (f"  {a.error}" if a.error else "") + ("  duplicate delivery" if a.duplicate else "")


def waited_text(d: Waited, at: _dt.datetime) -> str:
    """``waits 50s for an environment: 1 of 1 in use (reserved concurrency) (Q-1)``."""
    pool = "reserved concurrency" if d.reserved else "the account's unreserved concurrency"
    head = f"waits {(d.until - at).total_seconds():g}s for an environment: {d.in_use} of {d.limit} in use ({pool})"
    return head + (", until its maximum event age runs out (Q-3)" if d.expires else " (Q-1)")


def entry_rule_ids(e: TimelineEntry) -> tuple[str, ...]:
    """The rule ids ``entry_text`` cites for ``e``, read from the same fields (the footer links them;
    the handler's own words, in its error or its log lines, never count)."""
    d = e.detail
    if isinstance(d, Retried):
        return ("RET-1",)
    if isinstance(d, Waited):
        return ("Q-3",) if d.expires else ("Q-1",)
    if isinstance(d, Throttled) and d.invocation_type == "Event" and d.reserved_concurrency_zero:
        return ("Q-5",)
    if isinstance(d, Routed) and d.failure is not None and d.rule is not None:
        return (d.rule,)
    if isinstance(d, LoopStopped):
        return ("LOOP-1",)
    return ()


def timeline_rule_ids(entries: Iterable[TimelineEntry]) -> list[str]:
    """Each rule id the entries cite, once, in the order they first appear."""
    return list(dict.fromkeys(i for e in entries for i in entry_rule_ids(e)))


def entry_text(e: TimelineEntry) -> str:
    """What one timeline entry says after its time, kind, function and request id."""
    d = e.detail
    if isinstance(d, Attempt):
        return attempt_text(d)
    if isinstance(d, Invoked):
        source = f"  from {d.source}" if d.source else ""
        if d.invocation_type != "Event":
            return d.invocation_type + source + _from(d.parent, d.parent_function)
        extra = f" (+{_plural(d.duplicates, 'duplicate')})" if d.duplicates else ""
        return f"Event  -> 202, queued{extra}" + source + _from(d.parent, d.parent_function)
    if isinstance(d, NotInvoked):
        return f"from {d.source} -> not invoked: {d.code}: {d.message} ({d.fate or EVENT_LOST})"
    if isinstance(d, Throttled):
        if d.invocation_type != "Event":
            in_use = f" (all {_plural(d.limit, 'environment')} of its pool in use)" if d.limit is not None else ""
            return f"{d.invocation_type} -> 429 {d.reason}{in_use}"
        if d.reserved_concurrency_zero:
            return "reserved concurrency 0 -> no attempt (Q-5)"
        if d.past_maximum_event_age is not None:
            return f"429 throttled; next try past maximum event age ({d.past_maximum_event_age:g}s)"
        return f"429 throttled -> back in queue, retry in {d.retry_in:g}s"
    if isinstance(d, Waited):
        return waited_text(d, e.at)
    if isinstance(d, Retried):
        return f"retry in {d.delay:g}s (RET-1)"
    if isinstance(d, Failed):
        return f"{d.condition} after {_plural(d.attempts, 'attempt')}"
    if isinstance(d, Routed):
        if d.failure is None:
            return f"{_ROLE_LABEL[d.role]} -> {d.target}"
        return f"{d.role} -> {d.target} FAILED: {d.failure} ({d.metric}; the function is not retried)"
    if isinstance(d, LoopStopped):
        head = ("Event  -> 202, then stopped: recursive loop" if d.invocation_type == "Event"
                else f"{d.invocation_type} -> 400 RecursiveInvocationException")
        return (head + (f"  from {d.source}" if d.source else "") + _from(d.parent, d.parent_function)
                + f" (more than {d.limit} invocations of {e.function} in one chain, LOOP-1; {d.metric})")
    raise TypeError(f"no text for timeline detail {d!r}")


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
                     f"req {short_id(e.request_id)}  {entry_text(e)}")
        for log in e.notes[:MAX_LOG_LINES_PER_ATTEMPT]:
            lines.append(f"  {'':<{width_t}}  {'':<8} {'':<{width_f}}  | {log}")
        if len(e.notes) > MAX_LOG_LINES_PER_ATTEMPT:
            lines.append(f"  {'':<{width_t}}  {'':<8} {'':<{width_f}}  | … {len(e.notes) - MAX_LOG_LINES_PER_ATTEMPT}"
                         " more log lines")
    return "\n".join(lines)


def render_timeline(entries: list[TimelineEntry], *, t0: _dt.datetime, seed: int, pending: int = 0,
                    metrics: Mapping[str, int] | None = None) -> str:
    """``LambdaInvoker.timeline()``: the entries, then what is still queued and the service's metrics."""
    text = render_timeline_entries(entries, t0=t0, seed=seed)
    footer = rules_footer(timeline_rule_ids(entries))
    if pending:
        text += f"\n  ({pending} deliveries still queued: call run() to play them out)"
    if metrics:
        text += "\n  metrics: " + ", ".join(f"{k}={v}" for k, v in sorted(metrics.items()))
    return "\n".join([text, *footer])



def deliveries_never_ended(max_attempts: int, queued: int) -> str:
    """run() gave up after ``max_attempts`` deliveries with ``queued`` still in the queue."""
    return (f"run() stopped after {max_attempts} deliveries with {queued} still "
            "queued: do destinations invoke each other in a cycle?")


def destination_failure(reason: str, resource: str) -> str:
    """Why a record was not delivered to its destination or DLQ (``Routed.failure``), for ``reason``
    "fifo" (CFG-5), "unregistered" (the function ``resource`` is not) or "loop_stopped" (LOOP-1)."""
    if reason == "fifo":
        return "FIFO queues and topics are not supported (CFG-5)"
    if reason == "unregistered":
        return f"function {resource} is not registered"
    if reason == "loop_stopped":
        return "the recursive loop was stopped (LOOP-1); its record goes to no function"
    raise ValueError(f"no text for destination failure {reason!r}")


def moto_delivery_failure(kind: str, *, operation: str = "", code: str = "", message: str = "",
                          error_type: str = "", url: str = "") -> str:
    """Why a delivery into moto failed (``Routed.failure``): moto answered an error ("answered", also for
    a PutEvents entry), raised ("raised"), did not answer ("unanswered"), or no EventBridge envelope
    ("no_envelope") or S3 key ("no_s3_key") was built for it."""
    if kind == "answered":
        return f"moto answered {operation} with {code or '?'}: {message}"
    if kind == "raised":
        return f"delivery into moto raised {error_type}: {message}"
    if kind == "unanswered":
        return (f"moto did not answer {url} (moto stopped, or the service is passed through or not mocked); "
                "nothing was sent to AWS")
    if kind == "no_envelope":
        return "no EventBridge envelope was built for this delivery"
    if kind == "no_s3_key":
        return "no S3 key was built for this delivery"
    raise ValueError(f"no text for moto delivery failure {kind!r}")


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
DOCS = docs_url("how-to/await-checks.md")

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
    "busy thread": (
        "a library's thread was still running your code (the function named) when the handler "
        "returned: wait for it first (`q.join()` on a QueueListener's queue, `listener.stop()`, "
        "or the library's flush()), or make that code fast"
    ),
    "pending callback": (
        "a call_later/call_at callback was still scheduled: it runs only if a later request reuses "
        "this environment; await the work instead (`await asyncio.sleep(delay)`, then call it), or "
        "cancel() the handle"
    ),
    "dropped callback": (
        "its loop was closed (asyncio.run() returning) before the callback ran, so it never will: "
        "await the work instead (`await asyncio.sleep(delay)`, then call it), or cancel() the handle "
        "if it must not run"
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


def unfinished_notes(leaks: Sequence[Leak]) -> list[str]:
    """The lines under an attempt that left work unfinished, one per leak."""
    return [f"unfinished: {line.strip()}" for line in leak_lines(leaks)]


FREEZE_NOTES = {
    "crashed": "freeze: the environment was reset, so this work was dropped",
    "cancel": "freeze=cancel: unfinished work cancelled (as if this environment were never reused)",
    "resume": "freeze=resume: suspended; it resumes if the next attempt reuses this environment",
    "reset": "freeze: the environment was reset; work suspended by earlier requests was dropped",
}


def resumed_note(what: str, created_by: str, ran_during: str, status: str) -> str:
    return f"resumed: {what}, created by request {short_id(created_by)}, ran during request {short_id(ran_during)} ({status})"


def unawaited_warning(function: str, request_id: str, leaks: Sequence[Leak]) -> str:
    """``await_check="warn"``: the warning an attempt that left work unfinished raises."""
    return f"{function} (request {request_id}) returned before its work was done:\n" + "\n".join(leak_lines(leaks))


def unawaited_error(leaks: Sequence[Leak]) -> dict[str, Any]:
    """The error object of an "unawaited" attempt (its response, and the failure record's payload)."""
    return {"errorType": UNAWAITED_ERROR_TYPE,
            "errorMessage": "; ".join(f"{leak.kind}: {leak.what} ({leak.where})" for leak in leaks[:MAX_LEAK_LINES])}


# -- idempotency checks (NotIdempotentError) ---------------------------------------------
# Verdict first, then fixed headings: Event, Delivery history, State ... vs ..., Reproduce, Hint.
# Under 40 lines whatever the inputs: every block below is bounded.
MAX_DIFF_LINES = 8
MAX_HISTORY_LINES = 12
MAX_VALUE_CHARS = 70
IDEMPOTENCY_DOCS = docs_url("how-to/idempotency.md")

IDEMPOTENCY_HINTS: dict[str, str] = {
    "duplicate": "make each write conditional on a key taken from the event (a DynamoDB put with "
                 "attribute_not_exists, an S3 key or FIFO deduplication id derived from it)",
    "redelivery": "the source sent the event again as a new invocation, with a new context.aws_request_id: "
                  "deduplicate on the event's own id (an S3 object's key and sequencer, an SNS MessageId, an "
                  "EventBridge id, an SQS messageId), not on the request id",
    "late": "the duplicate came after the deduplication record or window had expired (an idempotency "
            "record's expiry, SQS FIFO's 5-minute interval): keep the record at least as long as the event "
            "can come again (the function's MaximumEventAgeInSeconds; check_idempotent's maximum_event_age=), "
            "or make the work itself idempotent",
    "late_retry": "Lambda retried the failed attempt, with the same context.aws_request_id, later than its usual 1 or 2 "
                  "minutes (throttled: up to the maximum event age later), after the deduplication record had expired: keep "
                  "records at least as long as the function's MaximumEventAgeInSeconds (6 h by default; Powertools' "
                  "expires_after_seconds is 1 h by default), or guard the work with a condition that does not expire",
    "boundary": "the history started just before {a_start} boundary and a later delivery read another "
                "{start} from the clock: derive keys and partitions from the event (its time field), not "
                "from the time the attempt runs",
    "error": "the retry repeats work the failed attempt already did: record completion in the same "
             "conditional write as the work, or wrap the handler in Powertools' @idempotent",
    "before": "a call failed before it took effect and the retry skipped or repeated work: do not mark "
              "the event as seen before the work is done (mark it in the same conditional write)",
    "response_lost": "a call took effect but its response was lost, so the retry sends it again: make the "
                     "call itself idempotent (conditional put keyed on the event, deduplication id, "
                     "deterministic key)",
    "concurrent": "two deliveries of the same event ran at once and both passed a check made before an "
                  "await or a later AWS call: make the write itself conditional (a DynamoDB put with attribute_not_exists), or use "
                  "Powertools' @idempotent, whose in-progress record turns the second delivery away",
    "environment": "module-level state ({names}) only lives in one execution environment; the redelivery "
                   "landed on a fresh one. Keep the seen-record in shared storage (a DynamoDB conditional "
                   "put, Powertools' @idempotent with a DynamoDB persistence layer)",
}


def _value_text(value: Any) -> str:
    text = compact_json(value, MAX_VALUE_CHARS) if not isinstance(value, (set, frozenset)) \
        else compact_json(sorted(value, key=repr), MAX_VALUE_CHARS)
    return text


def _items(n: int) -> str:
    return f"{n} item" + ("" if n == 1 else "s")


def state_differences(expected: Any, got: Any, *, limit: int = MAX_DIFF_LINES) -> list[str]:
    """Path-by-path differences between two snapshots, at most ``limit`` lines (+ a count line)."""
    lines: list[str] = []

    def walk(path: str, a: Any, b: Any) -> None:
        if a == b:
            return
        if isinstance(a, dict) and isinstance(b, dict):
            for key in sorted(a.keys() | b.keys(), key=repr):
                sub = f"{path}[{key!r}]"
                if key not in b:
                    lines.append(f"  {sub}:  {_value_text(a[key])}  !=  (missing)")
                elif key not in a:
                    lines.append(f"  {sub}:  (missing)  !=  {_value_text(b[key])}")
                else:
                    walk(sub, a[key], b[key])
            return
        if isinstance(a, (set, frozenset)) and isinstance(b, (set, frozenset)):
            lines.append(f"  {path}:  {_items(len(a))}  !=  {_items(len(b))}")
            lines.extend(f"    - {_value_text(v)}" for v in sorted(a - b, key=repr))
            lines.extend(f"    + {_value_text(v)}" for v in sorted(b - a, key=repr))
            return
        if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
            if len(a) != len(b):
                lines.append(f"  {path}:  {_items(len(a))}  !=  {_items(len(b))}")
                extra = [v for v in b if v not in a]
                missing = [v for v in a if v not in b]
                lines.extend(f"    - {_value_text(v)}" for v in missing)
                lines.extend(f"    + {_value_text(v)}" for v in extra)
                if not extra and not missing:  # same items, some repeated
                    lines.extend(f"    + {_value_text(v)}  (again)" for v in b[len(a):])
                return
            for i, (x, y) in enumerate(zip(a, b)):
                walk(f"{path}[{i}]", x, y)
            return
        lines.append(f"  {path}:  {_value_text(a)}  !=  {_value_text(b)}")

    walk("state", expected, got)
    if not lines:
        lines.append(f"  state:  {_value_text(expected)}  !=  {_value_text(got)}  (equal-looking, but != )")
    if len(lines) > limit:
        lines = lines[:limit] + [f"  … {len(lines) - limit} more differences"]
    return lines


def _history_summary(history: Any, new_environment: bool, race: tuple[str | None, str | None] | None,
                     source: str) -> str:
    parts: list[str] = []
    if history.function_errors:
        n = history.function_errors
        parts.append(f"{n} function error{'s' if n > 1 else ''} then a retry")
    for failure in history.sdk_failures:
        what = "before it took effect" if failure.kind == "before" else "after it took effect (response lost)"
        parts.append(f"a failure at SDK call [{failure.call_index}] {what} then a retry")
    same = history.duplicates - len(history.redeliveries) - (1 if race is not None else 0)
    if same > 0:
        parts.append("one duplicate delivery" if same == 1 else f"{same} duplicate deliveries")
        if history.concurrent_duplicates and race is None:
            parts[-1] += " running concurrently" if same == 1 else f" ({history.concurrent_duplicates} concurrent)"
    if race is not None:
        parts.append(_race_text(race))
    for step in history.redeliveries:
        parts.append(f"a duplicate from {source} with a new request id, {step.delay_text}")
    late = history.late_retries
    failing = [i for i, part in enumerate(parts) if part.endswith(" then a retry")]
    for attempt, delay in late:
        if failing:  # the retry of the first failure (attempt 2), or of the last one
            i = failing[0] if attempt == 2 else failing[-1]
            parts[i] = parts[i][:-len("a retry")] + late_text(delay, attempt)
        else:
            parts.append(late_text(delay, attempt))
    throttles = history.throttles - sum(history.throttles_before(k) for k, _ in late)
    if throttles:
        parts.append(f"{throttles} throttle{'s' if throttles > 1 else ''}")
    text = ", ".join(parts) or "one clean delivery"
    if new_environment and (history.duplicates or history.attempts > 1):
        text += " on a second execution environment"
    if history.start is not None:
        text += f", starting 1 s before {with_article(history.start)} boundary"
    return text


def with_article(noun: str | None) -> str:
    """'a minute', 'an hour', 'a day' (the boundaries a history can start before)."""
    return f"{'an' if noun == 'hour' else 'a'} {noun}"


def throttles_left_out(n: int) -> str:
    """The note on the last of a long run of throttles the idempotency report folds."""
    return f"(and {n} throttles before it, each back in the queue with back-off up to 300 s: RET-3)"


# The idempotency checker's notes under an attempt of the report's timeline.
SECOND_ENVIRONMENT_NOTE = "on a second execution environment (module state as after a cold start)"
FUNCTION_ERROR_NOTE = "the handler finished its work, then the attempt failed (injected)"
INJECTED_FUNCTION_ERROR = "the attempt failed after the handler's work (injected)"  # the error the attempt ends in


def sdk_call_note(index: int, operation: str, injected: str | None, error: str | None) -> str:
    """``SDK call [1] DynamoDB.PutItem: took effect, response lost (ReadTimeoutError)``: one SDK call of an
    attempt, and what was injected into it (``"before"``, ``"response_lost"`` or None)."""
    text = f"SDK call [{index}] {operation}"
    if injected == "before":
        return f"{text}: failed before taking effect ({error})"
    if injected == "response_lost":
        return f"{text}: took effect, response lost ({error})"
    return text


def no_sdk_call_to_fail(fail_at: int, made: int) -> str:
    """The note when the planned SDK failure's call was never made."""
    return f"(no SDK call [{fail_at}] to fail: the attempt made {made})"


def call_interleaving(calls: Sequence[tuple[int, str]]) -> str:
    """``A:GetItem B:GetItem A:PutItem``: the SDK calls of two deliveries (0 = A, 1 = B) in order."""
    return " ".join(f"{'AB'[who]}:{operation.split('.')[-1]}" for who, operation in calls) or "(no SDK calls)"


def step_interleaving(steps: Sequence[str], limit: int = 40) -> str:
    """``A A B A``: which delivery ran each step at await points, at most ``limit`` steps."""
    text = " ".join(steps[:limit])
    return text + (f" … (+{len(steps) - limit})" if len(steps) > limit else "")


def two_environments_notes(calls: Sequence[tuple[int, str]], error: tuple[str, str] | None) -> list[str]:
    """The notes of a sync attempt run at once with a duplicate in a second environment; ``error`` is the
    duplicate's (type name, message), if it failed."""
    lines = ["ran at once with a duplicate delivery (same request id) in a second execution "
             "environment, interleaved at AWS SDK calls:",
             f"  {call_interleaving(calls)}   (A = this delivery, B = the duplicate)"]
    if error is not None:
        lines.append(f"duplicate B failed: {error[0]}: {error[1]}")
    return lines


def interleaved_notes(steps: Sequence[str], duplicates: int,
                      errors: Sequence[tuple[str, str, str]]) -> list[str]:
    """The notes of an async attempt run concurrently with ``duplicates`` duplicates at await points;
    ``errors``: (label, type name, message) of each duplicate that failed."""
    who = "a duplicate delivery" if duplicates == 1 else f"{duplicates} duplicate deliveries"
    lines = [f"ran concurrently with {who} (same request id), interleaved at await points:",
             f"  {step_interleaving(steps)}   (A = this delivery, B{'..' if duplicates > 1 else ''} "
             "= the duplicate; one letter per step)"]
    lines.extend(f"duplicate {label} failed: {type_name}: {message}" for label, type_name, message in errors)
    return lines


def task_got_bad_yield(yielded: Any) -> str:
    """asyncio's own words (a Task's) for a coroutine that yielded something other than a future."""
    return f"Task got bad yield: {yielded!r}"


def clean_delivery_failed(qualname: str, failed: str, event: Any) -> str:
    """The check cannot start: one clean delivery of ``event`` already failed (``failed``: its attempt)."""
    return (f"{qualname} failed on one clean delivery of this event, so there is no state to compare "
            f"histories with: {failed}\nEvent: {compact_json(event, MAX_EVENT_CHARS)}\n"
            "Fix the handler, or narrow `events` to events it accepts.")


def nondeterministic_state(event: Any, expected: Any, again: Any) -> str:
    """The check cannot judge: two clean deliveries of ``event`` ended in ``expected`` and ``again``."""
    return ("state() differs between two clean deliveries of the same event, so idempotency cannot be "
            "judged: leave out what changes on every run (generated ids, timestamps; each run is at a "
            f"later virtual time).\nEvent: {compact_json(event, MAX_EVENT_CHARS)}\n"
            + "\n".join(state_differences(expected, again)))


def late_text(seconds: float, attempt: int = 2) -> str:
    """``Lambda's retry of the same request, 5 h 59 min 31 s later``: a late retry (of attempt
    ``attempt``'s predecessor) as reports say it; the second retry is called so."""
    which = "retry" if attempt <= 2 else "second retry"
    return f"Lambda's {which} of the same request, {duration_text(seconds)} later"


def duration_text(seconds: float) -> str:
    """``2 s``, ``5 min 1 s``, ``6 h``: a delay as people say it."""
    whole = int(seconds)
    if whole != seconds or whole < 60:
        return f"{seconds:g} s"
    parts = []
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min"), (1, "s")):
        count, whole = divmod(whole, size)
        if count:
            parts.append(f"{count} {unit}")
    return " ".join(parts)


def _race_text(race: tuple[str | None, str | None]) -> str:
    before, after = race
    if before and after:
        where = f"between the first's {before} and {after}"
    elif after:
        where = f"before the first's {after}"
    elif before:
        where = f"after the first's {before}"
    else:
        where = "while the first ran"
    return f"two environments at once, the second {where}"


REDELIVERY_SOURCES: dict[str, str] = {
    "s3": "S3", "sns": "SNS", "sqs": "SQS", "eventbridge": "EventBridge", "dynamodb": "the DynamoDB stream mapping",
    "kinesis": "the Kinesis mapping", "apigateway": "the API client", "caller": "the caller",
}


def source_label(source: str) -> str:
    """Who sends an event of ``source`` (sources.event_source) again, as the timeline and report name it."""
    return REDELIVERY_SOURCES.get(source, "the caller")


MAX_REPRODUCE_EVENT_CHARS = 400


def reproduce_lines(*, name: str, event: Any, history: Any, new_environment: bool, schedule: tuple[int, ...],
                    callables: Sequence[tuple[str, str, bool]] = ()) -> list[str]:
    """A call that replays the failing history: complete when the event is short enough to print, else
    one that takes the event and history from the error (``err.event``, ``err.history``).

    ``callables``: (keyword, name, pasteable) of each ``state=``/``reset=`` callable the check was given,
    e.g. ``("state", "balances", True)``.  A pasteable one is passed by its name; one that is not (a
    lambda, a local function, a bound method) is passed as a variable of the keyword's name
    (``state=state``), a comment line after the call saying which callable to bind it to."""
    options = "".join(f"{keyword}={name_ if pasteable else keyword}, " for keyword, name_, pasteable in callables)
    env = ", new_environment=True" if new_environment else ""
    sched = f", schedule={tuple(schedule)!r}" if schedule else ""
    event_repr = repr(event)
    comment = _unnamed_callables(callables)
    if len(event_repr) <= MAX_REPRODUCE_EVENT_CHARS and _literal(event_repr, event):
        steps = sorted({type(s).__name__ for s in history.steps})
        return ["Reproduce (paste into a test):",
                "  from pytest_lambda_async import assert_idempotent",
                f"  from pytest_lambda_async.strategies import {', '.join(['DeliveryHistory', *steps])}",
                f"  assert_idempotent({name}, {event_repr}, {options}history={history!r}{env}{sched})",
                *comment]
    return ["Reproduce (err is this NotIdempotentError, e.g. pytest.raises(...) as info; err = info.value):",
            f"  assert_idempotent({name}, err.event, {options}history=err.history, "
            f"new_environment=err.new_environment, schedule=err.schedule)",
            *comment,
            f"  (the event is {len(event_repr):,} characters as Python: too long to print here)"]


def _unnamed_callables(callables: Sequence[tuple[str, str, bool]]) -> list[str]:
    """``  # state and reset: the same callables you passed to this check (here <lambda>, list.clear)``:
    the comment line after a Reproduce call that passes callables it cannot name (none: no line)."""
    unnamed = [(keyword, name) for keyword, name, pasteable in callables if not pasteable]
    if not unnamed:
        return []
    keywords = " and ".join(keyword for keyword, _ in unnamed)
    what = "callable" if len(unnamed) == 1 else "callables"
    return [f"  # {keywords}: the same {what} you passed to this check (here {', '.join(n for _, n in unnamed)})"]


def _literal(text: str, value: Any) -> bool:
    import ast

    try:
        return bool(ast.literal_eval(text) == value)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False


def _event_label(event: Any) -> str:
    if isinstance(event, dict):
        records = event.get("Records")
        if isinstance(records, list) and records and isinstance(records[0], dict):
            source = records[0].get("eventSource") or records[0].get("EventSource") or "records"
            name = records[0].get("eventName")
            return f"{source}{' ' + name if isinstance(name, str) else ''}, {_items(len(records)).replace('item', 'record')}"
        if "detail-type" in event:
            return f"EventBridge {event.get('source')} {event.get('detail-type')}"
    return type(event).__name__


def idempotency_report(*, qualname: str, event: Any, history: Any, new_environment: bool,
                       entries: list[TimelineEntry], t0: _dt.datetime, seed: int, expected: Any, got: Any,
                       tried: int | None, name: str, schedule: tuple[int, ...],
                       callables: Sequence[tuple[str, str, bool]], module_state: list[str] | None,
                       shrunk: bool, race: tuple[str | None, str | None] | None = None,
                       source: str = "the caller", late: bool = False) -> str:
    """The NotIdempotentError message: verdict, event, history timeline, state diff, reproduction, hint.

    ``name``, ``schedule`` and ``callables``: the Reproduce call's (``reproduce_lines``)."""
    summary = _history_summary(history, new_environment, race, source)
    lines = [f"{qualname} is not idempotent: {summary} ends in a different state than a single "
             "clean delivery.", ""]
    event_json = compact_json(event, MAX_EVENT_CHARS)
    lines.append(f"Event ({_event_label(event)}{', shrunk' if shrunk else ''}; complete in err.event):")
    lines.extend("  " + event_json[i:i + 100] for i in range(0, len(event_json), 100))
    lines.append("")
    heading = f"Delivery history (smallest failing of {tried} tried):" if tried is not None \
        else "Delivery history:"
    lines.append(heading)
    timeline = render_timeline_entries(entries, t0=t0, seed=seed).splitlines()[1:]
    footer = rules_footer(timeline_rule_ids(entries))
    # The footer's lines count in the bound, and so does the Reproduce block's comment, if it has one.
    keep = MAX_HISTORY_LINES - len(footer) - len(_unnamed_callables(callables))
    if len(timeline) > keep:
        timeline = timeline[:keep] + [f"  … {len(timeline) - keep} more lines"]
    lines.extend(timeline)
    lines.extend(footer)
    lines.append("")
    lines.append("State after 1 clean delivery  vs  after this history:")
    lines.extend(state_differences(expected, got))
    lines.append("")
    lines.extend(reproduce_lines(name=name, event=event, history=history, new_environment=new_environment,
                                 schedule=schedule, callables=callables))
    key = _hint_key(history, module_state, race, late)
    hint = IDEMPOTENCY_HINTS[key].format(names=", ".join(module_state or ()), start=history.start,
                                         a_start=with_article(history.start))
    import textwrap

    # A URL is never cut: not at its hyphens, not when it is longer than the line.
    lines.extend(textwrap.wrap(f"Hint: {hint}. See {IDEMPOTENCY_DOCS}", 100,
                               break_long_words=False, break_on_hyphens=False))
    return "\n".join(lines)


def _hint_key(history: Any, module_state: list[str] | None, race: Any, late: bool) -> str:
    if module_state:
        return "environment"
    if history.late_retries:
        return "late_retry"
    if race is not None and race[1] is not None:
        return "concurrent"  # the second environment ran between two of the first's calls: that race, not the retry
    if any(f.kind == "response_lost" for f in history.sdk_failures):
        return "response_lost"
    if history.sdk_failures:
        return "before"
    if history.concurrent_duplicates or race is not None:
        return "concurrent"
    if history.function_errors and not history.duplicates:
        return "boundary" if history.start is not None else "error"
    if history.start is not None:
        return "boundary"
    if late:
        return "late"
    if history.redeliveries and len(history.redeliveries) == history.duplicates:
        return "redelivery"
    return "duplicate"



def async_handler_refused(name: str, qualname: str, coroutine: str) -> str:
    """The AsyncHandlerError message for registering ``async def`` handler ``qualname`` (PY-2).

    The suggested entry point is ``handler`` running the coroutine; a coroutine itself named
    ``handler`` is renamed ``main`` in the suggestion, or the entry point would call itself."""
    runs = coroutine if coroutine.isidentifier() and coroutine != "handler" else "main"
    rename = "" if runs == coroutine else f" (your `async def {coroutine}` renamed `async def main`)"
    return (
        f"{name}: handler {qualname} is an `async def` function. AWS's Python runtime never awaits it: "
        "every invocation fails with Runtime.MarshalError (\"Unable to marshal response: Object of type "
        f"coroutine is not JSON serializable\") and the body never runs (PY-2: {rule_url('PY-2')}).\n"
        "Fix: deploy a sync entry point that runs it, e.g.\n"
        "    def handler(event, context):\n"
        f"        return asyncio.run({runs}(event, context))\n"
        f"and register that{rename}. If your deployment already wraps it, opt in with "
        "register(..., asyncio=True)."
    )


def function_outlived_its_invoker(name: str) -> str:
    return (f"function {name!r}: its LambdaInvoker is gone (nothing referenced it any more); keep a reference "
            f"to the invoker while you use the functions it registered. Their attempts stay readable.")


# -- the service's and the adapters' own sentences: timeline notes, refusals, what is not modelled ------
EVENT_LOST = "the event is lost"  # NotInvoked.fate "": the source dropped the event no function took
SNS_DROPS_IT = "SNS retries the delivery for hours, then drops it"  # NotInvoked.fate (SRC-2)


def sqs_batch_source(queue: str, size: int) -> str:
    """Invoked.source of a batch an SQS mapping polled (``sqs:orders batch of 3``)."""
    return f"sqs:{queue} batch of {size}"


def sent_to_dead_letter_queue(queue: str) -> str:
    """NotInvoked.fate: EventBridge sent the event to the target's DLQ (``queue``: ``sqs:name``)."""
    return f"sent to the target's dead-letter queue {queue}"


def dead_letter_queue_refused(queue: str, error_type: str, error: object) -> str:
    """NotInvoked.fate: the target's DLQ refused the event too."""
    return f"its dead-letter queue {queue} refused it too: {error_type}: {error}"


def target_input_failed(error_type: str, error: object) -> str:
    """NotInvoked.message: EventBridge could not make the target's input (a transformer moto cannot apply)."""
    return f"the target's input could not be made ({error_type}: {error})"


FAIL_NEXT_ERROR = "function error injected by fail_next() (the handler did not run)"


def real_time_limit_error(error_line: str, limit: float) -> str:
    """Execution.error_line of an attempt ended at the real-time limit, its handler still running."""
    return f"{error_line} (real-time limit {limit:g}s; the handler did not return)"


def clock_used_off_thread(what: str) -> str:
    return (f"{what}() was called from another thread while an attempt is running; the virtual clock "
            f"belongs to that attempt. Call {what}() from the test once the attempt has returned.")


AWAIT_WINDOW_REENTERED = "an AwaitWindow is entered once; make a new one per attempt"
REAL_CLOCK_NEVER_SLEEPS = "a real-clock loop blocks in select() instead"


def result_path(keys: Sequence[object]) -> str:
    """Where in a handler's result an awaitable sits, after what it is (``" at result['a'][0]"``; none: "")."""
    return f" at result{''.join(f'[{k}]' for k in keys)}" if keys else ""


def still_referenced_coroutine(qualname: str) -> str:
    """Leak.what of a coroutine never awaited that something still holds."""
    return f"coroutine {qualname}() (still referenced)"


def executor_job(function: str) -> str:
    """Leak.what of work handed to an executor."""
    return f"executor job {function}()"


def operation_not_modelled(operation: str, modelled: Iterable[str]) -> str:
    """UnsupportedOperation: a Lambda API call the invoker does not model (``operation`` in snake case)."""
    return (f"lambda.{operation} is not modelled by the invoker, and while it is active Lambda calls "
            f"never go to AWS or moto. Modelled: {', '.join(sorted(modelled))}. "
            f"See {docs_url('how-to/boto3-and-moto.md')}")


def configuration_not_modelled(unmodelled: Iterable[str], modelled: Iterable[str]) -> str:
    """UnsupportedOperation: update_function_configuration parameters the invoker does not model."""
    return (f"lambda.update_function_configuration: the invoker does not model {', '.join(unmodelled)}; "
            f"it models {', '.join(sorted(modelled))}")


def mapping_setting_not_modelled(name: str) -> str:
    """UnsupportedOperation: an event source mapping setting the invoker does not model."""
    return (f"event source mappings with {name} are not modelled by the invoker (SQS mappings take BatchSize, "
            "MaximumBatchingWindowInSeconds, FunctionResponseTypes, Enabled and ScalingConfig). "
            f"See {docs_url('how-to/event-sources.md')}")


def mapping_source_not_modelled(source: object) -> str:
    """UnsupportedOperation: an event source mapping from anything but an SQS queue."""
    return (f"event source mappings for {source!r} are not modelled by the invoker: only SQS queues are "
            f"(Kinesis, DynamoDB Streams, Kafka, MQ and DocumentDB are not). See {docs_url('how-to/event-sources.md')}")


def not_for_sqs_sources(name: str) -> str:
    return f"{name} is not supported for Amazon SQS event sources ({cite('ESM-4')})"


def batching_window_out_of_range(high: int) -> str:
    return f"MaximumBatchingWindowInSeconds must be between 0 and {high} ({cite('ESM-2')})"


def response_types_allowed(allowed: str) -> str:
    return f"FunctionResponseTypes may only hold {allowed} ({cite('ESM-5')})"


def whole_number_out_of_range(what: str, value: object, low: float, high: float) -> str:
    return f"{what} must be between {low:g} and {high:g} (a whole number), got {value!r}"


def timeout_out_of_range(value: object, low: float, limit: float) -> str:
    return (f"Timeout {value!r} is out of range: use {low:g} to {limit:g} seconds "
            f"({cite('PY-5')}; pass timeout_limit=1800 to LambdaInvoker for the newer limit)")


def recursive_loop_invalid(value: object) -> str:
    return f"RecursiveLoop must be Terminate or Allow ({cite('LOOP-3')}), got {value!r}"


def invocation_type_invalid(value: object) -> str:
    return f"InvocationType must be one of RequestResponse, Event or DryRun ({cite('INV-2')}), got {value!r}"


def log_type_invalid(value: object) -> str:
    return f"LogType must be None or Tail ({cite('INV-3')}), got {value!r}"


def payload_not_serialisable(error: object) -> str:
    """InvalidRequestContentException: an Invoke payload json.dumps refuses (AWS's prefix, then ours)."""
    return (f"Could not parse request body into json: the payload is not JSON serialisable ({error}). "
            f"Pass a dict/list/str/number, or the raw JSON body as bytes ({cite('INV-20')})")


def client_context_too_long(limit: int) -> str:
    return f"Client context must be at most {limit} bytes of base64 JSON ({cite('INV-4')})"


CLIENT_CONTEXT_NOT_JSON = f"Client context must be base64-encoded JSON ({cite('INV-4')})"


def tenant_id_invalid(value: object) -> str:
    return (f"TenantId must be 1 to 256 characters of letters, digits, spaces and ._:/=+-@ ({cite('INV-7')}), "
            f"got {value!r}")


def not_a_lambda_action(action: str) -> str:
    return f"The action {action!r} is not a Lambda action (lambda:*)"


# -- the pytest plugin: option and ini help, the marker's line, usage errors, the report header ---------
def setting_help(name: str) -> str:
    """What setting ``name`` is, in ``pytest --help`` (its flag's, its ini option's); the rule ids it cites are
    linked by the heading of those options (``help_heading``), which names the rules page."""
    return {
        "seed": "seed of the invoker's random choices (request ids, duplicate_rate draws)",
        "duplicate_rate": "probability that an Event invocation is delivered one extra time (Q-2)",
        "await_check": "check every attempt for unfinished work: error (the attempt fails), warn or off",
        "async_payload_limit": "Event payload limit in bytes: 1048576 (current) or 262144 (before Oct 2025) (INV-18)",
        "timeout_limit": "largest function timeout accepted: 900 (docs) or 1800 (botocore 1.44.8) (PY-5)",
        "real_time_limit": "real seconds a handler may run before it is ended as timed out, whatever its timeout",
        "eventbridge_source": "source of EventBridge destination events: lambda or aws.lambda (§11.1)",
        "freeze": "what happens to work a handler left unfinished: cancel it, or resume it during the next "
                  "attempt in the same environment, as on a warm Lambda (PY-4)",
        "await_allow": "deliberate long-lived work the await check ignores: fnmatch patterns of coroutine/function "
                       "qualnames, task names or thread names",
    }[name]


# What a setting's value must be, by how it is parsed: "must be {kind}".
SETTING_KINDS: dict[str, str] = {"int": "an integer", "float": "a number",
                                 "patterns": "a pattern or a list of patterns"}


def option_help(what: str, name: str, default: object) -> str:
    """``--lambda-async-NAME``'s help: what it is, its default and its ini option."""
    return f"{what} (default: {default}; ini: lambda_async_{name})"


def repeatable_option_help(what: str, name: str) -> str:
    """The help of a flag given once per item (``--lambda-async-await-allow``)."""
    return f"{what} (repeatable; ini: lambda_async_{name}, one per line)"


def ini_help(what: str, default: object) -> str:
    """``lambda_async_NAME``'s help in ``pytest --help``."""
    return f"{what} (default: {default})"


def ini_lines_help(what: str) -> str:
    """The help of an ini option written one item per line."""
    return f"{what} (one per line)"


def ini_origin(name: str) -> str:
    """Where a bad value came from, when it is the ini file's: the head of the usage error."""
    return f"ini option lambda_async_{name}"


def marker_line(marker: str, keys: Sequence[str]) -> str:
    """The marker's line in ``pytest --markers``."""
    return (f"{marker}({', '.join(k + '=...' for k in keys)}): configure this test's lambda_invoker. "
            "Keyword arguments only; the closest marker wins per key.")


def setting_not_parsed(origin: str, name: str, kind: str, raw: object) -> str:
    """UsageError: a setting's value (from ``origin``) is not ``kind`` (one of ``SETTING_KINDS``' values)."""
    return f"{origin}: lambda_async {name} must be {kind}, got {raw!r}"


def setting_not_a_choice(origin: str, name: str, choices: Iterable[str], raw: object) -> str:
    """UsageError: a setting's value (from ``origin``) is none of its choices."""
    return f"{origin}: lambda_async {name} must be one of {', '.join(choices)}, got {raw!r}"


def marker_positional_arguments(nodeid: str, marker: str, args: tuple[object, ...], keys: Iterable[str]) -> str:
    """UsageError: the marker was given positional arguments."""
    return (f"{nodeid}: @pytest.mark.{marker} takes keyword arguments only, got positional {args!r}. "
            f"Allowed keys: {', '.join(keys)}")


def marker_unknown_keys(nodeid: str, marker: str, unknown: Iterable[str], keys: Iterable[str]) -> str:
    """UsageError: the marker was given keys it does not know."""
    return (f"{nodeid}: @pytest.mark.{marker} got unknown key(s) {', '.join(unknown)}. "
            f"Allowed keys: {', '.join(keys)}")


def marker_without_fixture(nodeid: str, marker: str) -> str:
    """PytestWarning: a marked test that does not use the fixture the marker configures."""
    return (f"{nodeid}: @pytest.mark.{marker} has no effect: the test does not use the "
            "lambda_invoker fixture")


def report_header(seed: object, duplicate_rate: object, await_check: object, freeze: object) -> str:
    """The line ``pytest`` prints under its header: the suite's settings."""
    return (f"lambda-async: seed={seed}, duplicate_rate={duplicate_rate}, "
            f"await_check={await_check}, freeze={freeze} (markers may override per test)")


# -- delivery histories: DeliveryHistory.describe(), one line per step, in a report's history --------
#
#     throttled (429) before an attempt, retried after 1s back-off
#     attempt #1: function error, retried after 60s
#     attempt #2: success
#     duplicate delivery #1 (same request id), concurrent with the first
CLEAN_HISTORY = "one clean delivery: attempt #1 succeeds"


def later_text(seconds: float) -> str:
    """``2 s later``, ``5 min 1 s later``: when a redelivery comes, as people say it."""
    return f"{duration_text(seconds)} later"


def duplicate_arrival(*, new_request_id: bool, concurrent: bool, delay: float) -> str:
    """How a duplicate arrives (``Duplicate.describe()``): from the source ``delay`` seconds later with a
    new request id, or Lambda's own, with the same request id, maybe while the first delivery runs."""
    if new_request_id:
        return f"from the source with a new request id, {later_text(delay)}"
    return "same request id" + (", concurrent with the first" if concurrent else "")


def history_start_line(start: str) -> str:
    """A history played from one second before the next ``start`` (minute, hour, day) boundary."""
    return f"starts 1 s before the next {start} boundary"


def first_throttles_line(times: int, first: float, last: float) -> str:
    """``times`` throttles before attempt #1, their back-off growing from ``first`` to ``last`` seconds."""
    if times == 1:
        return f"throttled (429) before an attempt, retried after {first:g}s back-off"
    return f"throttled (429) {times} times before attempt #1, retried with back-off from {first:g}s to {last:g}s"


def failed_attempt_line(attempt: int, kind: str, call_index: int, retry_delay: float | None) -> str:
    """Attempt ``attempt`` fails and is retried (after ``retry_delay`` seconds, when known): ``kind``
    "error" (a function error), "before" or "response_lost" (its SDK call ``call_index`` fails so)."""
    retry = f", retried after {retry_delay:g}s" if retry_delay is not None else ", retried"
    if kind == "error":
        return f"attempt #{attempt}: function error{retry}"
    if kind == "before":
        return (f"attempt #{attempt}: AWS SDK call [{call_index}] fails before it takes "
                f"effect (throttling / ServiceUnavailable){retry}")
    if kind == "response_lost":
        return (f"attempt #{attempt}: AWS SDK call [{call_index}] takes effect, then its "
                f"response is lost (read timeout){retry}")
    raise ValueError(f"no text for failed attempt kind {kind!r}")


def late_retry_line(attempt: int, times: int, seconds: float) -> str:
    """Lambda's retry, attempt ``attempt``, throttled ``times`` times until ``seconds`` after the failure."""
    return f"attempt #{attempt} throttled (429) {times} time{'s' if times > 1 else ''}: {late_text(seconds, attempt)}"


def succeeded_attempt_line(attempt: int) -> str:
    return f"attempt #{attempt}: success"


def duplicate_line(number: int, *, new_request_id: bool, concurrent: bool, delay: float) -> str:
    """Duplicate delivery ``number`` (1 = the first extra one) and how it arrives."""
    if new_request_id:
        arrival = duplicate_arrival(new_request_id=True, concurrent=concurrent, delay=delay)
        return f"duplicate delivery #{number} ({arrival})"
    return f"duplicate delivery #{number} (same request id)" + (", concurrent with the first" if concurrent else "")
