"""Routes ``METHOD /path/{param}/{proxy+}`` and how API Gateway picks one (callers §1.1).

The most specific route wins: a route without a greedy variable before one with it; then,
segment by segment from the left, a literal before a ``{variable}``; among greedy routes
the longer literal prefix; then an explicit method before ``ANY``; ``$default`` (HTTP APIs)
last.  A greedy variable must be the last segment and matches one or more segments.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from ..common.errors import InvalidParameterValueException

DEFAULT = "$default"
METHODS = ("ANY", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_VARIABLE = re.compile(r"\{([A-Za-z0-9_.-]+)(\+?)\}")


@dataclass(frozen=True)
class Route:
    """One route: its key, the function behind it and (optionally) its authorizer."""

    key: str
    method: str
    template: str
    function: str
    authorizer: str | None = None
    scopes: tuple[str, ...] = ()
    segments: tuple[str, ...] = field(default=(), compare=False)

    @property
    def greedy(self) -> bool:
        return bool(self.segments) and self.segments[-1].endswith("+}")

    def rank(self) -> tuple[Any, ...]:
        """Sort key: the smallest is the most specific."""
        kinds = tuple(1 if _VARIABLE.fullmatch(s) else 0 for s in self.segments)
        literal_prefix = next((i for i, k in enumerate(kinds) if k), len(kinds))
        return (self.key == DEFAULT, self.greedy, -literal_prefix if self.greedy else 0, kinds, self.method == "ANY")

    def match(self, method: str, segments: list[str], raw: list[str]) -> dict[str, str] | None:
        """Path parameters (raw, undecoded) when the route matches, else None."""
        if self.key == DEFAULT:
            return {}
        if self.method not in ("ANY", method):
            return None
        return self.match_path(segments, raw)

    def match_path(self, segments: list[str], raw: list[str]) -> dict[str, str] | None:
        params: dict[str, str] = {}
        template = self.segments
        if self.greedy:
            if len(segments) < len(template):
                return None
        elif len(segments) != len(template):
            return None
        for i, part in enumerate(template):
            variable = _VARIABLE.fullmatch(part)
            if variable is None:
                if segments[i] != part:
                    return None
            elif variable.group(2):
                params[variable.group(1)] = _rest_of(raw, i)
            else:
                params[variable.group(1)] = segments[i]
        return params


def _rest_of(raw: list[str], index: int) -> str:
    """The raw path from the ``index``-th non-empty segment on (keeps ``//`` and a trailing slash)."""
    seen = -1
    for position, part in enumerate(raw):
        if part:
            seen += 1
            if seen == index:
                return "/".join(raw[position:])
    return ""


def parse_route(key: str, value: Any) -> Route:
    """``"GET /items/{id}"`` -> a :class:`Route`; ``value`` is a function name or
    ``{"function": NAME, "authorizer": AUTH, "scopes": [...]}``."""
    if isinstance(value, str):
        function, authorizer, scopes = value, None, ()
    elif isinstance(value, Mapping) and isinstance(value.get("function"), str):
        unknown = sorted(set(value) - {"function", "authorizer", "scopes", "authorization_scopes"})
        if unknown:
            raise InvalidParameterValueException(
                f"route {key!r}: unknown setting {unknown[0]!r} (use function, authorizer, scopes)"
            )
        function, authorizer = value["function"], value.get("authorizer")
        scopes = tuple(value.get("scopes") or value.get("authorization_scopes") or ())
    else:
        raise InvalidParameterValueException(
            f"route {key!r}: give a function name or {{'function': NAME, 'authorizer': AUTH}}, not {value!r}"
        )
    key = key.strip()
    if key == DEFAULT:
        return Route(key, "ANY", "", function, authorizer, scopes)
    method, _, path = key.partition(" ")
    method, path = method.upper(), path.strip()
    if method not in METHODS or not path.startswith("/"):
        raise InvalidParameterValueException(
            f"route {key!r}: write 'METHOD /path' with METHOD one of {', '.join(METHODS)} (or '$default')"
        )
    segments = tuple(s for s in path.split("/") if s)
    for i, segment in enumerate(segments):
        variable = _VARIABLE.fullmatch(segment)
        if "{" in segment and variable is None:
            raise InvalidParameterValueException(f"route {key!r}: {segment!r} is not a path variable like {{id}}")
        if variable is not None and variable.group(2) and i != len(segments) - 1:
            raise InvalidParameterValueException(f"route {key!r}: a greedy variable must be the last segment")
    template = "/" + "/".join(segments)
    return Route(f"{method} {template}", method, template, function, authorizer, scopes, segments)


class RouteTable:
    """The routes of one API, tried most specific first."""

    def __init__(self, routes: Mapping[str, Any], *, allow_default: bool):
        if not isinstance(routes, Mapping) or not routes:
            raise InvalidParameterValueException('routes must be a dict like {"GET /items/{id}": "get_item"}')
        parsed = [parse_route(key, value) for key, value in routes.items()]
        if not allow_default and any(r.key == DEFAULT for r in parsed):
            raise InvalidParameterValueException("a REST API has no $default route: use 'ANY /{proxy+}'")
        self.routes = sorted(parsed, key=Route.rank)

    def match(self, method: str, raw_path: str) -> tuple[Route | None, dict[str, str], bool]:
        """``(route, path parameters, some route has this path)``; the route is None when none matches."""
        raw = raw_path.split("/")[1:]
        segments = [s for s in raw if s]
        path_known = False
        for route in self.routes:
            params = route.match(method, segments, raw)
            if params is not None:
                return route, params, True
            if route.key != DEFAULT and route.match_path(segments, raw) is not None:
                path_known = True
        return None, {}, path_known


def decoded(params: Mapping[str, str]) -> dict[str, str]:
    """Path parameters percent-decoded (HTTP APIs decode them; REST APIs do not)."""
    return {key: unquote(value) for key, value in params.items()}
