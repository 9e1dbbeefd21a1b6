"""CloudWatch Logs, locally: the log events of every function, queryable.

Log groups outlive their functions, as on AWS (deleting a function keeps its
logs); ``reset`` forgets them.  Like a log group's retention, only the most recent
events are kept (``AccountSettings.retained_log_events``); older ones are dropped
and counted per function.
"""

from __future__ import annotations

import operator
import threading
from collections.abc import Callable, Iterable
from typing import NamedTuple

from .filter_patterns import compile_filter_pattern
from .retention import BoundedRows, Retained

__all__ = ["LogEvent", "LogStore", "compile_filter_pattern"]

#: The setting that changes the log retention (named in frames that dropped rows).
RETENTION_SETTING = "retained_log_events"


class LogEvent(NamedTuple):
    """One CloudWatch log event."""

    timestamp_ms: float
    function: str
    log_stream: str
    request_id: str | None
    #: The level of an application log record, ``SYSTEM`` for platform lines, else ``None``.
    level: str | None
    message: str


class LogStore:
    """Thread-safe store of the most recent ``retention`` log events (``None``: all)."""

    def __init__(self, retention: int | None = None) -> None:
        self._events: BoundedRows[tuple] = BoundedRows(retention, key=operator.itemgetter(1))  # the function
        self._lock = threading.Lock()
        self._listeners: list[Callable[[list[tuple]], None]] = []

    @property
    def retention(self) -> int | None:
        return self._events.limit

    @retention.setter
    def retention(self, value: int | None) -> None:
        """Change how many events are kept (dropping the oldest at once if fewer)."""
        with self._lock:
            self._events.limit = value

    def extend(self, events: Iterable[tuple]) -> None:
        """Append events: ``LogEvent``s or plain tuples in ``LogEvent``'s field order."""
        with self._lock:
            if self._listeners:
                events = list(events)
                for listener in self._listeners:
                    listener(events)
            self._events.extend(events)

    def subscribe(self, listener: Callable[[list[tuple]], None]) -> None:
        """Call ``listener(events)`` with the events stored so far, then with every batch
        appended, in order.  It is called under the store's lock on the invoke path: it
        must only queue the events (no I/O)."""
        with self._lock:
            listener(self._events.rows())
            self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[list[tuple]], None]) -> None:
        """Stop calling ``listener`` (once this returns, no call of it is in progress)."""
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def dropped(self, function: str | None = None) -> int:
        """Events dropped by retention so far (of ``function``, or of all)."""
        with self._lock:
            return self._events.dropped_of(function)

    def query(
        self,
        function: str | None = None,
        *,
        request_id: str | None = None,
        filter_pattern: str | None = None,
        tail: int | None = None,
    ) -> Retained:
        """Events in the order they were written, filtered like ``FilterLogEvents``.

        The result's ``dropped`` counts the older events of ``function`` (or of all
        functions) that retention dropped: filters ran over the kept ones only.
        """
        matches = compile_filter_pattern(filter_pattern) if filter_pattern else None
        with self._lock:
            events = self._events.rows()
            dropped = self._events.dropped_of(function)
            retention = self._events.limit
        selected = [
            LogEvent._make(event)
            for event in events
            if (function is None or event[1] == function)
            and (request_id is None or event[3] == request_id)
            and (matches is None or matches(event[5]))
        ]
        if tail is not None:
            selected = selected[-tail:] if tail > 0 else []
        return Retained(selected, dropped=dropped, retention=retention, setting=RETENTION_SETTING)

    def clear(self) -> None:
        with self._lock:
            self._events.clear()

    def __len__(self) -> int:
        return len(self._events)
