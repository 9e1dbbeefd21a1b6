"""CodeCommit's API on loopback, served by the account (an account extension).

The local cloud knows only CodeCommit's repositories (moto answers ``put_file``,
``create_commit`` and the triggers with a 500), so the account serves the service
itself, as it serves Lambda's: repositories, files, commits, branches, merges,
differences and repository triggers, which call the notebook's functions when a branch
changes.  Its address is reserved when it is made and registered as
``AWS_ENDPOINT_URL_CODECOMMIT`` (every execution environment started from then on
gets it); it serves from the first connection.  The wire is the JSON protocol
(:mod:`.json_protocol`); each operation is a function of a
:class:`~.codecommit_calls.CodeCommitCall` in ``codecommit_ops``, ``codecommit_branches``
or ``codecommit_triggers``.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable
from typing import Any

from . import codecommit_branches, codecommit_ops, codecommit_triggers
from .auth import credential
from .codecommit_calls import CodeCommitCall
from .codecommit_repos import Repository
from .errors import ApiError
from .json_protocol import JsonModel
from .server import LoopbackServer, Request, Response, account_client

EXTENSION = "codecommit_api"
SERVICE = "codecommit"
#: The variable that points an SDK's CodeCommit client at this API.
ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_CODECOMMIT"

#: ``deliver(function_arn, event, *, trigger, principal, source_arn, caused_by)`` -> the
#: invocation, or None when the function is missing or its policy refuses (a counted drop).
Deliver = Callable[..., Any]


class CodeCommitAPI:
    """The account's CodeCommit server and its repositories (started on first need)."""

    def __init__(self, account: Any, *, deliver: Deliver | None = None, port: int = 0):
        self.account = account
        #: Sends a trigger's event to a function (injected from above the layer: the push sources).
        self.deliver = deliver
        self.repositories: dict[str, Repository] = {}
        self.lock = threading.RLock()
        #: Events no destination took, by (destination, trigger, reason), when not counted by ``deliver``.
        self.dropped: collections.Counter[tuple[str, str, str]] = collections.Counter()
        self.server = LoopbackServer("codecommit", self.handle, port)
        port = self.server.reserve()  # the address is known now; serving starts on first need
        account.endpoints.set(ENDPOINT_VARIABLE, f"http://127.0.0.1:{port}")
        self._model: JsonModel | None = None
        self._model_lock = threading.Lock()
        self.operations: dict[str, Callable[[CodeCommitCall], Any]] = {
            **codecommit_ops.OPERATIONS,
            **codecommit_branches.OPERATIONS,
            **codecommit_triggers.OPERATIONS,
        }

    @classmethod
    def of(cls, account: Any, **options: Any) -> CodeCommitAPI:
        """The account's CodeCommit API (made on first use; the server starts when first needed)."""
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
        _ = self.model  # load the model before the first request arrives
        return self.server.url

    def client(self, **options: Any) -> Any:
        """A boto3 ``codecommit`` client bound to this API, with the account's region and dummy credentials."""
        return account_client(self.account, SERVICE, self.url, **options)

    def repository_arn(self, name: str) -> str:
        settings = self.account.settings
        return f"arn:aws:codecommit:{settings.region}:{settings.account_id}:{name}"

    def stop(self) -> None:
        self.account.endpoints.discard(ENDPOINT_VARIABLE)
        self.server.stop()

    # --- destinations other than functions -------------------------------------------------------

    def drop(self, destination: str, trigger: str, reason: str) -> None:
        with self.lock:
            self.dropped[(destination, trigger, reason)] += 1

    def publish(self, topic_arn: str, message: str, trigger: str) -> str | None:
        """Publish a trigger's event to an SNS topic of the local cloud; None, or why it failed."""
        try:
            self.account.cloud.client("sns").publish(TopicArn=topic_arn, Message=message)
        except Exception as exc:
            self.drop(topic_arn, trigger, type(exc).__name__)
            return f"Unable to publish to {topic_arn}: {exc}"
        return None

    # --- serving ---------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        model = self.model
        try:
            operation = model.operation(request)
            signer = credential(
                request.headers.get("authorization"), region=self.account.settings.region, service=SERVICE
            )
            params = model.parse(operation, request)
            run = self.operations.get(operation.name)
            if run is None:
                raise ApiError(
                    "UnsupportedOperationException",
                    f"lambda_magic's local account does not serve CodeCommit's {operation.name}",
                )
            environment = self._caller(signer.environment_id)
            call = CodeCommitCall(
                self,
                operation.name,
                params,
                self._identity(environment),
                environment.request_id if environment is not None else None,
            )
            return model.render(operation, run(call))
        except ApiError as exc:
            return model.error(exc)

    def _caller(self, environment_id: str | None) -> Any:
        """The execution environment that signed (None for callers outside the account)."""
        if environment_id is None:
            return None
        return next((env for env, _ in self.account.pool.environments() if env.env_id == environment_id), None)

    def _identity(self, environment: Any) -> str:
        """Who pushes: a function's execution role session, or the notebook's own identity."""
        account_id = self.account.settings.account_id
        if environment is None:
            return f"arn:aws:sts::{account_id}:assumed-role/lambda_magic/local"
        name = environment.function_name
        return f"arn:aws:sts::{account_id}:assumed-role/{name}-role/{name}"
