"""SNS -> Lambda against the real embedded cloud, through boto3 as a student writes it.

The expected behaviour is AWS's (event-catalog C.4, schedules-sns-codecommit-recursion §5, the SNS
Developer Guide's filter policy pages): one asynchronous invocation per message and subscription
with the ``aws:sns`` record; filter policies on attributes or on the body; ``MessageStructure=json``
picks the ``lambda`` key; no permission or no function: not delivered, the drop counted.
"""

from __future__ import annotations

import json

import pytest

ECHO = """
def lambda_handler(event, context):
    return event
"""

SNS_KEYS = [
    "Type",
    "MessageId",
    "TopicArn",
    "Subject",
    "Message",
    "Timestamp",
    "SignatureVersion",
    "Signature",
    "SigningCertUrl",
    "UnsubscribeUrl",
    "MessageAttributes",
]


def topic(account, name="orders"):
    return account.cloud.client("sns").create_topic(Name=name)["TopicArn"]


def subscribe(account, lambda_client, function, topic_arn, *, permission=True, **attributes):
    sns = account.cloud.client("sns")
    fn = account.get_function(function)
    if permission:
        lambda_client.add_permission(
            FunctionName=function,
            StatementId=f"sns-{topic_arn.rsplit(':', 1)[-1]}",
            Action="lambda:InvokeFunction",
            Principal="sns.amazonaws.com",
            SourceArn=topic_arn,
        )
    attrs = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in attributes.items()}
    return sns.subscribe(
        TopicArn=topic_arn, Protocol="lambda", Endpoint=fn.arn, Attributes=attrs, ReturnSubscriptionArn=True
    )["SubscriptionArn"]


def events(account, name):
    assert account.wait(timeout=30)
    return [record.payload for record in account.invocation_records(name)]


def test_publish_invokes_once_with_the_sns_record(account, push, lambda_client):
    account.register("echo", ECHO)
    arn = topic(account)
    sub = subscribe(account, lambda_client, "echo", arn)
    sns = account.cloud.client("sns")
    message_id = sns.publish(
        TopicArn=arn,
        Message="hello",
        Subject="greeting",
        MessageAttributes={
            "colour": {"DataType": "String", "StringValue": "red"},
            "size": {"DataType": "Number", "StringValue": "3"},
        },
    )["MessageId"]
    (event,) = events(account, "echo")
    (record,) = event["Records"]
    assert list(record) == ["EventSource", "EventVersion", "EventSubscriptionArn", "Sns"]
    assert record["EventSource"] == "aws:sns"
    assert record["EventVersion"] == "1.0"
    assert record["EventSubscriptionArn"] == sub
    assert sub.startswith(arn + ":")
    body = record["Sns"]
    assert list(body) == SNS_KEYS
    assert body["Type"] == "Notification"
    assert body["MessageId"] == message_id
    assert body["TopicArn"] == arn
    assert body["Subject"] == "greeting"
    assert body["Message"] == "hello"
    assert body["MessageAttributes"] == {
        "colour": {"Type": "String", "Value": "red"},
        "size": {"Type": "Number", "Value": "3"},
    }
    assert body["Timestamp"].endswith("Z") and len(body["Timestamp"]) == len("2024-05-01T12:34:56.789Z")
    assert body["SigningCertUrl"].startswith("https://sns.us-east-1.amazonaws.com/SimpleNotificationService-")
    assert body["UnsubscribeUrl"] == (
        f"https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={sub}"
    )
    (invocation,) = account.invocation_records("echo")
    assert invocation.trigger == "sns:orders"
    assert invocation.invocation_type == "Event"
