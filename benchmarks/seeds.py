"""How often check_idempotent catches each bug of the catalogue, seed by seed (prints; asserts nothing).

    .venv/bin/python benchmarks/seeds.py                     # the 7 pairs, seeds 1-20, buggy and fixed
    .venv/bin/python benchmarks/seeds.py pay_get_then_transact 1 10 buggy

For each buggy handler of ``tests/handlers_catalogue.py``'s ``IDEMPOTENCY_PAIRS``, how many seeds
its check fails with (it should be all of them), and for each fixed twin how many it fails with
(false alarms: it should be none), with the seeds missed.  Issue 15: a search that catches a bug
with most seeds misses it in every run of the others.  Slow: about 10 s per check on moto.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hypothesis import strategies as st  # noqa: E402
from moto import mock_aws  # noqa: E402

import handlers_catalogue as cat  # noqa: E402
from pytest_lambda_async import NotIdempotentError, check_idempotent  # noqa: E402
from pytest_lambda_async._service.clock import real_monotonic  # noqa: E402

PAYMENTS = st.builds(cat.payment_event, st.integers(0, 50), st.integers(1, 100))


def caught_with(handler: object, seed: int, options: dict[str, object]) -> str | None:
    """The report's first line if the check of ``handler`` with ``seed`` fails, else None."""
    with mock_aws():
        cat.reset_clients()
        cat.make_payment_tables()
        try:
            check_idempotent(handler, PAYMENTS, state=cat.balances, reset=cat.clear_payment_tables,  # type: ignore[arg-type]
                             seed=seed, **options)  # type: ignore[arg-type]
        except NotIdempotentError as error:
            return str(error).splitlines()[0]
        finally:
            cat.reset_clients()
    return None


def main(argv: list[str]) -> None:
    which = argv[0] if argv else "all"
    first, last = (int(argv[1]), int(argv[2])) if len(argv) >= 3 else (1, 20)
    roles = argv[3].split(",") if len(argv) >= 4 else ["buggy", "fixed"]
    pairs = [p for p in cat.IDEMPOTENCY_PAIRS if which in ("all", p.buggy.__name__, p.fixed.__name__)]
    if not pairs:
        raise SystemExit(f"no pair of tests/handlers_catalogue.py has a handler named {which!r}")
    for pair in pairs:
        for role in roles:
            handler = getattr(pair, role)
            start = real_monotonic()
            verdicts = {seed: caught_with(handler, seed, dict(pair.options)) for seed in range(first, last + 1)}
            caught = [seed for seed, verdict in verdicts.items() if verdict is not None]
            missed = [seed for seed in verdicts if seed not in caught]
            print(f"{handler.__name__} ({role}): caught with {len(caught)} of {len(verdicts)} seeds; "
                  f"{'missed ' + str(missed) if role == 'buggy' else 'false alarms ' + str(caught)}; "
                  f"{real_monotonic() - start:.0f} s", flush=True)
            wrong = [seed for seed in caught if pair.finds not in (verdicts[seed] or "")] if role == "buggy" else []
            if wrong:
                print(f"  seeds whose report does not say {pair.finds!r}: {wrong}")


if __name__ == "__main__":
    main(sys.argv[1:])
