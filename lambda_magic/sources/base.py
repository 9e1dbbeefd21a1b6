"""The one small base every poller is a plugin on.

A poller reads its source through the real service API (boto3 against the local
cloud), builds the event Lambda would send, invokes the function synchronously,
and decides what happens to the records.  It runs on the account clock: a tick
that found work schedules the next one as *work* (``wait`` waits for it and the
auto clock may skip idle time for it); an idle tick schedules a housekeeping one.
"""

from __future__ import annotations

import collections
import threading
from typing import TYPE_CHECKING, Any

from ..runtime.concurrency import TooManyRequestsException

if TYPE_CHECKING:
    from ..runtime.account import LocalAccount
    from ..runtime.invocation import Invocation
    from .mapping import EventSourceMapping


def is_not_found(exc: BaseException) -> bool:
    """Whether a boto3 error says the queue, stream or table does not exist."""
    return "ResourceNotFound" in type(exc).__name__ or "ResourceNotFound" in str(exc)


class Poller:
    """Base class: subclasses implement :meth:`poll` (and usually :meth:`pending`)."""

    #: Seconds between polls while the source is empty (AWS's polling rhythm).
    idle_interval_s = 1.0
    #: Back-off after a throttled invoke.
    throttle_backoff_s = 1.0

    def __init__(self, account: LocalAccount, mapping: EventSourceMapping):
        self.account = account
        self.mapping = mapping
        self.stats: collections.Counter = collections.Counter()
        self._lock = threading.Lock()
        self._stopped = False
        self._scheduled = 0  # ticks on the clock (a count: a kick must not start a second housekeeping chain)
        self.last_error: str | None = None

    # --- to implement -----------------------------------------------------------------------------

    def poll(self) -> bool:
        """Read the source once and process what came; True when there was work."""
        raise NotImplementedError

    def pending(self) -> bool:
        """Whether the source holds records this mapping has not finished with."""
        return False

    def describe(self) -> dict[str, Any]:
        """The poller's state (positions, in-flight batches, retries) for panels and frames."""
        return {}

    @classmethod
    def validate(cls, account: LocalAccount, mapping: EventSourceMapping) -> None:
        """Refuse a mapping AWS would refuse (the source is missing, a timeout is too short, ...)."""

    # --- the rhythm -------------------------------------------------------------------------------

    def start(self) -> None:
        self._schedule(0.0, work=True)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True

    def kick(self) -> None:
        """Poll again now (``wait`` does this when the source still holds records)."""
        self._schedule(0.0, work=True)

    def _schedule(self, delay_s: float, *, work: bool) -> None:
        with self._lock:
            if self._stopped or (self._scheduled and not work):
                return
            self._scheduled += 1
        self.account.scheduler.call_later(delay_s, self._tick, work=work)

    def _tick(self) -> None:
        with self._lock:
            self._scheduled -= 1
            if self._stopped or not self.mapping.enabled:
                return
        try:
            worked = self.poll()
        except Exception as exc:  # a source error must not kill the poller: count it, try again later
            self.count("poll_errors")
            self.last_error = f"{type(exc).__name__}: {exc}"
            worked = False
        self._schedule(0.0 if worked else self.idle_interval_s, work=worked)

    # --- helpers for subclasses ----------------------------------------------------------------

    def count(self, name: str, n: int = 1) -> None:
        """Add to a counter in ``stats`` (thread-safe: batches may run on several threads)."""
        with self._lock:
            self.stats[name] += n

    def invoke(self, event: dict, caller_request_id: str | None = None) -> Invocation | None:
        """Invoke the function synchronously, as Lambda's pollers do; None when throttled.
        ``caller_request_id``: the invocation that sent the records, when known."""
        self.count("invocations")
        try:
            return self.account.invoke(
                self.mapping.function_name,
                event,
                trigger=f"{self.mapping.source}:{self.resource_name}",
                caller_request_id=caller_request_id,
            )
        except TooManyRequestsException:
            self.count("throttles")
            return None

    @property
    def resource_name(self) -> str:
        arn = self.mapping.event_source_arn
        return arn.split(":")[5].split("/")[1] if self.mapping.source != "sqs" and "/" in arn else arn.split(":")[5]

    @property
    def cloud(self) -> Any:
        return self.account.cloud
