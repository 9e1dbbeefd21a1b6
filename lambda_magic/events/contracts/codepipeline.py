"""CodePipeline Lambda invoke actions: the ``PutJobSuccessResult`` or ``PutJobFailureResult`` call.

CodePipeline invokes the function asynchronously and ignores its return
value; the action ends only when the function reports the job's result (or
times out).  The calls the function made are checked when the caller passes
them as ``service_calls``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._common import Verdict, _and_more, _Call, _failure, _short, _verdict

_JOB_TIMEOUT_S = 20 * 60
_FAILURE_TYPES = (
    "JobFailed",
    "ConfigurationError",
    "PermissionError",
    "RevisionOutOfSync",
    "RevisionUnavailable",
    "SystemUnavailable",
)


def _operation(name: str) -> str:
    return name.replace("_", "").lower()


def _check_codepipeline(call: _Call) -> Verdict:
    """CodePipeline Lambda invoke action (event-catalog §C.13, §D.6; callers §5.2).

    The return value is ignored: the function must call
    ``PutJobSuccessResult`` or ``PutJobFailureResult`` with the job's id.
    Pass the calls it made as ``service_calls`` (``(operation, params)``
    pairs, boto3 or API spelling) to check them.

    Details: ``job_id``, ``checked``, ``action_status`` (``Succeeded``,
    ``Failed``, ``InProgress`` or ``None`` when unchecked), ``timeout_s``,
    ``continuation`` (a new job follows).
    """
    source = "CodePipeline Lambda invoke action"
    job = call.event.get("CodePipeline.job")
    job_id = job.get("id") if isinstance(job, Mapping) else None
    times_out = f"times out after {_JOB_TIMEOUT_S // 60} minutes"
    hang = f"without one the action hangs until it {times_out} and fails"
    details: dict[str, Any] = {
        "job_id": job_id,
        "checked": call.service_calls is not None,
        "action_status": None,
        "timeout_s": _JOB_TIMEOUT_S,
        "continuation": False,
    }
    if call.function_error:
        reason = _failure(call)
        details["action_status"] = "Failed"
        summary = (
            f"Lambda retries the asynchronous invoke twice; the action does not fail at once but hangs until it "
            f"{times_out}: {reason}"
        )
        return _verdict(source, summary, details, [reason])
    must = f"the function must call PutJobSuccessResult or PutJobFailureResult with jobId {job_id!r}"
    if call.service_calls is None:
        summary = f"CodePipeline ignores the return value: {must}; {hang}"
        return _verdict(source, summary, details)
    problems: list[str] = []
    results = [
        (op, params)
        for op, params in call.service_calls
        if _operation(op) in ("putjobsuccessresult", "putjobfailureresult")
    ]
    if not results:
        problems.append(f"no PutJobSuccessResult or PutJobFailureResult call; {hang}")
        details["action_status"] = "Failed"
        return _verdict(source, f"CodePipeline gets no result: {must}; {hang}", details, problems)
    if len(results) > 1:
        problems.append(f"{len(results)} result calls for one job; CodePipeline rejects every call after the first")
    op, params = results[0]
    params = params if isinstance(params, Mapping) else {}
    if params.get("jobId") != job_id:
        problems.append(f"jobId {params.get('jobId')!r} is not this job's id {job_id!r}")
    if _operation(op) == "putjobfailureresult":
        failure = params.get("failureDetails")
        if not isinstance(failure, Mapping):
            problems.append("PutJobFailureResult needs failureDetails {type, message}")
        else:
            if failure.get("type") not in _FAILURE_TYPES:
                problems.append(
                    f"failureDetails.type must be one of {', '.join(_FAILURE_TYPES)}, got {failure.get('type')!r}"
                )
            if not isinstance(failure.get("message"), str):
                problems.append("failureDetails.message must be a string")
        details["action_status"] = "Failed"
        summary = "the action fails"
        if isinstance(failure, Mapping):
            summary += f" with message {_short(str(failure.get('message')))}"
    elif params.get("continuationToken"):
        details.update(action_status="InProgress", continuation=True)
        summary = (
            "the action stays in progress: "
            "CodePipeline invokes the function again with a new job and the continuationToken"
        )
        if params.get("outputVariables"):
            problems.append("outputVariables can be sent only with the final success, not with a continuationToken")
    else:
        details["action_status"] = "Succeeded"
        summary = "the action succeeds"
    if problems and any("jobId" in p for p in problems):
        details["action_status"] = "Failed"
        summary = f"CodePipeline does not accept the result: {_and_more(problems)}; {hang}"
    elif problems:
        summary += f", but: {_and_more(problems)}"
    return _verdict(source, summary, details, problems)
