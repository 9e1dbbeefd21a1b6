"""Deploying to Lambda (a moto server on loopback): create, update only what changed, waiters, retries."""

from __future__ import annotations

import base64
import hashlib

import pytest
from botocore.exceptions import ClientError

from lambda_magic.aws.deploy import Deployer, FunctionSettings
from lambda_magic.runtime.package import DeploymentPackage

from .helpers import HANDLER, ROLE_ARN


def test_register_creates_the_function_with_awss_code_sha256(aws):
    function = aws.register("hello", HANDLER, memory_mb=256, timeout_s=10, env={"STAGE": "dev"})
    configuration = aws.client("lambda").get_function(FunctionName="hello")["Configuration"]
    package = DeploymentPackage.from_cell(HANDLER)
    assert configuration["CodeSha256"] == base64.b64encode(hashlib.sha256(package.zip_file).digest()).decode()
    assert function.code_sha256 == configuration["CodeSha256"]
    assert configuration["Handler"] == "lambda_function.lambda_handler"
    assert (configuration["MemorySize"], configuration["Timeout"]) == (256, 10)
    assert configuration["Environment"]["Variables"] == {"STAGE": "dev"}
    assert function.backend == "aws"
    assert aws.last_deployment.action == "created"


def test_the_package_is_byte_identical_for_identical_code():
    assert DeploymentPackage.from_cell(HANDLER).zip_file == DeploymentPackage.from_cell(HANDLER).zip_file


def test_registering_the_same_code_again_sends_nothing(aws):
    aws.register("hello", HANDLER)
    used = aws.guard.used
    calls = []
    aws.client("lambda").meta.events.register("before-call.lambda.*", lambda model, **kw: calls.append(model.name))
    aws.register("hello", HANDLER)
    assert calls == [] and aws.guard.used == used


def test_an_unchanged_function_from_another_kernel_is_not_uploaded(aws, moto):
    from .helpers import make_account

    aws.register("hello", HANDLER)
    other = make_account(moto)
    other.register("hello", HANDLER)
    assert other.last_deployment.action == "unchanged"


def test_new_code_updates_the_code_only_and_new_memory_the_configuration_only(aws):
    aws.register("hello", HANDLER)
    aws.register("hello", HANDLER.replace("world", "there"))
    assert aws.last_deployment.steps == ["UpdateFunctionCode"]
    aws.register("hello", HANDLER.replace("world", "there"), memory_mb=512)
    assert aws.last_deployment.steps == ["UpdateFunctionConfiguration"]
    assert aws.client("lambda").get_function_configuration(FunctionName="hello")["MemorySize"] == 512


def _inject(client, operation: str, code: str, message: str, times: int) -> list[str]:
    """Answer ``operation`` with an AWS error ``times`` times (before moto sees it), then let it through."""
    seen: list[str] = []

    def answer(**kw):
        if len(seen) < times:
            seen.append(code)
            return (
                type("R", (), {"status_code": 409, "headers": {}})(),
                {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": 409}},
            )
        return None

    client.meta.events.register(f"before-call.lambda.{operation}", answer)
    return seen


def test_a_conflicting_update_is_retried(aws):
    aws.register("hello", HANDLER)
    seen = _inject(aws.client("lambda"), "UpdateFunctionCode", "ResourceConflictException", "update in progress", 2)
    aws.register("hello", HANDLER.replace("world", "you"))
    assert seen == ["ResourceConflictException"] * 2
    assert (
        aws.get_function("hello").code_sha256
        == DeploymentPackage.from_cell(HANDLER.replace("world", "you")).code_sha256
    )


def test_a_role_not_yet_propagated_is_retried(aws):
    seen = _inject(
        aws.client("lambda"),
        "CreateFunction",
        "InvalidParameterValueException",
        "The role defined for the function cannot be assumed by Lambda.",
        1,
    )
    aws.register("hello", HANDLER)
    assert seen == ["InvalidParameterValueException"]
    assert aws.get_function("hello").name == "hello"


def test_other_errors_are_not_retried(aws):
    seen = _inject(aws.client("lambda"), "CreateFunction", "AccessDeniedException", "no", 5)
    with pytest.raises(Exception, match="AccessDeniedException: no"):
        aws.register("hello", HANDLER)
    assert seen == ["AccessDeniedException"]


def test_the_update_waits_until_the_last_update_is_done(aws):
    aws.register("hello", HANDLER)
    lam = aws.client("lambda")
    states = iter(["InProgress", "InProgress"])

    def in_progress(http_response, parsed, **kw):
        state = next(states, None)
        if state is not None:
            parsed["Configuration"]["LastUpdateStatus"] = state

    lam.meta.events.register("after-call.lambda.GetFunction", in_progress)
    polled = []
    lam.meta.events.register("before-call.lambda.GetFunction", lambda **kw: polled.append(1))
    deployer = Deployer(lam, waiter_delay_s=0)
    settings = FunctionSettings(
        role=ROLE_ARN, handler="lambda_function.lambda_handler", runtime="python3.12", memory_mb=128, timeout_s=3
    )
    deployer.deploy("hello", DeploymentPackage.from_cell(HANDLER + "# new\n"), settings)
    assert len(polled) >= 4  # current, two InProgress answers, then Successful (and the final wait)


def test_create_role_makes_the_execution_role_with_basic_execution(moto):
    from .helpers import make_account

    account = make_account(moto, role=None, create_role=True)
    function = account.register("hello", HANDLER)
    iam = account.client("iam")
    attached = iam.list_attached_role_policies(RoleName="lambda-magic-execution")["AttachedPolicies"]
    assert "AWSLambdaBasicExecutionRole" in [p["PolicyName"] for p in attached]  # (IAM is global: other tests add)
    assert (
        account.client("lambda")
        .get_function(FunctionName=function.name)["Configuration"]["Role"]
        .endswith("role/lambda-magic-execution")
    )


def test_without_a_role_the_error_says_how_to_give_one(moto):
    from .helpers import make_account

    with pytest.raises(Exception, match="needs an execution role"):
        make_account(moto, role=None).register("hello", HANDLER)


def test_delete_removes_the_function(aws):
    aws.register("hello", HANDLER)
    assert aws.delete_function("hello") == ["function hello"]
    with pytest.raises(ClientError):
        aws.client("lambda").get_function(FunctionName="hello")


def test_the_package_of_a_function_deployed_elsewhere_is_not_made_up(aws, moto):
    from .helpers import make_account

    aws.register("hello", HANDLER)
    assert aws.get_function("hello").deployment_package == DeploymentPackage.from_cell(HANDLER)
    with pytest.raises(Exception, match="not deployed from this kernel"):
        make_account(moto).get_function("hello").deployment_package  # noqa: B018
