"""A pipeline's Lambda invoke action: the function gets the ``CodePipeline.job`` event and reports
with its own boto3 ``codepipeline`` client, which reaches the account's CodePipeline API."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from botocore.config import Config

from lambda_magic.display.pipeline_job import JobView
from lambda_magic.endpoints.codepipeline import ENDPOINT_VARIABLE, CodePipelineAPI

#: Reads its input artifact with the job's artifact credentials, writes the output one, succeeds.
BUILD = """
import io, json, zipfile
import boto3


def lambda_handler(event, context):
    job = event["CodePipeline.job"]
    data = job["data"]
    creds = data["artifactCredentials"]
    s3 = boto3.client("s3", aws_access_key_id=creds["accessKeyId"],
                      aws_secret_access_key=creds["secretAccessKey"], aws_session_token=creds["sessionToken"])
    source = data["inputArtifacts"][0]["location"]["s3Location"]
    body = s3.get_object(Bucket=source["bucketName"], Key=source["objectKey"])["Body"].read()
    text = zipfile.ZipFile(io.BytesIO(body)).read("index.html").decode()
    out = data["outputArtifacts"][0]["location"]["s3Location"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.html", text.upper())
    s3.put_object(Bucket=out["bucketName"], Key=out["objectKey"], Body=buffer.getvalue())
    params = json.loads(data["actionConfiguration"]["configuration"]["UserParameters"])
    cp = boto3.client("codepipeline")
    cp.put_job_success_result(jobId=job["id"], outputVariables={"env": params["env"]},
                              executionDetails={"summary": "built " + text})
    return "ignored"
"""

FAIL = """
import boto3


def lambda_handler(event, context):
    job_id = event["CodePipeline.job"]["id"]
    boto3.client("codepipeline").put_job_failure_result(
        jobId=job_id, failureDetails={"type": "JobFailed", "message": "tests failed: 3 of 10"})
"""

#: Reports twice: the second call finds the job already done.
TWICE = """
import boto3


def lambda_handler(event, context):
    job_id = event["CodePipeline.job"]["id"]
    cp = boto3.client("codepipeline")
    cp.put_job_success_result(jobId=job_id)
    try:
        cp.put_job_success_result(jobId=job_id)
    except cp.exceptions.InvalidJobStateException as exc:
        return "second: " + exc.response["Error"]["Code"]
"""

#: Continues twice (the token counts), then succeeds.
CONTINUE = """
import json
import boto3


def lambda_handler(event, context):
    job = event["CodePipeline.job"]
    token = job["data"].get("continuationToken")
    step = json.loads(token)["step"] if token else 0
    cp = boto3.client("codepipeline")
    if step < 2:
        cp.put_job_success_result(jobId=job["id"], continuationToken=json.dumps({"step": step + 1}))
    else:
        cp.put_job_success_result(jobId=job["id"], outputVariables={"steps": str(step)})
    return token
"""

SILENT = """
def lambda_handler(event, context):
    return "CodePipeline ignores this"
"""

RAISES = """
def lambda_handler(event, context):
    raise RuntimeError("deploy broke")
"""

#: A failure type CodePipeline does not know.
BAD_TYPE = """
import boto3


def lambda_handler(event, context):
    cp = boto3.client("codepipeline")
    try:
        cp.put_job_failure_result(jobId=event["CodePipeline.job"]["id"],
                                  failureDetails={"type": "Oops", "message": "m"})
    except cp.exceptions.ValidationException as exc:
        return exc.response["Error"]["Message"]
"""


@pytest.fixture(autouse=True)
def _one_cpu(account):
    """The handlers make boto3 clients and S3 calls in the handler: at 128 MB (7 % of a CPU) that can
    outlast the 3 s timeout on a busy machine, as it could on Lambda; these tests are about the jobs."""
    account.configure(memory_mb=1769)


@pytest.fixture
def api(account):
    return CodePipelineAPI.of(account)


@pytest.fixture
def cp(api):
    return api.client(config=Config(retries={"total_max_attempts": 1}))


def run(api, function, **options) -> JobView:
    return JobView(api.run(function, **options), api)


def test_the_event_is_the_job_and_the_artifacts_are_zips_in_the_local_cloud(account, api):
    assert account.endpoints.environment()[ENDPOINT_VARIABLE] == f"http://127.0.0.1:{api.server.preferred_port}"
    account.register("build", BUILD)
    job = run(
        api,
        "build",
        user_parameters='{"env": "test"}',
        artifacts={"SourceArtifact": {"index.html": "<h1>hi</h1>"}},
        output_artifacts=["BuildArtifact"],
    ).wait(60)
    assert job.status == "Succeeded", job.history()
    assert job.output_variables == {"env": "test"}
    (event,) = job.events
    assert list(event) == ["CodePipeline.job"]
    body = event["CodePipeline.job"]
    assert body["id"] == job.id and body["accountId"] == account.settings.account_id
    data = body["data"]
    assert data["actionConfiguration"]["configuration"] == {
        "FunctionName": "build",
        "UserParameters": '{"env": "test"}',
    }
    assert "continuationToken" not in data and "pipelineContext" not in data and "actionTypeId" not in data
    assert set(data["artifactCredentials"]) == {"accessKeyId", "secretAccessKey", "sessionToken"}
    out = data["outputArtifacts"][0]["location"]["s3Location"]
    written = account.cloud.client("s3").get_object(Bucket=out["bucketName"], Key=out["objectKey"])["Body"].read()
    assert zipfile.ZipFile(io.BytesIO(written)).read("index.html") == b"<H1>HI</H1>"
    (invocation,) = job.invocations()
    assert invocation.invocation_type == "Event" and invocation.trigger == f"codepipeline:{job.id}"
    history = job.history()
    assert list(history["event"]) == ["JobCreated", "Invoke", "Invocation", "PutJobSuccessResult", "ActionSucceeded"]
    assert "built <h1>hi</h1>" in history["detail"][3]


def test_get_job_details_shows_the_pipeline_context(account, api, cp):
    account.register("quiet", SILENT)
    job = run(api, "quiet", pipeline="site", stage="Deploy", action="Publish")
    details = cp.get_job_details(jobId=job.id)["jobDetails"]
    assert details["id"] == job.id
    assert details["data"]["actionTypeId"] == {
        "category": "Invoke",
        "owner": "AWS",
        "provider": "Lambda",
        "version": "1",
    }
    context = details["data"]["pipelineContext"]
    assert (context["pipelineName"], context["stage"]["name"], context["action"]["name"]) == (
        "site",
        "Deploy",
        "Publish",
    )


def test_a_failure_result_fails_the_action_with_its_message(account, api):
    account.register("fail", FAIL)
    job = run(api, "fail").wait(60)
    assert job.status == "Failed"
    assert (job.failure_type, job.failure) == ("JobFailed", "tests failed: 3 of 10")
    assert list(job.history()["event"])[-2:] == ["PutJobFailureResult", "ActionFailed"]


def test_unknown_jobs_and_second_results_get_codepipelines_errors(account, api, cp):
    with pytest.raises(cp.exceptions.JobNotFoundException):
        cp.put_job_success_result(jobId="11111111-2222-3333-4444-555555555555")
    with pytest.raises(cp.exceptions.ValidationException):
        cp.get_job_details(jobId="not-a-job-id")
    account.register("twice", TWICE)
    job = run(api, "twice").wait(60)
    assert job.status == "Succeeded"
    assert job.invocations()[0].payload == "second: InvalidJobStateException"
    with pytest.raises(cp.exceptions.InvalidJobStateException):
        cp.put_job_failure_result(jobId=job.id, failureDetails={"type": "JobFailed", "message": "late"})


def test_a_failure_type_outside_the_enum_is_refused(account, api):
    account.register("bad", BAD_TYPE)
    job = run(api, "bad", timeout_s=60).wait(60)
    message = job.invocations()[0].payload
    assert "failureDetails.type" in message and "JobFailed" in message
    assert job.status == "Failed" and "timed out" in job.failure  # the refused call reported nothing


def test_continuation_tokens_start_new_jobs_until_the_final_success(account, api):
    account.register("long", CONTINUE)
    job = run(api, "long").wait(60)
    assert job.status == "Succeeded"
    assert len(set(job.job_ids)) == 3 and job.id == job.job_ids[0]
    tokens = [e["CodePipeline.job"]["data"].get("continuationToken") for e in job.events]
    assert tokens == [None, '{"step": 1}', '{"step": 2}']
    assert [e["CodePipeline.job"]["id"] for e in job.events] == job.job_ids
    assert job.output_variables == {"steps": "2"}
    calls = sorted(job.invocations(), key=lambda call: call.start)  # (recorded as they end: any order)
    assert len(calls) == 3 and calls[1].caller_request_id == calls[0].request_id


def test_output_variables_cannot_come_with_a_continuation_token(account, api, cp):
    account.register("quiet", SILENT)
    job = run(api, "quiet")
    with pytest.raises(cp.exceptions.ValidationException):
        cp.put_job_success_result(jobId=job.id, continuationToken="t", outputVariables={"a": "b"})
    cp.put_job_success_result(jobId=job.id)  # the notebook may answer for a job worker, too
    assert job.wait(30).status == "Succeeded"


def test_no_answer_fails_the_action_at_its_timeout_on_the_account_clock(account, api):
    account.register("quiet", SILENT)
    job = run(api, "quiet")
    assert job.status == "InProgress"
    job.wait(60)
    assert job.status == "Failed"
    assert "20 minutes passed without PutJobSuccessResult or PutJobFailureResult" in job.failure
    assert account.clock.time() >= job.execution.started + 20 * 60  # the auto clock skipped the idle wait


def test_with_the_manual_clock_the_job_waits_until_time_passes(account, api):
    account.configure(clock_mode="manual")
    account.register("quiet", SILENT)
    job = run(api, "quiet", timeout_s=300)
    account.scheduler.wait(30)  # the invocation ran; no time passed
    assert job.status == "InProgress"
    account.clock.advance(299)
    assert job.status == "InProgress"
    account.clock.advance(2)
    assert job.status == "Failed" and "5 minutes" in job.failure


def test_with_the_real_clock_the_timeout_comes_when_its_time_has_passed(account, api):
    account.configure(clock_mode="real")
    account.register("quiet", SILENT)
    job = run(api, "quiet", timeout_s=1)
    assert job.wait(60).status == "Failed" and "1 second passed" in job.failure
    assert account.clock.time() >= job.execution.jobs[0].deadline


def test_a_function_that_raises_is_retried_and_the_action_times_out(account, api):
    account.register("broken", RAISES)
    job = run(api, "broken").wait(60)
    assert job.status == "Failed" and "timed out" in job.failure
    attempts = job.invocations()
    assert [a.status for a in attempts] == ["error"] * 3
    assert json.dumps(job.history()["event"].tolist()).count("Invocation") == 3


def test_bad_arguments_are_one_line_errors(account, api):
    from lambda_magic import InvalidParameterValueException, ResourceNotFoundException

    with pytest.raises(ResourceNotFoundException):
        api.run("missing")
    account.register("quiet", SILENT)
    with pytest.raises(InvalidParameterValueException, match="user_parameters is a string"):
        api.run("quiet", user_parameters={"env": "test"})
    with pytest.raises(InvalidParameterValueException, match="zip bytes or a mapping"):
        api.run("quiet", artifacts={"SourceArtifact": 42})


def test_the_module_front_and_lm_client_reach_the_same_jobs():
    import lambda_magic as lm

    lm.reset()
    try:
        lm.register("fail", FAIL, timeout_s=30)  # boto3 at 128 MB: not always within 3 s on a busy machine
        job = lm.codepipeline.run("fail", user_parameters="{}").wait(60)
        assert job.status == "Failed" and job.failure == "tests failed: 3 of 10"
        client = lm.client("codepipeline")
        assert client.meta.endpoint_url == lm.endpoints()["codepipeline"]
        assert client.get_job_details(jobId=job.id)["jobDetails"]["id"] == job.id
        frame = lm.codepipeline.jobs()
        assert frame[["job_id", "function", "status"]].values.tolist() == [[job.id, "fail", "Failed"]]
        assert lm.invocations("fail")["trigger"].tolist() == [f"codepipeline:{job.id}"]
    finally:
        lm.reset()
        lm.account().shutdown()
