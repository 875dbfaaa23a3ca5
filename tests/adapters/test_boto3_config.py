"""Event invoke config and the DLQ through real boto3 clients (issue 3 part 2: CFG-1..CFG-6, DLQ-1)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from pytest_lambda_async import LambdaInvoker

lambda_client = boto3.client("lambda", region_name="us-east-1")
QUEUE = "arn:aws:sqs:us-east-1:123456789012:failed"
OK_QUEUE = "arn:aws:sqs:us-east-1:123456789012:done"
TOPIC = "arn:aws:sns:us-east-1:123456789012:dlq"
BUCKET = "arn:aws:s3:::failures"
WORKER_ARN = "arn:aws:lambda:us-east-1:123456789012:function:worker"


def boom(event: Any, context: Any) -> Any:
    raise ValueError("boom")


def ok(event: Any, context: Any) -> Any:
    return {"ok": event}


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    r = exc.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Message"]


def attempts_for_one_event(invoker: LambdaInvoker) -> int:
    before = len(invoker.attempts)
    lambda_client.invoke(FunctionName="worker", InvocationType="Event", Payload=b'{"order": 1}')
    invoker.run()
    return len(invoker.attempts) - before


@pytest.fixture
def worker(lambda_invoker: LambdaInvoker) -> LambdaInvoker:
    lambda_invoker.register("worker", boom)
    return lambda_invoker


def test_put_sets_the_config_and_get_returns_only_what_was_set(worker: LambdaInvoker) -> None:
    """CFG-1, CFG-3: qualified FunctionArn, LastModified, fields never set absent, unset destination {}."""
    response = lambda_client.put_function_event_invoke_config(FunctionName="worker", MaximumRetryAttempts=0)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    got = lambda_client.get_function_event_invoke_config(FunctionName="worker")
    for r in (response, got):
        assert r["FunctionArn"] == WORKER_ARN + ":$LATEST"
        assert r["MaximumRetryAttempts"] == 0
        assert "MaximumEventAgeInSeconds" not in r
        assert r["DestinationConfig"] == {"OnSuccess": {}, "OnFailure": {}}
        assert isinstance(r["LastModified"], dt.datetime)
        assert r["LastModified"].timestamp() == pytest.approx(worker.now.timestamp())
    assert attempts_for_one_event(worker) == 1  # from the next invocation on (RET-1 with 0 retries)


def test_put_replaces_omitted_settings_return_to_their_defaults(worker: LambdaInvoker) -> None:
    """CFG-1: Put replaces the whole config."""
    lambda_client.put_function_event_invoke_config(
        FunctionName="worker", MaximumRetryAttempts=0, DestinationConfig={"OnFailure": {"Destination": QUEUE}})
    lambda_client.put_function_event_invoke_config(FunctionName="worker", MaximumEventAgeInSeconds=3600)
    got = lambda_client.get_function_event_invoke_config(FunctionName="worker")
    assert "MaximumRetryAttempts" not in got and got["MaximumEventAgeInSeconds"] == 3600
    assert got["DestinationConfig"] == {"OnSuccess": {}, "OnFailure": {}}
    assert attempts_for_one_event(worker) == 3  # the default, 2 retries, is back (RET-1)
    assert worker.records(QUEUE) == []


def test_update_merges(worker: LambdaInvoker) -> None:
    """CFG-2: Update keeps what it does not name, per destination too."""
    lambda_client.put_function_event_invoke_config(
        FunctionName="worker", MaximumRetryAttempts=1,
        DestinationConfig={"OnSuccess": {"Destination": OK_QUEUE}})
    updated = lambda_client.update_function_event_invoke_config(
        FunctionName="worker", DestinationConfig={"OnFailure": {"Destination": QUEUE}})
    assert updated["MaximumRetryAttempts"] == 1
    assert updated["DestinationConfig"] == {"OnSuccess": {"Destination": OK_QUEUE},
                                            "OnFailure": {"Destination": QUEUE}}
    assert attempts_for_one_event(worker) == 2
    [record] = worker.records(QUEUE)
    assert record["requestContext"]["condition"] == "RetriesExhausted"  # REC-2
    assert record["requestContext"]["approximateInvokeCount"] == 2  # REC-4


def test_get_without_a_config_is_not_found(worker: LambdaInvoker) -> None:
    """CFG-2: the exact message."""
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException) as exc:
        lambda_client.get_function_event_invoke_config(FunctionName="worker")
    assert error_of(exc) == ("ResourceNotFoundException", 404,
                             f"The function {WORKER_ARN}:$LATEST doesn't have an EventInvokeConfig")


def test_register_settings_show_as_the_config(lambda_invoker: LambdaInvoker) -> None:
    """Settings given to register() are the function's config, as if put before the test."""
    lambda_invoker.register("worker", boom, maximum_event_age=120, on_failure=QUEUE)
    got = lambda_client.get_function_event_invoke_config(FunctionName=WORKER_ARN)
    assert got["MaximumEventAgeInSeconds"] == 120 and "MaximumRetryAttempts" not in got
    assert got["DestinationConfig"]["OnFailure"] == {"Destination": QUEUE}


def test_delete_answers_204_and_restores_the_defaults(worker: LambdaInvoker) -> None:
    """CFG-2: Delete is 204; afterwards Get is not found and the defaults apply."""
    lambda_client.put_function_event_invoke_config(FunctionName="worker", MaximumRetryAttempts=0)
    response = lambda_client.delete_function_event_invoke_config(FunctionName="worker")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError):
        lambda_client.get_function_event_invoke_config(FunctionName="worker")
    assert attempts_for_one_event(worker) == 3
    with pytest.raises(ClientError) as exc:  # nothing left to delete
        lambda_client.delete_function_event_invoke_config(FunctionName="worker")
    assert error_of(exc)[:2] == ("ResourceNotFoundException", 404)


def test_list(worker: LambdaInvoker) -> None:
    """CFG-2: List holds the one config ($LATEST) or none."""
    assert lambda_client.list_function_event_invoke_configs(FunctionName="worker")["FunctionEventInvokeConfigs"] == []
    lambda_client.put_function_event_invoke_config(FunctionName="worker", MaximumRetryAttempts=1)
    [config] = lambda_client.list_function_event_invoke_configs(FunctionName="worker")["FunctionEventInvokeConfigs"]
    assert config["MaximumRetryAttempts"] == 1 and config["FunctionArn"].endswith(":worker:$LATEST")


def test_a_lambda_destination_chain(lambda_invoker: LambdaInvoker) -> None:
    """DST-3: on success, the record becomes the event of the next function, set through boto3."""
    lambda_invoker.register("first", ok)
    lambda_invoker.register("second", ok)
    lambda_client.put_function_event_invoke_config(
        FunctionName="first",
        DestinationConfig={"OnSuccess": {"Destination": "arn:aws:lambda:us-east-1:123456789012:function:second"}})
    lambda_client.invoke(FunctionName="first", InvocationType="Event", Payload=json.dumps({"n": 1}))
    lambda_invoker.run()
    first, second = lambda_invoker.attempts
    assert (first.function, second.function) == ("first", "second")
    record = second.response["ok"]
    assert record["requestContext"]["condition"] == "Success"
    assert record["requestPayload"] == {"n": 1} and record["responsePayload"] == {"ok": {"n": 1}}


# -- validation errors (CFG-1, CFG-3, CFG-5, CFG-6) ---------------------------------------------
@pytest.mark.parametrize("kwargs, field, constraint", [
    ({"MaximumRetryAttempts": 3}, "maximumRetryAttempts", "Member must have value less than or equal to 2"),
    ({"MaximumEventAgeInSeconds": 21601}, "maximumEventAgeInSeconds",
     "Member must have value less than or equal to 21600"),
])
@pytest.mark.parametrize("operation", ["put_function_event_invoke_config", "update_function_event_invoke_config"])
def test_a_setting_outside_the_models_range_is_a_validation_exception_CFG_3(
        worker: LambdaInvoker, operation: str, kwargs: dict[str, Any], field: str, constraint: str) -> None:
    """CFG-3: the ranges are the service model's (botocore checks only the minimum); above the
    maximum AWS answers ValidationException before the operation runs; nothing changes."""
    lambda_client.put_function_event_invoke_config(FunctionName="worker", MaximumRetryAttempts=1)
    with pytest.raises(ClientError) as exc:
        getattr(lambda_client, operation)(FunctionName="worker", **kwargs)
    [value] = kwargs.values()
    assert error_of(exc) == ("ValidationException", 400, f"1 validation error detected: Value '{value}' at "
                                                         f"'{field}' failed to satisfy constraint: {constraint}")
    assert lambda_client.get_function_event_invoke_config(FunctionName="worker")["MaximumRetryAttempts"] == 1


def test_timeout_is_validated_against_the_models_range_then_the_functions_limit_PY_5(worker: LambdaInvoker) -> None:
    """PY-5, §11.4: the Timeout member's range is the model's (1 to 5,400 in botocore 1.44.8, read
    from botocore, not copied): above it, ValidationException; inside it but above the limit of a
    function here (900 s, or 1,800 with timeout_limit=1800), InvalidParameterValueException."""
    import botocore.session

    high = botocore.session.get_session().get_service_model("lambda").shape_for("Timeout").metadata["max"]
    with pytest.raises(ClientError) as exc:
        lambda_client.update_function_configuration(FunctionName="worker", Timeout=high + 1)
    assert error_of(exc) == ("ValidationException", 400, f"1 validation error detected: Value '{high + 1}' at "
                             f"'timeout' failed to satisfy constraint: Member must have value less than or equal to {high}")
    with pytest.raises(ClientError) as exc:
        lambda_client.update_function_configuration(FunctionName="worker", Timeout=901)
    assert error_of(exc)[:2] == ("InvalidParameterValueException", 400)
    assert worker.functions["worker"].timeout == 3
@pytest.mark.parametrize("kwargs, message", [
    ({}, "You must specify at least one of error handling or destination setting."),
    ({"DestinationConfig": {"OnSuccess": {"Destination": WORKER_ARN}}},
     "You can't specify the function as a destination for itself."),
    ({"DestinationConfig": {"OnSuccess": {"Destination": BUCKET}}}, "An on-success destination cannot be an S3 bucket"),
    ({"DestinationConfig": {"OnFailure": {"Destination": "arn:aws:dynamodb:us-east-1:123456789012:table/t"}}},
     "The provided destination config DestinationConfig(onSuccess=null, onFailure=OnFailure(destination="
     "arn:aws:dynamodb:us-east-1:123456789012:table/t)) is invalid."),  # recorded: put_destination_invalid_service_arn
])
@pytest.mark.parametrize("operation", ["put_function_event_invoke_config", "update_function_event_invoke_config"])
def test_invalid_configs_are_rejected_and_change_nothing(worker: LambdaInvoker, operation: str,
                                                         kwargs: dict[str, Any], message: str) -> None:
    """CFG-1, CFG-3, CFG-5, CFG-6: InvalidParameterValueException (400); the function keeps its settings."""
    lambda_client.put_function_event_invoke_config(FunctionName="worker", MaximumRetryAttempts=1)
    with pytest.raises(ClientError) as exc:
        getattr(lambda_client, operation)(FunctionName="worker", **kwargs)
    code, status, text = error_of(exc)
    assert (code, status) == ("InvalidParameterValueException", 400)
    assert message in text
    assert lambda_client.get_function_event_invoke_config(FunctionName="worker")["MaximumRetryAttempts"] == 1
    assert worker.functions["worker"].on_success is None


def test_config_for_an_unknown_function_or_qualifier_is_not_found(worker: LambdaInvoker) -> None:
    """CFG-4: only $LATEST exists here."""
    for kwargs in ({"FunctionName": "nope"}, {"FunctionName": "worker", "Qualifier": "live"}):
        with pytest.raises(ClientError) as exc:
            lambda_client.put_function_event_invoke_config(MaximumRetryAttempts=0, **kwargs)
        assert error_of(exc)[:2] == ("ResourceNotFoundException", 404)


# -- the DLQ through update_function_configuration (DLQ-1) --------------------------------------
@pytest.mark.parametrize("target", [QUEUE, TOPIC])
def test_dead_letter_config_set_and_removed(worker: LambdaInvoker, target: str) -> None:
    """DLQ-1, DLQ-3: set by TargetArn, removed by an empty TargetArn (``{}`` leaves it: recorded
    ``delete_dlq``); the DLQ gets the original event."""
    response = lambda_client.update_function_configuration(FunctionName="worker",
                                                           DeadLetterConfig={"TargetArn": target})
    assert response["DeadLetterConfig"] == {"TargetArn": target}
    assert lambda_client.get_function_configuration(FunctionName="worker")["DeadLetterConfig"] == {"TargetArn": target}
    attempts_for_one_event(worker)
    assert worker.records(target) == [{"order": 1}]
    response = lambda_client.update_function_configuration(FunctionName="worker", DeadLetterConfig={"TargetArn": ""})
    assert "DeadLetterConfig" not in response
    attempts_for_one_event(worker)
    assert len(worker.records(target)) == 1


def test_dead_letter_must_be_sqs_or_sns(worker: LambdaInvoker) -> None:
    """DLQ-1: SQS or SNS only."""
    with pytest.raises(ClientError) as exc:
        lambda_client.update_function_configuration(FunctionName="worker", DeadLetterConfig={"TargetArn": BUCKET})
    assert error_of(exc)[:2] == ("InvalidParameterValueException", 400)
    assert worker.functions["worker"].dead_letter is None


def test_timeout_through_update_function_configuration(worker: LambdaInvoker) -> None:
    """PY-5: Timeout is validated by the engine's rule (1..900 by default)."""
    assert lambda_client.update_function_configuration(FunctionName="worker", Timeout=30)["Timeout"] == 30
    with pytest.raises(ClientError) as exc:
        lambda_client.update_function_configuration(FunctionName="worker", Timeout=901)
    assert error_of(exc)[:2] == ("InvalidParameterValueException", 400)
    assert worker.functions["worker"].timeout == 30


def test_unmodelled_configuration_is_refused_not_ignored(worker: LambdaInvoker) -> None:
    from pytest_lambda_async import UnsupportedOperation

    with pytest.raises(UnsupportedOperation, match="does not model Environment"):
        lambda_client.update_function_configuration(FunctionName="worker", Environment={"Variables": {"A": "1"}})


def test_a_destination_set_through_boto3_is_delivered_into_moto(lambda_invoker: LambdaInvoker) -> None:
    """CFG-1 then DST-1: the config put through boto3 routes the failure record into moto's queue."""
    import moto

    lambda_invoker.register("worker", boom, max_retry_attempts=0)
    with moto.mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="failed")["QueueUrl"]
        lambda_client.put_function_event_invoke_config(
            FunctionName="worker", MaximumRetryAttempts=0, DestinationConfig={"OnFailure": {"Destination": QUEUE}})
        lambda_client.invoke(FunctionName="worker", InvocationType="Event", Payload=b'{"order": 1}')
        lambda_invoker.run()
        [message] = sqs.receive_message(QueueUrl=url)["Messages"]
    record = json.loads(message["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestPayload"] == {"order": 1}
