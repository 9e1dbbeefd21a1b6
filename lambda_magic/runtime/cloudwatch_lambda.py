"""The AWS/Lambda namespace of the local cloud's CloudWatch, answered from the account's metrics.

Lambda publishes its metrics to CloudWatch; here the local cloud's server asks the
account instead (:mod:`.cloudwatch_moto` calls :meth:`LambdaMetrics.answer` through
the cloud hooks), so ``get_metric_data`` / ``get_metric_statistics`` / ``list_metrics``
read the same exact aggregates as ``lm.metrics()``, with no copy that could drift.

Dimension sets, as Lambda publishes them:

* ``[]`` (the whole Region): Invocations, Errors, Throttles, Duration, ConcurrentExecutions;
* ``[FunctionName]``: all of them, the asynchronous counters, AsyncEventAge and IteratorAge
  (the stream pollers' ages after each batch) too;
* ``[FunctionName, Resource]`` (``Resource`` = ``name:version`` or ``name:alias``, for an
  invoke that named a qualifier) and ``[FunctionName, Resource, ExecutedVersion]`` (an
  alias's invoke: the version it ran): Invocations, Errors, Throttles, Duration.

Invocations and Errors are binary indicators, one sample per invocation (Errors 0 or 1,
so its Average is the error rate); Throttles one sample of 1 per throttle; the counters
one sample of 1 per event.  Every datapoint is stamped with the invocation's start time
on the account clock.
"""

from __future__ import annotations

import math
import threading
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from .metric_store import COUNTERS, MetricStore, SecondStats, Statistic

if TYPE_CHECKING:
    from .account import LocalAccount
    from .invocation import Invocation

#: The hook module (loaded into the cloud's server) that answers CloudWatch's API.
HOOK = "lambda_magic.runtime.cloudwatch_moto"
NAMESPACE = "AWS/Lambda"
#: Metrics per dimension set (by the dimension names, sorted).
QUALIFIED = ("Invocations", "Errors", "Throttles", "Duration")
ACCOUNT_WIDE = (*QUALIFIED, "ConcurrentExecutions")
PER_FUNCTION = (*ACCOUNT_WIDE, "AsyncEventAge", "IteratorAge", *COUNTERS)
UNITS = {"Duration": "Milliseconds", "AsyncEventAge": "Milliseconds", "IteratorAge": "Milliseconds"}
#: The account extension whose stream pollers keep ``iterator_ages`` (the sources layer's).
MAPPINGS_EXTENSION = "event_source_mappings"
_SEP = "\t"


def _resource_key(function: str, resource: str, executed: str | None = None) -> str:
    return _SEP.join((function, resource) if executed is None else (function, resource, executed))


class LambdaMetrics:
    """The account's AWS/Lambda metrics as CloudWatch serves them (thread-safe).

    ``answer(payload, signer)`` is the cloud hook's handler: ``op`` is ``now`` (the account
    clock), ``lambda.list`` (every series with data), ``lambda.data`` (one series' rows per
    period) or ``alarms.changed`` (the alarm evaluator follows the alarms moto holds).
    """

    def __init__(self, account: LocalAccount):
        self._account = account
        #: Per-resource aggregates, keyed ``function\\tresource[\\texecuted version]``.
        self._qualified = MetricStore(account.clock.time)
        self._lock = threading.Lock()

    def record(self, invocation: Invocation) -> None:
        """Count an invocation that named a qualifier in its ``Resource`` series."""
        qualifier = invocation.qualifier
        if qualifier is None:
            return
        resource = f"{invocation.function_name}:{qualifier}"
        keys = [_resource_key(invocation.function_name, resource)]
        if qualifier != "$LATEST" and not qualifier.isdigit():  # an alias: the version it ran too
            keys.append(_resource_key(invocation.function_name, resource, invocation.version))
        for key in keys:
            self._qualified.record(key, invocation.start, invocation.status, invocation.duration_ms)

    def clear(self) -> None:
        self._qualified.clear()

    # --- the hook -------------------------------------------------------------------------------

    def answer(self, payload: dict[str, Any], signer: str | None) -> Any:
        op = payload.get("op")
        if op == "now":
            return self._account.clock.time()
        if op == "lambda.list":
            return self.series()
        if op == "lambda.data":
            return self.rows(
                payload["metric"],
                {d["Name"]: d["Value"] for d in payload.get("dimensions") or []},
                payload["start"],
                payload["end"],
                payload["period"],
                payload.get("percentiles") or [],
            )
        if op == "alarms.changed":
            from .cloudwatch_alarms import AlarmEvaluator

            AlarmEvaluator.of(self._account).changed()
            return None
        raise ValueError(f"unknown CloudWatch hook operation {op!r}")

    # --- reading --------------------------------------------------------------------------------

    def series(self) -> list[dict[str, Any]]:
        """``{"MetricName", "Dimensions"}`` of every series that has data."""
        store = self._account.metrics
        found: list[dict[str, Any]] = []
        names = store.names()

        def add(metric: str, dims: list[tuple[str, str]]) -> None:
            found.append({"MetricName": metric, "Dimensions": [{"Name": n, "Value": v} for n, v in dims]})

        for name in names:
            totals = store.totals(name)
            seconds = store.seconds(name)
            for metric in PER_FUNCTION:
                if _has(metric, totals, seconds) or (metric == "ConcurrentExecutions" and store.concurrency(name)):
                    add(metric, [("FunctionName", name)])
        for name in sorted({function for _, function, _ in self.iterator_ages()}):
            add("IteratorAge", [("FunctionName", name)])
        totals = store.totals(None)
        seconds = store.seconds(None)
        for metric in ACCOUNT_WIDE:
            if _has(metric, totals, seconds) or (metric == "ConcurrentExecutions" and store.concurrency(None)):
                add(metric, [])
        for key in self._qualified.names():
            parts = key.split(_SEP)
            dims = [("FunctionName", parts[0]), ("Resource", parts[1])]
            if len(parts) == 3:
                dims.append(("ExecutedVersion", parts[2]))
            totals, seconds = self._qualified.totals(key), self._qualified.seconds(key)
            for metric in QUALIFIED:
                if _has(metric, totals, seconds):
                    add(metric, dims)
        return found

    def rows(
        self, metric: str, dims: dict[str, str], start: float, end: float, period: int, percentiles: list[str]
    ) -> list[list[Any]]:
        """``[period start, SampleCount, Sum, Minimum, Maximum, {pNN: value}, unit]`` for each
        period in [start, end) with data, of the series named exactly by ``dims``."""
        store, key = self._store_for(metric, dims)
        if store is None:
            return []
        if metric == "ConcurrentExecutions":
            return _concurrency_rows(store.concurrency(key), start, end, period)
        if metric == "IteratorAge":
            return _age_rows(
                [(t, ms) for t, f, ms in self.iterator_ages() if f == key], start, end, period, percentiles
            )
        grouped: dict[int, list[SecondStats]] = {}
        for second in store.seconds(key):
            if start <= second.second < end:
                grouped.setdefault(int(second.second // period * period), []).append(second)
        rows: list[list[Any]] = []
        for begin, seconds in sorted(grouped.items()):
            row = _row(metric, seconds, percentiles)
            if row is not None:
                rows.append([begin, *row, UNITS.get(metric, "Count")])
        return rows

    def iterator_ages(self) -> list[tuple[float, str, float]]:
        """``(account time, function, IteratorAge ms)`` of every stream batch read (the pollers keep them)."""
        if MAPPINGS_EXTENSION not in self._account.extensions():
            return []
        mappings = self._account.extension(MAPPINGS_EXTENSION, lambda: None)
        ages: list[tuple[float, str, float]] = []
        for poller in getattr(mappings, "pollers", list)():
            function = poller.mapping.function_name
            ages.extend((t, function, ms) for t, _, ms in list(getattr(poller, "iterator_ages", ())))
        return ages

    def _store_for(self, metric: str, dims: dict[str, str]) -> tuple[MetricStore | None, str | None]:
        names = sorted(dims)
        if names == []:
            return (self._account.metrics, None) if metric in ACCOUNT_WIDE else (None, None)
        if names == ["FunctionName"]:
            return (self._account.metrics, dims["FunctionName"]) if metric in PER_FUNCTION else (None, None)
        if metric not in QUALIFIED:
            return None, None
        if names == ["FunctionName", "Resource"]:
            return self._qualified, _resource_key(dims["FunctionName"], dims["Resource"])
        if names == ["ExecutedVersion", "FunctionName", "Resource"]:
            return self._qualified, _resource_key(dims["FunctionName"], dims["Resource"], dims["ExecutedVersion"])
        return None, None


def _has(metric: str, totals: dict[str, int], seconds: list[SecondStats]) -> bool:
    if metric in totals:
        return totals[metric] > 0 or (metric == "Errors" and totals["Invocations"] > 0)
    if metric == "Duration":
        return any(s.duration.count for s in seconds)
    if metric == "AsyncEventAge":
        return any(s.async_age_max is not None for s in seconds)
    return False


def _row(metric: str, seconds: list[SecondStats], percentiles: list[str]) -> tuple[Any, ...] | None:
    """``(SampleCount, Sum, Minimum, Maximum, percentiles)`` of one period, None without data."""
    if metric == "Duration":
        stat = Statistic()
        for second in seconds:
            stat.merge(second.duration)
        if not stat.count:
            return None
        values = {p: stat.percentile(float(p[1:]) / 100) for p in percentiles}
        return stat.count, stat.sum, stat.minimum, stat.maximum, values
    if metric == "AsyncEventAge":
        ages = [s.async_age_max for s in seconds if s.async_age_max is not None]
        if not ages:
            return None
        return len(ages), sum(ages), min(ages), max(ages), {p: _sorted_percentile(ages, p) for p in percentiles}
    if metric == "Errors":
        count = sum(s.invocations for s in seconds)
        errors = sum(s.errors for s in seconds)
        if not count:
            return None
        low, high = (0.0 if errors < count else 1.0), (1.0 if errors else 0.0)
        ordered = sorted([0.0] * (count - errors) + [1.0] * errors) if percentiles else []
        return count, float(errors), low, high, {p: _sorted_percentile(ordered, p) for p in percentiles}
    if metric == "Invocations":
        count = sum(s.invocations for s in seconds)
    elif metric == "Throttles":
        count = sum(s.throttles for s in seconds)
    else:
        count = sum(s.counters.get(metric, 0) for s in seconds)
    if not count:
        return None
    return count, float(count), 1.0, 1.0, dict.fromkeys(percentiles, 1.0)


def _age_rows(
    ages: list[tuple[float, float]], start: float, end: float, period: int, percentiles: list[str]
) -> list[list[Any]]:
    grouped: dict[int, list[float]] = {}
    for when, ms in ages:
        if start <= when < end:
            grouped.setdefault(int(when // period * period), []).append(ms)
    return [
        [begin, len(v), sum(v), min(v), max(v), {p: _sorted_percentile(v, p) for p in percentiles}, "Milliseconds"]
        for begin, v in sorted(grouped.items())
    ]


def _sorted_percentile(values: list[float], name: str) -> float:
    ordered = sorted(values)
    position = (len(ordered) - 1) * float(name[1:]) / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


def _concurrency_rows(changes: list[tuple[int, int, int]], start: float, end: float, period: int) -> list[list[Any]]:
    """ConcurrentExecutions per period: the peak in flight (counting what ran on from before),
    for the periods from the first change on."""
    if not changes:
        return []
    rows: list[list[Any]] = []
    level, index = 0, 0
    begin = int(changes[0][0] // period * period)
    while begin < end and (index < len(changes) or level > 0):
        peak, changed = level, False
        while index < len(changes) and changes[index][0] < begin + period:
            _, changed_peak, level = changes[index]
            peak, changed = max(peak, changed_peak), True
            index += 1
        if begin >= start and (peak or changed):
            rows.append([begin, 1, float(peak), float(peak), float(peak), {}, "Count"])
        begin += period
    return rows


def iso(epoch_s: float) -> str:
    """CloudWatch's timestamp text in alarm messages (``2026-12-02T20:40:00.000+0000``)."""
    moment = datetime.fromtimestamp(epoch_s, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"
