"""The first boto3-using invoke: what the local cloud's start costs the user.

Each case runs in a fresh child Python process (nothing warm but the OS page cache),
``ROUNDS`` times, the cases interleaved round by round.  The handler imports boto3 at
module level (in its Init Duration, as on AWS) and calls ``boto3.client("s3").list_buckets()``:

* ``first_use`` (measured): ``LocalAccount(warm_cloud=True)`` (the notebook's account: it
  starts the local cloud in the background at the first registration), then ``register``
  and ``invoke`` right away, as a notebook cell does;
* ``cloud_ready`` (baseline): the same, but the cloud is started first and the child waits
  until the server is ready (it printed ``ready``: moto serves the socket) before ``register``
  and the cold ``invoke``.  first_use - cloud_ready is what the cloud's start costs the user;
* ``cloud_served`` (for reference): as ``cloud_ready``, and moto has also answered one S3
  request (a raw ``ListBuckets`` over ``urllib``) first: moto loads a service's backend on
  its first request, which both cases above pay.

Each child also reports a timeline (wall clock, from ``register``): when the cloud was ready,
and, from the handler, when its ``import boto3`` started and ended, when the client was made
and when ``list_buckets`` returned.

And "a kernel that never uses AWS pays nothing noticeable": a kernel-like child creates an
account, registers and invokes a trivial handler 20 times, waits 3 s (the background start
settles), and reports its RSS and CPU time (user + sys) and those of its child processes
(the cloud's server, the template, the environment; from ``/proc``), with ``warm_cloud=True``
(measured) and ``warm_cloud=False`` (baseline), interleaved.

Prints one JSON document.  Run: ``python benchmarks/first_boto3.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _bench import BENCH_MEMORY_MB, TRIVIAL_CODE, emit, machine, summarize, target

ROUNDS = 7
CHILD_TIMEOUT_S = 120
TARGET_EXTRA_MS = 300.0
QUIET_INVOKES = 20
SETTLE_S = 3.0

BOTO3_CODE = """\
import time
_IMPORT_START = time.time()
import boto3
_IMPORT_END = time.time()


def lambda_handler(event, context):
    start = time.time()
    s3 = boto3.client("s3")
    made = time.time()
    buckets = s3.list_buckets()["Buckets"]
    return {"buckets": len(buckets), "t": [_IMPORT_START, _IMPORT_END, start, made, time.time()]}
"""
#: Any SigV4 credential scope naming s3: moto's server dispatches on it (and checks no signature).
S3_AUTHORIZATION = (
    "AWS4-HMAC-SHA256 Credential=ASIALAMBDAMAGICLOCAL/20240101/us-east-1/s3/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=0"
)


def _pids_alive(pids: list[int]) -> list[int]:
    return [pid for pid in pids if os.path.exists(f"/proc/{pid}")]


def _proc_rss_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/statm") as statm:
            return round(int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)
    except OSError:
        return None


def _proc_cpu_s(pid: int) -> float | None:
    """utime + stime of a live process (and of its reaped children), from /proc/<pid>/stat."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rpartition(")")[2].split()
    except OSError:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    return round(sum(int(value) for value in fields[11:15]) / ticks, 3)  # utime stime cutime cstime


class _Ready(threading.Event):
    """Set (and its wall-clock time noted) when the account's cloud reports its server ready."""

    at: float | None = None


def _watch_ready(account) -> _Ready:
    ready = _Ready()
    original = account.cloud.on_use

    def on_use(service):
        if service is None and not ready.is_set():
            ready.at = time.time()
            ready.set()
        if original is not None:
            original(service)

    account.cloud.on_use = on_use
    return ready


def child_first(case: str) -> dict:
    from lambda_magic.runtime.account import LocalAccount

    account = LocalAccount(warm_cloud=True)
    ready = _watch_ready(account)
    pids: list[int] = []
    try:
        cloud_start_ms = served_ms = None
        if case in ("cloud_ready", "cloud_served"):
            started = time.perf_counter()
            account.cloud.warm_up()
            ready.wait(CHILD_TIMEOUT_S)
            cloud_start_ms = round((time.perf_counter() - started) * 1e3, 1)
            if case == "cloud_served":
                started = time.perf_counter()
                request = urllib.request.Request(
                    account.cloud.endpoint() + "/",
                    headers={"Authorization": S3_AUTHORIZATION, "X-Amz-Date": "20240101T000000Z"},
                )
                with urllib.request.urlopen(request, timeout=60) as response:
                    response.read()
                served_ms = round((time.perf_counter() - started) * 1e3, 1)
        wall0 = time.time()
        start = time.perf_counter()
        account.register("first-boto3", BOTO3_CODE, memory_mb=BENCH_MEMORY_MB, timeout_s=120)
        registered = time.perf_counter()
        result = account.invoke("first-boto3", {})
        done = time.perf_counter()
        ready.wait(CHILD_TIMEOUT_S)
        payload = result.payload if isinstance(result.payload, dict) else {}
        stamps = payload.get("t") or [None] * 5

        def since(moment: float | None) -> float | None:
            return None if moment is None else round((moment - wall0) * 1e3, 1)

        pids = [pid for pid in (account.cloud.pid, account.template().pid) if pid]
        pids += [env.pid for env, _ in account.environments()]
        return {
            "case": case,
            "status": result.status,
            "cold_start": result.cold_start,
            "register_plus_invoke_ms": round((done - start) * 1e3, 1),
            "register_ms": round((registered - start) * 1e3, 1),
            "invoke_ms": round((done - registered) * 1e3, 1),
            "init_duration_ms": round(result.init_duration_ms or 0.0, 1),
            "duration_ms": round(result.duration_ms, 1),
            "cloud_start_before_register_ms": cloud_start_ms,
            "first_s3_request_before_register_ms": served_ms,
            "timeline_ms_from_register": {
                "cloud_ready": since(ready.at),
                "handler_import_boto3_start": since(stamps[0]),
                "handler_import_boto3_end": since(stamps[1]),
                "handler_start": since(stamps[2]),
                "handler_client_made": since(stamps[3]),
                "handler_list_buckets_returned": since(stamps[4]),
                "invoke_returned": round((done - start) * 1e3, 1),
            },
            "kernel_imported": {name: name in sys.modules for name in ("boto3", "botocore", "moto")},
            "pids": pids,
        }
    finally:
        account.shutdown()


def child_quiet(case: str) -> dict:
    """A kernel that never uses AWS: create an account, register, invoke a trivial handler."""
    import resource

    from lambda_magic.runtime.account import LocalAccount

    before_rss = _proc_rss_mb(os.getpid())
    account = LocalAccount(warm_cloud=case == "warm_cloud")
    ready = _watch_ready(account)
    try:
        account.register("quiet", TRIVIAL_CODE, memory_mb=BENCH_MEMORY_MB)
        for _ in range(QUIET_INVOKES):
            account.invoke("quiet", {"n": 1})
        if account.warm_cloud:
            ready.wait(CHILD_TIMEOUT_S)
        time.sleep(SETTLE_S)
        self_usage = resource.getrusage(resource.RUSAGE_SELF)
        cloud_pid = account.cloud.pid
        template_pid = account.template().pid
        env_pids = [env.pid for env, _ in account.environments()]
        processes = {
            "cloud_server": [cloud_pid] if cloud_pid else [],
            "template": [template_pid],
            "environments": env_pids,
        }
        children = {
            role: {
                "count": len(pids),
                "rss_mb": round(sum(_proc_rss_mb(pid) or 0.0 for pid in pids), 1),
                "cpu_s": round(sum(_proc_cpu_s(pid) or 0.0 for pid in pids), 3),
            }
            for role, pids in processes.items()
        }
        kernel = {
            "rss_before_account_mb": before_rss,
            "rss_mb": _proc_rss_mb(os.getpid()),
            "cpu_s": round(self_usage.ru_utime + self_usage.ru_stime, 3),
            "threads": threading.active_count(),
            "imported": {name: name in sys.modules for name in ("boto3", "botocore", "moto")},
        }
        pids = [pid for group in processes.values() for pid in group]
    finally:
        account.shutdown()
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "case": case,
        "kernel": kernel,
        "children": children,
        "total_rss_mb": round(kernel["rss_mb"] + sum(c["rss_mb"] for c in children.values()), 1),
        "total_cpu_s": round(kernel["cpu_s"] + sum(c["cpu_s"] for c in children.values()), 3),
        "reaped_children_cpu_s_after_shutdown": round(reaped.ru_utime + reaped.ru_stime, 3),
        "pids": pids,
    }


def run_child(kind: str, case: str) -> dict:
    process = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "--child", kind, case],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = process.communicate(timeout=CHILD_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()  # this child, by its own pid
        process.communicate()
        return {"case": case, "error": f"timed out after {CHILD_TIMEOUT_S} s"}
    try:
        document = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"case": case, "error": f"exit status {process.returncode}", "stderr_tail": err[-2000:]}
    time.sleep(0.2)  # the account's processes were ended by the child's shutdown: let the kernel reap them
    document["pids_left_after_exit"] = _pids_alive(document.pop("pids", []))
    return document


def _median(rows: list[dict], key: str) -> float | None:
    values = [row[key] for row in rows if row.get(key) is not None]
    return round(statistics.median(values), 1) if values else None


def _timeline(rows: list[dict]) -> dict:
    keys = rows[0]["timeline_ms_from_register"] if rows else {}
    out = {}
    for key in keys:
        values = [row["timeline_ms_from_register"][key] for row in rows]
        values = [value for value in values if value is not None]
        out[key] = round(statistics.median(values), 1) if values else None
    return out


def summarize_first(rows: list[dict]) -> dict:
    ok = [row for row in rows if "error" not in row]
    return {
        "runs": len(rows),
        "errors": [row for row in rows if "error" in row],
        "register_plus_invoke": summarize([round(row["register_plus_invoke_ms"] * 1e6) for row in ok], "ms"),
        "register_median_ms": _median(ok, "register_ms"),
        "invoke_median_ms": _median(ok, "invoke_ms"),
        "init_duration": summarize([round(row["init_duration_ms"] * 1e6) for row in ok], "ms"),
        "duration": summarize([round(row["duration_ms"] * 1e6) for row in ok], "ms"),
        "cloud_start_before_register_median_ms": _median(ok, "cloud_start_before_register_ms"),
        "first_s3_request_before_register_median_ms": _median(ok, "first_s3_request_before_register_ms"),
        "timeline_median_ms_from_register": _timeline(ok),
        "all_succeeded_cold": all(row["status"] == "success" and row["cold_start"] for row in ok) and bool(ok),
        "kernel_imported_any_run": {
            name: any(row["kernel_imported"][name] for row in ok) for name in ("boto3", "botocore", "moto")
        },
        "processes_left": sorted({pid for row in ok for pid in row["pids_left_after_exit"]}),
    }


def summarize_quiet(rows: list[dict]) -> dict:
    ok = [row for row in rows if "error" not in row]

    def med(path: tuple[str, ...]) -> float | None:
        values = []
        for row in ok:
            value: object = row
            for key in path:
                value = value[key]  # type: ignore[index]
            values.append(value)
        return round(statistics.median(values), 3) if values else None

    roles = ("cloud_server", "template", "environments")
    return {
        "runs": len(rows),
        "errors": [row for row in rows if "error" in row],
        "kernel_rss_mb": med(("kernel", "rss_mb")),
        "kernel_rss_growth_from_account_mb": round(
            statistics.median(row["kernel"]["rss_mb"] - row["kernel"]["rss_before_account_mb"] for row in ok), 1
        )
        if ok
        else None,
        "kernel_cpu_s": med(("kernel", "cpu_s")),
        "kernel_threads": med(("kernel", "threads")),
        "kernel_imported_any_run": {
            name: any(row["kernel"]["imported"][name] for row in ok) for name in ("boto3", "botocore", "moto")
        },
        **{f"{role}_rss_mb": med(("children", role, "rss_mb")) for role in roles},
        **{f"{role}_cpu_s": med(("children", role, "cpu_s")) for role in roles},
        "total_rss_mb": med(("total_rss_mb",)),
        "total_cpu_s": med(("total_cpu_s",)),
        "processes_left": sorted({pid for row in ok for pid in row["pids_left_after_exit"]}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--child", nargs=2, metavar=("KIND", "CASE"))
    args = parser.parse_args()
    if args.child:
        kind, case = args.child
        print(json.dumps(child_first(case) if kind == "first" else child_quiet(case)))
        return
    started = time.perf_counter()
    info = machine()
    first_cases = ("first_use", "cloud_ready", "cloud_served")
    quiet_cases = ("warm_cloud", "no_warm_cloud")
    first: dict[str, list[dict]] = {case: [] for case in first_cases}
    quiet: dict[str, list[dict]] = {case: [] for case in quiet_cases}
    for round_number in range(args.rounds):
        shift = round_number % len(first_cases)  # each case takes each position in turn
        for case in first_cases[shift:] + first_cases[:shift]:
            first[case].append(run_child("first", case))
    for round_number in range(max(args.rounds // 2, 2)):
        order = quiet_cases if round_number % 2 == 0 else quiet_cases[::-1]
        for case in order:
            quiet[case].append(run_child("quiet", case))
    measured = summarize_first(first["first_use"])
    baseline = summarize_first(first["cloud_ready"])
    served = summarize_first(first["cloud_served"])
    extra_ms = None
    if measured["register_plus_invoke"].get("n") and baseline["register_plus_invoke"].get("n"):
        extra_ms = round(
            measured["register_plus_invoke"]["median_ms"] - baseline["register_plus_invoke"]["median_ms"], 1
        )
    paired = [
        a["register_plus_invoke_ms"] - b["register_plus_invoke_ms"]
        for a, b in zip(first["first_use"], first["cloud_ready"], strict=False)
        if "error" not in a and "error" not in b
    ]
    quiet_measured = summarize_quiet(quiet["warm_cloud"])
    quiet_baseline = summarize_quiet(quiet["no_warm_cloud"])
    extra = {
        key: round(quiet_measured[key] - quiet_baseline[key], 3)
        for key in ("kernel_rss_mb", "kernel_cpu_s", "total_rss_mb", "total_cpu_s")
        if quiet_measured.get(key) is not None and quiet_baseline.get(key) is not None
    }
    emit(
        {
            "benchmark": "first_boto3",
            "description": __doc__.split("\n\n")[0],
            "machine": info,
            "unit": "ms",
            "handler": BOTO3_CODE,
            "results": {
                "first_use": measured,
                "extra_over_cloud_ready_ms": extra_ms,
                "paired_round_differences_median_ms": round(statistics.median(paired), 1) if paired else None,
                "init_duration_extra_over_cloud_ready_ms": round(
                    measured["init_duration"]["median_ms"] - baseline["init_duration"]["median_ms"], 1
                )
                if measured["init_duration"].get("n") and baseline["init_duration"].get("n")
                else None,
                "never_uses_aws": {
                    "warm_cloud": quiet_measured,
                    "extra_cost_of_warm_cloud": extra,
                    "note": f"a kernel-like process: account, register, {QUIET_INVOKES} invokes of a trivial "
                    f"handler, {SETTLE_S:g} s idle; RSS and user+sys CPU of it and of its live children",
                },
            },
            "baselines": {
                "cloud_ready": baseline,
                "cloud_served": served,
                "never_uses_aws_no_warm_cloud": quiet_baseline,
            },
            "targets": [
                target(
                    "results.extra_over_cloud_ready_ms (median register+invoke, first_use - cloud_ready)",
                    extra_ms if extra_ms is not None else float("inf"),
                    TARGET_EXTRA_MS,
                    "ms",
                )
            ],
            "elapsed_s": round(time.perf_counter() - started, 2),
        }
    )


if __name__ == "__main__":
    main()
