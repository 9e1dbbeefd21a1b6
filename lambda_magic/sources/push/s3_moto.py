"""S3 -> Lambda inside the local cloud's server process: :func:`install` runs there only.

The record builder (:func:`s3_record`) is shared with the account's side (:mod:`.s3`);
this module imports moto only inside :func:`install`.

moto keeps a bucket's ``LambdaFunctionConfigurations`` but hands their events to its own
Lambda backend, which cannot run the notebook's functions.  :func:`install` patches moto so
that the configuration *is* the wiring, as on AWS:

* ``notifications.send_event``: the events of LambdaFunctionConfigurations go to the
  account (``s3.notify``) with the object's facts (key, size, eTag, version id); moto's
  own call into its Lambda backend is silenced.  The extra ``ObjectCreated:Put`` moto sends
  before ``CompleteMultipartUpload`` is dropped, and so is the ``ObjectTagging:Put`` it sends
  on every upload (AWS sends it for ``PutObjectTagging`` only), for every destination.
  moto's record for queues and topics (``_get_s3_event``) is the complete one too.
* delete markers (``ObjectRemoved:DeleteMarkerCreated``, which moto never sends) and
  deletes of one version of a versioned object (``ObjectRemoved:Delete`` with its
  ``versionId``; moto sends one only when the last version goes) are sent from the
  delete path.
* ``get_bucket_notification_configuration`` answers the EventBridgeConfiguration too (moto
  leaves it out, and a read-modify-write would lose it).
* ``put_bucket_notification_configuration`` refuses overlapping configurations and a
  function the account does not know or whose policy does not let ``s3.amazonaws.com``
  invoke it from the bucket (``s3.validate``), with S3's own ``InvalidArgument``.
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
import time
import types
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote_plus

from .moto_side import patch

Call = Callable[[dict[str, Any]], Any]

CREATED_PUT = "s3:ObjectCreated:Put"
TAGGING_PUT = "s3:ObjectTagging:Put"
REMOVED_DELETE = "s3:ObjectRemoved:Delete"
DELETE_MARKER_CREATED = "s3:ObjectRemoved:DeleteMarkerCreated"
#: The configuration types of a parsed NotificationConfiguration.
CONFIGURATIONS = ("TopicConfiguration", "QueueConfiguration", "CloudFunctionConfiguration")
#: The attribute of an error that carries S3's extra fields (``ArgumentName1``...).
ERROR_DETAILS = "_lambda_magic_details"
OVERLAP = "Configurations overlap. Configurations on the same bucket cannot share a common event type."
UNVALIDATED = "Unable to validate the following destination configurations"


def _stable_id(seed: str, length: int) -> str:
    """An uppercase id derived from ``seed`` (the same account always gets the same one)."""
    return base64.b32encode(hashlib.sha256(seed.encode()).digest()).decode()[:length]


def event_time(seconds: float) -> str:
    """ISO 8601 UTC with milliseconds, as S3 writes ``eventTime``."""
    stamp = datetime.fromtimestamp(seconds, timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def object_key(key: str) -> str:
    """The key as S3 writes it in an event: form-encoded (a space is ``+``, ``:`` is ``%3A``), ``/`` kept."""
    return quote_plus(key, safe="/")


def s3_record(
    facts: dict[str, Any], configuration_id: str, *, account_id: str, time_s: float, sequencer: str
) -> dict[str, Any]:
    """The record S3 sends for one event (notification-content-structure, eventVersion 2.1).

    ``facts``: ``event`` (``ObjectCreated:Put``...), ``bucket``, ``bucket_arn``, ``region``,
    ``key`` (raw), ``size``, ``etag``, ``version_id`` (None on an unversioned bucket)."""
    name = facts["event"]
    obj: dict[str, Any] = {"key": object_key(facts["key"])}
    if name.startswith(("ObjectCreated:", "ObjectRestore:")):
        if facts.get("size") is not None:
            obj["size"] = facts["size"]
        if facts.get("etag"):
            obj["eTag"] = facts["etag"]
    elif not name.startswith("ObjectRemoved:") and facts.get("etag"):
        obj["eTag"] = facts["etag"]  # tagging and ACL events name the object's eTag, not its size
    if facts.get("version_id") is not None:
        obj["versionId"] = facts["version_id"]
    obj["sequencer"] = sequencer
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": facts["region"],
        "eventTime": event_time(time_s),
        "eventName": name,
        "userIdentity": {"principalId": "AWS:AIDA" + _stable_id(f"user:{account_id}", 17)},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {
            "x-amz-request-id": uuid.uuid4().hex[:16].upper(),
            "x-amz-id-2": base64.b64encode(os.urandom(48)).decode(),
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": configuration_id,
            "bucket": {
                "name": facts["bucket"],
                "ownerIdentity": {"principalId": "A" + _stable_id(f"owner:{account_id}", 13)},
                "arn": facts["bucket_arn"],
            },
            "object": obj,
        },
    }


class Sequencer:
    """Uppercase hex strings that grow with every event (S3 orders a key's events by them)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = 0

    def __call__(self) -> str:
        with self._lock:
            self._last = max(self._last + 1, time.time_ns())
            return f"{self._last:018X}"


def facts_of(event_name: str, bucket: Any, key: Any) -> dict[str, Any]:
    """What an event's record says about the bucket and the object (a FakeKey, a delete marker or a stand-in)."""
    version = getattr(key, "version_id", None)
    return {
        "event": event_name.removeprefix("s3:"),
        "bucket": bucket.name,
        "bucket_arn": bucket.arn,
        "region": bucket.region_name,
        "key": key.name,
        "size": getattr(key, "size", None),
        "etag": (getattr(key, "etag", None) or "").replace('"', "") or None,
        "version_id": str(version) if bucket.versioning_status is not None and version is not None else None,
    }


def _event_name(event: Any) -> str:
    return str(getattr(event, "value", event))


def _events_share(a: str, b: str) -> bool:
    """Whether two configured event types name a common event (``s3:ObjectCreated:*`` and ``...:Put``)."""
    a, b = a.removeprefix("s3:"), b.removeprefix("s3:")
    if a == b:
        return True
    if a.endswith(":*") and b.startswith(a[:-1]):
        return True
    return b.endswith(":*") and a.startswith(b[:-1])


def _filters(configuration: dict[str, Any]) -> tuple[str, str]:
    rules = ((configuration.get("Filter") or {}).get("S3Key") or {}).get("FilterRule") or []
    found = {rule.get("Name", "").lower(): rule.get("Value") or "" for rule in rules}
    return found.get("prefix", ""), found.get("suffix", "")


def overlapping(configurations: Iterable[dict[str, Any]]) -> bool:
    """AWS's rule: two configurations overlap when they share an event type and a key could
    match both filters (each prefix starts the other, each suffix ends the other)."""
    listed = list(configurations)
    for i, first in enumerate(listed):
        for second in listed[i + 1 :]:
            if not any(_events_share(a, b) for a in first["Event"] for b in second["Event"]):
                continue
            (p1, s1), (p2, s2) = _filters(first), _filters(second)
            if (p1.startswith(p2) or p2.startswith(p1)) and (s1.endswith(s2) or s2.endswith(s1)):
                return True
    return False


def _with_event_bridge(body: str) -> str:
    """moto's GetBucketNotificationConfiguration answer with the EventBridgeConfiguration it leaves out."""
    element = "<EventBridgeConfiguration></EventBridgeConfiguration>"
    if "</NotificationConfiguration>" in body:
        return body.replace("</NotificationConfiguration>", element + "</NotificationConfiguration>")
    head, found, _rest = body.partition("<NotificationConfiguration")
    if not found:
        return body
    attributes = _rest.split(">", 1)[0].removesuffix("/")
    return f"{head}<NotificationConfiguration{attributes}>{element}</NotificationConfiguration>"


def install(call: Call) -> None:
    from moto.core import serialize
    from moto.s3 import exceptions, models, notifications, responses

    local = threading.local()  # what the request this thread serves is doing
    sequencer = Sequencer()

    def notify(event_name: str, bucket: Any, key: Any) -> None:
        configuration = bucket.notification_configuration
        if configuration is None or key is None:
            return
        targets = [
            {"function_arn": n.arn, "configuration_id": n.id}
            for n in configuration.cloud_function
            if n.matches(event_name, key.name)
        ]
        if not targets:
            return
        try:
            call({"op": "s3.notify", **facts_of(event_name, bucket, key), "targets": targets})
        except Exception:
            pass  # S3 delivers asynchronously: the request that caused the event never fails for it

    def get_s3_event(event_name: Any, bucket: Any, key: Any, notification_id: str) -> dict[str, Any]:
        """moto's record for queues and topics, as complete as the functions' one."""
        facts = facts_of(_event_name(event_name), bucket, key)
        record = s3_record(
            facts, notification_id, account_id=bucket.account_id, time_s=time.time(), sequencer=sequencer()
        )
        return {"Records": [record]}

    def send_event(account_id: str, event_name: Any, bucket: Any, key: Any) -> None:
        name = _event_name(event_name)
        if name == CREATED_PUT and getattr(key, "multipart", None) is not None:
            return  # CompleteMultipartUpload follows: AWS sends that one event only
        if name == REMOVED_DELETE and getattr(local, "version_delete", False):
            return  # the version delete sends its own, with the version id
        if name == TAGGING_PUT and not getattr(local, "tagging", False):
            return  # the tags of an upload: AWS sends ObjectTagging:Put for PutObjectTagging only
        notify(name, bucket, key)
        send_event.original(account_id, event_name, bucket, key)  # type: ignore[attr-defined]

    def invoke_awslambda(account_id: str, event_body: Any, fn_arn: str, region_name: str) -> None:
        """moto's own Lambda is never asked: :func:`send_event` has told the account."""

    def set_delete_marker(self: Any, bucket_name: str, key_name: str) -> Any:
        bucket = self.get_bucket(bucket_name)
        if key_name not in bucket.keys:  # S3 makes a marker for a key never written too; moto fails the delete
            marker = models.FakeDeleteMarker(models.FakeKey(key_name, b"", self.account_id, self.region_name))
            bucket.keys[key_name] = marker
        else:
            marker = set_delete_marker.original(self, bucket_name, key_name)  # type: ignore[attr-defined]
        removed(self.account_id, DELETE_MARKER_CREATED, bucket, marker.name, marker.version_id)
        return marker

    def removed(account_id: str, event_name: str, bucket: Any, key_name: str, version_id: str) -> None:
        """An ObjectRemoved event moto does not send, to the functions and moto's other destinations."""
        # EventBridge's template reads a size and an eTag
        gone = types.SimpleNamespace(name=key_name, size=0, etag="", version_id=version_id, multipart=None)
        notify(event_name, bucket, gone)
        send_event.original(account_id, event_name, bucket, gone)  # type: ignore[attr-defined]

    def delete_object(self: Any, bucket_name: str, key_name: str, version_id: str | None = None, **kw: Any) -> Any:
        bucket = self.get_bucket(bucket_name)
        if version_id is None or bucket.versioning_status is None:
            return delete_object.original(self, bucket_name, key_name, version_id, **kw)  # type: ignore[attr-defined]
        before = [k for k in bucket.keys.getlist(key_name, []) if str(k.version_id) == str(version_id)]
        local.version_delete = True
        try:
            answer = delete_object.original(self, bucket_name, key_name, version_id, **kw)  # type: ignore[attr-defined]
        finally:
            local.version_delete = False
        after = [k for k in bucket.keys.getlist(key_name, []) if str(k.version_id) == str(version_id)]
        if before and not after:
            removed(self.account_id, REMOVED_DELETE, bucket, key_name, str(version_id))
        return answer

    def put_object_tagging(self: Any) -> Any:
        local.tagging = True
        try:
            return put_object_tagging.original(self)  # type: ignore[attr-defined]
        finally:
            local.tagging = False

    def get_configuration(self: Any) -> Any:
        status, headers, body = get_configuration.original(self)  # type: ignore[attr-defined]
        configuration = self.backend.get_bucket_notification_configuration(self.bucket_name)
        if configuration is not None and configuration.event_bridge is not None:
            body = _with_event_bridge(body.decode() if isinstance(body, bytes) else body)
        return status, headers, body

    def error_metadata(self: Any, serialized: Any, error: Exception, shape: Any) -> None:
        error_metadata.original(self, serialized, error, shape)  # type: ignore[attr-defined]
        serialized.update(getattr(error, ERROR_DETAILS, {}))  # S3's ArgumentName1, ArgumentValue1...

    def put_configuration(self: Any, bucket_name: str, notification_config: dict[str, Any]) -> Any:
        bucket = self.get_bucket(bucket_name)
        configurations = []
        for field in CONFIGURATIONS:
            for configuration in (notification_config or {}).get(field) or []:
                for event in configuration["Event"]:
                    if not notifications.S3NotificationEvent.is_event_valid(event):
                        raise exceptions.InvalidNotificationEvent(event)
                configurations.append(configuration)
        if overlapping(configurations):
            raise exceptions.S3ClientError("InvalidArgument", OVERLAP)
        functions = [c["CloudFunction"] for c in (notification_config or {}).get("CloudFunctionConfiguration") or []]
        if functions:
            try:
                refused = call(
                    {"op": "s3.validate", "bucket": bucket.name, "bucket_arn": bucket.arn, "functions": functions}
                )
            except Exception:
                refused = None  # no account answers: moto's own behaviour (accepted)
            if refused:
                error = exceptions.S3ClientError("InvalidArgument", UNVALIDATED)
                details = {}
                for number, (arn, reason) in enumerate(dict(refused).items(), 1):
                    details[f"ArgumentName{number}"] = arn
                    details[f"ArgumentValue{number}"] = reason
                setattr(error, ERROR_DETAILS, details)
                raise error
        return put_configuration.original(self, bucket_name, notification_config)  # type: ignore[attr-defined]

    patch(notifications, "send_event", send_event)
    patch(notifications, "_invoke_awslambda", invoke_awslambda)
    patch(notifications, "_get_s3_event", get_s3_event)
    patch(models.S3Backend, "_set_delete_marker", set_delete_marker)
    patch(models.S3Backend, "delete_object", delete_object)
    patch(models.S3Backend, "put_bucket_notification_configuration", put_configuration)
    patch(responses.S3Response, "put_object_tagging", put_object_tagging)
    patch(responses.S3Response, "get_bucket_notification", get_configuration)
    patch(serialize.S3Serializer, "_serialize_error_metadata", error_metadata)
