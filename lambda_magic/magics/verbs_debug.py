"""The ``debug`` verb: a post-mortem on a failed invocation."""

from __future__ import annotations

from typing import Any

from .. import debugging
from .parsing import VerbParser, split_args

DEBUG_VERBS = {
    "debug": "a post-mortem (pdb) on the last failed invocation, or REQUEST_ID: %lambda debug [REQUEST_ID] "
    "[--commands 'p x; w; q']",
}


class DebugVerbs:
    """Mixin of ``LambdaMagic``: ``%lambda debug``."""

    def _parser_debug(self) -> VerbParser:
        parser = VerbParser(
            "%lambda debug",
            "Open pdb where a failed invocation raised (the last failed one by default).  Inline isolation: "
            "its own traceback.  Process isolation: the event runs again in an inline environment with the "
            "same code and environment variables, then pdb opens at its exception.  breakpoint() in a "
            "handler needs no verb: pdb opens in the invoking cell.",
        )
        parser.add_argument("request_id", nargs="?", help="the failed invocation (default: the last failed one)")
        parser.add_argument(
            "--commands",
            help="pdb commands typed for you, separated by ';' (e.g. 'p event; w; q'), as lm.debugger_commands",
        )
        return parser

    def _verb_debug(self, rest: str) -> Any:
        args = self._parser_debug().parse(split_args(rest))
        if args.commands is None:
            debugging.debug(args.request_id)
            return None
        commands = [command.strip() for command in args.commands.strip("'\"").split(";") if command.strip()]
        with debugging.debugger_commands(*commands):
            debugging.debug(args.request_id)
        return None
