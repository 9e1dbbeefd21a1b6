"""What each stage of an HTTP API request costs in throughput: a diagnostic beside ``apigw_load.py``.

``apigw_load.py`` measures the product.  This script measures the same load (the same clients,
handler and baseline echo, see there) on an HTTP API with stages of the request path
short-circuited, to show what a redesign of each stage could buy at most:

* ``as_served``: nothing changed (the product, as ``apigw_load.py`` measures it);
* ``event_reused``: the payload 2.0 event is built and JSON-encoded once and reused;
* ``answer_fixed``: a fixed 200 answer instead of shaping the function's response;
* ``bookkeeping_off``: no invocation record, no stored log events, no ConcurrentExecutions,
  no access-log row, one X-Ray context reused, no recursion (lineage) check;
* ``all_three``: the three above together.

The short-circuited cases give wrong answers and keep no records: they are upper bounds for
design decisions, never the product's figures.  Rounds alternate the cases, each followed by
the baseline echo, and the ratio to that echo is taken per round (median over rounds).

Prints one JSON document.  Run: ``python benchmarks/apigw_breakdown.py`` (~45 s).
"""

from __future__ import annotations

import contextlib
import os
import statistics
import sys
from collections.abc import Callable, Iterator
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _bench import emit, machine
from apigw_load import SECONDS_PER_ROUND, THREADS, WARMUP_S, _cpu_per_request, _load, serving

from lambda_magic.endpoints.apigw_http import HttpApi
from lambda_magic.endpoints.server import Response
from lambda_magic.runtime import account as account_module
from lambda_magic.runtime.account import LocalAccount
from lambda_magic.runtime.xray import xray

ROUNDS = 3
PATH = "/items/42"


@contextlib.contextmanager
def _replaced(target: Any, name: str, value: Any) -> Iterator[None]:
    """``target.name = value`` for the block; the attribute as it was afterwards."""
    own = name in getattr(target, "__dict__", {})
    old = target.__dict__[name] if own else None
    setattr(target, name, value)
    try:
        yield
    finally:
        if own:
            setattr(target, name, old)
        else:
            delattr(target, name)


def _event_reused(stack: contextlib.ExitStack, account: LocalAccount, api: HttpApi) -> None:
    build, encode = HttpApi.event, account_module.encode_payload
    built: dict[str, Any] = {}

    def event(self: HttpApi, *args: Any) -> dict:
        if "event" not in built:
            built["event"] = build(self, *args)
            built["payload"] = encode(built["event"], "RequestResponse")
        return built["event"]

    def encoded(event: Any, invocation_type: str) -> bytes:
        return built["payload"] if event is built.get("event") else encode(event, invocation_type)

    stack.enter_context(_replaced(HttpApi, "event", event))
    stack.enter_context(_replaced(account_module, "encode_payload", encoded))


def _answer_fixed(stack: contextlib.ExitStack, account: LocalAccount, api: HttpApi) -> None:
    def answer(self: HttpApi, outcome: Any, event: Any, request: Any) -> Response:
        return Response(200, {"content-type": "text/plain"}, b"ok")

    stack.enter_context(_replaced(HttpApi, "answer", answer))


def _bookkeeping_off(stack: contextlib.ExitStack, account: LocalAccount, api: HttpApi) -> None:
    def nothing(*args: Any, **kwargs: Any) -> None:
        return None

    tracer = xray(account)
    function = account.registry.latest("items")
    context = tracer.begin(function, "0" * 36, None, 0.0, os.urandom(20), None)
    stack.enter_context(_replaced(account, "record", nothing))
    stack.enter_context(_replaced(account.invoker, "_log", nothing))
    stack.enter_context(_replaced(account.metrics, "enter", nothing))
    stack.enter_context(_replaced(account.metrics, "leave", nothing))
    stack.enter_context(_replaced(api.log, "add", nothing))
    stack.enter_context(_replaced(account.lineage, "admit", nothing))
    stack.enter_context(_replaced(type(tracer), "begin", lambda self, *args: context))


Stage = Callable[[contextlib.ExitStack, LocalAccount, HttpApi], None]
CASES: dict[str, tuple[Stage, ...]] = {
    "as_served": (),
    "event_reused": (_event_reused,),
    "answer_fixed": (_answer_fixed,),
    "bookkeeping_off": (_bookkeeping_off,),
    "all_three": (_event_reused, _answer_fixed, _bookkeeping_off),
}


def main() -> None:
    with serving() as (account, api, echo_port):
        _load(api.port, PATH, WARMUP_S)
        _load(echo_port, PATH, WARMUP_S)
        rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in CASES}
        for _ in range(ROUNDS):
            for name, stages in CASES.items():
                with contextlib.ExitStack() as stack:
                    for stage in stages:
                        stage(stack, account, api)
                    count, _, errors, cpu = _load(api.port, PATH, SECONDS_PER_ROUND)
                echo_count, _, _, echo_cpu = _load(echo_port, PATH, SECONDS_PER_ROUND)
                rounds[name].append(
                    {"count": count, "errors": errors, "cpu": cpu, "echo_count": echo_count, "echo_cpu": echo_cpu}
                )
        figures = {}
        for name, runs in rounds.items():
            figures[name] = {
                "requests_per_s_rounds": [round(r["count"] / SECONDS_PER_ROUND, 1) for r in runs],
                "baseline_requests_per_s_rounds": [round(r["echo_count"] / SECONDS_PER_ROUND, 1) for r in runs],
                "ratio_to_baseline_median": round(statistics.median(r["count"] / r["echo_count"] for r in runs), 3),
                "process_cpu_us_per_request": _cpu_per_request([(r["count"], *r["cpu"]) for r in runs]),
                "baseline_process_cpu_us_per_request": _cpu_per_request(
                    [(r["echo_count"], *r["echo_cpu"]) for r in runs]
                ),
                "non_200": sum(r["errors"] for r in runs),
            }
        emit(
            {
                "benchmark": "apigw_breakdown",
                "threads": THREADS,
                "rounds": ROUNDS,
                "seconds_per_round": SECONDS_PER_ROUND,
                "note": "short-circuited cases are upper bounds for design decisions, not the product's figures",
                "figures": figures,
                "machine": machine(),
            }
        )


if __name__ == "__main__":
    main()
