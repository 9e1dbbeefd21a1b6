"""Log lines exactly as Lambda writes them: platform lines and the runtime's formats.

Platform lines (INIT_START, START, END, REPORT, INIT_REPORT) are written by the
Lambda service; application lines by the Python runtime's root-logger handler.
Both have a Text form and a JSON form (``LoggingConfig.LogFormat``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from datetime import datetime, timezone
from typing import Any, Callable

TEXT_FORMAT = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s"
TEXT_DATEFMT = "%Y-%m-%dT%H:%M:%S"
NBSP = "\u00a0"

#: ApplicationLogLevel -> the Python logging level the runtime sets on the root logger.
PYTHON_LEVELS = {
    "TRACE": "DEBUG",
    "DEBUG": "DEBUG",
    "INFO": "INFO",
    "WARN": "WARNING",
    "ERROR": "ERROR",
    "FATAL": "CRITICAL",
}


def runtime_version(runtime: str) -> tuple[str, str]:
    """A runtime version string and its ARN, shaped like Lambda's (``python:3.12.v38``)."""
    version = f"{runtime.replace('python', 'python:')}.v1"
    digest = hashlib.sha256(version.encode()).hexdigest()
    return version, digest


def iso_millis(epoch_s: float) -> str:
    """``2024-01-01T12:00:00.123Z``, the timestamp format of JSON platform records."""
    return datetime.fromtimestamp(epoch_s, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


# --- platform lines, Text format -------------------------------------------------------


def init_start_text(runtime: str, region: str) -> str:
    version, digest = runtime_version(runtime)
    return f"INIT_START Runtime Version: {version}\tRuntime Version ARN: arn:aws:lambda:{region}::runtime:{digest}"


def start_text(request_id: str, version: str) -> str:
    return f"START RequestId: {request_id} Version: {version}"


def end_text(request_id: str) -> str:
    return f"END RequestId: {request_id}"


def init_report_text(init_ms: float, phase: str, status: str, error_type: str | None) -> str:
    line = f"INIT_REPORT Init Duration: {init_ms:.2f} ms\tPhase: {phase}\tStatus: {status}"
    return f"{line}\tError Type: {error_type}" if error_type else line


def report_text(
    request_id: str,
    duration_ms: float,
    billed_ms: int,
    memory_mb: int,
    max_memory_mb: int | None,
    init_ms: float | None,
    status: str,
    error_type: str | None,
) -> str:
    """The REPORT line: tab-separated, Init Duration only on a cold start, Status on failure."""
    used = "n/a" if max_memory_mb is None else str(max_memory_mb)
    parts = [
        f"REPORT RequestId: {request_id}",
        f"Duration: {duration_ms:.2f} ms",
        f"Billed Duration: {billed_ms} ms",
        f"Memory Size: {memory_mb} MB",
        f"Max Memory Used: {used} MB",
    ]
    if init_ms is not None:
        parts.append(f"Init Duration: {init_ms:.2f} ms")
    if status == "timeout":
        parts.append("Status: timeout")
    elif status == "error" and error_type and error_type.startswith(("Runtime.", "Sandbox.", "Function.")):
        parts.append(f"Status: error\tError Type: {error_type}")
    return "\t".join(parts)


# --- platform lines, JSON format (telemetry-style records) ---------------------------


def platform_json(kind: str, record: dict[str, Any], epoch_s: float | None = None) -> str:
    return json.dumps({"time": iso_millis(time.time() if epoch_s is None else epoch_s), "type": kind, "record": record})


def report_record(
    request_id: str,
    duration_ms: float,
    billed_ms: int,
    memory_mb: int,
    max_memory_mb: int | None,
    init_ms: float | None,
    status: str,
    error_type: str | None,
) -> dict[str, Any]:
    metrics: dict[str, Any] = {
        "durationMs": round(duration_ms, 3),
        "billedDurationMs": billed_ms,
        "memorySizeMB": memory_mb,
        "maxMemoryUsedMB": max_memory_mb,
    }
    if init_ms is not None:
        metrics["initDurationMs"] = round(init_ms, 3)
    record: dict[str, Any] = {"requestId": request_id, "metrics": metrics, "status": status}
    if error_type and status != "success":
        record["errorType"] = error_type
    return record


# --- application logs: the runtime's root handler ----------------------------------


class LambdaLogHandler(logging.Handler):
    """The handler the Python runtime puts on the root logger; one record is one event.

    ``emit_event(level, message)`` receives each formatted record.  ``request_id``
    is a callable so that records logged during init carry an empty request id.
    """

    def __init__(self, emit_event: Callable[[str, str], None], request_id: Callable[[], str], json_format: bool):
        super().__init__()
        self._emit_event = emit_event
        self._request_id = request_id
        self._json = json_format
        if not json_format:
            formatter = logging.Formatter(TEXT_FORMAT, TEXT_DATEFMT)
            formatter.converter = time.gmtime
            self.setFormatter(formatter)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            record.aws_request_id = self._request_id()
            message = self._format_json(record) if self._json else self.format(record)
            self._emit_event(record.levelname, message)
        except Exception:  # pragma: no cover - logging must never break the handler
            self.handleError(record)

    def _format_json(self, record: logging.LogRecord) -> str:
        if isinstance(record.msg, dict) and not record.args:
            message: Any = record.msg
        else:
            message = record.getMessage()
        level = logging.getLevelName(record.levelno // 10 * 10)
        doc: dict[str, Any] = {
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created)),
            "level": level,
            "message": message,
            "logger": record.name,
            "requestId": record.aws_request_id or None,  # type: ignore[attr-defined]
        }
        if record.exc_info and record.exc_info[1] is not None:
            import traceback

            exc_type, exc, tb = record.exc_info
            doc["errorType"] = exc_type.__name__ if exc_type else None
            doc["errorMessage"] = str(exc)
            doc["stackTrace"] = traceback.format_tb(tb)
            doc["location"] = f"{record.pathname}:{record.funcName}:{record.lineno}"
        for key, value in record.__dict__.items():
            if key not in _STANDARD_RECORD_KEYS and key not in doc:
                doc[key] = value
        return json.dumps({k: v for k, v in doc.items() if v is not None}, default=str)


_STANDARD_RECORD_KEYS = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "aws_request_id",
    "message",
    "asctime",
}


def error_log_text(error: dict[str, Any]) -> str:
    """The ``[ERROR] Type: message`` event the runtime logs for an unhandled exception."""
    error_type, message = error.get("errorType"), error.get("errorMessage")
    head = "[ERROR]"
    if error_type:
        head += f" {error_type}"
    if message:
        head += f"{':' if error_type else ''} {message}"
    lines = [head]
    stack = error.get("stackTrace")
    if stack is not None:
        lines.append("Traceback (most recent call last):")
        for element in stack:
            for line in element.splitlines() or [""]:
                stripped = line.lstrip(" ")
                lines.append(NBSP * (len(line) - len(stripped)) + stripped)
    return "\n".join(lines)


def error_log_json(error: dict[str, Any], request_id: str) -> str:
    """The JSON-format record for an unhandled exception."""
    doc = {
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "level": "ERROR",
        "message": error.get("errorMessage"),
        "logger": "root",
        "requestId": request_id or None,
        "errorType": error.get("errorType"),
        "errorMessage": error.get("errorMessage"),
        "stackTrace": error.get("stackTrace"),
    }
    return json.dumps({k: v for k, v in doc.items() if v is not None})
