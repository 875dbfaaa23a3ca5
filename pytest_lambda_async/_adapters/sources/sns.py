"""SNS subscriptions with the ``lambda`` protocol (SRC-2): a publish becomes an ``Event`` invocation.

moto's ``Subscription.publish`` applies the subscription's filter policy (its ``FilterPolicyMatcher``,
for either ``FilterPolicyScope``) and ``MessageStructure="json"``, then hands a ``lambda`` subscription's
message to moto's Lambda.  While an invoker is routed, ``publish`` is wrapped for ``lambda`` subscriptions
only: moto's own matcher and message-structure parsing run as before, and the record AWS sends goes to
the invoker's queue.  Every other protocol is moto's, unchanged.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable
from typing import Any

from ... import _text
from ..._service import aws
from ...errors import LambdaServiceError
from ..botocore import active_invoker
from .hooks import Hook, register

__all__ = ["sns_record", "sns_source"]


def sns_source(topic_arn: str) -> str:
    """How the timeline names the source: ``sns:orders``."""
    return f"sns:{topic_arn.rsplit(':', 1)[-1]}"


def sns_record(*, subscription_arn: str, topic_arn: str, message_id: str, message: str, subject: str | None,
               message_attributes: dict[str, Any] | None, when: str) -> dict[str, Any]:
    """The record SNS sends Lambda (SRC-2).  ``message_attributes`` in SNS's form
    (``{"name": {"Type": ..., "Value": ...}}``, binary values base64), as moto keeps them."""
    region = topic_arn.split(":")[3]
    signature = hashlib.sha256(f"{message_id}\n{message}\n{when}\n{topic_arn}".encode()).digest() * 8
    return {
        "EventVersion": "1.0",
        "EventSubscriptionArn": subscription_arn,
        "EventSource": "aws:sns",
        "Sns": {
            "SignatureVersion": "1",
            "Timestamp": when,
            "Signature": base64.b64encode(signature).decode("ascii"),
            "SigningCertUrl": f"https://sns.{region}.amazonaws.com/SimpleNotificationService-"
                              f"{hashlib.md5(region.encode()).hexdigest()}.pem",
            "MessageId": message_id,
            "Message": message,
            "MessageAttributes": {name: {"Type": value["Type"], "Value": value["Value"]}
                                  for name, value in (message_attributes or {}).items()},
            "Type": "Notification",
            "UnsubscribeUrl": f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn="
                              f"{subscription_arn}",
            "TopicArn": topic_arn,
            "Subject": subject,
        },
    }


def _wrap_publish(original: Callable[..., Any]) -> Callable[..., Any]:
    def publish(self: Any, message: str, message_id: str, subject: str | None = None,
                message_attributes: dict[str, Any] | None = None, group_id: str | None = None,
                deduplication_id: str | None = None, message_structure: str | None = None) -> Any:
        invoker = active_invoker()
        if invoker is None or self.protocol != "lambda":
            return original(self, message, message_id, subject=subject, message_attributes=message_attributes,
                            group_id=group_id, deduplication_id=deduplication_id,
                            message_structure=message_structure)
        matcher = self._filter_policy_matcher  # moto's own filter policy check, as for every protocol
        if matcher is not None and not matcher.matches(message_attributes, message):
            return None
        if message_structure == "json":
            message = self._parse_message_structure(message, self.protocol)
        record = sns_record(subscription_arn=self.arn, topic_arn=self.topic.arn, message_id=message_id,
                            message=message, subject=subject, message_attributes=message_attributes,
                            when=aws.iso_millis(invoker.now))
        source = sns_source(self.topic.arn)
        region = self.endpoint.split(":")[3] or None if self.endpoint.count(":") >= 6 else None
        try:
            invoker.resolve(self.endpoint, None, region)
        except LambdaServiceError as exc:  # SRC-2: SNS retries for hours, then gives up
            invoker.refuse_source_event(self.endpoint, source=source, code=exc.code, message=exc.message,
                                        fate=_text.SNS_DROPS_IT)
            return None
        invoker.accept_source_event(self.endpoint, {"Records": [record]}, source=source, region=region,
                                    trace=os.environ.get(aws.TRACE_ID_ENV))
        return None

    return publish


register([Hook("moto.sns.models", "Subscription", "publish", _wrap_publish)])
