"""The Kinesis Data Streams poller: ``aws:kinesis`` batches from a stream of the local cloud.

Reads the stream through the real API (``ListShards``, ``GetShardIterator``, ``GetRecords``
with ``MillisBehindLatest``), about once a second per shard while caught up and batch after
batch while behind (Lambda DG "Using Lambda with Kinesis": "polls each shard ... at a base rate
of once per second").  The batching, retries, bisects, partial batch responses, lanes and
OnFailure records are the shared stream core's (:mod:`lambda_magic.sources.streams`).
"""

from __future__ import annotations

import base64
from typing import Any

from ..common.errors import InvalidParameterValueException, ResourceNotFoundException
from .base import is_not_found
from .stream_batches import Rec, check_destination, iso
from .streams import StreamPoller


class KinesisPoller(StreamPoller):
    """One iterator per shard; records become the ``aws:kinesis`` event Lambda sends."""

    idle_interval_s = 1.0
    batch_info_key = "KinesisBatchInfo"
    read_limit = 10_000

    def __init__(self, account: Any, mapping: Any):
        self._client = account.cloud.client("kinesis")
        summary = self._client.describe_stream_summary(StreamARN=mapping.event_source_arn)
        self.retention_s = float(summary["StreamDescriptionSummary"].get("RetentionPeriodHours", 24)) * 3600
        self._fixed_size = 280 + len(mapping.event_source_arn) + len(mapping.function_name) * 2 + 60
        super().__init__(account, mapping)

    @classmethod
    def validate(cls, account: Any, mapping: Any) -> None:
        arn = mapping.event_source_arn
        if "/consumer/" in arn:
            raise InvalidParameterValueException(
                f"{arn!r} is a stream consumer (enhanced fan-out), which the local cloud does not push: "
                "map the stream's ARN (standard iterator) instead"
            )
        if ":stream/" not in arn:
            raise InvalidParameterValueException(
                f"{arn!r} is not a Kinesis stream ARN (arn:aws:kinesis:REGION:ACCOUNT:stream/NAME)"
            )
        try:
            summary = account.cloud.client("kinesis").describe_stream_summary(StreamARN=arn)["StreamDescriptionSummary"]
        except Exception as exc:
            if is_not_found(exc):
                raise ResourceNotFoundException(
                    f"Kinesis stream {arn.rsplit('/', 1)[-1]!r} not found in the local cloud: create it first "
                    "(lm.client('kinesis').create_stream(StreamName=..., ShardCount=...))"
                ) from None
            raise
        if summary.get("StreamStatus") not in ("ACTIVE", "UPDATING"):
            raise InvalidParameterValueException(
                f"stream {summary.get('StreamName')!r} is {summary.get('StreamStatus')}, not ACTIVE"
            )
        check_destination(mapping)

    # --- reading the stream ---------------------------------------------------------------------

    def _list_shards(self) -> list[dict]:
        shards, kwargs = [], {"StreamARN": self.mapping.event_source_arn}
        while True:
            page = self._client.list_shards(**kwargs)
            shards.extend(page.get("Shards", []))
            if not page.get("NextToken"):
                return shards
            kwargs = {"NextToken": page["NextToken"]}

    def _iterator(self, shard_id: str, kind: str, sequence: str | None = None) -> str:
        kwargs: dict[str, Any] = {
            "StreamARN": self.mapping.event_source_arn,
            "ShardId": shard_id,
            "ShardIteratorType": kind,
        }
        if kind == "AT_TIMESTAMP":
            kwargs["Timestamp"] = self.mapping.starting_position_timestamp
        elif sequence is not None:
            kwargs["StartingSequenceNumber"] = sequence
        return self._client.get_shard_iterator(**kwargs)["ShardIterator"]

    def _read(self, iterator: str, limit: int) -> tuple[list, str | None, int | None]:
        page = self._client.get_records(ShardIterator=iterator, Limit=limit, StreamARN=self.mapping.event_source_arn)
        return page.get("Records", []), page.get("NextShardIterator"), page.get("MillisBehindLatest")

    def _record(self, shard_id: str, raw: dict) -> Rec:
        seq = raw["SequenceNumber"]
        arrived = raw["ApproximateArrivalTimestamp"].timestamp()
        data = raw["Data"]
        encoded = base64.b64encode(data if isinstance(data, bytes) else str(data).encode()).decode()
        record: dict[str, Any] = {
            "kinesis": {
                "kinesisSchemaVersion": "1.0",
                "partitionKey": raw["PartitionKey"],
                "sequenceNumber": seq,
                "data": encoded,
                "approximateArrivalTimestamp": round(arrived, 3),
            },
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": f"{shard_id}:{seq}",
            "eventName": "aws:kinesis:record",
            "invokeIdentityArn": self.role_arn,
            "awsRegion": self.account.settings.region,
            "eventSourceARN": self.mapping.event_source_arn,
        }
        if raw.get("EncryptionType") and raw["EncryptionType"] != "NONE":
            record["kinesis"]["encryptionType"] = raw["EncryptionType"]
        # the record's JSON size, counted without encoding it (the fixed keys and values take ~280 bytes)
        size = len(encoded) + len(raw["PartitionKey"]) + 2 * len(seq) + len(shard_id) + self._fixed_size
        return Rec(
            seq, int(seq), raw["PartitionKey"], self.account.clock.from_real(arrived), iso(arrived), record, size
        )
