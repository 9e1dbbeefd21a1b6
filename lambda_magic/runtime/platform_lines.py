"""The lines the Lambda platform writes around a handler: ``INIT_START``, ``START`` and ``INIT_REPORT``
(text, or ``platform.*`` records in JSON log format)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import logformat

if TYPE_CHECKING:
    from .environment import InitResult
    from .function import Function


def init_start(function: Function, initialization_type: str = "on-demand") -> str:
    """``INIT_START Runtime Version: ...`` (or ``platform.initStart``)."""
    config = function.config
    if config.log_format == "JSON":
        version, digest = logformat.runtime_version(config.runtime)
        return logformat.platform_json(
            "platform.initStart",
            {
                "initializationType": initialization_type,
                "phase": "init",
                "runtimeVersion": version,
                "runtimeVersionArn": f"arn:aws:lambda:{function.region}::runtime:{digest}",
                "functionName": function.name,
                "functionVersion": function.version,
            },
        )
    return logformat.init_start_text(config.runtime, function.region)


def start(config: Any, request_id: str, version: str) -> str:
    """``START RequestId: ... Version: ...`` (or ``platform.start``)."""
    if config.log_format == "JSON":
        return logformat.platform_json("platform.start", {"requestId": request_id, "version": version})
    return logformat.start_text(request_id, version)


def init_report(config: Any, init: InitResult, phase: str, initialization_type: str = "on-demand") -> str:
    """``INIT_REPORT Init Duration: ...`` after a failed or timed-out init (or ``platform.initReport``)."""
    error_type = init.error.get("errorType") if init.error else None
    if config.log_format == "JSON":
        record: dict[str, Any] = {
            "initializationType": initialization_type,
            "phase": phase,
            "status": init.status,
            "metrics": {"durationMs": round(init.init_ms, 3)},
        }
        if error_type:
            record["errorType"] = error_type
        return logformat.platform_json("platform.initReport", record)
    return logformat.init_report_text(init.init_ms, phase, init.status, error_type)
