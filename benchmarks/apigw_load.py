"""Requests per second through an HTTP API on loopback, against a plain ``http.server`` echo.

Measures, in one run, alternating in rounds, with several client threads each holding one
keep-alive ``http.client.HTTPConnection``:

* ``http_api``: ``GET /items/{id}`` on an HTTP API (``HttpApi``, payload 2.0) whose route runs a
  warm trivial function (``return {"statusCode": 200, "body": "ok"}``, process isolation):
  the server, the event, the invocation, the answer, the access log;
* ``function_url``: the same through a function URL;
* ``baseline_http_server``: a plain ``http.server.ThreadingHTTPServer`` (HTTP/1.1, keep-alive)
  whose handler answers a fixed ``ok``: Python's own HTTP cost on this machine.

For each case: requests/s over the round (all threads), per-request latency p50/p99, and the
benchmark process's own CPU time (user and system, all threads: clients, server, the kernel's
side of the invocation) per request.  Clients and servers share one process and its GIL, as a
notebook's ``requests.get`` and the account do, so the rate follows that CPU time; the
environments' own CPU (other processes) is not in it.
Targets (issue 11): at least 1,000 requests/s, and at least 0.5 of the baseline's rate.
Prints one JSON document.  Run: ``python benchmarks/apigw_load.py``.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import resource
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _bench import BENCH_MEMORY_MB, emit, machine, summarize, target

from lambda_magic.endpoints.apigw import ApiGateway
from lambda_magic.endpoints.apigw_http import HttpApi
from lambda_magic.endpoints.lambda_api import LambdaAPI
from lambda_magic.runtime.account import LocalAccount
from lambda_magic.runtime.settings import AccountSettings

THREADS = 4
ROUNDS = 3
SECONDS_PER_ROUND = 2.0
WARMUP_S = 1.0
TARGET_RPS = 1_000
TARGET_RATIO = 0.5
HANDLER = "def lambda_handler(event, context):\n    return {'statusCode': 200, 'body': 'ok'}\n"


class _Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        pass


def _load(port: int, path: str, seconds: float) -> tuple[int, list[int], int, tuple[float, float]]:
    """Run THREADS keep-alive clients for ``seconds``: (requests, latencies in ns, errors,
    the process's (user, system) CPU seconds meanwhile)."""
    latencies: list[list[int]] = [[] for _ in range(THREADS)]
    errors = [0] * THREADS
    start = threading.Barrier(THREADS + 1)
    stop_at = [0.0]

    def client(i: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port)
        start.wait()
        mine = latencies[i]
        clock = time.perf_counter_ns
        while time.perf_counter() < stop_at[0]:
            began = clock()
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            mine.append(clock() - began)
            if response.status != 200:
                errors[i] += 1
        connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    before = resource.getrusage(resource.RUSAGE_SELF)
    stop_at[0] = time.perf_counter() + seconds
    start.wait()
    for thread in threads:
        thread.join()
    after = resource.getrusage(resource.RUSAGE_SELF)
    merged = [x for row in latencies for x in row]
    return len(merged), merged, sum(errors), (after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime)


def _p99(samples: list[int]) -> float:
    ordered = sorted(samples)
    return round(ordered[max(int(0.99 * len(ordered)) - 1, 0)] / 1000, 1) if ordered else 0.0


def _cpu_per_request(rounds: list[tuple[int, float, float]]) -> dict[str, float]:
    """User and system CPU of this process per request, over all rounds."""
    requests = sum(r[0] for r in rounds) or 1
    user, system = sum(r[1] for r in rounds), sum(r[2] for r in rounds)
    return {
        "user": round(user / requests * 1e6, 1),
        "system": round(system / requests * 1e6, 1),
        "total": round((user + system) / requests * 1e6, 1),
    }


@contextlib.contextmanager
def serving() -> Iterator[tuple[LocalAccount, HttpApi, int]]:
    """An account with the function ``items`` behind the HTTP API ``load``, and the baseline echo's
    port; both stop afterwards."""
    account = LocalAccount(settings=AccountSettings(account_concurrency=1_000_000))
    baseline = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    baseline.daemon_threads = True
    threading.Thread(target=baseline.serve_forever, daemon=True).start()
    try:
        account.register("items", HANDLER, memory_mb=BENCH_MEMORY_MB)
        gateway = ApiGateway.of(account)
        api = gateway.put(lambda port: HttpApi(gateway, "load", {"GET /items/{id}": "items"}, port=port), "load")
        assert isinstance(api, HttpApi)
        yield account, api, baseline.server_address[1]
    finally:
        baseline.shutdown()
        account.shutdown()


def main() -> None:
    with serving() as (account, api, echo_port):
        lambda_client = LambdaAPI.of(account).client()
        url = lambda_client.create_function_url_config(FunctionName="items", AuthType="NONE")["FunctionUrl"]
        lambda_client.add_permission(
            FunctionName="items",
            StatementId="url",
            Action="lambda:InvokeFunctionUrl",
            Principal="*",
            FunctionUrlAuthType="NONE",
        )
        url_port = int(url.rstrip("/").rsplit(":", 1)[1])
        cases = {
            "http_api": (api.port, "/items/42"),
            "function_url": (url_port, "/items/42"),
            "baseline_http_server": (echo_port, "/items/42"),
        }
        for port, path in cases.values():
            _load(port, path, WARMUP_S)
        results: dict[str, dict[str, list]] = {name: {"rps": [], "lat": [], "errors": [], "cpu": []} for name in cases}
        for _ in range(ROUNDS):
            for name, (port, path) in cases.items():
                count, latencies, errors, cpu = _load(port, path, SECONDS_PER_ROUND)
                results[name]["rps"].append(count / SECONDS_PER_ROUND)
                results[name]["lat"].extend(latencies)
                results[name]["errors"].append(errors)
                results[name]["cpu"].append((count, *cpu))
        figures = {}
        for name, data in results.items():
            rps = sorted(data["rps"])
            figures[name] = {
                "requests_per_s_median_round": round(rps[len(rps) // 2], 1),
                "requests_per_s_rounds": [round(r, 1) for r in data["rps"]],
                "latency": summarize(data["lat"], "us"),
                "p50_us": round(sorted(data["lat"])[len(data["lat"]) // 2] / 1000, 1),
                "p99_us": _p99(data["lat"]),
                "non_200": sum(data["errors"]),
                "process_cpu_us_per_request": _cpu_per_request(data["cpu"]),
            }
        api_rps = figures["http_api"]["requests_per_s_median_round"]
        base_rps = figures["baseline_http_server"]["requests_per_s_median_round"]
        emit(
            {
                "benchmark": "apigw_load",
                "threads": THREADS,
                "rounds": ROUNDS,
                "seconds_per_round": SECONDS_PER_ROUND,
                "figures": figures,
                "ratio_http_api_to_baseline": round(api_rps / base_rps, 3),
                "targets": [
                    target("http_api requests/s", api_rps, TARGET_RPS, "requests/s", higher_is_better=True),
                    target(
                        "http_api / baseline_http_server", api_rps / base_rps, TARGET_RATIO, "x", higher_is_better=True
                    ),
                ],
                "machine": machine(),
            }
        )


if __name__ == "__main__":
    main()
