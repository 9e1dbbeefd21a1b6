"""Inline HTML panels for an invocation and a function.

Semantic HTML (tables, ``pre``) with inline styles, so the panels still read well
where styles are stripped (GitHub).  Every number that changes between runs is
written as ``<n> ms``, ``<n> MB used``, ``$<n>`` or ``width:<n>%`` so that one
sanitizer file covers them (see notebooks/sanitize.cfg).
"""

from __future__ import annotations

import json
from html import escape
from typing import TYPE_CHECKING, Any

from ..runtime.log_excerpt import PANEL_HEAD, PANEL_TAIL, excerpt, hidden_line
from . import theme
from .cell_lines import annotate_stack
from .tabs import expand_tabs

if TYPE_CHECKING:
    from ..runtime.function import Function
    from ..runtime.invocation import Invocation

_RESULT_CHARS = 20_000  # characters of a result the panel shows (inv.payload has all of it)


def invocation_html(invocation: Invocation) -> str:
    inv = invocation
    colour = theme.STATUS.get(inv.status, theme.STATUS["info"])
    start = (
        "cold start"
        if inv.cold_start
        else ("warm start" if inv.status not in ("queued", "dry-run", "throttled") else "")
    )
    if inv.attempt is not None:
        start = f"attempt {inv.attempt}, {start}"
    status_label = f"{inv.status_code} {inv.status}" if inv.status_code else inv.status  # 0: no response was given
    head = (
        f'<div style="margin-bottom:6px"><strong>{escape(inv.function_name)}</strong> · {escape(inv.version)} · '
        f"{escape(inv.invocation_type)} · {theme.badge(inv.status, status_label)}"
        + (f" · {start}" if start else "")
        + (f" · backend {escape(inv.backend)}" if inv.backend != "local" else "")
        + "</div>"
    )
    rows = []
    if inv.status == "success":
        rows.append(("Result", f'<pre style="{theme.PRE}">{escape(_cut(_pretty(inv.payload), _RESULT_CHARS))}</pre>'))
    elif inv.error is not None:
        cells = getattr(inv.presenter, "cells", None)  # frames of a %%lambda cell: its cell and line
        stack = "".join(annotate_stack(inv.error.get("stackTrace") or [], inv.function_name, cells))
        error = f"<strong>{escape(str(inv.error_type))}</strong>: {escape(str(inv.error_message))}"
        if stack:
            error += (
                f'<pre style="{theme.PRE};border-left:3px solid {theme.STATUS["error"]};padding-left:6px">'
                f"{escape(stack)}</pre>"
            )
        rows.append(("Error", error))
    elif inv.status == "queued":
        rows.append(("Queued", "202 Accepted: the event is queued and runs in the background (see invocations)."))
    elif inv.status == "dry-run":
        rows.append(("DryRun", "204: the request is valid; nothing ran."))
    elif inv.status == "throttled":
        rows.append(("Throttled", f"429 TooManyRequestsException: {escape(str(inv.throttle_reason))}; nothing ran"))
    elif inv.status == "interrupted":
        rows.append(("Interrupted", escape(str(inv.error_message))))
    if inv.duration_ms is not None:
        rows.append(("Timing", _timing(inv)))
        rows.append(("Memory", _memory(inv)))
        rows.append(
            (
                "Cost",
                f"${inv.cost_usd:.10f} ({inv.billed_duration_ms} ms billed × {inv.memory_size_mb} MB, "
                f"{escape(str(inv.architecture))}, us-east-1 prices)",
            )
        )
    if inv.verdict is not None:
        rows.append(("Service", verdict_html(inv.verdict)))
    for note in inv.limitations:
        rows.append(("Note", escape(note)))
    rows.append(("Request", f"<code>{escape(inv.request_id)}</code>"))
    return (
        f'<div class="lambda-magic-invocation" style="{theme.BOX};border-left:4px solid {colour}">'
        f"{head}{_table(rows)}{log_html(inv.init_log_lines + inv.log_lines, inv.request_id)}</div>"
    )


def log_html(lines: list[str], request_id: str) -> str:
    """The log of one invocation: its first and last lines in a scroll area, saying how many are hidden."""
    if not lines:
        return ""
    log = excerpt(lines, PANEL_HEAD, PANEL_TAIL)
    shown = list(log.head)
    title = f"Log ({log.total:,} {'line' if log.total == 1 else 'lines'})"
    if log.hidden:
        shown.append(hidden_line(log.hidden, request_id))
        title = (
            f"Log ({log.total:,} lines: the first {len(log.head)} and the last {len(log.tail)}; {log.hidden:,} hidden)"
        )
    shown.extend(log.tail)
    return (
        f'<details open><summary style="cursor:pointer;color:{theme.MUTED}">{title}</summary>'
        f'<pre class="lambda-magic-log" style="{theme.LOG}">{escape(expand_tabs(chr(10).join(shown)))}</pre></details>'
    )


def verdict_tone(verdict: Any) -> str:
    """``problem`` (a broken rule or a failed function), ``fails`` (a valid answer the service turns into a
    failure: a 4xx/5xx status, an authorizer's deny, failed batch items, a FAILED resource) or ``ok``."""
    if not verdict.ok:
        return "problem"
    details = verdict.details or {}
    status = details.get("statusCode")
    failed = (
        (isinstance(status, int) and status >= 400)
        or details.get("authorized") is False
        or bool(details.get("failed_item_ids"))
        or str(details.get("resource_status") or "").endswith("_FAILED")
        or details.get("action_status") == "Failed"
        or bool(details.get("exception"))
    )
    return "fails" if failed else "ok"


_TONES = {"ok": ("success", "✓ ok"), "fails": ("warning", "! fails"), "problem": ("error", "✗ problem")}


def verdict_html(verdict: Any) -> str:
    """The calling service's verdict: a badge (green only when the call succeeds) and the summary."""
    kind, label = _TONES[verdict_tone(verdict)]
    html = f"<strong>{escape(verdict.source)}</strong>: {theme.badge(kind, label)} {escape(verdict.summary)}"
    if verdict.problems:
        html += '<ul style="margin:2px 0">' + "".join(f"<li>{escape(p)}</li>" for p in verdict.problems) + "</ul>"
    return html


def _table(rows: list[tuple[str, str]]) -> str:
    return (
        "<table>"
        + "".join(
            f'<tr><th style="{theme.TH}">{name}</th><td style="{theme.TD}">{value}</td></tr>' for name, value in rows
        )
        + "</table>"
    )


def _bar(parts: str) -> str:
    return (
        f'<div style="display:flex;width:320px;max-width:100%;height:10px;background:{theme.TRACK};'
        f'border-radius:3px;overflow:hidden;margin:2px 0">{parts}</div>'
    )


def _timing(inv: Invocation) -> str:
    init = inv.init_duration_ms or 0.0
    billed = max(float(inv.billed_duration_ms or 0), 1e-9)
    init_w = min(init / billed * 100, 100)
    run_w = min((inv.duration_ms or 0.0) / billed * 100, 100 - init_w)
    bar = _bar(
        f'<div title="init" style="width:{init_w:.1f}%;background:{theme.FILL["init"]}"></div>'
        f'<div title="duration" style="width:{run_w:.1f}%;background:{theme.FILL["duration"]}"></div>'
    )
    text = f"Duration {inv.duration_ms:.2f} ms"
    if inv.init_duration_ms is not None:
        text = f"Init {inv.init_duration_ms:.2f} ms + " + text
    return f"{bar}{text} → Billed {inv.billed_duration_ms} ms"


def _memory(inv: Invocation) -> str:
    if inv.max_memory_used_mb is None:
        return f"not measured (inline) of {inv.memory_size_mb} MB"
    share = min(inv.max_memory_used_mb / (inv.memory_size_mb or 128) * 100, 100)
    fill = theme.FILL["memory-full"] if share >= 100 else theme.FILL["memory"]
    return (
        _bar(f'<div style="width:{share:.1f}%;height:100%;background:{fill}"></div>')
        + f"{inv.max_memory_used_mb} MB used of {inv.memory_size_mb} MB"
    )


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\n... ({len(text) - limit:,} more characters: the invocation's payload has them all)"


def _pretty(value: Any) -> str:
    if isinstance(value, bytes):
        return repr(value)
    try:
        return json.dumps(value, indent=2, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


def function_html(function: Function, *, updated: bool = False) -> str:
    c = function.config
    action = "updated" if updated else "registered"
    level = f" · level {c.log_level}" if c.log_level else ""
    env = ", ".join(f"{escape(k)}={escape(v)}" for k, v in c.env.items()) or "none"
    rows = [
        ("Function", f"<strong>{escape(function.name)}</strong> {action} ({escape(function.version)})"),
        ("ARN", f"<code>{escape(function.arn)}</code>"),
        ("Handler", f"<code>{escape(c.handler_setting)}</code> · {c.runtime} · {c.architecture}"),
        (
            "Limits",
            f"{c.memory_mb} MB memory · {c.timeout_s} s timeout"
            + (
                f" · reserved concurrency {function.reserved_concurrency}"
                if function.reserved_concurrency is not None
                else ""
            ),
        ),
        ("Isolation", escape(c.isolation)) if function.backend == "local" else ("Backend", escape(function.backend)),
        ("Logs", f"{escape(c.log_format)} format{level} · {escape(function.log_group_name)}"),
        ("Environment", env),
        ("Code", f"{function.code_size} bytes · CodeSha256 <code>{escape(function.code_sha256)}</code>"),
    ]
    if c.description:
        rows.insert(1, ("Description", escape(c.description)))
    for warning in function.warnings:  # what the first invoke will answer
        rows.append(
            (
                "Warning",
                f'{theme.badge("warning", "first invoke fails")}<pre style="{theme.PRE}">{escape(str(warning))}</pre>',
            )
        )
    return (
        f'<div class="lambda-magic-function" style="{theme.BOX};border-left:4px solid {theme.STATUS["function"]}">'
        f"{_table(rows)}</div>"
    )


class FunctionPanel:
    """What a ``%%lambda`` cell shows: the registered function, compactly."""

    def __init__(self, function: Function, *, updated: bool = False):
        self.function = function
        self.updated = updated

    def _repr_html_(self) -> str:
        return function_html(self.function, updated=self.updated)

    def __repr__(self) -> str:
        c = self.function.config
        action = "Updated" if self.updated else "Registered"
        return (
            f"{action} {self.function.name} ({c.runtime}, {c.handler_setting}, {c.memory_mb} MB, {c.timeout_s} s, "
            f"{c.isolation if self.function.backend == 'local' else 'backend ' + self.function.backend})"
            f"\n{self.function.arn}"
        ) + "".join(f"\nWarning: {warning}" for warning in self.function.warnings)
