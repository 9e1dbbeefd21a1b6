"""The columns of an API's access log (``api.requests()``), the same for the local emulator's
APIs and for HTTP APIs on AWS (read back from CloudWatch Logs)."""

from __future__ import annotations

#: One row per request, in this order.
ACCESS_LOG_COLUMNS = (
    "time",
    "method",
    "path",
    "route",
    "status",
    "latency_ms",
    "integration_latency_ms",
    "request_id",
    "function",
    "function_request_id",
)
