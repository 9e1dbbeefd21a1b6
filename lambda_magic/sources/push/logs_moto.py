"""CloudWatch Logs subscription filters, moto's side (imported in the local cloud's server only).

moto keeps subscription filters but applies none of their patterns (every event is
forwarded), gives events small integer ids (AWS: 56-digit strings), and sends a
Lambda destination's events to its own Lambda backend, which cannot run the
notebook's functions.  Patched here:

* ``PutSubscriptionFilter`` checks the filter pattern (``InvalidParameterException``
  "Invalid filter pattern"), and for a function as destination asks the account whether
  the function exists and its resource-based policy lets ``logs.amazonaws.com`` invoke
  it from the log group (AWS's message when not); updating one of a group's two filters
  is allowed (moto refused it as over the limit);
* each ``PutLogEvents`` sends every filter's destination only the events its pattern
  matches (none: nothing is sent), with 56-digit ids and, for space-delimited
  patterns, the ``extractedFields``; a function's batch goes to the account
  (``logs.deliver``), which invokes it;
* ``FilterLogEvents`` speaks the same pattern language.
"""

from __future__ import annotations

import zlib
from typing import Any

from ...runtime.filter_patterns import FilterPattern, FilterPatternError, parse_filter_pattern
from .moto_side import Call, patch

#: AWS's answer when CloudWatch Logs cannot invoke the destination function.
CANNOT_EXECUTE = (
    "Could not execute the lambda function. "
    "Make sure you have given CloudWatch Logs permission to execute your function."
)


def install(call: Call) -> None:
    from moto.logs import models
    from moto.logs.exceptions import InvalidParameterException, LimitExceededException, ResourceNotFoundException

    def pattern_of(text: str | None) -> FilterPattern:
        try:
            return parse_filter_pattern(text)
        except FilterPatternError as exc:
            raise InvalidParameterException(str(exc)) from None

    def put_subscription_filter(
        self: Any, log_group_name: str, filter_name: str, filter_pattern: str, destination_arn: str, role_arn: str
    ) -> None:
        pattern_of(filter_pattern)
        if destination_arn.split(":")[2:3] != ["lambda"]:
            return put_subscription_filter.original(  # type: ignore[attr-defined]
                self, log_group_name, filter_name, filter_pattern, destination_arn, role_arn
            )
        log_group = self.groups.get(log_group_name)
        if not log_group:
            raise ResourceNotFoundException()
        answer = call(
            {
                "op": "logs.check",
                "function_arn": destination_arn,
                "log_group": log_group_name,
                "region": self.region_name,
            }
        )
        if not (answer or {}).get("ok"):
            raise InvalidParameterException((answer or {}).get("message") or CANNOT_EXECUTE)
        log_group.put_subscription_filter(filter_name, filter_pattern, destination_arn, role_arn)

    def group_put_subscription_filter(
        self: Any, filter_name: str, filter_pattern: str, destination_arn: str, role_arn: str
    ) -> None:
        if filter_name not in self.subscription_filters and len(self.subscription_filters) >= 2:
            raise LimitExceededException()  # AWS: "Resource limit exceeded." (two filters per group)
        if filter_name in self.subscription_filters:
            self.subscription_filters[filter_name].update(filter_pattern, destination_arn, role_arn)
            return
        self.subscription_filters[filter_name] = models.SubscriptionFilter(
            name=filter_name,
            log_group_name=self.name,
            filter_pattern=filter_pattern,
            destination_arn=destination_arn,
            role_arn=role_arn,
        )

    def send_log_events(
        self: Any, service: str, destination_arn: str, filter_name: str, log_events: list[dict[str, Any]]
    ) -> None:
        subscription = self.log_group.subscription_filters.get(filter_name)
        pattern = parse_filter_pattern(subscription.filter_pattern if subscription is not None else "")
        matching = []
        for event in log_events:
            if not pattern.matches(event["message"]):
                continue
            shaped = {
                "id": event_id(self, event),
                "timestamp": event["timestamp"],
                "message": event["message"],
            }
            fields = pattern.extracted_fields(event["message"])
            if fields is not None:
                shaped["extractedFields"] = fields
            matching.append(shaped)
        if not matching:
            return  # CloudWatch sends a destination nothing when no event matches
        if service != "lambda":
            send_log_events.original(self, service, destination_arn, filter_name, matching)  # type: ignore[attr-defined]
            return
        try:
            call(
                {
                    "op": "logs.deliver",
                    "function_arn": destination_arn,
                    "owner": self.account_id,
                    "region": self.region,
                    "log_group": self.log_group.name,
                    "log_stream": self.log_stream_name,
                    "filter_name": filter_name,
                    "log_events": matching,
                }
            )
        except Exception:
            pass  # the account has gone (or could not take it): PutLogEvents itself succeeds, as on AWS

    def filter_log_events(self: Any, start_time: int, end_time: int, filter_pattern: str) -> list[dict[str, Any]]:
        pattern = pattern_of(filter_pattern)
        events: list[dict[str, Any]] = []
        for event in sorted(self.events, key=lambda e: e.timestamp):
            if start_time and event.timestamp < start_time:
                continue
            if end_time and event.timestamp > end_time:
                continue
            if not pattern.matches(event.message):
                continue
            found = event.to_filter_dict()
            found["logStreamName"] = self.log_stream_name
            events.append(found)
        return events

    patch(models.LogsBackend, "put_subscription_filter", put_subscription_filter)
    patch(models.LogGroup, "put_subscription_filter", group_put_subscription_filter)
    patch(models.LogStream, "_send_log_events", send_log_events)
    patch(models.LogStream, "filter_log_events", filter_log_events)


def event_id(stream: Any, event: dict[str, Any]) -> str:
    """A 56-digit event id, as CloudWatch gives (unique per stream and event, increasing in time)."""
    stream_hash = zlib.crc32(f"{stream.log_group.name}/{stream.log_stream_name}".encode())
    return f"3{int(event['timestamp']) % 10**19:019d}{stream_hash:018d}{int(event['id']) % 10**18:018d}"
