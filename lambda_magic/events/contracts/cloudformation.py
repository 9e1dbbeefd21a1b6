"""CloudFormation custom resources: the response document PUT to ``ResponseURL``.

CloudFormation invokes the function asynchronously and ignores its return
value; it waits for a document (``Status``, ``PhysicalResourceId``, the
request's ids, ...) PUT to the presigned ``ResponseURL``, or gives up after
``ServiceTimeout``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ._common import Verdict, _and_more, _Call, _failure, _json_bytes, _kind, _optional, _short, _verdict

_CFN_BODY_MAX = 4096
_CFN_ID_MAX = 1024
_CFN_TIMEOUT_S = 3600
_CFN_NOT_STABLE = "Custom Resource failed to stabilize in expected time"


def _service_timeout(event: Mapping[str, Any]) -> int:
    value: Any = event.get("ServiceTimeout")
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        return _CFN_TIMEOUT_S
    return seconds if 1 <= seconds <= _CFN_TIMEOUT_S else _CFN_TIMEOUT_S


def _cfn_document(raw: Any, problems: list[str]) -> tuple[Mapping[str, Any] | None, int]:
    """The document and its size in bytes; a PUT body may come as text or bytes."""
    if isinstance(raw, (str, bytes, bytearray)):
        size = len(raw.encode("utf-8") if isinstance(raw, str) else raw)
        try:
            raw = json.loads(raw)
        except ValueError:
            problems.append("the response document is not valid JSON")
            return None, size
    else:
        size = _json_bytes(raw)
    if not isinstance(raw, Mapping):
        problems.append(f"the response document must be an object, got {_kind(raw)}")
        return None, size
    return raw, size


def _check_cloudformation(call: _Call) -> Verdict:
    """CloudFormation custom resource (event-catalog §C.10, §D.5; callers §2.2, §2.3).

    CloudFormation invokes asynchronously and reads only the document PUT to
    ``ResponseURL``.  The document checked is ``response_document`` (a
    captured PUT body) when given, else the return value if it looks like one
    (``Status`` or ``PhysicalResourceId``), as a reminder of what to send.

    Details: ``read_from`` (``"ResponseURL"`` or ``"return value"``),
    ``resource_status`` (``CREATE_COMPLETE``, ``UPDATE_FAILED``, ...),
    ``timeout_s``; for a checked document also ``Status``,
    ``PhysicalResourceId``, ``Reason``, ``Data``, ``NoEcho``,
    ``document_bytes``, ``replacement`` and ``next_request``.
    """
    source = "CloudFormation custom resource"
    event = call.event
    given = event.get("RequestType")
    request_type = str(given) if given in ("Create", "Update", "Delete") else "Create"
    prefix = request_type.upper()
    timeout = _service_timeout(event)
    stuck = f"the resource ends {prefix}_FAILED: '{_CFN_NOT_STABLE}'"
    wait = f"without that PUT the stack waits {timeout} s (ServiceTimeout) and {stuck}"
    if call.function_error:
        summary = (
            f"CloudFormation never hears of the error: Lambda retries the asynchronous invoke twice and nobody PUTs "
            f"to ResponseURL, so the stack waits {timeout} s and {stuck}"
        )
        details: dict[str, Any] = {
            "read_from": "ResponseURL",
            "resource_status": f"{prefix}_FAILED",
            "timeout_s": timeout,
            "Reason": _CFN_NOT_STABLE,
        }
        return _verdict(source, summary, details, [_failure(call)])
    captured = call.response_document is not None
    raw = call.response_document if captured else call.payload
    if not captured and not (isinstance(raw, Mapping) and ("Status" in raw or "PhysicalResourceId" in raw)):
        returned = "" if raw is None else f" ({_kind(raw)})"
        summary = (
            f"CloudFormation ignores the return value{returned}: it reads only the response document PUT to "
            f"ResponseURL (e.g. with cfnresponse.send); {wait}"
        )
        details = {"read_from": "ResponseURL", "checked": False, "resource_status": None, "timeout_s": timeout}
        return _verdict(source, summary, details)
    problems: list[str] = []
    notes: list[str] = []
    document, size = _cfn_document(raw, problems)
    details = {
        "read_from": "ResponseURL" if captured else "return value",
        "checked": True,
        "timeout_s": timeout,
        "document_bytes": size,
    }
    status = physical = None
    if document is not None:
        status = document.get("Status")
        if status not in ("SUCCESS", "FAILED"):
            problems.append(f'Status must be "SUCCESS" or "FAILED", got {status!r}')
        reason = document.get("Reason")
        if status == "FAILED" and not (isinstance(reason, str) and reason):
            problems.append("Reason is required when Status is FAILED")
        physical = document.get("PhysicalResourceId")
        if not (isinstance(physical, str) and physical):
            problems.append("PhysicalResourceId is required and must be a non-empty string")
            if status == "FAILED":
                notes.append(
                    "with an empty PhysicalResourceId CloudFormation replaces the Reason with "
                    "'Invalid PhysicalResourceId'"
                )
        elif len(physical.encode("utf-8")) > _CFN_ID_MAX:
            problems.append(f"PhysicalResourceId is longer than 1 KB ({len(physical.encode('utf-8'))} bytes)")
        for key in ("StackId", "RequestId", "LogicalResourceId"):
            if key not in document:
                problems.append(f"{key} is missing: copy it from the request")
            elif key in event and document[key] != event[key]:
                problems.append(f"{key} {document[key]!r} does not match the request's {event[key]!r}")
        if "NoEcho" in document and not isinstance(document["NoEcho"], bool):
            problems.append(f"NoEcho must be true or false, got {_kind(document['NoEcho'])}")
        _optional(document, "Data", (Mapping,), "an object", problems)
        details.update({key: document.get(key) for key in ("Status", "PhysicalResourceId", "Reason", "Data", "NoEcho")})
    if size > _CFN_BODY_MAX:
        problems.append(f"the response document is {size} bytes; CloudFormation accepts at most {_CFN_BODY_MAX}")
    old = event.get("PhysicalResourceId")
    replacement = request_type == "Update" and isinstance(physical, str) and old is not None and physical != old
    if request_type == "Delete" and old is not None and physical is not None and physical != old:
        problems.append(f"a Delete must answer with the PhysicalResourceId it was sent ({old!r}), got {physical!r}")
    failed = bool(problems) or status == "FAILED"
    details["resource_status"] = f"{prefix}_{'FAILED' if failed else 'COMPLETE'}"
    details["replacement"] = replacement
    details["next_request"] = None
    if replacement and not failed:
        details["next_request"] = "Delete"
        notes.append(
            f"a new PhysicalResourceId on Update means replacement: CloudFormation later sends a Delete for {old!r}"
        )
    elif failed and request_type == "Create":
        details["next_request"] = "Delete"
        notes.append("the stack rolls back and sends a Delete carrying this response's PhysicalResourceId")
    elif failed and request_type == "Update":
        details["next_request"] = "Update"
        notes.append("the stack rolls back with another Update that restores the old properties")
    if problems:
        summary = (
            f"CloudFormation rejects the response document and the resource ends {prefix}_FAILED: {_and_more(problems)}"
        )
    elif status == "FAILED":
        summary = f"the resource ends {prefix}_FAILED with reason {_short(str(details.get('Reason')))}"
    else:
        summary = f"the resource ends {prefix}_COMPLETE with PhysicalResourceId {physical!r}"
    if not captured:
        summary += (
            f". But this is the return value, which CloudFormation ignores: it reads only the document PUT to "
            f"ResponseURL; {wait}"
        )
    return _verdict(source, summary, details, problems, notes)
