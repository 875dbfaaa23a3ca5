"""Shared test set-up.

Pre-importing Hypothesis (and the AWS libraries) here makes each in-process
pytester run cost ~0.1 s instead of ~1.5 s (PITFALLS.md: pytester drops the
modules the inner run imported, and Hypothesis's plugin imports itself again).
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Iterator

import boto3  # noqa: F401
import freezegun  # noqa: F401
import hypothesis
import moto  # noqa: F401
import pytest

pytest_plugins = ["pytester"]

hypothesis.settings.register_profile("ci", deadline=None, print_blob=True, max_examples=60)
hypothesis.settings.register_profile("dev", deadline=None, max_examples=30)
hypothesis.settings.load_profile("ci")

# The last filter: under `--assert=plain` (tox's norewrite env) an inner in-process run
# wants to rewrite the already-imported plugin and warns.
BASE_INI = """
[pytest]
asyncio_default_fixture_loop_scope = function
filterwarnings =
    error
    ignore:datetime.datetime.utcnow:DeprecationWarning
    ignore:Module already imported so cannot be rewritten:pytest.PytestAssertRewriteWarning
"""


@pytest.fixture
def lpytester(pytester: pytest.Pytester) -> pytest.Pytester:
    """pytester with the base ini written (the temp dir sees none of the repo's config)."""
    pytester.makeini(BASE_INI)
    return pytester


def _pytest_asyncio_leaves_a_loop() -> bool:
    from importlib.metadata import version

    major, minor = (int(part) for part in version("pytest-asyncio").split(".")[:2])
    return (major, minor) < (1, 4)


if _pytest_asyncio_leaves_a_loop():
    @pytest.hookimpl(hookwrapper=True, trylast=True)
    def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
        """pytest-asyncio before 1.4 (our floor is 0.24) installs a fresh event loop after each async
        test and never closes it (pytest-dev/pytest-asyncio#724, fixed by #1430 in 1.4): the next
        test calling ``asyncio.run()`` unsets it, and its self-pipe sockets raise ResourceWarning
        in whichever test the collector then runs. Close it where it is made."""
        yield
        if item.get_closest_marker("asyncio") is None:
            return
        policy = asyncio.get_event_loop_policy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            try:
                loop = policy.get_event_loop()
            except RuntimeError:
                return
        if not loop.is_running() and not loop.is_closed():
            loop.close()
            policy.set_event_loop(None)
