"""CloudWatch-style metrics and the timeline, computed from known invocation records."""

import pandas as pd
import pytest

from lambda_magic.display.metrics import METRIC_COLUMNS, metrics_frame
from lambda_magic.display.queue import QueuePanel
from lambda_magic.display.timeline import Timeline
from lambda_magic.runtime.async_invocation import AsyncLedger
from lambda_magic.runtime.invocation import Invocation

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


def test_counts_durations_and_errors_per_period():
    records = [
        run(1, 10),
        run(2, 30, status="error"),
        run(61, 20),
        run(62, 40, status="timeout"),
        Invocation("t", "f", "$LATEST", "RequestResponse", 429, "throttled", start=T0 + 63),
    ]
    frame = metrics_frame(records, [], period="1min")
    assert list(frame.columns) == METRIC_COLUMNS
    assert list(frame.index) == [pd.Timestamp(T0, unit="s", tz="UTC"), pd.Timestamp(T0 + 60, unit="s", tz="UTC")]
    assert frame["Invocations"].tolist() == [2, 2]
    assert frame["Errors"].tolist() == [1, 1]
    assert frame["Throttles"].tolist() == [0, 1]
    assert frame["DurationAvg"].tolist() == [20.0, 30.0]
    assert frame["DurationP50"].tolist() == [20.0, 30.0]


def test_concurrent_executions_is_the_peak_within_each_period_including_carry_over():
    # three overlapping in the first period; one still running into the second period
    records = [run(10, 5_000), run(11, 5_000), run(12, 5_000), run(50, 20_000)]
    frame = metrics_frame(records, [], period="1min")
    assert frame["ConcurrentExecutions"].tolist() == [3, 1]


def test_async_metrics_from_history_and_ages():
    history = [
        (T0 + 1, "f", "received"),
        (T0 + 2, "f", "received"),
        (T0 + 70, "f", "dropped"),
        (T0 + 71, "f", "delivery-failure"),
        (T0 + 72, "g", "received"),
    ]
    records = [run(1, 10, attempt=1, age=0.5), run(61, 10, attempt=2, age=60.5)]
    frame = metrics_frame(records, history, name="f", period="1min")
    assert frame["AsyncEventsReceived"].tolist() == [2, 0]
    assert frame["AsyncEventsDropped"].tolist() == [0, 1]
    assert frame["DestinationDeliveryFailures"].tolist() == [0, 1]
    assert frame["AsyncEventAge"].tolist() == [500.0, 60_500.0]


def test_empty_metrics_and_bad_period():
    assert metrics_frame([], []).empty
    with pytest.raises(ValueError):
        metrics_frame([], [], period="banana")


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
    [(cut_at, removed)] = timeline.x.cuts  # the minute between the attempts is shortened
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
    frame = metrics_frame([run(1, 10)], [], name="f", period="1min", iterator_ages=ages)
    assert frame["IteratorAge"].tolist() == [1500.0, 50.0]
