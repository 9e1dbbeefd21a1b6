"""Collections as pandas DataFrames, with the columns of the public contract."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from ..runtime.function import Function
    from ..runtime.invocation import Invocation
    from ..runtime.logstore import LogEvent

FUNCTION_COLUMNS = [
    "name",
    "arn",
    "runtime",
    "handler",
    "memory_mb",
    "timeout_s",
    "code_sha256",
    "code_size",
    "last_modified",
    "architecture",
    "isolation",
    "description",
    "reserved_concurrency",
]
INVOCATION_COLUMNS = [
    "request_id",
    "function",
    "version",
    "invocation_type",
    "trigger",
    "start",
    "duration_ms",
    "billed_duration_ms",
    "init_duration_ms",
    "memory_size_mb",
    "max_memory_used_mb",
    "cold_start",
    "status",
    "error_type",
    "cost_usd",
    "caller_request_id",
    "status_code",
    "log_stream",
    "isolation",
    "attempt",
    "throttle_reason",
    "event_age_s",
    "template",
]
LOG_COLUMNS = ["timestamp", "function", "log_stream", "request_id", "level", "message"]
TEMPLATE_COLUMNS = ["id", "service", "event", "description", "params"]


def functions_frame(functions: Iterable[Function]) -> pd.DataFrame:
    import pandas as pd

    functions = list(functions)
    rows = [
        (
            f.name,
            f.arn,
            f.config.runtime,
            f.config.handler_setting,
            f.config.memory_mb,
            f.config.timeout_s,
            f.code_sha256,
            f.code_size,
            f.last_modified,
            f.config.architecture,
            f.config.isolation,
            f.config.description,
            f.reserved_concurrency,
        )
        for f in functions
    ]
    from .logframe import wide

    frame = pd.DataFrame.from_records(rows, columns=FUNCTION_COLUMNS)
    frame["last_modified"] = pd.to_datetime(frame["last_modified"], utc=True)
    _backend_column(frame, functions)
    return wide(frame).astype(
        {"memory_mb": "int64", "timeout_s": "int64", "code_size": "int64", "reserved_concurrency": "Int64"}
    )


def _backend_column(frame: pd.DataFrame, items: Iterable[Any]) -> None:
    """A ``backend`` column when a row is not the local backend's (``lm.use_backend("aws")``)."""
    backends = [getattr(item, "backend", "local") for item in items]
    if any(backend != "local" for backend in backends):
        frame["backend"] = backends


def invocations_frame(invocations: Iterable[Invocation]) -> pd.DataFrame:
    """Invocations; a ``Retained`` list's dropped rows are noted in ``attrs`` and the display."""
    import pandas as pd

    from .retained import mark_dropped

    rows = [
        (
            i.request_id,
            i.function_name,
            i.version,
            i.invocation_type,
            i.trigger,
            i.start,
            i.duration_ms,
            i.billed_duration_ms,
            i.init_duration_ms,
            i.memory_size_mb,
            i.max_memory_used_mb,
            i.cold_start,
            i.status,
            i.error_type,
            i.cost_usd,
            i.caller_request_id,
            i.status_code,
            i.log_stream,
            i.isolation,
            i.attempt,
            i.throttle_reason,
            i.event_age_s,
            i.template,
        )
        for i in invocations
    ]
    from .logframe import WideFrame

    frame = WideFrame.from_records(rows, columns=INVOCATION_COLUMNS)
    frame["start"] = pd.to_datetime(frame["start"], unit="s", utc=True)
    _backend_column(frame, invocations)
    return mark_dropped(frame, invocations).astype(
        {
            "duration_ms": "float64",
            "billed_duration_ms": "Int64",
            "init_duration_ms": "float64",
            "memory_size_mb": "Int64",
            "max_memory_used_mb": "Int64",
            "cold_start": "bool",
            "cost_usd": "float64",
            "status_code": "int64",
            "attempt": "Int64",
            "event_age_s": "float64",
        }
    )


def logs_frame(
    events: Iterable[LogEvent],
    *,
    name: str | None = None,
    request_id: str | None = None,
    filter_pattern: str | None = None,
    tail: int | None = None,
) -> pd.DataFrame:
    """Log events; timestamps in whole milliseconds, as CloudWatch keeps them.

    The query's arguments, when given, word what an empty result did not find.
    """
    import pandas as pd

    from .logframe import LogFrame
    from .retained import mark_dropped

    rows = events if isinstance(events, list) else list(events)
    frame = LogFrame.from_records(rows, columns=LOG_COLUMNS)
    frame["timestamp"] = pd.to_datetime(frame["timestamp"].astype("int64"), unit="ms", utc=True)
    frame._log_query = describe_log_query(name, request_id, filter_pattern, tail)
    return mark_dropped(frame, rows)


def describe_log_query(
    name: str | None = None, request_id: str | None = None, filter_pattern: str | None = None, tail: int | None = None
) -> str:
    """The log query in words: ``function f, request id …, filter pattern 'ERROR', the last 5``."""
    parts = [f"function {name}" if name else "any function"]
    if request_id:
        parts.append(f"request id {request_id}")
    if filter_pattern:
        parts.append(f"filter pattern {filter_pattern!r}")
    if tail is not None:
        parts.append(f"the last {tail}")
    return ", ".join(parts)


def templates_frame(templates: Iterable[Any]) -> pd.DataFrame:
    """Event templates: ``id, service, event, description, params`` (parameter names)."""
    import pandas as pd

    rows = [(t.id, t.service, t.event, t.description, [p.name for p in t.params]) for t in templates]
    return pd.DataFrame.from_records(rows, columns=TEMPLATE_COLUMNS)


MAPPING_COLUMNS = [
    "uuid",
    "function",
    "source",
    "event_source_arn",
    "state",
    "batch_size",
    "starting_position",
    "invocations",
    "throttles",
    "poll_errors",
    "details",
]


def mappings_frame(pollers: Iterable[Any]) -> pd.DataFrame:
    """Event source mappings with their pollers' counters and state."""
    import pandas as pd

    rows = [
        (
            p.mapping.uuid,
            p.mapping.function_name,
            p.mapping.source,
            p.mapping.event_source_arn,
            p.mapping.state,
            p.mapping.batch_size,
            p.mapping.starting_position,
            p.stats.get("invocations", 0),
            p.stats.get("throttles", 0),
            p.stats.get("poll_errors", 0),
            p.describe(),
        )
        for p in pollers
    ]
    from .logframe import wide

    return wide(pd.DataFrame.from_records(rows, columns=MAPPING_COLUMNS))


def insights_frame(result: Any) -> pd.DataFrame:
    """A Logs Insights result: one column per field, in the query's order; ``@timestamp``
    and ``bin(...)`` columns as UTC timestamps.  ``attrs`` has the query statistics."""
    import pandas as pd

    from ..runtime.insights import Timestamp

    frame = pd.DataFrame.from_records(result.rows, columns=result.fields)
    for name in result.fields:
        values = [row[name] for row in result.rows if row.get(name) is not None]
        if values and all(isinstance(v, Timestamp) for v in values):
            frame[name] = pd.to_datetime(frame[name].astype("Int64"), unit="ms", utc=True)
    frame.attrs["records_matched"] = result.records_matched
    frame.attrs["records_scanned"] = result.records_scanned
    return frame
