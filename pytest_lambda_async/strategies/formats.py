"""Formats of the identifiers, ARNs and timestamps inside AWS event payloads.

One place for every format :mod:`pytest_lambda_async.strategies` writes:
ARNs and their partitions, account ids, regions, request and message ids,
each source's timestamp format, S3 key encoding, DynamoDB JSON, and the name
rules AWS enforces for buckets, queues, topics, tables, streams and rules.

The ``check_*`` functions raise :class:`hypothesis.errors.InvalidArgument` with
the rule that was broken: they validate the pinning arguments of strategies.
Nothing here draws data; the functions are pure.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import ipaddress
import math
import re
import urllib.parse
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

from hypothesis.errors import InvalidArgument

from .._service import aws

DEFAULT_REGION: Final = aws.DEFAULT_REGION
DEFAULT_ACCOUNT: Final = aws.DEFAULT_ACCOUNT

# Regions generated when none is pinned; the plain one first so it shrinks there.
REGIONS: Final = (
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-central-1",
    "eu-north-1", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "sa-east-1",
    "ca-central-1", "cn-north-1", "us-gov-west-1",
)
REGION_RE: Final = re.compile(r"^[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$")
ACCOUNT_RE: Final = re.compile(r"^\d{12}$")

# -- limits of the services (the Lambda ones live in _service/aws.py) ---------
SQS_BATCH_MAX: Final = 10_000  # event source mapping BatchSize, standard queues
SQS_FIFO_BATCH_MAX: Final = 10
SQS_MESSAGE_MAX_BYTES: Final = 1024 * 1024  # 1 MiB since Aug 2025 (256 KiB before)
SNS_MESSAGE_MAX_BYTES: Final = 256 * 1024
KINESIS_BATCH_MAX: Final = 10_000
KINESIS_DATA_MAX_BYTES: Final = 1024 * 1024
DYNAMODB_BATCH_MAX: Final = 10_000
S3_KEY_MAX_BYTES: Final = 1024
EVENTBRIDGE_ENTRY_MAX_BYTES: Final = 256 * 1024
MEMORY_RANGE: Final = (128, 10_240)

STREAM_VIEW_TYPES: Final = ("NEW_AND_OLD_IMAGES", "NEW_IMAGE", "OLD_IMAGE", "KEYS_ONLY")
DYNAMODB_EVENT_NAMES: Final = ("INSERT", "MODIFY", "REMOVE")
S3_EVENT_NAMES: Final = (
    "ObjectCreated:Put", "ObjectCreated:Post", "ObjectCreated:Copy",
    "ObjectCreated:CompleteMultipartUpload", "ObjectRemoved:Delete",
    "ObjectRemoved:DeleteMarkerCreated",
)
# TumblingWindowInSeconds of a Kinesis or DynamoDB Streams event source mapping.
TUMBLING_WINDOW_RANGE: Final = (1, 900)
TUMBLING_WINDOW_STATE_MAX_BYTES: Final = 1024 * 1024  # per shard; past it Lambda ends the window early
# A stream record of an item that Time to Live deleted carries this identity
# (DynamoDB developer guide, "DynamoDB Streams and Time to Live").
DYNAMODB_TTL_USER_IDENTITY: Final = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
# Method/route authorization types, in API Gateway's words (PutMethod, CreateRoute).
REST_AUTHORIZATION_TYPES: Final = ("NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS")
HTTP_AUTHORIZATION_TYPES: Final = ("NONE", "AWS_IAM", "CUSTOM", "JWT")
HTTP_METHODS: Final = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
API_GATEWAY_VERSIONS: Final = ("1.0", "2.0")

# Characters SQS accepts in a message body (and SNS in a message): XML's Char.
_XML_CHAR_RE: Final = re.compile("^[\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]*$")
XML_EXCLUDED_CHARACTERS: Final = "".join(
    chr(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF]
)


# -- validation of pinning arguments ------------------------------------------
def _is_str(value: object) -> bool:
    return isinstance(value, str)


def check_region(value: object, arg: str = "region") -> str:
    if not _is_str(value) or not REGION_RE.match(str(value)):
        raise InvalidArgument(
            f"{arg}={value!r} is not an AWS region: expected a code such as 'us-east-1' or 'eu-west-2'"
        )
    return str(value)


def check_account(value: object, arg: str = "account") -> str:
    if not _is_str(value) or not ACCOUNT_RE.match(str(value)):
        raise InvalidArgument(
            f"{arg}={value!r} is not an AWS account id: expected a string of exactly 12 digits, "
            f"such as {DEFAULT_ACCOUNT!r}"
        )
    return str(value)


def _name(value: object, arg: str, pattern: re.Pattern[str], rule: str) -> str:
    if not _is_str(value) or not pattern.fullmatch(str(value)):
        raise InvalidArgument(f"{arg}={value!r} would be rejected by AWS: {rule}")
    return str(value)


_BUCKET_RE: Final = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_BUCKET_BAD_PREFIXES: Final = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_BAD_SUFFIXES: Final = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def check_bucket_name(value: object, arg: str = "bucket") -> str:
    """S3 general purpose bucket naming rules."""
    name = _name(value, arg, _BUCKET_RE,
                 "bucket names are 3 to 63 lowercase letters, digits, dots and hyphens, "
                 "beginning and ending with a letter or digit")
    problem = None
    if ".." in name:
        problem = "two adjacent periods"
    elif ".-" in name or "-." in name:
        problem = "a period next to a hyphen"
    elif _is_ip_address(name):
        problem = "it is formatted as an IP address"
    elif name.startswith(_BUCKET_BAD_PREFIXES):
        problem = f"it starts with a reserved prefix ({', '.join(_BUCKET_BAD_PREFIXES)})"
    elif name.endswith(_BUCKET_BAD_SUFFIXES):
        problem = f"it ends with a reserved suffix ({', '.join(_BUCKET_BAD_SUFFIXES)})"
    if problem:
        raise InvalidArgument(f"{arg}={value!r} is not a valid S3 bucket name: {problem}")
    return name


def _is_ip_address(name: str) -> bool:
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return False
    return True


_QUEUE_RE: Final = re.compile(r"[A-Za-z0-9_-]{1,80}|[A-Za-z0-9_-]{1,75}\.fifo")


def check_queue_name(value: object, arg: str = "queue_name") -> str:
    return _name(value, arg, _QUEUE_RE,
                 "SQS queue names are 1 to 80 letters, digits, hyphens and underscores; a FIFO "
                 "queue's name ends in '.fifo' (which counts towards the 80)")


_TOPIC_RE: Final = re.compile(r"[A-Za-z0-9_-]{1,256}|[A-Za-z0-9_-]{1,251}\.fifo")


def check_topic_name(value: object, arg: str = "topic_name") -> str:
    return _name(value, arg, _TOPIC_RE,
                 "SNS topic names are 1 to 256 letters, digits, hyphens and underscores "
                 "(a FIFO topic's ends in '.fifo')")


_TABLE_RE: Final = re.compile(r"[A-Za-z0-9_.-]{3,255}")


def check_table_name(value: object, arg: str = "table") -> str:
    return _name(value, arg, _TABLE_RE,
                 "DynamoDB table names are 3 to 255 letters, digits, '_', '-' and '.'")


_STREAM_RE: Final = re.compile(r"[A-Za-z0-9_.-]{1,128}")


def check_stream_name(value: object, arg: str = "stream_name") -> str:
    return _name(value, arg, _STREAM_RE,
                 "Kinesis stream names are 1 to 128 letters, digits, '_', '-' and '.'")


_RULE_RE: Final = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def check_rule_name(value: object, arg: str = "rule") -> str:
    return _name(value, arg, _RULE_RE,
                 "EventBridge rule names are 1 to 64 letters, digits, '_', '-' and '.'")


def check_function_name(value: object, arg: str = "function_name") -> str:
    return _name(value, arg, aws.FUNCTION_NAME_RE,
                 "function names are 1 to 64 letters, digits, hyphens and underscores")


_STAGE_RE: Final = re.compile(r"\$default|[A-Za-z0-9_-]{1,128}")


def check_stage(value: object, arg: str = "stage") -> str:
    return _name(value, arg, _STAGE_RE,
                 "stage names are 1 to 128 letters, digits, hyphens and underscores, or '$default'")


_PATH_RE: Final = re.compile(r"/[\x21-\x7e]*")


def check_path(value: object, arg: str = "path") -> str:
    return _name(value, arg, _PATH_RE,
                 "a request path starts with '/' and holds printable ASCII without spaces")


def check_text(value: object, arg: str, *, min_size: int, max_size: int, what: str) -> str:
    if not isinstance(value, str) or not min_size <= len(value) <= max_size:
        raise InvalidArgument(
            f"{arg}={value!r} would be rejected by AWS: {what} is a string of {min_size} to {max_size} characters"
        )
    if value.strip() != value or not value.isprintable():
        raise InvalidArgument(
            f"{arg}={value!r} would be rejected by AWS: {what} cannot have leading or trailing "
            "whitespace or unprintable characters"
        )
    return value


def check_choice(value: object, arg: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise InvalidArgument(f"{arg}={value!r} must be one of {', '.join(map(repr, choices))}")
    return str(value)


def check_int(value: object, arg: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise InvalidArgument(f"{arg}={value!r} must be an int from {lo} to {hi}")
    return value


def check_number(value: object, arg: str, lo: float, hi: float) -> float:
    if (isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value)
            or not lo <= value <= hi):
        raise InvalidArgument(f"{arg}={value!r} must be a number of seconds from {lo:g} to {hi:g}")
    return float(value)


def check_bool(value: object, arg: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidArgument(f"{arg}={value!r} must be True or False")
    return value


# -- problems with drawn values (from users' payload strategies) ---------------
def sqs_body_problem(body: object) -> str | None:
    """Why SQS would refuse ``body`` as a message body, or None."""
    if not isinstance(body, str):
        return f"a message body is a str, got {type(body).__name__}"
    if not body:
        return "a message body must have at least one character"
    if not _XML_CHAR_RE.match(body):
        return "a message body may only hold #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF"
    if len(body.encode("utf-8")) > SQS_MESSAGE_MAX_BYTES:
        return f"a message body is at most {SQS_MESSAGE_MAX_BYTES} bytes"
    return None


def sns_message_problem(message: object) -> str | None:
    if not isinstance(message, str):
        return f"a message is a str, got {type(message).__name__}"
    if not message:
        return "a message must not be empty"
    if not _XML_CHAR_RE.match(message):
        return "a message may only hold characters valid in XML"
    if len(message.encode("utf-8")) > SNS_MESSAGE_MAX_BYTES:
        return f"a message is at most {SNS_MESSAGE_MAX_BYTES} bytes"
    return None


MESSAGE_ATTRIBUTES_MAX: Final = 10
_ATTRIBUTE_NAME_RE: Final = re.compile(r"[A-Za-z0-9_.-]{1,256}")


def _attribute_name_problem(name: object) -> str | None:
    if not isinstance(name, str) or not _ATTRIBUTE_NAME_RE.fullmatch(name):
        return f"attribute name {name!r} is not 1 to 256 letters, digits, '_', '-' and '.'"
    if name.lower().startswith(("aws.", "amazon.")):
        return f"attribute name {name!r} uses a prefix AWS reserves (AWS., Amazon.)"
    if name.startswith(".") or name.endswith(".") or ".." in name:
        return f"attribute name {name!r} starts or ends with a period, or has two in a row"
    return None


def _is_number(text: object) -> bool:
    try:
        return isinstance(text, str) and Decimal(text).is_finite()
    except ArithmeticError:
        return False


def sqs_message_attributes_problem(attrs: object) -> str | None:
    """Why SQS would refuse ``attrs`` (in the event's own form), or None."""
    if not isinstance(attrs, dict):
        return f"message attributes are a dict, got {type(attrs).__name__}"
    if len(attrs) > MESSAGE_ATTRIBUTES_MAX:
        return f"a message has at most {MESSAGE_ATTRIBUTES_MAX} attributes"
    for name, attr in attrs.items():
        problem = _attribute_name_problem(name)
        if problem:
            return problem
        data_type = attr.get("dataType") if isinstance(attr, dict) else None
        base = data_type.split(".", 1)[0] if isinstance(data_type, str) else None
        if base not in ("String", "Number", "Binary"):
            return f"attribute {name!r}: dataType is String, Number or Binary (optionally '.<custom>'), got {data_type!r}"
        value = attr.get("binaryValue") if base == "Binary" else attr.get("stringValue")
        if not isinstance(value, str) or not value:
            key = "binaryValue (base64)" if base == "Binary" else "stringValue"
            return f"attribute {name!r}: a {base} attribute needs a non-empty {key}"
        if base == "Number" and not _is_number(value):
            return f"attribute {name!r}: {value!r} is not a number"
        if base == "Binary":
            try:
                base64.b64decode(value, validate=True)
            except ValueError:
                return f"attribute {name!r}: binaryValue {value!r} is not base64"
    return None


def sns_message_attributes_problem(attrs: object) -> str | None:
    """Why SNS would refuse ``attrs`` (in the event's ``{"Type", "Value"}`` form), or None."""
    if not isinstance(attrs, dict):
        return f"message attributes are a dict, got {type(attrs).__name__}"
    for name, attr in attrs.items():
        problem = _attribute_name_problem(name)
        if problem:
            return problem
        kind = attr.get("Type") if isinstance(attr, dict) else None
        value = attr.get("Value") if isinstance(attr, dict) else None
        if kind not in ("String", "Number", "Binary", "String.Array"):
            return f"attribute {name!r}: Type is String, Number, Binary or String.Array, got {kind!r}"
        if not isinstance(value, str) or not value:
            return f"attribute {name!r}: Value is a non-empty string"
        if kind == "Number" and not _is_number(value):
            return f"attribute {name!r}: {value!r} is not a number"
    return None


def s3_key_problem(key: object) -> str | None:
    if not isinstance(key, str):
        return f"an object key is a str, got {type(key).__name__}"
    if not key:
        return "an object key must not be empty"
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError:
        return "an object key must be valid UTF-8 (no lone surrogates)"
    if size > S3_KEY_MAX_BYTES:
        return f"an object key is at most {S3_KEY_MAX_BYTES} bytes of UTF-8"
    return None


# -- ARNs -----------------------------------------------------------------------
def partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def arn(service: str, region: str, account: str, resource: str) -> str:
    return f"arn:{partition(region)}:{service}:{region}:{account}:{resource}"


def s3_bucket_arn(bucket: str, region: str = DEFAULT_REGION) -> str:
    """S3 bucket ARNs carry neither region nor account."""
    return f"arn:{partition(region)}:s3:::{bucket}"


def sqs_queue_arn(region: str, account: str, queue_name: str) -> str:
    return arn("sqs", region, account, queue_name)


def sns_topic_arn(region: str, account: str, topic_name: str) -> str:
    return arn("sns", region, account, topic_name)


def sns_subscription_arn(region: str, account: str, topic_name: str, subscription_id: str) -> str:
    return f"{sns_topic_arn(region, account, topic_name)}:{subscription_id}"


def events_rule_arn(region: str, account: str, rule: str) -> str:
    return arn("events", region, account, f"rule/{rule}")


def dynamodb_stream_arn(region: str, account: str, table: str, stream_label: str) -> str:
    return arn("dynamodb", region, account, f"table/{table}/stream/{stream_label}")


def kinesis_stream_arn(region: str, account: str, stream_name: str) -> str:
    return arn("kinesis", region, account, f"stream/{stream_name}")


def iam_role_arn(account: str, role: str, region: str = DEFAULT_REGION) -> str:
    """IAM is global: its ARNs have an empty region."""
    return f"arn:{partition(region)}:iam::{account}:role/{role}"


def function_arn(name: str, region: str, account: str, qualifier: str | None = None) -> str:
    base = arn("lambda", region, account, f"function:{name}")
    return f"{base}:{qualifier}" if qualifier else base


def amazonaws_domain(region: str) -> str:
    return "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"


def sns_signing_cert_url(region: str, cert_id: str) -> str:
    return f"https://sns.{region}.{amazonaws_domain(region)}/SimpleNotificationService-{cert_id}.pem"


def sns_unsubscribe_url(region: str, subscription_arn: str) -> str:
    return (f"https://sns.{region}.{amazonaws_domain(region)}/?Action=Unsubscribe&SubscriptionArn="
            f"{subscription_arn}")


def execute_api_domain(api_id: str, region: str) -> str:
    return f"{api_id}.execute-api.{region}.{amazonaws_domain(region)}"


# -- timestamps, as each source writes them -------------------------------------
def _utc(when: _dt.datetime) -> _dt.datetime:
    if when.tzinfo is None:
        return when.replace(tzinfo=_dt.timezone.utc)
    return when.astimezone(_dt.timezone.utc)


def iso_millis(when: _dt.datetime) -> str:
    """S3 ``eventTime``, SNS ``Timestamp``: ``2019-09-03T19:37:27.192Z``."""
    return aws.iso_millis(_utc(when))


def iso_seconds(when: _dt.datetime) -> str:
    """EventBridge ``time``: ``2017-12-22T18:43:48Z``."""
    return _utc(when).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch_millis(when: _dt.datetime) -> int:
    """API Gateway ``requestTimeEpoch``/``timeEpoch``; SQS attributes (as a str)."""
    when = _utc(when)
    return int(when.replace(microsecond=0).timestamp()) * 1000 + when.microsecond // 1000


def epoch_seconds_millis(when: _dt.datetime) -> float:
    """Kinesis ``approximateArrivalTimestamp``: seconds with millisecond precision."""
    return epoch_millis(when) / 1000


def epoch_seconds(when: _dt.datetime) -> int:
    """DynamoDB ``ApproximateCreationDateTime``: whole seconds."""
    return int(_utc(when).replace(microsecond=0).timestamp())


def dynamodb_stream_label(when: _dt.datetime) -> str:
    """The label at the end of a stream ARN: ``2023-06-10T19:26:16.525`` (no zone)."""
    return iso_millis(when)[:-1]


_MONTHS: Final = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def clf_time(when: _dt.datetime) -> str:
    """API Gateway ``requestTime``/``time``: ``04/Mar/2020:19:15:17 +0000`` (locale-independent)."""
    when = _utc(when)
    return f"{when.day:02d}/{_MONTHS[when.month - 1]}/{when:%Y:%H:%M:%S} +0000"


def log_stream_name(when: _dt.datetime, version: str, instance_hex: str) -> str:
    return aws.log_stream_name(_utc(when), version, instance_hex)


def log_group_name(function_name: str) -> str:
    return aws.log_group_name(function_name)


# -- ids and encodings ------------------------------------------------------------
class Noise:
    """Incidental random-looking ids derived from one drawn integer.

    Request ids, signatures and receipt handles don't change what a handler
    does, so strategies draw one small integer per record and derive them all
    from it: the shrinker then spends its budget on what matters (one integer
    shrinks in a few steps, where 256 random bytes take hundreds)."""

    __slots__ = ("seed",)

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def __repr__(self) -> str:
        return f"Noise({self.seed})"

    def raw(self, label: str, n: int) -> bytes:
        out = bytearray()
        block = 0
        while len(out) < n:
            out.extend(hashlib.sha256(f"{self.seed}:{label}:{block}".encode()).digest())
            block += 1
        return bytes(out[:n])

    def below(self, label: str, bound: int) -> int:
        """An int in ``range(bound)``."""
        width = (bound.bit_length() + 7) // 8 + 8
        return int.from_bytes(self.raw(label, width), "big") % bound

    def hex(self, label: str, n: int) -> str:
        return self.raw(label, n).hex()

    def uuid4(self, label: str) -> str:
        raw = bytearray(self.raw(label, 16))
        raw[6] = (raw[6] & 0x0F) | 0x40
        raw[8] = (raw[8] & 0x3F) | 0x80
        return str(uuid.UUID(bytes=bytes(raw)))

    def ipv4(self, label: str) -> str:
        a, b, c, d = self.raw(label, 4)
        return f"{a % 223 + 1}.{b}.{c}.{d % 254 + 1}"

def md5_hex(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def s3_etag(content: bytes, *, multipart: bool) -> str:
    """An object's ETag: the MD5 of its bytes, or for a one-part multipart upload
    the MD5 of the part's MD5 followed by ``-1``."""
    digest = hashlib.md5(content, usedforsecurity=False)
    if multipart:
        return f"{hashlib.md5(digest.digest(), usedforsecurity=False).hexdigest()}-1"
    return digest.hexdigest()


def s3_encode_key(key: str) -> str:
    """Object keys in S3 notifications are form-URL-encoded: spaces become ``+``,
    ``/`` is kept, everything outside ``[A-Za-z0-9_.*-]`` is percent-encoded."""
    return urllib.parse.quote_plus(key, safe="/*").replace("~", "%7E")


def s3_sequencer(value: int) -> str:
    """18 upper-case hex digits (``0A1B2C3D4E5F678901``)."""
    return f"{value:018X}"


def kinesis_sequence_number(value: int) -> str:
    """56 decimal digits; the leading ``49`` is what real shards start with."""
    return f"49{value:054d}"


def kinesis_shard_id(n: int) -> str:
    return f"shardId-{n:012d}"


def dynamodb_shard_id(created_ms: int, raw: bytes) -> str:
    """DynamoDB Streams shard ids: ``shardId-00000001600000000000-1a2b3c4d``."""
    return f"shardId-{created_ms:020d}-{raw[:4].hex()}"


def kinesis_event_id(shard_id: str, sequence_number: str) -> str:
    return f"{shard_id}:{sequence_number}"


_BASE32: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def iam_unique_id(prefix: str, raw: bytes) -> str:
    """``AIDA…``/``AROA…`` ids: the prefix then 17 base-32 characters."""
    n = int.from_bytes(raw, "big")
    chars = []
    for _ in range(17):
        n, r = divmod(n, 32)
        chars.append(_BASE32[r])
    return prefix + "".join(chars)


def upper_hex(raw: bytes) -> str:
    return raw.hex().upper()


def cognito_user_pool_id(region: str, raw: bytes) -> str:
    """``us-east-1_AbCdEfGhI``: the region, ``_``, then 9 letters and digits."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    n = int.from_bytes(raw, "big")
    out = []
    for _ in range(9):
        n, r = divmod(n, len(alphabet))
        out.append(alphabet[r])
    return f"{region}_{''.join(out)}"


def cognito_identity_id(region: str, uuid_text: str) -> str:
    """Cognito identity (pool) ids: ``us-east-1:<uuid>``."""
    return f"{region}:{uuid_text}"


def access_key_id(raw: bytes, *, temporary: bool) -> str:
    """``AKIA…`` (long-term) or ``ASIA…`` (temporary) plus 16 base-32 characters."""
    return iam_unique_id("ASIA" if temporary else "AKIA", raw)[:20]


def api_id(raw: bytes) -> str:
    """API Gateway API ids: 10 lower-case letters and digits."""
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    n = int.from_bytes(raw, "big")
    out = []
    for _ in range(10):
        n, r = divmod(n, len(alphabet))
        out.append(alphabet[r])
    return "".join(out)


def extended_request_id(raw: bytes) -> str:
    """API Gateway ``extendedRequestId``: 16 base64 characters ending in ``=``."""
    return b64(raw[:11])[:15] + "="


def trace_id(when: _dt.datetime, raw: bytes) -> str:
    """``Root=1-<8 hex epoch seconds>-<24 hex>``: an X-Ray trace header."""
    return f"Root=1-{epoch_seconds(when):08x}-{raw[:12].hex()}"


# -- DynamoDB JSON ------------------------------------------------------------------
def to_dynamodb_json(value: Any, *, where: str = "item") -> dict[str, Any]:
    """One attribute value in DynamoDB JSON, as stream records carry it
    (``B`` values base64, numbers as strings)."""
    if isinstance(value, bool):
        return {"BOOL": value}
    if value is None:
        return {"NULL": True}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, (int, Decimal, float)):
        return {"N": _number(value, where)}
    if isinstance(value, (bytes, bytearray)):
        return {"B": b64(bytes(value))}
    if isinstance(value, (set, frozenset)):
        if not value:
            raise InvalidArgument(f"{where}: DynamoDB sets cannot be empty")
        items = list(value)
        if all(isinstance(v, str) for v in items):
            return {"SS": sorted(items)}
        if all(isinstance(v, (bytes, bytearray)) for v in items):
            return {"BS": sorted(b64(bytes(v)) for v in items)}
        if all(isinstance(v, (int, Decimal, float)) and not isinstance(v, bool) for v in items):
            return {"NS": sorted(_number(v, where) for v in items)}
        raise InvalidArgument(f"{where}: a DynamoDB set holds only strings, only numbers or only bytes")
    if isinstance(value, (list, tuple)):
        return {"L": [to_dynamodb_json(v, where=f"{where}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, Mapping):
        return {"M": item_to_dynamodb_json(value, where=where)}
    raise InvalidArgument(f"{where}: {type(value).__name__} values cannot be stored in DynamoDB")


def item_to_dynamodb_json(item: Mapping[Any, Any], *, where: str = "item") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in item.items():
        if not isinstance(name, str) or not name:
            raise InvalidArgument(f"{where}: attribute names are non-empty strings, got {name!r}")
        out[name] = to_dynamodb_json(value, where=f"{where}[{name!r}]")
    return out


def _number(value: int | Decimal | float, where: str) -> str:
    """DynamoDB numbers: finite, at most 38 significant digits (trailing zeros don't count)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidArgument(f"{where}: DynamoDB numbers are finite, got {value!r}")
    if isinstance(value, Decimal) and not value.is_finite():
        raise InvalidArgument(f"{where}: DynamoDB numbers are finite, got {value!r}")
    text = repr(value) if isinstance(value, float) else str(value)
    digits = "".join(map(str, Decimal(text).as_tuple().digits)).rstrip("0")
    if len(digits) > 38:
        raise InvalidArgument(f"{where}: DynamoDB numbers have at most 38 significant digits, got {value!r}")
    return text
