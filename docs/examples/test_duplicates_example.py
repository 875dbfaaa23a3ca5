"""At-least-once delivery sends the welcome email twice.

Async events can arrive twice even when nothing failed (Q-2). The buggy
handler sends on every delivery; the fix remembers what it sent, keyed on the
request id that every duplicate keeps (RET-6).
"""

import pytest

OUTBOX: list[str] = []
SENT_FOR: set[str] = set()


def send_welcome(event, context):  # buggy
    OUTBOX.append(event["email"])


def send_welcome_once(event, context):  # fixed
    key = context.aws_request_id  # in production: a conditional put in DynamoDB
    if key not in SENT_FOR:
        SENT_FOR.add(key)
        OUTBOX.append(event["email"])


@pytest.fixture(autouse=True)
def fresh_state():
    OUTBOX.clear(), SENT_FOR.clear()


@pytest.mark.parametrize("handler", [
    pytest.param(send_welcome, marks=pytest.mark.xfail(strict=True, reason="a duplicate delivery emails twice")),
    send_welcome_once,
])
def test_a_duplicate_delivery_sends_one_email(lambda_invoker, handler):
    lambda_invoker.register("welcome", handler)
    lambda_invoker.invoke("welcome", {"email": "ada@example.com"}, invocation_type="Event", duplicates=1)
    attempts = lambda_invoker.run()
    assert [a.duplicate for a in attempts] == [False, True]
    assert OUTBOX == ["ada@example.com"]


@pytest.mark.lambda_async(duplicate_rate=0.3, seed=4)
@pytest.mark.parametrize("handler", [
    pytest.param(send_welcome, marks=pytest.mark.xfail(strict=True, reason="random duplicates email twice")),
    send_welcome_once,
])
def test_many_signups_under_random_duplicates(lambda_invoker, handler):
    lambda_invoker.register("welcome", handler)
    emails = [f"user{i}@example.com" for i in range(20)]
    for email in emails:
        lambda_invoker.invoke("welcome", {"email": email}, invocation_type="Event")
    lambda_invoker.run()
    assert sorted(OUTBOX) == sorted(emails)
