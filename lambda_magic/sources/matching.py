"""One matcher for AWS's event-pattern languages: Lambda ``FilterCriteria``, EventBridge rule
patterns and SNS subscription filter policies.

Each language keeps its own parser with its own error messages (:mod:`.filters` for Lambda,
:mod:`.patterns` for EventBridge on top of it, :mod:`.push.sns_filter` for SNS) and compiles a
pattern into the structure here: a :class:`Node` of fields (each a :class:`Leaf` of value
tests or a nested :class:`Node`) and ``$or`` groups.  :func:`matches` walks it: all fields
must match (AND), a leaf when any of its tests does (OR), one branch of each ``$or`` group;
an array in the document matches when one of its elements does (objects element by element).

Where the languages differ, the parser picks the test's parameters:

* exact numbers -- Lambda (and EventBridge) compare how a number is written ("300, 300.0 and
  3.0e2 are not considered equal", Lambda DG "Control which events Lambda sends to your
  function"); SNS compares the value (``301.5`` matches ``3.015e2``, SNS DG "Numeric value
  matching"): :class:`Equals` and :class:`AnythingBut` with ``by_value``.
* numeric comparisons -- Lambda/EventBridge as floats, SNS as decimals (SNS DG "Filter policy
  constraints": five digits after the point): :class:`Numeric` ``number``.
* ``exists`` -- for SNS the key "must have a non-null and non-empty value" (SNS DG "Key
  matching"); for Lambda/EventBridge a null is a value that exists: :class:`Exists`
  ``null_counts``.
* ``wildcard`` -- EventBridge only (Lambda refuses it, SNS does not know it).
* SNS message attributes are typed: String.Array matches element by element, Number only
  numerically, Binary never; :mod:`.push.sns_filter` turns them into a document first.
  SNS also limits a policy to five keys and 150 combinations (its parser checks).
* Lambda's ``body``/``data`` that is not JSON only matches plain-string patterns, and a JSON
  object only object patterns (:class:`PlainPayload`, :class:`JsonPayload`).

Pure Python, standard library only (the local cloud's server process imports it too).
"""

from __future__ import annotations

import ipaddress
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any

__all__ = [
    "COMPARE",
    "MISSING",
    "AnythingBut",
    "Cidr",
    "Equals",
    "Exists",
    "JsonFloat",
    "JsonPayload",
    "Leaf",
    "Node",
    "Numeric",
    "PlainPayload",
    "Text",
    "ValueTest",
    "as_decimal",
    "flatten",
    "is_number",
    "matches",
]

#: The numeric operators of all three languages.
COMPARE = MappingProxyType({"=": operator.eq, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge})
MISSING: Any = object()  # an absent field


class JsonFloat(float):
    """A JSON number with a fraction or exponent that remembers how it was written."""

    text: str

    def __new__(cls, text: str) -> JsonFloat:
        number = super().__new__(cls, text)
        number.text = text
        return number


class PlainPayload(str):
    """A Lambda payload (``body``/``data``) that is not JSON: only plain-string patterns match it."""


class JsonPayload(dict[str, Any]):
    """A Lambda payload that is a JSON object: only object patterns match it."""


def is_number(value: Any) -> bool:
    """A JSON number (``bool`` is not one)."""
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def as_decimal(value: Any) -> Decimal:
    """A number as SNS compares it: by value."""
    return Decimal(str(value))


def _number_text(value: Any) -> str:
    if isinstance(value, JsonFloat):
        return value.text
    return repr(value) if isinstance(value, float) else str(value)


def _same(expected: Any, value: Any, by_value: bool) -> bool:
    """Exact match: the same JSON type and, for numbers, the same value or written form."""
    if expected is None or isinstance(expected, bool):
        return value is expected
    if isinstance(expected, str):
        return isinstance(value, str) and value == expected
    if not is_number(value):
        return False
    if by_value:
        return as_decimal(value) == as_decimal(expected)
    return _number_text(value) == _number_text(expected)


class ValueTest:
    """One value of a leaf's array: it admits the field's values when one of them passes."""

    def admits(self, values: Sequence[Any]) -> bool:
        return any(self.accepts(value) for value in values)

    def accepts(self, value: Any) -> bool:
        raise NotImplementedError


@dataclass(frozen=True)
class Equals(ValueTest):
    """An exact string, number, ``true``, ``false`` or ``null``."""

    expected: Any
    by_value: bool = False

    def accepts(self, value: Any) -> bool:
        return _same(self.expected, value, self.by_value)


@dataclass(frozen=True)
class AnythingBut(ValueTest):
    """``anything-but`` a value or a list of strings or numbers (any other type passes)."""

    excluded: tuple[Any, ...]
    by_value: bool = False

    def accepts(self, value: Any) -> bool:
        return not any(_same(excluded, value, self.by_value) for excluded in self.excluded)


def _wildcard(text: str, patterns: tuple[re.Pattern[str], ...]) -> bool:
    return any(pattern.fullmatch(text) is not None for pattern in patterns)


_TEXT_TESTS: MappingProxyType[str, Callable[[str, Any], bool]] = MappingProxyType(
    {
        "prefix": str.startswith,
        "suffix": str.endswith,
        "equals-ignore-case": str.__eq__,
        "one-of": lambda text, group: text in group,
        "wildcard": _wildcard,
    }
)


@dataclass(frozen=True)
class Text(ValueTest):
    """A string test (``kind`` one of prefix, suffix, equals-ignore-case, one-of, wildcard);
    ``fold`` lowers the value first (``operand`` is lowered already), ``negated`` is its
    anything-but form, which every value that is not a string passes."""

    kind: str
    operand: Any
    fold: bool = False
    negated: bool = False

    def accepts(self, value: Any) -> bool:
        if not isinstance(value, str):
            return self.negated
        return _TEXT_TESTS[self.kind](value.lower() if self.fold else value, self.operand) != self.negated


@dataclass(frozen=True)
class Numeric(ValueTest):
    """``numeric`` comparisons (one, or a range of two); ``number`` reads the value and bounds."""

    comparisons: tuple[tuple[str, Any], ...]
    number: Callable[[Any], Any] = float

    def accepts(self, value: Any) -> bool:
        return is_number(value) and all(COMPARE[op](self.number(value), bound) for op, bound in self.comparisons)


@dataclass(frozen=True)
class Cidr(ValueTest):
    """An IP address in a network."""

    network: ipaddress.IPv4Network | ipaddress.IPv6Network

    def accepts(self, value: Any) -> bool:
        try:
            return isinstance(value, str) and ipaddress.ip_address(value) in self.network
        except ValueError:
            return False


@dataclass(frozen=True)
class Exists(ValueTest):
    """``exists``; with ``null_counts`` false (SNS) a field of only nulls does not exist."""

    present: bool
    null_counts: bool = True

    def admits(self, values: Sequence[Any]) -> bool:
        found = bool(values) if self.null_counts else any(value is not None for value in values)
        return found == self.present

    def accepts(self, value: Any) -> bool:
        return self.admits([value])


@dataclass(frozen=True)
class Leaf:
    """A field's array of value tests (OR)."""

    tests: tuple[ValueTest, ...]


@dataclass(frozen=True)
class Node:
    """A pattern object: its fields (AND) and ``$or`` groups (one tuple of branches per group)."""

    fields: tuple[tuple[str, Node | Leaf], ...]
    alternatives: tuple[tuple[Node, ...], ...] = ()


def matches(node: Node, value: Any) -> bool:
    """Whether the document ``value`` matches the compiled pattern ``node``."""
    if isinstance(value, PlainPayload):  # a JSON pattern on a payload that is not JSON: dropped
        return False
    if isinstance(value, list):  # objects in an array: one element must match the whole sub-pattern
        items = flatten(value)
        return any(matches(node, item) for item in items) if items else matches(node, MISSING)
    fields = value if isinstance(value, dict) else {}
    for key, child in node.fields:
        sub = fields.get(key, MISSING)
        if not (_match_leaf(child, sub) if isinstance(child, Leaf) else matches(child, sub)):
            return False
    return all(any(matches(branch, value) for branch in group) for group in node.alternatives)


def _match_leaf(leaf: Leaf, value: Any) -> bool:
    if isinstance(value, JsonPayload):  # a plain-string pattern on a JSON payload: dropped
        return False
    # the leaf values at the field: none when it is absent, an object, or an empty array
    if value is MISSING or isinstance(value, dict):
        values: list[Any] = []
    elif isinstance(value, list):
        values = [v for v in flatten(value) if not isinstance(v, dict)]
    else:
        values = [value]
    return any(test.admits(values) for test in leaf.tests)


def flatten(items: list[Any]) -> list[Any]:
    """Nested arrays as one array (patterns see ``[[1], 2]`` as ``[1, 2]``)."""
    out: list[Any] = []
    for item in items:
        out.extend(flatten(item) if isinstance(item, list) else [item])
    return out
