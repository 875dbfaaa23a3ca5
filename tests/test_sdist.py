"""Issue 13 item 12: the sdist tests itself.

The source distribution carries what its own suite needs (``conftest.py``, the handler catalogue,
the AWS sample events, the docs examples the tests run), so a user or packager who unpacks it and
runs pytest collects the same suite as a clone does.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

_BUILD = """
import sys
from setuptools import build_meta
print(build_meta.build_sdist(sys.argv[1]))
"""


def _collected(where: Path) -> list[str]:
    """The test ids pytest collects in ``where`` (one process, as a user runs it)."""
    result = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
                            cwd=where, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return sorted(line for line in result.stdout.splitlines() if "::" in line)


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Built from a copy without the editable install's *.egg-info: setuptools would otherwise take
    # that folder's SOURCES.txt as the file list, and pass whatever MANIFEST.in says.
    source = tmp_path_factory.mktemp("source") / "project"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv*", ".tox", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis", ".mypy_cache",
        "build", "dist", "site"))
    out = tmp_path_factory.mktemp("sdist")
    built = subprocess.run([sys.executable, "-c", _BUILD, str(out)], cwd=source, capture_output=True,
                           text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-3000:]
    archive = out / built.stdout.strip().splitlines()[-1]
    with tarfile.open(archive) as tar:
        tar.extractall(out, filter="data") if sys.version_info >= (3, 12) else tar.extractall(out)
    [top] = [p for p in out.iterdir() if p.is_dir()]
    return top


def test_the_sdist_ships_what_its_suite_needs(unpacked: Path) -> None:
    for needed in ("tests/conftest.py", "tests/handlers_catalogue.py", "docs/examples/conftest.py",
                   "pyproject.toml", "LICENSE", "README.md", "CHANGELOG.md", "pytest_lambda_async/py.typed"):
        assert (unpacked / needed).is_file(), needed
    samples = sorted(p.name for p in (ROOT / "tests" / "aws_samples").glob("*.json"))
    assert samples and sorted(p.name for p in (unpacked / "tests" / "aws_samples").glob("*.json")) == samples


def test_the_unpacked_sdist_collects_the_same_suite_as_the_repository(unpacked: Path) -> None:
    ours = [i for i in _collected(ROOT) if not i.startswith("tests/test_sdist.py")]
    assert len(ours) > 1000
    assert [i for i in _collected(unpacked) if not i.startswith("tests/test_sdist.py")] == ours
