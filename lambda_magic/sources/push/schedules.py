"""Schedules: EventBridge scheduled rules and EventBridge Scheduler fire on the account clock.

moto stores scheduled rules (``put_rule(ScheduleExpression=...)``) and schedules
(``scheduler.create_schedule``) but never fires them; its patched side
(:mod:`.schedules_moto`) tells this source about every change, and each enabled
rule or schedule keeps one timer on the account clock for its next firing.

* A rule fires the ``Scheduled Event`` envelope (``version`` "0", ``id``, ``detail-type``,
  ``source`` "aws.events", ``account``, ``time``, ``region``, ``resources`` [rule ARN],
  ``detail`` {}) at each of its targets, in UTC; a Lambda target needs the function's
  resource policy to allow ``events.amazonaws.com`` from the rule.
* A schedule sends its ``Target.Input`` (context placeholders such as
  ``<aws.scheduler.scheduled-time>`` replaced; ``{}`` without one), evaluated in its
  ``ScheduleExpressionTimezone`` within ``StartDate``/``EndDate``; Scheduler invokes with its
  execution role, so no resource policy is asked for.  ``FlexibleTimeWindow`` FLEXIBLE fires
  at a fixed offset inside the window, derived from the schedule ARN and the scheduled time
  (deterministic, reproducible).  ``ActionAfterCompletion`` DELETE deletes a schedule after its
  last firing.
* A ``rate()`` first fires one period after creation (or after its StartDate).
* Every firing is stamped at its scheduled time (the event's ``time``, the async event's
  received time), so one large ``account.clock.advance`` delivers every firing in order.
* A target that cannot be invoked (no such function, no permission) sends the event to the
  target's ``DeadLetterConfig`` queue, with the error attributes, or is a counted drop
  (these errors are not retried on AWS, so ``RetryPolicy`` is kept but never needed).

Schedule timers are housekeeping timers: ``account.wait()`` does not wait for the next
firing of a recurring schedule (it would never return); it waits for firings already due.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from ...common.errors import InvalidParameterValueException
from ...runtime.function import Function
from .base import PushSource, PushSources, Trigger
from .schedule_expressions import (
    At,
    Expression,
    Rate,
    ScheduleExpressionError,
    check_rule_expression,
    check_scheduler_expression,
    iso,
    parse,
)

RULE_PRINCIPAL = "events.amazonaws.com"
SCHEDULER_PRINCIPAL = "scheduler.amazonaws.com"
#: The role ``lm.add_trigger`` names for a schedule it makes (the local cloud does not check it).
SCHEDULER_ROLE = "lambda-magic-scheduler"


@dataclass
class Timer:
    """One rule or schedule as this source keeps it (its timer follows it)."""

    arn: str
    name: str
    kind: str  # "rule" or "schedule"
    expression: Expression
    anchor: float
    targets: list[dict[str, Any]] = field(default_factory=list)
    timezone: str = "UTC"
    start: float | None = None
    end: float | None = None
    flexible_minutes: int = 0
    delete_after: bool = False
    group: str = "default"
    generation: int = 0
    #: The scheduled (nominal) time of the next firing, and when it is handed on (flexible window).
    next_nominal: float | None = None
    next_at: float | None = None
    fired: int = 0

    @property
    def region(self) -> str:
        return self.arn.split(":")[3]


class SchedulesSource(PushSource):
    """``schedule:EXPRESSION`` triggers; fires scheduled rules and EventBridge Scheduler schedules."""

    kind = "schedule"
    principal = RULE_PRINCIPAL

    def __init__(self, push: PushSources):
        super().__init__(push)
        self._lock = threading.Lock()
        self._timers: dict[str, Timer] = {}
        self._firing = 0
        self._armed: set[float] = set()
        #: Event ids need no system entropy (os.urandom per firing slows a catch-up of thousands).
        self._random = random.Random()
        self._generations = itertools.count(1)
        self._stopped = False
        push.on("schedules.rule", self._on_rule)
        push.on("schedules.rule_deleted", self._on_deleted)
        push.on("schedules.schedule", self._on_schedule)
        push.on("schedules.schedule_deleted", self._on_deleted)

    # --- lm.add_trigger ------------------------------------------------------------------------

    def add(
        self,
        function: Function,
        resource: str,
        *,
        name: str | None = None,
        input: Any = None,
        timezone: str | None = None,
        state: str = "ENABLED",
        description: str | None = None,
        scheduler: bool | None = None,
        group: str | None = None,
        **settings: Any,
    ) -> Trigger:
        """``schedule:rate(5 minutes)`` / ``schedule:cron(0 2 * * ? *)``: a scheduled rule named
        after the function (or ``name``) with the function as target and the permission for
        EventBridge.  ``timezone=``, ``group=``, an ``at(...)`` expression or ``scheduler=True``
        make an EventBridge Scheduler schedule instead (rules run in UTC only)."""
        if settings:
            raise InvalidParameterValueException(
                f"schedule triggers take name, input, timezone, state, description, scheduler and group, "
                f"not {', '.join(sorted(settings))}"
            )
        if state not in ("ENABLED", "DISABLED"):
            raise InvalidParameterValueException(f"state {state!r}: choose ENABLED or DISABLED")
        use_scheduler = bool(scheduler) or timezone is not None or group is not None or resource.startswith("at(")
        checks = check_scheduler_expression if use_scheduler else check_rule_expression
        try:
            checks(resource)
        except ScheduleExpressionError as exc:
            raise InvalidParameterValueException(f"{resource!r}: {exc}") from None
        name = name or function.name
        text = None if input is None else (input if isinstance(input, str) else json.dumps(input))
        settings = {"name": name, "state": state}
        if use_scheduler:
            settings.update(timezone=timezone or "UTC", group=group or "default")
            arn = self._create_schedule(function, resource, name, text, timezone, state, description, group)
            trigger = Trigger(self.kind, resource, function.name, settings, source_id=arn)
        else:
            events = self.account.cloud.client("events")
            put: dict[str, Any] = {"Name": name, "ScheduleExpression": resource, "State": state}
            if description:
                put["Description"] = description
            arn = events.put_rule(**put)["RuleArn"]
            sid = self.push.grant(function, self.kind, RULE_PRINCIPAL, arn)
            target: dict[str, Any] = {"Id": function.name[:64], "Arn": function.arn}
            if text is not None:
                target["Input"] = text
            events.put_targets(Rule=name, Targets=[target])
            trigger = Trigger(self.kind, resource, function.name, settings, source_id=arn, statement_id=sid)
        return trigger

    def _create_schedule(
        self,
        function: Function,
        expression: str,
        name: str,
        text: str | None,
        timezone: str | None,
        state: str,
        description: str | None,
        group: str | None,
    ) -> str:
        client = self.account.cloud.client("scheduler")
        role = f"arn:aws:iam::{self.account.settings.account_id}:role/{SCHEDULER_ROLE}"
        target: dict[str, Any] = {"Arn": function.arn, "RoleArn": role}
        if text is not None:
            target["Input"] = text
        create: dict[str, Any] = {
            "Name": name,
            "ScheduleExpression": expression,
            "ScheduleExpressionTimezone": timezone or "UTC",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "Target": target,
            "State": state,
        }
        if group:
            create["GroupName"] = group
        if description:
            create["Description"] = description
        return str(client.create_schedule(**create)["ScheduleArn"])

    def source_arn(self, resource: str) -> str:
        settings = self.account.settings
        return f"arn:aws:events:{settings.region}:{settings.account_id}:rule/{resource}"

    # --- what the moto side tells ----------------------------------------------------------------

    def _on_rule(self, payload: dict[str, Any], caller: str | None) -> dict[str, Any]:
        arn, expression = payload["arn"], payload.get("expression")
        if not expression or payload.get("state") != "ENABLED":
            self._forget(arn)
            return {}
        parsed = parse(expression)
        with self._lock:
            current = self._timers.get(arn)
            if current is not None and current.expression == parsed:
                current.targets = list(payload.get("targets") or [])  # same timer, new targets
                return {}
        targets = list(payload.get("targets") or [])
        self._start(Timer(arn, payload["name"], "rule", parsed, self.account.clock.time(), targets))
        return {}

    def _on_schedule(self, payload: dict[str, Any], caller: str | None) -> dict[str, Any]:
        arn = payload["Arn"]
        if payload.get("State", "ENABLED") != "ENABLED":
            self._forget(arn)
            return {}
        window = payload.get("FlexibleTimeWindow") or {}
        timer = Timer(
            arn,
            payload["Name"],
            "schedule",
            parse(payload["ScheduleExpression"], scheduler=True),
            self.account.clock.time(),
            [payload.get("Target") or {}],
            timezone=payload.get("ScheduleExpressionTimezone") or "UTC",
            start=payload.get("StartDate"),
            end=payload.get("EndDate"),
            flexible_minutes=int(window.get("MaximumWindowInMinutes") or 0) if window.get("Mode") == "FLEXIBLE" else 0,
            delete_after=payload.get("ActionAfterCompletion") == "DELETE",
            group=payload.get("GroupName") or "default",
        )
        with self._lock:
            current = self._timers.get(arn)
            if current is not None and (current.expression, current.timezone, current.start) == (
                timer.expression,
                timer.timezone,
                timer.start,
            ):
                timer.anchor = current.anchor  # the same recurrence: a rate keeps its phase
        self._start(timer)
        return {}

    def _on_deleted(self, payload: dict[str, Any], caller: str | None) -> dict[str, Any]:
        self._forget(payload["arn"])
        return {}

    # --- timers ------------------------------------------------------------------------------------

    def _start(self, timer: Timer) -> None:
        with self._lock:
            if self._stopped:
                return
            timer.generation = next(self._generations)
            self._timers[timer.arn] = timer
            self._plan(timer, self.account.clock.time())
        self._arm()

    def _forget(self, arn: str) -> None:
        with self._lock:
            self._timers.pop(arn, None)

    def _plan(self, timer: Timer, after: float) -> None:
        """Compute the timer's firing after ``after`` (call with the lock held)."""
        nominal = self._next_nominal(timer, after)
        timer.next_nominal = nominal
        timer.next_at = None if nominal is None else nominal + self._offset(timer, nominal)

    def _arm(self) -> None:
        """One clock timer, at the earliest next firing (unless one is set for then or before:
        that one arms the next when it has run)."""
        with self._lock:
            due = min((t.next_at for t in self._timers.values() if t.next_at is not None), default=None)
            if due is None or self._stopped or any(armed <= due for armed in self._armed):
                return
            self._armed.add(due)
        self.account.scheduler.call_at(due, lambda: self._run_due(due), work=False)

    def _run_due(self, armed: float) -> None:
        """Fire every firing that is due, in time order (after a clock jump, a whole backlog)."""
        with self._lock:
            self._armed.discard(armed)
        while True:
            now = self.account.clock.time()
            with self._lock:
                if self._stopped:
                    return
                due = [t for t in self._timers.values() if t.next_at is not None and t.next_at <= now]
                if not due:
                    break
                timer = min(due, key=lambda t: t.next_at or 0.0)
                nominal, targets, generation = timer.next_nominal or 0.0, list(timer.targets), timer.generation
                self._firing += 1
            finished = False
            try:
                if timer.kind == "rule":
                    self._fire_rule(timer, nominal, targets)
                else:
                    self._fire_schedule(timer, nominal, targets[0])
            finally:
                with self._lock:
                    self._firing -= 1
                    timer.fired += 1
                    if self._timers.get(timer.arn) is timer and timer.generation == generation:
                        self._plan(timer, nominal)
                        finished = timer.next_at is None
            if finished and timer.kind == "schedule" and timer.delete_after:
                self._delete_schedule(timer)
        self._arm()

    def _next_nominal(self, timer: Timer, after: float) -> float | None:
        expression = timer.expression
        if isinstance(expression, At):  # one time: StartDate/EndDate do not apply
            return expression.next_after(after, timer.timezone)
        if isinstance(expression, Rate):
            anchor = timer.anchor if timer.start is None else max(timer.start, timer.anchor)
            nominal = expression.next_after(after, anchor=anchor)
        else:
            begin = after if timer.start is None else max(after, timer.start - 1e-6)
            nominal = expression.next_after(begin, timer.timezone)
        if nominal is not None and timer.end is not None and nominal >= timer.end:
            return None
        return nominal

    @staticmethod
    def _offset(timer: Timer, nominal: float) -> float:
        """FLEXIBLE: a fixed second inside the window, from the ARN and the scheduled time."""
        if not timer.flexible_minutes:
            return 0.0
        digest = hashlib.sha256(f"{timer.arn}@{nominal:.0f}".encode()).digest()
        return float(int.from_bytes(digest[:8], "big") % (timer.flexible_minutes * 60))

    # --- firing ------------------------------------------------------------------------------------

    def _fire_rule(self, timer: Timer, nominal: float, targets: list[dict[str, Any]]) -> None:
        event = {
            "version": "0",
            "id": str(uuid.UUID(int=self._random.getrandbits(128), version=4)),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": self.account.settings.account_id,
            "time": iso(nominal),
            "region": timer.region,
            "resources": [timer.arn],
            "detail": {},
        }
        for target in targets:
            payload = _rule_input(target, event)
            self._invoke(timer, target, payload, nominal, RULE_PRINCIPAL, check_policy=True)

    def _fire_schedule(self, timer: Timer, nominal: float, target: dict[str, Any]) -> None:
        text = target.get("Input")
        if text is None:
            payload: Any = {}
        else:
            for placeholder, value in (
                ("<aws.scheduler.schedule-arn>", timer.arn),
                ("<aws.scheduler.scheduled-time>", iso(nominal)),
                ("<aws.scheduler.execution-id>", f"{self._random.getrandbits(64):016x}"),
                ("<aws.scheduler.attempt-number>", "1"),
            ):
                text = text.replace(placeholder, value)
            try:
                payload = json.loads(text)
            except ValueError:
                payload = text
        self._invoke(timer, target, payload, nominal, SCHEDULER_PRINCIPAL, check_policy=False)

    def _invoke(
        self, timer: Timer, target: dict[str, Any], payload: Any, nominal: float, principal: str, *, check_policy: bool
    ) -> None:
        arn = str(target.get("Arn", ""))
        trigger = f"schedule:{timer.name}"
        if ":lambda:" not in arn:
            if not self._send_to_service(arn, payload):
                self.push.drop(arn, trigger, "UnsupportedTarget")
            return
        found = self.push.function_of(arn)
        if found is None:
            code, message, name = "ResourceNotFoundException", f"Function not found: {arn}", arn
        elif check_policy and not self.push.allowed(arn, principal, timer.arn):
            code, message, name = (
                "AccessDeniedException",
                f"{principal} is not authorized to invoke {arn}",
                found[0].name,
            )
        else:
            function, qualifier = found
            self.account.invoke(
                function.name,
                payload,
                invocation_type="Event",
                qualifier=qualifier,
                trigger=trigger,
                received_at=nominal,
            )
            return
        dead_letter = (target.get("DeadLetterConfig") or {}).get("Arn")  # not retried on AWS: straight there
        if not dead_letter or not self._dead_letter(timer, target, payload, nominal, dead_letter, code, message):
            self.push.drop(name, trigger, code)

    def _send_to_service(self, arn: str, payload: Any) -> bool:
        """An SQS queue or SNS topic target gets the event as its message body."""
        body = payload if isinstance(payload, str) else json.dumps(payload)
        try:
            if arn.startswith("arn:aws:sqs:"):
                self.account.cloud.client("sqs").send_message(QueueUrl=_queue_url(self.account, arn), MessageBody=body)
            elif arn.startswith("arn:aws:sns:"):
                self.account.cloud.client("sns").publish(TopicArn=arn, Message=body)
            else:
                return False
            return True
        except Exception:
            return False

    def _dead_letter(
        self,
        timer: Timer,
        target: dict[str, Any],
        payload: Any,
        nominal: float,
        queue_arn: str,
        code: str,
        message: str,
    ) -> bool:
        """Send the undeliverable event to the target's SQS dead-letter queue, with the error."""
        try:
            sqs = self.account.cloud.client("sqs")
            url = _queue_url(self.account, queue_arn)
            if timer.kind == "rule":
                attributes = {"RULE_ARN": timer.arn, "TARGET_ARN": str(target.get("Arn"))}
            else:
                attributes = {
                    "SCHEDULE_ARN": timer.arn,
                    "SCHEDULED_TIME": iso(nominal),
                    "TARGET_ARN": str(target.get("Arn")),
                    "ATTEMPT": "1",
                }
            attributes.update(ERROR_CODE=code, ERROR_MESSAGE=message)
            sqs.send_message(
                QueueUrl=url,
                MessageBody=payload if isinstance(payload, str) else json.dumps(payload),
                MessageAttributes={k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()},
            )
            return True
        except Exception:
            return False

    def _delete_schedule(self, timer: Timer) -> None:
        """``ActionAfterCompletion`` DELETE: the schedule goes once it has nothing left to fire."""
        try:
            self.account.cloud.client("scheduler").delete_schedule(Name=timer.name, GroupName=timer.group)
        except Exception as exc:
            self.push.drop(timer.arn, f"schedule:{timer.name}", f"DeleteAfterCompletionFailed: {exc}")

    # --- the account's hooks -------------------------------------------------------------------------

    def timers(self) -> list[Timer]:
        """The enabled rules and schedules with their next firing."""
        with self._lock:
            return list(self._timers.values())

    def settle(self) -> bool:
        """Firings that are due (or running) are work ``account.wait()`` waits for."""
        now = self.account.clock.time()
        with self._lock:
            due = self._firing > 0 or any(t.next_at is not None and t.next_at <= now for t in self._timers.values())
        if due:
            time.sleep(0.005)  # let the timer thread hand them on
        return due

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            self._timers.clear()


def _rule_input(target: dict[str, Any], event: dict[str, Any]) -> Any:
    """What a rule's target receives: ``Input`` (constant JSON), ``InputPath`` or the event."""
    if target.get("Input") is not None:
        try:
            return json.loads(target["Input"])
        except ValueError:
            return target["Input"]
    path = target.get("InputPath")
    if path:
        found: Any = event
        for part in path.removeprefix("$").strip(".").split("."):
            if not part:
                continue
            found = found.get(part) if isinstance(found, dict) else None
        return found
    return event


def _queue_url(account: Any, queue_arn: str) -> str:
    _, _, _, _, owner, queue = queue_arn.split(":", 5)
    return str(account.cloud.client("sqs").get_queue_url(QueueName=queue, QueueOwnerAWSAccountId=owner)["QueueUrl"])
