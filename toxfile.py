"""tox's inline plugin (tox loads ``toxfile.py`` beside ``tox.ini``): in CI a missing interpreter fails.

tox.ini skips a listed interpreter this machine lacks (``skip_missing_interpreters = true``), which suits
a workstation. On a CI machine a skipped interpreter would pass a run that tested nothing on it, so when
the ``CI`` variable is true (GitHub Actions, GitLab CI, CircleCI, Travis CI and most others set it) the
setting becomes false. An explicit ``--skip-missing-interpreters`` or
``TOX_SKIP_MISSING_INTERPRETERS`` still wins. Tested by ``tests/test_lowest_versions.py``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from tox.plugin import impl

if TYPE_CHECKING:
    from tox.config.sets import ConfigSet
    from tox.session.state import State


@impl
def tox_add_core_config(core_conf: ConfigSet, state: State) -> None:
    options = state.conf.options
    in_ci = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
    if in_ci and getattr(options, "skip_missing_interpreters", "config") == "config":
        options.skip_missing_interpreters = "false"
