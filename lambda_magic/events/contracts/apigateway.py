"""API Gateway proxy integrations: what the client receives for the function's answer.

Two payload versions: 1.0 (REST API proxy integrations, and HTTP APIs set to
payload 1.0) and 2.0 (HTTP APIs and Lambda function URLs).  Both merge the
response's headers, check ``body`` and ``isBase64Encoded`` the same way, and
answer a failed or malformed invocation with API Gateway's own error document.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ._common import Verdict, _and_more, _Call, _failure, _kind, _optional, _short, _verdict

_REST_KEYS = ("statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded")
_V2_KEYS = ("statusCode", "headers", "cookies", "body", "isBase64Encoded")
_REST_ERROR = {"message": "Internal server error"}
_HTTP_ERROR = {"message": "Internal Server Error"}
#: (status, body) of API Gateway's answer when the integration fails.
_REST_FAILED = (502, _REST_ERROR)
_HTTP_FAILED = (500, _HTTP_ERROR)
_REST_MALFORMED_LOG = "Execution failed due to configuration error: Malformed Lambda proxy response"
_JSON = "application/json"


def _header(headers: Any, name: str) -> str | None:
    """A header of a request or response map, looked up case-insensitively."""
    if not isinstance(headers, Mapping):
        return None
    for key, value in headers.items():
        if isinstance(key, str) and key.lower() == name:
            return value[0] if isinstance(value, list) and value else value
    return None


def _keys(keys: Sequence[str], sep: str = " ") -> str:
    """``key 'a'`` or ``keys 'a', 'b'`` (``sep`` between the word and the list)."""
    return f"key{'s' if len(keys) > 1 else ''}{sep}{', '.join(map(repr, keys))}"


def _status_code(value: Any, problems: list[str], *, required: str | None) -> int | None:
    """The status of a proxy response: an int or a numeric string; ``None`` if missing and allowed."""
    if value is None:
        if required:
            problems.append(f"statusCode is missing ({required})")
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        problems.append(f"statusCode must be an integer, got {_kind(value)} {value!r}")
        return None
    if isinstance(value, str):
        if not re.fullmatch(r"[0-9]+", value):
            problems.append(f"statusCode {value!r} is not a number")
            return None
        value = int(value)
    if not 100 <= value <= 599:
        problems.append(f"statusCode {value} is not an HTTP status (100-599)")
        return None
    return value


def _header_value(name: str, value: Any, where: str, problems: list[str]) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    problems.append(f"{where} {name!r} has {_kind(value)} value; header values must be strings")
    return None


def _merge_headers(single: Any, multi: Any, problems: list[str]) -> dict[str, str]:
    """Merge ``headers`` into ``multiValueHeaders`` as API Gateway does (callers §1.3).

    Multi-value entries come first and give the name its casing; a single value
    already in the list is not repeated.
    """
    merged: dict[str, tuple[str, list[str]]] = {}
    if multi is not None:
        if not isinstance(multi, Mapping):
            problems.append(f"multiValueHeaders must be an object, got {_kind(multi)}")
        else:
            for name, values in multi.items():
                if not isinstance(values, list):
                    problems.append(f"multiValueHeaders {name!r} must be a list of strings, got {_kind(values)}")
                    continue
                texts = [_header_value(name, v, "multiValueHeaders", problems) for v in values]
                merged.setdefault(name.lower(), (name, []))[1].extend(t for t in texts if t is not None)
    if single is not None:
        if not isinstance(single, Mapping):
            problems.append(f"headers must be an object, got {_kind(single)}")
        else:
            for name, value in single.items():
                text = _header_value(name, value, "header", problems)
                if text is None:
                    continue
                _, values = merged.setdefault(name.lower(), (name, []))
                if text not in values:
                    values.append(text)
    return {name: ", ".join(values) for name, values in merged.values()}


def _decode_base64(body: str, problems: list[str]) -> str | bytes | None:
    try:
        raw = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        problems.append("isBase64Encoded is true but body is not valid base64")
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw


def _media_matches(entry: str, content_type: str) -> bool:
    if entry in (content_type, "*/*"):
        return True
    main, _, sub = entry.partition("/")
    return sub == "*" and "*" not in main and content_type.startswith(main + "/")


def _rest_decodes(event: Mapping[str, Any], content_type: str, binary_media_types: Sequence[str]) -> bool:
    """REST decodes a base64 body only when the request's first Accept type is a binary media type
    (exactly) and the response's Content-Type is one too (callers §1.3, LS ``test_aws_proxy_binary_response``)."""
    types = [t.lower() for t in binary_media_types]
    if not types:
        return False
    accept = _header(event.get("headers"), "accept") or _header(event.get("multiValueHeaders"), "accept") or ""
    first = str(accept).split(",")[0].split(";")[0].strip().lower()
    if first not in types:
        return False
    response_type = content_type.split(";")[0].strip().lower()
    return any(_media_matches(entry, response_type) for entry in types)


def _body_fields(payload: Mapping[str, Any], problems: list[str]) -> tuple[Any, Any]:
    """``body`` and ``isBase64Encoded``, type-checked the same way by both payload versions."""
    body = _optional(payload, "body", (str,), "a string", problems, hint=": json.dumps() it first")
    encoded = _optional(payload, "isBase64Encoded", (bool,), "true or false", problems)
    return body, encoded


def _gateway_error(
    source: str,
    failed: tuple[int, Mapping[str, str]],
    problems: Sequence[str],
    extra: Mapping[str, Any] | None = None,
    notes: Sequence[str] = (),
) -> Verdict:
    """API Gateway's own answer ``failed`` (status, error document) to a failed or malformed invocation."""
    status, body = failed
    details: dict[str, Any] = {"statusCode": status, "headers": {"Content-Type": _JSON}, "body": dict(body)}
    details.update(extra or {})
    label = body.get("message") or body.get("Message")
    return _verdict(source, f"API Gateway answers {status} {label}: {_and_more(problems)}", details, problems, notes)


def _body_summary(status: int, body: Any) -> str:
    if body in ("", b"", None):
        return f"API Gateway answers {status} with an empty body"
    shown = body if isinstance(body, str) else f"<{len(body)} bytes>"
    return f"API Gateway answers {status} with body {_short(shown)}"


def _check_apigateway_v1(call: _Call) -> Verdict:
    """REST API proxy integration, and HTTP API payload 1.0 (event-catalog §D.1; callers §1.3, §1.4).

    Details: ``statusCode``, ``headers`` (merged, what the client receives),
    ``body`` (the text the client receives, or API Gateway's own error document
    as a dict), ``isBase64Encoded``; for a base64 body also ``decoded_body``;
    for a malformed REST response ``execution_log``.
    """
    event, payload = call.event, call.payload
    http = event.get("version") == "1.0"
    source = "API Gateway HTTP API (payload 1.0)" if http else "API Gateway REST API (proxy, payload 1.0)"
    failed = _HTTP_FAILED if http else _REST_FAILED
    log = {} if http else {"execution_log": _REST_MALFORMED_LOG}
    if call.function_error:
        return _gateway_error(source, failed, [_failure(call)])
    if not isinstance(payload, Mapping):
        problem = f"the function returned {_kind(payload)}, not an object with statusCode, headers and body"
        return _gateway_error(source, failed, [problem], log)
    problems: list[str] = []
    notes: list[str] = []
    extra = [key for key in payload if key not in _REST_KEYS]
    if extra and not http:
        problems.append(
            f"unexpected top-level {_keys(extra)}: "
            "a REST proxy response may only have statusCode, headers, multiValueHeaders, body, isBase64Encoded"
        )
    elif extra:
        notes.append(f"HTTP API ignores the {_keys(extra)}")
    status = _status_code(
        payload.get("statusCode"), problems, required="HTTP API payload 1.0 requires it" if http else None
    )
    if status is None and not http and payload.get("statusCode") is None:
        status = 200
        notes.append("no statusCode: a REST API answers 200")
    headers = _merge_headers(payload.get("headers"), payload.get("multiValueHeaders"), problems)
    body, encoded = _body_fields(payload, problems)
    if problems:
        return _gateway_error(source, failed, problems, log)
    assert status is not None
    if _header(headers, "content-type") is None:
        headers["Content-Type"] = _JSON
    text = body or ""
    details: dict[str, Any] = {"statusCode": status, "headers": headers, "body": text, "isBase64Encoded": bool(encoded)}
    if encoded:
        decodes = http or _rest_decodes(event, str(_header(headers, "content-type")), call.binary_media_types)
        decoded = _decode_base64(text, problems)
        if problems and decodes:
            return _gateway_error(source, failed, problems, log)
        details["decoded_body"] = decoded
        if decodes:
            details["body"] = decoded
        else:
            notes.extend(problems)
            problems.clear()
            notes.append(
                "the client receives the base64 text: a REST API decodes it only when the request's first Accept "
                "type is one of the API's binaryMediaTypes and so is the response's Content-Type"
            )
    return _verdict(source, _body_summary(status, details["body"]), details, notes=notes)


def _is_function_url(event: Mapping[str, Any]) -> bool:
    context = event.get("requestContext")
    domain = context.get("domainName") if isinstance(context, Mapping) else None
    return isinstance(domain, str) and ".lambda-url." in domain


def _check_apigateway_v2(call: _Call) -> Verdict:
    """HTTP API payload 2.0 and function URLs (event-catalog §D.2; callers §1.3).

    Without ``statusCode`` API Gateway infers 200, ``content-type:
    application/json`` and the JSON text of the answer as body (a string is the
    body itself).  With ``statusCode`` it uses ``statusCode``, ``headers``,
    ``cookies`` (one ``set-cookie`` each), ``body`` and ``isBase64Encoded``
    (always decoded) and ignores other keys.  Details: ``statusCode``,
    ``headers``, ``body``, ``cookies``, ``inferred``.
    """
    event, payload = call.event, call.payload
    url = _is_function_url(event)
    source = "Lambda function URL (payload 2.0)" if url else "API Gateway HTTP API (payload 2.0)"
    notes = ["function URL error statuses are taken from HTTP API's (500)"] if url else []
    if call.function_error:
        return _gateway_error(source, _HTTP_FAILED, [_failure(call)], notes=notes)
    if isinstance(payload, (bytes, bytearray)):
        return _gateway_error(source, _HTTP_FAILED, ["the function's output is not JSON"])
    if not isinstance(payload, Mapping) or "statusCode" not in payload:
        body = payload if isinstance(payload, str) else json.dumps(payload)
        details = {"statusCode": 200, "headers": {"content-type": _JSON}, "body": body, "cookies": [], "inferred": True}
        summary = _body_summary(200, body) + " (no statusCode, so it infers 200 and application/json)"
        return _verdict(source, summary, details, notes=notes)
    problems: list[str] = []
    status = _status_code(payload["statusCode"], problems, required=None)
    if payload["statusCode"] is None:
        problems.append("statusCode is null")
    headers = _merge_headers(payload.get("headers"), None, problems)
    cookies = payload.get("cookies")
    if cookies is not None and not (isinstance(cookies, list) and all(isinstance(c, str) for c in cookies)):
        problems.append(f"cookies must be a list of strings, got {_kind(cookies)}")
    body, encoded = _body_fields(payload, problems)
    text: str | bytes | None = body or ""
    if encoded and not problems:
        text = _decode_base64(str(body or ""), problems)
    if problems:
        return _gateway_error(source, _HTTP_FAILED, problems)
    assert status is not None
    ignored = [key for key in payload if key not in _V2_KEYS]
    if ignored:
        notes.append(f"ignored {_keys(ignored, ': ')}")
    details = {
        "statusCode": status,
        "headers": headers,
        "body": text,
        "cookies": list(cookies or []),
        "inferred": False,
    }
    return _verdict(source, _body_summary(status, text), details, notes=notes)
