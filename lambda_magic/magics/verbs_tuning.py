"""The verb about Lambda's CPU model and cost: power-tune."""

from __future__ import annotations

from typing import Any

from IPython.core.error import UsageError

from .. import tuning
from ..tuning import DEFAULT_MEMORY, STRATEGIES
from .parsing import VerbParser, split_invoke_line, value_options

TUNING_VERBS = {
    "power-tune": "run an event at several memory sizes and choose by cost or speed: "
    "%lambda power-tune NAME [EVENT | $var] [--memory 128,256,...] [--num 10] [--strategy cost|speed|balanced]",
}


def parse_sizes(text: str) -> list[int]:
    """``"128,256,1769"`` -> ``[128, 256, 1769]``."""
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise UsageError(f"--memory {text!r}: give sizes in MB separated by commas, e.g. 128,512,1769") from None
    if not sizes:
        raise UsageError("--memory needs at least one size in MB, e.g. 128,512,1769")
    return sizes


class TuningVerbs:
    """Mixin of ``LambdaMagic``: each ``_verb_<name>(rest)`` answers ``%lambda <name> ...``."""

    def _parser_power_tune(self) -> VerbParser:
        parser = VerbParser(
            "%lambda power-tune",
            "Power tuning, as AWS Lambda Power Tuning does it: the event runs NUM times at each memory size "
            "(in fresh versions; $LATEST is left as it was), and the best size for the strategy is chosen. "
            "Returns the table and the chart (cost and duration against memory).",
        )
        parser.add_argument("name", help="the function")
        parser.add_argument(
            "--memory",
            type=parse_sizes,
            default=list(DEFAULT_MEMORY),
            help=f"memory sizes in MB, comma-separated (default: {','.join(map(str, DEFAULT_MEMORY))})",
        )
        parser.add_argument("--num", type=int, default=10, help="invocations per size (at least 5; default 10)")
        parser.add_argument("--strategy", choices=STRATEGIES, default="cost")
        parser.add_argument("--balanced-weight", type=float, default=0.5, help="with balanced: 1 is all cost, 0 speed")
        parser.add_argument("--parallel", action="store_true", help="the NUM invocations of a size all at once")
        parser.add_argument("--discard-top-bottom", type=float, default=0.2, help="share of extremes dropped (0-0.4)")
        parser.add_argument("--only-cold-starts", action="store_true", help="every invocation in a new environment")
        parser.add_argument("-o", "--output", help="also store the result in this variable")
        return parser

    def _verb_power_tune(self, rest: str) -> Any:
        parser = self._parser_power_tune()
        argv, event_arg = split_invoke_line(rest, value_options(parser))
        args = parser.parse(argv)
        user_ns = self.shell.user_ns if getattr(self, "shell", None) is not None else {}  # type: ignore[attr-defined]
        event = self._event(event_arg, None, user_ns)  # type: ignore[attr-defined]
        if args.output is not None and not args.output.isidentifier():
            raise UsageError(f"-o {args.output!r}: give a valid Python variable name")
        result = tuning.power_tune(
            args.name,
            event,
            memory=args.memory,
            num=args.num,
            strategy=args.strategy,
            balanced_weight=args.balanced_weight,
            parallel=args.parallel,
            discard_top_bottom=args.discard_top_bottom,
            only_cold_starts=args.only_cold_starts,
        )
        if args.output is not None:
            user_ns[args.output] = result
        return result
