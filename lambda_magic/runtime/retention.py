"""Retention: keep the most recent rows in full, count the older ones that were dropped.

CloudWatch keeps log events for a retention period and drops older ones; the local
account does the same by count (the last N invocations, the last N log events), so a
long load run does not grow the kernel's memory without bound.  What was dropped is
counted per function, so frames can say "showing the last 10,000 of 200,000".
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

from ..common.errors import InvalidParameterValueException

T = TypeVar("T")


def check_retention(name: str, value: int | None) -> None:
    """``value`` must be ``None`` (keep everything) or a whole number >= 0."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidParameterValueException(
            f"{name} must be a whole number of rows to keep (>= 0), or None to keep everything; got {value!r}"
        )


class Retained(list):  # type: ignore[type-arg]
    """The rows a query kept, with how many older matching rows retention dropped."""

    def __init__(self, rows: Iterable = (), *, dropped: int = 0, retention: int | None = None, setting: str = ""):
        super().__init__(rows)
        #: Older rows (of the same function, when the query names one) dropped by retention.
        self.dropped = dropped
        #: The retention in force (None: unlimited) and the setting that changes it.
        self.retention = retention
        self.setting = setting

    @property
    def total(self) -> int:
        """Rows kept plus rows dropped."""
        return len(self) + self.dropped


class BoundedRows(Generic[T]):
    """Rows in arrival order, the last ``limit`` of them visible (``None``: no limit).

    Not thread-safe: the owner holds its own lock.  ``key(row)`` names the function a
    row belongs to (an ``operator.itemgetter`` or ``attrgetter`` keeps it fast), so
    dropped rows are counted per function.  Old rows are let go in batches of a
    sixteenth of the limit (so an append costs the same whatever the limit); rows
    beyond the limit that are still held are never shown and count as dropped.
    """

    def __init__(self, limit: int | None, key: Callable[[T], str]):
        self._rows: list[T] = []
        self._key = key
        self._limit = limit
        self._high = self._high_water(limit)
        #: function -> rows let go by retention (see ``dropped_of`` for the full count).
        self._released: collections.Counter[str] = collections.Counter()

    @staticmethod
    def _high_water(limit: int | None) -> float:
        return float("inf") if limit is None else limit + max(64, limit // 16)

    @property
    def limit(self) -> int | None:
        return self._limit

    @limit.setter
    def limit(self, value: int | None) -> None:
        self._release(self._hidden())  # what the old limit hid stays dropped under a larger one
        self._limit = value
        self._high = self._high_water(value)
        self._release(self._hidden())

    def append(self, row: T) -> None:
        self._rows.append(row)
        if len(self._rows) > self._high:
            self._release(len(self._rows) - self._limit)  # type: ignore[operator]

    def extend(self, rows: Iterable[T]) -> None:
        self._rows.extend(rows)
        if len(self._rows) > self._high:
            self._release(len(self._rows) - self._limit)  # type: ignore[operator]

    def _release(self, count: int) -> None:
        if count > 0:
            self._released.update(map(self._key, self._rows[:count]))
            del self._rows[:count]

    def _hidden(self) -> int:
        """Rows still held but beyond the limit (the oldest ones)."""
        return 0 if self._limit is None else max(len(self._rows) - self._limit, 0)

    def rows(self) -> list[T]:
        """The last ``limit`` rows, oldest first."""
        return self._rows[self._hidden() :]

    def dropped_of(self, name: str | None) -> int:
        """Rows dropped so far, of function ``name`` (or of all)."""
        hidden = self._rows[: self._hidden()]
        if name is None:
            return sum(self._released.values()) + len(hidden)
        key = self._key
        return self._released.get(name, 0) + sum(1 for row in hidden if key(row) == name)

    def clear(self) -> None:
        self._rows.clear()
        self._released.clear()

    def __len__(self) -> int:
        """How many rows are visible (at most ``limit``)."""
        return len(self._rows) - self._hidden()
