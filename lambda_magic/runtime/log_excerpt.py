"""The first and last lines of a long log, for an invocation's text and HTML forms.

AWS keeps every log line of an invocation (the log store does too); what a panel
shows of them is bounded, so one huge ``print`` does not add megabytes to the
notebook file.  ``lm.logs(request_id=...)`` gives the whole log back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

#: Lines the text/plain form shows at each end of a long log.
TEXT_HEAD = TEXT_TAIL = 20
#: Lines the HTML panel shows at each end (inside a height-limited scroll area).
PANEL_HEAD = PANEL_TAIL = 50
#: Characters kept of one very long line.
LINE_CHARS = 2_000


@dataclass(frozen=True)
class LogExcerpt:
    """``head`` and ``tail`` lines of a log of ``total`` lines; ``hidden`` lines between them."""

    head: tuple[str, ...]
    tail: tuple[str, ...]
    total: int

    @property
    def hidden(self) -> int:
        return self.total - len(self.head) - len(self.tail)


def excerpt(events: Sequence[str], head: int, tail: int, line_chars: int = LINE_CHARS) -> LogExcerpt:
    """The first ``head`` and last ``tail`` text lines of ``events`` (a log event may hold several lines).

    Nothing is hidden when the log has at most ``head + tail`` lines.  Lines longer
    than ``line_chars`` are cut, saying how many characters were left out.
    """
    total = sum(event.count("\n") + 1 for event in events)
    if total <= head + tail:
        return LogExcerpt(tuple(_cut(line, line_chars) for line in _lines(events)), (), total)
    first = _take(_lines(events), head)
    last = _take(_lines_backwards(events), tail)[::-1]
    return LogExcerpt(
        tuple(_cut(line, line_chars) for line in first), tuple(_cut(line, line_chars) for line in last), total
    )


def hidden_line(hidden: int, request_id: str) -> str:
    """The line that stands for the hidden middle of a log."""
    noun = "line" if hidden == 1 else "lines"
    return f'... {hidden:,} {noun} hidden (lm.logs(request_id="{request_id}") has them all)'


def _lines(events: Iterable[str]) -> Iterable[str]:
    for event in events:
        yield from event.split("\n")


def _lines_backwards(events: Sequence[str]) -> Iterable[str]:
    for event in reversed(events):
        yield from reversed(event.split("\n"))


def _take(lines: Iterable[str], count: int) -> list[str]:
    taken: list[str] = []
    for line in lines:
        if len(taken) == count:
            break
        taken.append(line)
    return taken


def _cut(line: str, limit: int) -> str:
    if len(line) <= limit:
        return line
    return f"{line[:limit]} ... ({len(line) - limit:,} more characters)"
