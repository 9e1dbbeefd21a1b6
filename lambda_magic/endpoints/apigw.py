"""API Gateway on loopback: the account's REST and HTTP APIs (an account extension) and what they share.

Each API has its own threaded keep-alive server on 127.0.0.1 (:class:`~.server.LoopbackServer`),
its routes (:mod:`.apigw_routes`), authorizers (:mod:`.apigw_authorizers`) and access log.
A request runs :meth:`GatewayApi.handle`: size limit, stage, preflight, route, authorizer,
event, one RequestResponse invocation with trigger ``apigateway:NAME`` under the
integration timeout, and the answer by the API type's rules (:mod:`.apigw_http`,
:mod:`.apigw_rest`).  Declaring an API again under the same name replaces it and keeps
its address.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Mapping
from typing import Any

from ..common import limits
from ..common.errors import InvalidParameterValueException
from .apigw_authorizers import Authorizer, Decision, JwtVerifier, lambda_decision, unauthorized
from .apigw_events import HttpRequest
from .apigw_integration import AccessLog, Outcome, call_function
from .apigw_routes import Route, RouteTable
from .server import HOST, LoopbackServer, Request, Response

EXTENSION = "apigateway"
#: API Gateway's request payload limit (callers §1.8).
PAYLOAD_LIMIT_BYTES = 10 * 1024 * 1024
#: A body below this cannot make an event over Lambda's 6 MB (base64 grows it by 4/3; headers are small).
_SMALL_BODY = 4 * 1024 * 1024


def api_id(account_id: str, kind: str, name: str) -> str:
    """A stable 10-character API id (lower-case letters and digits), as AWS's look."""
    digest = hashlib.sha256(f"{account_id}/{kind}/{name}".encode()).digest()
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(alphabet[b % 36] for b in digest[:10])


class GatewayApi:
    """What REST and HTTP APIs share; subclasses build the event and the answer."""

    kind = "api"
    http = True
    not_found: tuple[int, Any, str | None] = (404, {"message": "Not Found"}, None)

    def __init__(
        self,
        gateway: ApiGateway,
        name: str,
        routes: Mapping[str, Any],
        *,
        stage: str,
        stage_variables: Mapping[str, str] | None,
        authorizers: Mapping[str, Mapping[str, Any]] | None,
        integration_timeout_s: float,
        payload_limit_bytes: int,
        port: int = 0,
    ):
        if not isinstance(name, str) or not name.strip():
            raise InvalidParameterValueException("an API needs a name")
        self.gateway = gateway
        self.account = gateway.account
        self.name = name
        self.api_id = api_id(self.account.settings.account_id, self.kind, name)
        self.table = RouteTable(routes, allow_default=self.http)
        self.stage = stage
        self.stage_variables = {str(k): str(v) for k, v in (stage_variables or {}).items()}
        self.authorizers = {n: Authorizer.of(n, s, http=self.http) for n, s in (authorizers or {}).items()}
        for route in self.table.routes:
            if route.authorizer is not None and route.authorizer not in self.authorizers:
                raise InvalidParameterValueException(
                    f"route {route.key!r}: no authorizer {route.authorizer!r} (declare it in authorizers=)"
                )
        self.integration_timeout_s = float(integration_timeout_s)
        self.payload_limit_bytes = int(payload_limit_bytes)
        self.log = AccessLog()
        self.trigger = f"apigateway:{name}"
        self.server = LoopbackServer(f"apigateway-{name}", self.handle, port)
        self.server.reserve()

    @property
    def port(self) -> int:
        return self.server.reserve()

    @property
    def url(self) -> str:
        """The invoke URL: ``http://127.0.0.1:PORT`` (and ``/STAGE`` for a named stage)."""
        base = f"http://{HOST}:{self.port}"
        return base if self.stage == "$default" else f"{base}/{self.stage}"

    @property
    def region(self) -> str:
        return self.account.settings.region

    @property
    def account_id(self) -> str:
        return self.account.settings.account_id

    def arn(self, method: str, path: str) -> str:
        """``arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/METHOD/PATH`` (methodArn, routeArn)."""
        return f"arn:aws:execute-api:{self.region}:{self.account_id}:{self.api_id}/{self.stage}/{method}{path}"

    def routes(self) -> list[dict[str, Any]]:
        return [{"route": r.key, "function": r.function, "authorizer": r.authorizer} for r in self.table.routes]

    def requests(self) -> list[dict[str, Any]]:
        """The access log: one dict per request served."""
        return self.log.rows()

    def stop(self) -> None:
        self.server.stop()

    # --- per request -----------------------------------------------------------------------------

    def request_id(self) -> str:
        raise NotImplementedError

    def error(self, status: int, body: Any, error_type: str | None = None) -> Response:
        raise NotImplementedError

    def preflight(self, request: HttpRequest) -> Response | None:
        return None

    def event(self, request: HttpRequest, route: Route, params: dict[str, str], path: str, rid: str) -> dict:
        raise NotImplementedError

    def answer(self, outcome: Outcome, event: dict, request: HttpRequest) -> Response:
        raise NotImplementedError

    def finish(self, response: Response, request: HttpRequest, rid: str) -> Response:
        return response

    def authorize(self, route: Route, request: HttpRequest, event: dict, path: str) -> Decision:
        raise NotImplementedError

    def refuse(self, route: Route, method: str) -> Response | None:
        """API Gateway's answer instead of invoking (an integration it cannot use), or None to invoke."""
        return None

    def handle(self, raw: Request) -> Response:
        started = time.perf_counter()
        request = HttpRequest.of(raw, self.server.preferred_port)
        rid = self.request_id()
        row: dict[str, Any] = {"route": None, "function": None, "function_request_id": None}
        try:
            response = self._serve(request, rid, row)
        except Exception as exc:  # a bug here must not hang the client: API Gateway's 500
            response = self.error(500, {"message": f"lambda_magic: {type(exc).__name__}: {exc}"})
        if response.status != 413 or b"content length" not in response.body:
            response = self.finish(response, request, rid)
        self.log.add(
            time=time.time(),
            method=request.method,
            path=request.raw_path,
            status=response.status,
            latency_ms=round((time.perf_counter() - started) * 1000, 3),
            request_id=rid,
            **row,
        )
        return response

    def _serve(self, request: HttpRequest, rid: str, row: dict[str, Any]) -> Response:
        if len(request.body) > self.payload_limit_bytes:
            text = f"HTTP content length exceeded {self.payload_limit_bytes} bytes."
            return Response(413, {"Content-Type": "text/plain"}, text.encode())
        path = request.raw_path
        if self.stage != "$default":
            prefix = f"/{self.stage}"
            if path != prefix and not path.startswith(prefix + "/"):
                return self.error(*self.not_found)
            path = path[len(prefix) :] or "/"
        preflight = self.preflight(request)
        if preflight is not None:
            return preflight
        route, params, _ = self.table.match(request.method, path)
        if route is None:
            return self.error(*self.not_found)
        row.update(route=route.key, function=route.function)
        event = self.event(request, route, params, path, rid)
        if route.authorizer is not None:
            decision = self.authorize(route, request, event, path)
            if decision.response is not None:
                return decision.response
            event["requestContext"]["authorizer"] = decision.authorizer
        if len(request.body) > _SMALL_BODY and len(json.dumps(event)) > limits.SYNC_PAYLOAD_MAX_BYTES:
            return self.error(413, {"message": "Request Too Long"}, "BadRequestException")
        refused = self.refuse(route, request.method)
        if refused is not None:
            return refused
        outcome = call_function(
            self.account, route.function, event, trigger=self.trigger, timeout_s=self.integration_timeout_s
        )
        row["integration_latency_ms"] = round(outcome.latency_ms, 3)
        if outcome.invocation is not None:
            row["function_request_id"] = outcome.invocation.request_id
        return self.answer(outcome, event, request)

    def lambda_authorizer(
        self, authorizer: Authorizer, event: dict[str, Any], values: list[str], route_key: str = ""
    ) -> Decision:
        return lambda_decision(
            authorizer,
            self.account,
            event,
            (route_key, *values),
            http=self.http,
            trigger=f"{self.trigger}:authorizer:{authorizer.name}",
        )

    def identity(self, authorizer: Authorizer, request: HttpRequest, route: Route) -> list[str] | None:
        context = {"routeKey": route.key, "httpMethod": request.method, "stage": self.stage}
        return authorizer.identity(request, self.stage_variables, context)

    def missing_identity(self) -> Decision:
        return unauthorized(None if self.http else "UnauthorizedException")


class ApiGateway:
    """The account's APIs by name (REST and HTTP), each on its own port."""

    def __init__(self, account: Any):
        self.account = account
        self._apis: dict[str, GatewayApi] = {}
        self._ports: dict[str, int] = {}
        self._lock = threading.Lock()
        self.jwt = JwtVerifier(lambda: account.cloud.endpoint())

    @classmethod
    def of(cls, account: Any) -> ApiGateway:
        return account.extension(EXTENSION, lambda: cls(account))

    def put(self, make: Any, name: str) -> GatewayApi:
        """Make (or replace) the API ``name``; a replaced API keeps its port."""
        with self._lock:
            old = self._apis.pop(name, None)
            port = self._ports.get(name, 0)
        if old is not None:
            old.stop()
        api = make(port)
        with self._lock:
            self._apis[name] = api
            self._ports[name] = api.server.preferred_port
        return api

    def get(self, name: str) -> GatewayApi | None:
        with self._lock:
            return self._apis.get(name)

    def apis(self) -> list[GatewayApi]:
        with self._lock:
            return list(self._apis.values())

    def delete(self, name: str) -> bool:
        with self._lock:
            api = self._apis.pop(name, None)
        if api is not None:
            api.stop()
        return api is not None

    def stop(self) -> None:
        with self._lock:
            apis, self._apis = list(self._apis.values()), {}
        for api in apis:
            api.stop()
