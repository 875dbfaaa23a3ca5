"""The ```python code blocks of README.md and docs/**/*.md run as tests.

A block that defines ``test_*`` functions is a test module: it runs through
pytester (in-process, the plugin loaded as users get it) and every test in it
must pass. Any other block runs as a script (``exec`` in a fresh namespace).

A block that cannot run alone says so in the Markdown, on the line before its
fence, with a reason readers can see in the page's source:

    <!-- docs-test: skip (a signature, not a call) -->
    <!-- docs-test: continues -->   (runs after the page's previous block, in
                                     the same module: imports shown once)
    <!-- docs-test: file app.py -->  (not run: written as app.py beside the
                                     page's later blocks, which import it)

``SKIPPED`` counts the skipped blocks, so the number cannot silently grow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]

# Raise it only with a reason in the page; lower it whenever a block is made runnable.
SKIPPED = 21

_FENCE = re.compile(r"^(?P<indent> *)```python\n(?P<code>.*?)^(?P=indent)```", re.MULTILINE | re.DOTALL)
_MARK = re.compile(r"<!-- docs-test: (?P<what>skip|continues|file)\b(?P<reason>.*?)-->\s*$")
_TEST_DEF = re.compile(r"^(?:async )?def test_", re.MULTILINE)


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # of the opening fence, 1-based
    code: str
    mark: str | None  # "skip", "continues", "file" or None
    reason: str

    @property
    def id(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"

    @property
    def is_test_module(self) -> bool:
        return _TEST_DEF.search(self.code) is not None


def blocks(page: Path) -> list[Block]:
    """The page's ```python blocks, each with the docs-test mark on the line before it."""
    text = page.read_text(encoding="utf-8")
    found = []
    for m in _FENCE.finditer(text):
        before = text[:m.start()].rstrip().rsplit("\n", 1)[-1]
        mark = _MARK.search(before)
        indent = len(m.group("indent"))
        code = "\n".join(line[indent:] for line in m.group("code").splitlines()) + "\n"
        found.append(Block(page, text.count("\n", 0, m.start()) + 1, code,
                           mark.group("what") if mark else None,
                           mark.group("reason").strip(" ()—-:") if mark else ""))
    return found


ALL = [b for page in PAGES for b in blocks(page)]


def _source(block: Block) -> str:
    """The block's code, after the page's blocks it continues (a chain of 'continues' marks)."""
    page = [b for b in ALL if b.page == block.page]
    i = page.index(block)
    chain = [block.code]
    while page[i].mark == "continues" and i > 0:
        i -= 1
        chain.insert(0, page[i].code)
    return "\n".join(chain)


@pytest.mark.parametrize("block", [b for b in ALL if b.mark not in ("skip", "file")], ids=lambda b: b.id)
def test_code_block_runs(block: Block, lpytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    # A shell set up for AWS, as the pages assume (moto's advice: fake keys, never real ones).
    for name, value in (("AWS_DEFAULT_REGION", "us-east-1"), ("AWS_ACCESS_KEY_ID", "testing"),
                        ("AWS_SECRET_ACCESS_KEY", "testing")):
        monkeypatch.setenv(name, value)
    source = _source(block)
    for earlier in ALL[:ALL.index(block)]:
        if earlier.page == block.page and earlier.mark == "file":
            lpytester.makepyfile(**{earlier.reason.removesuffix(".py"): earlier.code})
    if block.is_test_module:
        lpytester.makepyfile(test_block=source)
        result = lpytester.runpytest_inprocess("-p", "no:cacheprovider", "-q")
        outcomes = result.parseoutcomes()
        assert result.ret == 0 and outcomes.get("passed", 0) >= 1, "\n".join(result.outlines[-60:])
        assert set(outcomes) <= {"passed", "warnings"}, outcomes
    else:
        lpytester.chdir()
        lpytester.syspathinsert()
        exec(compile(source, block.id, "exec"), {"__name__": "__docs__"})  # noqa: S102


def test_skipped_blocks_are_counted_and_give_a_reason() -> None:
    skipped = [b for b in ALL if b.mark == "skip"]
    run = [b for b in ALL if b.mark not in ("skip", "file")]
    print(f"docs code blocks: {len(run)} run, {len(skipped)} skipped")  # shown with -s or -rP
    assert [b.id for b in skipped if not b.reason] == []
    assert len(skipped) == SKIPPED, f"{len(skipped)} skipped, SKIPPED says {SKIPPED}:\n" + "\n".join(
        f"{b.id}: {b.reason}" for b in skipped)


def test_marks_are_spelled_as_the_harness_reads_them() -> None:
    """A misspelt mark (``docs-tests:``, ``skipped``) would silently run or skip nothing."""
    for page in PAGES:
        for n, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            if "docs-test" in line:
                assert _MARK.search(line), f"{page.relative_to(ROOT)}:{n}: {line.strip()}"
