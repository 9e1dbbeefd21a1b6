"""Argument parsing for the magics: argparse that answers with one-line UsageErrors,
and the ``invoke`` line, whose event is raw JSON (spaces and quotes included)."""

from __future__ import annotations

import argparse
import json
import re
import shlex
from datetime import datetime, timezone
from typing import Any, Mapping

from IPython.core.error import UsageError

#: A shell-like word: quoted parts and plain characters, up to unquoted white space.
_TOKEN = re.compile(r'(?:"(?:\\.|[^"\\])*"|\'[^\']*\'|[^\s"\'])+')
_NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")


class HelpShown(Exception):
    """``--help`` was asked for and printed; nothing else to do."""


class VerbParser(argparse.ArgumentParser):
    """An ArgumentParser for one verb: errors become UsageErrors, ``--help`` prints."""

    def __init__(self, prog: str, description: str, **kwargs: Any):
        super().__init__(prog=prog, description=description, exit_on_error=False, allow_abbrev=False, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")

    def exit(self, status: int = 0, message: str | None = None) -> None:  # type: ignore[override]
        raise HelpShown()

    def print_help(self, file: Any = None) -> None:
        print(self.format_help())

    def parse(self, argv: list[str]) -> argparse.Namespace:
        try:
            return self.parse_args(argv)
        except argparse.ArgumentError as exc:
            self.error(str(exc))
            raise  # unreachable


def value_options(parser: argparse.ArgumentParser) -> set[str]:
    """The option strings of ``parser`` that take a value (``--type X``, not ``--quiet``)."""
    return {option for action in parser._actions if action.nargs != 0 for option in action.option_strings}


def unquote(token: str) -> str:
    """Remove a word's quotes as a POSIX shell does (``key="red flower.jpg"`` -> ``key=red flower.jpg``)."""
    if "'" not in token and '"' not in token and "\\" not in token:
        return token
    try:
        return "".join(shlex.split(token))
    except ValueError:
        return token


def split_args(line: str) -> list[str]:
    """Split a magic line into words; quotes group words and are removed."""
    return [unquote(match.group()) for match in _TOKEN.finditer(line)]


def split_invoke_line(line: str, value_options: set[str]) -> tuple[list[str], tuple[str, Any] | None]:
    """Split ``NAME [options] [EVENT] [options]`` where EVENT is JSON text or ``$var``.

    Returns the argv for argparse and the event as ``("json", object)``,
    ``("var", name)`` or ``None``.
    """
    argv: list[str] = []
    event: tuple[str, Any] | None = None
    consumed = 0
    expecting_value = False
    have_name = False
    for match in _TOKEN.finditer(line):
        if match.start() < consumed:
            continue
        token = match.group()
        if expecting_value:
            argv.append(unquote(token))
            expecting_value = False
        elif token.startswith("-") and not _NUMBER.match(token):
            argv.append(token)
            expecting_value = token in value_options
        elif not have_name:
            argv.append(unquote(token))
            have_name = True
        elif event is not None:
            raise UsageError(f"unexpected {token!r} after the event: put options before the event")
        elif token.startswith("$") and token[1:].isidentifier():
            event = ("var", token[1:])
        else:
            try:
                value, consumed = json.JSONDecoder().raw_decode(line, match.start())
            except json.JSONDecodeError as exc:
                raise UsageError(
                    f"the event is not valid JSON ({exc.msg} at column {exc.colno}); "
                    "give a JSON value, $variable or --event-file FILE"
                ) from None
            event = ("json", value)
    return argv, event


def parse_key_values(pairs: list[str], what: str) -> dict[str, str]:
    """``["A=1", "B=two"]`` -> ``{"A": "1", "B": "two"}``."""
    result = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"{what} {pair!r} must look like KEY=VALUE")
        result[key] = value
    return result


def resolve_json_argument(text: str, user_ns: Mapping[str, Any], what: str) -> Any:
    """A JSON value given on the line, or ``$var`` from the notebook."""
    if text.startswith("$") and text[1:].isidentifier():
        return lookup_variable(text[1:], user_ns)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f'{what} is not valid JSON ({exc.msg}); quote it like \'{{"key": "value"}}\' or use $variable'
        ) from None


def lookup_variable(name: str, user_ns: Mapping[str, Any]) -> Any:
    if name not in user_ns:
        raise UsageError(f"there is no variable {name!r} in the notebook; define it first or pass JSON")
    return user_ns[name]


def parse_time(text: str) -> datetime:
    """An ISO 8601 time for ``--now`` (``Z`` or an offset; UTC when none is given)."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 time like 2024-05-01T12:00:00Z") from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
