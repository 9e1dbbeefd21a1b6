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
    assert body["UnsubscribeUrl"] == (f"https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={sub}")
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
    sns.publish(TopicArn=arn, MessageStructure="json", Message=json.dumps({"default": "plain", "lambda": "for lambda"}))
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


def test_a_function_of_another_account_or_region_is_not_this_accounts(account, push, lambda_client):
    account.register("echo", ECHO)
    arn = topic(account)
    sns = account.cloud.client("sns")
    lambda_client.add_permission(
        FunctionName="echo",
        StatementId="sns",
        Action="lambda:InvokeFunction",
        Principal="sns.amazonaws.com",
        SourceArn=arn,
    )
    elsewhere = [
        "arn:aws:lambda:us-east-1:999999999999:function:echo",
        "arn:aws:lambda:eu-west-1:123456789012:function:echo",
    ]
    for endpoint in elsewhere:
        sns.subscribe(TopicArn=arn, Protocol="lambda", Endpoint=endpoint)
    sns.publish(TopicArn=arn, Message="m")
    assert events(account, "echo") == []
    for endpoint in elsewhere:
        assert push.dropped[(endpoint, "sns:orders", "FunctionNotFound")] == 1


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
    # boto3 at 128 MB: well within 30 s on a busy CI machine, not always within the default 3 s
    account.register("publisher", PUBLISHER, timeout_s=30)
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


# --- filter policies -------------------------------------------------------------------------------

from lambda_magic.sources.push.sns_filter import FilterPolicy, FilterPolicyError  # noqa: E402


def S(value):
    return {"Type": "String", "Value": value}


def N(value):
    return {"Type": "Number", "Value": str(value)}


def A(*values):
    return {"Type": "String.Array", "Value": json.dumps(list(values))}


OTHER = {"other": S("x")}  # a message needs some attribute for "exists": false to match

ATTRIBUTE_CASES = [
    # exact strings; String.Array element by element
    ({"sport": ["rugby", "tennis"]}, {"sport": S("rugby")}, True),
    ({"sport": ["rugby", "tennis"]}, {"sport": S("tennis")}, True),
    ({"sport": ["rugby", "tennis"]}, {"sport": A("rugby", "tennis")}, True),
    ({"sport": ["rugby", "tennis"]}, {"sport": S("baseball")}, False),
    ({"sport": ["rugby", "tennis"]}, {"sport": A("baseball")}, False),
    ({"sport": ["rugby"]}, OTHER, False),
    ({"sport": ["rugby"]}, {"sport": S("Rugby")}, False),
    # exact numbers: numeric, Number attributes only
    ({"price": [100]}, {"price": N("100")}, True),
    ({"price": [100]}, {"price": N("100.0")}, True),
    ({"price": [100]}, {"price": S("100")}, False),
    ({"price": ["100"]}, {"price": N("100")}, False),
    ({"price": [100]}, {"price": A(5, 100)}, True),
    # anything-but: values, numbers, prefix; never a missing attribute
    ({"sport": [{"anything-but": ["rugby", "tennis"]}]}, {"sport": S("baseball")}, True),
    ({"sport": [{"anything-but": ["rugby", "tennis"]}]}, {"sport": S("rugby")}, False),
    ({"sport": [{"anything-but": "rugby"}]}, {"sport": S("rugby")}, False),
    ({"sport": [{"anything-but": ["rugby"]}]}, OTHER, False),
    ({"sport": [{"anything-but": ["rugby"]}, {"exists": False}]}, OTHER, True),
    ({"sport": [{"anything-but": ["rugby", "tennis"]}]}, {"sport": A("rugby", "baseball")}, True),
    ({"price": [{"anything-but": [100, 500]}]}, {"price": N("100")}, False),
    ({"price": [{"anything-but": [100, 500]}]}, {"price": N("101")}, True),
    ({"event": [{"anything-but": {"prefix": "order-"}}]}, {"event": S("order-cancelled")}, False),
    ({"event": [{"anything-but": {"prefix": "order-"}}]}, {"event": S("data-entry")}, True),
    # prefix, suffix, equals-ignore-case
    ({"sport": [{"prefix": "bas"}]}, {"sport": S("basketball")}, True),
    ({"sport": [{"prefix": "bas"}]}, {"sport": S("rugby")}, False),
    ({"sport": [{"prefix": "bas"}]}, {"sport": A("rugby", "baseball")}, True),
    ({"sport": [{"suffix": "ball"}]}, {"sport": S("baseball")}, True),
    ({"sport": [{"suffix": "ball"}]}, {"sport": S("rugby")}, False),
    ({"sport": [{"equals-ignore-case": "TeNNis"}]}, {"sport": S("tennis")}, True),
    ({"sport": [{"equals-ignore-case": "TeNNis"}]}, {"sport": S("TENNIS")}, True),
    ({"sport": [{"equals-ignore-case": "TeNNis"}]}, {"sport": S("rugby")}, False),
    # numeric ranges
    ({"price": [{"numeric": [">", 0, "<=", 150]}]}, {"price": N("100")}, True),
    ({"price": [{"numeric": [">", 0, "<=", 150]}]}, {"price": N("150")}, True),
    ({"price": [{"numeric": [">", 0, "<=", 150]}]}, {"price": N("150.5")}, False),
    ({"price": [{"numeric": [">", 0, "<=", 150]}]}, {"price": N("0")}, False),
    ({"price": [{"numeric": [">", 0, "<=", 150]}]}, {"price": S("100")}, False),
    ({"price": [{"numeric": ["=", 301.5]}]}, {"price": N("301.50")}, True),
    ({"price": [{"numeric": ["<", 0]}]}, {"price": N("-1e3")}, True),
    # exists
    ({"store": [{"exists": True}]}, {"store": S("fans")}, True),
    ({"store": [{"exists": True}]}, OTHER, False),
    ({"store": [{"exists": False}]}, OTHER, True),
    ({"store": [{"exists": False}]}, {"store": S("fans")}, False),
    ({"store": [{"exists": False}]}, {}, False),
    ({"store": ["fans", {"exists": False}]}, OTHER, True),
    # AND across keys, $or across branches
    ({"a": ["x"], "b": ["y"]}, {"a": S("x"), "b": S("y")}, True),
    ({"a": ["x"], "b": ["y"]}, {"a": S("x")}, False),
    ({"source": ["cw"], "$or": [{"metric": ["CPU"]}, {"ns": ["EC2"]}]}, {"source": S("cw"), "ns": S("EC2")}, True),
    ({"source": ["cw"], "$or": [{"metric": ["CPU"]}, {"ns": ["EC2"]}]}, {"source": S("cw"), "ns": S("S3")}, False),
    ({"$or": [{"metric": ["CPU"]}, {"ns": ["EC2"]}]}, {"metric": S("CPU")}, True),
    # IP addresses
    ({"ip": [{"cidr": "10.0.0.0/24"}]}, {"ip": S("10.0.0.255")}, True),
    ({"ip": [{"cidr": "10.0.0.0/24"}]}, {"ip": S("10.0.1.1")}, False),
    ({"ip": [{"cidr": "2001:db8::/32"}]}, {"ip": S("2001:db8::1")}, True),
]


@pytest.mark.parametrize(("policy", "attributes", "expected"), ATTRIBUTE_CASES)
def test_attribute_policies_match_as_aws_documents(policy, attributes, expected):
    assert FilterPolicy.parse(json.dumps(policy)).matches("any message", attributes) is expected


CREATED = {"Records": {"eventName": [{"prefix": "ObjectCreated:"}]}}

BODY_CASES = [
    ({"store": {"name": ["example_corp"]}}, {"store": {"name": "example_corp"}}, True),
    ({"store": {"name": ["example_corp"]}}, {"store": {"name": "other"}}, False),
    ({"store": {"name": ["example_corp"]}}, {"store": "example_corp"}, False),
    (
        {"Records": {"eventName": [{"prefix": "ObjectCreated:"}]}},
        {"Records": [{"eventName": "ObjectCreated:Put"}]},
        True,
    ),
    (
        {"Records": {"eventName": [{"prefix": "ObjectCreated:"}]}},
        {"Records": [{"eventName": "ObjectRemoved:Delete"}]},
        False,
    ),
    ({"sport": ["rugby"]}, {"sport": ["soccer", "rugby"]}, True),
    ({"price": [210.75]}, {"price": 210.75}, True),
    ({"price": [210.75]}, {"price": "210.75"}, False),
    ({"price": [{"numeric": [">=", 100, "<", 300]}]}, {"price": 210.75}, True),
    ({"price": [{"numeric": [">=", 100, "<", 300]}]}, {"price": 300}, False),
    ({"store": [{"exists": False}]}, {"other": 1}, True),
    ({"store": [{"exists": True}]}, {"store": {"nested": 1}}, False),
    ({"a": {"b": {"c": [{"exists": True}]}}}, {"a": {"b": {"c": "deep"}}}, True),
    ({"sport": [{"anything-but": "rugby"}]}, {"other": 1}, False),
    ({"sport": [{"anything-but": "rugby"}]}, {"sport": None}, True),
    ({"sport": [{"anything-but": [1]}]}, {"sport": True}, True),
    ({"sport": [{"anything-but": [1]}]}, {"sport": 1.0}, False),
    ({"sport": [{"anything-but": {"prefix": "rug"}}]}, {"sport": 5}, True),
    ({"$or": [{"a": ["1"]}]}, {"a": "1"}, True),
    ({"sport": [{"equals-ignore-case": "RUGBY"}]}, {"sport": "rugby"}, True),
    ({"$or": [{"a": ["1"]}, {"b": {"c": ["2"]}}]}, {"b": {"c": "2"}}, True),
    ({"$or": [{"a": ["1"]}, {"b": {"c": ["2"]}}]}, {"b": {"c": "3"}}, False),
    ({"flag": [True]}, {"flag": True}, True),
    ({"flag": [True]}, {"flag": 1}, False),
    ({"gone": [None]}, {"gone": None}, True),
]


@pytest.mark.parametrize(("policy", "body", "expected"), BODY_CASES)
def test_body_policies_match_as_aws_documents(policy, body, expected):
    assert FilterPolicy.parse(json.dumps(policy), "MessageBody").matches(json.dumps(body), {}) is expected


def test_a_body_policy_never_matches_a_message_that_is_not_a_json_object():
    policy = FilterPolicy.parse({"a": [{"exists": False}]}, "MessageBody")
    assert not policy.matches("plain text", {})
    assert not policy.matches("[1, 2]", {})
    assert policy.matches("{}", {})


INVALID = [
    ({"a": "x"}, '"a" must be an object or an array'),
    ({"a": []}, "Empty arrays are not allowed"),
    ({"a": [{"wrong": 1}]}, "Unrecognized match type wrong"),
    ({"a": [{"prefix": "x", "suffix": "y"}]}, "Only one key allowed in match expression"),
    ({"a": [["x"]]}, "Match value must be String, number, true, false, or null"),
    ({"a": [{"exists": "yes"}]}, "exists match pattern must be either true or false."),
    ({"a": [{"prefix": 1}]}, "prefix match pattern must be a string"),
    ({"a": [{"anything-but": {"suffix": "x"}}]}, "Unsupported anything-but pattern: suffix"),
    ({"a": [{"numeric": [">", "1"]}]}, "Value of > must be numeric"),
    ({"a": [{"numeric": ["=", "1"]}]}, "Value of equals must be numeric"),
    ({"a": [{"numeric": [">", 5, "<", 1]}]}, "Bottom must be less than top"),
    ({"a": [{"numeric": [">", 1, ">", 5]}]}, "Bad numeric range operator: >"),
    ({"a": [{"numeric": ["<", 1, "<", 5]}]}, "Too many elements in numeric expression"),
    ({"a": [{"cidr": "10.0.0.0"}]}, "Malformed CIDR, one '/' required"),
    ({"a": [{"cidr": "bad-filter/8"}]}, "Nonstandard IP address: bad-filter"),
    ({k: ["x"] for k in "abcdef"}, "Filter policy can not have more than 5 keys"),
    ({"a": list(range(11)), "b": list(range(14))}, "Filter policy is too complex"),
]


@pytest.mark.parametrize(("policy", "reason"), INVALID)
def test_invalid_policies_are_refused_with_sns_reasons(policy, reason):
    with pytest.raises(FilterPolicyError) as refused:
        FilterPolicy.parse(json.dumps(policy))
    assert refused.value.message(subscribe=True) == f"Invalid parameter: Attributes Reason: FilterPolicy: {reason}"


def test_nested_policies_need_the_body_scope():
    with pytest.raises(FilterPolicyError) as refused:
        FilterPolicy.parse({"a": {"b": ["c"]}})
    assert refused.value.message(subscribe=False) == (
        "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy"
    )
    FilterPolicy.parse({"a": {"b": ["c"]}}, "MessageBody")


def test_filter_policy_on_attributes_end_to_end(account, push, lambda_client):
    account.register("echo", ECHO)
    arn = topic(account)
    policy = {
        "sport": [{"equals-ignore-case": "RUGBY"}, {"prefix": "foot"}],
        "price": [{"numeric": [">", 10, "<=", 100]}],
        "store": [{"exists": False}],
    }
    subscribe(account, lambda_client, "echo", arn, FilterPolicy=policy)
    sns = account.cloud.client("sns")
    sent = {
        "rugby-50": {"sport": "rugby", "price": "50"},
        "football-100": {"sport": "football", "price": "100"},
        "rugby-500": {"sport": "rugby", "price": "500"},
        "tennis-50": {"sport": "tennis", "price": "50"},
        "rugby-50-store": {"sport": "rugby", "price": "50", "store": "x"},
        "no-attributes": {},
    }
    for message, attributes in sent.items():
        sns.publish(
            TopicArn=arn,
            Message=message,
            MessageAttributes={
                name: {"DataType": "Number" if name == "price" else "String", "StringValue": value}
                for name, value in attributes.items()
            },
        )
    assert messages(account, "echo") == ["football-100", "rugby-50"]


def test_filter_policy_on_the_body_end_to_end(account, push, lambda_client):
    account.register("echo", ECHO)
    arn = topic(account)
    policy = {"order": {"status": [{"anything-but": ["cancelled"]}], "total": [{"numeric": [">=", 100]}]}}
    subscribe(account, lambda_client, "echo", arn, FilterPolicyScope="MessageBody", FilterPolicy=policy)
    sns = account.cloud.client("sns")
    bodies = [
        {"id": 1, "order": {"status": "paid", "total": 150}},
        {"id": 2, "order": {"status": "cancelled", "total": 150}},
        {"id": 3, "order": {"status": "paid", "total": 50}},
        {"id": 4, "order": {"total": 500}},
    ]
    for body in bodies:
        sns.publish(TopicArn=arn, Message=json.dumps(body))
    sns.publish(TopicArn=arn, Message="not json")
    assert [json.loads(m)["id"] for m in messages(account, "echo")] == [1]


def test_sns_refuses_bad_filter_policies_with_its_messages_and_keeps_no_subscription(account, push):
    sns = account.cloud.client("sns")
    arn = topic(account)
    endpoint = "arn:aws:lambda:us-east-1:123456789012:function:echo"
    with pytest.raises(sns.exceptions.InvalidParameterException) as refused:
        sns.subscribe(
            TopicArn=arn,
            Protocol="lambda",
            Endpoint=endpoint,
            Attributes={"FilterPolicy": json.dumps({"a": [{"anything-but": {"suffix": "x"}}]})},
        )
    assert refused.value.response["Error"]["Message"] == (
        "Invalid parameter: Attributes Reason: FilterPolicy: Unsupported anything-but pattern: suffix"
    )
    assert sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"] == []
    with pytest.raises(sns.exceptions.InvalidParameterException) as refused:
        sns.subscribe(TopicArn=arn, Protocol="lambda", Endpoint=endpoint, Attributes={"FilterPolicyScope": "Body"})
    assert refused.value.response["Error"]["Message"] == (
        "Invalid parameter: FilterPolicyScope: Invalid value [Body]. Please use either MessageBody or MessageAttributes"
    )
    sub = sns.subscribe(TopicArn=arn, Protocol="lambda", Endpoint=endpoint, ReturnSubscriptionArn=True)
    with pytest.raises(sns.exceptions.InvalidParameterException) as refused:
        sns.set_subscription_attributes(
            SubscriptionArn=sub["SubscriptionArn"],
            AttributeName="FilterPolicy",
            AttributeValue=json.dumps({"ip": [{"cidr": "10.0.0.0"}]}),
        )
    assert refused.value.response["Error"]["Message"] == (
        "Invalid parameter: FilterPolicy: Malformed CIDR, one '/' required"
    )
    sns.set_subscription_attributes(  # cidr is an SNS operator (moto refuses it)
        SubscriptionArn=sub["SubscriptionArn"],
        AttributeName="FilterPolicy",
        AttributeValue=json.dumps({"ip": [{"cidr": "10.0.0.0/8"}]}),
    )


def test_changing_the_scope_applies_to_the_policy_already_set(account, push, lambda_client):
    account.register("echo", ECHO)
    arn = topic(account)
    sub = subscribe(account, lambda_client, "echo", arn, FilterPolicy={"kind": ["a"]})
    sns = account.cloud.client("sns")
    sns.set_subscription_attributes(
        SubscriptionArn=sub, AttributeName="FilterPolicyScope", AttributeValue="MessageBody"
    )
    sns.publish(TopicArn=arn, Message=json.dumps({"kind": "a"}))
    sns.publish(TopicArn=arn, Message="b", MessageAttributes={"kind": {"DataType": "String", "StringValue": "a"}})
    assert messages(account, "echo") == ['{"kind": "a"}']
    sns.set_subscription_attributes(
        SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue=json.dumps({"k": {"nested": ["x"]}})
    )
    with pytest.raises(sns.exceptions.InvalidParameterException) as refused:
        sns.set_subscription_attributes(
            SubscriptionArn=sub, AttributeName="FilterPolicyScope", AttributeValue="MessageAttributes"
        )
    assert refused.value.response["Error"]["Message"] == (
        "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy"
    )


def test_sqs_subscriptions_filter_with_the_same_semantics(account, push):
    sns = account.cloud.client("sns")
    sqs = account.cloud.client("sqs")
    arn = topic(account)
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(
        TopicArn=arn,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"FilterPolicy": json.dumps({"sport": [{"equals-ignore-case": "RUGBY"}]})},
    )
    for sport in ("rugby", "tennis"):
        sns.publish(
            TopicArn=arn, Message=sport, MessageAttributes={"sport": {"DataType": "String", "StringValue": sport}}
        )
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    assert [json.loads(m["Body"])["Message"] for m in got] == ["rugby"]


@pytest.fixture
def lm():
    """The module-level API on its default account, emptied before and after (as the magics' tests do)."""
    import lambda_magic

    lambda_magic.reset()
    yield lambda_magic
    lambda_magic.reset()


def test_lm_add_trigger_end_to_end(lm):
    lm.register("notify", ECHO)
    lm.client("sns").create_topic(Name="alerts")
    lm.add_trigger("notify", "sns:alerts", filter_policy={"level": ["error"]})
    for level in ("error", "info"):
        lm.client("sns").publish(
            TopicArn="arn:aws:sns:us-east-1:123456789012:alerts",
            Message=level,
            MessageAttributes={"level": {"DataType": "String", "StringValue": level}},
        )
    assert lm.wait(timeout=30)
    (record,) = lm.account().invocation_records("notify")
    assert record.trigger == "sns:alerts"
    assert record.payload["Records"][0]["Sns"]["Message"] == "error"


FAILING = """
def lambda_handler(event, context):
    raise RuntimeError("cannot handle " + event["Records"][0]["Sns"]["Message"])
"""


def test_a_failing_function_gets_lambdas_async_retries_then_its_on_failure_destination(account, push, failure_queue):
    account.register("fails", FAILING)
    account.configure_async("fails", max_retry_attempts=1, on_failure=failure_queue.arn)
    topic(account)
    push.add_trigger("fails", "sns:orders")
    account.cloud.client("sns").publish(TopicArn=topic(account), Message="order 7")
    assert account.wait(timeout=60)
    attempts = account.invocation_records("fails")
    assert [r.status for r in attempts] == ["error", "error"]
    assert {r.trigger for r in attempts} == {"sns:orders"}
    (record,) = failure_queue.messages()
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestPayload"]["Records"][0]["Sns"]["Message"] == "order 7"


def test_subscribing_again_returns_the_subscription_unless_its_attributes_differ(account, push):
    from lambda_magic.common.errors import InvalidParameterValueException

    account.register("echo", ECHO)
    sns = account.cloud.client("sns")
    arn = topic(account)
    endpoint = account.get_function("echo").arn
    policy = {"FilterPolicy": json.dumps({"a": ["1"]})}
    first = sns.subscribe(TopicArn=arn, Protocol="lambda", Endpoint=endpoint, Attributes=policy)
    again = sns.subscribe(TopicArn=arn, Protocol="lambda", Endpoint=endpoint, Attributes=policy)
    assert again["SubscriptionArn"] == first["SubscriptionArn"]
    with pytest.raises(sns.exceptions.InvalidParameterException) as refused:
        sns.subscribe(
            TopicArn=arn, Protocol="lambda", Endpoint=endpoint, Attributes={"FilterPolicy": json.dumps({"a": ["2"]})}
        )
    assert refused.value.response["Error"]["Message"] == (
        "Invalid parameter: Attributes Reason: Subscription already exists with different attributes"
    )
    with pytest.raises(InvalidParameterValueException, match="already exists with different attributes"):
        push.add_trigger("echo", "sns:orders", filter_policy={"a": ["3"]})
    assert len(sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]) == 1


def test_lambda_subscriptions_refuse_raw_delivery_and_fifo_topics(account, push):
    sns = account.cloud.client("sns")
    arn = topic(account)
    endpoint = "arn:aws:lambda:us-east-1:123456789012:function:echo"
    with pytest.raises(sns.exceptions.InvalidParameterException) as refused:
        sns.subscribe(TopicArn=arn, Protocol="lambda", Endpoint=endpoint, Attributes={"RawMessageDelivery": "true"})
    assert refused.value.response["Error"]["Message"] == (
        "Invalid parameter: Delivery protocol [lambda] does not support raw message delivery."
    )
    assert sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"] == []
    fifo = sns.create_topic(Name="orders.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    with pytest.raises(sns.exceptions.InvalidParameterException) as refused:
        sns.subscribe(TopicArn=fifo, Protocol="lambda", Endpoint=endpoint)
    assert refused.value.response["Error"]["Message"] == "Invalid parameter: Invalid protocol type: lambda"


def test_an_alias_endpoint_invokes_the_alias_with_the_aliass_permission(account, push, lambda_client):
    account.register("echo", ECHO)
    version = lambda_client.publish_version(FunctionName="echo")["Version"]
    lambda_client.create_alias(FunctionName="echo", Name="live", FunctionVersion=version)
    arn = topic(account)
    sns = account.cloud.client("sns")
    alias_arn = account.get_function("echo").arn + ":live"
    sns.subscribe(TopicArn=arn, Protocol="lambda", Endpoint=alias_arn)
    sns.publish(TopicArn=arn, Message="before the permission")
    assert events(account, "echo") == []
    lambda_client.add_permission(
        FunctionName="echo",
        Qualifier="live",
        StatementId="sns",
        Action="lambda:InvokeFunction",
        Principal="sns.amazonaws.com",
        SourceArn=arn,
    )
    sns.publish(TopicArn=arn, Message="after the permission")
    assert messages(account, "echo") == ["after the permission"]
    (record,) = account.invocation_records("echo")
    assert record.version == version
