"""The verbs about the loopback endpoints the account serves: endpoints, api."""

from __future__ import annotations

from typing import Any

from IPython.core.error import UsageError

from .. import api, api_gateway
from ..common.errors import LambdaMagicError
from .parsing import VerbParser, parse_key_values, split_args

ENDPOINT_VERBS = {
    "endpoints": "the loopback addresses the account serves (the Lambda API, ...) and a ready AWS CLI line",
    "api": "serve an API Gateway API: %lambda api NAME 'GET /items/{id}=FUNCTION' ... [--rest] "
    "(no arguments: every API and its local URL)",
}


def parse_routes(pairs: list[str]) -> dict[str, str]:
    """``["GET /items/{id}=get_item", "GET:/=home", "$default=fallback"]`` -> ``{route key: function}``."""
    routes: dict[str, str] = {}
    for pair in pairs:
        key, sep, function = pair.rpartition("=")
        key = key.strip()
        if not sep or not key or not function:
            raise UsageError(
                f"route {pair!r}: write 'METHOD /path=FUNCTION' (quoted), METHOD:/path=FUNCTION or $default=FUNCTION"
            )
        method, colon, path = key.partition(":")
        if colon and path.startswith("/") and " " not in key:
            key = f"{method} {path}"
        if key in routes:
            raise UsageError(f"route {key!r} is given twice")
        routes[key] = function
    return routes


class EndpointVerbs:
    """Mixin of ``LambdaMagic``: each ``_verb_<name>(rest)`` answers ``%lambda <name> ...``."""

    def _verb_endpoints(self, rest: str) -> Any:
        VerbParser(
            "%lambda endpoints",
            "The loopback addresses the account serves, by service: boto3's "
            "lambda client and the AWS CLI (--endpoint-url) reach the notebook's functions there.",
        ).parse(split_args(rest))
        return api.endpoints()

    def _parser_api(self) -> VerbParser:
        parser = VerbParser(
            "%lambda api",
            "Serve an API Gateway API on loopback (as lm.http_api / lm.rest_api): an HTTP API (payload 2.0) "
            "or, with --rest, a REST API (payload 1.0) deployed to --stage.  Declaring NAME again replaces it "
            "at the same address.  With NAME alone: that API's panel; with nothing: every API the account "
            "serves, including those configured through boto3 (lm.api_url(api_id, stage) gives their URL).",
        )
        parser.add_argument("name", nargs="?", help="the API's name (or, alone, an API id made through boto3)")
        parser.add_argument(
            "routes",
            nargs="*",
            metavar="ROUTE=FUNCTION",
            help="'GET /items/{id}=get_item' (quote it), GET:/items=list_items, 'ANY /{proxy+}=app', $default=f",
        )
        parser.add_argument("--rest", action="store_true", help="a REST API (payload 1.0) instead of an HTTP API")
        parser.add_argument("--stage", help="the stage (REST: dev by default; HTTP: $default)")
        parser.add_argument(
            "--stage-variable",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            dest="stage_variables",
            help="a stage variable (repeatable)",
        )
        parser.add_argument(
            "--binary-media-types", nargs="+", default=[], metavar="TYPE", help="REST: e.g. image/png '*/*'"
        )
        parser.add_argument("--cors-origins", nargs="+", default=[], metavar="ORIGIN", help="HTTP: allowOrigins")
        parser.add_argument("--cors-methods", nargs="+", default=[], metavar="METHOD", help="HTTP: allowMethods")
        parser.add_argument("--cors-headers", nargs="+", default=[], metavar="HEADER", help="HTTP: allowHeaders")
        return parser

    def _verb_api(self, rest: str) -> Any:
        args = self._parser_api().parse(split_args(rest))
        if args.name is None:
            return api_gateway.apis()
        if not args.routes:
            try:
                return api_gateway.api_view(args.name, args.stage)
            except LambdaMagicError:
                raise UsageError(
                    f"no API {args.name!r}: give its routes, e.g. %lambda api {args.name} 'GET /items/{{id}}=FUNCTION'"
                ) from None
        routes = parse_routes(args.routes)
        cors: dict[str, Any] = {}
        for key, values in (
            ("allowOrigins", args.cors_origins),
            ("allowMethods", args.cors_methods),
            ("allowHeaders", args.cors_headers),
        ):
            if values:
                cors[key] = values
        if args.rest and cors:
            raise UsageError("--cors-* belong to HTTP APIs: a REST API's function sends its own CORS headers")
        if not args.rest and args.binary_media_types:
            raise UsageError("--binary-media-types belongs to REST APIs (--rest)")
        stage_variables = parse_key_values(args.stage_variables, "--stage-variable")
        # lm.http_api / lm.rest_api check routes, CORS and the stage before replacing an API.
        known = {function.name for function in api.account().list_functions()}
        for function in routes.values():
            if function.partition(":")[0] not in known:
                raise UsageError(f"no function {function!r}: register it first with %%lambda {function}")
        settings: dict[str, Any] = {"stage_variables": stage_variables}
        if args.rest:
            return api_gateway.rest_api(
                args.name,
                routes,
                stage=args.stage or "dev",
                binary_media_types=args.binary_media_types,
                **settings,
            )
        if args.stage:
            settings["stage"] = args.stage
        return api_gateway.http_api(args.name, routes, cors=cors or None, **settings)
