"""The ``aws:sqs`` event a Lambda SQS poller sends, and what it does with the answer.

Kept apart from the poller (:mod:`lambda_magic.sources.sqs`) so that the shape of the
records and the partial-batch rules can be read (and tested) on their own.

Sources: Lambda DG "Using Lambda with Amazon SQS" (the example events, standard and FIFO),
"Handling errors for an SQS event source in Lambda" (partial batch responses: what counts
as complete success and complete failure); ``../shared/reference/event-catalog.md`` C.5.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any

#: The synchronous invoke's payload limit: a batch never grows past it (DG: "6 MB").
PAYLOAD_LIMIT = 6 * 1024 * 1024
#: ``{"Records": []}`` around the records.
_ENVELOPE = len('{"Records": []}')

#: System attributes in the order of AWS's example records (standard, then FIFO); others follow.
_STANDARD_ORDER = ("ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp")
_FIFO_ORDER = (
    "ApproximateReceiveCount",
    "SentTimestamp",
    "SequenceNumber",
    "MessageGroupId",
    "SenderId",
    "MessageDeduplicationId",
    "ApproximateFirstReceiveTimestamp",
)


def sqs_record(message: Mapping[str, Any], queue_arn: str, region: str, *, fifo: bool) -> dict[str, Any]:
    """One Lambda record from one ``ReceiveMessage`` entry (boto3's shape), keys in AWS's order."""
    received = message.get("Attributes") or {}
    attributes: dict[str, str] = {}
    if fifo and "SequenceNumber" not in received:
        # moto only numbers FIFO messages sent with an explicit MessageDeduplicationId; AWS
        # always does.  A stable stand-in: the send time (ms), then 7 digits of the message id.
        digest = int(hashlib.md5(str(message.get("MessageId", "")).encode()).hexdigest(), 16) % 10_000_000
        received = {**received, "SequenceNumber": f"{int(received.get('SentTimestamp', 0)):013d}{digest:07d}"}
    for key in _FIFO_ORDER if fifo else _STANDARD_ORDER:
        if key in received:
            attributes[key] = str(received[key])
    for key, value in received.items():
        attributes.setdefault(key, str(value))
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": attributes,
        "messageAttributes": lambda_message_attributes(message.get("MessageAttributes") or {}),
        "md5OfBody": message.get("MD5OfBody") or hashlib.md5(message.get("Body", "").encode()).hexdigest(),
    }
    if message.get("MD5OfMessageAttributes"):
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    record["eventSource"] = "aws:sqs"
    record["eventSourceARN"] = queue_arn
    record["awsRegion"] = region
    return record


def lambda_message_attributes(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """SQS ``MessageAttributes`` (boto3: ``StringValue``/``BinaryValue`` bytes) in Lambda's
    camelCase form: ``stringValue``/``binaryValue`` (base64), both list fields, ``dataType``."""
    result = {}
    for name, value in attributes.items():
        entry: dict[str, Any] = {}
        if value.get("StringValue") is not None:
            entry["stringValue"] = value["StringValue"]
        if value.get("BinaryValue") is not None:
            entry["binaryValue"] = _b64(value["BinaryValue"])
        entry["stringListValues"] = list(value.get("StringListValues") or [])
        entry["binaryListValues"] = [_b64(item) for item in value.get("BinaryListValues") or []]
        entry["dataType"] = value.get("DataType", "String")
        result[name] = entry
    return result


def _b64(value: Any) -> str:
    if isinstance(value, str):  # already base64 (a raw JSON API answer)
        return value
    return base64.b64encode(bytes(value)).decode("ascii")


def record_size(record: Mapping[str, Any]) -> int:
    """The bytes a record adds to the invoke payload (``json.dumps``, as the invoke encodes it)."""
    return len(json.dumps(record)) + 2


def envelope_size() -> int:
    return _ENVELOPE


def batch_outcome(
    event: Mapping[str, Any], invocation: Any, function_response_types: tuple[str, ...]
) -> tuple[list[str], Any]:
    """The message ids Lambda returns to the queue after ``invocation``, and the verdict.

    Lambda's rules (DG services-sqs-errorhandling; lambda-semantics §6.1.5-6): a function
    error returns the whole batch.  Without ``ReportBatchItemFailures`` the answer is ignored
    and anything else deletes the batch.  With it: a null or empty answer, or a null or empty
    ``batchItemFailures``, is complete success; an answer that is not an object, or an
    ``itemIdentifier`` that is missing, null, empty, not a string or not a message of this
    batch, is complete failure; otherwise exactly the listed messages return and the rest
    are deleted.  The rules live in :mod:`lambda_magic.events.contracts` (``sqs-batch``),
    which also explains the verdict on the invocation's panel.
    """
    from ..events.contracts import check_response

    verdict = check_response(
        "sqs-batch",
        event,
        invocation.payload,
        invocation.function_error,
        function_response_types=function_response_types,
    )
    return list(verdict.details.get("failed_item_ids", ())), verdict
