"""REST APIs (payload 1.0): the stage in the URL, stage variables, binary media types, Lambda authorizers.

An unknown route (or a known path with another method) is 403 ``{"message":"Missing
Authentication Token"}``; a failed or malformed proxy answer 502 ``{"message": "Internal
server error"}``; the integration timeout (29 s at most) 504 ``{"message": "Endpoint request
timed out"}`` (callers §1.4).  A REST API adds no CORS headers: the function sends them.
Every answer carries ``x-amzn-RequestId`` (the event's ``requestContext.requestId``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..common.errors import InvalidParameterValueException
from .apigw import PAYLOAD_LIMIT_BYTES, GatewayApi
from .apigw_authorizers import Decision, unauthorized
from .apigw_events import HttpRequest, http_request_id, rest_request_id, trace_id, v1_event
from .apigw_integration import Outcome
from .apigw_responses import REST_INTERNAL, gateway_error, rest_response
from .apigw_routes import Route
from .server import Response

#: REST API's integration timeout: 50 ms to 29 s, 29 s by default (callers §1.8).
INTEGRATION_TIMEOUT_S = 29.0
_MAT = {"message": "Missing Authentication Token"}


class RestApi(GatewayApi):
    """One REST API deployed to one stage: ``.url`` (with the stage), ``.requests()``;
    see :func:`lambda_magic.rest_api`."""

    kind = "rest"
    http = False
    not_found = (403, _MAT, "MissingAuthenticationTokenException")

    def __init__(
        self,
        gateway: Any,
        name: str,
        routes: Mapping[str, Any],
        *,
        stage: str = "dev",
        stage_variables: Mapping[str, str] | None = None,
        binary_media_types: Sequence[str] = (),
        authorizers: Mapping[str, Mapping[str, Any]] | None = None,
        integration_timeout_s: float = INTEGRATION_TIMEOUT_S,
        payload_limit_bytes: int = PAYLOAD_LIMIT_BYTES,
        port: int = 0,
    ):
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,128}", stage or ""):
            raise InvalidParameterValueException(f"stage {stage!r}: letters, digits, '-' and '_' only")
        if not 0.05 <= float(integration_timeout_s) <= INTEGRATION_TIMEOUT_S:
            raise InvalidParameterValueException("a REST API's integration timeout is between 0.05 and 29 seconds")
        if isinstance(binary_media_types, str):
            binary_media_types = [binary_media_types]
        self.binary_media_types = tuple(str(t).lower() for t in binary_media_types)
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
        return rest_request_id()

    def error(self, status: int, body: Any, error_type: str | None = None) -> Response:
        return gateway_error(status, body, error_type)

    def event(self, request: HttpRequest, route: Route, params: dict[str, str], path: str, rid: str) -> dict:
        return v1_event(
            request,
            resource=route.template,
            path=path,
            stage=self.stage,
            path_parameters=params,
            stage_variables=self.stage_variables,
            api_id=self.api_id,
            account_id=self.account_id,
            region=self.region,
            request_id=rid,
            binary_media_types=self.binary_media_types,
        )

    def authorize(self, route: Route, request: HttpRequest, event: dict, path: str) -> Decision:
        assert route.authorizer is not None
        authorizer = self.authorizers[route.authorizer]
        values = self.identity(authorizer, request, route)
        if values is None:
            return self.missing_identity()
        method_arn = self.arn(request.method, path)
        if authorizer.type == "TOKEN":
            if authorizer.validation and not re.fullmatch(authorizer.validation, values[0]):
                return unauthorized()
            auth_event: dict[str, Any] = {"type": "TOKEN", "authorizationToken": values[0], "methodArn": method_arn}
        else:
            auth_event = {
                "type": "REQUEST",
                "methodArn": method_arn,
                **{k: v for k, v in event.items() if k not in ("body", "isBase64Encoded")},
            }
        decision = self.lambda_authorizer(authorizer, auth_event, values)
        if decision.authorizer is not None:
            decision.authorizer["integrationLatency"] = 0
        return decision

    def answer(self, outcome: Outcome, event: dict, request: HttpRequest) -> Response:
        if outcome.timed_out:
            return gateway_error(504, {"message": "Endpoint request timed out"})
        if outcome.invocation is None:
            return gateway_error(*REST_INTERNAL)
        return rest_response(outcome.invocation, event, self.binary_media_types)

    def finish(self, response: Response, request: HttpRequest, rid: str) -> Response:
        response.headers["x-amzn-RequestId"] = rid
        response.headers.setdefault("x-amz-apigw-id", http_request_id())
        response.headers.setdefault("X-Amzn-Trace-Id", trace_id())
        return response
