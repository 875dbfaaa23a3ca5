"""assert_idempotent / check_idempotent: in-memory and moto-backed handlers, reports, shrinking.

Facts pinned: Q-2 (at-least-once: duplicates keep the request id), RET-1 (a
function error is retried after 60 s, then 120 s more).
"""

from __future__ import annotations

import contextlib
import json
import types
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from hypothesis import strategies as st
from moto import mock_aws

from pytest_lambda_async import NotIdempotentError, assert_idempotent, check_idempotent, idempotency_histories
from pytest_lambda_async.strategies import DeliveryHistory, Duplicate, SdkFailure

ORDERS = st.fixed_dictionaries({"order": st.integers(0, 1000)})

# -- in-memory handlers -----------------------------------------------------------------
LEDGER: list[dict[str, Any]] = []


def appends(event: Any, context: Any) -> None:
    LEDGER.append({"order": event["order"]})


def appends_once(event: Any, context: Any) -> None:
    if {"order": event["order"]} not in LEDGER:
        LEDGER.append({"order": event["order"]})


async def appends_async(event: Any, context: Any) -> None:
    LEDGER.append({"order": event["order"]})


SEEN: set[int] = set()
SENT: list[int] = []


def dedupes_in_module(event: Any, context: Any) -> None:
    if event["order"] in SEEN:
        return
    SEEN.add(event["order"])
    SENT.append(event["order"])


def ledger() -> list[dict[str, Any]]:
    return list(LEDGER)


def clear_ledger() -> None:
    LEDGER.clear()


def test_assert_idempotent_passes_a_handler_that_checks_before_writing() -> None:
    assert_idempotent(appends_once, {"order": 1}, state=ledger, reset=LEDGER.clear, deliveries=3)


def test_assert_idempotent_reports_a_duplicate_q2() -> None:
    with pytest.raises(NotIdempotentError) as info:
        assert_idempotent(appends, {"order": 1}, state=ledger, reset=LEDGER.clear)
    text = str(info.value)
    assert text.splitlines()[0].endswith("test_idempotency.appends is not idempotent: one duplicate delivery ends "
                                    "in a different state than a single clean delivery.")
    assert '{"order": 1}' in text
    assert "#2  success  duplicate delivery" in text
    assert "state:  1 item  !=  2 items" in text
    # complete, the call on one line: pasteable.  state=ledger, a module-level function, is named;
    # reset=LEDGER.clear, a bound method, has no name a test could paste: it is passed as reset=reset.
    assert ["  assert_idempotent(appends, {'order': 1}, state=ledger, reset=reset, "
            "history=DeliveryHistory((Duplicate(),)))",
            "  # reset: the same callable you passed to this check (here list.clear)"] == \
        text.splitlines()[text.splitlines().index("Reproduce (paste into a test):") + 3:][:2]
    assert len(text.splitlines()) < 40
    assert info.value.expected == [{"order": 1}] and info.value.actual == [{"order": 1}] * 2


def test_the_reproduce_block_names_module_level_state_and_reset_and_replays() -> None:
    """The pasted Reproduce block replays the failure when state= and reset= are module-level functions:
    it names them (it printed ``state=..., reset=...``, which raises TypeError: 'ellipsis' object is not
    callable when run)."""
    with pytest.raises(NotIdempotentError) as info:
        check_idempotent(appends, ORDERS, state=ledger, reset=clear_ledger, new_environments=False)
    err = info.value
    lines = str(err).splitlines()
    at = lines.index("Reproduce (paste into a test):")
    block = [line.strip() for line in lines[at + 1:at + 4]]
    with pytest.raises(NotIdempotentError) as again:
        exec("\n".join(block), {"appends": appends, "ledger": ledger, "clear_ledger": clear_ledger})
    assert (again.value.expected, again.value.actual) == (err.expected, err.actual)
    assert block[-1] == (f"assert_idempotent(appends, {err.event!r}, state=ledger, reset=clear_ledger, "
                         "history=DeliveryHistory((Duplicate(),)))")
    assert str(again.value).splitlines()[0] == lines[0]


def test_the_reproduce_block_says_which_callables_it_cannot_name() -> None:
    """A lambda or a bound method has no name a test could paste: the Reproduce call passes variables
    named state and reset, a comment above it saying which callables to bind them to; run so, it replays
    the failure.  Only the callables the check was given are passed."""
    from pytest_lambda_async._text import reproduce_lines

    state = lambda: list(LEDGER)  # noqa: E731
    with pytest.raises(NotIdempotentError) as info:
        assert_idempotent(appends, {"order": 1}, state=state, reset=LEDGER.clear)
    err = info.value
    lines = str(err).splitlines()
    at = lines.index("Reproduce (paste into a test):")
    block = [line.strip() for line in lines[at + 1:at + 5]]
    assert block[2:] == [
        "assert_idempotent(appends, {'order': 1}, state=state, reset=reset, history=DeliveryHistory((Duplicate(),)))",
        "# state and reset: the same callables you passed to this check (here "
        "test_the_reproduce_block_says_which_callables_it_cannot_name.<locals>.<lambda>, list.clear)"]
    with pytest.raises(NotIdempotentError) as again:
        exec("\n".join(block), {"appends": appends, "state": state, "reset": LEDGER.clear})
    assert (again.value.expected, again.value.actual) == (err.expected, err.actual)

    # The event too long to print: the call takes it from the error, the comment still after it.
    event = {"order": 1, "padding": "x" * 500}
    assert reproduce_lines(name="appends", event=event, history=err.history, new_environment=False, schedule=(),
                           callables=[("state", "ledger", True), ("reset", "list.clear", False)])[1:3] == [
        "  assert_idempotent(appends, err.event, state=ledger, reset=reset, history=err.history, "
        "new_environment=err.new_environment, schedule=err.schedule)",
        "  # reset: the same callable you passed to this check (here list.clear)"]
    # state= only (no reset=): no reset in the call.
    assert reproduce_lines(name="appends", event={"order": 1}, history=err.history, new_environment=False,
                           schedule=(), callables=[("state", "ledger", True)])[-1] == \
        "  assert_idempotent(appends, {'order': 1}, state=ledger, history=DeliveryHistory((Duplicate(),)))"


def test_async_handler_is_checked_on_the_plugins_loop() -> None:
    with pytest.raises(NotIdempotentError):
        assert_idempotent(appends_async, {"order": 1}, state=ledger, reset=LEDGER.clear)


def test_check_idempotent_passes_a_correct_handler() -> None:
    check_idempotent(appends_once, ORDERS, state=ledger, reset=LEDGER.clear, max_examples=30)


def test_one_event_instead_of_a_strategy() -> None:
    with pytest.raises(NotIdempotentError):
        check_idempotent(appends, {"order": 5}, state=ledger, reset=LEDGER.clear, max_examples=10)


def test_shrinks_a_duplicate_only_bug_to_exactly_one_duplicate_and_no_failures() -> None:
    with pytest.raises(NotIdempotentError) as info:
        check_idempotent(appends, ORDERS, state=ledger, reset=LEDGER.clear, new_environments=False)
    err = info.value
    assert err.event == {"order": 0}
    # A function error after the work is, for state, another delivery: the shrunk
    # history is the simplest of the two, one step.
    assert err.history == DeliveryHistory((Duplicate(),))  # not a function error, though that fails too
    assert not err.new_environment
    assert "smallest failing of" in str(err) and "shrunk" in str(err)


def test_the_search_is_the_same_every_run_unless_a_seed_is_given() -> None:
    """Without ``seed`` two checks try the same examples in the same order (a CI failure
    reproduces locally); a seed picks another search, which still finds the bug."""
    def tries(seed: int | None) -> list[int]:
        seen = types.SimpleNamespace(orders=[])  # not a container: the check leaves it alone

        def counts(event: Any, context: Any) -> None:
            seen.orders.append(event["order"])

        check_idempotent(counts, ORDERS, state=lambda: 0, max_examples=30, seed=seed)
        return list(seen.orders)

    assert tries(None) == tries(None)
    assert tries(1) == tries(1) != tries(None)
    with pytest.raises(NotIdempotentError) as info:
        check_idempotent(appends, ORDERS, state=ledger, reset=LEDGER.clear, new_environments=False, seed=7)
    assert info.value.history == DeliveryHistory((Duplicate(),))


def test_a_handler_broken_only_by_duplicates_shrinks_to_one_duplicate() -> None:
    def only_duplicates(event: Any, context: Any) -> None:
        # Retries after an error are fine (keyed on the attempt count), duplicates are not.
        LEDGER.append({"order": event["order"], "request": context.aws_request_id})

    def state() -> int:
        return len({e["request"] for e in LEDGER}) + len(LEDGER)

    with pytest.raises(NotIdempotentError) as info:
        check_idempotent(only_duplicates, ORDERS, state=state, reset=LEDGER.clear, new_environments=False)
    assert info.value.history == DeliveryHistory((Duplicate(),))


def test_module_state_dedupe_is_reported_with_a_second_environment() -> None:
    def reset() -> None:
        SENT.clear()

    assert_idempotent(dedupes_in_module, {"order": 1}, state=lambda: list(SENT), reset=reset)  # one environment
    with pytest.raises(NotIdempotentError) as info:
        check_idempotent(dedupes_in_module, ORDERS, state=lambda: list(SENT), reset=reset, max_examples=50)
    assert info.value.new_environment is True
    text = str(info.value)
    assert "module-level state (SEEN)" in text
    assert "second execution environment" in text


def test_composes_with_the_users_own_given() -> None:
    from hypothesis import Phase, given, settings

    @settings(max_examples=10, database=None, phases=[Phase.generate])  # shrinking: the test above
    @given(event=ORDERS, plan=idempotency_histories())
    def inner(event: Any, plan: tuple[DeliveryHistory, bool, tuple[int, ...]]) -> None:
        history, new_environment, schedule = plan
        assert_idempotent(appends, event, state=ledger, reset=LEDGER.clear, history=history,
                          new_environment=new_environment, schedule=schedule)

    with pytest.raises(NotIdempotentError):
        inner()


def test_nondeterministic_state_is_its_own_error() -> None:
    def random_key(event: Any, context: Any) -> None:
        LEDGER.append({"id": str(uuid.uuid4())})

    with pytest.raises(AssertionError, match="differs between two clean deliveries"):
        assert_idempotent(random_key, {}, state=ledger, reset=LEDGER.clear)


def test_state_is_required_outside_moto() -> None:
    with pytest.raises(TypeError, match="state= is required outside moto"):
        assert_idempotent(appends, {"order": 1})


# -- moto-backed handlers ------------------------------------------------------------------
@pytest.fixture
def aws() -> Iterator[dict[str, Any]]:
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        for table in ("orders", "markers"):
            ddb.create_table(TableName=table, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                             AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                             BillingMode="PAY_PER_REQUEST")
        sqs = boto3.client("sqs", region_name="us-east-1")
        queue = sqs.create_queue(QueueName="emails")["QueueUrl"]
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="receipts")
        yield {"ddb": ddb, "sqs": sqs, "queue": queue, "s3": s3}


def test_dynamodb_uuid_keys_fail_conditional_puts_pass(aws: dict[str, Any]) -> None:
    ddb = aws["ddb"]

    def uuid_keys(event: Any, context: Any) -> None:
        ddb.put_item(TableName="orders", Item={"id": {"S": str(uuid.uuid4())}, "order": {"N": str(event["order"])}})

    def conditional(event: Any, context: Any) -> None:
        _put_order_once(ddb, event["order"])

    def count() -> int:  # uuid keys differ run to run: compare how many orders exist
        return int(ddb.scan(TableName="orders", Select="COUNT")["Count"])

    check_idempotent(conditional, ORDERS, max_examples=25)  # default state: moto's DynamoDB, S3, SQS, SNS
    with pytest.raises(NotIdempotentError) as info:
        check_idempotent(uuid_keys, ORDERS, state=count, max_examples=25)
    assert info.value.actual == info.value.expected + 1


def test_send_then_crash_before_marking_is_found_at_the_right_call(aws: dict[str, Any]) -> None:
    ddb, sqs, queue = aws["ddb"], aws["sqs"], aws["queue"]

    def send_then_mark(event: Any, context: Any) -> None:
        key = {"id": {"S": str(event["order"])}}
        if "Item" in ddb.get_item(TableName="markers", Key=key):  # SDK call [0]
            return
        sqs.send_message(QueueUrl=queue, MessageBody=f"order {event['order']}")  # [1]
        ddb.put_item(TableName="markers", Item=key)  # [2]

    assert_idempotent(send_then_mark, {"order": 1}, deliveries=3)  # duplicates alone are fine
    with pytest.raises(NotIdempotentError) as info:  # (two at once race: test_idempotency_histories.py)
        check_idempotent(send_then_mark, ORDERS, new_environments=False, max_duplicates=0)
    err = info.value
    assert err.history.duplicates == 0 and err.history.function_errors == 0
    assert err.history.sdk_failures in ((SdkFailure(1, "response_lost"),), (SdkFailure(2, "before"),))
    text = str(err)
    assert "state['sqs']['emails']:  1 item  !=  2 items" in text  # each check leaves moto as it found it
    assert "SDK call [0] DynamoDB.GetItem" in text


def test_mark_seen_before_the_work_is_found(aws: dict[str, Any]) -> None:
    ddb, s3 = aws["ddb"], aws["s3"]

    def mark_then_write(event: Any, context: Any) -> None:
        try:
            ddb.put_item(TableName="markers", Item={"id": {"S": str(event["order"])}},
                         ConditionExpression="attribute_not_exists(id)")
        except ddb.exceptions.ConditionalCheckFailedException:
            return
        s3.put_object(Bucket="receipts", Key=f"{event['order']}.txt", Body=b"paid")

    with pytest.raises(NotIdempotentError) as info:
        check_idempotent(mark_then_write, ORDERS, new_environments=False)
    err = info.value
    assert err.history.duplicates == 0 and err.history.function_errors == 0
    # The marker is written, then either its response is lost or the S3 write fails before taking effect:
    # the retry sees the marker and skips the receipt.
    assert err.history.sdk_failures in ((SdkFailure(0, "response_lost"),), (SdkFailure(1, "before"),))
    text = str(err)
    assert "state['s3']['receipts']['0.txt']:  \"b'paid'\"  !=  (missing)" in text
    assert "SDK call [0] DynamoDB.PutItem" in text


def test_sns_publish_per_delivery_fails_s3_key_from_the_event_passes(aws: dict[str, Any]) -> None:
    sns = boto3.client("sns", region_name="us-east-1")
    topic = sns.create_topic(Name="shipped")["TopicArn"]
    s3 = aws["s3"]

    def notify(event: Any, context: Any) -> None:
        sns.publish(TopicArn=topic, Message=f"order {event['order']} shipped")

    def receipt(event: Any, context: Any) -> None:  # the key comes from the event: a resend overwrites
        s3.put_object(Bucket="receipts", Key=f"{event['order']}.txt", Body=b"paid")

    check_idempotent(receipt, ORDERS, max_examples=30)
    with pytest.raises(NotIdempotentError) as info:
        assert_idempotent(notify, {"order": 7})
    text = str(info.value)
    assert "state['sns']['shipped']:  1 item  !=  2 items" in text
    assert '+ "order 7 shipped"  (again)' in text


def test_injected_errors_are_botocores_own() -> None:
    from botocore.exceptions import ClientError, ReadTimeoutError

    class Box:  # not a container: the checks restore the handler's module and closure containers
        seen: list[BaseException] = []

    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="q")["QueueUrl"]

        def handler(event: Any, context: Any) -> None:
            try:
                sqs.send_message(QueueUrl=url, MessageBody="x")
            except (ClientError, ReadTimeoutError) as exc:
                Box.seen.append(exc)
                raise

        for kind in ("before", "response_lost"):
            with contextlib.suppress(NotIdempotentError):  # "before" is harmless here: the retry sends once
                assert_idempotent(handler, {}, history=DeliveryHistory((SdkFailure(0, kind),)))  # type: ignore[arg-type]
    before, lost = Box.seen[0], Box.seen[-1]
    assert isinstance(before, ClientError) and before.response["Error"]["Code"] == "ThrottlingException"
    assert isinstance(lost, ReadTimeoutError)


@pytest.fixture
def powertools(aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A handler behind Powertools' @idempotent (DynamoDB persistence on moto) whose own write is not idempotent."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent,
    )

    ddb = aws["ddb"]
    ddb.create_table(TableName="idempotency", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    persistence = DynamoDBPersistenceLayer(table_name="idempotency")
    config = IdempotencyConfig(event_key_jmespath="order")

    @idempotent(persistence_store=persistence, config=config)
    def handler(event: Any, context: Any) -> dict[str, Any]:
        ddb.put_item(TableName="orders", Item={"id": {"S": str(uuid.uuid4())}, "order": {"N": str(event["order"])}})
        return {"ok": True}

    def count() -> int:  # Powertools' records hold expiry times: compare the orders only
        return int(ddb.scan(TableName="orders", Select="COUNT")["Count"])

    def reset() -> None:
        for table in ("orders", "idempotency"):
            for item in ddb.scan(TableName=table)["Items"]:
                ddb.delete_item(TableName=table, Key={"id": item["id"]})

    return {"handler": handler, "state": count, "reset": reset, "ddb": ddb, "persistence": persistence,
            "config": config}


def test_powertools_idempotent_on_moto_dynamodb_passes(powertools: dict[str, Any]) -> None:
    """Duplicates, retries after the work, second environments, redeliveries with a new request id:
    the persistence layer covers them all, within its records' expiry (one hour by default)."""
    check_idempotent(powertools["handler"], ORDERS, state=powertools["state"], reset=powertools["reset"],
                     sdk_failures=False, max_examples=25, maximum_event_age=3000)


def test_powertools_default_expiry_is_outlived_by_a_late_redelivery(powertools: dict[str, Any]) -> None:
    """Powertools keeps its record an hour (expires_after_seconds=3600); an event can come again up to
    the function's maximum event age (6 h by default, RET-4), and then the work is done twice."""
    with pytest.raises(NotIdempotentError) as info:
        check_idempotent(powertools["handler"], ORDERS, state=powertools["state"], reset=powertools["reset"],
                         sdk_failures=False, max_examples=25)
    (late,) = info.value.history.redeliveries
    assert late.delay > 3600
    assert "with a new request id, 6 h later" in str(info.value)
    assert "came after the deduplication record or window had expired" in str(info.value)


def test_powertools_does_not_cover_a_failure_after_the_side_effect(powertools: dict[str, Any]) -> None:
    """When the handler fails after its write took effect (a lost response), Powertools deletes the
    in-progress record and the retry writes again; when its own "COMPLETED" update fails, the record
    expires and the same happens. The side effect needs its own key (docs/how-to/idempotency.md)."""
    with pytest.raises(NotIdempotentError) as info:
        check_idempotent(powertools["handler"], ORDERS, state=powertools["state"], reset=powertools["reset"],
                         max_examples=50, maximum_event_age=3000)  # within its records' hour
    history = info.value.history
    assert history.duplicates == 0 and history.function_errors == 0 and len(history.sdk_failures) == 1
    # SDK calls: [0] Powertools' in-progress PutItem, [1] the handler's PutItem, [2] Powertools' UpdateItem.
    assert history.sdk_failures[0] in (SdkFailure(1, "response_lost"), SdkFailure(2, "before"))


def _put_order_once(ddb: Any, order: int) -> None:
    """The idempotent write: a put conditional on the order's key (a later delivery finds it done)."""
    try:
        ddb.put_item(TableName="orders", Item={"id": {"S": str(order)}}, ConditionExpression="attribute_not_exists(id)")
    except ddb.exceptions.ConditionalCheckFailedException:
        pass  # already done by an earlier delivery


def _orders_only(ddb: Any) -> Any:
    def state() -> list[dict[str, Any]]:  # Powertools' records hold expiry times: compare the orders
        return sorted((item for item in ddb.scan(TableName="orders")["Items"]), key=lambda i: i["id"]["S"])

    return state


def test_powertools_with_a_conditional_own_write_passes_with_sdk_failures(
        powertools: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """Powertools' record plus a side effect keyed on the event: every failure point is covered (a lost
    response of the handler's put makes the retry's put fail its condition; a failed "COMPLETED" update
    leaves an in-progress record that expires, and the rerun's put fails its condition)."""
    from aws_lambda_powertools.utilities.idempotency import idempotent

    ddb = powertools["ddb"]

    @idempotent(persistence_store=powertools["persistence"], config=powertools["config"])
    def handler(event: Any, context: Any) -> dict[str, Any]:
        _put_order_once(ddb, event["order"])
        return {"ok": True}

    from pytest_lambda_async._adapters import faults as _faults

    logs: list[_faults.CallLog] = []
    real_arm = _faults.arm
    monkeypatch.setattr(_faults, "arm", lambda log: (logs.append(log), real_arm(log))[1])
    check_idempotent(handler, ORDERS, state=_orders_only(ddb), reset=powertools["reset"], max_examples=80)
    # Failures were injected at each of its calls: [0] Powertools' PutItem, [1] the handler's, [2] UpdateItem.
    hit = {(c.index, c.injected) for log in logs for c in log.calls if c.injected}
    assert {0, 1, 2} <= {index for index, _ in hit} and {kind for _, kind in hit} == {"before", "response_lost"}


def test_powertools_in_an_async_core_passes_concurrent_duplicates(powertools: dict[str, Any]) -> None:
    """Powertools has no async support: an async core calls a function guarded by
    ``@idempotent_function``.  Concurrent duplicates interleave at the core's awaits; the guarded step
    runs whole, so the second delivery finds the record (in progress or completed)."""
    import asyncio

    from aws_lambda_powertools.utilities.idempotency import idempotent_function

    ddb = powertools["ddb"]

    @idempotent_function(data_keyword_argument="order", persistence_store=powertools["persistence"],
                         config=powertools["config"])
    def record(order: dict[str, Any]) -> dict[str, Any]:
        _put_order_once(ddb, order["order"])
        return {"ok": True}

    async def core(event: Any, context: Any) -> dict[str, Any]:
        powertools["config"].register_lambda_context(context)
        await asyncio.sleep(0)  # an async read first, say
        result = record(order=event)
        await asyncio.sleep(0)
        return result

    async def racy(event: Any, context: Any) -> None:  # the same work unguarded: check, await, write
        key = {"id": {"S": str(event["order"])}}
        found = "Item" in ddb.get_item(TableName="orders", Key=key)
        await asyncio.sleep(0)
        if not found:
            ddb.update_item(TableName="orders", Key=key, UpdateExpression="ADD deliveries :one",
                            ExpressionAttributeValues={":one": {"N": "1"}})

    check_idempotent(core, ORDERS, state=_orders_only(ddb), reset=powertools["reset"], max_examples=60)
    with pytest.raises(NotIdempotentError) as info:  # the schedule search is on for this handler
        check_idempotent(racy, ORDERS, state=_orders_only(ddb), reset=powertools["reset"], new_environments=False,
                         sdk_failures=False)
    assert info.value.history.steps == (Duplicate(concurrent=True),)


def test_report_reads_the_same_under_assert_plain(lpytester: pytest.Pytester) -> None:
    lpytester.makepyfile(test_orders="""
        from hypothesis import strategies as st
        from pytest_lambda_async import check_idempotent

        LEDGER = []

        def handler(event, context):
            LEDGER.append(event["order"])

        def test_orders():
            check_idempotent(handler, st.fixed_dictionaries({"order": st.integers()}),
                             state=lambda: list(LEDGER), reset=LEDGER.clear)
    """)
    result = lpytester.runpytest("--assert=plain", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "E       *NotIdempotentError: test_orders.handler is not idempotent: one duplicate delivery ends in a "
        "different state than a single clean delivery.",
        "E       ",
        "E       Event (dict, shrunk; complete in err.event):",
        'E         {"order": 0}',
        "E       ",
        "E       Delivery history (smallest failing of * tried):",
        "E         t+0s  invoke   handler  req *  Event  -> 202, queued (+1 duplicate)",
        "E         t+0s  attempt  handler  req *  #1  success",
        "E         t+0s  attempt  handler  req *  #2  success  duplicate delivery",
        "E       ",
        "E       State after 1 clean delivery  vs  after this history:",
        "E         state:  1 item  !=  2 items",
        "E           + 0  (again)",
        "E       ",
        "E       Reproduce (paste into a test):",
        "E         from pytest_lambda_async import assert_idempotent",
        "E         from pytest_lambda_async.strategies import DeliveryHistory, Duplicate",
        "E         assert_idempotent(handler, {'order': 0}, state=state, reset=reset, "
        "history=DeliveryHistory((Duplicate(),)))",
        "E         # state and reset: the same callables you passed to this check "
        "(here test_orders.<locals>.<lambda>, list.clear)",
        "E       Hint: make each write conditional on a key taken from the event*",
    ], consecutive=True)
    result.stdout.no_fnmatch_line("*Failing test case*")


# -- async duplicates running concurrently ------------------------------------------------
async def check_then_append(event: Any, context: Any) -> None:
    import asyncio

    if {"order": event["order"]} not in LEDGER:  # the check ...
        await asyncio.sleep(0)  # ... an await (a database call, say) ...
        LEDGER.append({"order": event["order"]})  # ... then the write: a race


async def check_and_append(event: Any, context: Any) -> None:
    import asyncio

    await asyncio.sleep(0)
    if {"order": event["order"]} not in LEDGER:  # check and write with no await between
        LEDGER.append({"order": event["order"]})
    await asyncio.sleep(0)


def test_sequential_duplicates_miss_the_race() -> None:
    assert_idempotent(check_then_append, {"order": 1}, state=ledger, reset=LEDGER.clear, deliveries=3)


def test_concurrent_duplicates_find_a_check_then_write_race_and_shrink_the_schedule() -> None:
    with pytest.raises(NotIdempotentError) as info:
        check_idempotent(check_then_append, ORDERS, state=ledger, reset=LEDGER.clear, new_environments=False)
    err = info.value
    assert err.history == DeliveryHistory((Duplicate(concurrent=True),))
    text = str(err)
    assert "one duplicate delivery running concurrently" in text
    assert "interleaved at await points:" in text
    assert f"schedule={err.schedule!r}" in text and 1 in err.schedule
    assert "two deliveries of the same event ran at once" in text
    # The reproduction line replays it; without the switch, it passes.
    with pytest.raises(NotIdempotentError):
        assert_idempotent(check_then_append, {"order": 0}, state=ledger, reset=LEDGER.clear,
                          history=DeliveryHistory((Duplicate(concurrent=True),)), schedule=err.schedule)
    assert_idempotent(check_then_append, {"order": 0}, state=ledger, reset=LEDGER.clear,
                      history=DeliveryHistory((Duplicate(concurrent=True),)), schedule=())


def test_concurrent_duplicates_pass_an_atomic_check_and_write() -> None:
    check_idempotent(check_and_append, ORDERS, state=ledger, reset=LEDGER.clear, max_examples=50)


def test_interleaving_is_deterministic_and_follows_the_schedule() -> None:
    import asyncio

    from pytest_lambda_async._checks.interleave import interleave

    log: list[str] = []

    async def worker(name: str) -> str:
        for i in range(2):
            log.append(f"{name}{i}")
            await asyncio.sleep(0)
        return name

    for schedule, expected in (((), ["A0", "A1", "B0", "B1"]), ((1,), ["B0", "B1", "A0", "A1"]),
                               ((0, 1, 1), ["A0", "B0", "A1", "B1"]), ((0, 1, 0), ["A0", "B0", "B1", "A1"])):
        log.clear()
        results, _ = asyncio.run(interleave([worker("A"), worker("B")], schedule))
        assert results == ["A", "B"] and log == expected


def test_the_report_stays_under_40_lines_for_the_longest_history() -> None:
    from pytest_lambda_async.strategies import FunctionError

    def counts_everything(event: Any, context: Any) -> None:
        for key in event["keys"]:
            LEDGER.append({"order": key})
        print("\n".join(f"log line {i}" for i in range(10)))

    def state() -> dict[str, int]:
        return {str(e["order"]): sum(1 for x in LEDGER if x == e) for e in LEDGER}

    history = DeliveryHistory((FunctionError(1), FunctionError(2), Duplicate(), Duplicate()))
    event = {"keys": list(range(40)), "padding": "x" * 2000}
    with pytest.raises(NotIdempotentError) as info:
        assert_idempotent(counts_everything, event, state=state, reset=LEDGER.clear, history=history,
                          new_environment=True)
    lines = str(info.value).splitlines()
    assert len(lines) < 40
    assert any(line.strip().startswith("… ") and "more differences" in line for line in lines)
    assert any("more lines" in line for line in lines)  # the timeline was cut, not the verdict
    assert lines[-1].endswith("idempotency.md") or "idempotency.md" in lines[-2]


# -- resetting moto between runs ------------------------------------------------------------
def test_a_transaction_cancelled_by_its_condition_does_not_leak_into_later_runs(aws: dict[str, Any]) -> None:
    """moto rolls a cancelled TransactWriteItems back by swapping in a copy of the table object; the
    reset must find tables by name (ARN), or every later run starts from the previous run's writes and
    a correct handler is reported as nondeterministic."""
    ddb = aws["ddb"]

    def award(event: Any, context: Any) -> None:
        try:
            ddb.transact_write_items(TransactItems=[
                {"Put": {"TableName": "markers", "Item": {"id": {"S": str(event["order"])}},
                         "ConditionExpression": "attribute_not_exists(id)"}},
                {"Update": {"TableName": "orders", "Key": {"id": {"S": "total"}},
                            "UpdateExpression": "ADD points :p", "ExpressionAttributeValues": {":p": {"N": "10"}}}},
            ])
        except ddb.exceptions.TransactionCanceledException:
            pass  # the marker exists: an earlier delivery did it

    check_idempotent(award, ORDERS, max_examples=40)
    # Two transactions' worth of points per delivery: a duplicate adds them again.
    def award_twice(event: Any, context: Any) -> None:
        award(event, context)
        ddb.update_item(TableName="orders", Key={"id": {"S": "total"}}, UpdateExpression="ADD points :p",
                        ExpressionAttributeValues={":p": {"N": "1"}})

    with pytest.raises(NotIdempotentError) as info:
        check_idempotent(award_twice, ORDERS, max_examples=40)
    assert "state['dynamodb']['orders']" in str(info.value)


def _moto_table(name: str) -> Any:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].tables[name]


def test_a_table_the_handler_leaves_alone_is_not_copied_back_before_each_run(aws: dict[str, Any]) -> None:
    """The default reset puts back only tables whose items the last snapshot found changed: a large
    table the handler never writes is not copied once per run (most of a check's cost otherwise)."""
    ddb = aws["ddb"]
    for n in range(3):
        ddb.put_item(TableName="markers", Item={"id": {"S": f"fixture-{n}"}})
    untouched, written = _moto_table("markers").items, _moto_table("orders").items

    def put_order(event: Any, context: Any) -> None:
        ddb.put_item(TableName="orders", Item={"id": {"S": str(event["order"])}})

    check_idempotent(put_order, ORDERS, max_examples=20)
    assert _moto_table("markers").items is untouched  # never copied back: the handler left it alone
    assert _moto_table("orders").items is not written  # copied back before each run
    assert ddb.scan(TableName="orders")["Items"] == []


def test_a_table_the_handler_writes_only_sometimes_is_put_back(aws: dict[str, Any]) -> None:
    """A run that changes a table after runs that left it alone: the next run starts from the table
    as the check found it, and so does the test after the check."""
    ddb = aws["ddb"]
    for n in range(3):
        ddb.put_item(TableName="markers", Item={"id": {"S": f"fixture-{n}"}})

    def clear_marker_on_a_retry(event: Any, context: Any) -> None:
        ddb.put_item(TableName="orders", Item={"id": {"S": str(event["order"])}})
        if context.aws_request_id in SEEN_REQUESTS:  # a retry or a duplicate of the same request
            ddb.delete_item(TableName="markers", Key={"id": {"S": "fixture-0"}})
        SEEN_REQUESTS.add(context.aws_request_id)

    with pytest.raises(NotIdempotentError) as info:
        check_idempotent(clear_marker_on_a_retry, ORDERS, state=None, max_examples=20)
    assert "markers" in str(info.value)
    assert len(ddb.scan(TableName="markers")["Items"]) == 3  # as the check found it
    SEEN_REQUESTS.clear()


SEEN_REQUESTS: set[str] = set()  # module state the checker resets per run: what "a retry" is here


def test_objects_the_handler_deletes_or_overwrites_are_put_back_between_runs(aws: dict[str, Any]) -> None:
    s3 = aws["s3"]
    for n in range(3):
        s3.put_object(Bucket="receipts", Key=f"incoming/{n}.txt", Body=f"order {n}".encode())

    def move(event: Any, context: Any) -> None:  # copy to processed/, then delete the original
        source = f"incoming/{event['n']}.txt"
        try:
            s3.copy_object(Bucket="receipts", Key=f"processed/{event['n']}.txt",
                           CopySource={"Bucket": "receipts", "Key": source})
        except s3.exceptions.NoSuchKey:
            # Already moved; a second environment may have failed between its overwrite and the put
            # that undoes it (a real race the search finds), so put it right before returning.
            s3.put_object(Bucket="receipts", Key=f"incoming/{(event['n'] + 1) % 3}.txt",
                          Body=f"order {(event['n'] + 1) % 3}".encode())
            return
        s3.put_object(Bucket="receipts", Key=f"incoming/{(event['n'] + 1) % 3}.txt", Body=b"overwritten")
        s3.put_object(Bucket="receipts", Key=f"incoming/{(event['n'] + 1) % 3}.txt",
                      Body=f"order {(event['n'] + 1) % 3}".encode())
        s3.delete_object(Bucket="receipts", Key=source)

    check_idempotent(move, st.fixed_dictionaries({"n": st.integers(0, 2)}), max_examples=40)
    # The check leaves moto as it found it: nothing moved.
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="receipts")["Contents"]] == [
        f"incoming/{n}.txt" for n in range(3)]
    from pytest_lambda_async._adapters.state import MotoState

    start = MotoState()
    before = start.snapshot()
    move({"n": 0}, None)
    assert start.snapshot() != before
    start.reset()
    assert start.snapshot() == before
    assert s3.get_object(Bucket="receipts", Key="incoming/0.txt")["Body"].read() == b"order 0"


def test_a_reported_sdk_call_race_replays_to_the_same_state_q2_ret1(aws: dict[str, Any]) -> None:
    """Q-2 and RET-1 on real moto: the S3 'move' handler without the put in its ``NoSuchKey`` branch
    loses to a concurrent duplicate (B moves the file between A's copy and A's overwrite, A's attempt
    fails after the overwrite took effect, its retry finds the file gone and returns).  What the check
    reports replays to the same failure, the same states on both sides, from the pasted Reproduce
    block and from the error's fields; the schedule is part of it: without it the duplicate runs after
    the first and the history passes.  The report shows the interleaving even though the first delivery
    failed (it once did not: its timeline read 'response lost, then a retry', a history that passes)."""
    s3 = aws["s3"]
    for n in range(3):
        s3.put_object(Bucket="receipts", Key=f"incoming/{n}.txt", Body=f"order {n}".encode())

    def move(event: Any, context: Any) -> None:
        source = f"incoming/{event['n']}.txt"
        try:
            s3.copy_object(Bucket="receipts", Key=f"processed/{event['n']}.txt",
                           CopySource={"Bucket": "receipts", "Key": source})
        except s3.exceptions.NoSuchKey:
            return  # already moved (but a failed first delivery may have left the overwrite behind)
        s3.put_object(Bucket="receipts", Key=f"incoming/{(event['n'] + 1) % 3}.txt", Body=b"overwritten")
        s3.put_object(Bucket="receipts", Key=f"incoming/{(event['n'] + 1) % 3}.txt",
                      Body=f"order {(event['n'] + 1) % 3}".encode())
        s3.delete_object(Bucket="receipts", Key=source)

    with pytest.raises(NotIdempotentError) as info:
        check_idempotent(move, st.fixed_dictionaries({"n": st.integers(0, 2)}), new_environments=False)
    err = info.value
    assert err.history.concurrent_duplicates == 1 and 1 in err.schedule
    overwrite = f"incoming/{(err.event['n'] + 1) % 3}.txt"
    assert err.actual["s3"]["receipts"][overwrite] == b"overwritten"
    assert err.expected["s3"]["receipts"][overwrite] != b"overwritten"
    lines = str(err).splitlines()
    at = lines.index("Reproduce (paste into a test):")
    block = [line.strip() for line in lines[at + 1:at + 4]]
    assert block[-1].startswith("assert_idempotent(move, ")
    interleavings = [line.split("|")[-1].strip() for line in lines
                     if line.split("|")[-1].strip().startswith("A:CopyObject B:CopyObject")]
    assert len(interleavings) == 1, "the timeline shows how the two environments interleaved"
    interleaving = interleavings[0]
    assert "two environments at once, the second between the first's CopyObject and PutObject" in lines[0]
    assert "Hint: two deliveries of the same event ran at once" in str(err)

    def same_failure(replay: Any) -> None:
        with pytest.raises(NotIdempotentError) as again:
            replay()
        assert (again.value.expected, again.value.actual) == (err.expected, err.actual)
        assert interleaving in str(again.value)

    same_failure(lambda: exec("\n".join(block), {"move": move}))
    same_failure(lambda: assert_idempotent(move, err.event, history=err.history,
                                           new_environment=err.new_environment, schedule=err.schedule))
    assert_idempotent(move, err.event, history=err.history, new_environment=err.new_environment)


# -- SDK failures land on calls the handler makes ---------------------------------------------
def test_an_sdk_failure_index_beyond_the_calls_made_wraps_around(aws: dict[str, Any],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The search draws call indexes 0..20; a handler making 2 calls gets every drawn failure on one
    of them (index mod 2), so no example is spent on a failure that never happens."""
    from pytest_lambda_async._adapters import faults as _faults

    ddb = aws["ddb"]
    logs: list[_faults.CallLog] = []
    real_arm = _faults.arm

    def spy(log: _faults.CallLog) -> Any:
        logs.append(log)
        return real_arm(log)

    monkeypatch.setattr(_faults, "arm", spy)

    def two_calls(event: Any, context: Any) -> None:  # idempotent: a deterministic key, then a conditional put
        ddb.get_item(TableName="markers", Key={"id": {"S": str(event["order"])}})  # [0]
        ddb.put_item(TableName="orders", Item={"id": {"S": str(event["order"])}})  # [1]

    check_idempotent(two_calls, ORDERS, max_examples=60, new_environments=False, max_duplicates=0)
    planned = [log for log in logs if log.fail_at is not None]
    assert len(planned) >= 10  # the search drew SDK failures ...
    first_attempts = [log for log in planned if log.calls and log.calls[0].index == 0]
    assert all(log.injected is not None for log in first_attempts), \
        [(log.fail_at, len(log.calls)) for log in first_attempts if log.injected is None]  # ... and each hit
    assert {log.fail_at for log in planned} <= {0, 1}


def test_assert_idempotent_keeps_the_index_it_is_given() -> None:
    from botocore.exceptions import ClientError

    class Box:
        errors = 0

    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="q")["QueueUrl"]

        def one_call(event: Any, context: Any) -> None:
            try:
                sqs.get_queue_attributes(QueueUrl=url)
            except ClientError:
                Box.errors += 1
                raise

        assert_idempotent(one_call, {}, history=DeliveryHistory((SdkFailure(3, "before"),)))
        assert Box.errors == 0  # no call [3] to fail: a replayed history means what it says
        assert_idempotent(one_call, {}, history=DeliveryHistory((SdkFailure(0, "before"),)))
        assert Box.errors == 1


# -- the default state includes what the handler sent ------------------------------------------
def test_eventbridge_entries_are_in_the_default_state(aws: dict[str, Any]) -> None:
    """moto keeps nothing for PutEvents on a bus without rules: the snapshot's "sent" part does."""
    events = boto3.client("events", region_name="us-east-1")
    events.create_event_bus(Name="orders")
    ddb = aws["ddb"]

    def announce(event: Any, context: Any) -> None:
        events.put_events(Entries=[{"EventBusName": "orders", "Source": "shop", "DetailType": "OrderPlaced",
                                    "Detail": json.dumps({"order": event["order"]})}])

    def announce_once(event: Any, context: Any) -> None:
        key = {"id": {"S": str(event["order"])}}
        if "Item" in ddb.get_item(TableName="markers", Key=key):  # [0]
            return
        announce(event, context)  # [1]
        ddb.put_item(TableName="markers", Item=key)  # [2]

    with pytest.raises(NotIdempotentError) as info:
        check_idempotent(announce, ORDERS, max_examples=20)
    assert info.value.history == DeliveryHistory((Duplicate(),))
    text = str(info.value)
    assert "state['sent']['events']['orders']:  1 item  !=  2 items" in text
    assert info.value.expected["sent"] == {"events": {"orders": [
        {"Source": "shop", "DetailType": "OrderPlaced", "Detail": {"order": 0}}]}}  # no EventId, no Time
    assert_idempotent(announce_once, {"order": 1}, deliveries=3)  # one at a time, the check before the send holds
    with pytest.raises(NotIdempotentError) as info:  # two at once, both pass it
        check_idempotent(announce_once, ORDERS, sdk_failures=False, max_examples=30)
    assert "two environments at once, the second between the first's GetItem and PutEvents" in str(info.value)
    # With SDK failures the gap between sending and marking is found: a lost PutEvents response.
    with pytest.raises(NotIdempotentError) as info:
        check_idempotent(announce_once, ORDERS, max_examples=50, max_duplicates=0)
    assert info.value.history.sdk_failures in ((SdkFailure(1, "response_lost"),), (SdkFailure(2, "before"),))


def test_a_refused_or_failed_put_events_sent_nothing(aws: dict[str, Any]) -> None:
    events = boto3.client("events", region_name="us-east-1")

    def refused_entry(event: Any, context: Any) -> None:  # no DetailType: EventBridge refuses the entry
        answer = events.put_events(Entries=[{"Source": "shop", "DetailType": "", "Detail": "{}"}])
        assert answer["FailedEntryCount"] == 1

    def once_per_attempt_after_a_failure(event: Any, context: Any) -> None:
        events.put_events(Entries=[{"Source": "shop", "DetailType": "X", "Detail": "{}"}])

    assert_idempotent(refused_entry, {}, deliveries=3)  # refused entries were not sent
    # A "before" failure of the only call takes no effect, and the retry sends once: idempotent.
    assert_idempotent(once_per_attempt_after_a_failure, {}, history=DeliveryHistory((SdkFailure(0, "before"),)))
    with pytest.raises(NotIdempotentError):  # a lost response did send
        assert_idempotent(once_per_attempt_after_a_failure, {},
                          history=DeliveryHistory((SdkFailure(0, "response_lost"),)))


def test_event_invocations_through_the_invoker_are_in_the_default_state(
        aws: dict[str, Any], lambda_invoker: Any) -> None:
    lambda_invoker.register("worker", lambda event, context: None)
    client = boto3.client("lambda", region_name="us-east-1")
    ddb = aws["ddb"]

    def fan_out(event: Any, context: Any) -> None:
        client.invoke(FunctionName="worker", InvocationType="Event", Payload=json.dumps({"order": event["order"]}))

    def fan_out_once(event: Any, context: Any) -> None:
        try:  # mark, then invoke: a duplicate finds the mark
            ddb.put_item(TableName="markers", Item={"id": {"S": str(event["order"])}},
                         ConditionExpression="attribute_not_exists(id)")
        except ddb.exceptions.ConditionalCheckFailedException:
            return
        fan_out(event, context)

    with pytest.raises(NotIdempotentError) as info:
        check_idempotent(fan_out, ORDERS, max_examples=20)
    assert "state['sent']['lambda']['worker']:  1 item  !=  2 items" in str(info.value)
    assert info.value.expected["sent"] == {"lambda": {"worker": [{"order": 0}]}}
    check_idempotent(fan_out_once, ORDERS, sdk_failures=False, max_examples=30)
    # The checks' runs took their invocations back: the test's invoker has nothing queued.
    assert lambda_invoker.pending == 0
    assert "worker" not in lambda_invoker.timeline()


def test_hypothesis_registers_no_new_random_per_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each check runs on a fresh runtime thread; Hypothesis registers a new Random for a new thread
    with a full gc.collect() (tens of ms). The checker shares one, even from a thread that never ran
    a Hypothesis test."""
    import gc
    import threading

    collections: list[int] = []
    real_collect = gc.collect
    errors: list[BaseException] = []

    def in_a_fresh_thread() -> None:
        try:
            check_idempotent(appends_once, ORDERS, state=ledger, reset=LEDGER.clear, max_examples=5)
            monkeypatch.setattr(gc, "collect", lambda *a: collections.append(1) or real_collect(*a))
            for _ in range(3):
                check_idempotent(appends_once, ORDERS, state=ledger, reset=LEDGER.clear, max_examples=5)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=in_a_fresh_thread)
    thread.start()
    thread.join()
    monkeypatch.undo()
    assert not errors, errors
    assert collections == []


def test_a_failing_history_is_simplified_one_step_at_a_time() -> None:
    """After Hypothesis's shrink (of one number), check_idempotent simplifies the history itself."""
    from pytest_lambda_async._checks.idempotency import _Runner, _simplest
    from pytest_lambda_async.strategies import FunctionError

    history = DeliveryHistory((FunctionError(1), SdkFailure(3, "response_lost"), Duplicate(), Duplicate()))
    with _Runner(appends, state=ledger, reset=LEDGER.clear) as runner:
        with pytest.raises(NotIdempotentError) as info:
            runner.verify({"order": 1}, history, True, tried=1, wrap_calls=True)
        simplest = _simplest(runner, info.value, 1, max_duplicates=2)
    assert simplest.history == DeliveryHistory((Duplicate(),)) and not simplest.new_environment
    assert "history=DeliveryHistory((Duplicate(),))" in str(simplest)


def test_hypothesis_reads_real_time_during_the_search_while_handlers_read_the_virtual_clock() -> None:
    """Each history moves the virtual clock ahead (a retry waits a minute, RET-1); read by
    Hypothesis, shrinking would look like it ran for hours and be cut short.  A time read made
    from a ``hypothesis`` module during the search is the real one; the handler's is virtual."""
    import time

    import hypothesis.internal.compat as hypothesis_module

    real = time.time  # bound before any freezer starts: the real function
    namespace: dict[str, Any] = {"__name__": hypothesis_module.__name__}
    exec(compile("def read_time():\n    import time\n    return time.time()\n", hypothesis_module.__file__, "exec"),
         namespace)  # a function whose frames belong to a hypothesis module
    read_from_hypothesis = namespace["read_time"]
    box = types.SimpleNamespace(handler_ahead=[], hypothesis_ahead=[], seen=set())

    def handler(event: Any, context: Any) -> None:
        box.handler_ahead.append(time.time() - real())
        box.hypothesis_ahead.append(abs(read_from_hypothesis() - real()))
        box.seen.add(event["order"])

    check_idempotent(handler, ORDERS, state=lambda: sorted(box.seen), reset=box.seen.clear, max_examples=20)
    assert max(box.handler_ahead) >= 55  # the handler saw the virtual clock a retry ahead
    assert max(box.hypothesis_ahead) < 5


def test_an_error_message_containing_success_is_a_failed_clean_delivery() -> None:
    """Issue 11: the check reads each attempt's outcome field, never the timeline's text, so an error
    whose message says "success" is still a failed attempt."""

    def handler(event: Any, context: Any) -> None:
        raise ValueError("success rate too low")

    with pytest.raises(AssertionError, match="failed on one clean delivery") as info:
        assert_idempotent(handler, {"order": 1}, state=lambda: None, reset=lambda: None)
    assert not isinstance(info.value, NotIdempotentError)
    assert "ValueError: success rate too low" in str(info.value)
