"""Run a parsed Logs Insights query over log events."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .fields import discover
from .functions import (
    AGGREGATES,
    ARITY,
    SCALAR,
    Timestamp,
    compare,
    equal,
    floor_time,
    natural_key,
    number,
    text,
    truthy,
)
from .lexer import malformed
from .parser import Command, Expr, parse

#: Rows a query returns when it says no ``limit`` (GetQueryResults' maximum page).
DEFAULT_LIMIT = 10_000
DEFAULT_FIELDS = ("@timestamp", "@message")


@dataclass
class QueryResult:
    """The rows of a query (dicts in column order) and its statistics."""

    fields: list[str]
    rows: list[dict[str, Any]]
    records_scanned: int = 0
    records_matched: int = 0
    statistics: dict[str, float] = field(default_factory=dict)


def run_query(query: str, events: Iterable[dict[str, Any]], *, limit: int | None = None) -> QueryResult:
    """Run ``query`` over ``events`` (dicts with ``@timestamp`` in epoch ms, ``@message``,
    ``@logStream``, ``@log``...); the discovered fields are added to each event first."""
    commands = parse(query)
    _check(commands)
    rows = [discover(event) for event in events]
    for row in rows:
        row["@timestamp"] = Timestamp(int(row.get("@timestamp", 0)))
    rows.sort(key=lambda r: r["@timestamp"])
    scanned = len(rows)
    shown: list[str] = []
    displayed: list[str] | None = None
    aggregated = False
    sorted_explicitly = False
    matched: int | None = None
    for command in commands:
        if command.kind == "fields":
            for item in command.items:
                for row in rows:
                    row[item.name] = evaluate(item.expr, row)
                if item.name not in shown:
                    shown.append(item.name)
        elif command.kind == "display":
            displayed = [item.name for item in command.items]
            for item in command.items:
                if item.expr[0] != "field":
                    for row in rows:
                        row[item.name] = evaluate(item.expr, row)
        elif command.kind == "filter":
            condition = command.items[0].expr
            rows = [row for row in rows if truthy(evaluate(condition, row))]
            if not aggregated:
                matched = len(rows)
        elif command.kind == "parse":
            _parse(command, rows)
        elif command.kind == "stats":
            rows, shown = _stats(command, rows)
            aggregated, displayed = True, None
        elif command.kind == "sort":
            _sort(command, rows)
            sorted_explicitly = True
        elif command.kind == "dedup":
            rows = _dedup(command, rows)
        elif command.kind == "limit":
            rows = rows[: command.limit]
    if not aggregated and not sorted_explicitly:
        rows.sort(key=lambda r: r["@timestamp"], reverse=True)  # newest first, as the console shows
    columns = displayed or shown or list(DEFAULT_FIELDS)
    rows = rows[: limit or DEFAULT_LIMIT]
    return QueryResult(
        columns,
        [{name: row.get(name) for name in columns} for row in rows],
        records_scanned=scanned,
        records_matched=scanned if matched is None else matched,
    )


def _check(commands: list[Command]) -> None:
    for index, command in enumerate(commands):
        if command.kind == "dedup" and any(c.kind != "limit" for c in commands[index + 1 :]):
            raise malformed("only limit may follow dedup")
        for item in (*command.items, *command.by, *(key for key, _ in command.keys)):
            _check_expr(item.expr, aggregates_allowed=command.kind == "stats" and item in command.items)
        if command.kind == "stats" and not any(_has_aggregate(item.expr) for item in command.items):
            raise malformed(
                "stats needs an aggregation function such as count(*), avg(@duration) or pct(@duration, 99)"
            )


def _check_expr(expr: Expr, *, aggregates_allowed: bool) -> None:
    if expr[0] == "call":
        name, args = expr[1], expr[2]
        if name in AGGREGATES:
            if not aggregates_allowed:
                raise malformed(f"{name}() is an aggregation: use it in stats")
            if name == "pct" and len(args) != 2:
                raise malformed("pct takes a field and a percentile: pct(@duration, 99)")
        elif name not in SCALAR and name != "bin":
            raise malformed(f"unknown function {name}()")
        else:
            low, high = ARITY.get(name, (0, None))
            if len(args) < low or (high is not None and len(args) > high):
                wanted = str(low) if low == high else f"{low} to {high}" if high else f"at least {low}"
                raise malformed(f"{name}() takes {wanted} argument{'s' if wanted != '1' else ''}, not {len(args)}")
        for arg in args:
            _check_expr(arg, aggregates_allowed=False)
    elif expr[0] in ("binary",):
        _check_expr(expr[2], aggregates_allowed=aggregates_allowed)
        _check_expr(expr[3], aggregates_allowed=aggregates_allowed)
    elif expr[0] == "unary":
        _check_expr(expr[2], aggregates_allowed=aggregates_allowed)
    elif expr[0] == "list":
        for value in expr[1]:
            _check_expr(value, aggregates_allowed=False)


def _has_aggregate(expr: Expr) -> bool:
    if expr[0] == "call":
        return expr[1] in AGGREGATES or any(_has_aggregate(a) for a in expr[2])
    if expr[0] == "binary":
        return _has_aggregate(expr[2]) or _has_aggregate(expr[3])
    if expr[0] == "unary":
        return _has_aggregate(expr[2])
    return False


# --- expressions ---------------------------------------------------------------------------------


def evaluate(expr: Expr, row: dict[str, Any], aggregated: dict[int, Any] | None = None) -> Any:
    kind = expr[0]
    if kind == "lit":
        return expr[1]
    if kind == "field":
        return row.get(expr[1])
    if kind == "regex":
        return expr[1]
    if kind == "list":
        return [evaluate(value, row, aggregated) for value in expr[1]]
    if kind == "call":
        if aggregated is not None and id(expr) in aggregated:
            return aggregated[id(expr)]
        if expr[1] == "bin":
            return floor_time(row.get("@timestamp"), evaluate(expr[2][0], row, aggregated))
        return SCALAR[expr[1]](*(evaluate(arg, row, aggregated) for arg in expr[2]))
    if kind == "unary":
        value = evaluate(expr[2], row, aggregated)
        if expr[1] == "not":
            return not truthy(value)
        n = number(value)
        return None if n is None else -n
    operator, left_expr, right_expr = expr[1], expr[2], expr[3]
    if operator == "and":
        return truthy(evaluate(left_expr, row, aggregated)) and truthy(evaluate(right_expr, row, aggregated))
    if operator == "or":
        return truthy(evaluate(left_expr, row, aggregated)) or truthy(evaluate(right_expr, row, aggregated))
    left, right = evaluate(left_expr, row, aggregated), evaluate(right_expr, row, aggregated)
    return _binary(operator, left, right)


def _binary(operator: str, left: Any, right: Any) -> Any:
    if operator == "=":
        return equal(left, right)
    if operator == "!=":
        return left is not None and right is not None and not equal(left, right)
    if operator in ("<", "<=", ">", ">="):
        order = compare(left, right)
        if order is None:
            return False
        return {"<": order < 0, "<=": order <= 0, ">": order > 0, ">=": order >= 0}[operator]
    if operator in ("like", "notlike", "=~"):
        if left is None:
            return False
        found = right.search(text(left)) is not None if hasattr(right, "search") else text(right) in text(left)
        return not found if operator == "notlike" else found
    if operator in ("in", "notin"):
        if left is None:
            return False
        values = right if isinstance(right, list) else [right]
        found = any(equal(left, value) for value in values)
        return not found if operator == "notin" else found
    a, b = number(left), number(right)
    if a is None or b is None:
        return None
    try:
        if operator == "+":
            return a + b
        if operator == "-":
            return a - b
        if operator == "*":
            return a * b
        if operator == "/":
            return a / b
        if operator == "%":
            return math.fmod(a, b)
        if operator == "^":
            return a**b
    except (ZeroDivisionError, OverflowError, ValueError):
        return None
    raise AssertionError(operator)


# --- commands ------------------------------------------------------------------------------------


def _parse(command: Command, rows: list[dict[str, Any]]) -> None:
    assert command.pattern is not None and command.source is not None
    for row in rows:
        value = evaluate(command.source, row)
        if value is None:
            continue
        match = command.pattern.search(text(value))
        if match is None:
            continue
        if not command.glob:
            for name in command.names:
                if match.group(name) is not None:
                    row[name] = match.group(name)
        else:
            for index, name in enumerate(command.names):
                row[name] = match.group(f"g{index}")


def _sort(command: Command, rows: list[dict[str, Any]]) -> None:
    for item, descending in reversed(command.keys):  # stable sorts, last key first
        present = [row for row in rows if evaluate(item.expr, row) is not None]
        missing = [row for row in rows if evaluate(item.expr, row) is None]
        expr = item.expr
        present.sort(key=lambda row: natural_key(evaluate(expr, row)), reverse=descending)
        rows[:] = present + missing  # missing values last in either direction


def _dedup(command: Command, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[tuple[str, ...]] = set()
    kept = []
    for row in rows:
        values = [evaluate(item.expr, row) for item in command.items]
        if any(v is None for v in values):
            kept.append(row)  # a missing value is never a duplicate
            continue
        key = tuple(text(v) for v in values)
        if key not in seen:
            seen.add(key)
            kept.append(row)
    return kept


def _aggregate_calls(expr: Expr, found: list[Expr]) -> None:
    if expr[0] == "call" and expr[1] in AGGREGATES:
        found.append(expr)
        return
    for part in expr[2:] if expr[0] in ("binary", "unary") else (expr[2] if expr[0] == "call" else ()):
        if isinstance(part, tuple):
            _aggregate_calls(part, found)


def _stats(command: Command, rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    calls: list[Expr] = []
    for item in command.items:
        _aggregate_calls(item.expr, calls)
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for row in rows:
        key = tuple(evaluate(item.expr, row) for item in command.by)
        groups.setdefault(tuple(text(k) if not isinstance(k, Timestamp) else k for k in key), []).append(row)
    if not command.by and not groups:
        groups[()] = []  # stats over nothing still answers one row (count 0)
    results = []
    for members in groups.values():
        out: dict[str, Any] = {}
        for item in command.by:
            out[item.name] = evaluate(item.expr, members[0]) if members else None
        aggregated = {id(call): _aggregate(call, members) for call in calls}
        for item in command.items:
            out[item.name] = evaluate(item.expr, out, aggregated)
        results.append(out)
    binned = [item.name for item in command.by if item.expr[0] == "call" and item.expr[1] == "bin"]
    if binned:
        results.sort(key=lambda r: tuple(r[name] if r[name] is not None else -1 for name in binned))
    return results, [item.name for item in command.by] + [item.name for item in command.items]


def _aggregate(call: Expr, rows: list[dict[str, Any]]) -> Any:
    name, args = call[1], call[2]
    if name == "count":
        if not args or args[0] == ("lit", "*"):
            return len(rows)
        return sum(1 for row in rows if evaluate(args[0], row) is not None)
    values = [(row, evaluate(args[0], row)) for row in rows]
    present = [(row, v) for row, v in values if v is not None]
    if name == "count_distinct":
        return len({text(v) for _, v in present})
    if name in ("earliest", "latest"):
        if not present:
            return None
        pick = min if name == "earliest" else max
        return pick(present, key=lambda pair: pair[0]["@timestamp"])[1] if "@timestamp" in present[0][0] else None
    if name in ("sortsfirst", "sortslast"):
        if not present:
            return None
        pick = min if name == "sortsfirst" else max
        return pick((v for _, v in present), key=natural_key)
    numbers = [n for n in (number(v) for _, v in present) if n is not None]
    if name in ("min", "max") and not numbers and present:
        pick = min if name == "min" else max
        return pick((v for _, v in present), key=natural_key)
    if not numbers:
        return None
    if name == "sum":
        return sum(numbers)
    if name == "avg":
        return sum(numbers) / len(numbers)
    if name == "min":
        return min(numbers)
    if name == "max":
        return max(numbers)
    if name == "stddev":
        return statistics.stdev(numbers) if len(numbers) > 1 else 0.0
    if name == "pct":
        percentile = number(evaluate(args[1], {}))
        if percentile is None or not 0 <= percentile <= 100:
            raise malformed("pct's percentile must be a number from 0 to 100")
        ordered = sorted(numbers)
        rank = max(1, math.ceil(percentile / 100 * len(ordered)))  # nearest rank
        return ordered[rank - 1]
    raise AssertionError(name)
