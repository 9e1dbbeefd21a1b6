"""Event source mappings through boto3, over the account's SQS poller."""

from __future__ import annotations

import pytest

from lambda_magic.sources import EventSourceMappings

pytestmark = pytest.mark.slow  # the local cloud holds the queue

COLLECT = "def lambda_handler(event, context):\n    return [r['body'] for r in event['Records']]\n"


@pytest.fixture
def client(account):
    from botocore.config import Config

    from lambda_magic.endpoints import LambdaAPI

    api = LambdaAPI.of(account, mappings=EventSourceMappings.of)
    return api.client(config=Config(retries={"total_max_attempts": 1}))


@pytest.fixture
def queue_arn(account):
    sqs = account.cloud.client("sqs")
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def test_create_get_list_update_delete_mapping(account, client, queue_arn):
    url, arn = queue_arn
    account.register("collect", COLLECT)
    created = client.create_event_source_mapping(FunctionName="collect", EventSourceArn=arn, BatchSize=5)
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert (created["State"], created["BatchSize"], created["EventSourceArn"]) == ("Creating", 5, arn)
    assert created["FunctionArn"] == account.get_function("collect").arn
    uuid = created["UUID"]
    [mapping] = EventSourceMappings.of(account).mappings()
    assert (mapping.uuid, mapping.batch_size) == (uuid, 5)
    assert client.get_event_source_mapping(UUID=uuid)["State"] == "Enabled"
    for body in ("a", "b"):
        account.cloud.client("sqs").send_message(QueueUrl=url, MessageBody=body)
    assert account.wait(60)
    assert sorted(b for r in account.invocation_records("collect") for b in r.payload) == ["a", "b"]
    assert [m["UUID"] for m in client.list_event_source_mappings(FunctionName="collect")["EventSourceMappings"]] == [
        uuid
    ]
    assert [m["UUID"] for m in client.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"]] == [uuid]
    assert client.list_event_source_mappings(FunctionName="other-fn")["EventSourceMappings"] == []
    disabled = client.update_event_source_mapping(UUID=uuid, Enabled=False)
    assert disabled["State"] == "Updating"
    assert client.get_event_source_mapping(UUID=uuid)["State"] == "Disabled"
    resized = client.update_event_source_mapping(UUID=uuid, BatchSize=8, Enabled=True)
    assert resized["BatchSize"] == 8 and resized["UUID"] == uuid
    assert EventSourceMappings.of(account).get(uuid).mapping.batch_size == 8
    assert client.delete_event_source_mapping(UUID=uuid)["State"] == "Deleting"
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_event_source_mapping(UUID=uuid)


def test_mapping_settings_are_validated(account, client, queue_arn):
    _, arn = queue_arn
    account.register("collect", COLLECT)
    with pytest.raises(client.exceptions.InvalidParameterValueException):
        client.create_event_source_mapping(FunctionName="collect", EventSourceArn=arn, BatchSize=50)
    with pytest.raises(client.exceptions.InvalidParameterValueException):
        client.create_event_source_mapping(FunctionName="collect", EventSourceArn=arn, Queues=["q"])
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.create_event_source_mapping(FunctionName="nope", EventSourceArn=arn)
    assert EventSourceMappings.of(account).mappings() == []
