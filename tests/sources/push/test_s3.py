"""S3 -> Lambda against the real embedded cloud, configured with boto3 as a student writes it.

The expected behaviour is AWS's (S3 UG "Event notification content structure", "Configuring
event notifications", "Granting permissions to invoke a Lambda function"; event-catalog C.1):
the bucket's LambdaFunctionConfigurations invoke asynchronously with the 2.1 record, a
configuration whose function has no permission for ``s3.amazonaws.com`` is refused, and
overlapping configurations are refused.
"""

from __future__ import annotations

import re

import pytest
from botocore.exceptions import ClientError

from lambda_magic.common.errors import InvalidParameterValueException

ECHO = """
def lambda_handler(event, context):
    return event
"""

#: Copies every uploaded object into the "thumbs" bucket (the lecture's thumbnail writer).
THUMBNAIL = """
import boto3
from urllib.parse import unquote_plus

def lambda_handler(event, context):
    s3 = boto3.client("s3")
    record = event["Records"][0]["s3"]
    key = unquote_plus(record["object"]["key"])
    s3.put_object(Bucket="thumbs", Key="thumb-" + key, Body=b"small")
    return event
"""

RECORD_KEYS = [
    "eventVersion",
    "eventSource",
    "awsRegion",
    "eventTime",
    "eventName",
    "userIdentity",
    "requestParameters",
    "responseElements",
    "s3",
]


@pytest.fixture
def s3(account, push):
    client = account.cloud.client("s3")
    client.create_bucket(Bucket="photos")
    return client


def grant(lambda_client, function: str, bucket: str = "photos", sid: str = "s3") -> None:
    lambda_client.add_permission(
        FunctionName=function,
        StatementId=sid,
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn=f"arn:aws:s3:::{bucket}",
        SourceAccount="123456789012",
    )


def lambda_config(function_arn: str, events=("s3:ObjectCreated:*",), prefix=None, suffix=None, id=None) -> dict:
    config = {"LambdaFunctionArn": function_arn, "Events": list(events)}
    if id:
        config["Id"] = id
    rules = [{"Name": n, "Value": v} for n, v in (("prefix", prefix), ("suffix", suffix)) if v]
    if rules:
        config["Filter"] = {"Key": {"FilterRules": rules}}
    return config


def configure(s3, *configs, bucket: str = "photos") -> None:
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"LambdaFunctionConfigurations": list(configs)}
    )


def records(account, name: str = "echo") -> list[dict]:
    assert account.wait(timeout=30)
    return [r for run in account.invocation_records(name) for r in run.payload["Records"]]


@pytest.fixture
def echo(account, lambda_client):
    function = account.register("echo", ECHO)
    grant(lambda_client, "echo")
    return function


def test_put_object_invokes_with_the_real_record(account, s3, echo):
    configure(s3, lambda_config(echo.arn, id="uploads"))
    s3.put_object(Bucket="photos", Key="in/red flower+1.jpg", Body=b"12345")
    (record,) = records(account)
    assert list(record) == RECORD_KEYS
    assert record["eventVersion"] == "2.1"
    assert record["eventSource"] == "aws:s3"
    assert record["awsRegion"] == account.settings.region
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", record["eventTime"])
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["userIdentity"]["principalId"].startswith("AWS:")
    assert record["requestParameters"] == {"sourceIPAddress": "127.0.0.1"}
    assert set(record["responseElements"]) == {"x-amz-request-id", "x-amz-id-2"}
    body = record["s3"]
    assert body["s3SchemaVersion"] == "1.0"
    assert body["configurationId"] == "uploads"
    assert body["bucket"]["name"] == "photos"
    assert body["bucket"]["arn"] == "arn:aws:s3:::photos"
    assert body["bucket"]["ownerIdentity"]["principalId"]
    obj = body["object"]
    assert obj["key"] == "in/red+flower%2B1.jpg"  # form-encoded: a space is "+", a "+" is %2B
    assert obj["size"] == 5
    assert obj["eTag"] == "827ccb0eea8a706c4c34a16891f84e7b"
    assert "versionId" not in obj
    assert re.fullmatch(r"[0-9A-F]+", obj["sequencer"])
    (run,) = account.invocation_records("echo")
    assert run.trigger == "s3:photos"
    assert run.invocation_type == "Event"


def test_copy_and_multipart_upload_send_one_event_each(account, s3, echo):
    configure(s3, lambda_config(echo.arn))
    s3.put_object(Bucket="photos", Key="a.txt", Body=b"abc")
    s3.copy_object(Bucket="photos", Key="b.txt", CopySource={"Bucket": "photos", "Key": "a.txt"})
    upload = s3.create_multipart_upload(Bucket="photos", Key="big.bin")["UploadId"]
    part = s3.upload_part(Bucket="photos", Key="big.bin", UploadId=upload, PartNumber=1, Body=b"x" * 1024)
    s3.complete_multipart_upload(
        Bucket="photos",
        Key="big.bin",
        UploadId=upload,
        MultipartUpload={"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]},
    )
    got = sorted((r["eventName"], r["s3"]["object"]["key"]) for r in records(account))
    assert got == [
        ("ObjectCreated:CompleteMultipartUpload", "big.bin"),
        ("ObjectCreated:Copy", "b.txt"),
        ("ObjectCreated:Put", "a.txt"),
    ]
    by_key = {r["s3"]["object"]["key"]: r["s3"]["object"] for r in records(account)}
    assert by_key["b.txt"]["size"] == 3
    assert by_key["big.bin"]["size"] == 1024
    assert by_key["big.bin"]["eTag"].endswith("-1")


def test_deletes_carry_neither_size_nor_etag(account, s3, echo):
    configure(s3, lambda_config(echo.arn, events=["s3:ObjectRemoved:*"]))
    for key in ("a", "b", "c"):
        s3.put_object(Bucket="photos", Key=key, Body=b"1")
    s3.delete_object(Bucket="photos", Key="a")
    s3.delete_objects(Bucket="photos", Delete={"Objects": [{"Key": "b"}, {"Key": "c"}]})
    got = records(account)
    assert sorted((r["eventName"], r["s3"]["object"]["key"]) for r in got) == [
        ("ObjectRemoved:Delete", "a"),
        ("ObjectRemoved:Delete", "b"),
        ("ObjectRemoved:Delete", "c"),
    ]
    for r in got:
        assert set(r["s3"]["object"]) == {"key", "sequencer"}


def test_versioned_bucket_versions_and_delete_markers(account, s3, echo):
    s3.put_bucket_versioning(Bucket="photos", VersioningConfiguration={"Status": "Enabled"})
    configure(s3, lambda_config(echo.arn, events=["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]))
    first = s3.put_object(Bucket="photos", Key="doc", Body=b"v1")["VersionId"]
    second = s3.put_object(Bucket="photos", Key="doc", Body=b"v2")["VersionId"]
    marker = s3.delete_object(Bucket="photos", Key="doc")
    assert marker["DeleteMarker"] is True
    s3.delete_object(Bucket="photos", Key="doc", VersionId=first)  # a permanent delete of one version
    got = sorted(records(account), key=lambda r: r["s3"]["object"]["sequencer"])  # S3 orders a key's events by it
    assert [(r["eventName"], r["s3"]["object"].get("versionId")) for r in got] == [
        ("ObjectCreated:Put", first),
        ("ObjectCreated:Put", second),
        ("ObjectRemoved:DeleteMarkerCreated", marker["VersionId"]),
        ("ObjectRemoved:Delete", first),
    ]
    assert set(got[2]["s3"]["object"]) == {"key", "versionId", "sequencer"}
    assert len({r["s3"]["object"]["sequencer"] for r in got}) == 4


def test_event_types_and_wildcards_choose_what_invokes(account, s3, echo):
    configure(s3, lambda_config(echo.arn, events=["s3:ObjectCreated:Copy", "s3:ObjectRemoved:Delete"]))
    s3.put_object(Bucket="photos", Key="a", Body=b"1")
    s3.copy_object(Bucket="photos", Key="b", CopySource={"Bucket": "photos", "Key": "a"})
    s3.delete_object(Bucket="photos", Key="a")
    assert sorted(r["eventName"] for r in records(account)) == ["ObjectCreated:Copy", "ObjectRemoved:Delete"]


def test_prefix_and_suffix_filters(account, s3, echo):
    configure(s3, lambda_config(echo.arn, prefix="in/", suffix=".jpg"))
    for key in ("in/a.jpg", "in/a.png", "out/a.jpg", "a.jpg", "in/deep/b.jpg"):
        s3.put_object(Bucket="photos", Key=key, Body=b"1")
    assert sorted(r["s3"]["object"]["key"] for r in records(account)) == ["in/a.jpg", "in/deep/b.jpg"]


def test_tagging_events_come_from_put_object_tagging_only(account, s3, echo):
    configure(s3, lambda_config(echo.arn, events=["s3:ObjectTagging:*"]))
    s3.put_object(Bucket="photos", Key="a", Body=b"1", Tagging="k=v")
    assert records(account) == []
    s3.put_object_tagging(Bucket="photos", Key="a", Tagging={"TagSet": [{"Key": "k", "Value": "w"}]})
    assert [r["eventName"] for r in records(account)] == ["ObjectTagging:Put"]


def test_overlapping_configurations_are_refused(account, s3, echo):
    sqs = account.cloud.client("sqs")
    url = sqs.create_queue(QueueName="uploads")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    overlapping = [
        (lambda_config(echo.arn), lambda_config(echo.arn, events=["s3:ObjectCreated:Put"], prefix="in/")),
        (lambda_config(echo.arn, prefix="in/"), lambda_config(echo.arn, prefix="in/raw/")),
        (lambda_config(echo.arn, suffix=".jpg"), lambda_config(echo.arn, suffix="a.jpg", prefix="x")),
    ]
    for first, second in overlapping:
        with pytest.raises(ClientError) as refused:
            configure(s3, first, second)
        assert refused.value.response["Error"]["Code"] == "InvalidArgument"
        assert refused.value.response["Error"]["Message"] == (
            "Configurations overlap. Configurations on the same bucket cannot share a common event type."
        )
    with pytest.raises(ClientError, match="Configurations overlap"):  # across destination types too
        s3.put_bucket_notification_configuration(
            Bucket="photos",
            NotificationConfiguration={
                "LambdaFunctionConfigurations": [lambda_config(echo.arn)],
                "QueueConfigurations": [{"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:Put"]}],
            },
        )
    # disjoint prefixes, disjoint suffixes or disjoint event types are fine
    configure(s3, lambda_config(echo.arn, prefix="in/"), lambda_config(echo.arn, prefix="out/"))
    configure(s3, lambda_config(echo.arn, suffix=".jpg"), lambda_config(echo.arn, suffix=".png"))
    configure(s3, lambda_config(echo.arn), lambda_config(echo.arn, events=["s3:ObjectRemoved:*"]))


def test_a_function_without_the_permission_is_refused_as_s3_refuses_it(account, s3, lambda_client):
    function = account.register("bare", ECHO)
    missing = function.arn.replace(":bare", ":nowhere")
    for arn in (function.arn, missing):
        with pytest.raises(ClientError) as refused:
            configure(s3, lambda_config(arn))
        error = refused.value.response["Error"]
        assert (error["Code"], error["Message"]) == (
            "InvalidArgument",
            "Unable to validate the following destination configurations",
        )
        assert (error["ArgumentName1"], error["ArgumentValue1"]) == (arn, f"Not authorized to invoke function [{arn}]")
    grant(lambda_client, "bare", bucket="another-bucket")  # a permission for another bucket does not do
    with pytest.raises(ClientError, match="Unable to validate"):
        configure(s3, lambda_config(function.arn))
    assert s3.get_bucket_notification_configuration(Bucket="photos").get("LambdaFunctionConfigurations", []) == []
    grant(lambda_client, "bare", sid="photos")
    configure(s3, lambda_config(function.arn))


def test_the_test_event_never_reaches_a_function(account, s3, echo):
    sqs = account.cloud.client("sqs")
    url = sqs.create_queue(QueueName="audit")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.put_bucket_notification_configuration(
        Bucket="photos",
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [lambda_config(echo.arn, events=["s3:ObjectCreated:*"])],
            "QueueConfigurations": [{"QueueArn": queue_arn, "Events": ["s3:ObjectRemoved:*"]}],
        },
    )
    message = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"][0]
    assert '"s3:TestEvent"' in message["Body"]  # the queue gets it, as on AWS
    assert records(account) == []


def test_get_returns_exactly_what_was_put(account, s3, echo):
    config = {
        "LambdaFunctionConfigurations": [
            lambda_config(echo.arn, id="jpgs", suffix=".jpg"),
            lambda_config(echo.arn, id="gone", events=["s3:ObjectRemoved:Delete"]),
        ],
        "EventBridgeConfiguration": {},
    }
    s3.put_bucket_notification_configuration(Bucket="photos", NotificationConfiguration=config)
    got = s3.get_bucket_notification_configuration(Bucket="photos")
    got.pop("ResponseMetadata")
    assert got == config
    s3.put_bucket_notification_configuration(Bucket="photos", NotificationConfiguration={})
    assert list(s3.get_bucket_notification_configuration(Bucket="photos")) == ["ResponseMetadata"]


def test_add_trigger_keeps_the_rest_of_the_configuration(account, s3, push):
    account.register("echo", ECHO)
    s3.put_bucket_notification_configuration(
        Bucket="photos", NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    push.add_trigger("echo", "s3:photos", id="mine")
    got = s3.get_bucket_notification_configuration(Bucket="photos")
    assert got["EventBridgeConfiguration"] == {}
    assert [c["Id"] for c in got["LambdaFunctionConfigurations"]] == ["mine"]


def test_add_trigger_grants_and_configures_like_the_console(account, s3, push, lambda_client):
    account.register("echo", ECHO)
    trigger = push.add_trigger("echo", "s3:photos", prefix="in/")
    assert trigger.source == "s3:photos"
    assert trigger.settings["events"] == ["s3:ObjectCreated:*"]
    (statement,) = __import__("json").loads(lambda_client.get_policy(FunctionName="echo")["Policy"])["Statement"]
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == "arn:aws:s3:::photos"
    (config,) = s3.get_bucket_notification_configuration(Bucket="photos")["LambdaFunctionConfigurations"]
    assert config["Id"] == trigger.source_id
    assert config["Filter"] == {"Key": {"FilterRules": [{"Name": "prefix", "Value": "in/"}]}}
    s3.put_object(Bucket="photos", Key="in/a", Body=b"1")
    s3.put_object(Bucket="photos", Key="out/a", Body=b"1")
    assert [r["s3"]["object"]["key"] for r in records(account)] == ["in/a"]


def test_the_wiring_is_the_configuration(account, s3, push):
    """A student's read-modify-write keeps the trigger; a configuration without it ends it."""
    account.register("echo", ECHO)
    push.add_trigger("echo", "s3:photos", suffix=".jpg")
    config = s3.get_bucket_notification_configuration(Bucket="photos")
    config.pop("ResponseMetadata")
    config["LambdaFunctionConfigurations"].append(
        lambda_config(account.get_function("echo").arn, events=["s3:ObjectRemoved:*"], id="removals")
    )
    s3.put_bucket_notification_configuration(Bucket="photos", NotificationConfiguration=config)
    s3.put_object(Bucket="photos", Key="a.jpg", Body=b"1")
    s3.delete_object(Bucket="photos", Key="a.jpg")
    assert sorted(r["eventName"] for r in records(account)) == ["ObjectCreated:Put", "ObjectRemoved:Delete"]
    s3.put_bucket_notification_configuration(Bucket="photos", NotificationConfiguration={})
    s3.put_object(Bucket="photos", Key="b.jpg", Body=b"1")
    assert len(records(account)) == 2


def test_add_trigger_misuse_is_one_clear_line(account, s3, push):
    account.register("echo", ECHO)
    with pytest.raises(InvalidParameterValueException, match="unknown setting"):
        push.add_trigger("echo", "s3:photos", filter_prefix="in/")
    with pytest.raises(InvalidParameterValueException, match="does not exist"):
        push.add_trigger("echo", "s3:no-such-bucket")
    push.add_trigger("echo", "s3:photos")
    with pytest.raises(InvalidParameterValueException, match="Configurations overlap"):
        push.add_trigger("echo", "s3:photos", prefix="in/")


def test_a_revoked_permission_makes_a_counted_drop(account, s3, echo, push, lambda_client):
    configure(s3, lambda_config(echo.arn))
    lambda_client.remove_permission(FunctionName="echo", StatementId="s3")
    s3.put_object(Bucket="photos", Key="a", Body=b"1")
    assert records(account) == []
    assert push.dropped[("echo", "s3:photos", "AccessDenied")] == 1


def test_a_handler_writing_to_another_bucket_triggers_the_next_function(account, s3, push):
    """The thumbnail writer: photos -> thumbnail -> thumbs -> echo, each caused by the one before."""
    s3.create_bucket(Bucket="thumbs")
    # boto3 at 128 MB: a timed-out first attempt on a busy machine would be retried (two records)
    account.register("thumbnail", THUMBNAIL, timeout_s=30)
    account.register("echo", ECHO)
    push.add_trigger("thumbnail", "s3:photos")
    push.add_trigger("echo", "s3:thumbs")
    s3.put_object(Bucket="photos", Key="cat pic.jpg", Body=b"big")
    assert account.wait(timeout=30)
    (resize,) = account.invocation_records("thumbnail")
    assert resize.status == "success", resize.error
    assert resize.trigger == "s3:photos" and resize.caller_request_id is None
    (echoed,) = account.invocation_records("echo")
    assert echoed.trigger == "s3:thumbs"
    assert echoed.caller_request_id == resize.request_id
    assert echoed.payload["Records"][0]["s3"]["object"]["key"] == "thumb-cat+pic.jpg"
    assert s3.get_object(Bucket="thumbs", Key="thumb-cat pic.jpg")["Body"].read() == b"small"


def test_queues_get_the_same_complete_record(account, s3):
    """moto's own S3 -> SQS delivery, corrected to AWS's record (one event per multipart upload)."""
    sqs = account.cloud.client("sqs")
    url = sqs.create_queue(QueueName="events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.put_bucket_versioning(Bucket="photos", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_notification_configuration(
        Bucket="photos",
        NotificationConfiguration={
            "QueueConfigurations": [
                {"Id": "q", "QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]}
            ]
        },
    )
    sqs.purge_queue(QueueUrl=url)  # the s3:TestEvent
    upload = s3.create_multipart_upload(Bucket="photos", Key="in/big file")["UploadId"]
    part = s3.upload_part(Bucket="photos", Key="in/big file", UploadId=upload, PartNumber=1, Body=b"x" * 10)
    s3.complete_multipart_upload(
        Bucket="photos",
        Key="in/big file",
        UploadId=upload,
        MultipartUpload={"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]},
    )
    marker = s3.delete_object(Bucket="photos", Key="in/big file")["VersionId"]
    got = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not messages:
            break
        got += [__import__("json").loads(m["Body"])["Records"][0] for m in messages]
    got.sort(key=lambda r: r["s3"]["object"]["sequencer"])
    assert [r["eventName"] for r in got] == [
        "ObjectCreated:CompleteMultipartUpload",
        "ObjectRemoved:DeleteMarkerCreated",
    ]
    assert list(got[0]) == RECORD_KEYS
    assert got[0]["s3"]["object"]["key"] == "in/big+file"
    assert got[0]["s3"]["bucket"]["ownerIdentity"]["principalId"]
    assert got[1]["s3"]["object"]["versionId"] == marker
    assert "size" not in got[1]["s3"]["object"] and "eTag" not in got[1]["s3"]["object"]


def test_delete_objects_on_a_versioned_bucket_makes_one_marker_each(account, s3, echo):
    s3.put_bucket_versioning(Bucket="photos", VersioningConfiguration={"Status": "Enabled"})
    configure(s3, lambda_config(echo.arn, events=["s3:ObjectRemoved:DeleteMarkerCreated"]))
    for key in ("a", "b"):
        s3.put_object(Bucket="photos", Key=key, Body=b"1")
    answer = s3.delete_objects(Bucket="photos", Delete={"Objects": [{"Key": "a"}, {"Key": "b"}]})
    markers = {d["Key"]: d["DeleteMarkerVersionId"] for d in answer["Deleted"]}
    got = {r["s3"]["object"]["key"]: r["s3"]["object"]["versionId"] for r in records(account)}
    assert got == markers


def test_an_alias_arn_invokes_the_alias_with_its_own_permission(account, s3, lambda_client):
    account.register("echo", ECHO)
    version = lambda_client.publish_version(FunctionName="echo")["Version"]
    alias_arn = lambda_client.create_alias(FunctionName="echo", Name="live", FunctionVersion=version)["AliasArn"]
    grant(lambda_client, "echo")  # the unqualified function's policy does not cover the alias
    with pytest.raises(ClientError, match="Unable to validate"):
        configure(s3, lambda_config(alias_arn))
    lambda_client.add_permission(
        FunctionName="echo",
        Qualifier="live",
        StatementId="s3-live",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::photos",
    )
    configure(s3, lambda_config(alias_arn))
    s3.put_object(Bucket="photos", Key="a", Body=b"1")
    assert account.wait(timeout=30)
    (run,) = account.invocation_records("echo")
    assert run.version == version


def test_event_time_is_the_account_clock(account, s3, echo):
    account.configure(clock_mode="manual")
    account.clock.jump_to(1_900_000_000.25)  # 2030-03-17T17:46:40.250Z
    configure(s3, lambda_config(echo.arn))
    s3.put_object(Bucket="photos", Key="a", Body=b"1")
    (record,) = records(account)
    assert record["eventTime"] == "2030-03-17T17:46:40.250Z"


def test_a_delete_on_a_versioned_bucket_makes_a_marker_even_for_a_key_never_written(account, s3, echo):
    s3.put_bucket_versioning(Bucket="photos", VersioningConfiguration={"Status": "Enabled"})
    configure(s3, lambda_config(echo.arn, events=["s3:ObjectRemoved:*"]))
    marker = s3.delete_object(Bucket="photos", Key="never/written")
    assert marker["DeleteMarker"] is True
    [record] = records(account)
    assert record["eventName"] == "ObjectRemoved:DeleteMarkerCreated"
    assert record["s3"]["object"]["key"] == "never/written"
    assert record["s3"]["object"]["versionId"] == marker["VersionId"]
    [listed] = s3.list_object_versions(Bucket="photos")["DeleteMarkers"]
    assert (listed["Key"], listed["VersionId"], listed["IsLatest"]) == ("never/written", marker["VersionId"], True)
