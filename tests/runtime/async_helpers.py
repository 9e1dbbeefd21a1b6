"""Helpers for the clock, async, concurrency and version tests: handlers, gates, holding concurrency."""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any, Iterator

from .helpers import code, wait_until

#: Always fails with a ValueError (a function error: "Unhandled").
FAILING = code(
    """
    def lambda_handler(event, context):
        print("attempt for", context.aws_request_id)
        raise ValueError("planned failure")
    """
)

#: Returns what it received: a destination that shows the invocation record it was sent.
ECHO = code(
    """
    def lambda_handler(event, context):
        return event
    """
)

#: Waits until the file named in the event exists (at most 20 s), so the test holds it in flight.
GATED = code(
    """
    import os, time
    def lambda_handler(event, context):
        deadline = time.time() + 20
        while not os.path.exists(event["gate"]) and time.time() < deadline:
            time.sleep(0.005)
        return {"gate": os.path.exists(event["gate"])}
    """
)

#: Counts its attempts per event in a shared directory, then does what ``event["fates"]`` says
#: for that attempt: ok, error (exception), crash (os._exit) or timeout (sleeps past the limit).
FATED = code(
    """
    import os, time
    def lambda_handler(event, context):
        path = os.path.join(event["dir"], f"{event['fn']}-{event['n']}")
        with open(path, "a") as marks:
            marks.write("x")
        attempt = os.path.getsize(path)
        fate = event["fates"][attempt - 1]
        if fate == "error":
            raise RuntimeError(f"planned failure on attempt {attempt}")
        if fate == "crash":
            os._exit(3)
        if fate == "timeout":
            time.sleep(30)
        return {"n": event["n"], "attempt": attempt}
    """
)


def record_timestamp(epoch_s: float) -> str:
    """How an invocation record writes its timestamp (ISO 8601, milliseconds, Z)."""
    return datetime.fromtimestamp(epoch_s, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def manual(account: Any) -> Any:
    """Put the account on the manual clock and return it."""
    account.configure(clock_mode="manual")
    return account


@contextlib.contextmanager
def held(account: Any, name: str, gate_dir: Any, count: int, qualifier: str | None = None) -> Iterator[list[Future]]:
    """Run ``count`` synchronous invocations of a GATED function that stay in flight
    until the block ends (the gate opens); yields their futures."""
    gate = gate_dir / f"gate-{name}-{qualifier}"
    before = account.governor.in_flight(name)
    pool = ThreadPoolExecutor(max_workers=count)
    futures = [pool.submit(account.invoke, name, {"gate": str(gate)}, qualifier=qualifier) for _ in range(count)]
    try:
        assert wait_until(lambda: account.governor.in_flight(name) >= before + count, timeout=30), (
            f"{count} invocations of {name} did not get in flight"
        )
        yield futures
    finally:
        gate.touch()
        pool.shutdown(wait=True)


@contextlib.contextmanager
def governor_slots(account: Any, name: str, count: int) -> Iterator[None]:
    """Keep ``count`` unreserved invocations of ``name`` 'in flight' in the governor
    (as if that many environments were busy), without starting processes."""
    for _ in range(count):
        account.governor.acquire(name, synchronous=False, new_environment=False)
    try:
        yield
    finally:
        for _ in range(count):
            account.governor.release(name)


class Gate:
    """A threading.Event a timer callback sets, with what the clock said when it ran."""

    def __init__(self, clock: Any = None):
        self.event = threading.Event()
        self.clock = clock
        self.at: list[float] = []

    def __call__(self) -> None:
        if self.clock is not None:
            self.at.append(self.clock.time())
        self.event.set()
