"""API routes (HTTP and REST APIs with authorizers), function URLs and the magic's verb."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

import lambda_magic as lm

CELL = "def lambda_handler(event, context):\n    return {'ok': True}\n"


def test_http_api_with_authorizers_and_cors(acc, tmp_path, read, lint):
    for name in ("items", "auth", "fallback"):
        lm.register(name, CELL)
    pool = lm.client("cognito-idp").create_user_pool(PoolName="shoppers")["UserPool"]["Id"]
    issuer = f"https://cognito-idp.us-east-1.amazonaws.com/{pool}"
    lm.http_api(
        "shop",
        {
            "GET /items/{id}": {"function": "items", "authorizer": "jwt", "scopes": ["read"]},
            "POST /items": {"function": "items", "authorizer": "lambda"},
            "$default": "fallback",
        },
        authorizers={
            "jwt": {"type": "JWT", "issuer": issuer, "audience": ["shop"]},
            "lambda": {"type": "REQUEST", "function": "auth", "identity_source": "$request.header.X-Key"},
        },
        cors={"allowOrigins": ["https://shop.example.com"], "allowMethods": ["GET", "POST"]},
    )

    lm.export("sam", tmp_path / "template.yaml")

    body = read(tmp_path / "template.yaml")
    api = body["Resources"]["ShopHttpApi"]
    assert api["Type"] == "AWS::Serverless::HttpApi"
    authorizers = api["Properties"]["Auth"]["Authorizers"]
    assert authorizers["Jwt"] == {
        "JwtConfiguration": {"issuer": issuer, "audience": ["shop"]},
        "IdentitySource": "$request.header.Authorization",
    }
    assert authorizers["Lambda"]["FunctionArn"] == {"Fn::GetAtt": ["AuthFunction", "Arn"]}
    assert authorizers["Lambda"]["Identity"]["Headers"] == ["X-Key"]
    assert api["Properties"]["CorsConfiguration"] == {
        "AllowOrigins": ["https://shop.example.com"],
        "AllowMethods": ["GET", "POST"],
    }
    events = body["Resources"]["ItemsFunction"]["Properties"]["Events"]
    get = next(e["Properties"] for e in events.values() if e["Properties"].get("Method") == "GET")
    assert get == {
        "ApiId": {"Ref": "ShopHttpApi"},
        "Method": "GET",
        "Path": "/items/{id}",
        "Auth": {"Authorizer": "Jwt", "AuthorizationScopes": ["read"]},
    }
    default = list(body["Resources"]["FallbackFunction"]["Properties"]["Events"].values())
    assert default == [{"Type": "HttpApi", "Properties": {"ApiId": {"Ref": "ShopHttpApi"}}}]  # $default
    assert "ShopUrl" in body["Outputs"]
    lint(tmp_path / "template.yaml")
    lm.export("cloudformation", tmp_path / "cfn" / "template.yaml")
    cfn = read(tmp_path / "cfn" / "template.yaml")["Resources"]
    assert cfn["ShopHttpApi"]["Type"] == "AWS::ApiGatewayV2::Api"  # its OpenAPI body holds routes and authorizers
    assert sorted(cfn["ShopHttpApi"]["Properties"]["Body"]["components"]["securitySchemes"]) == ["Jwt", "Lambda"]
    lint(tmp_path / "cfn" / "template.yaml")


def test_rest_api_and_function_url(acc, tmp_path, read, lint):
    lm.register("pets", CELL)
    lm.register("guard", CELL)
    lm.rest_api(
        "petstore",
        {"GET /pets/{id}": {"function": "pets", "authorizer": "token"}},
        authorizers={"token": {"type": "TOKEN", "function": "guard", "identity_source": "Authorization"}},
        stage="prod",
    )
    lm.client("lambda").create_function_url_config(FunctionName="pets", AuthType="AWS_IAM")

    lm.export("sam", tmp_path / "template.yaml")

    resources = read(tmp_path / "template.yaml")["Resources"]
    api = resources["PetstoreApi"]
    assert api["Type"] == "AWS::Serverless::Api"
    assert api["Properties"]["StageName"] == "prod"
    assert api["Properties"]["Auth"]["Authorizers"]["Token"]["FunctionPayloadType"] == "TOKEN"
    pets = resources["PetsFunction"]["Properties"]
    (event,) = pets["Events"].values()
    assert event == {
        "Type": "Api",
        "Properties": {
            "RestApiId": {"Ref": "PetstoreApi"},
            "Method": "get",
            "Path": "/pets/{id}",
            "Auth": {"Authorizer": "Token"},
        },
    }
    assert pets["FunctionUrlConfig"] == {"AuthType": "AWS_IAM"}
    lint(tmp_path / "template.yaml")


@pytest.fixture
def shell(acc):
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "lambda_magic")
    return ip


def test_the_magic_writes_the_template(shell, tmp_path, read):
    lm.register("hello", CELL)
    result = shell.run_line_magic("lambda", f"export sam {tmp_path / 'out' / 'template.yaml'}")
    assert result.resources == {"HelloFunction": "AWS::Serverless::Function"}
    assert read(tmp_path / "out" / "template.yaml")["Resources"]["HelloFunction"]["Properties"]["CodeUri"] == (
        "functions/hello/"
    )
    assert "HelloFunction: AWS::Serverless::Function" in repr(result)
    with pytest.raises(UsageError, match="invalid choice: 'terraform'"):
        shell.run_line_magic("lambda", "export terraform")
