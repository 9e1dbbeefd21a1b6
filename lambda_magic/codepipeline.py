"""``lm.codepipeline``: a pipeline's Lambda invoke action, run against the default account.

``lm.codepipeline.run("deploy", user_parameters='{"env": "test"}', artifacts={"SourceArtifact":
{"index.html": "<h1>hi</h1>"}})`` invokes ``deploy`` asynchronously with a ``CodePipeline.job``
event and returns the job: ``.status`` (``InProgress``, ``Succeeded``, ``Failed``), ``.wait()``,
``.history()``.  The handler reports with boto3's ``codepipeline`` client, which reaches the
account's CodePipeline API (``AWS_ENDPOINT_URL_CODEPIPELINE``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .runtime.account import LocalAccount

#: CodePipeline waits this long for a job's result (20 minutes), on the account clock.
JOB_TIMEOUT_S = 20 * 60


def api(acc: LocalAccount | None = None, port: int = 0) -> Any:
    """The account's CodePipeline API (an account extension, made on first use)."""
    from .endpoints.codepipeline import CodePipelineAPI

    if acc is None:
        from .api import account

        acc = account()
    return CodePipelineAPI.of(acc, port=port)


def run(
    function: str,
    *,
    user_parameters: str | None = None,
    artifacts: Mapping[str, Any] | None = None,
    output_artifacts: Sequence[str] = (),
    pipeline: str = "lambda-magic-pipeline",
    stage: str = "Invoke",
    action: str = "Lambda",
    timeout_s: float = JOB_TIMEOUT_S,
) -> Any:
    """Run a Lambda invoke action of ``pipeline`` with ``function``: the input ``artifacts``
    (name -> zip bytes, or ``{path: content}`` to zip) go to the artifact bucket of the local
    cloud, ``output_artifacts`` get locations there, and the function is invoked
    asynchronously with the job.  ``timeout_s``: how long each job waits for
    ``PutJobSuccessResult`` / ``PutJobFailureResult`` before the action fails (AWS: 20 minutes)."""
    from .display.pipeline_job import JobView

    execution = api().run(
        function,
        user_parameters=user_parameters,
        artifacts=artifacts,
        output_artifacts=output_artifacts,
        pipeline=pipeline,
        stage=stage,
        action=action,
        timeout_s=timeout_s,
    )
    return JobView(execution, api())


def jobs() -> Any:
    """Every action run so far, one row each: first job id, function, status, jobs, failure."""
    from .display.pipeline_job import executions_frame

    return executions_frame(api().executions())
