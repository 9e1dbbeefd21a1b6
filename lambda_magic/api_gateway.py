"""The module-level Python API for API Gateway (``lm.http_api``, ``lm.rest_api``, ``lm.apis``...),
on the default account of :mod:`lambda_magic.api`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .runtime.account import LocalAccount


def _account() -> LocalAccount:
    from .api import account as default_account

    return default_account()


def cloud_apis(acc: LocalAccount) -> Any:
    """The account's API Gateway APIs configured through boto3 (an account extension)."""
    from .api import _push_sources
    from .endpoints.apigw_cloud import CloudApis

    return CloudApis.of(acc, allowed=lambda arn, principal, source: _push_sources(acc).allowed(arn, principal, source))


def http_api(
    name: str,
    routes: Mapping[str, Any],
    *,
    authorizers: Mapping[str, Mapping[str, Any]] | None = None,
    cors: Mapping[str, Any] | None = None,
    **settings: Any,
) -> Any:
    """Serve an API Gateway HTTP API (payload 2.0) on loopback: ``routes={"GET /items/{id}": "get_item",
    "ANY /{proxy+}": "fallback", "$default": ...}``; a route's value is a function name or
    ``{"function": NAME, "authorizer": AUTH, "scopes": [...]}``; ``authorizers={AUTH: {"type":
    "REQUEST"|"JWT", "function": ..., "identity_source": ..., "issuer": ..., "audience": [...],
    "ttl_s": ...}}``; ``cors={"allowOrigins": [...], ...}``; settings: ``stage``,
    ``stage_variables``, ``integration_timeout_s``, ``payload_limit_bytes``.  Returns the API
    (``.url``, ``.requests()``); declaring it again replaces it at the same address."""
    from .display.apis import ApiView
    from .endpoints.apigw import ApiGateway
    from .endpoints.apigw_cors import Cors
    from .endpoints.apigw_http import HttpApi
    from .endpoints.apigw_routes import RouteTable

    RouteTable(routes, allow_default=True)
    from .api import _default

    if _default.backend is not None:  # lm.use_backend("aws"): API Gateway's own HTTP API
        return ApiView(
            _default.backend.http_api(name, routes, authorizers=authorizers, cors=cors, **settings)
        )  # mistakes are found before the old API is replaced
    Cors.of(cors)
    gateway = ApiGateway.of(_account())
    made = gateway.put(
        lambda port: HttpApi(gateway, name, routes, authorizers=authorizers, cors=cors, port=port, **settings), name
    )
    return ApiView(made)


def rest_api(
    name: str,
    routes: Mapping[str, Any],
    *,
    stage: str = "dev",
    binary_media_types: Any = (),
    authorizers: Mapping[str, Mapping[str, Any]] | None = None,
    **settings: Any,
) -> Any:
    """Serve an API Gateway REST API (payload 1.0) deployed to ``stage`` on loopback (``.url`` ends in
    ``/STAGE``): routes as for :func:`http_api` (no ``$default``), ``authorizers`` of type
    ``TOKEN`` (with ``validation``, a regex) or ``REQUEST``, ``binary_media_types=["image/png"]``;
    settings: ``stage_variables``, ``integration_timeout_s``, ``payload_limit_bytes``."""
    from .common.errors import InvalidParameterValueException
    from .display.apis import ApiView
    from .endpoints.apigw import ApiGateway
    from .endpoints.apigw_rest import RestApi
    from .endpoints.apigw_routes import RouteTable

    RouteTable(routes, allow_default=False)  # mistakes are found before the old API is replaced
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,128}", stage or ""):
        raise InvalidParameterValueException(f"stage {stage!r}: letters, digits, '-' and '_' only")
    from .api import _default

    if _default.backend is not None:  # lm.use_backend("aws"): API Gateway's own REST API
        return ApiView(
            _default.backend.rest_api(
                name, routes, stage=stage, binary_media_types=binary_media_types, authorizers=authorizers, **settings
            )
        )
    gateway = ApiGateway.of(_account())
    made = gateway.put(
        lambda port: RestApi(
            gateway,
            name,
            routes,
            stage=stage,
            binary_media_types=binary_media_types,
            authorizers=authorizers,
            port=port,
            **settings,
        ),
        name,
    )
    return ApiView(made)


def apis() -> Any:
    """A panel of every API the account serves (declared with :func:`http_api` / :func:`rest_api`
    or configured through boto3's ``apigatewayv2`` / ``apigateway``): name, id, stage, local URL.
    On the AWS backend: the APIs :func:`http_api` / :func:`rest_api` made there in this kernel."""
    from .api import _default
    from .display.api_list import ApisPanel
    from .endpoints.apigw import ApiGateway

    if _default.backend is not None:  # lm.use_backend("aws"): the APIs made on AWS in this kernel
        return ApisPanel(_default.backend.apis.made(), url_heading="URL")
    acc = _account()
    return ApisPanel(ApiGateway.of(acc).apis(), cloud_apis(acc).undeployed)


def api_url(api_id: str, stage: str | None = None) -> str:
    """The local invoke URL of an API configured through boto3 (AWS's is
    ``https://API_ID.execute-api.REGION.amazonaws.com/STAGE``); ``stage`` may be left out when it has one."""
    return cloud_apis(_account()).url(api_id, stage)


def api_view(name: str, stage: str | None = None) -> Any:
    """The panel of an API (``.url``, ``.routes``, ``.requests()`` its access log): one declared with
    :func:`http_api` / :func:`rest_api` by its name, or a boto3-configured one by its id (and stage)."""
    from .api import _default
    from .display.apis import ApiView
    from .endpoints.apigw import ApiGateway

    if _default.backend is not None:  # lm.use_backend("aws"): one made on AWS in this kernel
        return ApiView(_default.backend.apis.get(name))
    acc = _account()
    declared = ApiGateway.of(acc).get(name) if stage is None else None
    return ApiView(declared if declared is not None else cloud_apis(acc).get(name, stage))
