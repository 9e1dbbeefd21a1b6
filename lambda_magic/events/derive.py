"""Derived fields: the named functions a template calls with ``{"$derive": name, "of": ...}``.

Each takes the evaluated ``of`` value, the other evaluated options and the
:class:`~lambda_magic.events.context.RenderContext`; it raises ``ValueError`` for a value
it cannot take (the engine turns that into a one-line user error).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import uuid
from collections.abc import Callable
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from . import encodings as enc
from .context import ALPHABETS

if TYPE_CHECKING:
    from .context import RenderContext

DYNAMODB_CONTROL_KEYS = frozenset({"event_name", "keys", "new_image", "old_image"})


def _str(value: Any, what: str = "value") -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a string, not {value!r}")
    return value


def _dict(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{what} must be an object, not {value!r}")
    return value


def stable_token(value: Any, options: dict, ctx: RenderContext) -> str:
    """A token that depends only on ``value`` (same name, same id: URL ids, sender ids)."""
    rng = random.Random(hashlib.sha256(enc.to_bytes(value)).digest())
    alphabet = ALPHABETS[options.get("kind", "hex")]
    return "".join(rng.choice(alphabet) for _ in range(int(options.get("length", 16))))


def xray_trace_id(value: Any, options: dict, ctx: RenderContext) -> str:
    """An X-Ray trace header ``Root=1-<epoch hex>-<24 hex>`` for the rendering's time."""
    return f"Root=1-{int(ctx.now.timestamp()):08x}-{ctx.token('hex', 24)}"


def merge(value: Any, options: dict, ctx: RenderContext) -> dict[str, Any]:
    """Dicts merged left to right; with ``case_insensitive`` a later ``accept`` replaces ``Accept``."""
    result: dict[str, Any] = {}
    for part in value:
        for key, item in _dict(part, "each part").items():
            if options.get("case_insensitive"):
                for old in [k for k in result if k.lower() == key.lower()]:
                    del result[old]
            result[key] = item
    return result


def _values(value: Any, what: str) -> dict[str, list[str]]:
    """``{name: value or [values]}`` as ``{name: [str, ...]}``."""
    result = {}
    for key, item in _dict(value, what).items():
        items = item if isinstance(item, list) else [item]
        if not items or any(isinstance(i, (dict, list)) or i is None for i in items):
            raise ValueError(f"{what}: {key!r} must be a string or a list of strings")
        result[key] = [i if isinstance(i, str) else enc.to_text(i) for i in items]
    return result


def single_values(value: Any, options: dict, ctx: RenderContext) -> dict[str, str] | None:
    """REST: the last value of each name (HTTP API: ``join`` them with commas); null if none."""
    values = _values(value, options.get("what", "parameters"))
    joiner = options.get("join")
    result = {k: (joiner.join(v) if joiner else v[-1]) for k, v in values.items()}
    return result or None


def multi_values(value: Any, options: dict, ctx: RenderContext) -> dict[str, list[str]] | None:
    """REST ``multiValue*``: every value of each name as a list; null if none."""
    return _values(value, options.get("what", "parameters")) or None


def query_string(value: Any, options: dict, ctx: RenderContext) -> str:
    """``a=1&a=2&b=x``: a raw query string as a client sends it (no leading ``?``)."""
    return urlencode([(k, i) for k, v in _values(value, "query").items() for i in v])


def lower_keys(value: Any, options: dict, ctx: RenderContext) -> dict[str, Any]:
    """Header names lower-cased, as HTTP API, ALB and Function URLs deliver them."""
    return {key.lower(): item for key, item in _dict(value, "headers").items()}


def cloudfront_headers(value: Any, options: dict, ctx: RenderContext) -> dict[str, Any]:
    """Lambda@Edge headers: ``{"host": [{"key": "Host", "value": ...}]}``."""
    return {k.lower(): [{"key": k, "value": v} for v in vs] for k, vs in _values(value, "headers").items()}


def path_parameters(value: Any, options: dict, ctx: RenderContext) -> dict[str, str] | None:
    """The ``{name}``/``{name+}`` variables of a resource (or route) matched against a path."""
    resource, path = _str(value["resource"], "resource"), _str(value["path"], "path")
    if resource.startswith("$"):  # HTTP API's $default route: no path parameters
        return None
    if " " in resource:  # an HTTP API route key such as "GET /items/{id}"
        resource = resource.split(" ", 1)[1]
    wanted, given = resource.strip("/").split("/"), path.strip("/").split("/")
    found: dict[str, str] = {}
    for i, segment in enumerate(wanted):
        match = re.fullmatch(r"\{(\w+)(\+?)\}", segment)
        if match and match.group(2):
            found[match.group(1)] = "/".join(given[i:])
            return found
        if i >= len(given) or (not match and segment != given[i]):
            break
        if match:
            found[match.group(1)] = given[i]
    else:
        if len(given) == len(wanted):
            return found or None
    raise ValueError(f"path {path!r} does not match the resource {resource!r}")


def http_body(value: Any, options: dict, ctx: RenderContext) -> str | None:
    """An HTTP body as API Gateway passes it: null when empty, base64 when flagged."""
    body = value["body"]
    if body in ("", None):
        return None
    return enc.b64(body) if value["base64"] else enc.to_text(body)


def http_is_base64(value: Any, options: dict, ctx: RenderContext) -> bool:
    """``isBase64Encoded``: true only for a non-empty body sent as base64."""
    return bool(value["base64"]) and value["body"] not in ("", None)


def raw_path(value: Any, options: dict, ctx: RenderContext) -> str:
    """HTTP API ``rawPath``: a named stage stays in the path, ``$default`` does not."""
    path = "/" + _str(value["path"], "path").lstrip("/")
    stage = value.get("stage", "$default")
    return path if stage == "$default" else f"/{stage}{path}"


def header_value(value: Any, options: dict, ctx: RenderContext) -> str | None:
    """The value of header ``name`` (any case) in ``headers``, or null."""
    wanted = _str(options["name"], "header name").lower()
    found = [item for key, item in _dict(value, "headers").items() if key.lower() == wanted]
    return enc.to_text(found[-1]) if found else None


def fifo_queue_name(value: Any, options: dict, ctx: RenderContext) -> str:
    """A FIFO queue's name, which must end in ``.fifo``."""
    if not _str(value, "queue_name").endswith(".fifo") or len(value) > 80:
        raise ValueError(f"a FIFO queue's name ends in '.fifo' (at most 80 characters); got {value!r}")
    return value


def string_map(value: Any, options: dict, ctx: RenderContext) -> dict[str, str]:
    """A flat ``{name: value}`` with every value a string (Cognito ``userAttributes``)."""
    result = {}
    for key, item in _dict(value, "attributes").items():
        if isinstance(item, (dict, list)):
            raise ValueError(f"attribute {key!r} must be a single value, not {item!r}")
        if item is not None:
            result[key] = enc.string_values(item) if not isinstance(item, str) else item
    return result


def dynamodb_change(value: Any, options: dict, ctx: RenderContext) -> dict[str, Any]:
    """``eventName``, ``Keys``, images and ``SizeBytes`` of one DynamoDB stream record.

    A record item is ``{event_name?, keys?, new_image?, old_image?}`` with plain values, or
    a plain item (an INSERT of that image); missing keys are taken from the image, using
    the attribute names of the ``keys`` parameter.
    """
    item, key_schema, view = value["item"], _dict(value["keys"], "keys"), value["view"]
    if not isinstance(item, dict):
        raise ValueError(f"a DynamoDB record must be an object (an item, or new_image/old_image), not {item!r}")
    if not set(item) & DYNAMODB_CONTROL_KEYS:
        item = {"new_image": item}
    if set(item) - DYNAMODB_CONTROL_KEYS:
        raise ValueError(
            f"unknown keys {sorted(set(item) - DYNAMODB_CONTROL_KEYS)} in a DynamoDB record; "
            f"use {sorted(DYNAMODB_CONTROL_KEYS)}"
        )
    new, old = item.get("new_image"), item.get("old_image")
    default = "MODIFY" if new is not None and old is not None else "INSERT" if new is not None else "REMOVE"
    name = item.get("event_name") or default
    needs = {"INSERT": (new,), "MODIFY": (new, old), "REMOVE": (old,)}
    if name not in needs:
        raise ValueError(f"event_name must be INSERT, MODIFY or REMOVE, not {name!r}")
    if any(image is None for image in needs[name]):
        raise ValueError(f"a {name} record needs {'new_image and old_image' if name == 'MODIFY' else 'an image'}")
    keys = item.get("keys")
    if keys is None:
        image = _dict(new if new is not None else old, "image")
        if not key_schema or any(k not in image for k in key_schema):
            raise ValueError(f"the image {image!r} lacks the key attributes {sorted(key_schema)}")
        keys = {k: image[k] for k in key_schema}
    result: dict[str, Any] = {"eventName": name, "Keys": enc.dynamodb_item(_dict(keys, "keys"))}
    if view in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES") and name != "REMOVE":
        result["NewImage"] = enc.dynamodb_item(_dict(new, "new_image"))
    if view in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES") and name != "INSERT":
        result["OldImage"] = enc.dynamodb_item(_dict(old, "old_image"))
    parts = [result[k] for k in ("Keys", "NewImage", "OldImage") if k in result]
    result["SizeBytes"] = sum(enc.dynamodb_size(part) for part in parts)
    return result


def log_event(value: Any, options: dict, ctx: RenderContext) -> dict[str, Any]:
    """A CloudWatch Logs event from a message, or from ``{message, timestamp?, extractedFields?}``.

    Any other object is a structured log line: its JSON text is the message.
    """
    event: dict[str, Any] = {"timestamp": options["now"]}
    if isinstance(value, dict) and "message" in value:
        unknown = set(value) - {"message", "timestamp", "extractedFields"}
        if unknown:
            raise ValueError(f"unknown keys {sorted(unknown)} in a log event")
        if "timestamp" in value:
            stamp = value["timestamp"]
            if isinstance(stamp, bool) or not isinstance(stamp, int):
                raise ValueError(f"a log event timestamp is epoch milliseconds (an integer), not {stamp!r}")
            event["timestamp"] = stamp
        event["message"] = enc.to_text(value["message"])
        if "extractedFields" in value:
            event["extractedFields"] = string_map(value["extractedFields"], options, ctx)
    else:
        event["message"] = enc.to_text(value)
    return event


def kpl(value: Any, options: dict, ctx: RenderContext) -> str:
    """base64 of one KPL-aggregated record holding every user record (count or list)."""
    records, key = value["records"], _str(value["partition_key"], "partition_key")
    items = [value["data"]] * records if isinstance(records, int) else records
    return enc.b64(enc.kpl_aggregate((key, enc.to_bytes(item)) for item in items))


def alexa_slots(value: Any, options: dict, ctx: RenderContext) -> dict[str, Any]:
    """Alexa intent slots from ``{name: value}``; an unfilled slot (null or "") has no ``value``."""
    slots = {}
    for name, item in _dict(value, "slots").items():
        slot: dict[str, Any] = {"name": name}
        if item not in (None, ""):
            slot["value"] = enc.to_text(item)
        slot["confirmationStatus"] = "NONE"
        slots[name] = slot
    return slots


def lex_slot_details(value: Any, options: dict, ctx: RenderContext) -> dict[str, Any]:
    """Lex V1 ``slotDetails`` for ``{slot: value or null}``."""
    return {
        name: {
            "resolutions": [] if item is None else [{"value": str(item)}],
            "originalValue": None if item is None else str(item),
        }
        for name, item in _dict(value, "slots").items()
    }


def lex_v1_slots(value: Any, options: dict, ctx: RenderContext) -> dict[str, Any]:
    """Lex V1 slots: every filled value a string, an unfilled slot null."""
    return {name: None if item is None else str(item) for name, item in _dict(value, "slots").items()}


def lex_v2_slots(value: Any, options: dict, ctx: RenderContext) -> dict[str, Any]:
    """Lex V2 slots (``shape``/``value`` objects) from ``{slot: value or null}``."""
    slots: dict[str, Any] = {}
    for name, item in _dict(value, "slots").items():
        if item is None:
            slots[name] = None
        else:
            text = str(item)
            slots[name] = {
                "shape": "Scalar",
                "value": {"originalValue": text, "interpretedValue": text, "resolvedValues": [text]},
            }
    return slots


def lex_v2_next_action(value: Any, options: dict, ctx: RenderContext) -> dict[str, Any]:
    """The dialog action Lex V2 proposes: elicit the first unfilled slot, else confirm the intent."""
    missing = [name for name, item in _dict(value, "slots").items() if item is None]
    return {"slotToElicit": missing[0], "type": "ElicitSlot"} if missing else {"type": "ConfirmIntent"}


def _simple(function: Callable[[Any], Any]) -> Callable[[Any, dict, Any], Any]:
    return lambda value, options, ctx: function(value)


DERIVATIONS: MappingProxyType[str, Callable[[Any, dict, Any], Any]] = MappingProxyType(
    {
        "base64": _simple(enc.b64),
        "md5": _simple(enc.md5_hex),
        "sha256": _simple(enc.sha256_hex),
        "text": _simple(enc.to_text),
        "json_text": _simple(json.dumps),
        "s3_key": _simple(lambda v: enc.s3_key(_str(v, "key"))),
        "url_quote": lambda v, o, ctx: quote(_str(v), safe=o.get("safe", "/")),
        "gzip_base64": _simple(enc.gzip_b64),
        "string_values": _simple(enc.string_values),
        "uuid5": _simple(lambda v: str(uuid.uuid5(uuid.NAMESPACE_URL, enc.to_text(v)))),
        "leading_slash": _simple(lambda v: "/" + _str(v, "path").lstrip("/")),
        "no_leading_slash": _simple(lambda v: _str(v, "path").lstrip("/")),
        "null_if_empty": _simple(lambda v: v if v else None),
        "dynamodb_item": _simple(lambda v: enc.dynamodb_item(_dict(v, "item"))),
        "sqs_message_attributes": _simple(lambda v: enc.sqs_message_attributes(_dict(v, "message_attributes"))),
        "sqs_attributes_md5": _simple(enc.sqs_attributes_md5),
        "sns_message_attributes": _simple(lambda v: enc.sns_message_attributes(_dict(v, "message_attributes"))),
        "stable_token": stable_token,
        "xray_trace_id": xray_trace_id,
        "merge": merge,
        "single_values": single_values,
        "multi_values": multi_values,
        "query_string": query_string,
        "lower_keys": lower_keys,
        "cloudfront_headers": cloudfront_headers,
        "path_parameters": path_parameters,
        "http_body": http_body,
        "http_is_base64": http_is_base64,
        "raw_path": raw_path,
        "string_map": string_map,
        "header_value": header_value,
        "fifo_queue_name": fifo_queue_name,
        "compact": _simple(lambda v: _str(v).replace("-", "")),
        "dynamodb_change": dynamodb_change,
        "log_event": log_event,
        "kpl": kpl,
        "alexa_slots": alexa_slots,
        "lex_slot_details": lex_slot_details,
        "lex_v1_slots": lex_v1_slots,
        "lex_v2_slots": lex_v2_slots,
        "lex_v2_next_action": lex_v2_next_action,
    }
)
