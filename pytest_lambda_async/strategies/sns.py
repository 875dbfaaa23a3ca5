"""SNS notifications: :func:`sns_events`."""

from __future__ import annotations

import json
import string
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from . import formats as fmt
from ._common import (
    Event,
    account_strategy,
    message_chars,
    name_strategy,
    noises,
    optional_value,
    payload_strategy,
    refuse_drawn,
    region_strategy,
    timestamps,
)


def sns_events(
    *,
    topic_name: str | None = None,
    region: str | None = None,
    account: str | None = None,
    messages: st.SearchStrategy[str] | None = None,
    subjects: st.SearchStrategy[str | None] | None = None,
    message_attributes: st.SearchStrategy[dict[str, Any]] | None = None,
) -> st.SearchStrategy[Event]:
    """SNS notifications.  SNS invokes Lambda with exactly one record.

    The record carries ``Signature`` (base64 of a 2048-bit signature),
    ``SignatureVersion``, ``SigningCertUrl`` and ``UnsubscribeUrl`` in the
    topic's region, ``Subject`` (``None`` by default, what it shrinks to) and
    ``MessageAttributes`` in SNS's form (``{"name": {"Type": "String",
    "Value": "..."}}``).  Lambda cannot subscribe to FIFO topics, so a
    ``.fifo`` ``topic_name`` is refused.
    """
    topic_name = optional_value(topic_name, "topic_name", fmt.check_topic_name)
    if topic_name is not None and topic_name.endswith(".fifo"):
        raise InvalidArgument(f"topic_name={topic_name!r}: Lambda cannot subscribe to SNS FIFO topics")
    region = optional_value(region, "region", fmt.check_region)
    account = optional_value(account, "account", fmt.check_account)
    message_strategy = payload_strategy(messages, "messages", st.text(message_chars, min_size=1, max_size=40))
    subject_strategy = payload_strategy(subjects, "subjects", st.one_of(
        st.none(), st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=40)
        .filter(lambda s: s[0].isalnum() or s[0] in string.punctuation)))
    attrs = payload_strategy(message_attributes, "message_attributes", _sns_message_attributes())
    return _sns_events(
        topic_names=name_strategy(topic_name, "example-topic", r"[A-Za-z0-9_-]{1,40}"),
        regions=region_strategy(region), accounts=account_strategy(account), messages=message_strategy,
        subjects=subject_strategy, message_attributes=attrs,
    )


def _sns_message_attributes() -> st.SearchStrategy[dict[str, Any]]:
    value = st.one_of(
        st.builds(lambda v: {"Type": "String", "Value": v}, st.text(message_chars, min_size=1, max_size=10)),
        st.builds(lambda v: {"Type": "Number", "Value": str(v)}, st.integers(-(10**9), 10**9)),
        st.builds(lambda v: {"Type": "Binary", "Value": fmt.b64(v)}, st.binary(min_size=1, max_size=10)),
        st.builds(lambda v: {"Type": "String.Array", "Value": json.dumps(v)},
                  st.lists(st.text(max_size=5), max_size=3)),
    )
    names = st.from_regex(r"[A-Za-z0-9_-]{1,16}", fullmatch=True).filter(
        lambda s: not s.lower().startswith(("aws.", "amazon.")))
    return st.dictionaries(names, value, max_size=3)


@st.composite
def _sns_events(draw: st.DrawFn, *, topic_names: st.SearchStrategy[str], regions: st.SearchStrategy[str],
                accounts: st.SearchStrategy[str], messages: st.SearchStrategy[str],
                subjects: st.SearchStrategy[str | None],
                message_attributes: st.SearchStrategy[dict[str, Any]]) -> Event:
    topic = draw(topic_names)
    region = draw(regions)
    account = draw(accounts)
    message = draw(messages)
    refuse_drawn("messages", fmt.sns_message_problem(message), message)
    subject = draw(subjects)
    if subject is not None and (not isinstance(subject, str) or not 1 <= len(subject) < 100
                                or not subject.isascii() or "\n" in subject):
        raise InvalidArgument(f"subjects drew {subject!r}: an SNS subject is None or 1 to 99 ASCII "
                              "characters on one line")
    attrs = draw(message_attributes)
    refuse_drawn("message_attributes", fmt.sns_message_attributes_problem(attrs), attrs)
    when = draw(timestamps())
    noise = draw(noises)
    subscription = fmt.sns_subscription_arn(region, account, topic, noise.uuid4("subscription"))
    return {"Records": [{
        "EventVersion": "1.0",
        "EventSubscriptionArn": subscription,
        "EventSource": "aws:sns",
        "Sns": {
            "SignatureVersion": draw(st.sampled_from(["1", "2"])),
            "Timestamp": fmt.iso_millis(when),
            "Signature": fmt.b64(noise.raw("signature", 256)),
            "SigningCertUrl": fmt.sns_signing_cert_url(region, noise.hex("certificate", 16)),
            "MessageId": noise.uuid4("message"),
            "Message": message,
            "MessageAttributes": attrs,
            "Type": "Notification",
            "UnsubscribeUrl": fmt.sns_unsubscribe_url(region, subscription),
            "TopicArn": fmt.sns_topic_arn(region, account, topic),
            "Subject": subject,
        },
    }]}
