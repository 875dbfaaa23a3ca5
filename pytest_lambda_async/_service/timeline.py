"""What the service did, in time order: the timeline's entries and the attempts list.

Concurrent attempts are played out one after another (``scheduling``), so a later one may log at an
earlier time than the last entry: each entry goes after every entry up to its time, and an attempt's
line goes where it started, before what it invoked while it ran."""

from __future__ import annotations

import bisect
import datetime as _dt
import operator
from collections.abc import Callable, Sequence

from . import aws
from .functions import LambdaFunction
from .records import Attempt, Outcome, TimelineDetail, TimelineEntry, TimelineKind, frozen, new_tuple
from .runtime import Execution

__all__ = ["Timeline"]

_AT = operator.itemgetter(0)  # a timeline entry's time


class Timeline:
    """The timeline's entries and every attempt, with the attempt number of each request id."""

    def __init__(self, now: Callable[[], _dt.datetime]) -> None:
        self._now = now
        self.entries: list[TimelineEntry] = []
        self.attempts: list[Attempt] = []
        self._attempt_numbers: dict[str, int] = {}

    def log(self, at: _dt.datetime, kind: TimelineKind, function: str, request_id: str, detail: TimelineDetail,
            notes: tuple[str, ...] = ()) -> None:
        self.place(new_tuple(TimelineEntry, (at, kind, function, request_id, detail, notes)))

    def position(self, at: _dt.datetime) -> int:
        """Where an entry at ``at`` goes: after every entry up to that time."""
        entries = self.entries
        if not entries or entries[-1].at <= at:
            return len(entries)
        return bisect.bisect_right(entries, at, key=_AT)

    def place(self, entry: TimelineEntry) -> None:
        entries = self.entries
        if not entries or entries[-1].at <= entry.at:
            entries.append(entry)
        else:
            entries.insert(self.position(entry.at), entry)

    def withdraw(self, request_ids: set[str]) -> None:
        self.entries[:] = [entry for entry in self.entries if entry.request_id not in request_ids]

    def record_attempt(self, fn: LambdaFunction, request_id: str, outcome: Outcome, error: str | None, *,
                       duplicate: bool, invocation_type: aws.InvocationType = "Event", count: bool = True,
                       execution: Execution | None = None, at: _dt.datetime | None = None,
                       notes: Sequence[str] = (), position: int | None = None) -> None:
        """An attempt (or a throttled delivery: ``count=False``, no timeline line of its own); its line goes
        at ``position``, where it started, when it invoked others while it ran."""
        number = self._attempt_numbers.get(request_id, 0) + (1 if count else 0)
        self._attempt_numbers[request_id] = number
        logs = tuple(execution.logs) if execution is not None else ()
        error_type = None
        if outcome != "success" and execution is not None and isinstance(execution.payload, dict):
            error_type = execution.payload.get("errorType")
        attempt = frozen(Attempt, {
            "request_id": request_id, "function": fn.name, "number": number, "at": at or self._now(),
            "outcome": outcome, "error": error, "duplicate": duplicate, "invocation_type": invocation_type,
            "function_error": execution.function_error if execution else None,
            "response": execution.payload if execution else None, "logs": logs, "environment": fn.environment,
            "error_type": error_type})
        self.attempts.append(attempt)
        if outcome == "throttled":
            return
        output = execution.output if execution is not None else ()  # the handler's lines, not START/END/REPORT
        entry = new_tuple(TimelineEntry, (attempt.at, "attempt", fn.name, request_id, attempt, (*notes, *output)))
        if position is None:
            self.place(entry)
        elif position >= len(self.entries):
            self.entries.append(entry)
        else:
            self.entries.insert(position, entry)
