"""Asynchronous invocation: Lambda's internal event queue, retries, destinations.

``Event`` invocations are accepted (202) into a queue per function; workers take
events from it as concurrency allows.  On a function error the event is retried
``MaximumRetryAttempts`` times (about 1 and then 2 minutes later); events older than
``MaximumEventAgeInSeconds`` are discarded; throttled events go back to the queue
with exponential back-off (1 s up to 5 min).  What happens in the end is an
invocation record for the OnSuccess/OnFailure destination, the event for the
dead-letter target, or a counted drop with its reason: the ledger balances.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ..common.errors import InvalidParameterValueException, ResourceNotFoundException
from .concurrency import TooManyRequestsException
from .function import Function
from .lineage import RecursiveInvocationException

if TYPE_CHECKING:
    from .account import LocalAccount
    from .invocation import Invocation

RETRY_DELAYS_S = (60.0, 120.0)
THROTTLE_BACKOFF_MAX_S = 300.0
#: Invocation records that could not be delivered, kept for inspection (the oldest go first;
#: the ledgers count every failure).
UNDELIVERABLE_KEPT = 1_000


@dataclass(frozen=True)
class AsyncConfig:
    """``PutFunctionEventInvokeConfig`` settings (and the function's dead-letter target)."""

    max_retry_attempts: int = 2
    max_event_age_s: int = 21_600
    on_success: str | None = None
    on_failure: str | None = None
    dead_letter_target: str | None = None

    def __post_init__(self) -> None:
        for name in ("max_retry_attempts", "max_event_age_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidParameterValueException(f"{name} must be a whole number, got {value!r}")
        if not 0 <= self.max_retry_attempts <= 2:
            raise InvalidParameterValueException(
                f"max_retry_attempts {self.max_retry_attempts} is out of range: Lambda allows 0-2"
            )
        if not 60 <= self.max_event_age_s <= 21_600:
            raise InvalidParameterValueException(
                f"max_event_age_s {self.max_event_age_s} is out of range: Lambda allows 60-21600 seconds"
            )


@dataclass
class AsyncEvent:
    """One accepted event, from 202 to its end."""

    request_id: str
    function_name: str
    qualifier: str | None
    payload: bytes
    event: Any
    received_at: float  # account time
    trigger: str
    attempts: int = 0
    throttles: int = 0
    last: Invocation | None = None
    #: Counted as in flight in the ledger (until it lands somewhere else, atomically).
    flying: bool = False
    #: The request whose handler sent this event through the Lambda API.
    caller_request_id: str | None = None
    #: How late the source handed the event on (``received_at`` in the past): not queue time.
    catch_up_s: float = 0.0
    #: The caller's X-Ray trace header, if it sent one.
    trace_header: str | None = None

    def age(self, now: float) -> float:
        """Seconds since the event was received, on the account's (caught-up) timeline."""
        return max(now - self.received_at - self.catch_up_s, 0.0)


@dataclass
class AsyncLedger:
    """The books of one function's queue: every accepted event is in exactly one place."""

    received: int = 0
    queued: int = 0
    in_flight: int = 0
    delayed: int = 0
    succeeded: int = 0
    to_failure_destination: int = 0
    dead_lettered: int = 0
    dropped: collections.Counter = field(default_factory=collections.Counter)
    retries: int = 0
    throttles: int = 0
    destination_delivery_failures: int = 0
    dead_letter_errors: int = 0

    @property
    def pending(self) -> int:
        return self.queued + self.in_flight + self.delayed

    @property
    def finished(self) -> int:
        return self.succeeded + self.to_failure_destination + self.dead_lettered + sum(self.dropped.values())

    def balances(self) -> bool:
        """Every received event is pending or finished exactly once."""
        return self.received == self.pending + self.finished


class AsyncInvoker:
    """The account's asynchronous queues and the workers that drain them."""

    def __init__(self, account: LocalAccount):
        self._account = account
        self._running = 0
        self._running_of: dict[str, int] = {}
        lock = threading.RLock()
        self._cond = threading.Condition(lock)
        #: Notified whenever an attempt ends (``wait_for_attempts``).
        self._attempt_ended = threading.Condition(lock)
        #: The request ids being attempted now.
        self._attempting: set[str] = set()
        self._queues: dict[str, collections.deque[AsyncEvent]] = {}
        self._names: list[str] = []
        self._threads: list[threading.Thread] = []
        self._delayed: set[str] = set()
        self._stopped = False
        self.configs: dict[str, AsyncConfig] = {}
        self.ledgers: dict[str, AsyncLedger] = collections.defaultdict(AsyncLedger)
        #: The last ``UNDELIVERABLE_KEPT`` invocation records that could not go anywhere else.
        self.undeliverable: collections.deque[tuple[str, dict]] = collections.deque(maxlen=UNDELIVERABLE_KEPT)

    # --- accepting ---------------------------------------------------------------------------------

    def accept(
        self,
        function: Function,
        payload: bytes,
        event: Any,
        qualifier: str | None,
        trigger: str,
        request_id: str,
        caller_request_id: str | None = None,
        received_at: float | None = None,
        trace_header: str | None = None,
    ) -> None:
        """Queue an event (the caller already answered 202).

        ``received_at`` stamps an event the source made earlier than now (a schedule's firing,
        handed on late because the clock jumped past it): its age counts from then, less
        the clock's catch-up, so a large ``advance`` expires nothing."""
        account = self._account
        now = account.clock.time()
        item = AsyncEvent(
            request_id,
            function.name,
            qualifier,
            payload,
            event,
            now if received_at is None else min(received_at, now),
            trigger,
            caller_request_id=caller_request_id,
            trace_header=trace_header,
        )
        item.catch_up_s = now - item.received_at
        with self._cond:
            self.ledgers[function.name].received += 1
        account.metrics.count(function.name, "AsyncEventsReceived", item.received_at)
        self._put(item)

    def _put(self, item: AsyncEvent) -> None:
        with self._cond:
            if self._stopped:  # the account is shutting down: count it, never lose it silently
                self._land(item).dropped["AccountShutdown"] += 1
                return
        self._account.scheduler.add_activity()
        with self._cond:
            queue = self._queues.get(item.function_name)
            if queue is None:
                queue = self._queues[item.function_name] = collections.deque()
                self._names.append(item.function_name)
            queue.append(item)
            self.ledgers[item.function_name].queued += 1
            self._start_workers()
            self._cond.notify()

    def _delay(self, item: AsyncEvent, delay_s: float) -> None:
        with self._cond:
            if self._stopped:
                self._land(item).dropped["AccountShutdown"] += 1
                return
            self._land(item).delayed += 1
            self._delayed.add(item.request_id)

        def due() -> None:
            with self._cond:
                if item.request_id not in self._delayed:
                    return  # dropped by a shutdown meanwhile
                self._delayed.discard(item.request_id)
                self.ledgers[item.function_name].delayed -= 1
            self._put(item)

        self._account.scheduler.call_later(delay_s, due)

    def _land(self, item: AsyncEvent) -> AsyncLedger:
        """The item's ledger, with the item taken out of ``in_flight`` (call with the lock held),
        so that every snapshot balances."""
        ledger = self.ledgers[item.function_name]
        if item.flying:
            item.flying = False
            ledger.in_flight -= 1
        return ledger

    # --- workers -------------------------------------------------------------------------------------

    def _start_workers(self) -> None:
        self._threads = [thread for thread in self._threads if thread.is_alive()]
        while len(self._threads) < self._account.settings.async_workers and not self._stopped:
            thread = threading.Thread(target=self._work, name=f"lambda-async-{len(self._threads) + 1}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def _next(self) -> AsyncEvent | None:
        """The next event whose function has concurrency to spare (round robin)."""
        governor = self._account.governor
        if self._running >= self._account.settings.async_workers:
            return None
        for _ in range(len(self._names)):
            name = self._names.pop(0)
            self._names.append(name)
            queue = self._queues.get(name)
            reserved = governor.reserved(name)
            if queue and (reserved in (None, 0) or self._running_of.get(name, 0) < reserved):
                return queue.popleft()
        return None

    def _work(self) -> None:
        while True:
            with self._cond:
                item = None
                while not self._stopped:
                    item = self._next()
                    if item is not None:
                        break
                    self._cond.wait(0.5)
                if item is None:
                    return
                ledger = self.ledgers[item.function_name]
                ledger.queued -= 1
                ledger.in_flight += 1
                item.flying = True
                self._attempting.add(item.request_id)
                self._running += 1
                self._running_of[item.function_name] = self._running_of.get(item.function_name, 0) + 1
            try:
                self._attempt(item)
            except Exception as exc:  # the service failed, not the function: never lose the event
                try:
                    self._finish_failed(item, "ServiceException", str(exc))
                except Exception:
                    self._drop(item, "ServiceException")
            finally:
                with self._cond:
                    self._land(item)
                    self._attempting.discard(item.request_id)
                    self._running -= 1
                    self._running_of[item.function_name] -= 1
                    self._cond.notify()  # one slot freed: one idle worker may take the next event
                    self._attempt_ended.notify_all()
                self._account.scheduler.done_activity()

    def _attempt(self, item: AsyncEvent) -> None:
        account = self._account
        config = self.configs.get(item.function_name, AsyncConfig())
        now = account.clock.time()
        if item.age(now) > config.max_event_age_s:
            self._finish_failed(item, "EventAgeExceeded")
            return
        try:
            function = account.registry.resolve(item.function_name, item.qualifier)
        except ResourceNotFoundException as exc:
            self._drop(item, "FunctionNotFound", str(exc))
            return
        if account.governor.reserved(item.function_name) == 0:
            self._finish_failed(item, "RetriesExhausted")  # reserved concurrency 0: straight to failure
            return
        try:
            invocation = account.invoker.invoke(
                function,
                item.payload,
                event=item.event,
                invocation_type="Event",
                qualifier=item.qualifier,
                client_context=None,
                trigger=item.trigger,
                request_id=item.request_id,
                attempt=item.attempts + 1,
                caller_request_id=item.caller_request_id,
                trace_header=item.trace_header,
            )
        except RecursiveInvocationException as exc:  # stopped: to the failure destination or DLQ, else dropped
            self._finish_failed(item, "RecursiveInvocationException", str(exc))
            return
        except TooManyRequestsException as exc:
            item.throttles += 1
            if exc.invocation is not None:
                exc.invocation.event_age_s = item.age(now)
            with self._cond:
                self.ledgers[item.function_name].throttles += 1
            self._delay(item, min(2.0 ** (item.throttles - 1), THROTTLE_BACKOFF_MAX_S))
            return
        item.attempts += 1
        item.last = invocation
        invocation.event_age_s = item.age(now)
        account.metrics.observe_age(item.function_name, invocation.start, invocation.event_age_s * 1000)
        if invocation.function_error is None:
            with self._cond:
                self._land(item).succeeded += 1
            if config.on_success:
                self._deliver(item, config.on_success, self._record(item, function, "Success"), count=False)
            return
        if item.attempts <= config.max_retry_attempts:
            with self._cond:
                self.ledgers[item.function_name].retries += 1
            self._delay(item, RETRY_DELAYS_S[min(item.attempts, len(RETRY_DELAYS_S)) - 1])
            return
        self._finish_failed(item, "RetriesExhausted")

    def wait_for_attempts(self, request_ids: Iterable[str], timeout_s: float | None = None) -> bool:
        """Block until none of ``request_ids`` is being attempted, so that an attempt running now
        has ended and its invocation record and logs are stored (an event queued or waiting for a
        retry does not hold this up); False when ``timeout_s`` real seconds passed first."""
        import time

        wanted = set(request_ids)
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        with self._attempt_ended:
            while wanted & self._attempting:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._attempt_ended.wait(remaining)
            return True

    # --- endings -------------------------------------------------------------------------------------

    def _finish_failed(self, item: AsyncEvent, condition: str, detail: str = "") -> None:
        """All attempts failed, or the event expired: failure destination, DLQ, or a drop."""
        config = self.configs.get(item.function_name, AsyncConfig())
        function = self._account.registry.latest(item.function_name)
        delivered = False
        if config.on_failure and function is not None:
            delivered = self._deliver(item, config.on_failure, self._record(item, function, condition), count=True)
        if (
            config.dead_letter_target
            and self._deliver_dead_letter(item, config.dead_letter_target, condition)
            and not delivered
        ):
            with self._cond:
                self._land(item).dead_lettered += 1
            delivered = True
        if not delivered:
            self._drop(item, condition, detail)

    def _drop(self, item: AsyncEvent, reason: str, detail: str = "") -> None:
        with self._cond:
            self._land(item).dropped[reason] += 1
        self._account.metrics.count(item.function_name, "AsyncEventsDropped")

    def _record(self, item: AsyncEvent, function: Function, condition: str) -> dict:
        """The invocation record Lambda sends to a destination."""
        import json

        last = item.last
        record: dict[str, Any] = {
            "version": "1.0",
            "timestamp": datetime.fromtimestamp(self._account.clock.time(), timezone.utc).strftime(
                "%Y-%m-%dT%H:%M:%S.%f"
            )[:-3]
            + "Z",
            "requestContext": {
                "requestId": item.request_id,
                "functionArn": f"{function.arn}:{item.qualifier or (last.version if last else '$LATEST')}",
                "condition": condition,
                "approximateInvokeCount": item.attempts,
            },
            "requestPayload": json.loads(item.payload),
        }
        if last is not None:
            response: dict[str, Any] = {"statusCode": 200, "executedVersion": last.version}
            if last.function_error:
                response["functionError"] = last.function_error
            record["responseContext"] = response
            record["responsePayload"] = last.payload
        return record

    def _deliver(self, item: AsyncEvent, target: str, record: dict, *, count: bool) -> bool:
        """Send an invocation record to a destination; count a failure as AWS does."""
        try:
            ok = self._account.deliver(target, record, source=item.function_name, caused_by=item.request_id)
        except Exception:  # e.g. a record over the 1 MB async payload limit: a counted delivery failure
            ok = False
        with self._cond:
            ledger = self.ledgers[item.function_name]
            if not ok:
                ledger.destination_delivery_failures += 1
                self.undeliverable.append((target, record))
            elif count:
                self._land(item).to_failure_destination += 1
        if not ok:
            self._account.metrics.count(item.function_name, "DestinationDeliveryFailures")
        return ok

    def _deliver_dead_letter(self, item: AsyncEvent, target: str, condition: str) -> bool:
        import json

        ok = self._account.deliver_dead_letter(
            target,
            json.loads(item.payload),
            {
                "RequestID": item.request_id,
                "ErrorCode": "200" if item.last is not None else "",
                "ErrorMessage": ((item.last.error_message or "") if item.last is not None else condition)[:1024],
            },
        )
        if not ok:
            with self._cond:
                self.ledgers[item.function_name].dead_letter_errors += 1
            self._account.metrics.count(item.function_name, "DeadLetterErrors")
        return ok

    # --- control -------------------------------------------------------------------------------------

    def configure(self, name: str, config: AsyncConfig) -> None:
        with self._cond:
            self.configs[name] = config

    def snapshot(self) -> dict[str, AsyncLedger]:
        with self._cond:
            return {
                name: AsyncLedger(**{**ledger.__dict__, "dropped": collections.Counter(ledger.dropped)})
                for name, ledger in self.ledgers.items()
            }

    def discard_all(self) -> int:
        """Forget every queued event (reset); returns how many were still queued."""
        with self._cond:
            count = sum(len(queue) for queue in self._queues.values())
            self._queues.clear()
            self._names.clear()
            self.ledgers.clear()
            self.configs.clear()
            self.undeliverable.clear()
        self._account.scheduler.done_activity(count)
        return count

    def stop(self) -> None:
        """Stop taking events; what is still queued or waiting for a retry is dropped
        (and counted, reason ``AccountShutdown``).  Call :meth:`join` after ending the
        environments, so that running attempts finish quickly."""
        with self._cond:
            self._stopped = True
            dropped = 0
            for queue in self._queues.values():
                for item in queue:
                    ledger = self.ledgers[item.function_name]
                    ledger.queued -= 1
                    ledger.dropped["AccountShutdown"] += 1
                    dropped += 1
                queue.clear()
            for _name, ledger in self.ledgers.items():
                ledger.dropped["AccountShutdown"] += ledger.delayed if ledger.delayed else 0
                ledger.delayed = 0
            self._delayed.clear()
            self._cond.notify_all()
        self._account.scheduler.done_activity(dropped)

    def join(self) -> None:
        """Wait for the workers to end, then accept events again (the account stays usable)."""
        for thread in self._threads:
            thread.join(timeout=30)
        with self._cond:
            self._threads.clear()
            self._stopped = False
