"""A front on Cognito user pools' API (``cognito-idp``), served by the account: it runs the triggers.

The local cloud (moto) keeps user pools, users and app clients and issues real tokens,
but it never calls the functions a pool's ``LambdaConfig`` names.  This small front,
on loopback, does: for the calls that fire triggers (sign-up, confirmation, user
creation, sign-in, custom challenges, password recovery, see :mod:`.cognito_flows` and
:mod:`.cognito_auth`) it runs them synchronously, as Cognito does, honours their
answers and does the underlying work in the local cloud; every other request (and every
request for a pool without triggers) goes to the local cloud as it came, so its answers
and errors are moto's own.  Its address is reserved when it is made and registered as
``AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER``, so handlers' boto3 clients use it too.
Each trigger invocation is recorded with the trigger ``cognito-idp:POOL_ID``.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from .auth import credential
from .cognito_lambda import TIMEOUT_S, Allowed, TriggerRunner
from .errors import ApiError
from .json_protocol import JsonModel
from .server import LoopbackServer, Request, Response, account_client

EXTENSION = "cognito_idp_api"
SERVICE = "cognito-idp"
#: The variable that points an SDK's ``cognito-idp`` client at this front.
ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"
#: Headers of the local cloud's answer that are not passed on (the front sends its own).
_HOP_HEADERS = frozenset(["connection", "content-length", "date", "server", "transfer-encoding", "keep-alive"])

Flow = Callable[["CognitoCall"], "dict[str, Any] | None"]


class CognitoCall:
    """One request the front answers itself: its operation, input, pool and app client."""

    def __init__(
        self,
        api: CognitoIdpAPI,
        operation: str,
        params: dict[str, Any],
        pool_id: str,
        client_id: str | None,
        caller_request_id: str | None = None,
    ):
        self.api = api
        #: The invocation whose handler made this call (None for the notebook's own calls).
        self.caller_request_id = caller_request_id
        self.operation = operation
        self.params = params
        self.pool_id = pool_id
        self.client_id = client_id
        self.triggers = api.triggers
        self.config = api.triggers.lambda_config(pool_id)

    def moto(self, operation: str, **params: Any) -> dict[str, Any]:
        return self.api.moto(operation, **params)

    def run(self, key: str, source: str, user_name: str, request: Mapping[str, Any], **options: Any) -> Any:
        """Run the pool's ``key`` trigger (None when it has none); the ``response`` it returned."""
        return self.triggers.run(
            self.config,
            key,
            source,
            pool_id=self.pool_id,
            user_name=user_name,
            request=request,
            caller_request_id=self.caller_request_id,
            **options,
        )

    def user(self, username: str) -> dict[str, Any]:
        return self.moto("AdminGetUser", UserPoolId=self.pool_id, Username=username)


class CognitoIdpAPI:
    """The account's ``cognito-idp`` front: triggers here, everything else in the local cloud."""

    def __init__(self, account: Any, *, allowed: Allowed | None = None, port: int = 0, timeout: float = TIMEOUT_S):
        from . import cognito_auth, cognito_flows

        self.account = account
        self.triggers = TriggerRunner(account, self.moto, allowed=allowed, timeout=timeout)
        #: What Cognito would have sent (codes, temporary passwords) after a CustomMessage trigger.
        self.messages: list[dict[str, Any]] = []
        #: Custom authentication sessions in progress, by their ``Session`` token.
        self.sessions: dict[str, dict[str, Any]] = {}
        self.lock = threading.RLock()
        self._pools_of_clients: dict[str, str] = {}
        #: Access tokens a trigger's claims rewrote -> the token moto issued (and looks up).
        self._moto_tokens: dict[str, str] = {}
        #: Access tokens of custom authentication (made here: moto has none) -> (pool id, user name).
        self.minted: dict[str, tuple[str, str]] = {}
        self.flows: dict[str, Flow] = {**cognito_flows.OPERATIONS, **cognito_auth.OPERATIONS}
        self.server = LoopbackServer("cognito-idp", self.handle, port)
        port = self.server.reserve()
        account.endpoints.set(ENDPOINT_VARIABLE, f"http://127.0.0.1:{port}")
        self._model: JsonModel | None = None
        self._model_lock = threading.Lock()

    @classmethod
    def of(cls, account: Any, **options: Any) -> CognitoIdpAPI:
        """The account's front (made on first use; the server starts when first needed)."""
        return account.extension(EXTENSION, lambda: cls(account, **options))

    @property
    def model(self) -> JsonModel:
        with self._model_lock:
            if self._model is None:
                self._model = JsonModel(SERVICE)
            return self._model

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (starts the server)."""
        _ = self.model
        return self.server.url

    def client(self, **options: Any) -> Any:
        """A boto3 ``cognito-idp`` client bound to the front, with the account's region and dummy credentials."""
        return account_client(self.account, SERVICE, self.url, **options)

    def stop(self) -> None:
        self.account.endpoints.discard(ENDPOINT_VARIABLE)
        self.server.stop()
        self.triggers.close()

    # --- the local cloud ---------------------------------------------------------------------

    def moto(self, operation: str, **params: Any) -> dict[str, Any]:
        """Call ``operation`` in the local cloud; its error as an :class:`ApiError` (same code and message)."""
        from botocore import xform_name
        from botocore.exceptions import ClientError, ParamValidationError

        client = self.account.cloud.client(SERVICE)
        try:
            answer = dict(getattr(client, xform_name(operation))(**params))
        except ClientError as exc:
            error = exc.response.get("Error", {})
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            raise ApiError(error.get("Code", "InternalErrorException"), error.get("Message", ""), status) from None
        except ParamValidationError as exc:
            raise ApiError("InvalidParameterException", str(exc).replace("\n", " ")) from None
        answer.pop("ResponseMetadata", None)
        return answer

    def pool_of_client(self, client_id: str | None) -> str | None:
        """The user pool an app client belongs to (None when the local cloud has no such client)."""
        if not client_id:
            return None
        with self.lock:
            if client_id in self._pools_of_clients:
                return self._pools_of_clients[client_id]
        for pool in self.moto("ListUserPools", MaxResults=60).get("UserPools", []):
            clients = self.moto("ListUserPoolClients", UserPoolId=pool["Id"], MaxResults=60)
            for item in clients.get("UserPoolClients", []):
                with self.lock:
                    self._pools_of_clients[item["ClientId"]] = pool["Id"]
        with self.lock:
            return self._pools_of_clients.get(client_id)

    def remember_token(self, token: str, original: str) -> None:
        """``token`` (an access token signed again) stands for moto's ``original`` from now on."""
        with self.lock:
            self._moto_tokens[token] = self._moto_tokens.get(original, original)

    def _with_moto_tokens(self, request: Request) -> Request:
        """``request`` with a rewritten ``AccessToken`` replaced by the one moto issued."""
        if b'"AccessToken"' not in request.body:
            return request
        try:
            document = json.loads(request.body)
        except ValueError:
            return request
        with self.lock:
            original = self._moto_tokens.get(str(document.get("AccessToken"))) if isinstance(document, dict) else None
        if original is None:
            return request
        document["AccessToken"] = original
        return dataclasses.replace(request, body=json.dumps(document).encode())

    def forward(self, request: Request) -> Response:
        """``request`` sent to the local cloud unchanged; its answer."""
        keep = {k: v for k, v in request.headers.items() if k not in _HOP_HEADERS and k != "host"}
        target = request.target or request.path
        outgoing = urllib.request.Request(
            self.account.cloud.endpoint().rstrip("/") + target,
            data=request.body if request.method not in ("GET", "HEAD") else None,
            headers=keep,
            method=request.method,
        )
        try:
            with urllib.request.urlopen(outgoing, timeout=60) as answer:
                status, headers, body = answer.status, answer.headers, answer.read()
        except urllib.error.HTTPError as exc:
            status, headers, body = exc.code, exc.headers, exc.read()
        kept = {k: v for k, v in headers.items() if k.lower() not in _HOP_HEADERS}
        return Response(status, kept, body)

    # --- serving ---------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        model = self.model
        request = self._with_moto_tokens(request)
        name = request.headers.get("x-amz-target", "").partition(".")[2]
        flow = self.flows.get(name) if request.method == "POST" else None
        if flow is None and name != "GetUser":
            return self.forward(request)
        try:
            if flow is None:
                return self._get_user(request)
            operation = model.operation(request)
            params = model.parse(operation, request)
            call = self._call(name, params, self._caller(request))
            if call is None:  # no triggers to run: the local cloud answers alone
                return self.forward(request)
            return model.render(operation, flow(call))
        except ApiError as exc:
            return model.error(exc)

    def _get_user(self, request: Request) -> Response:
        """``GetUser``: for a custom authentication's access token, the user moto keeps."""
        operation = self.model.operation(request)
        token = self.model.parse(operation, request).get("AccessToken")
        with self.lock:
            minted = self.minted.get(str(token))
        if minted is None:
            return self.forward(request)
        user = self.moto("AdminGetUser", UserPoolId=minted[0], Username=minted[1])
        keep = ("Username", "UserAttributes", "MFAOptions", "PreferredMfaSetting", "UserMFASettingList")
        return self.model.render(operation, {k: user[k] for k in keep if k in user})

    def _caller(self, request: Request) -> str | None:
        """The request id of the invocation whose environment signed ``request`` (None for other callers;
        sign-up and sign-in calls need no signature at all)."""
        try:
            signer = credential(
                request.headers.get("authorization"), region=self.account.settings.region, service=SERVICE
            )
        except ApiError:
            return None
        env_id = signer.environment_id
        if env_id is None:
            return None
        return next((env.request_id for env, _ in self.account.pool.environments() if env.env_id == env_id), None)

    def _call(self, name: str, params: dict[str, Any], caller_request_id: str | None) -> CognitoCall | None:
        client_id = params.get("ClientId")
        session = self.sessions.get(str(params.get("Session") or ""))
        if session is not None:
            pool_id: str | None = session["pool_id"]
        else:
            pool_id = params.get("UserPoolId") or self.pool_of_client(client_id)
        if not pool_id:
            return None
        try:
            call = CognitoCall(self, name, params, pool_id, client_id, caller_request_id)
        except ApiError:
            return None  # an unknown pool: the local cloud's own error
        if not call.config and session is None:
            return None
        return call
