"""Lambda function URLs served over real HTTP on 127.0.0.1: one port per URL (an account extension).

``CreateFunctionUrlConfig`` (see :mod:`.lambda_urls`) makes one; each request becomes a
payload 2.0 event as Lambda builds it for function URLs (``routeKey`` ``$default``,
``requestContext.domainName`` ``<url-id>.lambda-url.<region>.on.aws``), a RequestResponse
invocation with trigger ``function-url``, and the answer by HTTP API's rules (a bare value
is a 200 JSON body).  ``AWS_IAM`` URLs accept SigV4-signed requests (the signature is not
checked: there is no secret) and answer others 403 ``{"Message":"Forbidden"}``; ``NONE``
URLs need a resource-based policy statement that allows ``lambda:InvokeFunctionUrl`` to
``*``, as on AWS.
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..common import limits
from .apigw_cors import Cors, is_preflight
from .apigw_events import HttpRequest, v2_event
from .apigw_integration import AccessLog, call_function
from .apigw_responses import HTTP_INTERNAL, gateway_error, http_response
from .auth import credential
from .errors import ApiError
from .server import HOST, LoopbackServer, Request, Response

EXTENSION = "function_urls"
TRIGGER = "function-url"
FORBIDDEN = {"Message": "Forbidden"}


def url_id(region: str, account_id: str, function_name: str, qualifier: str | None) -> str:
    """A stable 32-character id, like AWS's URL ids (lower-case letters and digits)."""
    digest = hashlib.sha256(f"{region}/{account_id}/{function_name}/{qualifier or ''}".encode()).digest()
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    return "".join(alphabet[b % 32] for b in digest[:32])


@dataclass
class FunctionUrl:
    """One function URL configuration and the server behind it."""

    function_name: str
    qualifier: str | None
    function_arn: str
    auth_type: str
    cors: Cors | None
    invoke_mode: str
    url_id: str
    region: str
    account_id: str
    created: float = field(default_factory=time.time)
    modified: float = field(default_factory=time.time)
    server: LoopbackServer | None = None
    log: AccessLog = field(default_factory=AccessLog)

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://{HOST}:{self.server.reserve()}/"

    @property
    def domain(self) -> str:
        return f"{self.url_id}.lambda-url.{self.region}.on.aws"

    @property
    def target(self) -> str:
        return self.function_name if self.qualifier is None else f"{self.function_name}:{self.qualifier}"


class FunctionUrls:
    """The account's function URLs, keyed by (function name, qualifier)."""

    def __init__(self, account: Any, policy: Callable[[str, str | None], list[dict[str, Any]]] | None = None):
        self.account = account
        #: ``policy(name, qualifier)`` -> the function's resource-based policy statements.
        self.policy = policy
        self._urls: dict[tuple[str, str | None], FunctionUrl] = {}
        self._lock = threading.Lock()

    @classmethod
    def of(cls, account: Any, **options: Any) -> FunctionUrls:
        return account.extension(EXTENSION, lambda: cls(account, **options))

    def get(self, name: str, qualifier: str | None) -> FunctionUrl | None:
        with self._lock:
            return self._urls.get((name, qualifier))

    def of_function(self, name: str) -> list[FunctionUrl]:
        with self._lock:
            return [u for (n, _), u in sorted(self._urls.items(), key=lambda kv: kv[1].created) if n == name]

    def add(self, config: FunctionUrl) -> FunctionUrl:
        """Serve ``config`` on its own port (the address is bound now, serving starts on first need)."""
        key = (config.function_name, config.qualifier)
        server = LoopbackServer(f"function-url-{config.function_name}", lambda r: self.handle(key, r))
        config.server = server
        with self._lock:
            self._urls[key] = config
        server.reserve()
        return config

    def remove(self, name: str, qualifier: str | None) -> FunctionUrl | None:
        with self._lock:
            config = self._urls.pop((name, qualifier), None)
        if config is not None and config.server is not None:
            config.server.stop()
        return config

    def stop(self) -> None:
        with self._lock:
            configs, self._urls = list(self._urls.values()), {}
        for config in configs:
            if config.server is not None:
                config.server.stop()

    # --- serving -------------------------------------------------------------------------------

    def _public(self, config: FunctionUrl) -> bool:
        """A NONE URL answers only when the policy lets anyone call lambda:InvokeFunctionUrl."""
        if self.policy is None:
            return True
        try:
            statements = self.policy(config.function_name, config.qualifier)
        except Exception:
            return False
        for statement in statements:
            action, principal = statement.get("Action"), statement.get("Principal")
            if statement.get("Effect", "Allow") != "Allow":
                continue
            if action in ("lambda:InvokeFunctionUrl", "lambda:*", "*") and principal in ("*", {"AWS": "*"}):
                return True
        return False

    def _iam(self, config: FunctionUrl, request: HttpRequest, query: dict[str, list[str]]) -> dict[str, Any] | None:
        """The caller's identity from a SigV4 header or a presigned query, or None (403)."""
        authorization = request.header("authorization")
        if authorization is None and "X-Amz-Credential" in query:
            key = query["X-Amz-Credential"][0].split("/")[0]
        else:
            try:
                key = credential(authorization, region=config.region, service="lambda").access_key_id
            except ApiError:
                return None
        caller = "AIDA" + hashlib.sha256(key.encode()).hexdigest()[:17].upper()
        return {
            "accessKey": key,
            "accountId": config.account_id,
            "callerId": caller,
            "cognitoIdentity": None,
            "principalOrgId": None,
            "userArn": f"arn:aws:iam::{config.account_id}:user/lambda_magic",
            "userId": caller,
        }

    def handle(self, key: tuple[str, str | None], raw: Request) -> Response:
        started = time.perf_counter()
        with self._lock:
            config = self._urls.get(key)
        if config is None:
            return Response(404, {"Content-Type": "application/json"}, b'{"Message":null}')
        assert config.server is not None
        request = HttpRequest.of(raw, config.server.preferred_port)
        request_id = str(uuid.uuid4())
        origin = request.header("origin")
        if config.cors is not None and is_preflight(
            request.method, origin, request.header("access-control-request-method")
        ):
            return self._finish(config, request, config.cors.preflight(origin), started, request_id)
        authorizer: dict[str, Any] | None = None
        if config.auth_type == "AWS_IAM":
            iam = self._iam(config, request, raw.query)
            if iam is None:
                return self._finish(config, request, gateway_error(403, FORBIDDEN), started, request_id)
            authorizer = {"iam": iam}
        elif not self._public(config):
            return self._finish(config, request, gateway_error(403, FORBIDDEN), started, request_id)
        event = v2_event(
            request,
            route_key="$default",
            stage="$default",
            path_parameters=None,
            stage_variables=None,
            api_id=config.url_id,
            domain=config.domain,
            account_id=config.account_id if authorizer else "anonymous",
            request_id=request_id,
            authorizer=authorizer,
        )
        if len(request.body) > limits.SYNC_PAYLOAD_MAX_BYTES:
            response = gateway_error(413, {"Message": "Request must be smaller than 6291456 bytes"})
            return self._finish(config, request, response, started, request_id)
        outcome = call_function(self.account, config.target, event, trigger=TRIGGER, timeout_s=None)
        invocation = outcome.invocation
        response = gateway_error(*HTTP_INTERNAL) if invocation is None else http_response(invocation, event)
        if config.cors is not None:
            config.cors.apply(response, origin)
        return self._finish(
            config,
            request,
            response,
            started,
            request_id,
            integration_ms=outcome.latency_ms,
            function_request_id=invocation.request_id if invocation is not None else None,
        )

    def _finish(
        self,
        config: FunctionUrl,
        request: HttpRequest,
        response: Response,
        started: float,
        request_id: str,
        *,
        integration_ms: float | None = None,
        function_request_id: str | None = None,
    ) -> Response:
        response.headers.setdefault("x-amzn-RequestId", request_id)
        config.log.add(
            time=time.time(),
            method=request.method,
            path=request.raw_path,
            route="$default",
            status=response.status,
            latency_ms=(time.perf_counter() - started) * 1000,
            integration_latency_ms=integration_ms,
            request_id=request_id,
            function=config.target,
            function_request_id=function_request_id,
        )
        return response
