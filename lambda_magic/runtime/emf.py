"""Embedded Metric Format: the log lines CloudWatch Logs turns into metrics.

A log event whose message is a JSON object with an ``_aws`` member (what Powertools
Metrics' ``@metrics.log_metrics`` prints) is extracted as the EMF specification says:

``_aws`` holds ``Timestamp`` (epoch ms) and ``CloudWatchMetrics``, a list of directives,
each with a ``Namespace``, ``Dimensions`` (a list of dimension sets, each a list of at most
30 root member names whose values are strings) and ``Metrics`` (at most 100 of
``{"Name", "Unit"?, "StorageResolution"?}``, each naming a root member that is a number
or an array of at most 100 numbers).  Every dimension set makes its own series, with the
same values.

A document that breaks a rule yields no metric at all (it stays an ordinary log line,
as CloudWatch keeps it).  A line the runtime prefixed (``timestamp<TAB>request id<TAB>{...}``)
still counts: the document after the last tab is read.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

MAX_METRICS = 100
MAX_DIMENSIONS = 30
MAX_VALUES = 100
MAX_DIMENSION_VALUE = 1024
#: ``Unit`` values CloudWatch accepts (MetricDatum's StandardUnit).
UNITS = frozenset(
    [
        "Seconds",
        "Microseconds",
        "Milliseconds",
        "Bytes",
        "Kilobytes",
        "Megabytes",
        "Gigabytes",
        "Terabytes",
        "Bits",
        "Kilobits",
        "Megabits",
        "Gigabits",
        "Terabits",
        "Percent",
        "Count",
        "Bytes/Second",
        "Kilobytes/Second",
        "Megabytes/Second",
        "Gigabytes/Second",
        "Terabytes/Second",
        "Bits/Second",
        "Kilobits/Second",
        "Megabits/Second",
        "Gigabits/Second",
        "Terabits/Second",
        "Count/Second",
        "None",
    ]
)


@dataclass(frozen=True)
class EmfDatum:
    """One series' values from one EMF document."""

    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...]
    values: tuple[float, ...]
    unit: str
    timestamp_ms: int
    storage_resolution: int


class EmfError(ValueError):
    """The document is not valid EMF (it stays a log line)."""


def document(message: str) -> dict[str, Any] | None:
    """The JSON object of an EMF log line, or None when the line is not one."""
    text = message.strip()
    if not text.startswith("{") and "\t" in text:
        text = text.rsplit("\t", 1)[1].strip()
    if not text.startswith("{") or '"_aws"' not in text:
        return None
    try:
        found = json.loads(text)
    except ValueError:
        return None
    return found if isinstance(found, dict) and isinstance(found.get("_aws"), dict) else None


def extract(message: str) -> list[EmfDatum]:
    """The metrics of an EMF log line ([] when it is not a valid EMF document)."""
    found = document(message)
    if found is None:
        return []
    try:
        return parse(found)
    except EmfError:
        return []


def parse(doc: dict[str, Any]) -> list[EmfDatum]:
    """The metrics of an EMF document; :class:`EmfError` for a document that breaks a rule."""
    meta = doc["_aws"]
    timestamp = meta.get("Timestamp")
    if not isinstance(timestamp, int | float) or isinstance(timestamp, bool):
        raise EmfError("_aws.Timestamp must be a number of epoch milliseconds")
    directives = meta.get("CloudWatchMetrics")
    if not isinstance(directives, list):
        raise EmfError("_aws.CloudWatchMetrics must be an array")
    datums: list[EmfDatum] = []
    for directive in directives:
        if not isinstance(directive, dict):
            raise EmfError("a MetricDirective must be an object")
        namespace = directive.get("Namespace")
        if not isinstance(namespace, str) or not namespace or namespace.startswith("AWS/"):
            raise EmfError("Namespace must be a non-empty string outside AWS/")
        sets = directive.get("Dimensions")
        metrics = directive.get("Metrics")
        if not isinstance(sets, list) or not isinstance(metrics, list) or len(metrics) > MAX_METRICS:
            raise EmfError("Dimensions must be an array and Metrics an array of at most 100")
        dimension_sets = [_dimension_set(doc, names) for names in sets]
        for metric in metrics:
            name, values, unit, resolution = _metric(doc, metric)
            for dimensions in dimension_sets:
                datums.append(EmfDatum(namespace, name, dimensions, values, unit, int(timestamp), resolution))
    return datums


def _dimension_set(doc: dict[str, Any], names: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(names, list) or len(names) > MAX_DIMENSIONS:
        raise EmfError("a DimensionSet is an array of at most 30 names")
    pairs = []
    for name in names:
        value = doc.get(name) if isinstance(name, str) else None
        if not isinstance(value, str) or not value or len(value) > MAX_DIMENSION_VALUE:
            raise EmfError(f"dimension {name!r} must name a root member holding a string of 1 to 1024 characters")
        pairs.append((name, value))
    return tuple(pairs)


def _metric(doc: dict[str, Any], metric: Any) -> tuple[str, tuple[float, ...], str, int]:
    if not isinstance(metric, dict) or not isinstance(metric.get("Name"), str):
        raise EmfError("a MetricDefinition needs a Name")
    name = metric["Name"]
    raw = doc.get(name)
    values = raw if isinstance(raw, list) else [raw]
    if not values or len(values) > MAX_VALUES or not all(_number(v) for v in values):
        raise EmfError(f"metric {name!r} must name a root member holding a number or up to 100 numbers")
    unit = metric.get("Unit", "None")
    if unit not in UNITS:
        raise EmfError(f"unit {unit!r} is not a CloudWatch unit")
    resolution = metric.get("StorageResolution", 60)
    if resolution not in (1, 60):
        raise EmfError("StorageResolution must be 1 or 60")
    return name, tuple(float(v) for v in values if v is not None), unit, int(resolution)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
