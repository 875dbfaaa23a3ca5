"""What the event sources share: argument checks, common draws (times, regions, ids) and tumbling windows."""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Callable
from typing import Any, Final, TypeVar

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from . import formats as fmt

Event = dict[str, Any]
T = TypeVar("T")

DEFAULT_MAX_RECORDS: Final = 10

# -- argument checks ---------------------------------------------------------------


def plain_value(value: T, arg: str) -> T:
    """Identifiers are values: refuse a strategy with a hint."""
    if isinstance(value, st.SearchStrategy):
        raise InvalidArgument(
            f"{arg}= takes a plain value, not a strategy (got {value!r}). To vary it, draw it "
            f"first: st.sampled_from([...]).flatmap(lambda v: <strategy>({arg}=v))"
        )
    return value


def payload_strategy(value: object, arg: str, default: st.SearchStrategy[T]) -> st.SearchStrategy[T]:
    """Payloads are strategies (``None`` means ``default``): refuse a plain value with a hint."""
    if value is None:
        return default
    if not isinstance(value, st.SearchStrategy):
        raise InvalidArgument(
            f"{arg}= takes a Hypothesis strategy, not a plain value (got {value!r}). "
            f"To pin it, pass st.just({value!r})"
        )
    return value


def optional_value(value: T | None, arg: str, check: Callable[[object, str], T]) -> T | None:
    plain_value(value, arg)
    return None if value is None else check(value, arg)


def check_max_records(value: object, hi: int) -> int:
    return fmt.check_int(plain_value(value, "max_records"), "max_records", 1, hi)


def refuse_drawn(arg: str, problem: str | None, value: object) -> None:
    """A user's payload strategy drew something AWS would refuse."""
    if problem is not None:
        raise InvalidArgument(f"{arg} drew {value!r}, which AWS would refuse: {problem}")


# -- building blocks ----------------------------------------------------------------
_EPOCH_MIN: Final = _dt.datetime(2020, 1, 1, tzinfo=_dt.timezone.utc)
_EPOCH_SPAN_MS: Final = 16 * 365 * 24 * 3600 * 1000  # to the end of 2035


def _ms_after_epoch(ms: int) -> _dt.datetime:
    return _EPOCH_MIN + _dt.timedelta(milliseconds=ms)


def timestamps() -> st.SearchStrategy[_dt.datetime]:
    """UTC datetimes with millisecond precision, 2020 to 2035; they shrink to
    2020-01-01T00:00:00.000Z.  One integer each, so they shrink in a few steps."""
    return st.integers(0, _EPOCH_SPAN_MS).map(_ms_after_epoch)


def region_strategy(region: str | None) -> st.SearchStrategy[str]:
    return st.just(region) if region is not None else st.sampled_from(fmt.REGIONS)


def account_strategy(account: str | None) -> st.SearchStrategy[str]:
    if account is not None:
        return st.just(account)
    return st.one_of(st.just(fmt.DEFAULT_ACCOUNT),
                     st.integers(0, 10**12 - 1).map(lambda n: f"{n:012d}"))


def name_strategy(pinned: str | None, plain: str, pattern: str,
                   check: Callable[[object, str], str] | None = None) -> st.SearchStrategy[str]:
    """A pinned name, else the plain name first then names matching ``pattern``."""
    if pinned is not None:
        return st.just(pinned)
    generated = st.from_regex(pattern, fullmatch=True)
    if check is not None:
        generated = generated.filter(lambda name: _passes(check, name))
    return st.one_of(st.just(plain), generated)


def _passes(check: Callable[[object, str], str], name: str) -> bool:
    try:
        check(name, "name")
    except InvalidArgument:
        return False
    return True


# One integer per record from which its incidental ids are derived (see fmt.Noise).
noises: Final = st.integers(0, 2**32 - 1).map(fmt.Noise)

printable_chars: Final = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Co", "Cn"))
# Characters SQS and SNS accept in message bodies.
message_chars: Final = st.characters(codec="utf-8", exclude_characters=fmt.XML_EXCLUDED_CHARACTERS)

_json_scalars: Final = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**53), 2**53), st.text(max_size=10),
    st.floats(allow_nan=False, allow_infinity=False),
)
_json_values: Final = st.recursive(
    _json_scalars,
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(st.text(max_size=10), children, max_size=3)),
    max_leaves=6,
)
json_objects: Final = st.dictionaries(st.text(max_size=10), _json_values, max_size=3)


def batch(records: st.SearchStrategy[Event], max_records: int,
          unique_by: Callable[[Event], Any]) -> st.SearchStrategy[list[Event]]:
    return st.lists(records, min_size=1, max_size=max_records, unique_by=unique_by)


# -- tumbling windows (Kinesis and DynamoDB Streams event source mappings) -----------
def window_states(states: object) -> st.SearchStrategy[dict[str, Any]]:
    return payload_strategy(states, "states", json_objects)


def check_tumbling(tumbling_window: object, states: object) -> bool:
    flag = fmt.check_bool(plain_value(tumbling_window, "tumbling_window"), "tumbling_window")
    if states is not None and not flag:
        raise InvalidArgument("states= is the state a tumbling window carries: pass tumbling_window=True with it")
    return flag


@st.composite
def window_fields(draw: st.DrawFn, *, states: st.SearchStrategy[dict[str, Any]], stream_arn: str, shard_id: str,
                  first: float) -> tuple[Event, float, int]:
    """The fields a tumbling-window invocation adds, the window's start (epoch
    seconds) and its length; records are re-timed into the window by the caller."""
    seconds = draw(st.integers(*fmt.TUMBLING_WINDOW_RANGE))
    start = int(first // seconds) * seconds
    state = draw(states)
    if not isinstance(state, dict):
        raise InvalidArgument(f"states drew {state!r}: a window's state is a JSON object (a dict)")
    try:
        size = len(json.dumps(state).encode("utf-8"))
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(f"states drew {state!r}, which is not JSON-serialisable: {exc}") from None
    if size > fmt.TUMBLING_WINDOW_STATE_MAX_BYTES:
        raise InvalidArgument(f"states drew {size} bytes: a window's state is at most "
                              f"{fmt.TUMBLING_WINDOW_STATE_MAX_BYTES} bytes (Lambda ends the window early)")
    final = draw(st.booleans())
    fields: Event = {
        "window": {"start": fmt.iso_seconds(_dt.datetime.fromtimestamp(start, _dt.timezone.utc)),
                   "end": fmt.iso_seconds(_dt.datetime.fromtimestamp(start + seconds, _dt.timezone.utc))},
        "state": state,
        "shardId": shard_id,
        "eventSourceARN": stream_arn,
        "isFinalInvokeForWindow": final,
        # A window ends early when its state outgrows the limit; that invocation is its last.
        "isWindowTerminatedEarly": draw(st.booleans()) if final else False,
    }
    return fields, float(start), seconds


def into_window(times: list[float], start: float, seconds: int, step: float) -> list[float]:
    """Keep the records' order and spacing, moved to start inside the window."""
    base = times[0]
    return [round(start + min(t - base, seconds - step), 3) for t in times]
