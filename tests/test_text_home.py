"""Every sentence people read is rendered in ``pytest_lambda_async/_text.py`` (issue 11, item 1), checked on
the source.

The rule, for every module named in ``WATCHED`` (all of ``_service/``, ``_adapters/`` and ``_checks/``, but
for the two modules named in ``NOT_WATCHED``; the plugin, ``plugin.py``; and ``strategies/histories.py``,
whose lines describe a delivery history in idempotency reports): no string literal with three or more words
(whitespace-separated pieces with a letter in them), and no f-string with three or more words counting each
``{...}`` as one, two of them its own (``f"duplicate {label} failed: {error}"``; not ``f"{who} -> {target}"``).
A sentence has three words; the strings these modules need otherwise do not: names (``"DynamoDB.PutItem"``,
``"on_success"``), labels (``"ABCDEFGH"``), keys, hook ids (``"pytest-lambda-async-faults-before-call"``).
Exempt, as no report or timeline reads them:

- docstrings, an attribute's too (a string standing alone right after an assignment, as Sphinx reads it);
- the arguments of ``raise TypeError(...)`` / ``raise ValueError(...)``: a bad argument, said where it is
  checked;
- text only matched against, never shown: the arguments of ``.startswith()`` / ``.endswith()``,
  the operands of a comparison (``==``, ``!=``, ``in``, ``not in``), e.g. Hypothesis's own notes that a
  report leaves out, and the pattern given to ``re.compile()`` / ``re.search()`` / ``re.match()`` /
  ``re.fullmatch()`` (Python's own warning and error texts, read to learn a name);
- formats and identifiers: an f-string whose own text has no whitespace (an ARN, a URL, a trace header:
  ``f"arn:aws:iam::{account}:root"``), since a sentence has spaces between its words; and what a
  ``__repr__`` returns (a debugging form, no report's sentence).

``NOT_WATCHED`` names the two modules whose text is not ours to word: ``_service/aws.py`` holds AWS's own
messages verbatim (its rules, limits and error texts, kept as AWS words them, so tests compare them with
AWS's), and ``_service/logs.py`` writes the Lambda runtime's log lines (``REPORT RequestId: ...``,
tracebacks), a wire format tools parse, not prose of ours.

The other modules of ``strategies/`` are not watched: their sentences are argument checks, said where the
argument is checked as the exempt ``raise ValueError(...)`` is (``formats.py``'s rules for names and values,
``_common.py``'s "takes a plain value, not a strategy", what a strategy ``drew`` that AWS would refuse), and
AWS's sample values, data rather than sentences (EventBridge's ``"User Signed Up"`` detail-type, API Gateway's
user agent).

Any other sentence, an ``AssertionError``'s or a ``RuntimeError``'s included, is a function of ``_text``
given the fields.  The checker runs on the real package and on planted modules, so it is known to fail
when the rule is broken.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "pytest_lambda_async"
# Relative to the package: a directory means every module under it, a file that module.
WATCHED = ("_checks", "_adapters", "_service", "plugin.py", "strategies/histories.py")
NOT_WATCHED = {
    "_service/aws.py": "AWS's own rules and messages, verbatim",
    "_service/logs.py": "the Lambda runtime's log lines: a wire format",
}
_MATCHERS = ("re.compile", "re.search", "re.match", "re.fullmatch")
MIN_WORDS = 3
MIN_OWN_WORDS = 2  # of an f-string's words, how many must be its own text (not {...})


def _words(text: str) -> int:
    return sum(1 for piece in text.split() if any(c.isalpha() for c in piece))


def _string(statement: ast.stmt) -> ast.Constant | None:
    """The string of a statement that is only a string literal (a docstring's form), else None."""
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant) \
            and isinstance(statement.value.value, str):
        return statement.value
    return None


def _docstrings(tree: ast.AST) -> set[int]:
    """A module's, class's or function's docstring, and an attribute's (a string after an assignment)."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            strings = [_string(node.body[0])] + [
                _string(statement) for before, statement in zip(node.body, node.body[1:])
                if isinstance(before, (ast.Assign, ast.AnnAssign))]
            found.update(id(string) for string in strings if string is not None)
    return found


def _exempt(tree: ast.AST) -> set[int]:
    """The nodes under an argument-validation raise, a match or a ``__repr__``: none of their strings is shown."""
    roots: list[ast.AST] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) \
                and ast.unparse(node.exc.func) in ("TypeError", "ValueError"):
            roots.append(node.exc)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ("startswith", "endswith"):
            roots.extend(node.args)
        elif isinstance(node, ast.Call) and ast.unparse(node.func) in _MATCHERS and node.args:
            roots.append(node.args[0])
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == "__repr__":
            roots.append(node)
        elif isinstance(node, ast.Compare) and all(isinstance(op, (ast.Eq, ast.NotEq, ast.In, ast.NotIn))
                                                   for op in node.ops):
            roots.extend([node.left, *node.comparators])
    return {id(sub) for root in roots for sub in ast.walk(root)}


def sentences(source: str, filename: str = "<planted>") -> list[str]:
    """``line: text`` of each string the rule flags in ``source``."""
    tree = ast.parse(source, filename)
    skip = _docstrings(tree) | _exempt(tree)
    for node in ast.walk(tree):  # an f-string's pieces are judged as the whole f-string
        if isinstance(node, ast.JoinedStr):
            skip.update(id(v) for v in node.values)
    found = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.JoinedStr):
            text = [v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
            own = _words(" ".join(v.value if isinstance(v, ast.Constant) else " " for v in node.values))
            words = own + sum(1 for v in node.values if isinstance(v, ast.FormattedValue))
            spaced = any(c.isspace() for piece in text for c in piece)  # none: an ARN, a URL, a header
            sentence = spaced and own >= MIN_OWN_WORDS and words >= MIN_WORDS
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            sentence = _words(node.value) >= MIN_WORDS
        else:
            continue
        if sentence:
            found.append(f"{node.lineno}: {ast.unparse(node)[:120]}")
    return found


def watched_modules(root: Path) -> list[Path]:
    paths: list[Path] = []
    for entry in WATCHED:
        path = root / entry
        paths.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return [p for p in paths if p.relative_to(root).as_posix() not in NOT_WATCHED]


def test_the_watched_modules_exist() -> None:
    """A rename must not turn the guard off quietly."""
    for entry in (*WATCHED, *NOT_WATCHED):
        assert (PACKAGE / entry).exists(), f"{entry} is gone: update WATCHED / NOT_WATCHED"
    modules = watched_modules(PACKAGE)
    assert len(modules) > 40
    for entry in WATCHED:  # a file named in WATCHED is watched, not only there
        if entry.endswith(".py"):
            assert PACKAGE / entry in modules, entry


def test_no_watched_module_composes_a_sentence() -> None:
    found = [f"{path.relative_to(PACKAGE)}:{hit}" for path in watched_modules(PACKAGE)
             for hit in sentences(path.read_text(), str(path))]
    assert not found, ("sentences composed outside _text.py: render them there, by a function given the "
                       "fields (issue 11):\n" + "\n".join(found))


@pytest.mark.parametrize("planted", [
    'notes.lines.append("on a second execution environment")',
    'notes.lines.append(f"(no SDK call [{fail_at}] to fail: the attempt made {made})")',
    'text = f"{name}: took effect, response lost ({error})"',
    'raise AssertionError(f"{qualname} failed on one clean delivery: {failed}")',
    'raise RuntimeError(f"run() stopped after {n} deliveries")',
    'raise InjectedFunctionError("the attempt failed (injected)")',
    'raise ResourceNotFoundException("The resource you requested does not exist.")',
    'source = f"sqs:{queue.name} batch of {len(batch)}"',
    'pattern = "coroutine .* was never awaited"',
    'def __str__(self):\n    return f"<LambdaFunction {self.name} retries={self.n}>"',
    'why = "FIFO queues are not supported"',
    'lines = ["a", f"duplicate {label} failed: {kind}: {error}"]',
    'text = f"SDK call [{index}] {operation}"',
    'who = "a duplicate delivery" if n == 1 else f"{n} duplicate deliveries"',
    'x = ("one sentence, "\n     "said in two parts")',
    'print("%s failed after %d attempts" % (a, b))',
])
def test_the_rule_flags_a_planted_sentence(planted: str) -> None:
    assert sentences(planted), planted


@pytest.mark.parametrize("planted", [
    'def f():\n    """A docstring of many words is not shown."""',
    'class C:\n    """Nor a class\'s docstring."""',
    'raise TypeError(f"handler must be callable as handler(event, context), got {handler!r}")',
    'raise ValueError(f"deliveries must be an int >= 1, got {n!r}")',
    'notes = [n for n in notes if not n.startswith(("Falsifying example", "Failing test case"))]',
    'if reason == "the loop was stopped":\n    pass',
    'ok = "no SDK calls made" in text',
    'op = "DynamoDB.PutItem"',
    'hook = "pytest-lambda-async-faults-before-call"',
    'line = f"  {a}  {b}  {c}"',
    'label = f"{who} -> {target}"',
    'words = "two words"',
    'path = f"{path}[{key!r}] of {name}"',
    'arn = f"arn:aws:iam::{account}:root"',
    'url = f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={arn}"',
    'header = f"Root={root};Parent={segment};Sampled=0;Lineage={key}:1"',
    'NEVER_AWAITED = re.compile(r"coroutine \'.*\' was never awaited", re.I)',
    'named = re.search(r"Object of type ([^ ]*)", str(exc))',
    'class F:\n    def __repr__(self):\n        return f"<LambdaFunction {self.name} retries={self.n} age={self.age}s>"',
    'notes.lines.append(_text.sdk_call_note(c.index, c.operation, c.injected, c.error))',
    'Start = Literal["minute", "hour"]\n"""Where a history starts: before the next minute or hour."""',
    'class C:\n    size: int = 0\n    """An attribute\'s docstring, as Sphinx reads it."""',
])
def test_the_rule_passes_what_is_not_a_sentence(planted: str) -> None:
    assert sentences(planted) == [], planted


def test_the_real_modules_fail_with_a_sentence_planted(tmp_path: Path) -> None:
    """The guard run on a copy of the package with one sentence put back where the audit found it."""
    lifecycle = (PACKAGE / "_service" / "lifecycle.py").read_text()
    assert sentences(lifecycle) == []
    planted = lifecycle.replace(
        "raise RuntimeError(_text.deliveries_never_ended(max_attempts, len(queue)))",
        'raise RuntimeError(f"run() stopped after {max_attempts} deliveries with {len(queue)} still queued")')
    assert planted != lifecycle
    (tmp_path / "lifecycle.py").write_text(planted)
    [hit] = sentences((tmp_path / "lifecycle.py").read_text())
    assert "run() stopped after" in hit


@pytest.mark.parametrize(("module", "now", "before"), [
    ("_adapters/sources/eventbridge.py", "return _text.sent_to_dead_letter_queue(short)",
     'return f"sent to the target\'s dead-letter queue {short}"'),
    ("_adapters/sources/sqs.py", "source = _text.sqs_batch_source(queue.name, len(batch))",
     'source = f"sqs:{queue.name} batch of {len(batch)}"'),
    ("_service/calls.py", "InjectedFunctionError(_text.FAIL_NEXT_ERROR)",
     'InjectedFunctionError("function error injected by fail_next() (the handler did not run)")'),
    ("plugin.py",
     "_text.report_header(s[\"seed\"], s[\"duplicate_rate\"], s[\"await_check\"], s[\"freeze\"])",
     "(f\"lambda-async: seed={s['seed']}, duplicate_rate={s['duplicate_rate']}, \"\n"
     "            f\"await_check={s['await_check']}, freeze={s['freeze']} (markers may override per test)\")"),
    ("strategies/histories.py", "lines.append(_text.succeeded_attempt_line(attempt + 1))",
     'lines.append(f"attempt #{attempt + 1}: success")'),
])
def test_a_moved_sentence_put_back_fails(module: str, now: str, before: str) -> None:
    """The widened guard on modules it newly watches: each sentence moved to _text, put back, is flagged."""
    source = (PACKAGE / module).read_text()
    assert (PACKAGE / module) in watched_modules(PACKAGE)
    assert sentences(source) == []
    planted = source.replace(now, before)
    assert planted != source
    assert len(sentences(planted)) == 1  # the one put back: the module had none


def test_the_modules_not_watched_do_hold_text() -> None:
    """Each exemption earns its place: the module has strings the rule would flag."""
    for entry in NOT_WATCHED:
        assert sentences((PACKAGE / entry).read_text()), f"{entry} needs no exemption: drop it from NOT_WATCHED"


def test_the_text_module_itself_is_where_sentences_live() -> None:
    """Sanity: the rule does flag _text.py, which is why it is not watched."""
    assert len(sentences((PACKAGE / "_text.py").read_text())) > 20


def test_a_planted_module_shows_its_line() -> None:
    source = textwrap.dedent('''
        """A module docstring: exempt."""

        def note(n):
            return f"ran concurrently with {n} duplicate deliveries"
    ''')
    assert sentences(source) == ['5: f\'ran concurrently with {n} duplicate deliveries\'']
