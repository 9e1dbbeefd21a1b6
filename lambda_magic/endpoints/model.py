"""Routes and shapes of a REST-JSON AWS service, derived from botocore's own service model.

For each operation the model gives its HTTP method, ``requestUri`` (with ``{Label}``
placeholders and sometimes a fixed ``?key=value``), the success ``responseCode``,
and for each member where it travels (``location``: uri, querystring, header,
statusCode; otherwise the JSON body or the raw payload) under which name
(``locationName``).  :class:`RestJsonModel` matches requests to operations, parses
their parameters and renders results, so no route or shape is written by hand.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from .server import Request, Response


class UnknownOperation(Exception):
    """No operation of the service has this method and path."""


class BadRequest(Exception):
    """The request cannot be parsed (not JSON, a parameter of the wrong type)."""


@dataclass(frozen=True)
class Route:
    operation: Any  # botocore OperationModel
    method: str
    segments: tuple[str, ...]  # literal text, or "{Label}" / "{Label+}"
    fixed_query: tuple[tuple[str, str], ...]

    def match(self, method: str, parts: list[str], query: dict[str, list[str]]) -> dict[str, str] | None:
        if method != self.method or any(query.get(k, [None])[0] != v for k, v in self.fixed_query):
            return None
        labels: dict[str, str] = {}
        for index, segment in enumerate(self.segments):
            if segment.startswith("{") and segment.endswith("+}"):
                labels[segment[1:-2]] = unquote("/".join(parts[index:]))
                return labels if index < len(parts) else None
            if index >= len(parts):
                return None
            if segment.startswith("{"):
                if not parts[index]:
                    return None
                labels[segment[1:-1]] = unquote(parts[index])
            elif segment != parts[index]:
                return None
        return labels if len(parts) == len(self.segments) else None


class RestJsonModel:
    """One service's operations, from ``botocore.session.get_session().get_service_model(name)``."""

    def __init__(self, service_name: str):
        import botocore.session

        self.service = botocore.session.get_session().get_service_model(service_name)
        routes = []
        for name in self.service.operation_names:
            operation = self.service.operation_model(name)
            path, _, fixed = operation.http["requestUri"].partition("?")
            query = tuple(tuple(pair.split("=", 1)) for pair in fixed.split("&") if "=" in pair)
            routes.append(Route(operation, operation.http["method"], tuple(path.strip("/").split("/")), query))
        # more literal conditions first: a fixed ?key=value beats the same path without it
        self._routes = sorted(routes, key=lambda r: -len(r.fixed_query))
        #: Routes by (method, segment count, first segment); the others (a greedy label, or a
        #: label first) are tried in order after.
        self._index: dict[tuple[str, int, str], list[Route]] = {}
        self._greedy = [
            r for r in self._routes if r.segments[0].startswith("{") or any(s.endswith("+}") for s in r.segments)
        ]
        for route in self._routes:
            if route not in self._greedy:
                key = (route.method, len(route.segments), route.segments[0])
                self._index.setdefault(key, []).append(route)
        self._errors = {shape.name: shape for shape in self.service.error_shapes}

    def match(self, request: Request) -> tuple[Any, dict[str, str]]:
        """The operation a request asks for and its URI labels."""
        parts = request.path.strip("/").split("/")
        for route in self._index.get((request.method, len(parts), parts[0]), []) + self._greedy:
            labels = route.match(request.method, parts, request.query)
            if labels is not None:
                return route.operation, labels
        raise UnknownOperation(f"{request.method} {request.path}")

    def error_status(self, code: str) -> int | None:
        """The HTTP status the model gives an error shape (None when not modeled)."""
        shape = self._errors.get(code)
        return None if shape is None else shape.metadata.get("error", {}).get("httpStatusCode")

    # --- requests ------------------------------------------------------------------------------

    def parse(self, operation: Any, request: Request, labels: dict[str, str]) -> dict[str, Any]:
        """The operation's parameters, by their member names (as boto3 names them)."""
        shape = operation.input_shape
        if shape is None:
            return {}
        params: dict[str, Any] = {}
        payload = shape.serialization.get("payload")
        body_members = {}
        for name, member in shape.members.items():
            where = member.serialization.get("location")
            wire = member.serialization.get("name", name)
            if where == "uri":
                if wire in labels:
                    params[name] = _scalar(member, [labels[wire]])
            elif where == "querystring":
                values = request.query.get(wire)
                if values:
                    params[name] = (
                        _scalar(member, values)
                        if member.type_name != "list"
                        else [_scalar(member.member, [v]) for v in values]
                    )
            elif where == "header":
                value = request.headers.get(wire.lower())
                if value is not None:
                    params[name] = _scalar(member, [value])
            elif name == payload:
                if member.type_name == "blob":
                    params[name] = request.body
                elif request.body:
                    params[name] = _json(request.body)
            else:
                body_members[name] = member
        if body_members and request.body and payload is None:
            document = _json(request.body)
            if not isinstance(document, dict):
                raise BadRequest("the request body must be a JSON object")
            params.update({k: v for k, v in document.items() if k in body_members})
        return params

    # --- responses -----------------------------------------------------------------------------

    def render(self, operation: Any, result: dict[str, Any] | None) -> Response:
        """A success response from the operation's output members (None: an empty body)."""
        response = Response(operation.http.get("responseCode", 200))
        shape = operation.output_shape
        if shape is None or not result:
            return response
        payload = shape.serialization.get("payload")
        body: dict[str, Any] = {}
        for name, value in result.items():
            member = shape.members.get(name)
            if member is None or value is None:
                continue
            where = member.serialization.get("location")
            if where == "header":
                response.headers[member.serialization.get("name", name)] = str(value)
            elif where == "statusCode":
                response.status = int(value)
            elif name == payload:
                if isinstance(value, (bytes, bytearray)):
                    response.body = bytes(value)
                else:
                    response.body = json.dumps(value).encode()
                    response.headers["Content-Type"] = "application/json"
            else:
                body[name] = value
        if payload is None:
            response.body = json.dumps(body).encode()
            response.headers["Content-Type"] = "application/json"
        return response


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError as exc:
        raise BadRequest(f"could not parse request body into json: {exc}") from None


def _scalar(member: Any, values: list[str]) -> Any:
    value = values[0]
    kind = member.type_name
    if kind in ("integer", "long"):
        try:
            return int(value)
        except ValueError:
            raise BadRequest(f"{member.name} must be a whole number, got {value!r}") from None
    if kind == "boolean":
        return value.lower() == "true"
    return value
