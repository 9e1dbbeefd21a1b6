"""An API's access log on AWS: the stage writes one JSON line per request to a CloudWatch Logs
log group, and ``api.requests()`` reads it back in the columns of the local access log.

API Gateway delivers access logs a few seconds after the request (never at once, unlike the
local emulator), and fills a ``$context`` variable that has no value with ``-``.  A REST API's
stage writes them only once the region's API Gateway account setting ``cloudwatchRoleArn`` names
a role API Gateway may write logs with (HTTP APIs need none).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
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


#: A REST API's line: REST APIs have no route key, so the method and the resource
#: (``/items/{id}``) stand for it.
REST_FORMAT = json.dumps(
    {
        **{key: value for key, value in json.loads(FORMAT).items() if key != "route"},
        "resource_path": "$context.resourcePath",
    },
    separators=(",", ":"),
)
#: What UpdateAccount answers while the role just made propagates through IAM.
ROLE_NOT_READY = "does not have required permissions set to API Gateway"


def account_logging_role(apigateway: Any, make_role: Callable[[], str] | None, retry: Callable[..., Any]) -> str | None:
    """The role the region's REST APIs write their logs with (the API Gateway account setting
    ``cloudwatchRoleArn``).  When none is set and ``make_role`` is given, the role it makes is set
    (``retry`` waits out IAM's propagation); a role set already is never replaced.  None: no role."""
    current = apigateway.get_account().get("cloudwatchRoleArn")
    if current or make_role is None:
        return current or None
    arn = make_role()
    retry(
        lambda: apigateway.update_account(
            patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": arn}]
        ),
        also=(ROLE_NOT_READY,),
        also_code="BadRequestException",
    )
    return arn


def stage_settings_patch(region: str, account_id: str, api_id: str) -> list[dict[str, str]]:
    """``UpdateStage``'s patch operations that send a REST API stage's access log to its log group."""
    return [
        {
            "op": "replace",
            "path": "/accessLogSettings/destinationArn",
            "value": log_group_arn(region, account_id, api_id),
        },
        {"op": "replace", "path": "/accessLogSettings/format", "value": REST_FORMAT},
    ]


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
    if "resource_path" in line:  # a REST API's line
        route = _rest_route(_value(line.get("method"), str), _value(line.get("resource_path"), str), targets)
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


def _rest_route(method: str | None, resource: str | None, targets: Mapping[str, str]) -> str | None:
    """The route key a REST API request matched: ``METHOD /resource``, or ``ANY /resource``."""
    if method is None or resource is None:
        return None
    exact, anything = f"{method} {resource}", f"ANY {resource}"
    return anything if exact not in targets and anything in targets else exact


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
