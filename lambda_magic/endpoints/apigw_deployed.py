"""APIs configured through boto3 (stored by the local cloud), served by the account's HTTP and REST APIs.

:func:`http_deployment` and :func:`rest_deployment` read what moto answers (routes and
integrations of an HTTP API; a REST deployment's resources and methods) into routes the
gateway serves; :class:`DeployedHttpApi` and :class:`DeployedRestApi` serve one stage and
take a new deployment in place (same address, no restart).

Only Lambda proxy integrations run a function (``AWS_PROXY``; payload 2.0 for HTTP APIs), behind
no authorizer or a Lambda (TOKEN/REQUEST) or JWT one; a route with another integration
(``HTTP_PROXY``, ``MOCK``, ``AWS``) or authorization (``AWS_IAM``, ``COGNITO_USER_POOLS``) answers 500.
API Gateway invokes a function only when its resource-based policy allows
``apigateway.amazonaws.com`` from the route's ``execute-api`` ARN (``lambda add_permission``),
unless the integration has credentials (an IAM role); otherwise the answer is
500, as AWS's (``Internal Server Error`` for HTTP APIs, ``Internal server error`` for REST).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ..common.errors import LambdaMagicError
from .apigw_authorizers import Authorizer
from .apigw_http import HttpApi
from .apigw_rest import RestApi
from .apigw_routes import Route, RouteTable, parse_route
from .server import Response

PRINCIPAL = "apigateway.amazonaws.com"
_INVOCATIONS = re.compile(r"^arn:[\w-]+:apigateway:[^:]+:lambda:path/2015-03-31/functions/(arn:[^/]+)/invocations$")
#: A route that makes the base classes' checks pass before the deployment replaces it.
_PLACEHOLDER = {"ANY /{proxy+}": "-"}

Allowed = Callable[[str, str, str], bool]


def function_arn(uri: str | None) -> str | None:
    """The function ARN of an integration URI (a function ARN, or API Gateway's ``.../functions/ARN/invocations``)."""
    if not uri:
        return None
    match = _INVOCATIONS.match(uri)
    if match:
        return match.group(1)
    parts = uri.split(":")
    return (
        uri if uri.startswith("arn:") and len(parts) >= 7 and parts[2] == "lambda" and parts[5] == "function" else None
    )


def _function_name(arn: str) -> str:
    parts = arn.split(":")
    return parts[6] + (f":{parts[7]}" if len(parts) > 7 else "")


@dataclass(frozen=True)
class Target:
    """What a route's integration calls: a function ARN, or why it cannot be served here."""

    arn: str | None
    credentials: str | None = None
    problem: str = ""


@dataclass
class Deployment:
    """One stage's routes as the gateway serves them."""

    api_id: str
    name: str
    stage: str
    routes: list[Route] = field(default_factory=list)
    targets: dict[str, Target] = field(default_factory=dict)
    stage_variables: dict[str, str] = field(default_factory=dict)
    cors: Mapping[str, Any] | None = None
    binary_media_types: tuple[str, ...] = ()
    #: The authorizers the routes use, by authorizer id (what :meth:`Authorizer.of` reads).
    authorizers: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Routes left out, with the reason (a route key moto accepted that API Gateway would not).
    skipped: list[str] = field(default_factory=list)

    def add(self, key: str, target: Target, authorizer: str | None = None, scopes: Any = None) -> None:
        value: dict[str, Any] = {"function": _function_name(target.arn) if target.arn else f"({target.problem})"}
        if authorizer is not None and target.arn:
            value.update(authorizer=authorizer, scopes=list(scopes or ()))
        try:
            route = parse_route(key, value)
        except LambdaMagicError as exc:
            self.skipped.append(str(exc))
            return
        self.routes.append(route)
        self.targets[route.key] = target


def _sources(value: Any) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return [str(v) for v in value or ()]


def http_authorizer(spec: Mapping[str, Any]) -> dict[str, Any] | None:
    """An HTTP API authorizer (moto's JSON) as :meth:`Authorizer.of` reads it; None if not served."""
    if spec.get("authorizerType") == "JWT":
        jwt = spec.get("jwtConfiguration") or {}
        return {
            "type": "JWT",
            "issuer": jwt.get("issuer") or jwt.get("Issuer"),
            "audience": list(jwt.get("audience") or jwt.get("Audience") or ()),
            "identity_source": _sources(spec.get("identitySource")) or ["$request.header.Authorization"],
        }
    arn = function_arn(spec.get("authorizerUri"))
    if spec.get("authorizerType") != "REQUEST" or arn is None:
        return None
    return {
        "type": "REQUEST",
        "function": _function_name(arn),
        "identity_source": _sources(spec.get("identitySource")),
        "ttl_s": int(spec.get("authorizerResultTtlInSeconds") or 0),
        "simple_responses": bool(spec.get("enableSimpleResponses")),
    }


def rest_authorizer(spec: Mapping[str, Any]) -> dict[str, Any] | None:
    """A REST API Lambda authorizer (TOKEN or REQUEST; moto's JSON) as :meth:`Authorizer.of` reads it."""
    arn = function_arn(spec.get("authorizerUri"))
    if spec.get("type") not in ("TOKEN", "REQUEST") or arn is None:
        return None
    ttl = spec.get("authorizerResultTtlInSeconds")
    out: dict[str, Any] = {
        "type": spec["type"],
        "function": _function_name(arn),
        "identity_source": _sources(spec.get("identitySource")),
        "ttl_s": 300 if ttl is None else int(ttl),
    }
    if spec.get("identityValidationExpression"):
        out["validation"] = spec["identityValidationExpression"]
    return out


def http_deployment(api: Mapping[str, Any], stage: Mapping[str, Any]) -> Deployment:
    """An HTTP API (moto's JSON: routes, integrations, stages) at ``stage``."""
    deployment = Deployment(
        api["api_id"],
        api.get("name") or api["api_id"],
        stage["stageName"],
        stage_variables={str(k): str(v) for k, v in (stage.get("stageVariables") or {}).items()},
        cors=api.get("cors") or None,
    )
    integrations = {i["integrationId"]: i for i in api.get("integrations", [])}
    for spec in api.get("authorizers", []):
        converted = http_authorizer(spec)
        if converted is not None:
            deployment.authorizers[spec["authorizerId"]] = converted
    for route in api.get("routes", []):
        auth_type = route.get("authorizationType") or "NONE"
        integration = integrations.get(str(route.get("target") or "").removeprefix("integrations/"))
        if integration is None:
            target = Target(None, problem="no integration")
        elif integration.get("integrationType") != "AWS_PROXY" or not function_arn(integration.get("integrationUri")):
            target = Target(None, problem=f"{integration.get('integrationType')} integration not served")
        elif str(integration.get("payloadFormatVersion") or "2.0") != "2.0":
            target = Target(None, problem="payload 1.0 not served for HTTP APIs")
        elif auth_type not in ("NONE", "JWT", "CUSTOM"):
            target = Target(None, problem=f"{auth_type} authorization not served")
        elif auth_type != "NONE" and route.get("authorizerId") not in deployment.authorizers:
            target = Target(None, problem="authorizer not served")
        else:
            target = Target(function_arn(integration["integrationUri"]), integration.get("credentialsArn"))
        authorizer = route.get("authorizerId") if auth_type != "NONE" else None
        deployment.add(route["routeKey"], target, authorizer, route.get("authorizationScopes"))
    return deployment


def rest_deployment(api_id: str, snapshot: Mapping[str, Any], stage: Mapping[str, Any]) -> Deployment:
    """A REST API deployment (moto's resources with their methods, copied at CreateDeployment) at ``stage``."""
    deployment = Deployment(
        api_id,
        snapshot.get("name") or api_id,
        stage["stage"],
        stage_variables={str(k): str(v) for k, v in (stage.get("variables") or {}).items()},
        binary_media_types=tuple(snapshot.get("binary_media_types") or ()),
    )
    for auth in snapshot.get("authorizers", []):
        converted = rest_authorizer(auth)
        if converted is not None:
            deployment.authorizers[auth["id"]] = converted
    for resource in snapshot.get("resources", []):
        for method, spec in (resource.get("resourceMethods") or {}).items():
            auth_type = spec.get("authorizationType") or "NONE"
            integration = spec.get("methodIntegration") or {}
            if not integration:
                target = Target(None, problem="no integration")
            elif integration.get("type") != "AWS_PROXY" or not function_arn(integration.get("uri")):
                target = Target(None, problem=f"{integration.get('type')} integration not served")
            elif auth_type not in ("NONE", "CUSTOM"):
                target = Target(None, problem=f"{auth_type} authorization not served")
            elif auth_type == "CUSTOM" and spec.get("authorizerId") not in deployment.authorizers:
                target = Target(None, problem="authorizer not served")
            else:
                target = Target(function_arn(integration["uri"]), integration.get("credentials"))
            authorizer = spec.get("authorizerId") if auth_type == "CUSTOM" else None
            deployment.add(f"{method} {resource['path']}", target, authorizer)
    return deployment


class _Deployed:
    """What both deployed API types add: the deployment's routes, in place, and the permission check."""

    deployment: Deployment
    allowed: Allowed | None
    table: RouteTable
    internal: tuple[int, Any]

    def deploy(self: Any, deployment: Deployment) -> None:
        authorizers = {}
        for name, spec in deployment.authorizers.items():
            try:
                authorizers[name] = Authorizer.of(name, spec, http=self.http)
            except LambdaMagicError as exc:
                deployment.skipped.append(f"authorizer {name}: {exc}")
        for i, route in enumerate(deployment.routes):
            if route.authorizer is not None and route.authorizer not in authorizers:
                deployment.targets[route.key] = Target(None, problem="authorizer not served")
                deployment.routes[i] = replace(route, authorizer=None)
        self.authorizers = authorizers
        table = RouteTable.__new__(RouteTable)
        table.routes = sorted(deployment.routes, key=Route.rank)
        self.api_id = deployment.api_id
        self.name = deployment.name
        self.trigger = f"apigateway:{deployment.name}"
        self.stage_variables = dict(deployment.stage_variables)
        self.deployment = deployment
        self.table = table

    def source_arn(self: Any, route: Route, method: str) -> str:
        """The ``execute-api`` ARN API Gateway invokes from: ``API/STAGE/METHOD/PATH`` (``API/STAGE/$default``)."""
        tail = "$default" if route.key == "$default" else f"{method}{route.template}"
        return f"arn:aws:execute-api:{self.region}:{self.account_id}:{self.api_id}/{self.stage}/{tail}"

    def refuse(self: Any, route: Route, method: str) -> Response | None:
        target = self.deployment.targets.get(route.key)
        if target is None or target.arn is None:
            return self.error(*self.internal)
        if target.credentials or self.allowed is None:
            return None
        if not self.allowed(target.arn, PRINCIPAL, self.source_arn(route, method)):
            return self.error(*self.internal)
        return None

    def routes(self: Any) -> list[dict[str, Any]]:
        return [{"route": r.key, "function": r.function, "authorizer": r.authorizer} for r in self.deployment.routes]


class DeployedHttpApi(_Deployed, HttpApi):
    """An HTTP API made through ``apigatewayv2``, serving one auto-deploying stage."""

    internal = (500, {"message": "Internal Server Error"})

    def __init__(self, gateway: Any, deployment: Deployment, *, allowed: Allowed | None, port: int = 0):
        super().__init__(gateway, deployment.name, _PLACEHOLDER, stage=deployment.stage, port=port)
        self.allowed = allowed
        self.deploy(deployment)

    def deploy(self, deployment: Deployment) -> None:
        from .apigw_cors import Cors

        self.cors = Cors.of(deployment.cors)
        super().deploy(deployment)


class DeployedRestApi(_Deployed, RestApi):
    """A REST API made through ``apigateway``, serving one stage's deployment."""

    internal = (500, {"message": "Internal server error"})

    def __init__(self, gateway: Any, deployment: Deployment, *, allowed: Allowed | None, port: int = 0):
        super().__init__(gateway, deployment.name, _PLACEHOLDER, stage=deployment.stage, port=port)
        self.allowed = allowed
        self.deploy(deployment)

    def deploy(self, deployment: Deployment) -> None:
        self.binary_media_types = tuple(t.lower() for t in deployment.binary_media_types)
        super().deploy(deployment)
