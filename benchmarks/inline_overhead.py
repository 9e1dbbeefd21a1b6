"""Overhead of ``isolation="inline"``: invoking through the account vs calling the handler.

Both are timed per call (a ``perf_counter_ns`` pair around each call), with the
same event ``{"n": 1}``:

* ``direct_handler_call``: the handler function (compiled from the same source
  text as the registered one), called as ``handler(event, None)``;
* ``lambda_magic_inline_invoke``: ``LocalAccount.invoke`` of the function
  registered with ``isolation="inline"`` (warm: its environment is reused).

overhead = median(inline invoke) - median(direct call).

Prints one JSON document.  Run: ``python benchmarks/inline_overhead.py``.
"""

from __future__ import annotations

import gc
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _bench import EVENT, TRIVIAL_CODE, drift, emit, machine, summarize, target

from lambda_magic.runtime.account import LocalAccount
from lambda_magic.runtime.settings import AccountSettings

#: A tight loop runs far above Lambda's 10 requests/s per unit of concurrency (10,000/s for the
#: default 1,000): raise the account limit so the figure is the invoke path, not a throttle.
UNTHROTTLED = AccountSettings(account_concurrency=1_000_000)

N = 20_000
WARMUP = 2_000
#: Issue 15: at most 5 us over a direct call of the handler.
TARGET_OVERHEAD_US = 5.0


def direct_handler():
    namespace: dict = {}
    exec(compile(TRIVIAL_CODE, "lambda_function.py", "exec"), namespace)
    return namespace["lambda_handler"]


def measure_direct(n: int) -> list[int]:
    handler, event = direct_handler(), dict(EVENT)
    clock = time.perf_counter_ns
    for _ in range(WARMUP):
        handler(event, None)
    samples = []
    append = samples.append
    for _ in range(n):
        start = clock()
        handler(event, None)
        append(clock() - start)
    return samples


def measure_inline(n: int) -> tuple[list[int], dict]:
    account = LocalAccount(UNTHROTTLED)
    try:
        account.register("bench-inline", TRIVIAL_CODE, isolation="inline")
        first = account.invoke("bench-inline", EVENT)
        for _ in range(WARMUP):
            account.invoke("bench-inline", EVENT)
        clock = time.perf_counter_ns
        invoke = account.invoke
        samples = []
        append = samples.append
        gc.collect()
        for _ in range(n):
            start = clock()
            result = invoke("bench-inline", EVENT)
            append(clock() - start)
        checks = {
            "first_invoke_cold": first.cold_start,
            "measured_invokes_warm": not result.cold_start,
            "isolation": result.isolation,
            "status": result.status,
            "payload": result.payload,
            "environment_reported_duration_us": round(result.duration_ms * 1000, 3),
        }
    finally:
        account.shutdown()
    return samples, checks


def main() -> None:
    wall = time.perf_counter()
    info = machine()
    direct = measure_direct(N)
    inline, checks = measure_inline(N)
    direct_stats = summarize(direct)
    inline_stats = summarize(inline)
    overhead = inline_stats["median_us"] - direct_stats["median_us"]
    document = {
        "benchmark": "inline_overhead",
        "description": "warm LocalAccount.invoke of `return event` with isolation=inline vs calling the handler "
        "function directly, per-call wall time",
        "machine": info,
        "n": N,
        "warmup": WARMUP,
        "unit": "us",
        "results": {
            "lambda_magic_inline_invoke": {**inline_stats, **drift(inline), "checks": checks},
            "overhead_median_us": round(overhead, 3),
        },
        "baselines": {
            "direct_handler_call": direct_stats,
        },
        "target": target("results.overhead_median_us", overhead, TARGET_OVERHEAD_US, "us"),
        "elapsed_s": round(time.perf_counter() - wall, 2),
    }
    emit(document)


if __name__ == "__main__":
    main()
