"""The timeline picture: one row per execution environment, a bar per init and per
invocation, cold starts, errors, throttles and retries marked; concurrency below."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..runtime.invocation import Invocation

_COLOURS = {"init": "#f79009", "success": "#2e90fa", "error": "#d92d20", "timeout": "#b54708"}
#: A solid white page with dark ink whatever style the notebook set: the PNG reads on
#: light and dark themes alike (a transparent figure's black text vanishes on dark).
_PAPER: dict[Any, Any] = {
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "savefig.transparent": False,
    "text.color": "#101828",
    "axes.labelcolor": "#101828",
    "axes.edgecolor": "#344054",
    "xtick.color": "#344054",
    "ytick.color": "#344054",
    "legend.facecolor": "white",
    "legend.edgecolor": "#d0d5dd",
    "legend.labelcolor": "#101828",
    "axes.titlecolor": "#101828",
}


class _GapAxis:
    """Account time -> x position, with idle gaps longer than ``gap_s`` shortened to
    ``shown_s`` (async retries wait minutes; the work between them takes milliseconds)."""

    def __init__(self, intervals: list[tuple[float, float]], origin: float, gap_s: float, shown_s: float):
        self.origin = origin
        self.shown_s = shown_s
        self.cuts: list[tuple[float, float]] = []  # (account time where a gap starts, seconds removed)
        busy_end = origin
        for start, end in sorted(intervals):
            if start - busy_end > gap_s:
                self.cuts.append((busy_end, start - busy_end - shown_s))
            busy_end = max(busy_end, end)

    def __call__(self, t: float) -> float:
        return t - self.origin - sum(removed for at, removed in self.cuts if t > at)


class Timeline:
    """A matplotlib figure (``.figure``) that displays as PNG, with a text summary.

    Idle gaps longer than ``gap_s`` seconds are shortened and labelled with their
    real length, so a burst and the retries a minute later both stay visible.
    """

    def __init__(self, invocations: Iterable[Invocation], name: str | None = None, *, gap_s: float = 2.0):
        import matplotlib

        with matplotlib.rc_context(_PAPER):
            self._draw(invocations, name, gap_s)

    def _draw(self, invocations: Iterable[Invocation], name: str | None, gap_s: float) -> None:
        from matplotlib.figure import Figure

        records = [i for i in invocations if name is None or i.function_name == name]
        self.ran = [i for i in records if i.status in ("success", "error", "timeout")]
        self.throttled = [i for i in records if i.status == "throttled"]
        self.streams = list(dict.fromkeys(i.log_stream for i in self.ran))
        self.figure = Figure(figsize=(10, 2.2 + 0.35 * max(len(self.streams), 1)), layout="constrained")
        top, bottom = self.figure.subplots(2, 1, sharex=True, height_ratios=[max(len(self.streams), 1) + 1, 2])
        origin = min((i.start for i in records), default=0.0)
        intervals = [(i.start, i.start + _busy(i)) for i in self.ran] + [(i.start, i.start) for i in self.throttled]
        busy = max((end for _, end in intervals), default=origin) - origin
        self.x = _GapAxis(intervals, origin, gap_s, shown_s=max(busy * 0.02, 0.05))
        self._draw_environments(top)
        self._draw_concurrency(bottom)
        for at, removed in self.x.cuts:
            for axes in (top, bottom):
                axes.axvline(self.x(at), color="#98a2b3", linestyle=":", linewidth=1)
            top.annotate(
                f"{removed + self.x.shown_s:.0f} s idle",
                (self.x(at), 1.0),
                xycoords=("data", "axes fraction"),
                fontsize="x-small",
                color="#667085",
                ha="left",
                va="bottom",
            )
        top.set_title(f"Execution environments of {name or 'all functions'}", pad=14)
        bottom.set_xlabel("seconds since the first request (account clock; long idle gaps shortened)")

    def _draw_environments(self, axes: Any) -> None:
        rows = {stream: index for index, stream in enumerate(self.streams)}
        first_attempts: dict[str, tuple[float, int]] = {}
        for inv in sorted(self.ran, key=lambda i: i.start):
            y = rows[inv.log_stream]
            x = self.x(inv.start)
            init = (inv.init_duration_ms or 0) / 1000
            if init:
                axes.broken_barh([(x, init)], (y - 0.35, 0.7), color=_COLOURS["init"])
            axes.broken_barh(
                [(x + init, max((inv.duration_ms or 0) / 1000, 1e-4))],
                (y - 0.35, 0.7),
                color=_COLOURS.get(inv.status, "#475467"),
            )
            if inv.cold_start:
                axes.plot([x], [y], marker="*", color="#101828", markersize=7, linestyle="none")
            if inv.attempt and inv.attempt > 1 and inv.request_id in first_attempts:
                prev_x, prev_y = first_attempts[inv.request_id]
                axes.annotate(
                    "",
                    xy=(x, y),
                    xytext=(prev_x, prev_y),
                    arrowprops={"arrowstyle": "->", "color": "#667085", "linestyle": "--"},
                )
            first_attempts[inv.request_id] = (x + init + (inv.duration_ms or 0) / 1000, y)
        throttle_row = len(self.streams)
        if self.throttled:
            axes.plot(
                [self.x(i.start) for i in self.throttled],
                [throttle_row] * len(self.throttled),
                marker="x",
                color=_COLOURS["error"],
                linestyle="none",
            )
        labels = [f"env {index + 1}" for index in range(len(self.streams))] + (["throttled"] if self.throttled else [])
        axes.set_yticks(range(len(labels)), labels)
        axes.set_ylim(-0.7, max(len(labels), 1) - 0.3)
        axes.invert_yaxis()
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        handles = [
            Patch(color=_COLOURS["init"], label="init"),
            Patch(color=_COLOURS["success"], label="invocation"),
            Patch(color=_COLOURS["error"], label="error"),
            Patch(color=_COLOURS["timeout"], label="timeout"),
            Line2D([], [], marker="*", color="#101828", linestyle="none", label="cold start"),
        ]
        axes.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small")

    def _draw_concurrency(self, axes: Any) -> None:
        changes = sorted(
            [(self.x(i.start), 1) for i in self.ran] + [(self.x(i.start + _busy(i)), -1) for i in self.ran]
        )
        xs, ys, level = [0.0], [0], 0
        for x, delta in changes:
            level += delta
            xs.append(x)
            ys.append(level)
        axes.step(xs, ys, where="post", color="#7f56d9")
        axes.set_ylabel("concurrency")
        axes.set_ylim(bottom=0)

    @property
    def peak_concurrency(self) -> int:
        level = peak = 0
        for _, delta in sorted([(i.start, 1) for i in self.ran] + [(i.start + _busy(i), -1) for i in self.ran]):
            level += delta
            peak = max(peak, level)
        return peak

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=90, facecolor="white", transparent=False)
        return buffer.getvalue()

    def __repr__(self) -> str:
        cold = sum(1 for i in self.ran if i.cold_start)
        errors = sum(1 for i in self.ran if i.status != "success")
        return (
            f"Timeline: {_count(len(self.ran), 'invocation')} in "
            f"{_count(len(self.streams), 'execution environment')} ({_count(cold, 'cold start')}, "
            f"{_count(errors, 'error')}, {_count(len(self.throttled), 'throttle')}, "
            f"peak concurrency {self.peak_concurrency})"
        )


def _busy(inv: Invocation) -> float:
    """Seconds the invocation occupied its environment (init and invoke)."""
    return ((inv.init_duration_ms or 0) + (inv.duration_ms or 0)) / 1000


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
