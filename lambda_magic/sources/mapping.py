"""An event source mapping's settings, validated with AWS's defaults and limits."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..common.errors import InvalidParameterValueException

STARTING_POSITIONS = ("TRIM_HORIZON", "LATEST", "AT_TIMESTAMP")


def source_of(arn: str) -> str:
    """``sqs``, ``kinesis`` or ``dynamodb`` from an event source ARN."""
    parts = arn.split(":")
    if len(parts) < 6 or parts[0] != "arn":
        raise InvalidParameterValueException(f"event source {arn!r} is not an ARN (arn:aws:sqs|kinesis|dynamodb:...)")
    service = parts[2]
    if service == "dynamodb" and "/stream/" not in arn:
        raise InvalidParameterValueException(
            f"{arn!r} is a table, not its stream: give the table's LatestStreamArn (enable a StreamSpecification)"
        )
    if service not in ("sqs", "kinesis", "dynamodb"):
        raise InvalidParameterValueException(
            f"event source {arn!r}: only SQS queues, Kinesis streams and DynamoDB streams"
        )
    return service


@dataclass
class EventSourceMapping:
    """``CreateEventSourceMapping`` settings in snake_case, with AWS's defaults."""

    function_name: str
    event_source_arn: str
    batch_size: int = None  # type: ignore[assignment]  # None: AWS's default for the source, set below
    maximum_batching_window_s: int = 0
    starting_position: str | None = None
    starting_position_timestamp: float | None = None
    function_response_types: tuple[str, ...] = ()
    filter_criteria: Any = None
    bisect_batch_on_function_error: bool = False
    maximum_retry_attempts: int = -1
    maximum_record_age_s: int = -1
    parallelization_factor: int = 1
    destination_config: Mapping[str, Any] | None = None
    enabled: bool = True
    uuid: str = field(default_factory=lambda: str(uuid.uuid4()))
    source: str = ""

    def __post_init__(self) -> None:
        self.source = source_of(self.event_source_arn)
        stream = self.source != "sqs"
        if self.batch_size is None:
            self.batch_size = 100 if stream else 10
        fifo = self.source == "sqs" and self.event_source_arn.endswith(".fifo")
        limit = 10 if fifo else 10_000
        _range("batch_size", self.batch_size, 1, limit)
        _range("maximum_batching_window_s", self.maximum_batching_window_s, 0, 300)
        if self.source == "sqs" and self.batch_size > 10 and self.maximum_batching_window_s < 1:
            raise InvalidParameterValueException(
                "an SQS batch_size over 10 needs maximum_batching_window_s of at least 1 second"
            )
        self.function_response_types = tuple(self.function_response_types or ())
        for kind in self.function_response_types:
            if kind != "ReportBatchItemFailures":
                raise InvalidParameterValueException(
                    f"function_response_types: only 'ReportBatchItemFailures', got {kind!r}"
                )
        if stream:
            if self.starting_position is None:
                raise InvalidParameterValueException(
                    f"a {self.source} mapping needs starting_position: TRIM_HORIZON or LATEST"
                    + (" (or AT_TIMESTAMP)" if self.source == "kinesis" else "")
                )
            allowed = STARTING_POSITIONS if self.source == "kinesis" else STARTING_POSITIONS[:2]
            if self.starting_position not in allowed:
                raise InvalidParameterValueException(
                    f"starting_position {self.starting_position!r} for {self.source}: choose {', '.join(allowed)}"
                )
            if self.starting_position == "AT_TIMESTAMP" and self.starting_position_timestamp is None:
                raise InvalidParameterValueException("AT_TIMESTAMP needs starting_position_timestamp (epoch seconds)")
            if self.maximum_retry_attempts != -1:
                _range("maximum_retry_attempts", self.maximum_retry_attempts, 0, 10_000)
            if self.maximum_record_age_s != -1:
                _range("maximum_record_age_s", self.maximum_record_age_s, 60, 604_800)
            _range("parallelization_factor", self.parallelization_factor, 1, 10)
        else:
            for name, value, default in (
                ("starting_position", self.starting_position, None),
                ("bisect_batch_on_function_error", self.bisect_batch_on_function_error, False),
                ("parallelization_factor", self.parallelization_factor, 1),
                ("maximum_retry_attempts", self.maximum_retry_attempts, -1),
                ("maximum_record_age_s", self.maximum_record_age_s, -1),
            ):
                if value != default:
                    raise InvalidParameterValueException(f"{name} applies to streams, not to SQS queues")
        if self.destination_config is not None:
            target = (self.destination_config.get("OnFailure") or {}).get("Destination")
            if not stream or not target:
                raise InvalidParameterValueException(
                    "destination_config is {'OnFailure': {'Destination': ARN}}, for Kinesis and DynamoDB streams "
                    "(an SQS queue uses its own redrive policy)"
                )

    @property
    def state(self) -> str:
        return "Enabled" if self.enabled else "Disabled"

    @property
    def reports_batch_item_failures(self) -> bool:
        return "ReportBatchItemFailures" in self.function_response_types


def _range(name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidParameterValueException(f"{name} {value!r} is out of range: AWS allows {low}-{high}")
