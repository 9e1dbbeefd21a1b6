"""EventBridge event patterns: what a rule matches (PutRule's ``EventPattern``, TestEventPattern).

The language is the one Lambda's event filtering speaks, so the parser is the one of
:mod:`lambda_magic.sources.filters` and the matcher :mod:`lambda_magic.sources.matching`
(exact values, ``prefix``, ``suffix``,
``equals-ignore-case``, ``anything-but`` with a value, a list, ``prefix``, ``suffix``,
``equals-ignore-case`` or ``wildcard``, ``numeric`` comparisons and ranges, ``exists``,
``cidr``, ``$or``, nested objects, arrays that match when any element does), with
EventBridge's one extra operator, ``wildcard`` (``*`` any run of characters, ``\\*`` a
literal star).

Specification -- AWS's documentation: EventBridge UG "Creating event patterns"
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html),
"Comparison operators" (.../eb-create-pattern-operators.html) and the TestEventPattern API
(https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_TestEventPattern.html).

Pure Python, standard library only: the local cloud's server process imports it too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import filters
from .matching import Node, matches

__all__ = ["REQUIRED_EVENT_FIELDS", "EventPattern", "InvalidEventPattern", "InvalidTestEvent", "event_to_test"]

#: The fields TestEventPattern requires of its ``Event``.
REQUIRED_EVENT_FIELDS = ("id", "account", "source", "time", "region", "detail-type")


class InvalidEventPattern(ValueError):
    """A pattern EventBridge refuses (``InvalidEventPatternException``); ``reason`` says why."""

    def __init__(self, reason: str):
        super().__init__(f"Event pattern is not valid. Reason: {reason}")
        self.reason = reason


class InvalidTestEvent(ValueError):
    """TestEventPattern's ``Event`` is not an event (``ValidationException``)."""


@dataclass(frozen=True)
class EventPattern:
    """A compiled event pattern (build with :meth:`parse`); ``text`` is the pattern as given."""

    text: str
    _node: Node = field(repr=False, compare=False)

    @classmethod
    def parse(cls, value: str | Mapping[str, Any]) -> EventPattern:
        """Validate a pattern (JSON text or a dict) as PutRule does; :class:`InvalidEventPattern` if not."""
        try:
            text, pattern = filters._pattern(dict(value) if isinstance(value, Mapping) else value)
            node = filters._compile_object(pattern, "", wildcard=True)
        except filters._PatternError as exc:
            raise InvalidEventPattern(str(exc).replace("Lambda allows", "EventBridge allows")) from None
        return cls(text, node)

    def matches(self, event: Mapping[str, Any]) -> bool:
        """Whether ``event`` (an EventBridge event: ``source``, ``detail-type``, ``detail``...) matches."""
        return matches(self._node, dict(event))


def event_to_test(event: str | Mapping[str, Any]) -> dict[str, Any]:
    """TestEventPattern's ``Event`` as a dict, checked as AWS checks it (:class:`InvalidTestEvent`)."""
    if isinstance(event, str):
        try:
            value = json.loads(event)
        except ValueError:
            raise InvalidTestEvent("Parameter Event is not valid.") from None
    else:
        value = event
    if not isinstance(value, Mapping):
        raise InvalidTestEvent("Parameter Event is not valid.")
    missing = [name for name in REQUIRED_EVENT_FIELDS if name not in value]
    if missing:
        raise InvalidTestEvent(
            f"Parameter Event is not valid. Reason: Provided Event is missing required field(s): {', '.join(missing)}"
        )
    return dict(value)
