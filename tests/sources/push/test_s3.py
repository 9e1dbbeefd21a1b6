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
