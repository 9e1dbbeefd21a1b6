"""Tokens of the CloudWatch Logs Insights query language."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...common.errors import LambdaMagicError


class MalformedQueryException(LambdaMagicError):
    """A query CloudWatch Logs Insights would refuse; the message points at the token."""

    status_code = 400


@dataclass(frozen=True)
class Token:
    kind: str  # name, number, string, regex, duration, op, pipe, end
    text: str
    value: object
    line: int
    column: int
    #: Offset of the token's first character in the query.
    start: int = 0

    def where(self) -> str:
        return f"line {self.line}, column {self.column}"


#: The units ``bin()`` and the date functions take, in seconds.
DURATION_UNITS = {
    "ms": 0.001,
    "s": 1,
    "sec": 1,
    "m": 60,
    "min": 60,
    "h": 3600,
    "hr": 3600,
    "d": 86400,
    "w": 604800,
    "mo": 2592000,
    "q": 7776000,
    "y": 31536000,
}
_OPERATORS = ("!=", "<=", ">=", "=~", "=", "<", ">", "+", "-", "*", "/", "%", "^", "(", ")", "[", "]", ",")
_NAME = re.compile(r"[@A-Za-z_][@A-Za-z0-9_.$]*")
_NUMBER = re.compile(r"\d+(\.\d+)?([eE][+-]?\d+)?")
_UNIT = re.compile(r"(ms|mo|min|sec|hr|s|m|h|d|w|q|y)(?![A-Za-z0-9_])")
#: After these, ``/`` divides; elsewhere it opens a regular expression.
_OPERAND_END = {"name", "number", "string", "duration"}
_KEYWORDS = {"like", "and", "or", "not", "in", "filter"}


def malformed(message: str, token: Token | None = None) -> MalformedQueryException:
    where = f" at {token.where()}" if token is not None else ""
    return MalformedQueryException(f"{message}{where}")


def tokenize(query: str) -> list[Token]:
    """The tokens of ``query`` (comments dropped), ending with an ``end`` token."""
    tokens: list[Token] = []
    line, line_start, i = 1, 0, 0
    n = len(query)
    while i < n:
        ch = query[i]
        column = i - line_start + 1
        if ch == "\n":
            line, line_start, i = line + 1, i + 1, i + 1
            continue
        if ch.isspace():
            i += 1
            continue
        if ch == "#":
            while i < n and query[i] != "\n":
                i += 1
            continue
        if ch == "|":
            tokens.append(Token("pipe", "|", "|", line, column, i))
            i += 1
            continue
        if ch in "\"'":
            end, text = _string(query, i, line, column)
            tokens.append(Token("string", query[i:end], text, line, column, i))
            i = end
            continue
        if ch == "`":
            end = query.find("`", i + 1)
            if end < 0:
                raise MalformedQueryException(f"unterminated `field name` at line {line}, column {column}")
            tokens.append(Token("name", query[i : end + 1], query[i + 1 : end], line, column, i))
            i = end + 1
            continue
        if ch == "/" and _opens_regex(tokens):
            end, pattern = _regex(query, i, line, column)
            tokens.append(Token("regex", query[i:end], pattern, line, column, i))
            i = end
            continue
        number = _NUMBER.match(query, i)
        if number:
            unit = _UNIT.match(query, number.end())
            if unit:
                seconds = float(number.group()) * DURATION_UNITS[unit.group()]
                tokens.append(Token("duration", query[i : unit.end()], seconds, line, column, i))
                i = unit.end()
                continue
            text = number.group()
            value: object = float(text) if any(c in text for c in ".eE") else int(text)
            tokens.append(Token("number", text, value, line, column, i))
            i = number.end()
            continue
        name = _NAME.match(query, i)
        if name:
            tokens.append(Token("name", name.group(), name.group(), line, column, i))
            i = name.end()
            continue
        operator = next((op for op in _OPERATORS if query.startswith(op, i)), None)
        if operator is None:
            raise MalformedQueryException(f"unexpected symbol {ch!r} at line {line}, column {column}")
        tokens.append(Token("op", operator, operator, line, column, i))
        i += len(operator)
    tokens.append(Token("end", "", None, line, i - line_start + 1, i))
    return tokens


def _opens_regex(tokens: list[Token]) -> bool:
    """Whether a ``/`` here starts a regular expression rather than dividing."""
    if not tokens:
        return True
    last = tokens[-1]
    if last.kind == "name" and last.text.lower() in _KEYWORDS:
        return True
    if last.kind == "name" and len(tokens) > 1 and tokens[-2].text.lower() == "parse":
        return True  # parse FIELD /regex/
    return last.kind not in _OPERAND_END and last.text not in (")", "]")


def _string(query: str, start: int, line: int, column: int) -> tuple[int, str]:
    quote, i, out = query[start], start + 1, []
    while i < len(query):
        ch = query[i]
        if ch == "\\" and i + 1 < len(query):
            out.append({"n": "\n", "t": "\t"}.get(query[i + 1], query[i + 1]))
            i += 2
            continue
        if ch == quote:
            return i + 1, "".join(out)
        out.append(ch)
        i += 1
    raise MalformedQueryException(f"unterminated string at line {line}, column {column}")


def _regex(query: str, start: int, line: int, column: int) -> tuple[int, str]:
    i = start + 1
    while i < len(query):
        if query[i] == "\\":
            i += 2
            continue
        if query[i] == "/":
            return i + 1, query[start + 1 : i]
        if query[i] == "\n":
            break
        i += 1
    raise MalformedQueryException(f"unterminated /regular expression/ at line {line}, column {column}")
