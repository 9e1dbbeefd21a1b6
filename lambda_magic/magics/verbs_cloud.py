"""The verbs about the local cloud and the triggers that read it: cloud, trigger, triggers."""

from __future__ import annotations

import argparse
import json
from typing import Any

from IPython.core.error import UsageError

from .. import api, api_mappings
from .parsing import VerbParser, split_args

#: The push source kinds ``%lambda trigger`` hands to ``lm.add_trigger``.
PUSH_SOURCES = ("s3", "sns", "events", "schedule", "logs", "codecommit")
#: The name ``--id`` sets, per push source kind.
_WIRING_NAME = {"s3": "id", "schedule": "name", "logs": "filter_name", "codecommit": "name"}


def _json_option(option: str, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"--{option}: not JSON ({exc.msg} at column {exc.colno}); quote it: --{option} '{{...}}'"
        ) from None


def _push_settings(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    """``lm.add_trigger``'s settings from the options given (the source's defaults fill the rest)."""
    settings: dict[str, Any] = {}
    for option, value in (
        ("events", args.events),
        ("prefix", args.prefix),
        ("suffix", args.suffix),
        ("filter_policy_scope", args.filter_policy_scope),
        ("event_bus_name", args.bus),
        ("input_path", args.input_path),
        ("filter_pattern", args.filter_pattern),
        ("branches", args.branches),
        ("custom_data", args.custom_data),
        ("timezone", args.timezone),
    ):
        if value is not None:
            settings[option] = value
    for option, text in (("filter_policy", args.filter_policy), ("event_pattern", args.event_pattern)):
        if text is not None:
            settings[option] = _json_option(option.replace("_", "-"), text)
    if args.input is not None:
        settings["input"] = args.input
    if args.wiring_name is not None:
        if kind not in _WIRING_NAME:
            raise UsageError(f"--id does not apply to {kind} triggers")
        settings[_WIRING_NAME[kind]] = args.wiring_name
    return settings


def _describe(settings: dict[str, Any]) -> str:
    return ", ".join(
        f"{key} {json.dumps(value) if not isinstance(value, str) else value}" for key, value in settings.items()
    )


class CloudVerbs:
    """Mixin of ``LambdaMagic``: each ``_verb_<name>(rest)`` answers ``%lambda <name> ...``."""

    def _parser_cloud(self) -> VerbParser:
        return VerbParser("%lambda cloud", "The local cloud: its address and what is in it.")

    def _verb_cloud(self, rest: str) -> Any:
        self._parser_cloud().parse(split_args(rest))
        return api.cloud()

    def _parser_trigger(self) -> VerbParser:
        parser = VerbParser(
            "%lambda trigger",
            "Feed a function from a queue or stream (an event source mapping: sqs:QUEUE, kinesis:STREAM, "
            "dynamodb:TABLE), or let a service call it (a push source: s3:BUCKET, sns:TOPIC, events:RULE, "
            "'schedule:rate(5 minutes)', logs:GROUP, codecommit:REPO; the resource policy is added too).",
        )
        parser.add_argument("name")
        parser.add_argument("source", help="KIND:RESOURCE in the local cloud (quote a schedule expression)")
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
        push = parser.add_argument_group("push sources")
        push.add_argument("--events", action="append", metavar="EVENT", help="s3: s3:ObjectCreated:*...; codecommit")
        push.add_argument("--prefix", help="s3: object key prefix")
        push.add_argument("--suffix", help="s3: object key suffix")
        push.add_argument("--filter-policy", metavar="JSON", help="sns: the subscription's filter policy")
        push.add_argument("--filter-policy-scope", choices=("MessageAttributes", "MessageBody"), help="sns")
        push.add_argument("--event-pattern", metavar="JSON", help="events: the rule's event pattern")
        push.add_argument("--bus", help="events: the event bus (default: default)")
        push.add_argument("--input", metavar="JSON", help="events, schedule: the target's constant input")
        push.add_argument("--input-path", help="events: the target's InputPath")
        push.add_argument("--filter-pattern", help="logs: the subscription filter's pattern")
        push.add_argument("--branches", action="append", metavar="BRANCH", help="codecommit (repeatable)")
        push.add_argument("--custom-data", help="codecommit: the trigger's customData")
        push.add_argument("--timezone", help="schedule: ScheduleExpressionTimezone (EventBridge Scheduler)")
        push.add_argument("--id", dest="wiring_name", metavar="NAME", help="the rule, filter or trigger name")
        return parser

    def _verb_trigger(self, rest: str) -> Any:
        parser = self._parser_trigger()
        args = parser.parse(split_args(rest))
        kind, sep, resource = args.source.partition(":")
        if not sep or not resource:
            raise UsageError(
                f"source {args.source!r}: write KIND:RESOURCE, e.g. sqs:QUEUE, s3:BUCKET or 'schedule:rate(1 hour)'"
            )
        if kind in PUSH_SOURCES:
            trigger = api.add_trigger(args.name, args.source, **_push_settings(kind, args))
            print(
                f"{args.name} <- {trigger.source}" + (f" ({_describe(trigger.settings)})" if trigger.settings else "")
            )
            return None
        if kind not in ("sqs", "kinesis", "dynamodb"):
            raise UsageError(
                f"source kind {kind!r}: choose sqs, kinesis, dynamodb (a mapping) or {', '.join(PUSH_SOURCES)}"
            )
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
        mapping = api_mappings.create_event_source_mapping(args.name, api.source_arn(kind, resource), **settings)
        print(
            f"{args.name} <- {args.source}: mapping {mapping.uuid} ({mapping.state}, batch size {mapping.batch_size})"
        )
        return None

    def _parser_triggers(self) -> VerbParser:
        return VerbParser("%lambda triggers", "Every event source mapping and its poller's state.")

    def _verb_triggers(self, rest: str) -> Any:
        self._parser_triggers().parse(split_args(rest))
        return api_mappings.triggers()
