"""The state of a stream mapping: records, batches, lanes and shards, and the rules that
do not need the poller (partial batch responses, OnFailure records, destinations).

Specification (AWS Lambda DG): "services-kinesis-batchfailurereporting" (the success and
failure conditions of ``batchItemFailures``; "Lambda uses the record with the lowest sequence
number as the checkpoint"), "kinesis-on-failure-destination" and the archived
``doc_source/with-kinesis.md`` example of the invocation record (``requestContext``,
``responseContext``, ``version``, ``timestamp``, ``KinesisBatchInfo``), "services-ddb-params"
(standard SQS queue or SNS topic destinations; S3 in the current docs).
"""

from __future__ import annotations

import json
import uuid
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ..common.errors import InvalidParameterValueException

#: Retry spacing after a function error: 1 s doubling, at most a minute (AWS does not publish
#: its spacing; this keeps a poison record's retries visible on the timeline).
RETRY_BASE_S, RETRY_CAP_S = 1.0, 60.0
#: A batch's payload limit (synchronous invoke request: 6 MB).
PAYLOAD_LIMIT = 6 * 1024 * 1024 - 1024
#: OnFailure destinations Lambda accepts for a stream mapping (standard queues and topics, S3).
DESTINATION_SERVICES = ("sqs", "sns", "s3")


@dataclass(slots=True)
class Rec:
    """One stream record as read: its sequence number, lane key, arrival and event form."""

    seq: str
    order: int
    key: str
    arrival: float  # account time of arrival (converted when read)
    arrival_iso: str  # the service's own arrival time, for batch info
    record: dict
    size: int


@dataclass(slots=True)
class Batch:
    records: list
    retries: int = 0
    invokes: int = 0
    last: Any = None  # the last Invocation


@dataclass(slots=True)
class Lane:
    index: int
    queue: deque = field(default_factory=deque)
    batch: Batch | None = None  # a failed batch (or half) waiting to be retried
    parts: deque = field(default_factory=deque)  # bisected halves still to go
    running: bool = False
    wake_at: float | None = None
    since: float | None = None  # when the batching window opened
    blocked: bool = False


@dataclass(slots=True)
class Shard:
    shard_id: str
    parents: tuple
    lanes: list
    iterator: str | None = None
    exhausted: bool = False  # closed and read to its end
    ending: int | None = None  # EndingSequenceNumber of a closed shard
    outstanding: OrderedDict = field(default_factory=OrderedDict)  # order -> done
    checkpoint: str | None = None
    checkpoint_order: int = -1
    read_up_to: str | None = None
    behind_ms: int = 0
    iterator_age_ms: int | None = None
    retries: int = 0

    @property
    def queued(self) -> int:
        return sum(len(lane.queue) for lane in self.lanes)

    def busy(self) -> bool:
        return any(
            lane.running or lane.batch or lane.parts or lane.queue or lane.wake_at is not None for lane in self.lanes
        )

    def finished(self) -> bool:
        done = self.exhausted or (self.ending is not None and self.checkpoint_order >= self.ending)
        return done and not self.outstanding and not self.busy()


def iso(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def check_destination(mapping: Any) -> None:
    """Lambda takes a standard SQS queue, a standard SNS topic or an S3 bucket for a stream."""
    target = ((mapping.destination_config or {}).get("OnFailure") or {}).get("Destination")
    if not target:
        return
    parts = target.split(":")
    if len(parts) < 6 or parts[2] not in DESTINATION_SERVICES or target.endswith(".fifo"):
        raise InvalidParameterValueException(
            f"OnFailure destination {target!r}: a stream mapping sends discarded batches to a standard SQS "
            "queue, a standard SNS topic or an S3 bucket (ARN)"
        )


def failure_index(payload: Any, batch: Batch) -> int | None:
    """AWS's ReportBatchItemFailures rules: None = success, 0 = whole batch, i = from record i."""
    if not isinstance(payload, dict):
        return None  # an empty or null response: success
    items = payload.get("batchItemFailures")
    if items is None or items == []:
        return None
    if not isinstance(items, list):
        return 0
    index = {rec.seq: i for i, rec in enumerate(batch.records)}
    lowest = None
    for item in items:
        ident = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not isinstance(ident, str) or ident not in index:
            return 0  # empty, null, misnamed or unknown identifier: the whole batch failed
        lowest = index[ident] if lowest is None else min(lowest, index[ident])
    return lowest


def failure_record(
    account: Any, mapping: Any, batch_info_key: str, shard_id: str, batch: Batch, condition: str
) -> dict:
    """The OnFailure invocation record: pointers to the records, never the records themselves."""
    function = account.registry.latest(mapping.function_name)
    first, last = batch.records[0], batch.records[-1]
    record: dict[str, Any] = {
        "requestContext": {
            "requestId": batch.last.request_id if batch.last is not None else str(uuid.uuid4()),
            "functionArn": function.arn if function is not None else mapping.function_name,
            "condition": condition,
            "approximateInvokeCount": batch.invokes,
        },
        "version": "1.0",
        "timestamp": iso(account.clock.time()),
        batch_info_key: {
            "shardId": shard_id,
            "startSequenceNumber": first.seq,
            "endSequenceNumber": last.seq,
            "approximateArrivalOfFirstRecord": first.arrival_iso,
            "approximateArrivalOfLastRecord": last.arrival_iso,
            "batchSize": len(batch.records),
            "streamArn": mapping.event_source_arn,
        },
    }
    if batch.last is not None:
        response = {"statusCode": batch.last.status_code, "executedVersion": batch.last.version}
        if batch.last.function_error:
            response["functionError"] = batch.last.function_error
        record["responseContext"] = response
    return record


def dumps_size(record: dict) -> int:
    return len(json.dumps(record, separators=(",", ":")))
