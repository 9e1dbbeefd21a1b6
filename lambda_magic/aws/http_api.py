"""An API Gateway HTTP API on AWS: one Lambda proxy integration per function, routes, a stage,
and the API's authorizers (JWT, and REQUEST Lambda authorizers)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..common.authorizer_settings import authorizer_type, caching_ttl, identity_location
from ..common.errors import InvalidParameterValueException
from . import access_log
from .triggers import Wiring, add_permission

_SETTINGS = frozenset({"stage", "stage_variables", "integration_timeout_s", "payload_limit_bytes"})
#: API Gateway's payload limit, which AWS does not let an API change.
PAYLOAD_LIMIT_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class DeployedHttpApi:
    """What ``CreateApi`` made: its id, invoke URL, targets (route key -> function), stage,
    authorizers (name -> authorizer id) and each route's authorizer; ``requests()`` reads the
    stage's access log (CloudWatch Logs)."""

    kind: ClassVar[str] = "http"

    api_id: str
    url: str
    targets: dict[str, str]
    stage: str = "$default"
    authorizers: dict[str, str] = field(default_factory=dict)
    name: str = ""
    route_authorizers: dict[str, str] = field(default_factory=dict)
    #: Reads the access log's rows (``access_log.read``), when the stage writes one.
    read_access_log: Callable[[], list[dict[str, Any]]] | None = field(default=None, repr=False, compare=False)

    def routes(self) -> list[dict[str, Any]]:
        """``[{"route", "function", "authorizer"}]``, as the local emulator's APIs list them."""
        return [
            {"route": key, "function": function, "authorizer": self.route_authorizers.get(key)}
            for key, function in self.targets.items()
        ]

    def requests(self) -> list[dict[str, Any]]:
        """The access log (API Gateway delivers it to CloudWatch Logs seconds after each request)."""
        return self.read_access_log() if self.read_access_log is not None else []

    def __repr__(self) -> str:
        return describe_api("HTTP API", self.api_id, self.url, self.targets, self.authorizers)


def api_label(kind: str, api_id: str, name: str) -> str:
    """How the wiring names an API made for functions (``HTTP API ID (NAME)``): what their delete removes."""
    return f"{kind} {api_id} ({name})"


def describe_api(kind: str, api_id: str, url: str, targets: Mapping[str, str], authorizers: Mapping[str, str]) -> str:
    """An API made on AWS in lines: its id and URL, each route's function, each authorizer's id."""
    lines = [f"{kind} {api_id} at {url}"]
    lines.extend(f"  {key} -> {function}" for key, function in targets.items())
    lines.extend(f"  authorizer {name} ({authorizer_id})" for name, authorizer_id in authorizers.items())
    return "\n".join(lines)


@dataclass(frozen=True)
class Route:
    """One route of ``lm.http_api`` / ``lm.rest_api``."""

    key: str
    function: str
    authorizer: str | None
    scopes: tuple[str, ...]


def identity_source(text: str) -> str:
    """An identity source as HTTP APIs write it (``$request.header.Authorization``), from that form,
    a bare header name or the REST form (``method.request.header.X``)."""
    where, name = identity_location(text)
    return f"$request.{where}.{name}" if where in ("header", "querystring") else f"${where}.{name}"


def lambda_integration_uri(region: str, function_arn: str) -> str:
    """The URI through which API Gateway invokes a function (integrations and Lambda authorizers)."""
    return f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations"


def undo_all(wiring: list[Wiring]) -> None:
    """Undo what was made, newest first (each undo tried even when one fails)."""
    for made in reversed(wiring):
        try:
            made.undo()
        except Exception:
            pass


def authorizer_parameters(name: str, spec: Any, *, function_arn: Callable[[str], str], region: str) -> dict[str, Any]:
    """``CreateAuthorizer``'s parameters for one of ``lm.http_api``'s ``authorizers=``."""
    kind = authorizer_type(name, spec, http=True)
    if spec.get("validation"):
        raise InvalidParameterValueException(
            f"authorizer {name!r}: validation (an identity validation expression) is a REST API setting"
        )
    sources = spec.get("identity_source", ["$request.header.Authorization"])
    sources = [identity_source(s) for s in ([sources] if isinstance(sources, str) else sources)]
    params: dict[str, Any] = {"Name": name, "AuthorizerType": kind, "IdentitySource": sources}
    if kind == "JWT":
        issuer, audience = spec.get("issuer"), spec.get("audience")
        if not (issuer and audience):
            raise InvalidParameterValueException(f"authorizer {name!r}: a JWT authorizer needs issuer and audience")
        if len(sources) != 1:
            raise InvalidParameterValueException(f"authorizer {name!r}: a JWT authorizer reads one identity source")
        params["JwtConfiguration"] = {
            "Issuer": str(issuer),
            "Audience": [audience] if isinstance(audience, str) else [str(a) for a in audience],
        }
        return params
    function = spec.get("function")
    if not isinstance(function, str) or not function:
        raise InvalidParameterValueException(f"authorizer {name!r}: a Lambda authorizer needs function=NAME")
    ttl = caching_ttl(name, spec, "REQUEST", bool(sources), default=0)
    uri = lambda_integration_uri(region, function_arn(function))
    params.update(
        AuthorizerUri=uri,
        AuthorizerPayloadFormatVersion="2.0",
        EnableSimpleResponses=bool(spec.get("simple_responses", True)),
        AuthorizerResultTtlInSeconds=ttl,
    )
    return params


def parse_routes(routes: Mapping[str, Any], authorizers: Mapping[str, Any]) -> list[Route]:
    """The routes' functions, authorizers and scopes (an authorizer must be declared)."""
    parsed = []
    for key, value in routes.items():
        spec = value if isinstance(value, Mapping) else {"function": value}
        function = spec.get("function")
        if not isinstance(function, str) or not function:
            raise InvalidParameterValueException(f"route {key!r}: give a function name")
        authorizer = spec.get("authorizer")
        if authorizer is not None and authorizer not in authorizers:
            raise InvalidParameterValueException(
                f"route {key!r}: no authorizer {authorizer!r} (declare it in authorizers=)"
            )
        scopes = spec.get("scopes") or ()
        parsed.append(Route(key, function, authorizer, (scopes,) if isinstance(scopes, str) else tuple(scopes)))
    return parsed


def api_settings(
    settings: Mapping[str, Any], kind: str, *, allowed: frozenset[str], timeout_max_s: float
) -> tuple[dict[str, str], int | None]:
    """(stage variables, integration timeout in ms or None) from ``lm.http_api``'s or ``lm.rest_api``'s
    settings (``kind``: ``HTTP API`` or ``REST API``), refusing what AWS has no place for."""
    unknown = sorted(set(settings) - allowed)
    if unknown:
        raise InvalidParameterValueException(f"{', '.join(unknown)}: not mapped on the AWS backend's {kind}s")
    limit = settings.get("payload_limit_bytes")
    if limit is not None and int(limit) != PAYLOAD_LIMIT_BYTES:
        raise InvalidParameterValueException(
            f"payload_limit_bytes: a {kind} on AWS takes {PAYLOAD_LIMIT_BYTES} bytes, which cannot be changed"
        )
    timeout = settings.get("integration_timeout_s")
    timeout_ms = None if timeout is None else round(float(timeout) * 1000)
    if timeout_ms is not None and not 50 <= timeout_ms <= timeout_max_s * 1000:
        raise InvalidParameterValueException(
            f"a {kind}'s integration timeout is between 0.05 and {timeout_max_s:g} seconds"
        )
    return {str(k): str(v) for k, v in (settings.get("stage_variables") or {}).items()}, timeout_ms


@dataclass(frozen=True)
class _Plan:
    """Everything ``lm.http_api`` asked for, checked before anything is made."""

    routes: list[Route]
    authorizers: dict[str, Any]
    authorizer_parameters: dict[str, dict[str, Any]]
    stage: str
    stage_variables: dict[str, str]
    timeout_ms: int | None

    @classmethod
    def of(
        cls,
        routes: Mapping[str, Any],
        authorizers: Mapping[str, Any] | None,
        settings: Mapping[str, Any],
        *,
        function_arn: Callable[[str], str],
        region: str,
    ) -> _Plan:
        authorizers = dict(authorizers or {})
        parsed = parse_routes(routes, authorizers)
        variables, timeout_ms = api_settings(settings, "HTTP API", allowed=_SETTINGS, timeout_max_s=30)
        stage = str(settings.get("stage") or "$default")
        parameters = {
            n: authorizer_parameters(n, spec, function_arn=function_arn, region=region)
            for n, spec in authorizers.items()
        }
        for route in parsed:
            if route.scopes and (route.authorizer is None or parameters[route.authorizer]["AuthorizerType"] != "JWT"):
                raise InvalidParameterValueException(
                    f"route {route.key!r}: scopes belong to a route with a JWT authorizer"
                )
        return cls(parsed, authorizers, parameters, stage, variables, timeout_ms)


def create_http_api(
    apigw: Any,
    lambda_client: Any,
    name: str,
    routes: Mapping[str, Any],
    *,
    function_arn: Callable[[str], str],
    region: str,
    account_id: str,
    cors: Mapping[str, Any] | None = None,
    authorizers: Mapping[str, Any] | None = None,
    logs: Any = None,
    **settings: Any,
) -> tuple[DeployedHttpApi, list[Wiring]]:
    """``CreateApi`` (HTTP), an ``AWS_PROXY`` integration (payload 2.0) per function, ``CreateAuthorizer``
    per authorizer, ``CreateRoute`` per route, an auto-deployed stage (``$default`` unless ``stage=``,
    with ``stage_variables=``; with a ``logs`` client, its access log goes to a log group made for
    it), and ``AddPermission`` so API Gateway may invoke the functions."""
    plan = _Plan.of(routes, authorizers, settings, function_arn=function_arn, region=region)
    params: dict[str, Any] = {"Name": name, "ProtocolType": "HTTP"}
    if cors:
        params["CorsConfiguration"] = dict(cors)
    api = apigw.create_api(**params)
    wiring: list[Wiring] = []
    try:
        deployed = _build(apigw, lambda_client, logs, api, name, plan, wiring, function_arn, (region, account_id))
    except BaseException:  # nothing half-made stays behind: the permissions given, then the API
        undo_all(wiring)
        _delete_api(apigw, logs, api["ApiId"])
        raise
    return deployed, wiring


def _build(
    apigw: Any,
    lambda_client: Any,
    logs: Any,
    api: Mapping[str, Any],
    name: str,
    plan: _Plan,
    wiring: list[Wiring],
    function_arn: Callable[[str], str],
    region_account: tuple[str, str],
) -> DeployedHttpApi:
    """Make the planned API's parts (``wiring`` collects what a delete must undo)."""
    api_id = api["ApiId"]
    execute_arn = f"arn:aws:execute-api:{':'.join(region_account)}:{api_id}"
    integrations: dict[str, str] = {}
    for function in sorted({route.function for route in plan.routes}):
        arn = function_arn(function)
        integration: dict[str, Any] = {
            "ApiId": api_id,
            "IntegrationType": "AWS_PROXY",
            "IntegrationUri": arn,
            "PayloadFormatVersion": "2.0",
        }
        if plan.timeout_ms is not None:
            integration["TimeoutInMillis"] = plan.timeout_ms
        integrations[function] = apigw.create_integration(**integration)["IntegrationId"]
        wiring.append(
            add_permission(lambda_client, arn, "apigateway.amazonaws.com", f"{execute_arn}/*", f"lambda-magic-{api_id}")
        )
    authorizer_ids: dict[str, str] = {}
    for auth_name, auth_params in plan.authorizer_parameters.items():
        authorizer_id = apigw.create_authorizer(ApiId=api_id, **auth_params)["AuthorizerId"]
        authorizer_ids[auth_name] = authorizer_id
        function = plan.authorizers[auth_name].get("function")
        if auth_params["AuthorizerType"] == "REQUEST" and isinstance(function, str):
            source = f"{execute_arn}/authorizers/{authorizer_id}"
            sid = f"lambda-magic-{api_id}-{authorizer_id}"
            wiring.append(
                add_permission(lambda_client, function_arn(function), "apigateway.amazonaws.com", source, sid)
            )
    for route in plan.routes:
        route_params: dict[str, Any] = {
            "ApiId": api_id,
            "RouteKey": route.key,
            "Target": f"integrations/{integrations[route.function]}",
        }
        if route.authorizer is not None:
            jwt = plan.authorizer_parameters[route.authorizer]["AuthorizerType"] == "JWT"
            route_params.update(
                AuthorizationType="JWT" if jwt else "CUSTOM", AuthorizerId=authorizer_ids[route.authorizer]
            )
            if route.scopes:
                route_params["AuthorizationScopes"] = list(route.scopes)
        apigw.create_route(**route_params)
    stage_params: dict[str, Any] = {"ApiId": api_id, "StageName": plan.stage, "AutoDeploy": True}
    if plan.stage_variables:
        stage_params["StageVariables"] = plan.stage_variables
    if logs is not None:
        access_log.create_log_group(logs, api_id)
        stage_params["AccessLogSettings"] = {
            "DestinationArn": access_log.log_group_arn(*region_account, api_id),
            "Format": access_log.FORMAT,
        }
    apigw.create_stage(**stage_params)
    endpoint = str(api.get("ApiEndpoint", ""))
    url = endpoint if plan.stage == "$default" else f"{endpoint}/{plan.stage}"
    functions = {route.function for route in plan.routes} | {
        str(spec["function"])
        for spec in plan.authorizers.values()
        if isinstance(spec, Mapping) and spec.get("function")
    }
    for function in sorted(functions):
        wiring.append(Wiring(function, api_label("HTTP API", api_id, name), lambda: _delete_api(apigw, logs, api_id)))
    targets = {route.key: route.function for route in plan.routes}
    guarded = {route.key: route.authorizer for route in plan.routes if route.authorizer is not None}
    reader = None if logs is None else (lambda: access_log.read(logs, api_id, targets))
    return DeployedHttpApi(api_id, url, targets, plan.stage, authorizer_ids, name, guarded, reader)


def _delete_api(apigw: Any, logs: Any, api_id: str) -> None:
    """Delete the API and its access log group (either may be gone already: another function's
    delete removed them)."""
    try:
        apigw.delete_api(ApiId=api_id)
    except apigw.exceptions.NotFoundException:
        pass
    if logs is not None:
        access_log.delete_log_group(logs, api_id)
