"""The verbs about the local cloud and the triggers that read it: cloud, trigger, triggers."""

from __future__ import annotations

from typing import Any

from IPython.core.error import UsageError

from .. import api
from .parsing import VerbParser, split_args


class CloudVerbs:
    """Mixin of ``LambdaMagic``: each ``_verb_<name>(rest)`` answers ``%lambda <name> ...``."""

    def _parser_cloud(self) -> VerbParser:
        return VerbParser("%lambda cloud", "The local cloud: its address and what is in it.")

    def _verb_cloud(self, rest: str) -> Any:
        self._parser_cloud().parse(split_args(rest))
        return api.cloud()

    def _parser_trigger(self) -> VerbParser:
        parser = VerbParser("%lambda trigger", "Feed a function from sqs:QUEUE, kinesis:STREAM or dynamodb:TABLE.")
        parser.add_argument("name")
        parser.add_argument("source", help="sqs:QUEUE, kinesis:STREAM or dynamodb:TABLE (in the local cloud)")
        parser.add_argument("--batch-size", type=int)
        parser.add_argument("--batching-window", type=int, default=0, help="seconds (MaximumBatchingWindowInSeconds)")
        parser.add_argument("--starting-position", choices=("TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"))
        parser.add_argument("--report-batch-item-failures", action="store_true")
        parser.add_argument("--bisect", action="store_true", help="BisectBatchOnFunctionError (streams)")
        parser.add_argument("--max-retry-attempts", type=int, default=-1, help="streams; -1 = until the records expire")
        parser.add_argument("--parallelization-factor", type=int, default=1)
        parser.add_argument("--on-failure", help="destination ARN for records given up on (streams)")
        parser.add_argument(
            "--filter",
            action="append",
            default=[],
            metavar="PATTERN",
            help="a FilterCriteria pattern (JSON; repeatable, OR)",
        )
        return parser

    def _verb_trigger(self, rest: str) -> Any:
        parser = self._parser_trigger()
        args = parser.parse(split_args(rest))
        kind, sep, resource = args.source.partition(":")
        if not sep or not resource:
            raise UsageError(f"source {args.source!r}: write sqs:QUEUE, kinesis:STREAM or dynamodb:TABLE")
        api.account().get_function(args.name)
        settings: dict[str, Any] = {"maximum_batching_window_s": args.batching_window}
        if args.batch_size is not None:
            settings["batch_size"] = args.batch_size
        if args.report_batch_item_failures:
            settings["function_response_types"] = ["ReportBatchItemFailures"]
        if args.filter:
            settings["filter_criteria"] = {"Filters": [{"Pattern": pattern} for pattern in args.filter]}
        if kind != "sqs":
            settings.update(
                starting_position=args.starting_position or "TRIM_HORIZON",
                bisect_batch_on_function_error=args.bisect,
                maximum_retry_attempts=args.max_retry_attempts,
                parallelization_factor=args.parallelization_factor,
            )
            if args.on_failure:
                settings["destination_config"] = {"OnFailure": {"Destination": args.on_failure}}
        mapping = api.create_event_source_mapping(args.name, api.source_arn(kind, resource), **settings)
        print(
            f"{args.name} <- {args.source}: mapping {mapping.uuid} ({mapping.state}, batch size {mapping.batch_size})"
        )
        return None

    def _parser_triggers(self) -> VerbParser:
        return VerbParser("%lambda triggers", "Every event source mapping and its poller's state.")

    def _verb_triggers(self, rest: str) -> Any:
        self._parser_triggers().parse(split_args(rest))
        return api.triggers()
