"""Pieces of the event builder that do not depend on its layout.

One widget per template parameter (chosen by the parameter's type), reading a
widget back into a parameter value, the status line, the history table and the
text summary.  ``builder.py`` composes them into the widget.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from html import escape
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from . import theme

if TYPE_CHECKING:
    from ..events import Param

LABEL_WIDTH = "150px"
#: Parameters of these types are edited as JSON text.
JSON_TYPES = ("json", "records")
_STATUS_KINDS = {"info": "info", "ok": "success", "error": "error", "queued": "queued"}


class FieldError(ValueError):
    """A form field holds a value its parameter cannot take (shown in the status line)."""


def make_field(param: Param) -> widgets.Widget:
    """The input widget for ``param``: its description is the tooltip, its name the label."""
    common: dict[str, Any] = {
        "description": param.name,
        "tooltip": param.description or param.name,
        "style": {"description_width": LABEL_WIDTH},
        "layout": widgets.Layout(width="460px", flex="0 0 auto"),
    }
    default = param.default
    if param.choices:
        options = [(str(choice), choice) for choice in param.choices]
        if default is None or default not in param.choices:
            options.insert(0, ("(default)", None))
        return widgets.Dropdown(options=options, value=default if default in param.choices else None, **common)
    if param.type == "boolean":
        return widgets.Checkbox(value=bool(default), indent=True, **common)
    if param.type == "integer" and isinstance(default, int) and not isinstance(default, bool):
        return widgets.IntText(value=default, continuous_update=False, **common)
    if param.type == "number" and isinstance(default, (int, float)) and not isinstance(default, bool):
        return widgets.FloatText(value=float(default), continuous_update=False, **common)
    if param.type in JSON_TYPES:
        text = "" if default is None else json.dumps(default, indent=2, ensure_ascii=False)
        rows = min(max(text.count("\n") + 1, 2), 8)
        return widgets.Textarea(
            value=text, rows=rows, continuous_update=False, placeholder="JSON (empty: the template's default)", **common
        )
    # strings, and integers/numbers whose default is None ("computed unless given")
    placeholder = "(default)" if default is None else ""
    return widgets.Text(
        value="" if default is None else str(default), continuous_update=False, placeholder=placeholder, **common
    )


def field_row(param: Param, field: widgets.Widget) -> widgets.Widget:
    """The field with its one-line description beside it (visible without hovering)."""
    hint = widgets.HTML(
        f'<div class="lm-builder-hint" style="color:{theme.MUTED};font-size:12px;line-height:1.3;'
        f'padding-top:4px">{escape(param.description or "")}</div>',
        layout=widgets.Layout(margin="0 0 0 8px", flex="1 1 auto"),
    )
    return widgets.HBox([field, hint], layout=widgets.Layout(align_items="flex-start"))


def read_field(param: Param, field: widgets.Widget) -> tuple[bool, Any]:
    """``(given, value)`` for ``param``; ``given`` is False where the template's default applies.

    Raises :class:`FieldError` with a one-line message for a value the type cannot hold.
    """
    value = field.value
    if param.choices:
        return (value is not None, value)
    if isinstance(field, (widgets.Checkbox, widgets.IntText, widgets.FloatText)):
        return (True, value)
    text = value.strip() if isinstance(value, str) else value
    if param.type in JSON_TYPES:
        if text == "":
            return (False, None)
        try:
            return (True, json.loads(text))
        except ValueError as exc:
            raise FieldError(f"{param.name}: not valid JSON ({_json_reason(exc)})") from None
    if text == "" and param.default is None:
        return (False, None)
    if param.type == "integer":
        try:
            return (True, int(text))
        except ValueError:
            raise FieldError(f"{param.name}: {text!r} is not a whole number") from None
    if param.type == "number":
        try:
            return (True, float(text))
        except ValueError:
            raise FieldError(f"{param.name}: {text!r} is not a number") from None
    return (True, value)


def parse_event(text: str) -> Any:
    """The event in the preview; :class:`FieldError` when it is not JSON."""
    if not text.strip():
        raise FieldError("the event preview is empty: choose a template, or type a JSON event")
    try:
        return json.loads(text)
    except ValueError as exc:
        raise FieldError(f"the event preview is not valid JSON ({_json_reason(exc)})") from None


def _json_reason(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"line {exc.lineno}, column {exc.colno}: {exc.msg}"
    return str(exc)


def status_html(kind: str, message: str) -> str:
    """The status line: one ``<div>`` with classes ``lm-builder-status lm-builder-<kind>``."""
    colour = theme.STATUS[_STATUS_KINDS.get(kind, "info")]
    weight = "600" if kind == "error" else "normal"
    return (
        f'<div class="lm-builder-status lm-builder-{kind}" style="color:{theme.TEXT};font-weight:{weight};'
        f'border-left:4px solid {colour};padding-left:6px;white-space:pre-wrap">{escape(message)}</div>'
    )


HISTORY_COLUMNS = ["function", "template", "type", "status", "duration_ms"]


def history_html(rows: Iterable[tuple[str, str, str, str, float | None]], limit: int = 20) -> str:
    """This builder's invocations as a small DataFrame in HTML (newest last, at most ``limit``)."""
    rows = list(rows)
    if not rows:
        return (
            f'<div class="lm-builder-history-content" style="color:{theme.MUTED}">'
            "No invocations from this builder yet.</div>"
        )
    import pandas as pd

    frame = pd.DataFrame.from_records(rows[-limit:], columns=HISTORY_COLUMNS)
    frame["duration_ms"] = frame["duration_ms"].astype("float64").round(2)
    table = frame.to_html(index=False, border=0, classes="lm-builder-history-table", na_rep="")
    more = f"<div>… {len(rows) - limit} earlier</div>" if len(rows) > limit else ""
    return f'<div class="lm-builder-history-content">{_HISTORY_STYLE}{more}{table}</div>'


_HISTORY_STYLE = (
    "<style>.lm-builder-history-table{border-collapse:collapse;font-size:12px}"
    ".lm-builder-history-table th,.lm-builder-history-table td{text-align:left;padding:2px 12px 2px 0}"
    f".lm-builder-history-table th{{color:{theme.MUTED};border-bottom:1px solid {theme.BORDER}}}</style>"
)


def summary_value(value: Any, limit: int = 40) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"
