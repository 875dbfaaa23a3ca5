"""The pytest plugin: fixtures, the ``lambda_async`` marker, options, the report section.

Thin on purpose: every behaviour lives in the engine; this module only reads
settings (marker > command line > ini > default), builds a
:class:`~pytest_lambda_async.LambdaInvoker` per test and shows its timeline
when the test fails.  It imports no boto3, moto or Hypothesis.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from . import _text
from ._service import aws
from ._invoker import LambdaInvoker
from ._service.freeze import AWAIT_CHECKS, FREEZE_MODES
from ._service.runtime import LambdaContext

INVOKER_KEY = pytest.StashKey[LambdaInvoker]()
_SUITE_KEY = pytest.StashKey[dict[str, Any]]()  # suite_settings, read once per session
MARKER = "lambda_async"


@dataclass(frozen=True)
class _Setting:
    name: str
    parse: Callable[[str], Any]
    default: Any
    choices: tuple[str, ...] | None = None
    many: bool = False  # a list: ini lines, a repeatable flag, a str or sequence in the marker

    @property
    def help(self) -> str:
        return _text.setting_help(self.name)


def _parse_float(text: str) -> float:
    return float(text)


def _parse_patterns(raw: Any) -> tuple[str, ...]:
    """Patterns as ini lines, repeated flags (each may hold several, comma-separated) or a marker value."""
    items = [raw] if isinstance(raw, str) else list(raw)
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise ValueError(f"patterns are strings, got {item!r}")
        out.extend(p.strip() for p in item.split(",") if p.strip())
    return tuple(out)


_KINDS: dict[Callable[..., Any], str] = {int: _text.SETTING_KINDS["int"], _parse_float: _text.SETTING_KINDS["float"],
                                         _parse_patterns: _text.SETTING_KINDS["patterns"]}

# Each setting's help is _text.setting_help(name).
SETTINGS: tuple[_Setting, ...] = (
    _Setting("seed", int, 0),
    _Setting("duplicate_rate", _parse_float, 0.0),
    _Setting("await_check", str, "error", choices=AWAIT_CHECKS),
    _Setting("async_payload_limit", int, aws.ASYNC_PAYLOAD_LIMIT),
    _Setting("timeout_limit", _parse_float, aws.TIMEOUT_MAX),
    _Setting("real_time_limit", _parse_float, 10.0),
    _Setting("eventbridge_source", str, aws.EVENTBRIDGE_SOURCE),
    _Setting("freeze", str, "cancel", choices=FREEZE_MODES),
    _Setting("await_allow", _parse_patterns, (), many=True),
)
_BY_NAME = {s.name: s for s in SETTINGS}
MARKER_KEYS = tuple(_BY_NAME)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("lambda-async", _text.help_heading())
    for s in SETTINGS:
        flag = "--lambda-async-" + s.name.replace("_", "-")
        if s.many:
            group.addoption(flag, dest=f"lambda_async_{s.name}", default=None, action="append",
                            help=_text.repeatable_option_help(s.help, s.name))
            parser.addini(f"lambda_async_{s.name}", _text.ini_lines_help(s.help), type="linelist", default=[])
            continue
        group.addoption(flag, dest=f"lambda_async_{s.name}", default=None, choices=s.choices,
                        help=_text.option_help(s.help, s.name, s.default))
        parser.addini(f"lambda_async_{s.name}", _text.ini_help(s.help, s.default), default=None)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", _text.marker_line(MARKER, MARKER_KEYS))
    # Validate the suite-wide defaults once, so a typo fails at start-up; each test reuses them.
    config.stash[_SUITE_KEY] = suite_settings(config)


def _convert(s: _Setting, raw: Any, origin: str) -> Any:
    try:
        value = s.parse(raw) if (isinstance(raw, str) or s.many) and s.parse is not str else raw
    except (TypeError, ValueError):
        what = _KINDS.get(s.parse, s.parse.__name__)
        raise pytest.UsageError(_text.setting_not_parsed(origin, s.name, what, raw)) from None
    if s.choices is not None and value not in s.choices:
        raise pytest.UsageError(_text.setting_not_a_choice(origin, s.name, s.choices, raw))
    return value


def suite_settings(config: pytest.Config) -> dict[str, Any]:
    """Defaults for every test: command line over ini over built-in defaults."""
    out: dict[str, Any] = {}
    for s in SETTINGS:
        cli = config.getoption(f"lambda_async_{s.name}", None)
        ini = config.getini(f"lambda_async_{s.name}")
        if cli is not None:
            out[s.name] = _convert(s, cli, f"--lambda-async-{s.name.replace('_', '-')}")
        elif ini not in (None, "", []):
            out[s.name] = _convert(s, ini, _text.ini_origin(s.name))
        else:
            out[s.name] = s.default
    return out


def marker_settings(item: pytest.Item) -> dict[str, Any]:
    """The merged ``lambda_async`` markers of ``item`` (module < class < function)."""
    merged: dict[str, Any] = {}
    for mark in reversed(list(item.iter_markers(MARKER))):  # farthest first, closest wins
        if mark.args:
            raise pytest.UsageError(_text.marker_positional_arguments(item.nodeid, MARKER, mark.args, MARKER_KEYS))
        unknown = sorted(set(mark.kwargs) - set(MARKER_KEYS))
        if unknown:
            raise pytest.UsageError(_text.marker_unknown_keys(item.nodeid, MARKER, unknown, MARKER_KEYS))
        merged.update(mark.kwargs)
    return {k: _convert(_BY_NAME[k], v, f"{item.nodeid}: @pytest.mark.{MARKER}") for k, v in merged.items()}


def effective_settings(item: pytest.Item) -> dict[str, Any]:
    suite = item.config.stash.get(_SUITE_KEY, None)
    return {**(suite if suite is not None else suite_settings(item.config)), **marker_settings(item)}


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker(MARKER) is None:
            continue
        settings = effective_settings(item)  # unknown keys and bad values fail collection
        try:
            LambdaInvoker(**settings).close()
        except (TypeError, ValueError) as exc:
            raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.{MARKER}: {exc}") from None
        if "lambda_invoker" not in getattr(item, "fixturenames", ()):
            warnings.warn(pytest.PytestWarning(_text.marker_without_fixture(item.nodeid, MARKER)), stacklevel=1)


def pytest_report_header(config: pytest.Config) -> str:
    s = suite_settings(config)
    return _text.report_header(s["seed"], s["duplicate_rate"], s["await_check"], s["freeze"])


@pytest.fixture
def lambda_invoker(request: pytest.FixtureRequest) -> Iterator[LambdaInvoker]:
    """A fresh in-memory Lambda service with a virtual clock, for this test."""
    invoker = LambdaInvoker(**effective_settings(request.node))
    request.node.stash[INVOKER_KEY] = invoker
    with invoker, invoker.patch_boto3():  # real boto3 Lambda clients answered by this invoker
        yield invoker


@pytest.fixture
def lambda_context() -> LambdaContext:
    """A realistic Lambda context (PY-3) for calling a handler directly."""
    return LambdaContext()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    invoker = item.stash.get(INVOKER_KEY, None)
    if invoker is not None and report.failed and invoker.timeline_entries:
        # A report section (not an attribute) so it survives pytest-xdist.
        report.sections.append(("lambda-async timeline", invoker.timeline()))
    if invoker is not None and call.when == "teardown":
        del item.stash[INVOKER_KEY]  # the session keeps its items: the invoker must not live as long
    return report
