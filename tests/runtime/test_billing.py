"""Millisecond billing and the price of an invocation (lambda-semantics §9)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

import lambda_magic.runtime as runtime
from lambda_magic.runtime.billing import PriceList, billed_duration_ms

from .helpers import OK

PRICES = json.loads((Path(runtime.__file__).parent / "prices.json").read_text())


def expected_cost(invocation, architecture):
    return (
        PRICES["request_usd"]
        + invocation.memory_size_mb
        / 1024
        * invocation.billed_duration_ms
        / 1000
        * PRICES["gb_second_usd"][architecture]
    )


def test_price_file_holds_us_east_1_list_prices():
    assert PRICES["region"] == "us-east-1"
    assert PRICES["request_usd"] == 0.0000002
    assert PRICES["gb_second_usd"] == {"x86_64": 0.0000166667, "arm64": 0.0000133334}
    loaded = PriceList.load()
    assert loaded.request_usd == PRICES["request_usd"]
    assert loaded.gb_second_usd == PRICES["gb_second_usd"]


@pytest.mark.parametrize(
    "duration, init, billed",
    [
        (0.01, None, 1),
        (1.0, None, 1),
        (1.0001, None, 2),
        (15.74, 130.49, 147),
        (2.75, 113.51, 117),
        (3004.92, 111.23, 3117),
        (0.0, 0.0, 0),
        (999.5, 0.5, 1000),
    ],
)
def test_billed_duration_is_ceil_of_duration_plus_init(duration, init, billed):
    assert billed_duration_ms(duration, init) == billed


@pytest.mark.parametrize("architecture", ["x86_64", "arm64"])
@pytest.mark.parametrize("memory_mb", [128, 1024, 10_240])
def test_cost_of_an_invocation(account, architecture, memory_mb):
    account.register("fn", OK, memory_mb=memory_mb, architecture=architecture)
    for invocation in (account.invoke("fn"), account.invoke("fn")):
        assert invocation.billed_duration_ms == math.ceil(invocation.duration_ms + (invocation.init_duration_ms or 0))
        assert invocation.cost_usd == pytest.approx(expected_cost(invocation, architecture), rel=1e-12)
        assert invocation.cost_usd > PRICES["request_usd"]


def test_price_list_arithmetic():
    prices = PriceList.load()
    assert prices.cost_usd(1000, 1024, "x86_64") == pytest.approx(0.0000002 + 0.0000166667)
    assert prices.cost_usd(1000, 1024, "arm64") == pytest.approx(0.0000002 + 0.0000133334)
    assert prices.cost_usd(0, 128, "x86_64") == pytest.approx(0.0000002)
    assert prices.cost_usd(100, 512, "x86_64") == pytest.approx(0.0000002 + 0.5 * 0.1 * 0.0000166667)


def test_arm64_is_cheaper_for_the_same_billed_time():
    prices = PriceList.load()
    for billed in (1, 100, 3000):
        for memory in (128, 1769, 10_240):
            assert prices.cost_usd(billed, memory, "arm64") < prices.cost_usd(billed, memory, "x86_64")


def test_timed_out_invocation_is_billed_for_its_whole_duration(account):
    account.register("fn", "import time\ndef lambda_handler(e, c):\n    time.sleep(30)\n", timeout_s=1)
    invocation = account.invoke("fn")
    assert invocation.status == "timeout"
    assert invocation.billed_duration_ms == math.ceil(invocation.duration_ms + (invocation.init_duration_ms or 0))
    assert invocation.billed_duration_ms >= 900
    assert invocation.cost_usd == pytest.approx(expected_cost(invocation, "x86_64"), rel=1e-12)


def test_init_is_billed_on_a_cold_start(account):
    account.register("fn", "import time\ntime.sleep(0.05)\n" + OK)
    cold = account.invoke("fn")
    assert cold.init_duration_ms >= 50
    assert cold.billed_duration_ms == math.ceil(cold.duration_ms + cold.init_duration_ms)
    assert cold.billed_duration_ms > cold.duration_ms + 49


def test_dry_run_and_queued_event_carry_no_cost(account):
    account.register("fn", OK)
    assert account.invoke("fn", invocation_type="DryRun").cost_usd is None
    assert account.invoke("fn", invocation_type="Event").cost_usd is None
    assert account.wait(10)
    assert account.invocation_records("fn")[0].cost_usd == pytest.approx(
        expected_cost(account.invocation_records("fn")[0], "x86_64"), rel=1e-12
    )
