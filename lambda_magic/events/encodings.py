"""The encodings AWS services apply to event fields, as pure functions.

Base64 text, S3's form-encoded keys, gzip+base64 payloads (CloudWatch Logs), SQS body
and message-attribute MD5s, SNS and SQS message attributes, DynamoDB attribute-value
JSON, and Kinesis Producer Library aggregation.  A value the encoding cannot take raises
``ValueError`` with a readable reason.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
import struct
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote_plus

KPL_MAGIC = b"\xf3\x89\x9a\xc2"
_ATTRIBUTE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,256}$")


def to_text(value: Any) -> str:
    """A string as is; bytes as UTF-8; any other JSON value as its JSON text."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8")
    return json.dumps(value)


def to_bytes(value: Any) -> bytes:
    """Bytes as is; anything else as the UTF-8 of :func:`to_text`."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    return to_text(value).encode("utf-8")


def b64(value: Any) -> str:
    """Standard base64 (with padding) of :func:`to_bytes`."""
    return base64.b64encode(to_bytes(value)).decode("ascii")


def md5_hex(value: Any) -> str:
    """Hex MD5 of the UTF-8 text, as SQS computes ``md5OfBody``."""
    return hashlib.md5(to_bytes(value)).hexdigest()


def sha256_hex(value: Any) -> str:
    """Hex SHA-256 of the UTF-8 text (SQS FIFO content-based deduplication ids)."""
    return hashlib.sha256(to_bytes(value)).hexdigest()


def s3_key(key: str) -> str:
    """An object key as S3 puts it in events: form-encoded, ``/`` kept, a space as ``+``."""
    return quote_plus(key, safe="/")


def gzip_b64(value: Any, compact_json: bool = True) -> str:
    """base64(gzip(data)); a JSON value is serialised compactly first, as AWS does."""
    if not isinstance(value, (str, bytes, bytearray)) and compact_json:
        value = json.dumps(value, separators=(",", ":"))
    return base64.b64encode(gzip.compress(to_bytes(value), mtime=0)).decode("ascii")


# --- SQS and SNS message attributes ---------------------------------------------------


def _number_text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise ValueError(f"{value!r} is not a number")
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    normal = number.normalize()
    exponent = normal.as_tuple().exponent  # an int for a finite number ('n', 'N', 'F' only for NaN and infinity)
    assert isinstance(exponent, int)
    return format(normal, "f") if abs(exponent) < 40 else str(normal)


def sqs_message_attributes(plain: dict[str, Any]) -> dict[str, Any]:
    """SQS message attributes as a Lambda event carries them, from ``{name: value}``.

    A string is a ``String``, a number a ``Number``, bytes a ``Binary``; a value may also
    be given in full as ``{"dataType": ..., "stringValue" | "binaryValue": ...}``.
    """
    result: dict[str, Any] = {}
    for name, value in plain.items():
        if not _ATTRIBUTE_NAME.match(name) or name.lower().startswith(("aws.", "amazon.")):
            raise ValueError(f"message attribute name {name!r} is invalid (A-Z a-z 0-9 _ - . only)")
        if isinstance(value, dict):
            data_type = value.get("dataType", value.get("DataType"))
            string_value = value.get("stringValue", value.get("StringValue"))
            binary_value = value.get("binaryValue", value.get("BinaryValue"))
            if not isinstance(data_type, str) or (string_value is None) == (binary_value is None):
                raise ValueError(f"message attribute {name!r} needs dataType and one of stringValue, binaryValue")
            entry = {"stringValue": str(string_value)} if string_value is not None else {"binaryValue": binary_value}
        elif isinstance(value, (bytes, bytearray)):
            data_type, entry = "Binary", {"binaryValue": b64(value)}
        elif isinstance(value, str):
            data_type, entry = "String", {"stringValue": value}
        elif isinstance(value, bool):
            data_type, entry = "String", {"stringValue": "true" if value else "false"}
        elif isinstance(value, (int, float, Decimal)):
            data_type, entry = "Number", {"stringValue": _number_text(value)}
        else:
            raise ValueError(f"message attribute {name!r} must be a string, number or bytes, not {value!r}")
        result[name] = {**entry, "stringListValues": [], "binaryListValues": [], "dataType": data_type}
    return result


def sqs_attributes_md5(attributes: dict[str, Any]) -> str:
    """``md5OfMessageAttributes``: SQS's MD5 over length-prefixed name, type and value."""
    digest = hashlib.md5()

    def put(data: bytes) -> None:
        digest.update(struct.pack(">I", len(data)))
        digest.update(data)

    for name in sorted(attributes):
        attribute = attributes[name]
        put(name.encode("utf-8"))
        put(attribute["dataType"].encode("utf-8"))
        if "stringValue" in attribute:
            digest.update(b"\x01")
            put(attribute["stringValue"].encode("utf-8"))
        else:
            digest.update(b"\x02")
            put(base64.b64decode(attribute["binaryValue"]))
    return digest.hexdigest()


def sns_message_attributes(plain: dict[str, Any]) -> dict[str, Any]:
    """SNS ``MessageAttributes`` (``{name: {Type, Value}}``) from ``{name: value}``."""
    result = {}
    for name, value in plain.items():
        if isinstance(value, dict) and set(value) == {"Type", "Value"}:
            result[name] = {"Type": str(value["Type"]), "Value": str(value["Value"])}
        elif isinstance(value, (bytes, bytearray)):
            result[name] = {"Type": "Binary", "Value": b64(value)}
        elif isinstance(value, str):
            result[name] = {"Type": "String", "Value": value}
        elif isinstance(value, (list, tuple)):
            result[name] = {"Type": "String.Array", "Value": json.dumps(list(value))}
        elif isinstance(value, bool):
            result[name] = {"Type": "String", "Value": "true" if value else "false"}
        elif isinstance(value, (int, float, Decimal)):
            result[name] = {"Type": "Number", "Value": _number_text(value)}
        else:
            raise ValueError(f"message attribute {name!r} must be a string, number, list or bytes, not {value!r}")
    return result


def string_values(value: Any) -> Any:
    """Scalars as the strings CloudFormation and Cognito send (``true`` -> ``"true"``)."""
    if isinstance(value, dict):
        return {key: string_values(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [string_values(item) for item in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, Decimal)):
        return _number_text(value)
    return value


# --- DynamoDB attribute values --------------------------------------------------------


def dynamodb_value(value: Any) -> dict[str, Any]:
    """One plain value as DynamoDB attribute-value JSON (the rules of boto3's serializer).

    In JSON, where there are no sets or bytes, write ``{"$set": [...]}`` for a set and
    ``{"$bytes": "<base64>"}`` for binary.
    """
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, (int, float, Decimal)):
        return {"N": _number_text(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, (bytes, bytearray)):
        return {"B": b64(value)}
    if isinstance(value, dict) and set(value) == {"$bytes"}:
        return {"B": _checked_b64(value["$bytes"])}
    if isinstance(value, dict) and set(value) == {"$set"} and isinstance(value["$set"], list):
        return _dynamodb_set([_set_member(v) for v in value["$set"]])
    if isinstance(value, (set, frozenset)):
        return _dynamodb_set(list(value))
    if isinstance(value, (list, tuple)):
        return {"L": [dynamodb_value(item) for item in value]}
    if isinstance(value, dict):
        return {"M": dynamodb_item(value)}
    raise ValueError(f"{value!r} has no DynamoDB type")


def dynamodb_item(item: dict[str, Any]) -> dict[str, Any]:
    """A plain dict as a DynamoDB item (``{name: attribute value}``)."""
    if not isinstance(item, dict):
        raise ValueError(f"a DynamoDB item must be an object, not {item!r}")
    return {name: dynamodb_value(value) for name, value in item.items()}


def _set_member(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"$bytes"}:
        return base64.b64decode(_checked_b64(value["$bytes"]))
    return value


def _checked_b64(text: Any) -> str:
    try:
        base64.b64decode(text, validate=True)
    except (ValueError, TypeError):
        raise ValueError(f"$bytes must be base64 text, not {text!r}") from None
    return text


def _dynamodb_set(members: list[Any]) -> dict[str, Any]:
    if not members:
        raise ValueError("DynamoDB does not allow an empty set")
    if all(isinstance(m, str) for m in members):
        return {"SS": sorted(set(members))}
    if all(isinstance(m, (bytes, bytearray)) for m in members):
        return {"BS": sorted({b64(m) for m in members})}
    if all(isinstance(m, (int, float, Decimal)) and not isinstance(m, bool) for m in members):
        texts = {_number_text(m) for m in members}
        return {"NS": sorted(texts, key=Decimal)}
    raise ValueError(f"a DynamoDB set holds only strings, only numbers or only binary: {members!r}")


def dynamodb_size(attributes: dict[str, Any]) -> int:
    """Approximate size in bytes of attribute-value JSON, by DynamoDB's item-size rules."""
    return sum(len(name.encode()) + _value_size(value) for name, value in attributes.items())


def _value_size(value: dict[str, Any]) -> int:
    ((kind, data),) = value.items()
    if kind == "S":
        return len(data.encode())
    if kind == "N":
        return len(data.strip("-").replace(".", "").lstrip("0")) // 2 + 1
    if kind == "B":
        return len(base64.b64decode(data))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in data)
    if kind == "NS":
        return sum(_value_size({"N": n}) for n in data)
    if kind == "BS":
        return sum(len(base64.b64decode(b)) for b in data)
    if kind == "L":
        return 3 + sum(1 + _value_size(item) for item in data)
    return 3 + sum(1 + len(k.encode()) + _value_size(v) for k, v in data.items())  # M


# --- Kinesis Producer Library aggregation ---------------------------------------------


def _varint(number: int) -> bytes:
    out = bytearray()
    while True:
        byte, number = number & 0x7F, number >> 7
        out.append(byte | (0x80 if number else 0))
        if not number:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def kpl_aggregate(records: Iterable[tuple[str, bytes]]) -> bytes:
    """A KPL aggregated record: magic bytes, the ``AggregatedRecord`` protobuf, its MD5."""
    keys: list[str] = []
    body = b""
    for partition_key, data in records:
        if partition_key not in keys:
            keys.append(partition_key)
        record = _varint(1 << 3) + _varint(keys.index(partition_key)) + _field(3, data)
        body += _field(3, record)
    message = b"".join(_field(1, key.encode()) for key in keys) + body
    return KPL_MAGIC + message + hashlib.md5(message).digest()
