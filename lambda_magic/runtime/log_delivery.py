"""The functions' logs in the local cloud's CloudWatch Logs, as Lambda delivers them on AWS.

Every event in the account's :class:`~.logstore.LogStore` is also put into the log
group ``/aws/lambda/NAME`` and the environment's stream
(``YYYY/MM/DD/[$LATEST]<32 hex>``) of the local cloud, so ``boto3.client("logs")``
(from the notebook or from a handler) and ``aws logs filter-log-events`` read what
``%lambda logs`` shows: the same messages, timestamps (whole milliseconds) and
stream names.

:class:`LogDelivery` is an account extension.  The store calls it on the invoke
path, where it only queues the events; a background thread ships them about a
second later at most (it gathers for :data:`LINGER_S`, then sends ``PutLogEvents``
batches within CloudWatch's limits).  ``wait()`` flushes (``settle``).

Nothing starts the local cloud for logs: the extension is made once the cloud is in
use (its server has started, or a ``logs`` client was asked for:
:func:`cloud_in_use`), and then delivers everything stored since the start.  A
server that starts again (empty) gets everything again; ``reset()`` ends the
extension and the account makes a fresh one.

Timestamps are account time, which can run ahead of real time (the ``auto``
clock skips waits); CloudWatch takes events at most 2 hours ahead and 14 days
old, so the rest is not sent and counted in :attr:`LogDelivery.rejected`.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from operator import itemgetter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .account import LocalAccount

#: ``PutLogEvents`` limits (botocore's logs model, 2026): events per call, bytes per call
#: (each event's UTF-8 message plus 26 bytes), the span of one call's timestamps.
MAX_BATCH_EVENTS = 10_000
MAX_BATCH_BYTES = 1_048_576
EVENT_OVERHEAD_BYTES = 26
MAX_BATCH_SPAN_MS = 24 * 3600 * 1000
#: An event is at most 1 MB (message plus overhead); a longer message is cut.
MAX_MESSAGE_BYTES = MAX_BATCH_BYTES - EVENT_OVERHEAD_BYTES
#: CloudWatch rejects events older than 14 days or more than 2 hours in the future.
MAX_AGE_MS = 14 * 24 * 3600 * 1000
MAX_AHEAD_MS = 2 * 3600 * 1000
#: How long the shipper gathers events after the first one arrives.
LINGER_S = 0.2
#: After a failed delivery the events stay queued; the next try is this much later.
RETRY_AFTER_S = 1.0
#: Failed deliveries retried by themselves (later ones wait for new events or ``wait()``).
MAX_RETRIES = 5


def log_group_name(function_name: str) -> str:
    """Lambda's default log group of a function."""
    return f"/aws/lambda/{function_name}"


def in_window(events: list[tuple], now_ms: float) -> tuple[list[tuple], int]:
    """The events CloudWatch accepts at ``now_ms`` (at most 14 days old, at most 2 hours
    ahead: the account clock may run ahead of real time), and how many it would reject."""
    oldest, newest = now_ms - MAX_AGE_MS, now_ms + MAX_AHEAD_MS
    kept = [event for event in events if oldest <= event[0] <= newest]
    return kept, len(events) - len(kept)


def batches(events: Iterable[tuple]) -> Iterator[tuple[list[dict[str, Any]], int]]:
    """``PutLogEvents`` batches of one stream's events (``LogEvent`` tuples), sorted by time.

    Yields ``(log_events, cut)``: at most :data:`MAX_BATCH_EVENTS` events and
    :data:`MAX_BATCH_BYTES` bytes, spanning at most 24 hours; ``cut`` counts the
    messages shortened to 1 MB.  An empty message is sent as ``"\\n"`` (CloudWatch
    needs at least one character; an empty line is a newline on AWS).
    """
    batch: list[dict[str, Any]] = []
    size = first = cut = 0
    for event in sorted(events, key=itemgetter(0)):
        timestamp, message = int(event[0]), event[5] or "\n"
        data_size = len(message.encode())
        shortened = data_size > MAX_MESSAGE_BYTES
        if shortened:
            message = message.encode()[:MAX_MESSAGE_BYTES].decode("utf-8", "ignore")
            data_size = len(message.encode())
        data_size += EVENT_OVERHEAD_BYTES
        if batch and (
            len(batch) == MAX_BATCH_EVENTS
            or size + data_size > MAX_BATCH_BYTES
            or timestamp - first > MAX_BATCH_SPAN_MS
        ):
            yield batch, cut
            batch, size, cut = [], 0, 0
        if not batch:
            first = timestamp
        batch.append({"timestamp": timestamp, "message": message})
        size += data_size
        cut += shortened
    if batch:
        yield batch, cut


def cloud_in_use(account: LocalAccount, service: str | None) -> None:
    """The account's cloud hook: start delivering once the cloud is in use.

    ``service`` is ``None`` when the embedded server has started (delivery then runs
    in the background) and the service's name when a client is made; a ``logs``
    client is returned only after every event logged so far has been delivered.
    """
    if service is None:
        LogDelivery.of(account).wake()
    elif service == "logs":
        delivery = LogDelivery.of(account)
        delivery.read = True  # someone reads the logs: wait() delivers even before the server runs
        delivery.flush(start=True)


class LogDelivery:
    """Ships the account's log events to the local cloud's CloudWatch Logs (thread-safe)."""

    NAME = "log_delivery"

    @classmethod
    def of(cls, account: LocalAccount) -> LogDelivery:
        """The account's log delivery, made on first use."""
        return account.extension(cls.NAME, lambda: cls(account))

    def __init__(self, account: LocalAccount):
        self._account = account
        self._pending: deque[tuple] = deque()
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._ship_lock = threading.Lock()
        #: The cloud (object and server pid) that holds what was shipped; another one starts empty.
        self._server: tuple[int, int | None] | None = None
        self._resync = False
        self._groups: set[str] = set()
        self._streams: set[tuple[str, str]] = set()
        self._client: Any = None
        self._client_for: tuple[str, str] | None = None  # (endpoint, region)
        self._body: bytes | None = None  # the PutLogEvents document being sent
        #: Events delivered, rejected by CloudWatch (out of its time window), and messages cut to 1 MB.
        self.delivered = 0
        self.rejected = 0
        self.cut = 0
        #: Why the last delivery failed (None once one succeeds); the events stay queued.
        self.failure: str | None = None
        #: A ``logs`` client was made: ``settle()`` then delivers (starting the server if need be).
        self.read = False
        account.logs.subscribe(self._queue)  # everything stored so far, then every new batch
        self._thread = threading.Thread(target=self._run, daemon=True, name="lambda_magic log delivery")
        self._thread.start()

    # --- the invoke path ----------------------------------------------------------------------

    def _queue(self, events: list[tuple]) -> None:
        """Called by the store under its lock: queue the events and wake the shipper."""
        self._pending.extend(events)
        if not self._wake.is_set():
            self._wake.set()

    # --- the shipper --------------------------------------------------------------------------

    def wake(self) -> None:
        """Ship soon (the cloud has started: what is queued can go)."""
        self._wake.set()

    def pending(self) -> int:
        """Events queued and not yet delivered."""
        return len(self._pending)

    def _run(self) -> None:
        failures = 0
        while True:
            self._wake.wait()
            if self._stopped.wait(LINGER_S):  # gather what arrives meanwhile
                return
            self._wake.clear()
            self.flush()
            failures = failures + 1 if self.failure is not None else 0
            if failures:
                if self._stopped.wait(RETRY_AFTER_S * failures):
                    return
                if failures < MAX_RETRIES:
                    self._wake.set()  # try again; after that, when more events arrive

    def flush(self, *, start: bool = False) -> int:
        """Deliver everything queued now; the number of events delivered.

        Without ``start`` nothing is sent while the embedded server is not running
        (the cloud is not in use, or was stopped: the next server gets everything).
        """
        with self._ship_lock:
            if self._stopped.is_set():
                return 0
            cloud = self._account.cloud
            running = cloud.running
            if not running and self._server is not None:
                self._resync = True  # a server that starts again starts empty
                self._pending.clear()  # (the store has it all)
            if not start and not running:
                return 0
            if self._resync or (self._server is not None and self._server != (id(cloud), cloud.pid)):
                self._start_over()
            try:
                delivered = self._ship(cloud)
            except Exception as exc:  # the cloud is unreachable: keep the events, try again later
                self.failure = f"{type(exc).__name__}: {exc}"
                return 0
            self.failure = None
            if cloud.pid is not None:  # nothing was sent to a server that is not running
                self._server = (id(cloud), cloud.pid)
            return delivered

    def _start_over(self) -> None:
        """The cloud is another (or empty) one: forget what was created, queue everything again."""
        store = self._account.logs
        store.unsubscribe(self._queue)
        self._pending.clear()
        self._groups.clear()
        self._streams.clear()
        self._resync = False
        store.subscribe(self._queue)

    def _ship(self, cloud: Any) -> int:
        pending = self._pending
        events = [pending.popleft() for _ in range(len(pending))]
        if not events:
            return 0
        events, rejected = in_window(events, time.time() * 1000)
        self.rejected += rejected
        by_stream: dict[tuple[str, str], list[tuple]] = {}
        for event in events:
            by_stream.setdefault((event[1], event[2]), []).append(event)
        streams = [
            (function, stream, sorted(found, key=itemgetter(0))) for (function, stream), found in by_stream.items()
        ]
        client = self._logs_client(cloud)
        delivered = index = sent = 0
        recreated: set[tuple[str, str]] = set()
        try:
            while index < len(streams):
                function_name, stream, stream_events = streams[index]
                group = self._group_of(function_name)
                try:
                    self._ensure(client, group, stream)
                    for batch, cut in batches(stream_events[sent:]):
                        delivered += self._put(client, group, stream, batch)
                        self.cut += cut
                        sent += len(batch)
                except client.exceptions.ResourceNotFoundException:
                    if (group, stream) in recreated:
                        raise
                    recreated.add((group, stream))  # deleted behind our back: create it again
                    self._groups.discard(group)
                    self._streams.discard((group, stream))
                    continue
                index, sent = index + 1, 0
        except BaseException:
            unsent = streams[index][2][sent:] + [event for _, _, rest in streams[index + 1 :] for event in rest]
            pending.extendleft(reversed(unsent))
            raise
        return delivered

    def _put(self, client: Any, group: str, stream: str, batch: list[dict[str, Any]]) -> int:
        # botocore's serializer walks every event in Python (about 10 us each, holding the GIL
        # the invoke path needs); the same JSON document is made by the json module instead
        self._body = json.dumps(
            {"logGroupName": group, "logStreamName": stream, "logEvents": batch}, separators=(",", ":")
        ).encode()
        try:
            answer = client.put_log_events(logGroupName=group, logStreamName=stream, logEvents=[])
        finally:
            self._body = None
        info = answer.get("rejectedLogEventsInfo") or {}
        rejected = 0
        if "tooNewLogEventStartIndex" in info:
            rejected += len(batch) - info["tooNewLogEventStartIndex"]
        for key in ("tooOldLogEventEndIndex", "expiredLogEventEndIndex"):
            if key in info:
                rejected += info[key] + 1
        rejected = min(rejected, len(batch))
        self.rejected += rejected
        self.delivered += len(batch) - rejected
        return len(batch) - rejected

    def _group_of(self, function_name: str) -> str:
        function = self._account.registry.latest(function_name)
        return function.log_group_name if function is not None else log_group_name(function_name)

    def _ensure(self, client: Any, group: str, stream: str) -> None:
        """Create the group and the stream once each (already there is fine)."""
        if group not in self._groups:
            try:
                client.create_log_group(logGroupName=group)
            except client.exceptions.ResourceAlreadyExistsException:
                pass
            self._groups.add(group)
        if (group, stream) not in self._streams:
            try:
                client.create_log_stream(logGroupName=group, logStreamName=stream)
            except client.exceptions.ResourceAlreadyExistsException:
                pass
            self._streams.add((group, stream))

    def _logs_client(self, cloud: Any) -> Any:
        """The shipper's own client (not ``cloud.client``, which tells the hook): parameter
        validation off, since the batches are checked here."""
        url = cloud.endpoint()
        if self._client is None or self._client_for != (url, cloud.region):
            import boto3
            from botocore.config import Config

            credentials = cloud.credentials
            session = boto3.session.Session(
                region_name=cloud.region,
                aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
                aws_session_token=credentials["AWS_SESSION_TOKEN"],
            )
            config = Config(
                parameter_validation=False,
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=5,
                read_timeout=60,
            )
            client = session.client("logs", endpoint_url=url, config=config)
            client.meta.events.register("before-call.cloudwatch-logs.PutLogEvents", self._serialized_body)
            self._client, self._client_for = client, (url, cloud.region)
        return self._client

    def _serialized_body(self, params: dict[str, Any], **_: Any) -> None:
        """botocore's ``before-call`` hook: send the batch serialized by :meth:`_put` (before signing)."""
        if self._body is not None:
            params["body"] = self._body

    # --- the account's extension hooks ----------------------------------------------------------

    def settle(self) -> bool:
        """``wait()``: deliver what is queued now; True when something was delivered."""
        return self.flush(start=self.read) > 0

    def stop(self) -> None:
        """End the shipper (``reset``, ``shutdown``); what is still queued is dropped."""
        self._account.logs.unsubscribe(self._queue)
        self._stopped.set()
        self._wake.set()
        self._thread.join(30)
        with self._ship_lock:
            self._pending.clear()
            client, self._client = self._client, None
        if client is not None:
            getattr(client, "close", lambda: None)()
