"""The AWS CLI (v1, in-process) reaches the invoker: docs/how-to/aws-cli.md.

``awscli.clidriver.create_clidriver().main([...])`` builds its clients from the
``botocore`` package in this process, so the routing handlers answer its Lambda
calls while the fixture is active, as they answer boto3's (an ``aws`` subprocess
is another process: nothing routes it, see the page's warning).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from awscli import clidriver  # in the test extra: a missing awscli fails, never skips

from pytest_lambda_async import LambdaInvoker


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in (("AWS_DEFAULT_REGION", "us-east-1"), ("AWS_ACCESS_KEY_ID", "testing"),
                        ("AWS_SECRET_ACCESS_KEY", "testing")):
        monkeypatch.setenv(name, value)


def aws(*args: str) -> int:
    return int(clidriver.create_clidriver().main(list(args)))


def test_aws_lambda_invoke_runs_the_registered_handler(aws_env: None, lambda_invoker: LambdaInvoker,
                                                        tmp_path: Path) -> None:
    lambda_invoker.register("hello", lambda event, context: {"echo": event})
    out = tmp_path / "out.json"
    assert aws("lambda", "invoke", "--function-name", "hello", "--payload", '{"a": 1}', str(out)) == 0
    assert json.loads(out.read_text()) == {"echo": {"a": 1}}


def test_aws_event_invoke_is_queued_on_the_virtual_clock_INV_11(aws_env: None, lambda_invoker: LambdaInvoker,
                                                                 tmp_path: Path) -> None:
    seen: list[Any] = []
    lambda_invoker.register("worker", lambda event, context: seen.append(event))
    assert aws("lambda", "invoke", "--function-name", "worker", "--invocation-type", "Event",
               "--payload", '{"n": 2}', str(tmp_path / "out.json")) == 0
    assert seen == []  # 202: queued, not run yet
    lambda_invoker.run()
    assert seen == [{"n": 2}]


def test_aws_cli_errors_are_the_invokers(aws_env: None, lambda_invoker: LambdaInvoker, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert aws("lambda", "invoke", "--function-name", "missing", str(tmp_path / "out.json")) == 255  # the CLI v1 exit status for a service error
    assert "ResourceNotFoundException" in capsys.readouterr().err
