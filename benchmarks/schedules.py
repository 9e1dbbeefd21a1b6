"""A virtual week of a ``rate(1 minute)`` scheduled rule against the same number of direct async invokes.

A scheduled rule (``lm.add_trigger(fn, "schedule:rate(1 minute)")``: ``put_rule``, the
permission, ``put_targets``) on a manual account clock; ``account.clock.advance(7 days)``
then ``account.wait()``: 10,080 firings, each a ``Scheduled Event`` invoking the trivial
handler asynchronously.  Wall time from the advance to the end of the wait.

Baseline in the same run: 10,080 ``account.invoke(..., invocation_type="Event")`` of the
same handler (another function, same isolation), then ``account.wait()``.  The two
alternate for ``ROUNDS`` rounds; overhead = median(schedule) / median(direct).

Prints one JSON document.  Run: ``python benchmarks/schedules.py``.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _bench import BENCH_MEMORY_MB, EVENT, TRIVIAL_CODE, emit, machine, target

from lambda_magic.endpoints.lambda_api import LambdaAPI
from lambda_magic.runtime.account import LocalAccount
from lambda_magic.sources.push import PushSources

WEEK_S = 7 * 86_400
FIRINGS = WEEK_S // 60  # 10,080
ROUNDS = int(os.environ.get("ROUNDS", "3"))
TARGET_OVERHEAD = 1.5


def schedule_round(account: LocalAccount, push: PushSources, n: int) -> dict:
    name = f"sched{n}"
    account.register(name, TRIVIAL_CODE, memory_mb=BENCH_MEMORY_MB)
    account.invoke(name, EVENT)  # warm
    push.add_trigger(name, "schedule:rate(1 minute)")
    started = time.perf_counter()
    account.clock.advance(WEEK_S)
    account.wait()
    elapsed = time.perf_counter() - started
    account.cloud.client("events").disable_rule(Name=name)  # the week is over
    ledger = account.async_ledgers()[name]
    stamps = sorted(r.event["time"] for r in account.invocation_records(name) if r.invocation_type == "Event")
    return {
        "firings": ledger.received,
        "seconds": round(elapsed, 3),
        "invocations_per_s": round(ledger.received / elapsed, 1),
        "checks": {
            "succeeded": ledger.succeeded,
            "dropped": dict(ledger.dropped),
            "balances": ledger.balances(),
            "first_time": stamps[0] if stamps else None,
            "last_time": stamps[-1] if stamps else None,
            "distinct_times_in_kept_records": len(set(stamps)),
            "records_kept": len(stamps),
        },
    }


def direct_round(account: LocalAccount, n: int) -> dict:
    name = f"direct{n}"
    account.register(name, TRIVIAL_CODE, memory_mb=BENCH_MEMORY_MB)
    account.invoke(name, EVENT)  # warm
    started = time.perf_counter()
    for _ in range(FIRINGS):
        account.invoke(name, EVENT, invocation_type="Event")
    account.wait()
    elapsed = time.perf_counter() - started
    ledger = account.async_ledgers()[name]
    return {
        "invocations": FIRINGS,
        "seconds": round(elapsed, 3),
        "invocations_per_s": round(FIRINGS / elapsed, 1),
        "checks": {"succeeded": ledger.succeeded, "balances": ledger.balances()},
    }


def main() -> None:
    started = time.time()
    account = LocalAccount()
    try:
        account.configure(clock_mode="manual")
        api = LambdaAPI.of(account)
        push = PushSources.of(account, policy=api.policy, lambda_client=api.client)
        schedules, directs = [], []
        for n in range(ROUNDS):
            schedules.append(schedule_round(account, push, n))
            directs.append(direct_round(account, n))
    finally:
        account.shutdown()
    schedule_s = statistics.median(r["seconds"] for r in schedules)
    direct_s = statistics.median(r["seconds"] for r in directs)
    overhead = schedule_s / direct_s
    emit(
        {
            "benchmark": "schedules",
            "description": __doc__.split("\n\n")[0],
            "machine": machine(),
            "results": {
                "virtual_week_rate_1_minute": {"median_seconds": round(schedule_s, 3), "rounds": schedules},
                "overhead_vs_direct": round(overhead, 2),
            },
            "baselines": {"direct_async_invokes": {"median_seconds": round(direct_s, 3), "rounds": directs}},
            "targets": [target("results.overhead_vs_direct", overhead, TARGET_OVERHEAD, "x")],
            "elapsed_s": round(time.time() - started, 2),
        }
    )


if __name__ == "__main__":
    main()
