"""API Gateway APIs configured through boto3 (the local cloud stores them) and served by the account."""

from __future__ import annotations

import pytest
import requests

from lambda_magic.common.errors import ResourceNotFoundException
from lambda_magic.endpoints.apigw_cloud import CloudApis
from lambda_magic.endpoints.lambda_api import LambdaAPI
from lambda_magic.sources.push import PushSources

ECHO = """
import json
def lambda_handler(event, context):
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(event)}
"""
TAGGED = """
def lambda_handler(event, context):
    return {"statusCode": 200, "body": "v2"}
"""


@pytest.fixture
def lambda_api(account):
    return LambdaAPI.of(account)


@pytest.fixture
def cloud_apis(account, lambda_api):
    push = PushSources.of(account, policy=lambda_api.policy, lambda_client=lambda_api.client)
    return CloudApis.of(account, allowed=push.allowed)


@pytest.fixture
def lam(lambda_api):
    return lambda_api.client()


@pytest.fixture
def v2(account, cloud_apis):
    return account.cloud.client("apigatewayv2")


@pytest.fixture
def v1(account, cloud_apis):
    return account.cloud.client("apigateway")


def _function(account, lam, name: str, code: str = ECHO) -> str:
    account.register(name, code)
    return lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]


def _allow(lam, name: str, source_arn: str) -> None:
    lam.add_permission(
        FunctionName=name,
        StatementId=f"apigw-{abs(hash(source_arn))}",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=source_arn,
    )


def _source(account, api_id: str) -> str:
    return f"arn:aws:execute-api:{account.settings.region}:{account.settings.account_id}:{api_id}/*"


def test_quick_create_serves_default_route_after_permission(account, lam, v2, cloud_apis):
    arn = _function(account, lam, "echo")
    api = v2.create_api(Name="quick", ProtocolType="HTTP", Target=arn)
    routes = v2.get_routes(ApiId=api["ApiId"])["Items"]
    assert [r["RouteKey"] for r in routes] == ["$default"]  # quick create made the route, as AWS does
    integration = v2.get_integrations(ApiId=api["ApiId"])["Items"][0]
    assert (integration["IntegrationType"], integration["PayloadFormatVersion"]) == ("AWS_PROXY", "2.0")
    assert v2.get_stages(ApiId=api["ApiId"])["Items"][0]["AutoDeploy"] is True
    url = cloud_apis.url(api["ApiId"])

    refused = requests.get(url + "/anything")
    assert (refused.status_code, refused.json()) == (500, {"message": "Internal Server Error"})
    assert list(account.invocation_records("echo")) == []  # API Gateway never invoked without the permission

    _allow(lam, "echo", _source(account, api["ApiId"]))
    response = requests.get(url + "/anything/here?x=1")
    assert response.status_code == 200, response.text
    event = response.json()
    assert event["version"] == "2.0"
    assert event["routeKey"] == "$default"
    assert event["rawPath"] == "/anything/here"
    assert event["queryStringParameters"] == {"x": "1"}
    assert event["requestContext"]["apiId"] == api["ApiId"]
    assert event["requestContext"]["stage"] == "$default"
    assert [i.trigger for i in list(account.invocation_records("echo"))] == ["apigateway:quick"]


def test_routes_and_integrations_take_effect_at_once_on_an_auto_deploy_stage(account, lam, v2, cloud_apis):
    arn = _function(account, lam, "items")
    api_id = v2.create_api(Name="items", ProtocolType="HTTP")["ApiId"]
    _allow(lam, "items", _source(account, api_id))
    integration = v2.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=arn, PayloadFormatVersion="2.0"
    )
    v2.create_route(ApiId=api_id, RouteKey="GET /items/{id}", Target=f"integrations/{integration['IntegrationId']}")
    v2.create_stage(ApiId=api_id, StageName="dev", AutoDeploy=True, StageVariables={"color": "blue"})
    url = cloud_apis.url(api_id, "dev")
    assert url.endswith("/dev")

    event = requests.get(url + "/items/42").json()
    assert event["routeKey"] == "GET /items/{id}"
    assert event["pathParameters"] == {"id": "42"}
    assert event["stageVariables"] == {"color": "blue"}
    assert requests.post(url + "/items").status_code == 404

    v2.create_route(ApiId=api_id, RouteKey="POST /items", Target=f"integrations/{integration['IntegrationId']}")
    assert (
        requests.post(url + "/items", data="hi", headers={"content-type": "text/plain"}).json()["body"] == "hi"
    )  # no deployment needed

    v2.delete_api(ApiId=api_id)
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/items/42", timeout=5)
    with pytest.raises(ResourceNotFoundException):
        cloud_apis.url(api_id, "dev")


def test_rest_api_serves_a_deployment_until_the_next_one(account, lam, v1, cloud_apis):
    arn = _function(account, lam, "rest_echo")
    region = account.settings.region
    uri = f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations"
    api_id = v1.create_rest_api(name="shop")["id"]
    root = next(r["id"] for r in v1.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
    items = v1.create_resource(restApiId=api_id, parentId=root, pathPart="items")["id"]
    item = v1.create_resource(restApiId=api_id, parentId=items, pathPart="{id}")["id"]
    v1.put_method(restApiId=api_id, resourceId=item, httpMethod="GET", authorizationType="NONE")
    v1.put_integration(
        restApiId=api_id, resourceId=item, httpMethod="GET", type="AWS_PROXY", integrationHttpMethod="POST", uri=uri
    )
    v1.create_deployment(restApiId=api_id, stageName="prod")
    url = cloud_apis.url(api_id, "prod")
    assert url.endswith("/prod")

    refused = requests.get(url + "/items/7")
    assert (refused.status_code, refused.json()) == (500, {"message": "Internal server error"})
    _allow(lam, "rest_echo", _source(account, api_id))

    response = requests.get(url + "/items/7")
    assert response.status_code == 200, response.text
    event = response.json()
    assert event["resource"] == "/items/{id}"
    assert event["path"] == "/items/7"
    assert event["pathParameters"] == {"id": "7"}
    assert event["requestContext"]["stage"] == "prod"
    assert event["requestContext"]["apiId"] == api_id
    assert "x-amzn-RequestId" in response.headers

    v1.put_method(restApiId=api_id, resourceId=items, httpMethod="POST", authorizationType="NONE")
    v1.put_integration(
        restApiId=api_id, resourceId=items, httpMethod="POST", type="AWS_PROXY", integrationHttpMethod="POST", uri=uri
    )
    missing = requests.post(url + "/items")
    assert (missing.status_code, missing.json()) == (403, {"message": "Missing Authentication Token"})
    v1.create_deployment(restApiId=api_id, stageName="prod")  # now the new method is live
    assert requests.post(url + "/items", data="x", headers={"content-type": "text/plain"}).json()["body"] == "x"


def test_a_stage_without_a_deployment_says_why(account, v2, cloud_apis):
    api_id = v2.create_api(Name="manual", ProtocolType="HTTP")["ApiId"]
    v2.create_stage(ApiId=api_id, StageName="dev")
    with pytest.raises(ResourceNotFoundException, match="AutoDeploy"):
        cloud_apis.url(api_id, "dev")
