"""API Gateway authorizers: Lambda TOKEN and REQUEST authorizers, HTTP API Lambda authorizers, JWT authorizers.

A missing identity source is 401 without invoking anything.  A Lambda authorizer's answer
is judged by :mod:`lambda_magic.events.contracts` (IAM policy or simple response); the
answer is cached for ``ttl_s`` seconds of the account clock under the identity source
values, and a cached policy is checked again against each later method ARN (the classic
"policy names only the first method" trap, callers §1.5).  Errors are not cached.
JWT authorizers verify RS256 tokens with PyJWT against the issuer's JWKS; a Cognito
issuer (``https://cognito-idp.REGION.amazonaws.com/POOL``) is read from the local cloud.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..common.authorizer_settings import authorizer_type, caching_ttl, identity_location
from ..common.errors import InvalidParameterValueException
from ..events.contracts import check_response
from .apigw_events import HttpRequest
from .apigw_integration import call_function
from .apigw_responses import gateway_error
from .server import Response

#: Authorizers wait at most this long for their function (HTTP API's limit, callers §1.8).
AUTHORIZER_TIMEOUT_S = 10.0
_UNAUTHORIZED = {"message": "Unauthorized"}
_COGNITO = re.compile(r"^https://cognito-idp\.([a-z0-9-]+)\.amazonaws\.com/([\w-]+)$")


@dataclass(frozen=True)
class Source:
    """One identity source: where (``header``, ``querystring``, ``stageVariables``, ``context``) and what."""

    where: str
    name: str

    def value(self, request: HttpRequest, stage_variables: Mapping[str, str], context: Mapping[str, Any]) -> str | None:
        if self.where == "header":
            return request.header(self.name)
        if self.where == "querystring":
            values = [v for k, v in request.query_pairs() if k == self.name]
            return ",".join(values) if values else None
        if self.where == "stageVariables":
            return stage_variables.get(self.name)
        value = context.get(self.name)
        return None if value is None else str(value)


def parse_source(text: str) -> Source:
    """``$request.header.X``, ``method.request.querystring.q``, ``$stageVariables.x``, ``context.x``,
    or a bare header name."""
    return Source(*identity_location(text))


def stringify_claim(value: Any) -> str | None:
    """A JWT claim as API Gateway passes it: every value a string, arrays as ``[a b]``, nulls dropped."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + " ".join(str(stringify_claim(v)) for v in value) + "]"
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


@dataclass
class Authorizer:
    """One authorizer of one API."""

    name: str
    type: str
    function: str | None = None
    sources: tuple[Source, ...] = ()
    validation: str | None = None
    issuer: str | None = None
    audience: tuple[str, ...] = ()
    ttl_s: int = 300
    simple_responses: bool = True
    _cache: dict[tuple[str, ...], tuple[float, Any]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def of(cls, name: str, settings: Mapping[str, Any], *, http: bool) -> Authorizer:
        kind = authorizer_type(name, settings, http=http)
        if kind != "JWT" and not settings.get("function"):
            raise InvalidParameterValueException(f"authorizer {name!r}: a Lambda authorizer needs function=NAME")
        if kind == "JWT" and not (settings.get("issuer") and settings.get("audience")):
            raise InvalidParameterValueException(f"authorizer {name!r}: a JWT authorizer needs issuer and audience")
        source = settings.get("identity_source")
        if source is None:
            source = [] if kind == "REQUEST" and not http else ["$request.header.Authorization"]
        sources = tuple(parse_source(s) for s in ([source] if isinstance(source, str) else source))
        if kind == "TOKEN" and (len(sources) != 1 or sources[0].where != "header"):
            raise InvalidParameterValueException(f"authorizer {name!r}: a TOKEN authorizer reads one header")
        ttl = caching_ttl(name, settings, kind, bool(sources), default=0 if http else 300)
        audience = settings.get("audience") or ()
        issuer = settings.get("issuer")
        if issuer is not None and not (_COGNITO.match(issuer) or issuer.startswith("http://127.0.0.1")):
            raise InvalidParameterValueException(
                f"authorizer {name!r}: the issuer must be a Cognito user pool "
                "(https://cognito-idp.REGION.amazonaws.com/POOL_ID) of the local cloud, or a loopback URL"
            )
        return cls(
            name,
            kind,
            settings.get("function"),
            sources,
            settings.get("validation"),
            issuer,
            (audience,) if isinstance(audience, str) else tuple(audience),
            ttl,
            bool(settings.get("simple_responses", True)),
        )

    def identity(
        self, request: HttpRequest, stage_variables: Mapping[str, str], context: Mapping[str, Any]
    ) -> list[str] | None:
        """The identity source values, or None when one is missing or empty (401, nothing invoked)."""
        values = [s.value(request, stage_variables, context) for s in self.sources]
        if any(not v for v in values):
            return None
        return [str(v) for v in values]

    def cached(self, key: tuple[str, ...], now: float) -> Any:
        with self._lock:
            entry = self._cache.get(key)
            if entry is not None and entry[0] > now:
                return entry[1]
            self._cache.pop(key, None)
            return None

    def remember(self, key: tuple[str, ...], now: float, payload: Any) -> None:
        if self.ttl_s > 0:
            with self._lock:
                self._cache[key] = (now + self.ttl_s, payload)


@dataclass
class Decision:
    """An authorizer's outcome: a response to send instead (denied), or the context for the integration."""

    response: Response | None = None
    authorizer: dict[str, Any] | None = None
    invoked: bool = False


def unauthorized(
    error_type: str | None = "UnauthorizedException", headers: Mapping[str, str] | None = None
) -> Decision:
    return Decision(gateway_error(401, _UNAUTHORIZED, error_type, headers))


def _verdict_response(details: Mapping[str, Any]) -> Response:
    headers = dict(details.get("headers") or {})
    error_type = headers.pop("x-amzn-ErrorType", None)
    return gateway_error(details["statusCode"], details["body"], error_type, headers)


def lambda_decision(
    authorizer: Authorizer,
    account: Any,
    event: dict[str, Any],
    key: tuple[str, ...],
    *,
    http: bool,
    trigger: str,
) -> Decision:
    """Run (or reuse) a Lambda authorizer for ``event`` and judge its answer."""
    now = account.clock.time()
    payload = authorizer.cached(key, now)
    invoked = payload is None
    if invoked:
        assert authorizer.function is not None
        outcome = call_function(account, authorizer.function, event, trigger=trigger, timeout_s=AUTHORIZER_TIMEOUT_S)
        invocation = outcome.invocation
        if invocation is None:
            body: Any = {"message": "Internal Server Error"} if http else {"message": None}
            return Decision(gateway_error(500, body, None if http else "AuthorizerConfigurationException"))
        if invocation.function_error:
            error = invocation.payload if isinstance(invocation.payload, Mapping) else {}
            if http and error.get("errorMessage") == "Unauthorized":
                return Decision(gateway_error(401, _UNAUTHORIZED), invoked=True)
            contract = "apigateway-authorizer-http" if http else "apigateway-authorizer-token"
            verdict = check_response(contract, event, invocation.payload, invocation.function_error)
            return Decision(_verdict_response(verdict.details), invoked=True)  # errors are not cached
        payload = invocation.payload
    if http:
        simple = isinstance(payload, Mapping) and "isAuthorized" in payload
        contract = "apigateway-authorizer-http"
        if simple and not authorizer.simple_responses:
            payload = {"malformed": payload}
    else:
        contract = "apigateway-authorizer-request" if authorizer.type == "REQUEST" else "apigateway-authorizer-token"
    verdict = check_response(contract, event, payload, None)
    details = verdict.details
    if not verdict.ok and details.get("statusCode") == 500:
        return Decision(_verdict_response(details), invoked=invoked)  # malformed: not cached
    if invoked:
        authorizer.remember(key, now, payload)
    if not details.get("authorized"):
        return Decision(_verdict_response(details), invoked=invoked)
    context = dict(details["authorizer"])
    if http and isinstance(payload, Mapping) and "principalId" in payload:
        context["principalId"] = payload["principalId"]
    return Decision(authorizer=context, invoked=invoked)


# --- JWT ---------------------------------------------------------------------------------------


def _jwks_url(issuer: str, cloud_endpoint: Callable[[], str]) -> str:
    match = _COGNITO.match(issuer)
    if match:
        return f"{cloud_endpoint().rstrip('/')}/{match.group(2)}/.well-known/jwks.json"
    return issuer.rstrip("/") + "/.well-known/jwks.json"


def _invalid(reason: str) -> Decision:
    challenge = f'Bearer scope="" error="invalid_token" error_description="{reason}"'
    return Decision(gateway_error(401, _UNAUTHORIZED, None, {"www-authenticate": challenge}))


class JwtVerifier:
    """Verifies tokens for the JWT authorizers of one account (JWKS clients cached per URL)."""

    def __init__(self, cloud_endpoint: Callable[[], str]):
        self.cloud_endpoint = cloud_endpoint
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _client(self, url: str) -> Any:
        import jwt

        with self._lock:
            if url not in self._clients:
                self._clients[url] = jwt.PyJWKClient(url, cache_keys=True, timeout=5)
            return self._clients[url]

    def decide(self, authorizer: Authorizer, token: str, scopes: tuple[str, ...]) -> Decision:
        import jwt

        if token.lower().startswith("bearer "):
            token = token[7:].strip()
        assert authorizer.issuer is not None
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            return _invalid("the token is not a valid JWT")
        if not str(header.get("alg", "")).startswith("RS"):
            return _invalid("the token's algorithm is not supported (RSA only)")
        try:
            key = self._client(_jwks_url(authorizer.issuer, self.cloud_endpoint)).get_signing_key_from_jwt(token).key
            claims = jwt.decode(
                token,
                key,
                algorithms=["RS256", "RS384", "RS512"],
                issuer=authorizer.issuer,
                options={"verify_aud": False, "require": ["exp", "iss"]},
                leeway=0,
            )
        except jwt.ExpiredSignatureError:
            return _invalid("the token has expired")
        except jwt.InvalidIssuerError:
            return _invalid("the token does not have a valid issuer")
        except jwt.InvalidSignatureError:
            return _invalid("the token signature is invalid")
        except jwt.PyJWKClientError:
            return _invalid("the token's signing key was not found in the issuer's JWKS")
        except jwt.PyJWTError as exc:
            return _invalid(f"the token is invalid ({exc})")
        audiences = claims.get("aud")
        audiences = [audiences] if isinstance(audiences, str) else list(audiences or [])
        if claims.get("client_id"):
            audiences.append(claims["client_id"])
        if not set(audiences) & set(authorizer.audience):
            return _invalid("the token does not have a valid audience")
        granted = str(claims.get("scope") or "").split() + list(claims.get("scp") or [])
        if scopes and not set(scopes) & set(granted):
            return Decision(gateway_error(403, {"message": "Forbidden"}))
        strings = {k: s for k, v in claims.items() if (s := stringify_claim(v)) is not None}
        return Decision(authorizer={"jwt": {"claims": strings, "scopes": list(scopes) if scopes else None}})
