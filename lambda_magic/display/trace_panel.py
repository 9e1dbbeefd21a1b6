"""One X-Ray trace as a waterfall, like the X-Ray console's trace view.

A row per segment and subsegment, names indented by nesting, and a horizontal bar on
a shared time axis (zero at the trace's start): segments in the function colour,
subsegments in the duration colour, faults and errors in the error colour, each
row's duration also said in words.  Plain HTML with the shared theme (readable in
light and dark pages, and as text where styles are stripped).
"""

from __future__ import annotations

from html import escape
from typing import Any

from . import theme

_BAR = {"segment": theme.STATUS["function"], "subsegment": theme.FILL["duration"]}
_NAME_MAX = 60


class TracePanel:
    """The waterfall of one trace (``rows``: ``trace_rows`` output, in tree order)."""

    def __init__(self, trace_id: str, rows: list[dict[str, Any]]):
        self.trace_id = trace_id
        self.rows = rows

    @property
    def duration_ms(self) -> float:
        """First start to last end."""
        if not self.rows:
            return 0.0
        start = min(r["start"] for r in self.rows)
        end = max(r["end"] if r["end"] is not None else r["start"] for r in self.rows)
        return (end - start) * 1000

    def _label(self, row: dict[str, Any]) -> str:
        name = str(row["name"] or "")
        if len(name) > _NAME_MAX:
            name = name[: _NAME_MAX - 1] + "…"
        if row["kind"] == "segment" and row["origin"]:
            name += f" ({row['origin']})"
        elif row.get("operation"):  # an AWS SDK call: the operation, as the console lists it
            name += f" {row['operation']}"
        return name

    def _status(self, row: dict[str, Any]) -> str:
        flags = [flag for flag in ("fault", "error", "throttle") if row[flag]]
        if row["in_progress"]:
            flags.append("in progress")
        return ", ".join(flags)

    def __repr__(self) -> str:
        lines = [f"Trace {self.trace_id} ({self.duration_ms:.1f} ms, {len(self.rows)} segments and subsegments)"]
        if not self.rows:
            return lines[0]
        t0 = min(r["start"] for r in self.rows)
        for row in self.rows:
            offset = (row["start"] - t0) * 1000
            took = "..." if row["duration_ms"] is None else f"{row['duration_ms']:.1f} ms"
            status = self._status(row)
            lines.append(
                f"{'  ' * row['depth']}{self._label(row)}  +{offset:.1f} ms  {took}"
                + (f"  [{status}]" if status else "")
            )
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        total = self.duration_ms
        head = (
            f"<div style='margin-bottom:6px'><b>Trace</b> <code>{escape(self.trace_id)}</code> "
            f"<span style='color:{theme.MUTED}'>{total:.1f} ms, {len(self.rows)} segments and subsegments</span></div>"
        )
        if not self.rows:
            return f"<div style='{theme.BOX}'>{head}<div>No segments collected for this trace.</div></div>"
        t0 = min(r["start"] for r in self.rows)
        scale = total if total > 0 else 1.0
        body = []
        for row in self.rows:
            left = (row["start"] - t0) * 1000 / scale * 100
            took = row["duration_ms"]
            width = max((took or 0.0) / scale * 100, 0.4)
            colour = theme.STATUS["error"] if row["fault"] or row["error"] else _BAR[row["kind"]]
            if row["throttle"]:
                colour = theme.STATUS["throttled"]
            indent = 12 * row["depth"]
            weight = "font-weight:600;" if row["kind"] == "segment" else ""
            status = self._status(row)
            words = ("…" if took is None else f"{took:.1f} ms") + (f" ({status})" if status else "")
            body.append(
                "<tr>"
                f"<td style='{theme.TD};padding:1px 10px 1px {indent}px;white-space:nowrap;{weight}'>"
                f"{escape(self._label(row))}</td>"
                f"<td style='{theme.TD};width:55%;min-width:240px;padding:1px 0'>"
                f"<div style='position:relative;height:14px;background:{theme.TRACK};border-radius:3px'>"
                f"<div title='{escape(words)}' style='position:absolute;left:{min(left, 99.6):.2f}%;"
                f"width:{min(width, 100 - min(left, 99.6)):.2f}%;top:2px;bottom:2px;background:{colour};"
                "border-radius:2px'></div></div></td>"
                f"<td style='{theme.TD};padding:1px 0 1px 10px;white-space:nowrap;font-family:{theme.CODE_FONT};"
                f"font-size:12px'>{escape(words)}</td>"
                "</tr>"
            )
        axis = (
            f"<tr><td></td><td style='{theme.TD};color:{theme.MUTED};font-size:11px'>"
            f"<span>0 ms</span><span style='float:right'>{total:.1f} ms</span></td><td></td></tr>"
        )
        return (
            f"<div style='{theme.BOX}'>{head}<div style='{theme.SCROLL}'>"
            f"<table style='border-collapse:collapse;width:100%'>{''.join(body)}{axis}</table></div></div>"
        )
