"""Warm ``Invoke`` through the account's Lambda API, against what it is built on.

Measures, in one run, interleaved in rounds, with a ``perf_counter_ns`` pair around each call:

* ``boto3_invoke_through_api``: ``boto3.client("lambda").invoke`` of a warm trivial
  function through the account's Lambda API on loopback (payload read);
* ``lm_invoke``: ``LocalAccount.invoke`` of the same function (no HTTP, no botocore);
* ``baseline_boto3_trivial_endpoint``: the same boto3 ``invoke`` call against a trivial
  loopback HTTP endpoint (the same server base) that answers a fixed Invoke response:
  botocore's own cost plus one HTTP round trip;
* ``reference_api_handle_in_process``: the API's own work for that request without HTTP
  (``LambdaAPI.handle`` called directly with the request boto3 sends: route, parse,
  invoke, render), i.e. ``lm_invoke`` plus what the API adds in Python.

The target (issue 9): the API adds at most 1.5x over the baseline, i.e. botocore's
own cost dominates.  Prints one JSON document.  Run: ``python benchmarks/lambda_api.py``.
"""

from __future__ import annotations

import gc
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import boto3
from _bench import BENCH_MEMORY_MB, EVENT, TRIVIAL_CODE, drift, emit, machine, summarize, target
from botocore.config import Config

from lambda_magic.endpoints import LambdaAPI
from lambda_magic.endpoints.server import LoopbackServer, Request, Response
from lambda_magic.runtime.account import LocalAccount
from lambda_magic.runtime.settings import AccountSettings

#: A tight loop runs far above Lambda's 10 requests/s per environment: raise the limit so
#: the figure is the invoke path, not a throttle.
UNTHROTTLED = AccountSettings(account_concurrency=1_000_000)
ROUNDS = 10
PER_ROUND = 200
WARMUP = 200
TARGET_RATIO = 1.5
PAYLOAD = b'{"n": 1}'


def _trivial(request) -> Response:
    return Response(200, {"X-Amz-Executed-Version": "$LATEST"}, PAYLOAD)


def _client(url: str, region: str) -> object:
    return boto3.client(
        "lambda",
        endpoint_url=url,
        region_name=region,
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        config=Config(retries={"total_max_attempts": 1}),
    )


def main() -> None:
    account = LocalAccount(UNTHROTTLED)
    trivial = LoopbackServer("trivial", _trivial)
    try:
        account.register("bench", TRIVIAL_CODE, memory_mb=BENCH_MEMORY_MB)
        api = LambdaAPI.of(account)
        through_api = _client(api.url, account.settings.region)
        baseline = _client(trivial.url, account.settings.region)

        def via_api() -> None:
            through_api.invoke(FunctionName="bench", Payload=PAYLOAD)["Payload"].read()

        def via_baseline() -> None:
            baseline.invoke(FunctionName="bench", Payload=PAYLOAD)["Payload"].read()

        def via_lm() -> None:
            account.invoke("bench", EVENT)

        captured: list[Request] = []
        capture = LoopbackServer("capture", lambda request: captured.append(request) or _trivial(request))
        try:
            _client(capture.url, account.settings.region).invoke(FunctionName="bench", Payload=PAYLOAD)
        finally:
            capture.stop()
        boto3_request = captured[0]

        def via_handle() -> None:
            api.handle(boto3_request)

        cases = {
            "boto3_invoke_through_api": via_api,
            "lm_invoke": via_lm,
            "baseline_boto3_trivial_endpoint": via_baseline,
            "reference_api_handle_in_process": via_handle,
        }
        assert via_api() is None and account.invocation_records("bench")[-1].status == "success"
        for run in cases.values():
            for _ in range(WARMUP):
                run()
        samples: dict[str, list[int]] = {name: [] for name in cases}
        clock = time.perf_counter_ns
        gc.disable()
        try:
            for _ in range(ROUNDS):
                for name, run in cases.items():
                    values = samples[name]
                    for _ in range(PER_ROUND):
                        start = clock()
                        run()
                        values.append(clock() - start)
        finally:
            gc.enable()
        results = {name: {**summarize(values), **drift(values)} for name, values in samples.items()}
        api_median = results["boto3_invoke_through_api"]["median_us"]
        base_median = results["baseline_boto3_trivial_endpoint"]["median_us"]
        emit(
            {
                "benchmark": "lambda_api",
                "description": __doc__.strip().splitlines()[0],
                "machine": machine(),
                "method": f"{ROUNDS} interleaved rounds x {PER_ROUND} calls per case after {WARMUP} warm-up calls; "
                'one warm process environment; event {"n": 1}',
                "results": results,
                "ratio_api_over_baseline": round(api_median / base_median, 3),
                "api_added_us": round(api_median - base_median, 3),
                "api_python_overhead_us": round(
                    results["reference_api_handle_in_process"]["median_us"] - results["lm_invoke"]["median_us"], 3
                ),
                "targets": [
                    target(
                        "boto3 invoke through the API / boto3 call to a trivial endpoint (median)",
                        api_median / base_median,
                        TARGET_RATIO,
                        "x",
                    )
                ],
            }
        )
    finally:
        trivial.stop()
        account.shutdown()


if __name__ == "__main__":
    main()
