"""Our answers against AWS's recorded ones (issue 13, items 1-7 and 10).

The oracle is the set of responses real AWS gave to LocalStack's Lambda test suite
(``tests/aws/services/lambda_/*.snapshot.json`` in localstack/localstack, Apache-2.0;
excerpts in the team's ``aws-recordings``).  Each test names the snapshot key it
reproduces; the expected values below are those recordings with their placeholders
filled in (``<region>`` us-east-1, ``111111111111`` the invoker's account
123456789012, ``<function-name:1>`` worker, ``<partition>`` aws).  Every call goes
through a real ``boto3.client("lambda", region_name="us-east-1")``, and through real
``moto.mock_aws()`` where a destination is involved.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from pytest_lambda_async import LambdaInvoker

REGION = "us-east-1"
ACCOUNT = "123456789012"
FN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function"
ARN = f"{FN}:worker"
QUALIFIED = ARN + ":$LATEST"
QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:failed"

lambda_client = boto3.client("lambda", region_name=REGION)

# put_destination_invalid_arn_pattern: the DestinationArn pattern AWS printed (recorded 25-11-2025).
RECORDED_DESTINATION_PATTERN = (
    r"$|kafka://([^.]([a-zA-Z0-9\-_.]{0,248}))|arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-])+:"
    r"((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1})?:(\d{12})?:(.*)"
)


def ok(event: Any, context: Any) -> Any:
    return {"ok": True}


def boom(event: Any, context: Any) -> Any:
    raise Exception("intentional failure")


@pytest.fixture
def worker(lambda_invoker: LambdaInvoker) -> LambdaInvoker:
    lambda_invoker.register("worker", boom)
    return lambda_invoker


# -- the recordings' response shapes ------------------------------------------------------------
def _metadata(status: int) -> dict[str, Any]:
    return {"HTTPHeaders": {}, "HTTPStatusCode": status}


def not_found(message: str) -> dict[str, Any]:
    """A recorded ResourceNotFoundException (its shape spells the member ``Message``)."""
    return {"Error": {"Code": "ResourceNotFoundException", "Message": message}, "Message": message,
            "Type": "User", "ResponseMetadata": _metadata(404)}


def invalid(message: str) -> dict[str, Any]:
    """A recorded InvalidParameterValueException (its shape spells the member ``message``)."""
    return {"Error": {"Code": "InvalidParameterValueException", "Message": message}, "Type": "User",
            "message": message, "ResponseMetadata": _metadata(400)}


def validation(message: str) -> dict[str, Any]:
    """A recorded ValidationException: no modelled shape, so no ``Type`` and no member."""
    return {"Error": {"Code": "ValidationException", "Message": message}, "ResponseMetadata": _metadata(400)}


def answer(call: Callable[..., Any], **kwargs: Any) -> dict[str, Any]:
    """The error ``call`` raises, as the recordings keep it (headers and request id dropped)."""
    with pytest.raises(ClientError) as exc:
        call(**kwargs)
    response = dict(exc.value.response)
    response["ResponseMetadata"] = _metadata(response["ResponseMetadata"]["HTTPStatusCode"])
    return response


def model_destination_pattern() -> str:
    model = botocore.session.get_session().get_service_model("lambda")
    return str(model.shape_for("DestinationArn").metadata["pattern"])


def pattern_message(value: str, field: str) -> str:
    """AWS's text for a destination outside the DestinationArn pattern.  On the botocore this suite
    pins, the model's pattern is the one AWS printed; an older botocore carries the pattern AWS
    used then, and the invoker prints that one (it reads the pattern from the model)."""
    pattern = RECORDED_DESTINATION_PATTERN
    if model_destination_pattern() != pattern:
        pattern = model_destination_pattern()
    return (f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: "
            f"Member must satisfy regular expression pattern: {pattern}")


# -- item 1: destinations checked as AWS checks them ---------------------------------------------
def test_put_destination_lambda_doesntexist(worker: LambdaInvoker) -> None:
    """``put_destination_lambda_doesntexist``: a Lambda destination must exist when the config is put;
    the refused put changes nothing (the config put before stays)."""
    lambda_client.put_function_event_invoke_config(FunctionName="worker", MaximumRetryAttempts=1)
    missing = f"{FN}:doesnotexist"
    got = answer(lambda_client.put_function_event_invoke_config, FunctionName="worker",
                 DestinationConfig={"OnFailure": {"Destination": missing}})
    assert got == invalid(f"The destination ARN {missing} is invalid.")
    for destination in (f"{FN}:doesnotexist:$LATEST", f"arn:aws:lambda:{REGION}:210987654321:function:worker2",
                        f"{FN}:worker2:prod"):  # no such function, another account's, an alias never published
        got = answer(lambda_client.update_function_event_invoke_config, FunctionName="worker",
                     DestinationConfig={"OnSuccess": {"Destination": destination}})
        assert got == invalid(f"The destination ARN {destination} is invalid.")
    config = lambda_client.get_function_event_invoke_config(FunctionName="worker")
    assert config["MaximumRetryAttempts"] == 1
    assert config["DestinationConfig"] == {"OnSuccess": {}, "OnFailure": {}}
    worker.register("worker2", ok)  # once it exists, it is accepted
    lambda_client.put_function_event_invoke_config(FunctionName="worker",
                                                   DestinationConfig={"OnFailure": {"Destination": f"{FN}:worker2"}})
    assert worker.functions["worker"].on_failure is not None


@pytest.mark.parametrize("destination", [
    pytest.param("invalid", id="not an ARN"),
    pytest.param(f"arn:aws:_-/!lambda:{REGION}:{ACCOUNT}:function:worker", id="recorded value"),
    pytest.param(f"arn:aws:sqs:mars-1:{ACCOUNT}:q", id="no such region form"),
])
@pytest.mark.parametrize("key, field", [("OnFailure", "destinationConfig.onFailure.destination"),
                                        ("OnSuccess", "destinationConfig.onSuccess.destination")])
@pytest.mark.parametrize("operation", ["put_function_event_invoke_config", "update_function_event_invoke_config"])
def test_put_destination_invalid_arn_pattern(worker: LambdaInvoker, operation: str, key: str, field: str,
                                             destination: str) -> None:
    """``put_destination_invalid_arn_pattern``: a destination outside botocore's ``DestinationArn``
    pattern is a ValidationException (no ``Type``), checked before anything else; nothing changes."""
    lambda_client.put_function_event_invoke_config(FunctionName="worker", MaximumRetryAttempts=1)
    got = answer(getattr(lambda_client, operation), FunctionName="worker",
                 DestinationConfig={key: {"Destination": destination}})
    assert got == validation(pattern_message(destination, field))
    assert lambda_client.get_function_event_invoke_config(FunctionName="worker")["MaximumRetryAttempts"] == 1
    assert worker.functions["worker"].on_failure is None and worker.functions["worker"].on_success is None


def test_put_destination_invalid_arn_pattern_comes_before_the_function_check(lambda_invoker: LambdaInvoker) -> None:
    """``put_destination_invalid_arn_pattern``: AWS validates the request against the model first, so
    a bad destination on a missing function is the ValidationException, not the 404."""
    got = answer(lambda_client.put_function_event_invoke_config, FunctionName="doesnotexist",
                 DestinationConfig={"OnFailure": {"Destination": "invalid"}})
    assert got == validation(pattern_message("invalid", "destinationConfig.onFailure.destination"))


def test_the_destination_pattern_is_botocores_DestinationArn() -> None:
    """Item 1: the pattern comes from botocore's service model, not a copy that drifts."""
    from pytest_lambda_async._service import aws

    assert aws.model_constraints("DestinationArn")["pattern"] == model_destination_pattern()
    assert not hasattr(aws, "DESTINATION_ARN_RE")


def test_put_destination_invalid_service_arn(worker: LambdaInvoker) -> None:
    """``put_destination_invalid_service_arn``: an ARN of a service that is no destination."""
    iam = f"arn:aws:iam:{REGION}:{ACCOUNT}:function:worker"
    got = answer(lambda_client.put_function_event_invoke_config, FunctionName="worker",
                 DestinationConfig={"OnSuccess": {"Destination": iam}})
    assert got == invalid(f"The provided destination config DestinationConfig(onSuccess=OnSuccess(destination={iam}), "
                          "onFailure=null) is invalid.")


# -- item 2 ---------------------------------------------------------------------------------------
def test_update_eventinvokeconfig_config_doesnotexist_without_qualifier(worker: LambdaInvoker) -> None:
    """``update_eventinvokeconfig_config_doesnotexist_without_qualifier``: Update does not create a
    config; nothing is set, and an event queued before still gets the default retries."""
    lambda_client.invoke(FunctionName="worker", InvocationType="Event", Payload=b"{}")
    got = answer(lambda_client.update_function_event_invoke_config, FunctionName="worker", MaximumRetryAttempts=0)
    assert got == not_found(f"The function {QUALIFIED} doesn't have an EventInvokeConfig")
    assert answer(lambda_client.get_function_event_invoke_config, FunctionName="worker") == got
    assert worker.functions["worker"].max_retry_attempts == 2
    assert len(worker.run()) == 3  # the queued event: 1 attempt + 2 retries (RET-1)


# -- item 3 ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, arn", [
    pytest.param({"FunctionName": "worker", "Qualifier": "$LATEST"}, QUALIFIED, id="Qualifier"),
    pytest.param({"FunctionName": "worker:$LATEST"}, QUALIFIED, id="name:$LATEST"),
    pytest.param({"FunctionName": QUALIFIED}, QUALIFIED, id="qualified ARN"),
])
def test_get_function_configuration_with_a_qualifier_answers_the_qualified_arn(
        worker: LambdaInvoker, kwargs: dict[str, Any], arn: str) -> None:
    """Item 3 (``fn_version_result``/``publish_version_result``: a version's FunctionArn carries its
    qualifier): ``get_function_configuration`` of ``$LATEST`` names ``...:worker:$LATEST``; unqualified,
    the plain ARN."""
    assert lambda_client.get_function_configuration(**kwargs)["FunctionArn"] == arn
    assert lambda_client.get_function_configuration(FunctionName="worker")["FunctionArn"] == ARN


# -- item 4 ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("function_name", [QUALIFIED, "worker:$LATEST", f"{ARN}:1", f"{ACCOUNT}:function:worker:prod"])
def test_put_function_concurrency_with_qualified_arn(worker: LambdaInvoker, function_name: str) -> None:
    """``put_function_concurrency_with_qualified_arn``: reserved concurrency is the function's, so a
    qualified name is refused (before the existence check) and the setting stays."""
    lambda_client.put_function_concurrency(FunctionName="worker", ReservedConcurrentExecutions=5)
    got = answer(lambda_client.put_function_concurrency, FunctionName=function_name, ReservedConcurrentExecutions=1)
    assert got == invalid("This operation is permitted on Lambda functions only. Aliases and versions do not "
                          "support this operation. Please specify either a function name or an unqualified "
                          "function ARN.")
    assert worker.functions["worker"].reserved_concurrency == 5


# -- items 5 and 6: what moto receives -----------------------------------------------------------
@pytest.fixture
def aws() -> Iterator[dict[str, Any]]:
    with mock_aws():
        session = boto3.session.Session(region_name=REGION)
        yield {name: session.client(name) for name in ("sqs", "events")}


def _queue(sqs: Any, name: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


@pytest.mark.parametrize("handler, key, detail_type", [
    (ok, "OnSuccess", "Lambda Function Invocation Result - Success"),
    (boom, "OnFailure", "Lambda Function Invocation Result - Failure"),
])
def test_lambda_destination_event_bus_success(lambda_invoker: LambdaInvoker, aws: dict[str, Any], handler: Any,
                                              key: str, detail_type: str) -> None:
    """``lambda_destination_event_bus_success`` (and ``_failure``): ``resources`` is [the bus ARN, the
    qualified function ARN], in that order, in the event a rule delivers."""
    lambda_invoker.register("worker", handler)
    bus = aws["events"].create_event_bus(Name="results")["EventBusArn"]
    url, target = _queue(aws["sqs"], "results-target")
    aws["events"].put_rule(Name="all", EventBusName="results", EventPattern=json.dumps({"source": ["lambda"]}))
    aws["events"].put_targets(Rule="all", EventBusName="results", Targets=[{"Id": "q", "Arn": target}])
    lambda_client.put_function_event_invoke_config(FunctionName="worker", MaximumRetryAttempts=0,
                                                   DestinationConfig={key: {"Destination": bus}})
    lambda_client.invoke(FunctionName="worker", InvocationType="Event", Payload=b'{"mode": "x"}')
    lambda_invoker.run()
    [message] = aws["sqs"].receive_message(QueueUrl=url)["Messages"]
    event = json.loads(message["Body"])
    assert event["resources"] == [f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/results", QUALIFIED]
    assert event["detail-type"] == detail_type and event["source"] == "lambda"
    assert event["detail"]["requestContext"]["functionArn"] == QUALIFIED
    [sent] = lambda_invoker.deliveries(bus)
    assert sent.envelope is not None and sent.envelope["resources"] == event["resources"]


def test_queue_destination_payload(lambda_invoker: LambdaInvoker, aws: dict[str, Any]) -> None:
    """``queue_destination_payload``: an SQS destination message carries the ``AWSTraceHeader`` system
    attribute, the trace of the invocation (what its handler saw as ``_X_AMZN_TRACE_ID``)."""
    seen: list[str] = []

    def failing(event: Any, context: Any) -> Any:
        seen.append(os.environ["_X_AMZN_TRACE_ID"])
        raise Exception("intentional failure")

    lambda_invoker.register("worker", failing)
    url, queue = _queue(aws["sqs"], "destination")
    lambda_client.put_function_event_invoke_config(FunctionName="worker",
                                                   DestinationConfig={"OnFailure": {"Destination": queue}})
    lambda_client.invoke(FunctionName="worker", InvocationType="Event", Payload=b'{"message": "m-1"}')
    assert len(lambda_invoker.run()) == 3
    [message] = aws["sqs"].receive_message(QueueUrl=url, MessageSystemAttributeNames=["All"],
                                           VisibilityTimeout=0)["Messages"]
    header = message["Attributes"]["AWSTraceHeader"]
    assert re.fullmatch(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0(;Lineage=.*)?", header)
    assert set(seen) == {header}  # one request id, so one trace, across the 3 attempts (RET-6)
    record = json.loads(message["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    [again] = aws["sqs"].receive_message(QueueUrl=url, AttributeNames=["AWSTraceHeader"])["Messages"]
    assert again["Attributes"] == {"AWSTraceHeader": header}


# -- item 7 ---------------------------------------------------------------------------------------
def test_delete_dlq(worker: LambdaInvoker) -> None:
    """``delete_dlq``: ``DeadLetterConfig={}`` leaves the DLQ as it is (AWS answered with it still
    set); ``{"TargetArn": ""}`` removes it."""
    lambda_client.update_function_configuration(FunctionName="worker", DeadLetterConfig={"TargetArn": QUEUE})
    response = lambda_client.update_function_configuration(FunctionName="worker", DeadLetterConfig={})
    assert response["DeadLetterConfig"] == {"TargetArn": QUEUE}
    assert response["FunctionArn"] == ARN and response["Version"] == "$LATEST"
    assert worker.functions["worker"].dead_letter is not None
    response = lambda_client.update_function_configuration(FunctionName="worker", DeadLetterConfig={"TargetArn": ""})
    assert "DeadLetterConfig" not in response
    assert worker.functions["worker"].dead_letter is None


# -- item 10: the event invoke config's messages and checks' order --------------------------------
def test_lambda_eventinvokeconfig_exceptions(worker: LambdaInvoker) -> None:
    """``test_lambda_eventinvokeconfig_exceptions``: each recorded error of the config calls, by key."""
    missing = f"{FN}:doesnotexist"
    put, update = lambda_client.put_function_event_invoke_config, lambda_client.update_function_event_invoke_config
    got = {
        "put_functionname_name_notfound": answer(put, FunctionName="doesnotexist", MaximumRetryAttempts=1),
        "put_functionname_arn_notfound": answer(put, FunctionName=missing, MaximumRetryAttempts=1),
        "put_functionname_nootherargs": answer(put, FunctionName="worker"),
        "put_alias_doesnotexist": answer(put, FunctionName="worker", Qualifier="doesnotexist", MaximumRetryAttempts=1),
        "put_alias_qualifiedarn_qualifierconflict": answer(put, FunctionName=f"{ARN}:eventinvokealias",
                                                           Qualifier="$LATEST", MaximumRetryAttempts=1),
        "put_alias_shorthand_qualifierconflict": answer(put, FunctionName="worker:eventinvokealias",
                                                        Qualifier="$LATEST", MaximumRetryAttempts=1),
        "put_shorthand_qualifier_mismatch_1": answer(put, FunctionName="worker:$LATEST", Qualifier="1",
                                                     MaximumRetryAttempts=1),
        "put_shorthand_qualifier_mismatch_2": answer(put, FunctionName="worker:1", Qualifier="$LATEST",
                                                     MaximumRetryAttempts=1),
        "put_shorthand_qualifier_mismatch_3": answer(put, FunctionName="worker:1", Qualifier="2",
                                                     MaximumRetryAttempts=1),
        "delete_function_not_found": answer(lambda_client.delete_function_event_invoke_config, FunctionName="worker"),
        "delete_function_doesnotexist": answer(lambda_client.delete_function_event_invoke_config,
                                               FunctionName="doesnotexist"),
        "list_function_doesnotexist": answer(lambda_client.list_function_event_invoke_configs,
                                             FunctionName="doesnotexist"),
        "get_function_doesnotexist": answer(lambda_client.get_function_event_invoke_config,
                                            FunctionName="doesnotexist"),
        "get_qualifier_doesnotexist": answer(lambda_client.get_function_event_invoke_config, FunctionName="worker",
                                             Qualifier="doesnotexist"),
        "update_eventinvokeconfig_function_doesnotexist": answer(update, FunctionName="doesnotexist",
                                                                 MaximumRetryAttempts=1),
        "get_eventinvokeconfig_doesnotexist": answer(lambda_client.get_function_event_invoke_config,
                                                     FunctionName="worker", Qualifier="eventinvokealias"),
    }
    mismatch = invalid("The derived qualifier from the function name does not match the specified qualifier.")
    assert got == {
        "put_functionname_name_notfound": not_found("The function doesn't exist."),
        "put_functionname_arn_notfound": not_found("The function doesn't exist."),
        "put_functionname_nootherargs": invalid("You must specify at least one of error handling or destination "
                                                "setting."),
        "put_alias_doesnotexist": not_found("The function doesn't exist."),
        "put_alias_qualifiedarn_qualifierconflict": mismatch,
        "put_alias_shorthand_qualifierconflict": mismatch,
        "put_shorthand_qualifier_mismatch_1": mismatch,
        "put_shorthand_qualifier_mismatch_2": mismatch,
        "put_shorthand_qualifier_mismatch_3": mismatch,
        "delete_function_not_found": not_found(f"The function {QUALIFIED} doesn't have an EventInvokeConfig"),
        "delete_function_doesnotexist": not_found(f"The function {missing}:$LATEST doesn't have an EventInvokeConfig"),
        "list_function_doesnotexist": not_found("The function doesn't exist."),
        "get_function_doesnotexist": not_found(f"The function {missing}:$LATEST doesn't have an EventInvokeConfig"),
        "get_qualifier_doesnotexist": not_found(f"The function {ARN}:doesnotexist doesn't have an EventInvokeConfig"),
        "update_eventinvokeconfig_function_doesnotexist": not_found("The function doesn't exist."),
        "get_eventinvokeconfig_doesnotexist": not_found(f"The function {ARN}:eventinvokealias doesn't have an "
                                                        "EventInvokeConfig"),
    }
    assert worker.functions["worker"].max_retry_attempts == 2  # none of these changed anything


@pytest.mark.parametrize("operation", ["put_function_event_invoke_config", "update_function_event_invoke_config"])
def test_put_functionname_nootherargs_is_checked_before_the_function(lambda_invoker: LambdaInvoker,
                                                                     operation: str) -> None:
    """``put_functionname_nootherargs``: the argument check comes before the existence check."""
    assert answer(getattr(lambda_client, operation), FunctionName="doesnotexist") == invalid(
        "You must specify at least one of error handling or destination setting.")


def test_invoke_exceptions(lambda_invoker: LambdaInvoker) -> None:
    """``test_invoke_exceptions`` (``invoke_function_doesnotexist``) and
    ``put_function_concurrency_with_function_name_doesnotexist``: "Function not found" names
    ``...:doesnotexist:$LATEST``."""
    message = f"Function not found: {FN}:doesnotexist:$LATEST"
    for invocation_type in ("RequestResponse", "Event", "DryRun"):
        assert answer(lambda_client.invoke, FunctionName="doesnotexist", InvocationType=invocation_type,
                      Payload=b"{}") == not_found(message)
    assert answer(lambda_client.put_function_concurrency, FunctionName="doesnotexist",
                  ReservedConcurrentExecutions=1) == not_found(message)


def test_ops_on_nonexisting_fn(lambda_invoker: LambdaInvoker) -> None:
    """``test_ops_on_nonexisting_fn[*]``, ``test_ops_on_nonexisting_version[*]`` and
    ``test_ops_with_arn_qualifier_mismatch[get_function_configuration]``: the ARN each names."""
    lambda_invoker.register("fn-name", ok)
    got = {
        "not_found_exception[get_function_configuration]":
            answer(lambda_client.get_function_configuration, FunctionName="nonexisting-fn-name"),
        "not_found_exception[get_function_event_invoke_config]":
            answer(lambda_client.get_function_event_invoke_config, FunctionName="nonexisting-fn-name"),
        "not_found_exception[get_function_concurrency]":
            answer(lambda_client.get_function_concurrency, FunctionName="nonexisting-fn-name"),
        "version_not_found_exception[get_function_configuration]":
            answer(lambda_client.get_function_configuration, FunctionName="fn-name", Qualifier="1221"),
        "version_not_found_exception[get_function_event_invoke_config]":
            answer(lambda_client.get_function_event_invoke_config, FunctionName="fn-name", Qualifier="1221"),
        "not_match_exception": answer(lambda_client.get_function_configuration, FunctionName=f"{FN}:some-function:1",
                                      Qualifier="$LATEST"),
        "match_exception": answer(lambda_client.get_function_configuration,
                                  FunctionName=f"{FN}:some-function:$LATEST", Qualifier="$LATEST"),
    }
    assert got == {
        "not_found_exception[get_function_configuration]": not_found(f"Function not found: {FN}:nonexisting-fn-name"),
        "not_found_exception[get_function_event_invoke_config]":
            not_found(f"The function {FN}:nonexisting-fn-name:$LATEST doesn't have an EventInvokeConfig"),
        "not_found_exception[get_function_concurrency]": not_found(f"Function not found: {FN}:nonexisting-fn-name"),
        "version_not_found_exception[get_function_configuration]": not_found(f"Function not found: {FN}:fn-name:1221"),
        "version_not_found_exception[get_function_event_invoke_config]":
            not_found(f"The function {FN}:fn-name:1221 doesn't have an EventInvokeConfig"),
        "not_match_exception": invalid("The derived qualifier from the function name does not match the specified "
                                       "qualifier."),
        "match_exception": not_found(f"Function not found: {FN}:some-function:$LATEST"),
    }


# -- item 9: validated against the service model, as AWS validates --------------------------------
# The patterns AWS printed (recorded 25-11-2025), which botocore's model carries since 1.42.
RECORDED_FUNCTION_NAME_PATTERN = (
    r"(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?"
    r"(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+))?"
)
RECORDED_QUALIFIER_PATTERN = r"\$(LATEST(\.PUBLISHED)?)|[a-zA-Z0-9-_$]+"


def model_pattern(shape: str, recorded: str) -> str:
    """The pattern AWS printed, or an older botocore's own, which the invoker prints then."""
    pattern = str(botocore.session.get_session().get_service_model("lambda").shape_for(shape).metadata["pattern"])
    return recorded if pattern == recorded else pattern


def name_error(value: str) -> str:
    return (f"Value '{value}' at 'functionName' failed to satisfy constraint: Member must satisfy regular "
            f"expression pattern: {model_pattern('NamespacedFunctionName', RECORDED_FUNCTION_NAME_PATTERN)}")


def qualifier_error(value: str) -> str:
    return (f"Value '{value}' at 'qualifier' failed to satisfy constraint: Member must satisfy regular "
            f"expression pattern: {model_pattern('NumericLatestPublishedOrAliasQualifier', RECORDED_QUALIFIER_PATTERN)}")


def too_long(value: str, field: str, limit: int) -> str:
    return f"Value '{value}' at '{field}' failed to satisfy constraint: Member must have length less than or equal to {limit}"


def errors(*violations: str) -> dict[str, Any]:
    """A recorded ``invoke_exception`` of Code ValidationException, Count n, Errors [...]: one message."""
    n = len(violations)
    return validation(f"{n} validation error{'s' if n > 1 else ''} detected: " + "; ".join(violations))


BAD_REGION = f"arn:aws:lambda:invalid-region:{ACCOUNT}:function:my-function"
LONG_A = "a" * 65
NAME_AND_QUALIFIER_CASES = [
    # (recording key, FunctionName, Qualifier, the answer recorded)
    ("function_name_is_single_invalid", "*", None, errors(name_error("*"))),
    ("invalid_characters_in_function_name", "my-function!", None, errors(name_error("my-function!"))),
    ("invalid_characters_in_qualifier", "my-function", "invalid!", errors(qualifier_error("invalid!"))),
    ("qualifier_too_long", "my-function", "a" * 129, errors(too_long("a" * 129, "qualifier", 128))),
    ("invalid_account_id_in_partial_arn", "invalid-account:function:my-function", None,
     errors(name_error("invalid-account:function:my-function"))),
    ("invalid_region_in_arn", BAD_REGION, None, errors(name_error(BAD_REGION))),
    ("non_lambda_arn", f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance:i-1234567890abcdef0", None,
     errors(name_error(f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance:i-1234567890abcdef0"))),
    ("function_name_too_long", LONG_A, None, not_found(f"Function not found: {FN}:{LONG_A}:$LATEST")),
    ("function_name_too_long_and_invalid_region", BAD_REGION + "a" * 170, None,
     errors(name_error(BAD_REGION + "a" * 170))),
    ("full_arn_and_qualifier_too_long_and_invalid_region", BAD_REGION + "-" + "a" * 170, "a" * 129,
     errors(too_long("a" * 129, "qualifier", 128), name_error(BAD_REGION + "-" + "a" * 170))),
    ("qualifier_too_long1", "my-function", LONG_A, not_found(f"Function not found: {FN}:my-function:{LONG_A}")),
    ("full_arn_with_multiple_qualifiers", f"{FN}:my-function:1:2", None, errors(name_error(f"{FN}:my-function:1:2"))),
    ("incomplete_arn", FN, None, not_found(f"Function not found: {FN}:function:$LATEST")),
    ("partial_arn_with_extra_qualifier", "function:my-function:$LATEST:extra", None,
     errors(name_error("function:my-function:$LATEST:extra"))),
    ("latest_version_with_additional_qualifier", "my-function:$LATEST", "1",
     invalid("The derived qualifier from the function name does not match the specified qualifier.")),
    ("lowercase_latest_qualifier", "my-function", "$latest", not_found(f"Function not found: {FN}:my-function:$latest")),
    ("missing_region_in_arn", f"arn:aws:lambda::{ACCOUNT}:function:my-function", None,
     errors(name_error(f"arn:aws:lambda::{ACCOUNT}:function:my-function"))),
    ("missing_account_id_in_arn", f"arn:aws:lambda:{REGION}::function:my-function", None,
     errors(name_error(f"arn:aws:lambda:{REGION}::function:my-function"))),
    ("misspelled_latest_in_arn", f"{FN}:my-function:$LATES", None, errors(name_error(f"{FN}:my-function:$LATES"))),
    ("function_name_and_qualifier_too_long", f"my-function:{LONG_A}", None,
     not_found(f"Function not found: {FN}:my-function:{LONG_A}")),
]


@pytest.mark.parametrize("invocation_type", ["RequestResponse", "Event"])
@pytest.mark.parametrize("function_name, qualifier, expected",
                         [pytest.param(*case[1:], id=case[0]) for case in NAME_AND_QUALIFIER_CASES])
def test_function_name_and_qualifier_validation(lambda_invoker: LambdaInvoker, function_name: str,
                                                qualifier: str | None, expected: dict[str, Any],
                                                invocation_type: str) -> None:
    """``test_function_name_and_qualifier_validation[*-invoke]``: ValidationException against today's
    patterns (``eusc-``, ``-iso``, ``.`` in names, ``$LATEST.PUBLISHED``), several errors counted,
    and ResourceNotFoundException where AWS does not validate (65 characters, ``$latest``,
    ``...:function``).  The same on the Event fast path; nothing is queued or run."""
    lambda_invoker.register("my-function", ok)
    kwargs: dict[str, Any] = {"FunctionName": function_name, "InvocationType": invocation_type, "Payload": b"{}"}
    if qualifier is not None:
        kwargs["Qualifier"] = qualifier
    assert answer(lambda_client.invoke, **kwargs) == expected
    assert lambda_invoker.pending == 0 and lambda_invoker.attempts == []


def test_invalid_invoke(lambda_invoker: LambdaInvoker) -> None:
    """``test_invalid_invoke`` (``invoke_function_name_pattern_exc``): the whole recorded message."""
    name = f"arn:aws:lambda:{REGION}:123400000000@function:myfn"
    assert answer(lambda_client.invoke, FunctionName=name) == validation(
        f"1 validation error detected: {name_error(name)}")


@pytest.mark.parametrize("name", ["my.function", "my-function:$LATEST.PUBLISHED",
                                  f"arn:aws-eusc:lambda:eusc-de-east-1:{ACCOUNT}:function:my-function",
                                  f"arn:aws-iso-b:lambda:us-isob-east-1:{ACCOUNT}:function:my-function"])
def test_todays_patterns_accept_what_aws_accepts(lambda_invoker: LambdaInvoker, name: str) -> None:
    """``test_function_name_and_qualifier_validation``'s pattern: ``.`` in names, ``$LATEST.PUBLISHED``,
    the ``eusc-`` and ``-iso`` partitions' regions are valid names; here they name no function."""
    got = answer(lambda_client.invoke, FunctionName=name)
    assert got["Error"]["Code"] == "ResourceNotFoundException"


def test_put_recursion_invalid_value_error(lambda_invoker: LambdaInvoker) -> None:
    """``put_recursion_invalid_value_error``: the enum's values in AWS's order; nothing changes."""
    lambda_invoker.register("my-function", ok)
    assert answer(lambda_client.put_function_recursion_config, FunctionName="my-function",
                  RecursiveLoop="InvalidValue") == validation(
        "1 validation error detected: Value 'InvalidValue' at 'recursiveLoop' failed to satisfy constraint: "
        "Member must satisfy enum value set: [Terminate, Allow]")
    assert lambda_invoker.functions["my-function"].recursive_loop == "Terminate"


def test_the_python_api_validates_names_as_the_api_does(lambda_invoker: LambdaInvoker) -> None:
    """``function_name_is_single_invalid`` through ``LambdaInvoker.invoke``: the same
    ValidationException, public, and still an InvalidParameterValueException for code catching that."""
    from pytest_lambda_async import InvalidParameterValueException, ValidationException

    with pytest.raises(ValidationException) as exc:
        lambda_invoker.invoke("*", {})
    assert exc.value.message == f"1 validation error detected: {name_error('*')}"
    assert isinstance(exc.value, InvalidParameterValueException) and exc.value.code == "ValidationException"
    with pytest.raises(InvalidParameterValueException):
        lambda_invoker.invoke("my-function", {}, qualifier="a" * 129)


def test_the_invoke_shapes_are_botocores() -> None:
    """Item 9: the shapes the service validates Invoke's names against are Invoke's, in botocore's model."""
    from pytest_lambda_async._service import aws as rules

    invoke = botocore.session.get_session().get_service_model("lambda").operation_model("Invoke").input_shape
    assert invoke.members["FunctionName"].name == rules.FUNCTION_NAME_SHAPE
    assert invoke.members["Qualifier"].name == rules.QUALIFIER_SHAPE
    assert not hasattr(rules, "QUALIFIER_RE") and not hasattr(rules, "_FUNCTION_ARN_RE")
