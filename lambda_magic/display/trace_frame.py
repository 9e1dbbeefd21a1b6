"""X-Ray traces as a pandas DataFrame: one row per segment and subsegment."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

#: The columns of ``lm.traces()``, in order.
TRACE_COLUMNS = [
    "trace_id",
    "name",
    "kind",
    "origin",
    "function",
    "start",
    "duration_ms",
    "error",
    "fault",
    "throttle",
    "depth",
    "id",
    "parent",
    "namespace",
    "operation",
    "in_progress",
]


def traces_frame(rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """Rows from ``runtime.xray_store.trace_rows`` (traces in order, each in tree order);
    ``start`` as UTC timestamps."""
    import pandas as pd

    frame = pd.DataFrame.from_records(list(rows), columns=TRACE_COLUMNS)
    frame["start"] = pd.to_datetime(frame["start"].astype("float64"), unit="s", utc=True)
    frame["duration_ms"] = frame["duration_ms"].astype("float64")
    for column in ("error", "fault", "throttle", "in_progress"):
        frame[column] = frame[column].astype(bool)
    frame["depth"] = frame["depth"].astype("int64")
    return frame
