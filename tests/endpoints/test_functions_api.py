"""The control plane for functions and versions, through boto3."""

from __future__ import annotations

import base64
import hashlib
import io
import urllib.request
import zipfile

import pytest

from .conftest import ECHO


def test_get_function_configuration_reports_the_registered_function(account, client):
    account.register("echo", ECHO, memory_mb=256, timeout_s=9, env={"STAGE": "dev"}, description="demo")
    config = client.get_function_configuration(FunctionName="echo")
    function = account.get_function("echo")
    assert config["FunctionArn"] == function.arn
    assert (config["MemorySize"], config["Timeout"], config["Description"]) == (256, 9, "demo")
    assert config["Handler"] == "lambda_function.lambda_handler"
    assert config["Runtime"] == function.config.runtime
    assert config["Environment"] == {"Variables": {"STAGE": "dev"}}
    assert config["CodeSha256"] == function.code_sha256
    assert (config["State"], config["LastUpdateStatus"], config["Version"]) == ("Active", "Successful", "$LATEST")
    assert config["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": "/aws/lambda/echo"}
    assert config["LastModified"].endswith("+0000")


def test_get_function_serves_the_deployment_package(account, client):
    account.register("echo", ECHO)
    answer = client.get_function(FunctionName="echo")
    assert answer["Configuration"]["FunctionName"] == "echo"
    assert answer["Code"]["RepositoryType"] == "S3"
    location = answer["Code"]["Location"]
    assert location.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(location) as response:
        package = response.read()
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        assert archive.read("lambda_function.py").decode() == ECHO


def test_waiters_see_an_active_updated_function(account, client):
    account.register("echo", ECHO)
    client.get_waiter("function_exists").wait(FunctionName="echo")
    client.get_waiter("function_active_v2").wait(FunctionName="echo")
    client.get_waiter("function_updated_v2").wait(FunctionName="echo")


def test_unknown_function_is_not_found(client):
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_function(FunctionName="nope")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_function_configuration(FunctionName="nope")


def test_list_functions_pages_with_marker_and_max_items(account, client):
    names = [f"fn-{i:02d}" for i in range(7)]
    for name in names:
        account.register(name, ECHO)
    seen, marker, pages = [], None, 0
    while True:
        answer = client.list_functions(MaxItems=3, **({"Marker": marker} if marker else {}))
        seen += [f["FunctionName"] for f in answer["Functions"]]
        pages += 1
        marker = answer.get("NextMarker")
        if not marker:
            break
    assert (seen, pages) == (names, 3)
    assert [
        f["FunctionName"] for f in client.get_paginator("list_functions").paginate().build_full_result()["Functions"]
    ] == names


def test_list_functions_all_versions(account, client):
    account.register("echo", ECHO)
    account.publish_version("echo")
    assert client.list_functions()["Functions"][0]["Version"] == "$LATEST"
    versions = [f["Version"] for f in client.list_functions(FunctionVersion="ALL")["Functions"]]
    assert versions == ["$LATEST", "1"]


def test_list_functions_pages_at_most_50(account, client):
    for i in range(52):
        account.register(f"f{i:02d}", ECHO)
    answer = client.list_functions(MaxItems=1000)
    assert len(answer["Functions"]) == 50 and answer["NextMarker"]


def test_update_function_configuration_changes_the_function(account, client):
    account.register("echo", ECHO)
    before = account.get_function("echo").revision
    answer = client.update_function_configuration(
        FunctionName="echo", MemorySize=512, Timeout=30, Environment={"Variables": {"MODE": "x"}}, Description="new"
    )
    assert (answer["MemorySize"], answer["Timeout"], answer["Description"]) == (512, 30, "new")
    function = account.get_function("echo")
    assert function.revision != before and function.config.env == {"MODE": "x"}
    assert function.code == ECHO
    client.get_waiter("function_updated_v2").wait(FunctionName="echo")


def test_update_function_configuration_is_validated(account, client):
    account.register("echo", ECHO)
    with pytest.raises(client.exceptions.InvalidParameterValueException) as caught:
        client.update_function_configuration(FunctionName="echo", MemorySize=20480)
    assert "Member must have value between 128" in str(caught.value)
    with pytest.raises(client.exceptions.InvalidParameterValueException):
        client.update_function_configuration(FunctionName="echo", VpcConfig={"SubnetIds": ["subnet-1"]})
    with pytest.raises(client.exceptions.PreconditionFailedException):
        client.update_function_configuration(FunctionName="echo", Timeout=5, RevisionId="not-the-revision")
    assert account.get_function("echo").config.memory_mb == 128


def test_revision_id_precondition_passes_with_the_current_revision(account, client):
    account.register("echo", ECHO)
    revision = client.get_function(FunctionName="echo")["Configuration"]["RevisionId"]
    answer = client.update_function_configuration(FunctionName="echo", Timeout=5, RevisionId=revision)
    assert answer["Timeout"] == 5 and answer["RevisionId"] != revision


def test_dead_letter_config_is_the_functions_dead_letter_target(account, client):
    account.register("echo", ECHO)
    queue = "arn:aws:sqs:us-east-1:123456789012:dlq"
    answer = client.update_function_configuration(FunctionName="echo", DeadLetterConfig={"TargetArn": queue})
    assert answer["DeadLetterConfig"] == {"TargetArn": queue}
    assert account.async_invoker.configs["echo"].dead_letter_target == queue


def test_publish_and_list_versions(account, client):
    account.register("echo", ECHO)
    published = client.publish_version(FunctionName="echo", Description="first")
    assert published["Version"] == "1"
    assert published["FunctionArn"].endswith(":function:echo:1")
    assert published["Description"] == "first"
    assert client.get_function_configuration(FunctionName="echo", Qualifier="1")["Version"] == "1"
    versions = client.list_versions_by_function(FunctionName="echo")["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST", "1"]
    assert versions[0]["FunctionArn"].endswith(":echo:$LATEST")


def test_publish_version_checks_the_code_sha256(account, client):
    account.register("echo", ECHO)
    with pytest.raises(client.exceptions.PreconditionFailedException):
        client.publish_version(FunctionName="echo", CodeSha256="AAAA")
    digest = base64.b64encode(
        hashlib.sha256(account.get_function("echo").deployment_package.zip_file).digest()
    ).decode()
    assert client.publish_version(FunctionName="echo", CodeSha256=digest)["Version"] == "1"


def test_delete_a_version_then_the_function(account, client):
    account.register("echo", ECHO)
    account.publish_version("echo")
    account.register("echo", ECHO + "\n")
    account.publish_version("echo")
    with pytest.raises(client.exceptions.InvalidParameterValueException):
        client.delete_function(FunctionName="echo", Qualifier="$LATEST")
    account.create_alias("echo", "live", "1")
    with pytest.raises(client.exceptions.ResourceConflictException):
        client.delete_function(FunctionName="echo", Qualifier="1")
    client.delete_function(FunctionName="echo", Qualifier="2")
    assert [v.version for v in account.registry.versions("echo")] == ["$LATEST", "1"]
    client.delete_function(FunctionName="echo")
    assert account.registry.latest("echo") is None
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.delete_function(FunctionName="echo")


def test_account_settings(account, client):
    account.register("echo", ECHO, reserved_concurrency=10)
    settings = client.get_account_settings()
    limit = account.settings.account_concurrency
    assert settings["AccountLimit"]["ConcurrentExecutions"] == limit
    assert settings["AccountLimit"]["UnreservedConcurrentExecutions"] == limit - 10
    assert settings["AccountUsage"] == {"FunctionCount": 1, "TotalCodeSize": account.get_function("echo").code_size}


def test_an_alias_qualifier_names_the_alias_and_its_version(account, client):
    account.register("echo", ECHO)
    account.publish_version("echo")
    account.create_alias("echo", "live", "1")
    config = client.get_function_configuration(FunctionName="echo", Qualifier="live")
    assert config["FunctionArn"].endswith(":function:echo:live") and config["Version"] == "1"
    assert client.get_function(FunctionName="echo:live")["Configuration"]["Version"] == "1"


def test_an_operation_the_account_does_not_serve_says_so(client):
    import botocore.exceptions

    with pytest.raises(botocore.exceptions.ClientError) as caught:
        client.list_code_signing_configs()
    assert caught.value.response["Error"]["Code"] == "UnsupportedOperationException"
    assert "ListCodeSigningConfigs" in caught.value.response["Error"]["Message"]
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
