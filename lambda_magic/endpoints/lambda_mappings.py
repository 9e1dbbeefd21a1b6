"""Event source mappings (Create/Get/List/Update/DeleteEventSourceMapping) over the
account's pollers (``lambda_magic.sources``, reached through an injected accessor,
since the endpoints sit beside the sources in the layers)."""

from __future__ import annotations

import time
from typing import Any

from .calls import Call, page
from .errors import ApiError

#: AWS's member -> the mapping setting it sets.
SETTINGS = {
    "BatchSize": "batch_size",
    "MaximumBatchingWindowInSeconds": "maximum_batching_window_s",
    "StartingPosition": "starting_position",
    "StartingPositionTimestamp": "starting_position_timestamp",
    "FunctionResponseTypes": "function_response_types",
    "FilterCriteria": "filter_criteria",
    "BisectBatchOnFunctionError": "bisect_batch_on_function_error",
    "MaximumRetryAttempts": "maximum_retry_attempts",
    "MaximumRecordAgeInSeconds": "maximum_record_age_s",
    "ParallelizationFactor": "parallelization_factor",
    "DestinationConfig": "destination_config",
    "Enabled": "enabled",
}
#: Members the local pollers do not implement.
UNSUPPORTED = (
    "Topics",
    "Queues",
    "SourceAccessConfigurations",
    "SelfManagedEventSource",
    "TumblingWindowInSeconds",
    "AmazonManagedKafkaEventSourceConfig",
    "SelfManagedKafkaEventSourceConfig",
    "ScalingConfig",
    "DocumentDBEventSourceConfig",
    "KMSKeyArn",
    "MetricsConfig",
    "ProvisionedPollerConfig",
    "LoggingConfig",
)


def _mappings(call: Call) -> Any:
    if call.api.mappings_of is None:
        raise ApiError(
            "UnsupportedOperationException",
            "event source mappings need lambda_magic.sources: use lm.client('lambda')",
            501,
        )
    return call.api.mappings_of(call.account)


def _configuration(call: Call, mapping: Any, state: str | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {
        "UUID": mapping.uuid,
        "EventSourceArn": mapping.event_source_arn,
        "FunctionArn": call.arn(mapping.function_name),
        "State": state or mapping.state,
        "StateTransitionReason": "USER_INITIATED",
        "LastModified": call.api.state.mapping_modified.get(mapping.uuid, time.time()),
        "BatchSize": mapping.batch_size,
        "MaximumBatchingWindowInSeconds": mapping.maximum_batching_window_s,
        "FunctionResponseTypes": list(mapping.function_response_types),
        "LastProcessingResult": "No records processed",
    }
    if mapping.filter_criteria is not None and getattr(mapping.filter_criteria, "patterns", None):
        result["FilterCriteria"] = mapping.filter_criteria.to_dict()
    if mapping.source != "sqs":
        result.update(
            StartingPosition=mapping.starting_position,
            BisectBatchOnFunctionError=mapping.bisect_batch_on_function_error,
            MaximumRetryAttempts=mapping.maximum_retry_attempts,
            MaximumRecordAgeInSeconds=mapping.maximum_record_age_s,
            ParallelizationFactor=mapping.parallelization_factor,
            DestinationConfig=dict(mapping.destination_config or {"OnFailure": {}}),
        )
        if mapping.starting_position_timestamp is not None:
            result["StartingPositionTimestamp"] = mapping.starting_position_timestamp
    return result


def _settings(call: Call) -> dict[str, Any]:
    for key in UNSUPPORTED:
        if call.params.get(key):
            raise ApiError(
                "InvalidParameterValueException",
                f"{key} is not supported by lambda_magic's pollers (SQS, Kinesis, DynamoDB Streams)",
            )
    settings = {SETTINGS[k]: v for k, v in call.params.items() if k in SETTINGS and v is not None}
    if "filter_criteria" in settings and not (settings["filter_criteria"] or {}).get("Filters"):
        settings["filter_criteria"] = None
    return settings


def _get(call: Call) -> Any:
    try:
        return _mappings(call).get(call.params["UUID"]).mapping
    except ApiError:
        raise
    except Exception:
        raise ApiError("ResourceNotFoundException", "The resource you requested does not exist.") from None


def create_event_source_mapping(call: Call) -> dict[str, Any]:
    latest, _ = call.function()
    arn = call.params.get("EventSourceArn")
    if not arn:
        raise ApiError("InvalidParameterValueException", "EventSourceArn is required for SQS, Kinesis and DynamoDB")
    mapping = _mappings(call).create(latest.name, arn, **_settings(call))
    call.api.state.mapping_modified[mapping.uuid] = time.time()
    return _configuration(call, mapping, "Creating")


def get_event_source_mapping(call: Call) -> dict[str, Any]:
    return _configuration(call, _get(call))


def update_event_source_mapping(call: Call) -> dict[str, Any]:
    mapping = _get(call)
    mappings = _mappings(call)
    settings = _settings(call)
    function_name = call.function_name()[0] if call.params.get("FunctionName") else mapping.function_name
    enabled = settings.pop("enabled", None)
    changed = {k: v for k, v in settings.items() if getattr(mapping, k) != v}
    if changed or function_name != mapping.function_name:
        if mapping.source != "sqs":
            raise ApiError(
                "InvalidParameterValueException",
                "lambda_magic can change a stream mapping's Enabled only: delete it and create a new one",
            )
        current = {setting: getattr(mapping, setting) for setting in SETTINGS.values()}
        if current["filter_criteria"] is not None:
            current["filter_criteria"] = current["filter_criteria"].to_dict()
        current.update(changed)
        for stream_only in (
            "starting_position",
            "starting_position_timestamp",
            "bisect_batch_on_function_error",
            "maximum_retry_attempts",
            "maximum_record_age_s",
            "parallelization_factor",
            "destination_config",
        ):
            current.pop(stream_only)
        if enabled is not None:
            current["enabled"] = enabled
        mappings.delete(mapping.uuid)
        mapping = mappings.create(function_name, mapping.event_source_arn, uuid=mapping.uuid, **current)
    elif enabled is not None:
        mapping = mappings.set_enabled(mapping.uuid, enabled)
    call.api.state.mapping_modified[mapping.uuid] = time.time()
    return _configuration(call, mapping, "Updating")


def delete_event_source_mapping(call: Call) -> dict[str, Any]:
    mapping = _get(call)
    _mappings(call).delete(mapping.uuid)
    call.api.state.mapping_modified.pop(mapping.uuid, None)
    return _configuration(call, mapping, "Deleting")


def list_event_source_mappings(call: Call) -> dict[str, Any]:
    name = call.function_name()[0] if call.params.get("FunctionName") else None
    arn = call.params.get("EventSourceArn")
    found = [
        m
        for m in _mappings(call).mappings()
        if (name is None or m.function_name == name) and (arn is None or m.event_source_arn == arn)
    ]
    found.sort(key=lambda m: m.uuid)
    items, marker = page(call, found, lambda m: m.uuid)
    return {"EventSourceMappings": [_configuration(call, m) for m in items], "NextMarker": marker}


OPERATIONS = {
    "CreateEventSourceMapping": create_event_source_mapping,
    "GetEventSourceMapping": get_event_source_mapping,
    "UpdateEventSourceMapping": update_event_source_mapping,
    "DeleteEventSourceMapping": delete_event_source_mapping,
    "ListEventSourceMappings": list_event_source_mappings,
}
