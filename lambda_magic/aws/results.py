"""Lambda's ``Invoke`` answer read into an :class:`Invocation`: payload, FunctionError, log tail, REPORT."""

from __future__ import annotations

import base64
import json
import re
import time
from typing import Any

from ..runtime.invocation import Invocation
from ..runtime.logstore import LogEvent

_REPORT_FIELDS = {
    "Duration": "duration_ms",
    "Billed Duration": "billed_duration_ms",
    "Memory Size": "memory_size_mb",
    "Max Memory Used": "max_memory_used_mb",
    "Init Duration": "init_duration_ms",
}
_FIELD = re.compile(r"(Duration|Billed Duration|Memory Size|Max Memory Used|Init Duration): ([0-9.]+) (?:ms|MB)")
_REQUEST_ID = re.compile(r"RequestId: ([0-9a-f-]{36})|^\S+\t([0-9a-f-]{36})\t")
_LEVEL = re.compile(r"^\S+\t[0-9a-f-]{36}\t([A-Z]+)\t")
_INTEGERS = {"billed_duration_ms", "memory_size_mb", "max_memory_used_mb"}


def parse_report(line: str) -> dict[str, float | int]:
    """The figures of a ``REPORT RequestId: ...`` line, by Invocation attribute name."""
    found: dict[str, float | int] = {}
    for label, value in _FIELD.findall(line):
        name = _REPORT_FIELDS[label]
        found[name] = int(float(value)) if name in _INTEGERS else float(value)
    return found


def decode_tail(log_result: str | None) -> list[str]:
    """``LogResult`` (base64 of the last 4 KB of the invocation's log) as lines."""
    if not log_result:
        return []
    text = base64.b64decode(log_result).decode("utf-8", errors="replace")
    return [line for line in text.splitlines() if line.strip()]


def _error_document(body: bytes) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except ValueError:
        document = None
    if isinstance(document, dict):
        return document
    return {"errorMessage": body.decode("utf-8", errors="replace"), "errorType": "Unknown"}


def invocation_from_response(
    name: str,
    response: dict[str, Any],
    *,
    invocation_type: str,
    event: Any,
    trigger: str = "direct",
    start: float | None = None,
    memory_mb: int | None = None,
    architecture: str | None = None,
) -> Invocation:
    """The record of one ``Invoke`` call, from boto3's response (``Payload`` a stream or bytes)."""
    payload: Any = response.get("Payload")
    body: bytes = payload.read() if hasattr(payload, "read") else (payload or b"")
    status_code = int(response.get("StatusCode", 200))
    request_id = response.get("ResponseMetadata", {}).get("RequestId") or ""
    lines = decode_tail(response.get("LogResult"))
    report = next((line for line in reversed(lines) if line.startswith("REPORT ")), None)
    figures = parse_report(report) if report else {}
    function_error = response.get("FunctionError")
    inv = Invocation(
        request_id=request_id,
        function_name=name,
        version=response.get("ExecutedVersion") or "$LATEST",
        invocation_type=invocation_type,
        status_code=status_code,
        status="success",
        log_lines=lines,
        report=report,
        trigger=trigger,
        start=time.time() if start is None else start,
        event=event,
        architecture=architecture,
        backend="aws",
    )
    for attribute, value in figures.items():
        setattr(inv, attribute, value)
    if inv.memory_size_mb is None:
        inv.memory_size_mb = memory_mb
    inv.cold_start = inv.init_duration_ms is not None
    if invocation_type == "Event":
        inv.status = "queued"  # 202: Lambda queued it; its result is in the logs later
    elif invocation_type == "DryRun":
        inv.status = "dry-run"
    elif function_error:
        error = _error_document(body)
        inv.function_error = function_error
        inv.error = error
        inv.error_type = str(error.get("errorType", "Unknown"))
        inv.error_message = str(error.get("errorMessage", ""))
        inv.status = "timeout" if "Task timed out" in inv.error_message else "error"
    else:
        inv.body = body
    return inv


def log_event(function: str, event: dict[str, Any]) -> LogEvent:
    """One ``FilterLogEvents`` event as a :class:`LogEvent` (its request id and level read from the line)."""
    message = str(event.get("message", "")).rstrip("\n")
    found = _REQUEST_ID.search(message)
    request_id = (found.group(1) or found.group(2)) if found else None
    level_match = _LEVEL.match(message)
    level = "SYSTEM" if message.split(" ", 1)[0] in ("START", "END", "REPORT", "INIT_START") else None
    if level_match:
        level = level_match.group(1)
    return LogEvent(
        float(event.get("timestamp", 0)), function, str(event.get("logStreamName", "")), request_id, level, message
    )
