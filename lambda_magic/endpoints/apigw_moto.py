"""API Gateway's side in the local cloud's server process (imported there only).

moto stores what a student configures through boto3 (``apigatewayv2`` APIs, routes,
integrations, stages; ``apigateway`` resources, methods, integrations, deployments) but
serves none of it.  The patches here tell the account what each API now looks like after
every change, so that the account serves it (:mod:`.apigw_cloud`):

* HTTP APIs (operation ``apigateway.http``): after any change to an API, its routes,
  integrations, authorizers and stages as moto answers them (the account serves the
  auto-deploying stages at once, as AWS does);
* REST APIs (operation ``apigateway.rest``): ``CreateDeployment`` keeps a copy of the
  resources, methods and integrations as they are then (a deployment is a snapshot on
  AWS; moto's is not), and after a change to a stage or a deployment the account is told
  which deployment each stage serves.

moto 5 ignores ``CreateApi``'s quick-create parameters (``Target``, ``RouteKey``,
``CredentialsArn``): the patch of ``CreateApi`` makes what AWS makes, an ``AWS_PROXY``
(or ``HTTP_PROXY``) integration with payload 2.0, the ``$default`` (or ``RouteKey``) route
and the ``$default`` stage with automatic deployment.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

Call = Callable[[dict[str, Any]], Any]

OPERATION_HTTP = "apigateway.http"
OPERATION_REST = "apigateway.rest"
#: Where a deployment keeps its copy of the API.
SNAPSHOT = "_lambda_magic_snapshot"

_HTTP_CHANGES = (
    "update_api",
    "delete_cors_configuration",
    "create_route",
    "update_route",
    "delete_route",
    "create_integration",
    "update_integration",
    "delete_integration",
    "create_authorizer",
    "update_authorizer",
    "delete_authorizer",
    "create_stage",
    "delete_stage",
)
_REST_CHANGES = ("create_deployment", "delete_deployment", "create_stage", "update_stage", "delete_stage")


#: The attribute that marks what this module patched (a server loads it once; an account may ask again).
MARK = "_lambda_magic_apigateway"


def patch(owner: Any, name: str, replacement: Callable[..., Any]) -> None:
    """Set ``owner.name = replacement`` once, keeping the original as ``replacement.original``."""
    current = getattr(owner, name)
    if getattr(current, MARK, False):
        return
    replacement.original = current  # type: ignore[attr-defined]
    setattr(replacement, MARK, True)
    setattr(owner, name, replacement)


def _api_id(args: tuple[Any, ...], kwargs: dict[str, Any], key: str) -> str | None:
    value = kwargs.get(key, args[0] if args else None)
    return value if isinstance(value, str) else None


def http_state(api: Any) -> dict[str, Any]:
    """An HTTP API as moto answers its Get* calls (JSON)."""
    return {
        "api_id": api.api_id,
        "name": api.name,
        "protocol_type": api.protocol_type,
        "cors": api.cors_configuration,
        "routes": [route.to_json() for route in api.routes.values()],
        "integrations": [integration.to_json() for integration in api.integrations.values()],
        "authorizers": [authorizer.to_json() for authorizer in api.authorizers.values()],
        "stages": [stage.to_json() for stage in api.stages.values()],
    }


def rest_snapshot(api: Any) -> dict[str, Any]:
    """A REST API's resources (with methods and integrations), authorizers and binary media types now."""
    return json.loads(
        json.dumps(
            {
                "name": api.name,
                "binary_media_types": list(api.binaryMediaTypes or []),
                "resources": [resource.to_dict() for resource in api.resources.values()],
                "authorizers": [authorizer.to_json() for authorizer in api.authorizers.values()],
            },
            default=str,
        )
    )


def rest_state(api: Any) -> dict[str, Any]:
    """Which deployment (snapshot) each stage of a REST API serves, with its stage variables."""
    stages = []
    for stage in api.stages.values():
        deployment = api.deployments.get(stage.deployment_id)
        stages.append(
            {
                "stage": stage.name,
                "deployment_id": stage.deployment_id,
                "variables": dict(stage.variables or {}),
                "snapshot": getattr(deployment, SNAPSHOT, None),
            }
        )
    return {"api_id": api.id, "name": api.name, "stages": stages}


def install(call: Call) -> None:
    """Patch moto's API Gateway backends when the server first loads them (they take seconds to
    import: a cloud that never serves API Gateway does not pay for them)."""
    from moto import backends

    def tell(payload: dict[str, Any]) -> None:
        try:
            call(payload)
        except Exception:
            pass  # the account has gone, or failed: moto's answer to the student stands

    def import_backend(module_name: str, backends_name: str) -> Any:
        found = import_backend.original(module_name, backends_name)  # type: ignore[attr-defined]
        if module_name in ("apigateway", "apigatewayv2"):  # one app serves both (they sign as "apigateway")
            _install_http(tell)
            _install_rest(tell)
        return found

    patch(backends, "_import_backend", import_backend)


def _watch(
    tell: Call, backend_class: Any, methods: tuple[str, ...], id_argument: str, state_of: Any, operation: str
) -> None:
    """After each of ``methods`` of ``backend_class`` (they name the API by ``id_argument``), tell the
    account the API's new state (``state_of(api)``), or that it is gone."""

    def sync(backend: Any, api_id: str | None) -> None:
        if api_id is None:
            return
        api = backend.apis.get(api_id)
        state = state_of(api) if api is not None else {"api_id": api_id, "deleted": True}
        tell({"op": operation, "region": backend.region_name, "account": backend.account_id, "api": state})

    def after(name: str) -> Any:
        def changed(self: Any, *args: Any, **kwargs: Any) -> Any:
            result = changed.original(self, *args, **kwargs)  # type: ignore[attr-defined]
            sync(self, _api_id(args, kwargs, id_argument))
            return result

        return changed

    for name in methods:
        patch(backend_class, name, after(name))


def _install_http(tell: Call) -> None:
    from moto.apigatewayv2 import exceptions as http_exceptions
    from moto.apigatewayv2 import models as http_models
    from moto.apigatewayv2 import responses as http_responses

    changes = (*_HTTP_CHANGES, "delete_api")
    _watch(tell, http_models.ApiGatewayV2Backend, changes, "api_id", http_state, OPERATION_HTTP)

    def create_api(self: Any) -> Any:
        status, headers, body = create_api.original(self)  # type: ignore[attr-defined]
        params = json.loads(self.body or "{}")
        target = params.get("target")
        if target and params.get("protocolType") == "HTTP":
            backend = self.apigatewayv2_backend
            api_id = json.loads(body)["apiId"]
            _quick_create(backend, api_id, target, params.get("routeKey") or "$default", params.get("credentialsArn"))
        return status, headers, body

    patch(http_responses.ApiGatewayV2Response, "create_api", create_api)

    def create_authorizer(self: Any) -> Any:
        refuse_caching_without_identity(
            json.loads(self.body or "{}"), default_ttl=0, error=http_exceptions.BadRequestException
        )
        return create_authorizer.original(self)  # type: ignore[attr-defined]

    patch(http_responses.ApiGatewayV2Response, "create_authorizer", create_authorizer)


def _install_rest(tell: Call) -> None:
    from moto.apigateway import exceptions as rest_exceptions
    from moto.apigateway import models as rest_models
    from moto.apigateway import responses as rest_responses

    changes = (*_REST_CHANGES, "delete_rest_api")
    _watch(tell, rest_models.APIGatewayBackend, changes, "function_id", rest_state, OPERATION_REST)

    def create_deployment(self: Any, name: str, description: str, stage_variables: Any = None) -> Any:
        deployment = create_deployment.original(self, name, description, stage_variables)  # type: ignore[attr-defined]
        setattr(deployment, SNAPSHOT, rest_snapshot(self))
        return deployment

    patch(rest_models.RestAPI, "create_deployment", create_deployment)

    def create_authorizer(self: Any) -> Any:
        refuse_caching_without_identity(
            json.loads(self.body or "{}"), default_ttl=300, error=rest_exceptions.BadRequestException
        )
        return create_authorizer.original(self)  # type: ignore[attr-defined]

    patch(rest_responses.APIGatewayResponse, "create_authorizer", create_authorizer)


def refuse_caching_without_identity(params: dict[str, Any], *, default_ttl: int, error: Any) -> None:
    """CreateAuthorizer's refusal of a REQUEST authorizer that caches (its TTL, ``default_ttl`` when
    not given, is above 0) without identity sources, its cache key."""
    ttl = params.get("authorizerResultTtlInSeconds")
    if params.get("type", params.get("authorizerType")) != "REQUEST" or params.get("identitySource"):
        return
    if (default_ttl if ttl is None else ttl) not in (0, "0"):
        raise error("Identity source must be set if authorizer caching is enabled (TTL is greater than 0)")


def _quick_create(backend: Any, api_id: str, target: str, route_key: str, credentials_arn: str | None) -> None:
    """What AWS's quick create makes: the integration, the route and the auto-deploying ``$default`` stage."""
    is_function = target.startswith("arn:") and ":lambda:" in target
    integration = backend.create_integration(
        api_id=api_id,
        connection_id=None,
        connection_type="INTERNET",
        content_handling_strategy=None,
        credentials_arn=credentials_arn,
        description="",
        integration_method="POST" if is_function else "ANY",
        integration_subtype=None,
        integration_type="AWS_PROXY" if is_function else "HTTP_PROXY",
        integration_uri=target,
        passthrough_behavior=None,
        payload_format_version="2.0" if is_function else "1.0",
        request_parameters=None,
        request_templates=None,
        response_parameters=None,
        template_selection_expression=None,
        timeout_in_millis=None,
        tls_config=None,
    )
    backend.create_route(
        api_id=api_id,
        api_key_required=False,
        authorization_scopes=[],
        authorization_type="NONE",
        authorizer_id=None,
        model_selection_expression=None,
        operation_name=None,
        request_models=None,
        request_parameters=None,
        route_key=route_key,
        route_response_selection_expression=None,
        target=f"integrations/{integration.id}",
    )
    backend.create_stage(api_id, {"stageName": "$default", "autoDeploy": True})
