"""The module-level Python API for X-Ray (``lm.traces``, ``lm.trace``), on the default
account of :mod:`lambda_magic.api`.

Functions registered with ``tracing="Active"`` (``%%lambda NAME --tracing Active``)
are sampled with X-Ray's default rule; the segments their handlers' SDKs send to the
account's daemon, and those Lambda records itself, are kept per trace.  The same
traces answer ``lm.client("xray").get_trace_summaries`` and ``batch_get_traces``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from .display.trace_panel import TracePanel
    from .runtime.xray import XRay


def _xray() -> XRay:
    from .api import account
    from .runtime.xray import xray

    service = xray(account())
    service.collect()
    return service


def traces(function: str | None = None) -> pd.DataFrame:
    """Every kept trace's segments and subsegments, one row each (traces oldest first, each
    in tree order): ``trace_id``, ``name``, ``kind``, ``origin``, ``function``, ``start``,
    ``duration_ms``, ``error``/``fault``/``throttle``, ``depth``, ``id``, ``parent``...;
    ``function`` keeps the traces that pass through that function."""
    from .display.trace_frame import traces_frame
    from .runtime.xray_store import trace_rows

    service = _xray()
    rows: list[dict[str, Any]] = []
    for trace_id in service.store.trace_ids():
        trace = trace_rows(trace_id, service.store.assembled(trace_id))
        if function is None or any(row["function"] == function for row in trace):
            rows.extend(trace)
    return traces_frame(rows)


def trace(trace_id: str | None = None) -> TracePanel:
    """One trace as a waterfall (like the X-Ray console's); the most recent when no id is
    given.  A trace id is ``1-<8 hex>-<24 hex>``, e.g. from ``lm.traces()``."""
    from .common.errors import InvalidParameterValueException
    from .display.trace_panel import TracePanel
    from .runtime.xray_header import TraceHeader
    from .runtime.xray_store import trace_rows

    service = _xray()
    kept = service.store.trace_ids()
    if trace_id is None:
        if not kept:
            raise InvalidParameterValueException(
                "no traces yet: register a function with tracing='Active' and invoke it"
            )
        trace_id = kept[-1]
    header = TraceHeader.parse(trace_id if "Root=" in trace_id else f"Root={trace_id}")
    if header is None:
        raise InvalidParameterValueException(f"{trace_id!r} is not an X-Ray trace id (1-<8 hex>-<24 hex>)")
    if header.root not in kept:
        raise InvalidParameterValueException(
            f"trace {header.root} is not kept (it was never sampled, or retention dropped it)"
        )
    return TracePanel(header.root, trace_rows(header.root, service.store.assembled(header.root)))
