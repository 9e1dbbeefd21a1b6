"""The settings of an API Gateway authorizer as ``lm.http_api`` and ``lm.rest_api`` take them,
read the same way by the local emulator and the AWS backend."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import InvalidParameterValueException

#: What an authorizer's dict may hold.
AUTHORIZER_KEYS = frozenset(
    {"type", "function", "identity_source", "validation", "issuer", "audience", "ttl_s", "simple_responses"}
)
AUTHORIZER_TYPES = ("TOKEN", "REQUEST", "JWT")
#: The longest an authorizer's answer may be cached (API Gateway's limit).
TTL_MAX_S = 3600


def authorizer_type(name: str, settings: Any, *, http: bool) -> str:
    """The authorizer's type (``TOKEN``, ``REQUEST`` or ``JWT``; JWT when it names an issuer, else
    REQUEST), once its settings are a dict of known keys and the type suits the API type."""
    if not isinstance(settings, Mapping):
        raise InvalidParameterValueException(f"authorizer {name!r}: give a dict with type, function, ...")
    unknown = sorted(set(settings) - AUTHORIZER_KEYS)
    if unknown:
        raise InvalidParameterValueException(
            f"authorizer {name!r}: unknown setting {unknown[0]!r} (use {', '.join(sorted(AUTHORIZER_KEYS))})"
        )
    kind = str(settings.get("type", "JWT" if settings.get("issuer") else "REQUEST")).upper()
    if kind not in AUTHORIZER_TYPES:
        raise InvalidParameterValueException(f"authorizer {name!r}: type must be TOKEN, REQUEST or JWT")
    if kind == "JWT" and not http:
        raise InvalidParameterValueException(
            f"authorizer {name!r}: JWT authorizers belong to HTTP APIs (a REST API uses a Cognito or Lambda one)"
        )
    if kind == "TOKEN" and http:
        raise InvalidParameterValueException(
            f"authorizer {name!r}: HTTP APIs have REQUEST Lambda authorizers (and JWT), not TOKEN"
        )
    return kind


def caching_ttl(name: str, settings: Mapping[str, Any], kind: str, has_sources: bool, *, default: int) -> int:
    """The authorizer's ``ttl_s`` (0 to ``TTL_MAX_S``; ``default`` when not given).  A REQUEST
    authorizer that caches needs an identity source, its cache key (API Gateway's CreateAuthorizer
    refuses it otherwise)."""
    try:
        ttl = int(settings.get("ttl_s", default))
    except (TypeError, ValueError):
        ttl = -1
    if not 0 <= ttl <= TTL_MAX_S:
        raise InvalidParameterValueException(f"authorizer {name!r}: ttl_s must be between 0 and {TTL_MAX_S}")
    if kind == "REQUEST" and ttl and not has_sources:
        raise InvalidParameterValueException(
            f"authorizer {name!r}: caching (ttl_s > 0) needs an identity source: give identity_source, or ttl_s=0"
        )
    return ttl


def identity_location(text: str) -> tuple[str, str]:
    """Where an identity source reads (``header``, ``querystring``, ``stageVariables`` or ``context``)
    and what, from ``$request.header.X``, ``method.request.querystring.q``, ``$stageVariables.x``,
    ``context.x`` or a bare header name."""
    raw = str(text).strip()
    body = raw.lstrip("$")
    for prefix in ("method.request.", "request."):
        if body.startswith(prefix):
            body = body[len(prefix) :]
            break
    where, _, name = body.partition(".")
    if where in ("header", "querystring", "stageVariables", "context") and name:
        return where, name
    if "." not in raw and raw:
        return "header", raw
    raise InvalidParameterValueException(
        f"identity source {text!r}: write '$request.header.NAME', '$request.querystring.NAME', "
        "'$stageVariables.NAME' or '$context.NAME'"
    )
