"""The stream-batching core shared by the Kinesis and DynamoDB Streams pollers.

What Lambda does with a stream (Lambda DG "Using Lambda with Kinesis", "... with DynamoDB",
"kinesis-on-failure-destination", "services-kinesis-batchfailurereporting"):

* one iterator per shard, positioned by ``StartingPosition``; shards found later (resharding)
  are read from their start once their parents are finished;
* each shard processes one batch at a time, in order; with ``ParallelizationFactor`` the shard
  is split into that many *lanes* by key (partition key / item key), each one batch at a time,
  so order is kept per key;
* a batch goes out when it is full (``BatchSize``, or 6 MB of payload) or when its batching
  window (``MaximumBatchingWindowInSeconds``, on the account clock) has passed;
* a function error blocks the lane and the same batch is retried (spaced on the account clock)
  until it succeeds, ``MaximumRetryAttempts`` is reached or a record passes
  ``MaximumRecordAgeInSeconds``; ``BisectBatchOnFunctionError`` splits a failed batch in two
  (not counted as a retry); a throttle or an error before the invoke is retried later without
  counting; ``ReportBatchItemFailures`` checkpoints before the lowest failed sequence number;
* records given up on are described (never included) in an OnFailure record, and the lane
  goes on; the checkpoint of a shard is the last sequence number below which every record is
  done (processed, skipped by the filters, or given up on).

Subclasses read the service (:meth:`_list_shards`, :meth:`_iterator`, :meth:`_read`) and
shape its records (:meth:`_record`).  Invokes run on their own threads, so shards and lanes
work in parallel as on AWS; each running batch counts as scheduler activity, so
``account.wait()`` waits for it and the auto clock never skips past it.
"""

from __future__ import annotations

import hashlib
import threading
from collections import deque
from typing import Any

from .base import Poller
from .stream_batches import (
    PAYLOAD_LIMIT,
    RETRY_BASE_S,
    RETRY_CAP_S,
    Batch,
    Lane,
    Rec,
    Shard,
    failure_index,
    failure_record,
)

__all__ = ["StreamPoller"]


class StreamPoller(Poller):
    """Shards, lanes, batches, retries, bisects and checkpoints; see the module docstring."""

    batch_info_key = "KinesisBatchInfo"
    #: Most records one GetRecords call may return.
    read_limit = 10_000
    #: Stream retention (records older than this are trimmed from the stream).
    retention_s = 24 * 3600.0

    def __init__(self, account: Any, mapping: Any):
        super().__init__(account, mapping)
        self._state = threading.RLock()
        self._shards: dict[str, Shard] = {}
        self._refreshed_at = float("-inf")
        #: (account time, shard id, IteratorAge ms) after each batch: the IteratorAge metric.
        self.iterator_ages: deque = deque(maxlen=10_000)
        #: OnFailure records sent (or that could not be sent), newest last.
        self.discarded: deque = deque(maxlen=100)
        self.role_arn = f"arn:aws:iam::{account.settings.account_id}:role/service-role/{mapping.function_name}-role"
        self._discover(initial=True)

    # --- what a source provides ---------------------------------------------------------------

    def _list_shards(self) -> list[dict]:
        """``[{"ShardId", "ParentShardId"?, "AdjacentParentShardId"?, "SequenceNumberRange"}]``."""
        raise NotImplementedError

    def _iterator(self, shard_id: str, kind: str, sequence: str | None = None) -> str:
        raise NotImplementedError

    def _read(self, iterator: str, limit: int) -> tuple[list, str | None, int | None]:
        """``(raw records, next iterator or None when the shard is closed and read, ms behind)``."""
        raise NotImplementedError

    def _record(self, shard_id: str, raw: dict) -> Rec:
        raise NotImplementedError

    # --- shards -------------------------------------------------------------------------------

    def _discover(self, *, initial: bool = False) -> bool:
        """Pick up shards; the first time at the starting position, later ones from their start."""
        listed = self._list_shards()
        self._refreshed_at = self.account.clock.time()
        new = False
        for info in listed:
            shard_id = info["ShardId"]
            with self._state:
                if shard_id in self._shards:
                    continue
            ending = (info.get("SequenceNumberRange") or {}).get("EndingSequenceNumber")
            start = self.mapping.starting_position
            assert start is not None, "a stream mapping has a starting position (checked at creation)"
            kind = start if initial else "TRIM_HORIZON"
            parents = tuple(p for p in (info.get("ParentShardId"), info.get("AdjacentParentShardId")) if p)
            lanes = [Lane(i) for i in range(self.mapping.parallelization_factor)]
            closed_at_start = kind == "LATEST" and ending is not None  # nothing comes after its end
            shard = Shard(
                shard_id,
                parents,
                lanes,
                iterator=None if closed_at_start else self._iterator(shard_id, kind),
                exhausted=closed_at_start,
                ending=None if ending is None else int(ending),
            )
            with self._state:
                if shard_id not in self._shards:
                    self._shards[shard_id] = shard
                    new = True
        return new

    def _ready(self, shard: Shard) -> bool:
        """A child shard starts once its parents (that we read) are finished, as on AWS."""
        return all(p not in self._shards or self._shards[p].finished() for p in shard.parents)

    def shards(self) -> list[Shard]:
        with self._state:
            return list(self._shards.values())

    # --- the poll ---------------------------------------------------------------------------------

    def poll(self) -> bool:
        now = self.account.clock.time()
        worked = False
        if now - self._refreshed_at >= self.idle_interval_s:
            worked = self._discover()
        for shard in self.shards():
            if not self._ready(shard):
                continue
            with self._state:  # full batches already read go out first: reading ahead overlaps their invokes
                worked = self._dispatch(shard, self.account.clock.time(), full_only=True) or worked
            worked = self._fill(shard) or worked  # ...and a partial batch is topped up before it goes
            with self._state:
                worked = self._dispatch(shard, self.account.clock.time()) or worked
        return worked

    def _fill(self, shard: Shard) -> bool:
        """Read the next records of a shard into its lanes (bounded read-ahead)."""
        lanes_full = self.mapping.batch_size * self.mapping.parallelization_factor
        if shard.iterator is None or shard.queued >= lanes_full:  # a batch per lane is waiting already
            return False
        room = max(3 * lanes_full, 500) - shard.queued
        try:
            raws, next_iterator, behind = self._read(shard.iterator, min(room, self.read_limit))
        except Exception as exc:
            if "Expired" not in type(exc).__name__ and "Expired" not in str(exc):
                raise
            kind, seq = ("AFTER_SEQUENCE_NUMBER", shard.read_up_to) if shard.read_up_to else ("TRIM_HORIZON", None)
            shard.iterator = self._iterator(shard.shard_id, kind, seq)  # an expired iterator: renew it
            return True
        now = self.account.clock.time()
        criteria = self.mapping.filter_criteria
        with self._state:
            shard.iterator = next_iterator
            shard.exhausted = next_iterator is None
            shard.behind_ms = behind or 0
            for raw in raws:
                rec = self._record(shard.shard_id, raw)
                shard.read_up_to = rec.seq
                self.count("records_read")
                if criteria is not None and not criteria.admits(self.mapping.source, rec.record):
                    shard.outstanding[rec.order] = True  # skipped: the checkpoint moves past it
                    self.count("records_filtered", 1)
                    continue
                shard.outstanding[rec.order] = False
                lane = shard.lanes[self._lane_of(rec)]
                if not lane.queue and lane.since is None:
                    lane.since = now
                lane.queue.append(rec)
            self._advance(shard)
        return bool(raws)

    def _lane_of(self, rec: Rec) -> int:
        factor = self.mapping.parallelization_factor
        if factor == 1:
            return 0
        return int.from_bytes(hashlib.md5(rec.key.encode()).digest(), "big") % factor

    def _dispatch(self, shard: Shard, now: float, *, full_only: bool = False) -> bool:
        """Start the next batch of every idle lane (under the state lock); ``full_only``: only
        retries, bisected halves and full batches."""
        started = False
        for lane in shard.lanes:
            if lane.running or (lane.wake_at is not None and now < lane.wake_at - 1e-6):
                continue
            if full_only and lane.batch is None and not lane.parts and len(lane.queue) < self.mapping.batch_size:
                continue
            lane.wake_at = None
            batch = self._next_batch(shard, lane, now)
            if batch is None:
                continue
            batch = self._drop_expired(shard, lane, batch, now)
            if batch is None:
                started = True
                continue
            lane.batch, lane.running = batch, True
            self.account.scheduler.add_activity()  # until the worker has handed the outcome on
            # a daemon thread per batch (at most shards x parallelization at once): a hung handler
            # never holds up the kernel's exit, and its environment's timeout ends it anyway
            try:
                threading.Thread(
                    target=self._run,
                    args=(shard, lane, batch),
                    daemon=True,
                    name=f"esm-{self.mapping.source}-{shard.shard_id[-4:]}-{lane.index}",
                ).start()
            except RuntimeError:  # no thread to be had (interpreter exit): undo, try again later
                lane.running = False
                self.account.scheduler.done_activity()
                raise
            started = True
        return started

    def _next_batch(self, shard: Shard, lane: Lane, now: float) -> Batch | None:
        if lane.batch is not None:
            return lane.batch
        if lane.parts:
            return lane.parts.popleft()
        if not lane.queue:
            return None
        window = self.mapping.maximum_batching_window_s
        filling = window and len(lane.queue) < self.mapping.batch_size
        if filling and lane.since is not None and now < lane.since + window - 1e-6:
            lane.wake_at = lane.since + window
            self._schedule(lane.wake_at - now, work=True)
            return None
        records: list[Rec] = []
        size = 0
        while lane.queue and len(records) < self.mapping.batch_size:
            if records and size + lane.queue[0].size > PAYLOAD_LIMIT:
                break
            rec = lane.queue.popleft()
            records.append(rec)
            size += rec.size
        lane.since = now if lane.queue else None
        return Batch(records)

    def _drop_expired(self, shard: Shard, lane: Lane, batch: Batch, now: float) -> Batch | None:
        """Give up on the records past MaximumRecordAgeInSeconds (or trimmed by the stream's retention)."""
        limit = self.mapping.maximum_record_age_s
        reported = limit != -1 and limit < self.retention_s
        cutoff = limit if reported else self.retention_s
        cut = 0
        while cut < len(batch.records) and now - batch.records[cut].arrival > cutoff:
            cut += 1  # records are in arrival order: the expired ones are a prefix
        if cut:
            old = Batch(batch.records[:cut], batch.retries, batch.invokes, batch.last)
            if reported:
                self._give_up(shard, lane, old, "RecordAgeExceeded")
            else:  # gone from the stream itself: lost, as on AWS
                self._complete(shard, old.records)
                self.count("records_trimmed", cut)
            batch.records = batch.records[cut:]
        if not batch.records:
            lane.batch, lane.blocked = None, False
            return None
        return batch

    # --- one batch ------------------------------------------------------------------------------

    def _run(self, shard: Shard, lane: Lane, batch: Batch) -> None:
        try:
            if self._stopped:
                return
            now = self.account.clock.time()
            age_ms = max(int((now - batch.records[-1].arrival) * 1000), 0)
            self.iterator_ages.append((now, shard.shard_id, age_ms))
            shard.iterator_age_ms = age_ms
            self.stats["iterator_age_ms"] = age_ms
            self.stats["iterator_age_max_ms"] = max(self.stats["iterator_age_max_ms"], age_ms)
            try:
                invocation = self.invoke({"Records": [rec.record for rec in batch.records]})
            except Exception as exc:  # failed before the invoke: not an attempt
                self.count("invoke_errors", 1)
                self.last_error = f"{type(exc).__name__}: {exc}"
                invocation = None
                if self.account.registry.latest(self.mapping.function_name) is None:
                    self.mapping.enabled = False  # the function is gone: the mapping stops (enable it again later)
            with self._state:
                self._outcome(shard, lane, batch, invocation)
        except Exception as exc:  # never lose the activity count
            self.count("poll_errors", 1)
            self.last_error = f"{type(exc).__name__}: {exc}"
            with self._state:
                lane.wake_at = self.account.clock.time() + self.throttle_backoff_s
            self._schedule(self.throttle_backoff_s, work=True)
        finally:
            with self._state:
                lane.running = False
            self.kick()
            self.account.scheduler.done_activity()

    def _outcome(self, shard: Shard, lane: Lane, batch: Batch, invocation: Any) -> None:
        now = self.account.clock.time()
        if invocation is None:  # throttled, or failed before the invoke: not an attempt
            lane.wake_at = now + self.throttle_backoff_s
            self._schedule(self.throttle_backoff_s, work=True)
            return
        batch.invokes += 1
        batch.last = invocation
        failed_at: int | None = 0
        if invocation.status == "success":
            failed_at = failure_index(invocation.payload, batch) if self.mapping.reports_batch_item_failures else None
        if failed_at is None:  # complete success
            self._complete(shard, batch.records)
            self.count("records_succeeded", len(batch.records))
            self.count("batches_succeeded", 1)
            lane.batch, lane.blocked = None, False
            if lane.queue:
                lane.since = now
            return
        self.count("batches_failed", 1)
        lane.blocked = True
        if failed_at > 0:  # partial: checkpoint before the lowest failed record, retry from it
            self.count("partial_failures", 1)
            self.count("records_succeeded", failed_at)
            self._complete(shard, batch.records[:failed_at])
            batch = Batch(batch.records[failed_at:], batch.retries, batch.invokes, batch.last)
        elif invocation.status != "success" and self.mapping.bisect_batch_on_function_error and len(batch.records) > 1:
            half = len(batch.records) // 2  # bisect: not a retry attempt
            self.count("bisects", 1)
            lane.batch = Batch(batch.records[:half], batch.retries)
            lane.parts.appendleft(Batch(batch.records[half:], batch.retries))
            return
        limit = self.mapping.maximum_retry_attempts
        if limit == -1 or batch.retries < limit:
            batch.retries += 1
            shard.retries += 1
            self.count("retries", 1)
            lane.batch = batch
            delay = min(RETRY_BASE_S * 2 ** (batch.retries - 1), RETRY_CAP_S)
            lane.wake_at = now + delay
            self._schedule(delay, work=True)
            return
        self._give_up(shard, lane, batch, "RetryAttemptsExhausted")
        lane.batch, lane.blocked = None, False

    def _complete(self, shard: Shard, records: Any) -> None:
        for rec in records:
            shard.outstanding[rec.order] = True
        self.count("records_done", len(records))
        self._advance(shard)

    def _advance(self, shard: Shard) -> None:
        """Move the checkpoint over every record that is done, in order."""
        outstanding = shard.outstanding
        while outstanding:
            order, done = next(iter(outstanding.items()))
            if not done:
                break
            outstanding.popitem(last=False)
            shard.checkpoint_order = order
            shard.checkpoint = str(order)

    def _give_up(self, shard: Shard, lane: Lane, batch: Batch, condition: str) -> None:
        """Skip the records and describe them in an OnFailure record (never the records themselves)."""
        self._complete(shard, batch.records)
        self.count("records_discarded", len(batch.records))
        record = failure_record(self.account, self.mapping, self.batch_info_key, shard.shard_id, batch, condition)
        target = ((self.mapping.destination_config or {}).get("OnFailure") or {}).get("Destination")
        delivered = None
        if target:
            delivered = self.account.deliver(target, record, source=self.mapping.uuid)
            self.count("destination_deliveries" if delivered else "destination_failures")
        self.discarded.append({"record": record, "destination": target, "delivered": delivered})

    # --- the framework's hooks ----------------------------------------------------------------

    def pending(self) -> bool:
        with self._state:
            if any(shard.busy() for shard in self._shards.values()):
                return True
        try:
            if self._discover():
                return True
            for shard in self.shards():
                if shard.iterator is not None and self._ready(shard):
                    raws, _, behind = self._read(shard.iterator, 1)
                    if raws or behind:
                        return True
        except Exception as exc:  # the stream is gone: nothing more to wait for
            self.last_error = f"{type(exc).__name__}: {exc}"
        return False

    def describe(self) -> dict[str, Any]:
        with self._state:
            shards = []
            for shard in self._shards.values():
                in_flight = [
                    {
                        "lane": lane.index,
                        "first": lane.batch.records[0].seq,
                        "last": lane.batch.records[-1].seq,
                        "size": len(lane.batch.records),
                        "invokes": lane.batch.invokes,
                        "retries": lane.batch.retries,
                        "state": "running" if lane.running else ("retry" if lane.blocked else "waiting"),
                    }
                    for lane in shard.lanes
                    if lane.batch is not None
                ]
                shards.append(
                    {
                        "shard_id": shard.shard_id,
                        "position": shard.checkpoint,
                        "read_up_to": shard.read_up_to,
                        "in_flight": in_flight,
                        "queued": shard.queued,
                        "retries": shard.retries,
                        "blocked": any(lane.blocked for lane in shard.lanes),
                        "iterator_age_ms": shard.iterator_age_ms,
                        "millis_behind_latest": shard.behind_ms,
                        "closed": shard.exhausted or shard.ending is not None,
                    }
                )
        return {
            "shards": shards,
            "iterator_age_ms": self.stats.get("iterator_age_ms"),
            "retries": self.stats.get("retries", 0),
            "bisects": self.stats.get("bisects", 0),
            "records_done": self.stats.get("records_done", 0),
            "records_succeeded": self.stats.get("records_succeeded", 0),
            "records_discarded": self.stats.get("records_discarded", 0),
            "last_error": self.last_error,
        }
