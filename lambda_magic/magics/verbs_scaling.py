"""The verbs about asynchronous invocation, concurrency, versions, load and pictures."""

from __future__ import annotations

from typing import Any

from IPython.core.error import UsageError

from .. import api
from .parsing import VerbParser, parse_key_values, split_args


class ScalingVerbs:
    """Mixin of ``LambdaMagic``: each ``_verb_<name>(rest)`` answers ``%lambda <name> ...``."""

    def _parser_configure_async(self) -> VerbParser:
        parser = VerbParser(
            "%lambda configure-async", "Retries, maximum event age and destinations of Event invocations."
        )
        parser.add_argument("name")
        parser.add_argument("--max-retry-attempts", type=int, default=2, help="0-2 (default 2)")
        parser.add_argument("--max-event-age", type=int, default=21_600, help="seconds, 60-21600 (default 21600)")
        parser.add_argument("--on-success", help="destination: a function name or ARN")
        parser.add_argument("--on-failure", help="destination: a function name or ARN")
        return parser

    def _verb_configure_async(self, rest: str) -> Any:
        parser = self._parser_configure_async()
        args = parser.parse(split_args(rest))
        config = api.configure_async(
            args.name,
            max_retry_attempts=args.max_retry_attempts,
            max_event_age_s=args.max_event_age,
            on_success=args.on_success,
            on_failure=args.on_failure,
        )
        print(
            f"{args.name}: {config.max_retry_attempts} retries, events kept up to {config.max_event_age_s} s, "
            f"on success -> {config.on_success or 'nothing'}, on failure -> {config.on_failure or 'nothing'}"
        )

    def _parser_concurrency(self) -> VerbParser:
        parser = VerbParser("%lambda concurrency", "Reserve concurrency for a function (0 stops it; none removes it).")
        parser.add_argument("name")
        parser.add_argument("reserved", help="a number, or 'none'")
        return parser

    def _verb_concurrency(self, rest: str) -> None:
        parser = self._parser_concurrency()
        args = parser.parse(split_args(rest))
        if args.reserved.lower() == "none":
            reserved = None
        elif args.reserved.isdigit():
            reserved = int(args.reserved)
        else:
            raise UsageError(f"reserved concurrency {args.reserved!r}: give a whole number or 'none'")
        api.put_function_concurrency(args.name, reserved)
        print(f"{args.name}: reserved concurrency {'removed' if reserved is None else reserved}")

    def _parser_publish(self) -> VerbParser:
        parser = VerbParser("%lambda publish", "Publish $LATEST as an immutable, numbered version.")
        parser.add_argument("name")
        parser.add_argument("--description", default="")
        return parser

    def _verb_publish(self, rest: str) -> Any:
        parser = self._parser_publish()
        args = parser.parse(split_args(rest))
        version = api.publish_version(args.name, args.description)
        print(f"{args.name}: published version {version.version} ({version.version_arn})")
        return None

    def _parser_alias(self) -> VerbParser:
        parser = VerbParser("%lambda alias", "Create or move an alias to a version (optionally weighted).")
        parser.add_argument("name")
        parser.add_argument("alias")
        parser.add_argument("version")
        parser.add_argument(
            "--routing",
            action="append",
            default=[],
            metavar="VERSION=WEIGHT",
            help="send a share (0-1) of traffic to a second version",
        )
        return parser

    def _verb_alias(self, rest: str) -> None:
        parser = self._parser_alias()
        args = parser.parse(split_args(rest))
        routing = {}
        for version, weight in parse_key_values(args.routing, "--routing").items():
            try:
                routing[version] = float(weight)
            except ValueError:
                raise UsageError(f"--routing {version}={weight}: the weight must be a number between 0 and 1") from None
        account = api.account()
        existing = {alias.name for alias in account.registry.aliases(account.get_function(args.name).name)}
        put = account.update_alias if args.alias in existing else account.create_alias
        put(args.name, args.alias, args.version, routing=routing or None)
        print(
            f"{args.name}:{args.alias} -> version {args.version}"
            + "".join(f", {weight:.0%} to version {version}" for version, weight in routing.items())
        )

    def _parser_provision(self) -> VerbParser:
        parser = VerbParser("%lambda provision", "Initialise N environments ahead of requests for a version or alias.")
        parser.add_argument("name")
        parser.add_argument("qualifier")
        parser.add_argument("count", type=int)
        return parser

    def _verb_provision(self, rest: str) -> None:
        parser = self._parser_provision()
        args = parser.parse(split_args(rest))
        failures = api.put_provisioned_concurrency(args.name, args.qualifier, args.count)
        ready = args.count - len(failures)
        print(
            f"{args.name}:{args.qualifier}: {ready} of {args.count} provisioned environments ready"
            + (f"; init failed: {', '.join(failures)}" if failures else "")
        )

    def _parser_load(self) -> VerbParser:
        parser = VerbParser("%lambda load", "Run many invocations at once; returns them as a DataFrame.")
        parser.add_argument("name")
        parser.add_argument("--count", type=int, required=True)
        parser.add_argument("--concurrency", type=int, default=1)
        parser.add_argument("--type", default="RequestResponse", choices=("RequestResponse", "Event"))
        parser.add_argument("--template", help="build each event from this template (fresh ids every time)")
        parser.add_argument("--param", action="append", default=[], metavar="K=V")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")
        return parser

    def _verb_load(self, rest: str) -> Any:
        parser = self._parser_load()
        args = parser.parse(split_args(rest))
        if args.count < 1:
            raise UsageError("--count must be at least 1")
        if args.param and args.template is None:
            raise UsageError("--param needs --template ID (see %lambda templates)")
        params = parse_key_values(args.param, "--param")
        if args.template is not None:
            events: Any = [api.account().render_event(args.template, params) for _ in range(args.count)]
        else:
            events = args.count
        return api.invoke_many(
            args.name, events, concurrency=args.concurrency, invocation_type=args.type, progress=not args.quiet
        )

    def _parser_timeline(self) -> VerbParser:
        parser = VerbParser("%lambda timeline", "The timeline of environments, cold starts, retries and concurrency.")
        parser.add_argument("name", nargs="?")
        return parser

    def _verb_timeline(self, rest: str) -> Any:
        parser = self._parser_timeline()
        args = parser.parse(split_args(rest))
        if args.name is not None:
            api.account().get_function(args.name)
        return api.timeline(args.name)

    def _parser_metrics(self) -> VerbParser:
        parser = VerbParser("%lambda metrics", "CloudWatch-style metrics per period as a DataFrame.")
        parser.add_argument("name", nargs="?")
        parser.add_argument("--period", default="1min", help="a pandas frequency: 10s, 1min, 5min, ...")
        return parser

    def _verb_metrics(self, rest: str) -> Any:
        parser = self._parser_metrics()
        args = parser.parse(split_args(rest))
        try:
            return api.metrics(args.name, args.period)
        except ValueError:
            raise UsageError(
                f"--period {args.period!r} is not a pandas frequency; use e.g. 10s, 1min or 5min"
            ) from None

    def _parser_queue(self) -> VerbParser:
        return VerbParser("%lambda queue", "Where every asynchronous event is.")

    def _verb_queue(self, rest: str) -> Any:
        self._parser_queue().parse(split_args(rest))
        return api.queue()

    def _parser_clock(self) -> VerbParser:
        parser = VerbParser("%lambda clock", "Show or set the account clock that every AWS delay runs on.")
        parser.add_argument("mode", nargs="?", choices=("auto", "real", "scaled", "manual"))
        parser.add_argument("--scale", type=float, help="with scaled: how many times faster than real time")
        parser.add_argument("--advance", type=float, metavar="SECONDS", help="move account time forward")
        return parser

    def _verb_clock(self, rest: str) -> Any:
        parser = self._parser_clock()
        args = parser.parse(split_args(rest))
        account = api.account()
        if args.mode is not None or args.scale is not None:
            account.configure(
                clock_mode=args.mode or account.settings.clock_mode,
                **({"clock_scale": args.scale} if args.scale is not None else {}),
            )
        if args.advance is not None:
            account.clock.advance(args.advance)
        return account.clock
