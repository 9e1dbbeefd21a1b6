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
    second = v1.create_deployment(restApiId=api_id, stageName="prod")  # now the new method is live
    assert requests.post(url + "/items", data="x", headers={"content-type": "text/plain"}).json()["body"] == "x"

    first = next(d["id"] for d in v1.get_deployments(restApiId=api_id)["items"] if d["id"] != second["id"])
    v1.update_stage(
        restApiId=api_id,
        stageName="prod",
        patchOperations=[{"op": "replace", "path": "/deploymentId", "value": first}],
    )
    assert requests.post(url + "/items").status_code == 403  # back to the first deployment: no POST /items
    assert cloud_apis.url(api_id, "prod") == url  # same address


def test_a_stage_without_a_deployment_says_why(account, v2, cloud_apis):
    api_id = v2.create_api(Name="manual", ProtocolType="HTTP")["ApiId"]
    v2.create_stage(ApiId=api_id, StageName="dev")
    with pytest.raises(ResourceNotFoundException, match="AutoDeploy"):
        cloud_apis.url(api_id, "dev")


GATE = """
def lambda_handler(event, context):
    return {"isAuthorized": event["headers"].get("authorization") == "letmein", "context": {"who": "student"}}
"""
TOKEN_GATE = """
def lambda_handler(event, context):
    effect = "Allow" if event["authorizationToken"] == "letmein" else "Deny"
    return {"principalId": "student", "policyDocument": {"Version": "2012-10-17", "Statement": [
        {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}]}}
"""


def test_http_api_lambda_authorizer_made_through_boto3(account, lam, v2, cloud_apis):
    arn = _function(account, lam, "echo")
    gate = _function(account, lam, "gate", GATE)
    region = account.settings.region
    api_id = v2.create_api(Name="guarded", ProtocolType="HTTP", Target=arn)["ApiId"]
    _allow(lam, "echo", _source(account, api_id))
    authorizer = v2.create_authorizer(
        ApiId=api_id,
        Name="gate",
        AuthorizerType="REQUEST",
        AuthorizerUri=f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{gate}/invocations",
        IdentitySource=["$request.header.Authorization"],
        AuthorizerPayloadFormatVersion="2.0",
        EnableSimpleResponses=True,
    )
    route = v2.get_routes(ApiId=api_id)["Items"][0]
    v2.update_route(
        ApiId=api_id, RouteId=route["RouteId"], AuthorizationType="CUSTOM", AuthorizerId=authorizer["AuthorizerId"]
    )
    url = cloud_apis.url(api_id)
    assert requests.get(url + "/x").status_code == 401  # no identity: the authorizer is not called
    assert requests.get(url + "/x", headers={"Authorization": "nope"}).status_code == 403
    event = requests.get(url + "/x", headers={"Authorization": "letmein"}).json()
    assert event["requestContext"]["authorizer"]["lambda"] == {"who": "student"}


def test_rest_api_token_authorizer_made_through_boto3(account, lam, v1, cloud_apis):
    arn = _function(account, lam, "rest_echo")
    gate = _function(account, lam, "token_gate", TOKEN_GATE)
    region = account.settings.region
    invocations = "arn:aws:apigateway:{}:lambda:path/2015-03-31/functions/{}/invocations"
    api_id = v1.create_rest_api(name="guarded")["id"]
    root = v1.get_resources(restApiId=api_id)["items"][0]["id"]
    authorizer = v1.create_authorizer(
        restApiId=api_id,
        name="token",
        type="TOKEN",
        authorizerUri=invocations.format(region, gate),
        identitySource="method.request.header.Authorization",
    )
    v1.put_method(
        restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="CUSTOM", authorizerId=authorizer["id"]
    )
    v1.put_integration(
        restApiId=api_id,
        resourceId=root,
        httpMethod="GET",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=invocations.format(region, arn),
    )
    v1.create_deployment(restApiId=api_id, stageName="dev")
    _allow(lam, "rest_echo", _source(account, api_id))
    url = cloud_apis.url(api_id, "dev")
    assert requests.get(url + "/").status_code == 401
    assert requests.get(url + "/", headers={"Authorization": "nope"}).status_code == 403
    event = requests.get(url + "/", headers={"Authorization": "letmein"}).json()
    assert event["requestContext"]["authorizer"]["principalId"] == "student"


def test_create_authorizer_refuses_a_caching_request_authorizer_without_identity_sources(account, lam, v1, v2):
    """API Gateway's BadRequestException: the identity sources are a caching authorizer's cache key."""
    import botocore.exceptions

    gate = _function(account, lam, "gate", GATE)
    uri = f"arn:aws:apigateway:{account.settings.region}:lambda:path/2015-03-31/functions/{gate}/invocations"
    http_id = v2.create_api(Name="h", ProtocolType="HTTP")["ApiId"]
    with pytest.raises(botocore.exceptions.ClientError, match="Identity source must be set") as refused:
        v2.create_authorizer(
            ApiId=http_id,
            Name="gate",
            AuthorizerType="REQUEST",
            AuthorizerUri=uri,
            IdentitySource=[],
            AuthorizerResultTtlInSeconds=300,
            AuthorizerPayloadFormatVersion="2.0",
        )
    assert refused.value.response["Error"]["Code"] == "BadRequestException"
    rest_id = v1.create_rest_api(name="r")["id"]
    with pytest.raises(botocore.exceptions.ClientError, match="Identity source must be set"):
        v1.create_authorizer(restApiId=rest_id, name="gate", type="REQUEST", authorizerUri=uri)  # caches 300 s
    uncached = v1.create_authorizer(
        restApiId=rest_id, name="gate", type="REQUEST", authorizerUri=uri, authorizerResultTtlInSeconds=0
    )
    assert [a["id"] for a in v1.get_authorizers(restApiId=rest_id)["items"]] == [uncached["id"]]
