"""Lambda event filtering: an event source mapping's ``FilterCriteria`` (EventBridge patterns).

Up to five filters; a record goes on when *any* filter matches (OR), a pattern matches when
*all* its fields do (AND), a field when *any* value in its array does (OR).  SQS messages that
match no filter are deleted, stream records skipped.  A poller matches :func:`record_view` of
each record with :meth:`FilterCriteria.matches` (or both at once: :meth:`FilterCriteria.admits`).

Specification -- AWS's documentation:

* Lambda DG "Control which events Lambda sends to your function" (five filters, OR, the operator
  table, "300, 300.0, and 3.0e2 are not considered equal", duplicate keys: the last wins, the SQS
  and stream tables for a ``body``/``data`` that is or is not JSON):
  https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html
  (archived: github.com/awsdocs/aws-lambda-developer-guide doc_source/invocation-eventfiltering.md);
  per source: .../dg/with-sqs-filtering.html, with-kinesis-filtering.html, with-ddb-filtering.html;
  ``Pattern`` length: https://docs.aws.amazon.com/lambda/latest/api/API_Filter.html
* EventBridge UG, the operators (prefix, suffix, equals-ignore-case and their ignore-case forms,
  anything-but with a value, list, prefix, suffix or equals-ignore-case, numeric "with values that
  are JSON numbers", cidr, exists on leaf nodes only, ``$or``):
  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html,
  .../eb-event-patterns-content-based-filtering.html, .../eb-event-patterns-arrays.html,
  .../eb-event-patterns-null-values.html
* github.com/aws/event-ruler README (the engine behind them): objects in arrays match element by
  element; ``exists: false`` matches an intermediate node; when ``$or`` is an OR.

This module parses and validates (with Lambda's messages); :mod:`.matching` matches, as it
does for EventBridge rules and SNS filter policies.  Pure Python, standard library only.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ..common.errors import InvalidParameterValueException
from .matching import (
    COMPARE,
    AnythingBut,
    Cidr,
    Equals,
    Exists,
    JsonFloat,
    JsonPayload,
    Leaf,
    Node,
    Numeric,
    PlainPayload,
    Text,
    ValueTest,
    is_number,
    matches,
)

__all__ = ["DATA_KEYS", "MAX_FILTERS", "MAX_PATTERN_LENGTH", "FilterCriteria", "record_view"]

#: Filters per event source mapping: AWS's default quota (10 only after a quota increase).
MAX_FILTERS = 5
#: The length limit of ``Filter.Pattern`` in the Lambda API.
MAX_PATTERN_LENGTH = 4096
#: The key that holds each source's payload.
DATA_KEYS = MappingProxyType({"sqs": "body", "kinesis": "data", "dynamodb": "dynamodb"})

_OPERATORS = frozenset(
    {"prefix", "suffix", "equals-ignore-case", "anything-but", "numeric", "exists", "cidr", "wildcard"}
)
_SHAPE = 'FilterCriteria must look like {"Filters": [{"Pattern": "<JSON object>"}]}'


class _PatternError(ValueError):
    def __init__(self, where: str, what: str):
        super().__init__(f'at "{where}": {what}' if where else what)


@dataclass(frozen=True)
class FilterCriteria:
    """An event source mapping's filters (build with :meth:`parse`); no filters match every record.

    ``patterns`` holds the ``Pattern`` strings, as AWS echoes them back.
    """

    patterns: tuple[str, ...] = ()
    _nodes: tuple[Node, ...] = field(default=(), repr=False, compare=False)

    @classmethod
    def parse(cls, value: Any, *, source: str | None = None) -> FilterCriteria:
        """Validate ``FilterCriteria`` as ``CreateEventSourceMapping`` does.

        ``value`` is AWS's ``{"Filters": [{"Pattern": "<JSON>"}, ...]}`` (or that as a JSON string,
        as the CLI takes it), ``None``/``{}`` for no filters, or for convenience a list of
        ``{"Pattern": ...}``, pattern dicts or JSON strings.  With ``source`` (``"sqs"``,
        ``"kinesis"``, ``"dynamodb"``) it also refuses what Lambda refuses for that source: for a
        stream, a pattern on ``data``/``dynamodb`` that is not a JSON object.  Errors raise
        :class:`InvalidParameterValueException` with a one-line reason.
        """
        if isinstance(value, FilterCriteria):
            value = list(value.patterns)
        data_key = DATA_KEYS[_source_name(source)] if source is not None else None
        items = _filter_items(value)
        if len(items) > MAX_FILTERS:
            raise InvalidParameterValueException(
                f"Invalid FilterCriteria: {len(items)} filters given; a mapping "
                f"takes at most {MAX_FILTERS} (AWS's default quota)"
            )
        patterns, nodes = [], []
        for index, item in enumerate(items):
            try:
                text, pattern = _pattern(item)
                node = _compile_object(pattern, "")
                if data_key in ("data", "dynamodb"):
                    _require_object_data(node, data_key)
            except _PatternError as exc:
                message = f"Invalid FilterCriteria: Filters[{index}].Pattern {exc}"
                raise InvalidParameterValueException(message) from None
            patterns.append(text)
            nodes.append(node)
        return cls(tuple(patterns), tuple(nodes))

    def matches(self, record: Mapping[str, Any]) -> bool:
        """True when any filter matches ``record`` (a :func:`record_view`), or when there are no filters."""
        return not self._nodes or any(matches(node, record) for node in self._nodes)

    def admits(self, source: str, record: Mapping[str, Any]) -> bool:
        """``matches(record_view(source, record))``, skipping the view when there are no filters."""
        return not self._nodes or self.matches(record_view(source, record))

    def to_dict(self) -> dict[str, Any]:
        """AWS's shape, as ``GetEventSourceMapping`` returns it."""
        return {"Filters": [{"Pattern": text} for text in self.patterns]}


def record_view(source: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """What Lambda matches filters against for a record of ``source``; ``record`` is not changed.

    * ``sqs``: the record with ``body`` parsed when it is a JSON object; otherwise the plain
      string, which only plain-string patterns (``{"body": [{"prefix": "I"}]}``) can match.
    * ``kinesis``: the record with the fields of ``kinesis`` also at the top level (the flat shape
      of the docs' ``{"partitionKey": [...], "data": {...}}`` example), ``data`` base64-decoded
      and parsed when it is JSON (otherwise the decoded text, which JSON patterns never match).
    * ``dynamodb``: the record as is (``dynamodb.Keys``/``NewImage``/``OldImage`` in
      attribute-value form such as ``{"N": "101"}``).
    """
    kind = _source_name(source)
    view = dict(record)
    if kind == "sqs" and isinstance(view.get("body"), str):
        view["body"] = _document(view["body"], objects_only=True)
    elif kind == "kinesis":
        if isinstance(view.get("kinesis"), Mapping):
            for key, value in view["kinesis"].items():
                view.setdefault(key, value)
        if "data" in view:
            view["data"] = _kinesis_data(view["data"])
    return view


# --- reading the criteria ---------------------------------------------------------------------------


def _source_name(source: str | None) -> str:
    name = (source or "").removeprefix("aws:")
    if name not in DATA_KEYS:
        raise ValueError(f"unknown event source {source!r}; expected one of {', '.join(DATA_KEYS)}")
    return name


def _filter_items(value: Any) -> list[Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise InvalidParameterValueException(f"Invalid FilterCriteria: not valid JSON; {_SHAPE}") from None
        if not isinstance(value, (dict, list)):
            raise InvalidParameterValueException(f"Invalid FilterCriteria: {_SHAPE}")
    if isinstance(value, Mapping):
        if value and set(value) != {"Filters"}:
            raise InvalidParameterValueException(f"Invalid FilterCriteria: unexpected keys {sorted(value)}; {_SHAPE}")
        value = value.get("Filters", [])
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        raise InvalidParameterValueException(f"Invalid FilterCriteria: Filters must be a list; {_SHAPE}")
    return list(value)


def _pattern(item: Any) -> tuple[str, dict[str, Any]]:
    """A filter's ``Pattern`` text (what AWS echoes) and the object it holds."""
    if isinstance(item, Mapping) and set(item) == {"Pattern"}:  # AWS's Filter object
        item = item["Pattern"]
    try:
        text = json.dumps(item) if isinstance(item, Mapping) else item
    except (TypeError, ValueError) as exc:
        raise _PatternError("", f"is not JSON-serialisable ({exc})") from None
    if not isinstance(text, str):
        raise _PatternError(
            "", f'must be a JSON string (a filter is {{"Pattern": "<JSON>"}}), not {type(item).__name__}'
        )
    if len(text) > MAX_PATTERN_LENGTH:
        raise _PatternError("", f"is {len(text)} characters long; Lambda allows at most {MAX_PATTERN_LENGTH}")
    try:
        pattern = _loads(text)
    except ValueError as exc:
        raise _PatternError("", f"is not valid JSON ({exc})") from None
    if not isinstance(pattern, dict):
        raise _PatternError("", f'must be a JSON object such as {{"body": {{...}}}}, not {_show(pattern)}')
    return text, pattern


def _loads(text: str) -> Any:
    # NaN and Infinity are not JSON: int() refuses them with a ValueError
    return json.loads(text, parse_float=JsonFloat, parse_constant=int)


def _require_object_data(node: Node, key: str) -> None:
    for name, child in node.fields:
        if name == key and isinstance(child, Leaf):
            raise _PatternError(
                key,
                f'must be a JSON object such as {{"{key}": {{"field": ["value"]}}}}; '
                "Lambda refuses non-JSON filter patterns for stream data",
            )
    for group in node.alternatives:
        for alternative in group:
            _require_object_data(alternative, key)


def _compile_object(pattern: Mapping[str, Any], path: str, *, wildcard: bool = False) -> Node:
    """Compile a pattern object; ``wildcard`` admits EventBridge's ``wildcard`` operator (Lambda refuses it)."""
    fields: list[tuple[str, Node | Leaf]] = []
    alternatives: list[tuple[Node, ...]] = []
    for key, value in pattern.items():
        where = f"{path}.{key}" if path else key
        plain_objects = isinstance(value, list) and [
            v for v in value if isinstance(v, dict) and not set(v) & _OPERATORS
        ]
        if key == "$or" and plain_objects:  # event-ruler: an OR only for an array of 2+ plain objects
            if len(plain_objects) < 2 or len(plain_objects) != len(value):
                raise _PatternError(where, "needs an array of at least two pattern objects")
            alternatives.append(tuple(_compile_object(alternative, path, wildcard=wildcard) for alternative in value))
        elif isinstance(value, dict):
            fields.append((key, _compile_object(value, where, wildcard=wildcard)))
        elif isinstance(value, list):
            if not value:
                raise _PatternError(where, "empty arrays are not allowed; list at least one value")
            fields.append((key, Leaf(tuple(_compile_matcher(v, where, wildcard=wildcard) for v in value))))
        else:
            raise _PatternError(where, f"must be an object or an array of values, not {_show(value)}")
    return Node(tuple(fields), tuple(alternatives))


def _compile_matcher(value: Any, where: str, *, wildcard: bool = False) -> ValueTest:
    if value is None or isinstance(value, (str, bool)) or is_number(value):
        return Equals(value)
    if not isinstance(value, dict):
        raise _PatternError(
            where,
            f"array values must be strings, numbers, true, false, null or one "
            f"{{operator: ...}} object, not {_show(value)}",
        )
    if len(value) != 1:
        raise _PatternError(where, f"a match expression takes exactly one operator, got {_show(value)}")
    ((op, arg),) = value.items()
    if op in ("prefix", "suffix"):
        if isinstance(arg, str):
            return Text(op, arg)
        if isinstance(arg, dict) and list(arg) == ["equals-ignore-case"] and isinstance(arg["equals-ignore-case"], str):
            return Text(op, arg["equals-ignore-case"].lower(), fold=True)
        raise _PatternError(where, f'{op} takes a string or {{"equals-ignore-case": "..."}}, not {_show(arg)}')
    if op == "equals-ignore-case" and isinstance(arg, str):
        return Text(op, arg.lower(), fold=True)
    if op == "exists" and isinstance(arg, bool):
        return Exists(arg)
    if op == "cidr" and isinstance(arg, str):
        try:
            return Cidr(ipaddress.ip_network(arg, strict=False))
        except ValueError:
            pass
    if op == "anything-but":
        return _compile_anything_but(arg, where, wildcard=wildcard)
    if op == "wildcard" and wildcard:
        texts = arg if isinstance(arg, list) and arg else [arg]
        return Text("wildcard", tuple(_compile_wildcard(v, where) for v in texts))
    if op == "numeric":
        return Numeric(_compile_numeric(arg, where))
    expected = {
        "equals-ignore-case": "a string",
        "exists": "true or false",
        "cidr": 'an IPv4 or IPv6 network such as "10.0.0.0/24"',
    }
    if op in expected:
        raise _PatternError(where, f"{op} takes {expected[op]}, not {_show(arg)}")
    if op == "wildcard":
        raise _PatternError(where, "wildcard is not in Lambda's event filtering operators; use prefix or suffix")
    raise _PatternError(where, f"unrecognized match type {op!r}")


def _compile_anything_but(arg: Any, where: str, *, wildcard: bool = False) -> ValueTest:
    if isinstance(arg, str) or is_number(arg):
        return AnythingBut((arg,))
    if isinstance(arg, list) and arg and (all(isinstance(v, str) for v in arg) or all(is_number(v) for v in arg)):
        return AnythingBut(tuple(arg))
    inner, value = next(iter(arg.items())) if isinstance(arg, dict) and len(arg) == 1 else (None, None)
    if inner in ("prefix", "suffix"):
        if isinstance(value, str) and value:
            return Text(inner, value, negated=True)
        raise _PatternError(where, f"anything-but {inner} takes one non-empty string (not a list), not {_show(value)}")
    if inner == "wildcard" and wildcard:
        texts = [value] if isinstance(value, str) else value
        if isinstance(texts, list) and texts and all(isinstance(v, str) for v in texts):
            return Text("wildcard", tuple(_compile_wildcard(v, where) for v in texts), negated=True)
        raise _PatternError(where, f"anything-but wildcard takes a string or a list of strings, not {_show(value)}")
    if inner == "equals-ignore-case":
        texts = [value] if isinstance(value, str) else value
        if isinstance(texts, list) and texts and all(isinstance(v, str) for v in texts):
            return Text("one-of", frozenset(v.lower() for v in texts), fold=True, negated=True)
        raise _PatternError(
            where, f"anything-but equals-ignore-case takes a string or a list of strings, not {_show(value)}"
        )
    raise _PatternError(
        where,
        "anything-but takes a string, a number, a non-empty list of only strings or only "
        f"numbers, or {{prefix|suffix|equals-ignore-case: ...}}, not {_show(arg)}",
    )


def _compile_wildcard(arg: Any, where: str) -> re.Pattern[str]:
    """EventBridge's wildcard: ``*`` is any run of characters, ``\\*`` a literal star, ``\\\\`` a backslash."""
    if not isinstance(arg, str):
        raise _PatternError(where, f"wildcard takes a string (or a list of strings), not {_show(arg)}")
    if "**" in arg:
        raise _PatternError(where, "consecutive wildcard characters at pos " + str(arg.index("**") + 1))
    parts, index = [], 0
    while index < len(arg):
        char = arg[index]
        if char == "\\":
            following = arg[index + 1 : index + 2]
            if following not in ("*", "\\"):
                raise _PatternError(where, f"invalid escape character at pos {index + 1}")
            parts.append(re.escape(following))
            index += 2
            continue
        parts.append(".*" if char == "*" else re.escape(char))
        index += 1
    return re.compile("".join(parts), re.DOTALL)


def _compile_numeric(arg: Any, where: str) -> tuple[tuple[str, float], ...]:
    example = 'e.g. [">", 0, "<=", 5] or ["=", 3]'
    if not isinstance(arg, list) or not arg or len(arg) % 2:
        raise _PatternError(where, f"numeric takes operator/number pairs, {example}; got {_show(arg)}")
    pairs = list(zip(arg[::2], arg[1::2], strict=True))
    for op, number in pairs:
        if op not in COMPARE:
            raise _PatternError(where, f"unknown numeric operator {_show(op)}; use =, <, <=, > or >=")
        if not is_number(number):
            raise _PatternError(where, f"numeric {op} needs a number, not {_show(number)}")
    if len(pairs) > 2:
        raise _PatternError(where, f"numeric takes at most two comparisons (a range), {example}")
    if len(pairs) == 2:
        (low_op, low), (high_op, high) = pairs
        if low_op not in (">", ">=") or high_op not in ("<", "<="):
            raise _PatternError(where, f'a numeric range is [">" or ">=", low, "<" or "<=", high]; got {_show(arg)}')
        if not low < high:
            raise _PatternError(where, f"numeric range bottom {low} must be less than top {high}")
    return tuple((op, float(number)) for op, number in pairs)


# --- record views -------------------------------------------------------------------------------------


def _document(text: str, *, objects_only: bool) -> Any:
    try:
        value = _loads(text)
    except ValueError:
        return PlainPayload(text)
    if isinstance(value, dict):
        return JsonPayload(value)
    return PlainPayload(text) if objects_only else value


def _kinesis_data(data: Any) -> Any:
    if isinstance(data, str):
        try:
            data = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            return PlainPayload(data)
    if not isinstance(data, (bytes, bytearray)):
        return data
    try:
        return _document(bytes(data).decode("utf-8"), objects_only=False)
    except UnicodeDecodeError:
        return PlainPayload(base64.b64encode(data).decode("ascii"))


def _show(value: Any) -> str:
    text = json.dumps(value, default=repr)
    return text if len(text) <= 60 else text[:57] + "..."
