"""EventBridge rules with event patterns -> functions (the account's side).

A rule in the local cloud whose target is a function ARN invokes it asynchronously for
every event that matches, as EventBridge does: ``put_events`` on the default or a custom
bus, and the S3 events of a bucket with ``EventBridgeConfiguration``.  The function gets
the event (``version``, ``id``, ``detail-type``, ``source``, ``account``, ``time``,
``region``, ``resources``, ``detail``) or what the target's ``Input``, ``InputPath`` or
``InputTransformer`` makes of it (:mod:`.events_input`), only when its resource-based
policy allows ``events.amazonaws.com`` from the rule's ARN.

A delivery EventBridge cannot make (the function does not exist, or its policy does not
allow the rule) is not retried, as on AWS: it goes to the target's dead-letter queue
(``DeadLetterConfig``, an SQS queue) with the message attributes ``RULE_ARN``,
``TARGET_ARN``, ``ERROR_CODE``, ``ERROR_MESSAGE`` and ``RETRY_ATTEMPTS``, or without one is
a counted drop (``push.dropped``).  Once Lambda accepted the event, the function's own
async retries, destinations and dead-letter queue apply.

Scheduled rules (a ``ScheduleExpression`` and no pattern) are the schedules source's.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from ...common.errors import InvalidParameterValueException, LambdaMagicError
from .base import PushSource, Trigger
from .events_input import InvalidInput, target_input

if TYPE_CHECKING:
    from ...runtime.function import Function
    from .base import PushSources

#: The settings ``lm.add_trigger(fn, "events:RULE", ...)`` takes.
SETTINGS = ("event_pattern", "event_bus_name", "input", "input_path", "input_transformer", "description")


def _iso(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class EventsSource(PushSource):
    """EventBridge rules whose targets are functions."""

    kind = "events"
    principal = "events.amazonaws.com"

    def __init__(self, push: PushSources):
        super().__init__(push)
        push.on("events.deliver", self._deliver)

    def source_arn(self, resource: str, event_bus_name: str = "default") -> str:
        bus = "" if event_bus_name == "default" else f"{event_bus_name}/"
        settings = self.account.settings
        return f"arn:aws:events:{settings.region}:{settings.account_id}:rule/{bus}{resource}"

    # --- lm.add_trigger --------------------------------------------------------------------------

    def add(self, function: Function, resource: str, **settings: Any) -> Trigger:
        """Put the rule (when ``event_pattern`` is given; else the rule must exist), a target
        with the function's ARN (and ``input`` / ``input_path`` / ``input_transformer``), and
        the permission for the rule, as the console does."""
        unknown = sorted(set(settings) - set(SETTINGS))
        if unknown:
            raise InvalidParameterValueException(
                f"events trigger: unknown setting(s) {', '.join(unknown)}; choose from {', '.join(SETTINGS)}"
            )
        bus = settings.get("event_bus_name") or "default"
        inputs = [name for name in ("input", "input_path", "input_transformer") if settings.get(name) is not None]
        if len(inputs) > 1:
            raise InvalidParameterValueException(
                "events trigger: give at most one of input, input_path and input_transformer, "
                f"not {' and '.join(inputs)}"
            )
        client = self.account.cloud.client("events")
        pattern = settings.get("event_pattern")
        try:
            if pattern is not None:
                extra = {"Description": settings["description"]} if settings.get("description") else {}
                rule_arn = client.put_rule(
                    Name=resource,
                    EventBusName=bus,
                    EventPattern=pattern if isinstance(pattern, str) else json.dumps(pattern),
                    **extra,
                )["RuleArn"]
            else:
                rule_arn = client.describe_rule(Name=resource, EventBusName=bus)["Arn"]
            target: dict[str, Any] = {"Id": f"lambda-magic-{function.name}"[:64], "Arn": function.arn}
            if settings.get("input") is not None:
                given = settings["input"]
                target["Input"] = given if isinstance(given, str) else json.dumps(given)
            if settings.get("input_path") is not None:
                target["InputPath"] = settings["input_path"]
            if settings.get("input_transformer") is not None:
                target["InputTransformer"] = _transformer(settings["input_transformer"])
            client.put_targets(Rule=resource, EventBusName=bus, Targets=[target])
        except ClientError as exc:
            error = exc.response.get("Error", {})
            hint = "" if pattern is not None else " (give event_pattern= to create the rule)"
            raise InvalidParameterValueException(
                f"events:{resource}: {error.get('Code', 'Error')}: {error.get('Message', exc)}{hint}"
            ) from None
        statement = self.push.grant(function, self.kind, self.principal, rule_arn)
        filled = {**settings, "event_bus_name": bus}
        return Trigger(self.kind, resource, function.name, filled, source_id=rule_arn, statement_id=statement)

    # --- what the moto side calls ------------------------------------------------------------------

    def _deliver(self, payload: dict[str, Any], caused_by: str | None) -> dict[str, Any]:
        """One matching event for one function target of a rule."""
        target, rule_arn, rule = payload["target"], payload["rule_arn"], payload["rule"]
        event = dict(payload["event"])
        now = _iso(self.account.clock.time())
        if payload.get("stamp_now"):
            event["time"] = now
        trigger = f"events:{rule}"
        arn = target.get("Arn", "")
        try:
            body = target_input(
                target,
                event,
                rule_arn=rule_arn,
                rule_name=rule,
                ingestion_time=now,  # EventBridge received it now, on the account clock
            )
        except InvalidInput as exc:
            return self._undelivered(target, rule_arn, event, trigger, "SDK_CLIENT_ERROR", str(exc), "InvalidInput")
        if self.push.function_of(arn) is None:
            message = (
                f"Function not found: {arn} (Service: AWSLambda; Status Code: 404; "
                f"Error Code: ResourceNotFoundException; Request ID: {uuid.uuid4()}; Proxy: null)"
            )
            return self._undelivered(target, rule_arn, event, trigger, "NO_RESOURCE", message, "FunctionNotFound")
        if not self.push.allowed(arn, self.principal, rule_arn):
            message = (
                f"User: {self.principal} is not authorized to perform: lambda:InvokeFunction on resource: "
                f"{arn} because no resource-based policy allows the lambda:InvokeFunction action "
                f"(Service: AWSLambda; Status Code: 403; Error Code: AccessDeniedException; Request ID: {uuid.uuid4()})"
            )
            return self._undelivered(target, rule_arn, event, trigger, "NO_PERMISSIONS", message, "AccessDenied")
        try:
            invocation = self.push.deliver(
                arn,
                body,
                trigger=trigger,
                principal=self.principal,
                source_arn=rule_arn,
                caused_by=caused_by,
                check_policy=False,
            )
        except LambdaMagicError as exc:  # Lambda refused the event (too large...): not retried either
            message = f"{exc} (Service: AWSLambda; Error Code: {type(exc).__name__}; Request ID: {uuid.uuid4()})"
            return self._undelivered(target, rule_arn, event, trigger, "SDK_CLIENT_ERROR", message, type(exc).__name__)
        return {"delivered": invocation is not None, "request_id": getattr(invocation, "request_id", None)}

    def _undelivered(
        self,
        target: dict[str, Any],
        rule_arn: str,
        event: dict[str, Any],
        trigger: str,
        code: str,
        message: str,
        reason: str,
    ) -> dict[str, Any]:
        """A failure EventBridge does not retry: the target's dead-letter queue, else a counted drop."""
        name = target.get("Arn", "").split(":")[6] if target.get("Arn", "").count(":") >= 6 else target.get("Arn", "")
        queue_arn = (target.get("DeadLetterConfig") or {}).get("Arn")
        if queue_arn:
            attributes = {
                "RULE_ARN": rule_arn,
                "TARGET_ARN": target.get("Arn", ""),
                "ERROR_CODE": code,
                "ERROR_MESSAGE": message,
                "RETRY_ATTEMPTS": "0",
            }
            try:
                self._send_dead_letter(queue_arn, event, attributes)
                return {"delivered": False, "dead_letter": queue_arn}
            except Exception:
                reason = f"{reason}+DeadLetterFailed"
        self.push.drop(name, trigger, reason)
        return {"delivered": False, "dropped": reason}

    def _send_dead_letter(self, queue_arn: str, event: dict[str, Any], attributes: dict[str, str]) -> None:
        parts = queue_arn.split(":")
        sqs = self.account.cloud.client("sqs")
        url = sqs.get_queue_url(QueueName=parts[5], QueueOwnerAWSAccountId=parts[4])["QueueUrl"]
        sqs.send_message(
            QueueUrl=url,
            MessageBody=json.dumps(event),
            MessageAttributes={key: {"DataType": "String", "StringValue": value} for key, value in attributes.items()},
        )


def _transformer(value: Any) -> dict[str, Any]:
    """``input_transformer``: AWS's ``{"InputPathsMap": ..., "InputTemplate": ...}``, or the snake_case keys."""
    if not isinstance(value, dict):
        raise InvalidParameterValueException('input_transformer takes {"InputPathsMap": {...}, "InputTemplate": "..."}')
    paths = value.get("InputPathsMap", value.get("input_paths_map"))
    template = value.get("InputTemplate", value.get("input_template"))
    if not isinstance(template, str):
        raise InvalidParameterValueException("input_transformer needs an InputTemplate (a string)")
    out: dict[str, Any] = {"InputTemplate": template}
    if paths:
        out["InputPathsMap"] = dict(paths)
    return out
