"""Lambda's own REST API on loopback, served by the account (an account extension).

boto3's ``lambda`` client, the AWS CLI and handlers that call other functions reach
the notebook's functions through it.  Its address is reserved when it is made and
registered as ``AWS_ENDPOINT_URL_LAMBDA`` with the account's endpoints (every execution
environment started from then on gets it); it serves from the first connection.
Routes and shapes come from botocore's service model (:mod:`.model`); each operation
is a function of a :class:`~.calls.Call` in one of the ``lambda_*`` modules, returning the
output members as boto3 names them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from ..common.errors import LambdaMagicError
from . import (
    lambda_aliases,
    lambda_code,
    lambda_config,
    lambda_functions,
    lambda_invoke,
    lambda_layers,
    lambda_mappings,
    lambda_urls,
)
from .auth import credential
from .calls import Call, revision_id
from .errors import ApiError, error_response
from .lambda_state import ApiState
from .model import BadRequest, RestJsonModel, UnknownOperation
from .server import LoopbackServer, Request, Response, account_client

EXTENSION = "lambda_api"
SERVICE = "lambda"
CODE_PATH = "/_lambda_magic/code/"
#: The variable that points an SDK's Lambda client at this API.
ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_LAMBDA"


def _operations() -> dict[str, Callable[[Call], Any]]:
    table: dict[str, Callable[[Call], Any]] = {}
    for module in (
        lambda_invoke,
        lambda_functions,
        lambda_code,
        lambda_aliases,
        lambda_config,
        lambda_mappings,
        lambda_layers,
        lambda_urls,
    ):
        table.update(module.OPERATIONS)
    return table


class LambdaAPI:
    """The account's Lambda API server (started on first need, stopped with the account)."""

    def __init__(self, account: Any, *, mappings: Callable[[Any], Any] | None = None, port: int = 0):
        self.account = account
        #: ``mappings(account)`` -> the account's event source mappings (injected from above the layer).
        self.mappings_of = mappings
        self.server = LoopbackServer("lambda", self.handle, port)
        self.state = ApiState()
        port = self.server.reserve()  # the address is known now; serving starts on first need
        account.endpoints.set(ENDPOINT_VARIABLE, f"http://127.0.0.1:{port}")
        self._model: RestJsonModel | None = None
        self._lock = threading.Lock()
        self.operations = _operations()

    @classmethod
    def of(cls, account: Any, **options: Any) -> LambdaAPI:
        """The account's Lambda API (made on first use; the server starts when first needed)."""
        return account.extension(EXTENSION, lambda: cls(account, **options))

    @property
    def model(self) -> RestJsonModel:
        with self._lock:
            if self._model is None:
                self._model = RestJsonModel(SERVICE)
            return self._model

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (starts the server)."""
        _ = self.model  # load the model before the first request arrives
        return self.server.url

    def client(self, **options: Any) -> Any:
        """A boto3 ``lambda`` client bound to this API, with the account's region and dummy credentials."""
        return account_client(self.account, SERVICE, self.url, **options)

    def policy(self, name: str, qualifier: str | None = None) -> list[dict[str, Any]]:
        """The resource-based policy statements of a function (or one qualifier), for services
        that check who may invoke it."""
        with self.state.lock:
            return [dict(s) for s in self.state.function(name).policies.get(qualifier or "", {}).values()]

    def stop(self) -> None:
        self.account.endpoints.discard(ENDPOINT_VARIABLE)
        self.server.stop()

    # --- serving -----------------------------------------------------------------------------

    def code_location(self, function: Any) -> str:
        """Where GetFunction's ``Code.Location`` points: this server serves the deployment package."""
        return f"{self.url}{CODE_PATH}{function.name}/{function.version}/{revision_id(function)}.zip"

    def layer_location(self, layer: Any) -> str:
        """Where a layer version's ``Content.Location`` points: its zip, served here."""
        return f"{self.url}{CODE_PATH}layer/{layer.name}/{layer.version}.zip"

    def _code(self, request: Request) -> Response:
        from ..runtime.layers import layer_store

        parts = request.path[len(CODE_PATH) :].split("/")
        if request.method == "GET" and len(parts) == 3 and parts[0] == "layer" and parts[2][:-4].isdigit():
            try:
                layer = layer_store(self.account).version(parts[1], int(parts[2][:-4]))
            except LambdaMagicError:
                layer = None
            if layer is not None:
                return Response(200, {"Content-Type": "application/zip"}, layer.package.zip_file)
        elif request.method == "GET" and len(parts) == 3:
            function = next(
                (
                    v
                    for v in self._versions(parts[0])
                    if v.version == unquote(parts[1]) and f"{revision_id(v)}.zip" == parts[2]
                ),
                None,
            )
            if function is not None:
                return Response(200, {"Content-Type": "application/zip"}, function.deployment_package.zip_file)
        return Response(404, {"Content-Type": "text/plain"}, b"no such deployment package (it changed since)")

    def _versions(self, name: str) -> list[Any]:
        try:
            return self.account.registry.versions(name)
        except Exception:
            return []

    def handle(self, request: Request) -> Response:
        if request.path.startswith(CODE_PATH):
            return self._code(request)  # like S3's presigned URL: no signature needed
        model = self.model
        try:
            try:
                operation, labels = model.match(request)
            except UnknownOperation:
                raise ApiError(
                    "UnknownOperationException", f"Unknown operation {request.method} {request.path}", 404
                ) from None
            signer = credential(
                request.headers.get("authorization"), region=self.account.settings.region, service=SERVICE
            )
            try:
                params = model.parse(operation, request, labels)
            except BadRequest as exc:
                raise ApiError("InvalidRequestContentException", str(exc)) from None
            run = self.operations.get(operation.name)
            if run is None:
                raise ApiError(
                    "UnsupportedOperationException",
                    f"lambda_magic's local account does not serve {operation.name}",
                    501,
                )
            caller = self._caller(signer.environment_id)
            call = Call(
                self,
                operation.name,
                params,
                signer,
                caller and caller.request_id,
                caller is not None and caller.isolation == "inline",
                trace_header=request.headers.get("x-amzn-trace-id"),
            )
            return model.render(operation, run(call))
        except Exception as exc:
            return error_response(exc, model.error_status)

    def _caller(self, environment_id: str | None) -> Any:
        """The execution environment that signed (None for callers outside the account)."""
        if environment_id is None:
            return None
        return next((env for env, _ in self.account.pool.environments() if env.env_id == environment_id), None)
