"""CloudWatch alarms evaluated on the account clock: put through boto3, INSUFFICIENT_DATA ->
ALARM -> OK on a manual clock, the state and history as describe_alarms and
describe_alarm_history give them, and CloudWatch's alarm message published to an SNS topic
whose subscribed function runs."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from .test_sns import subscribe, topic

FLAKY = """
def lambda_handler(event, context):
    if event.get("fail"):
        raise RuntimeError("boom")
    return "fine"
"""
ECHO = """
def lambda_handler(event, context):
    return event
"""


@pytest.fixture
def clock(account):
    account.configure(clock_mode="manual")
    return account.clock


@pytest.fixture
def cw(account, push, clock):
    return account.cloud.client("cloudwatch")


def to_next_minute(clock, plus=1.0):
    clock.advance(60 - clock.time() % 60 + plus)


def alarm(cw, name="errors"):
    [found] = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"]
    return found


def notifications(account, name="pager"):
    assert account.wait(timeout=60)
    return [json.loads(r.payload["Records"][0]["Sns"]["Message"]) for r in account.invocation_records(name)]


def put_errors_alarm(cw, topic_arn, **extra):
    settings = {
        "AlarmName": "errors",
        "AlarmDescription": "flaky fails",
        "Namespace": "AWS/Lambda",
        "MetricName": "Errors",
        "Dimensions": [{"Name": "FunctionName", "Value": "flaky"}],
        "Statistic": "Sum",
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": 1,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "AlarmActions": [topic_arn],
        "OKActions": [topic_arn],
    }
    cw.put_metric_alarm(**{**settings, **extra})


def test_insufficient_data_then_alarm_then_ok_with_sns_notifications(account, lambda_client, cw, clock):
    account.register("flaky", FLAKY)
    account.register("pager", ECHO)
    arn = topic(account, "alerts")
    subscribe(account, lambda_client, "pager", arn)
    put_errors_alarm(cw, arn, TreatMissingData="notBreaching")
    assert alarm(cw)["StateValue"] == "INSUFFICIENT_DATA"
    assert alarm(cw)["StateReason"] == "Unchecked: Initial alarm creation"

    for _ in range(2):
        account.invoke("flaky", {"fail": True})
    account.invoke("flaky", {})
    failed_minute = clock.time() // 60 * 60
    to_next_minute(clock)
    [message] = notifications(account)
    found = alarm(cw)
    assert found["StateValue"] == "ALARM"
    stamp = datetime.fromtimestamp(failed_minute, timezone.utc).strftime("%d/%m/%y %H:%M:%S")
    assert found["StateReason"] == (
        f"Threshold Crossed: 1 out of the last 1 datapoints [2.0 ({stamp})] was greater than or equal to the "
        "threshold (1.0) (minimum 1 datapoint for OK -> ALARM transition)."
    )
    assert found["StateUpdatedTimestamp"].timestamp() == failed_minute + 60  # the evaluation's minute, account time
    reason_data = json.loads(found["StateReasonData"])
    assert reason_data["recentDatapoints"] == [2.0] and reason_data["statistic"] == "Sum"
    assert message["AlarmName"] == "errors" and message["AlarmDescription"] == "flaky fails"
    assert (message["OldStateValue"], message["NewStateValue"]) == ("INSUFFICIENT_DATA", "ALARM")
    assert message["NewStateReason"] == found["StateReason"]
    assert message["Region"] == "US East (N. Virginia)"
    assert message["AlarmArn"] == found["AlarmArn"]
    assert message["Trigger"]["MetricName"] == "Errors" and message["Trigger"]["Statistic"] == "SUM"
    assert message["Trigger"]["Dimensions"] == [{"value": "flaky", "name": "FunctionName"}]
    record = account.invocation_records("pager")[0].payload["Records"][0]["Sns"]
    assert record["Subject"] == 'ALARM: "errors" in US East (N. Virginia)'

    to_next_minute(clock)  # a minute without errors (no datapoint: notBreaching)
    messages = notifications(account)
    assert [(m["OldStateValue"], m["NewStateValue"]) for m in messages] == [
        ("INSUFFICIENT_DATA", "ALARM"),
        ("ALARM", "OK"),
    ]
    assert alarm(cw)["StateValue"] == "OK"
    history = cw.describe_alarm_history(AlarmName="errors", HistoryItemType="StateUpdate")["AlarmHistoryItems"]
    assert [h["HistorySummary"] for h in history] == [
        "Alarm updated from ALARM to OK",
        "Alarm updated from INSUFFICIENT_DATA to ALARM",
    ]
    to_next_minute(clock)  # no change: no action, no history
    assert len(notifications(account)) == 2


def test_missing_data_keeps_insufficient_data_and_a_long_jump_is_evaluated_minute_by_minute(
    account, lambda_client, cw, clock
):
    account.register("flaky", FLAKY)
    account.register("pager", ECHO)
    arn = topic(account, "alerts")
    subscribe(account, lambda_client, "pager", arn)
    put_errors_alarm(cw, arn)  # TreatMissingData missing (the default)
    to_next_minute(clock)
    assert account.wait(timeout=30)
    assert alarm(cw)["StateValue"] == "INSUFFICIENT_DATA"
    account.invoke("flaky", {"fail": True})
    clock.advance(10 * 60)  # one jump: ALARM at the first boundary, INSUFFICIENT_DATA at the next
    states = [(m["OldStateValue"], m["NewStateValue"]) for m in notifications(account)]
    assert states == [("INSUFFICIENT_DATA", "ALARM")]  # OKActions only for OK; no action for INSUFFICIENT_DATA
    history = cw.describe_alarm_history(AlarmName="errors", HistoryItemType="StateUpdate", ScanBy="TimestampAscending")
    summaries = [h["HistorySummary"] for h in history["AlarmHistoryItems"]]
    assert summaries == [
        "Alarm updated from INSUFFICIENT_DATA to ALARM",
        "Alarm updated from ALARM to INSUFFICIENT_DATA",
    ]
    stamps = [h["Timestamp"].timestamp() for h in history["AlarmHistoryItems"]]
    assert stamps[1] - stamps[0] == 60


def test_three_of_three_on_errors_with_an_update_keeping_the_state(account, lambda_client, cw, clock):
    account.register("flaky", FLAKY)
    account.register("pager", ECHO)
    arn = topic(account, "alerts")
    subscribe(account, lambda_client, "pager", arn)
    put_errors_alarm(cw, arn, EvaluationPeriods=3, DatapointsToAlarm=3, TreatMissingData="notBreaching")
    for _ in range(3):
        account.invoke("flaky", {"fail": True})
        to_next_minute(clock)
        assert account.wait(timeout=30)
    assert alarm(cw)["StateValue"] == "ALARM"
    put_errors_alarm(cw, arn, EvaluationPeriods=3, DatapointsToAlarm=3, TreatMissingData="notBreaching", Threshold=5)
    assert alarm(cw)["StateValue"] == "ALARM"  # PutMetricAlarm on an alarm keeps its state
    assert alarm(cw)["Threshold"] == 5


def test_a_p99_duration_alarm_and_an_alarm_on_a_custom_metric(account, cw, clock):
    account.register("flaky", FLAKY)
    cw.put_metric_alarm(
        AlarmName="slow",
        Namespace="AWS/Lambda",
        MetricName="Duration",
        Dimensions=[{"Name": "FunctionName", "Value": "flaky"}],
        ExtendedStatistic="p99",
        Period=60,
        EvaluationPeriods=1,
        Threshold=0.0,
        ComparisonOperator="GreaterThanThreshold",
    )
    cw.put_metric_alarm(
        AlarmName="few-orders",
        Namespace="Shop",
        MetricName="Orders",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=10,
        ComparisonOperator="LessThanThreshold",
    )
    account.invoke("flaky", {})
    cw.put_metric_data(Namespace="Shop", MetricData=[{"MetricName": "Orders", "Value": 4}])
    to_next_minute(clock)
    assert account.wait(timeout=30)
    assert alarm(cw, "slow")["StateValue"] == "ALARM"
    assert json.loads(alarm(cw, "slow")["StateReasonData"])["statistic"] == "p99"
    assert alarm(cw, "few-orders")["StateValue"] == "ALARM"
    matching = cw.describe_alarms_for_metric(
        Namespace="AWS/Lambda", MetricName="Duration", Dimensions=[{"Name": "FunctionName", "Value": "flaky"}]
    )["MetricAlarms"]
    assert [a["AlarmName"] for a in matching] == ["slow"]
    assert cw.describe_alarms_for_metric(Namespace="AWS/Lambda", MetricName="Duration")["MetricAlarms"] == []
