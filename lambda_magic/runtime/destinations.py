"""Delivering asynchronous invocation records and dead letters into the local cloud."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Any

from .cloud import LocalCloud, LambdaMagicError


def destination_kind(target: str) -> str:
    """``lambda``, ``sqs``, ``sns``, ``events`` or ``s3`` (a bare name is a function)."""
    parts = target.split(":")
    return parts[2] if target.startswith("arn:") and len(parts) >= 6 else "lambda"


def _queue_url(cloud: LocalCloud, arn: str) -> str:
    return cloud.client("sqs").get_queue_url(QueueName=arn.split(":")[5])["QueueUrl"]


def deliver_record(cloud: LocalCloud, target: str, record: dict, source: str) -> bool:
    """An invocation record to an SQS queue, SNS topic, EventBridge bus or S3 bucket."""
    body = json.dumps(record)
    kind = destination_kind(target)
    try:
        if kind == "sqs":
            cloud.client("sqs").send_message(QueueUrl=_queue_url(cloud, target), MessageBody=body)
        elif kind == "sns":
            cloud.client("sns").publish(TopicArn=target, Message=body)
        elif kind == "events":
            condition = record.get("requestContext", {}).get("condition")
            outcome = "Success" if condition == "Success" else "Failure"
            result = cloud.client("events").put_events(
                Entries=[
                    {
                        "Source": "lambda",
                        "DetailType": f"Lambda Function Invocation Result - {outcome}",
                        "Detail": body,
                        "EventBusName": target,
                        "Resources": [record["requestContext"]["functionArn"]],
                    }
                ]
            )
            return not result.get("FailedEntryCount")
        elif kind == "s3":
            day = datetime.now(timezone.utc)
            key = f"aws/lambda/async/{source}/{day:%Y/%m/%d}/{uuid.uuid4()}"
            cloud.client("s3").put_object(Bucket=target.split(":")[-1], Key=key, Body=body.encode())
        else:
            return False
    except (LambdaMagicError, Exception):  # a missing queue, topic or bucket: a delivery failure, counted
        return False
    return True


def deliver_dead_letter(cloud: LocalCloud, target: str, event: Any, attributes: dict) -> bool:
    """The event alone, with RequestID, ErrorCode and ErrorMessage attributes (Lambda's DLQ format)."""
    body = json.dumps(event)
    message_attributes = {k: {"DataType": "String", "StringValue": str(v) or "-"} for k, v in attributes.items()}
    try:
        if destination_kind(target) == "sqs":
            cloud.client("sqs").send_message(
                QueueUrl=_queue_url(cloud, target), MessageBody=body, MessageAttributes=message_attributes
            )
        elif destination_kind(target) == "sns":
            cloud.client("sns").publish(TopicArn=target, Message=body, MessageAttributes=message_attributes)
        else:
            return False
    except Exception:
        return False
    return True
