"""An HTTP API's access log on AWS: the log group and stage settings made (moto), and the lines
API Gateway delivers read back as ``api.requests()``.

moto stores the stage's AccessLogSettings but delivers no access log: the tests put the lines
API Gateway would write (the stage's format, filled in) into the log group themselves.
"""

from __future__ import annotations

import json
import time

import pytest

from lambda_magic.aws import access_log
from lambda_magic.common.errors import LambdaMagicError

from .helpers import HANDLER, ROLE_ARN


def _delivered(values: dict[str, str]) -> str:
    """The line API Gateway writes for one request: the stage's format with its ``$context`` values."""
    line = json.loads(access_log.FORMAT)
    return json.dumps({key: values.get(key, "-") for key in line})


def test_a_line_becomes_a_row_and_missing_values_are_none():
    targets = {"GET /items/{id}": "items"}
    line = _delivered(
        {
            "request_id": "JkG3ahiFoAMEPzw=",
            "time_ms": "1796416475032",
            "method": "GET",
            "path": "/items/42",
            "route": "GET /items/{id}",
            "status": "200",
            "latency_ms": "23",
            "integration_latency_ms": "21",
            "function_request_id": "5d1b1f2e-0c2a-4a4e-9a8e-9c7f4d1e2b3a",
        }
    )
    assert access_log.parse_line(line, targets) == {
        "time": 1796416475.032,
        "method": "GET",
        "path": "/items/42",
        "route": "GET /items/{id}",
        "status": 200,
        "latency_ms": 23.0,
        "integration_latency_ms": 21.0,
        "request_id": "JkG3ahiFoAMEPzw=",
        "function": "items",
        "function_request_id": "5d1b1f2e-0c2a-4a4e-9a8e-9c7f4d1e2b3a",
    }
    unmatched = access_log.parse_line(_delivered({"request_id": "x", "status": "404", "path": "/nope"}), targets)
    assert (unmatched["status"], unmatched["route"], unmatched["function"]) == (404, None, None)
    assert unmatched["integration_latency_ms"] is None and unmatched["function_request_id"] is None
    assert access_log.parse_line("not json", targets) is None
    assert access_log.parse_line('{"other": 1}', targets) is None


def test_the_format_names_the_request_id_as_aws_requires():
    assert "$context.requestId" in access_log.FORMAT
    assert "\n" not in access_log.FORMAT  # a single line


def _put(logs, group: str, messages: list[str]) -> None:
    logs.create_log_stream(logGroupName=group, logStreamName="delivery")
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName=group,
        logStreamName="delivery",
        logEvents=[{"timestamp": now + i, "message": m} for i, m in enumerate(messages)],
    )


def test_the_stage_writes_to_a_log_group_that_requests_reads_and_delete_removes(aws):
    aws.register("items", HANDLER)
    api = aws.http_api("shop", {"GET /items/{id}": "items", "POST /items": "items"}, stage="dev")
    group = access_log.log_group(api.api_id)
    logs = aws.client("logs")
    assert [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]] == [group]
    stage = aws.client("apigatewayv2").get_stage(ApiId=api.api_id, StageName="dev")
    assert stage["AccessLogSettings"] == {
        "DestinationArn": f"arn:aws:logs:{aws.region}:{aws.account_id}:log-group:{group}",
        "Format": access_log.FORMAT,
    }
    assert api.requests() == []  # nothing delivered yet
    _put(
        logs,
        group,
        [
            _delivered({"request_id": "a", "method": "GET", "route": "GET /items/{id}", "status": "200"}),
            _delivered({"request_id": "b", "method": "POST", "route": "POST /items", "status": "502"}),
        ],
    )
    rows = api.requests()
    assert [(r["request_id"], r["status"], r["function"]) for r in rows] == [("a", 200, "items"), ("b", 502, "items")]
    assert api.routes() == [
        {"route": "GET /items/{id}", "function": "items", "authorizer": None},
        {"route": "POST /items", "function": "items", "authorizer": None},
    ]
    aws.delete_function("items")
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"] == []


def test_a_failed_stage_takes_back_the_log_group(aws):
    aws.register("items", HANDLER)
    apigw = aws.client("apigatewayv2")

    def refuse(**kwargs):
        return (
            type("R", (), {"status_code": 400, "headers": {}})(),
            {"Error": {"Code": "BadRequestException", "Message": "Invalid stage"}},
        )

    apigw.meta.events.register("before-call.apigatewayv2.CreateStage", refuse)
    with pytest.raises(LambdaMagicError, match="BadRequestException: Invalid stage"):
        aws.http_api("broken", {"GET /": "items"})
    assert aws.client("logs").describe_log_groups(logGroupNamePrefix="/aws/vendedlogs/apigateway/")["logGroups"] == []
    assert [a["Name"] for a in apigw.get_apis()["Items"] if a["Name"] == "broken"] == []


def test_lm_http_api_on_aws_is_the_same_panel_and_frame_as_locally(aws, moto, region, module_backend):
    import lambda_magic as lm

    lm.use_backend("aws", endpoint_url=moto, region=region, role=ROLE_ARN)
    lm.register("items", HANDLER)
    api = lm.http_api("store", {"GET /items/{id}": "items"})
    assert api.kind == "HTTP API" and api.url.startswith("https://") and "GET /items/{id}" in api._repr_html_()
    _put(
        lm.client("logs"),
        access_log.log_group(api.api_id),
        [_delivered({"request_id": "r1", "time_ms": "1796416475032", "route": "GET /items/{id}", "status": "200"})],
    )
    frame = api.requests()
    assert list(frame.columns) == [
        "time",
        "method",
        "path",
        "route",
        "status",
        "latency_ms",
        "integration_latency_ms",
        "request_id",
        "function",
        "function_request_id",
    ]
    assert (frame["request_id"].tolist(), frame["function"].tolist()) == (["r1"], ["items"])
    assert str(frame["time"].iloc[0].round("ms")) == "2026-12-04 20:34:35.032000+00:00"
    lm.delete("items")
