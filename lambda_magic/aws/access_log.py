"""An HTTP API's access log on AWS: the stage writes one JSON line per request to a CloudWatch
Logs log group, and ``api.requests()`` reads it back in the columns of the local access log.

API Gateway delivers access logs a few seconds after the request (never at once, unlike the
local emulator), and fills a ``$context`` variable that has no value with ``-``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

#: The access log's line: the local access log's columns, from API Gateway's ``$context`` variables.
FORMAT = json.dumps(
    {
        "request_id": "$context.requestId",
        "time_ms": "$context.requestTimeEpoch",
        "method": "$context.httpMethod",
        "path": "$context.path",
        "route": "$context.routeKey",
        "status": "$context.status",
        "latency_ms": "$context.responseLatency",
        "integration_latency_ms": "$context.integrationLatency",
        "function_request_id": "$context.integration.requestId",
    },
    separators=(",", ":"),
)


def log_group(api_id: str) -> str:
    """The log group of an API's access log (``/aws/vendedlogs/``: AWS's prefix for logs services deliver)."""
    return f"/aws/vendedlogs/apigateway/{api_id}"


def log_group_arn(region: str, account_id: str, api_id: str) -> str:
    return f"arn:aws:logs:{region}:{account_id}:log-group:{log_group(api_id)}"


def create_log_group(logs: Any, api_id: str) -> None:
    """Make the API's log group (one that is there already is kept)."""
    try:
        logs.create_log_group(logGroupName=log_group(api_id))
    except logs.exceptions.ResourceAlreadyExistsException:
        pass


def delete_log_group(logs: Any, api_id: str) -> None:
    try:
        logs.delete_log_group(logGroupName=log_group(api_id))
    except logs.exceptions.ResourceNotFoundException:
        pass  # deleted already


def _value(raw: Any, kind: type) -> Any:
    """A ``$context`` value: ``-`` (or nothing) is None, else ``kind(raw)``."""
    if raw in (None, "", "-"):
        return None
    try:
        return kind(raw)
    except (TypeError, ValueError):
        return None


def parse_line(message: str, targets: Mapping[str, str]) -> dict[str, Any] | None:
    """One access log line as a row of ``api.requests()`` (``targets``: route key -> function);
    None for a line that is not this format's."""
    try:
        line = json.loads(message)
    except ValueError:
        return None
    if not isinstance(line, dict) or "request_id" not in line:
        return None
    time_ms = _value(line.get("time_ms"), float)
    route = _value(line.get("route"), str)
    return {
        "time": None if time_ms is None else time_ms / 1000,
        "method": _value(line.get("method"), str),
        "path": _value(line.get("path"), str),
        "route": route,
        "status": _value(line.get("status"), int),
        "latency_ms": _value(line.get("latency_ms"), float),
        "integration_latency_ms": _value(line.get("integration_latency_ms"), float),
        "request_id": line["request_id"],
        "function": targets.get(route) if route else None,
        "function_request_id": _value(line.get("function_request_id"), str),
    }


def _messages(logs: Any, group: str) -> Iterator[dict[str, Any]]:
    for page in logs.get_paginator("filter_log_events").paginate(logGroupName=group):
        yield from page.get("events", [])


def read(logs: Any, api_id: str, targets: Mapping[str, str]) -> list[dict[str, Any]]:
    """The access log's rows so far, oldest first (``FilterLogEvents``; empty before the first delivery)."""
    try:
        events = sorted(_messages(logs, log_group(api_id)), key=lambda event: event.get("timestamp", 0))
    except logs.exceptions.ResourceNotFoundException:
        return []
    rows = [parse_line(str(event.get("message", "")), targets) for event in events]
    return [row for row in rows if row is not None]
