"""The module-level Python API for power tuning (``lm.power_tune``), on the default account of
:mod:`lambda_magic.api`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .runtime.power_tuning import DEFAULT_MEMORY, STRATEGIES

__all__ = ["DEFAULT_MEMORY", "STRATEGIES", "power_tune"]


def power_tune(
    name: str,
    event: Any = None,
    *,
    memory: Sequence[int] = DEFAULT_MEMORY,
    num: int = 10,
    strategy: str = "cost",
    balanced_weight: float = 0.5,
    parallel: bool = False,
    discard_top_bottom: float = 0.2,
    only_cold_starts: bool = False,
) -> Any:
    """Run ``event`` ``num`` times at each ``memory`` size (in fresh versions; ``$LATEST`` is left as
    it was) and choose the best size for ``strategy`` (``cost``, ``speed`` or ``balanced``, weighted by
    ``balanced_weight``: 1 is all cost), as AWS Lambda Power Tuning does, through Lambda's API.
    Returns a result with ``.frame`` (memory, average and percentile duration, billed duration,
    cost per invocation and per million, errors), ``.best_memory_mb`` and the chart."""
    from . import api
    from .display.power_tuning import PowerTuningResult
    from .runtime.power_tuning import power_tune as run

    account = api.account()
    function = account.get_function(name)  # a missing function: ResourceNotFoundException, before any change
    memory = list(memory)
    guard = getattr(account, "guard", None)  # the AWS backend's cost guard: every version and invoke counts
    if guard is not None:
        planned = len(memory) * (num + (num if only_cold_starts else 1))
        guard.check_many(planned, f"power tuning {function.name}: {planned} versions and invokes")
    tuning = run(
        api.client("lambda"),
        function.name,
        {} if event is None else event,
        gb_second_usd=account.prices.gb_second_usd[function.config.architecture],
        memory=memory,
        num=num,
        strategy=strategy,
        balanced_weight=balanced_weight,
        parallel=parallel,
        discard_top_bottom=discard_top_bottom,
        only_cold_starts=only_cold_starts,
    )
    return PowerTuningResult(tuning)
