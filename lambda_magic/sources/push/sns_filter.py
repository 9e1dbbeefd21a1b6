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

Pure Python, standard library only (it runs in the local cloud's server process too).
"""

from __future__ import annotations

import ipaddress
import json
import operator
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

__all__ = ["SCOPES", "FilterPolicy", "FilterPolicyError"]

SCOPES = ("MessageAttributes", "MessageBody")
#: At most this many keys at the top of a policy, and this many combinations of values.
MAX_KEYS = 5
MAX_COMBINATIONS = 150

_COMPARE = MappingProxyType(
    {"=": operator.eq, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
)
_MISSING: Any = object()


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
class _Leaf:
    matchers: tuple[tuple[Any, ...], ...]


@dataclass(frozen=True)
class _Node:
    fields: tuple[tuple[str, _Node | _Leaf], ...]
    alternatives: tuple[tuple[_Node, ...], ...] = ()  # one tuple per "$or"


@dataclass(frozen=True)
class FilterPolicy:
    """A subscription's filter policy, parsed and validated (:meth:`parse`)."""

    policy: Mapping[str, Any]
    scope: str
    _node: _Node

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
            return isinstance(body, dict) and _match_body(self._node, body)
        if not attributes:  # even "exists": false needs at least one attribute
            return False
        return _match_attributes(self._node, attributes)


# --- validation ---------------------------------------------------------------------------------


def _compile(policy: Mapping[str, Any], *, nested_ok: bool, depth: int) -> _Node:
    fields: list[tuple[str, _Node | _Leaf]] = []
    alternatives: list[tuple[_Node, ...]] = []
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
            fields.append((key, _Leaf(tuple(_matcher(v) for v in value))))
        else:
            raise FilterPolicyError(f'"{key}" must be an object or an array')
    return _Node(tuple(fields), tuple(alternatives))


def _combinations(node: _Node, depth: int) -> int:
    total = 1
    for _key, child in node.fields:
        total *= len(child.matchers) * depth if isinstance(child, _Leaf) else _combinations(child, depth + 1)
    for group in node.alternatives:
        total *= sum(_combinations(branch, depth) for branch in group)
    return total


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def _matcher(value: Any) -> tuple[Any, ...]:
    if value is None or isinstance(value, bool):
        return ("literal", value)
    if isinstance(value, str):
        return ("string", value)
    if _is_number(value):
        return ("number", Decimal(str(value)))
    if not isinstance(value, Mapping):
        raise FilterPolicyError("Match value must be String, number, true, false, or null")
    if len(value) != 1:
        raise FilterPolicyError("Only one key allowed in match expression")
    ((op, arg),) = value.items()
    if op in ("prefix", "suffix"):
        if isinstance(arg, Mapping) and list(arg) == ["equals-ignore-case"] and isinstance(arg[op], str):
            return (op, arg["equals-ignore-case"].lower(), True)
        if not isinstance(arg, str):
            raise FilterPolicyError(f"{op} match pattern must be a string")
        return (op, arg, False)
    if op == "equals-ignore-case":
        if not isinstance(arg, str):
            raise FilterPolicyError("equals-ignore-case match pattern must be a string")
        return (op, arg.lower())
    if op == "exists":
        if not isinstance(arg, bool):
            raise FilterPolicyError("exists match pattern must be either true or false.")
        return (op, arg)
    if op == "anything-but":
        return _anything_but(arg)
    if op == "numeric":
        return ("numeric", _numeric(arg))
    if op == "cidr":
        return ("cidr", _cidr(arg))
    raise FilterPolicyError(f"Unrecognized match type {op}")


def _anything_but(arg: Any) -> tuple[Any, ...]:
    if isinstance(arg, Mapping):
        for inner in arg:
            if inner != "prefix":
                raise FilterPolicyError(f"Unsupported anything-but pattern: {inner}")
        if len(arg) != 1 or not isinstance(arg["prefix"], str):
            raise FilterPolicyError("prefix match pattern must be a string")
        return ("anything-but-prefix", arg["prefix"])
    values = arg if isinstance(arg, list) else [arg]
    excluded = []
    for value in values:
        if isinstance(value, str) or _is_number(value):
            excluded.append(Decimal(str(value)) if _is_number(value) else value)
        else:
            raise FilterPolicyError("Match value must be String, number, true, false, or null")
    return ("anything-but", tuple(excluded))


def _numeric(arg: Any) -> tuple[tuple[str, Decimal], ...]:
    if not isinstance(arg, list) or not arg:
        raise FilterPolicyError("Invalid member in numeric match: ]")
    terms = list(arg)
    first = terms.pop(0)
    if not isinstance(first, str):
        raise FilterPolicyError(f"Invalid member in numeric match: {first}")
    if first not in _COMPARE:
        raise FilterPolicyError(f"Unrecognized numeric range operator: {first}")
    bound = terms.pop(0) if terms else None
    if not _is_number(bound):
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
    if not _is_number(top):
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


# --- matching -------------------------------------------------------------------------------------


def _match_attributes(node: _Node, attributes: Mapping[str, Any]) -> bool:
    for key, child in node.fields:
        assert isinstance(child, _Leaf)  # attribute policies are flat (checked when parsed)
        if not _match_leaf(child, _attribute_values(attributes.get(key))):
            return False
    return all(any(_match_attributes(branch, attributes) for branch in group) for group in node.alternatives)


def _attribute_values(attribute: Any) -> list[Any] | None:
    """An attribute's comparable values; None when the message has no such attribute."""
    if not isinstance(attribute, Mapping):
        return None
    kind, value = str(attribute.get("Type", "String")), attribute.get("Value")
    if kind.startswith("Binary") or value is None:
        return None
    if kind == "String.Array":
        try:
            items = json.loads(value, parse_float=Decimal)
        except (TypeError, ValueError):
            return []
        return _flatten(items) if isinstance(items, list) else [items]
    if kind.startswith("Number"):
        try:
            return [Decimal(str(value))]
        except InvalidOperation:
            return []
    return [value]


def _match_body(node: _Node, value: Any) -> bool:
    if isinstance(value, list):  # objects in an array: one element must match the sub-policy
        items = _flatten(value)
        return any(_match_body(node, item) for item in items) if items else _match_body(node, _MISSING)
    fields = value if isinstance(value, dict) else {}
    for key, child in node.fields:
        sub = fields.get(key, _MISSING)
        if isinstance(child, _Leaf):
            if not _match_leaf(child, _body_values(sub)):
                return False
        elif not _match_body(child, sub):
            return False
    return all(any(_match_body(branch, value) for branch in group) for group in node.alternatives)


def _body_values(value: Any) -> list[Any] | None:
    if value is _MISSING or isinstance(value, dict):
        return None
    if isinstance(value, list):
        return [v for v in _flatten(value) if not isinstance(v, dict)]
    return [value]


def _flatten(items: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        out.extend(_flatten(item) if isinstance(item, list) else [item])
    return out


def _match_leaf(leaf: _Leaf, values: list[Any] | None) -> bool:
    for matcher in leaf.matchers:
        if matcher[0] == "exists":
            present = values is not None and any(v is not None for v in values)
            if present == matcher[1]:
                return True
        elif values and any(_matches(matcher, v) for v in values):
            return True
    return False


def _matches(matcher: tuple[Any, ...], value: Any) -> bool:
    kind = matcher[0]
    if kind == "string":
        return isinstance(value, str) and value == matcher[1]
    if kind == "number":
        return _is_number(value) and Decimal(str(value)) == matcher[1]
    if kind == "literal":
        return value is matcher[1]
    if kind in ("prefix", "suffix"):
        if not isinstance(value, str):
            return False
        text = value.lower() if matcher[2] else value
        return text.startswith(matcher[1]) if kind == "prefix" else text.endswith(matcher[1])
    if kind == "equals-ignore-case":
        return isinstance(value, str) and value.lower() == matcher[1]
    if kind == "anything-but":  # null, true and false are none of the (string or number) values
        if isinstance(value, str):
            return value not in matcher[1]
        if _is_number(value):
            return Decimal(str(value)) not in [v for v in matcher[1] if isinstance(v, Decimal)]
        return True
    if kind == "anything-but-prefix":
        return not isinstance(value, str) or not value.startswith(matcher[1])
    if kind == "numeric":
        return _is_number(value) and all(_COMPARE[op](Decimal(str(value)), bound) for op, bound in matcher[1])
    if kind == "cidr":
        try:
            return isinstance(value, str) and ipaddress.ip_address(value) in matcher[1]
        except ValueError:
            return False
    return False
