"""The default ``state`` of the idempotency checks: what a handler could change in moto.

Read straight from moto's backends (no SDK calls, so no side effects such as
SQS visibility timeouts, and none of the checker's own calls are counted as
the handler's).  The snapshot keeps what a duplicate would change and leaves
out what legitimately differs between two runs: message ids, receipt
handles, sent/modified timestamps, ETags and version ids.

- DynamoDB: every item of every table (attribute values as DynamoDB JSON);
- S3: every object's key and body, per bucket;
- SQS: the bodies (and message group ids) of messages in each queue, sorted;
- SNS: each topic's published messages (message, subject), in order.

Under ``"sent"``, what the run sent that moto keeps no readable record of
(kept by the SDK hooks of ``_faults`` while the run plays; each list sorted):

- ``sent["events"][bus]``: the ``PutEvents`` entries EventBridge accepted
  (``Source``, ``DetailType``, ``Detail`` decoded, ``Resources``; not the
  ``Time`` or trace header, nor the ``EventId`` the service assigns);
- ``sent["lambda"][function]``: the decoded payloads of ``Event`` invocations
  (answered by a routed :class:`LambdaInvoker`, or by moto's Lambda);
- ``sent["destinations"][target]``: records the checker's own invoker
  delivered, without their timestamps and request ids.

``reset`` puts each of those back as it was when the check started: DynamoDB
tables found by region, account and name (moto replaces a table object with a
copy when it rolls back a cancelled ``TransactWriteItems``), re-created if the
run deleted them and dropped if the run created them; S3 objects the run
deleted or overwrote put back.  A table whose items the last snapshot found as
they were when the check started is left as it is (not copied back).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .moto import moto_active

if TYPE_CHECKING:
    from .faults import SentLog


def default_state() -> MotoState:
    if not moto_active():
        raise TypeError(
            "state= is required outside moto: pass a function returning a ==-comparable snapshot of what "
            "the handler changes (and reset= to restore the starting point). Inside `moto.mock_aws()` it "
            "defaults to a snapshot of DynamoDB, S3, SQS and SNS, plus what the handler sent "
            "(EventBridge entries, Event invocations).")
    return MotoState()


def _regional(module: str, name: str) -> Iterator[Any]:
    import importlib

    backends = getattr(importlib.import_module(module), name)
    for regions in list(backends.values()):
        yield from list(regions.values())


class MotoState:
    """Snapshot and restore of moto's DynamoDB, S3, SQS and SNS data."""

    def __init__(self) -> None:
        # DynamoDB tables by (backend, name), i.e. by ARN, not by object: moto swaps a table
        # object for a copy when a TransactWriteItems is cancelled (its rollback), so a kept
        # reference would be reset while the table moto serves kept the run's writes.
        self._tables = [(backend, name, copy.deepcopy(table), copy.deepcopy(table.items))
                        for backend in _regional("moto.dynamodb.models", "dynamodb_backends")
                        for name, table in list(backend.tables.items())]
        # Each table's items as the check found them, as the snapshot writes them; and, per table
        # the last snapshot read, whether it still held just those: reset() then leaves it as it is
        # (a copy of every item per run was most of a check's cost with a large table loaded).
        self._found = {(id(backend), name): _items_text(template) for backend, name, template, _ in self._tables}
        self._unchanged: dict[tuple[int, str], Any] = {(id(backend), name): backend.tables[name]
                                                        for backend, name, _, _ in self._tables}
        self._objects = {id(b): (b, self._saved_objects(b)) for b in self._each_bucket()}
        self._queues = {id(q): (q, list(q._messages)) for q in self._each_queue()}
        self._topics = {id(t): (t, list(t.sent_notifications)) for t in self._each_topic()}

    # -- what exists
    @staticmethod
    def _each_bucket() -> Iterator[Any]:
        for backend in _regional("moto.s3.models", "s3_backends"):
            yield from list(backend.buckets.values())

    @staticmethod
    def _each_queue() -> Iterator[Any]:
        for backend in _regional("moto.sqs.models", "sqs_backends"):
            yield from list(backend.queues.values())

    @staticmethod
    def _each_topic() -> Iterator[Any]:
        for backend in _regional("moto.sns.models", "sns_backends"):
            yield from list(backend.topics.values())

    @staticmethod
    def _bucket_objects(bucket: Any) -> dict[str, bytes]:
        return {name: bucket.keys[name].value for name in list(bucket.keys.keys())}

    @staticmethod
    def _saved_objects(bucket: Any) -> dict[str, tuple[Any, bytes, Any]]:
        """Per key: the object moto holds, its body, and a spare copy to put back if it is deleted."""
        saved = {}
        for name in list(bucket.keys.keys()):
            key = bucket.keys[name]
            saved[name] = (key, key.value, copy.deepcopy(key))  # FakeKey copies itself (its pickle support)
        return saved

    # -- the snapshot
    def snapshot(self, invoker: Any = None, sent: SentLog | None = None) -> dict[str, Any]:
        state: dict[str, Any] = {}
        tables: dict[str, list[str]] = {}
        self._unchanged.clear()
        for backend in _regional("moto.dynamodb.models", "dynamodb_backends"):
            for name, table in list(backend.tables.items()):
                tables[name] = items = _items_text(table)
                if items == self._found.get((id(backend), name)):
                    self._unchanged[(id(backend), name)] = table  # this very table object, as found
        if tables:
            state["dynamodb"] = {name: [json.loads(i) for i in items] for name, items in tables.items()}
        buckets = {b.name: self._bucket_objects(b) for b in self._each_bucket()}
        if buckets:
            state["s3"] = buckets
        queues = {q.name: sorted(((m.body, getattr(m, "group_id", None) or "") for m in q._messages))
                  for q in self._each_queue()}
        if queues:
            state["sqs"] = {name: [body if not group else {"body": body, "group": group} for body, group in msgs]
                            for name, msgs in queues.items()}
        topics = {t.name: [n[1] if not n[2] else {"message": n[1], "subject": n[2]} for n in t.sent_notifications]
                  for t in self._each_topic()}
        if topics:
            state["sns"] = topics
        messages = sent_state(sent, invoker)
        if messages:
            state["sent"] = messages
        return state

    def reset(self, invoker: Any = None) -> None:
        known: set[tuple[int, str]] = set()
        unchanged, self._unchanged = self._unchanged, {}
        for backend, name, template, items in self._tables:
            known.add((id(backend), name))
            table = backend.tables.get(name)
            if table is None:  # deleted by the run: re-created as it was
                table = backend.tables[name] = copy.deepcopy(template)
            elif unchanged.get((id(backend), name)) is table:
                continue  # the snapshot after the last run found its items as they were: nothing to put back
            table.items = copy.deepcopy(items)
        for backend in _regional("moto.dynamodb.models", "dynamodb_backends"):
            for name in [n for n in backend.tables if (id(backend), n) not in known]:
                del backend.tables[name]  # created by the run
        for bucket, objects in self._objects.values():
            for name in list(bucket.keys.keys()):
                if name not in objects:
                    bucket.keys.pop(name)
            for name, (key, body, spare) in objects.items():
                current = bucket.keys.get(name)
                if current is key:
                    if key.value != body:
                        key.value = body
                    continue
                if current is not None:  # overwritten by the run
                    bucket.keys.pop(name)
                restored = copy.deepcopy(spare)
                bucket.keys[name] = restored
                objects[name] = (restored, body, spare)
        for queue, messages in self._queues.values():
            queue._messages = list(messages)
        for topic, notifications in self._topics.values():
            topic.sent_notifications = list(notifications)
        if invoker is not None:
            invoker.sinks.by_target.clear()


def _items_text(table: Any) -> list[str]:
    """A DynamoDB table's items, each as sorted-key JSON, in sorted order."""
    return sorted(json.dumps(i.to_json()["Attributes"], sort_keys=True) for i in table.all_items())


def _sort_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=repr)


def sent_state(log: SentLog | None, invoker: Any = None) -> dict[str, dict[str, list[Any]]]:
    """What a run sent (module docstring), as ``{kind: {target: sorted bodies}}``."""
    out: dict[str, dict[str, list[Any]]] = {}
    for message in log.sent if log is not None else ():
        out.setdefault(message.kind, {}).setdefault(message.target, []).append(message.body)
    if invoker is not None:
        for target, found in invoker.sinks.by_target.items():
            for delivered in found:
                out.setdefault("destinations", {}).setdefault(target, []).append(_without_service_fields(delivered.body))
    for targets in out.values():
        for bodies in targets.values():
            bodies.sort(key=_sort_key)
    return out


def _without_service_fields(record: Any) -> Any:
    """A destination record without what Lambda assigns per delivery (its timestamp and request id)."""
    if not isinstance(record, dict):
        return record
    record = {k: v for k, v in record.items() if k != "timestamp"}
    context = record.get("requestContext")
    if isinstance(context, dict):
        record["requestContext"] = {k: v for k, v in context.items() if k != "requestId"}
    return record


def forget_sent(log: SentLog) -> None:
    """Take the Event invocations a run queued on a routed invoker back out of its queue and timeline.

    They were sent by a run of the check, not by the test: left queued, a later
    ``run()`` of the test's invoker would deliver hundreds of them."""
    by_invoker: dict[int, tuple[Any, set[str]]] = {}
    for message in log.sent:
        if message.kind == "lambda" and message.invoker is not None and message.request_id:
            by_invoker.setdefault(id(message.invoker), (message.invoker, set()))[1].add(message.request_id)
    for invoker, ids in by_invoker.values():
        invoker.withdraw(ids)
