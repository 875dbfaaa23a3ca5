"""``pytest_lambda_async.strategies`` for the checks, imported on first use (it imports Hypothesis)."""

from __future__ import annotations

from typing import Any


class Strategies:
    """The strategies package, read as attributes: cheaper than an import statement in each run."""

    def __getattr__(self, name: str) -> Any:
        from .. import strategies

        value = getattr(strategies, name)
        setattr(self, name, value)  # found on the instance from now on: __getattr__ runs on a miss only
        return value


S = Strategies()
