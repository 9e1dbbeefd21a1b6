"""CloudWatch's statistics over datapoints, per period, with exact dimension matching.

A *sample* is what one ``PutMetricData`` datum holds: ``(epoch seconds, SampleCount, Sum,
Minimum, Maximum, raw values or None, unit)`` (a single value is a sample of one; a
``StatisticValues`` set has no raw values).  :func:`aggregate` folds samples into one
*row* per period, ``[period start, SampleCount, Sum, Minimum, Maximum, {pNN: value}, unit]``,
the shape the account's AWS/Lambda series come in too, and :func:`statistic` reads one
statistic off a row.

CloudWatch matches a metric by its namespace, name and its *whole* set of dimensions:
a query for ``[FunctionName]`` does not see the datapoints published with
``[FunctionName, Resource]`` (:func:`same_dimensions`).  ``ListMetrics``'s ``Dimensions`` is
a filter instead: every dimension it names (with a value, or any value) must be among the
metric's (:func:`has_dimensions`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
PERCENTILE = re.compile(r"^p(\d{1,2}(\.\d{1,10})?|100(\.0{1,10})?)$")

Sample = tuple[float, float, float, float, float, list[float] | None, str | None]
Row = list[Any]


def dimension_key(dimensions: Iterable[dict[str, Any]]) -> tuple[tuple[str, str], ...]:
    """A dimension set as a sorted tuple of ``(Name, Value)``."""
    return tuple(sorted((str(d["Name"]), str(d.get("Value"))) for d in dimensions))


def same_dimensions(have: Iterable[dict[str, Any]], want: Iterable[dict[str, Any]]) -> bool:
    """Whether two dimension sets are the same set (CloudWatch's metric identity)."""
    return dimension_key(have) == dimension_key(want)


def has_dimensions(have: Iterable[dict[str, Any]], wanted: Iterable[dict[str, Any]]) -> bool:
    """``ListMetrics``'s filter: each wanted dimension (a value, or any when it has none) is present."""
    own = {(str(d["Name"]), str(d.get("Value"))) for d in have}
    names = {name for name, _ in own}
    for want in wanted:
        if want.get("Value") is None:
            if want["Name"] not in names:
                return False
        elif (want["Name"], str(want["Value"])) not in own:
            return False
    return True


def is_percentile(name: str) -> bool:
    return bool(PERCENTILE.match(name))


def quantile(values: list[float], q: float) -> float:
    """Linear interpolation between the sorted values (as numpy's default)."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


def aggregate(samples: Iterable[Sample], start: float, end: float, period: int, percentiles: list[str]) -> list[Row]:
    """Rows per period (aligned to multiples of ``period`` since the epoch) in [start, end)."""
    grouped: dict[int, list[Sample]] = {}
    for sample in samples:
        if start <= sample[0] < end:
            grouped.setdefault(int(sample[0] // period * period), []).append(sample)
    rows: list[Row] = []
    for begin, found in sorted(grouped.items()):
        count = sum(s[1] for s in found)
        total = sum(s[2] for s in found)
        low = min(s[3] for s in found)
        high = max(s[4] for s in found)
        values: dict[str, float] = {}
        raw = [v for s in found for v in (s[5] or ())]
        complete = all(s[5] is not None for s in found)
        for name in percentiles:
            if low == high:
                values[name] = low
            elif complete and raw:
                values[name] = quantile(raw, float(name[1:]) / 100)
        unit = next((s[6] for s in found if s[6]), None)
        rows.append([begin, count, total, low, high, values, unit])
    return rows


def statistic(row: Row, name: str) -> float | None:
    """One statistic (``Sum``, ``Average``, ..., or a percentile ``p99``) of a row."""
    _, count, total, low, high, percentiles, _ = row
    if name == "SampleCount":
        return float(count)
    if name == "Sum":
        return float(total)
    if name == "Average":
        return float(total) / count if count else None
    if name == "Minimum":
        return float(low)
    if name == "Maximum":
        return float(high)
    value = percentiles.get(name)
    return None if value is None else float(value)
