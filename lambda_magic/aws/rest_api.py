"""An API Gateway REST API on AWS: resources for the routes' paths, a method with a Lambda proxy
integration per route, TOKEN and REQUEST Lambda authorizers, and a deployment to one stage."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..common.authorizer_settings import authorizer_type, caching_ttl
from ..common.errors import InvalidParameterValueException, LambdaMagicError
from . import access_log
from .http_api import (
    api_label,
    api_settings,
    describe_api,
    identity_source,
    lambda_integration_uri,
    parse_routes,
    undo_all,
)
from .triggers import Wiring, add_permission

_SETTINGS = frozenset({"stage_variables", "integration_timeout_s", "payload_limit_bytes"})


@dataclass(frozen=True)
class DeployedRestApi:
    """What ``CreateRestApi`` and ``CreateDeployment`` made: the id, the stage's invoke URL, the
    targets (route key -> function), the authorizers (name -> authorizer id) and each route's
    authorizer; ``requests()`` reads the stage's access log (CloudWatch Logs)."""

    kind: ClassVar[str] = "rest"

    api_id: str
    url: str
    targets: dict[str, str]
    stage: str
    authorizers: dict[str, str] = field(default_factory=dict)
    name: str = ""
    route_authorizers: dict[str, str] = field(default_factory=dict)
    #: Reads the access log's rows (``access_log.read``), when the stage writes one.
    read_access_log: Callable[[], list[dict[str, Any]]] | None = field(default=None, repr=False, compare=False)
    #: Why the stage writes no access log (None: it writes one, or no logs client was given).
    no_access_log: str | None = field(default=None, repr=False, compare=False)

    def routes(self) -> list[dict[str, Any]]:
        """``[{"route", "function", "authorizer"}]``, as the local emulator's APIs list them."""
        return [
            {"route": key, "function": function, "authorizer": self.route_authorizers.get(key)}
            for key, function in self.targets.items()
        ]

    def requests(self) -> list[dict[str, Any]]:
        """The access log (API Gateway delivers it to CloudWatch Logs seconds after each request)."""
        if self.no_access_log is not None:
            raise LambdaMagicError(self.no_access_log)
        return self.read_access_log() if self.read_access_log is not None else []

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
    logs: Any = None,
    logging_role: Callable[[], str | None] | None = None,
    **settings: Any,
) -> tuple[DeployedRestApi, list[Wiring]]:
    """``CreateRestApi`` (regional, ``binaryMediaTypes``), ``CreateResource`` per path segment,
    ``PutMethod`` + ``PutIntegration`` (``AWS_PROXY``) per route, ``CreateAuthorizer`` per authorizer,
    ``AddPermission`` for the functions and the authorizers' functions, and ``CreateDeployment`` to
    ``stage`` (with ``stage_variables``).  With a ``logs`` client, the stage's access log goes to a
    log group made for it, once ``logging_role()`` gives the region's API Gateway logging role
    (``access_log.account_logging_role``; None: the stage writes no access log, and ``requests()``
    says why).  Everything is checked first; a failure half-way takes back what was made."""
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
        no_access_log = None
        if logs is not None:
            no_access_log = _send_access_log(apigateway, logs, logging_role, api_id, stage, (region, account_id))
    except BaseException:
        undo_all(wiring)
        _delete_rest_api(apigateway, logs, api_id)
        raise
    functions = {route.function for route in parsed} | {str(spec["function"]) for spec in authorizers.values()}
    for function in sorted(functions):
        wiring.append(
            Wiring(function, api_label("REST API", api_id, name), lambda: _delete_rest_api(apigateway, logs, api_id))
        )
    url = f"https://{api_id}.execute-api.{region}.amazonaws.com/{stage}"
    targets = {route.key: route.function for route in parsed}
    guarded = {route.key: route.authorizer for route in parsed if route.authorizer is not None}
    reader = None if logs is None or no_access_log else (lambda: access_log.read(logs, api_id, targets))
    api = DeployedRestApi(api_id, url, targets, stage, authorizer_ids, name, guarded, reader, no_access_log)
    return api, wiring


def _send_access_log(
    apigateway: Any,
    logs: Any,
    logging_role: Callable[[], str | None] | None,
    api_id: str,
    stage: str,
    region_account: tuple[str, str],
) -> str | None:
    """Point the stage's access log at a log group made for it; why not, when the region has no
    API Gateway logging role (without one AWS refuses a REST API stage's access log)."""
    if logging_role is None or logging_role() is None:
        return (
            f"REST API {api_id} writes no access log: this region's API Gateway account setting cloudwatchRoleArn "
            "names no role to write logs with; set one (apigateway.update_account) or "
            "use_backend('aws', create_role=True) to have one made"
        )
    access_log.create_log_group(logs, api_id)
    apigateway.update_stage(
        restApiId=api_id, stageName=stage, patchOperations=access_log.stage_settings_patch(*region_account, api_id)
    )
    return None


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


def _delete_rest_api(apigateway: Any, logs: Any, api_id: str) -> None:
    """Delete the API and its access log group (either may be gone already: another function's
    delete removed them)."""
    try:
        apigateway.delete_rest_api(restApiId=api_id)
    except apigateway.exceptions.NotFoundException:
        pass
    if logs is not None:
        access_log.delete_log_group(logs, api_id)
