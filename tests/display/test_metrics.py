"""CloudWatch-style metrics from the per-second aggregates, and the timeline from known records."""

import math
import random

import pandas as pd
import pytest

from lambda_magic.display.metrics import METRIC_COLUMNS, metrics_frame
from lambda_magic.display.queue import QueuePanel
from lambda_magic.display.timeline import Timeline
from lambda_magic.runtime.async_invocation import AsyncLedger
from lambda_magic.runtime.invocation import Invocation
from lambda_magic.runtime.metric_store import EXACT_SAMPLES, MetricStore

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z, a period boundary


def run(
    start,
    duration_ms,
    *,
    status="success",
    name="f",
    stream="s1",
    init_ms=None,
    attempt=None,
    age=None,
    request_id=None,
):
    return Invocation(
        request_id or f"r{start}",
        name,
        "$LATEST",
        "Event" if attempt else "RequestResponse",
        200,
        status,
        duration_ms=duration_ms,
        init_duration_ms=init_ms,
        start=T0 + start,
        log_stream=stream,
        cold_start=init_ms is not None,
        attempt=attempt,
        event_age_s=age,
    )


class Clock:
    """A manual account clock for the store (seconds after T0)."""

    def __init__(self):
        self.now = T0

    def __call__(self):
        return self.now


def store_of(*records):
    clock = Clock()
    store = MetricStore(clock)
    for r in records:
        store.record(r.function_name, r.start, r.status, r.duration_ms)
    return store, clock


def minute(n):
    return pd.Timestamp(T0 + 60 * n, unit="s", tz="UTC")


def test_counts_durations_and_errors_per_period():
    store, _ = store_of(
        run(1, 10),
        run(2, 30, status="error"),
        run(61, 20),
        run(62, 40, status="timeout"),
        Invocation("t", "f", "$LATEST", "RequestResponse", 429, "throttled", start=T0 + 63),
    )
    frame = metrics_frame(store, period="1min")
    assert list(frame.columns) == METRIC_COLUMNS
    assert list(frame.index) == [minute(0), minute(1)]
    assert frame["Invocations"].tolist() == [2, 2]
    assert frame["Errors"].tolist() == [1, 1]
    assert frame["Throttles"].tolist() == [0, 1]
    assert frame["DurationAvg"].tolist() == [20.0, 30.0]
    assert frame["DurationP50"].tolist() == [20.0, 30.0]  # linear interpolation, as pandas' quantile
    assert frame.attrs["approximate_percentiles"] is False
    ten_seconds = metrics_frame(store, period="10s")
    assert ten_seconds["Invocations"].sum() == 4 and len(ten_seconds) == 7  # 00:00 .. 01:00, empty ones included


def test_concurrent_executions_is_the_peak_within_each_period_including_carry_over():
    store, clock = store_of()
    # three overlapping in the first minute; one still running through the second and into the third;
    # another function, g, is in flight from 00:20 on: counted for the account, not for f
    for at, delta, name in [
        (10, +1, "f"),
        (11, +1, "f"),
        (12, +1, "f"),
        (15, -1, "f"),
        (16, -1, "f"),
        (17, -1, "f"),
        (20, +1, "g"),
        (50, +1, "f"),
        (150, -1, "f"),
    ]:
        clock.now = T0 + at
        (store.enter if delta > 0 else store.leave)(name)
    frame = metrics_frame(store, name="f", period="1min")
    assert frame["ConcurrentExecutions"].tolist() == [3, 1, 1]
    assert metrics_frame(store, period="1min")["ConcurrentExecutions"].tolist() == [3, 2, 2]
    assert metrics_frame(store, name="g", period="1min")["ConcurrentExecutions"].tolist() == [1]


def test_async_metrics_from_counters_and_ages():
    store, clock = store_of(run(1, 10, attempt=1), run(61, 10, attempt=2))
    store.count("f", "AsyncEventsReceived", T0 + 1)
    store.count("f", "AsyncEventsReceived", T0 + 2)
    clock.now = T0 + 70
    store.count("f", "AsyncEventsDropped")
    store.count("f", "DestinationDeliveryFailures", T0 + 71)
    store.count("g", "AsyncEventsReceived", T0 + 72)
    store.observe_age("f", T0 + 1, 500.0)
    store.observe_age("f", T0 + 61, 60_500.0)
    store.observe_age("f", T0 + 62, 100.0)
    frame = metrics_frame(store, name="f", period="1min")
    assert frame["AsyncEventsReceived"].tolist() == [2, 0]
    assert frame["AsyncEventsDropped"].tolist() == [0, 1]
    assert frame["DestinationDeliveryFailures"].tolist() == [0, 1]
    assert frame["AsyncEventAge"].tolist() == [500.0, 60_500.0]
    assert store.totals()["AsyncEventsReceived"] == 3


def test_empty_metrics_and_bad_periods():
    store, _ = store_of()
    assert metrics_frame(store).empty
    for period in ("banana", "500ms", "1.5s", "1M"):
        with pytest.raises(ValueError):
            metrics_frame(store, period=period)


def test_percentiles_of_a_busy_second_come_from_the_histogram_within_one_percent():
    rng = random.Random(7)
    durations = [rng.lognormvariate(3, 0.8) for _ in range(5_000)]
    store, _ = store_of(*(run(0.5, d) for d in durations))
    frame = metrics_frame(store, period="1min")
    assert frame.attrs["approximate_percentiles"] is True
    assert frame["Invocations"].tolist() == [5_000]
    assert frame["DurationAvg"].iloc[0] == pytest.approx(sum(durations) / 5_000, rel=1e-12)  # sums stay exact
    exact = pd.Series(durations).quantile([0.5, 0.9, 0.99]).tolist()
    got = frame[["DurationP50", "DurationP90", "DurationP99"]].iloc[0].tolist()
    assert got == pytest.approx(exact, rel=0.01)
    # a second with few invocations keeps every raw value: exact percentiles
    few = [float(n) for n in range(1, EXACT_SAMPLES + 1)]
    store, _ = store_of(*(run(0.5, d) for d in few))
    frame = metrics_frame(store, period="1s")
    assert frame.attrs["approximate_percentiles"] is False
    assert frame["DurationP90"].iloc[0] == pd.Series(few).quantile(0.9)


def test_one_distinct_duration_gives_exact_percentiles_at_any_count():
    store, _ = store_of(*(run(0.5, 7.0) for _ in range(EXACT_SAMPLES * 3)))
    frame = metrics_frame(store, period="1min")
    assert frame["DurationP99"].iloc[0] == 7.0 and not frame.attrs["approximate_percentiles"]
    assert not math.isnan(frame["DurationP50"].iloc[0])


def test_timeline_rows_gaps_and_summary():
    records = [
        run(0, 100, stream="a", init_ms=50, attempt=1, request_id="x", status="error"),
        run(0.01, 100, stream="b", init_ms=40),
        run(60, 100, stream="a", attempt=2, request_id="x"),
        Invocation("t", "f", "$LATEST", "RequestResponse", 429, "throttled", start=T0 + 0.02),
    ]
    timeline = Timeline(records, "f")
    assert timeline.streams == ["a", "b"]
    assert timeline.peak_concurrency == 2
    assert repr(timeline) == (
        "Timeline: 3 invocations in 2 execution environments (2 cold starts, 1 error, 1 throttle, peak concurrency 2)"
    )
    [(_cut_at, removed)] = timeline.x.cuts  # the minute between the attempts is shortened
    assert removed > 55 and timeline.x(T0 + 60) < 5
    assert timeline._repr_png_().startswith(b"\x89PNG")


def test_queue_panel_shows_the_books():
    ledger = AsyncLedger(received=5, succeeded=3, to_failure_destination=1, retries=2)
    ledger.dropped["EventAgeExceeded"] = 1
    panel = QueuePanel({"f": ledger})
    assert repr(panel) == (
        "f: received 5, succeeded 3, to failure destination 1, dropped 1 (EventAgeExceeded 1), retries 2"
    )
    assert "✓" in panel._repr_html_()
    broken = AsyncLedger(received=2, succeeded=1)
    assert "DOES NOT BALANCE" in repr(QueuePanel({"g": broken}))
    assert repr(QueuePanel({})) == "No asynchronous events yet."


def test_iterator_age_is_the_oldest_per_period():
    ages = [(T0 + 1, "f", 1500.0), (T0 + 2, "f", 300.0), (T0 + 61, "f", 50.0), (T0 + 62, "g", 9999.0)]
    store, _ = store_of(run(1, 10))
    frame = metrics_frame(store, name="f", period="1min", iterator_ages=ages)
    assert frame["IteratorAge"].tolist() == [1500.0, 50.0]


def test_the_metrics_frame_scrolls_inside_the_output_and_stays_a_dataframe():
    from lambda_magic.display.logframe import WideFrame

    store, _ = store_of(run(1, 10), run(61, 20))
    for frame in (metrics_frame(store), metrics_frame(MetricStore(lambda: T0))):
        assert isinstance(frame, WideFrame) and isinstance(frame, pd.DataFrame)
        assert frame._repr_html_().startswith('<div class="lambda-magic-wide" style="overflow-x:auto')
    assert metrics_frame(store)["Invocations"].sum() == 2
