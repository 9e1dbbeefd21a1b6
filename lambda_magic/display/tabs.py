"""Tabs in log messages, shown as spaces (pure Python: the panels use it without pandas)."""

from __future__ import annotations


def expand_tabs(text: str, size: int = 4, min_gap: int = 2) -> str:
    """Tabs as spaces to the next multiple of ``size`` columns, at least ``min_gap`` wide.

    Tab-separated fields (a REPORT line's) stay apart and aligned, in any font
    setting and where a page collapses tabs.
    """
    if "\t" not in text:
        return text
    out = []
    for line in text.split("\n"):
        column, parts = 0, []
        for char in line:
            if char == "\t":
                pad = size - column % size
                pad += size if pad < min_gap else 0
                parts.append(" " * pad)
                column += pad
            else:
                parts.append(char)
                column += 1
        out.append("".join(parts))
    return "\n".join(out)
