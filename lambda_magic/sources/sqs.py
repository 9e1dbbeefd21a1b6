"""The SQS event source mapping: Lambda's poller for a standard or FIFO queue in the local cloud.

What it does, as Lambda does it (lambda-semantics §6.1; Lambda DG "Using Lambda with Amazon SQS",
"services-sqs-configure", "services-sqs-errorhandling", "services-sqs-scaling"):

* long-polling ``ReceiveMessage`` (all system and message attributes, at most 10 per call),
  gathering up to ``BatchSize`` messages within ``MaximumBatchingWindowInSeconds`` (account
  clock) or 6 MB of payload, then one synchronous invoke with the ``aws:sqs`` event built from
  the real messages (:mod:`.sqs_event`);
* success deletes the batch (``DeleteMessageBatch``); a function error leaves it: the messages
  come back after the queue's visibility timeout with ``ApproximateReceiveCount`` raised, and
  the queue's redrive policy (moto implements it) moves them to its dead-letter queue;
* ``ReportBatchItemFailures`` with AWS's rules for complete success and complete failure;
* ``FilterCriteria``: messages that match no filter are deleted without an invoke;
* FIFO: the queue locks a message group while a message of it is in flight, and a failed
  batch stays in flight until its visibility timeout ends, so a group never moves past a
  failed message; a batching window is refused, as AWS refuses it;
* a throttled invoke is retried with the batch in hand (backing off; not a new receive)
  until the visibility timeout runs out, then the messages go back to the queue;
* up to five batches at once (what AWS starts a mapping with); a function error halves that
  and a success adds one back, except with ``ReportBatchItemFailures`` (AWS's back-off).

Time: moto runs visibility timeouts on the wall clock, while the account clock may run
faster (the ``auto`` clock skips idle waits).  Lambda's decisions therefore run on the
account clock: a failed batch is made visible again (``ChangeMessageVisibility`` 0) by a
*work* timer at account time receive + visibility timeout, so with the auto clock a failed
message comes back at once while the invocation records keep AWS's spacing.  With a clock
slower than the wall clock (``manual``) the messages are also held invisible in moto until
then.  Message attributes (``SentTimestamp``...) stay moto's wall-clock values, like the
handler's own clock.

Ticks run on the poller's own thread (:mod:`.sqs_thread`: a long poll or a batching window
would otherwise hold the account's timer thread); invokes run on a small pool.  Every batch in hand counts as
scheduler activity, so ``account.wait()`` waits for it.
"""

from __future__ import annotations

import functools
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..common.errors import InvalidParameterValueException, LambdaMagicError
from .sqs_event import PAYLOAD_LIMIT, batch_outcome, envelope_size, record_size, sqs_record
from .sqs_queue import QueueApi, find_queue
from .sqs_senders import watch
from .sqs_thread import ThreadedTicks

if TYPE_CHECKING:
    from ..runtime.account import LocalAccount
    from .mapping import EventSourceMapping


@dataclass(eq=False)
class _Batch:
    """Messages in the poller's hands: received, not yet deleted or given back."""

    messages: list[dict] = field(default_factory=list)
    records: list[dict] = field(default_factory=list)
    received_at: float = 0.0  # account time of the first receive
    visibility_timeout_s: int = 30
    throttles: int = 0

    @property
    def expires(self) -> float:
        """When the batch's visibility timeout ends (account time)."""
        return self.received_at + self.visibility_timeout_s


class SqsPoller(ThreadedTicks):
    """Reads one queue through the real SQS API and invokes the function with batches."""

    #: Batches in hand at once: AWS starts an SQS mapping with five (DG services-sqs-scaling).
    max_batches = 5
    #: ``WaitTimeSeconds`` of a long poll (short, so that ticks stay short).
    wait_time_s = 1
    #: First back-off after a throttled invoke (doubling, at most ``max_throttle_backoff_s``).
    throttle_backoff_s = 1.0
    max_throttle_backoff_s = 30.0
    #: Wall seconds between re-reads of the queue's visibility timeout.
    refresh_interval_s = 5.0

    def __init__(self, account: LocalAccount, mapping: EventSourceMapping):
        super().__init__(account, mapping)
        parts = mapping.event_source_arn.split(":")
        self.region, self.queue_name = parts[3], parts[5]
        self.fifo = self.queue_name.endswith(".fifo")
        self.visibility_timeout_s = 30
        self.concurrency = self.max_batches
        self._cloud: Any = None
        self._queue: QueueApi | None = None
        self._refreshed = 0.0
        self._executor: ThreadPoolExecutor | None = None
        self._errors = 0
        self._in_hand: set[_Batch] = set()
        self._retries: deque[_Batch] = deque()  # throttled batches due for another invoke
        self._parked = 0  # throttled batches waiting for their retry
        self._timers = 0  # release and retry timers not yet run
        self._handles: dict[str, str] = {}  # messageId -> receipt handle of the copy in our hands
        watch(account)  # who sent each message: the batch's caller_request_id (recursion detection)

    @classmethod
    def validate(cls, account: LocalAccount, mapping: EventSourceMapping) -> None:
        """Refuse what ``CreateEventSourceMapping`` refuses for a queue."""
        name = mapping.event_source_arn.split(":")[5]
        _, attributes = find_queue(account.cloud.client("sqs"), name, mapping.event_source_arn)
        if name.endswith(".fifo") and mapping.maximum_batching_window_s:
            raise InvalidParameterValueException("Batching window is not supported for FIFO queues")
        visibility = int(attributes.get("VisibilityTimeout", 30))
        timeout = account.get_function(mapping.function_name).config.timeout_s
        if visibility < timeout:
            raise InvalidParameterValueException(
                f"Queue visibility timeout: {visibility} seconds is less than Function timeout: {timeout} seconds"
            )

    @property
    def queue_url(self) -> str | None:
        return None if self._queue is None else self._queue.url

    # --- the rhythm ---------------------------------------------------------------------------------

    @property
    def idle_interval_s(self) -> float:  # type: ignore[override]
        """Long polls follow each other at once (the long poll is the wait); errors back off."""
        return min(2.0 ** (self._errors - 1), 30.0) if self._errors else 0.0

    def stop(self) -> None:
        super().stop()
        with self._cond:
            self._parked -= len(self._retries)
            self._retries.clear()  # their messages come back after the visibility timeout
        if self._executor is not None:
            self._executor.shutdown(wait=False)

    # --- one poll (on the poller's thread) ------------------------------------------------------------

    def poll(self) -> bool:
        try:
            queue = self._connect()
            if not self._room():
                return False
            with self._cond:
                batch = self._retries.popleft() if self._retries else None
                if batch is not None:
                    self._parked -= 1
                    self._in_hand.add(batch)
            if batch is not None:
                self.account.scheduler.add_activity()
            else:
                batch = self._gather(queue)
            self._errors = 0
        except Exception:
            self._errors += 1
            raise
        if batch is None:
            return False
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self.max_batches, thread_name_prefix=f"sqs-{self.queue_name}")
        try:
            self._executor.submit(self._process, batch)
        except RuntimeError:  # stopped meanwhile: the messages come back after their visibility timeout
            self._finish(batch)
        return True

    def _room(self) -> bool:
        """Wait until one more batch may be in hand; False once the poller is stopped."""
        with self._cond:
            while len(self._in_hand) >= self.concurrency and not self._closed:
                self._cond.wait(0.5)
            return not self._closed

    def _gather(self, queue: QueueApi) -> _Batch | None:
        """Receive up to BatchSize messages within the batching window (or 6 MB); None if none came."""
        mapping, clock = self.mapping, self.account.clock
        if time.monotonic() - self._refreshed > self.refresh_interval_s:
            self.visibility_timeout_s, self._refreshed = queue.visibility_timeout(), time.monotonic()
        visibility, first = self.visibility_timeout_s, min(10, mapping.batch_size)
        # A work tick (more is expected now) polls short, an idle one long-polls.  But moto's long
        # poll wakes on a send, not when a batch of ours fails or a timer of ours makes messages
        # visible again: while that can happen, poll short and wait for our own signal instead.
        if self._work_tick:
            messages = self._receive(queue, first, 0, visibility)
        elif self._timers or self._in_hand:
            messages = self._receive(queue, first, 0, visibility)
            if not messages:
                with self._cond:
                    if not self._wanted and not self._closed:
                        self._cond.wait(self.wait_time_s)
        else:
            messages = self._receive(queue, first, self.wait_time_s, visibility)
        if not messages:
            return None
        if self._stopped or not self.mapping.enabled:  # disabled or deleted during the long poll
            self._give_back(queue, messages)
            return None
        self.account.scheduler.add_activity()  # the batch is in hand until it is settled
        batch = _Batch(received_at=clock.time(), visibility_timeout_s=visibility)
        with self._cond:
            self._in_hand.add(batch)
        try:
            size, full = envelope_size(), False
            deadline = batch.received_at + mapping.maximum_batching_window_s
            while True:
                for message in messages:
                    record = sqs_record(message, mapping.event_source_arn, self.region, fifo=self.fifo)
                    if batch.records and size + record_size(record) > PAYLOAD_LIMIT:
                        self._give_back(queue, [message])  # 6 MB: it waits for the next batch
                        full = True
                        continue
                    size += record_size(record)
                    batch.messages.append(message)
                    batch.records.append(record)
                want = min(10, mapping.batch_size - len(batch.messages))
                if full or want <= 0 or not mapping.maximum_batching_window_s or self._stopped:
                    return batch
                remaining = clock.real_seconds_until(deadline)  # None: the manual clock never gets there
                if remaining is not None and remaining <= 0:
                    return batch
                wait_s = 1 if remaining is not None and remaining >= 1 else 0
                messages = self._receive(queue, want, wait_s, visibility)
                if not messages and remaining is None:
                    return batch  # manual clock: take what is there now
                if not messages and wait_s == 0 and remaining is not None:
                    time.sleep(min(remaining, 0.05))
        except Exception as exc:
            self._fail(batch, exc)
            raise

    def _receive(self, queue: QueueApi, count: int, wait_s: int, visibility: int) -> list[dict]:
        messages = queue.receive(count, wait_s, visibility)
        if messages:
            self.count("received", len(messages))
            with self._cond:
                for message in messages:
                    self._handles[message["MessageId"]] = message["ReceiptHandle"]
        return messages

    # --- one batch (on the pool) ----------------------------------------------------------------

    def _process(self, batch: _Batch) -> None:
        try:
            self._settle(batch)
        except Exception as exc:
            self._fail(batch, exc)

    def _fail(self, batch: _Batch, exc: BaseException) -> None:
        """The cloud failed mid-batch: the messages come back after their visibility timeout."""
        self.count("batch_errors")
        self.last_error = f"{type(exc).__name__}: {exc}"
        self._release_at(batch.messages, batch.expires)
        self._finish(batch)

    def _settle(self, batch: _Batch) -> None:
        queue, criteria = self._connected(), self.mapping.filter_criteria
        deletes, keep, records = [], [], []
        for message, record in zip(batch.messages, batch.records, strict=True):
            if criteria is not None and not criteria.admits("sqs", record):
                deletes.append(message)  # matches no filter: Lambda deletes it without an invoke
                self.count("filtered")
            else:
                keep.append(message)
                records.append(record)
        failed: list[dict] = []
        if records:
            answer = self._invoke_batch({"Records": records}, keep)
            if answer is None:  # throttled: retry with the batch in hand, or give it back
                self._delete(queue, deletes)
                batch.messages, batch.records = keep, records
                self._throttled(queue, batch)
                return
            failed = answer
            failed_ids = {m["MessageId"] for m in failed}
            deletes += [m for m in keep if m["MessageId"] not in failed_ids]
            self.count("processed", len(keep) - len(failed))
        self._delete(queue, deletes)
        if failed:
            self.count("failed", len(failed))
            if self._slow_clock():
                queue.hold(failed)
            self._release_at(failed, batch.expires)
        self._finish(batch)

    def _invoke_batch(self, event: dict, messages: list[dict]) -> list[dict] | None:
        """Invoke; the messages that go back to the queue, or None when throttled."""
        self.count("batches")
        sender = self.account.lineage.sender(self.mapping.function_name, [m["MessageId"] for m in messages])
        try:
            invocation = self.invoke(event, sender)
        except LambdaMagicError as exc:  # the function is gone, the payload is too large...
            self.count("invoke_errors")
            self.last_error = f"{type(exc).__name__}: {exc}"
            return messages
        if invocation is None:
            return None
        failed_ids, verdict = batch_outcome(event, invocation, self.mapping.function_response_types)
        invocation.verdict = verdict  # the panel explains what Lambda did with the answer
        failed_set = set(failed_ids)
        failed = [m for m in messages if m["MessageId"] in failed_set]
        if invocation.function_error:
            self.count("function_errors")
            self.last_error = f"{invocation.error_type}: {invocation.error_message}"
        elif failed and len(failed) < len(messages):
            self.count("partial_batches")
        elif failed:
            self.count("rejected_responses")
            self.last_error = "; ".join(verdict.problems) or "the whole batch failed"
        with self._cond:  # AWS backs off on function errors, except with ReportBatchItemFailures
            if invocation.function_error and not self.mapping.reports_batch_item_failures:
                self.concurrency = max(1, self.concurrency // 2)
            elif not failed:
                self.concurrency = min(self.max_batches, self.concurrency + 1)
        return failed

    def _throttled(self, queue: QueueApi, batch: _Batch) -> None:
        """Keep the batch and invoke again later, until its visibility timeout runs out (AWS)."""
        batch.throttles += 1
        delay = min(self.throttle_backoff_s * 2 ** (batch.throttles - 1), self.max_throttle_backoff_s)
        now = self.account.clock.time()
        with self._cond:
            self.concurrency = max(1, self.concurrency // 2)
        if now + delay >= batch.expires or self._stopped:
            self.count("returned_after_throttles", len(batch.messages))
            self._release_at(batch.messages, batch.expires)
        else:
            if self._slow_clock():
                queue.hold(batch.messages)
            with self._cond:
                self._parked += 1
                self._timers += 1
            self.account.scheduler.call_at(now + delay, functools.partial(self._retry, batch), work=True)
        self._finish(batch)

    def _retry(self, batch: _Batch) -> None:
        """Timer: a throttled batch is due again (unless its visibility timeout ran out)."""
        with self._cond:
            self._timers -= 1
            if self._closed:
                return
            due = self.account.clock.time() < batch.expires and self.mapping.enabled
            if due:
                self._retries.append(batch)
            else:
                self._parked -= 1
        if due:
            self.kick()
        else:
            self.count("returned_after_throttles", len(batch.messages))
            self._release_at(batch.messages, batch.expires)

    def _finish(self, batch: _Batch) -> None:
        """The batch leaves our hands: free its place and its activity."""
        with self._cond:
            if batch not in self._in_hand:
                return
            self._in_hand.discard(batch)
            self._cond.notify_all()
        self.account.scheduler.done_activity()

    # --- the queue ----------------------------------------------------------------------------------

    def _delete(self, queue: QueueApi, messages: list[dict]) -> None:
        if not messages:
            return
        failed = queue.delete(messages)
        with self._cond:
            for message in messages:
                if self._handles.get(message["MessageId"]) == message["ReceiptHandle"]:
                    del self._handles[message["MessageId"]]
        self.count("deleted", len(messages) - len(failed))
        if failed:
            self.count("delete_errors", len(failed))
            self.last_error = f"DeleteMessageBatch: {failed[0].get('Message') or failed[0].get('Code')}"

    def _slow_clock(self) -> bool:
        """Whether moto's wall-clock visibility timeout could end before the account's does."""
        clock = self.account.clock
        return clock.mode == "manual" or (clock.mode == "scaled" and clock.scale < 1)

    def _release_at(self, messages: list[dict], at: float) -> None:
        """Make the messages visible again at account time ``at`` (a work timer), as their
        visibility timeout does on AWS."""
        if self._stopped or not messages:
            return
        handles = [(m["MessageId"], m["ReceiptHandle"]) for m in messages]
        with self._cond:
            self._timers += 1
        self.account.scheduler.call_at(at, functools.partial(self._hand_release, handles), work=True)

    def _hand_release(self, handles: list[tuple[str, str]]) -> None:
        """Timer: release on the pool (HTTP calls do not belong on the timer thread)."""
        if self._stopped or self._executor is None:
            return
        self.account.scheduler.add_activity()
        try:
            self._executor.submit(self._release, handles)
        except RuntimeError:  # stopped meanwhile
            self.account.scheduler.done_activity()

    def _release(self, handles: list[tuple[str, str]]) -> None:
        try:
            with self._cond:  # a message received again since (moto let it go itself) is not ours to release
                ours = [handle for mid, handle in handles if self._handles.get(mid) == handle]
                for mid, handle in handles:
                    if self._handles.get(mid) == handle:
                        del self._handles[mid]
            self._connected().set_visibility(ours, 0)
            self.count("released", len(ours))
        except Exception as exc:  # the cloud is gone
            self.last_error = f"{type(exc).__name__}: {exc}"
        finally:
            with self._cond:
                self._timers -= 1
            self.kick()
            self.account.scheduler.done_activity()

    def _give_back(self, queue: QueueApi, messages: list[dict]) -> None:
        """Return messages we will not process now (visible again at once)."""
        queue.set_visibility([m["ReceiptHandle"] for m in messages], 0)
        with self._cond:
            for message in messages:
                self._handles.pop(message["MessageId"], None)

    def _connected(self) -> QueueApi:
        """The queue :meth:`_connect` found (a batch in hand or a release timer implies one)."""
        if self._queue is None:
            raise RuntimeError(f"the poller of {self.queue_name!r} has not found its queue")
        return self._queue

    def _connect(self) -> QueueApi:
        """The queue, found once; the client is kept, so a poller never restarts a stopped cloud."""
        cloud = self.account.cloud
        if self._queue is None or cloud is not self._cloud:
            sqs = cloud.client("sqs")
            url, attributes = find_queue(sqs, self.queue_name, self.mapping.event_source_arn)
            self._cloud, self._queue = cloud, QueueApi(sqs, url)
            self.visibility_timeout_s, self._refreshed = int(attributes.get("VisibilityTimeout", 30)), time.monotonic()
        return self._queue

    # --- state ----------------------------------------------------------------------------------------

    def pending(self) -> bool:
        """Messages visible, in flight or delayed: ``wait`` waits until the queue is drained."""
        if self._stopped:
            return False
        try:
            return any(self._connect().counts().values())
        except Exception as exc:
            self.last_error = f"{type(exc).__name__}: {exc}"
            return False

    def describe(self) -> dict[str, Any]:
        with self._cond:
            batches, messages = len(self._in_hand), sum(len(b.messages) for b in self._in_hand)
        stats, mapping = self.stats, self.mapping
        return {
            "queue": self.queue_name,
            "queue_url": self.queue_url,
            "fifo": self.fifo,
            "state": mapping.state,
            "batch_size": mapping.batch_size,
            "maximum_batching_window_s": mapping.maximum_batching_window_s,
            "visibility_timeout_s": self.visibility_timeout_s,
            "in_flight_batches": batches,
            "in_flight_messages": messages,
            "throttled_batches_waiting": self._parked,
            "concurrency": self.concurrency,
            **{
                key: stats[key]
                for key in ("received", "processed", "failed", "filtered", "deleted", "invocations", "throttles")
            },
            "last_error": self.last_error,
        }
