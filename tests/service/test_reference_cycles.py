"""A closed invoker nobody references is freed at once, by reference counting, not at the next full
garbage collection: in a long session with many modules loaded those are rare, and each test's invoker
(timeline, attempts, payloads, records, execution environments and their event loops) stayed in
memory until one came.  Pins an internal rule; the figures are in ``benchmarks/bench.py retained``."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

from pytest_lambda_async import LambdaInvoker

FAILED = "arn:aws:sqs:us-east-1:123456789012:failed"


@pytest.fixture
def no_gc() -> Iterator[None]:
    """The garbage collector off, as a long session sees it between full collections."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _failing(event: Any, context: Any) -> None:
    raise ValueError("boom")


def _ok(event: Any, context: Any) -> str:
    return "ok"


async def _awaited(event: Any, context: Any) -> str:
    await asyncio.sleep(1)  # the attempts overlap: each runs in an environment of its own
    return "ok"


def _used_and_closed() -> tuple[weakref.ref[LambdaInvoker], list[weakref.ref[Any]]]:
    """An invoker that ran attempts on two environments of an await-checked async handler (Q-1, PY-4),
    a sync invoke and a failure with its on_failure record (RET-4, REC-1), closed: a weak reference to
    it and to each environment's event loop."""
    inv = LambdaInvoker()  # await_check="error": the async attempts run in await windows
    inv.register("failing", _failing, on_failure=FAILED, max_retry_attempts=0)
    inv.register("sync", _ok)
    fn = inv.register("async", _awaited, asyncio=True)
    inv.invoke("async", {"n": 1}, invocation_type="Event")
    inv.invoke("async", {"n": 2}, invocation_type="Event")
    inv.invoke("failing", {"n": 3}, invocation_type="Event")
    assert inv.invoke("sync", {"n": 4}).payload == "ok"
    inv.run()
    assert [a.outcome for a in fn.attempts] == ["success", "success"]
    assert len(fn.environments) == 2
    assert len(inv.records(FAILED)) == 1
    loops = [weakref.ref(env.event_loop()) for env in fn.environments]
    inv.close()
    return weakref.ref(inv), loops


def test_q_1_a_closed_invoker_is_freed_when_its_last_reference_goes_without_the_garbage_collector(
        no_gc: None) -> None:
    """Nothing the invoker holds refers back to it (its functions, registry, router and lifecycle hold it
    weakly) and its environments' closed loops drop the await check's wrappers cached on them, so
    dropping the last reference frees it all with the collector off."""
    invoker, loops = _used_and_closed()
    assert invoker() is None
    assert [loop() for loop in loops] == [None, None]


def test_a_function_kept_after_its_invoker_is_gone_still_lists_its_attempts(no_gc: None) -> None:
    """A function holds its invoker weakly now: what it reports of its own attempts stays readable."""
    inv = LambdaInvoker()
    fn = inv.register("w", _ok)
    inv.invoke("w", {})
    inv.close()
    invoker = weakref.ref(inv)
    del inv
    assert invoker() is None
    assert [a.outcome for a in fn.attempts] == ["success"]
    with pytest.raises(ReferenceError, match="'w': its LambdaInvoker is gone .* keep a reference to the invoker"):
        fn.configure(timeout=5)


def test_the_fixtures_invoker_is_freed_after_its_test_without_the_garbage_collector(
        lpytester: pytest.Pytester) -> None:
    """Each test's ``lambda_invoker`` is gone once the test is over, with the collector off: the item
    (which the session keeps to its end) no longer holds it, nor do cycles."""
    lpytester.makepyfile(f"""
        import gc
        import weakref

        REFS = []

        def setup_module():
            gc.collect()
            gc.disable()

        def teardown_module():
            gc.enable()

        def failing(event, context):
            raise ValueError("boom")

        def used(invoker):
            invoker.register("w", failing, on_failure={FAILED!r}, max_retry_attempts=0)
            invoker.invoke("w", {{}}, invocation_type="Event")
            invoker.run()
            assert len(invoker.records({FAILED!r})) == 1
            REFS.append(weakref.ref(invoker))

        def test_one(lambda_invoker):
            used(lambda_invoker)

        def test_two(lambda_invoker):
            used(lambda_invoker)

        def test_both_are_gone():
            assert len(REFS) == 2
            assert [ref() for ref in REFS] == [None, None]
    """)
    lpytester.runpytest().assert_outcomes(passed=3)


def test_esm_1_an_invoker_with_an_sqs_mapping_is_freed_without_the_garbage_collector(no_gc: None) -> None:
    """ESM-1: a mapping's poller is in the invoker's ``pollers`` and holds the invoker weakly, so an invoker
    that polled an SQS queue under moto is freed too once closed and dropped."""
    import boto3
    import moto

    with moto.mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="source")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        inv = LambdaInvoker()
        with inv.patch_boto3():
            fn = inv.register("w", _ok)
            boto3.client("lambda", region_name="us-east-1").create_event_source_mapping(
                EventSourceArn=arn, FunctionName="w", BatchSize=1)
            sqs.send_message(QueueUrl=url, MessageBody="hi")
            inv.run()
        assert [a.outcome for a in fn.attempts] == ["success"]
        inv.close()
        invoker = weakref.ref(inv)
        del inv
        assert invoker() is None
