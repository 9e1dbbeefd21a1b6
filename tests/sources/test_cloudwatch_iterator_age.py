"""IteratorAge in the local cloud's CloudWatch (AWS/Lambda, [FunctionName]): the ages the stream
poller measured after each batch, as get_metric_statistics and list_metrics give them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from .test_kinesis import ECHO, put, stream


def test_iterator_age_maximum_is_the_oldest_batch_age(account, mappings):
    kinesis, arn = stream(account, shards=1)
    account.register("fn", ECHO)
    put(kinesis, [f"r{i}" for i in range(9)])
    mapping = mappings.create("fn", arn, starting_position="TRIM_HORIZON", batch_size=4)
    assert account.wait(60)
    ages = [ms for _, _, ms in mappings.get(mapping.uuid).iterator_ages]
    assert len(ages) == 3
    cw = account.cloud.client("cloudwatch")
    now = datetime.fromtimestamp(account.clock.time(), timezone.utc)
    [point] = cw.get_metric_statistics(
        Namespace="AWS/Lambda",
        MetricName="IteratorAge",
        Dimensions=[{"Name": "FunctionName", "Value": "fn"}],
        StartTime=now - timedelta(hours=1),
        EndTime=now + timedelta(hours=1),
        Period=7200,
        Statistics=["Maximum", "SampleCount"],
    )["Datapoints"]
    assert point["Maximum"] == max(ages) and point["SampleCount"] == 3
    assert point["Unit"] == "Milliseconds"
    listed = cw.list_metrics(Namespace="AWS/Lambda", MetricName="IteratorAge")["Metrics"]
    assert listed == [
        {
            "Namespace": "AWS/Lambda",
            "MetricName": "IteratorAge",
            "Dimensions": [{"Name": "FunctionName", "Value": "fn"}],
        }
    ]
