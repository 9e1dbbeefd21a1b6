"""The verbs about functions, events and their records: invoke, list, logs, templates, ..."""

from __future__ import annotations

import json
from typing import Any

from IPython.core.error import UsageError

from .. import api
from ..common import limits
from .parsing import (
    VerbParser,
    lookup_variable,
    parse_key_values,
    parse_time,
    resolve_json_argument,
    split_args,
    split_invoke_line,
    value_options,
)


class FunctionVerbs:
    """Mixin of ``LambdaMagic``: each ``_verb_<name>(rest)`` answers ``%lambda <name> ...``."""

    shell: Any

    def _parser_invoke(self) -> VerbParser:
        parser = VerbParser("%lambda invoke", "Invoke a function. EVENT is JSON (the rest of the line) or $variable.")
        parser.add_argument("name")
        parser.add_argument("--event-file", help="read the event from a JSON file")
        parser.add_argument(
            "--type", default="RequestResponse", choices=limits.INVOCATION_TYPES, help="invocation type"
        )
        parser.add_argument("--qualifier", help="version or alias ($LATEST)")
        parser.add_argument("--client-context", help="ClientContext as JSON or $variable (synchronous invokes only)")
        parser.add_argument("-o", dest="output", metavar="VAR", help="also store the Invocation in VAR")
        parser.add_argument("--template", help="build the event from this template (see %%lambda templates)")
        parser.add_argument(
            "--param", action="append", default=[], metavar="K=V", help="a template parameter (repeatable)"
        )
        parser.add_argument("--seed", type=int, help="with --template: fixed ids, for reproducible tutorials")
        parser.add_argument("--now", type=parse_time, help="with --template: the event's time (ISO 8601)")
        return parser

    def _verb_invoke(self, rest: str) -> Any:
        parser = self._parser_invoke()
        argv, event_arg = split_invoke_line(rest, value_options(parser))
        args = parser.parse(argv)
        user_ns = self.shell.user_ns if self.shell is not None else {}
        event = self._event(event_arg, args.event_file, user_ns)
        if (args.param or args.seed is not None or args.now is not None) and args.template is None:
            raise UsageError("--param, --seed and --now need --template ID (see %lambda templates)")
        if args.template is not None and event is not None:
            raise UsageError("give the event either as JSON/$var/--event-file or with --template, not both")
        client_context = None
        if args.client_context is not None:
            client_context = resolve_json_argument(args.client_context, user_ns, "--client-context")
        if args.output is not None and not args.output.isidentifier():
            raise UsageError(f"-o {args.output!r}: give a valid Python variable name")
        invocation = api.invoke(
            args.name,
            event,
            invocation_type=args.type,
            qualifier=args.qualifier,
            client_context=client_context,
            template=args.template,
            params=parse_key_values(args.param, "--param") or None,
            seed=args.seed,
            now=args.now,
        )
        if args.output is not None:
            user_ns[args.output] = invocation
        return invocation

    @staticmethod
    def _event(event_arg: tuple[str, Any] | None, event_file: str | None, user_ns: dict[str, Any]) -> Any:
        if event_arg is not None and event_file is not None:
            raise UsageError("give the event either on the line or with --event-file, not both")
        if event_file is not None:
            try:
                with open(event_file, encoding="utf-8") as file:
                    return json.load(file)
            except OSError as exc:
                raise UsageError(f"cannot read --event-file {event_file!r}: {exc.strerror}") from None
            except json.JSONDecodeError as exc:
                raise UsageError(
                    f"--event-file {event_file!r} is not valid JSON ({exc.msg} at line {exc.lineno})"
                ) from None
        if event_arg is None:
            return None
        kind, value = event_arg
        return lookup_variable(value, user_ns) if kind == "var" else value

    def _parser_templates(self) -> VerbParser:
        parser = VerbParser("%lambda templates", "The event templates (of one SERVICE) as a DataFrame.")
        parser.add_argument("service", nargs="?", help="e.g. s3, sqs, apigateway")
        return parser

    def _verb_templates(self, rest: str) -> Any:
        parser = self._parser_templates()
        args = parser.parse(split_args(rest))
        return api.templates(args.service)

    def _parser_event(self) -> VerbParser:
        parser = VerbParser("%lambda event", "Build an event from a template and return it (a dict).")
        parser.add_argument("template", help="template id, e.g. s3/put (see %lambda templates)")
        parser.add_argument("--param", action="append", default=[], metavar="K=V", help="a parameter (repeatable)")
        parser.add_argument("--seed", type=int, help="fixed ids, for reproducible tutorials")
        parser.add_argument("--now", type=parse_time, help="the event's time (ISO 8601, e.g. 2024-05-01T12:00:00Z)")
        return parser

    def _verb_event(self, rest: str) -> Any:
        parser = self._parser_event()
        args = parser.parse(split_args(rest))
        return api.event(args.template, seed=args.seed, now=args.now, **parse_key_values(args.param, "--param"))

    def _parser_builder(self) -> VerbParser:
        parser = VerbParser("%lambda builder", "The event builder: pick a template, fill the form, invoke.")
        parser.add_argument("name", nargs="?", help="the function to invoke (optional)")
        return parser

    def _verb_builder(self, rest: str) -> Any:
        parser = self._parser_builder()
        args = parser.parse(split_args(rest))
        if args.name is not None:
            api.account().get_function(args.name)
        return api.builder(args.name)

    def _parser_list(self) -> VerbParser:
        return VerbParser("%lambda list", "The registered functions as a DataFrame.")

    def _verb_list(self, rest: str) -> Any:
        self._parser_list().parse(split_args(rest))
        return api.functions()

    def _parser_invocations(self) -> VerbParser:
        parser = VerbParser("%lambda invocations", "Every invocation (of NAME) as a DataFrame.")
        parser.add_argument("name", nargs="?")
        return parser

    def _verb_invocations(self, rest: str) -> Any:
        parser = self._parser_invocations()
        args = parser.parse(split_args(rest))
        return api.invocations(args.name)

    def _parser_logs(self) -> VerbParser:
        parser = VerbParser("%lambda logs", "Log events (of NAME) as a DataFrame, oldest first.")
        parser.add_argument("name", nargs="?")
        parser.add_argument("--request-id", help="only the events of this request")
        parser.add_argument("--tail", type=int, help="only the last N events")
        parser.add_argument(
            "--filter",
            dest="filter_pattern",
            help='a CloudWatch filter pattern: ERROR, "two words", ?any, -not, { $.level = "ERROR" }, [w1, w2=5*]',
        )
        return parser

    def _verb_logs(self, rest: str) -> Any:
        parser = self._parser_logs()
        args = parser.parse(split_args(rest))
        if args.name is not None:
            api.account().get_function(args.name)
        if args.tail is not None and args.tail < 0:
            raise UsageError("--tail must be a positive number of events")
        return api.logs(args.name, request_id=args.request_id, filter_pattern=args.filter_pattern, tail=args.tail)

    def _parser_insights(self) -> VerbParser:
        parser = VerbParser(
            "%lambda insights",
            "A CloudWatch Logs Insights query over the functions' logs, as a DataFrame; the query is the rest "
            "of the line (or $var, a variable holding it).",
        )
        parser.add_argument("--group", action="append", help="a log group, /aws/lambda/NAME or NAME (repeatable)")
        parser.add_argument("--start", help="ISO time or epoch seconds")
        parser.add_argument("--end", help="ISO time or epoch seconds")
        parser.add_argument("--limit", type=int, help="at most N rows")
        parser.add_argument("query", nargs="...", help='e.g. filter @type = "REPORT" | stats avg(@duration) by bin(5m)')
        return parser

    def _verb_insights(self, rest: str) -> Any:
        options, query = _split_insights_line(rest)
        args = self._parser_insights().parse(options)
        if query.startswith("$") and query[1:].isidentifier():
            value = self.shell.user_ns.get(query[1:]) if self.shell is not None else None
            if not isinstance(value, str):
                raise UsageError(f"{query}: not a variable holding a query string")
            query = value
        if not query.strip():
            raise UsageError("%lambda insights needs a query: %lambda insights fields @timestamp, @message | limit 20")
        return api.insights(query, args.group, args.start, args.end, limit=args.limit)

    def _parser_delete(self) -> VerbParser:
        parser = VerbParser("%lambda delete", "Delete a function and end its environments (its logs stay).")
        parser.add_argument("name")
        return parser

    def _verb_delete(self, rest: str) -> None:
        parser = self._parser_delete()
        args = parser.parse(split_args(rest))
        api.delete(args.name)
        print(f"Deleted function {args.name}.")

    def _parser_wait(self) -> VerbParser:
        parser = VerbParser("%lambda wait", "Wait until every queued Event invocation has run.")
        parser.add_argument("--timeout", type=float, help="give up after this many seconds")
        return parser

    def _verb_wait(self, rest: str) -> None:
        parser = self._parser_wait()
        args = parser.parse(split_args(rest))
        if not api.wait(args.timeout):
            raise UsageError(f"queued invocations are still running after {args.timeout} s")

    def _parser_reset(self) -> VerbParser:
        return VerbParser("%lambda reset", "Forget every function, environment, invocation and log.")

    def _verb_reset(self, rest: str) -> None:
        self._parser_reset().parse(split_args(rest))
        api.reset()
        print("Reset: no functions, environments, invocations or logs remain.")


def _split_insights_line(line: str) -> tuple[list[str], str]:
    """The leading ``--option value`` words of ``%lambda insights``, and the raw query after them
    (left as written: its quotes, pipes and slashes belong to the query language)."""
    words: list[str] = []
    rest = line.strip()
    while rest.startswith("--"):
        option, _, rest = rest.partition(" ")
        words.append(option)
        if option in ("--help", "-h"):
            break
        value, _, rest = rest.strip().partition(" ")
        words.append(value.strip("'\""))
        rest = rest.strip()
    return words, rest
