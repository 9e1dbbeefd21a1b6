"""Invoke through boto3: what botocore sends and parses, against the account's invoke path."""

from __future__ import annotations

import base64
import json

import boto3
import botocore.exceptions
import pytest

from .conftest import ECHO

FAIL = """
def lambda_handler(event, context):
    raise ValueError("no good")
"""


def test_request_response_returns_the_payload_status_and_version(account, client):
    account.register("echo", ECHO)
    answer = client.invoke(FunctionName="echo", Payload=json.dumps({"a": 1}))
    assert answer["StatusCode"] == 200
    assert answer["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in answer
    assert json.loads(answer["Payload"].read()) == {"event": {"a": 1}, "custom": None}


def test_no_payload_is_an_empty_event(account, client):
    account.register("echo", ECHO)
    assert json.loads(client.invoke(FunctionName="echo")["Payload"].read())["event"] == {}


def test_an_invocation_through_the_api_is_an_ordinary_invocation(account, client):
    account.register("echo", ECHO)
    client.invoke(FunctionName="echo", Payload=b"{}")
    [record] = account.invocation_records("echo")
    assert (record.trigger, record.invocation_type, record.status) == ("api", "RequestResponse", "success")
    assert record.caller_request_id is None  # called from outside the account


def test_log_tail_is_the_base64_of_the_log_end(account, client):
    account.register("echo", ECHO)
    answer = client.invoke(FunctionName="echo", Payload=b'{"x": 2}', LogType="Tail")
    log = base64.b64decode(answer["LogResult"]).decode()
    [record] = account.invocation_records("echo")
    assert f"START RequestId: {record.request_id} Version: $LATEST" in log
    assert "event {'x': 2}" in log
    assert log.rstrip("\n").endswith(record.report)
    assert "\tBilled Duration: " in log


def test_log_tail_keeps_only_the_last_4_kb(account, client):
    account.register("loud", "def lambda_handler(event, context):\n    print('x' * 10000)\n    return 1\n")
    answer = client.invoke(FunctionName="loud", LogType="Tail")
    log = base64.b64decode(answer["LogResult"])
    assert len(log) == 4096
    assert log.rstrip(b"\n").endswith(account.invocation_records("loud")[0].report.encode())


def test_client_context_reaches_the_handler(account, client):
    account.register("echo", ECHO)
    context = base64.b64encode(json.dumps({"custom": {"who": "cli"}}).encode()).decode()
    answer = client.invoke(FunctionName="echo", ClientContext=context)
    assert json.loads(answer["Payload"].read())["custom"] == {"who": "cli"}


def test_a_client_context_that_is_not_base64_json_is_refused(account, client):
    account.register("echo", ECHO)
    with pytest.raises(client.exceptions.InvalidRequestContentException):
        client.invoke(FunctionName="echo", ClientContext="not base64!")


def test_function_error_header_and_error_document(account, client):
    account.register("fail", FAIL)
    answer = client.invoke(FunctionName="fail")
    assert answer["StatusCode"] == 200
    assert answer["FunctionError"] == "Unhandled"
    error = json.loads(answer["Payload"].read())
    assert error["errorType"] == "ValueError"
    assert error["errorMessage"] == "no good"


def test_event_is_accepted_with_202_and_runs(account, client):
    account.register("echo", ECHO)
    answer = client.invoke(FunctionName="echo", InvocationType="Event", Payload=b'{"n": 1}')
    assert answer["StatusCode"] == 202
    assert answer["Payload"].read() == b""
    assert account.wait(30)
    [record] = account.invocation_records("echo")
    assert (record.invocation_type, record.status, record.trigger) == ("Event", "success", "api")


def test_dry_run_answers_204_and_runs_nothing(account, client):
    account.register("echo", ECHO)
    assert client.invoke(FunctionName="echo", InvocationType="DryRun")["StatusCode"] == 204
    assert [r.status for r in account.invocation_records("echo")] == []


def test_qualifier_selects_a_version_or_alias(account, client):
    account.register("echo", ECHO)
    account.publish_version("echo")
    account.register("echo", ECHO.replace('"event": event', '"event": "v2"'))
    account.create_alias("echo", "live", "1")
    assert client.invoke(FunctionName="echo", Qualifier="1")["ExecutedVersion"] == "1"
    answer = client.invoke(FunctionName="echo", Qualifier="live", Payload=b"[1]")
    assert answer["ExecutedVersion"] == "1"
    assert json.loads(answer["Payload"].read())["event"] == [1]
    assert json.loads(client.invoke(FunctionName="echo")["Payload"].read())["event"] == "v2"
    arn = f"arn:aws:lambda:{account.settings.region}:{account.settings.account_id}:function:echo:live"
    assert client.invoke(FunctionName=arn)["ExecutedVersion"] == "1"


def test_unknown_function_version_and_alias_are_resource_not_found(account, client):
    account.register("echo", ECHO)
    with pytest.raises(client.exceptions.ResourceNotFoundException) as caught:
        client.invoke(FunctionName="nope")
    assert caught.value.response["Error"]["Message"] == (
        f"Function not found: arn:aws:lambda:{account.settings.region}:{account.settings.account_id}:function:nope"
    )
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert caught.value.response["Type"] == "User"
    for qualifier in ("7", "nosuchalias"):
        with pytest.raises(client.exceptions.ResourceNotFoundException):
            client.invoke(FunctionName="echo", Qualifier=qualifier)


def test_invalid_json_is_invalid_request_content(account, client):
    account.register("echo", ECHO)
    with pytest.raises(client.exceptions.InvalidRequestContentException) as caught:
        client.invoke(FunctionName="echo", Payload=b"{not json")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_oversize_payloads_are_413_with_aws_message(account, client):
    account.register("echo", ECHO)
    big = b'"' + b"x" * (6 * 1024 * 1024) + b'"'
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        client.invoke(FunctionName="echo", Payload=big)
    error = caught.value.response["Error"]
    assert error["Code"] == "RequestEntityTooLargeException"
    assert error["Message"] == "Request must be smaller than 6291456 bytes for the InvokeFunction operation"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    event = b'"' + b"x" * (1024 * 1024) + b'"'
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        client.invoke(FunctionName="echo", Payload=event, InvocationType="Event")
    assert caught.value.response["Error"]["Message"] == (
        f"{len(event)} byte payload is too large for the Event invocation type (limit 1048576 bytes)"
    )
    assert account.invocation_records("echo") == []


def test_a_throttle_is_too_many_requests_with_its_reason(account, client):
    account.register("echo", ECHO, reserved_concurrency=0)
    with pytest.raises(client.exceptions.TooManyRequestsException) as caught:
        client.invoke(FunctionName="echo")
    response = caught.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert int(response["retryAfterSeconds"]) >= 0
    assert [r.status for r in account.invocation_records("echo")] == ["throttled"]


def test_a_bad_invocation_type_is_refused(account, client):
    account.register("echo", ECHO)
    with pytest.raises(client.exceptions.InvalidParameterValueException):
        client.invoke(FunctionName="echo", InvocationType="Later")


def test_another_region_is_refused(account, api):
    account.register("echo", ECHO)
    other = "eu-west-2" if account.settings.region != "eu-west-2" else "eu-west-1"
    client = boto3.client(
        "lambda",
        endpoint_url=api.url,
        region_name=other,
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
    )
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        client.invoke(FunctionName="echo")
    assert caught.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert f"not '{other}'" in caught.value.response["Error"]["Message"]
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert account.invocation_records() == []


def test_an_unsigned_request_is_refused(account, api):
    account.register("echo", ECHO)
    from botocore import UNSIGNED
    from botocore.config import Config

    client = boto3.client(
        "lambda", endpoint_url=api.url, region_name=account.settings.region, config=Config(signature_version=UNSIGNED)
    )
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        client.invoke(FunctionName="echo")
    assert caught.value.response["Error"]["Code"] == "MissingAuthenticationTokenException"


def test_arns_of_another_account_or_region_are_refused(account, client):
    account.register("echo", ECHO)
    region, me = account.settings.region, account.settings.account_id
    with pytest.raises(client.exceptions.ResourceNotFoundException) as caught:
        client.invoke(FunctionName=f"arn:aws:lambda:ap-south-1:{me}:function:echo")
    assert caught.value.response["Error"]["Message"] == (
        f"Functions from 'ap-south-1' are not reachable in this region ('{region}')"
    )
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        client.invoke(FunctionName=f"arn:aws:lambda:{region}:999999999999:function:echo")
    assert caught.value.response["Error"]["Code"] == "AccessDeniedException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    with pytest.raises(botocore.exceptions.ClientError):
        client.invoke(FunctionName="999999999999:function:echo")
    assert account.invocation_records() == []
