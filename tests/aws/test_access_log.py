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


def _delivered(values: dict[str, str], line_format: str = access_log.FORMAT) -> str:
    """The line API Gateway writes for one request: the stage's format with its ``$context`` values."""
    line = json.loads(line_format)
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


# --- REST APIs ---------------------------------------------------------------------------------


def _rest_delivered(values: dict[str, str]) -> str:
    """The line a REST API's stage writes for one request (its format, filled in)."""
    return _delivered(values, access_log.REST_FORMAT)


def test_a_rest_api_line_names_its_route_by_method_and_resource():
    assert "$context.resourcePath" in access_log.REST_FORMAT and "routeKey" not in access_log.REST_FORMAT
    targets = {"GET /items/{id}": "items", "ANY /{proxy+}": "fallback"}
    exact = access_log.parse_line(
        _rest_delivered(
            {
                "request_id": "a",
                "method": "GET",
                "resource_path": "/items/{id}",
                "path": "/dev/items/42",
                "status": "200",
            }
        ),
        targets,
    )
    assert (exact["route"], exact["function"], exact["path"], exact["status"]) == (
        "GET /items/{id}",
        "items",
        "/dev/items/42",
        200,
    )
    proxied = access_log.parse_line(
        _rest_delivered({"request_id": "b", "method": "DELETE", "resource_path": "/{proxy+}"}), targets
    )
    assert (proxied["route"], proxied["function"]) == ("ANY /{proxy+}", "fallback")
    unknown = access_log.parse_line(_rest_delivered({"request_id": "c", "method": "GET", "status": "403"}), targets)
    assert (unknown["route"], unknown["function"], unknown["status"]) == (None, None, 403)


def _logging_account(moto, region, **kw):
    from lambda_magic.aws.guard import CallGuard

    from .helpers import make_account

    return make_account(moto, region=region, guard=CallGuard(None), **kw)


def test_with_create_role_a_rest_api_stage_gets_an_access_log_and_the_region_a_logging_role(moto, region):
    aws = _logging_account(moto, region, create_role=True)
    aws.register("items", HANDLER)
    apigateway = aws.client("apigateway")
    assert not apigateway.get_account().get("cloudwatchRoleArn")
    api = aws.rest_api("shop", {"GET /items/{id}": "items", "ANY /{proxy+}": "items"}, stage="prod")
    iam = aws.client("iam")
    role = iam.get_role(RoleName="lambda-magic-apigateway-logs")["Role"]
    assert apigateway.get_account()["cloudwatchRoleArn"] == role["Arn"]
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    assert trust["Statement"][0]["Principal"] == {"Service": "apigateway.amazonaws.com"}
    attached = iam.list_attached_role_policies(RoleName="lambda-magic-apigateway-logs")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AmazonAPIGatewayPushToCloudWatchLogs"]
    group = access_log.log_group(api.api_id)
    stage = apigateway.get_stage(restApiId=api.api_id, stageName="prod")
    assert stage["accessLogSettings"] == {
        "destinationArn": f"arn:aws:logs:{aws.region}:{aws.account_id}:log-group:{group}",
        "format": access_log.REST_FORMAT,
    }
    assert api.requests() == []
    logs = aws.client("logs")
    _put(
        logs,
        group,
        [
            _rest_delivered({"request_id": "a", "method": "GET", "resource_path": "/items/{id}", "status": "200"}),
            _rest_delivered({"request_id": "b", "method": "PUT", "resource_path": "/{proxy+}", "status": "502"}),
        ],
    )
    rows = api.requests()
    assert [(r["request_id"], r["route"], r["status"], r["function"]) for r in rows] == [
        ("a", "GET /items/{id}", 200, "items"),
        ("b", "ANY /{proxy+}", 502, "items"),
    ]
    assert api.routes() == [
        {"route": "GET /items/{id}", "function": "items", "authorizer": None},
        {"route": "ANY /{proxy+}", "function": "items", "authorizer": None},
    ]
    aws.delete_function("items")
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"] == []


def test_a_logging_role_the_region_has_already_is_kept(moto, region):
    aws = _logging_account(moto, region, create_role=True)
    aws.register("items", HANDLER)
    theirs = "arn:aws:iam::123456789012:role/their-apigateway-logs"
    apigateway = aws.client("apigateway")
    apigateway.update_account(patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": theirs}])
    calls: list[str] = []
    aws.client("iam").meta.events.register("before-call.iam.*", lambda model, **_: calls.append(model.name))
    api = aws.rest_api("shop", {"GET /": "items"})
    assert apigateway.get_account()["cloudwatchRoleArn"] == theirs
    assert calls == []  # no role looked up or made
    assert apigateway.get_stage(restApiId=api.api_id, stageName="dev")["accessLogSettings"]["format"] == (
        access_log.REST_FORMAT
    )


def test_without_a_logging_role_the_rest_api_is_made_and_requests_says_why_it_has_no_log(aws):
    aws.register("items", HANDLER)
    api = aws.rest_api("shop", {"GET /": "items"})
    stage = aws.client("apigateway").get_stage(restApiId=api.api_id, stageName="dev")
    assert not stage.get("accessLogSettings")
    assert (
        aws.client("logs").describe_log_groups(logGroupNamePrefix=access_log.log_group(api.api_id))["logGroups"] == []
    )
    with pytest.raises(LambdaMagicError, match=r"writes no access log: .*cloudwatchRoleArn.*create_role=True"):
        api.requests()
    assert not aws.client("apigateway").get_account().get("cloudwatchRoleArn")  # nothing account-wide changed


def test_update_account_is_retried_while_the_new_role_propagates(moto, region):
    aws = _logging_account(moto, region, create_role=True)
    aws.register("items", HANDLER)
    apigateway = aws.client("apigateway")
    refusals = [1, 1]  # IAM propagation: API Gateway cannot assume the role for a moment

    def not_yet(**kwargs):
        if refusals:
            refusals.pop()
            message = "The role ARN does not have required permissions set to API Gateway"
            return type("R", (), {"status_code": 400, "headers": {}})(), {
                "Error": {"Code": "BadRequestException", "Message": message}
            }
        return None

    apigateway.meta.events.register("before-call.api-gateway.UpdateAccount", not_yet)
    aws.rest_api("shop", {"GET /": "items"})
    assert refusals == [] and apigateway.get_account()["cloudwatchRoleArn"].endswith("/lambda-magic-apigateway-logs")


def test_lm_rest_api_on_aws_is_the_same_panel_and_frame_as_locally(moto, region, module_backend):
    import lambda_magic as lm

    lm.use_backend("aws", endpoint_url=moto, region=region, role=ROLE_ARN, create_role=True)
    lm.register("items", HANDLER)
    api = lm.rest_api("store", {"GET /items/{id}": "items"}, stage="dev")
    assert api.kind == "REST API" and api.url.endswith("/dev") and "GET /items/{id}" in api._repr_html_()
    _put(
        lm.client("logs"),
        access_log.log_group(api.api_id),
        [_rest_delivered({"request_id": "r1", "method": "GET", "resource_path": "/items/{id}", "status": "200"})],
    )
    frame = api.requests()
    assert (frame["request_id"].tolist(), frame["function"].tolist(), frame["status"].tolist()) == (
        ["r1"],
        ["items"],
        [200],
    )
    lm.delete("items")
