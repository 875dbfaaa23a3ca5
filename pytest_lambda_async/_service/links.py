"""Where the documentation is: page URLs and the URL of each rule id (``RET-1``, ``PY-5``, ``§11.4``).

The vocabulary layer's, so that messages built beside the rules (``aws.py``) link them too; ``_text``
re-exports these.  Users have the package, not the repository: messages name pages by URL."""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["DOCS_URL", "RULES_PAGE", "RULE_ID_RE", "cite", "docs_url", "rule_anchor", "rule_url"]

# The project's Documentation URL ([project.urls] in pyproject.toml; tests/test_docs_links.py keeps
# the two equal).
DOCS_URL = "https://github.com/pytest-lambda-async/pytest-lambda-async/tree/main/docs"
RULES_PAGE = "reference/rules.md"
# A rule id of a family rules.md defines, or a §11-style conflict reference.
RULE_ID_RE = re.compile(r"\b(?:INV|Q|RET|CFG|REC|DST|DLQ|LOOP|PY|SRC|ESM|IDEM)-\d+\b|§\d+\.\d+")


def docs_url(page: str) -> str:
    """The URL of a documentation page, ``page`` relative to docs/ (``how-to/idempotency.md``)."""
    return f"{DOCS_URL}/{page}"


def rule_anchor(rule_id: str) -> str:
    """rules.md's anchor for a rule id: ``RET-1`` -> ``ret-1``, ``§11.4`` -> ``s11-4``."""
    if rule_id.startswith("§"):
        return "s" + rule_id[1:].replace(".", "-")
    return rule_id.lower()


def rule_url(rule_id: str) -> str:
    """Where a rule the package cites (``RET-1``, ``PY-5``, ``§11.4``) is defined."""
    return f"{docs_url(RULES_PAGE)}#{rule_anchor(rule_id)}"


def cite(rule_id: str) -> str:
    """A rule id with its URL, as messages put it in parentheses: ``INV-3: https://...#inv-3``."""
    return f"{rule_id}: {rule_url(rule_id)}"

