"""Every rule id the plugin shows users resolves to an entry of docs/reference/rules.md.

Ids such as RET-1, INV-18, PY-5 or Q-2 appear in the timeline, in error messages,
in ``--help`` and throughout the docs; ``§11.N`` cites a conflict of section 11.
Each must have an anchor in rules.md (``<a id="ret-1"></a>``, ``<a id="s11-1"></a>``),
and each entry there must name the AWS documentation it comes from.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest


def _repo_root() -> Path:
    """The folder holding pyproject.toml, searched upwards from this file."""
    here = Path(__file__).resolve()
    for folder in here.parents:
        if (folder / "pyproject.toml").is_file() and (folder / "pytest_lambda_async").is_dir():
            return folder
    raise RuntimeError(f"no pyproject.toml above {here}")


ROOT = _repo_root()
RULES = ROOT / "docs" / "reference" / "rules.md"

# Rule-id families (see rules.md). A closed list keeps look-alikes out: UTF-8,
# ISO-8601, UTF-16/32, US-EAST-1 (an upper-cased region).
FAMILIES = ("INV", "Q", "RET", "CFG", "REC", "DST", "DLQ", "LOOP", "PY", "SRC", "ESM", "IDEM")
_FAMILY = "|".join(FAMILIES)
# An id, optionally followed by the short end of a range or pair: "INV-13..15",
# "REC-1..8", "DLQ-3/4" (the end is an id too: INV-15, REC-8, DLQ-4).
ID_RE = re.compile(rf"\b({_FAMILY})-(\d+)\b(?:(?:\.\.|/)(\d+)\b)?")
# Anything shaped like an id, to catch a new family nobody added to FAMILIES.
ID_SHAPE_RE = re.compile(r"\b[A-Z]{1,5}-\d+\b")
NOT_IDS = {"UTF-8", "UTF-16", "UTF-32", "ISO-8601", "SHA-1", "SHA-256", "EAST-1", "WEST-1", "WEST-2"}
SECTION_RE = re.compile(r"§(\d+)\.(\d+)")
# An entry: a level-3 heading that starts with its anchor (the scheme rules.md states).
ANCHOR_RE = re.compile(r'^### <a id="([a-z0-9-]+)"></a>', re.MULTILINE)
AWS_DOCS = "https://docs.aws.amazon.com/"


def _sources() -> list[Path]:
    """Where users meet rule ids: the package, the docs (pages, rules.md itself, examples), the README."""
    files = sorted((ROOT / "pytest_lambda_async").rglob("*.py"))
    files += sorted((ROOT / "docs").rglob("*.md"))
    files += sorted((ROOT / "docs").rglob("*.py"))
    return [*files, ROOT / "README.md"]


def cited_ids(text: str) -> set[str]:
    """Rule ids and §11-style references in ``text``, as rules.md anchors (lower case)."""
    found: set[str] = set()
    for family, number, range_end in ID_RE.findall(text):
        found.add(f"{family}-{number}".lower())
        if range_end:
            found.add(f"{family}-{range_end}".lower())
    for section, item in SECTION_RE.findall(text):
        found.add(f"s{section}-{item}")
    return found


def rules_entries() -> dict[str, str]:
    """Each anchor of rules.md and its entry's text (up to the next anchor or section)."""
    text = RULES.read_text(encoding="utf-8")
    matches = list(ANCHOR_RE.finditer(text))
    entries: dict[str, str] = {}
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        section = re.search(r"^## ", text[match.end():end], re.MULTILINE)
        if section:
            end = match.end() + section.start()
        assert match.group(1) not in entries, f"rules.md: anchor {match.group(1)!r} defined twice"
        entries[match.group(1)] = text[match.end():end]
    return entries


def test_cited_ids_parses_ids_ranges_and_sections() -> None:
    text = ("RET-1 (INV-13..15) REC-1..REC-8, DLQ-3/4 semantics §11.4 Q-2 "
            "UTF-8 ISO-8601 US-EAST-1 UTF-16/32 x-amz-1 RET-12")
    assert cited_ids(text) == {"ret-1", "inv-13", "inv-15", "rec-1", "rec-8", "dlq-3", "dlq-4",
                               "s11-4", "q-2", "ret-12"}


def test_every_cited_rule_id_has_an_entry() -> None:
    anchors = set(rules_entries())
    missing: dict[str, list[str]] = {}
    for path in _sources():
        for rule in sorted(cited_ids(path.read_text(encoding="utf-8")) - anchors):
            missing.setdefault(rule, []).append(str(path.relative_to(ROOT)))
    assert not missing, "rule ids cited but not defined in docs/reference/rules.md:\n" + "\n".join(
        f"  {rule.upper()}: {', '.join(paths)}" for rule, paths in sorted(missing.items()))


def test_no_unknown_id_family() -> None:
    """A new family (say ``ABC-1``) must be added to FAMILIES, or it escapes the check above."""
    unknown: dict[str, set[str]] = {}
    for path in _sources():
        for token in ID_SHAPE_RE.findall(path.read_text(encoding="utf-8")):
            if token not in NOT_IDS and not re.fullmatch(rf"(?:{_FAMILY})-\d+", token):
                unknown.setdefault(token, set()).add(str(path.relative_to(ROOT)))
    assert not unknown, "id-shaped tokens of no known family (add the family or the exception):\n" + "\n".join(
        f"  {token}: {', '.join(sorted(paths))}" for token, paths in sorted(unknown.items()))


def test_every_entry_links_to_aws_documentation() -> None:
    entries = rules_entries()
    assert len(entries) >= 80
    unsourced = sorted(anchor for anchor, body in entries.items() if AWS_DOCS not in body)
    assert not unsourced, f"entries of rules.md without a {AWS_DOCS} link: {unsourced}"


@pytest.mark.parametrize("anchor", ["ret-1", "inv-18", "py-5", "loop-1", "dlq-4", "rec-8", "q-2", "s11-1"])
def test_entry_heading_names_its_id(anchor: str) -> None:
    """Anchors sit at the start of a level-3 heading that spells the id."""
    text = RULES.read_text(encoding="utf-8")
    label = anchor.upper() if not anchor.startswith("s") else "§" + anchor[1:].replace("-", ".")
    assert re.search(rf'^### <a id="{anchor}"></a>{re.escape(label)}: ', text, re.MULTILINE)


def test_internal_links_resolve() -> None:
    text = RULES.read_text(encoding="utf-8")
    anchors = set(rules_entries())
    broken = sorted({target for target in re.findall(r"\]\(#([a-z0-9-]+)\)", text)
                     if re.fullmatch(r"[a-z]+\d*-\d+", target) and target not in anchors})
    assert not broken, f"links to missing entries in rules.md: {broken}"
