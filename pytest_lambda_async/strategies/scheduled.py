"""EventBridge scheduled-rule events: :func:`scheduled_events`."""

from __future__ import annotations

from hypothesis import strategies as st

from . import formats as fmt
from ._common import Event, account_strategy, name_strategy, noises, optional_value, region_strategy, timestamps


def scheduled_events(
    *,
    rule: str | None = None,
    region: str | None = None,
    account: str | None = None,
) -> st.SearchStrategy[Event]:
    """EventBridge scheduled-rule events: ``source`` ``aws.events``,
    ``detail-type`` ``Scheduled Event``, the rule's ARN as the only resource
    and an empty ``detail``."""
    rule = optional_value(rule, "rule", fmt.check_rule_name)
    region = optional_value(region, "region", fmt.check_region)
    account = optional_value(account, "account", fmt.check_account)
    return _scheduled_events(rules=name_strategy(rule, "example-schedule", r"[A-Za-z0-9_.-]{1,30}"),
                             regions=region_strategy(region), accounts=account_strategy(account))


@st.composite
def _scheduled_events(draw: st.DrawFn, *, rules: st.SearchStrategy[str], regions: st.SearchStrategy[str],
                      accounts: st.SearchStrategy[str]) -> Event:
    region = draw(regions)
    account = draw(accounts)
    when = draw(timestamps()).replace(microsecond=0)
    return {
        "version": "0",
        "id": draw(noises).uuid4("id"),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": fmt.iso_seconds(when),
        "region": region,
        "resources": [fmt.events_rule_arn(region, account, draw(rules))],
        "detail": {},
    }
