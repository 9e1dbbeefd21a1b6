"""The DynamoDB Streams poller against the real embedded moto server: items written with boto3
become INSERT/MODIFY/REMOVE records with the images of the stream's view type; Kinesis's error
rules (retries, bisect, partial batch responses, OnFailure with DDBStreamBatchInfo)."""

from __future__ import annotations

from collections import defaultdict

import pytest

from lambda_magic.runtime import InvalidParameterValueException, ResourceNotFoundException

RECORD = """
def lambda_handler(event, context):
    return [(r['eventName'], r['dynamodb']['Keys']['pk']['S']) for r in event['Records']]
"""

POISON = """
def lambda_handler(event, context):
    if any(r['dynamodb'].get('NewImage', {}).get('poison') for r in event['Records']):
        raise ValueError('poison item')
"""


def table(account, name="lecture", view="NEW_AND_OLD_IMAGES"):
    """A table keyed by pk (string) and n (number) with a stream; its stream ARN."""
    spec = {"StreamEnabled": True, "StreamViewType": view} if view else {"StreamEnabled": False}
    description = account.cloud.client("dynamodb").create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification=spec,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "n", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "n", "AttributeType": "N"},
        ],
    )["TableDescription"]
    return description.get("LatestStreamArn")


def write(account, name="lecture"):
    """Insert, modify and remove one item with plain boto3 (a resource, as handlers do)."""
    items = account.cloud.resource("dynamodb").Table(name)
    items.put_item(Item={"pk": "a", "n": 1, "note": "new"})
    items.update_item(
        Key={"pk": "a", "n": 1}, UpdateExpression="SET note = :v", ExpressionAttributeValues={":v": "changed"}
    )
    items.delete_item(Key={"pk": "a", "n": 1})


def records(account, function="fn"):
    return [r for inv in account.invocation_records(function) if inv.status == "success" for r in inv.event["Records"]]


def test_insert_modify_remove_with_old_and_new_images(account, mappings):
    arn = table(account)
    account.register("fn", RECORD)
    write(account)
    mapping = mappings.create("fn", arn, starting_position="TRIM_HORIZON")
    assert account.wait(60)

    insert, modify, remove = records(account)
    assert [r["eventName"] for r in (insert, modify, remove)] == ["INSERT", "MODIFY", "REMOVE"]
    keys = {"pk": {"S": "a"}, "n": {"N": "1"}}
    assert insert["dynamodb"]["Keys"] == modify["dynamodb"]["Keys"] == remove["dynamodb"]["Keys"] == keys
    assert insert["dynamodb"]["NewImage"] == {**keys, "note": {"S": "new"}} and "OldImage" not in insert["dynamodb"]
    assert modify["dynamodb"]["OldImage"]["note"] == {"S": "new"} and modify["dynamodb"]["NewImage"]["note"] == {
        "S": "changed"
    }
    assert remove["dynamodb"]["OldImage"]["note"] == {"S": "changed"} and "NewImage" not in remove["dynamodb"]
    for record in (insert, modify, remove):
        assert set(record) == {
            "eventID",
            "eventName",
            "eventVersion",
            "eventSource",
            "awsRegion",
            "dynamodb",
            "eventSourceARN",
        }
        assert record["eventSource"] == "aws:dynamodb" and record["eventVersion"] == "1.1"
        assert record["eventSourceARN"] == arn and record["awsRegion"] == account.settings.region
        assert record["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
        assert isinstance(record["dynamodb"]["SizeBytes"], int)
        assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], int)
    sequence = [int(r["dynamodb"]["SequenceNumber"]) for r in (insert, modify, remove)]
    assert sequence == sorted(sequence)
    assert account.invocation_records("fn")[0].trigger == "dynamodb:lecture"
    [shard] = mappings.get(mapping.uuid).describe()["shards"]
    assert shard["position"] == remove["dynamodb"]["SequenceNumber"] and not shard["blocked"]


def test_images_follow_the_stream_view_type(account, mappings):
    expected = {
        "KEYS_ONLY": ({"Keys"}, {"Keys"}, {"Keys"}),
        "NEW_IMAGE": ({"Keys", "NewImage"}, {"Keys", "NewImage"}, {"Keys"}),
        "OLD_IMAGE": ({"Keys"}, {"Keys", "OldImage"}, {"Keys", "OldImage"}),
    }
    for view in expected:
        arn = table(account, view, view)
        account.register(view.lower(), RECORD)
        write(account, view)
        mappings.create(view.lower(), arn, starting_position="TRIM_HORIZON")
    assert account.wait(60)
    for view, images in expected.items():
        got = records(account, view.lower())
        assert [r["eventName"] for r in got] == ["INSERT", "MODIFY", "REMOVE"]
        assert [set(r["dynamodb"]) & {"Keys", "NewImage", "OldImage"} for r in got] == list(images)
        assert {r["dynamodb"]["StreamViewType"] for r in got} == {view}


def test_latest_only_sees_new_changes(account, mappings):
    arn = table(account)
    account.register("fn", RECORD)
    write(account)
    mappings.create("fn", arn, starting_position="LATEST")
    account.cloud.resource("dynamodb").Table("lecture").put_item(Item={"pk": "b", "n": 2})
    assert account.wait(60)
    assert [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in records(account)] == [("INSERT", "b")]


def test_bisect_and_retries_end_in_ddb_stream_batch_info(account, mappings, failure_queue):
    arn = table(account)
    account.register("fn", POISON)
    items = account.cloud.resource("dynamodb").Table("lecture")
    for n in range(6):
        items.put_item(Item={"pk": "a", "n": n, **({"poison": True} if n == 3 else {})})
    mapping = mappings.create(
        "fn",
        arn,
        starting_position="TRIM_HORIZON",
        bisect_batch_on_function_error=True,
        maximum_retry_attempts=2,
        destination_config=failure_queue.destination,
    )
    assert account.wait(60)
    assert [int(r["dynamodb"]["Keys"]["n"]["N"]) for r in records(account)] == [0, 1, 2, 4, 5]
    [record] = failure_queue.messages()
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["responseContext"]["functionError"] == "Unhandled"
    info = record["DDBStreamBatchInfo"]
    assert "KinesisBatchInfo" not in record and info["streamArn"] == arn and info["batchSize"] == 1
    poisoned = [
        r
        for inv in account.invocation_records("fn")
        for r in inv.event["Records"]
        if r["dynamodb"]["NewImage"].get("poison")
    ]
    assert info["startSequenceNumber"] == info["endSequenceNumber"] == poisoned[0]["dynamodb"]["SequenceNumber"]
    assert info["shardId"] == mappings.get(mapping.uuid).describe()["shards"][0]["shard_id"]


def test_partial_batch_failure_by_sequence_number(account, mappings, failure_queue):
    arn = table(account)
    account.register(
        "fn",
        """
def lambda_handler(event, context):
    return {'batchItemFailures': [{'itemIdentifier': r['dynamodb']['SequenceNumber']} for r in event['Records']
                                  if r['dynamodb']['NewImage'].get('bad')]}
""",
    )
    items = account.cloud.resource("dynamodb").Table("lecture")
    for n in range(5):
        items.put_item(Item={"pk": "a", "n": n, **({"bad": True} if n in (2, 4) else {})})
    mappings.create(
        "fn",
        arn,
        starting_position="TRIM_HORIZON",
        function_response_types=["ReportBatchItemFailures"],
        maximum_retry_attempts=0,
        destination_config=failure_queue.destination,
    )
    assert account.wait(60)
    [invocation] = account.invocation_records("fn")
    seqs = [r["dynamodb"]["SequenceNumber"] for r in invocation.event["Records"]]
    [record] = failure_queue.messages()
    info = record["DDBStreamBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (seqs[2], seqs[4], 3)


def test_parallelization_keeps_per_item_order(account, mappings):
    arn = table(account)
    account.register(
        "fn",
        """
import random
def lambda_handler(event, context):
    if random.random() < 0.3:
        raise RuntimeError('transient failure')
""",
    )
    items = account.cloud.resource("dynamodb").Table("lecture")
    for version in range(10):
        for n in range(8):
            items.put_item(Item={"pk": "item", "n": n, "version": version})
    mappings.create(
        "fn",
        arn,
        starting_position="TRIM_HORIZON",
        batch_size=4,
        parallelization_factor=3,
        bisect_batch_on_function_error=True,
    )
    assert account.wait(120)
    per_item = defaultdict(list)
    for record in records(account):
        per_item[record["dynamodb"]["Keys"]["n"]["N"]].append(int(record["dynamodb"]["NewImage"]["version"]["N"]))
    assert per_item == {str(n): list(range(10)) for n in range(8)}


def test_mappings_aws_refuses(account, mappings):
    arn = table(account)
    table(account, "plain", view=None)
    account.register("fn", RECORD)
    with pytest.raises(InvalidParameterValueException, match="TRIM_HORIZON, LATEST"):
        mappings.create("fn", arn, starting_position="AT_TIMESTAMP", starting_position_timestamp=1)
    with pytest.raises(InvalidParameterValueException, match="no stream"):
        mappings.create("fn", arn.replace("table/lecture/", "table/plain/"), starting_position="LATEST")
    with pytest.raises(ResourceNotFoundException, match="not found"):
        mappings.create("fn", arn.replace("table/lecture/", "table/missing/"), starting_position="LATEST")
    with pytest.raises(ResourceNotFoundException, match="stream"):
        mappings.create("fn", arn[:-3] + "999", starting_position="LATEST")
    with pytest.raises(InvalidParameterValueException, match="not its stream"):
        mappings.create("fn", arn.split("/stream/")[0], starting_position="LATEST")
    assert mappings.mappings() == []
