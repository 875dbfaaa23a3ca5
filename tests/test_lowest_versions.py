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
             *project["project"]["optional-dependencies"]["test"]]
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
