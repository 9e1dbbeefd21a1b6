"""Power tuning (``lm.power_tune``, ``runtime/power_tuning.py``), as AWS Lambda Power Tuning does it,
through the account's Lambda API."""

from __future__ import annotations

import pytest

import lambda_magic as lm
from lambda_magic.runtime.power_tuning import SizeStats, check_options, choose, price_per_ms, trimmed_mean

QUICK = "def lambda_handler(event, context):\n    return event.get('n', 0)\n"
FAILS_SMALL = (
    "import os\n"
    "def lambda_handler(event, context):\n"
    "    if int(os.environ['AWS_LAMBDA_FUNCTION_MEMORY_SIZE']) < 256:\n"
    "        raise MemoryError('too small')\n"
    "    return 1\n"
)


@pytest.fixture(autouse=True)
def clean():
    lm.reset()
    yield
    lm.reset()


def _stats(memory: int, duration: float, cost: float) -> SizeStats:
    return SizeStats(memory, average_duration_ms=duration, cost_usd=cost)


def test_the_tools_statistics_and_strategies():
    assert trimmed_mean([1, 2, 3, 4, 100, 5, 6, 7, 8, 0], 0.2) == pytest.approx(4.5)  # drops 2 low, 2 high
    assert trimmed_mean([10, 20, 30, 40], 0.2) == 25  # int(4 * 0.2) == 0: nothing to drop
    assert price_per_ms(128, 0.0000166667) == pytest.approx(2.0833e-9, rel=1e-3)  # the tool's baseCost 2.1e-9
    sizes = [_stats(128, 400.0, 1.0e-6), _stats(512, 100.0, 1.0e-6), _stats(1024, 60.0, 1.1e-6), _stats(2048, 50, 2e-6)]
    assert choose(sizes, "cost", 0.5) == 512  # a tie in cost goes to the faster
    assert choose(sizes, "speed", 0.5) == 2048
    assert choose(sizes, "balanced", 0.5) == 1024  # 0.5*1.1/2 + 0.5*60/400 = 0.35 < 512's 0.375
    assert choose(sizes, "balanced", 1.0) == 512 and choose(sizes, "balanced", 0.0) == 2048
    assert choose([_stats(128, 0.0, 0.0)], "cost", 0.5) is None  # nothing measured, nothing chosen


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"memory": [64]}, "memory size 64 is out of range: Lambda allows 128-10240 MB"),
        ({"num": 4}, "num=4: power tuning needs at least 5 invocations per memory size"),
        ({"strategy": "cheap"}, "strategy 'cheap': choose cost, speed or balanced"),
        ({"balanced_weight": 2}, "balanced_weight=2: choose a weight from 0 to 1"),
        ({"discard_top_bottom": 0.5}, "discard_top_bottom=0.5: choose 0 to 0.4"),
    ],
)
def test_bad_options_get_one_line_errors_and_change_nothing(options, message):
    lm.register("quick", QUICK, memory_mb=192)
    with pytest.raises(lm.InvalidParameterValueException, match=message.replace("(", r"\(").replace(")", r"\)")):
        lm.power_tune("quick", {}, **options)
    assert lm.account().get_function("quick").config.memory_mb == 192
    defaults = {"memory": [128], "num": 5, "strategy": "cost", "balanced_weight": 0.5, "discard": 0.2}
    check_options(*defaults.values())  # the defaults pass


def test_each_size_runs_in_its_own_version_and_latest_is_left_as_it_was():
    lm.register("quick", QUICK, memory_mb=192, description="the original")
    result = lm.power_tune("quick", {"n": 1}, memory=[128, 512, 1024], num=5, strategy="speed")
    frame = result.frame
    assert list(frame["memory_mb"]) == [128, 512, 1024]
    assert list(frame.columns[:4]) == ["memory_mb", "invocations", "average_duration_ms", "p50_duration_ms"]
    assert list(frame["invocations"]) == [5, 5, 5] and list(frame["errors"]) == [0, 0, 0]
    assert list(frame["cold_starts"]) == [1, 1, 1]  # one new version (one new environment) per size
    assert (frame["cost_usd"] > 0).all()
    assert frame["cost_per_million_usd"].iloc[0] == pytest.approx(frame["cost_usd"].iloc[0] * 1e6 + 0.20)
    assert result.best_memory_mb in (128, 512, 1024)
    ran = lm.invocations("quick")
    assert sorted(set(ran["version"])) == ["1", "2", "3"]  # the versions it published, then deleted
    assert sorted(ran["memory_size_mb"].unique()) == [128, 512, 1024]
    versions = lm.client("lambda").list_versions_by_function(FunctionName="quick")["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST"]
    latest = lm.client("lambda").get_function_configuration(FunctionName="quick")
    assert (latest["MemorySize"], latest["Description"]) == (192, "the original")
    assert repr(result).startswith("Power tuning of quick: 5 invocations at each of 128, 512, 1024 MB; best for speed")
    assert "<img" in result._repr_html_() and result._repr_png_().startswith(b"\x89PNG")


def test_errors_are_counted_and_cold_starts_only_means_a_new_environment_each_time():
    lm.register("picky", FAILS_SMALL)
    result = lm.power_tune("picky", {}, memory=[128, 256], num=5, only_cold_starts=True, parallel=True)
    frame = result.frame.set_index("memory_mb")
    assert frame.loc[128, "errors"] == 5 and frame.loc[256, "errors"] == 0
    assert list(frame["cold_starts"]) == [5, 5]
    assert "5 errors" in repr(result)
    assert lm.client("lambda").list_versions_by_function(FunctionName="picky")["Versions"][-1]["Version"] == "$LATEST"


def test_a_missing_function_is_refused_before_anything_runs():
    with pytest.raises(lm.ResourceNotFoundException):
        lm.power_tune("nothing", {})
