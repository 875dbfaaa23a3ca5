"""How real boto3 clients may name the function they invoke (API.md section 2).

``FunctionName`` may be a name, ``name:qualifier``, a partial ARN
(``123456789012:function:name``) or a full ARN, with or without ``Qualifier``
(INV-1, INV-5).  The invoker has no published versions or aliases: ``$LATEST``
is the only qualifier that exists, so any other is ResourceNotFoundException
(INV-22), as AWS answers for a version or alias that was never published.

What the handler sees as ``context.invoked_function_arn`` is the ARN as
invoked: qualified only when the caller gave a qualifier (PY-3).

Every call here goes through a client whose ``before-send`` is watched
(:func:`sent`): nothing may reach the network, answered or refused.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError, ParamValidationError

from pytest_lambda_async import LambdaInvoker

ACCOUNT = "123456789012"
ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:worker"
PARTIAL = f"{ACCOUNT}:function:worker"
QUALIFIED = ARN + ":$LATEST"

# Credentials (fake) so that a request which escaped the invoker would be signed and reach
# ``before-send``, where the guard below stops it.
_FAKE = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
us_east = boto3.client("lambda", region_name="us-east-1", **_FAKE)
eu_west = boto3.client("lambda", region_name="eu-west-1", **_FAKE)

_escaped: list[str] = []


def _send_guard(request: Any, **_: Any) -> AWSResponse:
    """``before-send``: a request that got past the invoker. Recorded, and answered with a 599
    so it never leaves the process."""
    _escaped.append(request.url)
    return AWSResponse(request.url, 599, {}, _EmptyRaw())


class _EmptyRaw:
    def stream(self, **_: Any) -> Iterator[bytes]:
        yield b""


for _client in (us_east, eu_west):
    _client.meta.events.register("before-send.lambda", _send_guard)


@pytest.fixture
def sent() -> Iterator[list[str]]:
    """The URLs of requests that reached ``before-send`` during the test (none may)."""
    _escaped.clear()
    yield _escaped
    _escaped.clear()


@pytest.fixture
def inv(lambda_invoker: LambdaInvoker, sent: list[str]) -> Iterator[LambdaInvoker]:
    lambda_invoker.register("worker", invoked_as)
    yield lambda_invoker
    assert sent == [], "a Lambda call reached botocore's HTTP send"


def invoked_as(event: Any, context: Any) -> str:
    return str(context.invoked_function_arn)


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    response = exc.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]


def arn_seen(inv: LambdaInvoker, client: Any, invocation_type: str, **kwargs: Any) -> str:
    """Invoke, and return the ARN the handler saw as invoked (after running the queue for Event)."""
    response = client.invoke(InvocationType=invocation_type, **kwargs)
    if invocation_type == "Event":
        assert response["StatusCode"] == 202
        [attempt] = inv.run()
        assert attempt.outcome == "success"
        return str(attempt.response)
    assert response["StatusCode"] == 200 and "FunctionError" not in response
    return str(response["Payload"].read().decode().strip('"'))


def test_the_guard_sees_a_call_that_escapes(sent: list[str]) -> None:
    """Without an active invoker the call goes on through botocore: the guard sees it (so the
    assertion in ``inv`` can fail)."""
    with pytest.raises(ClientError):
        us_east.invoke(FunctionName="worker", InvocationType="Event")
    assert sent and all("/functions/worker/invocations" in url for url in sent)  # (retries, if configured)


# -- accepted forms (INV-1, INV-5) and the ARN the handler sees (PY-3) ------------------------
@pytest.mark.parametrize("invocation_type", ["Event", "RequestResponse"])
@pytest.mark.parametrize("function_name, qualifier, seen", [
    pytest.param("worker", None, ARN, id="name"),
    pytest.param("worker:$LATEST", None, QUALIFIED, id="name:$LATEST"),
    pytest.param("worker", "$LATEST", QUALIFIED, id="name+Qualifier"),
    pytest.param("worker:$LATEST", "$LATEST", QUALIFIED, id="name:$LATEST+same Qualifier"),
    pytest.param(PARTIAL, None, ARN, id="partial ARN"),
    pytest.param(PARTIAL + ":$LATEST", None, QUALIFIED, id="partial ARN:$LATEST"),
    pytest.param(PARTIAL, "$LATEST", QUALIFIED, id="partial ARN+Qualifier"),
    pytest.param(ARN, None, ARN, id="ARN"),
    pytest.param(QUALIFIED, None, QUALIFIED, id="qualified ARN"),
    pytest.param(ARN, "$LATEST", QUALIFIED, id="ARN+Qualifier"),
    pytest.param(QUALIFIED, "$LATEST", QUALIFIED, id="qualified ARN+same Qualifier"),
])
def test_name_forms_reach_the_function_and_the_context_shows_them_INV_1_INV_5_PY_3(
        inv: LambdaInvoker, function_name: str, qualifier: str | None, seen: str, invocation_type: str) -> None:
    """INV-1, INV-5: every form reaches ``worker``; PY-3: ``invoked_function_arn`` is qualified
    exactly when the caller gave a qualifier (in the name, the ARN or ``Qualifier``)."""
    kwargs: dict[str, Any] = {"FunctionName": function_name, "Payload": b"{}"}
    if qualifier is not None:
        kwargs["Qualifier"] = qualifier
    assert arn_seen(inv, us_east, invocation_type, **kwargs) == seen
    assert [a.function for a in inv.attempts] == ["worker"]


def test_retries_keep_the_qualified_arn_PY_3_RET_1(inv: LambdaInvoker) -> None:
    """PY-3: the invoked ARN belongs to the event, so every retry of it sees the same one."""
    inv.functions["worker"].fail_next(1)
    us_east.invoke(FunctionName="worker", Qualifier="$LATEST", InvocationType="Event", Payload=b"{}")
    attempts = inv.run()
    assert [(a.number, a.outcome) for a in attempts] == [(1, "error"), (2, "success")]
    assert attempts[1].response == QUALIFIED


def test_the_short_and_general_event_paths_agree_PY_3_INV_11(inv: LambdaInvoker) -> None:
    """An Event invoke with LogType or ClientContext takes the general path: the handler sees the
    same invoked ARN as through the short path."""
    assert arn_seen(inv, us_east, "Event", FunctionName="worker", Qualifier="$LATEST", LogType="None") == QUALIFIED
    assert arn_seen(inv, us_east, "Event", FunctionName=ARN, Payload=io.BytesIO(b"{}")) == ARN


def test_invoke_async_takes_the_same_names_INV_19_INV_1(inv: LambdaInvoker) -> None:
    """INV-19: the deprecated InvokeAsync accepts an ARN and has no qualifier."""
    assert us_east.invoke_async(FunctionName=PARTIAL, InvokeArgs=b"{}")["Status"] == 202
    [attempt] = inv.run()
    assert attempt.response == ARN


# -- versions and aliases: none exist here (INV-5, INV-22) ------------------------------------
@pytest.mark.parametrize("invocation_type", ["Event", "RequestResponse", "DryRun"])
@pytest.mark.parametrize("function_name, qualifier, missing", [
    pytest.param("worker", "1", ARN + ":1", id="version as Qualifier"),
    pytest.param("worker", "prod", ARN + ":prod", id="alias as Qualifier"),
    pytest.param("worker:1", None, ARN + ":1", id="name:version"),
    pytest.param("worker:prod", "prod", ARN + ":prod", id="name:alias+same Qualifier"),
    pytest.param(ARN + ":prod", None, ARN + ":prod", id="ARN:alias"),
    pytest.param(PARTIAL + ":7", None, ARN + ":7", id="partial ARN:version"),
    pytest.param("worker", "$LATEST.PUBLISHED", ARN + ":$LATEST.PUBLISHED", id="$LATEST.PUBLISHED"),
    # recorded (test_invoke_exceptions, invoke_function_doesnotexist): unqualified, it names $LATEST
    pytest.param("nobody", None, f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:nobody:$LATEST", id="unknown function"),
    pytest.param("nobody:$LATEST", None, f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:nobody:$LATEST",
                 id="unknown function:$LATEST"),
])
def test_unknown_versions_aliases_and_functions_are_not_found_INV_22(
        inv: LambdaInvoker, function_name: str, qualifier: str | None, missing: str, invocation_type: str) -> None:
    """INV-22: 404 ResourceNotFoundException naming the qualified ARN; nothing queued or run."""
    kwargs: dict[str, Any] = {"FunctionName": function_name}
    if qualifier is not None:
        kwargs["Qualifier"] = qualifier
    with pytest.raises(us_east.exceptions.ResourceNotFoundException) as exc:
        us_east.invoke(InvocationType=invocation_type, **kwargs)
    assert error_of(exc) == ("ResourceNotFoundException", 404, f"Function not found: {missing}")
    assert inv.pending == 0 and inv.attempts == []


# -- regions and accounts (INV-22) ------------------------------------------------------------
@pytest.mark.parametrize("invocation_type", ["Event", "RequestResponse", "DryRun"])
@pytest.mark.parametrize("client, function_name, arn_region, here", [
    pytest.param(us_east, ARN.replace("us-east-1", "eu-west-1"), "eu-west-1", "us-east-1", id="eu ARN, us client"),
    pytest.param(us_east, QUALIFIED.replace("us-east-1", "ap-southeast-2"), "ap-southeast-2", "us-east-1",
                 id="qualified ARN of another region"),
    pytest.param(eu_west, ARN, "us-east-1", "eu-west-1", id="us ARN, eu client"),
    pytest.param(us_east, f"arn:aws-cn:lambda:cn-north-1:{ACCOUNT}:function:worker", "cn-north-1", "us-east-1",
                 id="another partition"),
])
def test_an_arn_of_another_region_is_not_reachable_INV_22(
        inv: LambdaInvoker, client: Any, function_name: str, arn_region: str, here: str,
        invocation_type: str) -> None:
    """INV-22: AWS answers an ARN that names another region than the client's endpoint with
    ResourceNotFoundException "Functions from '<arn region>' are not reachable in this region
    ('<client region>')"; the invoker does the same, and sends nothing anywhere."""
    with pytest.raises(ClientError) as exc:
        client.invoke(FunctionName=function_name, InvocationType=invocation_type, Payload=b"{}")
    assert error_of(exc) == ("ResourceNotFoundException", 404,
                             f"Functions from '{arn_region}' are not reachable in this region ('{here}')")
    assert inv.pending == 0 and inv.attempts == []


@pytest.mark.parametrize("invocation_type", ["Event", "RequestResponse"])
def test_a_client_of_another_region_reaches_the_invoker_by_name_and_by_its_own_regions_arn_INV_1_PY_3(
        inv: LambdaInvoker, invocation_type: str) -> None:
    """The invoker answers clients of every region; an ARN must name the client's own region, and
    the handler sees the ARN as invoked, in that region (PY-3)."""
    eu_arn = ARN.replace("us-east-1", "eu-west-1")
    assert arn_seen(inv, eu_west, invocation_type, FunctionName="worker") == eu_arn
    inv.attempts.clear()
    assert arn_seen(inv, eu_west, invocation_type, FunctionName=eu_arn, Qualifier="$LATEST") == eu_arn + ":$LATEST"


@pytest.mark.parametrize("invocation_type", ["Event", "RequestResponse"])
@pytest.mark.parametrize("function_name", [
    pytest.param("210987654321:function:worker", id="partial ARN"),
    pytest.param(ARN.replace(ACCOUNT, "210987654321"), id="ARN"),
    pytest.param(QUALIFIED.replace(ACCOUNT, "210987654321"), id="qualified ARN"),
])
def test_a_function_of_another_account_is_not_found_INV_22(
        inv: LambdaInvoker, function_name: str, invocation_type: str) -> None:
    """INV-22: the invoker is one account's Lambda (``LambdaInvoker(account=...)``, default
    123456789012): a function of another account does not exist in it."""
    with pytest.raises(us_east.exceptions.ResourceNotFoundException) as exc:
        us_east.invoke(FunctionName=function_name, InvocationType=invocation_type)
    code, status, message = error_of(exc)
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert message.startswith("Function not found: arn:aws:lambda:us-east-1:210987654321:function:worker")
    assert inv.pending == 0


def test_event_invoke_config_calls_follow_the_same_rules_INV_22_CFG_4(inv: LambdaInvoker) -> None:
    """The config operations resolve names as Invoke does: another region's ARN or a missing
    alias is not found; the function's own ARN works."""
    with pytest.raises(ClientError) as exc:
        us_east.put_function_event_invoke_config(FunctionName=ARN.replace("us-east-1", "eu-west-1"),
                                                 MaximumRetryAttempts=0)
    assert error_of(exc)[:2] == ("ResourceNotFoundException", 404)
    assert "not reachable in this region ('us-east-1')" in error_of(exc)[2]
    with pytest.raises(us_east.exceptions.ResourceNotFoundException):
        us_east.get_function_event_invoke_config(FunctionName="worker", Qualifier="prod")
    us_east.put_function_event_invoke_config(FunctionName=QUALIFIED, MaximumRetryAttempts=0)
    assert inv.functions["worker"].max_retry_attempts == 0


# -- malformed names and qualifiers (INV-1, INV-5, INV-24) ------------------------------------
@pytest.mark.parametrize("invocation_type", ["Event", "RequestResponse"])
@pytest.mark.parametrize("function_name", [
    pytest.param("bad name!", id="space and !"),
    pytest.param("worker/v2", id="slash"),
    pytest.param("arn:aws:lambda:us-east-1:123456789012:function:", id="ARN without a name"),
    pytest.param("arn:aws:s3:::bucket", id="another service's ARN"),
    pytest.param("worker:a:b", id="two qualifiers"),
])
def test_a_malformed_name_is_a_validation_exception_INV_1_INV_24(
        inv: LambdaInvoker, function_name: str, invocation_type: str) -> None:
    """INV-1, INV-24: 400 ValidationException against the model's pattern, read from botocore;
    botocore checks only the length >= 1, so these reach the service (the invoker), on the Event
    fast path as on the general one."""
    import botocore.session

    pattern = botocore.session.get_session().get_service_model("lambda").shape_for(
        "NamespacedFunctionName").metadata["pattern"]
    with pytest.raises(ClientError) as exc:
        us_east.invoke(FunctionName=function_name, InvocationType=invocation_type)
    assert error_of(exc) == ("ValidationException", 400, f"1 validation error detected: Value '{function_name}' at "
                             f"'functionName' failed to satisfy constraint: Member must satisfy regular "
                             f"expression pattern: {pattern}")
    assert inv.pending == 0


@pytest.mark.parametrize("kwargs, parameter", [
    pytest.param({"FunctionName": ""}, "FunctionName", id="empty name"),
    pytest.param({"FunctionName": "worker", "Qualifier": ""}, "Qualifier", id="empty Qualifier"),
])
def test_empty_name_or_qualifier_is_botocores_own_validation_error_INV_1_INV_5(
        inv: LambdaInvoker, kwargs: dict[str, Any], parameter: str) -> None:
    """INV-1, INV-5 (length 1..): botocore refuses these before any handler runs, as against AWS."""
    with pytest.raises(ParamValidationError, match=f"Invalid length for parameter {parameter}"):
        us_east.invoke(InvocationType="Event", **kwargs)
    assert inv.pending == 0


@pytest.mark.parametrize("invocation_type", ["Event", "RequestResponse"])
def test_a_malformed_qualifier_is_a_validation_exception_INV_5_INV_24(inv: LambdaInvoker, invocation_type: str) -> None:
    with pytest.raises(ClientError) as exc:
        us_east.invoke(FunctionName="worker", Qualifier="not a qualifier!", InvocationType=invocation_type)
    assert error_of(exc)[:2] == ("ValidationException", 400)
    assert "at 'qualifier' failed to satisfy constraint" in error_of(exc)[2]
    assert inv.pending == 0


@pytest.mark.parametrize("invocation_type", ["Event", "RequestResponse"])
@pytest.mark.parametrize("function_name, qualifier", [
    pytest.param("worker:$LATEST", "prod", id="name:$LATEST vs alias"),
    pytest.param("worker:prod", "$LATEST", id="name:alias vs $LATEST"),
    pytest.param(QUALIFIED, "1", id="qualified ARN vs version"),
    pytest.param(PARTIAL + ":1", "2", id="partial ARN:version vs another"),
])
def test_a_qualifier_that_contradicts_the_name_is_invalid_parameter_value_INV_5(
        inv: LambdaInvoker, function_name: str, qualifier: str, invocation_type: str) -> None:
    """INV-5: a qualifier in the name and a different ``Qualifier`` is 400
    InvalidParameterValueException "The derived qualifier from the function name does not match
    the specified qualifier." (AWS's wording), even when one of them is $LATEST."""
    with pytest.raises(ClientError) as exc:
        us_east.invoke(FunctionName=function_name, Qualifier=qualifier, InvocationType=invocation_type)
    code, status, message = error_of(exc)
    assert (code, status) == ("InvalidParameterValueException", 400)
    assert message.startswith("The derived qualifier from the function name does not match the specified qualifier.")
    assert inv.pending == 0 and inv.attempts == []
