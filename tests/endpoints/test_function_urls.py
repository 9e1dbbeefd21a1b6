"""Function URLs: the Lambda API's URL operations and the URLs served over real HTTP (requests, http.client)."""

from __future__ import annotations

import base64
import http.client
import json
from urllib.parse import urlsplit

import botocore.exceptions
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ECHO = """
import base64, json
def lambda_handler(event, context):
    return {"event": event, "request_id": context.aws_request_id}
"""

RAW = """
import json
def lambda_handler(event, context):
    return json.loads(event["body"])
"""


def _public(client, name: str, qualifier: str | None = None, **settings):
    extra = {"Qualifier": qualifier} if qualifier else {}
    config = client.create_function_url_config(FunctionName=name, AuthType="NONE", **extra, **settings)
    client.add_permission(
        FunctionName=name,
        StatementId="url",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
        **extra,
    )
    return config


def test_the_url_operations_follow_aws(account, client):
    account.register("echo", ECHO)
    created = client.create_function_url_config(
        FunctionName="echo", AuthType="NONE", Cors={"AllowOrigins": ["https://a.example"]}
    )
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    url = created["FunctionUrl"]
    assert urlsplit(url).hostname == "127.0.0.1" and url.endswith("/")
    assert created["FunctionArn"].endswith(":function:echo") and created["AuthType"] == "NONE"
    assert created["Cors"]["AllowOrigins"] == ["https://a.example"] and created["InvokeMode"] == "BUFFERED"
    got = client.get_function_url_config(FunctionName="echo")
    assert got["FunctionUrl"] == url and "LastModifiedTime" in got
    with pytest.raises(client.exceptions.ResourceConflictException) as caught:
        client.create_function_url_config(FunctionName="echo", AuthType="NONE")
    assert "FunctionUrlConfig exists for this Lambda function" in str(caught.value)
    updated = client.update_function_url_config(FunctionName="echo", AuthType="AWS_IAM")
    assert updated["AuthType"] == "AWS_IAM" and updated["FunctionUrl"] == url
    listed = client.list_function_url_configs(FunctionName="echo")["FunctionUrlConfigs"]
    assert [c["FunctionUrl"] for c in listed] == [url]
    client.delete_function_url_config(FunctionName="echo")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_function_url_config(FunctionName="echo")
    assert client.list_function_url_configs(FunctionName="echo")["FunctionUrlConfigs"] == []


def test_bad_settings_are_refused_with_aws_errors(account, client, raw_client):
    account.register("echo", ECHO)
    account.publish_version("echo")
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        raw_client.create_function_url_config(FunctionName="echo", AuthType="OPEN")
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        client.create_function_url_config(FunctionName="echo", Qualifier="1", AuthType="NONE")
    assert "qualifier" in caught.value.response["Error"]["Message"]
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.create_function_url_config(FunctionName="nope", AuthType="NONE")


def test_a_request_becomes_a_function_url_event(account, client):
    account.register("echo", ECHO)
    url = _public(client, "echo")["FunctionUrl"]
    response = requests.post(
        url + "items/42?q=a+b&q=c%2Bd",
        data=b'{"x": 1}',
        headers={"Content-Type": "application/json", "X-Mixed": "a", "Cookie": "a=1; b=2"},
    )
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
    event = response.json()["event"]
    assert event["version"] == "2.0" and event["routeKey"] == "$default"
    assert event["rawPath"] == "/items/42" and event["rawQueryString"] == "q=a+b&q=c%2Bd"
    assert event["queryStringParameters"] == {"q": "a b,c+d"}
    assert event["cookies"] == ["a=1", "b=2"] and "cookie" not in event["headers"]
    assert event["headers"]["x-mixed"] == "a" and all(k == k.lower() for k in event["headers"])
    assert event["body"] == '{"x": 1}' and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["domainName"].endswith(f".lambda-url.{account.settings.region}.on.aws")
    assert context["domainPrefix"] == context["apiId"] and context["stage"] == "$default"
    assert context["accountId"] == "anonymous" and "authorizer" not in context
    assert context["http"] == {
        "method": "POST",
        "path": "/items/42",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": response.request.headers["User-Agent"],
    }
    assert len(str(context["timeEpoch"])) == 13
    record = account.invocation_records("echo")[-1]
    assert record.trigger == "function-url" and record.invocation_type == "RequestResponse"
    assert response.json()["request_id"] == record.request_id


def test_binary_bodies_arrive_base64_and_answers_are_decoded(account, client):
    account.register(
        "png",
        "import base64\n"
        "def lambda_handler(event, context):\n"
        "    raw = base64.b64decode(event['body'])\n"
        "    return {'statusCode': 200, 'headers': {'content-type': 'image/png'},\n"
        "            'body': base64.b64encode(raw[::-1]).decode(), 'isBase64Encoded': True}\n",
    )
    url = _public(client, "png")["FunctionUrl"]
    blob = bytes(range(256))
    response = requests.put(url, data=blob, headers={"Content-Type": "application/octet-stream"})
    assert response.status_code == 200 and response.content == blob[::-1]
    event = account.invocation_records("png")[-1].event
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == blob


def test_answers_are_inferred_as_http_api_does(account, client):
    account.register("raw", RAW)
    url = _public(client, "raw")["FunctionUrl"]

    def answer(value):
        return requests.post(url, json=value)

    plain = answer("hello")
    assert plain.status_code == 200 and plain.text == "hello"
    assert plain.headers["content-type"] == "application/json"
    assert answer({"a": 1}).json() == {"a": 1}
    cookies = answer({"statusCode": 201, "cookies": ["a=1", "b=2; Path=/"], "body": "x"})
    assert cookies.status_code == 201 and cookies.text == "x"
    assert cookies.raw.headers.getlist("Set-Cookie") == ["a=1", "b=2; Path=/"]
    bad = answer({"statusCode": 200, "body": {"not": "a string"}})
    assert bad.status_code == 500 and bad.json() == {"message": "Internal Server Error"}


def test_a_function_error_is_a_500(account, client):
    account.register("boom", "def lambda_handler(event, context):\n    raise ValueError('nope')\n")
    url = _public(client, "boom")["FunctionUrl"]
    response = requests.get(url)
    assert response.status_code == 500 and response.json() == {"message": "Internal Server Error"}


def test_a_none_url_without_a_public_permission_is_forbidden(account, client):
    account.register("echo", ECHO)
    url = client.create_function_url_config(FunctionName="echo", AuthType="NONE")["FunctionUrl"]
    response = requests.get(url)
    assert response.status_code == 403 and response.json() == {"Message": "Forbidden"}
    assert len(account.invocation_records("echo")) == 0


def test_an_iam_url_accepts_signed_requests_only(account, client):
    account.register("echo", ECHO)
    url = client.create_function_url_config(FunctionName="echo", AuthType="AWS_IAM")["FunctionUrl"]
    assert requests.get(url).status_code == 403
    assert requests.get(url).json() == {"Message": "Forbidden"}
    signed = AWSRequest(method="GET", url=url + "who")
    SigV4Auth(Credentials("AKIDLOCAL", "secret"), "lambda", account.settings.region).add_auth(signed)
    response = requests.get(url + "who", headers=dict(signed.headers))
    assert response.status_code == 200
    context = response.json()["event"]["requestContext"]
    assert context["authorizer"]["iam"]["accessKey"] == "AKIDLOCAL"
    assert context["accountId"] == account.settings.account_id


def test_keep_alive_and_cors_preflight_over_http_client(account, client):
    account.register("echo", ECHO)
    url = _public(
        client,
        "echo",
        Cors={"AllowOrigins": ["https://a.example"], "AllowMethods": ["GET", "POST"], "MaxAge": 60},
    )["FunctionUrl"]
    port = urlsplit(url).port
    connection = http.client.HTTPConnection("127.0.0.1", port)
    try:
        connection.request(
            "OPTIONS", "/", headers={"Origin": "https://a.example", "Access-Control-Request-Method": "POST"}
        )
        preflight = connection.getresponse()
        preflight.read()
        assert preflight.status == 204
        assert preflight.getheader("access-control-allow-origin") == "https://a.example"
        assert preflight.getheader("access-control-allow-methods") == "GET,POST"
        assert preflight.getheader("access-control-max-age") == "60"
        assert len(account.invocation_records("echo")) == 0
        for _ in range(3):  # the same connection serves every request
            connection.request("GET", "/x", headers={"Origin": "https://b.example"})
            answer = connection.getresponse()
            assert answer.status == 200 and json.loads(answer.read())["event"]["rawPath"] == "/x"
            assert answer.getheader("access-control-allow-origin") is None
    finally:
        connection.close()


def test_an_alias_url_invokes_the_alias(account, client):
    account.register("echo", ECHO)
    account.publish_version("echo")
    account.create_alias("echo", "live", "1")
    config = _public(client, "echo", "live")
    assert config["FunctionArn"].endswith(":function:echo:live")
    assert requests.get(config["FunctionUrl"]).status_code == 200
    assert account.invocation_records("echo")[-1].version == "1"
