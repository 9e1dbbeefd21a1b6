"""A pipeline's Lambda invoke action and its jobs: the state CodePipeline keeps while a function works.

One :class:`ActionExecution` is one run of the action.  It starts with one job; each
``PutJobSuccessResult`` with a ``continuationToken`` ends that job and starts another
(a new job id, the token in its data), until a success without a token, a
``PutJobFailureResult`` or the timeout ends the action.  CodePipeline waits
:data:`JOB_TIMEOUT_S` (20 minutes) for each job's answer and gives the action
:data:`ACTION_TIMEOUT_S` (24 hours) in all, on the account clock.
"""

from __future__ import annotations

import io
import random
import string
import threading
import uuid
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..common.errors import InvalidParameterValueException

#: "If the Lambda function has sent no reply after 20 minutes, the action times out" (CodePipeline quotas).
JOB_TIMEOUT_S = 20 * 60
#: "If not successful after 24 hours, CodePipeline sets the Lambda invoke action state to failed."
ACTION_TIMEOUT_S = 24 * 60 * 60
#: The action's statuses, as ``GetPipelineState`` names them.
IN_PROGRESS, SUCCEEDED, FAILED = "InProgress", "Succeeded", "Failed"
FAILURE_TYPES = (
    "JobFailed",
    "ConfigurationError",
    "PermissionError",
    "RevisionOutOfSync",
    "RevisionUnavailable",
    "SystemUnavailable",
)
ACTION_TYPE_ID = {"category": "Invoke", "owner": "AWS", "provider": "Lambda", "version": "1"}


@dataclass
class HistoryEntry:
    """One thing that happened to an action: a job made, a result call, the end."""

    time: float
    job_id: str
    what: str
    detail: str = ""
    request_id: str | None = None


@dataclass
class Job:
    """One job of an action: the data its function is invoked with, and its state."""

    id: str
    action: ActionExecution
    data: dict[str, Any]
    created: float
    deadline: float
    #: ``InProgress`` until a result call (``Succeeded`` or ``Failed``) or the timeout (``Failed``).
    state: str = IN_PROGRESS
    #: The request id of the asynchronous invocation CodePipeline made for this job.
    request_id: str | None = None

    @property
    def event(self) -> dict[str, Any]:
        """The Lambda event: ``{"CodePipeline.job": {id, accountId, data}}`` (data without
        ``actionTypeId`` and ``pipelineContext``, which only ``GetJobDetails`` shows)."""
        data = {k: v for k, v in self.data.items() if k not in ("actionTypeId", "pipelineContext")}
        return {"CodePipeline.job": {"id": self.id, "accountId": self.action.account_id, "data": data}}

    def details(self) -> dict[str, Any]:
        """``GetJobDetails``'s ``jobDetails``."""
        return {"id": self.id, "data": self.data, "accountId": self.action.account_id}


@dataclass
class ArtifactLocation:
    """An artifact in the pipeline's artifact bucket."""

    name: str
    bucket: str
    key: str
    revision: str | None = None

    def artifact(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "revision": self.revision,
            "location": {"type": "S3", "s3Location": {"bucketName": self.bucket, "objectKey": self.key}},
        }


@dataclass
class ActionExecution:
    """One run of a Lambda invoke action (``pipeline`` / ``stage`` / ``action``) and its jobs."""

    id: str
    pipeline: str
    stage: str
    action: str
    function: str
    user_parameters: str | None
    account_id: str
    region: str
    inputs: list[ArtifactLocation]
    outputs: list[ArtifactLocation]
    started: float
    timeout_s: float
    max_duration_s: float = ACTION_TIMEOUT_S
    status: str = IN_PROGRESS
    #: ``{"type", "message"}`` once the action failed.
    failure: dict[str, str] | None = None
    output_variables: dict[str, str] = field(default_factory=dict)
    execution_details: dict[str, Any] | None = None
    current_revision: dict[str, Any] | None = None
    jobs: list[Job] = field(default_factory=list)
    entries: list[HistoryEntry] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition, repr=False)
    #: True once the account's CodePipeline API stopped (a reset): nothing will answer any more.
    stopped: bool = False

    @property
    def pipeline_execution_id(self) -> str:
        return self.id

    @property
    def current(self) -> Job | None:
        return self.jobs[-1] if self.jobs else None

    @property
    def failure_message(self) -> str | None:
        return self.failure["message"] if self.failure else None

    def note(self, time: float, job_id: str, what: str, detail: str = "", request_id: str | None = None) -> None:
        with self.changed:
            self.entries.append(HistoryEntry(time, job_id, what, detail, request_id))
            self.changed.notify_all()

    def job_data(self, continuation_token: str | None, credentials: Mapping[str, str]) -> dict[str, Any]:
        """A job's ``JobData`` as ``GetJobDetails`` shows it."""
        configuration: dict[str, str] = {"FunctionName": self.function}
        if self.user_parameters is not None:
            configuration["UserParameters"] = self.user_parameters
        data: dict[str, Any] = {
            "actionTypeId": dict(ACTION_TYPE_ID),
            "actionConfiguration": {"configuration": configuration},
            "pipelineContext": {
                "pipelineName": self.pipeline,
                "stage": {"name": self.stage},
                "action": {"name": self.action, "actionExecutionId": str(uuid.uuid4())},
                "pipelineArn": f"arn:aws:codepipeline:{self.region}:{self.account_id}:{self.pipeline}",
                "pipelineExecutionId": self.pipeline_execution_id,
            },
            "inputArtifacts": [a.artifact() for a in self.inputs],
            "outputArtifacts": [a.artifact() for a in self.outputs],
            "artifactCredentials": dict(credentials),
        }
        if continuation_token is not None:
            data["continuationToken"] = continuation_token
        return data

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until the action is no longer in progress (False when ``timeout_s`` real seconds passed)."""
        import time

        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        with self.changed:
            while self.status == IN_PROGRESS and not self.stopped:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self.changed.wait(0.2 if remaining is None else min(remaining, 0.2))
            return self.status != IN_PROGRESS


def temporary_credentials() -> dict[str, str]:
    """Artifact credentials shaped as STS's (the local cloud accepts any)."""
    rand = random.SystemRandom()
    alphabet = string.ascii_letters + string.digits + "+/"
    return {
        "accessKeyId": "ASIA" + "".join(rand.choices(string.ascii_uppercase + string.digits, k=16)),
        "secretAccessKey": "".join(rand.choices(alphabet, k=40)),
        "sessionToken": "".join(rand.choices(alphabet, k=356)),
    }


def artifact_key(pipeline: str, name: str) -> str:
    """Where CodePipeline stores an artifact: ``PIPELINE/ARTIFACT/xxxxxxx`` (names cut to 20 characters)."""
    suffix = "".join(random.SystemRandom().choices(string.ascii_letters + string.digits, k=7))
    return f"{pipeline[:20]}/{name[:20]}/{suffix}"


def artifact_zip(name: str, content: Any) -> bytes:
    """An input artifact's zip: zip bytes as they are, or ``{path: text or bytes}`` zipped."""
    if isinstance(content, (bytes, bytearray)) and bytes(content[:4]) == b"PK\x03\x04":
        return bytes(content)
    if not isinstance(content, Mapping):
        raise InvalidParameterValueException(
            f"artifact {name!r}: give zip bytes or a mapping of file path to content, "
            f"e.g. {{'index.html': '<h1>hi</h1>'}}, not {type(content).__name__}"
        )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, body in content.items():
            archive.writestr(str(path), body.encode() if isinstance(body, str) else bytes(body))
    return buffer.getvalue()


def check_names(names: Sequence[str], what: str) -> list[str]:
    """Artifact names as CodePipeline allows them (1-100 of ``[A-Za-z0-9_-]``, at most 5, no repeats)."""
    import re

    found = list(names)
    if len(found) > 5:
        raise InvalidParameterValueException(f"a Lambda invoke action takes at most 5 {what} artifacts")
    for name in found:
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_\-]{1,100}", name):
            raise InvalidParameterValueException(f"artifact name {name!r}: 1-100 letters, digits, '_' or '-'")
    if len(set(found)) != len(found):
        raise InvalidParameterValueException(f"{what} artifact names must be unique")
    return found
