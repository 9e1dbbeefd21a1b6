"""1,000 execution environments alive and running at once: start time, memory, shutdown.

One function (process isolation, the account's default quota of 1,000 concurrent
executions) whose handler connects to a loopback socket this script listens on
(127.0.0.1) and waits for one byte.  1,000 caller threads invoke it synchronously
at once, so 1,000 cold starts run and every handler holds its environment busy until
all 1,000 have connected: then they are all executing concurrently (the connections,
the account's environments and ConcurrentExecutions say so).  Reported:

* the time from the first ``invoke`` to the 1,000th handler connected (and per environment);
* the kernel's (this process's) RSS before, with the 1,000 busy (caller threads included)
  and after they returned (1,000 idle environments), per environment; its file
  descriptors and threads;
* the environment processes' total RSS and PSS (``/proc/<pid>/smaps_rollup``), and the
  template's;
* the release (one byte to each) until every invoke returned, and ``shutdown()``: its
  time and that no environment process is left (each pid checked in ``/proc``).

Baseline in the same run, before and after: this process forks 1,000 bare children that
block on a pipe, then releases and reaps them (the time to fork them all, their RSS/PSS,
the time to reap).  The soft RLIMIT_NOFILE is raised to the hard limit first (reported).

Prints one JSON document.  Run: ``python benchmarks/environments_1000.py [-n 1000]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _bench import BENCH_MEMORY_MB, TRIVIAL_CODE, emit, machine, target

from lambda_magic.runtime.account import LocalAccount

N = 1000
START_TIMEOUT_S = 600.0
#: The issue's figures: 1,000 concurrent environments on this 2-core, 24 GB machine.
TARGET_ENVIRONMENTS = 1000

HOLD_CODE = """\
import socket


def lambda_handler(event, context):
    with socket.create_connection(("127.0.0.1", event["port"]), timeout=600) as connection:
        return connection.recv(1).decode()
"""


def _statm_rss(pid: int | str = "self") -> int | None:
    try:
        with open(f"/proc/{pid}/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return None


def _rollup(pid: int) -> tuple[int, int | None] | None:
    """(RSS, PSS) in bytes from /proc/<pid>/smaps_rollup (PSS None where there is none)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            fields = {line.split(":")[0]: line.split()[1] for line in rollup if ":" in line}
        return int(fields["Rss"]) * 1024, int(fields["Pss"]) * 1024
    except (OSError, KeyError, IndexError, ValueError):
        rss = _statm_rss(pid)
        return None if rss is None else (rss, None)


def _memory_of(pids: list[int]) -> dict:
    rss = pss = counted = 0
    pss_known = True
    for pid in pids:
        found = _rollup(pid)
        if found is None:
            continue
        counted += 1
        rss += found[0]
        if found[1] is None:
            pss_known = False
        else:
            pss += found[1]
    return {
        "processes": counted,
        "rss_total_mb": round(rss / 2**20, 1),
        "pss_total_mb": round(pss / 2**20, 1) if pss_known else None,
        "rss_per_process_mb": round(rss / max(counted, 1) / 2**20, 2),
        "pss_per_process_mb": round(pss / max(counted, 1) / 2**20, 3) if pss_known else None,
    }


def _alive(pids: list[int]) -> list[int]:
    """The pids still present, zombies included (a zombie is a process not yet reaped)."""
    return [pid for pid in pids if os.path.exists(f"/proc/{pid}")]


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _mb(value: int | None) -> float | None:
    return None if value is None else round(value / 2**20, 1)


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return round(usage.ru_utime + usage.ru_stime, 3)


def raise_nofile() -> dict:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 1_048_576)
    if soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        except (ValueError, OSError):
            pass
    return {"soft_before": soft, "hard": hard, "soft_now": resource.getrlimit(resource.RLIMIT_NOFILE)[0]}


def fork_baseline(n: int) -> dict:
    """Fork ``n`` children that block reading a pipe; measure; release and reap them."""
    read_end, write_end = os.pipe()
    rss_before = _statm_rss()
    pids = []
    started = time.perf_counter()
    try:
        for _ in range(n):
            pid = os.fork()
            if pid == 0:  # the child: wait for the parent to close the pipe, then end
                try:
                    os.close(write_end)
                    os.read(read_end, 1)
                finally:
                    os._exit(0)
            pids.append(pid)
        forked = time.perf_counter()
        memory = _memory_of(pids)
    finally:
        os.close(write_end)  # every child reads EOF and exits
        os.close(read_end)
        released = time.perf_counter()
        for pid in pids:
            os.waitpid(pid, 0)
    reaped = time.perf_counter()
    return {
        "children": len(pids),
        "fork_all_s": round(forked - started, 3),
        "fork_per_child_ms": round((forked - started) / max(len(pids), 1) * 1e3, 3),
        "children_memory": memory,
        "parent_rss_mb": _mb(rss_before),
        "release_and_reap_s": round(reaped - released, 3),
        "left_after_reap": len(_alive(pids)),
    }


class Gate:
    """The loopback socket the handlers connect to: counts them, then releases them all."""

    def __init__(self, expected: int):
        self.expected = expected
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(max(expected, socket.SOMAXCONN))
        self.port = self.listener.getsockname()[1]
        self.connections: list[socket.socket] = []
        self.all_in = threading.Event()
        self.all_in_at: float | None = None
        self._thread = threading.Thread(target=self._accept, daemon=True, name="gate")
        self._thread.start()

    def _accept(self) -> None:
        while len(self.connections) < self.expected:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(connection)
        self.all_in_at = time.perf_counter()
        self.all_in.set()

    def release(self) -> None:
        for connection in self.connections:
            try:
                connection.sendall(b"x")
            except OSError:
                pass

    def close(self) -> None:
        for connection in self.connections:
            connection.close()
        self.listener.close()


def run_environments(n: int) -> dict:
    account = LocalAccount()  # the default quota: 1,000 concurrent executions, 1,000 new environments per burst
    results: list = [None] * n
    errors: list[str] = []
    env_pids: list[int] = []
    template_pid = None
    gate = Gate(n)
    try:
        # The template process up and warm first (its start is cold_start.py's subject, not this one's).
        account.register("warm", TRIVIAL_CODE, memory_mb=BENCH_MEMORY_MB)
        account.invoke("warm", {"n": 1})
        account.delete_function("warm")
        account.register("hold", HOLD_CODE, memory_mb=BENCH_MEMORY_MB, timeout_s=600)
        template_pid = account.template().pid
        rss_before = _statm_rss()
        fds_before, threads_before, cpu_before = _fds(), threading.active_count(), _cpu_s()

        def call(index: int) -> None:
            try:
                results[index] = account.invoke("hold", {"port": gate.port})
            except Exception as exc:  # reported, never raised
                errors.append(f"{type(exc).__name__}: {exc}")

        callers = [threading.Thread(target=call, args=(i,), daemon=True) for i in range(n)]
        started = time.perf_counter()
        for caller in callers:
            caller.start()
        threads_started = time.perf_counter()
        all_in = gate.all_in.wait(START_TIMEOUT_S)
        measured_at = time.perf_counter()
        environments = account.environments()
        env_pids = [env.pid for env, _ in environments if env.function_name == "hold"]
        busy = sum(1 for env, state in environments if env.function_name == "hold" and state == "busy")
        in_flight = account.governor.in_flight("hold")
        rss_busy = _statm_rss()
        fds_busy, threads_busy = _fds(), threading.active_count()
        env_memory = _memory_of(env_pids)
        template_memory = _memory_of([template_pid]) if template_pid else None
        cpu_start = _cpu_s()

        released = time.perf_counter()
        gate.release()
        for caller in callers:
            caller.join(START_TIMEOUT_S)
        returned = time.perf_counter()
        time.sleep(0.5)  # let the kernel's housekeeping settle before the idle figure
        rss_idle = _statm_rss()
        idle_environments = len(account.environments())
        peaks = account.metrics.concurrency("hold")
        succeeded = sum(1 for r in results if r is not None and r.status == "success" and r.payload == "x")
        cold = sum(1 for r in results if r is not None and r.cold_start)
        init_ms = sorted(r.init_duration_ms for r in results if r is not None and r.init_duration_ms)
    finally:
        shutdown_started = time.perf_counter()
        account.shutdown()
        shutdown_s = time.perf_counter() - shutdown_started
        gate.close()
    time.sleep(0.2)
    left = _alive(env_pids + ([template_pid] if template_pid else []))
    start_s = ((gate.all_in_at or measured_at) - started) if all_in else None

    def per_env(value: int | None) -> float | None:  # bytes -> KB per environment
        return None if value is None else round(value / n / 1024, 1)

    return {
        "environments_requested": n,
        "all_connected": all_in,
        "connected": len(gate.connections),
        "start_all_s": round(start_s, 3) if start_s is not None else None,
        "start_per_environment_ms": round(start_s / n * 1e3, 3) if start_s is not None else None,
        "caller_threads_started_s": round(threads_started - started, 3),
        "concurrency": {
            "handlers_connected_at_once": len(gate.connections),
            "environments_alive": len(env_pids),
            "environments_busy": busy,
            "governor_in_flight": in_flight,
            "concurrent_executions_peak": max((peak for _, peak, _ in peaks), default=0),
        },
        "kernel": {
            "rss_before_mb": _mb(rss_before),
            "rss_busy_mb": _mb(rss_busy),
            "rss_idle_mb": _mb(rss_idle),
            "rss_per_busy_environment_kb": per_env(
                None if rss_busy is None or rss_before is None else rss_busy - rss_before
            ),
            "rss_per_idle_environment_kb": per_env(
                None if rss_idle is None or rss_before is None else rss_idle - rss_before
            ),
            "fds_before": fds_before,
            "fds_busy": fds_busy,
            "fds_per_environment": round((fds_busy - fds_before) / n, 2),
            "threads_before": threads_before,
            "threads_busy": threads_busy,
            "cpu_s_to_start_all": round(cpu_start - cpu_before, 3),
        },
        "environment_processes": env_memory,
        "template_process": template_memory,
        "init_duration_ms": {
            "median": round(init_ms[len(init_ms) // 2], 3) if init_ms else None,
            "max": round(init_ms[-1], 3) if init_ms else None,
        },
        "release_until_all_returned_s": round(returned - released, 3),
        "invocations_succeeded": succeeded,
        "cold_starts": cold,
        "idle_environments_after_return": idle_environments,
        "errors": sorted(set(errors))[:10],
        "error_count": len(errors),
        "shutdown_s": round(shutdown_s, 3),
        "processes_left_after_shutdown": left,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=N)
    args = parser.parse_args()
    wall = time.perf_counter()
    nofile = raise_nofile()
    info = machine()
    before = fork_baseline(args.n)
    measured = run_environments(args.n)
    after = fork_baseline(args.n)
    concurrent = min(
        measured["concurrency"]["handlers_connected_at_once"],
        measured["concurrency"]["environments_busy"],
        measured["concurrency"]["concurrent_executions_peak"],
    )
    clean = measured["all_connected"] and not measured["processes_left_after_shutdown"] and not measured["error_count"]
    emit(
        {
            "benchmark": "environments_1000",
            "description": __doc__.split("\n\n")[0],
            "machine": info,
            "rlimit_nofile": nofile,
            "function_memory_mb": BENCH_MEMORY_MB,
            "results": measured,
            "baselines": {"fork_bare_children_before": before, "fork_bare_children_after": after},
            "targets": [
                target(
                    "concurrent environments (min of handlers connected, busy environments, ConcurrentExecutions)",
                    concurrent,
                    TARGET_ENVIRONMENTS,
                    "environments",
                    higher_is_better=True,
                ),
                {
                    **target(
                        "all ended, nothing left, no error", 1.0 if clean else 0.0, 1.0, "bool", higher_is_better=True
                    )
                },
            ],
            "elapsed_s": round(time.perf_counter() - wall, 2),
        }
    )


if __name__ == "__main__":
    main()
