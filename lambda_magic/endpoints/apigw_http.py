"""HTTP APIs (payload 2.0): ``$default`` or named stages, CORS, Lambda and JWT authorizers.

An unknown route is 404 ``{"message":"Not Found"}``; a failed or malformed answer 500
``{"message":"Internal Server Error"}``; the integration timeout (30 s at most) 503
``{"message":"Service Unavailable"}`` (callers §1.4).  Every answer carries
``apigw-requestid``, the event's ``requestContext.requestId``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..common.errors import InvalidParameterValueException
from .apigw import PAYLOAD_LIMIT_BYTES, GatewayApi
from .apigw_authorizers import Decision
from .apigw_cors import Cors, is_preflight
from .apigw_events import HttpRequest, http_request_id, v2_event
from .apigw_integration import Outcome
from .apigw_responses import HTTP_INTERNAL, gateway_error, http_response
from .apigw_routes import Route, decoded
from .server import Response

#: HTTP API's integration timeout: at most (and by default) 30 s (callers §1.8).
INTEGRATION_TIMEOUT_S = 30.0


class HttpApi(GatewayApi):
    """One HTTP API: ``.url``, ``.requests()``; see :func:`lambda_magic.http_api`."""

    kind = "http"
    http = True

    def __init__(
        self,
        gateway: Any,
        name: str,
        routes: Mapping[str, Any],
        *,
        authorizers: Mapping[str, Mapping[str, Any]] | None = None,
        cors: Mapping[str, Any] | None = None,
        stage: str = "$default",
        stage_variables: Mapping[str, str] | None = None,
        integration_timeout_s: float = INTEGRATION_TIMEOUT_S,
        payload_limit_bytes: int = PAYLOAD_LIMIT_BYTES,
        port: int = 0,
    ):
        if not 0.05 <= float(integration_timeout_s) <= INTEGRATION_TIMEOUT_S:
            raise InvalidParameterValueException("an HTTP API's integration timeout is between 0.05 and 30 seconds")
        self.cors = Cors.of(cors)
        super().__init__(
            gateway,
            name,
            routes,
            stage=stage,
            stage_variables=stage_variables,
            authorizers=authorizers,
            integration_timeout_s=integration_timeout_s,
            payload_limit_bytes=payload_limit_bytes,
            port=port,
        )

    def request_id(self) -> str:
        return http_request_id()

    def error(self, status: int, body: Any, error_type: str | None = None) -> Response:
        return gateway_error(status, body)

    def preflight(self, request: HttpRequest) -> Response | None:
        origin = request.header("origin")
        if self.cors is None or not is_preflight(
            request.method, origin, request.header("access-control-request-method")
        ):
            return None
        return self.cors.preflight(origin)

    def event(self, request: HttpRequest, route: Route, params: dict[str, str], path: str, rid: str) -> dict:
        return v2_event(
            request,
            route_key=route.key,
            stage=self.stage,
            path_parameters=decoded(params),
            stage_variables=self.stage_variables,
            api_id=self.api_id,
            domain=f"{self.api_id}.execute-api.{self.region}.amazonaws.com",
            account_id=self.account_id,
            request_id=rid,
        )

    def authorize(self, route: Route, request: HttpRequest, event: dict, path: str) -> Decision:
        assert route.authorizer is not None
        authorizer = self.authorizers[route.authorizer]
        values = self.identity(authorizer, request, route)
        if values is None:
            return self.missing_identity()
        if authorizer.type == "JWT":
            return self.gateway.jwt.decide(authorizer, values[0], route.scopes)
        auth_event = {
            "version": "2.0",
            "type": "REQUEST",
            "routeArn": self.arn(request.method, path),
            "identitySource": values,
            **{k: v for k, v in event.items() if k not in ("version", "body", "isBase64Encoded")},
        }
        return self.lambda_authorizer(authorizer, auth_event, values)

    def answer(self, outcome: Outcome, event: dict, request: HttpRequest) -> Response:
        if outcome.timed_out:
            return gateway_error(503, {"message": "Service Unavailable"})
        if outcome.invocation is None:
            return gateway_error(*HTTP_INTERNAL)
        return http_response(outcome.invocation, event)

    def finish(self, response: Response, request: HttpRequest, rid: str) -> Response:
        if self.cors is not None and self.preflight(request) is None:
            self.cors.apply(response, request.header("origin"))
        response.headers["apigw-requestid"] = rid
        return response
