"""An API Gateway REST API on AWS: resources for the routes' paths, a method with a Lambda proxy
integration per route, TOKEN and REQUEST Lambda authorizers, and a deployment to one stage."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..common.authorizer_settings import authorizer_type, caching_ttl
from ..common.errors import InvalidParameterValueException
from .http_api import api_settings, describe_api, identity_source, lambda_integration_uri, parse_routes, undo_all
from .triggers import Wiring, add_permission

_SETTINGS = frozenset({"stage_variables", "integration_timeout_s", "payload_limit_bytes"})


@dataclass(frozen=True)
class DeployedRestApi:
    """What ``CreateRestApi`` and ``CreateDeployment`` made: the id, the stage's invoke URL, the
    targets (route key -> function) and the authorizers (name -> authorizer id)."""

    api_id: str
    url: str
    targets: dict[str, str]
    stage: str
    authorizers: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        return describe_api("REST API", self.api_id, self.url, self.targets, self.authorizers)


def method_identity_source(text: str) -> str:
    """An identity source as REST APIs write it (``method.request.header.Authorization``)."""
    source = identity_source(text)  # $request.header.X, $request.querystring.X, $stageVariables.X, $context.X
    if source.startswith("$request."):
        return "method." + source[1:]
    return source[1:]


def authorizer_parameters(name: str, spec: Any, *, function_arn: Callable[[str], str], region: str) -> dict[str, Any]:
    """``CreateAuthorizer``'s parameters (REST API) for one of ``lm.rest_api``'s ``authorizers=``."""
    kind = authorizer_type(name, spec, http=False)
    function = spec.get("function")
    if not isinstance(function, str) or not function:
        raise InvalidParameterValueException(f"authorizer {name!r}: a Lambda authorizer needs function=NAME")
    default = ["Authorization"] if kind == "TOKEN" else []
    sources = spec.get("identity_source", default)
    sources = [method_identity_source(s) for s in ([sources] if isinstance(sources, str) else sources)]
    if kind == "TOKEN" and (len(sources) != 1 or not sources[0].startswith("method.request.header.")):
        raise InvalidParameterValueException(f"authorizer {name!r}: a TOKEN authorizer reads one header")
    ttl = caching_ttl(name, spec, kind, bool(sources), default=300)
    if "simple_responses" in spec or spec.get("issuer") or spec.get("audience"):
        raise InvalidParameterValueException(
            f"authorizer {name!r}: simple_responses, issuer and audience are HTTP API settings"
        )
    params: dict[str, Any] = {
        "name": name,
        "type": kind,
        "authorizerUri": lambda_integration_uri(region, function_arn(function)),
        "authorizerResultTtlInSeconds": ttl,
    }
    if sources:
        params["identitySource"] = ",".join(sources)
    validation = spec.get("validation")
    if validation:
        if kind != "TOKEN":
            raise InvalidParameterValueException(f"authorizer {name!r}: validation belongs to a TOKEN authorizer")
        try:
            re.compile(str(validation))
        except re.error as exc:
            raise InvalidParameterValueException(
                f"authorizer {name!r}: validation {validation!r} is not a regular expression ({exc})"
            ) from None
        params["identityValidationExpression"] = str(validation)
    return params


def create_rest_api(
    apigateway: Any,
    lambda_client: Any,
    name: str,
    routes: Mapping[str, Any],
    *,
    function_arn: Callable[[str], str],
    region: str,
    account_id: str,
    stage: str = "dev",
    binary_media_types: Sequence[str] | str = (),
    authorizers: Mapping[str, Any] | None = None,
    **settings: Any,
) -> tuple[DeployedRestApi, list[Wiring]]:
    """``CreateRestApi`` (regional, ``binaryMediaTypes``), ``CreateResource`` per path segment,
    ``PutMethod`` + ``PutIntegration`` (``AWS_PROXY``) per route, ``CreateAuthorizer`` per authorizer,
    ``AddPermission`` for the functions and the authorizers' functions, and ``CreateDeployment`` to
    ``stage`` (with ``stage_variables``).  Everything is checked first; a failure half-way takes
    back what was made."""
    authorizers = dict(authorizers or {})
    parsed = parse_routes(routes, authorizers)
    if any(route.scopes for route in parsed):
        raise InvalidParameterValueException("scopes: a REST API's Lambda authorizers take no OAuth scopes")
    if any(route.key == "$default" for route in parsed):
        raise InvalidParameterValueException("$default: REST APIs have no default route (use ANY /{proxy+})")
    variables, timeout_ms = api_settings(settings, "REST API", allowed=_SETTINGS, timeout_max_s=29)
    parameters = {
        n: authorizer_parameters(n, spec, function_arn=function_arn, region=region) for n, spec in authorizers.items()
    }
    media = [binary_media_types] if isinstance(binary_media_types, str) else [str(t) for t in binary_media_types]
    created: dict[str, Any] = {"name": name, "endpointConfiguration": {"types": ["REGIONAL"]}}
    if media:
        created["binaryMediaTypes"] = media
    api_id = apigateway.create_rest_api(**created)["id"]
    wiring: list[Wiring] = []
    execute_arn = f"arn:aws:execute-api:{region}:{account_id}:{api_id}"
    try:
        authorizer_ids = {}
        for auth_name, params in parameters.items():
            authorizer_id = apigateway.create_authorizer(restApiId=api_id, **params)["id"]
            authorizer_ids[auth_name] = authorizer_id
            source = f"{execute_arn}/authorizers/{authorizer_id}"
            arn = function_arn(str(authorizers[auth_name]["function"]))
            sid = f"lambda-magic-{api_id}-{authorizer_id}"
            wiring.append(add_permission(lambda_client, arn, "apigateway.amazonaws.com", source, sid))
        resources = _Resources(apigateway, api_id)
        for route in parsed:
            method, _, path = route.key.partition(" ")
            resource_id = resources.id_of(path)
            put: dict[str, Any] = {"authorizationType": "NONE"}
            if route.authorizer is not None:
                put = {"authorizationType": "CUSTOM", "authorizerId": authorizer_ids[route.authorizer]}
            apigateway.put_method(restApiId=api_id, resourceId=resource_id, httpMethod=method, **put)
            integration: dict[str, Any] = {
                "type": "AWS_PROXY",
                "integrationHttpMethod": "POST",
                "uri": lambda_integration_uri(region, function_arn(route.function)),
            }
            if timeout_ms is not None:
                integration["timeoutInMillis"] = timeout_ms
            apigateway.put_integration(restApiId=api_id, resourceId=resource_id, httpMethod=method, **integration)
        for function in sorted({route.function for route in parsed}):
            sid = f"lambda-magic-{api_id}"
            wiring.append(
                add_permission(
                    lambda_client, function_arn(function), "apigateway.amazonaws.com", f"{execute_arn}/*", sid
                )
            )
        deployment: dict[str, Any] = {"restApiId": api_id, "stageName": stage}
        if variables:
            deployment["variables"] = variables
        apigateway.create_deployment(**deployment)
    except BaseException:
        undo_all(wiring)
        _delete_rest_api(apigateway, api_id)
        raise
    functions = {route.function for route in parsed} | {str(spec["function"]) for spec in authorizers.values()}
    for function in sorted(functions):
        wiring.append(Wiring(function, f"REST API {api_id} ({name})", lambda: _delete_rest_api(apigateway, api_id)))
    url = f"https://{api_id}.execute-api.{region}.amazonaws.com/{stage}"
    targets = {route.key: route.function for route in parsed}
    return DeployedRestApi(api_id, url, targets, stage, authorizer_ids), wiring


class _Resources:
    """The API's resources by path, made as the routes need them (``CreateResource`` per new segment)."""

    def __init__(self, apigateway: Any, api_id: str):
        self._apigateway, self._api_id = apigateway, api_id
        items = apigateway.get_resources(restApiId=api_id)["items"]
        self._ids = {item["path"]: item["id"] for item in items}

    def id_of(self, path: str) -> str:
        path = "/" + path.strip("/")
        if path in self._ids:
            return self._ids[path]
        parent, _, part = path.rpartition("/")
        made = self._apigateway.create_resource(
            restApiId=self._api_id, parentId=self.id_of(parent or "/"), pathPart=part
        )
        self._ids[path] = made["id"]
        return str(made["id"])


def _delete_rest_api(apigateway: Any, api_id: str) -> None:
    try:
        apigateway.delete_rest_api(restApiId=api_id)
    except apigateway.exceptions.NotFoundException:
        pass  # another function's delete removed it already
