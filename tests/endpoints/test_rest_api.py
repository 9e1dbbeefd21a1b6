"""REST APIs (payload 1.0) over real HTTP: the stage, events, proxy answers, binary media types (callers §1.11)."""

from __future__ import annotations

import base64
import http.client
import json
import re
import uuid
from urllib.parse import urlsplit

import pytest
import requests

from lambda_magic.endpoints.apigw import ApiGateway
from lambda_magic.endpoints.apigw_rest import RestApi

ECHO = """
import json
def lambda_handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"event": event, "request_id": context.aws_request_id})}
"""

RAW = """
import json
def lambda_handler(event, context):
    return json.loads(event["body"])
"""

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\xff"


@pytest.fixture
def make(account):
    gateway = ApiGateway.of(account)

    def build(name: str, routes, **settings) -> RestApi:
        return gateway.put(lambda port: RestApi(gateway, name, routes, port=port, **settings), name)

    return build


@pytest.fixture
def raw_api(account, make):
    account.register("raw", RAW)
    return make("raw", {"POST /": "raw"})


def _event(response: requests.Response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()["event"]


def _answer(api, value, **headers) -> requests.Response:
    return requests.post(api.url + "/", data=json.dumps(value), headers=headers)


def test_an_unknown_route_or_method_is_403_missing_authentication_token(account, make):
    account.register("echo", ECHO)
    api = make("mat", {"GET /items": "echo"})
    assert api.url.endswith("/dev")
    for method, path in (("GET", "/nope"), ("POST", "/items"), ("OPTIONS", "/items")):
        response = requests.request(method, api.url + path)
        assert response.status_code == 403 and response.text == '{"message":"Missing Authentication Token"}'
        assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert requests.get(api.url.rsplit("/", 1)[0] + "/items").status_code == 403  # no stage in the path
    assert len(account.invocation_records("echo")) == 0


def test_the_proxy_event_has_the_stage_in_the_context_path_only(account, make):
    account.register("echo", ECHO)
    api = make("proxy", {"ANY /{proxy+}": "echo"})
    response = requests.get(api.url + "/proxy-value?urlparam=test", headers={"User-Agent": "nb/1"})
    event = _event(response)
    assert event["path"] == "/proxy-value" and event["resource"] == "/{proxy+}"
    assert event["pathParameters"] == {"proxy": "proxy-value"} and event["stageVariables"] is None
    assert event["body"] is None and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["path"] == "/dev/proxy-value" and context["resourcePath"] == "/{proxy+}"
    assert context["stage"] == "dev" and context["httpMethod"] == "GET" and context["apiId"] == api.api_id
    assert str(uuid.UUID(context["requestId"])) == context["requestId"]
    assert response.headers["x-amzn-RequestId"] == context["requestId"]
    assert re.fullmatch(r"\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000", context["requestTime"])
    assert len(str(context["requestTimeEpoch"])) == 13
    identity = context["identity"]
    assert identity["userAgent"] == "nb/1" and identity["sourceIp"] == "127.0.0.1"
    assert all(v is None for k, v in identity.items() if k not in ("userAgent", "sourceIp"))
    record = account.invocation_records("echo")[-1]
    assert record.trigger == "apigateway:proxy"


def test_paths_stay_undecoded_and_queries_are_decoded(account, make):
    account.register("echo", ECHO)
    api = make("enc", {"ANY /{proxy+}": "echo"})
    event = _event(requests.get(api.url + "/test%2Balias@x/plus/?plus=test+alias&enc=%2B"))
    assert event["path"] == "/test%2Balias@x/plus/" and event["pathParameters"]["proxy"] == "test%2Balias@x/plus/"
    assert event["queryStringParameters"] == {"plus": "test alias", "enc": "+"}
    double = _event(requests.get(api.url + "/a//b"))
    assert double["path"] == "/a//b" and double["pathParameters"]["proxy"] == "a//b"
    multi = _event(requests.get(api.url + "/x?category=a&category=b&price=1"))
    assert multi["queryStringParameters"] == {"category": "b", "price": "1"}
    assert multi["multiValueQueryStringParameters"] == {"category": ["a", "b"], "price": ["1"]}


def test_headers_keep_their_casing_and_repeats(account, make):
    account.register("echo", ECHO)
    api = make("hdr", {"GET /": "echo"})
    connection = http.client.HTTPConnection("127.0.0.1", urlsplit(api.url).port)
    try:
        connection.putrequest("GET", "/dev/")
        connection.putheader("tEsT-HEADeR", "v")
        connection.putheader("X-Dup", "one")
        connection.putheader("X-Dup", "two")
        connection.putheader("x_under", "1")
        connection.endheaders()
        event = json.loads(connection.getresponse().read())["event"]
    finally:
        connection.close()
    assert event["headers"]["tEsT-HEADeR"] == "v" and event["headers"]["x_under"] == "1"
    assert event["multiValueHeaders"]["X-Dup"] == ["one", "two"]
    assert not {"Connection", "Content-Length"} & set(event["headers"])
    assert event["headers"]["X-Forwarded-Proto"] == "http"


def test_stage_variables_reach_the_event(account, make):
    account.register("echo", ECHO)
    api = make("vars", {"GET /": "echo"}, stage="prod", stage_variables={"env": "prod"})
    assert api.url.endswith("/prod")
    assert _event(requests.get(api.url + "/"))["stageVariables"] == {"env": "prod"}


def test_request_bodies_are_base64_for_binary_media_types(account, make):
    account.register("echo", ECHO)
    api = make("binreq", {"POST /": "echo"}, binary_media_types=["image/png"])
    event = _event(requests.post(api.url + "/", data=PNG, headers={"Content-Type": "image/png"}))
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == PNG
    text = _event(requests.post(api.url + "/", data="hi", headers={"Content-Type": "text/plain"}))
    assert text["isBase64Encoded"] is False and text["body"] == "hi"


@pytest.mark.parametrize(
    ("value", "status", "body"),
    [
        ({"statusCode": 200}, 200, ""),
        ({"headers": {"x": "y"}}, 200, ""),
        ({"statusCode": "201", "body": "made"}, 201, "made"),
        ({"statusCode": "test"}, 502, '{"message":"Internal server error"}'),
        ({"statusCode": 200, "wrong": 1}, 502, '{"message":"Internal server error"}'),
        ({"statusCode": 200, "body": {"a": 1}}, 502, '{"message":"Internal server error"}'),
        ("justAString", 502, '{"message":"Internal server error"}'),
        (None, 502, '{"message":"Internal server error"}'),
        ({"multiValueHeaders": {"t": "not a list"}}, 502, '{"message":"Internal server error"}'),
    ],
)
def test_proxy_answers_map_as_aws_maps_them(raw_api, value, status, body):
    response = _answer(raw_api, value)
    assert response.status_code == status and response.text == body
    assert response.headers["Content-Type"] == "application/json"


def test_headers_merge_multi_values_first(raw_api):
    merged = _answer(raw_api, {"multiValueHeaders": {"tesT": ["m"]}, "headers": {"test": "s", "b": True}})
    assert merged.headers["test"] == "m, s" and merged.headers["b"] == "true"
    assert "tesT" in list(merged.raw.headers)  # the casing of the multi-value name
    cookies = _answer(raw_api, {"multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]}})
    assert cookies.raw.headers.getlist("Set-Cookie") == ["a=1", "b=2"]


def test_a_base64_answer_is_bytes_only_for_a_matching_first_accept(account, make):
    account.register(
        "img",
        "import base64\n"
        f"PNG = {PNG!r}\n"
        "def lambda_handler(event, context):\n"
        "    return {'statusCode': 200, 'headers': {'Content-Type': 'image/png'},\n"
        "            'body': base64.b64encode(PNG).decode(), 'isBase64Encoded': True}\n",
    )
    text = base64.b64encode(PNG)
    plain = make("noimg", {"GET /": "img"})
    assert requests.get(plain.url + "/", headers={"Accept": "image/png"}).content == text
    api = make("imgs", {"GET /": "img"}, binary_media_types=["image/png"])
    assert requests.get(api.url + "/", headers={"Accept": "image/png"}).content == PNG
    assert requests.get(api.url + "/", headers={"Accept": "image/png, text/html"}).content == PNG
    for accept in ("image/*", "*/*", "image/jpg", "text/html, image/png"):
        assert requests.get(api.url + "/", headers={"Accept": accept}).content == text, accept


def test_a_function_error_or_timeout_is_502(account, make):
    account.register("boom", "def lambda_handler(event, context):\n    raise ValueError('x')\n")
    account.register("late", "import time\ndef lambda_handler(event, context):\n    time.sleep(3)\n", timeout_s=1)
    api = make("errors", {"GET /boom": "boom", "GET /late": "late"})
    for path in ("/boom", "/late"):
        response = requests.get(api.url + path)
        assert response.status_code == 502 and response.json() == {"message": "Internal server error"}


def test_the_integration_timeout_is_504(account, make):
    account.register("slow", "import time\ndef lambda_handler(event, context):\n    time.sleep(1.5)\n", timeout_s=5)
    api = make("timeout", {"GET /": "slow"}, integration_timeout_s=0.5)
    response = requests.get(api.url + "/")
    assert response.status_code == 504 and response.json() == {"message": "Endpoint request timed out"}


def test_no_cors_headers_are_added(account, make):
    account.register("echo", ECHO)
    api = make("nocors", {"GET /": "echo"})
    response = requests.get(api.url + "/", headers={"Origin": "https://a.example"})
    assert response.status_code == 200 and "Access-Control-Allow-Origin" not in response.headers
    preflight = requests.options(
        api.url + "/", headers={"Origin": "https://a.example", "Access-Control-Request-Method": "GET"}
    )
    assert preflight.status_code == 403


def test_payload_limits(account, make):
    account.register("echo", ECHO)
    api = make("limits", {"POST /": "echo"}, payload_limit_bytes=100)
    response = requests.post(api.url + "/", data=b"x" * 101)
    assert response.status_code == 413 and response.text == "HTTP content length exceeded 100 bytes."
    assert "x-amzn-RequestId" not in response.headers
