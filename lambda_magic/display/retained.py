"""Frames that say when retention dropped older rows (imports pandas: load lazily)."""

from __future__ import annotations

from html import escape
from typing import Any

import pandas as pd

#: What each retention setting keeps, and the magic trait that sets it.
_WHAT = {"retained_invocations": "invocations", "retained_log_events": "log events"}


def mark_dropped(frame: pd.DataFrame, rows: Any) -> pd.DataFrame:
    """Copy a ``Retained`` query's counts into ``frame.attrs``: ``dropped`` (older rows
    that retention dropped), ``total`` (kept + dropped), ``retention`` and ``setting``."""
    dropped = getattr(rows, "dropped", 0)
    frame.attrs["dropped"] = dropped
    frame.attrs["total"] = len(frame) + dropped
    frame.attrs["retention"] = getattr(rows, "retention", None)
    frame.attrs["setting"] = getattr(rows, "setting", "")
    return frame


def retention_note(attrs: dict, rows: int | None = None) -> str | None:
    """One line saying how many rows retention dropped, and how to keep more; None if none.

    ``rows`` is the length of the frame shown: a frame derived from the query (filtered,
    ``head()``...) says which rows it came from instead.
    """
    dropped = attrs.get("dropped") or 0
    if not dropped:
        return None
    setting = attrs.get("setting") or "retained_invocations"
    what = _WHAT.get(setting, "rows")
    total = attrs.get("total", dropped)
    kept = total - dropped
    shown = "showing" if rows is None or rows == kept else "from"
    return (
        f"{shown} the last {kept:,} of {total:,} {what} (older ones dropped by retention: "
        f"lm.account().configure({setting}=N) or %config LambdaMagic.{setting} = N; None keeps all)"
    )


class RetainedFrame(pd.DataFrame):
    """A ``pandas.DataFrame`` whose display ends with the retention note, when rows were dropped."""

    @property
    def _constructor(self) -> Any:
        return RetainedFrame

    def _repr_html_(self) -> str | None:
        html = super()._repr_html_()
        note = retention_note(self.attrs, len(self))
        if html is None or note is None:
            return html
        return f'{html}<p class="lambda-magic-retention"><em>{escape(note)}</em></p>'

    def __repr__(self) -> str:
        text = super().__repr__()
        note = retention_note(self.attrs, len(self))
        return text if note is None else f"{text}\n{note}"
