"""Running many calls at once behind a progress bar (tqdm's notebook bar when available)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def run_with_progress(
    call: Callable[[Any], Any], items: Sequence[Any], *, concurrency: int, description: str, show: bool = True
) -> list[Any]:
    """``call(item)`` for every item, ``concurrency`` at a time; results in item order.

    A throttled call (``TooManyRequestsException``) gives its recorded throttle row.
    """
    from ..runtime.concurrency import TooManyRequestsException

    def one(item: Any) -> Any:
        try:
            return call(item)
        except TooManyRequestsException as exc:
            return exc.invocation

    bar = _bar(len(items), description) if show else None
    results: list[Any] = [None] * len(items)
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="lambda-load") as pool:
        futures = {pool.submit(one, item): index for index, item in enumerate(items)}
        for future in _as_completed(futures):
            results[futures[future]] = future.result()
            if bar is not None:
                bar.update(1)
    if bar is not None:
        bar.close()
    return results


def _as_completed(futures: dict) -> Any:
    from concurrent.futures import as_completed

    return as_completed(futures)


def _bar(total: int, description: str) -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency
        return None
    return tqdm(total=total, desc=description, unit="call")
