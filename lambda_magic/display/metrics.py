"""CloudWatch-style Lambda metrics per period, from the account's per-second aggregates.

The aggregates (``runtime.metric_store``) count every invocation, so the figures stay
exact after retention dropped old invocation records.  Percentiles are exact while
each second holds few enough invocations to keep their raw durations; otherwise they
come from a 1% histogram (``frame.attrs["approximate_percentiles"]`` is then True).
Data older than three hours is kept per minute (as CloudWatch keeps it): a period
shorter than a minute puts each such minute's figures in the period it starts in.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


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
    "RecursiveInvocationsDropped",
    "IteratorAge",
]
_COUNTS = [
    "Invocations",
    "Errors",
    "Throttles",
    "ConcurrentExecutions",
    "AsyncEventsReceived",
    "AsyncEventsDropped",
    "DestinationDeliveryFailures",
    "RecursiveInvocationsDropped",
]
_COUNTERS = ("AsyncEventsReceived", "AsyncEventsDropped", "DestinationDeliveryFailures", "RecursiveInvocationsDropped")


def period_seconds(period: str) -> int:
    """A pandas frequency (``"10s"``, ``"1min"``, ``"1h"``) as whole seconds; ValueError otherwise."""
    import pandas as pd

    offset = pd.tseries.frequencies.to_offset(period)
    try:
        seconds = pd.Timedelta(offset).total_seconds()
    except (TypeError, ValueError):
        raise ValueError(f"period {period!r} is not a fixed length of time such as 10s, 1min or 1h") from None
    if seconds < 1 or seconds != int(seconds):
        raise ValueError(f"period {period!r}: metrics are kept per second; use a whole number of seconds (1s or more)")
    return int(seconds)


def metrics_frame(
    store: Any, *, name: str | None = None, period: str = "1min", iterator_ages: Iterable[tuple[float, str, float]] = ()
) -> pd.DataFrame:
    """One row per period (index: the period's start, UTC), one column per metric.

    ``store`` is the account's ``MetricStore``.  Durations are in milliseconds;
    AsyncEventAge is the oldest age (ms) an event had when an attempt started, and
    IteratorAge the oldest record age (ms) a stream batch had when it was read, as
    CloudWatch's Maximum statistic reports them.  ``iterator_ages`` are
    ``(account time, function, ms)`` from the stream pollers.
    """
    import pandas as pd

    from ..runtime.metric_store import Statistic
    from .logframe import WideFrame

    step = period_seconds(period)
    seconds = store.seconds(name)
    changes = store.concurrency(name)
    ages = [a for a in iterator_ages if name is None or a[1] == name]
    starts = [s.second for s in seconds] + [c[0] for c in changes] + [math.floor(a[0]) for a in ages]
    if not starts:
        return WideFrame(columns=METRIC_COLUMNS, index=pd.DatetimeIndex([], tz="UTC", name="period"))
    first, last = min(starts) // step * step, max(starts) // step * step
    periods = range(first, last + step, step)
    rows = {p: dict.fromkeys(METRIC_COLUMNS, 0.0) for p in periods}
    durations = {p: Statistic() for p in periods}
    approximate = False
    for stats in seconds:
        row = rows[stats.second // step * step]
        row["Invocations"] += stats.invocations
        row["Errors"] += stats.errors
        row["Throttles"] += stats.throttles
        for metric in _COUNTERS:
            row[metric] += stats.counters.get(metric, 0)
        if stats.async_age_max is not None:
            row["AsyncEventAge"] = max(row["AsyncEventAge"] or 0.0, stats.async_age_max)
            row["_age"] = True
        durations[stats.second // step * step].merge(stats.duration)
    for p, row in rows.items():
        stat = durations[p]
        approximate = approximate or (stat.count > 0 and not stat.exact and stat.minimum != stat.maximum)
        row["DurationAvg"] = stat.average
        row["DurationP50"], row["DurationP90"], row["DurationP99"] = (stat.percentile(q) for q in (0.5, 0.9, 0.99))
        if not row.pop("_age", False):
            row["AsyncEventAge"] = math.nan
        row["IteratorAge"] = math.nan
    for when, _, age_ms in ages:
        row = rows[math.floor(when) // step * step]
        row["IteratorAge"] = age_ms if math.isnan(row["IteratorAge"]) else max(row["IteratorAge"], age_ms)
    _concurrency(rows, changes, step)
    frame = WideFrame.from_dict(rows, orient="index", columns=METRIC_COLUMNS)  # scrolls inside the output
    frame.index = pd.DatetimeIndex(pd.to_datetime(list(periods), unit="s", utc=True), name="period")
    frame[_COUNTS] = frame[_COUNTS].astype("int64")
    frame.attrs["approximate_percentiles"] = approximate
    return frame


def _concurrency(rows: dict[int, dict], changes: list[tuple[int, int, int]], step: int) -> None:
    """ConcurrentExecutions: the most invocations in flight at once within each period,
    counting those still running from an earlier period."""
    level = 0  # in flight when the current period began
    index = 0
    for start, row in rows.items():
        peak = level
        while index < len(changes) and changes[index][0] < start + step:
            _, changed_peak, level = changes[index]
            peak = max(peak, changed_peak)
            index += 1
        row["ConcurrentExecutions"] = peak
