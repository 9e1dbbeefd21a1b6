"""The SQS calls the poller makes (boto3 against the local cloud), ten entries at a time.

Kept apart from the poller's logic (:mod:`lambda_magic.sources.sqs`): finding the queue
as ``CreateEventSourceMapping`` does, receiving with every attribute, deleting, changing
visibility and reading the queue's counts.
"""

from __future__ import annotations

import math
import time
from typing import Any

from ..common.errors import ResourceNotFoundException

#: The longest a message can stay invisible: 12 hours from its send (SQS's limit).
MAX_VISIBILITY_S = 43_200
_COUNTS = ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed")


def find_queue(sqs: Any, name: str, arn: str) -> tuple[str, dict[str, str]]:
    """The queue's URL and attributes; ResourceNotFoundException when the local cloud has no such queue."""
    from botocore.exceptions import ClientError

    try:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if "NonExistentQueue" in code or "QueueDoesNotExist" in code:
            raise ResourceNotFoundException(
                f"The queue {name} does not exist in the local cloud ({arn}): create it first, "
                f"e.g. lm.client('sqs').create_queue(QueueName={name!r})"
            ) from None
        raise
    if attributes.get("QueueArn", arn) != arn:
        raise ResourceNotFoundException(
            f"The queue {name} in the local cloud is {attributes['QueueArn']}, not {arn} (check the region and account)"
        )
    return url, attributes


class QueueApi:
    """One queue's URL and the client that reaches it."""

    def __init__(self, sqs: Any, url: str):
        self.sqs = sqs
        self.url = url

    def receive(self, count: int, wait_s: int, visibility_s: int) -> list[dict]:
        """``ReceiveMessage`` with every system and message attribute, as Lambda's poller asks."""
        answer = self.sqs.receive_message(
            QueueUrl=self.url,
            MaxNumberOfMessages=count,
            WaitTimeSeconds=wait_s,
            VisibilityTimeout=visibility_s,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        return answer.get("Messages") or []

    def delete(self, messages: list[dict]) -> list[dict]:
        """``DeleteMessageBatch``; the entries that failed (``Id`` is the index in ``messages``)."""
        failed: list[dict] = []
        for start in range(0, len(messages), 10):
            answer = self.sqs.delete_message_batch(
                QueueUrl=self.url,
                Entries=[
                    {"Id": str(start + i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(messages[start : start + 10])
                ],
            )
            failed += answer.get("Failed") or []
        return failed

    def set_visibility(self, handles: list[str], seconds: int | list[int]) -> None:
        """``ChangeMessageVisibilityBatch`` (0: visible again at once)."""
        each = seconds if isinstance(seconds, list) else [seconds] * len(handles)
        entries = [
            {"Id": str(i), "ReceiptHandle": h, "VisibilityTimeout": s}
            for i, (h, s) in enumerate(zip(handles, each, strict=True))
        ]
        for start in range(0, len(entries), 10):
            self.sqs.change_message_visibility_batch(QueueUrl=self.url, Entries=entries[start : start + 10])

    def hold(self, messages: list[dict]) -> None:
        """Keep messages invisible for as long as SQS allows (the account clock releases them)."""
        now_ms = time.time() * 1000
        handles, seconds = [], []
        for message in messages:
            sent_ms = int((message.get("Attributes") or {}).get("SentTimestamp", now_ms))
            hold = MAX_VISIBILITY_S - math.ceil((now_ms - sent_ms) / 1000) - 5
            if hold > 0:
                handles.append(message["ReceiptHandle"])
                seconds.append(hold)
        self.set_visibility(handles, seconds)

    def visibility_timeout(self) -> int:
        answer = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["VisibilityTimeout"])
        return int(answer["Attributes"].get("VisibilityTimeout", 30))

    def counts(self) -> dict[str, int]:
        """Visible, in-flight and delayed messages."""
        answer = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=list(_COUNTS))
        return {name: int(answer["Attributes"].get(name, 0)) for name in _COUNTS}
