"""AWS/Lambda metrics, kept as CloudWatch keeps them: aggregates per function per second.

Every invocation, throttle and asynchronous event updates its function's bucket for
the second it happened in (CloudWatch's high resolution; any period of whole seconds
is built from them).  A bucket holds CloudWatch's statistic set for each metric
(SampleCount, Sum, Minimum, Maximum), so counts and sums stay exact however many
invocation records retention has dropped.  As in CloudWatch, per-second data older
than three hours (account time) is rolled up into one bucket per minute, so the
store grows with the minutes of activity, not with the number of invocations.

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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

#: Durations kept exactly per bucket before the histogram takes over.
EXACT_SAMPLES = 256
#: Width of a histogram bin: values in [GROWTH**i, GROWTH**(i+1)) share bin i.
GROWTH = 1.01
_LOG_GROWTH = math.log(GROWTH)
#: Per-second buckets older than this (account seconds) are merged into per-minute ones.
ROLLUP_AFTER_S = 3 * 3600
B = TypeVar("B")
_RAN = frozenset(("success", "error", "timeout"))
#: The counters ``count`` accepts (AWS's metric names).
COUNTERS = (
    "AsyncEventsReceived",
    "AsyncEventsDropped",
    "DestinationDeliveryFailures",
    "DeadLetterErrors",
    "RecursiveInvocationsDropped",
)


class Histogram:
    """Counts of positive values in log-scale bins 1% wide, held in one array of the
    bins between the lowest and the highest used (zeros are counted apart)."""

    __slots__ = ("counts", "offset", "zeros")

    def __init__(self, values: Iterable[float] = ()) -> None:
        self.zeros = 0
        self.offset = 0
        self.counts = array("I")
        for value in values:
            self.add(value)

    def add(self, value: float) -> None:
        if value <= 0:
            self.zeros += 1
        else:
            self.add_bin(math.floor(math.log(value) / _LOG_GROWTH), 1)

    def add_bin(self, index: int, count: int) -> None:
        counts = self.counts
        position = index - self.offset
        if 0 <= position < len(counts):
            counts[position] += count
            return
        if not counts:
            self.offset = index
            counts.append(0)
        elif index < self.offset:
            self.counts = counts = array("I", bytes(4 * (self.offset - index))) + counts
            self.offset = index
        elif index >= self.offset + len(counts):
            counts.extend(array("I", bytes(4 * (index - self.offset - len(counts) + 1))))
        counts[index - self.offset] += count

    def merge(self, other: Histogram) -> None:
        self.zeros += other.zeros
        for index, count in other.bins():
            self.add_bin(index, count)

    def bins(self) -> Iterator[tuple[int, int]]:
        """``(bin, count)`` of the positive values, lowest first."""
        return ((self.offset + i, count) for i, count in enumerate(self.counts) if count)

    def quantile(self, q: float, count: int) -> float:
        """The value at rank ``q * (count - 1)``: the middle of its bin (0 for zeros)."""
        rank = q * (count - 1)
        seen = self.zeros
        if seen > rank:
            return 0.0
        for index, n in self.bins():
            seen += n
            if seen > rank:
                return GROWTH ** (index + 0.5)
        return math.inf


class _Bucket:
    """One function's aggregates for one second (or, once rolled up, one minute)."""

    __slots__ = (
        "async_age_max",
        "counters",
        "duration_count",
        "duration_max",
        "duration_min",
        "duration_sum",
        "durations",
        "errors",
        "histogram",
        "invocations",
        "throttles",
    )

    def __init__(self) -> None:
        self.invocations = 0
        self.errors = 0
        self.throttles = 0
        self.duration_count = 0
        self.duration_sum = 0.0
        self.duration_min = math.inf
        self.duration_max = -math.inf
        #: The raw durations while there are at most EXACT_SAMPLES, else None (see ``histogram``).
        self.durations: array | None = array("d")
        self.histogram: Histogram | None = None
        self.async_age_max: float | None = None
        self.counters: dict[str, int] | None = None

    def add_duration(self, ms: float) -> None:
        self.duration_count += 1
        self.duration_sum += ms
        if ms < self.duration_min:
            self.duration_min = ms
        if ms > self.duration_max:
            self.duration_max = ms
        if self.durations is None:
            assert self.histogram is not None
            self.histogram.add(ms)
            return
        self.durations.append(ms)
        if len(self.durations) > EXACT_SAMPLES:
            self.histogram, self.durations = Histogram(self.durations), None

    def absorb(self, other: _Bucket) -> None:
        """Add another bucket's aggregates to this one (a roll-up)."""
        self.invocations += other.invocations
        self.errors += other.errors
        self.throttles += other.throttles
        self.duration_count += other.duration_count
        self.duration_sum += other.duration_sum
        self.duration_min = min(self.duration_min, other.duration_min)
        self.duration_max = max(self.duration_max, other.duration_max)
        if (
            self.durations is not None
            and other.durations is not None
            and len(self.durations) + len(other.durations) <= EXACT_SAMPLES
        ):
            self.durations.extend(other.durations)
        else:
            if self.histogram is None:
                self.histogram, self.durations = Histogram(self.durations or ()), None
            if other.histogram is not None:
                self.histogram.merge(other.histogram)
            for value in other.durations or ():
                self.histogram.add(value)
        if other.async_age_max is not None:
            self.async_age_max = max(self.async_age_max or other.async_age_max, other.async_age_max)
        for metric, value in (other.counters or {}).items():
            self.counters = self.counters or {}
            self.counters[metric] = self.counters.get(metric, 0) + value


class Statistic:
    """CloudWatch's statistics of Duration over some buckets: SampleCount, Sum, Minimum,
    Maximum, Average and percentiles."""

    def __init__(self) -> None:
        self.count = 0
        self.sum = 0.0
        self.minimum = math.inf
        self.maximum = -math.inf
        self._exact: list[float] | None = []
        self._histogram = Histogram()

    @property
    def exact(self) -> bool:
        """Whether percentiles come from every raw value (else from the 1% histogram)."""
        return self._exact is not None

    def add(self, bucket: _Bucket) -> None:
        self.count += bucket.duration_count
        self.sum += bucket.duration_sum
        self.minimum = min(self.minimum, bucket.duration_min)
        self.maximum = max(self.maximum, bucket.duration_max)
        if self._exact is not None and bucket.durations is not None:
            self._exact.extend(bucket.durations)
            return
        if self._exact is not None:
            self._histogram, self._exact = Histogram(self._exact), None
        if bucket.histogram is not None:
            self._histogram.merge(bucket.histogram)
        for value in bucket.durations or ():
            self._histogram.add(value)

    def merge(self, other: Statistic) -> None:
        """Add another statistic's values (e.g. the seconds of a longer period)."""
        self.count += other.count
        self.sum += other.sum
        self.minimum = min(self.minimum, other.minimum)
        self.maximum = max(self.maximum, other.maximum)
        if self._exact is not None and other._exact is not None:
            self._exact.extend(other._exact)
            return
        if self._exact is not None:
            self._histogram, self._exact = Histogram(self._exact), None
        if other._exact is not None:
            for value in other._exact:
                self._histogram.add(value)
        else:
            self._histogram.merge(other._histogram)

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
        if self._exact is None:
            return min(max(self._histogram.quantile(q, self.count), self.minimum), self.maximum)
        values = sorted(self._exact)
        position = (len(values) - 1) * q
        low = math.floor(position)
        high = min(low + 1, len(values) - 1)
        return values[low] + (position - low) * (values[high] - values[low])


@dataclass(frozen=True)
class SecondStats:
    """A read-only summary of one bucket's aggregates (of one function, or summed over all).

    ``second`` is the bucket's start (epoch seconds); a rolled-up bucket covers a minute.
    """

    second: int
    invocations: int
    errors: int
    throttles: int
    duration: Statistic
    async_age_max: float | None
    counters: dict[str, int]


class _Series(Generic[B]):
    """One function's buckets: per second, and per minute once older than ROLLUP_AFTER_S
    (``merge(minute, second)`` folds a second's bucket into its minute's)."""

    __slots__ = ("_merge", "_new", "minutes", "rolled_until", "seconds")

    def __init__(self, new: Callable[[], B], merge: Callable[[B, B], None]) -> None:
        self.seconds: dict[int, B] = {}
        self.minutes: dict[int, B] = {}
        #: Seconds before this are kept per minute.
        self.rolled_until = -(2**62)
        self._new = new
        self._merge = merge

    def get(self, second: int) -> tuple[B, bool]:
        """The bucket for ``second`` and whether it was just made."""
        bucket = self.seconds.get(second)
        if bucket is not None:
            return bucket, False
        if second < self.rolled_until:
            start = second - second % 60
            bucket = self.minutes.get(start)
            if bucket is None:
                bucket = self.minutes[start] = self._new()
                return bucket, True
            return bucket, False
        bucket = self.seconds[second] = self._new()
        self._roll_up(second - ROLLUP_AFTER_S)
        return bucket, True

    def _roll_up(self, before: int) -> None:
        """Fold the per-second buckets of the minutes that ended before ``before`` into minutes."""
        cutoff = before - before % 60
        if cutoff <= self.rolled_until:
            return
        for second in sorted(s for s in self.seconds if s < cutoff):
            start = second - second % 60
            bucket = self.seconds.pop(second)
            minute = self.minutes.get(start)
            if minute is None:
                minute = self.minutes[start] = self._new()
            self._merge(minute, bucket)
        self.rolled_until = cutoff

    def items(self) -> list[tuple[int, B]]:
        """``(start second, bucket)`` in time order."""
        return sorted([*self.minutes.items(), *self.seconds.items()], key=lambda item: item[0])

    def __len__(self) -> int:
        return len(self.seconds) + len(self.minutes)


def _new_levels() -> list[int]:
    return [0, 0]


def _merge_levels(minute: list[int], second: list[int]) -> None:
    """A minute's concurrency from its seconds, folded in time order: the highest peak, the last level."""
    minute[0], minute[1] = max(minute[0], second[0]), second[1]


class _Track:
    """Invocations in flight (of one function, or of the account), with the current second's
    ``[peak, level after its last change]`` at hand and every second's in ``series``."""

    __slots__ = ("entry", "level", "second", "series")

    def __init__(self) -> None:
        self.level = 0
        self.second: int | None = None
        self.entry = [0, 0]
        self.series: _Series[list[int]] = _Series(_new_levels, _merge_levels)

    def open(self, second: int) -> None:
        """Make ``second`` the current one (its peak starts at the level in flight then)."""
        entry, new = self.series.get(second)
        if new:
            entry[0] = entry[1] = self.level
        self.second, self.entry = second, entry


class MetricStore:
    """Thread-safe aggregates of every function's metrics (``clock``: account time)."""

    def __init__(self, clock: Callable[[], float]):
        self._clock = clock
        self._lock = threading.Lock()
        self._series: dict[str, _Series[_Bucket]] = {}
        #: Invocations in flight and their peaks per second, per function and for the account.
        self._tracks: dict[str, _Track] = {}
        self._account_track = _Track()

    def _bucket(self, function: str, when: float) -> _Bucket:
        series = self._series.get(function)
        if series is None:
            series = self._series[function] = _Series(_Bucket, _Bucket.absorb)
        second = math.floor(when)
        return series.seconds.get(second) or series.get(second)[0]

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
            own = self._tracks.get(function)
            if own is None:
                own = self._tracks[function] = _Track()
            for track in (own, self._account_track):
                level = track.level + delta
                if level < 0:
                    level = 0  # (a leave after a reset stays at 0)
                if track.second != second:
                    track.open(second)
                track.level = level
                entry = track.entry
                if level > entry[0]:
                    entry[0] = level
                entry[1] = level

    # --- reading ---------------------------------------------------------------------------------

    def seconds(self, function: str | None = None) -> list[SecondStats]:
        """Aggregates per bucket, in time order: of ``function``, or summed over every function."""
        with self._lock:
            names = [function] if function is not None else list(self._series)
            merged: dict[int, list] = {}
            for name in names:
                series = self._series.get(name)
                for second, bucket in series.items() if series is not None else ():
                    entry = merged.setdefault(second, [0, 0, 0, Statistic(), None, {}])
                    entry[0] += bucket.invocations
                    entry[1] += bucket.errors
                    entry[2] += bucket.throttles
                    entry[3].add(bucket)
                    if bucket.async_age_max is not None:
                        entry[4] = bucket.async_age_max if entry[4] is None else max(entry[4], bucket.async_age_max)
                    for metric, value in (bucket.counters or {}).items():
                        entry[5][metric] = entry[5].get(metric, 0) + value
        return [SecondStats(second, *entry) for second, entry in sorted(merged.items())]

    def concurrency(self, function: str | None = None) -> list[tuple[int, int, int]]:
        """``(second, peak in flight, in flight at the second's end)`` for every second
        the level changed, of ``function`` or of the whole account."""
        with self._lock:
            track = self._account_track if function is None else self._tracks.get(function)
            items = track.series.items() if track is not None else []
            return [(second, peak, after) for second, (peak, after) in items]

    def names(self) -> list[str]:
        """The functions that have buckets."""
        with self._lock:
            return list(self._series)

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
            self._series.clear()
            self._tracks.clear()
            self._account_track = _Track()

    def __len__(self) -> int:
        """How many buckets are held (what the store's memory grows with)."""
        with self._lock:
            tracks = [*self._tracks.values(), self._account_track]
            return sum(map(len, self._series.values())) + sum(len(track.series) for track in tracks)
