"""Tracebacks that point at the ``%%lambda`` cell: ``Cell In[5], line 4`` beside AWS's frame.

A ``%%lambda NAME`` cell's body is the function's ``lambda_function.py``, so line N of
the file is line N + 1 of the cell (the ``%%lambda`` line is line 1, as the notebook
numbers them).  The magic notes which cell (IPython's execution count) registered which
code; a frame ``File "/var/task/lambda_function.py", line N`` of an error is then shown
with its cell and line, when that cell's line N is the frame's source line (so a frame
of an older version, registered by another cell, is not mislabelled).  The error
document itself keeps AWS's ``stackTrace`` as AWS has it; only the display adds this.
"""

from __future__ import annotations

import re
import sys
import threading
from collections import defaultdict
from typing import Any

#: The cells kept per function (the most recent registrations).
_KEPT = 16
_FRAME = re.compile(r'^(\s*File "(?P<file>[^"]+)", line (?P<line>\d+)(?:, in (?P<name>[^\n]*))?)\n(?P<source>[^\n]*)')
_CELL_FILE = "/var/task/lambda_function.py"


class CellOrigins:
    """Which notebook cell registered which code of a function (one per account, on its presenter)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cells: dict[str, list[tuple[int, list[str]]]] = defaultdict(list)

    def note(self, function_name: str, code: str, execution_count: int | None) -> None:
        """``%%lambda`` cell ``In[execution_count]`` registered ``code`` as ``function_name``."""
        if not isinstance(execution_count, int):
            return
        with self._lock:
            cells = self._cells[function_name]
            cells.append((execution_count, code.splitlines()))
            del cells[:-_KEPT]

    def locate(self, function_name: str, line: int, source: str) -> tuple[int, int] | None:
        """``(execution_count, cell line)`` of line ``line`` of the function's ``lambda_function.py``
        whose text is ``source``; None when no kept cell has that line."""
        wanted = source.strip()
        with self._lock:
            cells = list(self._cells.get(function_name, ()))
        for count, lines in reversed(cells):
            if 0 < line <= len(lines) and lines[line - 1].strip() == wanted:
                return count, line + 1
        return None

    def forget(self) -> None:
        with self._lock:
            self._cells.clear()


def current_cell(shell: Any) -> int | None:
    """The execution count of the notebook cell running now (IPython's ``In[N]``), found as
    IPython finds it for its own tracebacks: the calling frame whose file is a cached cell."""
    cells = getattr(getattr(shell, "compile", None), "_filename_map", None)
    if not isinstance(cells, dict):
        return None
    frame = sys._getframe(1)
    while frame is not None:
        count = cells.get(frame.f_code.co_filename)
        if isinstance(count, int):
            return count
        frame = frame.f_back  # type: ignore[assignment]
    return None


def note_cell(presenter: object, function_name: str, code: str, execution_count: int | None) -> None:
    """Note the registering cell on the account's presenter (a no-op for another presenter)."""
    origins = getattr(presenter, "cells", None)
    if isinstance(origins, CellOrigins):
        origins.note(function_name, code, execution_count)


def annotate_stack(stack: list[str], function_name: str, origins: CellOrigins | None) -> list[str]:
    """AWS's ``stackTrace`` entries, each frame of the function's cell code led by
    ``Cell In[N], line M, in NAME`` (IPython's words) and then AWS's own frame line."""
    if origins is None:
        return list(stack)
    shown = []
    for entry in stack:
        match = _FRAME.match(entry)
        found = None
        if match is not None and match["file"] == _CELL_FILE:
            found = origins.locate(function_name, int(match["line"]), match["source"])
        if match is None or found is None:
            shown.append(entry)
            continue
        count, cell_line = found
        where = f"  Cell In[{count}], line {cell_line}" + (f", in {match['name']}" if match["name"] else "")
        aws = f'File "{match["file"]}", line {match["line"]}'
        shown.append(f"{where}   ({aws})\n" + entry[match.end(1) + 1 :])
    return shown
