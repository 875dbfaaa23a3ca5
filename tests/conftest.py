"""Shared test set-up.

Pre-importing Hypothesis (and the AWS libraries) here makes each in-process
pytester run cost ~0.1 s instead of ~1.5 s (PITFALLS.md: pytester drops the
modules the inner run imported, and Hypothesis's plugin imports itself again).
"""

from __future__ import annotations

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
