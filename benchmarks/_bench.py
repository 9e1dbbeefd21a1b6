"""Shared helpers for the benchmark scripts (stdlib only).

Every script prints exactly one JSON document to stdout; these helpers build the
common parts of it (statistics, a description of the machine, the target check).
Nothing here asserts: the figures are reported, not judged.
"""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable
from typing import Any

_UNITS = {"ns": 1, "us": 1_000, "ms": 1_000_000}

#: The memory of the benchmarks' functions: one vCPU, so that Lambda's CPU share (an environment at
#: 128 MB gets 7 % of a CPU, metered per 100 ms) does not throttle a tight loop of invocations.
BENCH_MEMORY_MB = 1769

#: The trivial handler every benchmark uses.
TRIVIAL_CODE = "def lambda_handler(event, context):\n    return event\n"
EVENT = {"n": 1}


def summarize(samples_ns: Iterable[int], unit: str = "us") -> dict[str, Any]:
    """Median, p90 (nearest rank), mean, min and max of nanosecond samples, in ``unit``."""
    values = sorted(samples_ns)
    n = len(values)
    if not n:
        return {"n": 0}
    scale = _UNITS[unit]
    p90 = values[max(math.ceil(0.9 * n) - 1, 0)]

    def fmt(value: float) -> float:
        return round(value / scale, 3)

    return {
        "n": n,
        f"median_{unit}": fmt(statistics.median(values)),
        f"p90_{unit}": fmt(p90),
        f"mean_{unit}": fmt(statistics.fmean(values)),
        f"min_{unit}": fmt(values[0]),
        f"max_{unit}": fmt(values[-1]),
    }


def drift(samples_ns: list[int], unit: str = "us") -> dict[str, float]:
    """Median of the first and of the last tenth of the samples (in measurement order):
    shows whether a figure degrades as the session accumulates state."""
    tenth = max(len(samples_ns) // 10, 1)
    scale = _UNITS[unit]
    return {
        f"first_tenth_median_{unit}": round(statistics.median(samples_ns[:tenth]) / scale, 3),
        f"last_tenth_median_{unit}": round(statistics.median(samples_ns[-tenth:]) / scale, 3),
    }


def timer_overhead_ns(samples: int = 20_000) -> float:
    """Median cost of one back-to-back ``perf_counter_ns`` pair (included in every per-call sample)."""
    clock = time.perf_counter_ns
    values = []
    for _ in range(samples):
        start = clock()
        values.append(clock() - start)
    return statistics.median(values)


def _cpu_model() -> str | None:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or None


def _git_commit() -> str | None:
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        out = subprocess.run(
            ["git", "-C", here, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    dirty = subprocess.run(
        ["git", "-C", here, "status", "--porcelain", "--", "lambda_magic"], capture_output=True, text=True, timeout=5
    ).stdout.strip()
    return out.stdout.strip() + ("+dirty" if dirty else "")


def machine() -> dict[str, Any]:
    """Python version, CPU count and the other facts a reader needs to compare runs."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        usable = None
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as thp:
            transparent_hugepages = thp.read().strip()
    except OSError:
        transparent_hugepages = None
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": usable,
        "cpu_model": _cpu_model(),
        "platform": platform.platform(),
        "transparent_hugepages": transparent_hugepages,
        "lambda_magic_commit": _git_commit(),
        "timer_overhead_ns": timer_overhead_ns(),
        # Other work on the machine distorts every figure: the load when the run started.
        "loadavg_at_start": [round(value, 2) for value in os.getloadavg()],
    }


def target(metric: str, value: float, limit: float, unit: str, *, higher_is_better: bool = False) -> dict[str, Any]:
    """The stated target next to the measured value (reported, never asserted)."""
    met = value >= limit if higher_is_better else value <= limit
    return {
        "metric": metric,
        "measured": round(value, 3),
        "limit": limit,
        "unit": unit,
        "kind": "minimum" if higher_is_better else "maximum",
        "met": met,
    }


def emit(document: dict[str, Any]) -> None:
    json.dump(document, sys.stdout, indent=2)
    sys.stdout.write("\n")
    sys.stdout.flush()
