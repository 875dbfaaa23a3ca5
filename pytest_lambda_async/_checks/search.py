"""check_idempotent's Hypothesis search: one ``@given`` over (event, history), run on the invoker's
runtime thread, the same every run unless a seed is given."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from .._invoker import LambdaInvoker


def run_search(invoker: LambdaInvoker, cases: SearchStrategy[Any], verify: Callable[[Any], None],
               max_examples: int, seed: int | None) -> None:
    """Run ``verify`` on up to ``max_examples`` drawn ``cases``; raises what the smallest failing one raised."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hseed

    @settings(max_examples=max_examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate, Phase.shrink], print_blob=False,
              report_multiple_bugs=False)
    # One argument, not two: Hypothesis checks the global random's state around each
    # argument's draw (two getstate() calls apiece), a cost the plain @given loop pays once.
    @given(case=cases)
    def idempotency_search(case: Any) -> None:
        verify(case)

    # The same search every run unless a seed is given.  A fixed seed rather than
    # derandomize=True, and no database key: Hypothesis would derive both from this
    # function's source, re-read and re-tokenized on every check (about 1 ms).
    search = hseed(DEFAULT_SEED if seed is None else seed)(idempotency_search)
    search._hypothesis_internal_database_key = None  # type: ignore[attr-defined]
    # The whole search runs on the invoker's runtime thread, under its clock, so
    # each run plays out in place instead of handing over to that thread (the
    # hand-over, not the handler, was most of the cost per example).
    share = hypothesis_random_sharer()
    # Hypothesis reads real time there: the invoker's freezers leave its modules out
    # (_clock), so histories that move the virtual clock hours ahead do not cut shrinking short.
    invoker.run_in_runtime(lambda: (share(), search()))


DEFAULT_SEED = 0x1DE4  # check_idempotent's search when no seed is given


def hypothesis_random_sharer() -> Callable[[], None]:
    """On the caller's thread: a function that gives the runtime thread Hypothesis's global Random.

    Hypothesis keeps one per thread and registers a new one with a full
    ``gc.collect()`` (about 50 ms here) the first time a thread runs a test;
    every check runs on a fresh runtime thread.  Only one of the two threads
    runs Hypothesis at a time (the caller waits), so sharing it is safe.  If
    Hypothesis's internals move, the sharing is skipped and the cost is paid."""
    try:
        from hypothesis.core import threadlocal

        mine = threadlocal._hypothesis_global_random or registered_random()
    except (ImportError, AttributeError):
        return lambda: None

    def share() -> None:
        if mine is not None and getattr(threadlocal, "_hypothesis_global_random", mine) is None:
            threadlocal._hypothesis_global_random = mine

    return share


REGISTERED: list[Any] = []


def registered_random() -> Any:
    """A Random registered with Hypothesis once per process, as Hypothesis registers a thread's own
    (when the calling thread never ran a Hypothesis test, there is none to share)."""
    if not REGISTERED:
        import random

        from hypothesis import register_random

        rng = random.Random()
        REGISTERED.append(rng)  # a strong reference: Hypothesis keeps a weak one
        register_random(rng)
    return REGISTERED[0]
