"""Tab completion for ``%lambda`` and ``%%lambda`` (an IPython context matcher).

After ``%lambda `` the verbs; after a verb its own options (read from the verb's
parser, so they never drift from what the verb accepts), function names where a
verb takes one, template ids after ``--template``, parameter names after
``--param``, each option's choices, and ``$variables`` for ``invoke``'s event.  The ``%%lambda`` line completes the same
way with the registration options.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from IPython.core.completer import CompletionContext, SimpleCompletion, SimpleMatcherResult, context_matcher

from .. import api
from ..common import limits
from ..common.errors import LambdaMagicError

if TYPE_CHECKING:
    from .lambda_magic import LambdaMagic

MATCHER_ID = "lambda_magic.completer"

#: ``%lambda ARGS`` on the current line, alone or assigned (``res = %lambda invoke ...``).
_LINE_MAGIC = re.compile(r"^\s*(?:[\w.]+\s*=\s*)?%lambda\s(?P<args>.*)$")
_CELL_MAGIC = re.compile(r"^%%lambda\s(?P<args>.*)$")
#: Positional arguments and options whose values are function names.
_FUNCTION_DESTS = {"name", "on_success", "on_failure"}
_SOURCE_KINDS = ("sqs:", "kinesis:", "dynamodb:")


def make_matcher(magic: LambdaMagic) -> Callable[[CompletionContext], SimpleMatcherResult]:
    """The matcher to append to ``shell.Completer.custom_matchers``."""

    @context_matcher(identifier=MATCHER_ID, priority=1)
    def lambda_matcher(context: CompletionContext) -> SimpleMatcherResult:
        magic_line = _magic_args(context)
        if magic_line is None:
            return cast(SimpleMatcherResult, {"completions": [], "suppress": False})
        args, cell = magic_line
        words = args.split()
        prefix = "" if not args or args[-1].isspace() else words.pop()
        try:
            found = complete(magic, words, prefix, cell=cell)
        except LambdaMagicError:  # e.g. a function deleted meanwhile: nothing to offer, no traceback on Tab
            found = []
        completions = [SimpleCompletion(text, type=kind) for text, kind in found]
        return cast(
            SimpleMatcherResult,
            {"completions": completions, "matched_fragment": prefix, "suppress": bool(completions)},
        )

    return lambda_matcher


def _magic_args(context: CompletionContext) -> tuple[str, bool] | None:
    """The magic's arguments up to the cursor, and whether it is the cell magic; None elsewhere."""
    before = context.text_until_cursor
    if context.cursor_line == 0:
        match = _CELL_MAGIC.match(before)
        if match:
            return match.group("args"), True
    match = _LINE_MAGIC.match(before)
    return (match.group("args"), False) if match else None


def complete(magic: LambdaMagic, words: list[str], prefix: str, *, cell: bool = False) -> list[tuple[str, str]]:
    """``(text, kind)`` completions of ``prefix`` after the magic's ``words``."""
    from .lambda_magic import VERBS

    if cell:
        parser = magic._parser_register()
    elif not words:
        return [(verb, "verb") for verb in VERBS if verb.startswith(prefix)]
    else:
        verb, words = words[0], words[1:]
        maker = getattr(magic, f"_parser_{verb.replace('-', '_')}", None) if verb in VERBS else None
        if maker is None:
            return []
        parser = maker()
    options = {option: action for action in parser._actions for option in action.option_strings}
    if prefix.startswith("$") and "--client-context" in options:  # invoke's EVENT or --client-context $var
        user_ns = magic.shell.user_ns if magic.shell is not None else {}
        return [
            (f"${name}", "variable")
            for name in user_ns
            if f"${name}".startswith(prefix) and not name.startswith("_") and name.isidentifier()
        ]
    if words and words[-1] in options and options[words[-1]].nargs != 0:
        values = _values(options[words[-1]], parser, words[:-1])
        return [(value, kind) for value, kind in values if value.startswith(prefix)]
    if prefix.startswith("-"):
        used = set(words)
        return [
            (option, "option")
            for option, action in options.items()
            if option.startswith(prefix)
            and option != "-h"
            and (option not in used or isinstance(action, argparse._AppendAction))
        ]
    positionals = [action for action in parser._actions if not action.option_strings]
    index = len(_positionals(words, options))
    if index >= len(positionals):
        return []
    return [(value, kind) for value, kind in _values(positionals[index], parser, words) if value.startswith(prefix)]


def _positionals(words: list[str], options: dict[str, argparse.Action]) -> list[str]:
    """The words that are positional arguments (not options, not option values)."""
    found, skip = [], False
    for word in words:
        if skip:
            skip = False
        elif word in options:
            skip = options[word].nargs != 0
        elif not word.startswith("-"):
            found.append(word)
    return found


def _values(action: argparse.Action, parser: argparse.ArgumentParser, words: list[str]) -> list[tuple[str, str]]:
    """What may be written for one argument or option value."""
    account = api.account()
    options = {option: a for a in parser._actions for option in a.option_strings}
    if action.choices:
        return [(str(choice), "choice") for choice in action.choices]
    dest = action.dest
    if dest in _FUNCTION_DESTS:
        return [(function.name, "function") for function in account.list_functions()]
    if dest == "template":
        return [(template.id, "template") for template in account.catalog().templates()]
    if dest == "service":
        return [(service, "service") for service in account.catalog().services()]
    if dest == "param":
        template = _template_of(words, options)
        if template is None or template not in account.catalog():
            return []
        return [(f"{param.name}=", "parameter") for param in account.catalog().get(template).params]
    if dest == "log_level":
        return [(level, "choice") for level in limits.APPLICATION_LOG_LEVELS]
    if dest == "source":
        return [(kind, "source") for kind in _SOURCE_KINDS]
    name = next(iter(_positionals(words, options)), None)
    if dest in ("qualifier", "version", "alias") and name is not None:
        return _qualifiers(account, name, dest)
    return []


def _template_of(words: list[str], options: dict[str, argparse.Action]) -> str | None:
    """The template the line names: after ``--template``, or the ``event`` verb's positional."""
    if "--template" in words:
        index = words.index("--template")
        return words[index + 1] if index + 1 < len(words) else None
    if "--template" not in options:  # %lambda event ID
        positionals = _positionals(words, options)
        return positionals[0] if positionals else None
    return None


def _qualifiers(account: Any, name: str, dest: str) -> list[tuple[str, str]]:
    if account.registry.latest(name) is None:
        return []
    versions = [(function.version, "version") for function in account.registry.versions(name)]
    aliases = [(alias.name, "alias") for alias in account.registry.aliases(name)]
    if dest == "version":
        return versions
    if dest == "alias":
        return aliases
    return versions + aliases
