"""Cold start of a trivial handler, with a small and with a 2 GB benchmarking process.

A cold start is the first ``invoke`` after ``register`` (re-registering a function
retires its environments, so the next invoke starts a new one, forked from the
template process).  In one run:

* (a) ``fresh``: this process as it starts;
* (b) ``after_2gb``: after allocating a 2 GB ``bytearray`` and writing one byte per
  4 KB page, so that all of it is resident (a notebook kernel holding data).

For each: the very first cold start of a new ``LocalAccount`` (template process
start included: ``register`` + ``invoke``), then, with the template warm, ~200 cold
starts: the wall time of the ``invoke`` call and the ``init_duration_ms`` it reports.
Baseline: ``os.fork()`` + child ``os._exit(0)`` + ``waitpid`` from this process,
which is what a cold start would cost without the template.

Prints one JSON document.  Run: ``python benchmarks/cold_start.py``.
"""

from __future__ import annotations

import gc
import os
import resource
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _bench import BENCH_MEMORY_MB, EVENT, TRIVIAL_CODE, emit, machine, summarize, target

from lambda_magic.runtime.account import LocalAccount

COLD_STARTS = 200
WARMUP = 10
FORKS_SMALL = 200
FORKS_BIG = 30  # each costs tens of ms with 2 GB resident
BIG_BYTES = 2 * 1024**3
PAGE = 4096
#: Issue 15: a cold start of a trivial handler in at most 3 ms, fresh and with 2 GB resident.
TARGET_MEDIAN_MS = 3.0


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return round(int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024**2, 1)


def fork_baseline(samples: int) -> list[int]:
    """fork + child _exit(0) + waitpid, timed in the parent."""
    clock = time.perf_counter_ns
    times = []
    for _ in range(3):  # warm-up
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
    for _ in range(samples):
        start = clock()
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
        times.append(clock() - start)
    return times


def cold_starts(label: str) -> dict:
    """A new account: its very first cold start, then COLD_STARTS measured ones."""
    clock = time.perf_counter_ns
    account = LocalAccount()
    try:
        start = clock()
        account.register(
            "bench-cold-first", TRIVIAL_CODE, memory_mb=BENCH_MEMORY_MB, isolation="process"
        )  # starts the template process
        registered = clock()
        first = account.invoke("bench-cold-first", EVENT)
        done = clock()
        very_first = {
            "register_plus_invoke_ms": round((done - start) / 1e6, 3),
            "register_ms": round((registered - start) / 1e6, 3),
            "invoke_ms": round((done - registered) / 1e6, 3),
            "init_duration_ms": round(first.init_duration_ms, 3),
            "cold_start": first.cold_start,
        }
        for _ in range(WARMUP):  # template warm: it has forked before, its pages are hot
            account.register("bench-cold", TRIVIAL_CODE, memory_mb=BENCH_MEMORY_MB, isolation="process")
            account.invoke("bench-cold", EVENT)
        walls, registers, inits, durations, cold_flags = [], [], [], [], []
        gc.collect()
        for _ in range(COLD_STARTS):
            before = clock()
            account.register(
                "bench-cold", TRIVIAL_CODE, memory_mb=BENCH_MEMORY_MB, isolation="process"
            )  # retires the warm environment
            start = clock()
            result = account.invoke("bench-cold", EVENT)
            walls.append(clock() - start)
            registers.append(start - before)
            inits.append(result.init_duration_ms)
            durations.append(result.duration_ms)
            cold_flags.append(result.cold_start)
        template_pid = account.template().pid
        with open(f"/proc/{template_pid}/statm") as statm:
            template_rss_mb = round(int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024**2, 1)
    finally:
        account.shutdown()
    init_ns = [round(value * 1e6) for value in inits]
    return {
        "scenario": label,
        "benchmark_process_rss_mb": rss_mb(),
        "template_process_rss_mb": template_rss_mb,
        "very_first_cold_start_including_template_start": very_first,
        "cold_invoke_wall": summarize(walls, "ms"),
        "init_duration_reported": summarize(init_ns, "ms"),
        "invoke_duration_reported_median_ms": round(statistics.median(durations), 3),
        "register_wall_median_ms": round(statistics.median(registers) / 1e6, 3),
        "all_measured_invokes_cold": all(cold_flags),
        "status": result.status,
    }


def touch_2gb() -> tuple[bytearray, float]:
    start = time.perf_counter()
    big = bytearray(BIG_BYTES)
    big[::PAGE] = b"\x01" * (BIG_BYTES // PAGE)  # one byte per page: every page becomes resident
    return big, time.perf_counter() - start


def main() -> None:
    wall = time.perf_counter()
    info = machine()

    fork_small = fork_baseline(FORKS_SMALL)
    fresh = cold_starts("fresh")

    big, touch_s = touch_2gb()
    fork_big = fork_baseline(FORKS_BIG)
    after = cold_starts("after_2gb")
    big_rss = rss_mb()
    del big

    fork_small_stats = summarize(fork_small, "ms")
    fork_big_stats = summarize(fork_big, "ms")
    fresh_median = fresh["cold_invoke_wall"]["median_ms"]
    after_median = after["cold_invoke_wall"]["median_ms"]
    document = {
        "benchmark": "cold_start",
        "description": "first LocalAccount.invoke after (re-)register of `return event` (isolation=process), "
        "in a fresh process and with 2 GB resident, against a bare os.fork from this process",
        "machine": info,
        "unit": "ms",
        "allocation": {
            "bytes": BIG_BYTES,
            "touched_every_bytes": PAGE,
            "touch_s": round(touch_s, 2),
            "rss_mb_with_allocation": big_rss,
            "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        },
        "results": {
            "fresh": fresh,
            "after_2gb": after,
        },
        "baselines": {
            "fork_exit_waitpid_fresh": fork_small_stats,
            "fork_exit_waitpid_after_2gb": fork_big_stats,
            "fork_cost_per_gb_ms": round((fork_big_stats["median_ms"] - fork_small_stats["median_ms"]) / 2, 2),
        },
        "targets": [
            target("results.fresh.cold_invoke_wall.median_ms", fresh_median, TARGET_MEDIAN_MS, "ms"),
            target("results.after_2gb.cold_invoke_wall.median_ms", after_median, TARGET_MEDIAN_MS, "ms"),
        ],
        "elapsed_s": round(time.perf_counter() - wall, 2),
    }
    emit(document)


if __name__ == "__main__":
    main()
