"""An API Gateway HTTP API on AWS: one Lambda proxy integration per function, routes, ``$default`` stage."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..common.errors import InvalidParameterValueException
from .triggers import Wiring, add_permission


@dataclass(frozen=True)
class DeployedHttpApi:
    """What ``CreateApi`` made: its id, invoke URL and routes (route key -> function)."""

    api_id: str
    url: str
    routes: dict[str, str]

    def __repr__(self) -> str:
        lines = [f"HTTP API {self.api_id} at {self.url}"]
        lines.extend(f"  {key} -> {function}" for key, function in self.routes.items())
        return "\n".join(lines)


def create_http_api(
    apigw: Any,
    lambda_client: Any,
    name: str,
    routes: Mapping[str, Any],
    *,
    function_arn: Any,
    region: str,
    account_id: str,
    cors: Mapping[str, Any] | None = None,
) -> tuple[DeployedHttpApi, list[Wiring]]:
    """``CreateApi`` (HTTP), an ``AWS_PROXY`` integration (payload 2.0) per function, ``CreateRoute``
    per route, an auto-deployed ``$default`` stage, and ``AddPermission`` so API Gateway may invoke."""
    targets: dict[str, str] = {}
    for key, value in routes.items():
        function = value.get("function") if isinstance(value, Mapping) else value
        if not isinstance(function, str) or not function:
            raise InvalidParameterValueException(f"route {key!r}: give a function name")
        targets[key] = function
    params: dict[str, Any] = {"Name": name, "ProtocolType": "HTTP"}
    if cors:
        params["CorsConfiguration"] = dict(cors)
    api = apigw.create_api(**params)
    api_id = api["ApiId"]
    integrations: dict[str, str] = {}
    wiring: list[Wiring] = []
    for function in sorted(set(targets.values())):
        arn = function_arn(function)
        integrations[function] = apigw.create_integration(
            ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=arn, PayloadFormatVersion="2.0"
        )["IntegrationId"]
        source = f"arn:aws:execute-api:{region}:{account_id}:{api_id}/*"
        wiring.append(add_permission(lambda_client, arn, "apigateway.amazonaws.com", source, f"lambda-magic-{api_id}"))
    for key, function in targets.items():
        apigw.create_route(ApiId=api_id, RouteKey=key, Target=f"integrations/{integrations[function]}")
    apigw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    for function in sorted(set(targets.values())):
        wiring.append(Wiring(function, f"HTTP API {api_id} ({name})", lambda: _delete_api(apigw, api_id)))
    return DeployedHttpApi(api_id, str(api.get("ApiEndpoint", "")), targets), wiring


def _delete_api(apigw: Any, api_id: str) -> None:
    try:
        apigw.delete_api(ApiId=api_id)
    except apigw.exceptions.NotFoundException:
        pass  # another function's delete removed it already
