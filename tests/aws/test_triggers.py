"""Triggers wired as AWS wires them (moto server), and removed by delete."""

from __future__ import annotations

import json

from .helpers import HANDLER, make_account


def test_an_sqs_mapping_is_created_and_delete_removes_it(aws):
    aws.register("worker", HANDLER)
    sqs = aws.client("sqs")
    sqs.create_queue(QueueName="jobs")
    arn = aws.source_arn("sqs", "jobs")
    mapping = aws.create_event_source_mapping("worker", arn, batch_size=5)
    lam = aws.client("lambda")
    listed = lam.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"]
    assert [(m["UUID"], m["EventSourceArn"], m["BatchSize"]) for m in listed] == [(mapping.uuid, arn, 5)]
    removed = aws.delete_function("worker")
    assert removed == [f"event source mapping {mapping.uuid}", "function worker"]
    assert lam.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"] == []


def test_create_role_gives_the_role_the_queue_policy(moto, region):
    account = make_account(moto, region=region, role=None, create_role=True)
    account.register("worker", HANDLER)
    account.client("sqs").create_queue(QueueName="jobs")
    account.add_trigger("worker", "sqs:jobs")
    attached = account.client("iam").list_attached_role_policies(RoleName="lambda-magic-execution")
    assert "AWSLambdaSQSQueueExecutionRole" in [p["PolicyName"] for p in attached["AttachedPolicies"]]


def test_s3_permission_first_then_merged_notification(aws):
    aws.register("thumbs", HANDLER)
    s3 = aws.client("s3")
    kw = {} if aws.region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": aws.region}}
    s3.create_bucket(Bucket=f"photos-{aws.region}", **kw)
    bucket = f"photos-{aws.region}"
    other = {"QueueConfigurations": []}
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=other)
    order = []
    aws.client("lambda").meta.events.register(
        "before-call.lambda.AddPermission", lambda **kw: order.append("permission")
    )
    s3.meta.events.register("before-call.s3.PutBucketNotificationConfiguration", lambda **kw: order.append("notify"))
    made = aws.add_trigger("thumbs", f"s3:{bucket}", events=["s3:ObjectCreated:*"], prefix="in/")
    assert order == ["permission", "notify"]
    config = s3.get_bucket_notification_configuration(Bucket=bucket)["LambdaFunctionConfigurations"]
    assert [c["LambdaFunctionArn"] for c in config] == [aws.function_arn("thumbs")]
    policy = json.loads(aws.client("lambda").get_policy(FunctionName="thumbs")["Policy"])
    assert policy["Statement"][0]["Principal"] == {"Service": "s3.amazonaws.com"}
    assert made.made[1].startswith("s3 notification")
    aws.delete_function("thumbs")
    assert "LambdaFunctionConfigurations" not in s3.get_bucket_notification_configuration(Bucket=bucket)


def test_sns_subscription_and_a_schedule_rule(aws):
    aws.register("fan", HANDLER)
    topic = aws.client("sns").create_topic(Name="news")["TopicArn"]
    aws.add_trigger("fan", "sns:news")
    subs = aws.client("sns").list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subs] == [("lambda", aws.function_arn("fan"))]
    aws.add_trigger("fan", "schedule:rate(5 minutes)")
    events = aws.client("events")
    rule = events.describe_rule(Name="lambda-magic-fan-schedule")
    assert rule["ScheduleExpression"] == "rate(5 minutes)"
    assert [t["Arn"] for t in events.list_targets_by_rule(Rule="lambda-magic-fan-schedule")["Targets"]] == [
        aws.function_arn("fan")
    ]
    removed = aws.delete_function("fan")
    assert removed[-1] == "function fan" and len(removed) == 5
    assert aws.client("sns").list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []


def test_function_url(aws):
    aws.register("web", HANDLER)
    url = aws.create_function_url("web")
    assert url.startswith("https://")
    assert aws.client("lambda").get_function_url_config(FunctionName="web")["AuthType"] == "NONE"


def test_an_http_api_proxies_routes_to_the_function(aws, moto, region, module_backend):
    import lambda_magic as lm

    from .helpers import ROLE_ARN

    lm.use_backend("aws", endpoint_url=moto, region=region, role=ROLE_ARN)
    lm.register("items", HANDLER)
    api = lm.http_api("shop", {"GET /items/{id}": "items", "$default": "items"})
    apigw = lm.client("apigatewayv2")
    routes = sorted(r["RouteKey"] for r in apigw.get_routes(ApiId=api.api_id)["Items"])
    assert routes == ["$default", "GET /items/{id}"]
    (integration,) = apigw.get_integrations(ApiId=api.api_id)["Items"]
    assert (integration["IntegrationType"], integration["PayloadFormatVersion"]) == ("AWS_PROXY", "2.0")
    assert integration["IntegrationUri"] == lm.account().function_arn("items")
    policy = json.loads(lm.client("lambda").get_policy(FunctionName="items")["Policy"])
    assert policy["Statement"][0]["Principal"] == {"Service": "apigateway.amazonaws.com"}
    lm.delete("items")
    assert api.api_id not in [a["ApiId"] for a in apigw.get_apis()["Items"]]


def test_a_mapping_waits_for_the_queue_policy_to_propagate(aws):
    aws.register("worker", HANDLER)
    aws.client("sqs").create_queue(QueueName="slow")
    seen = []

    def not_yet(**kw):
        if not seen:
            seen.append(1)
            message = "The function execution role does not have permissions to call ReceiveMessage on SQS"
            return (
                type("R", (), {"status_code": 400, "headers": {}})(),
                {"Error": {"Code": "InvalidParameterValueException", "Message": message}},
            )
        return None

    aws.client("lambda").meta.events.register("before-call.lambda.CreateEventSourceMapping", not_yet)
    mapping = aws.create_event_source_mapping("worker", aws.source_arn("sqs", "slow"))
    assert seen == [1] and mapping.state == "Enabled"


def _cognito_issuer(aws) -> tuple[str, str]:
    idp = aws.client("cognito-idp")
    pool = idp.create_user_pool(PoolName="shoppers")["UserPool"]["Id"]
    client = idp.create_user_pool_client(UserPoolId=pool, ClientName="web")["UserPoolClient"]["ClientId"]
    return f"https://cognito-idp.{aws.region}.amazonaws.com/{pool}", client


def test_an_http_api_with_authorizers_and_a_named_stage(aws):
    aws.register("items", HANDLER)
    aws.register("gate", HANDLER)
    issuer, audience = _cognito_issuer(aws)
    api = aws.http_api(
        "shop",
        {
            "GET /items/{id}": {"function": "items", "authorizer": "cognito", "scopes": ["shop/read"]},
            "POST /items": {"function": "items", "authorizer": "gate"},
            "GET /health": "items",
        },
        authorizers={
            "cognito": {"type": "JWT", "issuer": issuer, "audience": audience},
            "gate": {"function": "gate", "identity_source": ["Authorization", "$request.querystring.key"], "ttl_s": 60},
        },
        stage="dev",
        stage_variables={"table": "items-dev"},
        integration_timeout_s=5,
    )
    apigw = aws.client("apigatewayv2")
    assert api.url.endswith("/dev") and api.stage == "dev"
    assert sorted(api.authorizers) == ["cognito", "gate"]
    found = {n: apigw.get_authorizer(ApiId=api.api_id, AuthorizerId=i) for n, i in api.authorizers.items()}
    assert {n: a["Name"] for n, a in found.items()} == {"cognito": "cognito", "gate": "gate"}
    assert found["cognito"]["AuthorizerType"] == "JWT"
    assert found["cognito"]["JwtConfiguration"] == {"Issuer": issuer, "Audience": [audience]}
    assert found["cognito"]["IdentitySource"] == ["$request.header.Authorization"]
    gate = found["gate"]
    assert gate["AuthorizerType"] == "REQUEST" and gate["AuthorizerResultTtlInSeconds"] == 60
    assert gate["IdentitySource"] == ["$request.header.Authorization", "$request.querystring.key"]
    assert gate["AuthorizerUri"] == (
        f"arn:aws:apigateway:{aws.region}:lambda:path/2015-03-31/functions/{aws.function_arn('gate')}/invocations"
    )
    assert (gate["AuthorizerPayloadFormatVersion"], gate["EnableSimpleResponses"]) == ("2.0", True)
    routes = {r["RouteKey"]: r for r in apigw.get_routes(ApiId=api.api_id)["Items"]}
    assert routes["GET /items/{id}"]["AuthorizationType"] == "JWT"
    assert routes["GET /items/{id}"]["AuthorizerId"] == found["cognito"]["AuthorizerId"]
    assert routes["GET /items/{id}"]["AuthorizationScopes"] == ["shop/read"]
    assert (routes["POST /items"]["AuthorizationType"], routes["POST /items"]["AuthorizerId"]) == (
        "CUSTOM",
        gate["AuthorizerId"],
    )
    assert routes["GET /health"].get("AuthorizationType", "NONE") == "NONE"
    (stage,) = apigw.get_stages(ApiId=api.api_id)["Items"]
    assert (stage["StageName"], stage["StageVariables"], stage["AutoDeploy"]) == ("dev", {"table": "items-dev"}, True)
    (integration,) = apigw.get_integrations(ApiId=api.api_id)["Items"]
    assert integration["TimeoutInMillis"] == 5000
    policy = json.loads(aws.client("lambda").get_policy(FunctionName="gate")["Policy"])
    (statement,) = policy["Statement"]
    source = statement["Condition"]["ArnLike"]["AWS:SourceArn"]
    assert source.endswith(f":{api.api_id}/authorizers/{gate['AuthorizerId']}")
    removed = aws.delete_function("gate")
    assert f"HTTP API {api.api_id} (shop)" in removed
    assert api.api_id not in [a["ApiId"] for a in aws.client("apigatewayv2").get_apis()["Items"]]


def test_http_api_settings_the_backend_cannot_map_are_refused_before_anything_is_made(aws):
    import pytest

    from lambda_magic.common.errors import InvalidParameterValueException

    aws.register("items", HANDLER)
    apigw = aws.client("apigatewayv2")
    refused = [
        ({"authorizers": {"old": {"type": "TOKEN", "function": "items"}}}, "not TOKEN"),
        ({"port": 8080}, "port: not mapped on the AWS backend's HTTP APIs"),
        ({"payload_limit_bytes": 1024}, "cannot be changed"),
        ({"integration_timeout_s": 31}, "between 0.05 and 30 seconds"),
        ({"authorizers": {"gate": {"function": "items", "validation": "^x"}}}, "REST API setting"),
    ]
    for settings, message in refused:
        with pytest.raises(InvalidParameterValueException, match=message):
            aws.http_api("shop", {"GET /": "items"}, **settings)
    with pytest.raises(InvalidParameterValueException, match="scopes belong to a route with a JWT authorizer"):
        aws.http_api(
            "shop",
            {"GET /": {"function": "items", "authorizer": "gate", "scopes": ["read"]}},
            authorizers={"gate": {"function": "items"}},
        )
    assert apigw.get_apis()["Items"] == []


def test_an_http_api_that_fails_half_way_is_removed_with_its_permissions(aws):
    import pytest

    from lambda_magic.common.errors import ResourceNotFoundException

    aws.register("items", HANDLER)
    with pytest.raises(ResourceNotFoundException):  # AddPermission on a function that does not exist
        aws.http_api(
            "shop",
            {"GET /": {"function": "items", "authorizer": "gate"}},
            authorizers={"gate": {"function": "missing"}},
        )
    assert aws.client("apigatewayv2").get_apis()["Items"] == []
    with pytest.raises(aws.client("lambda").exceptions.ResourceNotFoundException):
        aws.client("lambda").get_policy(FunctionName="items")  # the route's permission was taken back
    assert aws.wiring() == []


def test_a_rest_api_with_token_and_request_authorizers_deployed_to_a_stage(aws):
    aws.register("items", HANDLER)
    aws.register("gate", HANDLER)
    apigw = aws.client("apigateway")
    # moto keeps neither CreateRestApi's binaryMediaTypes nor CreateAuthorizer's identityValidationExpression:
    # for those, what was sent to AWS is checked
    sent: list[dict] = []
    for operation in ("CreateRestApi", "CreateAuthorizer"):
        apigw.meta.events.register(
            f"before-parameter-build.api-gateway.{operation}", lambda params, **_: sent.append(dict(params))
        )
    api = aws.rest_api(
        "shop",
        {
            "GET /items/{id}": {"function": "items", "authorizer": "token"},
            "POST /items": {"function": "items", "authorizer": "request"},
            "ANY /{proxy+}": "items",
        },
        stage="prod",
        binary_media_types=["image/png"],
        authorizers={
            "token": {"type": "TOKEN", "function": "gate", "validation": "^Bearer .+$"},
            "request": {"function": "gate", "identity_source": ["$request.header.X-Key", "q"], "ttl_s": 0},
        },
        stage_variables={"table": "items-prod"},
        integration_timeout_s=10,
    )
    assert api.url == f"https://{api.api_id}.execute-api.{aws.region}.amazonaws.com/prod"
    assert (sent[0]["name"], sent[0]["binaryMediaTypes"], sent[0]["endpointConfiguration"]) == (
        "shop",
        ["image/png"],
        {"types": ["REGIONAL"]},
    )
    assert [p.get("identityValidationExpression") for p in sent[1:]] == ["^Bearer .+$", None]
    resources = {r["path"]: r for r in apigw.get_resources(restApiId=api.api_id)["items"]}
    assert sorted(resources) == ["/", "/items", "/items/{id}", "/{proxy+}"]
    token = apigw.get_authorizer(restApiId=api.api_id, authorizerId=api.authorizers["token"])
    assert (token["type"], token["identitySource"]) == ("TOKEN", "method.request.header.Authorization")
    assert token["authorizerResultTtlInSeconds"] == 300
    uri = f"arn:aws:apigateway:{aws.region}:lambda:path/2015-03-31/functions/{aws.function_arn('gate')}/invocations"
    assert token["authorizerUri"] == uri
    request = apigw.get_authorizer(restApiId=api.api_id, authorizerId=api.authorizers["request"])
    assert request["type"] == "REQUEST"
    assert request["identitySource"] == "method.request.header.X-Key,method.request.header.q"
    get = apigw.get_method(restApiId=api.api_id, resourceId=resources["/items/{id}"]["id"], httpMethod="GET")
    assert (get["authorizationType"], get["authorizerId"]) == ("CUSTOM", api.authorizers["token"])
    integration = get["methodIntegration"]
    assert (integration["type"], integration["httpMethod"]) == ("AWS_PROXY", "POST")
    assert integration["uri"].endswith(f"/functions/{aws.function_arn('items')}/invocations")
    assert integration["timeoutInMillis"] == 10000
    post = apigw.get_method(restApiId=api.api_id, resourceId=resources["/items"]["id"], httpMethod="POST")
    assert post["authorizerId"] == api.authorizers["request"]
    anything = apigw.get_method(restApiId=api.api_id, resourceId=resources["/{proxy+}"]["id"], httpMethod="ANY")
    assert anything["authorizationType"] == "NONE"
    stage = apigw.get_stage(restApiId=api.api_id, stageName="prod")
    assert stage["variables"] == {"table": "items-prod"}
    statements = json.loads(aws.client("lambda").get_policy(FunctionName="gate")["Policy"])["Statement"]
    sources = sorted(s["Condition"]["ArnLike"]["AWS:SourceArn"].rsplit(":", 1)[1] for s in statements)
    assert sources == sorted(f"{api.api_id}/authorizers/{i}" for i in api.authorizers.values())
    removed = aws.delete_function("items")
    assert f"REST API {api.api_id} (shop)" in removed
    assert api.api_id not in [a["id"] for a in apigw.get_rest_apis()["items"]]


def test_rest_api_settings_the_backend_cannot_map_are_refused_before_anything_is_made(aws):
    import pytest

    from lambda_magic.common.errors import InvalidParameterValueException

    aws.register("items", HANDLER)
    refused = [
        ({"authorizers": {"jwt": {"type": "JWT", "issuer": "https://x", "audience": "y"}}}, "belong to HTTP APIs"),
        (
            {
                "authorizers": {
                    "gate": {"type": "REQUEST", "function": "items", "identity_source": "k", "validation": "x"}
                }
            },
            "validation belongs to a TOKEN authorizer",
        ),
        (
            {"authorizers": {"gate": {"type": "TOKEN", "function": "items", "identity_source": ["a", "b"]}}},
            "one header",
        ),
        ({"port": 8080}, "port: not mapped on the AWS backend's REST APIs"),
        ({"integration_timeout_s": 30}, "between 0.05 and 29 seconds"),
    ]
    for settings, message in refused:
        with pytest.raises(InvalidParameterValueException, match=message):
            aws.rest_api("shop", {"GET /": "items"}, **settings)
    assert aws.client("apigateway").get_rest_apis()["items"] == []


def test_a_rest_api_that_fails_half_way_is_removed_with_its_permissions(aws):
    import pytest

    from lambda_magic.common.errors import ResourceNotFoundException

    aws.register("gate", HANDLER)
    with pytest.raises(ResourceNotFoundException):  # the route's function does not exist
        aws.rest_api(
            "shop",
            {"GET /": {"function": "missing", "authorizer": "token"}},
            authorizers={"token": {"type": "TOKEN", "function": "gate"}},
        )
    assert aws.client("apigateway").get_rest_apis()["items"] == []
    with pytest.raises(aws.client("lambda").exceptions.ResourceNotFoundException):
        aws.client("lambda").get_policy(FunctionName="gate")  # the authorizer's permission was taken back
    assert aws.wiring() == []


def test_lm_rest_api_on_the_aws_backend_makes_the_rest_api(aws, moto, region, module_backend):
    import lambda_magic as lm

    from .helpers import ROLE_ARN

    lm.use_backend("aws", endpoint_url=moto, region=region, role=ROLE_ARN)
    lm.register("items", HANDLER)
    api = lm.rest_api("shop", {"GET /items/{id}": "items"}, stage="dev")
    assert api.url.endswith(".amazonaws.com/dev")
    assert [a["name"] for a in lm.client("apigateway").get_rest_apis()["items"]] == ["shop"]
    assert "127.0.0.1" not in api.url  # nothing served locally
    lm.delete("items")
    assert lm.client("apigateway").get_rest_apis()["items"] == []


def test_a_logs_subscription_is_made_with_its_permission_and_delete_removes_it(aws):
    aws.register("alarm", HANDLER)
    logs = aws.client("logs")
    logs.create_log_group(logGroupName="/aws/lambda/checkout")
    info = aws.add_trigger("alarm", "logs:/aws/lambda/checkout", filter_pattern="ERROR")
    (found,) = logs.describe_subscription_filters(logGroupName="/aws/lambda/checkout")["subscriptionFilters"]
    assert (found["filterName"], found["filterPattern"]) == ("lambda-magic-alarm", "ERROR")
    assert found["destinationArn"] == aws.function_arn("alarm")
    (statement,) = json.loads(aws.client("lambda").get_policy(FunctionName="alarm")["Policy"])["Statement"]
    assert statement["Principal"] == {"Service": "logs.amazonaws.com"}
    group_arn = f"arn:aws:logs:{aws.region}:{aws.account_id}:log-group:/aws/lambda/checkout:*"
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == group_arn
    assert info.made[-1] == "logs subscription filter lambda-magic-alarm on /aws/lambda/checkout"
    removed = aws.delete_function("alarm")
    assert info.made[-1] in removed
    assert logs.describe_subscription_filters(logGroupName="/aws/lambda/checkout")["subscriptionFilters"] == []


def test_a_logs_subscription_that_cannot_be_made_takes_its_permission_back(aws):
    import pytest

    from lambda_magic.common.errors import ResourceNotFoundException

    aws.register("alarm", HANDLER)
    with pytest.raises(ResourceNotFoundException):  # no such log group
        aws.add_trigger("alarm", "logs:/aws/lambda/nowhere")
    with pytest.raises(aws.client("lambda").exceptions.ResourceNotFoundException):
        aws.client("lambda").get_policy(FunctionName="alarm")
    assert aws.wiring() == []


def test_a_codecommit_trigger_keeps_the_repository_s_other_triggers(aws):
    from botocore.stub import Stubber

    aws.register("notify", HANDLER)
    codecommit = aws.client("codecommit")  # moto has no repository triggers: botocore's Stubber answers for AWS
    arn = aws.function_arn("notify")
    theirs = {"name": "theirs", "destinationArn": "arn:aws:sns:us-east-1:1:t", "branches": [], "events": ["all"]}
    mine = {"name": "notify", "destinationArn": arn, "branches": ["main"], "events": ["all"], "customData": "ci"}
    with Stubber(codecommit) as stub:
        stub.add_response("get_repository_triggers", {"triggers": [theirs]}, {"repositoryName": "site"})
        stub.add_response(
            "put_repository_triggers",
            {"configurationId": "c-1"},
            {"repositoryName": "site", "triggers": [theirs, mine]},
        )
        info = aws.add_trigger("notify", "codecommit:site", branches="main", custom_data="ci")
        stub.assert_no_pending_responses()
        stub.add_response("get_repository_triggers", {"triggers": [theirs, mine]}, {"repositoryName": "site"})
        stub.add_response(
            "put_repository_triggers", {"configurationId": "c-2"}, {"repositoryName": "site", "triggers": [theirs]}
        )
        removed = aws.delete_function("notify")
        stub.assert_no_pending_responses()
    assert info.made[-1] == "codecommit trigger notify on site" and info.made[-1] in removed
    assert any(w.startswith("permission") for w in removed)
