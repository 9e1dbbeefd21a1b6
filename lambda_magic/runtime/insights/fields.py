"""The fields Logs Insights discovers in a log event.

Every event has ``@timestamp`` (epoch milliseconds), ``@message``, ``@logStream``,
``@log`` (``account-id:log-group``) and ``@ingestionTime``.  Lambda's platform lines add
``@type`` (START, END, REPORT) and ``@requestId``; a REPORT line adds ``@duration``,
``@billedDuration``, ``@initDuration`` (milliseconds) and ``@memorySize``,
``@maxMemoryUsed`` (bytes, as CloudWatch reports them: MB x 1,000,000, which keeps
AWS's own sample query ``@memorySize / 1000 / 1000`` exact), and ``@xrayTraceId`` /
``@xraySegmentId`` when traced.  The first JSON object in a message (the whole line of
a JSON log record, or the JSON a handler prints) gives its keys as fields, nested keys
with dots and list items with their index (``items.0.id``).
"""

from __future__ import annotations

import json
import re
from typing import Any

MEGABYTE = 1_000_000
#: The most fields taken from one JSON event (CloudWatch's quota).
MAX_JSON_FIELDS = 1000
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_PLATFORM = re.compile(r"^(START|END|REPORT) RequestId: (\S+)")
_REPORT_FIELDS = {
    "Duration": ("@duration", 1.0),
    "Billed Duration": ("@billedDuration", 1.0),
    "Init Duration": ("@initDuration", 1.0),
    "Memory Size": ("@memorySize", MEGABYTE),
    "Max Memory Used": ("@maxMemoryUsed", MEGABYTE),
}
_REPORT_VALUE = re.compile(r"(Duration|Billed Duration|Init Duration|Memory Size|Max Memory Used): ([\d.]+) (ms|MB)")
_XRAY = re.compile(r"XRAY TraceId: (\S+)\s+SegmentId: (\S+)")
#: The runtime's text format: ``[LEVEL]\tTIMESTAMP\tREQUEST_ID\tmessage``.
_TEXT_RECORD = re.compile(r"^\[[A-Z]+\]\t\S+\t(" + _UUID.pattern + r")\t")


def discover(event: dict[str, Any]) -> dict[str, Any]:
    """``event`` (with the system fields) and every field discovered in its message."""
    row = dict(event)
    message = str(row.get("@message", ""))
    platform = _PLATFORM.match(message)
    if platform:
        row["@type"] = platform.group(1)
        row["@requestId"] = platform.group(2)
        if platform.group(1) == "REPORT":
            for label, value, _unit in _REPORT_VALUE.findall(message):
                name, scale = _REPORT_FIELDS[label]
                number = float(value) * scale
                row[name] = int(number) if number.is_integer() else number
            xray = _XRAY.search(message)
            if xray:
                row["@xrayTraceId"], row["@xraySegmentId"] = xray.groups()
        return row
    text = _TEXT_RECORD.match(message)
    if text and "@requestId" not in row:
        row["@requestId"] = text.group(1)
    start = message.find("{")
    if start >= 0:
        try:
            document, _ = json.JSONDecoder().raw_decode(message, start)
        except ValueError:
            document = None
        if isinstance(document, dict):
            found: dict[str, Any] = {}
            _flatten(document, "", found)
            for key, value in found.items():
                row.setdefault(f"@{key}" if key.startswith("@") else key, value)
    return row


def _flatten(value: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            _flatten(item, f"{prefix}{key}.", out)
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            _flatten(item, f"{prefix}{index}.", out)
    elif len(out) < MAX_JSON_FIELDS:
        out[prefix[:-1]] = value
