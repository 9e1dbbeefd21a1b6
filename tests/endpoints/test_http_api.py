"""HTTP APIs (payload 2.0) over real HTTP: routing, events, answers, limits, CORS, Mangum + FastAPI, Powertools."""

from __future__ import annotations

import base64
import http.client
import json
import re
import threading
from urllib.parse import urlsplit

import pytest
import requests

from lambda_magic.common.errors import InvalidParameterValueException
from lambda_magic.display.apis import ApiView
from lambda_magic.endpoints.apigw import ApiGateway
from lambda_magic.endpoints.apigw_http import HttpApi

ECHO = """
def lambda_handler(event, context):
    return {"statusCode": 200, "body": __import__("json").dumps({"event": event, "request_id": context.aws_request_id})}
"""

RAW = """
import json
def lambda_handler(event, context):
    return json.loads(event["body"])
"""


@pytest.fixture
def make(account):
    gateway = ApiGateway.of(account)

    def build(name: str, routes, **settings) -> HttpApi:
        return gateway.put(lambda port: HttpApi(gateway, name, routes, port=port, **settings), name)

    return build


def _event(response: requests.Response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()["event"]


def test_routes_follow_aws_precedence(account, make):
    for name in ("exact", "var", "pets", "anyproxy", "fallback"):
        account.register(name, ECHO)
    api = make(
        "pets",
        {
            "GET /pets/dog/1": "exact",
            "GET /pets/dog/{id}": "var",
            "GET /pets/{proxy+}": "pets",
            "ANY /{proxy+}": "anyproxy",
            "$default": "fallback",
        },
    )
    cases = {
        ("GET", "/pets/dog/1"): ("GET /pets/dog/1", None),
        ("GET", "/pets/dog/2"): ("GET /pets/dog/{id}", {"id": "2"}),
        ("GET", "/pets/cat/1"): ("GET /pets/{proxy+}", {"proxy": "cat/1"}),
        ("POST", "/test/5"): ("ANY /{proxy+}", {"proxy": "test/5"}),
        ("GET", "/"): ("$default", None),
    }
    for (method, path), (route_key, params) in cases.items():
        event = _event(requests.request(method, api.url + path))
        assert event["routeKey"] == route_key and event["requestContext"]["routeKey"] == route_key
        assert event.get("pathParameters") == params
    assert [r["route"] for r in api.requests()] == [k for k, _ in cases.values()]


def test_an_unknown_route_is_404_not_found(account, make):
    account.register("echo", ECHO)
    api = make("small", {"GET /items": "echo"})
    for method, path in (("GET", "/nope"), ("POST", "/items")):
        response = requests.request(method, api.url + path)
        assert response.status_code == 404 and response.json() == {"message": "Not Found"}
    assert len(account.invocation_records("echo")) == 0


def test_the_event_is_payload_2(account, make):
    account.register("echo", ECHO)
    api = make("ev", {"POST /items/{id}": "echo"}, stage_variables={"env": "dev"})
    response = requests.post(
        api.url + "/items/a%20b?q=a+b&q=c%2Bd",
        data='{"x": 1}',
        headers={"Content-Type": "application/json", "Cookie": "a=1; b=2", "X-Custom": "v"},
    )
    event = _event(response)
    assert event["version"] == "2.0" and event["rawPath"] == "/items/a%20b"
    assert event["rawQueryString"] == "q=a+b&q=c%2Bd" and event["queryStringParameters"] == {"q": "a b,c+d"}
    assert event["pathParameters"] == {"id": "a b"} and event["stageVariables"] == {"env": "dev"}
    assert event["cookies"] == ["a=1", "b=2"] and "cookie" not in event["headers"]
    assert event["headers"]["x-custom"] == "v" and event["headers"]["x-forwarded-for"] == "127.0.0.1"
    assert event["body"] == '{"x": 1}' and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["apiId"] == api.api_id and context["domainName"].startswith(api.api_id + ".execute-api.")
    assert context["stage"] == "$default" and context["accountId"] == account.settings.account_id
    assert context["http"]["method"] == "POST" and context["http"]["sourceIp"] == "127.0.0.1"
    assert re.fullmatch(r"\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000", context["time"])
    assert len(str(context["timeEpoch"])) == 13
    assert response.headers["apigw-requestid"] == context["requestId"]
    record = account.invocation_records("echo")[-1]
    assert record.trigger == "apigateway:ev" and record.invocation_type == "RequestResponse"
    row = api.requests()[-1]
    assert row["function_request_id"] == record.request_id == response.json()["request_id"]
    assert row["request_id"] == context["requestId"] and row["status"] == 200


def test_repeated_headers_are_joined_and_ids_are_fresh(account, make):
    account.register("echo", ECHO)
    api = make("dup", {"GET /": "echo"})
    connection = http.client.HTTPConnection("127.0.0.1", urlsplit(api.url).port)
    try:
        events = []
        for _ in range(2):  # one kept-alive connection
            connection.putrequest("GET", "/")
            connection.putheader("X-Mixed", "a")
            connection.putheader("X-Mixed", "b")
            connection.endheaders()
            answer = connection.getresponse()
            events.append(json.loads(answer.read())["event"])
        assert events[0]["headers"]["x-mixed"] == "a,b"
        assert events[0]["requestContext"]["requestId"] != events[1]["requestContext"]["requestId"]
    finally:
        connection.close()


def test_bodies_are_base64_unless_text(account, make):
    account.register("echo", ECHO)
    api = make("bin", {"POST /": "echo"})
    for content_type, encoded in (
        ("application/json", False),
        ("text/plain", False),
        ("application/octet-stream", True),
        ("application/x-www-form-urlencoded", True),
        (None, True),
    ):
        headers = {"Content-Type": content_type} if content_type else {}
        event = _event(requests.post(api.url + "/", data=b"a=1", headers=headers))
        assert event["isBase64Encoded"] is encoded
        assert (base64.b64decode(event["body"]) if encoded else event["body"].encode()) == b"a=1"
    assert "body" not in _event(requests.post(api.url + "/"))


def test_a_named_stage_stays_in_the_path(account, make):
    account.register("echo", ECHO)
    api = make("staged", {"GET /items": "echo"}, stage="dev")
    assert api.url.endswith("/dev")
    event = _event(requests.get(api.url + "/items"))
    assert event["rawPath"] == "/dev/items" and event["requestContext"]["stage"] == "dev"
    assert requests.get(api.url.rsplit("/", 1)[0] + "/items").status_code == 404


def test_answers_are_inferred_and_decoded(account, make):
    account.register("raw", RAW)
    api = make("answers", {"POST /": "raw"})

    def answer(value):
        return requests.post(api.url + "/", json=value)

    hello = answer("hello")
    assert hello.status_code == 200 and hello.text == "hello" and hello.headers["content-type"] == "application/json"
    assert answer({"a": 1}).json() == {"a": 1}
    created = answer({"a": 1, "statusCode": 201})
    assert created.status_code == 201 and created.text == ""
    cookies = answer({"statusCode": 200, "cookies": ["a=1", "b=2"], "body": "x"})
    assert cookies.raw.headers.getlist("Set-Cookie") == ["a=1", "b=2"]
    png = base64.b64encode(b"\x89PNG\x00\xff").decode()
    binary = answer({"statusCode": 200, "body": png, "isBase64Encoded": True, "headers": {"content-type": "image/png"}})
    assert binary.content == b"\x89PNG\x00\xff"


def test_a_function_error_is_500(account, make):
    account.register("boom", "def lambda_handler(event, context):\n    raise RuntimeError('x')\n")
    api = make("boom", {"GET /": "boom"})
    response = requests.get(api.url + "/")
    assert response.status_code == 500 and response.json() == {"message": "Internal Server Error"}


def test_the_integration_timeout_is_503_and_the_function_finishes(account, make):
    account.register(
        "slow",
        "import time\ndef lambda_handler(event, context):\n    time.sleep(1.5)\n    print('done')\n",
        timeout_s=5,
    )
    api = make("slow", {"GET /": "slow"}, integration_timeout_s=0.5)
    response = requests.get(api.url + "/")
    assert response.status_code == 503 and response.json() == {"message": "Service Unavailable"}
    account.wait(timeout=10)
    deadline = __import__("time").monotonic() + 10
    while not account.invocation_records("slow") and __import__("time").monotonic() < deadline:
        __import__("time").sleep(0.05)
    record = account.invocation_records("slow")[-1]
    assert record.status == "success" and any("done" in line for line in record.log_lines)


def test_payload_limits_give_413(account, make):
    account.register("echo", ECHO)
    api = make("big", {"POST /": "echo"}, payload_limit_bytes=1000)
    response = requests.post(api.url + "/", data=b"x" * 1001)
    assert response.status_code == 413 and response.text == "HTTP content length exceeded 1000 bytes."
    assert requests.post(api.url + "/", data=b"x" * 999).status_code == 200


def test_cors_preflight_and_headers(account, make):
    account.register(
        "star",
        "def lambda_handler(event, context):\n"
        "    return {'statusCode': 200, 'headers': {'Access-Control-Allow-Origin': '*'}, 'body': 'ok'}\n",
    )
    api = make(
        "cors",
        {"GET /x": "star"},
        cors={"allowOrigins": ["https://a.example"], "allowMethods": ["GET"], "allowHeaders": ["x-token"]},
    )
    preflight = requests.options(
        api.url + "/x", headers={"Origin": "https://a.example", "Access-Control-Request-Method": "GET"}
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "https://a.example"
    assert preflight.headers["access-control-allow-headers"] == "x-token"
    assert len(account.invocation_records("star")) == 0
    allowed = requests.get(api.url + "/x", headers={"Origin": "https://a.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://a.example"
    other = requests.get(api.url + "/x", headers={"Origin": "https://b.example"})
    assert "access-control-allow-origin" not in other.headers


def test_concurrent_requests_get_distinct_ids(account, make):
    account.register("echo", ECHO)
    api = make("par", {"GET /": "echo"})
    seen: list[tuple[str, str]] = []

    def call():
        body = requests.get(api.url + "/").json()
        seen.append((body["event"]["requestContext"]["requestId"], body["request_id"]))

    threads = [threading.Thread(target=call) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({a for a, _ in seen}) == 5 and len({b for _, b in seen}) == 5


def test_bad_declarations_are_one_clear_line(account, make):
    with pytest.raises(InvalidParameterValueException, match="greedy variable must be the last"):
        make("bad", {"GET /{proxy+}/x": "f"})
    with pytest.raises(InvalidParameterValueException, match="METHOD /path"):
        make("bad", {"FETCH /x": "f"})
    with pytest.raises(InvalidParameterValueException, match="no authorizer 'auth'"):
        make("bad", {"GET /x": {"function": "f", "authorizer": "auth"}})


def test_the_view_shows_the_access_log(account, make):
    account.register("echo", ECHO)
    view = ApiView(make("view", {"GET /a": "echo"}))
    requests.get(view.url + "/a")
    requests.get(view.url + "/b")
    frame = view.requests()
    assert list(frame["status"]) == [200, 404] and list(frame["path"]) == ["/a", "/b"]
    assert {"latency_ms", "integration_latency_ms", "request_id", "function_request_id"} <= set(frame.columns)
    assert "GET /a" in repr(view) and view.url in view._repr_html_()


MANGUM = """
from fastapi import FastAPI, Request
from mangum import Mangum

app = FastAPI()

@app.get("/items/{item_id}")
def read_item(item_id: int, q: str | None = None):
    return {"item_id": item_id, "q": q}

@app.post("/items")
async def create(request: Request):
    return {"got": await request.json()}

handler = Mangum(app, lifespan="off")
"""

POWERTOOLS = """
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

app = APIGatewayHttpResolver()

@app.get("/hello/<name>")
def hello(name):
    return {"hello": name, "agent": app.current_event.request_context.http.user_agent}

def lambda_handler(event, context):
    return app.resolve(event, context)
"""


def test_fastapi_behind_mangum_runs_unchanged(account, make):
    account.register("fast", MANGUM, handler="lambda_function.handler", timeout_s=30)
    api = make("fast", {"ANY /{proxy+}": "fast"})
    got = requests.get(api.url + "/items/42?q=hi")
    assert got.status_code == 200 and got.json() == {"item_id": 42, "q": "hi"}
    posted = requests.post(api.url + "/items", json={"a": [1, 2]})
    assert posted.json() == {"got": {"a": [1, 2]}}
    assert requests.get(api.url + "/items/notanint").status_code == 422


def test_powertools_http_resolver_runs_unchanged(account, make):
    account.register("pt", POWERTOOLS, timeout_s=30)
    api = make("pt", {"GET /hello/{name}": "pt"})
    response = requests.get(api.url + "/hello/ada", headers={"User-Agent": "notebook"})
    assert response.status_code == 200 and response.json() == {"hello": "ada", "agent": "notebook"}
