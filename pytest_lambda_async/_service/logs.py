"""The function's log, as the Python runtime and the Lambda platform write it.

Per attempt: ``START RequestId: <id> Version: $LATEST``; what the handler wrote (prints, and
``logging`` records in the runtime's text format ``[LEVEL]\\t<time>Z\\t<request id>\\t<message>``);
an unhandled error as ``[ERROR] <Type>: <message>`` with its traceback; ``END RequestId: <id>``;
``REPORT RequestId: <id>\\tDuration: ...`` (with ``Init Duration`` on a cold start).

Capture: while attempts run, ``sys.stdout``/``sys.stderr`` are tees and the root logger has a
handler that formats records as the runtime's does.  A logger made at import with its own stream
handler (Powertools' ``Logger()``) holds the ``sys.stdout`` of that moment, not the tee: for the
drain, such handlers write through a tee too, and are put back as they were afterwards.
"""

from __future__ import annotations

import datetime as _dt
import io
import logging
import math
import sys
import threading
from collections.abc import Sequence
from typing import Any

from . import aws

__all__ = ["CaptureScope", "LogCapture", "runtime_lines", "timestamp"]

_START_END = f" Version: {aws.LATEST}"
NBSP = "\u00a0"  # the runtime indents traceback lines with no-break spaces
MAX_MEMORY_USED_MB = 0  # not measured: handlers share the test process (docs/how-to/invoker.md, "Logs")
_MESSAGE_ONLY = logging.Formatter("%(message)s")  # the message, with exc_info and stack_info as logging adds them


_LAST_STAMP: list[Any] = [None, ""]  # the last time formatted: records of one attempt mostly share it


def timestamp(at: _dt.datetime) -> str:
    """``2024-05-01T12:00:00.123Z``: the runtime's log time, in UTC with milliseconds."""
    last = _LAST_STAMP
    if last[0] != at:
        last[1] = f"{at:%Y-%m-%dT%H:%M:%S}.{at.microsecond // 1000:03d}Z"
        last[0] = at
    return last[1]  # type: ignore[no-any-return]


# -- capture ---------------------------------------------------------------------
class Tee(io.TextIOBase):
    """A stream while attempts run: writes go on to the stream it wraps, and the current attempt keeps a copy."""

    def __init__(self, original: Any, sink: LogCapture) -> None:
        self.original = original
        self._sink = sink

    def write(self, s: str) -> int:
        self._sink.write(s)
        return self.original.write(s)  # type: ignore[no-any-return]

    def flush(self) -> None:
        if not getattr(self.original, "closed", False):
            self.original.flush()

    def close(self) -> None:
        # io.IOBase closes (and so flushes) an object when it is garbage collected. The stream
        # this tee wraps belongs to whoever set it (pytest's capture may have closed it
        # since): leave it alone, or the flush raises in __del__ as an unraisable exception.
        pass

    def isatty(self) -> bool:
        return False

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.original, "encoding", "utf-8") or "utf-8"


class LogCapture(logging.Handler):
    """The current attempt's log lines: prints and stream-handler output made on the runtime
    thread, and log records formatted as the Python runtime's root handler formats them."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.lines: list[str] | None = None
        self.short: dict[int, str] = {}  # line index -> "[LEVEL] message", for the timeline
        self.request_id = ""
        self.clock: Any = None  # what reads the virtual time (``.now``), set by start()
        self.redirected: frozenset[logging.Handler] = frozenset()  # handlers whose stream is a tee
        self._partial = ""
        self.thread = threading.get_ident()
        # The attempts started and not yet stopped: request id -> (its lines, its short lines, cold start).
        # A hung handler's thread never stops its attempt: the supervisor reads what it wrote from here.
        self.open: dict[str, tuple[list[str], dict[int, str], bool]] = {}

    def write(self, s: str) -> None:
        if self.lines is None or threading.get_ident() != self.thread:
            return
        text = self._partial + s
        *full, self._partial = text.split("\n")
        self.lines.extend(full)

    def emit(self, record: logging.LogRecord) -> None:
        lines = self.lines
        if lines is None or threading.get_ident() != self.thread or self._written_by_redirected(record):
            return
        try:
            # The formatter only adds exc_info/stack_info; without them the message is all of it.
            plain = not (record.exc_info or record.exc_text or record.stack_info)
            message = record.getMessage() if plain else _MESSAGE_ONLY.format(record)
        except Exception:  # a broken log call must not fail the attempt
            message = repr(record.msg)
        at = self.clock.now if self.clock is not None else _dt.datetime.now(_dt.timezone.utc)
        first, *rest = message.split("\n")
        self.short[len(lines)] = f"[{record.levelname}] {first}"
        lines.append(f"[{record.levelname}]\t{timestamp(at)}\t{self.request_id}\t{first}")
        lines.extend(rest)

    def _written_by_redirected(self, record: logging.LogRecord) -> bool:
        """True when a redirected handler on the record's way up already wrote it to the log.

        On Lambda that handler's library (Powertools) filters its records out of the runtime's
        root handler, so the function's log holds them once, as the library formatted them."""
        if not self.redirected:
            return False
        logger: Any = logging.Logger.manager.loggerDict.get(record.name)
        while isinstance(logger, logging.Logger):
            for handler in logger.handlers:
                if handler in self.redirected and record.levelno >= handler.level:
                    return True
            if not logger.propagate:
                return False
            logger = logger.parent
        return False

    def start(self, request_id: str, clock: Any, cold: bool = False) -> tuple[list[str] | None, dict[int, str], str, str]:
        """Begin an attempt's lines; returns what :meth:`stop` puts back (an outer, synchronous caller's)."""
        saved = (self.lines, self.short, self._partial, self.request_id)
        self.lines, self.short, self._partial, self.request_id, self.clock = [], {}, "", request_id, clock
        self.open[request_id] = (self.lines, self.short, cold)
        return saved

    def stop(self, saved: tuple[list[str] | None, dict[int, str], str, str]) -> tuple[list[str], list[str]]:
        """End the attempt's lines: (its lines as the log has them, the same for the timeline)."""
        lines = self.lines or []
        if self._partial:
            lines.append(self._partial)
        self.open.pop(self.request_id, None)
        short = self.short
        output = [short.get(i, line) for i, line in enumerate(lines)] if short else lines
        self.lines, self.short, self._partial, self.request_id = saved
        return lines, output


    def abandoned(self, request_id: str) -> tuple[list[str], list[str], bool]:
        """What an attempt whose thread hung wrote until now: (its lines, the same for the timeline, cold
        start), copied, as :meth:`stop` would give them; nothing for an attempt this capture never started."""
        opened = self.open.pop(request_id, None)
        if opened is None:
            return [], [], False
        written, short, cold = opened
        lines = list(written)
        if written is self.lines and self._partial:  # the innermost attempt's unfinished last line
            lines.append(self._partial)
        output = [short.get(i, line) for i, line in enumerate(lines)] if short else list(lines)
        return lines, output, cold


class CaptureScope:
    """Installed once per drain (cheap per attempt): stdout/stderr tees, the root log handler, and
    tees under the stream handlers that write to the process's stdout/stderr (Powertools).

    ``close()`` is idempotent, so the supervising thread can undo it for a hung handler."""

    def __init__(self) -> None:
        self.capture = LogCapture()
        self._stdout, self._stderr = sys.stdout, sys.stderr
        sys.stdout = Tee(self._stdout, self.capture)
        sys.stderr = Tee(self._stderr, self.capture)
        self._handlers = _redirect_stream_handlers(self.capture, (self._stdout, self._stderr))
        self.capture.redirected = frozenset(handler for handler, _ in self._handlers)
        logging.getLogger().addHandler(self.capture)
        self._open = True

    def close(self) -> None:
        if self._open:
            self._open = False
            logging.getLogger().removeHandler(self.capture)
            sys.stdout, sys.stderr = self._stdout, self._stderr
            for handler, tee in self._handlers:
                if handler.stream is tee:  # not replaced meanwhile: put the user's stream back
                    handler.stream = tee.original


def _redirect_stream_handlers(capture: LogCapture, streams: Sequence[Any]) -> list[tuple[logging.StreamHandler[Any], Tee]]:
    """Tee the stream handlers (outside the root logger) that write to the process's output.

    The root logger's own handlers are left alone: on Lambda the runtime's handler is the root's,
    and a ``basicConfig`` made in a test would not have added one there."""
    targets = {id(s) for s in (*streams, sys.__stdout__, sys.__stderr__) if s is not None}
    root = logging.getLogger().handlers
    done: list[tuple[logging.StreamHandler[Any], Tee]] = []
    for ref in list(getattr(logging, "_handlerList", ())):  # every live handler, weakly (stdlib)
        handler = ref()
        if not isinstance(handler, logging.StreamHandler) or handler in root:
            continue
        if isinstance(getattr(type(handler), "stream", None), property):
            continue  # logging.lastResort: it writes to whatever sys.stderr is now (the tee)
        stream = handler.stream
        if isinstance(stream, Tee):  # tee'd by an earlier drain whose handler made it (a lazy Logger())
            stream = stream.original
        if id(stream) not in targets:
            continue
        tee = Tee(stream, capture)
        handler.stream = tee
        done.append((handler, tee))
    return done


# -- the lines the runtime and the platform add ----------------------------------------
def runtime_lines(request_id: str, handler_lines: list[str], *, memory_size: int, cold: bool,
                  error: dict[str, Any] | None, timed_out_at: _dt.datetime | None, duration: float) -> list[str]:
    """The attempt's whole log: START, the handler's lines, the error, END and REPORT
    (recordings ``log_result``, ``test_invocation_with_logs[python3.10]``).

    ``error`` is the error object of an attempt that failed (None on success); ``duration`` is in
    seconds on the virtual clock; ``cold``: the first attempt of its execution environment."""
    rid = request_id
    lines = ["START RequestId: " + rid + _START_END, *handler_lines]
    if error is not None:
        if timed_out_at is not None:  # written by the platform, not the runtime
            lines.append(f"{timestamp(timed_out_at)} {rid} {str(error.get('errorMessage')).partition(' Error: ')[2]}")
        elif error.get("errorType") == "Runtime.ExitError":
            lines.extend((str(error.get("errorMessage")), "Runtime.ExitError"))
        else:
            lines.extend(error_lines(error))
    lines.append("END RequestId: " + rid)
    lines.append(report_line(rid, duration, memory_size, cold))
    return lines


def error_lines(error: dict[str, Any]) -> list[str]:
    """An unhandled error as the Python runtime logs it (recording ``log_result``): ``[ERROR] Type: message``, then
    the traceback with its indentation in no-break spaces."""
    head = "[ERROR]"
    kind, message = error.get("errorType"), error.get("errorMessage")
    if kind:
        head += f" {kind}"
    if message:
        head += f"{':' if kind else ''} {message}"
    lines = [head]
    stack = error.get("stackTrace")
    if stack is not None:
        lines.append("Traceback (most recent call last):")
        for element in stack:
            if element == "":
                lines.append("")
                continue
            for line in str(element).splitlines():
                stripped = line.lstrip(" ")
                lines.append(NBSP * (len(line) - len(stripped)) + stripped)
    return lines


_REPORT_FIELDS: dict[tuple[float, int, bool], str] = {}  # (duration, memory, cold) -> the fields after the id


def report_line(request_id: str, duration: float, memory_size: int, cold: bool) -> str:
    """``REPORT RequestId: ...``, each field followed by a tab as Lambda writes it
    (recording ``test_invocation_with_logs[python3.10]``)."""
    key = (duration, memory_size, cold)
    fields = _REPORT_FIELDS.get(key)
    if fields is None:  # most attempts take no virtual time: the same few lines over and over
        ms = duration * 1000
        init = 0.0  # the handler's module was imported before the virtual clock started
        billed = max(1, math.ceil(round(ms + init, 2)))  # managed runtimes bill the init phase too
        fields = (f"\tDuration: {ms:.2f} ms\tBilled Duration: {billed} ms\tMemory Size: {memory_size} MB\t"
                  f"Max Memory Used: {MAX_MEMORY_USED_MB} MB\t" + (f"Init Duration: {init:.2f} ms\t" if cold else ""))
        if len(_REPORT_FIELDS) > 1024:
            _REPORT_FIELDS.clear()
        _REPORT_FIELDS[key] = fields
    return "REPORT RequestId: " + request_id + fields
