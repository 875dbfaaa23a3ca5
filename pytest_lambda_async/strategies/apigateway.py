"""API Gateway proxy events, REST (payload 1.0) and HTTP APIs (2.0): :func:`api_gateway_events`."""

from __future__ import annotations

import datetime as _dt
import urllib.parse
from typing import Any, Final, Literal

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from . import formats as fmt
from ._common import Event, account_strategy, noises, optional_value, payload_strategy, region_strategy, timestamps

_HEADER_NAMES: Final = ("Accept", "Content-Type", "Accept-Encoding", "X-Request-Id", "Authorization")
_USER_AGENTS: Final = ("curl/8.4.0", "Mozilla/5.0 (X11; Linux x86_64)", "python-requests/2.32.3")
_query_chars: Final = st.characters(codec="ascii", min_codepoint=0x20, max_codepoint=0x7E)


def api_gateway_events(
    *,
    version: Literal["1.0", "2.0"] | None = None,
    method: str | None = None,
    path: str | None = None,
    stage: str | None = None,
    region: str | None = None,
    account: str | None = None,
    bodies: st.SearchStrategy[str | bytes | None] | None = None,
    authorization_type: str | None = None,
    authorizer_contexts: st.SearchStrategy[dict[str, str | int | bool]] | None = None,
) -> st.SearchStrategy[Event]:
    """API Gateway proxy events: REST APIs' payload format ``1.0`` and HTTP
    APIs' ``2.0`` (``version=`` pins one; it shrinks to ``1.0``).

    ``authorization_type`` pins how the method or route is authorized, in API
    Gateway's words: ``"NONE"`` (no ``requestContext.authorizer``, what it
    shrinks to), ``"AWS_IAM"`` (SigV4 caller in ``identity``, or
    ``authorizer.iam`` for HTTP APIs), ``"CUSTOM"`` (a Lambda authorizer:
    ``authorizer.principalId`` plus its context, or ``authorizer.lambda``;
    the context is drawn from ``authorizer_contexts``, ``{}`` when shrunk),
    ``"COGNITO_USER_POOLS"`` (REST only:
    ``authorizer.claims``) and ``"JWT"`` (HTTP APIs only:
    ``authorizer.jwt.claims``/``scopes``).

    ``bodies`` draws the request body: ``None`` (no body, what it shrinks
    to), a ``str``, or ``bytes`` (sent base64 with ``isBase64Encoded``).
    REST events carry ``headers``/``multiValueHeaders`` and ``null`` for an
    empty query string; HTTP API events join repeated headers and query
    values with commas and leave out what is absent.
    """
    pinned_version, method, path, stage, auth = _check_request_pins(
        version=version, method=method, path=path, stage=stage, authorization_type=authorization_type)
    region = optional_value(region, "region", fmt.check_region)
    account = optional_value(account, "account", fmt.check_account)
    contexts = payload_strategy(authorizer_contexts, "authorizer_contexts", _default_authorizer_contexts())
    body_strategy = payload_strategy(bodies, "bodies", st.one_of(st.none(), st.text(max_size=40),
                                                                   st.binary(min_size=1, max_size=40)))
    paths = st.just(path) if path else st.lists(st.from_regex(r"[a-z0-9-]{1,8}", fullmatch=True),
                                                max_size=3).map(lambda parts: "/" + "/".join(parts))
    common = dict(
        methods=st.just(method) if method else st.sampled_from(fmt.HTTP_METHODS), paths=paths,
        regions=region_strategy(region), accounts=account_strategy(account), bodies=body_strategy,
    )
    v1 = _api_gateway_v1(stages=st.just(stage) if stage else st.sampled_from(["prod", "dev"]),
                         auth_types=st.just(auth) if auth else st.sampled_from(fmt.REST_AUTHORIZATION_TYPES),
                         contexts=contexts, **common)
    v2 = _api_gateway_v2(stages=st.just(stage) if stage else st.sampled_from(["$default", "prod"]),
                         auth_types=st.just(auth) if auth else st.sampled_from(fmt.HTTP_AUTHORIZATION_TYPES),
                         contexts=contexts, **common)
    if pinned_version == "1.0" or auth == "COGNITO_USER_POOLS":
        return v1
    if pinned_version == "2.0" or stage == "$default" or auth == "JWT":  # these exist only for HTTP APIs
        return v2
    return st.one_of(v1, v2)


def _check_request_pins(
    *, version: str | None, method: str | None, path: str | None, stage: str | None,
    authorization_type: str | None,
) -> tuple[str | None, str | None, str | None, str | None, str | None]:
    """The pinned version, method, path, stage and authorization type, each checked, then checked
    together (what exists only for REST APIs or only for HTTP APIs)."""
    pinned_version = optional_value(version, "version",
                                    lambda v, a: fmt.check_choice(v, a, fmt.API_GATEWAY_VERSIONS))
    method = optional_value(method, "method", lambda v, a: fmt.check_choice(v, a, fmt.HTTP_METHODS))
    path = optional_value(path, "path", fmt.check_path)
    stage = optional_value(stage, "stage", fmt.check_stage)
    if stage == "$default" and pinned_version == "1.0":
        raise InvalidArgument("stage='$default' only exists for HTTP APIs (version='2.0')")
    auth = optional_value(authorization_type, "authorization_type", lambda v, a: fmt.check_choice(
        v, a, tuple(dict.fromkeys(fmt.REST_AUTHORIZATION_TYPES + fmt.HTTP_AUTHORIZATION_TYPES))))
    if auth == "COGNITO_USER_POOLS" and (pinned_version == "2.0" or stage == "$default"):
        raise InvalidArgument("authorization_type='COGNITO_USER_POOLS' exists only for REST APIs "
                              "(version='1.0'); HTTP APIs use 'JWT' with a Cognito issuer")
    if auth == "JWT" and pinned_version == "1.0":
        raise InvalidArgument("authorization_type='JWT' exists only for HTTP APIs (version='2.0'); "
                              "REST APIs use 'COGNITO_USER_POOLS' or 'CUSTOM'")
    return pinned_version, method, path, stage, auth


def _headers() -> st.SearchStrategy[dict[str, list[str]]]:
    values = st.text(_query_chars, min_size=1, max_size=12).map(str.strip).filter(bool)
    return st.dictionaries(st.sampled_from(_HEADER_NAMES), st.lists(values, min_size=1, max_size=2), max_size=2)


def _queries() -> st.SearchStrategy[dict[str, list[str]]]:
    names = st.from_regex(r"[a-z][a-z0-9_]{0,7}", fullmatch=True)
    return st.dictionaries(names, st.lists(st.text(_query_chars, max_size=8), min_size=1, max_size=2), max_size=2)


@st.composite
def _request_parts(draw: st.DrawFn, *, methods: st.SearchStrategy[str], paths: st.SearchStrategy[str],
                   regions: st.SearchStrategy[str], accounts: st.SearchStrategy[str],
                   bodies: st.SearchStrategy[str | bytes | None]) -> dict[str, Any]:
    region = draw(regions)
    account = draw(accounts)
    method = draw(methods)
    path = draw(paths)
    body = draw(bodies)
    if body is not None and not isinstance(body, (str, bytes)):
        raise InvalidArgument(f"bodies drew {body!r}: a request body is None, a str or bytes")
    headers = draw(_headers())
    queries = draw(_queries())
    user_agent = draw(st.sampled_from(_USER_AGENTS))
    when = draw(timestamps())
    noise = draw(noises)
    api = fmt.api_id(noise.raw("api", 8))
    return {
        "method": method, "path": path, "region": region, "account": account,
        "api_id": api, "domain": fmt.execute_api_domain(api, region), "body": body, "when": when,
        "ip": noise.ipv4("ip"), "user_agent": user_agent, "headers": headers, "queries": queries,
        "trace": fmt.trace_id(when, noise.raw("trace", 12)), "request_id": noise.uuid4("request"),
        "extended_id": fmt.extended_request_id(noise.raw("extended", 11)),
        "resource_id": fmt.api_id(noise.raw("resource", 8))[:6],
    }


_WEEKDAYS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_NAMES: Final = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _java_date(when: _dt.datetime) -> str:
    """How REST APIs render Cognito's time claims: ``Thu Mar 12 19:03:58 UTC 2020``."""
    return (f"{_WEEKDAYS[when.weekday()]} {_MONTH_NAMES[when.month - 1]} {when.day:02d} "
            f"{when:%H:%M:%S} UTC {when.year}")


def _token_claims(p: dict[str, Any], noise: fmt.Noise, *, rest: bool) -> dict[str, str]:
    """An ID token's claims from a Cognito user pool, as API Gateway passes them (all strings)."""
    region, when = p["region"], p["when"]
    pool = fmt.cognito_user_pool_id(region, noise.raw("pool", 8))
    issued = when - _dt.timedelta(minutes=5)
    expires = issued + _dt.timedelta(hours=1)
    times = ((_java_date(issued), _java_date(expires)) if rest
             else (str(fmt.epoch_seconds(issued)), str(fmt.epoch_seconds(expires))))
    user = f"user-{noise.below('user', 10_000)}"
    return {
        "sub": noise.uuid4("sub"),
        "email_verified": "true",
        "iss": f"https://cognito-idp.{region}.{fmt.amazonaws_domain(region)}/{pool}",
        "cognito:username": user,
        "aud": fmt.api_id(noise.raw("client", 8)) * 2 + fmt.api_id(noise.raw("client2", 8))[:6],
        "event_id": noise.uuid4("event"),
        "token_use": "id",
        "auth_time": str(fmt.epoch_seconds(issued)),
        "exp": times[1],
        "iat": times[0],
        "email": f"{user}@example.com",
    }


def _iam_caller(p: dict[str, Any], noise: fmt.Noise) -> dict[str, str]:
    """A SigV4 caller with an assumed role's temporary credentials."""
    session = f"session-{noise.below('session', 1000)}"
    role_id = fmt.iam_unique_id("AROA", noise.raw("role", 11))
    return {
        "accessKey": fmt.access_key_id(noise.raw("access", 11), temporary=True),
        "accountId": p["account"],
        "caller": f"{role_id}:{session}",
        "userArn": f"arn:{fmt.partition(p['region'])}:sts::{p['account']}:assumed-role/app-role/{session}",
    }


def _default_authorizer_contexts() -> st.SearchStrategy[dict[str, str | int | bool]]:
    names = st.from_regex(r"[a-z][A-Za-z0-9_]{0,9}", fullmatch=True).filter(lambda k: k != "principalId")
    values = st.one_of(st.text(_query_chars, max_size=10), st.integers(-(10**6), 10**6), st.booleans())
    return st.dictionaries(names, values, max_size=3)


def _authorizer_context(draw: st.DrawFn, contexts: st.SearchStrategy[dict[str, Any]]) -> dict[str, Any]:
    """What a Lambda authorizer returned as its ``context``: string, number or boolean values."""
    context = draw(contexts)
    if (not isinstance(context, dict) or "principalId" in context
            or not all(isinstance(k, str) and k for k in context)
            or not all(isinstance(v, (str, int, float, bool)) for v in context.values())):
        raise InvalidArgument(f"authorizer_contexts drew {context!r}: a Lambda authorizer's context is a dict "
                              "of non-empty names (not 'principalId') to strings, numbers or booleans")
    return context


def _encode_body(body: str | bytes | None) -> tuple[str | None, bool]:
    if isinstance(body, bytes):
        return fmt.b64(body), True
    return body, False


@st.composite
def _api_gateway_v1(draw: st.DrawFn, /, *, stages: st.SearchStrategy[str], auth_types: st.SearchStrategy[str],
                    contexts: st.SearchStrategy[dict[str, Any]], **parts: Any) -> Event:
    p = draw(_request_parts(**parts))
    stage = draw(stages)
    auth = draw(auth_types)
    noise = draw(noises)
    event = _rest_event(p, stage, _rest_identity(p, auth, noise))
    if auth == "CUSTOM":
        event["requestContext"]["authorizer"] = {
            "principalId": f"user-{noise.below('principal', 10_000)}", **_authorizer_context(draw, contexts)}
    elif auth == "COGNITO_USER_POOLS":
        event["requestContext"]["authorizer"] = {"claims": _token_claims(p, noise, rest=True)}
    return event


def _rest_identity(p: dict[str, Any], auth: str, noise: fmt.Noise) -> Event:
    """A REST API event's ``requestContext.identity``: the caller's IP and agent, and its SigV4
    credentials under ``AWS_IAM``."""
    identity: Event = {
        "cognitoIdentityPoolId": None, "accountId": None, "cognitoIdentityId": None, "caller": None,
        "sourceIp": p["ip"], "principalOrgId": None, "accessKey": None,
        "cognitoAuthenticationType": None, "cognitoAuthenticationProvider": None, "userArn": None,
        "userAgent": p["user_agent"], "user": None,
    }
    if auth == "AWS_IAM":
        caller = _iam_caller(p, noise)
        identity.update(caller, user=caller["caller"])
    return identity


def _rest_event(p: dict[str, Any], stage: str, identity: Event) -> Event:
    """A REST API (payload format 1.0) event for the request parts ``p``, without an authorizer."""
    multi_headers: dict[str, list[str]] = {
        "Host": [p["domain"]], "User-Agent": [p["user_agent"]], "X-Amzn-Trace-Id": [p["trace"]],
        "X-Forwarded-For": [p["ip"]], "X-Forwarded-Port": ["443"], "X-Forwarded-Proto": ["https"],
        **p["headers"],
    }
    queries: dict[str, list[str]] = p["queries"]
    body, encoded = _encode_body(p["body"])
    return {
        "resource": p["path"],
        "path": p["path"],
        "httpMethod": p["method"],
        "headers": {k: v[-1] for k, v in multi_headers.items()},
        "multiValueHeaders": multi_headers,
        "queryStringParameters": {k: v[-1] for k, v in queries.items()} or None,
        "multiValueQueryStringParameters": queries or None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": p["resource_id"],
            "resourcePath": p["path"],
            "httpMethod": p["method"],
            "extendedRequestId": p["extended_id"],
            "requestTime": fmt.clf_time(p["when"]),
            "path": f"/{stage}{p['path']}",
            "accountId": p["account"],
            "protocol": "HTTP/1.1",
            "stage": stage,
            "domainPrefix": p["api_id"],
            "requestTimeEpoch": fmt.epoch_millis(p["when"]),
            "requestId": p["request_id"],
            "identity": identity,
            "domainName": p["domain"],
            "apiId": p["api_id"],
        },
        "body": body,
        "isBase64Encoded": encoded,
    }


@st.composite
def _api_gateway_v2(draw: st.DrawFn, /, *, stages: st.SearchStrategy[str], auth_types: st.SearchStrategy[str],
                    contexts: st.SearchStrategy[dict[str, Any]], **parts: Any) -> Event:
    p = draw(_request_parts(**parts))
    stage = draw(stages)
    auth = draw(auth_types)
    noise = draw(noises)
    raw_path = p["path"] if stage == "$default" else f"/{stage}{p['path']}"
    queries: dict[str, list[str]] = p["queries"]
    event: Event = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": urllib.parse.urlencode([(k, v) for k, vs in queries.items() for v in vs]),
        "headers": _http_headers(p),
    }
    if queries:
        event["queryStringParameters"] = {k: ",".join(v) for k, v in queries.items()}
    event["requestContext"] = {
        "accountId": p["account"],
        "apiId": p["api_id"],
    }
    authorizer = _http_authorizer(draw, auth, p, noise, contexts)
    if authorizer is not None:
        event["requestContext"]["authorizer"] = authorizer
    event["requestContext"].update({
        "domainName": p["domain"],
        "domainPrefix": p["api_id"],
        "http": {"method": p["method"], "path": raw_path, "protocol": "HTTP/1.1", "sourceIp": p["ip"],
                 "userAgent": p["user_agent"]},
        "requestId": p["extended_id"],
        "routeKey": "$default",
        "stage": stage,
        "time": fmt.clf_time(p["when"]),
        "timeEpoch": fmt.epoch_millis(p["when"]),
    })
    body, encoded = _encode_body(p["body"])
    if body is not None:
        event["body"] = body
    event["isBase64Encoded"] = encoded
    return event


def _http_headers(p: dict[str, Any]) -> dict[str, str]:
    """An HTTP API event's headers: lower-case names, repeated values joined with commas."""
    headers = {k.lower(): ",".join(v) for k, v in p["headers"].items()}
    headers.update({"host": p["domain"], "user-agent": p["user_agent"], "x-amzn-trace-id": p["trace"],
                    "x-forwarded-for": p["ip"], "x-forwarded-port": "443", "x-forwarded-proto": "https"})
    if p["body"] is not None:
        headers["content-length"] = str(len(p["body"].encode("utf-8") if isinstance(p["body"], str)
                                            else p["body"]))
    return headers


def _http_authorizer(draw: st.DrawFn, auth: str, p: dict[str, Any], noise: fmt.Noise,
                     contexts: st.SearchStrategy[dict[str, Any]]) -> Event | None:
    """An HTTP API event's ``requestContext.authorizer`` under ``auth`` (``None`` for ``NONE``)."""
    if auth == "JWT":
        scopes = draw(st.one_of(st.none(), st.lists(st.sampled_from(["read", "write", "admin"]), min_size=1,
                                                    max_size=3, unique=True)))
        return {"jwt": {"claims": _token_claims(p, noise, rest=False), "scopes": scopes}}
    if auth == "CUSTOM":
        return {"lambda": _authorizer_context(draw, contexts)}
    if auth == "AWS_IAM":
        caller = _iam_caller(p, noise)
        return {"iam": {
            "accessKey": caller["accessKey"], "accountId": caller["accountId"], "callerId": caller["caller"],
            "cognitoIdentity": None, "principalOrgId": None, "userArn": caller["userArn"],
            "userId": caller["caller"].split(":")[0]}}
    return None
