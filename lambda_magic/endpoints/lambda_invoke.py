"""Lambda's data plane: ``Invoke`` (RequestResponse, Event, DryRun) over the account's invoke path.

An invocation through the API is an ordinary invocation of the account (trigger
``api``); one made from inside a handler records the calling request id.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from ..common import limits
from .calls import Call
from .errors import ApiError

#: ``LogResult`` holds the last 4 KB of the execution log, as on AWS.
TAIL_BYTES = 4096


def invoke(call: Call) -> dict[str, Any]:
    params = call.params
    invocation_type = params.get("InvocationType") or "RequestResponse"
    if invocation_type not in limits.INVOCATION_TYPES:
        raise ApiError(
            "InvalidParameterValueException",
            f"1 validation error detected: Value '{invocation_type}' at 'invocationType' failed to satisfy "
            f"constraint: Member must satisfy enum value set: [{', '.join(limits.INVOCATION_TYPES)}]",
        )
    body: bytes = params.get("Payload") or b""
    if len(body) > limits.SYNC_PAYLOAD_MAX_BYTES:
        raise ApiError(
            "RequestEntityTooLargeException",
            f"Request must be smaller than {limits.SYNC_PAYLOAD_MAX_BYTES} bytes for the InvokeFunction operation",
            413,
        )
    if invocation_type == "Event" and len(body) > limits.ASYNC_PAYLOAD_MAX_BYTES:
        raise ApiError(
            "RequestEntityTooLargeException",
            f"{len(body)} byte payload is too large for the Event invocation type "
            f"(limit {limits.ASYNC_PAYLOAD_MAX_BYTES} bytes)",
            413,
        )
    event = _event(body)
    client_context = _client_context(params.get("ClientContext"))
    latest, qualifier = call.function()
    target = call.version()  # a missing version or alias is ResourceNotFoundException with AWS's message
    if call.caller_inline and target.config.isolation == "inline" and invocation_type == "RequestResponse":
        raise ApiError(
            "ResourceConflictException",
            f"{call.operation}: an inline handler cannot wait for another inline function (inline "
            f"invocations run one at a time in the kernel); give {latest.name} isolation='process' "
            "or invoke it with InvocationType='Event'",
        )
    # a throttle raises TooManyRequestsException: a 429 with Reason and Retry-After (see errors.py)
    invocation = call.account.invoke(
        latest.name,
        event,
        invocation_type=invocation_type,
        qualifier=qualifier,
        client_context=client_context,
        trigger="api",
        caller_request_id=call.caller_request_id,
        trace_header=call.trace_header,
    )
    if invocation_type != "RequestResponse":
        return {"StatusCode": invocation.status_code}
    if invocation.error is not None:
        payload = json.dumps(invocation.error).encode()
    else:
        payload = invocation.body if invocation.body is not None else b"null"
    result: dict[str, Any] = {
        "StatusCode": 200,
        "Payload": payload,
        "ExecutedVersion": invocation.version,
        "FunctionError": invocation.function_error,
    }
    if params.get("LogType") == "Tail":
        log = "".join(line + "\n" for line in invocation.init_log_lines + invocation.log_lines).encode()
        result["LogResult"] = base64.b64encode(log[-TAIL_BYTES:]).decode()
    return result


def _event(body: bytes) -> Any:
    if not body.strip():
        return None  # no payload: the handler gets {} as on AWS
    try:
        return json.loads(body)
    except ValueError as exc:
        raise ApiError(
            "InvalidRequestContentException",
            f"Could not parse request body into json: Could not parse payload into json: {exc}",
        ) from None


def _client_context(header: str | None) -> dict[str, Any] | None:
    if header is None:
        return None
    if len(header) > limits.CLIENT_CONTEXT_MAX_BYTES:
        raise ApiError(
            "InvalidParameterValueException",
            f"Client context must be at most {limits.CLIENT_CONTEXT_MAX_BYTES} bytes (base64-encoded)",
        )
    try:
        context = json.loads(base64.b64decode(header, validate=True))
    except (binascii.Error, ValueError):
        raise ApiError(
            "InvalidRequestContentException", "Client context must be a valid Base64-encoded JSON object."
        ) from None
    if not isinstance(context, dict):
        raise ApiError("InvalidRequestContentException", "Client context must be a valid Base64-encoded JSON object.")
    return context


OPERATIONS = {"Invoke": invoke}
