"""The alarm decision against the table in CloudWatch's "Configuring how CloudWatch alarms treat
missing data" (EvaluationPeriods = DatapointsToAlarm = 3, five periods fetched, oldest first:
0 = not breaching, X = breaching, - = missing), and CloudWatch's alarm message."""

from __future__ import annotations

import pytest

from lambda_magic.runtime.cloudwatch_alarms import alarm_message, decide

MODES = ("missing", "ignore", "breaching", "notBreaching")


def points(pattern):
    return [None if c == "-" else (5.0 if c == "X" else 0.0) for c in pattern.split()]


def state(pattern, treatment, current="OK", n=3, m=3):
    return decide(points(pattern), "GreaterThanThreshold", 1.0, n, m, treatment, current)[0]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("0 0 X 0 X", ("OK", "OK", "OK", "OK")),
        ("0 - X - X", ("OK", "OK", "OK", "OK")),
        ("- - - - -", ("INSUFFICIENT_DATA", "OK", "ALARM", "OK")),  # ignore keeps the current state (OK here)
        ("0 X X - X", ("ALARM", "ALARM", "ALARM", "ALARM")),
        ("- - X - -", ("ALARM", "ALARM", "ALARM", "OK")),  # the premature alarm rule
    ],
)
def test_the_documented_table(pattern, expected):
    assert tuple(state(pattern, mode) for mode in MODES) == expected


@pytest.mark.parametrize("pattern", ["- - - - X", "- - - X -"])
def test_a_recent_breach_alone_does_not_alarm_yet(pattern):
    assert state(pattern, "missing", current="OK") != "ALARM"
    assert state(pattern, "ignore", current="OK") != "ALARM"


def test_datapoints_are_shown_newest_first_with_their_times():
    stamps = [1_764_700_000.0 + 60 * i for i in range(3)]
    _, reason = decide([1.0, 3.0, 4.0], "GreaterThanThreshold", 2.0, 3, 2, "missing", "OK", stamps)
    assert reason.startswith(
        "Threshold Crossed: 2 out of the last 3 datapoints [4.0 (02/12/25 18:28:40), 3.0 (02/12/25 18:27:40), "
        "1.0 (02/12/25 18:26:40)] was greater than the threshold (2.0) (minimum 2 datapoints for OK -> ALARM"
    )


def test_m_out_of_n_need_not_be_consecutive():
    assert state("X 0 X", "missing", n=3, m=2) == "ALARM"
    assert state("X 0 0", "missing", n=3, m=2) == "OK"


def test_reasons_read_as_cloudwatch_writes_them():
    _, reason = decide([2.0], "GreaterThanOrEqualToThreshold", 1.0, 1, 1, "missing", "OK")
    assert reason == (
        "Threshold Crossed: 1 out of the last 1 datapoints [2.0] was greater than or equal to the threshold (1.0) "
        "(minimum 1 datapoint for OK -> ALARM transition)."
    )
    assert decide([None], "GreaterThanThreshold", 1.0, 1, 1, "missing", "OK")[1] == (
        "Insufficient Data: 1 datapoint was unknown."
    )
    assert decide([None], "GreaterThanThreshold", 1.0, 1, 1, "notBreaching", "ALARM")[1] == (
        "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as "
        "[NonBreaching]."
    )


def test_alarm_message_document():
    alarm = {
        "AlarmName": "errors",
        "AlarmArn": "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:errors",
        "Namespace": "AWS/Lambda",
        "MetricName": "Duration",
        "ExtendedStatistic": "p99",
        "Dimensions": [{"Name": "FunctionName", "Value": "f"}],
        "Period": 300,
        "EvaluationPeriods": 2,
        "ComparisonOperator": "GreaterThanThreshold",
        "Threshold": 900,
        "AlarmActions": ["arn:aws:sns:eu-west-1:123456789012:t"],
    }
    message = alarm_message(alarm, "OK", "ALARM", "why", 1_764_700_000.0, "eu-west-1")
    assert message["AWSAccountId"] == "123456789012"
    assert message["Region"] == "EU (Ireland)"
    assert message["StateChangeTime"] == "2025-12-02T18:26:40.000+0000"
    assert message["Trigger"]["StatisticType"] == "ExtendedStatistic"
    assert message["Trigger"]["ExtendedStatistic"] == "p99"
    assert message["Trigger"]["Threshold"] == 900.0
    assert message["Trigger"]["TreatMissingData"] == "missing"
    assert message["OKActions"] == [] and message["InsufficientDataActions"] == []
