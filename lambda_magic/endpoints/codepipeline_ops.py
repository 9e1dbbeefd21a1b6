"""CodePipeline's job calls: ``PutJobSuccessResult``, ``PutJobFailureResult`` and ``GetJobDetails``,
with AWS's error codes (``JobNotFoundException``, ``InvalidJobStateException``, ``ValidationException``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .codepipeline_jobs import FAILED, FAILURE_TYPES, IN_PROGRESS, SUCCEEDED, Job
from .errors import ApiError

if TYPE_CHECKING:
    from .codepipeline import CodePipelineAPI

_JOB_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_VARIABLE_NAME = re.compile(r"[A-Za-z0-9@\-_]+")
#: "The total size of all output variables is limited to 122,880 characters" (CodePipeline quotas).
OUTPUT_VARIABLES_MAX_CHARS = 122_880


@dataclass
class JobCall:
    """One call's parameters, the API serving it, and the invocation whose environment signed."""

    api: CodePipelineAPI
    operation: str
    params: dict[str, Any]
    caller_request_id: str | None = None

    def now(self) -> float:
        return float(self.api.account.clock.time())

    def job(self, *, open_only: bool) -> Job:
        """The job ``jobId`` names; when ``open_only``, still waiting for its result."""
        job_id = self.params.get("jobId")
        if not isinstance(job_id, str) or not job_id:
            raise _validation("jobId", job_id, "Member must not be null")
        if not _JOB_ID.fullmatch(job_id):
            raise _validation("jobId", job_id, f"Member must satisfy regular expression pattern: {_JOB_ID.pattern}")
        with self.api.lock:
            job = self.api.jobs.get(job_id)
        if job is None:
            raise ApiError("JobNotFoundException", f"Job {job_id} not found")
        if open_only and job.state != IN_PROGRESS:
            raise ApiError("InvalidJobStateException", f"Job {job_id} is in state {job.state}")
        return job


def _validation(member: str, value: Any, constraint: str) -> ApiError:
    """AWS's one-line validation error for one member."""
    return ApiError(
        "ValidationException",
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {constraint}",
    )


def put_job_success_result(call: JobCall) -> None:
    token = call.params.get("continuationToken")
    variables = call.params.get("outputVariables")
    if token is not None and variables:
        raise ApiError(
            "ValidationException", "outputVariables can be included only when there is no continuation token"
        )
    for name in variables or {}:
        if not _VARIABLE_NAME.fullmatch(name):
            raise _validation(
                "outputVariables", name, f"Member must satisfy regular expression pattern: {_VARIABLE_NAME.pattern}"
            )
    if variables and sum(len(k) + len(str(v)) for k, v in variables.items()) > OUTPUT_VARIABLES_MAX_CHARS:
        raise ApiError("OutputVariablesSizeExceededException", "Exceeded the total size limit for all variables")
    job = call.job(open_only=True)
    execution = job.action
    now = call.now()
    with execution.changed:
        if job.state != IN_PROGRESS:
            raise ApiError("InvalidJobStateException", f"Job {job.id} is in state {job.state}")
        job.state = SUCCEEDED
        if call.params.get("executionDetails") is not None:
            execution.execution_details = dict(call.params["executionDetails"])
        if call.params.get("currentRevision") is not None:
            execution.current_revision = dict(call.params["currentRevision"])
        if token is None:
            execution.status = SUCCEEDED
            execution.output_variables = {str(k): str(v) for k, v in (variables or {}).items()}
    summary = (execution.execution_details or {}).get("summary") if call.params.get("executionDetails") else None
    if token is None:
        shown = ", ".join(f"{k}={v}" for k, v in execution.output_variables.items())
        detail = f"outputVariables {shown}" if shown else ""
        execution.note(now, job.id, "PutJobSuccessResult", _join(detail, summary), call.caller_request_id)
        execution.note(now, job.id, "ActionSucceeded")
    else:
        execution.note(
            now, job.id, "PutJobSuccessResult", _join(f"continuationToken {token}", summary), call.caller_request_id
        )
        call.api.start_job(execution, token, caused_by=call.caller_request_id)


def put_job_failure_result(call: JobCall) -> None:
    failure = call.params.get("failureDetails")
    if not isinstance(failure, dict):
        raise _validation("failureDetails", None, "Member must not be null")
    kind, message = failure.get("type"), failure.get("message")
    if kind not in FAILURE_TYPES:
        raise _validation(
            "failureDetails.type", kind, f"Member must satisfy enum value set: [{', '.join(FAILURE_TYPES)}]"
        )
    if not isinstance(message, str) or not message:
        raise _validation("failureDetails.message", message, "Member must have length greater than or equal to 1")
    if len(message) > 5000:
        raise _validation(
            "failureDetails.message", message[:20] + "...", "Member must have length less than or equal to 5000"
        )
    job = call.job(open_only=True)
    execution = job.action
    with execution.changed:
        if job.state != IN_PROGRESS:
            raise ApiError("InvalidJobStateException", f"Job {job.id} is in state {job.state}")
        job.state = FAILED
        execution.status = FAILED
        execution.failure = {"type": kind, "message": message}
    execution.note(call.now(), job.id, "PutJobFailureResult", f"{kind}: {message}", call.caller_request_id)
    execution.note(call.now(), job.id, "ActionFailed", message)


def get_job_details(call: JobCall) -> dict[str, Any]:
    return {"jobDetails": call.job(open_only=False).details()}


def _join(*parts: str | None) -> str:
    return "; ".join(p for p in parts if p)


OPERATIONS: dict[str, Callable[[JobCall], Any]] = {
    "PutJobSuccessResult": put_job_success_result,
    "PutJobFailureResult": put_job_failure_result,
    "GetJobDetails": get_job_details,
}
