"""CloudWatch Logs filter patterns: one implementation for subscription filters and ``lm.logs``.

The language of metric filters, subscription filters and ``FilterLogEvents``
(AWS's "Filter pattern syntax" page), case-sensitive throughout:

* **terms** — ``ERROR`` (the event contains it), ``ERROR Exception`` (all of them),
  ``?ERROR ?WARN`` (any of them), ``-DEBUG`` (none of them), ``"Task timed out"`` (a
  phrase; quote anything that is not letters, digits or ``_``); an empty pattern, ``""``
  or ``" "`` matches every event.  As in AWS's examples a term matches inside a word
  (``ERROR`` matches ``ERRORCODE``, ``Exception`` matches ``IllegalArgumentException``).
* **regex** — ``%colou?r%``: a regular expression in AWS's subset (no parentheses).
* **JSON** — ``{ $.a.b[0] = "x" && ($.n >= 10 || $.flag IS TRUE) }``: selectors with
  ``.name`` and ``[N]``; strings with ``=`` / ``!=`` and leading or trailing ``*``
  wildcards; numbers with ``= != < > <= >=``; ``IS NULL``, ``IS TRUE``, ``IS FALSE``,
  ``NOT EXISTS``; ``&&`` binds tighter than ``||``; parentheses.  A selector naming an
  object or an array matches nothing; a message that is not JSON matches nothing.
* **space-delimited** — ``[ip, user, ..., status = 4* && status != 403, bytes > 1000]``:
  words split on white space (text in ``"..."`` or ``[...]`` is one word), an exact
  number of them unless ``...`` stands for any number; the same conditions as JSON on
  named words.  A match extracts the words (:meth:`FilterPattern.extracted_fields`).

A pattern CloudWatch would refuse raises
:class:`~lambda_magic.common.errors.InvalidParameterValueException` ("Invalid filter
pattern: ...").  This module holds the entry points, terms and space-delimited words;
:mod:`.filter_expressions` the comparisons of JSON patterns and of words, and regexes.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .filter_expressions import (
    Evaluator,
    FilterPatternError,
    _compile_regex,
    _JsonParser,
    _quoted,
    _WordParser,
)

#: ``FilterLogEvents.filterPattern`` and ``PutSubscriptionFilter.filterPattern`` are at most this long.
MAX_PATTERN_LENGTH = 1024

_NAME = re.compile(r"[A-Za-z0-9_-]+")
#: Characters an unquoted term cannot hold (AWS asks for quotes around anything but letters,
#: digits and ``_``; these are refused here, the harmless rest such as ``-`` or ``.`` accepted).
_NOT_IN_TERMS = set('"?{}[]%()=<>!&|\\')


# --- the compiled pattern ---------------------------------------------------------------------


@dataclass(frozen=True)
class FilterPattern:
    """A parsed filter pattern: :meth:`matches` a log event's message."""

    text: str
    #: ``all`` (empty pattern), ``terms``, ``regex``, ``json`` or ``delimited``.
    kind: str
    _match: Callable[[str], Any]

    def matches(self, message: str) -> bool:
        return self._match(message) is not None

    def extracted_fields(self, message: str) -> dict[str, str] | None:
        """The words a space-delimited pattern extracted (``{"$status": "404", "$1": ...}``);
        None when the message does not match or the pattern is not space-delimited."""
        found = self._match(message)
        return found if isinstance(found, dict) else None

    def __call__(self, message: str) -> bool:
        return self.matches(message)


def parse_filter_pattern(pattern: str | None) -> FilterPattern:
    """Parse ``pattern`` (raises :class:`FilterPatternError` for one CloudWatch refuses)."""
    text = pattern or ""
    if len(text) > MAX_PATTERN_LENGTH:
        raise FilterPatternError(f"it is {len(text)} characters long; at most {MAX_PATTERN_LENGTH} are allowed")
    stripped = text.strip()
    if not stripped or (len(stripped) >= 2 and stripped[0] == stripped[-1] == '"' and not stripped[1:-1].strip()):
        return FilterPattern(text, "all", _always)
    if stripped.startswith("{"):
        return FilterPattern(text, "json", _JsonParser(stripped).compile())
    if stripped.startswith("["):
        return FilterPattern(text, "delimited", _compile_delimited(stripped))
    if stripped.startswith("%"):
        if len(stripped) < 2 or not stripped.endswith("%"):
            raise FilterPatternError("a regular expression is written %...% and stands alone")
        regex = _compile_regex(stripped[1:-1])
        return FilterPattern(text, "regex", lambda message: True if regex.search(message) else None)
    return FilterPattern(text, "terms", _compile_terms(stripped))


def compile_filter_pattern(pattern: str | None) -> Callable[[str], bool]:
    """A matcher of log event messages for ``pattern`` (see :func:`parse_filter_pattern`)."""
    return parse_filter_pattern(pattern).matches


def _always(message: str) -> bool:
    return True


# --- terms -------------------------------------------------------------------------------------


def _compile_terms(pattern: str) -> Callable[[str], bool | None]:
    required: list[str] = []
    optional: list[str] = []
    excluded: list[str] = []
    index, length = 0, len(pattern)
    while index < length:
        if pattern[index].isspace():
            index += 1
            continue
        sign = ""
        if pattern[index] in "?-":
            sign = pattern[index]
            index += 1
            while index < length and pattern[index].isspace():
                index += 1
            if index == length:
                raise FilterPatternError(f"{sign!r} must be followed by a term")
        if pattern[index] == '"':
            term, index = _quoted(pattern, index)
        else:
            start = index
            while index < length and not pattern[index].isspace():
                index += 1
            term = pattern[start:index]
            bad = sorted({c for c in term if c in _NOT_IN_TERMS})
            if bad:
                raise FilterPatternError(
                    f"invalid character(s) in term {term!r}: {''.join(bad)!r} "
                    "(put a term with characters other than letters, digits and _ in double quotes)"
                )
        if not term:
            continue
        {"": required, "?": optional, "-": excluded}[sign].append(term)

    def matches(message: str) -> bool | None:
        if any(term in message for term in excluded):
            return None
        if not all(term in message for term in required):
            return None
        if optional and not any(term in message for term in optional):
            return None
        return True

    return matches


# --- space-delimited patterns ------------------------------------------------------------------


@dataclass(frozen=True)
class _Slot:
    name: str | None  # None: an unnamed word; "..." an ellipsis
    condition: Evaluator | None = None


def _split_slots(body: str) -> list[str]:
    """The comma-separated entries of ``[...]`` (commas in quotes or %regex% do not split)."""
    slots: list[str] = []
    start = index = 0
    while index < len(body):
        char = body[index]
        if char == '"':
            _, index = _quoted(body, index)
            continue
        if char == "%":
            end = body.find("%", index + 1)
            if end < 0:
                raise FilterPatternError("a regular expression %... is not closed")
            index = end + 1
            continue
        if char == ",":
            slots.append(body[start:index])
            start = index + 1
        index += 1
    slots.append(body[start:])
    return slots


def _compile_delimited(pattern: str) -> Callable[[str], dict[str, str] | None]:
    if not pattern.endswith("]"):
        raise FilterPatternError("a space-delimited pattern is written [field, ...] and must end with ]")
    # a trailing comma is one more (unnamed) word: [..., status_code=4*,]
    entries = _split_slots(pattern[1:-1])
    slots: list[_Slot] = []
    regexes = 0
    names: set[str] = set()
    for entry in entries:
        stripped = entry.strip()
        if stripped in ("...", "\u2026"):
            slots.append(_Slot("..."))
            continue
        if not stripped:
            slots.append(_Slot(None))
            continue
        parser = _WordParser(stripped, regexes)
        name_match = _NAME.match(stripped)
        condition: Evaluator | None = None
        if name_match is not None and name_match.end() == len(stripped):
            name = stripped
        else:
            condition = parser.parse_or()
            parser.skip()
            if parser.position < len(stripped):
                parser.fail(f"unexpected {stripped[parser.position :]!r} in field {stripped!r}")
            regexes = parser.regexes
            name = parser.names[0]
        if name in names:
            raise FilterPatternError(f"the field name {name!r} is used twice")
        names.add(name)
        slots.append(_Slot(name, condition))

    def matches(message: str) -> dict[str, str] | None:
        words = _words(message)
        for assignment in _assignments(slots, 0, words, 0):
            values = {slots[s].name: words[w] for w, s in assignment.items() if slots[s].name not in (None, "...")}
            lookup = functools.partial(_word_of, values)
            if all(slot.condition is None or slot.condition(lookup) for slot in slots):
                extracted: dict[str, str] = {}
                for position, word in enumerate(words):
                    slot_index = assignment.get(position)
                    name = slots[slot_index].name if slot_index is not None else None
                    key = f"${name}" if name not in (None, "...") else f"${position + 1}"
                    extracted[key] = word
                return extracted
        return None

    return matches


def _assignments(slots: list[_Slot], s: int, words: list[str], w: int) -> Iterator[dict[int, int]]:
    """Every way of giving the words to the slots: {word index: slot index} (ellipses take any run)."""
    if s == len(slots):
        if w == len(words):
            yield {}
        return
    slot = slots[s]
    if slot.name == "...":
        for end in range(w, len(words) + 1):
            for rest in _assignments(slots, s + 1, words, end):
                yield {**{i: s for i in range(w, end)}, **rest}
        return
    if w < len(words):
        for rest in _assignments(slots, s + 1, words, w + 1):
            yield {w: s, **rest}


def _word_of(values: dict[str | None, str], name: str) -> str | None:
    return values.get(name)


def _words(message: str) -> list[str]:
    """A message split as space-delimited patterns read it: white space separates words, and
    text in double quotes or square brackets is one word (without them)."""
    words: list[str] = []
    index, length = 0, len(message)
    while index < length:
        char = message[index]
        if char.isspace():
            index += 1
            continue
        closer = {'"': '"', "[": "]"}.get(char)
        if closer is not None:
            end = message.find(closer, index + 1)
            if end >= 0:
                words.append(message[index + 1 : end])
                index = end + 1
                continue
        start = index
        while index < length and not message[index].isspace():
            index += 1
        words.append(message[start:index])
    return words
