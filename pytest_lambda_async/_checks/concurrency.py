"""Two deliveries of a sync handler at once, in two execution environments, interleaved at SDK calls.

On AWS two deliveries of one event can run at the same time in two
environments; what they share is what they reach through AWS, one request at
a time.  Here the first delivery runs on the calling thread and the second on
a thread of its own, and only one of them runs at a time: they hand over only
at the start of an AWS SDK call (botocore's ``before-call``), so each AWS
request is atomic.  At each such point, while the other one is not done, the
next number of the schedule says whether to go on (0) or hand over (odd); the
empty schedule runs the first to its end before the second starts.
"""

from __future__ import annotations

import _thread
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

_HAND_OVER_TIMEOUT = 30.0  # real seconds: a handler blocked on its own thread is not held forever


@dataclass
class CallInterleaving:
    """The SDK calls of the two deliveries in the order they were made (0 = the first, 1 = the second);
    ``_text.call_interleaving`` says them."""

    calls: list[tuple[int, str]] = field(default_factory=list)
    error: BaseException | None = None  # what the second delivery raised

    def between(self) -> tuple[str | None, str | None]:
        """The first delivery's calls just before and just after the second one's first call."""
        first_b = next((i for i, (who, _) in enumerate(self.calls) if who == 1), None)
        if first_b is None:
            return None, None
        before = [op for who, op in self.calls[:first_b] if who == 0]
        after = [op for who, op in self.calls[first_b:] if who == 0]
        return (before[-1].split(".")[-1] if before else None, after[0].split(".")[-1] if after else None)


class Environments:
    """Runs ``handler`` twice at once under ``schedule``; ``arm(i)`` is called whenever delivery i
    gets the turn (to route the SDK-call log of the one running)."""

    def __init__(self, schedule: Sequence[int], arm: Callable[[int], None]) -> None:
        self._schedule, self._arm = tuple(schedule), arm
        self._decision = 0
        self._cond = threading.Condition()
        self._turn = 0
        self._done = [False, False]
        self._who: dict[int, int] = {threading.get_ident(): 0}
        self.trace = CallInterleaving()

    def boundary(self, operation: str) -> None:
        """At the start of an SDK call: maybe hand over, then record the call."""
        me = self._who.get(threading.get_ident())
        if me is None:
            return  # a thread of the handler's own (an executor): part of whoever started it
        if not self._done[1 - me]:
            shift = self._schedule[self._decision] if self._decision < len(self._schedule) else 0
            self._decision += 1
            if shift % 2:
                self._hand_over(me)
        self.trace.calls.append((me, operation))

    def _hand_over(self, me: int) -> None:
        with self._cond:
            self._turn = 1 - me
            self._cond.notify_all()
            self._cond.wait_for(lambda: self._turn == me or self._done[1 - me], _HAND_OVER_TIMEOUT)
            self._turn = me
        self._arm(me)

    def _finish(self, me: int) -> None:
        with self._cond:
            self._done[me] = True
            self._turn = 1 - me
            self._cond.notify_all()

    def run(self, handler: Callable[[Any, Any], Any], event: Any, context: Any) -> Any:
        """The first delivery's result; the second one's error, if any, is in ``trace.error``."""
        # A bare thread, not a threading.Thread: freezegun takes time reads made within a few frames
        # of threading's own code for the test's, and the second environment must read the virtual clock.
        ended = threading.Event()
        _thread.start_new_thread(self._second, (handler, event, context, ended))
        try:
            return handler(event, context)
        finally:
            self._finish(0)
            ended.wait()
            self._arm(0)

    def _second(self, handler: Callable[[Any, Any], Any], event: Any, context: Any, ended: threading.Event) -> None:
        self._who[threading.get_ident()] = 1
        with self._cond:
            self._cond.wait_for(lambda: self._turn == 1 or self._done[0])
        self._arm(1)
        try:
            handler(event, context)
        except BaseException as exc:  # the delivery failed: a separate invocation, reported in the notes
            self.trace.error = exc
        finally:
            self._finish(1)
            ended.set()
