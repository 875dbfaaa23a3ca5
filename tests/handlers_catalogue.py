"""A catalogue of Lambda handlers that leave work unfinished, and of correct ones.

Each buggy handler marks the line that starts each unfinished piece of work
with ``# LEAK: <kind>`` (``x2`` when one line starts two); tests read these
markers from the source and compare them with what the await check reports.
Work a test leaves behind waits on :data:`STOP`, which the tests set after each
check, so nothing outlives its test.
"""

from __future__ import annotations

import asyncio
import logging
import logging.handlers
import queue
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

STOP = threading.Event()  # set by the tests once a check is done: leaked threads and jobs end
POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="catalogue-pool")
KEPT: list[Any] = []  # where the "still referenced" handlers keep their coroutines
log = logging.getLogger("catalogue")


@dataclass(frozen=True)
class Case:
    handler: Callable[..., Any]
    since: tuple[int, int] = (3, 10)
    until: tuple[int, int] = (4, 0)  # first version it no longer applies to

    @property
    def name(self) -> str:
        return self.handler.__name__

    @property
    def supported(self) -> bool:
        return self.since <= sys.version_info[:2] < self.until


BUGGY: list[Case] = []
CORRECT: list[Case] = []


def buggy(
    since: tuple[int, int] = (3, 10), until: tuple[int, int] = (4, 0)
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        BUGGY.append(Case(fn, since, until))
        return fn

    return register


def correct(
    since: tuple[int, int] = (3, 10), until: tuple[int, int] = (4, 0)
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        CORRECT.append(Case(fn, since, until))
        return fn

    return register


# -- the work handlers start -------------------------------------------------------------
async def send_email(to: str = "alice") -> str:
    await asyncio.sleep(0)
    return f"sent to {to}"


async def slow(seconds: float = 10.0) -> None:
    await asyncio.sleep(seconds)


def blocking_job() -> str:
    STOP.wait(2)
    return "done"


def quick_job() -> str:
    return "done"


class Mailer:
    async def deliver(self, to: str) -> None:
        await asyncio.sleep(0)


def make_coroutine() -> Any:
    return send_email("via helper")  # LEAK[a_coroutine_from_helper]: never awaited


METRICS: list[str] = []


def record_metric(name: str) -> None:
    METRICS.append(name)


EMIT_SECONDS = 0.2  # how long the user's audit handler takes per record
EMITTING = threading.Event()  # set when a record is being shipped


class AuditTrailHandler(logging.Handler):
    """The user's own logging handler: ships each record to an audit service (slowly)."""

    def emit(self, record: logging.LogRecord) -> None:
        EMITTING.set()
        STOP.wait(EMIT_SECONDS)  # LEAK[s_import_time_listener_busy]: busy thread


# Import-time work: started outside every window, never reported.
IMPORT_THREAD = threading.Thread(target=STOP.wait, name="catalogue-import-thread", daemon=True)
IMPORT_THREAD.start()
# A common logging setup: records go through a queue to a QueueListener, whose thread
# (started here, by the library) runs the user's AuditTrailHandler.
AUDIT_QUEUE: queue.Queue[logging.LogRecord] = queue.Queue()
AUDIT_LISTENER = logging.handlers.QueueListener(AUDIT_QUEUE, AuditTrailHandler())
AUDIT_LISTENER.start()
audit = logging.getLogger("catalogue.audit")
audit.addHandler(logging.handlers.QueueHandler(AUDIT_QUEUE))
audit.setLevel(logging.INFO)
audit.propagate = False


# ===== buggy: async def handlers (run on the checker's own loop) =====================
@buggy()
async def a_coroutine_not_awaited(event: Any, context: Any) -> None:
    send_email(event["to"])  # LEAK: never awaited


@buggy()
async def a_sleep_not_awaited(event: Any, context: Any) -> None:
    asyncio.sleep(0.01)  # LEAK: never awaited


@buggy()
async def a_queue_put_not_awaited(event: Any, context: Any) -> None:
    q: asyncio.Queue[int] = asyncio.Queue(maxsize=1)
    q.put(1)  # LEAK: never awaited


@buggy()
async def a_method_not_awaited(event: Any, context: Any) -> None:
    Mailer().deliver("bob")  # LEAK: never awaited


@buggy()
async def a_coroutine_in_cycle(event: Any, context: Any) -> None:
    box: dict[str, Any] = {}
    box["self"] = box
    box["job"] = send_email()  # LEAK: never awaited


@buggy()
async def a_coroutine_still_referenced(event: Any, context: Any) -> None:
    KEPT.append(send_email())  # LEAK: never awaited


@buggy()
async def a_coroutine_from_helper(event: Any, context: Any) -> None:
    KEPT.append(make_coroutine())


@buggy()
async def a_create_task_forgotten(event: Any, context: Any) -> None:
    asyncio.create_task(slow())  # LEAK: pending task


@buggy()
async def a_ensure_future_forgotten(event: Any, context: Any) -> None:
    asyncio.ensure_future(slow())  # LEAK: pending task


@buggy()
async def a_loop_create_task_forgotten(event: Any, context: Any) -> None:
    asyncio.get_running_loop().create_task(slow())  # LEAK: pending task


@buggy()
async def a_gather_not_awaited(event: Any, context: Any) -> None:
    asyncio.gather(slow(), slow())  # LEAK: pending task x2


@buggy()
async def a_await_one_of_two(event: Any, context: Any) -> None:
    first = asyncio.create_task(send_email())
    second = asyncio.create_task(slow())  # LEAK: pending task
    await first
    del second


@buggy()
async def a_wait_first_completed(event: Any, context: Any) -> None:
    fast = asyncio.create_task(send_email())
    lagging = asyncio.create_task(slow())  # LEAK: pending task
    await asyncio.wait([fast, lagging], return_when=asyncio.FIRST_COMPLETED)


@buggy()
async def a_wait_for_shield_times_out(event: Any, context: Any) -> None:
    job = asyncio.create_task(slow())  # LEAK: pending task
    try:
        await asyncio.wait_for(asyncio.shield(job), 0.01)
    except asyncio.TimeoutError:
        pass


@buggy()
async def a_run_in_executor_not_awaited(event: Any, context: Any) -> None:
    asyncio.get_running_loop().run_in_executor(None, blocking_job)  # LEAK: running job


@buggy()
async def a_thread_not_joined(event: Any, context: Any) -> None:
    threading.Thread(target=blocking_job).start()  # LEAK: alive thread


@buggy()
async def a_call_later_left_scheduled(event: Any, context: Any) -> None:
    asyncio.get_running_loop().call_later(5, record_metric, "sent")  # LEAK: pending callback


# ===== buggy: sync handlers, the way AWS calls them ==================================
@buggy()
def s_asyncio_run_coroutine_not_awaited(event: Any, context: Any) -> None:
    async def main() -> None:
        send_email()  # LEAK: never awaited

    asyncio.run(main())


@buggy()
def s_asyncio_run_drops_task(event: Any, context: Any) -> None:
    async def main() -> None:
        asyncio.create_task(send_email())  # LEAK: dropped task

    asyncio.run(main())


@buggy()
def s_asyncio_run_drops_gather(event: Any, context: Any) -> None:
    async def main() -> None:
        asyncio.gather(send_email("a"), send_email("b"))  # LEAK: dropped task x2

    asyncio.run(main())


@buggy(since=(3, 12))
def s_eager_factory_drops_task(event: Any, context: Any) -> None:
    async def main() -> None:
        asyncio.get_running_loop().set_task_factory(asyncio.eager_task_factory)  # type: ignore[attr-defined]
        asyncio.create_task(slow())  # LEAK: dropped task

    asyncio.run(main())


@buggy()
def s_own_loop_left_pending(event: Any, context: Any) -> None:
    loop = asyncio.new_event_loop()
    try:
        loop.create_task(slow())  # LEAK: pending task
        loop.run_until_complete(asyncio.sleep(0))
    finally:
        loop.close()


@buggy(until=(3, 14))
def s_legacy_get_event_loop_left_pending(event: Any, context: Any) -> None:
    # The pre-3.14 Lambda idiom: the main thread's implicit loop, reused across invocations.
    loop = asyncio.get_event_loop()
    loop.create_task(slow())  # LEAK: pending task
    loop.run_until_complete(send_email())


@buggy()
def s_returns_coroutine(event: Any, context: Any) -> Any:
    return send_email()  # LEAK: returned awaitable


@buggy()
def s_returns_coroutine_in_body(event: Any, context: Any) -> Any:
    return {"statusCode": 200, "body": [send_email()]}  # LEAK: returned awaitable


@buggy()
def s_returns_future(event: Any, context: Any) -> Any:
    return {"job": POOL.submit(quick_job)}  # LEAK: returned awaitable


@buggy()
def s_thread_not_joined(event: Any, context: Any) -> None:
    worker = threading.Thread(target=blocking_job, name="metrics-flush")
    worker.start()  # LEAK: alive thread


@buggy()
def s_timer_left_running(event: Any, context: Any) -> None:
    threading.Timer(5.0, quick_job).start()  # LEAK: alive thread


@buggy()
def s_executor_submit_not_waited(event: Any, context: Any) -> None:
    POOL.submit(blocking_job)  # LEAK: running job


@buggy()
def s_executor_shutdown_nowait(event: Any, context: Any) -> None:
    pool = ThreadPoolExecutor(max_workers=1)
    pool.submit(blocking_job)  # LEAK: running job
    pool.shutdown(wait=False)


@buggy()
def s_asyncio_run_drops_call_later(event: Any, context: Any) -> None:
    async def main() -> None:
        asyncio.get_running_loop().call_later(0.5, record_metric, "sent")  # LEAK: dropped callback

    asyncio.run(main())


@buggy()
def s_asyncio_run_drops_call_at(event: Any, context: Any) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.call_at(loop.time() + 60, record_metric, "flushed")  # LEAK: dropped callback
        await send_email()

    asyncio.run(main())


@buggy()
def s_own_loop_closed_with_callback(event: Any, context: Any) -> None:
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(send_email())
        loop.call_soon(record_metric, "sent")  # LEAK: dropped callback
    finally:
        loop.close()


@buggy()
def s_import_time_listener_busy(event: Any, context: Any) -> None:
    # Returns while the library's listener thread is still in AuditTrailHandler.emit.
    EMITTING.clear()
    audit.info("order %s", event.get("order"))
    EMITTING.wait(2)  # the listener has picked the record up (as it soon does on AWS)


# ===== correct handlers: never flagged ================================================
@correct()
async def ok_all_awaited(event: Any, context: Any) -> dict[str, str]:
    return {"result": await send_email(event.get("to", "alice"))}


@correct()
async def ok_gather_awaited(event: Any, context: Any) -> None:
    await asyncio.gather(send_email("a"), send_email("b"))


@correct(since=(3, 11))
async def ok_task_group(event: Any, context: Any) -> None:
    async with asyncio.TaskGroup() as tg:  # type: ignore[attr-defined]
        tg.create_task(send_email("a"))
        tg.create_task(send_email("b"))


@correct()
async def ok_task_awaited_later(event: Any, context: Any) -> None:
    task = asyncio.create_task(send_email())
    await asyncio.sleep(0)
    await task


@correct()
async def ok_wait_for_timeout(event: Any, context: Any) -> None:
    try:
        await asyncio.wait_for(slow(), 0.01)
    except asyncio.TimeoutError:
        log.info("timed out, as planned")


@correct(since=(3, 11))
async def ok_timeout_block(event: Any, context: Any) -> None:
    try:
        async with asyncio.timeout(0.01):  # type: ignore[attr-defined]
            await slow()
    except TimeoutError:
        pass


@correct()
async def ok_cancel_then_await(event: Any, context: Any) -> None:
    task = asyncio.create_task(slow())
    await asyncio.sleep(0)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass


@correct()
async def ok_wait_first_completed_then_cancel(event: Any, context: Any) -> None:
    fast = asyncio.create_task(send_email())
    lagging = asyncio.create_task(slow())
    _, pending = await asyncio.wait([fast, lagging], return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


@correct()
async def ok_to_thread(event: Any, context: Any) -> str:
    return await asyncio.to_thread(quick_job)


@correct()
async def ok_run_in_executor_awaited(event: Any, context: Any) -> str:
    return await asyncio.get_running_loop().run_in_executor(None, quick_job)


@correct()
async def ok_queue_workers(event: Any, context: Any) -> None:
    # The asyncio docs' queue pattern: cancel the workers once the queue is drained.
    q: asyncio.Queue[int] = asyncio.Queue()
    for i in range(5):
        q.put_nowait(i)

    async def worker() -> None:
        while True:
            await q.get()
            q.task_done()

    workers = [asyncio.create_task(worker()) for _ in range(2)]
    await q.join()
    for w in workers:
        w.cancel()
    await asyncio.gather(*workers, return_exceptions=True)


@correct()
def ok_sync_asyncio_run(event: Any, context: Any) -> dict[str, int]:
    async def main() -> int:
        results = await asyncio.gather(send_email("a"), send_email("b"))
        task = asyncio.create_task(send_email("c"))
        await task
        return len(results)

    return {"sent": asyncio.run(main())}


@correct()
def ok_sync_thread_joined(event: Any, context: Any) -> None:
    worker = threading.Thread(target=quick_job)
    worker.start()
    worker.join()


@correct()
def ok_sync_timer_cancelled(event: Any, context: Any) -> None:
    timer = threading.Timer(5.0, quick_job)
    timer.start()
    timer.cancel()


@correct()
def ok_sync_with_executor(event: Any, context: Any) -> list[str]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(quick_job) for _ in range(3)]
    return [f.result() for f in futures]


@correct()
def ok_sync_module_executor_result(event: Any, context: Any) -> str:
    return POOL.submit(quick_job).result()


@correct()
def ok_sync_own_loop(event: Any, context: Any) -> None:
    async def main() -> None:
        await asyncio.gather(send_email("a"), send_email("b"))

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(main())
    finally:
        loop.close()


@correct(until=(3, 14))
def ok_sync_legacy_get_event_loop(event: Any, context: Any) -> str:
    loop = asyncio.get_event_loop()
    return loop.run_until_complete(send_email())


@correct()
def ok_sync_logging(event: Any, context: Any) -> dict[str, Any]:
    log.info("processing %s", event)
    log.warning("still processing")
    return {"ok": True}


@correct()
def ok_sync_run_in_executor_inside_asyncio_run(event: Any, context: Any) -> None:
    # asyncio.run waits for the default executor's jobs when it shuts down.
    async def main() -> None:
        await asyncio.get_running_loop().run_in_executor(None, quick_job)

    asyncio.run(main())


@correct(since=(3, 12))
def ok_sync_eager_factory_awaited(event: Any, context: Any) -> None:
    async def main() -> None:
        asyncio.get_running_loop().set_task_factory(asyncio.eager_task_factory)  # type: ignore[attr-defined]
        await asyncio.create_task(send_email())
        await asyncio.gather(send_email("a"), slow(0.001))

    asyncio.run(main())


@correct()
def ok_sync_uses_import_time_work(event: Any, context: Any) -> bool:
    return IMPORT_THREAD.is_alive()


@correct()
async def ok_call_soon_ran(event: Any, context: Any) -> None:
    asyncio.get_running_loop().call_soon(record_metric, "sent")
    await asyncio.sleep(0)


@correct()
def ok_sync_call_later_ran(event: Any, context: Any) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        loop.call_later(0.01, record_metric, "sent")
        loop.call_at(loop.time() + 0.02, done.set_result, None)
        await done

    asyncio.run(main())


@correct()
def ok_sync_call_later_cancelled(event: Any, context: Any) -> None:
    async def main() -> None:
        reminder = asyncio.get_running_loop().call_later(5, record_metric, "late")
        await send_email()
        reminder.cancel()

    asyncio.run(main())


@correct()
def ok_sync_timeout_guard_on_done_future(event: Any, context: Any) -> str:
    async def main() -> str:
        loop = asyncio.get_running_loop()
        reply: asyncio.Future[str] = loop.create_future()
        loop.call_later(5, reply.cancel)  # a timeout guard, moot once the reply is in
        loop.call_soon(reply.set_result, "pong")
        return await reply

    return asyncio.run(main())


@correct()
def ok_sync_import_time_listener_queue_joined(event: Any, context: Any) -> None:
    audit.info("order %s", event.get("order"))
    AUDIT_QUEUE.join()  # every record shipped: the listener is idle again


@correct()
def ok_sync_listener_stopped(event: Any, context: Any) -> None:
    records: queue.Queue[logging.LogRecord] = queue.Queue()
    listener = logging.handlers.QueueListener(records, AuditTrailHandler())
    listener.start()
    logging.handlers.QueueHandler(records).handle(logging.makeLogRecord({"msg": f"order {event.get('order')}"}))
    listener.stop()  # ships what is queued, then joins the thread


# -- library-owned work (a stdlib QueueListener): ignored unless strict, or busy in user code ------
_listener: list[logging.handlers.QueueListener] = []


def lib_queue_listener(event: Any, context: Any) -> None:
    listener = logging.handlers.QueueListener(queue.SimpleQueue(), logging.NullHandler())  # type: ignore[arg-type]
    _listener.append(listener)
    listener.start()  # LEAK: alive thread


def lib_queue_listener_busy(event: Any, context: Any) -> None:
    # The library starts the thread; at return it is running the user's AuditTrailHandler.emit.
    records: queue.Queue[logging.LogRecord] = queue.Queue()
    listener = logging.handlers.QueueListener(records, AuditTrailHandler())
    _listener.append(listener)
    listener.start()
    EMITTING.clear()
    logging.handlers.QueueHandler(records).handle(logging.makeLogRecord({"msg": "audit"}))
    EMITTING.wait(2)


def stop_listeners() -> None:
    while _listener:
        _listener.pop().stop()
    AUDIT_QUEUE.join()  # the import-time listener idle again (with STOP set, emit returns at once)


# ===== idempotency: buggy handlers and their fixed twins (credits on moto DynamoDB) ==========
# Each pair credits an account once per payment event (EventBridge-shaped), keeping a record of
# the payments it applied.  The buggy one is broken by exactly one kind of delivery history;
# its twin passes them all.  State: the balances only (records may hold expiry times).
PAYMENT_TABLES = ("accounts", "ledger")
_CLIENTS: dict[str, Any] = {}


def ddb() -> Any:
    """The DynamoDB client of the current moto mock (made on first use: see reset_clients)."""
    client = _CLIENTS.get("dynamodb")
    if client is None:
        import boto3

        client = _CLIENTS["dynamodb"] = boto3.client("dynamodb", region_name="us-east-1")
    return client


def reset_clients() -> None:
    _CLIENTS.clear()


def make_payment_tables() -> None:
    for table in PAYMENT_TABLES:
        ddb().create_table(TableName=table, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                           AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                           BillingMode="PAY_PER_REQUEST")


def balances() -> dict[str, int]:
    items = ddb().scan(TableName="accounts")["Items"]
    return {item["id"]["S"]: int(item["balance"]["N"]) for item in items}


def clear_payment_tables() -> None:
    for table in PAYMENT_TABLES:
        for item in ddb().scan(TableName=table)["Items"]:
            ddb().delete_item(TableName=table, Key={"id": item["id"]})


def payment_event(n: int, amount: int) -> dict[str, Any]:
    return {"version": "0", "id": f"evt-{n}", "detail-type": "PaymentReceived", "source": "shop.payments",
            "account": "123456789012", "time": "2026-03-01T12:00:00Z", "region": "us-east-1", "resources": [],
            "detail": {"account": f"acct-{n % 3}", "amount": amount}}


def _credit(event: dict[str, Any]) -> dict[str, Any]:
    detail = event["detail"]
    return {"Update": {"TableName": "accounts", "Key": {"id": {"S": detail["account"]}},
                       "UpdateExpression": "ADD balance :amount",
                       "ExpressionAttributeValues": {":amount": {"N": str(detail["amount"])}}}}


def _credit_once(event: dict[str, Any], key: str, *, expires: float | None = None) -> None:
    """The credit and its record in one transaction, the record conditional on not being there
    (or, with ``expires``, on having expired): atomic, so retries and failures are covered."""
    import time

    now = time.time()
    record: dict[str, Any] = {"id": {"S": key}}
    condition = "attribute_not_exists(id)"
    values: dict[str, Any] = {}
    if expires is not None:
        record["expires"] = {"N": str(int(now + expires))}
        condition += " OR expires < :now"
        values = {":now": {"N": str(int(now))}}
    put: dict[str, Any] = {"TableName": "ledger", "Item": record, "ConditionExpression": condition}
    if values:
        put["ExpressionAttributeValues"] = values
    try:
        ddb().transact_write_items(TransactItems=[_credit(event), {"Put": put}])
    except ddb().exceptions.TransactionCanceledException:
        pass  # applied before


# 1. Source-level duplicates carry a new request id.
def pay_dedup_on_request_id(event: dict[str, Any], context: Any) -> None:
    _credit_once(event, context.aws_request_id)  # a redelivery from the source has a new one


def pay_dedup_on_event_id(event: dict[str, Any], context: Any) -> None:
    _credit_once(event, event["id"])  # EventBridge keeps the event's id when it sends it again


# 2. Two environments at once: a check, then an unconditional write.
def pay_get_then_transact(event: dict[str, Any], context: Any) -> None:
    key = {"id": {"S": event["id"]}}
    if "Item" in ddb().get_item(TableName="ledger", Key=key):
        return
    ddb().transact_write_items(TransactItems=[_credit(event), {"Put": {"TableName": "ledger", "Item": key}}])


def pay_get_then_conditional_transact(event: dict[str, Any], context: Any) -> None:
    key = {"id": {"S": event["id"]}}
    if "Item" in ddb().get_item(TableName="ledger", Key=key):
        return
    _credit_once(event, event["id"])  # the record's condition turns the second environment away


# 3. A deduplication record that expires before the event can come again.
def pay_record_expires_after_5_minutes(event: dict[str, Any], context: Any) -> None:
    _credit_once(event, event["id"], expires=300)


def pay_record_outlives_maximum_event_age(event: dict[str, Any], context: Any) -> None:
    _credit_once(event, event["id"], expires=6 * 3600 + 3600)  # MaximumEventAgeInSeconds (6 h) and a margin


# 4. A key taken from the clock instead of the event.
def pay_key_on_current_minute(event: dict[str, Any], context: Any) -> None:
    import datetime as dt

    minute = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M")
    _credit_once(event, f"{event['id']}#{minute}")


def pay_key_on_current_hour(event: dict[str, Any], context: Any) -> None:
    import datetime as dt

    hour = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H")  # an hourly partition
    _credit_once(event, f"{event['id']}#{hour}")


def pay_key_on_current_day(event: dict[str, Any], context: Any) -> None:
    import datetime as dt

    _credit_once(event, f"{event['id']}#{dt.date.today().isoformat()}")  # a daily partition


def pay_key_on_event_time(event: dict[str, Any], context: Any) -> None:
    _credit_once(event, f"{event['id']}#{event['time'][:16]}")


# 5. Lambda's own retry, come late: the record guarding retries expires before the retry comes.
def _paid(event: dict[str, Any]) -> dict[str, Any]:
    return {"id": {"S": f"paid#{event['id']}"}}


def pay_record_expires_before_a_late_retry(event: dict[str, Any], context: Any) -> None:
    if "Item" in ddb().get_item(TableName="ledger", Key=_paid(event)):  # [0] a redelivery stops here
        return
    _credit_once(event, event["id"], expires=3600)  # [1] Powertools' default expiry: 1 h
    ddb().put_item(TableName="ledger", Item=_paid(event))  # [2] fails: Lambda retries, throttled for hours


def pay_record_outlives_a_late_retry(event: dict[str, Any], context: Any) -> None:
    if "Item" in ddb().get_item(TableName="ledger", Key=_paid(event)):
        return
    _credit_once(event, event["id"], expires=6 * 3600 + 3600)  # MaximumEventAgeInSeconds (6 h) and a margin
    ddb().put_item(TableName="ledger", Item=_paid(event))


@dataclass(frozen=True)
class IdempotencyPair:
    """A buggy handler, its fixed twin, what the report says broke the buggy one, and check options."""

    buggy: Callable[..., Any]
    fixed: Callable[..., Any]
    finds: str
    options: tuple[tuple[str, Any], ...] = ()


IDEMPOTENCY_PAIRS = [
    IdempotencyPair(pay_dedup_on_request_id, pay_dedup_on_event_id,
                    "a duplicate from EventBridge with a new request id, 2 s later"),
    IdempotencyPair(pay_get_then_transact, pay_get_then_conditional_transact,
                    "two environments at once, the second between the first's GetItem and TransactWriteItems"),
    IdempotencyPair(pay_record_expires_after_5_minutes, pay_record_outlives_maximum_event_age,
                    "a duplicate from EventBridge with a new request id, 5 min 1 s later"),
    IdempotencyPair(pay_key_on_current_minute, pay_key_on_event_time,
                    "a duplicate from EventBridge with a new request id, 2 s later, starting 1 s before a minute "
                    "boundary", (("max_retry_attempts", 0),)),
    IdempotencyPair(pay_key_on_current_hour, pay_key_on_event_time, "starting 1 s before an hour boundary"),
    IdempotencyPair(pay_key_on_current_day, pay_key_on_event_time, "starting 1 s before a day boundary"),
    IdempotencyPair(pay_record_expires_before_a_late_retry, pay_record_outlives_a_late_retry,
                    # hours late: the shrinker may end a few throttles short of the latest (5 h 59 min 31 s)
                    "then Lambda's retry of the same request, 5 h "),
]
