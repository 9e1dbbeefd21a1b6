"""What a template file declares: its parameters and metadata, checked as it is read.

A template file (``templates/<service>/<event>.json``) holds the metadata below plus
``vars`` (named values computed once per rendering) and ``body`` (the event, with
placeholders; see the package README).  This module turns the metadata into the frozen
:class:`Param` and :class:`Template` objects of the public API and rejects a malformed
file with a message that names it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..common.errors import LambdaMagicError
from .coerce import coerce

PARAM_TYPES = ("string", "integer", "number", "boolean", "json", "records")

#: How a parameter's value appears in the event (``Param.encoding``); ``None`` means as given.
ENCODINGS = (
    "url-form",  # S3 object keys: form-encoded, a space becomes "+"
    "base64",  # text (or JSON text) sent as standard base64
    "base64 if is_base64_encoded",  # HTTP bodies: base64 only when that flag is set
    "gzip+base64",  # gzip-compressed, then base64
    "json-string",  # a JSON value serialised into a string field
    "dynamodb-json",  # plain values converted to DynamoDB attribute-value JSON
    "string-values",  # scalars sent as strings ("true", "14"), as CloudFormation and Cognito do
    "kpl-aggregated",  # Kinesis Producer Library aggregation (protobuf, magic bytes, MD5)
)

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
FILE_KEYS = frozenset({"id", "service", "event", "description", "params", "vars", "body"})
PARAM_KEYS = frozenset({"name", "type", "default", "description", "choices", "encoding"})
#: Names every template can read besides its parameters (set from ``render``'s options).
BUILTIN_VARS = ("region", "account_id", "partition", "dns_suffix", "item", "index")


@dataclass(frozen=True)
class Param:
    """One parameter of a template: its name, type, default and one-line description.

    ``type`` is one of ``string, integer, number, boolean, json, records``; ``records``
    takes a count or a list of record bodies/items.  ``default`` ``None`` means "generated
    fresh" (an id) or "absent".  ``choices`` lists the allowed values, or is ``None``.
    ``encoding`` says how the value is sent in the event (``base64``, ``url-form``, ...).
    """

    name: str
    type: str
    default: Any
    description: str
    choices: tuple[Any, ...] | None = None
    encoding: str | None = None


@dataclass(frozen=True)
class Template:
    """One event type: ``id`` is ``service/event`` in SAM CLI's names (``s3/put``)."""

    id: str
    service: str
    event: str
    description: str
    params: tuple[Param, ...]

    def param(self, name: str) -> Param | None:
        """The parameter called ``name``, or ``None``."""
        return next((p for p in self.params if p.name == name), None)


class TemplateFileError(ValueError):
    """A template data file is malformed (a packaging bug, not a user mistake)."""


def parse_template(data: Mapping[str, Any], where: str) -> tuple[Template, dict[str, Any], Any]:
    """Check one decoded template file; return the template, its vars and its body."""

    def fail(message: str) -> TemplateFileError:
        return TemplateFileError(f"{where}: {message}")

    if not isinstance(data, dict):
        raise fail("the file must hold a JSON object")
    unknown = set(data) - FILE_KEYS
    missing = {"id", "service", "event", "description", "params", "body"} - set(data)
    if unknown or missing:
        raise fail(f"unknown keys {sorted(unknown)}, missing keys {sorted(missing)}")
    service, event = data["service"], data["event"]
    if not (isinstance(service, str) and _SLUG.match(service) and isinstance(event, str) and _SLUG.match(event)):
        raise fail("service and event must be lower-case names with hyphens")
    if data["id"] != f"{service}/{event}":
        raise fail(f"id {data['id']!r} must be {service + '/' + event!r}")
    _one_line(data["description"], "description", fail)
    if not isinstance(data["params"], list):
        raise fail("params must be a list")
    params = tuple(_parse_param(p, fail) for p in data["params"])
    names = [p.name for p in params]
    if len(set(names)) != len(names):
        raise fail(f"duplicate parameter names in {names}")
    variables = data.get("vars", {})
    if not isinstance(variables, dict):
        raise fail("vars must be an object")
    clash = (set(variables) & set(names)) | (set(variables) & set(BUILTIN_VARS)) | (set(names) & set(BUILTIN_VARS))
    if clash:
        raise fail(f"names used twice (params, vars, built-ins): {sorted(clash)}")
    template = Template(id=data["id"], service=service, event=event, description=data["description"], params=params)
    return template, variables, data["body"]


def _parse_param(raw: Any, fail: Any) -> Param:
    if not isinstance(raw, dict) or set(raw) != PARAM_KEYS:
        raise fail(f"a parameter must have exactly the keys {sorted(PARAM_KEYS)}: {raw!r}")
    name, kind = raw["name"], raw["type"]
    if not (isinstance(name, str) and _NAME.match(name)):
        raise fail(f"parameter name {name!r} is not snake_case")
    if kind not in PARAM_TYPES:
        raise fail(f"parameter {name!r} has type {kind!r}; types are {', '.join(PARAM_TYPES)}")
    _one_line(raw["description"], f"parameter {name!r} description", fail)
    if raw["encoding"] is not None and raw["encoding"] not in ENCODINGS:
        raise fail(f"parameter {name!r} has encoding {raw['encoding']!r}; encodings are {ENCODINGS}")
    choices = raw["choices"]
    if choices is not None:
        if not isinstance(choices, list) or not choices:
            raise fail(f"parameter {name!r}: choices must be a non-empty list or null")
        choices = tuple(choices)
    param = Param(name, kind, raw["default"], raw["description"], choices, raw["encoding"])
    if choices is not None and param.default not in choices:
        raise fail(f"parameter {name!r}: default {param.default!r} is not one of its choices")
    if param.default is not None and kind != "json":
        try:
            valid = coerce(param, param.default, "template") == param.default
        except LambdaMagicError:
            valid = False
        if not valid:
            raise fail(f"parameter {name!r}: default {param.default!r} is not a valid {kind} value")
    return param


def _one_line(text: Any, what: str, fail: Any) -> None:
    if not isinstance(text, str) or not text.strip() or "\n" in text or len(text) > 160:
        raise fail(f"{what} must be one non-empty line of at most 160 characters")
