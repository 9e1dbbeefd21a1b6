"""Event invoke configs, resource-based policies and tags through boto3."""

from __future__ import annotations

import json

import pytest

from .conftest import ECHO

QUEUE = "arn:aws:sqs:us-east-1:123456789012:failures"
TOPIC = "arn:aws:sns:us-east-1:123456789012:done"


@pytest.fixture
def echo(account):
    return account.register("echo", ECHO)


def test_event_invoke_config_put_get_update_list_delete(account, client, echo):
    with pytest.raises(client.exceptions.ResourceNotFoundException) as caught:
        client.get_function_event_invoke_config(FunctionName="echo")
    assert "doesn't have an EventInvokeConfig" in str(caught.value)
    put = client.put_function_event_invoke_config(
        FunctionName="echo",
        MaximumRetryAttempts=1,
        MaximumEventAgeInSeconds=600,
        DestinationConfig={"OnFailure": {"Destination": QUEUE}},
    )
    assert (put["MaximumRetryAttempts"], put["MaximumEventAgeInSeconds"]) == (1, 600)
    assert put["DestinationConfig"]["OnFailure"] == {"Destination": QUEUE}
    assert put["FunctionArn"] == echo.arn + ":$LATEST"
    config = account.async_invoker.configs["echo"]
    assert (config.max_retry_attempts, config.max_event_age_s, config.on_failure) == (1, 600, QUEUE)
    updated = client.update_function_event_invoke_config(
        FunctionName="echo", MaximumRetryAttempts=0, DestinationConfig={"OnSuccess": {"Destination": TOPIC}}
    )
    assert (updated["MaximumRetryAttempts"], updated["MaximumEventAgeInSeconds"]) == (0, 600)
    assert updated["DestinationConfig"] == {"OnSuccess": {"Destination": TOPIC}, "OnFailure": {"Destination": QUEUE}}
    assert client.get_function_event_invoke_config(FunctionName="echo")["MaximumRetryAttempts"] == 0
    listed = client.list_function_event_invoke_configs(FunctionName="echo")["FunctionEventInvokeConfigs"]
    assert [c["FunctionArn"] for c in listed] == [echo.arn + ":$LATEST"]
    replaced = client.put_function_event_invoke_config(FunctionName="echo", MaximumRetryAttempts=2)
    assert replaced["MaximumEventAgeInSeconds"] == 21600 and replaced["DestinationConfig"]["OnFailure"] == {}
    client.delete_function_event_invoke_config(FunctionName="echo")
    assert account.async_invoker.configs["echo"].max_retry_attempts == 2
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_function_event_invoke_config(FunctionName="echo")
    assert client.list_function_event_invoke_configs(FunctionName="echo")["FunctionEventInvokeConfigs"] == []


def test_event_invoke_config_is_validated(raw_client, echo):
    with pytest.raises(raw_client.exceptions.InvalidParameterValueException):
        raw_client.put_function_event_invoke_config(FunctionName="echo", MaximumRetryAttempts=3)
    with pytest.raises(raw_client.exceptions.InvalidParameterValueException):
        raw_client.put_function_event_invoke_config(FunctionName="echo", MaximumEventAgeInSeconds=30)
    with pytest.raises(raw_client.exceptions.InvalidParameterValueException):
        raw_client.put_function_event_invoke_config(
            FunctionName="echo", DestinationConfig={"OnSuccess": {"Destination": "arn:aws:s3:::bucket"}}
        )


def test_add_get_remove_permission(account, api, client, echo):
    added = client.add_permission(
        FunctionName="echo",
        StatementId="s3-invoke",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::uploads",
        SourceAccount=account.settings.account_id,
    )
    statement = json.loads(added["Statement"])
    assert statement == {
        "Sid": "s3-invoke",
        "Effect": "Allow",
        "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        "Resource": echo.arn,
        "Condition": {
            "StringEquals": {"AWS:SourceAccount": account.settings.account_id},
            "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::uploads"},
        },
    }
    client.add_permission(FunctionName="echo", StatementId="any", Action="lambda:*", Principal="111122223333")
    answer = client.get_policy(FunctionName="echo")
    policy = json.loads(answer["Policy"])
    assert policy["Version"] == "2012-10-17"
    assert [s["Sid"] for s in policy["Statement"]] == ["s3-invoke", "any"]
    assert policy["Statement"][1]["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    assert [s["Sid"] for s in api.policy("echo")] == ["s3-invoke", "any"]
    with pytest.raises(client.exceptions.ResourceConflictException):
        client.add_permission(FunctionName="echo", StatementId="any", Action="lambda:*", Principal="*")
    with pytest.raises(client.exceptions.PreconditionFailedException):
        client.remove_permission(FunctionName="echo", StatementId="any", RevisionId="stale")
    client.remove_permission(FunctionName="echo", StatementId="any", RevisionId=answer["RevisionId"])
    client.remove_permission(FunctionName="echo", StatementId="s3-invoke")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.remove_permission(FunctionName="echo", StatementId="s3-invoke")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_policy(FunctionName="echo")


def test_permissions_are_per_qualifier_and_validated(account, client, echo):
    account.publish_version("echo")
    client.add_permission(
        FunctionName="echo",
        Qualifier="1",
        StatementId="v1",
        Action="lambda:InvokeFunction",
        Principal="sns.amazonaws.com",
    )
    assert (
        json.loads(client.get_policy(FunctionName="echo", Qualifier="1")["Policy"])["Statement"][0]["Resource"]
        == echo.arn + ":1"
    )
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_policy(FunctionName="echo")
    with pytest.raises(client.exceptions.InvalidParameterValueException):
        client.add_permission(FunctionName="echo", StatementId="x", Action="invoke", Principal="*")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.add_permission(FunctionName="echo", Qualifier="9", StatementId="x", Action="lambda:*", Principal="*")


def test_tags(client, echo):
    client.tag_resource(Resource=echo.arn, Tags={"team": "blue", "stage": "dev"})
    assert client.list_tags(Resource=echo.arn)["Tags"] == {"team": "blue", "stage": "dev"}
    assert client.get_function(FunctionName="echo")["Tags"] == {"team": "blue", "stage": "dev"}
    client.untag_resource(Resource=echo.arn, TagKeys=["stage", "missing"])
    assert client.list_tags(Resource=echo.arn)["Tags"] == {"team": "blue"}
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.list_tags(Resource=echo.arn.replace(":echo", ":other"))


def test_a_deleted_function_loses_its_tags_and_policy(account, client, echo):
    client.tag_resource(Resource=echo.arn, Tags={"team": "blue"})
    client.add_permission(FunctionName="echo", StatementId="s", Action="lambda:*", Principal="*")
    client.delete_function(FunctionName="echo")
    account.register("echo", ECHO)
    assert client.list_tags(Resource=echo.arn)["Tags"] == {}
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_policy(FunctionName="echo")
