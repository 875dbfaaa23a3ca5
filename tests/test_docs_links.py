"""Messages link the documentation by URL (issue 13, items 13 and 14).

Users have the installed package, not the repository: a hint names a documentation page by its
URL (the project's Documentation URL), and a rule id in a message comes with the URL of its
entry in docs/reference/rules.md, built by one function (``_text.rule_url``).
"""
from __future__ import annotations

import ast
import json
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

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


# -- item 13: every rule id users see comes with (or points to) its URL -------------------------
def _ok(event: Any, context: Any) -> Any:
    return {"ok": True}


def _boom(event: Any, context: Any) -> Any:
    raise ValueError("boom")


def ids_without_url(text: str) -> list[str]:
    """The rule ids in ``text`` not followed by their URL (``RET-1: https://...#ret-1``)."""
    return [m.group(0) for m in _text.RULE_ID_RE.finditer(text) if not text.startswith(
        f": {_text.rule_url(m.group(0))}", m.end())]


def test_the_timeline_ends_with_the_url_of_each_rule_id_it_shows_once() -> None:
    """RET-1 (twice) and CFG-5 in the entries: a footer names each once, with its URL; an id-shaped
    word the handler printed is its own business and gets no footer line."""
    from pytest_lambda_async import LambdaInvoker

    def noisy(event: Any, context: Any) -> None:
        print("see RET-9 in my own notes")
        raise ValueError("boom, see RET-7")  # the handler's own words: no footer line either

    with LambdaInvoker(seed=0) as inv:
        inv.register("w", noisy, max_retry_attempts=2, on_failure="arn:aws:sqs:us-east-1:123456789012:q.fifo")
        inv.invoke("w", {}, invocation_type="Event")
        inv.run()
        lines = inv.timeline().splitlines()
    assert sum("retry in" in line and "(RET-1)" in line for line in lines) == 2
    assert any("not supported (CFG-5)" in line for line in lines)
    assert lines[-2:] == [f"  rules: RET-1  {_text.rule_url('RET-1')}",
                          f"         CFG-5  {_text.rule_url('CFG-5')}"]
    assert "RET-9" not in "\n".join(line for line in lines if "| see RET-9" not in line)
    assert not any("RET-7" in line and "rule" in line for line in lines[-2:])


def test_the_footers_ids_are_read_from_the_entries_fields_not_their_text() -> None:
    """Every id an entry's line cites is one ``entry_rule_ids`` gives for it, from the same fields:
    retries, throttles, waits, failed routing (CFG-5) and recursive loops (LOOP-1)."""
    import time

    from pytest_lambda_async import Attempt, LambdaInvoker

    def slow_failing(event: Any, context: Any) -> None:
        time.sleep(50)
        raise ValueError("boom")

    def loops(event: Any, context: Any) -> None:
        import boto3

        boto3.client("lambda", region_name="us-east-1").invoke(FunctionName="loop", InvocationType="Event",
                                                                Payload=b"{}")

    with LambdaInvoker(seed=0) as inv, inv.patch_boto3():
        inv.register("w", slow_failing, reserved_concurrency=1, timeout=900, max_retry_attempts=1,
                     on_failure="arn:aws:sqs:us-east-1:123456789012:q.fifo")
        inv.register("z", _ok, reserved_concurrency=0)
        inv.register("loop", loops)
        for i in range(2):
            inv.invoke("w", {"i": i}, invocation_type="Event")
        inv.invoke("z", {}, invocation_type="Event")
        inv.invoke("loop", {}, invocation_type="Event")
        inv.run()
        entries = inv.timeline_entries
    cited: set[str] = set()
    for e in entries:
        shown = [] if isinstance(e.detail, Attempt) else _text.RULE_ID_RE.findall(_text.entry_text(e))
        assert list(_text.entry_rule_ids(e)) == shown, e
        cited.update(shown)
    assert {"RET-1", "Q-1", "Q-5", "CFG-5", "LOOP-1"} <= cited


def test_a_timeline_citing_no_rule_has_no_footer() -> None:
    from pytest_lambda_async import LambdaInvoker

    with LambdaInvoker(seed=0) as inv:
        inv.register("w", _ok)
        inv.invoke("w", {})
        text = inv.timeline()
    assert "rules:" not in text and _text.DOCS_URL not in text


def _refusals() -> list[Any]:
    """Calls refused with a message of ours that names a rule (most built in _service/aws.py)."""
    from pytest_lambda_async import LambdaInvoker

    def register(**kwargs: Any) -> Callable[[LambdaInvoker], Any]:
        return lambda inv: inv.register("w", _ok, **kwargs)

    def invoke(*args: Any, **kwargs: Any) -> Callable[[LambdaInvoker], Any]:
        def call(inv: LambdaInvoker) -> Any:
            inv.register("w", _ok)
            return inv.invoke("w", *args, **kwargs)
        return call

    return [
        pytest.param(lambda inv: inv.register("no/slash", _ok), "INV-1", id="INV-1 function name"),
        pytest.param(invoke({}, invocation_type="Later"), "INV-2", id="INV-2 invocation type"),
        pytest.param(invoke({}, log_type="All"), "INV-3", id="INV-3 log type"),
        pytest.param(invoke({}, client_context="x" * 4000), "INV-4", id="INV-4 client context size"),
        pytest.param(invoke({}, client_context="!!!!"), "INV-4", id="INV-4 client context"),
        pytest.param(invoke({}, tenant_id="é" * 3), "INV-7", id="INV-7 tenant id"),
        pytest.param(invoke(float("nan")), "INV-20", id="INV-20 unserialisable payload"),
        pytest.param(register(dead_letter="orders-dlq"), "DLQ-1", id="DLQ-1 dead letter by name"),
        pytest.param(register(on_failure="not a name!"), "CFG-6", id="CFG-6 neither ARN nor name"),
        pytest.param(register(on_failure="arn:aws:dynamodb:us-east-1:123456789012:table/t"), "CFG-5",
                     id="CFG-5 unsupported service"),
        pytest.param(register(on_success="arn:aws:s3:::bucket"), "CFG-5", id="CFG-5 on-success S3"),
        pytest.param(register(dead_letter="arn:aws:s3:::bucket"), "DLQ-1", id="DLQ-1 dead letter S3"),
        pytest.param(register(timeout=901), "PY-5", id="PY-5 timeout"),
        pytest.param(lambda inv: inv.register("w", _ok).configure(recursive_loop="Never"), "LOOP-3",
                     id="LOOP-3 recursive loop"),
    ]


@pytest.mark.parametrize("call,rule", _refusals())
def test_every_refusal_naming_a_rule_gives_its_url(call: Callable[[Any], Any], rule: str) -> None:
    from pytest_lambda_async import LambdaInvoker

    with LambdaInvoker() as inv, pytest.raises(Exception) as exc:
        call(inv)
    message = str(exc.value)
    assert rule in message, message
    assert ids_without_url(message) == [], message


def test_a_refused_timeout_limit_links_its_conflict_entry() -> None:
    from pytest_lambda_async import LambdaInvoker

    with pytest.raises(ValueError) as exc:
        LambdaInvoker(timeout_limit=1000)
    assert f"(§11.4: {_text.rule_url('§11.4')})" in str(exc.value)


def _loops(event: Any, context: Any) -> Any:
    """Invokes itself through boto3 (traced): the 17th, made RequestResponse, is refused (LOOP-1)."""
    import boto3
    from botocore.exceptions import ClientError

    client = boto3.client("lambda", region_name="us-east-1")
    if event["n"] < 16:
        client.invoke(FunctionName="looper", InvocationType="Event", Payload=json.dumps({"n": event["n"] + 1}))
        return None
    try:
        client.invoke(FunctionName="looper", Payload=json.dumps({"n": event["n"] + 1}))
    except ClientError as exc:
        return exc.response["Error"]["Message"]
    return None


def test_a_recursive_loop_refusal_links_loop_1(lambda_invoker: Any) -> None:
    lambda_invoker.register("looper", _loops)
    lambda_invoker.invoke("looper", {"n": 1}, invocation_type="Event")
    message = lambda_invoker.run()[-1].response
    assert "LOOP-1" in message and ids_without_url(message) == [], message


def test_an_aws_message_stays_verbatim_and_its_rule_goes_in_a_note_INV_20() -> None:
    """AWS's own text ("Could not parse request body into json: ...") gets no id or URL appended;
    the rule and its URL are a note on the exception (shown by pytest and by traceback)."""
    from pytest_lambda_async import InvalidRequestContentException, LambdaInvoker

    with LambdaInvoker() as inv:
        inv.register("w", _ok)
        with pytest.raises(InvalidRequestContentException) as exc:
            inv.invoke("w", b"{not json")
    assert exc.value.message.startswith("Could not parse request body into json: Could not parse payload into json: ")
    assert not _text.RULE_ID_RE.search(exc.value.message) and _text.DOCS_URL not in exc.value.message
    assert getattr(exc.value, "__notes__", []) == [f"lambda-async: INV-20: {_text.rule_url('INV-20')}"]


def test_an_aws_message_through_boto3_has_no_id_appended_INV_20(lambda_invoker: Any) -> None:
    import boto3
    from botocore.exceptions import ClientError

    lambda_invoker.register("w", _ok)
    with pytest.raises(ClientError) as exc:
        boto3.client("lambda", region_name="us-east-1").invoke(FunctionName="w", Payload=b"{not json")
    message = exc.value.response["Error"]["Message"]
    assert message.startswith("Could not parse request body into json: ")
    assert not _text.RULE_ID_RE.search(message) and _text.DOCS_URL not in message


def test_help_points_to_the_rules_page(lpytester: pytest.Pytester) -> None:
    """``pytest --help`` lists options citing Q-2, INV-18, PY-5, PY-4 and §11.1: the group's heading
    says where rule ids are defined."""
    result = lpytester.runpytest("--help")
    result.stdout.fnmatch_lines([
        f"pytest-lambda-async: the in-memory async Lambda service (rule ids such as Q-2 or PY-5: "
        f"{_text.docs_url('reference/rules.md')}):",
        "*(Q-2)*",
    ])


# Where an id may appear in a literal with other text: places whose output carries the URL another way.
_CITES_ELSEWHERE = {
    ("_text.py", "entry_text"): "timeline entries: the timeline's footer gives the URLs",
    ("_text.py", "waited_text"): "a timeline entry's text (entry_text calls it): the footer gives the URLs",
    ("_text.py", "throttles_left_out"): "a note on a timeline line of the idempotency report, which has the footer",
    ("_text.py", "help_heading"): "the heading names the rules page",
    ("_text.py", "async_handler_refused"): "the literal is followed by rule_url()",
    ("_text.py", "destination_failure"): "a failed delivery's reason, shown in the timeline (footer)",
    ("_text.py", "setting_help"): "option help, under the heading that names the rules page",
}


def _literals(path: Path) -> Iterator[tuple[str, ast.Constant, list[ast.AST]]]:
    """Each string literal of a module that is not a docstring, with its enclosing function's name
    and its parents (innermost first)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}

    def walk(node: ast.AST, function: str, parents: list[ast.AST]) -> Iterator[tuple[str, ast.Constant, list[ast.AST]]]:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            function = node.name
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield function, node, parents
        for child in ast.iter_child_nodes(node):
            yield from walk(child, function, [node, *parents])

    yield from walk(tree, "<module>", [])


def test_no_message_literal_names_a_rule_without_its_url() -> None:
    """Outside the places listed in _CITES_ELSEWHERE, an id stands alone in a literal: the argument
    of ``cite``, ``rule_url`` or ``rule_note``, which put the URL beside it."""
    bare: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        for function, node, _ in _literals(path):
            if _text.RULE_ID_RE.search(node.value) and not _text.RULE_ID_RE.fullmatch(node.value) \
                    and (name, function) not in _CITES_ELSEWHERE:
                bare.append(f"{name}:{node.lineno} ({function}): {node.value[:80]!r}")
    assert not bare, "rule ids in messages without their URL:\n" + "\n".join(bare)


# -- item 14: messages name documentation URLs, never repository paths --------------------------
REPOSITORY_PATH = re.compile(r"(?<![\w/.:-])(?:docs|tests|benchmarks|\.ci|shared|examples|pytest_lambda_async)/[\w./-]+"
                             r"|(?<![\w/.-])[\w-]+\.md\b")


def _is_docs_url_argument(node: ast.Constant, parents: list[ast.AST]) -> bool:
    """``docs_url("how-to/x.md")`` or ``RULES_PAGE = "reference/rules.md"``: a page the URL is built from."""
    parent = parents[0] if parents else None
    if isinstance(parent, ast.Call):
        func = parent.func
        return (func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")) == "docs_url"
    return isinstance(parent, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "RULES_PAGE"
                                                   for t in parent.targets)


def test_no_message_names_a_repository_path() -> None:
    """Users get the package, not the repository: a message says which page by URL (``_text.docs_url``),
    never ``docs/how-to/...``, ``tests/...`` or a bare ``x.md``."""
    found: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for _, node, parents in _literals(path):
            if REPOSITORY_PATH.search(node.value) and not _is_docs_url_argument(node, parents):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {node.value[:100]!r}")
    assert not found, "repository paths in messages:\n" + "\n".join(found)


def test_the_repository_path_scan_finds_what_it_looks_for() -> None:
    for text in ("See docs/how-to/event-sources.md", "run tests/test_x.py", "see semantics.md"):
        assert REPOSITORY_PATH.search(text), text
    for text in (_text.docs_url("how-to/event-sources.md"), "a/b docs", "arn:aws:s3:::docs/x"):
        assert not REPOSITORY_PATH.search(text), text


# Design notes the team reads but the repository does not hold (issue 11 item 4).
UNSHIPPED = re.compile(r"\b(?:API|PITFALLS|STYLE|await-detection|lambda-async-semantics)\.md\b|aws-recordings/")
CITED_PATH = re.compile(r"\b(?:tests|docs|benchmarks)/[\w/.-]+\.(?:py|md)\b")


def test_the_packages_docstrings_and_comments_cite_only_files_the_repository_has() -> None:
    """A docstring or comment that points a reader to a file points to one they can open: no design note
    outside the repository (API.md, PITFALLS.md, ...), and every ``tests/``, ``docs/`` or ``benchmarks/``
    path it names exists (they moved when the tests took the package's layout)."""
    found: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            where = f"{path.relative_to(PACKAGE)}:{lineno}"
            found += [f"{where}: {m.group()} is not in the repository" for m in UNSHIPPED.finditer(line)]
            found += [f"{where}: {m.group()} does not exist" for m in CITED_PATH.finditer(line)
                      if not (ROOT / m.group()).exists()]
    assert not found, "\n".join(found)


def test_the_citation_scan_finds_what_it_looks_for() -> None:
    assert UNSHIPPED.search("see PITFALLS.md") and UNSHIPPED.search("(API.md section 2)")
    assert CITED_PATH.search("tests/test_boto3.py checks it") and not CITED_PATH.search("https://x/docs")


def test_an_unmodelled_event_source_points_to_the_how_to_by_url(lambda_invoker: Any) -> None:
    import boto3

    from pytest_lambda_async import UnsupportedOperation

    lambda_invoker.register("w", _ok)
    with pytest.raises(UnsupportedOperation) as exc:
        boto3.client("lambda", region_name="us-east-1").create_event_source_mapping(
            FunctionName="w", EventSourceArn="arn:aws:kinesis:us-east-1:123456789012:stream/s")
    assert f"See {_text.docs_url('how-to/event-sources.md')}" in str(exc.value)
