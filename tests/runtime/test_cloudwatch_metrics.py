"""The AWS/Lambda namespace and custom metrics through boto3's CloudWatch client, against the
local cloud: the values expected are computed here from the invocations the test made."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy
import pytest
from botocore.exceptions import ClientError

from lambda_magic.runtime import TooManyRequestsException

from .helpers import code

WORKER = code(
    """
    def lambda_handler(event, context):
        if event.get("fail"):
            raise ValueError("boom")
        return event
    """
)


@pytest.fixture
def cw(account):
    account.configure(clock_mode="manual")
    return account.cloud.client("cloudwatch")


def window(account, hours=1):
    now = datetime.fromtimestamp(account.clock.time(), timezone.utc)
    return {"StartTime": now - timedelta(hours=hours), "EndTime": now + timedelta(hours=hours)}


def function_dims(name, **more):
    dims = [{"Name": "FunctionName", "Value": name}]
    dims += [{"Name": key, "Value": value} for key, value in more.items()]
    return dims


def one_point(cw, account, metric, dims, **stats):
    answer = cw.get_metric_statistics(
        Namespace="AWS/Lambda", MetricName=metric, Dimensions=dims, Period=3600, **window(account, 2), **stats
    )
    return answer["Datapoints"]


def test_invocations_errors_and_duration_match_the_invocations(account, cw):
    account.register("worker", WORKER)
    for n in range(7):
        account.invoke("worker", {"n": n, "fail": n % 3 == 0})
    records = list(account.invocation_records("worker"))
    durations = [r.duration_ms for r in records]
    errors = sum(r.status != "success" for r in records)
    [point] = one_point(
        cw,
        account,
        "Duration",
        function_dims("worker"),
        Statistics=["SampleCount", "Sum", "Minimum", "Maximum", "Average"],
        ExtendedStatistics=["p50", "p99"],
    )
    assert point["SampleCount"] == len(records) == 7
    assert point["Sum"] == pytest.approx(sum(durations))
    assert point["Minimum"] == pytest.approx(min(durations))
    assert point["Maximum"] == pytest.approx(max(durations))
    assert point["Average"] == pytest.approx(sum(durations) / 7)
    assert point["ExtendedStatistics"]["p99"] == pytest.approx(numpy.percentile(durations, 99))
    assert point["ExtendedStatistics"]["p50"] == pytest.approx(numpy.median(durations))
    assert point["Unit"] == "Milliseconds"
    [errors_point] = one_point(
        cw, account, "Errors", function_dims("worker"), Statistics=["Sum", "SampleCount", "Average"]
    )
    # binary indicators: one sample per invocation, 1 for an error, so the Average is the error rate
    assert errors_point["Sum"] == errors == 3
    assert errors_point["SampleCount"] == 7
    assert errors_point["Average"] == pytest.approx(3 / 7)
    [invocations] = one_point(cw, account, "Invocations", function_dims("worker"), Statistics=["Sum"])
    assert invocations["Sum"] == 7 and invocations["Unit"] == "Count"


def test_get_metric_data_per_minute_on_the_account_clock(account, cw):
    account.register("worker", WORKER)
    start = account.clock.time()
    expected = {}
    for ok, failed in [(2, 1), (0, 0), (1, 3)]:
        for _ in range(ok):
            account.invoke("worker", {})
        for _ in range(failed):
            account.invoke("worker", {"fail": True})
        if ok + failed:
            expected[int(account.clock.time() // 60 * 60)] = failed
        account.clock.advance(60)
    answer = cw.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "errors",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/Lambda",
                        "MetricName": "Errors",
                        "Dimensions": function_dims("worker"),
                    },
                    "Period": 60,
                    "Stat": "Sum",
                },
            }
        ],
        StartTime=datetime.fromtimestamp(start - 600, timezone.utc),
        EndTime=datetime.fromtimestamp(start + 600, timezone.utc),
        ScanBy="TimestampAscending",
    )
    [result] = answer["MetricDataResults"]
    assert result["Id"] == "errors" and result["StatusCode"] == "Complete"
    assert {int(t.timestamp()): v for t, v in zip(result["Timestamps"], result["Values"], strict=True)} == expected
    assert result["Values"] == [1.0, 3.0]  # the idle minute has no datapoint, as on AWS


def test_dimension_sets_are_matched_exactly(account, cw):
    account.register("worker", WORKER)
    account.register("other", WORKER)
    account.publish_version("worker")
    account.create_alias("worker", "live", "1")
    account.invoke("worker", {})  # unqualified: [FunctionName] only
    account.invoke("worker", {}, qualifier="1")  # + [FunctionName, Resource=worker:1]
    for _ in range(3):
        account.invoke("worker", {}, qualifier="live")  # + Resource=worker:live, and its ExecutedVersion
    account.invoke("other", {"fail": True})

    def total(metric, dims):
        points = one_point(cw, account, metric, dims, Statistics=["Sum"])
        return sum(p["Sum"] for p in points)

    assert total("Invocations", function_dims("worker")) == 5
    assert total("Invocations", function_dims("worker", Resource="worker:1")) == 1
    assert total("Invocations", function_dims("worker", Resource="worker:live")) == 3
    assert total("Invocations", function_dims("worker", Resource="worker:live", ExecutedVersion="1")) == 3
    assert total("Invocations", function_dims("worker", Resource="worker:$LATEST")) == 0
    assert total("Invocations", []) == 6  # the whole Region
    assert total("Errors", []) == 1
    assert total("Errors", function_dims("other")) == 1
    listed = cw.list_metrics(Namespace="AWS/Lambda", MetricName="Invocations")["Metrics"]
    sets = sorted(tuple(sorted((d["Name"], d["Value"]) for d in m["Dimensions"])) for m in listed)
    assert sets == [
        (),
        (("ExecutedVersion", "1"), ("FunctionName", "worker"), ("Resource", "worker:live")),
        (("FunctionName", "other"),),
        (("FunctionName", "worker"),),
        (("FunctionName", "worker"), ("Resource", "worker:1")),
        (("FunctionName", "worker"), ("Resource", "worker:live")),
    ]
    # ListMetrics' Dimensions is a filter: every metric that has the dimension
    by_resource = cw.list_metrics(Namespace="AWS/Lambda", Dimensions=[{"Name": "Resource"}])["Metrics"]
    assert {d["Value"] for m in by_resource for d in m["Dimensions"] if d["Name"] == "Resource"} == {
        "worker:1",
        "worker:live",
    }


def test_custom_metrics_exact_dimensions_and_the_account_clock(account, cw):
    account.clock.advance(5 * 3600)  # account time hours away from the wall clock
    cw.put_metric_data(
        Namespace="Shop",
        MetricData=[
            {"MetricName": "Orders", "Value": 3, "Dimensions": [{"Name": "Store", "Value": "north"}]},
            {
                "MetricName": "Orders",
                "Values": [5, 7],
                "Dimensions": [{"Name": "Store", "Value": "north"}, {"Name": "Channel", "Value": "web"}],
            },
        ],
    )
    points = cw.get_metric_statistics(
        Namespace="Shop",
        MetricName="Orders",
        Dimensions=[{"Name": "Store", "Value": "north"}],
        Period=60,
        Statistics=["Sum", "SampleCount"],
        **window(account),
    )["Datapoints"]
    assert [(p["Sum"], p["SampleCount"]) for p in points] == [(3.0, 1.0)]  # not the [Store, Channel] series
    assert points[0]["Timestamp"].timestamp() == account.clock.time() // 60 * 60
    both = cw.get_metric_statistics(
        Namespace="Shop",
        MetricName="Orders",
        Dimensions=[{"Name": "Channel", "Value": "web"}, {"Name": "Store", "Value": "north"}],
        Period=60,
        Statistics=["Maximum"],
        **window(account),
    )["Datapoints"]
    assert [p["Maximum"] for p in both] == [7.0]


def test_nobody_publishes_into_aws_lambda(cw):
    with pytest.raises(ClientError) as caught:
        cw.put_metric_data(Namespace="AWS/Lambda", MetricData=[{"MetricName": "Invocations", "Value": 1}])
    assert caught.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_throttles_async_counters_and_concurrency(account, cw):
    account.register("worker", WORKER)
    account.register("blocked", WORKER)
    account.put_function_concurrency("blocked", 0)
    for _ in range(2):
        with pytest.raises(TooManyRequestsException):
            account.invoke("blocked", {})
    for n in range(3):
        account.invoke("worker", {"n": n}, invocation_type="Event")
    assert account.wait(timeout=60)
    received = sum(1 for r in account.invocation_records("worker") if r.status == "success")

    def total(metric, name, stat="Sum"):
        points = one_point(cw, account, metric, function_dims(name) if name else [], Statistics=[stat])
        return sum(p[stat] for p in points)

    assert total("Throttles", "blocked") == 2
    assert total("Invocations", "blocked") == 0  # a throttled request is no invocation
    assert total("Throttles", None) == 2
    assert total("AsyncEventsReceived", "worker") == 3 == received
    assert total("AsyncEventAge", "worker", "SampleCount") >= 1
    assert total("ConcurrentExecutions", "worker", "Maximum") >= 1
    assert total("ConcurrentExecutions", None, "Maximum") >= 1
    names = {
        m["MetricName"] for m in cw.list_metrics(Namespace="AWS/Lambda", Dimensions=function_dims("worker"))["Metrics"]
    }
    assert {
        "Invocations",
        "Errors",
        "Duration",
        "ConcurrentExecutions",
        "AsyncEventsReceived",
        "AsyncEventAge",
    } <= names
    assert "Throttles" not in names  # published only when there is something to count
