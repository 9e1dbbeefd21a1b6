"""The events API Gateway and function URLs build from one HTTP request.

Payload 1.0 (REST APIs) keeps the client's header casing, lists repeated headers and
query keys in ``multiValue*`` maps and leaves the path undecoded; payload 2.0 (HTTP APIs
and function URLs) lower-cases header names, joins repeats with commas, moves cookies
into ``cookies`` and keeps ``rawQueryString`` as sent (callers §1.2).  Absent parts are
``null`` in 1.0 and omitted in 2.0.  Every request gets a fresh request id and time.
"""

from __future__ import annotations

import base64
import random
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from .server import Request

#: Header lines a REST API never passes to the integration (callers §1.2, LS's AWS-derived list).
_REST_DROPPED = frozenset(
    [
        "connection",
        "content-length",
        "content-md5",
        "expect",
        "max-forwards",
        "proxy-authenticate",
        "server",
        "te",
        "transfer-encoding",
        "trailer",
        "upgrade",
        "www-authenticate",
    ]
)
#: Hop-by-hop lines an HTTP API or function URL drops.
_V2_DROPPED = frozenset(("connection", "transfer-encoding", "upgrade", "te", "trailer", "expect"))
#: Content types an HTTP API or function URL passes as text; any other body is base64 (callers §1.2).
_V2_TEXT = ("application/json", "application/xml", "application/javascript")
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@dataclass(frozen=True)
class HttpRequest:
    """One request as the gateway reads it: the raw path and query, the header lines as sent."""

    method: str
    raw_path: str
    raw_query: str
    header_lines: tuple[tuple[str, str], ...]
    body: bytes
    source_ip: str
    port: int

    @classmethod
    def of(cls, request: Request, port: int) -> HttpRequest:
        target = request.target or request.path
        if "://" in target.split("?", 1)[0]:  # absolute form: drop scheme and authority
            target = "/" + target.split("://", 1)[1].partition("/")[2]
        path, _, query = target.partition("?")
        lines = tuple(request.raw_headers) or tuple(request.headers.items())
        return cls(request.method.upper(), path or "/", query, lines, request.body, request.peer[0], port)

    def header(self, name: str) -> str | None:
        """The first line of header ``name`` (case-insensitive), or None."""
        name = name.lower()
        return next((v for k, v in self.header_lines if k.lower() == name), None)

    def query_pairs(self) -> list[tuple[str, str]]:
        """The decoded ``(key, value)`` pairs of the query string, in order (``+`` is a space)."""
        return parse_qsl(self.raw_query, keep_blank_values=True) if self.raw_query else []

    def segments(self) -> list[str]:
        """The path's non-empty segments, still percent-encoded."""
        return [s for s in self.raw_path.split("/") if s]


def request_time() -> tuple[str, int]:
    """``(CLF time, epoch milliseconds)`` of now: ``02/Dec/2026:10:30:00 +0000``."""
    now = time.time()
    t = time.gmtime(now)
    clf = f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"
    return clf, int(now * 1000)


def rest_request_id() -> str:
    """A REST API request id (a version 4 UUID; ``random``, not ``os.urandom``: ids, not secrets)."""
    return str(uuid.UUID(int=random.getrandbits(128), version=4))


def http_request_id() -> str:
    """An HTTP API request id, short and base64-like, e.g. ``Mc7UVioPPHcEKPA=``."""
    return base64.b64encode(random.getrandbits(88).to_bytes(11, "big")).decode().replace("+", "A").replace("/", "B")


def trace_id() -> str:
    return f"Root=1-{int(time.time()):08x}-{random.getrandbits(96):024x}"


def _content_type(request: HttpRequest) -> str:
    return (request.header("content-type") or "").split(";")[0].strip().lower()


def media_matches(entry: str, content_type: str) -> bool:
    """A ``binaryMediaTypes`` entry (``image/png``, ``image/*``, ``*/*``) against a content type."""
    entry = entry.strip().lower()
    if entry in (content_type, "*/*"):
        return True
    main, _, sub = entry.partition("/")
    return sub == "*" and content_type.startswith(main + "/")


def _body(body: bytes, binary: bool) -> tuple[str | None, bool]:
    if not body:
        return None, False
    if not binary:
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass  # not text after all: base64, as LocalStack does
    return base64.b64encode(body).decode(), True


def forwarded(request: HttpRequest, *, lower: bool) -> list[tuple[str, str]]:
    """The lines the gateway adds: ``X-Forwarded-*`` and the trace id."""
    lines = [
        ("X-Forwarded-For", request.source_ip),
        ("X-Forwarded-Port", str(request.port)),
        ("X-Forwarded-Proto", "http"),
        ("X-Amzn-Trace-Id", trace_id()),
    ]
    return [(k.lower(), v) for k, v in lines] if lower else lines


# --- payload 1.0 -------------------------------------------------------------------------------


def rest_headers(request: HttpRequest) -> tuple[dict[str, str], dict[str, list[str]]]:
    """``headers`` (last value) and ``multiValueHeaders`` with the client's casing."""
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    lines = [line for line in request.header_lines if line[0].lower() not in _REST_DROPPED]
    present = {k.lower() for k, _ in lines}
    lines += [line for line in forwarded(request, lower=False) if line[0].lower() not in present]
    for name, value in lines:
        name = names.setdefault(name.lower(), name)
        single[name] = value
        multi.setdefault(name, []).append(value)
    return single, multi


def rest_query(request: HttpRequest) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    pairs = request.query_pairs()
    if not pairs:
        return None, None
    multi: dict[str, list[str]] = {}
    for key, value in pairs:
        multi.setdefault(key, []).append(value)
    return {key: values[-1] for key, values in multi.items()}, multi


def v1_event(
    request: HttpRequest,
    *,
    resource: str,
    path: str,
    stage: str,
    path_parameters: Mapping[str, str] | None,
    stage_variables: Mapping[str, str] | None,
    api_id: str,
    account_id: str,
    region: str,
    request_id: str,
    binary_media_types: Sequence[str] = (),
    version: str | None = None,
) -> dict[str, Any]:
    """A REST API proxy event (or HTTP API payload 1.0 with ``version="1.0"``)."""
    headers, multi_headers = rest_headers(request)
    query, multi_query = rest_query(request)
    content_type = _content_type(request)
    body, encoded = _body(request.body, any(media_matches(t, content_type) for t in binary_media_types))
    clf, epoch = request_time()
    domain = f"{api_id}.execute-api.{region}.amazonaws.com"
    agent = request.header("user-agent")
    context: dict[str, Any] = {
        "accountId": account_id,
        "apiId": api_id,
        "deploymentId": api_id[::-1][:6],
        "domainName": domain,
        "domainPrefix": api_id,
        "extendedRequestId": http_request_id(),
        "httpMethod": request.method,
        "path": request.raw_path if stage == "$default" else f"/{stage}{path}",
        "protocol": "HTTP/1.1",
        "requestId": request_id,
        "requestTime": clf,
        "requestTimeEpoch": epoch,
        "resourceId": None if version else uuid.uuid5(uuid.NAMESPACE_URL, f"{api_id}{resource}").hex[:6],
        "resourcePath": resource,
        "stage": stage,
        "identity": {
            **dict.fromkeys(
                (
                    "accessKey",
                    "accountId",
                    "caller",
                    "cognitoAuthenticationProvider",
                    "cognitoAuthenticationType",
                    "cognitoIdentityId",
                    "cognitoIdentityPoolId",
                    "principalOrgId",
                    "user",
                    "userArn",
                )
            ),
            "sourceIp": request.source_ip,
            "userAgent": agent,
        },
    }
    event: dict[str, Any] = {}
    if version:
        event["version"] = version
        context["authorizer"] = {"claims": None, "scopes": None}
    event.update(
        {
            "resource": resource,
            "path": path,
            "httpMethod": request.method,
            "headers": headers,
            "multiValueHeaders": multi_headers,
            "queryStringParameters": query,
            "multiValueQueryStringParameters": multi_query,
            "pathParameters": dict(path_parameters) if path_parameters else None,
            "stageVariables": dict(stage_variables) if stage_variables else None,
            "requestContext": context,
            "body": body,
            "isBase64Encoded": encoded,
        }
    )
    return event


# --- payload 2.0 -------------------------------------------------------------------------------


def v2_headers(request: HttpRequest) -> tuple[dict[str, str], list[str]]:
    """Lower-cased ``headers`` (repeats comma-joined) and the ``cookies`` taken out of them."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    lines = [(k.lower(), v) for k, v in request.header_lines if k.lower() not in _V2_DROPPED]
    present = {k for k, _ in lines}
    lines += [line for line in forwarded(request, lower=True) if line[0] not in present]
    for name, value in lines:
        if name == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
        elif name in headers:
            headers[name] = f"{headers[name]},{value}"
        else:
            headers[name] = value
    return headers, cookies


def v2_body(request: HttpRequest) -> tuple[str | None, bool]:
    """Text for ``text/*``, JSON, XML and JavaScript bodies; base64 for any other (or none) type."""
    content_type = _content_type(request)
    return _body(request.body, not (content_type.startswith("text/") or content_type in _V2_TEXT))


def v2_event(
    request: HttpRequest,
    *,
    route_key: str,
    stage: str,
    path_parameters: Mapping[str, str] | None,
    stage_variables: Mapping[str, str] | None,
    api_id: str,
    domain: str,
    account_id: str,
    request_id: str,
    authorizer: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An HTTP API payload 2.0 event, or a function URL's (``route_key="$default"``)."""
    headers, cookies = v2_headers(request)
    query: dict[str, str] = {}
    for key, value in request.query_pairs():
        query[key] = f"{query[key]},{value}" if key in query else value
    body, encoded = v2_body(request)
    clf, epoch = request_time()
    context: dict[str, Any] = {"accountId": account_id, "apiId": api_id}
    if authorizer is not None:
        context["authorizer"] = dict(authorizer)
    context.update(
        {
            "domainName": domain,
            "domainPrefix": domain.split(".")[0],
            "http": {
                "method": request.method,
                "path": request.raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": request.source_ip,
                "userAgent": request.header("user-agent") or "",
            },
            "requestId": request_id,
            "routeKey": route_key,
            "stage": stage,
            "time": clf,
            "timeEpoch": epoch,
        }
    )
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": request.raw_path,
        "rawQueryString": request.raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if query:
        event["queryStringParameters"] = query
    event["requestContext"] = context
    if body is not None:
        event["body"] = body
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    event["isBase64Encoded"] = encoded
    if stage_variables:
        event["stageVariables"] = dict(stage_variables)
    return event
