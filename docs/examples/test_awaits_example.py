"""A handler that returns before its work is done loses that work.

When the handler returns, Lambda freezes the environment (PY-4): a task still
pending, a coroutine never awaited or a thread still running is work that
silently never happens. In a plain unit test the handler "passes". The
invoker checks every attempt; `assert_awaits_all` checks one call directly.
"""

import asyncio

import pytest

from pytest_lambda_async import assert_awaits_all

AUDIT: list[str] = []


async def write_audit(order_id):
    await asyncio.sleep(0.5)  # a network call
    AUDIT.append(order_id)


def record_order(event, context):  # buggy: fire and forget
    async def main():
        asyncio.get_running_loop().create_task(write_audit(event["order_id"]))
        return {"status": "recorded"}  # asyncio.run cancels the task on the way out

    return asyncio.run(main())


def record_order_fixed(event, context):
    async def main():
        await write_audit(event["order_id"])
        return {"status": "recorded"}

    return asyncio.run(main())


def send_receipt(event, context):  # buggy: the coroutine is created, never awaited
    async def main():
        write_audit(event["order_id"])
        return {"status": "sent"}

    return asyncio.run(main())


@pytest.fixture(autouse=True)
def fresh_audit():
    AUDIT.clear()


@pytest.mark.parametrize("handler", [
    pytest.param(record_order, marks=pytest.mark.xfail(strict=True, reason="the audit task is dropped on return")),
    record_order_fixed,
])
def test_every_order_is_audited(lambda_invoker, handler):
    lambda_invoker.register("orders", handler)
    lambda_invoker.invoke("orders", {"order_id": "o-1"}, invocation_type="Event")
    attempts = lambda_invoker.run()
    assert [a.outcome for a in attempts] == ["success"]
    assert AUDIT == ["o-1"]


@pytest.mark.parametrize("handler", [
    pytest.param(send_receipt, marks=pytest.mark.xfail(strict=True, reason="a coroutine is never awaited")),
    record_order_fixed,
])
def test_the_handler_finishes_its_work(handler):
    assert_awaits_all(handler, {"order_id": "o-1"})
