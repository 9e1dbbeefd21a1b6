"""CloudWatch-style Lambda metrics per period, computed from the account's records."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

if TYPE_CHECKING:
    import pandas as pd

    from ..runtime.invocation import Invocation

METRIC_COLUMNS = [
    "Invocations",
    "Errors",
    "Throttles",
    "DurationAvg",
    "DurationP50",
    "DurationP90",
    "DurationP99",
    "ConcurrentExecutions",
    "AsyncEventsReceived",
    "AsyncEventAge",
    "AsyncEventsDropped",
    "DestinationDeliveryFailures",
    "IteratorAge",
]
_RAN = ("success", "error", "timeout")


def metrics_frame(
    invocations: Iterable["Invocation"],
    history: Iterable[tuple[float, str, str]],
    *,
    name: str | None = None,
    period: str = "1min",
    iterator_ages: Iterable[tuple[float, str, float]] = (),
) -> "pd.DataFrame":
    """One row per period (index: the period's start, UTC), one column per metric.

    Durations are in milliseconds; AsyncEventAge is the oldest age (ms) an event had
    when an attempt started, and IteratorAge the oldest record age (ms) a stream
    batch had when it was read, as CloudWatch's Maximum statistic reports them.
    ``iterator_ages`` are ``(account time, function, ms)`` from the stream pollers.
    """
    import pandas as pd

    pd.tseries.frequencies.to_offset(period)  # a bad period is an error even with no records
    records = [i for i in invocations if name is None or i.function_name == name]
    ran = [i for i in records if i.status in _RAN]
    history = [h for h in history if name is None or h[1] == name]
    ages = [a for a in iterator_ages if name is None or a[1] == name]
    times = [i.start for i in records] + [h[0] for h in history] + [a[0] for a in ages]
    if not times:
        return pd.DataFrame(columns=METRIC_COLUMNS, index=pd.DatetimeIndex([], tz="UTC", name="period"))
    bins = pd.date_range(
        pd.to_datetime(min(times), unit="s", utc=True).floor(period),
        pd.to_datetime(max(times) + _busy_s(records), unit="s", utc=True).floor(period),
        freq=period,
        name="period",
    )
    frame = pd.DataFrame(0, index=bins, columns=METRIC_COLUMNS, dtype="float64")

    def floor(seconds: Any) -> Any:
        return pd.to_datetime(pd.Series(seconds, dtype="float64"), unit="s", utc=True).dt.floor(period)

    if ran:
        runs = pd.DataFrame(
            {
                "period": floor([i.start for i in ran]),
                "duration": [i.duration_ms for i in ran],
                "error": [i.status != "success" for i in ran],
                "age": [(i.event_age_s or 0.0) * 1000 if i.event_age_s is not None else float("nan") for i in ran],
            }
        )
        grouped = runs.groupby("period")
        frame["Invocations"] = grouped.size()
        frame["Errors"] = grouped["error"].sum()
        frame["DurationAvg"] = grouped["duration"].mean()
        frame["DurationP50"] = grouped["duration"].quantile(0.5)
        frame["DurationP90"] = grouped["duration"].quantile(0.9)
        frame["DurationP99"] = grouped["duration"].quantile(0.99)
        frame["AsyncEventAge"] = grouped["age"].max()
        frame["ConcurrentExecutions"] = _concurrency(ran, bins, period)
    throttled = [i.start for i in records if i.status == "throttled"]
    if throttled:
        frame["Throttles"] = floor(throttled).value_counts()
    for kind, column in (
        ("received", "AsyncEventsReceived"),
        ("dropped", "AsyncEventsDropped"),
        ("delivery-failure", "DestinationDeliveryFailures"),
    ):
        stamps = [h[0] for h in history if h[2] == kind]
        if stamps:
            frame[column] = floor(stamps).value_counts()
    if ages:
        stamps = pd.DatetimeIndex(floor([a[0] for a in ages]))
        frame["IteratorAge"] = pd.Series([a[2] for a in ages], index=stamps).groupby(level=0).max()
    counts = [
        "Invocations",
        "Errors",
        "Throttles",
        "ConcurrentExecutions",
        "AsyncEventsReceived",
        "AsyncEventsDropped",
        "DestinationDeliveryFailures",
    ]
    frame[counts] = frame[counts].fillna(0).astype("int64")
    return frame


def _busy_s(records: list["Invocation"]) -> float:
    return max(((i.init_duration_ms or 0) + (i.duration_ms or 0)) / 1000 for i in records) if records else 0.0


def _concurrency(ran: list["Invocation"], bins: "pd.DatetimeIndex", period: str) -> "pd.Series":
    """The most invocations in flight at once within each period."""
    import pandas as pd

    changes = sorted(
        [(i.start, 1) for i in ran]
        + [(i.start + ((i.init_duration_ms or 0) + (i.duration_ms or 0)) / 1000, -1) for i in ran]
    )
    level = 0
    peak: dict[Any, int] = {}
    entering = 0
    stamps = pd.to_datetime([t for t, _ in changes], unit="s", utc=True).floor(period)
    for (_, delta), stamp in zip(changes, stamps):
        peak.setdefault(stamp, entering)
        level += delta
        peak[stamp] = max(peak[stamp], level)
        entering = level
    series = pd.Series(peak, dtype="int64").reindex(bins)
    carried = pd.Series({stamp: value for stamp, value in peak.items()}).reindex(bins).ffill().fillna(0)
    return series.fillna(carried.shift(1).fillna(0)).astype("int64")
