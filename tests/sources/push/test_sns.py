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


def messages(account, name):
    """The Message of each SNS record the function got, sorted."""
    return sorted(event["Records"][0]["Sns"]["Message"] for event in events(account, name))


def test_no_subject_is_null_and_no_attributes_an_empty_map(account, push, lambda_client):
    account.register("echo", ECHO)
    arn = topic(account)
    subscribe(account, lambda_client, "echo", arn)
    account.cloud.client("sns").publish(TopicArn=arn, Message=json.dumps({"order": 1}))
    (event,) = events(account, "echo")
    body = event["Records"][0]["Sns"]
    assert body["Subject"] is None
    assert body["MessageAttributes"] == {}
    assert json.loads(body["Message"]) == {"order": 1}


def test_binary_and_array_attributes_arrive_as_type_and_value(account, push, lambda_client):
    account.register("echo", ECHO)
    arn = topic(account)
    subscribe(account, lambda_client, "echo", arn)
    account.cloud.client("sns").publish(
        TopicArn=arn,
        Message="m",
        MessageAttributes={
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
            "tags": {"DataType": "String.Array", "StringValue": '["a", "b"]'},
        },
    )
    (event,) = events(account, "echo")
    assert event["Records"][0]["Sns"]["MessageAttributes"] == {
        "blob": {"Type": "Binary", "Value": "AAE="},
        "tags": {"Type": "String.Array", "Value": '["a", "b"]'},
    }


def test_publish_batch_invokes_once_per_message(account, push, lambda_client):
    account.register("echo", ECHO)
    arn = topic(account)
    subscribe(account, lambda_client, "echo", arn)
    answer = account.cloud.client("sns").publish_batch(
        TopicArn=arn,
        PublishBatchRequestEntries=[
            {"Id": "1", "Message": "one", "Subject": "s1"},
            {"Id": "2", "Message": "two", "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}}},
            {"Id": "3", "Message": "three"},
        ],
    )
    assert len(answer["Successful"]) == 3
    got = {e["Records"][0]["Sns"]["Message"]: e["Records"][0]["Sns"] for e in events(account, "echo")}
    assert sorted(got) == ["one", "three", "two"]
    assert got["one"]["Subject"] == "s1"
    assert got["two"]["MessageAttributes"] == {"k": {"Type": "String", "Value": "v"}}
    ids = {entry["Id"]: entry["MessageId"] for entry in answer["Successful"]}
    assert got["three"]["MessageId"] == ids["3"]


def test_fan_out_invokes_each_subscribed_function_once(account, push, lambda_client):
    account.register("a", ECHO)
    account.register("b", ECHO)
    arn = topic(account)
    sub_a = subscribe(account, lambda_client, "a", arn)
    sub_b = subscribe(account, lambda_client, "b", arn)
    account.cloud.client("sns").publish(TopicArn=arn, Message="fan")
    (event_a,) = events(account, "a")
    (event_b,) = events(account, "b")
    assert event_a["Records"][0]["EventSubscriptionArn"] == sub_a
    assert event_b["Records"][0]["EventSubscriptionArn"] == sub_b
    assert event_a["Records"][0]["Sns"]["MessageId"] == event_b["Records"][0]["Sns"]["MessageId"]


def test_message_structure_json_picks_the_lambda_key_or_default(account, push, lambda_client):
    account.register("echo", ECHO)
    arn = topic(account)
    subscribe(account, lambda_client, "echo", arn)
    sns = account.cloud.client("sns")
    sns.publish(
        TopicArn=arn, MessageStructure="json", Message=json.dumps({"default": "plain", "lambda": "for lambda"})
    )
    sns.publish(TopicArn=arn, MessageStructure="json", Message=json.dumps({"default": "plain", "sqs": "for sqs"}))
    assert messages(account, "echo") == ["for lambda", "plain"]


def test_message_structure_json_needs_a_default_key(account, push):
    arn = topic(account)
    sns = account.cloud.client("sns")
    with pytest.raises(sns.exceptions.InvalidParameterException) as refused:
        sns.publish(TopicArn=arn, MessageStructure="json", Message=json.dumps({"lambda": "x"}))
    assert refused.value.response["Error"]["Message"] == (
        "Invalid parameter: Message Structure - No default entry in JSON message body"
    )
    with pytest.raises(sns.exceptions.InvalidParameterException) as refused:
        sns.publish(TopicArn=arn, MessageStructure="json", Message="not json")
    assert "JSON message body failed to parse" in refused.value.response["Error"]["Message"]


def test_without_the_permission_the_message_is_dropped_and_counted(account, push, lambda_client):
    account.register("echo", ECHO)
    arn = topic(account)
    subscribe(account, lambda_client, "echo", arn, permission=False)
    account.cloud.client("sns").publish(TopicArn=arn, Message="nobody may deliver this")  # SNS accepts it
    assert events(account, "echo") == []
    assert push.dropped[("echo", "sns:orders", "AccessDenied")] == 1


def test_a_permission_for_another_topic_does_not_let_this_one_in(account, push, lambda_client):
    account.register("echo", ECHO)
    other = topic(account, "other")
    arn = topic(account)
    lambda_client.add_permission(
        FunctionName="echo",
        StatementId="other-topic",
        Action="lambda:InvokeFunction",
        Principal="sns.amazonaws.com",
        SourceArn=other,
    )
    subscribe(account, lambda_client, "echo", arn, permission=False)
    account.cloud.client("sns").publish(TopicArn=arn, Message="m")
    assert events(account, "echo") == []
    assert push.dropped[("echo", "sns:orders", "AccessDenied")] == 1


def test_a_missing_function_is_a_counted_drop_and_publish_succeeds(account, push):
    arn = topic(account)
    sns = account.cloud.client("sns")
    missing = "arn:aws:lambda:us-east-1:123456789012:function:gone"
    sns.subscribe(TopicArn=arn, Protocol="lambda", Endpoint=missing)
    assert sns.publish(TopicArn=arn, Message="m")["MessageId"]
    assert account.wait(timeout=30)
    assert push.dropped[(missing, "sns:orders", "FunctionNotFound")] == 1


def test_add_trigger_subscribes_and_adds_the_permission(account, push, lambda_client):
    account.register("echo", ECHO)
    arn = topic(account)
    trigger = push.add_trigger("echo", "sns:orders", filter_policy={"colour": ["red"]})
    assert trigger.source == "sns:orders"
    sns = account.cloud.client("sns")
    attributes = sns.get_subscription_attributes(SubscriptionArn=trigger.source_id)["Attributes"]
    assert attributes["Protocol"] == "lambda"
    assert attributes["Endpoint"] == account.get_function("echo").arn
    assert json.loads(attributes["FilterPolicy"]) == {"colour": ["red"]}
    (statement,) = json.loads(lambda_client.get_policy(FunctionName="echo")["Policy"])["Statement"]
    assert statement["Principal"] == {"Service": "sns.amazonaws.com"}
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == arn
    for colour in ("red", "blue"):
        sns.publish(
            TopicArn=arn, Message=colour, MessageAttributes={"colour": {"DataType": "String", "StringValue": colour}}
        )
    assert messages(account, "echo") == ["red"]
    assert [r.trigger for r in account.invocation_records("echo")] == ["sns:orders"]


def test_add_trigger_takes_a_topic_arn_and_refuses_a_missing_topic_or_bad_policy(account, push):
    from lambda_magic.common.errors import InvalidParameterValueException

    account.register("echo", ECHO)
    arn = topic(account)
    assert push.add_trigger("echo", f"sns:{arn}").source == "sns:orders"
    with pytest.raises(InvalidParameterValueException, match="no topic"):
        push.add_trigger("echo", "sns:nothing")
    with pytest.raises(InvalidParameterValueException, match="Unrecognized match type wrong"):
        push.add_trigger("echo", "sns:orders", filter_policy={"a": [{"wrong": 1}]})
    with pytest.raises(InvalidParameterValueException, match="filter_policy_scope"):
        push.add_trigger("echo", "sns:orders", filter_policy_scope="Body")


PUBLISHER = """
import boto3

def lambda_handler(event, context):
    boto3.client("sns").publish(TopicArn=event["topic"], Message="from a function")
    return context.aws_request_id
"""


def test_caused_by_is_the_invocation_whose_handler_published(account, push):
    account.register("publisher", PUBLISHER)
    account.register("echo", ECHO)
    arn = topic(account)
    push.add_trigger("echo", "sns:orders")
    publisher = account.invoke("publisher", {"topic": arn})
    assert publisher.function_error is None, publisher.payload
    assert account.wait(timeout=30)
    (delivered,) = account.invocation_records("echo")
    assert delivered.caller_request_id == publisher.request_id
    assert delivered.payload["Records"][0]["Sns"]["Message"] == "from a function"


def test_s3_to_sns_to_function_with_the_test_event(account, push):
    account.register("echo", ECHO)
    arn = topic(account, "uploads")
    push.add_trigger("echo", "sns:uploads")
    s3 = account.cloud.client("s3")
    s3.create_bucket(Bucket="photos")
    s3.put_bucket_notification_configuration(
        Bucket="photos",
        NotificationConfiguration={"TopicConfigurations": [{"TopicArn": arn, "Events": ["s3:ObjectCreated:*"]}]},
    )
    assert account.wait(timeout=30)
    s3.put_object(Bucket="photos", Key="cat.jpg", Body=b"meow")
    test, created = events(account, "echo")
    for event in (test, created):
        assert event["Records"][0]["Sns"]["Subject"] == "Amazon S3 Notification"
        assert event["Records"][0]["Sns"]["TopicArn"] == arn
    assert json.loads(test["Records"][0]["Sns"]["Message"])["Event"] == "s3:TestEvent"
    (s3_record,) = json.loads(created["Records"][0]["Sns"]["Message"])["Records"]
    assert s3_record["eventSource"] == "aws:s3"
    assert s3_record["eventName"] == "ObjectCreated:Put"
    assert s3_record["s3"]["object"]["key"] == "cat.jpg"
