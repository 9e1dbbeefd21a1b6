"""The module-level Python API for event source mappings (``lm.create_event_source_mapping``,
``lm.triggers``...), on the default account (or backend) of :mod:`lambda_magic.api`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .api import _default, account

if TYPE_CHECKING:
    import pandas as pd


def create_event_source_mapping(function_name: str, event_source_arn: str, **settings: Any) -> Any:
    """``CreateEventSourceMapping`` for an SQS queue, Kinesis stream or DynamoDB stream of
    the local cloud (AWS's settings in snake_case: batch_size, maximum_batching_window_s,
    starting_position, function_response_types, filter_criteria, bisect_batch_on_function_error,
    maximum_retry_attempts, maximum_record_age_s, parallelization_factor, destination_config, enabled)."""
    from .sources import EventSourceMappings

    if _default.backend is not None:  # AWS: CreateEventSourceMapping
        return _default.backend.create_event_source_mapping(function_name, event_source_arn, **settings)
    return EventSourceMappings.of(account()).create(function_name, event_source_arn, **settings)


def event_source_mappings() -> pd.DataFrame:
    """Every event source mapping with its poller's state, as a DataFrame."""
    from .display.frames import mappings_frame
    from .sources import EventSourceMappings

    return mappings_frame(EventSourceMappings.of(account()).pollers())


def triggers() -> Any:
    """A panel of every event source mapping and its poller's state."""
    from .display.cloud import TriggersPanel
    from .sources import EventSourceMappings

    return TriggersPanel(EventSourceMappings.of(account()).pollers())


def enable_event_source_mapping(mapping_uuid: str, enabled: bool = True) -> Any:
    """Enable (or disable) a mapping's poller."""
    from .sources import EventSourceMappings

    return EventSourceMappings.of(account()).set_enabled(mapping_uuid, enabled)


def delete_event_source_mapping(mapping_uuid: str) -> Any:
    """Stop and forget a mapping."""
    from .sources import EventSourceMappings

    return EventSourceMappings.of(account()).delete(mapping_uuid)
