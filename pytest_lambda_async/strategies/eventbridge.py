"""EventBridge events as a rule's Lambda target receives them: :func:`eventbridge_events`."""

from __future__ import annotations

import json
from typing import Any, Final

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from . import formats as fmt
from ._common import (
    Event,
    account_strategy,
    json_objects,
    noises,
    optional_value,
    payload_strategy,
    region_strategy,
    timestamps,
)

_SOURCES: Final = ("com.example.orders", "aws.ec2", "aws.s3", "com.example.users")
_DETAIL_TYPES: Final = ("Order Placed", "EC2 Instance State-change Notification", "Object Created",
                        "User Signed Up")


def eventbridge_events(
    *,
    source: str | None = None,
    detail_type: str | None = None,
    detail: st.SearchStrategy[dict[str, Any]] | None = None,
    resources: st.SearchStrategy[list[str]] | None = None,
    region: str | None = None,
    account: str | None = None,
) -> st.SearchStrategy[Event]:
    """EventBridge events as a rule's Lambda target receives them.

    ``detail`` draws the ``detail`` object (JSON-serialisable dicts; an empty
    dict by default when shrunk); ``resources`` draws the list of ARNs (empty
    when shrunk).  ``time`` has whole seconds (``2017-12-22T18:43:48Z``).
    """
    source = optional_value(source, "source",
                            lambda v, a: fmt.check_text(v, a, min_size=1, max_size=256, what="an event source"))
    detail_type = optional_value(detail_type, "detail_type",
                                 lambda v, a: fmt.check_text(v, a, min_size=1, max_size=128, what="a detail-type"))
    region = optional_value(region, "region", fmt.check_region)
    account = optional_value(account, "account", fmt.check_account)
    detail_strategy = payload_strategy(detail, "detail", json_objects)
    resource_strategy = None if resources is None else payload_strategy(resources, "resources", st.nothing())
    return _eventbridge_events(
        sources=st.just(source) if source else st.sampled_from(_SOURCES),
        detail_types=st.just(detail_type) if detail_type else st.sampled_from(_DETAIL_TYPES),
        details=detail_strategy, resources=resource_strategy,
        regions=region_strategy(region), accounts=account_strategy(account),
    )


@st.composite
def _eventbridge_events(draw: st.DrawFn, *, sources: st.SearchStrategy[str],
                        detail_types: st.SearchStrategy[str], details: st.SearchStrategy[dict[str, Any]],
                        resources: st.SearchStrategy[list[str]] | None, regions: st.SearchStrategy[str],
                        accounts: st.SearchStrategy[str]) -> Event:
    region = draw(regions)
    account = draw(accounts)
    noise = draw(noises)
    if resources is None:
        resources = st.lists(st.integers(0, 2**32 - 1).map(
            lambda i: fmt.arn("ec2", region, account, f"instance/i-{i:017x}")), max_size=2)
    arns = draw(resources)
    if not isinstance(arns, list) or not all(isinstance(a, str) for a in arns):
        raise InvalidArgument(f"resources drew {arns!r}: expected a list of ARN strings")
    body = draw(details)
    if not isinstance(body, dict):
        raise InvalidArgument(f"detail drew {body!r}: EventBridge's detail is a JSON object (a dict)")
    try:
        size = len(json.dumps(body).encode("utf-8"))
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(f"detail drew {body!r}, which is not JSON-serialisable: {exc}") from None
    if size > fmt.EVENTBRIDGE_ENTRY_MAX_BYTES:
        raise InvalidArgument(f"detail drew {size} bytes: an event is at most {fmt.EVENTBRIDGE_ENTRY_MAX_BYTES}")
    return {
        "version": "0",
        "id": noise.uuid4("id"),
        "detail-type": draw(detail_types),
        "source": draw(sources),
        "account": account,
        "time": fmt.iso_seconds(draw(timestamps())),
        "region": region,
        "resources": arns,
        "detail": body,
    }
