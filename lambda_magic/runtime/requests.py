"""Checking an Invoke request as Lambda's API does: names, payloads, client context."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..common import limits
from ..common.errors import InvalidParameterValueException, InvalidRequestContentException, RequestTooLargeException


def parse_function_name(name: str) -> tuple[str, str | None]:
    """``(name, qualifier)`` from a name, a partial ARN or a full ARN."""
    if not isinstance(name, str) or not name:
        raise InvalidParameterValueException("give a function name")
    parts = name.split(":")
    if parts[0] == "arn" and len(parts) in (7, 8) and parts[2] == "lambda" and parts[5] == "function":
        return parts[6], (parts[7] if len(parts) == 8 else None)
    if len(parts) in (3, 4) and parts[1] == "function":
        return parts[2], (parts[3] if len(parts) == 4 else None)
    if len(parts) == 2:
        return parts[0], parts[1]
    return name, None


def encode_payload(event: Any, invocation_type: str) -> bytes:
    """The request body: JSON of ``event`` (``{}`` when None); bytes are taken as JSON text."""
    if event is None:
        payload = b"{}"
    elif isinstance(event, (bytes, bytearray)):
        payload = bytes(event)
        try:
            json.loads(payload)
        except ValueError as exc:
            raise InvalidRequestContentException(f"could not parse request body into json: {exc}") from None
    else:
        try:
            payload = json.dumps(event).encode()
        except (TypeError, ValueError) as exc:
            raise InvalidRequestContentException(f"the event is not JSON-serialisable: {exc}") from None
    limit = limits.ASYNC_PAYLOAD_MAX_BYTES if invocation_type == "Event" else limits.SYNC_PAYLOAD_MAX_BYTES
    if len(payload) > limit:
        raise RequestTooLargeException(
            f"{len(payload)} byte payload is too large for the {invocation_type} invocation type (limit {limit} bytes)"
        )
    return payload


def check_client_context(client_context: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Validate a ClientContext as Lambda does (JSON, at most 3,583 bytes base64-encoded)."""
    if client_context is None:
        return None
    if not isinstance(client_context, Mapping):
        raise InvalidParameterValueException("client context must be a JSON object (a dict)")
    try:
        encoded = json.dumps(dict(client_context)).encode()
    except (TypeError, ValueError) as exc:
        raise InvalidParameterValueException(f"client context is not JSON-serialisable: {exc}") from None
    if (len(encoded) + 2) // 3 * 4 > limits.CLIENT_CONTEXT_MAX_BYTES:
        raise InvalidParameterValueException(
            f"client context is too large: at most {limits.CLIENT_CONTEXT_MAX_BYTES} bytes once base64-encoded"
        )
    return dict(client_context)
