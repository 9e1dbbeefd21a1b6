"""One synchronous call of a function for a gateway, with the integration timeout, and the access log.

A function whose own timeout is within the integration timeout runs on the request's
thread; a longer one runs on a helper thread, and when the gateway stops waiting the
function still runs to completion (as on AWS: its log still appears).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from ..common.api_access_log import ACCESS_LOG_COLUMNS
from ..runtime.concurrency import TooManyRequestsException

#: How many requests an access log keeps (the oldest go first).
LOG_ROWS = 10_000


@dataclass
class Outcome:
    """What the integration got: the invocation, or that it timed out or was throttled."""

    invocation: Any = None
    timed_out: bool = False
    throttled: bool = False
    missing: bool = False
    latency_ms: float = 0.0


def split_target(target: str) -> tuple[str, str | None]:
    """``name`` or ``name:qualifier`` (an ARN keeps its qualifier as the last part)."""
    if target.startswith("arn:"):
        parts = target.split(":")
        return parts[6], parts[7] if len(parts) > 7 else None
    name, _, qualifier = target.partition(":")
    return name, qualifier or None


def call_function(account: Any, target: str, event: Any, *, trigger: str, timeout_s: float | None) -> Outcome:
    """Invoke ``target`` (RequestResponse) and wait at most ``timeout_s`` (None: as long as it runs)."""
    name, qualifier = split_target(target)
    started = time.perf_counter()
    function = account.registry.latest(name)
    if function is None:
        return Outcome(missing=True, latency_ms=(time.perf_counter() - started) * 1000)
    outcome = Outcome()

    def run() -> None:
        try:
            outcome.invocation = account.invoke(name, event, qualifier=qualifier, trigger=trigger)
        except TooManyRequestsException:
            outcome.throttled = True
        except Exception:  # the function vanished meanwhile, or its version did
            outcome.missing = True

    if timeout_s is None or function.config.timeout_s <= timeout_s:
        run()
    else:
        worker = threading.Thread(target=run, name=f"lambda_magic-integration-{name}", daemon=True)
        worker.start()
        worker.join(timeout_s)
        if worker.is_alive():
            outcome = Outcome(timed_out=True)
    outcome.latency_ms = (time.perf_counter() - started) * 1000
    return outcome


class AccessLog:
    """The requests an API served, one dict per request (thread-safe, bounded)."""

    COLUMNS = ACCESS_LOG_COLUMNS

    def __init__(self, limit: int = LOG_ROWS):
        self._rows: deque[dict[str, Any]] = deque(maxlen=limit)
        self._lock = threading.Lock()

    def add(self, **row: Any) -> None:
        with self._lock:
            self._rows.append({column: row.get(column) for column in self.COLUMNS})

    def rows(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._rows)

    def clear(self) -> None:
        with self._lock:
            self._rows.clear()
