"""An Invoke request's parameters and body, checked as the Invoke API checks them (INV-2, INV-3,
INV-17, INV-18, INV-20, INV-21), in its order."""

from __future__ import annotations

import random
from typing import Any

from . import aws
from .. import _text
from ..errors import InvalidParameterValueException, RequestEntityTooLargeException
from .delivery import UNSET
from .payloads import decode_body, encode_body

__all__ = ["check_options", "request_body", "request_id"]


def check_options(invocation_type: Any, log_type: Any, duplicates: Any) -> None:
    """InvocationType and LogType as the API takes them; ``duplicates`` (ours) only for ``Event``."""
    if invocation_type not in aws.INVOCATION_TYPES:
        raise InvalidParameterValueException(_text.invocation_type_invalid(invocation_type))
    if log_type not in aws.LOG_TYPES:
        raise InvalidParameterValueException(_text.log_type_invalid(log_type))
    if isinstance(duplicates, bool) or not isinstance(duplicates, int) or duplicates < 0:
        raise ValueError(f"duplicates must be an int >= 0, got {duplicates!r}")
    if duplicates and invocation_type != "Event":
        raise ValueError("duplicates= only applies to invocation_type='Event' (the async queue delivers them)")


def request_body(payload: Any, invocation_type: aws.InvocationType, async_payload_limit: int) -> tuple[bytes | str, Any]:
    """The body as the service keeps it, and a decoded copy for a sync attempt (UNSET: decode when needed).
    Raises for a body over its limit (INV-17, INV-18, INV-21) or a raw body that is not JSON (INV-20)."""
    body = encode_body(payload)
    size = len(body) if isinstance(body, bytes) or body.isascii() else len(body.encode("utf-8"))
    limit = async_payload_limit if invocation_type == "Event" else aws.SYNC_PAYLOAD_LIMIT
    if size > limit:
        msg = (aws.async_payload_too_large_message(size, limit) if invocation_type == "Event"
               else aws.sync_payload_too_large_message(size))
        raise RequestEntityTooLargeException(msg)
    fresh = UNSET  # JSON made by encode_body is valid as made: decoded when an attempt needs it
    if isinstance(payload, (bytes, bytearray, memoryview, str)):
        fresh = decode_body(body)  # a raw body must be JSON (INV-20)
        if invocation_type == "Event":
            fresh = UNSET  # queued: keeping both copies would double a queued event's memory
    return body, fresh


# UUID version 4 and variant bits, over 128 random bits
_UUID4_KEEP = ~(0xF000 << 64) & ~(0xC000 << 48)
_UUID4_SET = (0x4000 << 64) | (0x8000 << 48)


def request_id(rng: random.Random) -> str:
    """A UUID4 request id from ``rng`` (formatted by hand: uuid.UUID is the hot spot here)."""
    n = (rng.getrandbits(128) & _UUID4_KEEP) | _UUID4_SET
    h = n.to_bytes(16, "big").hex()  # f"{n:032x}", faster
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
