"""What log delivery to the local cloud costs the invoke path, and how soon logs arrive.

Two accounts in one run, each with a warm process environment of the trivial handler:

* ``shipper_off``: the local cloud is not in use, so nothing is delivered (the store only);
* ``shipper_on``: a ``logs`` client was asked for, so every event (START, END, REPORT:
  three per invoke) is also queued and shipped to the moto server by the background
  thread while the loop runs.

They are measured in alternating blocks (per call, a ``perf_counter_ns`` pair), so
both see the same machine load; after each ``shipper_on`` block its account's
``wait()`` delivers the rest (not timed), so the next ``shipper_off`` block does
not share the CPU with a shipper.  ``overhead`` compares the medians.

Also: ``delivery_latency``, the time from the end of one invoke until its REPORT
line is returned by ``FilterLogEvents`` without ``wait()`` (polled every 10 ms),
and the time ``wait()`` takes to flush one block.

Prints one JSON document.  Run: ``python benchmarks/log_shipping.py``.
"""

from __future__ import annotations

import gc
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _bench import BENCH_MEMORY_MB, EVENT, TRIVIAL_CODE, emit, machine, summarize, target

from lambda_magic.runtime.account import LocalAccount
from lambda_magic.runtime.log_delivery import LogDelivery
from lambda_magic.runtime.settings import AccountSettings

#: A tight loop runs far above Lambda's per-concurrency request rate: lift the account limit.
UNTHROTTLED = AccountSettings(account_concurrency=1_000_000)

BLOCKS = 10
BLOCK = 1_000
WARMUP = 1_000
LATENCY_SAMPLES = 10
#: The shipper may add at most this fraction to the median warm invoke.
TARGET_OVERHEAD = 0.10


def warm(account: LocalAccount) -> None:
    account.register("bench", TRIVIAL_CODE, memory_mb=BENCH_MEMORY_MB, isolation="process")
    for _ in range(WARMUP):
        account.invoke("bench", EVENT)


def block(account: LocalAccount, samples: list[int]) -> None:
    clock, invoke, append = time.perf_counter_ns, account.invoke, samples.append
    for _ in range(BLOCK):
        start = clock()
        invoke("bench", EVENT)
        append(clock() - start)


def delivery_latency(account: LocalAccount) -> list[int]:
    logs = account.cloud.client("logs")
    samples = []
    for _ in range(LATENCY_SAMPLES):
        invocation = account.invoke("bench", EVENT)
        done = time.perf_counter_ns()
        while not logs.filter_log_events(
            logGroupName="/aws/lambda/bench",
            logStreamNames=[invocation.log_stream],
            filterPattern=f'"REPORT RequestId: {invocation.request_id}"',
        )["events"]:
            time.sleep(0.01)
        samples.append(time.perf_counter_ns() - done)
    return samples


def main() -> None:
    off, on = LocalAccount(UNTHROTTLED), LocalAccount(UNTHROTTLED)
    try:
        warm(off)
        warm(on)
        on.cloud.client("logs")  # the logs API is in use: everything so far is delivered, then the rest
        shipper = LogDelivery.of(on)
        samples: dict[str, list[int]] = {"shipper_off": [], "shipper_on": []}
        flush_ns: list[int] = []
        gc.collect()
        for _ in range(BLOCKS):
            block(off, samples["shipper_off"])
            block(on, samples["shipper_on"])
            start = time.perf_counter_ns()
            on.wait()
            flush_ns.append(time.perf_counter_ns() - start)
        latency = delivery_latency(on)
        assert not off.cloud.running and LogDelivery.NAME not in off.extensions()  # the baseline shipped nothing
        stored = len(on.log_events("bench"))
        figures = {name: summarize(values) for name, values in samples.items()}
        overhead = figures["shipper_on"]["median_us"] / figures["shipper_off"]["median_us"] - 1
        emit(
            {
                "benchmark": "log_shipping",
                "description": "warm process invoke of the trivial handler, log delivery to the local cloud on vs off",
                "figures": {
                    **figures,
                    "wait_flush_per_block": summarize(flush_ns, "ms"),
                    "delivery_latency_without_wait": summarize(latency, "ms"),
                },
                "overhead_of_median": round(overhead, 4),
                "events": {
                    "stored": stored,
                    "delivered": shipper.delivered,
                    "rejected": shipper.rejected,
                    "pending": shipper.pending(),
                    "failure": shipper.failure,
                },
                "method": {"blocks": BLOCKS, "block": BLOCK, "warmup": WARMUP, "alternating": True},
                "target": target("median(on) / median(off) - 1", overhead, TARGET_OVERHEAD, "fraction"),
                "machine": machine(),
            }
        )
    finally:
        off.shutdown()
        on.shutdown()


if __name__ == "__main__":
    main()
