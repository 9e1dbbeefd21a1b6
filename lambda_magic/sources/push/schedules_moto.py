"""Scheduled rules and EventBridge Scheduler, inside the local cloud's server (imported there only).

moto stores scheduled rules and schedules but never fires them.  These patches tell
the account whenever one is put, changed, enabled, disabled or deleted, so that the
account's timers follow the configuration (``schedules.rule``,
``schedules.rule_deleted``, ``schedules.schedule``, ``schedules.schedule_deleted``), and
they validate expressions with AWS's own rules and messages (moto's check is loose:
it takes ``rate(1 minutes)``, ``rate(0 minutes)`` and any ``cron(...)``).

Other sources may patch the same EventBridge methods: each patch here wraps whatever
is installed, once (:func:`_wrap`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .moto_side import MARK, Call
from .schedule_expressions import (
    RULE_MESSAGE,
    ScheduleExpressionError,
    check_scheduler_expression,
    check_timezone,
)

#: Marks this module's wrappers (looked for along each wrapper's ``original`` chain).
OWN_MARK = "_lambda_magic_schedules"
RETRY_RANGES = {"MaximumEventAgeInSeconds": (60, 86_400), "MaximumRetryAttempts": (0, 185)}


def _wrap(owner: Any, name: str, replacement: Callable[..., Any]) -> bool:
    """Install ``replacement`` over whatever ``owner.name`` is now, once; it carries the shared
    mark if what it wraps did, so that another source's ``patch`` does not wrap it twice."""
    current = getattr(owner, name)
    link = current
    while link is not None:
        if getattr(link, OWN_MARK, False):
            return False
        link = getattr(link, "original", None)
    replacement.original = current  # type: ignore[attr-defined]
    setattr(replacement, OWN_MARK, True)
    if getattr(current, MARK, False):
        setattr(replacement, MARK, True)
    setattr(owner, name, replacement)
    return True


def _tell(call: Call, payload: dict[str, Any]) -> None:
    """Tell the account; moto's operation stands whether or not the account answers."""
    try:
        call(payload)
    except Exception:
        pass


def _rule_payload(rule: Any) -> dict[str, Any]:
    return {
        "op": "schedules.rule",
        "arn": rule.arn,
        "name": rule.name,
        "expression": rule.scheduled_expression,
        "state": rule.state,
        "targets": list(rule.targets),
    }


def _epoch(value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return float(value)
    from datetime import datetime

    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


def _schedule_payload(schedule: Any) -> dict[str, Any]:
    found = schedule.to_dict()
    found["StartDate"] = _epoch(found.get("StartDate"))
    found["EndDate"] = _epoch(found.get("EndDate"))
    found["op"] = "schedules.schedule"
    return {key: value for key, value in found.items() if key not in ("CreationDate", "LastModificationDate")}


def install(call: Call) -> None:
    _install_rules(call)
    _install_scheduler(call)


# --- EventBridge scheduled rules -----------------------------------------------------------------


def _install_rules(call: Call) -> None:
    from moto.events.exceptions import ValidationException
    from moto.events.models import EventsBackend

    def _rule(backend: Any, name: str, event_bus_arn: str | None) -> Any:
        try:
            return backend.describe_rule(name, event_bus_arn)
        except Exception:
            return None

    def put_rule(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        expression = kwargs.get("scheduled_expression")
        bus = self._normalize_event_bus_arn(kwargs.get("event_bus_arn"))
        if expression and bus == "default":
            from .schedule_expressions import check_rule_expression

            try:
                check_rule_expression(expression)
            except ScheduleExpressionError:
                raise ValidationException(RULE_MESSAGE) from None
        rule = put_rule.original(self, name, *args, **kwargs)  # type: ignore[attr-defined]
        _tell(call, _rule_payload(rule))
        return rule

    def delete_rule(self: Any, name: str, event_bus_arn: str | None) -> Any:
        rule = _rule(self, name, event_bus_arn)
        result = delete_rule.original(self, name, event_bus_arn)  # type: ignore[attr-defined]
        if rule is not None and _rule(self, name, event_bus_arn) is None:
            _tell(call, {"op": "schedules.rule_deleted", "arn": rule.arn})
        return result

    def changed(method: str) -> Callable[..., Any]:
        def replacement(self: Any, name: str, event_bus_arn: str | None, *args: Any, **kwargs: Any) -> Any:
            result = replacement.original(self, name, event_bus_arn, *args, **kwargs)  # type: ignore[attr-defined]
            rule = _rule(self, name, event_bus_arn)
            if rule is not None and rule.scheduled_expression:
                _tell(call, _rule_payload(rule))
            return result

        replacement.__name__ = method
        return replacement

    _wrap(EventsBackend, "put_rule", put_rule)
    _wrap(EventsBackend, "delete_rule", delete_rule)
    for method in ("enable_rule", "disable_rule", "put_targets", "remove_targets"):
        _wrap(EventsBackend, method, changed(method))


# --- EventBridge Scheduler -----------------------------------------------------------------------


def _check_schedule(expression: Any, timezone: Any, window: Any, target: Any, validation: Any) -> None:
    """AWS's checks moto leaves out (raises moto's ``ValidationException``)."""
    try:
        check_scheduler_expression(expression)
    except ScheduleExpressionError as exc:
        raise validation(str(exc)) from None
    if timezone:
        try:
            check_timezone(timezone)
        except ScheduleExpressionError:
            raise validation(f"Invalid ScheduleExpressionTimezone {timezone}.") from None
    window = window or {}
    if window.get("Mode") == "FLEXIBLE":
        minutes = window.get("MaximumWindowInMinutes")
        if minutes is None:
            raise validation("MaximumWindowInMinutes is required when Mode is FLEXIBLE.")
        if not 1 <= int(minutes) <= 1440:
            raise validation("MaximumWindowInMinutes must be between 1 and 1440.")
    elif window.get("Mode") == "OFF" and window.get("MaximumWindowInMinutes") is not None:
        raise validation("MaximumWindowInMinutes must not be specified when Mode is OFF.")
    for key, (low, high) in RETRY_RANGES.items():
        value = ((target or {}).get("RetryPolicy") or {}).get(key)
        if value is not None and not low <= int(value) <= high:
            raise validation(f"RetryPolicy.{key} must be between {low} and {high}.")


def _install_scheduler(call: Call) -> None:
    from moto.scheduler.exceptions import ScheduleGroupNotFound, ValidationException
    from moto.scheduler.models import EventBridgeSchedulerBackend
    from moto.scheduler.responses import EventBridgeSchedulerResponse

    def create_schedule(self: Any, **kwargs: Any) -> Any:
        _check_schedule(
            kwargs.get("schedule_expression"),
            kwargs.get("schedule_expression_timezone"),
            kwargs.get("flexible_time_window"),
            kwargs.get("target"),
            ValidationException,
        )
        group = kwargs.get("group_name") or "default"
        if group not in self.schedule_groups:
            raise ScheduleGroupNotFound(group)  # moto: a KeyError (500)
        schedule = create_schedule.original(self, **kwargs)  # type: ignore[attr-defined]
        schedule.action_after_completion = schedule.action_after_completion or "NONE"
        _tell(call, _schedule_payload(schedule))
        return schedule

    def update_schedule(self: Any) -> Any:  # the response: moto's backend drops ActionAfterCompletion
        _check_schedule(
            self._get_param("ScheduleExpression"),
            self._get_param("ScheduleExpressionTimezone"),
            self._get_param("FlexibleTimeWindow"),
            self._get_param("Target"),
            ValidationException,
        )
        result = update_schedule.original(self)  # type: ignore[attr-defined]
        name = self.uri.split("?")[0].split("/")[-1]
        schedule = self.scheduler_backend.get_schedule(self._get_param("GroupName"), name)
        schedule.state = schedule.state or "ENABLED"  # UpdateSchedule replaces every field
        schedule.action_after_completion = self._get_param("ActionAfterCompletion") or "NONE"
        _tell(call, _schedule_payload(schedule))
        return result

    def delete_schedule(self: Any, group_name: str | None, name: str) -> Any:
        schedule = self.get_schedule(group_name, name)
        result = delete_schedule.original(self, group_name, name)  # type: ignore[attr-defined]
        _tell(call, {"op": "schedules.schedule_deleted", "arn": schedule.arn})
        return result

    def delete_schedule_group(self: Any, name: str | None) -> Any:
        group = self.get_schedule_group(name)
        schedules = list(group.schedules.values())
        result = delete_schedule_group.original(self, name)  # type: ignore[attr-defined]
        for schedule in schedules:  # deleting a group deletes its schedules
            _tell(call, {"op": "schedules.schedule_deleted", "arn": schedule.arn})
        return result

    _wrap(EventBridgeSchedulerBackend, "create_schedule", create_schedule)
    _wrap(EventBridgeSchedulerResponse, "update_schedule", update_schedule)
    _wrap(EventBridgeSchedulerBackend, "delete_schedule", delete_schedule)
    _wrap(EventBridgeSchedulerBackend, "delete_schedule_group", delete_schedule_group)
