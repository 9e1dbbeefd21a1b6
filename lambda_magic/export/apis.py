"""API Gateway APIs (HTTP and REST) as ``AWS::Serverless::HttpApi`` / ``Api`` resources and
the functions' ``HttpApi`` / ``Api`` events, with their authorizers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .naming import logical_id, ref
from .template import Template

DEFAULT_ROUTE = "$default"


@dataclass(frozen=True)
class AuthorizerSpec:
    """One authorizer as the account serves it (plain data)."""

    name: str
    type: str  # JWT, REQUEST or TOKEN
    function: str | None = None
    #: Identity sources as (where, name): ("header", "Authorization")...
    sources: tuple[tuple[str, str], ...] = ()
    issuer: str | None = None
    audience: tuple[str, ...] = ()
    ttl_s: int = 300
    simple_responses: bool = True


@dataclass(frozen=True)
class RouteSpec:
    key: str  # "GET /items/{id}" or "$default"
    function: str
    authorizer: str | None = None
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ApiSpec:
    """One API of the account: ``kind`` is ``http`` or ``rest``."""

    name: str
    kind: str
    stage: str
    routes: tuple[RouteSpec, ...] = ()
    authorizers: Mapping[str, AuthorizerSpec] = field(default_factory=dict)
    stage_variables: Mapping[str, str] = field(default_factory=dict)
    #: HTTP APIs: the CORS configuration as AWS names it (``AllowOrigins``...), or None.
    cors: Mapping[str, Any] | None = None


def add_apis(template: Template, apis: Iterable[ApiSpec], events: dict[str, dict[str, Any]]) -> None:
    for api in sorted(apis, key=lambda a: (a.kind, a.name)):
        http = api.kind == "http"
        props: dict[str, Any] = {"Name": api.name}
        if http:
            if api.stage != DEFAULT_ROUTE:
                props["StageName"] = api.stage
        else:
            props["StageName"] = api.stage if api.stage != DEFAULT_ROUTE else "prod"
        if api.stage_variables:
            props["Variables" if not http else "StageVariables"] = dict(sorted(api.stage_variables.items()))
        if http and api.cors:
            props["CorsConfiguration"] = {k: v for k, v in api.cors.items() if v not in ([], (), None, False)}
        authorizers = {
            name: _authorizer(template, spec, http=http)
            for name, spec in sorted(api.authorizers.items())
            if spec.function is None or spec.function in template.functions
        }
        if authorizers:
            props["Auth"] = {"Authorizers": {logical_id(n): a for n, a in authorizers.items()}}
        resource_type = "AWS::Serverless::HttpApi" if http else "AWS::Serverless::Api"
        logical = template.add(
            f"api:{api.kind}", api.name, "HttpApi" if http else "Api", {"Type": resource_type, "Properties": props}
        )
        for n, route in enumerate(api.routes):
            if route.function not in template.functions:
                template.skip(f"api {api.name}: route {route.key} -> {route.function} (not a function of the account)")
                continue
            event = _route_event(logical, route, http=http, authorizers=authorizers)
            name = logical_id(f"{api.name} {route.key.replace('$', '')}", "Route") if route.key else f"Route{n}"
            events.setdefault(route.function, {})[name] = event
        template.outputs[logical_id(api.name, "Url")] = {"Value": _url(logical, api, http=http)}


def _url(logical: str, api: ApiSpec, *, http: bool) -> Any:
    if http:
        stage = "" if api.stage == DEFAULT_ROUTE else f"/{api.stage}"
        return {"Fn::Sub": f"https://${{{logical}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}{stage}"}
    stage = api.stage if api.stage != DEFAULT_ROUTE else "prod"
    return {"Fn::Sub": f"https://${{{logical}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/{stage}"}


def _route_event(logical: str, route: RouteSpec, *, http: bool, authorizers: Mapping[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = {"ApiId" if http else "RestApiId": ref(logical)}
    if route.key != DEFAULT_ROUTE:
        method, _, path = route.key.partition(" ")
        props["Method"] = method.upper() if http else method.lower()
        props["Path"] = path
    if route.authorizer is not None and route.authorizer in authorizers:
        auth: dict[str, Any] = {"Authorizer": logical_id(route.authorizer)}
        if route.scopes:
            auth["AuthorizationScopes"] = list(route.scopes)
        props["Auth"] = auth
    return {"Type": "HttpApi" if http else "Api", "Properties": props}


def _http_source(where: str, name: str) -> str:
    prefix = {"header": "$request.header", "querystring": "$request.querystring"}.get(where, f"${where}")
    return f"{prefix}.{name}"


def _authorizer(template: Template, spec: AuthorizerSpec, *, http: bool) -> dict[str, Any]:
    headers = [n for w, n in spec.sources if w == "header"]
    queries = [n for w, n in spec.sources if w == "querystring"]
    if spec.type == "JWT":
        if spec.issuer and not spec.issuer.startswith("https://cognito-idp."):
            template.skip(f"authorizer {spec.name}: its issuer {spec.issuer} is local; give the real issuer's URL")
        elif spec.issuer:
            template.skip(
                f"authorizer {spec.name}: its issuer names a user pool of the local cloud; "
                "declare an AWS::Cognito::UserPool or give the real pool's URL"
            )
        jwt: dict[str, Any] = {"issuer": spec.issuer}
        if spec.audience:
            jwt["audience"] = list(spec.audience)
        sources = [_http_source(w, n) for w, n in spec.sources] or ["$request.header.Authorization"]
        return {"JwtConfiguration": jwt, "IdentitySource": sources[0]}
    function = template.function_ref(spec.function or "")
    if http:
        identity: dict[str, Any] = {}
        if headers:
            identity["Headers"] = headers
        if queries:
            identity["QueryStrings"] = queries
        identity["ReauthorizeEvery"] = spec.ttl_s
        result: dict[str, Any] = {
            "FunctionArn": function,
            "AuthorizerPayloadFormatVersion": "2.0",
            "EnableSimpleResponses": spec.simple_responses,
        }
        if headers or queries:
            result["Identity"] = identity
        elif spec.ttl_s:
            template.skip(f"authorizer {spec.name}: no identity source, so its results are not cached")
        return result
    rest: dict[str, Any] = {
        "FunctionArn": function,
        "FunctionPayloadType": "TOKEN" if spec.type == "TOKEN" else "REQUEST",
    }
    if spec.type == "TOKEN":
        rest["Identity"] = {"Header": headers[0] if headers else "Authorization", "ReauthorizeEvery": spec.ttl_s}
    else:
        identity = {"ReauthorizeEvery": spec.ttl_s}
        if headers:
            identity["Headers"] = headers
        if queries:
            identity["QueryStrings"] = queries
        rest["Identity"] = identity
    return rest
