"""Run several deliveries of an async handler concurrently, interleaved under a schedule.

Each delivery's coroutine is stepped by hand (``coro.send``), as an asyncio
Task steps it, and suspends at its await points: a bare ``yield`` (as in
``asyncio.sleep(0)``) leaves it ready at once, a yielded future leaves it
waiting until that future is done.  At every point where more than one
delivery is ready, the next number of the schedule picks which goes on: 0
keeps the one that ran last going, ``n`` switches ``n`` places on among the
ready ones (0 once the schedule runs out).  The same schedule gives the same
interleaving, and the empty schedule runs the first delivery as far as it
can go before the next one starts, so schedules shrink towards sequential
deliveries (and each switch is a coin flip while generating).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._text import task_got_bad_yield

LABELS = "ABCDEFGH"


@dataclass
class Interleaving:
    """What ran when: one label per step (``A`` = the first delivery); ``_text.step_interleaving`` says it."""

    steps: list[str] = field(default_factory=list)
    errors: list[BaseException | None] = field(default_factory=list)


async def interleave(coros: Sequence[Coroutine[Any, Any, Any]], schedule: Sequence[int]) -> tuple[
        list[Any], Interleaving]:
    """Run ``coros`` to completion under ``schedule``; returns their results (or exceptions) in order."""
    n = len(coros)
    results: list[Any] = [None] * n
    done = [False] * n
    waiting: list[Any] = [None] * n  # the future each one is suspended on
    sending: list[tuple[Any, BaseException | None]] = [(None, None)] * n
    trace = Interleaving(errors=[None] * n)
    decision = 0
    current = 0
    while not all(done):
        ready = [i for i in range(n) if not done[i] and (waiting[i] is None or waiting[i].done())]
        if not ready:
            await asyncio.wait({w for i, w in enumerate(waiting) if not done[i]},
                               return_when=asyncio.FIRST_COMPLETED)
            continue
        start = ready.index(current) if current in ready else 0
        if len(ready) > 1:
            shift = schedule[decision] if decision < len(schedule) else 0
            decision += 1
        else:
            shift = 0
        i = current = ready[(start + shift) % len(ready)]
        trace.steps.append(LABELS[i % len(LABELS)])
        value, error = sending[i]
        future, waiting[i] = waiting[i], None
        if future is not None:  # resume with the future's outcome, as a Task would
            value, error = None, None
        sending[i] = (None, None)
        try:
            yielded = coros[i].throw(error) if error is not None else coros[i].send(value)
        except StopIteration as stop:
            done[i], results[i] = True, stop.value
            continue
        except BaseException as exc:  # the delivery failed: the others go on, as separate invocations would
            done[i], results[i] = True, exc
            trace.errors[i] = exc
            continue
        if yielded is None:
            continue  # a bare yield (asyncio.sleep(0)): ready again
        if getattr(yielded, "_asyncio_future_blocking", None) is not None:
            yielded._asyncio_future_blocking = False
            waiting[i] = yielded
            continue
        sending[i] = (None, RuntimeError(task_got_bad_yield(yielded)))
    return results, trace
