"""The X-Ray verbs: traces, trace."""

from __future__ import annotations

from typing import Any

from .. import tracing
from .parsing import VerbParser, split_args

XRAY_VERBS = {
    "traces": "X-Ray segments and subsegments as a DataFrame (of the traces through NAME)",
    "trace": "one X-Ray trace as a waterfall: %lambda trace [TRACE_ID] (the most recent by default)",
}


class XRayVerbs:
    """Mixin of ``LambdaMagic``: each ``_verb_<name>(rest)`` answers ``%lambda <name> ...``."""

    def _verb_traces(self, rest: str) -> Any:
        parser = VerbParser(
            "%lambda traces",
            "Every kept X-Ray trace, one row per segment and subsegment (as lm.traces()): functions with "
            "--tracing Active are sampled (the first request each second, then 5%).",
        )
        parser.add_argument("name", nargs="?", help="only the traces that pass through this function")
        args = parser.parse(split_args(rest))
        return tracing.traces(args.name)

    def _verb_trace(self, rest: str) -> Any:
        parser = VerbParser(
            "%lambda trace", "One X-Ray trace as a waterfall, like the X-Ray console's (as lm.trace(id))."
        )
        parser.add_argument("trace_id", nargs="?", help="1-<8 hex>-<24 hex> (default: the most recent trace)")
        args = parser.parse(split_args(rest))
        return tracing.trace(args.trace_id)
