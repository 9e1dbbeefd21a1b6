"""Every template renders with its defaults and with each parameter edited, in the shape AWS sends.

The expectations come from AWS's documented event shapes (event-catalog.md §C and
callers-apigw-cfn-cognito-alexa.md), not from the implementation's output.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs

import pytest

from lambda_magic.events import Catalog, Param

from .helpers import (
    ACCOUNT,
    CLF,
    EPOCH_MS_STRING,
    HEX,
    ISO_MS,
    ISO_MS_OFFSET,
    ISO_S,
    NOW,
    NOW_EPOCH_MS,
    REGION,
    SAM,
    is_uuid,
    records,
)

IDS = [t.id for t in Catalog.load().templates()]

#: Where SAM's event lacks keys AWS sends or has keys AWS does not (and why).
SAM_SHAPE_FIXES = {
    "kinesis/streams-as-source": {"deliverySteamArn"},  # SAM's typo for deliveryStreamArn
    # AWS omits empty parts of a 2.0 payload: a $default route has no path variables, and
    # the default stage no stage variables (SAM's sample shows both anyway).
    "apigateway/http-api-proxy": {"pathParameters", "stageVariables"},
    "kinesis/analytics-dynamodb": {"streamArn"},  # output delivery events name no source stream
}


# --- every template -------------------------------------------------------------------------


def edited(template, param: Param) -> tuple[object, dict]:
    """A different, valid value for ``param``, and edits of other parameters it needs to stay valid."""
    default = param.default
    if param.choices:
        return next(c for c in reversed(param.choices) if c != default), {}
    if param.name == "sequence":
        return "49545115243490985018280067714973144582180062593244200961", {}
    if param.name == "queue_name" and template.id.endswith("fifo"):
        return "Edited.fifo", {}
    if param.name == "resource":  # a greedy resource matches any path
        return "/{any+}", {}
    if param.name == "path" and template.param("resource") and "+}" not in template.param("resource").default:
        return "/request/7", {"resource": "/{any+}"}
    if param.name == "route_key":
        return "ANY /{proxy+}", {}
    if param.name == "is_base64_encoded" and not template.param("body").default:
        return True, {"body": "x"}
    if param.type == "boolean":
        return not default, {}
    if param.type in ("integer", "records"):
        return default + 1, {}
    if param.type == "number":
        return default + 1.5, {}
    if param.type == "json":
        if isinstance(default, list):
            return [*default, "edited"], {}
        return {**(default or {}), "edited": "yes"}, {}
    return (f"{default}-edited" if default else "edited"), {}


@pytest.mark.parametrize("template_id", IDS)
def test_renders_with_defaults_as_json(catalog, template_id):
    event = catalog.render(template_id, seed=1, now=NOW)
    assert isinstance(event, dict) and event
    assert json.loads(json.dumps(event)) == event
    text = json.dumps(event)
    assert "EXAMPLE:" not in text and "::EXAMPLE" not in text and "1970-01-01" not in text


@pytest.mark.parametrize("template_id", IDS)
def test_every_parameter_changes_the_event(catalog, template_id):
    template = catalog.get(template_id)
    for param in template.params:
        if param.choices is not None and len(param.choices) == 1:
            continue  # nothing else to choose
        value, companions = edited(template, param)
        base = json.dumps(catalog.render(template_id, companions, seed=1, now=NOW), sort_keys=True)
        event = catalog.render(template_id, {**companions, param.name: value}, seed=1, now=NOW)
        assert json.dumps(event, sort_keys=True) != base, f"{template_id}: {param.name}={value!r} changed nothing"


@pytest.mark.parametrize("template_id", sorted(SAM))
def test_has_the_top_level_keys_of_sams_event(catalog, template_id):
    _, sam_keys = SAM[template_id]
    ours = set(catalog.render(template_id))
    assert set(sam_keys) - ours == SAM_SHAPE_FIXES.get(template_id, set())


@pytest.mark.parametrize("template_id", IDS)
def test_arns_use_the_callers_account_and_region(catalog, template_id):
    text = json.dumps(catalog.render(template_id, region="ap-south-2", account_id="210987654321"))
    for arn in re.findall(r'arn:aws[a-z-]*:[a-z0-9-]+:[^"\s]*', text):
        parts = arn.split(":")
        assert parts[3] in ("", "ap-south-2"), arn
        assert parts[4] in ("", "210987654321"), arn
    assert "123456789012" not in text and "us-east-1" not in text


# --- S3 ---------------------------------------------------------------------------------------

S3_RECORD_KEYS = {
    "eventVersion",
    "eventSource",
    "awsRegion",
    "eventTime",
    "eventName",
    "userIdentity",
    "requestParameters",
    "responseElements",
    "s3",
}


@pytest.mark.parametrize("template_id", ["s3/put", "s3/delete", "s3/delete-marker-created", "rekognition/s3-request"])
def test_s3_notification_shape(catalog, template_id):
    record = records(catalog.render(template_id, {"bucket": "photos"}, now=NOW))[0]
    assert set(record) == S3_RECORD_KEYS
    assert record["eventSource"] == "aws:s3" and record["awsRegion"] == REGION
    assert not record["eventName"].startswith("s3:") and ISO_MS.match(record["eventTime"])
    assert record["eventTime"] == "2024-05-01T12:34:56.789Z"
    assert set(record["responseElements"]) == {"x-amz-request-id", "x-amz-id-2"}
    s3 = record["s3"]
    assert s3["s3SchemaVersion"] == "1.0" and s3["bucket"]["name"] == "photos"
    assert s3["bucket"]["arn"] == "arn:aws:s3:::photos"  # no region, no account
    assert re.fullmatch(r"[0-9A-F]+", s3["object"]["sequencer"])
    created = record["eventName"].startswith("ObjectCreated:")
    assert ("size" in s3["object"]) is created and ("eTag" in s3["object"]) is created
    if created:
        assert isinstance(s3["object"]["size"], int) and HEX.match(s3["object"]["eTag"])


def test_s3_versions(catalog):
    assert "versionId" not in records(catalog.render("s3/put"))[0]["s3"]["object"]
    assert records(catalog.render("s3/put", {"version_id": "v1"}))[0]["s3"]["object"]["versionId"] == "v1"
    assert records(catalog.render("s3/delete-marker-created"))[0]["s3"]["object"]["versionId"]


def test_s3_batch_operations_shape(catalog):
    event = catalog.render("s3/batch-invocation")
    assert event["invocationSchemaVersion"] == "1.0" and is_uuid(event["job"]["id"])
    (task,) = event["tasks"]
    assert set(task) == {"taskId", "s3Key", "s3VersionId", "s3BucketArn"}


# --- SQS --------------------------------------------------------------------------------------


@pytest.mark.parametrize("template_id", ["sqs/receive-message", "sqs/receive-message-fifo"])
def test_sqs_record_shape(catalog, template_id):
    event = catalog.render(template_id, {"records": 2, "message_attributes": {"a": "b"}}, now=NOW)
    for record in records(event):
        assert set(record) == {
            "messageId",
            "receiptHandle",
            "body",
            "attributes",
            "messageAttributes",
            "md5OfBody",
            "md5OfMessageAttributes",
            "eventSource",
            "eventSourceARN",
            "awsRegion",
        }
        assert is_uuid(record["messageId"]) and record["eventSource"] == "aws:sqs"
        attributes = record["attributes"]
        assert all(isinstance(v, str) for v in attributes.values())  # every attribute value is a string
        assert attributes["ApproximateReceiveCount"] == "1"
        assert EPOCH_MS_STRING.match(attributes["SentTimestamp"])
        assert attributes["ApproximateFirstReceiveTimestamp"] == str(NOW_EPOCH_MS)
        assert int(attributes["SentTimestamp"]) <= int(attributes["ApproximateFirstReceiveTimestamp"])
        assert re.fullmatch(r"arn:aws:sqs:us-east-1:123456789012:[\w.-]+", record["eventSourceARN"])
    fifo = template_id.endswith("fifo")
    first = records(event)[0]
    assert first["eventSourceARN"].endswith(".fifo") is fifo
    assert ({"SequenceNumber", "MessageGroupId", "MessageDeduplicationId"} <= set(first["attributes"])) is fifo


def test_sqs_fifo_content_based_deduplication(catalog):
    import hashlib

    record = records(catalog.render("sqs/receive-message-fifo", {"body": "order 1"}))[0]
    assert record["attributes"]["MessageDeduplicationId"] == hashlib.sha256(b"order 1").hexdigest()
    assert record["attributes"]["MessageGroupId"] == "group-1"
    given = records(catalog.render("sqs/receive-message-fifo", {"message_deduplication_id": "d-1"}))[0]
    assert given["attributes"]["MessageDeduplicationId"] == "d-1"


def test_sqs_receive_count(catalog):
    record = records(catalog.render("sqs/receive-message", {"receive_count": "4"}))[0]
    assert record["attributes"]["ApproximateReceiveCount"] == "4"


# --- SNS --------------------------------------------------------------------------------------


def test_sns_notification_shape(catalog):
    event = catalog.render("sns/notification", {"message": {"nested": True}, "topic": "orders"}, now=NOW)
    record = records(event)[0]
    assert set(record) == {"EventVersion", "EventSubscriptionArn", "EventSource", "Sns"}  # PascalCase
    assert record["EventSource"] == "aws:sns" and record["EventVersion"] == "1.0"
    sns = record["Sns"]
    assert sns["TopicArn"] == "arn:aws:sns:us-east-1:123456789012:orders"
    assert record["EventSubscriptionArn"].startswith(sns["TopicArn"] + ":")
    assert is_uuid(record["EventSubscriptionArn"].rsplit(":", 1)[1])
    assert sns["Type"] == "Notification" and is_uuid(sns["MessageId"])
    assert json.loads(sns["Message"]) == {"nested": True}  # always a string
    assert sns["Timestamp"] == "2024-05-01T12:34:56.789Z"
    assert sns["SigningCertUrl"].startswith("https://sns.us-east-1.amazonaws.com/")
    assert sns["SigningCertUrl"].endswith(".pem")
    assert sns["UnsubscribeUrl"].endswith("SubscriptionArn=" + record["EventSubscriptionArn"])
    assert catalog.render("sns/notification", {"subject": ""})["Records"][0]["Sns"]["Subject"] is None


# --- Kinesis ----------------------------------------------------------------------------------


def test_kinesis_record_shape(catalog):
    for record in records(catalog.render("kinesis/get-records", {"records": 3}, now=NOW)):
        assert set(record) == {
            "kinesis",
            "eventSource",
            "eventVersion",
            "eventID",
            "eventName",
            "invokeIdentityArn",
            "awsRegion",
            "eventSourceARN",
        }
        kinesis = record["kinesis"]
        assert kinesis["kinesisSchemaVersion"] == "1.0" and kinesis["partitionKey"] == "partitionKey-03"
        assert record["eventID"] == "shardId-000000000006:" + kinesis["sequenceNumber"]
        assert len(kinesis["sequenceNumber"]) == 56 and kinesis["sequenceNumber"].isdigit()
        stamp = kinesis["approximateArrivalTimestamp"]
        assert isinstance(stamp, float) and round(stamp, 3) == stamp and abs(stamp - NOW.timestamp()) < 5
        assert record["eventName"] == "aws:kinesis:record" and record["eventSource"] == "aws:kinesis"
        assert record["eventSourceARN"] == "arn:aws:kinesis:us-east-1:123456789012:stream/example-stream"
        assert re.fullmatch(r"arn:aws:iam::123456789012:role/[\w-]+", record["invokeIdentityArn"])


def test_firehose_shape(catalog):
    event = catalog.render("kinesis/kinesis-firehose", {"records": 2}, now=NOW)
    assert set(event) == {"invocationId", "deliveryStreamArn", "region", "records"}
    assert event["deliveryStreamArn"] == (
        "arn:aws:firehose:us-east-1:123456789012:deliverystream/example-delivery-stream"
    )
    for record in event["records"]:
        assert set(record) == {"recordId", "approximateArrivalTimestamp", "data"}
        assert isinstance(record["approximateArrivalTimestamp"], int)  # epoch ms, an integer
    assert len({r["recordId"] for r in event["records"]}) == 2
    source = catalog.render("kinesis/streams-as-source")
    assert source["sourceKinesisStreamArn"].endswith(":stream/example-stream")
    assert set(source["records"][0]["kinesisRecordMetadata"]) == {
        "shardId",
        "partitionKey",
        "approximateArrivalTimestamp",
        "sequenceNumber",
        "subsequenceNumber",
    }


def test_analytics_shapes(catalog):
    pre = catalog.render("kinesis/analytics")
    assert set(pre) == {"invocationId", "applicationArn", "streamArn", "records"}
    assert pre["applicationArn"].endswith(":application/example-application")
    out = catalog.render("kinesis/analytics-dynamodb")
    assert set(out) == {"invocationId", "applicationArn", "records"}
    assert out["records"][0]["lambdaDeliveryRecordMetadata"] == {"retryHint": 0}


# --- DynamoDB Streams -----------------------------------------------------------------------


def test_dynamodb_default_batch(catalog):
    batch = records(catalog.render("dynamodb/update", now=NOW))
    assert [r["eventName"] for r in batch] == ["INSERT", "MODIFY", "REMOVE"]
    for record in batch:
        assert set(record) == {
            "eventID",
            "eventName",
            "eventVersion",
            "eventSource",
            "awsRegion",
            "dynamodb",
            "eventSourceARN",
        }
        assert record["eventVersion"] == "1.1" and record["eventSource"] == "aws:dynamodb"
        assert re.fullmatch(
            r"arn:aws:dynamodb:us-east-1:123456789012:table/ExampleTableWithStream/stream/"
            r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}",
            record["eventSourceARN"],
        )
        stream = record["dynamodb"]
        assert stream["ApproximateCreationDateTime"] == int(NOW.timestamp())
        assert stream["Keys"] == {"Id": {"N": "101"}}  # numbers travel as strings
        assert stream["SequenceNumber"].isdigit() and isinstance(stream["SizeBytes"], int) and stream["SizeBytes"] > 0
    assert len({r["eventID"] for r in batch}) == 3


@pytest.mark.parametrize(
    "view, insert, modify, remove",
    [
        ("KEYS_ONLY", set(), set(), set()),
        ("NEW_IMAGE", {"NewImage"}, {"NewImage"}, set()),
        ("OLD_IMAGE", set(), {"OldImage"}, {"OldImage"}),
        ("NEW_AND_OLD_IMAGES", {"NewImage"}, {"NewImage", "OldImage"}, {"OldImage"}),
    ],
)
def test_dynamodb_image_presence_follows_the_view_type(catalog, view, insert, modify, remove):
    batch = records(catalog.render("dynamodb/update", {"stream_view_type": view}))
    for record, images in zip(batch, (insert, modify, remove), strict=True):
        assert (
            set(record["dynamodb"])
            - {"ApproximateCreationDateTime", "Keys", "SequenceNumber", "SizeBytes", "StreamViewType"}
            == images
        )
        assert record["dynamodb"]["StreamViewType"] == view


def test_dynamodb_items_as_records(catalog):
    batch = records(
        catalog.render(
            "dynamodb/update",
            {
                "records": [
                    {"Id": 1, "Name": "new"},
                    {"old_image": {"Id": 2, "Name": "a"}, "new_image": {"Id": 2, "Name": "b"}},
                    {"event_name": "REMOVE", "keys": {"Id": 3}, "old_image": {"Id": 3}},
                ]
            },
        )
    )
    assert [r["eventName"] for r in batch] == ["INSERT", "MODIFY", "REMOVE"]
    assert [r["dynamodb"]["Keys"] for r in batch] == [{"Id": {"N": "1"}}, {"Id": {"N": "2"}}, {"Id": {"N": "3"}}]
    assert batch[0]["dynamodb"]["NewImage"] == {"Id": {"N": "1"}, "Name": {"S": "new"}}


# --- CloudWatch and EventBridge -------------------------------------------------------------


@pytest.mark.parametrize("template_id", ["cloudwatch/scheduled-event", "eventbridge/custom-event"])
def test_eventbridge_envelope(catalog, template_id):
    event = catalog.render(template_id, now=NOW)
    assert list(event) == ["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"]
    assert event["version"] == "0" and is_uuid(event["id"]) and event["account"] == ACCOUNT
    assert event["time"] == "2024-05-01T12:34:56Z" and ISO_S.match(event["time"])
    assert isinstance(event["detail"], dict)


def test_scheduled_event_facts(catalog):
    event = catalog.render("cloudwatch/scheduled-event", {"rule": "nightly"})
    assert event["detail-type"] == "Scheduled Event" and event["source"] == "aws.events" and event["detail"] == {}
    assert event["resources"] == ["arn:aws:events:us-east-1:123456789012:rule/nightly"]


def test_custom_event_passes_detail_through(catalog):
    detail = {"orderId": "9", "total": 12.5, "lines": [{"sku": "x", "qty": 2}], "gift": False, "note": None}
    event = catalog.render(
        "eventbridge/custom-event", {"detail": detail, "detail_type": "OrderPlaced", "source": "com.shop"}
    )
    assert event["detail"] == detail and event["detail-type"] == "OrderPlaced" and event["source"] == "com.shop"


def test_cloudwatch_logs_shape(catalog):
    event = catalog.render("cloudwatch/logs")
    assert list(event) == ["awslogs"] and list(event["awslogs"]) == ["data"]


# --- API Gateway, ALB, function URLs --------------------------------------------------------

REST_KEYS = [
    "resource",
    "path",
    "httpMethod",
    "headers",
    "multiValueHeaders",
    "queryStringParameters",
    "multiValueQueryStringParameters",
    "pathParameters",
    "stageVariables",
    "requestContext",
    "body",
    "isBase64Encoded",
]


def test_rest_proxy_shape(catalog):
    event = catalog.render(
        "apigateway/aws-proxy",
        {
            "method": "GET",
            "path": "/items/7",
            "resource": "/items/{id}",
            "querystringparameters": {"q": ["a", "b"]},
            "stage": "dev",
        },
        now=NOW,
    )
    assert sorted(event) == sorted(REST_KEYS)
    assert event["path"] == "/items/7" and event["resource"] == "/items/{id}" and event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"id": "7"}
    assert event["queryStringParameters"] == {"q": "b"}  # the last value
    assert event["multiValueQueryStringParameters"] == {"q": ["a", "b"]}
    assert event["headers"]["Content-Type"] == "application/json"  # the client's casing
    assert all(event["multiValueHeaders"][k] == [v] for k, v in event["headers"].items())
    context = event["requestContext"]
    assert context["path"] == "/dev/items/7" and context["stage"] == "dev"  # the stage is in requestContext.path
    assert context["resourcePath"] == "/items/{id}" and context["httpMethod"] == "GET"
    assert context["accountId"] == ACCOUNT and is_uuid(context["requestId"])
    assert context["requestTime"] == "01/May/2024:12:34:56 +0000" and CLF.match(context["requestTime"])
    assert context["requestTimeEpoch"] == NOW_EPOCH_MS
    assert context["domainName"] == f"{context['apiId']}.execute-api.us-east-1.amazonaws.com"
    assert context["domainPrefix"] == context["apiId"] and context["protocol"] == "HTTP/1.1"
    assert context["identity"]["sourceIp"] and context["identity"]["userAgent"] == "Custom User Agent String"


def test_rest_proxy_absent_parts_are_null(catalog):
    event = catalog.render(
        "apigateway/aws-proxy", {"querystringparameters": {}, "resource": "/items", "path": "/items", "body": ""}
    )
    for key in ("queryStringParameters", "multiValueQueryStringParameters", "pathParameters", "stageVariables", "body"):
        assert event[key] is None, key


def test_http_api_shape(catalog):
    event = catalog.render(
        "apigateway/http-api-proxy",
        {
            "stage": "dev",
            "path": "/items/7",
            "route_key": "GET /items/{id}",
            "method": "GET",
            "querystringparameters": {"q": ["a", "b"], "x": "1"},
            "cookies": ["s=1", "t=2"],
            "headers": {"X-Custom": "v", "User-Agent": "ua/1"},
        },
        now=NOW,
    )
    assert event["version"] == "2.0" and event["routeKey"] == "GET /items/{id}"
    assert event["rawPath"] == "/dev/items/7"  # a named stage stays in the path
    assert parse_qs(event["rawQueryString"]) == {"q": ["a", "b"], "x": ["1"]}
    assert not event["rawQueryString"].startswith("?")
    assert event["queryStringParameters"] == {"q": "a,b", "x": "1"}  # repeated values joined by commas
    assert event["cookies"] == ["s=1", "t=2"] and event["pathParameters"] == {"id": "7"}
    assert all(name == name.lower() for name in event["headers"]) and event["headers"]["x-custom"] == "v"
    assert not {"multiValueHeaders", "multiValueQueryStringParameters", "resource", "path"} & set(event)
    context = event["requestContext"]
    assert set(context) >= {
        "accountId",
        "apiId",
        "domainName",
        "domainPrefix",
        "http",
        "requestId",
        "routeKey",
        "stage",
        "time",
        "timeEpoch",
    }
    assert context["http"] == {
        "method": "GET",
        "path": "/dev/items/7",
        "protocol": "HTTP/1.1",
        "sourceIp": context["http"]["sourceIp"],
        "userAgent": "ua/1",
    }
    assert CLF.match(context["time"]) and context["timeEpoch"] == NOW_EPOCH_MS and context["stage"] == "dev"


def test_http_api_omits_empty_parts(catalog):
    event = catalog.render("apigateway/http-api-proxy", {"body": "", "querystringparameters": {}, "cookies": []})
    assert event["routeKey"] == "$default" and event["rawPath"] == "/path/to/resource"
    assert not {"cookies", "queryStringParameters", "pathParameters", "stageVariables", "body"} & set(event)
    assert event["rawQueryString"] == "" and event["isBase64Encoded"] is False


def test_function_url_shape(catalog):
    event = catalog.render("lambda/function-url", {"function_name": "hello", "body": "hi", "method": "POST"})
    assert event["version"] == "2.0" and event["routeKey"] == "$default" and event["body"] == "hi"
    context = event["requestContext"]
    assert re.fullmatch(r"[a-z0-9]{32}\.lambda-url\.us-east-1\.on\.aws", context["domainName"])
    assert context["domainPrefix"] == context["apiId"] == context["domainName"].split(".")[0]
    assert context["accountId"] == "anonymous" and "authorizer" not in context
    assert context["stage"] == "$default" and is_uuid(context["requestId"])
    signed = catalog.render("lambda/function-url", {"function_name": "hello", "auth_type": "AWS_IAM"})["requestContext"]
    assert signed["accountId"] == ACCOUNT and signed["authorizer"]["iam"]["accountId"] == ACCOUNT
    assert signed["domainName"] == context["domainName"]  # the URL belongs to the function


def test_alb_shape(catalog):
    event = catalog.render("alb/request", {"method": "GET"})
    assert set(event) == {
        "requestContext",
        "httpMethod",
        "path",
        "queryStringParameters",
        "headers",
        "body",
        "isBase64Encoded",
    }
    assert re.fullmatch(
        r"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/lambda-target/[0-9a-f]{16}",
        event["requestContext"]["elb"]["targetGroupArn"],
    )
    assert event["queryStringParameters"] == {} and all(k == k.lower() for k in event["headers"])


def test_token_authorizer(catalog):
    event = catalog.render(
        "apigateway/authorizer",
        {
            "rest_api_id": "abc123",
            "stage": "prod",
            "method": "GET",
            "resource": "/pets/{id}",
            "authorization_token": "Bearer t",
        },
    )
    assert event == {
        "type": "TOKEN",
        "authorizationToken": "Bearer t",
        "methodArn": "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets/{id}",
    }


def test_request_authorizer(catalog):
    event = catalog.render("apigateway/request-authorizer")
    assert event["type"] == "REQUEST"
    assert event["methodArn"] == "arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/GET/request"
    assert set(REST_KEYS) - {"body", "isBase64Encoded"} <= set(event)
    assert event["headers"]["HeaderAuth1"] == "headerValue1" and event["stageVariables"] == {"StageVar1": "stageValue1"}


def test_http_api_authorizer(catalog):
    event = catalog.render("apigateway/http-api-authorizer", {"authorization": "Bearer abc"})
    assert event["version"] == "2.0" and event["type"] == "REQUEST"
    assert event["routeArn"] == "arn:aws:execute-api:us-east-1:123456789012:abcdef123/$default/GET/items/123"
    assert event["identitySource"] == ["Bearer abc"] and event["headers"]["authorization"] == "Bearer abc"
    assert event["pathParameters"] == {"id": "123"} and "body" not in event


# --- CloudFormation ---------------------------------------------------------------------------

CFN_ALWAYS = {
    "RequestType",
    "ServiceToken",
    "ResponseURL",
    "StackId",
    "RequestId",
    "ResourceType",
    "LogicalResourceId",
    "ResourceProperties",
}


@pytest.mark.parametrize(
    "kind, extra",
    [
        ("create", set()),
        ("update", {"PhysicalResourceId", "OldResourceProperties"}),
        ("delete", {"PhysicalResourceId"}),
    ],
)
def test_cloudformation_request_shapes(catalog, kind, extra):
    event = catalog.render(f"cloudformation/{kind}-request", {"stack": "Shop"})
    assert set(event) == CFN_ALWAYS | extra
    assert event["RequestType"] == kind.capitalize() and is_uuid(event["RequestId"])
    assert re.fullmatch(r"arn:aws:cloudformation:us-east-1:123456789012:stack/Shop/[0-9a-f-]{36}", event["StackId"])
    assert event["ServiceToken"].startswith("arn:aws:lambda:us-east-1:123456789012:function:")
    assert event["ResponseURL"].startswith("https://") and event["RequestId"] in event["ResponseURL"]
    assert event["ResourceType"].startswith("Custom::") and len(event["ResourceType"]) <= 60
    assert event["ResourceProperties"]["ServiceToken"] == event["ServiceToken"]
    assert all(isinstance(v, str) for k, v in event["ResourceProperties"].items())


# --- Cognito ----------------------------------------------------------------------------------

USER_POOL = [t for t in IDS if t.startswith("cognito/") and t != "cognito/sync-trigger"]
RESPONSES = {
    "cognito/pre-sign-up": {"autoConfirmUser", "autoVerifyEmail", "autoVerifyPhone"},
    "cognito/post-confirmation": set(),
    "cognito/pre-authentication": set(),
    "cognito/post-authentication": set(),
    "cognito/pre-token-generation": {"claimsOverrideDetails"},
    "cognito/pre-token-generation-v2": {"claimsAndScopeOverrideDetails"},
    "cognito/custom-message": {"smsMessage", "emailMessage", "emailSubject"},
    "cognito/define-auth-challenge": {"challengeName", "issueTokens", "failAuthentication"},
    "cognito/create-auth-challenge": {"publicChallengeParameters", "privateChallengeParameters", "challengeMetadata"},
    "cognito/verify-auth-challenge-response": {"answerCorrect"},
    "cognito/user-migration": {
        "userAttributes",
        "finalUserStatus",
        "messageAction",
        "desiredDeliveryMediums",
        "forceAliasCreation",
        "enableSMSMFA",
    },
}


@pytest.mark.parametrize("template_id", USER_POOL)
def test_user_pool_envelope(catalog, template_id):
    event = catalog.render(template_id, {"user_name": "ann"})
    assert {"version", "triggerSource", "region", "userPoolId", "userName", "callerContext", "request"} <= set(event)
    assert isinstance(event["version"], str) and event["region"] == REGION and event["userName"] == "ann"
    assert re.fullmatch(r"us-east-1_[A-Za-z0-9]+", event["userPoolId"])
    assert set(event["callerContext"]) == {"awsSdkVersion", "clientId"}
    assert event["triggerSource"] in catalog.get(template_id).param("trigger_source").choices
    attributes = event["request"].get("userAttributes", {})
    assert all(isinstance(v, str) for v in attributes.values())  # string to string, "true" included
    if template_id in RESPONSES:
        assert set(event["response"]) == RESPONSES[template_id]
    if "sub" in attributes:
        assert is_uuid(attributes["sub"]) and attributes["cognito:user_status"]


def test_user_pool_specifics(catalog):
    sign_up = catalog.render("cognito/pre-sign-up", {"user_attributes": {"email": "a@b.c", "age": 30}})
    assert sign_up["request"]["userAttributes"] == {"email": "a@b.c", "age": "30"}
    assert sign_up["response"] == {"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False}
    assert catalog.render("cognito/post-confirmation")["request"]["userAttributes"]["email_verified"] == "true"
    message = catalog.render("cognito/custom-message", {"trigger_source": "CustomMessage_AdminCreateUser"})
    assert message["request"]["codeParameter"] == "{####}" and message["request"]["usernameParameter"]
    assert catalog.render("cognito/custom-message")["request"]["usernameParameter"] is None
    migrate = catalog.render("cognito/user-migration", {"password": "pw"})
    assert migrate["request"]["password"] == "pw"
    forgot = catalog.render("cognito/user-migration", {"trigger_source": "UserMigration_ForgotPassword"})
    assert "password" not in forgot["request"]
    assert "clientMetadata" not in sign_up["request"]
    with_metadata = catalog.render("cognito/post-authentication", {"client_metadata": {"k": "v"}})
    assert with_metadata["request"]["clientMetadata"] == {"k": "v"}
    verify = catalog.render("cognito/verify-auth-challenge-response", {"challenge_answer": "7"})
    assert verify["request"]["challengeAnswer"] == "7" and verify["response"] == {"answerCorrect": None}
    define = catalog.render("cognito/define-auth-challenge")
    entry_keys = {"challengeName", "challengeResult", "challengeMetadata"}
    assert all(set(s) == entry_keys for s in define["request"]["session"])
    token = catalog.render("cognito/pre-token-generation")["request"]["groupConfiguration"]
    assert set(token) == {"groupsToOverride", "iamRolesToOverride", "preferredRole"}
    sender = catalog.render("cognito/custom-email-sender")["request"]
    assert sender["type"] == "customEmailSenderRequestV1" and sender["code"]


def test_the_same_user_keeps_the_same_sub(catalog):
    subs = {
        catalog.render(t, {"user_name": "ann"})["request"]["userAttributes"]["sub"]
        for t in ("cognito/post-confirmation", "cognito/pre-authentication", "cognito/pre-token-generation")
    }
    assert len(subs) == 1


def test_cognito_sync_trigger(catalog):
    event = catalog.render("cognito/sync-trigger", region="eu-west-1")
    assert event["version"] == 2 and event["eventType"] == "SyncTrigger" and event["region"] == "eu-west-1"
    assert event["identityPoolId"].startswith("eu-west-1:") and event["identityId"].startswith("eu-west-1:")
    assert all(set(r) == {"oldValue", "newValue", "op"} for r in event["datasetRecords"].values())


# --- Alexa ------------------------------------------------------------------------------------

ALEXA = [t for t in IDS if t.startswith("alexa-skills-kit/")]


@pytest.mark.parametrize("template_id", ALEXA)
def test_alexa_request_shape(catalog, template_id):
    event = catalog.render(template_id, now=NOW)
    assert event["version"] == "1.0" and set(event) == {"version", "session", "context", "request"}
    session, request = event["session"], event["request"]
    assert session["sessionId"].startswith("amzn1.echo-api.session.")
    assert session["application"]["applicationId"].startswith("amzn1.ask.skill.")
    assert session["user"]["userId"].startswith("amzn1.ask.account.")
    assert request["requestId"].startswith("amzn1.echo-api.request.") and request["locale"] == "en-US"
    assert request["timestamp"] == "2024-05-01T12:34:56Z"
    assert set(event["context"]["System"]) >= {"application", "user", "device", "apiEndpoint", "apiAccessToken"}
    assert session["new"] is (request["type"] == "LaunchRequest")
    if session["new"]:
        assert session["attributes"] == {}
    if request["type"] == "IntentRequest":
        intent = request["intent"]
        assert intent["confirmationStatus"] == "NONE"
        assert all(slot["name"] == name for name, slot in intent["slots"].items())


def test_alexa_slots_and_session_end(catalog):
    filled = catalog.render("alexa-skills-kit/intent-mycoloris", {"color": "green"})["request"]["intent"]["slots"]
    assert filled["Color"]["value"] == "green"
    empty = catalog.render("alexa-skills-kit/intent-mycoloris", {"color": ""})["request"]["intent"]["slots"]
    assert "value" not in empty["Color"]  # an unfilled slot has no value
    ended = catalog.render("alexa-skills-kit/end-session", {"reason": "ERROR"})["request"]
    assert ended["type"] == "SessionEndedRequest" and ended["reason"] == "ERROR"
    assert set(ended["error"]) == {"type", "message"}
    assert "error" not in catalog.render("alexa-skills-kit/end-session")["request"]
    ids = {catalog.render("alexa-skills-kit/start-session")["session"]["sessionId"] for _ in range(2)}
    assert len(ids) == 2
    given = catalog.render("alexa-skills-kit/start-session", {"session_id": "abc"})
    assert given["session"]["sessionId"] == "amzn1.echo-api.session.abc"


def test_alexa_smart_home(catalog):
    for template in catalog.templates("alexa-smart-home"):
        event = catalog.render(template.id)
        assert set(event) == {"header", "payload"} and event["header"]["payloadVersion"] == "2"
        assert event["header"]["namespace"].startswith("Alexa.ConnectedHome.") and is_uuid(event["header"]["messageId"])


# --- CodeCommit, CodePipeline, Config --------------------------------------------------------


def test_codecommit_shape(catalog):
    record = records(catalog.render("codecommit/repository", {"repository": "shop", "branch": "dev"}))[0]
    assert record["eventSource"] == "aws:codecommit" and record["eventVersion"] == "1.0"
    assert record["eventSourceARN"].split(":")[5] == "shop" and ISO_MS_OFFSET.match(record["eventTime"])
    assert record["eventName"] == "ReferenceChanges" and is_uuid(record["eventId"])
    assert record["eventPartNumber"] == record["eventTotalParts"] == 1
    (reference,) = record["codecommit"]["references"]
    assert reference["ref"] == "refs/heads/dev" and re.fullmatch(r"[0-9a-f]{40}", reference["commit"])
    assert "created" not in reference and "deleted" not in reference
    created = records(catalog.render("codecommit/repository", {"change": "create"}))[0]
    assert created["codecommit"]["references"][0]["created"] is True
    assert "customData" not in records(catalog.render("codecommit/repository", {"custom_data": ""}))[0]


def test_codepipeline_shape(catalog):
    event = catalog.render("codepipeline/job", {"user_parameters": '{"env": "prod"}'})
    assert list(event) == ["CodePipeline.job"]  # a literal dot in the key
    job = event["CodePipeline.job"]
    assert is_uuid(job["id"]) and job["accountId"] == ACCOUNT
    data = job["data"]
    assert json.loads(data["actionConfiguration"]["configuration"]["UserParameters"]) == {"env": "prod"}
    location = data["inputArtifacts"][0]["location"]
    assert location == {"type": "S3", "s3Location": {"bucketName": "example-bucket", "objectKey": "test/key"}}
    assert set(data["artifactCredentials"]) == {"accessKeyId", "secretAccessKey", "sessionToken"}
    assert "continuationToken" not in data
    again = catalog.render("codepipeline/job", {"continuation_token": "t-1"})["CodePipeline.job"]["data"]
    assert again["continuationToken"] == "t-1"


@pytest.mark.parametrize(
    "template_id, message_type",
    [
        ("config/item-change-notification", "ConfigurationItemChangeNotification"),
        ("config/oversized-item-change-notification", "OversizedConfigurationItemChangeNotification"),
        ("config/periodic-rule", "ScheduledNotification"),
    ],
)
def test_config_rule_events_nest_json_in_strings(catalog, template_id, message_type):
    event = catalog.render(template_id, {"rule_parameters": {"maxAge": 30}})
    assert isinstance(event["invokingEvent"], str) and isinstance(event["ruleParameters"], str)
    assert json.loads(event["invokingEvent"])["messageType"] == message_type
    assert json.loads(event["ruleParameters"]) == {"maxAge": 30}
    assert event["configRuleArn"].startswith("arn:aws:config:us-east-1:123456789012:config-rule/")
    assert event["accountId"] == ACCOUNT and event["eventLeftScope"] is False


# --- Lambda@Edge, Lex, the rest ----------------------------------------------------------------


@pytest.mark.parametrize("template_id", [t for t in IDS if t.startswith("cloudfront/")])
def test_lambda_at_edge_shape(catalog, template_id):
    (record,) = records(catalog.render(template_id, {"uri": "/img/a.png"}))
    cf = record["cf"]
    event_type = cf["config"]["eventType"]
    assert event_type in ("viewer-request", "origin-request", "origin-response", "viewer-response")
    assert {"distributionDomainName", "distributionId", "requestId"} <= set(cf["config"])
    request = cf["request"]
    assert request["uri"] == "/img/a.png" and {"clientIp", "headers", "method", "querystring"} <= set(request)
    for name, values in request["headers"].items():
        assert name == name.lower() and all(set(v) == {"key", "value"} and v["key"].lower() == name for v in values)
    assert ("origin" in request) is event_type.startswith("origin-")
    assert ("response" in cf) is event_type.endswith("-response")


def test_lex_events(catalog):
    v1 = catalog.render("lex/order-flowers", {"slots": {"FlowerType": "tulips", "PickupDate": None}})
    assert v1["messageVersion"] == "1.0"
    assert v1["currentIntent"]["slots"] == {"FlowerType": "tulips", "PickupDate": None}
    assert v1["currentIntent"]["slotDetails"]["FlowerType"]["originalValue"] == "tulips"
    v2 = catalog.render("lex-v2/banking-bot")
    slot = v2["sessionState"]["intent"]["slots"]["accountType"]
    assert slot["shape"] == "Scalar" and slot["value"]["interpretedValue"] == "Savings"
    assert v2["sessionState"]["intent"]["state"] == "ReadyForFulfillment"
    assert catalog.render("lex-v2/book-car")["sessionState"]["intent"]["slots"]["CarType"] is None


def test_small_events(catalog):
    assert catalog.render("stepfunctions/error", {"error": "E", "cause": "c"}) == {"Error": "E", "Cause": "c"}
    mail = catalog.render("workmail/email", {"flow_direction": "OUTBOUND"})
    assert mail["flowDirection"] == "OUTBOUND" and is_uuid(mail["messageId"])
    ses = records(catalog.render("ses/email-receiving", now=NOW))[0]
    assert ses["eventSource"] == "aws:ses" and ISO_MS.match(ses["ses"]["mail"]["timestamp"])
    assert ses["ses"]["receipt"]["action"]["functionArn"].startswith("arn:aws:lambda:us-east-1:123456789012:function:")
    connect = catalog.render("connect/contact-flow-event")
    assert connect["Name"] == "ContactFlowEvent" and is_uuid(connect["Details"]["ContactData"]["ContactId"])
    job = catalog.render("sagemaker/ground-truth-annotation-consolidation")
    assert job["roleArn"].startswith("arn:aws:iam::123456789012:role/")  # not SAM's "aws:aws:iam"
    assert catalog.render("appsync/resolver")["info"]["parentTypeName"] == "Mutation"
    assert is_uuid(catalog.render("batch/submit-job")["jobId"])
