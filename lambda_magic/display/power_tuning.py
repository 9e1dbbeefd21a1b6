"""The result of ``lm.power_tune``: a DataFrame per memory size and the chart the AWS tool draws
(average duration and cost per invocation against memory, the best size for the strategy marked)."""

from __future__ import annotations

import html
import io
from typing import TYPE_CHECKING, Any

from .timeline import _PAPER

if TYPE_CHECKING:
    import pandas as pd

    from ..runtime.power_tuning import PowerTuning

_DURATION = "#2e90fa"
_COST = "#f79009"
_BEST = "#12b76a"


class PowerTuningResult:
    """``.frame`` (one row per memory size), ``.best_memory_mb``, ``.figure`` (matplotlib);
    displays as the table and the chart, with a one-line text form."""

    def __init__(self, tuning: PowerTuning):
        self.tuning = tuning
        self.best_memory_mb = tuning.best_memory_mb
        self.strategy = tuning.strategy
        self._figure: Any = None

    @property
    def frame(self) -> pd.DataFrame:
        import pandas as pd

        frame = pd.DataFrame(self.tuning.rows())
        frame.attrs["best_memory_mb"] = self.best_memory_mb
        return frame

    @property
    def failures(self) -> list[str]:
        """The calls that got no answer (throttled, refused), by memory size."""
        return [f"{size.memory_mb} MB: {text}" for size in self.tuning.sizes for text in size.failures]

    @property
    def figure(self) -> Any:
        if self._figure is None:
            import matplotlib

            with matplotlib.rc_context(_PAPER):
                self._figure = self._draw()
        return self._figure

    def _draw(self) -> Any:
        from matplotlib.figure import Figure

        rows = self.tuning.rows()
        labels = [str(row["memory_mb"]) for row in rows]
        positions = list(range(len(rows)))
        figure = Figure(figsize=(8, 3.6), layout="constrained")
        duration_axes = figure.subplots()
        cost_axes = duration_axes.twinx()
        duration_axes.plot(
            positions, [row["average_duration_ms"] for row in rows], marker="o", color=_DURATION, label="duration"
        )
        cost_axes.plot(
            positions, [row["cost_usd"] for row in rows], marker="s", color=_COST, label="cost per invocation"
        )
        if self.best_memory_mb is not None:
            best = positions[[row["memory_mb"] for row in rows].index(self.best_memory_mb)]
            duration_axes.axvline(best, color=_BEST, linestyle="--", linewidth=1.5)
            duration_axes.annotate(
                f"best for {self.strategy}: {self.best_memory_mb} MB",
                (best, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(4, -14),
                textcoords="offset points",
                color="#067647",
                fontsize="small",
            )
        duration_axes.set_xticks(positions, labels)
        duration_axes.set_xlabel("memory (MB)")
        duration_axes.set_ylabel("average duration (ms)", color=_DURATION)
        cost_axes.set_ylabel("cost per invocation (USD)", color=_COST)
        cost_axes.ticklabel_format(axis="y", style="sci", scilimits=(0, 0))
        duration_axes.set_ylim(bottom=0)
        cost_axes.set_ylim(bottom=0)
        duration_axes.set_title(f"Power tuning of {self.tuning.function}")
        lines = duration_axes.get_lines()[:1] + cost_axes.get_lines()[:1]
        duration_axes.legend(lines, [str(line.get_label()) for line in lines], loc="upper right", fontsize="small")
        return figure

    def _png(self) -> bytes:
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=90, facecolor="white", transparent=False)
        return buffer.getvalue()

    def _repr_png_(self) -> bytes:
        return self._png()

    def _repr_html_(self) -> str:
        import base64

        picture = base64.b64encode(self._png()).decode()
        table = self.frame.to_html(index=False, float_format=lambda x: f"{x:.3g}", border=0)
        return (
            f"<div><p>{html.escape(repr(self))}</p>"
            f'<div style="overflow-x:auto">{table}</div>'
            f'<img alt="power tuning chart" src="data:image/png;base64,{picture}"></div>'
        )

    def __repr__(self) -> str:
        tuning = self.tuning
        sizes = ", ".join(str(s.memory_mb) for s in tuning.sizes)
        errors = sum(s.errors for s in tuning.sizes)
        best = f"best for {tuning.strategy}: {tuning.best_memory_mb} MB" if tuning.best_memory_mb else "no result"
        said = f", {errors} errors" if errors else ""
        return f"Power tuning of {tuning.function}: {tuning.num} invocations at each of {sizes} MB{said}; {best}"
