"""Aliases and reserved concurrency through boto3."""

from __future__ import annotations

import pytest

from .conftest import ECHO


@pytest.fixture
def versions(account):
    account.register("echo", ECHO)
    account.publish_version("echo")
    account.register("echo", ECHO + "\n")
    account.publish_version("echo")
    return account


def test_create_get_update_list_delete_alias(versions, client):
    created = client.create_alias(FunctionName="echo", Name="live", FunctionVersion="1", Description="prod")
    assert created["AliasArn"].endswith(":function:echo:live")
    assert (created["FunctionVersion"], created["Description"]) == ("1", "prod")
    assert client.get_alias(FunctionName="echo", Name="live")["FunctionVersion"] == "1"
    updated = client.update_alias(
        FunctionName="echo", Name="live", FunctionVersion="2", RoutingConfig={"AdditionalVersionWeights": {"1": 0.25}}
    )
    assert updated["FunctionVersion"] == "2"
    assert updated["RoutingConfig"] == {"AdditionalVersionWeights": {"1": 0.25}}
    assert updated["Description"] == "prod"
    alias = versions.registry.aliases("echo")[0]
    assert (alias.function_version, dict(alias.additional_version_weights)) == ("2", {"1": 0.25})
    client.create_alias(FunctionName="echo", Name="beta", FunctionVersion="$LATEST")
    assert [a["Name"] for a in client.list_aliases(FunctionName="echo")["Aliases"]] == ["beta", "live"]
    assert [a["Name"] for a in client.list_aliases(FunctionName="echo", FunctionVersion="2")["Aliases"]] == ["live"]
    client.delete_alias(FunctionName="echo", Name="beta")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_alias(FunctionName="echo", Name="beta")


def test_alias_errors(versions, client):
    client.create_alias(FunctionName="echo", Name="live", FunctionVersion="1")
    with pytest.raises(client.exceptions.ResourceConflictException):
        client.create_alias(FunctionName="echo", Name="live", FunctionVersion="1")
    with pytest.raises(client.exceptions.ResourceNotFoundException) as caught:
        client.create_alias(FunctionName="echo", Name="other", FunctionVersion="9")
    assert str(caught.value).endswith(":function:echo:9")
    with pytest.raises(client.exceptions.InvalidParameterValueException):
        client.update_alias(FunctionName="echo", Name="live", RoutingConfig={"AdditionalVersionWeights": {"2": 1.5}})
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.update_alias(FunctionName="echo", Name="nope", FunctionVersion="1")
    with pytest.raises(client.exceptions.PreconditionFailedException):
        client.update_alias(FunctionName="echo", Name="live", FunctionVersion="2", RevisionId="stale")


def test_an_alias_revision_id_guards_updates(versions, client):
    revision = client.create_alias(FunctionName="echo", Name="live", FunctionVersion="1")["RevisionId"]
    updated = client.update_alias(FunctionName="echo", Name="live", FunctionVersion="2", RevisionId=revision)
    assert updated["RevisionId"] != revision


def test_reserved_concurrency_put_get_delete(account, client):
    account.register("echo", ECHO)
    assert "ReservedConcurrentExecutions" not in client.get_function_concurrency(FunctionName="echo")
    assert (
        client.put_function_concurrency(FunctionName="echo", ReservedConcurrentExecutions=7)[
            "ReservedConcurrentExecutions"
        ]
        == 7
    )
    assert account.governor.reserved("echo") == 7
    assert client.get_function_concurrency(FunctionName="echo")["ReservedConcurrentExecutions"] == 7
    assert client.get_function(FunctionName="echo")["Concurrency"] == {"ReservedConcurrentExecutions": 7}
    client.delete_function_concurrency(FunctionName="echo")
    assert account.governor.reserved("echo") is None
    assert "ReservedConcurrentExecutions" not in client.get_function_concurrency(FunctionName="echo")


def test_reserved_concurrency_cannot_eat_the_unreserved_pool(account, client):
    account.register("echo", ECHO)
    with pytest.raises(client.exceptions.InvalidParameterValueException) as caught:
        client.put_function_concurrency(
            FunctionName="echo", ReservedConcurrentExecutions=account.settings.account_concurrency
        )
    assert "below its minimum value of [100]" in str(caught.value)
    assert account.governor.reserved("echo") is None
