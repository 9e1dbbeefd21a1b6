"""Values and functions of Logs Insights expressions.

Values are ``None`` (a missing field), ``bool``, numbers, strings and :class:`Timestamp`
(epoch milliseconds, shown as ``2026-12-02 10:15:00.000``).  A string that is a number
compares and computes as one, as fields parsed out of messages do on CloudWatch.
"""

from __future__ import annotations

import functools
import ipaddress
import math
import re
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any


class Timestamp(int):
    """Epoch milliseconds that display as CloudWatch shows ``@timestamp``."""

    def __str__(self) -> str:
        stamp = datetime.fromtimestamp(self / 1000, timezone.utc)
        return stamp.strftime("%Y-%m-%d %H:%M:%S.") + f"{stamp.microsecond // 1000:03d}"

    __repr__ = __str__


_NUMERIC = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def number(value: Any) -> float | int | None:
    """``value`` as a number, or None (a numeric string counts; booleans do not)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str) and _NUMERIC.match(value.strip()):
        text = value.strip()
        return float(text) if any(c in text for c in ".eE") else int(text)
    return None


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def equal(left: Any, right: Any) -> bool:
    if left is None or right is None:
        return False
    a, b = number(left), number(right)
    if a is not None and b is not None:
        return a == b
    return text(left) == text(right)


def compare(left: Any, right: Any) -> int | None:
    """-1, 0 or 1, numerically where both are numbers, else as text; None with a missing side."""
    if left is None or right is None:
        return None
    a, b = number(left), number(right)
    if a is not None and b is not None:
        return (a > b) - (a < b)
    x, y = text(left), text(right)
    return (x > y) - (x < y)


def truthy(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return value != ""
    return bool(value)


# --- natural sort order (the sort command) ---------------------------------------------------------

_CHUNKS = re.compile(r"\d+|\D+")


def _chunk_cmp(a: str, b: str) -> int:
    if a.isdigit() and b.isdigit():
        return (len(a) > len(b)) - (len(a) < len(b)) or (int(a) > int(b)) - (int(a) < int(b))
    return (a > b) - (a < b)


def natural_cmp(left: Any, right: Any) -> int:
    """CloudWatch's ascending order: missing values last, every non-number before every
    number; numbers by value; other values chunk by chunk (digit runs by length, then value)."""
    if left is None or right is None:
        return (left is None) - (right is None)
    a, b = number(left), number(right)
    if a is not None or b is not None:
        if a is None:
            return -1
        if b is None:
            return 1
        return (a > b) - (a < b)
    for x, y in zip(_CHUNKS.findall(text(left)), _CHUNKS.findall(text(right)), strict=False):
        result = _chunk_cmp(x, y)
        if result:
            return result
    return (len(text(left)) > len(text(right))) - (len(text(left)) < len(text(right)))


natural_key = functools.cmp_to_key(natural_cmp)


# --- scalar functions ------------------------------------------------------------------------------


def _numeric(function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapped(*args: Any) -> Any:
        numbers = [number(a) for a in args]
        if any(n is None for n in numbers):
            return None
        try:
            return function(*numbers)
        except (ValueError, ZeroDivisionError, OverflowError):
            return None

    return wrapped


def _trim(kind: str) -> Callable[..., Any]:
    def trim(value: Any, chars: Any = None) -> Any:
        if value is None:
            return None
        strip = {"l": str.lstrip, "r": str.rstrip, "": str.strip}[kind]
        return strip(text(value), None if chars is None else text(chars))

    return trim


def _substr(value: Any, start: Any, length: Any = None) -> Any:
    if value is None or number(start) is None:
        return None
    s, begin = text(value), int(number(start) or 0)
    if length is None:
        return s[begin:]
    return s[begin : begin + int(number(length) or 0)]


def _in_subnet(version: int | None) -> Callable[[Any, Any], Any]:
    def check(value: Any, cidr: Any) -> Any:
        try:
            address = ipaddress.ip_address(text(value))
            network = ipaddress.ip_network(text(cidr), strict=False)
        except ValueError:
            return False
        if version is not None and address.version != version:
            return False
        return address.version == network.version and address in network

    return check


def _valid_ip(version: int | None) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        try:
            address = ipaddress.ip_address(text(value))
        except ValueError:
            return False
        return version is None or address.version == version

    return check


def floor_time(value: Any, period_s: Any) -> Any:
    ms, period = number(value), number(period_s)
    if ms is None or not period:
        return None
    step = int(period * 1000)
    return Timestamp(int(ms) // step * step)


def ceil_time(value: Any, period_s: Any) -> Any:
    ms, period = number(value), number(period_s)
    if ms is None or not period:
        return None
    step = int(period * 1000)
    return Timestamp(-(-int(ms) // step) * step)


SCALAR: dict[str, Callable[..., Any]] = {
    "abs": _numeric(abs),
    "ceil": _numeric(math.ceil),
    "floor": _numeric(math.floor),
    "greatest": lambda *a: max((n for n in map(number, a) if n is not None), default=None),
    "least": lambda *a: min((n for n in map(number, a) if n is not None), default=None),
    "log": _numeric(math.log),
    "sqrt": _numeric(math.sqrt),
    "ispresent": lambda v: v is not None,
    "coalesce": lambda *a: next((v for v in a if v is not None), None),
    "isempty": lambda v: v is None or text(v) == "",
    "isblank": lambda v: v is None or text(v).strip() == "",
    "concat": lambda *a: "".join(text(v) for v in a),
    "ltrim": _trim("l"),
    "rtrim": _trim("r"),
    "trim": _trim(""),
    "strlen": lambda v: None if v is None else len(text(v)),
    "toupper": lambda v: None if v is None else text(v).upper(),
    "tolower": lambda v: None if v is None else text(v).lower(),
    "substr": _substr,
    "replace": lambda v, old, new: None if v is None else text(v).replace(text(old), text(new)),
    "strcontains": lambda v, s: None if v is None else int(text(s) in text(v)),
    "datefloor": floor_time,
    "dateceil": ceil_time,
    "frommillis": lambda v: None if number(v) is None else Timestamp(int(number(v) or 0)),
    "tomillis": lambda v: None if number(v) is None else int(number(v) or 0),
    "isvalidip": _valid_ip(None),
    "isvalidipv4": _valid_ip(4),
    "isvalidipv6": _valid_ip(6),
    "isipinsubnet": _in_subnet(None),
    "isipv4insubnet": _in_subnet(4),
    "isipv6insubnet": _in_subnet(6),
}
#: How many arguments each scalar function takes (min, max; None = any number).
ARITY: dict[str, tuple[int, int | None]] = {
    **{name: (1, 1) for name in ("abs", "ceil", "floor", "log", "sqrt", "ispresent", "isempty", "isblank")},
    **{name: (1, 1) for name in ("strlen", "toupper", "tolower", "frommillis", "tomillis")},
    **{name: (1, 1) for name in ("isvalidip", "isvalidipv4", "isvalidipv6")},
    **{name: (1, None) for name in ("greatest", "least", "coalesce", "concat")},
    **{name: (1, 2) for name in ("ltrim", "rtrim", "trim")},
    "substr": (2, 3),
    "replace": (3, 3),
    "strcontains": (2, 2),
    "datefloor": (2, 2),
    "dateceil": (2, 2),
    "bin": (1, 1),
    **{name: (2, 2) for name in ("isipinsubnet", "isipv4insubnet", "isipv6insubnet")},
}
AGGREGATES = {
    "avg",
    "count",
    "count_distinct",
    "max",
    "min",
    "pct",
    "stddev",
    "sum",
    "earliest",
    "latest",
    "sortsfirst",
    "sortslast",
}
