"""Metric alarms evaluated on the account clock, as CloudWatch evaluates them.

moto stores alarms (``put_metric_alarm``) but never evaluates them.  This account
extension does, every minute of account time while alarms exist (the cloud's
CloudWatch side tells it when they change): it reads each alarm's datapoints with
``GetMetricData`` through the same local CloudWatch that answers boto3 (exact
dimensions, AWS/Lambda from the account's metrics), decides the state, and on a
change sets it (``SetAlarmState``: ``StateValue``, ``StateReason``, ``StateReasonData``
and history, stamped on the account clock) and runs the actions of the new state:
an SNS topic ARN gets CloudWatch's alarm message (JSON) published to it, so a
function subscribed to the topic runs.

The decision (:func:`decide`, after CloudWatch's "Configuring how alarms treat missing
data"): the last ``EvaluationPeriods`` N periods, plus up to two older ones, are fetched;
with at least N real datapoints the newest N decide (ALARM when ``DatapointsToAlarm`` M
of them breach).  With fewer, ``TreatMissingData`` fills the gaps: ``breaching`` /
``notBreaching`` count a missing point as breaching or not, ``ignore`` keeps the state
when every point is missing, ``missing`` (the default) then goes to INSUFFICIENT_DATA.
An alarm whose oldest breaching point is M periods old with only breaching or missing
points after it alarms early (CloudWatch's "premature alarm" rule).

After a clock jump every minute boundary passed is evaluated in order, so a long
``account.clock.advance`` gives the state changes a real alarm would have made.
Not evaluated: metric-math alarms (``Metrics``) and anomaly-detection operators.  Periods
longer than a minute are taken aligned to multiples of the period (CloudWatch slides them
by the minute).
"""

from __future__ import annotations

import json
import math
import threading
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from .cloudwatch_lambda import iso

if TYPE_CHECKING:
    from .account import LocalAccount

#: Evaluations made after one clock jump at most (a day of minutes).
MAX_CATCH_UP = 1440
REGION_NAMES = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)",
    "eu-west-1": "EU (Ireland)",
    "eu-central-1": "EU (Frankfurt)",
    "ap-northeast-1": "Asia Pacific (Tokyo)",
    "ap-southeast-2": "Asia Pacific (Sydney)",
}
_OPERATORS = {
    "GreaterThanOrEqualToThreshold": (lambda v, t: v >= t, "greater than or equal to"),
    "GreaterThanThreshold": (lambda v, t: v > t, "greater than"),
    "LessThanThreshold": (lambda v, t: v < t, "less than"),
    "LessThanOrEqualToThreshold": (lambda v, t: v <= t, "less than or equal to"),
}


def breaches(operator: str, value: float, threshold: float) -> bool:
    return bool(_OPERATORS[operator][0](value, threshold))


def decide(
    points: list[float | None],
    operator: str,
    threshold: float,
    n: int,
    m: int,
    treatment: str,
    current: str,
    stamps: list[float] | None = None,
) -> tuple[str, str]:
    """The new state and its reason from the range's datapoints (oldest first, None = missing;
    ``stamps``: their period starts, shown in the reason as CloudWatch shows them)."""
    words = _OPERATORS[operator][1]
    real = [i for i, p in enumerate(points) if p is not None]

    def crossed(used: list[int], breaching: int, state: str) -> str:
        shown = ", ".join(_point(points[i], stamps[i] if stamps else None) for i in reversed(used))
        return _crossed(shown, len(used), breaching, n, m, state, words, threshold)

    def breach(i: int) -> bool:
        value = points[i]
        return value is not None and breaches(operator, value, threshold)

    if len(real) >= n:
        used = real[-n:]
        crossing = sum(breach(i) for i in used)
        state = "ALARM" if crossing >= m else "OK"
        return state, crossed(used, crossing, state)
    window = range(len(points) - n, len(points))
    if not real:
        if treatment == "breaching":
            return "ALARM", _filled(n, "Breaching")
        if treatment == "notBreaching":
            return "OK", _filled(n, "NonBreaching")
        if treatment == "ignore":
            return current, ""
        return "INSUFFICIENT_DATA", f"Insufficient Data: {n} datapoint{'s were' if n > 1 else ' was'} unknown."
    present = [i for i in window if points[i] is not None]
    count = sum(breach(i) for i in present)
    if treatment in ("breaching", "notBreaching"):
        if treatment == "breaching":
            count += len(window) - len(present)
        state = "ALARM" if count >= m else "OK"
        return state, crossed(present, count, state)
    breaching = [i for i in real if breach(i)]
    premature = (
        bool(breaching)
        and len(points) - breaching[0] >= m
        and all(points[i] is None or breach(i) for i in range(breaching[0], len(points)))
    )
    if count >= m or premature:
        return "ALARM", crossed(real, max(count, len(breaching)), "ALARM")
    if any(not breach(i) for i in real):
        return "OK", crossed(real, count, "OK")
    return current, ""


def _point(value: float | None, stamp: float | None) -> str:
    if stamp is None:
        return f"{value!r}"
    return f"{value!r} ({datetime.fromtimestamp(stamp, timezone.utc).strftime('%d/%m/%y %H:%M:%S')})"


def _crossed(shown: str, used: int, breaching: int, n: int, m: int, state: str, words: str, threshold: float) -> str:
    transition = "OK -> ALARM" if state == "ALARM" else "ALARM -> OK"
    verb = "was" if state == "ALARM" else "was not"
    count = breaching if state == "ALARM" else used - breaching
    return (
        f"Threshold Crossed: {count} out of the last {n} datapoints [{shown}] {verb} {words} "
        f"the threshold ({threshold!r}) (minimum {m} datapoint{'s' if m > 1 else ''} for {transition} transition)."
    )


def _filled(n: int, how: str) -> str:
    return (
        f"Threshold Crossed: no datapoints were received for {n} period{'s' if n > 1 else ''} and "
        f"{n} missing datapoint{'s were' if n > 1 else ' was'} treated as [{how}]."
    )


class AlarmEvaluator:
    """The account's alarm evaluator (an account extension; thread-safe)."""

    NAME = "cloudwatch_alarms"

    @classmethod
    def of(cls, account: LocalAccount) -> AlarmEvaluator:
        return account.extension(cls.NAME, lambda: cls(account))

    def __init__(self, account: LocalAccount):
        self.account = account
        self._lock = threading.Lock()
        self._armed: float | None = None
        #: The last minute boundary evaluated.
        self._evaluated: float | None = None
        self._busy = 0
        self._stopped = False
        #: Failures of evaluations (the evaluator goes on), newest last.
        self.errors: list[str] = []

    def changed(self) -> None:
        """Alarms were put or deleted: evaluate from the next minute boundary on."""
        with self._lock:
            if self._evaluated is None:
                self._evaluated = math.floor(self.account.clock.time() / 60) * 60
        self._arm()

    def _arm(self) -> None:
        with self._lock:
            if self._stopped or self._armed is not None or self._evaluated is None:
                return
            due = self._armed = self._evaluated + 60
        self.account.scheduler.call_at(due, self._due, work=False)

    def _due(self) -> None:
        with self._lock:
            self._armed = None
            if self._stopped:
                return
            self._busy += 1
        threading.Thread(target=self._run, name="lambda_magic alarms", daemon=True).start()

    def _run(self) -> None:
        alarms: list[dict[str, Any]] = []
        try:
            now = self.account.clock.time()
            boundary = math.floor(now / 60) * 60
            with self._lock:
                start = (self._evaluated or boundary - 60) + 60
            moments = [t for t in range(int(start), int(boundary) + 1, 60)][-MAX_CATCH_UP:]
            for moment in moments:
                alarms = self._alarms()
                for alarm in alarms:
                    try:
                        self.evaluate(alarm, float(moment))
                    except Exception as exc:  # one alarm's failure must not stop the others
                        self.errors.append(f"{alarm.get('AlarmName')}: {type(exc).__name__}: {exc}")
                with self._lock:
                    self._evaluated = float(moment)
        except Exception as exc:
            self.errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            due = None
            with self._lock:  # armed before no longer busy: settle() never sees a gap between the two
                if not alarms:
                    self._evaluated = None  # no alarms: wait for the next change
                elif not self._stopped and self._armed is None and self._evaluated is not None:
                    due = self._armed = self._evaluated + 60
                self._busy -= 1
            if due is not None:
                self.account.scheduler.call_at(due, self._due, work=False)

    def settle(self) -> bool:
        """Whether an evaluation is due or running (``account.wait()`` waits for it)."""
        now = self.account.clock.time()
        with self._lock:
            return self._busy > 0 or (self._armed is not None and self._armed <= now)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True

    def _alarms(self) -> list[dict[str, Any]]:
        client = self.account.cloud.client("cloudwatch")
        found: list[dict[str, Any]] = []
        for page in client.get_paginator("describe_alarms").paginate(AlarmTypes=["MetricAlarm"]):
            found.extend(page.get("MetricAlarms", []))
        return found

    # --- one alarm at one minute -------------------------------------------------------------------

    def evaluate(self, alarm: dict[str, Any], moment: float) -> str | None:
        """Evaluate ``alarm`` (as describe_alarms gives it) at account time ``moment``;
        the new state when it changed."""
        if alarm.get("Metrics") or alarm.get("ComparisonOperator") not in _OPERATORS:
            return None
        period = int(alarm["Period"])
        n = int(alarm["EvaluationPeriods"])
        m = int(alarm.get("DatapointsToAlarm") or n)
        size = n + min(n - 1, 2)
        end = math.floor(moment / period) * period
        begin = end - size * period
        statistic = alarm.get("ExtendedStatistic") or alarm.get("Statistic") or "Average"
        query: dict[str, Any] = {
            "Metric": {
                "Namespace": alarm["Namespace"],
                "MetricName": alarm["MetricName"],
                "Dimensions": alarm.get("Dimensions", []),
            },
            "Period": period,
            "Stat": statistic,
        }
        if alarm.get("Unit"):
            query["Unit"] = alarm["Unit"]
        client = self.account.cloud.client("cloudwatch")
        answer = client.get_metric_data(
            MetricDataQueries=[{"Id": "m", "MetricStat": query}],
            StartTime=datetime.fromtimestamp(begin, timezone.utc),
            EndTime=datetime.fromtimestamp(end, timezone.utc),
            ScanBy="TimestampAscending",
        )["MetricDataResults"][0]
        values = {int(t.timestamp()): v for t, v in zip(answer["Timestamps"], answer["Values"], strict=False)}
        points = [values.get(int(begin + i * period)) for i in range(size)]
        current = alarm.get("StateValue", "INSUFFICIENT_DATA")
        treatment = alarm.get("TreatMissingData") or "missing"
        stamps = [float(begin + i * period) for i in range(size)]
        state, reason = decide(
            points, alarm["ComparisonOperator"], float(alarm["Threshold"]), n, m, treatment, current, stamps
        )
        if state == current:
            return None
        real = [(begin + i * period, p) for i, p in enumerate(points) if p is not None]
        data = {
            "version": "1.0",
            "queryDate": iso(moment),
            "startDate": iso(begin),
            "statistic": statistic,
            "period": period,
            "recentDatapoints": [p for _, p in real[-n:]],
            "threshold": float(alarm["Threshold"]),
            "evaluatedDatapoints": [{"timestamp": iso(t), "value": p} for t, p in reversed(real[-n:])],
        }
        client.set_alarm_state(
            AlarmName=alarm["AlarmName"], StateValue=state, StateReason=reason, StateReasonData=json.dumps(data)
        )
        if alarm.get("ActionsEnabled", True):
            self._act(alarm, current, state, reason, moment)
        return state

    def _act(self, alarm: dict[str, Any], old: str, new: str, reason: str, moment: float) -> None:
        actions = {"ALARM": "AlarmActions", "OK": "OKActions", "INSUFFICIENT_DATA": "InsufficientDataActions"}[new]
        topics = [arn for arn in alarm.get(actions, []) if arn.startswith("arn:aws:sns:")]
        if not topics:
            return
        region = self.account.settings.region
        message = alarm_message(alarm, old, new, reason, moment, region)
        subject = f'{new}: "{alarm["AlarmName"]}" in {REGION_NAMES.get(region, region)}'[:100]
        sns = self.account.cloud.client("sns")
        for topic in topics:
            sns.publish(TopicArn=topic, Subject=subject, Message=json.dumps(message))


def alarm_message(alarm: dict[str, Any], old: str, new: str, reason: str, moment: float, region: str) -> dict[str, Any]:
    """The JSON document CloudWatch publishes to an alarm's SNS topic."""
    arn = alarm["AlarmArn"]
    updated = alarm.get("AlarmConfigurationUpdatedTimestamp")
    trigger: dict[str, Any] = {
        "MetricName": alarm["MetricName"],
        "Namespace": alarm["Namespace"],
        "StatisticType": "ExtendedStatistic" if alarm.get("ExtendedStatistic") else "Statistic",
        "Unit": alarm.get("Unit"),
        "Dimensions": [{"value": d["Value"], "name": d["Name"]} for d in alarm.get("Dimensions", [])],
        "Period": alarm["Period"],
        "EvaluationPeriods": alarm["EvaluationPeriods"],
        "ComparisonOperator": alarm["ComparisonOperator"],
        "Threshold": float(alarm["Threshold"]),
        "TreatMissingData": alarm.get("TreatMissingData") or "missing",
        "EvaluateLowSampleCountPercentile": alarm.get("EvaluateLowSampleCountPercentile") or "",
    }
    if alarm.get("ExtendedStatistic"):
        trigger["ExtendedStatistic"] = alarm["ExtendedStatistic"]
    else:
        trigger["Statistic"] = (alarm.get("Statistic") or "Average").upper()
    if alarm.get("DatapointsToAlarm"):
        trigger["DatapointsToAlarm"] = alarm["DatapointsToAlarm"]
    return {
        "AlarmName": alarm["AlarmName"],
        "AlarmDescription": alarm.get("AlarmDescription"),
        "AWSAccountId": arn.split(":")[4],
        "AlarmConfigurationUpdatedTimestamp": iso(updated.timestamp()) if updated is not None else None,
        "NewStateValue": new,
        "NewStateReason": reason,
        "StateChangeTime": iso(moment),
        "Region": REGION_NAMES.get(region, region),
        "AlarmArn": arn,
        "OldStateValue": old,
        "OKActions": alarm.get("OKActions", []),
        "AlarmActions": alarm.get("AlarmActions", []),
        "InsufficientDataActions": alarm.get("InsufficientDataActions", []),
        "Trigger": trigger,
    }
