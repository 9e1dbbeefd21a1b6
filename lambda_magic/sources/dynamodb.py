"""The DynamoDB Streams poller: ``aws:dynamodb`` batches from a table's stream in the local cloud.

Reads the stream through the real API (``DescribeStream``, ``GetShardIterator``,
``GetRecords``), about four times a second per shard (Lambda DG "Using Lambda with DynamoDB":
"Lambda polls shards in your DynamoDB stream for records at a base rate of 4 times per
second").  ``StartingPosition`` is TRIM_HORIZON or LATEST (no AT_TIMESTAMP: the mapping's
settings refuse it), retention is 24 hours, and with ``ParallelizationFactor`` order is kept
per item (its key).  The error rules are Kinesis's: the shared stream core
(:mod:`lambda_magic.sources.streams`), with ``DDBStreamBatchInfo`` in OnFailure records.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from ..common.errors import InvalidParameterValueException, ResourceNotFoundException
from .base import is_not_found
from .stream_batches import Rec, check_destination, dumps_size, iso
from .streams import StreamPoller


def _typed(value: Any) -> Any:
    """Attribute values as JSON: binary (``B``/``BS``) as base64, as in Lambda's event."""
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    return value


class DynamoDbStreamsPoller(StreamPoller):
    """One iterator per stream shard; records become the ``aws:dynamodb`` event Lambda sends."""

    idle_interval_s = 0.25
    batch_info_key = "DDBStreamBatchInfo"
    read_limit = 1000
    retention_s = 24 * 3600.0

    def __init__(self, account: Any, mapping: Any):
        self._client = account.cloud.client("dynamodbstreams")
        super().__init__(account, mapping)

    @classmethod
    def validate(cls, account: Any, mapping: Any) -> None:
        arn = mapping.event_source_arn
        table = arn.split(":", 5)[5].split("/")[1]
        try:
            description = account.cloud.client("dynamodb").describe_table(TableName=table)["Table"]
        except Exception as exc:
            if is_not_found(exc):
                raise ResourceNotFoundException(
                    f"DynamoDB table {table!r} not found in the local cloud: create it with a StreamSpecification first"
                ) from None
            raise
        specification = description.get("StreamSpecification") or {}
        latest = description.get("LatestStreamArn")
        if not specification.get("StreamEnabled") or not latest:
            raise InvalidParameterValueException(
                f"table {table!r} has no stream: create or update it with "
                "StreamSpecification={'StreamEnabled': True, 'StreamViewType': 'NEW_AND_OLD_IMAGES'}"
            )
        if latest != arn:
            raise ResourceNotFoundException(f"stream {arn!r} not found: table {table!r}'s stream is {latest!r}")
        check_destination(mapping)

    # --- reading the stream ---------------------------------------------------------------------

    def _list_shards(self) -> list[dict]:
        shards, kwargs = [], {"StreamArn": self.mapping.event_source_arn}
        while True:
            description = self._client.describe_stream(**kwargs)["StreamDescription"]
            shards.extend(description.get("Shards", []))
            last = description.get("LastEvaluatedShardId")
            if not last:
                return shards
            kwargs["ExclusiveStartShardId"] = last

    def _iterator(self, shard_id: str, kind: str, sequence: str | None = None) -> str:
        kwargs: dict[str, Any] = {
            "StreamArn": self.mapping.event_source_arn,
            "ShardId": shard_id,
            "ShardIteratorType": kind,
        }
        if sequence is not None:
            kwargs["SequenceNumber"] = sequence
        return self._client.get_shard_iterator(**kwargs)["ShardIterator"]

    def _read(self, iterator: str, limit: int) -> tuple[list, str | None, int | None]:
        page = self._client.get_records(ShardIterator=iterator, Limit=min(limit, self.read_limit))
        return page.get("Records", []), page.get("NextShardIterator"), None

    def _record(self, shard_id: str, raw: dict) -> Rec:
        change = raw["dynamodb"]
        created = change["ApproximateCreationDateTime"]
        created_s = created.timestamp() if hasattr(created, "timestamp") else float(created)
        seq = change["SequenceNumber"]
        body: dict[str, Any] = {"ApproximateCreationDateTime": int(created_s), "Keys": _typed(change["Keys"])}
        for image in ("NewImage", "OldImage"):
            if image in change:
                body[image] = _typed(change[image])
        body.update(SequenceNumber=seq, SizeBytes=change.get("SizeBytes", 0), StreamViewType=change["StreamViewType"])
        record = {
            "eventID": raw["eventID"],
            "eventName": raw["eventName"],
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": self.account.settings.region,
            "dynamodb": body,
            "eventSourceARN": self.mapping.event_source_arn,
        }
        if raw.get("userIdentity"):
            record["userIdentity"] = raw["userIdentity"]  # TTL deletions
        key = json.dumps(body["Keys"], sort_keys=True)
        return Rec(
            seq, int(seq), key, self.account.clock.from_real(created_s), iso(created_s), record, dumps_size(record)
        )
