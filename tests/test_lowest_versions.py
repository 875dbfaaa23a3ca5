""".ci/lowest-constraints.txt pins exactly the floors pyproject.toml declares.

The lowest-versions job in .ci/run installs with that file; if a floor changed in
pyproject.toml without it (or the reverse), the job would test other versions than
the ones users are promised.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

ROOT = Path(__file__).resolve().parents[1]
_FLOOR = re.compile(r"^(?P<name>[A-Za-z0-9_.-]+)(?:\[[^\]]*\])?>=(?P<version>[^,;\s]+)$")


def _floors() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    specs = [*project["build-system"]["requires"], *project["project"]["dependencies"],
             *project["project"]["optional-dependencies"]["test"], *project["project"]["optional-dependencies"]["docs"]]
    floors: dict[str, str] = {}
    for spec in specs:
        m = _FLOOR.match(spec.replace(" ", ""))
        assert m, f"{spec!r}: every requirement states its floor as name>=version"
        name = m["name"].lower()
        assert floors.setdefault(name, m["version"]) == m["version"], f"two floors for {name}"
    return floors


def _pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / ".ci" / "lowest-constraints.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.strip().lower()] = version.strip()
    return pins


def test_lowest_constraints_pin_every_floor_and_nothing_else() -> None:
    assert _pins() == _floors()


@pytest.mark.parametrize("variables, verdict", [
    ({}, "SKIP"),
    ({"CI": "true"}, "FAIL"),
    ({"TOX_SKIP_MISSING_INTERPRETERS": "false"}, "FAIL"),
    ({"CI": "true", "TOX_SKIP_MISSING_INTERPRETERS": "true"}, "SKIP"),
], ids=["workstation", "ci", "flag-false", "ci-flag-true"])
def test_tox_fails_on_a_missing_interpreter_in_ci(tmp_path: Path, variables: dict[str, str], verdict: str) -> None:
    """Issue 13 item 11 (tox 4.16 is the floor: older ones crash on a missing interpreter with
    ``package = wheel``): tox skips an interpreter it cannot find on a developer's machine, and fails in
    CI (``CI=true``, through toxfile.py) or when ``TOX_SKIP_MISSING_INTERPRETERS=false``; the explicit
    variable wins over ``CI``.  Run against this repository's tox.ini with an empty ``PATH``, so the listed
    interpreter that is not the one running (py310, or py311 under 3.10) is missing."""
    import os
    import subprocess
    import sys

    env_name = "py311" if sys.version_info[:2] == (3, 10) else "py310"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOX_") and k != "CI"}
    env["PATH"] = str(tmp_path / "no-interpreters")
    env.update(variables)
    command = [sys.executable, "-m", "tox", "run", "-e", env_name, "--notest", "-c", str(ROOT / "tox.ini"),
               "--root", str(ROOT), "--workdir", str(tmp_path / "tox")]
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert f"{env_name}: {verdict}" in done.stdout, done.stdout + done.stderr
    assert done.returncode != 0  # a run whose only environment was skipped fails too: nothing was tested
