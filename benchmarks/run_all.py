"""Run every benchmark, one after the other, each in its own Python process, and
print one combined JSON document (each script's document, plus every target).

Run: ``python benchmarks/run_all.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from _bench import emit, machine  # noqa: E402

SCRIPTS = (
    "warm_invoke",
    "cold_start",
    "inline_overhead",
    "async_throughput",
    "sqs_mapping",
    "kinesis_mapping",
    "lambda_api",
    "kernel_memory",
    "log_shipping",
    "s3_trigger",
    "cpu_curve",
    "first_boto3",
    "environments_1000",
    "schedules",
    "apigw_load",
    "apigw_breakdown",
    "apigw_event_loop",
)
TIMEOUT_S = 180
#: The longer ones (7 x 3 fresh processes with a cloud each; 1,000 environments twice the fork baseline).
TIMEOUTS_S = {"first_boto3": 600, "environments_1000": 600}


def run(name: str) -> dict:
    started = time.perf_counter()
    timeout_s = TIMEOUTS_S.get(name, TIMEOUT_S)
    try:
        completed = subprocess.run(
            [sys.executable, os.path.join(HERE, f"{name}.py")],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            cwd=os.path.dirname(HERE),
        )
    except subprocess.TimeoutExpired as exc:
        return {"error": f"timed out after {timeout_s} s", "stderr_tail": (exc.stderr or "")[-2000:]}
    wall = round(time.perf_counter() - started, 2)
    try:
        document = json.loads(completed.stdout)
    except ValueError:
        return {
            "error": f"exit status {completed.returncode}, no JSON on stdout",
            "wall_s": wall,
            "stdout_tail": completed.stdout[-2000:],
            "stderr_tail": completed.stderr[-2000:],
        }
    document["wall_s"] = wall
    if completed.returncode != 0:
        document["exit_status"] = completed.returncode
    return document


def main() -> None:
    started = time.perf_counter()
    results = {name: run(name) for name in SCRIPTS}
    targets = []
    for name, document in results.items():
        found = document.get("targets") or ([document["target"]] if "target" in document else [])
        targets.extend({"benchmark": name, **entry} for entry in found)
    emit(
        {
            "benchmark": "run_all",
            "machine": machine(),
            "targets": targets,
            "all_targets_met": bool(targets)
            and all(entry["met"] for entry in targets)
            and not any("error" in document for document in results.values()),
            "results": results,
            "elapsed_s": round(time.perf_counter() - started, 2),
        }
    )


if __name__ == "__main__":
    main()
