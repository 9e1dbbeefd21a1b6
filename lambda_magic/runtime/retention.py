"""Retention: keep the most recent rows in full, count the older ones that were dropped.

CloudWatch keeps log events for a retention period and drops older ones; the local
account does the same by count (the last N invocations, the last N log events), so a
long load run does not grow the kernel's memory without bound.  What was dropped is
counted per function, so frames can say "showing the last 10,000 of 200,000".
"""

from __future__ import annotations

import collections
from typing import Callable, Generic, Iterable, TypeVar

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

    def __init__(self, rows: Iterable = (), *, dropped: int = 0, retention: int | None = None,
                 setting: str = ""):
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
    """Rows in arrival order, at most ``limit`` of them (``None``: no limit).

    Not thread-safe: the owner holds its own lock.  ``key(row)`` names the function a
    row belongs to, so dropped rows are counted per function.
    """

    def __init__(self, limit: int | None, key: Callable[[T], str]):
        self._rows: collections.deque[T] = collections.deque()
        self._key = key
        self._limit = limit
        #: function -> rows dropped by retention.
        self.dropped: collections.Counter[str] = collections.Counter()

    @property
    def limit(self) -> int | None:
        return self._limit

    @limit.setter
    def limit(self, value: int | None) -> None:
        self._limit = value
        self._trim()

    def append(self, row: T) -> None:
        self._rows.append(row)
        if self._limit is not None and len(self._rows) > self._limit:
            self._trim()

    def extend(self, rows: Iterable[T]) -> None:
        self._rows.extend(rows)
        if self._limit is not None and len(self._rows) > self._limit:
            self._trim()

    def _trim(self) -> None:
        if self._limit is None:
            return
        rows, key, dropped = self._rows, self._key, self.dropped
        while len(rows) > self._limit:
            dropped[key(rows.popleft())] += 1

    def rows(self) -> list[T]:
        return list(self._rows)

    def dropped_of(self, name: str | None) -> int:
        """Rows dropped so far, of function ``name`` (or of all)."""
        return sum(self.dropped.values()) if name is None else self.dropped.get(name, 0)

    def clear(self) -> None:
        self._rows.clear()
        self.dropped.clear()

    def __len__(self) -> int:
        return len(self._rows)
