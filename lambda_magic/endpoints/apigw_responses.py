"""The HTTP answer to a function's result, by the response contracts of :mod:`lambda_magic.events.contracts`.

The contracts decide what API Gateway does with an answer (status, merged headers, body,
base64 decoding, 502/500 on a malformed answer); this module turns their verdict into the
bytes on the wire and adds what the gateway adds (its request id headers, ``set-cookie``
lines, the ``x-amzn-Remapped-*`` names).  Gateway errors are JSON ``{"message": ...}`` with
``x-amzn-ErrorType``, as AWS sends them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..events.contracts import check_response
from .server import Response

#: Response headers API Gateway renames rather than passes (callers §1.3).
_REMAPPED = frozenset(("connection", "content-length", "date", "server"))
_DROPPED = frozenset(("transfer-encoding",))

REST_INTERNAL = (502, {"message": "Internal server error"})
HTTP_INTERNAL = (500, {"message": "Internal Server Error"})


def gateway_error(
    status: int, body: Any, error_type: str | None = None, headers: Mapping[str, str] | None = None
) -> Response:
    """API Gateway's own answer: a JSON document (or text) and ``x-amzn-ErrorType``."""
    out = {"Content-Type": "application/json"}
    if error_type:
        out["x-amzn-ErrorType"] = error_type
    out.update(headers or {})
    data = body.encode() if isinstance(body, str) else json.dumps(body, separators=(",", ":")).encode()
    return Response(status, out, data)


def _bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    return json.dumps(body, separators=(",", ":")).encode()


def _set_cookies(payload: Any) -> list[str]:
    """The ``Set-Cookie`` values of a REST answer, one line each (the merged header would join them)."""
    values: list[str] = []
    if not isinstance(payload, Mapping):
        return values
    multi, single = payload.get("multiValueHeaders"), payload.get("headers")
    for name, items in (multi or {}).items() if isinstance(multi, Mapping) else ():
        if isinstance(name, str) and name.lower() == "set-cookie" and isinstance(items, list):
            values.extend(str(v) for v in items)
    for name, value in (single or {}).items() if isinstance(single, Mapping) else ():
        if isinstance(name, str) and name.lower() == "set-cookie" and str(value) not in values:
            values.append(str(value))
    return values


def _wire(status: int, headers: Mapping[str, Any], body: Any, cookies: list[str]) -> Response:
    out: dict[str, str] = {}
    for name, value in headers.items():
        low = name.lower()
        if low in _DROPPED or low == "set-cookie":
            continue
        out[f"x-amzn-Remapped-{name}" if low in _REMAPPED else name] = str(value)
    return Response(status, out, _bytes(body), [("Set-Cookie", c) for c in cookies])


def rest_response(invocation: Any, event: Mapping[str, Any], binary_media_types: tuple[str, ...]) -> Response:
    """A REST proxy integration's answer (payload 1.0): 502 on a failed or malformed answer."""
    verdict = check_response(
        "apigateway-v1",
        event,
        invocation.payload,
        invocation.function_error,
        binary_media_types=binary_media_types,
    )
    details = verdict.details
    if not verdict.ok:
        return gateway_error(details["statusCode"], details["body"])
    return _wire(details["statusCode"], details["headers"], details["body"], _set_cookies(invocation.payload))


def http_response(invocation: Any, event: Mapping[str, Any]) -> Response:
    """An HTTP API (payload 2.0) or function URL answer: inferred 200 JSON without statusCode, 500 on errors."""
    verdict = check_response("apigateway-v2", event, invocation.payload, invocation.function_error)
    details = verdict.details
    if not verdict.ok:
        return gateway_error(details["statusCode"], details["body"])
    headers = dict(details["headers"])
    if not any(k.lower() == "content-type" for k in headers):
        headers["content-type"] = "application/json"
    return _wire(details["statusCode"], headers, details["body"], list(details.get("cookies") or []))
