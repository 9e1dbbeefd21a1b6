"""DataFrames that display like CloudWatch's console (imports pandas: load lazily).

``LogFrame`` is a plain ``pandas.DataFrame`` for code (``isinstance``, ``empty``,
filtering, ``to_csv`` all as usual; frames derived from it stay LogFrames); only
its display differs: messages left-aligned, wrapped and whole, each in a ``<pre>``
so tabs show as columns (also where a page strips styles), and an empty result
says so in words.  ``WideFrame`` keeps pandas' display and scrolls horizontally
inside the output instead of widening the page.
"""

from __future__ import annotations

from html import escape
from typing import Any

import pandas as pd

from . import theme
from .retained import RetainedFrame, retention_note
from .tabs import expand_tabs

_SHORT_COLUMNS = ("timestamp", "function", "level", "request_id")
#: The text form leaves the log stream out (it is long; the column is there for code).
_TEXT_COLUMNS = ("timestamp", "function", "level", "request_id", "message")


class WideFrame(RetainedFrame):
    """A DataFrame whose HTML scrolls sideways inside the output area when it is wider
    (and says when retention dropped older rows)."""

    @property
    def _constructor(self) -> Any:
        return WideFrame

    def _repr_html_(self) -> str | None:
        html = pd.DataFrame._repr_html_(self)  # the table scrolls; the retention note below it does not
        if html is None:
            return None
        note = retention_note(self.attrs, len(self))
        return f'<div class="lambda-magic-wide" style="{theme.SCROLL}">{html}</div>' + (
            "" if note is None else f'<p class="lambda-magic-retention"><em>{escape(note)}</em></p>'
        )


def wide(frame: pd.DataFrame) -> WideFrame:
    """``frame`` as a :class:`WideFrame` (same data, same dtypes)."""
    return WideFrame(frame)


class LogFrame(RetainedFrame):
    """Log events, displayed like CloudWatch's console (and saying when retention dropped older ones).

    ``_log_query`` words what was asked for (not ``query``: that stays pandas' method).
    """

    #: What the events were filtered by, in words (``None``: not known, e.g. a derived frame).
    _log_query: str | None = None

    @property
    def _constructor(self) -> Any:
        return LogFrame

    def _readable(self) -> bool:
        return "message" in self.columns and self.columns.is_unique

    def _empty_text(self) -> str:
        text = f"No log events match {self._log_query}." if self._log_query else "No log events."
        note = retention_note(self.attrs, len(self))
        return text if note is None else f"{text} ({note})"

    def _rows(self) -> tuple[pd.DataFrame, pd.DataFrame, int]:
        """The rows shown (pandas' ``display.max_rows``/``min_rows``), as head, tail and the count between."""
        max_rows = pd.get_option("display.max_rows")
        if max_rows is None or len(self) <= max_rows:
            return pd.DataFrame(self), pd.DataFrame(self).iloc[0:0], 0
        shown = min(pd.get_option("display.min_rows") or max_rows, max_rows)
        head, tail = (shown + 1) // 2, shown // 2
        return pd.DataFrame(self.iloc[:head]), pd.DataFrame(self.iloc[len(self) - tail :]), len(self) - head - tail

    def _repr_html_(self) -> str | None:
        if self.empty and "message" in self.columns:
            return f'<p class="lambda-magic-logs-empty">{escape(self._empty_text())}</p>'
        if not self._readable():
            with pd.option_context("display.max_colwidth", None):
                return super()._repr_html_()
        head, tail, hidden = self._rows()
        columns = [c for c in self.columns if c != "message"] + ["message"]
        header = "".join(f'<th style="{theme.TH}">{escape(str(c))}</th>' for c in ["", *columns])
        body = _html_rows(head, columns)
        if hidden:
            body += (
                f'<tr><td colspan="{len(columns) + 1}" style="{theme.TD};color:{theme.MUTED}">'
                f"... {hidden:,} more rows ...</td></tr>"
            )
        body += _html_rows(tail, columns)
        return (
            f'<div class="lambda-magic-logs" style="{theme.SCROLL}">'
            f'<table style="border-collapse:collapse;font-size:12px"><thead><tr>{header}</tr></thead>'
            f"<tbody>{body}</tbody></table>"
            f'<p style="margin:2px 0;color:{theme.MUTED}">{len(self):,} log events'
            f"{'' if not self._log_query else ' matching ' + escape(self._log_query)}</p>"
            + (
                ""
                if (note := retention_note(self.attrs, len(self))) is None
                else f'<p class="lambda-magic-retention" style="margin:2px 0"><em>{escape(note)}</em></p>'
            )
            + "</div>"
        )

    def __repr__(self) -> str:
        if self.empty and "message" in self.columns:
            return self._empty_text()
        if not self._readable():
            with pd.option_context("display.max_colwidth", None):
                return super().__repr__()
        head, tail, hidden = self._rows()
        columns = [c for c in _TEXT_COLUMNS if c in self.columns]
        rows: list[list[str] | None] = [["", *columns], *_text_cells(head, columns)]
        if hidden:
            rows.append(None)  # stands for the rows between head and tail
        rows += _text_cells(tail, columns)
        widths = [max(len(row[i]) for row in rows if row is not None) for i in range(len(columns))]
        indent = " " * (sum(widths) + 2 * len(widths))
        lines = []
        for row in rows:
            if row is None:
                lines.append(f"... {hidden:,} more rows ...")
                continue
            cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)]
            lines.append("  ".join(cells) + "  " + row[-1].replace("\n", "\n" + indent))
        note = retention_note(self.attrs, len(self))
        return "\n".join([*(line.rstrip() for line in lines), *([note] if note else [])])


def _cell(value: Any) -> str:
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"  # as CloudWatch's console writes it
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


def _html_rows(frame: pd.DataFrame, columns: list[str]) -> str:
    rows = []
    for index, record in zip(frame.index, frame[columns].itertuples(index=False), strict=True):
        values = list(record)
        cells = "".join(
            f'<td style="{theme.TD};white-space:nowrap;padding:2px 10px 2px 0">{escape(_cell(v))}</td>'
            for v in values[:-1]
        )
        message = (
            f'<td style="{theme.TD};min-width:24em"><pre style="{theme.PRE}">'
            f"{escape(expand_tabs(_cell(values[-1])))}</pre></td>"
        )
        rows.append(
            f'<tr style="border-top:1px solid {theme.BORDER}"><th style="{theme.TH}">{escape(str(index))}</th>'
            f"{cells}{message}</tr>"
        )
    return "".join(rows)


def _text_cells(frame: pd.DataFrame, columns: list[str]) -> list[list[str]]:
    rows = []
    for index, record in zip(frame.index, frame[columns].itertuples(index=False), strict=True):
        values = [_cell(v) for v in record]
        values[-1] = expand_tabs(values[-1])
        rows.append([str(index), *values])
    return rows
