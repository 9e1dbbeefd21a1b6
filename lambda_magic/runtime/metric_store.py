"""AWS/Lambda metrics, kept as CloudWatch keeps them: aggregates per function per second.

Every invocation, throttle and asynchronous event updates its function's bucket for
the second it happened in (CloudWatch's high resolution; any period of whole seconds
is built from them).  A bucket holds CloudWatch's statistic set for each metric
(SampleCount, Sum, Minimum, Maximum), so counts and sums stay exact however many
invocation records retention has dropped.

Percentiles need the raw values, as in CloudWatch.  A bucket keeps the exact
durations of its first ``EXACT_SAMPLES`` invocations; beyond that it folds them into
a log-scale histogram whose bins are 1% wide, so a percentile over a busy period is
then within about 0.5% of the true value (``Statistic.exact`` says which).

ConcurrentExecutions is the peak number of invocations in flight, counted as they
enter and leave (``enter``/``leave``), per function and for the whole account.
"""

from __future__ import annotations

import math
import threading
from array import array
from dataclasses import dataclass
from typing import Callable, Iterable

#: Durations kept exactly per function per second before the histogram takes over.
EXACT_SAMPLES = 256
#: Width of a histogram bin: values in [GROWTH**i, GROWTH**(i+1)) share bin i.
GROWTH = 1.01
_LOG_GROWTH = math.log(GROWTH)
_RAN = frozenset(("success", "error", "timeout"))
#: The per-second counters ``count`` accepts (AWS's metric names).
COUNTERS = ("AsyncEventsReceived", "AsyncEventsDropped", "DestinationDeliveryFailures", "DeadLetterErrors")


class _Second:
    """One function's aggregates for one second."""

    __slots__ = ("invocations", "errors", "throttles", "duration_count", "duration_sum", "duration_min", "duration_max", "durations",
                 "histogram", "async_age_max", "counters")

    def __init__(self) -> None:
        self.invocations = 0
        self.errors = 0
        self.throttles = 0
        self.duration_count = 0
        self.duration_sum = 0.0
        self.duration_min = math.inf
        self.duration_max = -math.inf
        self.durations: array | None = array("d")
        self.histogram: dict[int, int] | None = None
        self.async_age_max: float | None = None
        self.counters: dict[str, int] | None = None

    def add_duration(self, ms: float) -> None:
        self.duration_count += 1
        self.duration_sum += ms
        if ms < self.duration_min:
            self.duration_min = ms
        if ms > self.duration_max:
            self.duration_max = ms
        if self.durations is not None:
            self.durations.append(ms)
            if len(self.durations) <= EXACT_SAMPLES:
                return
            self.histogram = _histogram(self.durations)
            self.durations = None
            return
        assert self.histogram is not None
        index = _bin(ms)
        self.histogram[index] = self.histogram.get(index, 0) + 1


@dataclass(frozen=True)
class SecondStats:
    """A read-only copy of one second's aggregates (of one function, or summed over all)."""

    second: int
    invocations: int
    errors: int
    throttles: int
    duration: "Statistic"
    async_age_max: float | None
    counters: dict[str, int]


class Statistic:
    """CloudWatch's statistics of one metric over some buckets: SampleCount, Sum,
    Minimum, Maximum, Average and percentiles."""

    def __init__(self) -> None:
        self.count = 0
        self.sum = 0.0
        self.minimum = math.inf
        self.maximum = -math.inf
        self._exact: list[float] | None = []
        self._histogram: dict[int, int] = {}

    @property
    def exact(self) -> bool:
        """Whether percentiles come from every raw value (else from the 1% histogram)."""
        return self._exact is not None

    def merge(self, other: "Statistic") -> None:
        self.count += other.count
        self.sum += other.sum
        self.minimum = min(self.minimum, other.minimum)
        self.maximum = max(self.maximum, other.maximum)
        if self._exact is not None and other._exact is not None:
            self._exact.extend(other._exact)
        else:
            self._fold()
            for index, count in other._hist().items():
                self._histogram[index] = self._histogram.get(index, 0) + count

    def _hist(self) -> dict[int, int]:
        return self._histogram if self._exact is None else _histogram(self._exact)

    def _fold(self) -> None:
        if self._exact is not None:
            self._histogram = _histogram(self._exact)
            self._exact = None

    @property
    def average(self) -> float:
        return self.sum / self.count if self.count else math.nan

    def percentile(self, q: float) -> float:
        """The ``q`` quantile (0..1): linear interpolation between the raw values when
        they are all kept (as pandas and numpy compute it), else the histogram's
        estimate, clamped to [Minimum, Maximum]."""
        if not self.count:
            return math.nan
        if self.minimum == self.maximum:
            return self.minimum  # exact, as CloudWatch allows for a statistic set with Min == Max
        if self._exact is not None:
            values = sorted(self._exact)
            position = (len(values) - 1) * q
            low = math.floor(position)
            high = min(low + 1, len(values) - 1)
            return values[low] + (position - low) * (values[high] - values[low])
        rank = q * (self.count - 1)
        seen = 0
        for index in sorted(self._histogram):
            seen += self._histogram[index]
            if seen > rank:
                return min(max(_value(index), self.minimum), self.maximum)
        return self.maximum

    @classmethod
    def of(cls, second: _Second) -> "Statistic":
        stat = cls()
        stat.count = second.duration_count
        stat.sum, stat.minimum, stat.maximum = second.duration_sum, second.duration_min, second.duration_max
        if second.durations is not None:
            stat._exact = list(second.durations)
        else:
            stat._exact = None
            stat._histogram = dict(second.histogram or {})
        return stat


class MetricStore:
    """Thread-safe per-second aggregates of every function's metrics (``clock``: account time)."""

    def __init__(self, clock: Callable[[], float]):
        self._clock = clock
        self._lock = threading.Lock()
        self._seconds: dict[str, dict[int, _Second]] = {}
        #: function (None: the account) -> second -> [peak in flight, in flight after the second's last change]
        self._concurrency: dict[str | None, dict[int, list[int]]] = {}
        self._in_flight: dict[str | None, int] = {}

    def _bucket(self, function: str, when: float) -> _Second:
        seconds = self._seconds.get(function)
        if seconds is None:
            seconds = self._seconds[function] = {}
        key = math.floor(when)
        bucket = seconds.get(key)
        if bucket is None:
            bucket = seconds[key] = _Second()
        return bucket

    # --- what happened ---------------------------------------------------------------------------

    def record(self, function: str, start: float, status: str, duration_ms: float | None) -> None:
        """One invocation that ran (Invocations, Errors, Duration) or was throttled,
        stamped with its start time as AWS stamps it."""
        with self._lock:
            bucket = self._bucket(function, start)
            if status == "throttled":
                bucket.throttles += 1
            elif status in _RAN:
                bucket.invocations += 1
                if status != "success":
                    bucket.errors += 1
                if duration_ms is not None:
                    bucket.add_duration(duration_ms)

    def count(self, function: str, metric: str, when: float | None = None) -> None:
        """Add one to a counter metric (one of ``COUNTERS``) of ``function``."""
        with self._lock:
            bucket = self._bucket(function, self._clock() if when is None else when)
            if bucket.counters is None:
                bucket.counters = {}
            bucket.counters[metric] = bucket.counters.get(metric, 0) + 1

    def observe_age(self, function: str, when: float, age_ms: float) -> None:
        """AsyncEventAge of an attempt that started at ``when`` (the Maximum is kept)."""
        with self._lock:
            bucket = self._bucket(function, when)
            if bucket.async_age_max is None or age_ms > bucket.async_age_max:
                bucket.async_age_max = age_ms

    def enter(self, function: str) -> None:
        """An invocation of ``function`` is now in flight."""
        self._step(function, 1)

    def leave(self, function: str) -> None:
        """An invocation of ``function`` is no longer in flight."""
        self._step(function, -1)

    def _step(self, function: str, delta: int) -> None:
        with self._lock:
            second = math.floor(self._clock())
            for key in (function, None):
                level = max(self._in_flight.get(key, 0) + delta, 0)  # (a leave after a reset stays at 0)
                self._in_flight[key] = level
                series = self._concurrency.setdefault(key, {})
                entry = series.get(second)
                if entry is None:
                    series[second] = [level, level]  # (a drop within a second keeps the level it entered with)
                    if delta < 0:
                        series[second][0] = level - delta
                else:
                    entry[0] = max(entry[0], level)
                    entry[1] = level

    # --- reading ---------------------------------------------------------------------------------

    def seconds(self, function: str | None = None) -> list[SecondStats]:
        """Aggregates per second, in time order: of ``function``, or summed over every function."""
        with self._lock:
            names = [function] if function is not None else list(self._seconds)
            per_name = [(name, dict(self._seconds.get(name, {}))) for name in names]
            merged: dict[int, list] = {}
            for _, seconds in per_name:
                for second, bucket in seconds.items():
                    entry = merged.setdefault(second, [0, 0, 0, Statistic(), None, {}])
                    entry[0] += bucket.invocations
                    entry[1] += bucket.errors
                    entry[2] += bucket.throttles
                    entry[3].merge(Statistic.of(bucket))
                    if bucket.async_age_max is not None:
                        entry[4] = bucket.async_age_max if entry[4] is None else max(entry[4], bucket.async_age_max)
                    for metric, value in (bucket.counters or {}).items():
                        entry[5][metric] = entry[5].get(metric, 0) + value
        return [SecondStats(second, *entry) for second, entry in sorted(merged.items())]

    def concurrency(self, function: str | None = None) -> list[tuple[int, int, int]]:
        """``(second, peak in flight, in flight at the second's end)`` for every second
        the level changed, of ``function`` or of the whole account."""
        with self._lock:
            series = dict(self._concurrency.get(function, {}))
        return [(second, peak, after) for second, (peak, after) in sorted(series.items())]

    def totals(self, function: str | None = None) -> dict[str, int]:
        """Sums over all time of the count metrics (Invocations, Errors, Throttles and ``COUNTERS``)."""
        totals = dict.fromkeys(("Invocations", "Errors", "Throttles", *COUNTERS), 0)
        for second in self.seconds(function):
            totals["Invocations"] += second.invocations
            totals["Errors"] += second.errors
            totals["Throttles"] += second.throttles
            for metric, value in second.counters.items():
                totals[metric] += value
        return totals

    def clear(self) -> None:
        with self._lock:
            self._seconds.clear()
            self._concurrency.clear()
            self._in_flight.clear()

    def __len__(self) -> int:
        """How many per-function seconds are held (what the store's memory grows with)."""
        with self._lock:
            return sum(len(seconds) for seconds in self._seconds.values())


def _bin(ms: float) -> int:
    return -(10**6) if ms <= 0 else math.floor(math.log(ms) / _LOG_GROWTH)


def _value(index: int) -> float:
    return 0.0 if index == -(10**6) else GROWTH ** (index + 0.5)


def _histogram(values: Iterable[float]) -> dict[int, int]:
    histogram: dict[int, int] = {}
    for value in values:
        index = _bin(value)
        histogram[index] = histogram.get(index, 0) + 1
    return histogram
