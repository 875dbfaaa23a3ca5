"""README.md's example and the timeline sample printed under it agree.

The README's first ```python block runs through pytester as ``test_upload.py`` (the
name the README gives it), made to fail after it passes so pytest prints the
``lambda-async timeline`` section; that section must be the README's sample line
for line. Only ``t0`` is normalised: the virtual clock starts at the real time of
the run. Request ids, function names, file:line and targets come from the code
and the default seed, so they must match as printed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
_T0 = re.compile(r"t0 = \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")

# A test that passes shows no timeline: this hook fails it after its body has run.
FAIL_AFTER_CALL = """
import pytest

@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    yield
    raise AssertionError("failed on purpose, so pytest prints the timeline")
"""


def _readme_example() -> str:
    return re.findall(r"^```python\n(.*?)^```", README, re.MULTILINE | re.DOTALL)[0]


def _readme_timeline() -> list[str]:
    after = README.split("When a test that used the invoker fails", 1)[1]
    block = re.search(r"^```\n(.*?)^```", after, re.MULTILINE | re.DOTALL)
    assert block is not None, "the README's timeline sample is missing"
    return block.group(1).splitlines()


def _normalised(lines: list[str]) -> list[str]:
    return [_T0.sub("t0 = <real time of the run>", line) for line in lines]


def test_readme_timeline_sample_is_what_its_example_prints(lpytester: pytest.Pytester) -> None:
    assert "`test_upload.py`" in README.split("```python", 1)[0], "the README names the example's file"
    lpytester.makeconftest(FAIL_AFTER_CALL)
    lpytester.makepyfile(test_upload=_readme_example())
    result = lpytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    out = result.outlines
    start = next(i for i, line in enumerate(out) if re.fullmatch(r"-+ lambda-async timeline -+", line))
    end = next(i for i in range(start + 1, len(out)) if re.match(r"(=|-){10,}", out[i]))
    sample = _readme_timeline()
    # The section's rule is as wide as the terminal: the sample's is 80 columns, as pytester's.
    assert _normalised(out[start:end]) == _normalised(sample)


def _readme_set_up_commands() -> list[str]:
    """The commands of the README's Set-up section, in order (one per bare ``` block)."""
    section = README.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"^ *```\n(.*?)^ *```", section, re.MULTILINE | re.DOTALL)]


def test_ci_runs_exactly_the_readmes_test_command() -> None:
    """The brief's rule: .ci/run runs command 2 of the README's set-up, word for word.

    .ci/run calls it as ``run_pytest <python> <args>`` (its wrapper adds the time cap and
    fails on exit 5), so that line must be command 2 with ``-m pytest`` taken out."""
    commands = _readme_set_up_commands()
    assert len(commands) == 2, commands
    python, pytest_args = re.fullmatch(r"(\S+) -m pytest ?(.*)", commands[1]).groups()  # type: ignore[union-attr]
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text(encoding="utf-8")
    calls = [line.split("||")[0].split()[1:] for line in ci.splitlines() if line.startswith("run_pytest ")]
    assert calls[0] == [python, *pytest_args.split()], (calls[0], commands[1])
