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

if TYPE_CHECKING:
    from ..runtime.function import Function
    from ..runtime.invocation import Invocation

_COLOURS = {"success": "#1b7f3b", "error": "#b42318", "timeout": "#b54708", "queued": "#175cd3", "dry-run": "#475467",
            "throttled": "#b54708", "interrupted": "#b54708"}
_BOX = "font-family:var(--jp-ui-font-family,sans-serif);font-size:13px;border:1px solid #d0d5dd;border-radius:6px;padding:8px 10px;margin:2px 0;max-width:980px"
_TH = "text-align:left;vertical-align:top;padding:2px 10px 2px 0;color:#475467;font-weight:600;white-space:nowrap"
_PRE = "margin:0;white-space:pre-wrap;word-break:break-word;font-size:12px"


def invocation_html(invocation: "Invocation") -> str:
    inv = invocation
    colour = _COLOURS.get(inv.status, "#475467")
    start = "cold start" if inv.cold_start else ("warm start" if inv.status not in ("queued", "dry-run", "throttled") else "")
    if inv.attempt is not None:
        start = f"attempt {inv.attempt}, {start}"
    head = (
        f'<div style="margin-bottom:6px"><b>{escape(inv.function_name)}</b> · {escape(inv.version)} · '
        f"{escape(inv.invocation_type)} · "
        f'<span style="background:{colour};color:white;border-radius:4px;padding:0 6px">{inv.status_code or ""} {escape(inv.status)}</span>'
        + (f" · {start}" if start else "")
        + "</div>"
    )
    rows = []
    if inv.status == "success":
        rows.append(("Result", f'<pre style="{_PRE}">{escape(_pretty(inv.payload))}</pre>'))
    elif inv.error is not None:
        stack = "".join(inv.error.get("stackTrace") or [])
        error = f"<b>{escape(str(inv.error_type))}</b>: {escape(str(inv.error_message))}"
        if stack:
            error += f'<pre style="{_PRE};color:#b42318">{escape(stack)}</pre>'
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
        rows.append(("Cost", f"${inv.cost_usd:.10f} ({inv.billed_duration_ms} ms billed × {inv.memory_size_mb} MB, "
                              f"{escape(str(inv.architecture))}, us-east-1 prices)"))
    if inv.verdict is not None:
        rows.append(("Service", _verdict(inv.verdict)))
    for note in inv.limitations:
        rows.append(("Note", escape(note)))
    rows.append(("Request", f"<code>{escape(inv.request_id)}</code>"))
    table = "".join(f'<tr><th style="{_TH}">{name}</th><td style="text-align:left">{value}</td></tr>' for name, value in rows)
    log = ""
    lines = inv.init_log_lines + inv.log_lines
    if lines:
        log = (
            f'<details open><summary style="cursor:pointer;color:#475467">Log ({len(lines)} events)</summary>'
            f'<pre style="{_PRE};background:#f9fafb;padding:4px">{escape(chr(10).join(lines))}</pre></details>'
        )
    return f'<div class="lambda-magic-invocation" style="{_BOX};border-left:4px solid {colour}">{head}<table>{table}</table>{log}</div>'


def _verdict(verdict: Any) -> str:
    colour = "#1b7f3b" if verdict.ok else "#b42318"
    html = f'<b>{escape(verdict.source)}</b>: <span style="color:{colour}">{escape(verdict.summary)}</span>'
    if verdict.problems:
        html += "<ul style=\"margin:2px 0\">" + "".join(f"<li>{escape(p)}</li>" for p in verdict.problems) + "</ul>"
    return html


def _timing(inv: "Invocation") -> str:
    init = inv.init_duration_ms or 0.0
    billed = max(float(inv.billed_duration_ms or 0), 1e-9)
    init_w = min(init / billed * 100, 100)
    run_w = min(inv.duration_ms / billed * 100, 100 - init_w)
    bar = (
        '<div style="display:flex;width:320px;height:10px;background:#eaecf0;border-radius:3px;overflow:hidden;margin:2px 0">'
        f'<div title="init" style="width:{init_w:.1f}%;background:#f79009"></div>'
        f'<div title="duration" style="width:{run_w:.1f}%;background:#2e90fa"></div></div>'
    )
    text = f"Duration {inv.duration_ms:.2f} ms"
    if inv.init_duration_ms is not None:
        text = f"Init {inv.init_duration_ms:.2f} ms + " + text
    return f"{bar}{text} → Billed {inv.billed_duration_ms} ms"


def _memory(inv: "Invocation") -> str:
    if inv.max_memory_used_mb is None:
        return f"not measured (inline) of {inv.memory_size_mb} MB"
    share = min(inv.max_memory_used_mb / inv.memory_size_mb * 100, 100)
    colour = "#b42318" if share >= 100 else "#12b76a"
    return (
        '<div style="width:320px;height:10px;background:#eaecf0;border-radius:3px;overflow:hidden;margin:2px 0">'
        f'<div style="width:{share:.1f}%;height:100%;background:{colour}"></div></div>'
        f"{inv.max_memory_used_mb} MB used of {inv.memory_size_mb} MB"
    )


def _pretty(value: Any) -> str:
    if isinstance(value, bytes):
        return repr(value)
    try:
        return json.dumps(value, indent=2, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


def function_html(function: "Function", *, updated: bool = False) -> str:
    c = function.config
    action = "updated" if updated else "registered"
    env = ", ".join(f"{escape(k)}={escape(v)}" for k, v in c.env.items()) or "none"
    rows = [
        ("Function", f"<b>{escape(function.name)}</b> {action} ({escape(function.version)})"),
        ("ARN", f"<code>{escape(function.arn)}</code>"),
        ("Handler", f"<code>{escape(c.handler_setting)}</code> · {c.runtime} · {c.architecture}"),
        ("Limits", f"{c.memory_mb} MB memory · {c.timeout_s} s timeout"
                   + (f" · reserved concurrency {function.reserved_concurrency}"
                      if function.reserved_concurrency is not None else "")),
        ("Isolation", escape(c.isolation)),
        ("Logs", f"{escape(c.log_format)} format{' · level ' + c.log_level if c.log_level else ''} · {escape(function.log_group_name)}"),
        ("Environment", env),
        ("Code", f"{function.code_size} bytes · CodeSha256 <code>{escape(function.code_sha256)}</code>"),
    ]
    if c.description:
        rows.insert(1, ("Description", escape(c.description)))
    for warning in function.warnings:  # what the first invoke will answer
        rows.append(("Warning", f'<pre style="{_PRE};color:var(--jp-warn-color0,#b54708)">{escape(str(warning))}</pre>'))
    table = "".join(f'<tr><th style="{_TH}">{name}</th><td style="text-align:left">{value}</td></tr>' for name, value in rows)
    return f'<div class="lambda-magic-function" style="{_BOX};border-left:4px solid #7f56d9"><table>{table}</table></div>'


class FunctionPanel:
    """What a ``%%lambda`` cell shows: the registered function, compactly."""

    def __init__(self, function: "Function", *, updated: bool = False):
        self.function = function
        self.updated = updated

    def _repr_html_(self) -> str:
        return function_html(self.function, updated=self.updated)

    def __repr__(self) -> str:
        c = self.function.config
        action = "Updated" if self.updated else "Registered"
        return (
            f"{action} {self.function.name} ({c.runtime}, {c.handler_setting}, {c.memory_mb} MB, {c.timeout_s} s, "
            f"{c.isolation})\n{self.function.arn}"
        ) + "".join(f"\nWarning: {warning}" for warning in self.function.warnings)
