"""Messages link the documentation by URL (issue 13, items 13 and 14).

Users have the installed package, not the repository: a hint names a documentation page by its
URL (the project's Documentation URL), and a rule id in a message comes with the URL of its
entry in docs/reference/rules.md, built by one function (``_text.rule_url``).
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from pytest_lambda_async import _text
from test_docs_rules import ROOT, cited_ids, rules_entries

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the lowest interpreters
    tomllib = pytest.importorskip("tomli")

PACKAGE = ROOT / "pytest_lambda_async"


def test_the_docs_url_is_the_projects_documentation_url() -> None:
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["urls"]
    assert _text.DOCS_URL == urls["Documentation"]
    assert _text.rule_url("RET-1") == urls["Documentation"] + "/reference/rules.md#ret-1"
    assert _text.rule_url("§11.4") == urls["Documentation"] + "/reference/rules.md#s11-4"


def test_every_rule_the_package_cites_has_the_anchor_its_url_names() -> None:
    """Each id cited anywhere in the package links to an anchor that rules.md defines."""
    anchors = set(rules_entries())
    cited: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        cited |= cited_ids(path.read_text(encoding="utf-8"))
    assert len(cited) > 50
    ids = {(a.upper() if not a.startswith("s") else "§" + a[1:].replace("-", ".")) for a in cited}
    missing = sorted(i for i in ids if _text.rule_url(i).rpartition("#")[2] not in anchors)
    assert not missing, f"rule URLs whose anchor rules.md lacks: {missing}"


def test_every_page_a_message_links_exists() -> None:
    """``docs_url("how-to/...")`` calls in the package name pages that exist under docs/."""
    pages = set()
    for path in PACKAGE.rglob("*.py"):
        pages |= set(re.findall(r"docs_url\(['\"]([^'\"]+)['\"]\)", path.read_text(encoding="utf-8")))
    assert {"how-to/await-checks.md", "how-to/idempotency.md", "how-to/boto3-and-moto.md"} <= pages
    assert all((ROOT / "docs" / page).is_file() for page in pages), pages


def test_hints_name_urls_not_repository_paths() -> None:
    for hint in (_text.ALLOW_HINT, _text.IDEMPOTENCY_DOCS, _text.DOCS):
        assert _text.DOCS_URL in hint
        assert not re.search(r"(?<![/\w])docs/", hint.replace(_text.DOCS_URL, "")), hint


def test_an_async_handler_named_handler_is_told_to_run_main(lpytester: pytest.Pytester) -> None:
    """Item 14: registering ``async def handler`` suggests ``asyncio.run(main(event, context))``
    (not ``handler`` running itself) and links PY-2, in the failure the user sees; a coroutine
    with another name is run by that name."""
    lpytester.makepyfile("""
        async def handler(event, context):
            return {"ok": True}

        async def process(event, context):
            return {"ok": True}

        def test_register_handler(lambda_invoker):
            lambda_invoker.register("worker", handler)

        def test_register_process(lambda_invoker):
            lambda_invoker.register("other", process)
    """)
    result = lpytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines([
        f"*AsyncHandlerError: worker: handler handler is an `async def` function.*(PY-2: {_text.rule_url('PY-2')}).",
        "*Fix: deploy a sync entry point that runs it, e.g.",
        "*    def handler(event, context):",
        "*        return asyncio.run(main(event, context))",
        "*and register that (your `async def handler` renamed `async def main`).*",
        "*AsyncHandlerError: other: handler process is an `async def` function.*",
        "*        return asyncio.run(process(event, context))",
        "*and register that. If*",
    ])
    result.stdout.no_fnmatch_line("*asyncio.run(handler(*")


def test_the_await_check_hint_names_the_pages_url(lpytester: pytest.Pytester) -> None:
    """Item 14: the UnawaitedWorkError hint a user reads names the how-to by URL."""
    lpytester.makepyfile("""
        import asyncio
        from pytest_lambda_async import assert_awaits_all

        async def send_email():
            pass

        def handler(event, context):
            loop = asyncio.new_event_loop()
            loop.create_task(send_email())
            loop.close()
            return {}

        def test_handler():
            assert_awaits_all(handler, {})
    """)
    result = lpytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*deliberate long-lived work? name it in allow=[[]...] (see {_text.docs_url('how-to/await-checks.md')})"])


def test_a_refused_timeout_links_its_rule() -> None:
    """Item 13: an error naming a rule id gives the URL of its entry (PY-5 here)."""
    from pytest_lambda_async import InvalidParameterValueException, LambdaInvoker

    with LambdaInvoker() as inv, pytest.raises(InvalidParameterValueException) as exc:
        inv.register("w", lambda event, context: None, timeout=901)
    assert f"(PY-5: {_text.rule_url('PY-5')}; pass timeout_limit=1800" in str(exc.value)
