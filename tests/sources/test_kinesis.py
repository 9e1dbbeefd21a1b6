"""The Kinesis poller against the real embedded moto server: shards, order, blocked shards,
retries, bisect, partial batch responses, parallelization, starting positions, OnFailure."""

from __future__ import annotations

import base64
import time
from collections import defaultdict

import pytest

from lambda_magic.runtime import InvalidParameterValueException, ResourceNotFoundException
from lambda_magic.sources.stream_batches import Batch, Rec, failure_index

#: ExplicitHashKey values inside the hash ranges of a two-shard stream's shards.
SHARD_KEYS = {0: "1", 1: str(2**127 + 1)}
SHARD_IDS = {0: "shardId-000000000000", 1: "shardId-000000000001"}

ECHO = """
import base64
def lambda_handler(event, context):
    return [base64.b64decode(r['kinesis']['data']).decode() for r in event['Records']]
"""

POISON = """
import base64
def lambda_handler(event, context):
    datas = [base64.b64decode(r['kinesis']['data']).decode() for r in event['Records']]
    if 'poison' in datas:
        raise ValueError('poison record')
    return datas
"""


def stream(account, name="lecture", shards=2):
    kinesis = account.cloud.client("kinesis")
    kinesis.create_stream(StreamName=name, ShardCount=shards)
    arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    return kinesis, arn


def put(kinesis, datas, *, shard=0, key="k", name="lecture"):
    """Put records on one shard, in order; their sequence numbers."""
    return [
        kinesis.put_record(StreamName=name, Data=d.encode(), PartitionKey=key, ExplicitHashKey=SHARD_KEYS[shard])[
            "SequenceNumber"
        ]
        for d in datas
    ]


def data_of(record):
    return base64.b64decode(record["kinesis"]["data"]).decode()


def processed(account, function="fn"):
    """(shard, sequence number, data) of every record in a successful batch, in completion order."""
    return [
        (r["eventID"].split(":")[0], r["kinesis"]["sequenceNumber"], data_of(r))
        for inv in account.invocation_records(function)
        if inv.status == "success"
        for r in inv.event["Records"]
    ]


def test_batches_in_order_per_shard_with_the_aws_kinesis_event(account, mappings):
    kinesis, arn = stream(account)
    account.register("fn", ECHO)
    expected = {SHARD_IDS[s]: put(kinesis, [f"s{s}-{i}" for i in range(23)], shard=s) for s in (0, 1)}
    mapping = mappings.create("fn", arn, starting_position="TRIM_HORIZON", batch_size=7)
    assert account.wait(60)

    seen = defaultdict(list)
    for shard, seq, _ in processed(account):
        seen[shard].append(seq)
    assert seen == expected  # every record once, in order, per shard
    invocations = account.invocation_records("fn")
    assert all(inv.status == "success" and inv.trigger == "kinesis:lecture" for inv in invocations)
    assert all(len({r["eventID"].split(":")[0] for r in inv.event["Records"]}) == 1 for inv in invocations)
    assert max(len(inv.event["Records"]) for inv in invocations) == 7

    record = invocations[0].event["Records"][0]
    assert set(record) == {
        "kinesis",
        "eventSource",
        "eventVersion",
        "eventID",
        "eventName",
        "invokeIdentityArn",
        "awsRegion",
        "eventSourceARN",
    }
    assert set(record["kinesis"]) == {
        "kinesisSchemaVersion",
        "partitionKey",
        "sequenceNumber",
        "data",
        "approximateArrivalTimestamp",
    }
    assert record["eventSource"] == "aws:kinesis" and record["eventName"] == "aws:kinesis:record"
    assert record["eventVersion"] == "1.0" and record["kinesis"]["kinesisSchemaVersion"] == "1.0"
    assert record["eventID"] == f"{record['eventID'].split(':')[0]}:{record['kinesis']['sequenceNumber']}"
    assert record["eventSourceARN"] == arn and record["awsRegion"] == account.settings.region
    assert record["invokeIdentityArn"].startswith(f"arn:aws:iam::{account.settings.account_id}:role/")
    assert isinstance(record["kinesis"]["approximateArrivalTimestamp"], float)
    assert invocations[0].payload[0] == data_of(record)

    poller = mappings.get(mapping.uuid)
    state = {s["shard_id"]: s for s in poller.describe()["shards"]}
    assert {shard: s["position"] for shard, s in state.items()} == {k: v[-1] for k, v in expected.items()}
    assert not any(s["blocked"] or s["in_flight"] for s in state.values())
    assert len(poller.iterator_ages) == len(invocations)  # IteratorAge after every batch
    assert poller.stats["iterator_age_ms"] >= 0 and not poller.pending()


def test_a_poison_record_blocks_only_its_shard(account, mappings, eventually):
    kinesis, arn = stream(account)
    account.register("fn", POISON)
    put(kinesis, ["a0", "poison", "a2"], shard=0)
    mapping = mappings.create("fn", arn, starting_position="TRIM_HORIZON", batch_size=10)
    poller = mappings.get(mapping.uuid)
    blocked = lambda: {s["shard_id"]: s for s in poller.describe()["shards"]}[SHARD_IDS[0]]  # noqa: E731
    eventually(lambda: blocked()["retries"] >= 2, "shard 0 retried its batch")
    put(kinesis, ["a3", "a4"], shard=0)  # behind the poison record: they wait
    other = put(kinesis, [f"b{i}" for i in range(12)], shard=1)
    eventually(
        lambda: [seq for shard, seq, _ in processed(account) if shard == SHARD_IDS[1]] == other,
        "shard 1 processed everything, in order",
    )
    state = blocked()
    mappings.set_enabled(mapping.uuid, False)
    assert state["blocked"] and state["position"] is None  # nothing checkpointed on shard 0
    assert state["in_flight"][0]["first"] == "1" and state["in_flight"][0]["retries"] >= 2
    assert not any(shard == SHARD_IDS[0] for shard, _, _ in processed(account))  # not even a3, a4
    failed = [inv for inv in account.invocation_records("fn") if inv.status != "success"]
    assert failed and all([data_of(r) for r in inv.event["Records"]] == ["a0", "poison", "a2"] for inv in failed)


def test_retries_exhausted_send_kinesis_batch_info_and_the_shard_goes_on(account, mappings, failure_queue):
    kinesis, arn = stream(account)
    account.register("fn", POISON)
    seqs = put(kinesis, ["a0", "poison", "a2"], shard=0)
    mapping = mappings.create(
        "fn",
        arn,
        starting_position="TRIM_HORIZON",
        maximum_retry_attempts=2,
        destination_config=failure_queue.destination,
    )
    assert account.wait(60)
    after = put(kinesis, ["a3"], shard=0)
    assert account.wait(60)

    attempts = [inv for inv in account.invocation_records("fn") if inv.status != "success"]
    assert len(attempts) == 3  # the first attempt and two retries
    [record] = failure_queue.messages()
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestContext"]["functionArn"] == account.get_function("fn").arn
    assert record["requestContext"]["requestId"] == attempts[-1].request_id
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    assert record["version"] == "1.0" and record["timestamp"].endswith("Z")
    info = record["KinesisBatchInfo"]
    assert info["shardId"] == SHARD_IDS[0] and info["streamArn"] == arn and info["batchSize"] == 3
    assert (info["startSequenceNumber"], info["endSequenceNumber"]) == (seqs[0], seqs[-1])
    assert info["approximateArrivalOfFirstRecord"].endswith("Z") and info["approximateArrivalOfLastRecord"].endswith(
        "Z"
    )
    assert "Records" not in record  # pointers only, as on AWS
    assert processed(account) == [(SHARD_IDS[0], after[0], "a3")]  # the shard went on
    state = mappings.get(mapping.uuid).describe()
    assert (
        state["records_discarded"] == 3
        and {s["shard_id"]: s["position"] for s in state["shards"]}[SHARD_IDS[0]] == after[0]
    )


def test_bisect_isolates_the_poison_record(account, mappings, failure_queue):
    kinesis, arn = stream(account, shards=1)
    account.register("fn", POISON)
    datas = ["r0", "r1", "r2", "r3", "r4", "poison", "r6", "r7"]
    seqs = put(kinesis, datas)
    mapping = mappings.create(
        "fn",
        arn,
        starting_position="TRIM_HORIZON",
        bisect_batch_on_function_error=True,
        maximum_retry_attempts=1,
        destination_config=failure_queue.destination,
    )
    assert account.wait(60)

    sizes = [(len(inv.event["Records"]), inv.status) for inv in account.invocation_records("fn")]
    # [8] fails -> [4] ok, [4] fails -> [2] fails -> [1] ok, [1] fails, retried once -> [2] ok
    assert sizes == [
        (8, "error"),
        (4, "success"),
        (4, "error"),
        (2, "error"),
        (1, "success"),
        (1, "error"),
        (1, "error"),
        (2, "success"),
    ]
    assert [d for _, _, d in processed(account)] == [d for d in datas if d != "poison"]  # in order
    [record] = failure_queue.messages()
    info = record["KinesisBatchInfo"]
    assert info["batchSize"] == 1 and info["startSequenceNumber"] == info["endSequenceNumber"] == seqs[5]
    assert record["requestContext"]["approximateInvokeCount"] == 2  # bisects are not retries
    state = mappings.get(mapping.uuid).describe()
    assert state["bisects"] == 3 and state["retries"] == 1


def test_maximum_record_age_gives_up_on_old_records(account, mappings, failure_queue):
    kinesis, arn = stream(account, shards=1)
    account.register("fn", POISON)
    put(kinesis, ["poison"])
    mappings.create(
        "fn",
        arn,
        starting_position="TRIM_HORIZON",
        maximum_record_age_s=60,
        destination_config=failure_queue.destination,
    )
    assert account.wait(60)  # retries on the account clock until the record is a minute old
    [record] = failure_queue.messages()
    assert record["requestContext"]["condition"] == "RecordAgeExceeded"
    assert record["KinesisBatchInfo"]["batchSize"] == 1
    attempts = account.invocation_records("fn")
    assert len(attempts) == record["requestContext"]["approximateInvokeCount"] > 1
    assert attempts[-1].start - attempts[0].start <= 60 < account.clock.time() - attempts[0].start


def test_partial_batch_failure_checkpoints_at_the_lowest_failed_sequence_number(account, mappings, failure_queue):
    kinesis, arn = stream(account, shards=1)
    account.register(
        "fn",
        """
import base64
def lambda_handler(event, context):
    bad = [r['kinesis']['sequenceNumber'] for r in event['Records']
           if base64.b64decode(r['kinesis']['data']).decode().startswith('bad')]
    return {'batchItemFailures': [{'itemIdentifier': seq} for seq in reversed(bad)]}
""",
    )
    seqs = put(kinesis, ["r0", "r1", "bad2", "r3", "bad4", "r5"])
    mappings.create(
        "fn",
        arn,
        starting_position="TRIM_HORIZON",
        function_response_types=["ReportBatchItemFailures"],
        maximum_retry_attempts=1,
        destination_config=failure_queue.destination,
    )
    assert account.wait(60)
    batches = [
        [r["kinesis"]["sequenceNumber"] for r in inv.event["Records"]] for inv in account.invocation_records("fn")
    ]
    assert batches == [seqs, seqs[2:]]  # retried from the lowest failed record
    [record] = failure_queue.messages()
    info = record["KinesisBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (seqs[2], seqs[-1], 4)


@pytest.mark.parametrize(
    "payload, expected",
    [
        (None, None),
        ({}, None),
        ("ok", None),
        ({"batchItemFailures": None}, None),
        ({"batchItemFailures": []}, None),
        ({"batchItemFailures": [{"itemIdentifier": "3"}, {"itemIdentifier": "2"}]}, 1),
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, 0),
        ({"batchItemFailures": [{"itemIdentifier": None}]}, 0),
        ({"batchItemFailures": [{"id": "2"}]}, 0),
        ({"batchItemFailures": [{"itemIdentifier": "99"}]}, 0),
        ({"batchItemFailures": "2"}, 0),
    ],
)
def test_batch_item_failure_rules(payload, expected):
    batch = Batch([Rec(str(n), n, "k", 0.0, "", {}, 0) for n in (1, 2, 3)])
    assert failure_index(payload, batch) == expected


def test_parallelization_keeps_per_partition_key_order_across_retries_and_bisects(account, mappings):
    kinesis, arn = stream(account)
    account.register(
        "fn",
        """
import random
def lambda_handler(event, context):
    if random.random() < 0.3:
        raise RuntimeError('transient failure')
""",
    )
    keys = [f"user-{n}" for n in range(12)]
    entries = [{"Data": f"{keys[i % 12]}:{i // 12}".encode(), "PartitionKey": keys[i % 12]} for i in range(300)]
    kinesis.put_records(StreamName="lecture", Records=entries)
    mapping = mappings.create(
        "fn",
        arn,
        starting_position="TRIM_HORIZON",
        batch_size=5,
        parallelization_factor=4,
        bisect_batch_on_function_error=True,
    )
    assert account.wait(120)

    per_key = defaultdict(list)
    for _, _, data in processed(account):
        key, n = data.split(":")
        per_key[key].append(int(n))
    assert per_key == {key: list(range(25)) for key in keys}  # in order, complete, once
    state = mappings.get(mapping.uuid).describe()
    assert state["retries"] + state["bisects"] > 0 and state["records_done"] == 300
    lanes = {
        (inv.event["Records"][0]["eventID"].split(":")[0], inv.event["Records"][0]["kinesis"]["partitionKey"])
        for inv in account.invocation_records("fn")
    }
    assert len(lanes) > 2


def test_latest_trim_horizon_and_at_timestamp(account, mappings):
    kinesis, arn = stream(account, shards=1)
    for name in ("from_start", "from_now", "from_time"):
        account.register(name, ECHO)
    put(kinesis, ["old0", "old1"])
    moment = int(time.time()) + 1  # boto3 sends the timestamp in whole seconds
    time.sleep(moment - time.time() + 0.02)
    put(kinesis, ["mid"])
    mappings.create("from_start", arn, starting_position="TRIM_HORIZON")
    mappings.create("from_now", arn, starting_position="LATEST")
    mappings.create("from_time", arn, starting_position="AT_TIMESTAMP", starting_position_timestamp=moment)
    put(kinesis, ["new"])
    assert account.wait(60)
    assert [d for _, _, d in processed(account, "from_start")] == ["old0", "old1", "mid", "new"]
    assert [d for _, _, d in processed(account, "from_now")] == ["new"]
    assert [d for _, _, d in processed(account, "from_time")] == ["mid", "new"]


def test_batching_window_gathers_records_on_the_account_clock(account, mappings, eventually):
    kinesis, arn = stream(account, shards=1)
    account.register("fn", ECHO)
    account.configure(clock_mode="manual")  # time moves only when wait() reaches the next timer
    opened = account.clock.time()
    put(kinesis, ["r0"])
    mapping = mappings.create("fn", arn, starting_position="TRIM_HORIZON", maximum_batching_window_s=5)
    poller = mappings.get(mapping.uuid)
    eventually(lambda: poller.describe()["shards"][0]["queued"] == 1, "the first record waits in its window")
    put(kinesis, ["r1", "r2"])
    assert account.wait(60)
    [invocation] = account.invocation_records("fn")
    assert invocation.payload == ["r0", "r1", "r2"] and invocation.start >= opened + 5


def test_filters_skip_records_and_the_checkpoint_moves_past_them(account, mappings):
    kinesis, arn = stream(account, shards=1)
    account.register("fn", ECHO)
    seqs = put(
        kinesis,
        ['{"kind": "order"}', '{"kind": "noise"}', "not json", '{"kind": "order", "n": 2}', '{"kind": "noise"}'],
    )
    mapping = mappings.create(
        "fn",
        arn,
        starting_position="TRIM_HORIZON",
        filter_criteria={"Filters": [{"Pattern": '{"data": {"kind": ["order"]}}'}]},
    )
    assert account.wait(60)
    assert [seq for _, seq, _ in processed(account)] == [seqs[0], seqs[3]]
    poller = mappings.get(mapping.uuid)
    assert poller.describe()["shards"][0]["position"] == seqs[-1] and poller.stats["records_filtered"] == 3


def test_throttles_are_retried_without_counting_an_attempt(account, mappings, failure_queue, eventually):
    kinesis, arn = stream(account, shards=1)
    account.register("fn", ECHO, reserved_concurrency=0)
    put(kinesis, ["r0"])
    mapping = mappings.create(
        "fn",
        arn,
        starting_position="TRIM_HORIZON",
        maximum_retry_attempts=0,
        destination_config=failure_queue.destination,
    )
    poller = mappings.get(mapping.uuid)
    eventually(lambda: poller.stats["throttles"] >= 3, "the invoke was throttled again and again")
    account.put_function_concurrency("fn", None)
    assert account.wait(60)
    assert [d for _, _, d in processed(account)] == ["r0"] and failure_queue.messages() == []


def test_new_shards_are_picked_up(account, mappings):
    kinesis, arn = stream(account, shards=1)
    account.register("fn", ECHO)
    mapping = mappings.create("fn", arn, starting_position="LATEST")
    kinesis.update_shard_count(StreamName="lecture", TargetShardCount=2, ScalingType="UNIFORM_SCALING")
    poller = mappings.get(mapping.uuid)
    poller.pending()
    assert len(poller.describe()["shards"]) == 3  # the parent and its two children


def test_mappings_aws_refuses(account, mappings):
    _, arn = stream(account, shards=1)
    account.register("fn", ECHO)
    with pytest.raises(ResourceNotFoundException, match="not found"):
        mappings.create("fn", arn.replace("lecture", "missing"), starting_position="LATEST")
    with pytest.raises(InvalidParameterValueException, match="starting_position"):
        mappings.create("fn", arn)
    with pytest.raises(InvalidParameterValueException, match="consumer"):
        mappings.create("fn", arn + "/consumer/c:1", starting_position="LATEST")
    with pytest.raises(InvalidParameterValueException, match="OnFailure destination"):
        mappings.create(
            "fn",
            arn,
            starting_position="LATEST",
            destination_config={"OnFailure": {"Destination": "arn:aws:sqs:us-east-1:123456789012:q.fifo"}},
        )
    assert mappings.mappings() == []
