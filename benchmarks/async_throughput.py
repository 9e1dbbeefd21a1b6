"""Asynchronous invocation throughput and the queue's scheduling overhead.

For N = 1, 4 and 16 execution environments (reserved concurrency N, process
isolation, trivial handler), ``COUNT`` ``Event`` invocations are accepted and
drained (``wait()``); events per second = COUNT / (accept + drain time).

Baseline in the same run: the same number of direct warm synchronous invocations
from N caller threads (an unreserved function, so no request-rate limit applies:
the account limit is raised for the benchmark).  overhead = async time / direct time.

Prints one JSON document.  Run: ``python benchmarks/async_throughput.py``.
"""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _bench import BENCH_MEMORY_MB, EVENT, TRIVIAL_CODE, emit, machine, target

from lambda_magic.runtime.account import LocalAccount
from lambda_magic.runtime.settings import AccountSettings

COUNT = 6_000
ENVIRONMENTS = (1, 4, 16)
#: Issue 15: "async throughput of at least 10,000 events/s with 4 environments".
TARGET_EVENTS_PER_S = 10_000
TARGET_ENVIRONMENTS = 4
TARGET_OVERHEAD = 1.5


def async_run(account: LocalAccount, environments: int) -> dict:
    name = f"async{environments}"
    account.register(name, TRIVIAL_CODE, memory_mb=BENCH_MEMORY_MB, reserved_concurrency=environments)
    for _ in range(environments):  # warm the environments
        account.invoke(name, EVENT, invocation_type="Event")
    account.wait()
    started = time.perf_counter()
    for _ in range(COUNT):
        account.invoke(name, EVENT, invocation_type="Event")
    accepted = time.perf_counter()
    account.wait()
    elapsed = time.perf_counter() - started
    ledger = account.async_ledgers()[name]
    envs = {env.log_stream_name for env, _ in account.environments() if env.function_name == name}
    return {
        "events": COUNT,
        "seconds": round(elapsed, 3),
        "accept_seconds": round(accepted - started, 3),
        "events_per_s": round(COUNT / elapsed, 1),
        "environments_used": len(envs),
        "checks": {
            "succeeded": ledger.succeeded - environments,
            "balances": ledger.balances(),
            "throttles": ledger.throttles,
        },
    }


def direct_run(account: LocalAccount, callers: int) -> dict:
    name = f"direct{callers}"
    account.register(name, TRIVIAL_CODE, memory_mb=BENCH_MEMORY_MB)
    with ThreadPoolExecutor(callers) as pool:
        list(pool.map(lambda _: account.invoke(name, EVENT), range(callers * 4)))  # warm
        started = time.perf_counter()
        results = list(pool.map(lambda _: account.invoke(name, EVENT).status, range(COUNT)))
        elapsed = time.perf_counter() - started
    return {
        "invocations": COUNT,
        "seconds": round(elapsed, 3),
        "invocations_per_s": round(COUNT / elapsed, 1),
        "checks": {"all_succeeded": all(status == "success" for status in results)},
    }


def main() -> None:
    started = time.time()
    account = LocalAccount(AccountSettings(account_concurrency=1_000_000, async_workers=16))
    try:
        results, baselines, targets = {}, {}, []
        for n in ENVIRONMENTS:
            results[f"async_{n}_environments"] = run = async_run(account, n)
            baselines[f"direct_{n}_callers"] = base = direct_run(account, n)
            overhead = round(run["seconds"] / base["seconds"], 2)
            run["overhead_vs_direct"] = overhead
            if n == TARGET_ENVIRONMENTS:
                targets.append(
                    target(
                        f"results.async_{n}_environments.events_per_s",
                        run["events_per_s"],
                        TARGET_EVENTS_PER_S,
                        "events/s",
                        higher_is_better=True,
                    )
                )
            targets.append(target(f"results.async_{n}_environments.overhead_vs_direct", overhead, TARGET_OVERHEAD, "x"))
    finally:
        account.shutdown()
    emit(
        {
            "benchmark": "async_throughput",
            "description": __doc__.split("\n\n")[0],
            "machine": machine(),
            "results": results,
            "baselines": baselines,
            "targets": targets,
            "elapsed_s": round(time.time() - started, 2),
        }
    )


if __name__ == "__main__":
    main()
