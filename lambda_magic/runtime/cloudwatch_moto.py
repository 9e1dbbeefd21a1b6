"""CloudWatch metrics and alarms as CloudWatch has them, inside the local cloud's server
(imported there only, through the cloud hooks; ``call`` reaches :class:`.LambdaMetrics`).

What moto does differently, and what this module patches:

* ``GetMetricData`` / ``GetMetricStatistics`` match dimensions as a subset (moto's
  ``GetMetricData`` even ignores the namespace once dimensions are given); here a
  series is its namespace, name and *exact* dimension set, for every namespace.  The
  statistics are SampleCount, Average, Sum, Minimum, Maximum and percentiles (``p99``,
  ``p99.9``: from the raw values; a period of statistic sets only has one when its
  Minimum equals its Maximum).  Periods start at multiples of the period.
* The ``AWS/Lambda`` namespace is the account's: its rows and ``ListMetrics`` entries come
  from the account through the hook, never from a copy.  Nobody else may publish there
  (``PutMetricData`` to an ``AWS/`` namespace is refused, as CloudWatch refuses it).
* A datum put without ``Timestamp`` is stamped with the account clock, not the wall clock
  (moto's own services' ``AWS/...`` data keep moto's wall-clock stamps).
* Log events holding Embedded Metric Format documents (:mod:`.emf`) become metrics of
  this account and Region, as CloudWatch Logs extracts them.  They are stamped with the
  log event's time: a handler's ``_aws.Timestamp`` is wall-clock time, the event's is the
  account clock's (the same instant when the clock runs in real time).
* A new alarm starts ``INSUFFICIENT_DATA`` (moto: ``OK``); ``PutMetricAlarm`` on an existing
  alarm keeps its state; every state change is kept as history on the account clock and
  ``DescribeAlarmHistory`` answers it; the account is told when alarms change, so its
  evaluator (:mod:`.cloudwatch_alarms`) follows them; ``DescribeAlarmsForMetric`` matches the
  dimensions exactly too.

``GetMetricData`` with metric math (``Expression``) is left to moto.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from . import cloudwatch_stats as stats
from .cloudwatch_lambda import NAMESPACE as LAMBDA_NAMESPACE
from .emf import extract

#: Marks moto's classes once patched (a server loads this module once per account reset too).
MARK = "_lambda_magic_cloudwatch"


def _epoch(moment: Any) -> float:
    """Epoch seconds of a datetime (moto's are naive UTC) or of a number."""
    if isinstance(moment, int | float):
        return float(moment)
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return float(moment.timestamp())


def _naive(epoch_s: float) -> datetime:
    """A naive UTC datetime, as moto keeps its timestamps."""
    return datetime.fromtimestamp(epoch_s, timezone.utc).replace(tzinfo=None)


def _aware(epoch_s: float) -> datetime:
    return datetime.fromtimestamp(epoch_s, timezone.utc)


def install(call: Callable[[dict[str, Any]], Any]) -> None:
    from moto.cloudwatch import models, responses
    from moto.cloudwatch.exceptions import InvalidParameterValue
    from moto.core.responses import ActionResult
    from moto.logs import models as logs_models

    if getattr(responses.CloudWatchResponse, MARK, False):
        return

    def now() -> float:
        try:
            return float(call({"op": "now"}))
        except Exception:
            return time.time()

    def tell(payload: dict[str, Any]) -> None:
        try:
            call(payload)
        except Exception:
            pass  # moto's operation stands whether or not the account answers

    def samples(
        backend: Any, namespace: str, name: str, dimensions: list[dict[str, Any]], unit: str | None
    ) -> list[stats.Sample]:
        found: list[stats.Sample] = []
        for datum in backend.metric_data:
            if datum.namespace != namespace or datum.name != name:
                continue
            if not stats.same_dimensions([{"Name": d.name, "Value": d.value} for d in datum.dimensions], dimensions):
                continue
            if unit and datum.unit != unit:
                continue
            when = _epoch(datum.timestamp)
            if isinstance(datum, models.MetricAggregatedDatum):
                found.append((when, datum.sample_count, datum.sum, datum.min, datum.max, None, datum.unit))
            else:
                found.append((when, 1.0, datum.value, datum.value, datum.value, [datum.value], datum.unit))
        return found

    def rows(
        backend: Any,
        namespace: str,
        name: str,
        dimensions: list[dict[str, Any]],
        start: float,
        end: float,
        period: int,
        percentiles: list[str],
        unit: str | None = None,
    ) -> list[stats.Row]:
        if period <= 0:
            raise InvalidParameterValue("The parameter Period must be greater than 0.")
        if namespace == LAMBDA_NAMESPACE:
            answer = call(
                {
                    "op": "lambda.data",
                    "metric": name,
                    "dimensions": [{"Name": d["Name"], "Value": d.get("Value")} for d in dimensions],
                    "start": start,
                    "end": end,
                    "period": period,
                    "percentiles": percentiles,
                }
            )
            return [row for row in answer if not unit or row[6] == unit]
        return stats.aggregate(samples(backend, namespace, name, dimensions, unit), start, end, period, percentiles)

    # --- PutMetricData ------------------------------------------------------------------------------

    original_put = responses.CloudWatchResponse.put_metric_data

    def put_metric_data(self: Any) -> Any:
        namespace = self._get_param("Namespace")
        if namespace and namespace.startswith("AWS/"):  # (moto's own services publish there through the backend)
            raise InvalidParameterValue(f"The value {namespace} for parameter Namespace is invalid.")
        stamp = None
        for member in self._get_param("MetricData", []) or []:  # the parsed members moto reads next
            if not member.get("Timestamp"):
                stamp = stamp or _naive(now())
                member["Timestamp"] = stamp
            else:
                member["Timestamp"] = _naive(_epoch(member["Timestamp"]))
        return original_put(self)

    # --- reading --------------------------------------------------------------------------------

    def get_metric_statistics(self: Any) -> Any:
        namespace = self._get_param("Namespace")
        name = self._get_param("MetricName")
        start, end = _epoch(self._get_param("StartTime")), _epoch(self._get_param("EndTime"))
        period = self._get_int_param("Period")
        wanted = self._get_param("Statistics", []) or []
        extended = self._get_param("ExtendedStatistics", []) or []
        dimensions = self._get_param("Dimensions", []) or []
        unit = self._get_param("Unit")
        if not wanted and not extended:
            raise responses.InvalidParameterCombination("Must specify either Statistics or ExtendedStatistics")
        if start >= end:
            raise InvalidParameterValue("The parameter StartTime must be less than the parameter EndTime.")
        for name_ in extended:
            if not stats.is_percentile(name_):
                raise InvalidParameterValue(
                    f"The value {name_} for parameter ExtendedStatistics is not a valid percentile."
                )
        points = []
        for row in rows(self.cloudwatch_backend, namespace, name, dimensions, start, end, period, extended, unit):
            point: dict[str, Any] = {"Timestamp": _aware(row[0])}
            for statistic in wanted:
                point[statistic] = stats.statistic(row, statistic)
            if extended:
                point["ExtendedStatistics"] = {p: v for p in extended if (v := stats.statistic(row, p)) is not None}
            point["Unit"] = row[6] or "None"
            points.append(point)
        return ActionResult({"Label": name, "Datapoints": points})

    original_get_data = responses.CloudWatchResponse.get_metric_data

    def get_metric_data(self: Any) -> Any:
        params = self._get_params()
        queries = params.get("MetricDataQueries", []) or []
        if any("Expression" in q for q in queries):
            return original_get_data(self)
        start, end = _epoch(params["StartTime"]), _epoch(params["EndTime"])
        if start >= end:
            raise responses.ValidationError("The parameter EndTime must be greater than StartTime.")
        descending = (params.get("ScanBy") or "TimestampDescending") == "TimestampDescending"
        results = []
        for index, query in enumerate(queries, 1):
            stat_query = query.get("MetricStat")
            if not stat_query:
                raise responses.ValidationError(
                    f"The parameter MetricDataQueries.member.{index}.MetricStat is required.\n"
                )
            metric = stat_query["Metric"]
            statistic = stat_query["Stat"]
            if statistic not in stats.STATISTICS and not stats.is_percentile(statistic):
                raise InvalidParameterValue(
                    f"The value {statistic} for parameter MetricDataQueries.member.{index}.MetricStat.Stat is invalid."
                )
            found = rows(
                self.cloudwatch_backend,
                metric.get("Namespace"),
                metric.get("MetricName"),
                metric.get("Dimensions", []) or [],
                start,
                end,
                int(stat_query["Period"]),
                [] if statistic in stats.STATISTICS else [statistic],
                stat_query.get("Unit"),
            )
            pairs = [(row[0], v) for row in found if (v := stats.statistic(row, statistic)) is not None]
            if descending:
                pairs.reverse()
            if query.get("ReturnData", True) in (False, "false"):
                continue
            results.append(
                {
                    "Id": query["Id"],
                    "Label": query.get("Label") or metric.get("MetricName"),
                    "Timestamps": [_aware(t) for t, _ in pairs],
                    "Values": [v for _, v in pairs],
                    "StatusCode": "Complete",
                }
            )
        return ActionResult({"MetricDataResults": results, "Messages": []})

    def list_metrics(self: Any) -> Any:
        namespace = self._get_param("Namespace")
        name = self._get_param("MetricName")
        wanted = self._get_params().get("Dimensions", []) or []
        seen: set[tuple] = set()
        metrics = []

        def add(ns: str, metric: str, dimensions: list[dict[str, Any]]) -> None:
            key = (ns, metric, stats.dimension_key(dimensions))
            if key in seen:
                return
            if (namespace and ns != namespace) or (name and metric != name):
                return
            if not stats.has_dimensions(dimensions, wanted):
                return
            seen.add(key)
            metrics.append({"Namespace": ns, "MetricName": metric, "Dimensions": dimensions})

        for datum in self.cloudwatch_backend.metric_data:
            add(datum.namespace, datum.name, [{"Name": d.name, "Value": d.value} for d in datum.dimensions])
        if not namespace or namespace == LAMBDA_NAMESPACE:
            for series in call({"op": "lambda.list"}):
                add(LAMBDA_NAMESPACE, series["MetricName"], series["Dimensions"])
        return ActionResult({"Metrics": metrics})

    # --- alarms ---------------------------------------------------------------------------------------

    original_alarm_init = models.Alarm.__init__

    def alarm_init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_alarm_init(self, *args, **kwargs)
        moment = _naive(now())
        self.state_value = "INSUFFICIENT_DATA"
        self.state_reason = "Unchecked: Initial alarm creation"
        self.state_updated_timestamp = moment
        self.configuration_updated_timestamp = moment
        self.lm_history = []

    def update_state(self: Any, reason: str, reason_data: str, state_value: str) -> None:
        moment = now()
        try:  # the evaluator's decisions are stamped with the minute they were made for
            moment = _epoch(json.loads(reason_data)["queryDate"].replace("+0000", "+00:00"))
        except (TypeError, ValueError, KeyError, AttributeError):
            pass
        old_value, old_reason = self.state_value, self.state_reason
        self.state_reason, self.state_reason_data, self.state_value = reason, reason_data, state_value
        self.state_updated_timestamp = _naive(moment)
        if old_value == state_value:
            return
        new_state: dict[str, Any] = {"stateValue": state_value, "stateReason": reason}
        if reason_data:
            try:
                new_state["stateReasonData"] = json.loads(reason_data)
            except ValueError:
                pass
        history_data = {
            "version": "1.0",
            "oldState": {"stateValue": old_value, "stateReason": old_reason},
            "newState": new_state,
        }
        _history(self).append(
            (moment, "StateUpdate", f"Alarm updated from {old_value} to {state_value}", json.dumps(history_data))
        )

    def _history(alarm: Any) -> list:
        if not hasattr(alarm, "lm_history"):
            alarm.lm_history = []
        return alarm.lm_history

    original_put_alarm = models.CloudWatchBackend.put_metric_alarm

    def put_metric_alarm(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        before = self.alarms.get(name)
        alarm: Any = original_put_alarm(self, name, *args, **kwargs)
        if before is not None:  # an update keeps the state (and its history)
            alarm.state_value, alarm.state_reason = before.state_value, before.state_reason
            alarm.state_reason_data, alarm.state_updated_timestamp = (
                before.state_reason_data,
                before.state_updated_timestamp,
            )
            alarm.lm_history = _history(before)
        verb = "updated" if before is not None else "created"
        _history(alarm).append(
            (
                now(),
                "ConfigurationUpdate",
                f'Alarm "{name}" {verb}',
                json.dumps({"version": "1.0", "type": verb.capitalize()}),
            )
        )
        tell({"op": "alarms.changed"})
        return alarm

    original_delete_alarms = models.CloudWatchBackend.delete_alarms

    def delete_alarms(self: Any, alarm_names: list[str]) -> None:
        original_delete_alarms(self, alarm_names)
        tell({"op": "alarms.changed"})

    def describe_alarm_history(self: Any) -> Any:
        name = self._get_param("AlarmName")
        kind = self._get_param("HistoryItemType")
        start, end = self._get_param("StartDate"), self._get_param("EndDate")
        limit = self._get_int_param("MaxRecords") or 100
        ascending = self._get_param("ScanBy") == "TimestampAscending"
        items = []
        for alarm in self.cloudwatch_backend.alarms.values():
            if name and alarm.name != name:
                continue
            for moment, item_type, summary, data in _history(alarm):
                if kind and item_type != kind:
                    continue
                if (start and moment < _epoch(start)) or (end and moment > _epoch(end)):
                    continue
                items.append(
                    {
                        "AlarmName": alarm.name,
                        "AlarmType": "MetricAlarm",
                        "Timestamp": _aware(moment),
                        "HistoryItemType": item_type,
                        "HistorySummary": summary,
                        "HistoryData": data,
                    }
                )
        items.sort(key=lambda item: item["Timestamp"], reverse=not ascending)
        return ActionResult({"AlarmHistoryItems": items[:limit]})

    def describe_alarms_for_metric(self: Any) -> Any:
        namespace = self._get_param("Namespace")
        name = self._get_param("MetricName")
        dimensions = self._get_param("Dimensions", []) or []
        found = [
            alarm
            for alarm in self.cloudwatch_backend.alarms.values()
            if alarm.namespace == namespace
            and alarm.metric_name == name
            and stats.same_dimensions([{"Name": d.name, "Value": d.value} for d in alarm.dimensions], dimensions)
            and (not self._get_param("Statistic") or alarm.statistic == self._get_param("Statistic"))
            and (
                not self._get_param("ExtendedStatistic")
                or alarm.extended_statistic == self._get_param("ExtendedStatistic")
            )
            and (not self._get_param("Period") or alarm.period == self._get_int_param("Period"))
        ]
        return ActionResult({"MetricAlarms": found})

    # --- Embedded Metric Format in log events -----------------------------------------------------

    original_put_log_events = logs_models.LogGroup.put_log_events

    def put_log_events(self: Any, log_stream_name: str, log_events: list[dict[str, Any]]) -> Any:
        token = original_put_log_events(self, log_stream_name, log_events)
        backend = None
        for event in log_events:
            message = event.get("message", "")
            if '"_aws"' not in message:
                continue
            for datum in extract(message):
                if backend is None:
                    backend = models.cloudwatch_backends[self.account_id][self.region]
                for value in datum.values:
                    backend.metric_data.append(
                        models.MetricDatum(
                            datum.namespace,
                            datum.name,
                            value,
                            [{"Name": n, "Value": v} for n, v in datum.dimensions],
                            _naive(event.get("timestamp", datum.timestamp_ms) / 1000),
                            datum.unit,
                        )
                    )
        return token

    responses.CloudWatchResponse.put_metric_data = put_metric_data  # type: ignore[method-assign]
    models.CloudWatchBackend.put_metric_alarm = put_metric_alarm  # type: ignore[method-assign]
    models.CloudWatchBackend.delete_alarms = delete_alarms  # type: ignore[method-assign]
    models.Alarm.__init__ = alarm_init  # type: ignore[method-assign]
    models.Alarm.update_state = update_state  # type: ignore[method-assign]
    responses.CloudWatchResponse.get_metric_statistics = get_metric_statistics  # type: ignore[method-assign]
    responses.CloudWatchResponse.get_metric_data = get_metric_data  # type: ignore[method-assign]
    responses.CloudWatchResponse.list_metrics = list_metrics  # type: ignore[method-assign]
    responses.CloudWatchResponse.describe_alarm_history = describe_alarm_history  # type: ignore[attr-defined]
    responses.CloudWatchResponse.describe_alarms_for_metric = describe_alarms_for_metric  # type: ignore[method-assign]
    logs_models.LogGroup.put_log_events = put_log_events  # type: ignore[method-assign]
    setattr(responses.CloudWatchResponse, MARK, True)
