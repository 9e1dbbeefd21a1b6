"""Power tuning: run one event at several memory sizes and choose the best by cost or speed.

What AWS Lambda Power Tuning (a Step Functions state machine) does, through Lambda's own
API, so the same code tunes a function in the notebook's account or on AWS:

1. for each memory size, ``UpdateFunctionConfiguration`` of ``$LATEST`` (MemorySize, and a
   Description naming the size), wait until the update is done, ``PublishVersion``
   (with ``only_cold_starts``: a version per invocation, each forced by its own Description);
2. ``Invoke`` each version ``num`` times (in series, or all at once with ``parallel``),
   with ``LogType=Tail``, and read Duration, Billed Duration and Init Duration from the
   REPORT line (a function error is counted, not fatal);
3. delete the versions and put ``$LATEST``'s memory and description back;
4. statistics per size: the mean of Duration + Init Duration and of Billed Duration after
   dropping ``discard_top_bottom`` of the lowest and highest (the tool's trimmed mean), the
   cost per invocation as the tool computes it (billed ms x the price per ms at that size,
   without the request charge), and the best size for the strategy: ``cost`` (cheapest,
   then faster), ``speed`` (fastest, then cheaper) or ``balanced`` (least
   ``w * cost / max cost + (1 - w) * duration / max duration``).
"""

from __future__ import annotations

import base64
import json
import math
import re
import statistics
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..common.errors import InvalidParameterValueException

DEFAULT_MEMORY = (128, 256, 512, 1024, 1769, 3008)
STRATEGIES = ("cost", "speed", "balanced")
#: The request charge per invocation (us-east-1), reported in the per-million figure only.
REQUEST_USD = 0.20 / 1_000_000

_REPORT = {
    "duration": re.compile(r"\tDuration: (\d+(?:\.\d+)?) ms"),
    "billed": re.compile(r"\tBilled Duration: (\d+) ms"),
    "init": re.compile(r"\tInit Duration: (\d+(?:\.\d+)?) ms"),
}


@dataclass
class SizeStats:
    """One memory size's measurements and statistics."""

    memory_mb: int
    durations_ms: list[float] = field(default_factory=list)
    billed_ms: list[int] = field(default_factory=list)
    errors: int = 0
    #: Calls that got no answer (throttled, refused): their error messages.
    failures: list[str] = field(default_factory=list)
    cold_starts: int = 0
    average_duration_ms: float = 0.0
    average_billed_ms: float = 0.0
    cost_usd: float = 0.0

    def row(self) -> dict[str, Any]:
        ordered = sorted(self.durations_ms)

        def pct(p: float) -> float | None:
            if not ordered:
                return None
            return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]

        return {
            "memory_mb": self.memory_mb,
            "invocations": len(self.durations_ms),
            "average_duration_ms": round(self.average_duration_ms, 3),
            "p50_duration_ms": pct(50),
            "p90_duration_ms": pct(90),
            "p99_duration_ms": pct(99),
            "average_billed_ms": round(self.average_billed_ms, 3),
            "cost_usd": self.cost_usd,
            "cost_per_million_usd": (self.cost_usd + REQUEST_USD) * 1_000_000,
            "errors": self.errors,
            "cold_starts": self.cold_starts,
        }


@dataclass
class PowerTuning:
    """The outcome: statistics per size and the best size for the strategy."""

    function: str
    strategy: str
    balanced_weight: float
    sizes: list[SizeStats]
    best_memory_mb: int | None
    num: int

    def rows(self) -> list[dict[str, Any]]:
        return [size.row() for size in self.sizes]


def trimmed_mean(values: Sequence[float], discard: float) -> float:
    """The mean after dropping ``int(n * discard)`` of the lowest and of the highest values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    drop = int(len(ordered) * discard)
    kept = ordered[drop : len(ordered) - drop] or ordered
    return statistics.fmean(kept)


def price_per_ms(memory_mb: int, gb_second_usd: float) -> float:
    """The duration price of one millisecond at ``memory_mb``."""
    return gb_second_usd * memory_mb / 1024 / 1000


def choose(sizes: Sequence[SizeStats], strategy: str, balanced_weight: float) -> int | None:
    """The best size for ``strategy`` among sizes with a measured duration."""
    measured = [s for s in sizes if s.average_duration_ms > 0]
    if not measured:
        return None
    if strategy == "cost":
        return min(measured, key=lambda s: (s.cost_usd, s.average_duration_ms)).memory_mb
    if strategy == "speed":
        return min(measured, key=lambda s: (s.average_duration_ms, s.cost_usd)).memory_mb
    max_cost = max(s.cost_usd for s in measured) or 1.0
    max_duration = max(s.average_duration_ms for s in measured) or 1.0
    w = balanced_weight
    return min(  # (a tie goes to the faster, as with cost)
        measured,
        key=lambda s: (
            w * s.cost_usd / max_cost + (1 - w) * s.average_duration_ms / max_duration,
            s.average_duration_ms,
        ),
    ).memory_mb


def check_options(memory: Sequence[int], num: int, strategy: str, balanced_weight: float, discard: float) -> None:
    if not memory:
        raise InvalidParameterValueException("power tuning needs at least one memory size")
    for size in memory:
        if not isinstance(size, int) or not 128 <= size <= 10240:
            raise InvalidParameterValueException(f"memory size {size!r} is out of range: Lambda allows 128-10240 MB")
    if num < 5:  # the tool's own rule
        raise InvalidParameterValueException(f"num={num}: power tuning needs at least 5 invocations per memory size")
    if strategy not in STRATEGIES:
        raise InvalidParameterValueException(f"strategy {strategy!r}: choose cost, speed or balanced")
    if not 0 <= balanced_weight <= 1:
        raise InvalidParameterValueException(f"balanced_weight={balanced_weight}: choose a weight from 0 to 1")
    if not 0 <= discard <= 0.4:
        raise InvalidParameterValueException(f"discard_top_bottom={discard}: choose 0 to 0.4")


def power_tune(
    client: Any,
    name: str,
    event: Any,
    *,
    gb_second_usd: float,
    memory: Sequence[int] = DEFAULT_MEMORY,
    num: int = 10,
    strategy: str = "cost",
    balanced_weight: float = 0.5,
    parallel: bool = False,
    discard_top_bottom: float = 0.2,
    only_cold_starts: bool = False,
    progress: Any = None,
) -> PowerTuning:
    """Tune function ``name`` through ``client`` (a boto3 ``lambda`` client); see the module."""
    memory = list(memory)
    check_options(memory, num, strategy, balanced_weight, discard_top_bottom)
    if only_cold_starts:
        discard_top_bottom = 0.0  # as the tool does: every sample is a cold start
    original = client.get_function_configuration(FunctionName=name)
    payload = event if isinstance(event, (bytes, str)) else json.dumps(event)
    sizes: list[SizeStats] = []
    published: list[str] = []
    try:
        for size in memory:
            stats = SizeStats(size)
            versions = [
                _publish(client, name, size, copy if only_cold_starts else None, published)
                for copy in range(num if only_cold_starts else 1)
            ]
            targets = [versions[i % len(versions)] for i in range(num)]
            _invoke_all(client, name, payload, targets, stats, parallel)
            stats.average_duration_ms = trimmed_mean(stats.durations_ms, discard_top_bottom)
            stats.average_billed_ms = trimmed_mean(stats.billed_ms, discard_top_bottom)
            stats.cost_usd = math.ceil(stats.average_billed_ms) * price_per_ms(size, gb_second_usd)
            sizes.append(stats)
            if progress is not None:
                progress(size)
    finally:
        for version in published:
            try:
                client.delete_function(FunctionName=name, Qualifier=version)
            except Exception:
                pass
        client.update_function_configuration(
            FunctionName=name, MemorySize=original["MemorySize"], Description=original.get("Description", "")
        )
        _wait_updated(client, name)
    return PowerTuning(name, strategy, balanced_weight, sizes, choose(sizes, strategy, balanced_weight), num)


def _publish(client: Any, name: str, size: int, copy: int | None, published: list[str]) -> str:
    description = f"power tuning {size} MB" + (f" #{copy}" if copy is not None else "")
    client.update_function_configuration(FunctionName=name, MemorySize=size, Description=description)
    _wait_updated(client, name)
    version = client.publish_version(FunctionName=name, Description=description)["Version"]
    published.append(version)
    return version


def _wait_updated(client: Any, name: str) -> None:
    client.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})


def _invoke_all(client: Any, name: str, payload: Any, targets: list[str], stats: SizeStats, parallel: bool) -> None:
    lock = threading.Lock()

    def one(version: str) -> None:
        try:
            answer = client.invoke(FunctionName=name, Qualifier=version, Payload=payload, LogType="Tail")
        except Exception as exc:
            with lock:
                stats.errors += 1
                stats.failures.append(f"{type(exc).__name__}: {exc}")
            return
        tail = base64.b64decode(answer.get("LogResult") or b"").decode(errors="replace")
        found = {key: pattern.search(tail) for key, pattern in _REPORT.items()}
        with lock:
            if answer.get("FunctionError"):
                stats.errors += 1
            if found["duration"] is None:
                return  # no REPORT in the tail: the tool counts such a run as 0 and leaves it out too
            init = float(found["init"].group(1)) if found["init"] else 0.0
            stats.cold_starts += found["init"] is not None
            stats.durations_ms.append(float(found["duration"].group(1)) + init)
            stats.billed_ms.append(int(found["billed"].group(1)) if found["billed"] else 0)

    if not parallel:
        for version in targets:
            one(version)
        return
    threads = [threading.Thread(target=one, args=(version,), daemon=True) for version in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
