"""Lambda's CPU model: a CPU-bound handler's Duration against memory, beside the ideal curve.

For each memory size (128, 256, 512, 1024, 1769, 3008 MB) a warm process environment runs a
handler that burns a fixed amount of CPU time (``time.process_time``); the figure is
Duration / CPU time, which Lambda's model puts at ``max(1, 1769 / memory)`` for
single-threaded code (one vCPU at 1,769 MB, linear below).  Baseline in the same run, in
alternating rounds: the same handler with ``cpu_share="off"`` (what the machine gives an
unlimited environment at that moment).  The mechanism used (cgroup v1/v2, duty cycle) is
printed.  Target (issue 15): within 20 % of the ideal at 128-1769 MB.
Run: ``python benchmarks/cpu_curve.py`` (~40 s).
"""

from __future__ import annotations

import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _bench import emit, machine, target

from lambda_magic.runtime.account import LocalAccount

SIZES = (128, 256, 512, 1024, 1769, 3008)
ROUNDS = 3
CPU_S = 0.4
BURN = """
import time
def lambda_handler(event, context):
    began = time.process_time()
    while time.process_time() - began < event["cpu_s"]:
        pass
    return time.process_time() - began
"""


def _stretch(account: LocalAccount, name: str) -> tuple[float, float]:
    invocation = account.invoke(name, {"cpu_s": CPU_S})
    return invocation.duration_ms / (invocation.payload * 1000), invocation.duration_ms


def main() -> None:
    account = LocalAccount()
    try:
        for memory in SIZES:
            account.register(f"burn{memory}", BURN, memory_mb=memory, timeout_s=60)
            account.invoke(f"burn{memory}", {"cpu_s": 0.001})
        account.register("unlimited", BURN, memory_mb=128, timeout_s=60, cpu_share="off")
        account.invoke("unlimited", {"cpu_s": 0.001})
        samples: dict[int, list[tuple[float, float]]] = {m: [] for m in SIZES}
        baseline: list[tuple[float, float]] = []
        for _ in range(ROUNDS):
            for memory in SIZES:
                baseline.append(_stretch(account, "unlimited"))
                samples[memory].append(_stretch(account, f"burn{memory}"))
        how = account.invoke("burn128", {"cpu_s": 0.001}).cpu_share
        curve = []
        worst = 0.0
        for memory in SIZES:
            stretch = statistics.median(s for s, _ in samples[memory])
            ideal = max(1.0, 1769 / memory)
            error = stretch / ideal - 1
            if memory <= 1769:
                worst = max(worst, abs(error))
            curve.append(
                {
                    "memory_mb": memory,
                    "duration_ms_median": round(statistics.median(d for _, d in samples[memory]), 1),
                    "duration_per_cpu_ms": round(stretch, 3),
                    "ideal": round(ideal, 3),
                    "error": round(error, 3),
                }
            )
        emit(
            {
                "benchmark": "cpu_curve",
                "cpu_seconds_per_invocation": CPU_S,
                "rounds": ROUNDS,
                "mechanism": how,
                "curve": curve,
                "baseline_unlimited": {
                    "duration_per_cpu_median": round(statistics.median(s for s, _ in baseline), 3),
                    "duration_ms_median": round(statistics.median(d for _, d in baseline), 1),
                },
                "targets": [target("largest error against the ideal, 128-1769 MB", worst, 0.20, "fraction")],
                "machine": machine(),
            }
        )
    finally:
        account.shutdown()


if __name__ == "__main__":
    main()
