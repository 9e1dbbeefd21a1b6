"""What an EventBridge target receives: the event, or its ``Input``, ``InputPath`` or ``InputTransformer``.

* ``Input``: constant JSON text, sent instead of the event.
* ``InputPath``: a JSONPath into the event (``$.detail``); the part it selects is sent.
* ``InputTransformer``: ``InputPathsMap`` names values of the event (JSONPaths) and
  ``InputTemplate`` places them as ``<name>``.  Outside strings a value goes in as JSON (a
  string with its quotes); inside a JSON string (or anywhere in a template that is not
  JSON) a string goes in as it is, not escaped (as AWS does), and an object or array
  without its inner quotes; a path the event lacks gives ``null`` (an empty text inside a
  string).  The predefined variables
  ``<aws.events.rule-arn>``, ``<aws.events.rule-name>``, ``<aws.events.event.ingestion-time>``,
  ``<aws.events.event>`` (the event without ``detail``) and ``<aws.events.event.json>``
  (the whole event) need no path.  A template that is not JSON once filled
  (``<instance> is in state <state>``) is sent as that text, a JSON string to a function.

Specification: EventBridge UG "Amazon EventBridge input transformation"
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html)
and the Target / InputTransformer API types.  JSONPath as EventBridge evaluates it: dot
notation with dashes, underscores and slashes, ``['quoted']`` names and array indices.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["InvalidInput", "json_path", "target_input", "target_text"]

_PLACEHOLDER = re.compile(r"<([^<>\s]+)>")
_STEP = re.compile(r"\.([A-Za-z0-9_\-/$@:]+)|\[(\d+)\]|\[\*\]|\.\*|\['([^']*)'\]|\[\"([^\"]*)\"\]")
_MISSING: Any = object()


class InvalidInput(ValueError):
    """A target's input settings cannot be applied (an unparseable ``Input`` or path)."""


def json_path(document: Any, path: str) -> Any:
    """The value ``path`` (``$.detail.items[0]``) selects in ``document``; ``_MISSING`` if none.

    A wildcard step (``[*]`` / ``.*``) collects the matches into a list."""
    if not isinstance(path, str) or not path.startswith("$"):
        raise InvalidInput(f"{path!r} is not a JSONPath (write $.detail.field)")
    values, position = [document], 1
    multiple = False
    while position < len(path):
        step = _STEP.match(path, position)
        if step is None:
            raise InvalidInput(f"{path!r} is not a JSONPath EventBridge evaluates (at {path[position:]!r})")
        position = step.end()
        name, index = step.group(1) or step.group(3) or step.group(4), step.group(2)
        found: list[Any] = []
        for value in values:
            if index is not None:
                if isinstance(value, list) and int(index) < len(value):
                    found.append(value[int(index)])
            elif name is not None:
                if isinstance(value, Mapping) and name in value:
                    found.append(value[name])
            else:  # a wildcard
                multiple = True
                found.extend(value.values() if isinstance(value, Mapping) else value if isinstance(value, list) else [])
        values = found
    if multiple:
        return values
    return values[0] if values else _MISSING


def target_text(
    target: Mapping[str, Any], event: Mapping[str, Any], *, rule_arn: str, rule_name: str, ingestion_time: str
) -> str:
    """The text ``target`` (a PutTargets target) is sent for ``event`` (an SQS message body, say)."""
    if target.get("Input") is not None:
        return str(target["Input"])
    if target.get("InputPath"):
        value = json_path(event, target["InputPath"])
        return json.dumps(None if value is _MISSING else value)
    transformer = target.get("InputTransformer")
    if not transformer:
        return json.dumps(dict(event))
    template = transformer.get("InputTemplate")
    if not isinstance(template, str):
        raise InvalidInput("InputTransformer needs an InputTemplate")
    values: dict[str, Any] = {}
    for name, path in (transformer.get("InputPathsMap") or {}).items():
        values[name] = json_path(event, path)
    without_detail = {key: value for key, value in event.items() if key != "detail"}
    values.update(
        {
            "aws.events.rule-arn": rule_arn,
            "aws.events.rule-name": rule_name,
            "aws.events.event.ingestion-time": ingestion_time,
            "aws.events.event": without_detail,
            "aws.events.event.json": dict(event),
        }
    )
    return _fill(template, values)


def target_input(
    target: Mapping[str, Any], event: Mapping[str, Any], *, rule_arn: str, rule_name: str, ingestion_time: str
) -> Any:
    """What a function target receives: :func:`target_text` as JSON, or the text itself when it is not JSON."""
    text = target_text(target, event, rule_arn=rule_arn, rule_name=rule_name, ingestion_time=ingestion_time)
    try:
        return json.loads(text)
    except ValueError:
        if target.get("Input") is not None:
            raise InvalidInput("Input is not valid JSON text") from None
        return text


def _fill(template: str, values: Mapping[str, Any]) -> str:
    """The template with each known ``<name>`` replaced, inside strings as text, elsewhere as JSON."""
    out: list[str] = []
    in_string = False
    position = 0
    json_like = template.lstrip()[:1] in ("{", "[", '"')
    while position < len(template):
        char = template[position]
        if char == "\\" and in_string:
            out.append(template[position : position + 2])
            position += 2
            continue
        if char == '"':
            in_string = not in_string
        elif char == "<":
            match = _PLACEHOLDER.match(template, position)
            if match and match.group(1) in values:
                out.append(_placed(values[match.group(1)], in_string or not json_like))
                position = match.end()
                continue
        out.append(char)
        position += 1
    return "".join(out)


def _placed(value: Any, as_text: bool) -> str:
    """A value as the template holds it: outside strings as JSON; inside a string (or a text
    template) a string as it is, unescaped as AWS does, and an object or array without its quotes."""
    if value is _MISSING:
        return "" if as_text else "null"
    if not as_text:
        return json.dumps(value)
    if isinstance(value, str):
        return value
    text = json.dumps(value, separators=(", ", ": "))
    return text.replace('"', "") if isinstance(value, (dict, list)) else text
