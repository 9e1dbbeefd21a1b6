"""EventBridge's side inside the local cloud's server process (imported there only).

moto's rules answer ``put_events`` with HTTP 500 when a target is a function
(``NotImplementedError``), and get several things unlike AWS.  The patches here:

* ``Rule.send_to_targets``: a rule matches with :class:`~lambda_magic.sources.patterns.EventPattern`
  (the project's one matcher); a DISABLED rule and a schedule-only rule (no pattern, which
  moto matches to every event) are silent; each function target is handed to the account
  (``events.deliver``: the event as AWS sends it, the target with its Input settings,
  RetryPolicy and DeadLetterConfig); other targets go to moto's own code.
* ``EventsBackend.put_events`` marks an entry without ``Time`` so that the account stamps
  it with its own clock; ``put_rule`` refuses a pattern EventBridge refuses.
* ``TestEventPattern`` answers ``{"Result": ...}`` (moto's answers nothing).
* S3 -> EventBridge (a bucket with ``EventBridgeConfiguration``): the event has a fresh id,
  an increasing sequencer, a fresh request id, ``etag`` and AWS's ``reason``
  (``PutObject``...), goes to the default bus only, and is not sent for what AWS does not
  send (the "Object Tags Added" of every ``put_object``, the extra "Object Created" of a
  multipart upload).
"""

from __future__ import annotations

import copy
import itertools
import json
import secrets
import string
import sys
import time
import uuid
import warnings
from datetime import datetime, timezone
from typing import Any

from ..patterns import EventPattern, InvalidEventPattern, InvalidTestEvent, event_to_test
from .events_input import InvalidInput, target_text
from .moto_side import Call, patch

#: The S3 notification event behind each reason AWS writes in an S3 EventBridge event.
_S3_REASONS = {
    "s3:ObjectCreated:Put": "PutObject",
    "s3:ObjectCreated:Post": "POST Object",
    "s3:ObjectCreated:Copy": "CopyObject",
    "s3:ObjectCreated:CompleteMultipartUpload": "CompleteMultipartUpload",
    "s3:ObjectRemoved:Delete": "DeleteObject",
    "s3:ObjectRemoved:DeleteMarkerCreated": "DeleteObject",
}


class _Now(float):
    """The ``Time`` of an entry that gave none: the account stamps the event with its clock."""


def iso(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def aws_event(moto_event: dict[str, Any]) -> dict[str, Any]:
    """moto's event message as AWS delivers it (ISO ``time``, no internal fields)."""
    stamp = moto_event.get("time")
    event = {
        "version": moto_event.get("version", "0"),
        "id": moto_event.get("id") or str(uuid.uuid4()),
        "detail-type": moto_event.get("detail-type"),
        "source": moto_event.get("source"),
        "account": moto_event.get("account"),
        "time": iso(float(stamp)) if isinstance(stamp, (int, float)) else (stamp or iso(time.time())),
        "region": moto_event.get("region"),
        "resources": list(moto_event.get("resources") or []),
        "detail": moto_event.get("detail", {}),
    }
    if moto_event.get("replay-name"):
        event["replay-name"] = moto_event["replay-name"]
    return event


def _pattern_of(rule: Any) -> EventPattern | None:
    """The rule's compiled pattern (cached on the rule); None for a schedule-only rule."""
    raw = rule.event_pattern.dump()
    if not raw:
        return None
    cached = getattr(rule, "_lambda_magic_pattern", None)
    if cached is None or cached.text != raw:
        try:
            cached = EventPattern.parse(raw)
        except InvalidEventPattern:
            return None  # put_rule refuses these; a rule made otherwise (CloudFormation) matches nothing
        rule._lambda_magic_pattern = cached
    return cached


def _is_function(arn: str) -> bool:
    parts = arn.split(":")
    return len(parts) > 6 and parts[2] == "lambda" and parts[5] == "function"


def _send_to_queue(rule: Any, target: dict[str, Any], event: dict[str, Any], ingestion_time: str) -> None:
    """An SQS target gets the event as AWS sends it (``account`` included; moto's template drops
    it) or its ``Input`` / ``InputPath`` / ``InputTransformer`` (moto ignores the first two)."""
    from moto.sqs import sqs_backends

    try:
        body = target_text(target, event, rule_arn=rule.arn, rule_name=rule.name, ingestion_time=ingestion_time)
    except InvalidInput as exc:
        warnings.warn(f"EventBridge rule {rule.name}: target {target.get('Id')}: {exc}", stacklevel=2)
        return
    parts = target["Arn"].split(":")
    backend = sqs_backends[parts[4]][parts[3]]
    group = (target.get("SqsParameters") or {}).get("MessageGroupId")
    try:
        if group:
            attributes = backend.get_queue_attributes(
                queue_name=parts[5], attribute_names=["ContentBasedDeduplication"]
            )
            if attributes["ContentBasedDeduplication"] == "false":
                warnings.warn(
                    "To let EventBridge send messages to your SQS FIFO queue, "
                    "you must enable content-based deduplication.",
                    stacklevel=2,
                )
                return
        backend.send_message(queue_name=parts[5], message_body=body, group_id=group)
    except Exception as exc:  # a missing queue: put_events still succeeds, as on AWS
        warnings.warn(f"EventBridge rule {rule.name}: target {target.get('Id')}: {exc}", stacklevel=2)


def install(call: Call) -> None:
    from moto.events import models, responses
    from moto.events.exceptions import InvalidEventPatternException, ValidationException

    original_send = models.Rule.send_to_targets
    if getattr(original_send, "_lambda_magic_patched", False):
        return

    def send_to_targets(self: Any, original_event: Any, transform_input: bool = True) -> None:
        pattern = _pattern_of(self)
        if pattern is None or self.state != "ENABLED":
            return
        event = aws_event(original_event)
        if not pattern.matches(event):
            return
        stamp = original_event.get("time")
        ingestion = original_event.get("ingestion-time")
        ingestion_time = iso(float(ingestion)) if isinstance(ingestion, (int, float)) else event["time"]
        others = []
        for target in self.targets:
            arn = target.get("Arn", "")
            if _is_function(arn):
                try:
                    call(
                        {
                            "op": "events.deliver",
                            "rule": self.name,
                            "event_bus_name": self.event_bus_name,
                            "rule_arn": self.arn,
                            "target": target,
                            "event": event,
                            "stamp_now": isinstance(stamp, _Now),
                            "ingestion_time": ingestion_time,
                        }
                    )
                except Exception:
                    pass  # the account has gone: nothing is left to deliver to
            elif arn.split(":")[2:3] == ["sqs"]:
                _send_to_queue(self, target, event, ingestion_time)
            else:
                others.append(target)
        if others:  # log groups, buses, archives, API destinations: moto's own delivery
            rest = copy.copy(self)
            rest.targets = others
            rest.event_pattern = models.EventPattern.load(None)  # matched above
            plain: Any = (
                original_event
                if transform_input
                else {k: v for k, v in original_event.items() if k != "ingestion-time"}
            )
            original_send(rest, plain, transform_input)

    patch(models.Rule, "send_to_targets", send_to_targets)

    def put_events(self: Any, events: list[dict[str, Any]]) -> Any:
        marked = [entry if entry.get("Time") is not None else {**entry, "Time": _Now(time.time())} for entry in events]
        return put_events.original(self, marked)  # type: ignore[attr-defined]

    patch(models.EventsBackend, "put_events", put_events)

    def put_rule(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        pattern = kwargs.get("event_pattern", args[2] if len(args) > 2 else None)
        if pattern:
            try:
                EventPattern.parse(pattern)
            except InvalidEventPattern as exc:
                raise InvalidEventPatternException(exc.reason) from None
        return put_rule.original(self, name, *args, **kwargs)  # type: ignore[attr-defined]

    patch(models.EventsBackend, "put_rule", put_rule)

    def test_event_pattern(self: Any) -> str:
        try:
            pattern = EventPattern.parse(self._get_param("EventPattern") or "")
        except InvalidEventPattern as exc:
            raise InvalidEventPatternException(exc.reason) from None
        try:
            event = event_to_test(self._get_param("Event") or "")
        except InvalidTestEvent as exc:
            raise ValidationException(str(exc)) from None
        return json.dumps({"Result": pattern.matches(event)})

    patch(responses.EventsHandler, "test_event_pattern", test_event_pattern)
    _install_s3(models)


def _install_s3(events_models: Any) -> None:
    """S3 -> EventBridge as AWS sends it."""
    from moto.s3 import notifications, responses

    sequence = itertools.count()

    def explicit_tagging() -> bool:
        """Whether this thread serves PutObjectTagging / DeleteObjectTagging itself (not a put_object,
        copy_object or multipart completion that tags as part of its work).  Read from the stack, so
        that no S3 method needs patching for it."""
        frame = sys._getframe(2)
        while frame is not None:
            if frame.f_code.co_name in ("put_object_tagging", "delete_object_tagging") and isinstance(
                frame.f_locals.get("self"), responses.S3Response
            ):
                return True
            frame = frame.f_back  # type: ignore[assignment]
        return False

    def send_event_bridge_message(account_id: str, bucket: Any, event_name: str, key: Any) -> None:
        if "ObjectTagging" in event_name and not explicit_tagging():
            return  # put_object, copy_object and multipart uploads tag as part of their work: AWS sends no event
        if event_name == "s3:ObjectCreated:Put" and getattr(key, "multipart", None) is not None:
            return  # moto's completion stores the object with a put first: AWS sends one event
        try:
            event = s3_event(account_id, bucket, event_name, key, next(sequence))
            backend = events_models.events_backends[account_id][bucket.region_name]
            default_bus = backend.event_buses.get("default")
            for rule in list(default_bus.rules.values()) if default_bus else []:
                rule.send_to_targets(event, transform_input=False)
        except Exception:
            pass  # as moto: S3's request never fails because of its notifications

    patch(notifications, "_send_event_bridge_message", send_event_bridge_message)


def s3_event(account_id: str, bucket: Any, event_name: str, key: Any, number: int) -> dict[str, Any]:
    """The EventBridge event S3 sends for ``event_name`` (moto's internal form: epoch times)."""
    from moto.s3.notifications import _detail_type

    now = _Now(time.time())  # the account stamps it with its clock
    detail_type = _detail_type(event_name)
    obj: dict[str, Any] = {"key": key.name}
    if detail_type == "Object Created":
        obj["size"] = key.size
    etag = (getattr(key, "etag", "") or "").replace('"', "")
    if etag:  # a delete marker has none
        obj["etag"] = etag
    version = getattr(key, "version_id", None)
    if version not in (None, "", "null") or getattr(bucket, "is_versioned", False):
        obj["version-id"] = str(version) if version is not None else "null"
    obj["sequencer"] = f"{time.time_ns() // 1000:013X}{number % 0x10000:04X}"
    detail: dict[str, Any] = {
        "version": "0",
        "bucket": {"name": bucket.name},
        "object": obj,
        "request-id": "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(16)),
        "requester": account_id,
        "source-ip-address": "127.0.0.1",
    }
    if event_name in _S3_REASONS:
        detail["reason"] = _S3_REASONS[event_name]
    if detail_type == "Object Deleted":
        detail["deletion-type"] = (
            "Delete Marker Created" if event_name.endswith("DeleteMarkerCreated") else "Permanently Deleted"
        )
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": "aws.s3",
        "account": account_id,
        "time": now,
        "region": bucket.region_name,
        "resources": [bucket.arn],
        "detail": detail,
        "ingestion-time": now,
    }
