"""How much memory the kernel keeps per invocation, without and with retention.

50,000 warm invocations of a handler that prints one line, measured twice in the same
run, each in a fresh child process (so one case does not inherit the other's heap):

* ``unlimited``: ``retained_invocations=None, retained_log_events=None`` (every
  record and log event kept, as before retention existed);
* ``default``: the default retention (the last 10,000 invocations, 100,000 log events).

Each child reports its resident set size (RSS, from ``/proc/self/statm``; the peak
from ``getrusage`` where there is no ``/proc``) after a warm-up and at every tenth of
the run, the growth per invocation over the whole run and over its last 30% (the
steady state once retention is full), what the account holds, and the metrics'
``Invocations`` sum (which must equal the number of invocations in both cases).

Prints one JSON document.  Run: ``python benchmarks/kernel_memory.py [--isolation inline]``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _bench import BENCH_MEMORY_MB, emit, machine, target

N = 50_000
WARMUP = 500
CHECKPOINTS = 10
#: The steady state is measured over the last 30% of the run: the default retention
#: (100,000 log events = 25,000 of these invocations, plus its batch slack) is full by then.
STEADY_FROM = 0.7
CODE = "def lambda_handler(event, context):\n    print('hello from', context.aws_request_id)\n    return event\n"
#: What unlimited retention would keep is the figure the issue measured: ~3 KB per invocation.
TARGET_STEADY_BYTES_PER_INVOCATION = 100.0


def rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # not Linux: the peak is what getrusage offers (KB on Linux, bytes on macOS)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


def child(case: str, isolation: str, n: int) -> dict:
    from lambda_magic.runtime.account import LocalAccount
    from lambda_magic.runtime.settings import AccountSettings

    settings = AccountSettings(account_concurrency=1_000_000, isolation=isolation)
    if case == "unlimited":
        settings.retained_invocations = settings.retained_log_events = None
    account = LocalAccount(settings)
    try:
        account.register("f", CODE, memory_mb=BENCH_MEMORY_MB)
        for _ in range(WARMUP):
            account.invoke("f", {"n": 1})
        gc.collect()
        base = rss_bytes()
        checkpoints = []
        every = max(n // CHECKPOINTS, 1)
        started = time.perf_counter()
        for i in range(1, n + 1):
            account.invoke("f", {"n": 1})
            if i % every == 0:
                gc.collect()
                checkpoints.append({"invocations": i, "rss_mb": round(rss_bytes() / 2**20, 2)})
        elapsed = time.perf_counter() - started
        gc.collect()
        end = rss_bytes()
        late = next(c for c in checkpoints if c["invocations"] >= STEADY_FROM * n)
        steady = (end - late["rss_mb"] * 2**20) / max(n - late["invocations"], 1)
        return {
            "case": case,
            "isolation": isolation,
            "settings": {
                "retained_invocations": account.settings.retained_invocations,
                "retained_log_events": account.settings.retained_log_events,
            },
            "invocations": n,
            "rss_start_mb": round(base / 2**20, 2),
            "rss_end_mb": round(end / 2**20, 2),
            "rss_growth_mb": round((end - base) / 2**20, 2),
            "bytes_per_invocation": round((end - base) / n, 1),
            "steady_state_bytes_per_invocation": round(steady, 1),
            "steady_state_from_invocation": late["invocations"],
            "checkpoints": checkpoints,
            "records_kept": len(account.invocation_records()),
            "records_dropped": account.invocation_records().dropped,
            "log_events_kept": len(account.logs),
            "log_events_dropped": account.logs.dropped(),
            "metric_seconds_held": len(account.metrics),
            "metrics_invocations_sum": account.metrics.totals("f")["Invocations"],
            "invocations_including_warmup": n + WARMUP,
            "invocations_per_s": round(n / elapsed),
        }
    finally:
        account.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--isolation", default="process", choices=["process", "inline"])
    parser.add_argument("-n", type=int, default=N)
    parser.add_argument("--child", choices=["unlimited", "default"])
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.isolation, args.n)))
        return
    cases = {}
    for case in ("unlimited", "default"):
        out = subprocess.run(
            [
                sys.executable,
                os.path.abspath(__file__),
                "--child",
                case,
                "--isolation",
                args.isolation,
                "-n",
                str(args.n),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        cases[case] = json.loads(out.stdout.strip().splitlines()[-1])
    steady = cases["default"]["steady_state_bytes_per_invocation"]
    emit(
        {
            "benchmark": "kernel_memory",
            "what": f"RSS the kernel keeps per warm invocation of a one-print handler, {args.n:,} invocations "
            f"({args.isolation} isolation), without and with retention",
            "machine": machine(),
            "baseline": cases["unlimited"],
            "measured": cases["default"],
            "target": target(
                "default retention: steady-state RSS growth per invocation",
                steady,
                TARGET_STEADY_BYTES_PER_INVOCATION,
                "bytes",
            ),
        }
    )


if __name__ == "__main__":
    main()
