"""The event-flow map: what caused each invocation, as a table of edges and a picture.

Every invocation names its cause: its trigger (``direct`` or a template from a cell,
``api``, ``s3:BUCKET``, ``sqs:QUEUE``, ``destination:FUNCTION``...) and, when a handler
made the call or sent the message, that invocation's request id (``caller_request_id``);
an async retry is the same request again.  The account's lineage also knows what
handlers sent to queues and what Lambda delivered to destinations and dead-letter
queues, and which invocations recursion detection stopped.  From these, one row per
cause -> effect edge: ``source`` and ``target`` are nodes (``cell``, ``api``, a function's
name, or a service resource ``kind:name``), ``request_id`` the effect's request (None
for a message sent to a service), ``caused_by`` the cause's, ``count`` how many
invocations or messages, ``errors`` how many of them failed (an invocation stopped by
recursion detection counts as an error, and in ``stopped``).

:class:`FlowFrame` is the DataFrame; it draws itself (``.figure``, PNG in the notebook)
as a graph read left to right: functions, services and the cell as boxes, arrows with
their counts, failing arrows in red and dashed.  The picture is drawn on white paper,
as the timeline is, so that it reads in light and dark themes alike.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from . import theme

COLUMNS = ["source", "target", "request_id", "caused_by", "trigger", "count", "errors", "stopped"]
_RAN_OK = "success"
#: Node fills on white paper (white text on each has a contrast of at least 4.5).
_FILLS = {"function": "#6941c6", "service": "#175cd3", "root": "#475467"}
_OK_EDGE, _ERROR_EDGE = "#475467", "#b42318"
#: Distance between the centres of two columns and of two rows (boxes are 2.0 x 0.5).
_COLUMN_STEP, _ROW_STEP = 3.4, 1.0


@dataclass
class _Edge:
    source: str
    target: str
    request_id: str | None
    caused_by: str | None
    trigger: str
    count: int = 1
    errors: int = 0
    stopped: int = 0


@dataclass
class _Book:
    """The edges, and who caused whom (for one request's chain)."""

    edges: list[_Edge] = field(default_factory=list)
    parent: dict[str, str | None] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=dict)


def _root(trigger: str) -> str:
    return "api" if trigger == "api" else "cell"


def _is_resource(trigger: str) -> bool:
    kind, sep, _ = trigger.partition(":")
    return bool(sep) and kind not in ("template", "destination")


def _book(invocations: Iterable[Any], lineage: Any) -> _Book:
    records = [r for r in invocations if not (r.status == "throttled" and r.invocation_type == "Event")]
    stopped = list(getattr(lineage, "stopped", ()))
    sends = lineage.sends() if lineage is not None else []
    function_of = {r.request_id: r.function_name for r in records}
    sent = {(request_id, resource) for request_id, resource, how, _ in sends if how == "sent"}
    book = _Book()
    upstream: dict[tuple[str, str], _Edge] = {}

    def cause(effect_trigger: str, caller: str | None, own: str) -> tuple[str, str]:
        """(source node, trigger label) of an invocation that is not a retry."""
        if effect_trigger.startswith("destination:"):
            return function_of.get(caller or "", effect_trigger.partition(":")[2]), "destination"
        if _is_resource(effect_trigger):
            if caller is not None and caller in function_of and (caller, effect_trigger) not in sent:
                key = (caller, effect_trigger)
                if key in upstream:
                    upstream[key].count += 1
                else:  # the handler wrote into the service (an S3 object, an SNS message...)
                    upstream[key] = _Edge(function_of[caller], effect_trigger, own, caller, "sent")
            return effect_trigger, effect_trigger
        if caller in function_of:
            return function_of[caller], effect_trigger
        return _root(effect_trigger), effect_trigger

    for r in records:
        caller = r.caller_request_id
        failed = 0 if r.status == _RAN_OK else 1
        if r.attempt and r.attempt > 1:
            edge = _Edge(r.function_name, r.function_name, r.request_id, r.request_id, "retry", errors=failed)
        else:
            source, trigger = cause(r.trigger, caller, r.request_id)
            edge = _Edge(source, r.function_name, r.request_id, caller, trigger, errors=failed)
            book.parent.setdefault(r.request_id, caller)
            if caller:
                book.children.setdefault(caller, []).append(r.request_id)
        book.edges.append(edge)
    for s in stopped:
        if s.request_id in function_of:  # an async event stopped after it ran before: a retry
            edge = _Edge(s.function_name, s.function_name, s.request_id, s.request_id, "retry", 1, 1, 1)
        else:
            source, trigger = cause(s.trigger, s.caller_request_id, s.request_id)
            edge = _Edge(source, s.function_name, s.request_id, s.caller_request_id, trigger, 1, 1, 1)
            book.parent.setdefault(s.request_id, s.caller_request_id)
            if s.caller_request_id:
                book.children.setdefault(s.caller_request_id, []).append(s.request_id)
        book.edges.append(edge)
    book.edges.extend(upstream.values())
    for request_id, resource, how, n in sends:
        if request_id in function_of:
            book.edges.append(_Edge(function_of[request_id], resource, None, request_id, how, n))
    return book


def _chain(book: _Book, request_id: str) -> list[_Edge]:
    """The edges of the chain through ``request_id``: its causes up to the first, and everything it caused."""
    up: list[str] = []
    seen: set[str] = set()
    current: str | None = request_id
    while current is not None and current not in seen:
        seen.add(current)
        up.append(current)
        current = book.parent.get(current)
    down: set[str] = set()
    todo = [request_id]
    while todo:
        current = todo.pop()
        if current in down:
            continue
        down.add(current)
        todo.extend(book.children.get(current, ()))
    ancestors = set(up) - {request_id}
    members = ancestors | down
    into_chain = {(e.caused_by, e.trigger) for e in book.edges if e.request_id in members}
    chosen = []
    for e in book.edges:
        if e.request_id is not None:
            if e.request_id in members:
                chosen.append(e)
        elif e.caused_by in down or (e.caused_by in ancestors and (e.caused_by, e.target) in into_chain):
            chosen.append(e)
    return chosen


def flow_frame(invocations: Iterable[Any], lineage: Any = None, request_id: str | None = None) -> FlowFrame:
    """The flow map of ``invocations`` (with the account's ``lineage``): every edge between
    the same source and target summed (``request_id`` and ``caused_by`` then name the most
    recent one), or, for one ``request_id``, each edge of the chain that contains it."""
    book = _book(invocations, lineage)
    if request_id is not None:
        if request_id not in book.parent and not any(e.caused_by == request_id for e in book.edges):
            from ..common.errors import ResourceNotFoundException

            raise ResourceNotFoundException(
                f"request id {request_id!r} is in no kept invocation (lm.invocations() lists them)"
            )
        rows = [e.__dict__ for e in _chain(book, request_id)]
    else:
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        for e in book.edges:
            row = merged.get((e.source, e.target))
            if row is None:
                merged[(e.source, e.target)] = {**e.__dict__, "trigger": [e.trigger]}
                continue
            row["count"] += e.count
            row["errors"] += e.errors
            row["stopped"] += e.stopped
            if e.trigger not in row["trigger"]:
                row["trigger"].append(e.trigger)
            if e.request_id is not None or row["request_id"] is None:
                row["request_id"], row["caused_by"] = e.request_id, e.caused_by
        rows = [{**row, "trigger": ", ".join(row["trigger"])} for row in merged.values()]
    frame = FlowFrame(rows, columns=COLUMNS)
    frame[["count", "errors", "stopped"]] = frame[["count", "errors", "stopped"]].astype("int64")
    frame.attrs["request_id"] = request_id
    return frame


class FlowFrame(pd.DataFrame):
    """The flow map's edges (a plain DataFrame for code) that displays as a graph above its table."""

    @property
    def _constructor(self) -> Any:
        return FlowFrame

    @property
    def figure(self) -> Any:
        """The graph as a matplotlib figure (drawn on each access)."""
        return draw(self)

    def _repr_png_(self) -> bytes | None:
        if self.empty:
            return None
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=90, facecolor="white", transparent=False)
        return buffer.getvalue()

    def _repr_html_(self) -> str | None:
        table = pd.DataFrame._repr_html_(self)
        if self.empty:
            return f'<p class="lambda-magic-flow"><em>{_empty_words(self)}</em></p>'
        png = base64.b64encode(self._repr_png_() or b"").decode("ascii")
        alt = "; ".join(f"{s} to {t}: {_label(c, e, x)}" for s, t, c, e, x in _pairs(self))
        return (
            f'<div class="lambda-magic-flow" style="{theme.SCROLL}">'
            f'<img src="data:image/png;base64,{png}" alt="event flow: {_attr(alt)}" style="max-width:100%"/>'
            f"{table or ''}</div>"
        )


def _empty_words(frame: pd.DataFrame) -> str:
    if frame.attrs.get("request_id"):
        return f"nothing flowed through request {frame.attrs['request_id']}"
    return "no invocations yet: invoke a function, or trigger one from a service"


def _attr(text: str) -> str:
    from html import escape

    return escape(text, quote=True)


def _pairs(frame: pd.DataFrame) -> list[tuple[str, str, int, int, int]]:
    """(source, target, count, errors, stopped) summed per pair of nodes, in first-seen order."""
    sums: dict[tuple[str, str], list[int]] = {}
    for source, target, count, errors, stopped in zip(
        frame["source"], frame["target"], frame["count"], frame["errors"], frame["stopped"], strict=True
    ):
        entry = sums.setdefault((source, target), [0, 0, 0])
        entry[0] += int(count)
        entry[1] += int(errors)
        entry[2] += int(stopped)
    return [(s, t, c, e, x) for (s, t), (c, e, x) in sums.items()]


# --- the picture ------------------------------------------------------------------------------


def _kind(node: str, functions: set[str]) -> str:
    if node in functions:
        return "function"
    return "service" if ":" in node else "root"


def _layers(nodes: list[str], pairs: list[tuple[str, str, int, int, int]]) -> dict[str, int]:
    """Each node's column: its distance from the nearest node nothing points at (breadth first)."""
    incoming = {n: 0 for n in nodes}
    outgoing: dict[str, list[str]] = {n: [] for n in nodes}
    for s, t, *_ in pairs:
        if s != t:
            incoming[t] += 1
            outgoing[s].append(t)
    layer: dict[str, int] = {}
    starts = [n for n in nodes if incoming[n] == 0]
    while True:
        layer.update((n, 0) for n in starts)
        todo = list(starts)
        while todo:
            current = todo.pop(0)
            for nxt in outgoing[current]:
                if nxt not in layer:
                    layer[nxt] = layer[current] + 1
                    todo.append(nxt)
        # a cycle nothing else reaches (a function writing into its own bucket): it starts
        # at the node seen first, so the cycle reads left to right with one arrow going back
        unreached = [n for n in nodes if n not in layer]
        if not unreached:
            return layer
        starts = unreached[:1]


def draw(frame: pd.DataFrame) -> Any:
    """The flow map as a matplotlib figure: nodes in columns by their distance from the first
    cause, an arrow per pair of nodes labelled with its count (and failures, in red)."""
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    from .timeline import _PAPER

    pairs = _pairs(frame)
    nodes = list(dict.fromkeys([n for s, t, *_ in pairs for n in (s, t)]))
    functions = {t for t in frame["target"] if ":" not in t}
    layer = _layers(nodes, pairs)
    columns: dict[int, list[str]] = {}
    for n in nodes:
        columns.setdefault(layer[n], []).append(n)
    height = max(len(c) for c in columns.values())
    position = {}
    for column, members in columns.items():
        for i, n in enumerate(members):  # each column centred on the middle row
            position[n] = (column * _COLUMN_STEP, ((len(members) - 1) / 2 - i) * _ROW_STEP)
    width = (max(columns) + 1) * _COLUMN_STEP
    with matplotlib.rc_context(_PAPER):
        figure = Figure(figsize=(max(4.0, 0.9 * width), max(1.8, 0.9 * height * _ROW_STEP + 1.6)), layout="constrained")
        axes = figure.subplots()
        axes.set_axis_off()
        box_w, box_h = 2.0, 0.5
        for n, (x, y) in position.items():
            kind = _kind(n, functions)
            axes.add_patch(
                FancyBboxPatch(
                    (x - box_w / 2, y - box_h / 2),
                    box_w,
                    box_h,
                    boxstyle="round,pad=0.02,rounding_size=0.12" if kind == "function" else "square,pad=0.02",
                    facecolor=_FILLS[kind],
                    edgecolor="#101828",
                    linewidth=0.8,
                    zorder=2,
                )
            )
            axes.text(x, y, _short(n), ha="center", va="center", color="white", fontsize=9, zorder=3)
        for s, t, count, errors, stopped in pairs:
            colour = _ERROR_EDGE if errors else _OK_EDGE
            style = "--" if errors else "-"
            (x0, y0), (x1, y1) = position[s], position[t]
            if s == t:  # a retry or a call to itself: a loop over the box
                start, end, rad = (x0 + 0.4, y0 + box_h / 2), (x0 - 0.4, y0 + box_h / 2), 1.2
            elif x1 > x0:  # forward: from the right side to the left side
                start, end, rad = (x0 + box_w / 2, y0), (x1 - box_w / 2, y1), 0.0
            else:  # back to an earlier column (a loop): under the boxes
                start, end, rad = (x0, y0 - box_h / 2), (x1, y1 - box_h / 2), -0.3
            # the curve's middle (matplotlib's arc3 control point, with equal axis scales)
            (sx, sy), (ex, ey) = start, end
            middle = ((sx + ex) / 2 + rad * (ey - sy) / 2, (sy + ey) / 2 - rad * (ex - sx) / 2)
            axes.add_patch(
                FancyArrowPatch(
                    start,
                    end,
                    arrowstyle="-|>",
                    mutation_scale=12,
                    color=colour,
                    linestyle=style,
                    linewidth=1.4,
                    connectionstyle=f"arc3,rad={rad}",
                    zorder=1,
                )
            )
            axes.text(
                *middle,
                _label(count, errors, stopped),
                ha="center",
                va="center",
                fontsize=8,
                color=colour,
                bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"},
                zorder=4,
            )
        xs = [p[0] for p in position.values()]
        ys = [p[1] for p in position.values()]
        axes.set_xlim(min(xs) - box_w / 2 - 0.3, max(xs) + box_w / 2 + 0.3)
        axes.set_ylim(min(ys) - box_h / 2 - 1.0, max(ys) + box_h / 2 + 1.0)
        axes.set_aspect("equal", adjustable="box")
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        kinds = {_kind(n, functions) for n in nodes}
        handles: list[Any] = [
            Patch(facecolor=_FILLS[kind], edgecolor="#101828", label=words)
            for kind, words in (("root", "cell or API caller"), ("service", "service"), ("function", "function"))
            if kind in kinds
        ]
        if any(p[3] for p in pairs):
            handles.append(Line2D([], [], color=_ERROR_EDGE, linestyle="--", label="failed or stopped"))
        axes.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, 0.0),
            ncols=len(handles),
            fontsize=8,
            frameon=False,
        )
        request = frame.attrs.get("request_id")
        axes.set_title(f"Event flow of request {request}" if request else "Event flow", fontsize=10)
    return figure


def _label(count: int, errors: int, stopped: int) -> str:
    """An arrow's words: ``12``, ``12 (2 failed)``, ``17 (1 stopped)``."""
    parts = [f"{errors - stopped} failed"] if errors > stopped else []
    parts += [f"{stopped} stopped"] if stopped else []
    return f"{count}" + (f" ({', '.join(parts)})" if parts else "")


def _short(node: str, limit: int = 22) -> str:
    return node if len(node) <= limit else node[: limit - 1] + "…"
