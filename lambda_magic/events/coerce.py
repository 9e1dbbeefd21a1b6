"""Typed parameter values: check Python values and convert strings (``--param K=V``).

Every parameter has a type (``string, integer, number, boolean, json, records``).  A
value of the right Python type is taken as is; a string is converted the way a person
typing ``--param size=2048`` means it.  Anything else is a one-line
:class:`InvalidParameterValueException` saying what was expected.
"""

from __future__ import annotations

import copy
import json
import math
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from ..common.errors import InvalidParameterValueException

if TYPE_CHECKING:
    from .model import Param

#: Lambda's largest batch (an SQS standard queue with a batching window).
MAX_RECORDS = 10_000
TRUE_WORDS = frozenset({"true", "yes", "on", "1"})
FALSE_WORDS = frozenset({"false", "no", "off", "0"})
#: Python types a ``json`` value may hold; sets, bytes and Decimal mean something to DynamoDB.
_SCALARS = (str, int, float, bool, type(None), bytes, bytearray, Decimal)

EXPECTED = MappingProxyType(
    {
        "string": "a string",
        "integer": "an integer, e.g. 1024",
        "number": "a number, e.g. 1.5",
        "boolean": "true or false",
        "json": 'JSON, e.g. {"a": 1} or [1, 2]',
        "records": f"a count from 1 to {MAX_RECORDS} or a non-empty list of records",
    }
)


def coerce(param: Param, value: Any, template_id: str) -> Any:
    """``value`` as a value of ``param``'s type, or an error saying what was expected."""
    convert = _CONVERTERS[param.type]
    try:
        result = convert(value)
    except (TypeError, ValueError) as exc:
        detail = f" ({exc})" if str(exc) else ""
        raise bad_value(param, value, template_id, EXPECTED[param.type] + detail) from None
    if param.choices is not None and result not in param.choices:
        allowed = ", ".join(repr(c) for c in param.choices)
        raise bad_value(param, value, template_id, f"one of {allowed}")
    return result


def bad_value(param: Param, value: Any, template_id: str, expected: str) -> InvalidParameterValueException:
    """The one-line error for a value that does not fit ``param``."""
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return InvalidParameterValueException(f"parameter {param.name!r} of {template_id} expects {expected}; got {shown}")


def _string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list, tuple)):  # a JSON body given as an object: send its JSON text
        return json.dumps(check_json(value))
    raise TypeError("")


def _integer(value: Any) -> int:
    if isinstance(value, bool):
        raise TypeError("")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return int(value.strip().replace("_", ""))
    raise TypeError("")


def _number(value: Any) -> int | float:
    if isinstance(value, bool):
        raise TypeError("")
    if isinstance(value, str):
        text = value.strip()
        number: int | float = int(text) if text.lstrip("+-").isdigit() else float(text)
    elif isinstance(value, (int, float, Decimal)):
        number = value if isinstance(value, (int, float)) else float(value)
    else:
        raise TypeError("")
    if isinstance(number, float) and not math.isfinite(number):
        raise ValueError("not a finite number")
    return number


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    raise TypeError("")


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"invalid JSON: {exc}") from None
    return check_json(value)


def _records(value: Any) -> int | list[Any]:
    if isinstance(value, str):
        text = value.strip()
        value = int(text) if text.isdigit() else _json(text)
    if isinstance(value, bool):
        raise TypeError("")
    if isinstance(value, int):
        if not 1 <= value <= MAX_RECORDS:
            raise ValueError("Lambda never sends an empty batch" if value < 1 else "too many")
        return value
    if isinstance(value, (list, tuple)) and value:
        if len(value) > MAX_RECORDS:
            raise ValueError("too many")
        return [check_json(item) for item in value]
    raise TypeError("")


def check_json(value: Any, depth: int = 0) -> Any:
    """A deep copy of ``value`` if it is JSON-like (plus sets, bytes, Decimal), else ValueError."""
    if depth > 64:
        raise ValueError("nested too deeply")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("NaN and infinity are not JSON")
    if isinstance(value, _SCALARS):
        return copy.copy(value)
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise ValueError("object keys must be strings")
        return {key: check_json(item, depth + 1) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [check_json(item, depth + 1) for item in value]
    if isinstance(value, (set, frozenset)):
        return {check_json(item, depth + 1) for item in value}
    raise ValueError(f"{type(value).__name__} is not JSON")


_CONVERTERS = MappingProxyType(
    {
        "string": _string,
        "integer": _integer,
        "number": _number,
        "boolean": _boolean,
        "json": _json,
        "records": _records,
    }
)
