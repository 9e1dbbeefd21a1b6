"""EventBridge rules with event patterns -> functions, through boto3 as a student writes it."""

from __future__ import annotations

import json
import re

import pytest
from botocore.exceptions import ClientError

from lambda_magic.common.errors import InvalidParameterValueException

ECHO = "def lambda_handler(event, context):\n    return event\n"
ACCOUNT = "123456789012"
ENVELOPE = {"version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"}


def received(account, name):
    """The events the function received, in order (after the account settled)."""
    assert account.wait(timeout=30)
    return [record.event for record in account.invocation_records(name)]


def rule_arn(account, rule, bus="default"):
    return f"arn:aws:events:{account.settings.region}:{ACCOUNT}:rule/{'' if bus == 'default' else bus + '/'}{rule}"


def function_arn(account, name):
    return f"arn:aws:lambda:{account.settings.region}:{ACCOUNT}:function:{name}"


class Queue:
    def __init__(self, account, name):
        self.sqs = account.cloud.client("sqs")
        self.url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        self.arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]

    def messages(self):
        got = self.sqs.receive_message(
            QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=0, MessageAttributeNames=["All"]
        )
        return got.get("Messages", [])


def wire(account, lambda_client, rule, name, *, bus="default", pattern=None, permit=True, **target):
    """What a student writes: put_rule, put_targets, lambda add_permission."""
    events = account.cloud.client("events")
    events.put_rule(Name=rule, EventBusName=bus, EventPattern=json.dumps(pattern or {"source": ["shop"]}))
    events.put_targets(
        Rule=rule, EventBusName=bus, Targets=[{"Id": "fn", "Arn": function_arn(account, name), **target}]
    )
    if permit:
        lambda_client.add_permission(
            FunctionName=name,
            StatementId=f"events-{rule}",
            Action="lambda:InvokeFunction",
            Principal="events.amazonaws.com",
            SourceArn=rule_arn(account, rule, bus),
        )
    return events


def put(events, source="shop", detail=None, bus=None, **extra):
    entry = {"Source": source, "DetailType": "Order Placed", "Detail": json.dumps(detail or {}), **extra}
    if bus:
        entry["EventBusName"] = bus
    answer = events.put_events(Entries=[entry])
    assert answer["FailedEntryCount"] == 0
    return answer["Entries"][0]["EventId"]


# --- delivery -------------------------------------------------------------------------------------------


def test_put_events_invokes_the_function_with_the_event_as_aws_sends_it(account, push):
    account.register("orders", ECHO)
    trigger = push.add_trigger("orders", "events:new-orders", event_pattern={"source": ["shop"]})
    events = account.cloud.client("events")
    answer = events.put_events(
        Entries=[
            {"Source": "shop", "DetailType": "Order Placed", "Detail": json.dumps({"id": 7}), "Resources": ["arn:x"]},
            {"Source": "other", "DetailType": "Order Placed", "Detail": "{}"},
            {"Source": "shop", "DetailType": "Order Placed", "Detail": json.dumps({"id": 8})},
        ]
    )
    assert answer["FailedEntryCount"] == 0
    got = sorted(received(account, "orders"), key=lambda event: event["detail"]["id"])  # async: any order
    assert [event["detail"] for event in got] == [{"id": 7}, {"id": 8}]
    event = got[0]
    assert set(event) == ENVELOPE
    assert event["version"] == "0" and event["id"] == answer["Entries"][0]["EventId"]
    assert got[1]["id"] == answer["Entries"][2]["EventId"] != event["id"]
    assert (event["source"], event["detail-type"]) == ("shop", "Order Placed")
    assert event["account"] == ACCOUNT and event["region"] == account.settings.region
    assert event["resources"] == ["arn:x"] and got[1]["resources"] == []
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", event["time"])
    assert [record.trigger for record in account.invocation_records("orders")] == ["events:new-orders"] * 2
    assert trigger.source_id == rule_arn(account, "new-orders")
    assert push.dropped == {}


def test_the_time_of_an_event_is_the_account_clock_or_the_time_put_events_gives(account, push):
    from datetime import datetime, timezone

    account.configure(clock_mode="manual")
    account.register("clocked", ECHO)
    push.add_trigger("clocked", "events:clocked", event_pattern={"source": ["shop"]})
    events = account.cloud.client("events")
    put(events)
    put(events, Time=datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc))
    given, stamped = sorted(received(account, "clocked"), key=lambda event: event["time"])
    assert stamped["time"] == account.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    assert given["time"] == "2024-05-06T07:08:09Z"


def test_a_rule_on_a_custom_bus_delivers_only_that_bus_events(account, lambda_client, push):
    account.register("billing", ECHO)
    events = account.cloud.client("events")
    events.create_event_bus(Name="payments")
    wire(account, lambda_client, "paid", "billing", bus="payments", pattern={"detail-type": ["Order Placed"]})
    put(events, detail={"on": "default"})
    put(events, detail={"on": "payments"}, bus="payments")
    got = received(account, "billing")
    assert [event["detail"] for event in got] == [{"on": "payments"}]
    assert account.invocation_records("billing")[0].trigger == "events:paid"


def test_a_disabled_rule_is_silent_until_enabled(account, lambda_client, push):
    account.register("quiet", ECHO)
    events = wire(account, lambda_client, "quiet", "quiet")
    queue = Queue(account, "quiet-copy")
    events.put_targets(Rule="quiet", Targets=[{"Id": "copy", "Arn": queue.arn}])
    events.disable_rule(Name="quiet")
    put(events, detail={"n": 1})
    assert received(account, "quiet") == [] and queue.messages() == []
    events.enable_rule(Name="quiet")
    put(events, detail={"n": 2})
    assert [event["detail"] for event in received(account, "quiet")] == [{"n": 2}]
    assert len(queue.messages()) == 1  # the rule's other targets still go to moto's delivery


def test_a_schedule_only_rule_gets_no_put_events_events(account, lambda_client, push):
    account.register("nightly", ECHO)
    events = account.cloud.client("events")
    events.put_rule(Name="nightly", ScheduleExpression="rate(1 day)")
    queue = Queue(account, "nightly-copy")
    events.put_targets(
        Rule="nightly", Targets=[{"Id": "fn", "Arn": function_arn(account, "nightly")}, {"Id": "q", "Arn": queue.arn}]
    )
    put(events)
    assert received(account, "nightly") == [] and queue.messages() == []
    assert push.dropped == {}


def test_the_pattern_decides_what_is_delivered(account, push):
    account.register("picky", ECHO)
    pattern = {
        "source": [{"prefix": "com.shop"}],
        "detail": {
            "total": [{"numeric": [">", 10, "<=", 100]}],
            "country": [{"anything-but": ["NZ", "AU"]}],
            "$or": [{"coupon": [{"exists": True}]}, {"vip": [True]}],
        },
    }
    push.add_trigger("picky", "events:picky", event_pattern=pattern)
    events = account.cloud.client("events")
    put(events, "com.shop.web", {"total": 50, "country": "DE", "vip": True})  # yes
    put(events, "com.shop.web", {"total": 5, "country": "DE", "vip": True})  # total too small
    put(events, "com.shop.web", {"total": 50, "country": "NZ", "vip": True})  # excluded country
    put(events, "com.shop.web", {"total": 50, "country": "DE"})  # neither coupon nor vip
    put(events, "org.other", {"total": 50, "country": "DE", "coupon": "X"})  # other source
    put(events, "com.shop.app", {"total": 100, "country": "FR", "coupon": "X"})  # yes
    assert sorted(event["source"] for event in received(account, "picky")) == ["com.shop.app", "com.shop.web"]


def test_a_handler_that_puts_events_causes_the_invocation(account, push):
    account.register(
        "producer",
        "import boto3, json\n\nevents = boto3.client('events')\n\n"
        "def lambda_handler(event, context):\n"
        "    events.put_events(Entries=[{'Source': 'producer', 'DetailType': 'Made', 'Detail': json.dumps(event)}])\n",
        timeout_s=10,
    )
    account.register("consumer", ECHO)
    push.add_trigger("consumer", "events:made", event_pattern={"source": ["producer"]})
    producer = account.invoke("producer", {"n": 1})
    assert producer.status == "success", producer
    (run,) = account.invocation_records("consumer") if account.wait(30) else ()
    assert run.event["detail"] == {"n": 1}
    assert run.caller_request_id == producer.request_id
    assert run.trigger == "events:made"


# --- Input, InputPath, InputTransformer -----------------------------------------------------------------------


def test_input_is_sent_instead_of_the_event(account, lambda_client, push):
    account.register("constant", ECHO)
    events = wire(account, lambda_client, "constant", "constant", Input=json.dumps({"job": "rebuild"}))
    put(events, detail={"ignored": True})
    assert received(account, "constant") == [{"job": "rebuild"}]


def test_input_path_sends_a_part_of_the_event(account, lambda_client, push):
    account.register("part", ECHO)
    events = wire(account, lambda_client, "part", "part", InputPath="$.detail.order")
    put(events, detail={"order": {"id": 3, "items": ["a"]}})
    assert received(account, "part") == [{"id": 3, "items": ["a"]}]


def test_an_input_transformer_fills_its_template(account, lambda_client, push):
    account.register("shaped", ECHO)
    template = (
        '{"order": <id>, "first": <first>, "customer": "<name>", "missing": <nope>, '
        '"rule": "<aws.events.rule-arn>", "name": "<aws.events.rule-name>", "original": <aws.events.event.json>, '
        '"envelope": <aws.events.event>, "at": "<aws.events.event.ingestion-time>"}'
    )
    transformer = {
        "InputPathsMap": {
            "id": "$.detail.id",
            "first": "$.detail.items[0]",
            "name": "$.detail.customer.name",
            "nope": "$.detail.absent",
        },
        "InputTemplate": template,
    }
    events = wire(account, lambda_client, "shaped", "shaped", InputTransformer=transformer)
    event_id = put(events, detail={"id": 9, "items": [{"sku": "x"}], "customer": {"name": "Ann"}})
    (got,) = received(account, "shaped")
    assert got["order"] == 9 and got["first"] == {"sku": "x"} and got["customer"] == "Ann"
    assert got["missing"] is None
    assert got["rule"] == rule_arn(account, "shaped") and got["name"] == "shaped"
    assert got["original"]["id"] == event_id and set(got["original"]) == ENVELOPE
    assert set(got["envelope"]) == ENVELOPE - {"detail"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", got["at"])


def test_a_string_template_sends_a_string(account, push):
    account.register("text", ECHO)
    push.add_trigger(
        "text",
        "events:text",
        event_pattern={"source": ["shop"]},
        input_transformer={
            "InputPathsMap": {"id": "$.detail.id", "state": "$.detail.state"},
            "InputTemplate": '"Order <id> is <state>"',
        },
    )
    put(account.cloud.client("events"), detail={"id": 4, "state": "PAID"})
    assert received(account, "text") == ["Order 4 is PAID"]


def test_queue_targets_get_the_whole_event_and_their_input_settings_too(account, push):
    events = account.cloud.client("events")
    events.put_rule(Name="to-queues", EventPattern=json.dumps({"source": ["shop"]}))
    whole, part, fixed = Queue(account, "whole"), Queue(account, "part"), Queue(account, "fixed")
    events.put_targets(
        Rule="to-queues",
        Targets=[
            {"Id": "whole", "Arn": whole.arn},
            {"Id": "part", "Arn": part.arn, "InputPath": "$.detail"},
            {"Id": "fixed", "Arn": fixed.arn, "Input": '{"constant": true}'},
        ],
    )
    event_id = put(events, detail={"n": 1})
    (message,) = whole.messages()
    body = json.loads(message["Body"])
    assert set(body) == ENVELOPE and body["account"] == ACCOUNT and body["id"] == event_id
    assert [json.loads(m["Body"]) for m in part.messages()] == [{"n": 1}]
    assert [json.loads(m["Body"]) for m in fixed.messages()] == [{"constant": True}]


# --- failures: the dead-letter queue, or a counted drop -------------------------------------------------


def test_a_rule_the_policy_does_not_allow_goes_to_the_target_dead_letter_queue(account, lambda_client, push):
    account.register("locked", ECHO)
    dlq = Queue(account, "events-dlq")
    events = wire(account, lambda_client, "locked", "locked", permit=False, DeadLetterConfig={"Arn": dlq.arn})
    lambda_client.add_permission(  # allowed, but from another rule only
        FunctionName="locked",
        StatementId="other-rule",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=rule_arn(account, "other"),
    )
    event_id = put(events, detail={"n": 1})
    assert received(account, "locked") == []
    (message,) = dlq.messages()
    assert json.loads(message["Body"])["id"] == event_id
    attributes = {name: value["StringValue"] for name, value in message["MessageAttributes"].items()}
    assert attributes["RULE_ARN"] == rule_arn(account, "locked")
    assert attributes["TARGET_ARN"] == function_arn(account, "locked")
    assert attributes["ERROR_CODE"] == "NO_PERMISSIONS"
    assert "not authorized" in attributes["ERROR_MESSAGE"] and attributes["RETRY_ATTEMPTS"] == "0"
    assert push.dropped == {}


def test_a_missing_function_goes_to_the_dead_letter_queue_or_is_a_counted_drop(account, lambda_client, push):
    dlq = Queue(account, "missing-dlq")
    events = account.cloud.client("events")
    events.put_rule(Name="ghost", EventPattern=json.dumps({"source": ["shop"]}))
    events.put_targets(
        Rule="ghost",
        Targets=[
            {
                "Id": "dlq",
                "Arn": function_arn(account, "ghost"),
                "DeadLetterConfig": {"Arn": dlq.arn},
                "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 60},
            },
            {"Id": "none", "Arn": function_arn(account, "phantom")},
        ],
    )
    put(events)
    account.wait(30)
    (message,) = dlq.messages()
    attributes = {name: value["StringValue"] for name, value in message["MessageAttributes"].items()}
    assert attributes["ERROR_CODE"] == "NO_RESOURCE" and "ResourceNotFoundException" in attributes["ERROR_MESSAGE"]
    assert attributes["TARGET_ARN"] == function_arn(account, "ghost")
    assert push.dropped == {("phantom", "events:ghost", "FunctionNotFound"): 1}


def test_without_a_dead_letter_queue_a_refused_event_is_a_counted_drop(account, lambda_client, push):
    account.register("refused", ECHO)
    events = wire(account, lambda_client, "refused", "refused", permit=False)
    put(events)
    put(events)
    assert received(account, "refused") == []
    assert push.dropped == {("refused", "events:refused", "AccessDenied"): 2}


# --- TestEventPattern and PutRule's validation -----------------------------------------------------------------


def sample(**detail):
    return json.dumps(
        {
            "id": "1",
            "account": ACCOUNT,
            "source": "com.shop",
            "time": "2024-01-01T00:00:00Z",
            "region": "us-east-1",
            "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-1"],
            "detail-type": "Order Placed",
            "detail": detail,
        }
    )


CASES = [
    ({"source": ["com.shop"]}, {}, True),
    ({"source": ["com.other"]}, {}, False),
    ({"detail": {"name": [{"suffix": ".png"}]}}, {"name": "a.png"}, True),
    ({"detail": {"name": [{"equals-ignore-case": "ANN"}]}}, {"name": "ann"}, True),
    ({"detail": {"name": [{"wildcard": "in/*.png"}]}}, {"name": "in/x/y.png"}, True),
    ({"detail": {"name": [{"wildcard": "in/*.png"}]}}, {"name": "out/y.png"}, False),
    ({"detail": {"name": [{"anything-but": {"prefix": "tmp/"}}]}}, {"name": "tmp/a"}, False),
    ({"detail": {"name": [{"anything-but": {"wildcard": "*.tmp"}}]}}, {"name": "a.txt"}, True),
    ({"detail": {"name": [{"anything-but": ["a", "b"]}]}}, {"name": "b"}, False),
    ({"detail": {"ip": [{"cidr": "10.0.0.0/24"}]}}, {"ip": "10.0.0.7"}, True),
    ({"detail": {"ip": [{"cidr": "10.0.0.0/24"}]}}, {"ip": "10.0.1.7"}, False),
    ({"detail": {"gone": [{"exists": False}]}}, {}, True),
    ({"detail": {"here": [{"exists": True}]}}, {}, False),
    ({"detail": {"n": [{"numeric": [">=", 0, "<", 1]}]}}, {"n": 0.5}, True),
    ({"detail": {"n": [{"numeric": [">=", 0, "<", 1]}]}}, {"n": "0.5"}, False),
    ({"detail": {"tags": ["red"]}}, {"tags": ["blue", "red"]}, True),
    ({"resources": [{"prefix": "arn:aws:ec2"}]}, {}, True),
    ({"$or": [{"source": ["x"]}, {"detail-type": ["Order Placed"]}]}, {}, True),
]


def test_test_event_pattern_answers_truthfully(account, push):
    events = account.cloud.client("events")
    answers = [
        events.test_event_pattern(EventPattern=json.dumps(pattern), Event=sample(**detail))["Result"]
        for pattern, detail, _ in CASES
    ]
    assert answers == [result for _, _, result in CASES]


def test_patterns_and_events_eventbridge_refuses(account, push):
    events = account.cloud.client("events")
    with pytest.raises(ClientError) as caught:
        events.test_event_pattern(EventPattern=json.dumps({"source": "com.shop"}), Event=sample())
    assert caught.value.response["Error"]["Code"] == "InvalidEventPatternException"
    assert caught.value.response["Error"]["Message"].startswith("Event pattern is not valid. Reason: ")
    with pytest.raises(ClientError) as caught:
        events.test_event_pattern(EventPattern=json.dumps({"source": ["a"]}), Event=json.dumps({"source": "a"}))
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as caught:
        events.put_rule(Name="bad", EventPattern=json.dumps({"detail": {"n": [{"numeric": [">", "x"]}]}}))
    assert caught.value.response["Error"]["Code"] == "InvalidEventPatternException"
    assert [rule["Name"] for rule in events.list_rules()["Rules"]] == []


# --- S3 -> EventBridge -> function ------------------------------------------------------------------------------


def test_s3_object_created_reaches_the_function_through_the_default_bus(account, push):
    account.register("uploads", ECHO)
    account.register("custom", ECHO)
    s3 = account.cloud.client("s3")
    s3.create_bucket(Bucket="photos")
    s3.put_bucket_notification_configuration(
        Bucket="photos", NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    pattern = {"source": ["aws.s3"], "detail-type": ["Object Created"]}
    push.add_trigger("uploads", "events:uploads", event_pattern=pattern)
    account.cloud.client("events").create_event_bus(Name="elsewhere")
    push.add_trigger("custom", "events:elsewhere-s3", event_pattern={"source": ["aws.s3"]}, event_bus_name="elsewhere")
    s3.put_object(Bucket="photos", Key="in/a b.jpg", Body=b"12345")
    s3.put_object(Bucket="photos", Key="in/c.jpg", Body=b"xy")
    s3.delete_object(Bucket="photos", Key="in/c.jpg")
    first, second = sorted(received(account, "uploads"), key=lambda event: event["detail"]["object"]["key"])
    assert set(first) == ENVELOPE
    assert (first["source"], first["detail-type"], first["account"]) == ("aws.s3", "Object Created", ACCOUNT)
    assert first["resources"] == ["arn:aws:s3:::photos"] and first["id"] != second["id"]
    detail = first["detail"]
    assert detail["bucket"] == {"name": "photos"} and detail["reason"] == "PutObject"
    assert detail["object"]["key"] == "in/a b.jpg" and detail["object"]["size"] == 5
    assert detail["object"]["etag"] == "827ccb0eea8a706c4c34a16891f84e7b"
    assert "eTag" not in detail["object"] and "version-id" not in detail["object"]
    assert detail["object"]["sequencer"] < second["detail"]["object"]["sequencer"]
    assert detail["request-id"] != second["detail"]["request-id"] and detail["requester"] == ACCOUNT
    assert received(account, "custom") == []  # S3 sends to the default bus only


def test_s3_events_of_a_versioned_bucket_and_to_queue_targets(account, push):
    account.register("versions", ECHO)
    s3 = account.cloud.client("s3")
    s3.create_bucket(Bucket="kept")
    s3.put_bucket_versioning(Bucket="kept", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_notification_configuration(Bucket="kept", NotificationConfiguration={"EventBridgeConfiguration": {}})
    push.add_trigger("versions", "events:kept", event_pattern={"source": ["aws.s3"], "detail-type": ["Object Created"]})
    plain, shaped = Queue(account, "plain"), Queue(account, "shaped")
    events = account.cloud.client("events")
    events.put_targets(
        Rule="kept",
        Targets=[
            {"Id": "plain", "Arn": plain.arn},
            {
                "Id": "shaped",
                "Arn": shaped.arn,
                "InputTransformer": {"InputPathsMap": {"key": "$.detail.object.key"}, "InputTemplate": '{"k": <key>}'},
            },
        ],
    )
    version = s3.put_object(Bucket="kept", Key="v.txt", Body=b"1")["VersionId"]
    (event,) = received(account, "versions")
    assert event["detail"]["object"]["version-id"] == version
    (message,) = plain.messages()
    assert json.loads(message["Body"])["detail"]["object"]["key"] == "v.txt"
    assert "ingestion-time" not in json.loads(message["Body"])
    (message,) = shaped.messages()
    assert json.loads(message["Body"]) == {"k": "v.txt"}


def test_s3_tag_and_delete_events_come_only_when_they_happen(account, push):
    account.register("everything", ECHO)
    s3 = account.cloud.client("s3")
    s3.create_bucket(Bucket="docs")
    s3.put_bucket_notification_configuration(Bucket="docs", NotificationConfiguration={"EventBridgeConfiguration": {}})
    push.add_trigger("everything", "events:docs", event_pattern={"source": ["aws.s3"]})
    s3.put_object(Bucket="docs", Key="a.txt", Body=b"a", Tagging="k=v")
    s3.put_object_tagging(Bucket="docs", Key="a.txt", Tagging={"TagSet": [{"Key": "k", "Value": "w"}]})
    upload = s3.create_multipart_upload(Bucket="docs", Key="big.bin")["UploadId"]
    part = s3.upload_part(Bucket="docs", Key="big.bin", UploadId=upload, PartNumber=1, Body=b"z" * 10)
    s3.complete_multipart_upload(
        Bucket="docs",
        Key="big.bin",
        UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )
    s3.copy_object(Bucket="docs", Key="b.txt", CopySource={"Bucket": "docs", "Key": "a.txt"})
    s3.delete_object(Bucket="docs", Key="a.txt")
    got = received(account, "everything")
    assert sorted((event["detail-type"], event["detail"].get("reason", "")) for event in got) == [
        ("Object Created", "CompleteMultipartUpload"),
        ("Object Created", "CopyObject"),
        ("Object Created", "PutObject"),
        ("Object Deleted", "DeleteObject"),
        ("Object Tags Added", ""),
    ]
    (deleted,) = [event for event in got if event["detail-type"] == "Object Deleted"]
    assert deleted["detail"]["deletion-type"] == "Permanently Deleted" and "size" not in deleted["detail"]["object"]


# --- lm.add_trigger ------------------------------------------------------------------------------------------


def test_add_trigger_puts_the_target_and_the_permission_as_the_console_does(account, push, lambda_client):
    account.register("wired", ECHO)
    trigger = push.add_trigger("wired", "events:wired", event_pattern={"source": ["shop"]}, input={"fixed": 1})
    events = account.cloud.client("events")
    (target,) = events.list_targets_by_rule(Rule="wired")["Targets"]
    assert target["Arn"] == function_arn(account, "wired") and json.loads(target["Input"]) == {"fixed": 1}
    policy = json.loads(lambda_client.get_policy(FunctionName="wired")["Policy"])
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == rule_arn(account, "wired")
    assert trigger.statement_id == statement["Sid"]
    # a second function on the existing rule: no pattern needed
    account.register("also", ECHO)
    push.add_trigger("also", "events:wired")
    put(events)
    assert received(account, "wired") == [{"fixed": 1}] and len(received(account, "also")) == 1


def test_add_trigger_misuse_is_one_clear_error(account, push):
    account.register("misused", ECHO)
    with pytest.raises(InvalidParameterValueException, match=r"ResourceNotFoundException.*give event_pattern="):
        push.add_trigger("misused", "events:nowhere")
    with pytest.raises(InvalidParameterValueException, match="at most one of"):
        push.add_trigger("misused", "events:r", event_pattern={"source": ["a"]}, input={}, input_path="$")
    with pytest.raises(InvalidParameterValueException, match="unknown setting"):
        push.add_trigger("misused", "events:r", pattern={"source": ["a"]})
    with pytest.raises(InvalidParameterValueException, match="InvalidEventPatternException"):
        push.add_trigger("misused", "events:r", event_pattern={"source": "a"})


# --- the pattern language and the input templates (pure) ------------------------------------------------------


def test_the_one_matcher_speaks_eventbridge_with_wildcard_and_filter_criteria_without():
    from lambda_magic.sources.filters import FilterCriteria
    from lambda_magic.sources.patterns import EventPattern, InvalidEventPattern

    pattern = EventPattern.parse({"detail": {"key": [{"wildcard": "logs/*/a\\*b.txt"}]}})
    assert pattern.matches({"detail": {"key": "logs/2024/01/a*b.txt"}})
    assert not pattern.matches({"detail": {"key": "logs/2024/axb.txt"}})
    with pytest.raises(InvalidEventPattern, match="consecutive wildcard"):
        EventPattern.parse({"k": [{"wildcard": "a**"}]})
    with pytest.raises(InvalidEventPattern, match=r'^Event pattern is not valid\. Reason: at "detail\.n"'):
        EventPattern.parse('{"detail": {"n": [{"numeric": ["<", "five"]}]}}')
    with pytest.raises(InvalidParameterValueException, match="wildcard is not in Lambda"):
        FilterCriteria.parse({"Filters": [{"Pattern": json.dumps({"body": {"k": [{"wildcard": "a*"}]}})}]})


def test_input_templates_place_values_as_eventbridge_does():
    from lambda_magic.sources.push.events_input import target_input, target_text

    event = {"id": "1", "source": "s", "detail": {"state": "RUN", "tags": {"a": "b"}, "n": 2, "list": [1, 2]}}
    names = {"rule_arn": "arn:aws:events:us-east-1:123456789012:rule/r", "rule_name": "r", "ingestion_time": "T"}

    def shaped(template, **paths):
        transformer = {"InputPathsMap": paths, "InputTemplate": template}
        return target_text({"InputTransformer": transformer}, event, **names)

    assert shaped('{"s": <s>, "n": <n>}', s="$.detail.state", n="$.detail.n") == '{"s": "RUN", "n": 2}'
    assert shaped('"state <s> tags <t>"', s="$.detail.state", t="$.detail.tags") == '"state RUN tags {a: b}"'
    assert shaped("<s> is in state <s>", s="$.detail.state") == "RUN is in state RUN"
    assert shaped('{"gone": <g>, "text": "[<g>]"}', g="$.detail.nothing") == '{"gone": null, "text": "[]"}'
    assert shaped('{"second": <x>}', x="$.detail.list[1]") == '{"second": 2}'
    assert shaped('{"r": "<aws.events.rule-name>"}') == '{"r": "r"}'
    assert target_input({"InputPath": "$.detail.n"}, event, **names) == 2
    assert target_input({"InputPath": "$.detail.absent"}, event, **names) is None
    assert target_input({}, event, **names) == event
