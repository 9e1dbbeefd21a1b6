"""The asynchronous queue panel: where every accepted event is, per function."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from . import theme

_COLUMNS = [
    ("received", "received"),
    ("queued", "queued"),
    ("in_flight", "in flight"),
    ("delayed", "waiting to retry"),
    ("succeeded", "succeeded"),
    ("to_failure_destination", "to failure destination"),
    ("dead_lettered", "dead-lettered"),
    ("dropped", "dropped"),
    ("retries", "retries"),
    ("throttles", "throttles"),
    ("destination_delivery_failures", "destination delivery failures"),
]


class QueuePanel:
    """The books of every function's async queue (``ledgers``: name -> AsyncLedger)."""

    def __init__(self, ledgers: Mapping[str, Any]):
        self.ledgers = dict(sorted(ledgers.items()))

    def _cells(self, ledger: Any) -> list[str]:
        cells = []
        for key, _ in _COLUMNS:
            if key == "dropped":
                total = sum(ledger.dropped.values())
                reasons = ", ".join(f"{reason} {count}" for reason, count in sorted(ledger.dropped.items()))
                cells.append(f"{total} ({reasons})" if total else "0")
            else:
                cells.append(str(getattr(ledger, key)))
        return cells

    def _repr_html_(self) -> str:
        if not self.ledgers:
            return "<p>No asynchronous events yet.</p>"
        head = "".join(f"<th>{escape(title)}</th>" for _, title in _COLUMNS)
        rows = "".join(
            f"<tr><td><strong>{escape(name)}</strong></td>"
            + "".join(f"<td>{escape(cell)}</td>" for cell in self._cells(ledger))
            + f"<td>{'✓ yes' if ledger.balances() else '✗ no'}</td></tr>"
            for name, ledger in self.ledgers.items()
        )
        return (
            f'<div class="lambda-magic-queue-panel" style="{theme.SCROLL}">'
            f'<table class="lambda-magic-queue"><thead><tr><th>function</th>{head}<th>balanced</th></tr></thead>'
            f"<tbody>{rows}</tbody></table></div>"
        )

    def __repr__(self) -> str:
        if not self.ledgers:
            return "No asynchronous events yet."
        lines = []
        for name, ledger in self.ledgers.items():
            parts = [
                f"{title} {cell}" for (_, title), cell in zip(_COLUMNS, self._cells(ledger), strict=True) if cell != "0"
            ]
            lines.append(f"{name}: " + ", ".join(parts) + ("" if ledger.balances() else "  (DOES NOT BALANCE)"))
        return "\n".join(lines)
