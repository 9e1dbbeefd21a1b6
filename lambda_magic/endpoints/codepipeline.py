"""CodePipeline's job API on loopback, and the Lambda invoke action that uses it (an account extension).

CodePipeline invokes the action's function asynchronously with a ``CodePipeline.job``
event and ignores what it returns: the function reports through
``PutJobSuccessResult`` (with a ``continuationToken``: run again as a new job) or
``PutJobFailureResult``.  The local cloud has no jobs, so the account serves these
calls itself (and ``GetJobDetails``), on the JSON protocol (:mod:`.json_protocol`).
Its address is registered as ``AWS_ENDPOINT_URL_CODEPIPELINE`` when it is made, so every
environment started from then on reaches it.  A job not answered within the action's
timeout (20 minutes, on the account clock) fails the action: with the ``auto`` and
``manual`` clocks, ``account.wait()`` moves the clock to that timeout once nothing else
is left to run, as it does for every timer work waits on.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..common.errors import InvalidParameterValueException
from . import codepipeline_ops
from .auth import credential
from .codepipeline_jobs import (
    ACTION_TIMEOUT_S,
    FAILED,
    IN_PROGRESS,
    JOB_TIMEOUT_S,
    ActionExecution,
    ArtifactLocation,
    Job,
    artifact_key,
    artifact_zip,
    check_names,
    temporary_credentials,
)
from .errors import ApiError
from .json_protocol import JsonModel
from .server import LoopbackServer, Request, Response, account_client

EXTENSION = "codepipeline_api"
SERVICE = "codepipeline"
#: The variable that points an SDK's CodePipeline client at this API.
ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_CODEPIPELINE"
#: The label of the invocations CodePipeline makes (``codepipeline:JOB_ID``).
TRIGGER = "codepipeline"


class CodePipelineAPI:
    """The account's CodePipeline job server, its actions and their jobs."""

    def __init__(self, account: Any, *, port: int = 0):
        self.account = account
        self.actions: list[ActionExecution] = []
        self.jobs: dict[str, Job] = {}
        self.lock = threading.RLock()
        self.server = LoopbackServer("codepipeline", self.handle, port)
        port = self.server.reserve()
        account.endpoints.set(ENDPOINT_VARIABLE, f"http://127.0.0.1:{port}")
        self._model: JsonModel | None = None
        self._model_lock = threading.Lock()
        self.operations: dict[str, Callable[[codepipeline_ops.JobCall], Any]] = dict(codepipeline_ops.OPERATIONS)

    @classmethod
    def of(cls, account: Any, **options: Any) -> CodePipelineAPI:
        """The account's CodePipeline API (made on first use; the server starts when first needed)."""
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
        """A boto3 ``codepipeline`` client bound to this API."""
        return account_client(self.account, SERVICE, self.url, **options)

    def stop(self) -> None:
        self.account.endpoints.discard(ENDPOINT_VARIABLE)
        self.server.stop()
        with self.lock:
            actions = list(self.actions)
        for action in actions:
            with action.changed:
                action.stopped = True
                action.changed.notify_all()

    # --- running the action ----------------------------------------------------------------------

    def run(
        self,
        function: str,
        *,
        user_parameters: str | None = None,
        artifacts: Mapping[str, Any] | None = None,
        output_artifacts: Sequence[str] = (),
        pipeline: str = "lambda-magic-pipeline",
        stage: str = "Invoke",
        action: str = "Lambda",
        timeout_s: float = JOB_TIMEOUT_S,
    ) -> ActionExecution:
        """Run a Lambda invoke action: put the input ``artifacts`` (name -> zip bytes or
        ``{path: content}``) in the artifact bucket, then invoke ``function`` asynchronously
        with the first job; ``timeout_s`` is how long a job waits for its result."""
        acc = self.account
        fn = acc.get_function(function)  # ResourceNotFoundException for a missing function
        if user_parameters is not None and not isinstance(user_parameters, str):
            raise InvalidParameterValueException(
                "user_parameters is a string (CodePipeline passes it as it is; json.dumps a dict first)"
            )
        if isinstance(timeout_s, bool) or not isinstance(timeout_s, (int, float)) or timeout_s <= 0:
            raise InvalidParameterValueException(f"timeout_s must be a positive number of seconds, got {timeout_s!r}")
        given = dict(artifacts or {})
        check_names(list(given), "input")
        check_names(list(output_artifacts), "output")
        zips = {name: artifact_zip(name, content) for name, content in given.items()}
        settings = acc.settings
        bucket = f"codepipeline-{settings.region}-{settings.account_id}"
        if zips or output_artifacts:
            s3 = acc.cloud.client("s3")
            try:
                if settings.region == "us-east-1":
                    s3.create_bucket(Bucket=bucket)
                else:
                    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": settings.region})
            except s3.exceptions.BucketAlreadyOwnedByYou:
                pass
        inputs = []
        for name, body in zips.items():
            location = ArtifactLocation(name, bucket, artifact_key(pipeline, name), uuid.uuid4().hex[:32])
            put = acc.cloud.client("s3").put_object(Bucket=bucket, Key=location.key, Body=body)
            location.revision = str(put.get("VersionId") or location.revision)
            inputs.append(location)
        outputs = [ArtifactLocation(name, bucket, artifact_key(pipeline, name)) for name in output_artifacts]
        now = acc.clock.time()
        execution = ActionExecution(
            id=str(uuid.uuid4()),
            pipeline=pipeline,
            stage=stage,
            action=action,
            function=fn.name,
            user_parameters=user_parameters,
            account_id=settings.account_id,
            region=settings.region,
            inputs=inputs,
            outputs=outputs,
            started=now,
            timeout_s=float(timeout_s),
        )
        with self.lock:
            self.actions.append(execution)
        self.start_job(execution, None)
        return execution

    def start_job(self, execution: ActionExecution, token: str | None, caused_by: str | None = None) -> Job:
        """Make the action's next job and invoke the function with it (asynchronously)."""
        now = self.account.clock.time()
        deadline = min(now + execution.timeout_s, execution.started + execution.max_duration_s)
        job = Job(str(uuid.uuid4()), execution, execution.job_data(token, temporary_credentials()), now, deadline)
        with self.lock:
            self.jobs[job.id] = job
            execution.jobs.append(job)
        detail = "continuation" if token is not None else "first job"
        execution.note(now, job.id, "JobCreated", detail)
        self.account.scheduler.call_at(deadline, lambda: self.expire(job), work=False)
        invocation = self.account.invoke(
            execution.function,
            job.event,
            invocation_type="Event",
            trigger=f"{TRIGGER}:{job.id}",
            caller_request_id=caused_by,
        )
        job.request_id = invocation.request_id
        execution.note(now, job.id, "Invoke", f"{execution.function} (asynchronous)", invocation.request_id)
        return job

    def expire(self, job: Job) -> bool:
        """Fail the job's action when its result did not come in time; True if it did now."""
        execution = job.action
        now = self.account.clock.time()
        with execution.changed:
            if job.state != IN_PROGRESS or now < job.deadline:
                return False
            job.state = FAILED
            execution.status = FAILED
            whole = job.deadline >= execution.started + execution.max_duration_s
            limit = execution.max_duration_s if whole else execution.timeout_s
            message = (
                f"The action timed out: {_duration(limit)} passed without PutJobSuccessResult or "
                f"PutJobFailureResult for job {job.id}"
            )
            execution.failure = {"type": "JobFailed", "message": message}
        execution.note(now, job.id, "TimedOut", message)
        return True

    def settle(self) -> bool:
        """With the ``auto`` or ``manual`` clock, once nothing runs: move the clock to the first
        job timeout and fail its action (True when one failed, so that ``wait`` looks again)."""
        clock = self.account.clock
        if clock.mode not in ("auto", "manual"):
            return False
        with self.lock:
            waiting = [job for job in self.jobs.values() if job.state == IN_PROGRESS]
        if not waiting:
            return False
        first = min(waiting, key=lambda job: job.deadline)
        clock.jump_to(first.deadline)
        return any([self.expire(job) for job in waiting])

    def executions(self) -> list[ActionExecution]:
        with self.lock:
            return list(self.actions)

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
                    f"lambda_magic's local account serves CodePipeline's job calls only "
                    f"({', '.join(sorted(self.operations))}), not {operation.name}",
                )
            environment = self._caller(signer.environment_id)
            call = codepipeline_ops.JobCall(
                self, operation.name, params, environment.request_id if environment is not None else None
            )
            return model.render(operation, run(call))
        except ApiError as exc:
            return model.error(exc)

    def _caller(self, environment_id: str | None) -> Any:
        if environment_id is None:
            return None
        return next((env for env, _ in self.account.pool.environments() if env.env_id == environment_id), None)


def _duration(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        hours = int(seconds // 3600)
        return f"{hours} hour{'s' if hours > 1 else ''}"
    if seconds >= 60 and seconds % 60 == 0:
        minutes = int(seconds // 60)
        return f"{minutes} minute{'s' if minutes > 1 else ''}"
    return "1 second" if seconds == 1 else f"{seconds:g} seconds"


__all__ = ["ACTION_TIMEOUT_S", "ENDPOINT_VARIABLE", "JOB_TIMEOUT_S", "CodePipelineAPI"]
