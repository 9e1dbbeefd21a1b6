"""CloudWatch Logs subscription filters with a function as destination (the account's side).

A student subscribes a function to any log group, another function's
``/aws/lambda/NAME`` group included (the account ships every function's logs to the
local cloud's CloudWatch Logs: :mod:`lambda_magic.runtime.log_delivery`)::

    lambda_client.add_permission(
        FunctionName="alarm",
        StatementId="logs",
        Action="lambda:InvokeFunction",
        Principal="logs.amazonaws.com",
        SourceArn=f"{group_arn}:*",
    )
    logs.put_subscription_filter(
        logGroupName="/aws/lambda/other", filterName="errors", filterPattern="ERROR", destinationArn=alarm_arn
    )

or ``lm.add_trigger("alarm", "logs:/aws/lambda/other", filter_pattern="ERROR")``.
Each ``PutLogEvents`` then invokes the function asynchronously, once, with the events
that match the pattern: ``{"awslogs": {"data": base64(gzip(DATA_MESSAGE))}}``.
The moto side (:mod:`.logs_moto`) checks the destination and applies the pattern.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
from typing import TYPE_CHECKING, Any

from ...common import limits
from ...common.errors import InvalidParameterValueException, LambdaMagicError
from ...runtime.filter_patterns import parse_filter_pattern
from .base import PushSource, PushSources, Trigger
from .logs_moto import CANNOT_EXECUTE

if TYPE_CHECKING:
    from ...runtime.function import Function

_LAMBDA_GROUP = "/aws/lambda/"
_REQUEST_ID = re.compile(
    r"(?:RequestId: |\t|\"requestId\":\s*\")([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
)


def data_message(
    owner: str, log_group: str, log_stream: str, filter_names: list[str], log_events: list[dict[str, Any]]
) -> dict[str, Any]:
    """The DATA_MESSAGE document CloudWatch Logs sends a subscription's destination."""
    return {
        "messageType": "DATA_MESSAGE",
        "owner": owner,
        "logGroup": log_group,
        "logStream": log_stream,
        "subscriptionFilters": filter_names,
        "logEvents": log_events,
    }


def awslogs_event(message: dict[str, Any]) -> dict[str, Any]:
    """The event a function receives: ``{"awslogs": {"data": base64(gzip(json))}}``."""
    data = gzip.compress(json.dumps(message, separators=(",", ":")).encode())
    return {"awslogs": {"data": base64.b64encode(data).decode()}}


def decode_awslogs(event: dict[str, Any]) -> dict[str, Any]:
    """The DATA_MESSAGE inside an ``awslogs`` event (what a handler does with it)."""
    return json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))


class LogsSource(PushSource):
    """``logs:GROUP``: a subscription filter whose destination is a function."""

    kind = "logs"
    principal = "logs.amazonaws.com"

    def __init__(self, push: PushSources):
        super().__init__(push)
        push.on("logs.check", self._check)
        push.on("logs.deliver", self._deliver)

    def source_arn(self, resource: str, region: str | None = None, owner: str | None = None) -> str:
        """The log group's ARN as CloudWatch Logs invokes with it (``...:log-group:NAME:*``)."""
        settings = self.account.settings
        return f"arn:aws:logs:{region or settings.region}:{owner or settings.account_id}:log-group:{resource}:*"

    # --- lm.add_trigger -----------------------------------------------------------------------

    def add(
        self,
        function: Function,
        resource: str,
        filter_pattern: str = "",
        filter_name: str | None = None,
        **settings: Any,
    ) -> Trigger:
        """Subscribe ``function`` to log group ``resource`` (created when missing) with
        ``filter_pattern`` (every event when empty), adding the permission as the console does."""
        if settings:
            raise InvalidParameterValueException(
                f"logs:{resource}: unknown setting(s) {', '.join(sorted(settings))}; "
                "a subscription takes filter_pattern= and filter_name="
            )
        parse_filter_pattern(filter_pattern)  # a bad pattern: one line, before anything is changed
        name = filter_name or f"lambda-magic-{function.name}"
        logs = self.account.cloud.client("logs")
        try:
            logs.create_log_group(logGroupName=resource)
        except logs.exceptions.ResourceAlreadyExistsException:
            pass
        except logs.exceptions.ClientError as exc:
            raise InvalidParameterValueException(f"logs:{resource}: {_aws_message(exc)}") from None
        statement = self.push.grant(function, self.kind, self.principal, self.source_arn(resource))
        try:
            logs.put_subscription_filter(
                logGroupName=resource, filterName=name, filterPattern=filter_pattern, destinationArn=function.arn
            )
        except logs.exceptions.ClientError as exc:
            self._revoke(function, statement)
            raise InvalidParameterValueException(f"logs:{resource}: {_aws_message(exc)}") from None
        return Trigger(
            kind=self.kind,
            resource=resource,
            function_name=function.name,
            settings={"filter_pattern": filter_pattern, "filter_name": name},
            source_id=name,
            statement_id=statement,
        )

    def _revoke(self, function: Function, statement: str) -> None:
        if self.push.lambda_client is None:
            return
        try:
            self.push.lambda_client().remove_permission(FunctionName=function.name, StatementId=statement)
        except Exception:
            pass  # the permission stays; the subscription was not made

    # --- what the moto side calls ---------------------------------------------------------------

    def _check(self, payload: dict[str, Any], caller: str | None) -> dict[str, Any]:
        """``PutSubscriptionFilter`` to a function: does it exist and may CloudWatch Logs invoke it?"""
        function_arn = payload["function_arn"]
        source_arn = self.source_arn(payload["log_group"], payload.get("region"))
        if self.push.function_of(function_arn) is None or not self.push.allowed(
            function_arn, self.principal, source_arn
        ):
            return {"ok": False, "message": CANNOT_EXECUTE}
        return {"ok": True}

    def _deliver(self, payload: dict[str, Any], caller: str | None) -> int:
        """One ``PutLogEvents`` call's matching events for one subscription filter: one invocation
        (more only when the batch's event would exceed the asynchronous payload limit); the number made."""
        group, stream = payload["log_group"], payload["log_stream"]
        owner = payload.get("owner") or self.account.settings.account_id
        trigger = f"{self.kind}:{group}"
        function_arn = payload["function_arn"]
        caused_by = self._request_id_of(group, stream, payload["log_events"]) or caller
        found = self.push.function_of(function_arn)
        function_name = found[0].name if found else function_arn
        made = 0
        batches, too_large = self._fitting(payload["log_events"], owner, group, stream, payload["filter_name"])
        for _ in range(too_large):
            self.push.drop(function_name, trigger, "RequestTooLargeException")
        for events in batches:
            event = awslogs_event(data_message(owner, group, stream, [payload["filter_name"]], events))
            try:
                invocation = self.push.deliver(
                    function_arn,
                    event,
                    trigger=trigger,
                    principal=self.principal,
                    source_arn=self.source_arn(group, payload.get("region"), owner),
                    caused_by=caused_by,
                )
            except LambdaMagicError as exc:  # counted, never lost silently
                self.push.drop(function_name, trigger, type(exc).__name__)
                continue
            made += invocation is not None
        return made

    def _fitting(
        self, events: list[dict[str, Any]], owner: str, group: str, stream: str, filter_name: str
    ) -> tuple[list[list[dict[str, Any]]], int]:
        """``events`` in as few consecutive batches as keep each awslogs event within the
        asynchronous payload limit, and how many events are too large even alone."""
        event = awslogs_event(data_message(owner, group, stream, [filter_name], events))
        if len(json.dumps(event)) <= limits.ASYNC_PAYLOAD_MAX_BYTES:
            return [events], 0
        if len(events) == 1:
            return [], 1
        half = len(events) // 2
        first, first_dropped = self._fitting(events[:half], owner, group, stream, filter_name)
        second, second_dropped = self._fitting(events[half:], owner, group, stream, filter_name)
        return first + second, first_dropped + second_dropped

    def _request_id_of(self, group: str, stream: str, events: list[dict[str, Any]]) -> str | None:
        """The invocation whose log lines these are, when it can be told: the account's own
        record of the lines, else a request id written in them."""
        function = group[len(_LAMBDA_GROUP) :] if group.startswith(_LAMBDA_GROUP) else None
        wanted = {(int(event["timestamp"]), event["message"]) for event in events}
        request_ids = {
            (int(stored.timestamp_ms), stored.message): stored.request_id
            for stored in self.account.logs.query(function)
            if stored.log_stream == stream
            and stored.request_id
            and (int(stored.timestamp_ms), stored.message) in wanted
        }
        for event in events:
            request_id = request_ids.get((int(event["timestamp"]), event["message"]))
            if request_id:
                return request_id
        for event in events:
            found = _REQUEST_ID.search(event["message"])
            if found:
                return found.group(1)
        return None


def _aws_message(exc: Any) -> str:
    error = getattr(exc, "response", {}).get("Error", {})
    return f"{error.get('Code', type(exc).__name__)}: {error.get('Message', exc)}"
