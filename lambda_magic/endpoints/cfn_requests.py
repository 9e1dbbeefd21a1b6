"""One custom resource request: the event, the asynchronous invoke, the wait and the answer.

CloudFormation invokes the function named by ``ServiceToken`` asynchronously (an
unhandled error is retried by Lambda and never reaches CloudFormation) and waits for a
document PUT to the request's ``ResponseURL``, or ``ServiceTimeout`` seconds (1 to 3,600;
an hour when not given) on the account clock, after which the resource fails with
"Custom Resource failed to stabilize in expected time".  :func:`judge` reads the
document as CloudFormation does (at most 4,096 bytes, ``Status``, a non-empty
``PhysicalResourceId``, the request's ids, ``Data``, ``NoEcho``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..common.errors import LambdaMagicError
from .cfn_responses import ResponseUrls

BODY_MAX = 4096
PHYSICAL_ID_MAX = 1024
DEFAULT_TIMEOUT_S = 3600
NOT_STABLE = "Custom Resource failed to stabilize in expected time"


@dataclass
class Outcome:
    """What a request ended with: SUCCESS or FAILED (with CloudFormation's reason)."""

    status: str
    physical_id: str | None
    reason: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    no_echo: bool = False
    request_id: str = ""
    #: False when no request reached the function (no ServiceToken, no such function).
    sent: bool = True

    @property
    def ok(self) -> bool:
        return self.status == "SUCCESS"


def service_timeout(properties: Mapping[str, Any]) -> int:
    """``ServiceTimeout`` (1-3600 s) from the properties, else an hour."""
    try:
        seconds = int(properties.get("ServiceTimeout", DEFAULT_TIMEOUT_S))
    except (TypeError, ValueError):
        return DEFAULT_TIMEOUT_S
    return seconds if 1 <= seconds <= DEFAULT_TIMEOUT_S else DEFAULT_TIMEOUT_S


def judge(body: bytes, event: Mapping[str, Any]) -> Outcome:
    """The resource's outcome from the document that arrived, as CloudFormation reads it."""
    request_id = str(event["RequestId"])

    def failed(reason: str, physical: Any = None) -> Outcome:
        return Outcome(
            "FAILED", physical if isinstance(physical, str) and physical else None, reason, request_id=request_id
        )

    if len(body) > BODY_MAX:
        return failed("Response object is too long.")
    try:
        document = json.loads(body)
    except ValueError:
        return failed("Invalid response object: the document is not valid JSON")
    if not isinstance(document, dict):
        return failed("Invalid response object: the document is not a JSON object")
    physical = document.get("PhysicalResourceId")
    status = document.get("Status")
    if status not in ("SUCCESS", "FAILED"):
        return failed(f"Invalid response object: Status must be SUCCESS or FAILED, not {status!r}", physical)
    if not isinstance(physical, str) or not physical or len(physical.encode()) > PHYSICAL_ID_MAX:
        return failed("Invalid PhysicalResourceId")
    for key in ("StackId", "RequestId", "LogicalResourceId"):
        if document.get(key) != event.get(key):
            return failed(f"Invalid response object: {key} does not match the request", physical)
    if status == "FAILED":
        message = document.get("Reason") or ""
        reason = (
            f"Received response status [FAILED] from custom resource. Message returned: {message} "
            f"(RequestId: {request_id})"
        )
        return failed(reason, physical)
    data = document.get("Data") or {}
    if not isinstance(data, dict):
        return failed("Invalid response object: Data must be an object", physical)
    return Outcome("SUCCESS", physical, None, data, document.get("NoEcho") is True, request_id)


def send(
    account: Any,
    responses: ResponseUrls,
    *,
    stack_id: str,
    logical_id: str,
    resource_type: str,
    request_type: str,
    properties: dict[str, Any],
    old_properties: dict[str, Any] | None = None,
    physical_id: str | None = None,
    trigger: str = "cloudformation",
    invoked: list[str] | None = None,
) -> tuple[dict[str, Any], Outcome]:
    """Send one request to the function behind ``ServiceToken`` and wait for its answer (blocks);
    the invocation's request id is appended to ``invoked``."""
    request_id = str(uuid.uuid4())
    token = properties.get("ServiceToken")
    pending = responses.issue(stack_id, logical_id, request_id)
    event: dict[str, Any] = {
        "RequestType": request_type,
        "ServiceToken": token,
        "ResponseURL": pending.url,
        "StackId": stack_id,
        "RequestId": request_id,
        "ResourceType": resource_type,
        "LogicalResourceId": logical_id,
    }
    if physical_id is not None:
        event["PhysicalResourceId"] = physical_id
    event["ResourceProperties"] = properties
    if old_properties is not None:
        event["OldResourceProperties"] = old_properties
    if not isinstance(token, str) or not token:
        return event, Outcome("FAILED", physical_id, "Property ServiceToken cannot be empty.", sent=False)
    try:
        accepted = account.invoke(token, event, invocation_type="Event", trigger=trigger)
    except LambdaMagicError as exc:
        reason = f"Invalid service token: {token} ({exc})"
        return event, Outcome("FAILED", physical_id, reason, sent=False)
    if invoked is not None:
        invoked.append(accepted.request_id)
    responses.expect(pending, service_timeout(properties))  # after the invoke: the event counts as work
    pending.done.wait()
    if pending.timed_out or pending.first is None:
        return event, Outcome("FAILED", physical_id, NOT_STABLE, request_id=request_id)
    return event, judge(pending.first.body, event)
