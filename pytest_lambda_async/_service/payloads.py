"""Request bodies as the service takes them: the raw body, its JSON check (INV-6, INV-20), the
ClientContext (INV-4) and TenantId (INV-7) checks, and the 202 reply."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from . import aws
from .. import _text
from ..errors import InvalidParameterValueException, InvalidRequestContentException
from .records import InvokeResult, frozen


def accepted(request_id: str) -> InvokeResult:
    """202 for a queued event (INV-11)."""
    return frozen(InvokeResult, {"status_code": 202, "request_id": request_id, "payload": None,
                                  "function_error": None, "executed_version": None, "log_result": None})


def encode_body(payload: Any) -> bytes | str:
    """The raw request body: bytes/str as given, anything else as its JSON text."""
    if isinstance(payload, (bytes, bytearray, memoryview)):
        return bytes(payload)
    if isinstance(payload, str):
        return payload
    if payload is None:
        return b""
    try:
        return _ENCODER.encode(payload)
    except (TypeError, ValueError, RecursionError) as exc:  # NaN/Infinity are not JSON; nor is a cycle
        raise InvalidRequestContentException(_text.payload_not_serialisable(exc)) from None


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


# AWS's parser refuses NaN and Infinity, which Python's json writes and reads by default (INV-20).
_ENCODER = json.JSONEncoder(allow_nan=False)
_DECODER = json.JSONDecoder(parse_constant=_not_json)
# the decoder's own scanner and whitespace matcher, without json.loads's per-call wrapping (check_json)
_SCAN: Any = _DECODER.scan_once  # type: ignore[attr-defined]


_JSON_SPACE: Any = json.decoder.WHITESPACE.match  # type: ignore[attr-defined]


def check_json(body: bytes | str) -> None:
    """INV-20 on the hot path: what ``decode_body`` accepts (an empty body, or JSON: the steps of
    ``json.loads``, inlined), else its error, raised by ``decode_body`` itself."""
    if not body or body.isspace():  # isspace() is True for exactly what strip() empties
        return
    if isinstance(body, bytes):
        first = body[0]
        if not (0 < first < 0x80 and (len(body) == 1 or body[1])):
            decode_body(body)  # a BOM or UTF-16/32 (json.detect_encoding): the general path
            return
        try:
            text = body.decode("utf-8", "surrogatepass")  # what json.detect_encoding picks for it
        except UnicodeDecodeError:
            decode_body(body)
            return
    else:
        text = body
    try:
        end = _SCAN(text, _JSON_SPACE(text, 0).end())[1]  # JSONDecoder.decode's steps
    except (StopIteration, ValueError, RecursionError):
        decode_body(body)
        return
    if _JSON_SPACE(text, end).end() != len(text):  # extra data
        decode_body(body)


def decode_body(body: bytes | str) -> Any:
    if not body.strip():
        return {}  # INV-6: an empty body is accepted; the handler sees {}
    try:  # json.loads's steps, with the decoder that refuses NaN and Infinity
        text = body if isinstance(body, str) else body.decode(json.detect_encoding(body), "surrogatepass")
        return _DECODER.decode(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # RecursionError: nested too deep
        # AWS's own message: the rule and its URL go in a note, not into AWS's text.
        raise _text.rule_note(InvalidRequestContentException(aws.request_body_not_json_message(exc)), "INV-20") from None


def check_client_context(value: str) -> Any:
    """The decoded ClientContext (INV-4), or the service's error."""
    if len(value) > aws.CLIENT_CONTEXT_LIMIT:
        raise InvalidRequestContentException(_text.client_context_too_long(aws.CLIENT_CONTEXT_LIMIT))
    try:  # the limit (3583) is no multiple of 4: unpadded base64 is taken, as AWS's own decoder does
        return json.loads(base64.b64decode(value + "=" * (-len(value) % 4), validate=True))
    except Exception:
        raise InvalidRequestContentException(_text.CLIENT_CONTEXT_NOT_JSON) from None


_TENANT_ID = re.compile(r"[a-zA-Z0-9._:/=+\-@ ]{1,256}")  # the Invoke model's TenantId constraints


def check_tenant_id(value: object) -> None:
    if not isinstance(value, str) or _TENANT_ID.fullmatch(value) is None:
        raise InvalidParameterValueException(_text.tenant_id_invalid(value))

