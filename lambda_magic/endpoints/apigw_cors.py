"""CORS as HTTP APIs and function URLs apply it (callers §1.7).

With a CORS configuration the service answers every preflight itself (the function is
not invoked), adds the configured headers to answers for an allowed origin and ignores
the ``Access-Control-*`` headers the function returns.  REST APIs add nothing: the
function (or an OPTIONS route) must send them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..common.errors import InvalidParameterValueException
from .server import Response

_KEYS = ("allowOrigins", "allowMethods", "allowHeaders", "exposeHeaders", "maxAge", "allowCredentials")


@dataclass(frozen=True)
class Cors:
    """A CORS configuration (HTTP API ``corsConfiguration`` or function URL ``Cors``)."""

    allow_origins: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ()
    allow_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age: int | None = None
    allow_credentials: bool = False

    @classmethod
    def of(cls, config: Mapping[str, Any] | None) -> Cors | None:
        """From AWS's keys in either casing (``allowOrigins`` or ``AllowOrigins``); None stays None."""
        if config is None:
            return None
        if not isinstance(config, Mapping):
            raise InvalidParameterValueException(f"cors must be a dict with {', '.join(_KEYS)}")
        values = {key[0].lower() + key[1:]: value for key, value in config.items()}
        unknown = sorted(set(values) - set(_KEYS))
        if unknown:
            raise InvalidParameterValueException(f"unknown CORS setting {unknown[0]!r}: use {', '.join(_KEYS)}")

        def strings(key: str) -> tuple[str, ...]:
            value = values.get(key) or ()
            return (value,) if isinstance(value, str) else tuple(str(v) for v in value)

        return cls(
            strings("allowOrigins"),
            tuple(m.upper() for m in strings("allowMethods")),
            strings("allowHeaders"),
            strings("exposeHeaders"),
            None if values.get("maxAge") is None else int(values["maxAge"]),
            bool(values.get("allowCredentials")),
        )

    def to_aws(self, *, capitalized: bool = False) -> dict[str, Any]:
        """The configuration as AWS returns it (``AllowOrigins`` for function URLs when ``capitalized``)."""
        out: dict[str, Any] = {
            "allowCredentials": self.allow_credentials,
            "allowHeaders": list(self.allow_headers),
            "allowMethods": list(self.allow_methods),
            "allowOrigins": list(self.allow_origins),
            "exposeHeaders": list(self.expose_headers),
        }
        if self.max_age is not None:
            out["maxAge"] = self.max_age
        return {k[0].upper() + k[1:]: v for k, v in out.items()} if capitalized else out

    def origin_allowed(self, origin: str | None) -> str | None:
        """The ``Access-Control-Allow-Origin`` value for ``origin``, or None when it is not allowed."""
        if not origin:
            return None
        if "*" in self.allow_origins:
            return "*" if not self.allow_credentials else origin
        return origin if origin in self.allow_origins else None

    def preflight(self, origin: str | None) -> Response:
        """The service's own answer to an OPTIONS preflight (204; CORS headers for an allowed origin)."""
        headers: dict[str, str] = {}
        allowed = self.origin_allowed(origin)
        if allowed is not None:
            headers["access-control-allow-origin"] = allowed
            if self.allow_methods:
                headers["access-control-allow-methods"] = ",".join(self.allow_methods)
            if self.allow_headers:
                headers["access-control-allow-headers"] = ",".join(self.allow_headers)
            if self.max_age is not None:
                headers["access-control-max-age"] = str(self.max_age)
            if self.allow_credentials:
                headers["access-control-allow-credentials"] = "true"
        return Response(204, headers, b"")

    def apply(self, response: Response, origin: str | None) -> Response:
        """Replace the function's ``Access-Control-*`` headers with the configured ones."""
        headers = {k: v for k, v in response.headers.items() if not k.lower().startswith("access-control-")}
        allowed = self.origin_allowed(origin)
        if allowed is not None:
            headers["access-control-allow-origin"] = allowed
            if self.expose_headers:
                headers["access-control-expose-headers"] = ",".join(self.expose_headers)
            if self.allow_credentials:
                headers["access-control-allow-credentials"] = "true"
            headers["vary"] = "Origin" if allowed != "*" else headers.get("vary", "")
            if not headers["vary"]:
                del headers["vary"]
        response.headers = headers
        return response


def is_preflight(method: str, origin: str | None, request_method: str | None) -> bool:
    return method == "OPTIONS" and bool(origin) and bool(request_method)
