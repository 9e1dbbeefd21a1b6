"""Event source mappings (SQS, Kinesis, DynamoDB streams) as the functions' SAM events."""

from __future__ import annotations

from typing import Any

from .naming import arn_name, arn_service, get_att, logical_id
from .template import Template

#: The mapping settings each SAM event type takes (same names as ``CreateEventSourceMapping``).
_STREAM_KEYS = (
    "StartingPosition",
    "BatchSize",
    "MaximumBatchingWindowInSeconds",
    "ParallelizationFactor",
    "MaximumRetryAttempts",
    "MaximumRecordAgeInSeconds",
    "BisectBatchOnFunctionError",
    "TumblingWindowInSeconds",
    "FunctionResponseTypes",
    "FilterCriteria",
)
#: Settings left out at their defaults (the template stays short; AWS fills them in).
_DEFAULTS = {"MaximumBatchingWindowInSeconds": 0, "ParallelizationFactor": 1, "BisectBatchOnFunctionError": False}
_SQS_KEYS = ("BatchSize", "MaximumBatchingWindowInSeconds", "FunctionResponseTypes", "FilterCriteria", "ScalingConfig")


def add_mappings(template: Template, events: dict[str, dict[str, Any]]) -> None:
    """Add each mapping of an exported function to ``events[function][event name]``."""
    client = template.clients("lambda")
    mappings: list[dict[str, Any]] = []
    for page in client.get_paginator("list_event_source_mappings").paginate():
        mappings.extend(page["EventSourceMappings"])
    for mapping in sorted(mappings, key=lambda m: (m.get("FunctionArn", ""), m.get("EventSourceArn", ""))):
        function = mapping["FunctionArn"].split(":")[6]
        if function not in template.functions:
            template.skip(f"event source mapping {mapping['UUID']}: function {function} is not in the account")
            continue
        qualifier = mapping["FunctionArn"].split(":")[7] if mapping["FunctionArn"].count(":") >= 7 else None
        template.check_qualifier(function, qualifier, f"event source mapping {mapping['EventSourceArn']}")
        event = _event(template, mapping)
        if event is None:
            continue
        source = mapping["EventSourceArn"]
        resource = source.split("/")[1] if arn_service(source) == "dynamodb" else arn_name(source)
        name = logical_id(resource, event["Type"])
        events.setdefault(function, {})[name] = event


def _event(template: Template, mapping: dict[str, Any]) -> dict[str, Any] | None:
    arn = mapping["EventSourceArn"]
    service = arn_service(arn)
    props: dict[str, Any]
    keys: tuple[str, ...]
    if service == "sqs":
        props = {"Queue": get_att(template.queue(arn), "Arn")}
        keys = _SQS_KEYS
        kind = "SQS"
    elif service == "kinesis":
        props = {"Stream": get_att(template.stream(arn), "Arn")}
        keys = _STREAM_KEYS
        kind = "Kinesis"
    elif service == "dynamodb":
        props = {"Stream": template.table_stream(arn)}
        keys = _STREAM_KEYS
        kind = "DynamoDB"
    else:
        template.skip(f"event source mapping from {arn}: this source is not exported")
        return None
    for key in keys:
        value = mapping.get(key)
        if value in (None, [], {}) or (key in _DEFAULTS and value == _DEFAULTS[key]):
            continue
        if key == "FilterCriteria" and not value.get("Filters"):
            continue
        if (key == "MaximumRetryAttempts" and value == -1) or (key == "MaximumRecordAgeInSeconds" and value == -1):
            continue  # -1: the default (retry until the record expires)
        props[key] = value
    failure = ((mapping.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
    if failure and kind != "SQS":
        props["DestinationConfig"] = {
            "OnFailure": {"Type": "SNS" if ":sns:" in failure else "SQS", "Destination": template.target(failure)}
        }
    if mapping.get("State") in ("Disabled", "Disabling"):
        props["Enabled"] = False
    if mapping.get("StartingPositionTimestamp") and props.get("StartingPosition") == "AT_TIMESTAMP":
        props["StartingPositionTimestamp"] = _epoch(mapping["StartingPositionTimestamp"])
    return {"Type": kind, "Properties": props}


def _epoch(value: Any) -> float:
    return float(value.timestamp()) if hasattr(value, "timestamp") else float(value)
