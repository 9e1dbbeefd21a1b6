"""Embedded Metric Format log lines become CloudWatch metrics: Powertools Metrics as the real
client, the parser's rules (invalid EMF stays a log line), and ``PutLogEvents`` from boto3."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

import pytest

from lambda_magic.runtime.emf import EmfDatum, extract

from .helpers import code

POWERTOOLS = code(
    """
    from aws_lambda_powertools import Metrics
    from aws_lambda_powertools.metrics import MetricUnit

    metrics = Metrics(namespace="Shop", service="orders")

    @metrics.log_metrics
    def lambda_handler(event, context):
        metrics.add_dimension(name="Store", value=event["store"])
        metrics.add_metric(name="Orders", unit=MetricUnit.Count, value=event["orders"])
        metrics.add_metric(name="Basket", unit=MetricUnit.Count, value=event["basket"])
        print("plain line")
        return "ok"
    """
)


def statistics(cw, metric, dims, stats=("Sum", "SampleCount")):
    now = datetime.now(timezone.utc)
    return cw.get_metric_statistics(
        Namespace="Shop",
        MetricName=metric,
        Dimensions=dims,
        StartTime=now - timedelta(hours=1),
        EndTime=now + timedelta(hours=1),
        Period=3600,
        Statistics=list(stats),
    )["Datapoints"]


def test_powertools_metrics_become_custom_metrics(account):
    account.register("orders", POWERTOOLS)
    cw = account.cloud.client("cloudwatch")  # the cloud in use: the functions' logs are delivered there
    events = [{"store": "north", "orders": 2, "basket": 10}, {"store": "north", "orders": 3, "basket": 30}]
    events.append({"store": "south", "orders": 5, "basket": 7})
    for event in events:
        assert account.invoke("orders", event).ok
    logs = account.cloud.client("logs")  # returned once every event logged so far is delivered
    emf = [e for e in account.log_events("orders") if '"_aws"' in e.message]
    assert len(emf) == 3  # the document is an ordinary log line too
    assert logs.filter_log_events(logGroupName="/aws/lambda/orders", filterPattern='"_aws"')["events"]
    dims = [{"Name": "service", "Value": "orders"}, {"Name": "Store", "Value": "north"}]
    [north] = statistics(cw, "Orders", dims)
    assert (north["Sum"], north["SampleCount"]) == (5.0, 2.0)
    assert north["Unit"] == "Count"
    [south] = statistics(cw, "Basket", [{"Name": "Store", "Value": "south"}, {"Name": "service", "Value": "orders"}])
    assert south["Sum"] == 7.0
    assert statistics(cw, "Orders", [{"Name": "service", "Value": "orders"}]) == []  # exact dimension sets
    listed = cw.list_metrics(Namespace="Shop")["Metrics"]
    stores = sorted((m["MetricName"], {d["Name"]: d["Value"] for d in m["Dimensions"]}["Store"]) for m in listed)
    assert stores == [("Basket", "north"), ("Basket", "south"), ("Orders", "north"), ("Orders", "south")]


def document(**overrides):
    doc = {
        "_aws": {
            "Timestamp": 1_700_000_000_000,
            "CloudWatchMetrics": [
                {
                    "Namespace": "App",
                    "Dimensions": [["Env"], []],
                    "Metrics": [{"Name": "Latency", "Unit": "Milliseconds"}],
                }
            ],
        },
        "Env": "prod",
        "Latency": [12, 15.5],
        "requestId": "abc",
    }
    doc.update(overrides)
    return doc


def test_every_dimension_set_is_a_series_and_arrays_are_values():
    datums = extract(json.dumps(document()))
    assert datums == [
        EmfDatum("App", "Latency", (("Env", "prod"),), (12.0, 15.5), "Milliseconds", 1_700_000_000_000, 60),
        EmfDatum("App", "Latency", (), (12.0, 15.5), "Milliseconds", 1_700_000_000_000, 60),
    ]
    prefixed = "2026-12-02T10:00:00.000Z\tabc-123\t" + json.dumps(document())
    assert extract(prefixed) == datums


@pytest.mark.parametrize(
    "broken",
    [
        {"Env": 5},  # a dimension must hold a string
        {"Latency": "fast"},  # a metric must hold a number or numbers
        {"Latency": list(range(101))},  # at most 100 values
        {"Latency": [1, True]},
        {"_aws": {"CloudWatchMetrics": []}},  # no Timestamp
        {"_aws": {"Timestamp": 1, "CloudWatchMetrics": [{"Namespace": "AWS/Lambda", "Dimensions": [], "Metrics": []}]}},
    ],
)
def test_invalid_emf_yields_no_metric(broken):
    assert extract(json.dumps(document(**broken))) == []


def test_not_emf_at_all():
    assert extract("START RequestId: x") == []
    assert extract('{"_aws": ') == []
    assert extract('{"message": "no _aws"}') == []


def test_put_log_events_from_boto3_extracts_emf(account):
    logs = account.cloud.client("logs")
    cw = account.cloud.client("cloudwatch")
    logs.create_log_group(logGroupName="app")
    logs.create_log_stream(logGroupName="app", logStreamName="s")
    now_ms = int(time.time() * 1000)
    doc = document(Env="dev")
    doc["_aws"]["Timestamp"] = now_ms
    doc["_aws"]["CloudWatchMetrics"][0]["Namespace"] = "Shop"
    doc["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"] = "Latency"
    bad = document(Env=3)
    bad["_aws"]["Timestamp"] = now_ms
    logs.put_log_events(
        logGroupName="app",
        logStreamName="s",
        logEvents=[
            {"timestamp": now_ms, "message": json.dumps(doc)},
            {"timestamp": now_ms, "message": json.dumps(bad)},
        ],
    )
    [point] = statistics(cw, "Latency", [{"Name": "Env", "Value": "dev"}], ("Sum", "SampleCount", "Maximum"))
    assert (point["Sum"], point["SampleCount"], point["Maximum"]) == (27.5, 2.0, 15.5)
    assert point["Unit"] == "Milliseconds"


def test_emf_metrics_are_on_the_account_clock(account):
    account.configure(clock_mode="manual")
    account.clock.advance(40 * 60)  # account time runs 40 minutes ahead of the wall clock
    account.register("orders", POWERTOOLS)
    cw = account.cloud.client("cloudwatch")
    assert account.invoke("orders", {"store": "east", "orders": 4, "basket": 1}).ok
    account.cloud.client("logs")  # every event logged so far is delivered
    now = account.clock.time()
    [point] = cw.get_metric_statistics(
        Namespace="Shop",
        MetricName="Orders",
        Dimensions=[{"Name": "service", "Value": "orders"}, {"Name": "Store", "Value": "east"}],
        StartTime=datetime.fromtimestamp(now - 300, timezone.utc),
        EndTime=datetime.fromtimestamp(now + 300, timezone.utc),
        Period=60,
        Statistics=["Sum"],
    )["Datapoints"]
    assert point["Sum"] == 4.0
    assert point["Timestamp"].timestamp() == now // 60 * 60
