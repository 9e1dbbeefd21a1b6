"""CloudWatch Logs, locally: every log event of every function, queryable.

Log groups outlive their functions, as on AWS (deleting a function keeps its
logs); ``reset`` forgets them.
"""

from __future__ import annotations

import re
import shlex
import threading
from typing import Callable, Iterable, NamedTuple

from ..common.errors import InvalidParameterValueException


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
    """Thread-safe append-only store of log events."""

    def __init__(self) -> None:
        self._events: list[tuple] = []
        self._lock = threading.Lock()

    def extend(self, events: Iterable[tuple]) -> None:
        """Append events: ``LogEvent``s or plain tuples in ``LogEvent``'s field order."""
        with self._lock:
            self._events.extend(events)

    def query(
        self,
        function: str | None = None,
        *,
        request_id: str | None = None,
        filter_pattern: str | None = None,
        tail: int | None = None,
    ) -> list[LogEvent]:
        """Events in the order they were written, filtered like ``FilterLogEvents``."""
        matches = compile_filter_pattern(filter_pattern) if filter_pattern else None
        with self._lock:
            events = list(self._events)
        selected = [
            LogEvent._make(event)
            for event in events
            if (function is None or event[1] == function)
            and (request_id is None or event[3] == request_id)
            and (matches is None or matches(event[5]))
        ]
        if tail is not None:
            selected = selected[-tail:] if tail > 0 else []
        return selected

    def clear(self) -> None:
        with self._lock:
            self._events.clear()

    def __len__(self) -> int:
        return len(self._events)


def compile_filter_pattern(pattern: str) -> Callable[[str], bool]:
    """A matcher for CloudWatch's unstructured filter syntax.

    ``ERROR`` (contains), ``ERROR Exception`` (all terms), ``?ERROR ?Exception``
    (any term), ``-DEBUG`` (excludes), ``"Task timed out"`` (a phrase), ``""`` (all).
    Terms are case-sensitive, as in CloudWatch.
    """
    stripped = pattern.strip()
    if stripped in ('""', ""):
        return lambda message: True
    if stripped.startswith(("{", "[")) or re.search(r"%.*%", stripped):
        raise InvalidParameterValueException(
            'only term filter patterns are supported here (ERROR, "two words", ?ANY, -NOT); '
            "JSON, space-delimited and regex patterns are not"
        )
    try:
        tokens = shlex.split(stripped)
    except ValueError as exc:
        raise InvalidParameterValueException(f"filter pattern {pattern!r}: {exc}") from None
    required = [t for t in tokens if not t.startswith(("?", "-"))]
    optional = [t[1:] for t in tokens if t.startswith("?") and len(t) > 1]
    excluded = [t[1:] for t in tokens if t.startswith("-") and len(t) > 1]

    def matches(message: str) -> bool:
        if any(term in message for term in excluded):
            return False
        if not all(term in message for term in required):
            return False
        return not optional or any(term in message for term in optional)

    return matches
