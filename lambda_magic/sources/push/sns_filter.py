"""SNS subscription filter policies: validation with SNS's messages, and matching.

A policy is a JSON object of property names; a message passes when *every* property matches
(AND), a property when *any* value in its array does (OR), and ``"$or": [{...}, {...}]`` passes
when any branch does.  ``FilterPolicyScope`` ``MessageAttributes`` (the default) matches the
message attributes (``{name: {"Type": ..., "Value": ...}}``, no nesting); ``MessageBody``
matches the message, which must be a JSON object, with nested properties.

Specification -- AWS's SNS Developer Guide: "Amazon SNS subscription filter policies" and its
pages on AND/OR logic, key matching (``exists``; ``false`` never matches a message without
attributes), numeric value matching, string value matching (exact, anything-but, prefix and
anything-but prefix, suffix, equals-ignore-case, IP address ``cidr``), the filter policy scope
and "Filter policy constraints" (five keys, 150 combinations).  String.Array attributes match
element by element; Number attributes match only numeric values; Binary attributes are not
compared.

This module validates (with SNS's messages) and compiles; :mod:`..matching` matches, as it does
for Lambda's filter criteria and EventBridge patterns (SNS compares exact numbers by value and a
null does not "exist"; that module's docstring lists the differences).

Pure Python, standard library only (it runs in the local cloud's server process too).
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from ..matching import (
    COMPARE,
    MISSING,
    AnythingBut,
    Cidr,
    Equals,
    Exists,
    Leaf,
    Node,
    Numeric,
    Text,
    ValueTest,
    as_decimal,
    is_number,
    matches,
)

__all__ = ["SCOPES", "FilterPolicy", "FilterPolicyError"]

SCOPES = ("MessageAttributes", "MessageBody")
#: At most this many keys at the top of a policy, and this many combinations of values.
MAX_KEYS = 5
MAX_COMBINATIONS = 150


class FilterPolicyError(ValueError):
    """A policy SNS refuses; ``str()`` is SNS's reason (after ``FilterPolicy: `` unless ``whole``)."""

    def __init__(self, reason: str, *, whole: bool = False):
        super().__init__(reason)
        self.reason = reason
        #: The reason is the whole message after ``Invalid parameter: `` (no ``FilterPolicy:``).
        self.whole = whole

    def message(self, *, subscribe: bool) -> str:
        """SNS's error message: Subscribe says ``Attributes Reason:``, SetSubscriptionAttributes not."""
        prefix = "Invalid parameter: Attributes Reason: " if subscribe else "Invalid parameter: "
        return prefix + (self.reason if self.whole else f"FilterPolicy: {self.reason}")


@dataclass(frozen=True)
class FilterPolicy:
    """A subscription's filter policy, parsed and validated (:meth:`parse`)."""

    policy: Mapping[str, Any]
    scope: str
    _node: Node

    @classmethod
    def parse(cls, policy: str | Mapping[str, Any], scope: str | None = None) -> FilterPolicy:
        """Validate ``policy`` (JSON text or a dict) for ``scope`` as SNS does; raises
        :class:`FilterPolicyError` with SNS's reason."""
        scope = scope or "MessageAttributes"
        if scope not in SCOPES:
            raise FilterPolicyError(
                f"FilterPolicyScope: Invalid value [{scope}]. Please use either MessageBody or MessageAttributes",
                whole=True,
            )
        if isinstance(policy, str):
            try:
                policy = json.loads(policy, parse_float=Decimal)
            except ValueError as exc:
                raise FilterPolicyError(f"failed to parse JSON. {exc}") from None
        if not isinstance(policy, Mapping):
            raise FilterPolicyError("Filter policy must be a JSON object")
        if len(policy) > MAX_KEYS:
            raise FilterPolicyError("Filter policy can not have more than 5 keys")
        node = _compile(policy, nested_ok=scope == "MessageBody", depth=1)
        if _combinations(node, 1) > MAX_COMBINATIONS:
            raise FilterPolicyError("Filter policy is too complex")
        return cls(policy, scope, node)

    def matches(self, message: str, attributes: Mapping[str, Any] | None) -> bool:
        """Whether a message with ``attributes`` (``{name: {"Type", "Value"}}``) passes."""
        if not self.policy:
            return True
        if self.scope == "MessageBody":
            try:
                body = json.loads(message, parse_float=Decimal)
            except (TypeError, ValueError):
                return False
            return isinstance(body, dict) and matches(self._node, body)
        if not attributes:  # even "exists": false needs at least one attribute
            return False
        return matches(self._node, _attribute_document(attributes))


# --- validation ---------------------------------------------------------------------------------


def _compile(policy: Mapping[str, Any], *, nested_ok: bool, depth: int) -> Node:
    fields: list[tuple[str, Node | Leaf]] = []
    alternatives: list[tuple[Node, ...]] = []
    for key, value in policy.items():
        if key == "$or" and isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            alternatives.append(tuple(_compile(branch, nested_ok=nested_ok, depth=depth) for branch in value))
        elif isinstance(value, Mapping):
            if not nested_ok:
                raise FilterPolicyError(
                    "Filter policy scope MessageAttributes does not support nested filter policy", whole=True
                )
            fields.append((key, _compile(value, nested_ok=True, depth=depth + 1)))
        elif isinstance(value, list):
            if not value:
                raise FilterPolicyError("Empty arrays are not allowed")
            fields.append((key, Leaf(tuple(_matcher(v) for v in value))))
        else:
            raise FilterPolicyError(f'"{key}" must be an object or an array')
    return Node(tuple(fields), tuple(alternatives))


def _combinations(node: Node, depth: int) -> int:
    total = 1
    for _key, child in node.fields:
        total *= len(child.tests) * depth if isinstance(child, Leaf) else _combinations(child, depth + 1)
    for group in node.alternatives:
        total *= sum(_combinations(branch, depth) for branch in group)
    return total


def _matcher(value: Any) -> ValueTest:
    if value is None or isinstance(value, (bool, str)):
        return Equals(value)
    if is_number(value):
        return Equals(as_decimal(value), by_value=True)
    if not isinstance(value, Mapping):
        raise FilterPolicyError("Match value must be String, number, true, false, or null")
    if len(value) != 1:
        raise FilterPolicyError("Only one key allowed in match expression")
    ((op, arg),) = value.items()
    if op in ("prefix", "suffix"):
        if (
            isinstance(arg, Mapping)
            and list(arg) == ["equals-ignore-case"]
            and isinstance(arg["equals-ignore-case"], str)
        ):
            return Text(op, arg["equals-ignore-case"].lower(), fold=True)
        if not isinstance(arg, str):
            raise FilterPolicyError(f"{op} match pattern must be a string")
        return Text(op, arg)
    if op == "equals-ignore-case":
        if not isinstance(arg, str):
            raise FilterPolicyError("equals-ignore-case match pattern must be a string")
        return Text(op, arg.lower(), fold=True)
    if op == "exists":
        if not isinstance(arg, bool):
            raise FilterPolicyError("exists match pattern must be either true or false.")
        return Exists(arg, null_counts=False)
    if op == "anything-but":
        return _anything_but(arg)
    if op == "numeric":
        return Numeric(_numeric(arg), number=as_decimal)
    if op == "cidr":
        return Cidr(_cidr(arg))
    raise FilterPolicyError(f"Unrecognized match type {op}")


def _anything_but(arg: Any) -> ValueTest:
    if isinstance(arg, Mapping):
        for inner in arg:
            if inner != "prefix":
                raise FilterPolicyError(f"Unsupported anything-but pattern: {inner}")
        if len(arg) != 1 or not isinstance(arg["prefix"], str):
            raise FilterPolicyError("prefix match pattern must be a string")
        return Text("prefix", arg["prefix"], negated=True)
    values = arg if isinstance(arg, list) else [arg]
    excluded = []
    for value in values:
        if isinstance(value, str) or is_number(value):
            excluded.append(as_decimal(value) if is_number(value) else value)
        else:
            raise FilterPolicyError("Match value must be String, number, true, false, or null")
    return AnythingBut(tuple(excluded), by_value=True)


def _numeric(arg: Any) -> tuple[tuple[str, Decimal], ...]:
    if not isinstance(arg, list) or not arg:
        raise FilterPolicyError("Invalid member in numeric match: ]")
    terms = list(arg)
    first = terms.pop(0)
    if not isinstance(first, str):
        raise FilterPolicyError(f"Invalid member in numeric match: {first}")
    if first not in COMPARE:
        raise FilterPolicyError(f"Unrecognized numeric range operator: {first}")
    bound = terms.pop(0) if terms else None
    if not is_number(bound):
        raise FilterPolicyError(f"Value of {'equals' if first == '=' else first} must be numeric")
    pairs = [(first, Decimal(str(bound)))]
    if not terms:
        return tuple(pairs)
    if first not in (">", ">="):
        raise FilterPolicyError("Too many elements in numeric expression")
    second = terms.pop(0)
    if not isinstance(second, str):
        raise FilterPolicyError(f"Bad value in numeric range: {second}")
    if second not in ("<", "<="):
        raise FilterPolicyError(f"Bad numeric range operator: {second}")
    top = terms.pop(0) if terms else None
    if not is_number(top):
        raise FilterPolicyError(f"Value of {second} must be numeric")
    if Decimal(str(top)) <= pairs[0][1]:
        raise FilterPolicyError("Bottom must be less than top")
    if terms:
        raise FilterPolicyError("Too many terms in numeric range expression")
    pairs.append((second, Decimal(str(top))))
    return tuple(pairs)


def _cidr(arg: Any) -> Any:
    if not isinstance(arg, str):
        raise FilterPolicyError("prefix match pattern must be a string")
    address, sep, mask = arg.partition("/")
    if not sep or "/" in mask:
        raise FilterPolicyError("Malformed CIDR, one '/' required")
    if not mask.isdigit():
        raise FilterPolicyError("Malformed CIDR, mask bits must be an integer")
    try:
        return ipaddress.ip_network(arg, strict=False)
    except ValueError:
        raise FilterPolicyError(f"Nonstandard IP address: {address}") from None


# --- message attributes ---------------------------------------------------------------------------


def _attribute_document(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """The attributes as the document a policy matches: ``{name: value}``, typed as SNS compares them."""
    document = {}
    for name, attribute in attributes.items():
        value = _attribute_value(attribute)
        if value is not MISSING:
            document[name] = value
    return document


def _attribute_value(attribute: Any) -> Any:
    """An attribute's comparable value(s); MISSING for a Binary attribute or one without a value."""
    if not isinstance(attribute, Mapping):
        return MISSING
    kind, value = str(attribute.get("Type", "String")), attribute.get("Value")
    if kind.startswith("Binary") or value is None:
        return MISSING
    if kind == "String.Array":  # strings, numbers, true, false and null, matched one by one
        try:
            items = json.loads(value, parse_float=Decimal)
        except (TypeError, ValueError):
            return []
        return items if isinstance(items, list) else [items]
    if kind.startswith("Number"):  # only numeric tests match a Number
        try:
            return as_decimal(value)
        except InvalidOperation:
            return []
    return value
