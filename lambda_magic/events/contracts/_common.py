"""Shared pieces of the response contracts: the verdict, one call to check, and small helpers.

Every checker takes a :class:`_Call` and returns a :class:`Verdict` built with
:func:`_verdict`.  The helpers here describe JSON values for students
(:func:`_kind`), type-check optional fields (:func:`_optional`), and read the
error document of a failed invocation (:func:`_failure`, :func:`_error_message`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Verdict:
    """What the calling service does with one answer of the function.

    ``ok`` is true when no checkable rule was broken: the service accepts the
    answer and does what the function asked for.  A valid answer that asks the
    service to fail something (a reported batch item, an authorizer Deny, a
    CloudFormation ``FAILED``) is still ``ok``.  ``problems`` lists every rule
    the answer broke, one line each.  ``details`` holds what the service would
    do; its keys depend on the contract and are listed in each checker's
    docstring.  Advice that breaks no rule goes to ``details["notes"]``.
    """

    source: str
    ok: bool
    summary: str
    details: dict[str, Any] = field(default_factory=dict)
    problems: tuple[str, ...] = ()

    def __str__(self) -> str:
        lines = [f"{self.source}: {self.summary}"]
        lines.extend(f"  - {problem}" for problem in self.problems)
        lines.extend(f"  note: {note}" for note in self.details.get("notes", ()))
        return "\n".join(lines)


@dataclass(frozen=True)
class _Call:
    """One answer to check, with the caller's configuration."""

    event: Mapping[str, Any]
    payload: Any
    function_error: str | None
    function_response_types: tuple[str, ...]
    binary_media_types: tuple[str, ...]
    response_document: Any
    service_calls: tuple[tuple[str, Mapping[str, Any]], ...] | None


_Checker = Callable[[_Call], Verdict]


def _verdict(
    source: str, summary: str, details: dict[str, Any], problems: Sequence[str] = (), notes: Sequence[str] = ()
) -> Verdict:
    """A verdict that is ``ok`` exactly when no rule was broken; ``notes`` (if any) go to ``details["notes"]``."""
    if notes:
        details["notes"] = list(notes)
    return Verdict(source, not problems, summary, details, tuple(problems))


def _kind(value: Any) -> str:
    """How a student would call this JSON value, with an article."""
    if value is None:
        return "null (None)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (bytes, bytearray)):
        return "bytes that are not JSON"
    return type(value).__name__


def _optional(
    container: Mapping[str, Any],
    key: str,
    kinds: tuple[type, ...],
    wanted: str,
    problems: list[str],
    *,
    where: str | None = None,
    hint: str = "",
) -> Any:
    """Type-check an optional field: return ``container.get(key)`` as it is.

    A value that is not null and not one of ``kinds`` (a boolean passes only
    when ``bool`` is listed, never as a number) adds the problem ``<where> must
    be <wanted>, got <its kind><hint>``; ``where`` defaults to ``key``.
    """
    value = container.get(key)
    if value is not None and (not isinstance(value, kinds) or (bool not in kinds and isinstance(value, bool))):
        problems.append(f"{where or key} must be {wanted}, got {_kind(value)}{hint}")
    return value


def _short(text: str, limit: int = 60) -> str:
    text = text if len(text) <= limit else text[: limit - 3] + "..."
    return f"'{text}'"


def _error_text(call: _Call) -> str:
    """``ErrorType: message`` from the error document the runtime returned."""
    payload = call.payload
    if isinstance(payload, Mapping) and (payload.get("errorType") or payload.get("errorMessage")):
        kind, message = payload.get("errorType"), payload.get("errorMessage")
        return f"{kind}: {message}" if kind and message is not None else str(kind or message)
    return f"function error {call.function_error}"


def _failure(call: _Call, who: str = "the function") -> str:
    """The problem line of a failed invocation: ``<who> failed (ErrorType: message)``."""
    return f"{who} failed ({_error_text(call)})"


def _error_message(call: _Call) -> str:
    payload = call.payload
    if isinstance(payload, Mapping) and payload.get("errorMessage") is not None:
        return str(payload["errorMessage"])
    return _error_text(call)


def _json_bytes(value: Any) -> int:
    """Size of ``value`` as the Python runtime serialises it (``json.dumps`` defaults)."""
    if isinstance(value, (bytes, bytearray)):
        return len(value)
    return len(json.dumps(value).encode("utf-8"))


def _and_more(problems: Sequence[str]) -> str:
    extra = len(problems) - 1
    return problems[0] + (f" (and {extra} more problem{'s' if extra > 1 else ''})" if extra > 0 else "")


def _dig(value: Any, *keys: str) -> Any:
    """``value[k1][k2]...``, or ``None`` as soon as a level is not an object (events may be hand-edited)."""
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value
