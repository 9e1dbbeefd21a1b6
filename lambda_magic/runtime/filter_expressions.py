"""CloudWatch Logs filter patterns, the conditions: values, comparisons and their parser.

The comparisons of JSON patterns (``{ $.a = "x*" && $.n >= 10 }``, selectors, ``IS NULL``,
``NOT EXISTS``...) and of space-delimited words (``status = 4* && status != 403``), parsed
into evaluators; regular expressions (``%...%``) in AWS's subset; the error CloudWatch's
refusals raise.  :mod:`.filter_patterns` is the language's entry point (terms, the
space-delimited words, :class:`~.filter_patterns.FilterPattern`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from ..common.errors import InvalidParameterValueException

#: Regular expressions in one JSON or space-delimited pattern (AWS's quota).
MAX_REGEX_PER_PATTERN = 2

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_NAME = re.compile(r"[A-Za-z0-9_-]+")
#: Characters a regex may hold besides letters and digits (AWS: symbols, then operators).
_REGEX_CHARACTERS = set("_#=@/;,-: ") | set("^$?[]{}|\\*+.")
_OPERATORS = ("!=", "<=", ">=", "=", "<", ">")
_MISSING = object()


class FilterPatternError(InvalidParameterValueException):
    """A filter pattern CloudWatch Logs refuses (InvalidParameterException on AWS)."""

    def __init__(self, detail: str):
        self.detail = detail
        super().__init__(f"Invalid filter pattern: {detail}")


def _quoted(text: str, index: int) -> tuple[str, int]:
    """The string in double quotes starting at ``text[index]`` (``\\"`` escapes a quote), and the index after it."""
    out: list[str] = []
    position = index + 1
    while position < len(text):
        char = text[position]
        if char == "\\" and position + 1 < len(text) and text[position + 1] in '"\\':
            out.append(text[position + 1])
            position += 2
            continue
        if char == '"':
            return "".join(out), position + 1
        out.append(char)
        position += 1
    raise FilterPatternError(f"the quote at character {index + 1} is not closed")


# --- regular expressions -----------------------------------------------------------------------


def _compile_regex(body: str) -> re.Pattern[str]:
    if not body:
        raise FilterPatternError("the regular expression %% is empty")
    if "(" in body or ")" in body:
        raise FilterPatternError(f"%{body}%: ( and ) are not supported in regular expressions")
    bad = sorted({c for c in body if not (c.isascii() and c.isalnum()) and c not in _REGEX_CHARACTERS})
    if bad:
        raise FilterPatternError(f"%{body}%: {''.join(bad)!r} is not supported in regular expressions")
    try:
        return re.compile(body)
    except re.error as exc:
        raise FilterPatternError(f"%{body}%: {exc}") from None


# --- values and comparisons (shared by JSON and space-delimited patterns) -----------------------


@dataclass(frozen=True)
class _Value:
    """The right-hand side of a comparison."""

    text: str
    number: float | None = None
    regex: re.Pattern[str] | None = None

    def equals(self, actual: str) -> bool:
        if self.regex is not None:
            return self.regex.search(actual) is not None
        return _wildcard_equals(self.text, actual)


def _wildcard_equals(expected: str, actual: str) -> bool:
    """String equality where a leading and/or trailing ``*`` stands for any text (a ``*``
    in the middle is literal, as AWS documents)."""
    if expected.strip("*") == "":
        return True
    head, tail = expected.startswith("*"), expected.endswith("*")
    core = expected[1 if head else 0 : len(expected) - 1 if tail else len(expected)]
    if head and tail:
        return core in actual
    if head:
        return actual.endswith(core)
    if tail:
        return actual.startswith(core)
    return actual == expected


def _compare_numbers(operator: str, left: float, right: float) -> bool:
    if operator == "=":
        return left == right
    if operator == "!=":
        return left != right
    if operator == "<":
        return left < right
    if operator == ">":
        return left > right
    if operator == "<=":
        return left <= right
    return left >= right


def _as_number(text: str) -> float | None:
    if _NUMBER.match(text.strip()):
        number = float(text)
        return number if math.isfinite(number) else None
    return None


# --- the expression parser (JSON patterns, and the conditions of space-delimited words) -------

Evaluator = Callable[[Callable[[str], Any]], bool]


class _ExpressionParser:
    """Recursive descent over ``or := and ('||' and)*``, ``and := unary ('&&' unary)*``,
    ``unary := '(' or ')' | comparison``; :meth:`reference` reads what a comparison tests."""

    #: Whether ``IS NULL``, ``IS TRUE``, ``IS FALSE`` and ``NOT EXISTS`` are allowed.
    json = False

    def __init__(self, text: str, offset: int = 0):
        self.text = text
        self.position = offset
        self.regexes = 0

    # the grammar

    def parse_or(self) -> Evaluator:
        terms = [self.parse_and()]
        while self.take("||"):
            terms.append(self.parse_and())
        if len(terms) == 1:
            return terms[0]
        return lambda lookup: any(term(lookup) for term in terms)

    def parse_and(self) -> Evaluator:
        factors = [self.parse_unary()]
        while self.take("&&"):
            factors.append(self.parse_unary())
        if len(factors) == 1:
            return factors[0]
        return lambda lookup: all(factor(lookup) for factor in factors)

    def parse_unary(self) -> Evaluator:
        if self.take("("):
            inner = self.parse_or()
            if not self.take(")"):
                self.fail("a ( is not closed")
            return inner
        return self.parse_comparison()

    def parse_comparison(self) -> Evaluator:
        reference = self.reference()
        self.skip()
        if self.json:
            for keyword, test in _KEYWORDS:
                found = keyword.match(self.text, self.position)
                if found is not None:
                    self.position = found.end()
                    return _keyword_test(reference, test)
        operator = next((op for op in _OPERATORS if self.text.startswith(op, self.position)), None)
        if operator is None:
            expected = (
                "=, !=, <, >, <=, >=, IS NULL, IS TRUE, IS FALSE or NOT EXISTS"
                if self.json
                else "=, !=, <, >, <= or >="
            )
            self.fail(f"{reference!r} must be followed by {expected}")
        self.position += len(operator)
        value = self.value()
        if operator not in ("=", "!=") and value.number is None:
            self.fail(f"{operator} compares numbers; {value.text!r} is not one")
        return self.comparison(reference, operator, value)

    def comparison(self, reference: str, operator: str, value: _Value) -> Evaluator:
        raise NotImplementedError

    def reference(self) -> str:
        raise NotImplementedError

    def value(self) -> _Value:
        self.skip()
        text = self.text
        if self.position >= len(text):
            self.fail("a comparison has no value")
        if text[self.position] == '"':
            string, self.position = _quoted(text, self.position)
            return _Value(string)
        if text[self.position] == "%":
            end = text.find("%", self.position + 1)
            if end < 0:
                self.fail("a regular expression %... is not closed")
            self.regexes += 1
            if self.regexes > MAX_REGEX_PER_PATTERN:
                self.fail(f"at most {MAX_REGEX_PER_PATTERN} regular expressions are allowed in one pattern")
            body = text[self.position + 1 : end]
            self.position = end + 1
            return _Value(f"%{body}%", regex=_compile_regex(body))
        start = self.position
        while self.position < len(text):
            char = text[self.position]
            if char.isspace() or char in "()" or text.startswith(("&&", "||"), self.position) or char in self.stops:
                break
            self.position += 1
        word = text[start : self.position]
        if not word:
            self.fail("a comparison has no value")
        if any(c in word for c in '"=<>!{}'):
            self.fail(f"invalid character(s) in value {word!r} (put it in double quotes)")
        return _Value(word, number=_as_number(word))

    #: Characters that end an unquoted value besides white space and parentheses.
    stops = ""

    # the scanner

    def skip(self) -> None:
        while self.position < len(self.text) and self.text[self.position].isspace():
            self.position += 1

    def take(self, token: str) -> bool:
        self.skip()
        if self.text.startswith(token, self.position):
            self.position += len(token)
            return True
        return False

    def fail(self, detail: str) -> NoReturn:
        raise FilterPatternError(detail)


#: JSON's unary tests: ``IS NULL``, ``IS TRUE``, ``IS FALSE``, ``NOT EXISTS`` (case-insensitive).
_KEYWORDS: tuple[tuple[re.Pattern[str], Callable[[Any], bool]], ...] = (
    (re.compile(r"IS\s+NULL(?![A-Za-z0-9_])", re.I), lambda value: value is None),
    (re.compile(r"IS\s+TRUE(?![A-Za-z0-9_])", re.I), lambda value: value is True),
    (re.compile(r"IS\s+FALSE(?![A-Za-z0-9_])", re.I), lambda value: value is False),
    (re.compile(r"NOT\s+EXISTS(?![A-Za-z0-9_])", re.I), lambda value: value is _MISSING),
)


def _keyword_test(reference: str, test: Callable[[Any], bool]) -> Evaluator:
    return lambda lookup: test(lookup(reference))


def _scalar_text(value: Any) -> str | None:
    """The text of a JSON value compared as a string (None for objects, arrays and null)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return None


class _JsonParser(_ExpressionParser):
    json = True
    stops = "}"

    def compile(self) -> Callable[[str], bool | None]:
        if not self.text.endswith("}"):
            self.fail("a JSON pattern is written { ... } and must end with }")
        self.text = self.text[:-1]
        self.position = 1
        self.skip()
        if self.position >= len(self.text):
            self.fail("the JSON pattern { } is empty")
        expression = self.parse_or()
        self.skip()
        if self.position < len(self.text):
            self.fail(f"unexpected {self.text[self.position :].strip()!r} (join conditions with && or ||)")

        def matches(message: str) -> bool | None:
            document = _json_document(message)
            if document is _MISSING:
                return None
            return True if expression(lambda selector: _select(document, selector)) else None

        return matches

    def reference(self) -> str:
        self.skip()
        match = re.compile(r"\$((\.[A-Za-z0-9_-]+)|(\[\d+\]))+").match(self.text, self.position)
        if match is None:
            found = self.text[self.position :].split(None, 1)[0] if self.text[self.position :].strip() else "nothing"
            self.fail(f"expected a selector such as $.field or $.list[0], found {found!r}")
        self.position = match.end()
        return match.group(0)

    def comparison(self, reference: str, operator: str, value: _Value) -> Evaluator:
        def test(lookup: Callable[[str], Any]) -> bool:
            actual = lookup(reference)
            if actual is _MISSING or actual is None or isinstance(actual, (dict, list)):
                return False
            if value.number is not None and isinstance(actual, (int, float)) and not isinstance(actual, bool):
                return _compare_numbers(operator, float(actual), value.number)
            if operator not in ("=", "!="):
                return False
            text = _scalar_text(actual)
            if text is None:
                return False
            return value.equals(text) == (operator == "=")

        return test


def _json_document(message: str) -> Any:
    text = message.strip()
    if not text.startswith(("{", "[")):
        return _MISSING
    try:
        return json.loads(text)
    except ValueError:
        return _MISSING


_STEP = re.compile(r"\.([A-Za-z0-9_-]+)|\[(\d+)\]")


def _select(document: Any, selector: str) -> Any:
    node = document
    for name, index in _STEP.findall(selector[1:]):
        if name:
            if not isinstance(node, dict) or name not in node:
                return _MISSING
            node = node[name]
        else:
            if not isinstance(node, list) or int(index) >= len(node):
                return _MISSING
            node = node[int(index)]
    return node


# --- space-delimited words: their conditions ------------------------------------------------


class _WordParser(_ExpressionParser):
    stops = ","

    def reference(self) -> str:
        self.skip()
        match = _NAME.match(self.text, self.position)
        if match is None:
            self.fail(f"expected a field name in {self.text.strip()!r}")
        self.position = match.end()
        return match.group(0)

    def comparison(self, reference: str, operator: str, value: _Value) -> Evaluator:
        self.names.append(reference)

        def test(lookup: Callable[[str], Any]) -> bool:
            actual = lookup(reference)
            if actual is None:  # a name that is no field of the pattern: no word to test
                return False
            if value.number is not None:
                number = _as_number(actual)
                if number is not None:
                    return _compare_numbers(operator, number, value.number)
                if operator not in ("=", "!="):
                    return False
            return value.equals(actual) == (operator == "=")

        return test

    def __init__(self, text: str, regexes: int):
        super().__init__(text)
        self.regexes = regexes
        self.names: list[str] = []
