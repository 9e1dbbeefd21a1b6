"""The metric store: exact counts and sums, compact histograms, and the roll-up of old seconds."""

from __future__ import annotations

import math
import random

import pytest

from lambda_magic.runtime.metric_store import EXACT_SAMPLES, ROLLUP_AFTER_S, Histogram, MetricStore, Statistic

T0 = 1_767_225_600.0  # a minute boundary


class Clock:
    def __init__(self, now: float = T0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_counts_and_sums_are_exact_per_second_and_in_total():
    store = MetricStore(Clock())
    for i in range(1_000):
        store.record("f", T0 + i / 100, "error" if i % 7 == 0 else "success", 1.5)
    store.record("f", T0, "throttled", None)
    store.record("g", T0, "timeout", 3000.0)
    assert store.totals("f") == {
        "Invocations": 1_000,
        "Errors": 143,
        "Throttles": 1,
        "AsyncEventsReceived": 0,
        "AsyncEventsDropped": 0,
        "DestinationDeliveryFailures": 0,
        "DeadLetterErrors": 0,
        "RecursiveInvocationsDropped": 0,
    }
    assert store.totals()["Invocations"] == 1_001 and store.totals()["Errors"] == 144
    seconds = store.seconds("f")
    assert [s.invocations for s in seconds] == [100] * 10
    assert seconds[0].duration.sum == 150.0 and seconds[0].duration.exact


def test_a_busy_second_holds_a_histogram_whose_size_does_not_grow_with_the_count():
    store = MetricStore(Clock())
    rng = random.Random(1)
    values = [rng.uniform(0.05, 5.0) for _ in range(50_000)]
    for value in values:
        store.record("f", T0, "success", value)
    [second] = store.seconds("f")
    stat = second.duration
    assert not stat.exact and stat.count == 50_000
    assert stat.sum == pytest.approx(math.fsum(values), rel=1e-9)
    assert (stat.minimum, stat.maximum) == (min(values), max(values))
    ordered = sorted(values)
    for q in (0.5, 0.9, 0.99):
        assert stat.percentile(q) == pytest.approx(ordered[round(q * (len(ordered) - 1))], rel=0.01)
    bins = stat._histogram.counts
    assert len(bins) <= math.log(100) / math.log(1.01) + 2  # one counter per 1% of the range, not per value


def test_histogram_counts_zeros_and_spans_both_directions():
    histogram = Histogram([10.0, 0.0, 0.001, 1_000_000.0])
    assert histogram.zeros == 1 and sum(histogram.counts) == 3
    assert histogram.quantile(0.0, 4) == 0.0
    assert histogram.quantile(1.0, 4) == pytest.approx(1_000_000.0, rel=0.01)
    merged = Statistic()
    few, many = Statistic(), Statistic()
    store = MetricStore(Clock())
    for i in range(EXACT_SAMPLES):
        store.record("few", T0, "success", float(i))
    for i in range(EXACT_SAMPLES + 1):
        store.record("many", T0, "success", float(i))
    few.merge(store.seconds("few")[0].duration)
    many.merge(store.seconds("many")[0].duration)
    assert few.exact and not many.exact
    merged.merge(few)
    merged.merge(many)
    assert merged.count == 2 * EXACT_SAMPLES + 1 and not merged.exact


def test_seconds_older_than_three_hours_roll_up_into_minutes_and_stay_exact():
    clock = Clock()
    store = MetricStore(clock)
    for i in range(600):  # ten minutes, one invocation a second, one in flight at a time
        clock.now = T0 + i
        store.enter("f")
        store.record("f", T0 + i, "success", float(i % 10))
        clock.now = T0 + i + 0.5
        store.leave("f")
    store.count("f", "AsyncEventsReceived", T0 + 30)
    assert len(store.seconds("f")) == 600
    before = store.totals("f")
    clock.now = T0 + ROLLUP_AFTER_S + 600
    store.record("f", clock.now, "success", 1.0)  # a new second: the old ones are folded into minutes
    store.enter("f")
    store.leave("f")
    rolled = store.seconds("f")
    assert [s.second for s in rolled[:10]] == [int(T0) + 60 * m for m in range(10)]
    assert [s.invocations for s in rolled[:10]] == [60] * 10 and len(rolled) == 11
    assert rolled[0].counters == {"AsyncEventsReceived": 1}
    assert rolled[0].duration.sum == 6 * sum(range(10)) and rolled[0].duration.exact
    assert store.totals("f")["Invocations"] == before["Invocations"] + 1
    levels = store.concurrency("f")
    assert levels[:10] == [(int(T0) + 60 * m, 1, 0) for m in range(10)]
    assert len(store) < 50  # 10 minutes + 1 second of invocations, the same for the levels (f and the account)
    store.record("f", T0 + 5, "error", 2.0)  # late news about a rolled-up second lands in its minute
    assert store.seconds("f")[0].invocations == 61 and store.seconds("f")[0].errors == 1
